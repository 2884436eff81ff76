"""The search plugin's public types: documents, collators, queries, results and the engine interface.

A *collator* publishes documents of one `type` (`software-catalog`, `techdocs`, …); an *engine* stores and
queries them. Plugins add collators through the `search_collators` hook and engines through `search_engines`
(see `extension_points`); both are plain objects that satisfy the protocols below.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from greenroom.services.permissions import SqlFilter

Document = Mapping[str, Any]
"""A document as collators yield it: a JSON-like mapping with at least `title`, `text` and `location`."""


@dataclass(frozen=True)
class Changes:
    """What changed since a checkpoint: documents to add or replace, and what to keep.

    `keep` is every location of the type that still exists (None: nothing was deleted); `deleted` names
    locations that are gone. `checkpoint` is stored and handed back to the next `changes` call; `changes(None)`
    returns every document, as a full reindex needs.
    """

    documents: Iterable[Document]
    checkpoint: str
    deleted: Collection[str] = ()
    keep: Collection[str] | None = None


@runtime_checkable
class Collator(Protocol):
    """Publishes the documents of one type. `changes` is optional: collators without it are reindexed in full
    on their schedule only.

    Optional too, `visibility_permissions` (Backstage's `visibilityPermission`): resource permissions a viewer
    needs on a document's `authorization.resourceRef` to see it, e.g. `("catalog.entity.read",)`. Queries filter
    on them inside the engine, so totals and pages count only what the viewer may see."""

    type: str

    def documents(self) -> Iterable[Document]:
        """Every document of this type, now."""
        ...


@dataclass
class FunctionCollator:
    """A collator made of functions, for plugins that already have a generator of documents:

    `FunctionCollator("techdocs", lambda: techdocs_documents(...))`.
    `changed(checkpoint)` may return `Changes`, or None when it cannot tell (a full read follows).
    """

    type: str
    read: Callable[[], Iterable[Document]]
    changed: Callable[[str | None], Changes | None] | None = None
    visibility_permissions: tuple[str, ...] = ()

    def documents(self) -> Iterable[Document]:
        return self.read()

    def changes(self, checkpoint: str | None) -> Changes | None:
        return self.changed(checkpoint) if self.changed is not None else None


@dataclass(frozen=True)
class Visibility:
    """What one viewer may see, per document type, as the permission system decided.

    `hidden` types are left out entirely. For a type in `filters`, only documents whose resource ref satisfies
    the SQL condition are seen: it is written with `?` marks on `d.resource_ref` (the documents table aliased
    `d`) and runs inside the engine's own query; documents without a ref never satisfy it. Other types are open.
    `allows(type, resource_ref)` answers the same for one document, for engines that cannot run the SQL."""

    hidden: frozenset[str] = frozenset()
    filters: Mapping[str, SqlFilter] = field(default_factory=dict)
    allows: Callable[[str, str | None], bool] | None = field(default=None, compare=False)

    @property
    def restricts(self) -> bool:
        return bool(self.hidden or self.filters)

    def key(self) -> str:
        """Tells visibilities apart, for caches of per-viewer results."""
        return repr((sorted(self.hidden), sorted((t, f.sql, f.params) for t, f in self.filters.items())))


@dataclass(frozen=True)
class SearchQuery:
    """A parsed, validated query. `filters` maps lower-cased field names to accepted values (any matches);
    `visibility` restricts results to what the viewer may see (None: everything, as the CLI sees it)."""

    term: str = ""
    types: tuple[str, ...] = ()
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    offset: int = 0
    limit: int = 25
    visibility: Visibility | None = None


@dataclass(frozen=True)
class Highlight:
    """Backstage's highlight: matched words wrapped in `pre_tag`/`post_tag`, per field."""

    pre_tag: str
    post_tag: str
    fields: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"preTag": self.pre_tag, "postTag": self.post_tag, "fields": dict(self.fields)}


@dataclass(frozen=True)
class SearchHit:
    """One result: the document as indexed, its type and its rank (1 is the best of all pages)."""

    type: str
    document: Mapping[str, Any]
    rank: int
    highlight: Highlight | None = None


@dataclass(frozen=True)
class ResultPage:
    """One page of results; `total` counts all matches (at most the configured `maxResults`). `words` are the
    lower-cased words that matched, corrections included, for highlighting."""

    hits: list[SearchHit]
    total: int
    words: tuple[str, ...] = ()


@runtime_checkable
class SearchEngine(Protocol):
    """Stores documents and answers queries. Every method is blocking and may be called from any thread."""

    name: str

    def upsert(self, doc_type: str, documents: Iterable[Document]) -> int:
        """Add or replace documents (keyed by type and `location`); returns how many were written."""
        ...

    def prune(self, doc_type: str, keep: Collection[str]) -> int:
        """Delete the documents of `doc_type` whose location is not in `keep`; returns how many."""
        ...

    def delete(self, doc_type: str, locations: Collection[str]) -> int:
        """Delete the named documents; returns how many."""
        ...

    def query(self, query: SearchQuery) -> ResultPage:
        """Matching documents, best first: exact title or name matches, then by relevance."""
        ...

    def facets(self, doc_type: str, fields: Collection[str]) -> dict[str, list[tuple[str, int]]]:
        """For each field, its values among documents of `doc_type` with their counts (most common first)."""
        ...

    def count(self) -> dict[str, int]:
        """Indexed documents per type."""
        ...

    # Optional, found with getattr: `suggest(term, limit, types, visibility) -> ResultPage` for the header box (a
    # plain `query` otherwise) and `optimize()`, called after a full pass that wrote many documents. An engine
    # that sets `filters_visibility = True` applies `SearchQuery.visibility` (and takes `visibility` in `facets`
    # and `suggest`) inside its queries; for others the service drops hidden results from each page afterwards,
    # so their totals may count documents the viewer does not see.


@dataclass(frozen=True)
class EngineFactory:
    """Registers an engine: `name` is what `search.engine` selects; `create(ctx)` builds it at start-up
    (`ctx` is the search plugin's context: its database, config and logger)."""

    name: str
    create: Callable[[Any], SearchEngine]
    dialects: tuple[str, ...] = ()  # databases the engine's `auto` choice applies to, e.g. ("postgresql",)
