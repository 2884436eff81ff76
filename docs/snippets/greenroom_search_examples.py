"""Extending search from a plugin: a collator that publishes documents, and a (toy) engine.

The docs page "Search" includes the sections between the `--8<--` markers; tests/plugins/search runs them.
"""

from __future__ import annotations

# --8<-- [start:collator]
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from greenroom import PluginManifest, hookimpl
from greenroom.plugins.search.model import (
    Document,
    EngineFactory,
    FunctionCollator,
    ResultPage,
    SearchHit,
    SearchQuery,
)

manifest = PluginManifest(id="runbooks", name="Runbooks", version="1.0", requires=("search",))

RUNBOOKS = {"restart-kafka": ("Restart Kafka", "Drain the brokers one at a time, then restart them.")}


def runbook_documents() -> Iterator[dict[str, Any]]:
    """One search document per runbook: `title`, `text` and `location` are required; other fields are
    shown with the result and can be filtered on (`filters[owner]=team-a`)."""
    for slug, (title, text) in RUNBOOKS.items():
        yield {"title": title, "text": text, "location": f"/runbooks/{slug}", "owner": "team-a"}


@hookimpl
def search_collators() -> list[Any]:
    return [FunctionCollator("runbooks", runbook_documents)]
# --8<-- [end:collator]


# --8<-- [start:engine]
class MemoryEngine:
    """Keeps documents in a dict and matches titles by substring: enough to show the interface."""

    name = "memory"

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], Document] = {}

    def upsert(self, doc_type: str, documents: Iterable[Document]) -> int:
        count = 0
        for document in documents:
            self.documents[(doc_type, str(document["location"]))] = document
            count += 1
        return count

    def prune(self, doc_type: str, keep: Collection[str]) -> int:
        gone = [key for key in self.documents if key[0] == doc_type and key[1] not in keep]
        for key in gone:
            del self.documents[key]
        return len(gone)

    def delete(self, doc_type: str, locations: Collection[str]) -> int:
        return self.prune(doc_type, {loc for t, loc in self.documents if t == doc_type} - set(locations))

    def query(self, query: SearchQuery) -> ResultPage:
        term = query.term.lower()
        found = [(t, d) for (t, _), d in sorted(self.documents.items())
                 if (not query.types or t in query.types) and term in str(d.get("title", "")).lower()]
        page = found[query.offset:query.offset + query.limit]
        hits = [SearchHit(t, d, query.offset + i + 1) for i, (t, d) in enumerate(page)]
        return ResultPage(hits, len(found))

    def facets(self, doc_type: str, fields: Collection[str]) -> dict[str, list[tuple[str, int]]]:
        return {field: [] for field in fields}

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc_type, _ in self.documents:
            counts[doc_type] = counts.get(doc_type, 0) + 1
        return counts


@hookimpl
def search_engines() -> list[EngineFactory]:
    # Selected with `search: {engine: memory}`; `create` receives the search plugin's context.
    return [EngineFactory("memory", lambda ctx: MemoryEngine())]
# --8<-- [end:engine]
