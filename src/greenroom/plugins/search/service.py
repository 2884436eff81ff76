"""The search plugin's published API (SEARCH_SERVICE): queries, suggestions, facets and indexing control.

Results are filtered per viewer: `visibility(identity)` asks the permission system, for each document type
whose collator names `visibility_permissions`, what the viewer may see; the engine applies that inside its
query (see `Visibility`), so a document about an entity the viewer may not read is simply absent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from greenroom import ServiceRef
from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.indexer import Indexer
from greenroom.plugins.search.model import ResultPage, SearchEngine, SearchQuery, Visibility
from greenroom.plugins.search.queries import encode_cursor, parse
from greenroom.services.identity import Identity
from greenroom.services.permissions import NO_ROWS, Decision, PermissionService, SqlFilter

REF_COLUMN = "d.resource_ref"  # where Visibility's conditions look for a document's resource ref

FACET_TTL = 30.0  # seconds facet counts are reused; they only steer the filter menus
MAX_CACHED_FACETS = 500  # per-viewer counts are cached too; past this many the cache starts afresh
CATALOG_FACETS = ("kind", "owner", "lifecycle", "type")


class SearchService:
    """What the routes, the pages and other plugins use."""

    def __init__(self, engine: SearchEngine, indexer: Indexer, config: SearchConfig,
                 permissions: PermissionService | None = None) -> None:
        self.engine = engine
        self.indexer = indexer
        self.config = config
        self.permissions = permissions
        self._facets: dict[str, tuple[float, dict[str, list[tuple[str, int]]]]] = {}
        self._lock = threading.Lock()

    def types(self) -> list[str]:
        """The document types collators publish."""
        return self.indexer.types()

    def parse(self, params: Iterable[tuple[str, str]]) -> SearchQuery:
        """A query from Backstage's query-string parameters; raises QueryError on bad input."""
        return parse(params, self.config, self.types())

    def visibility(self, identity: Identity | None) -> Visibility | None:
        """What `identity` may see of each document type (None: everything, no permission system)."""
        permissions = self.permissions
        if permissions is None:
            return None
        needs = {t: tuple(getattr(c, "visibility_permissions", ()) or ()) for t, c in self.indexer.collators().items()}
        hidden: set[str] = set()
        filters: dict[str, SqlFilter] = {}
        for doc_type, names in needs.items():
            found = permissions.ref_filter(identity, names, REF_COLUMN) if names else None
            if found == NO_ROWS:
                hidden.add(doc_type)
            elif found is not None:
                filters[doc_type] = found

        def allows(doc_type: str, ref: str | None) -> bool:
            names = needs.get(doc_type, ())
            if not names or doc_type not in hidden | set(filters):
                return True
            if doc_type in hidden or ref is None:
                return permissions.evaluate_all(identity, names).result is Decision.ALLOW
            return permissions.allowed_resource(identity, names, ref)

        return Visibility(frozenset(hidden), filters, allows)

    def query(self, query: SearchQuery) -> ResultPage:
        """One page of results (of what `query.visibility` lets the viewer see)."""
        visibility = query.visibility
        if visibility is None or not visibility.restricts or getattr(self.engine, "filters_visibility", False):
            return self.engine.query(query)
        return self._filtered(self.engine.query(replace(query, visibility=None)), visibility)

    @staticmethod
    def _filtered(page: ResultPage, visibility: Visibility) -> ResultPage:
        # An engine that cannot filter inside its query: drop what the viewer may not see from this page.
        allows = visibility.allows or (lambda doc_type, ref: doc_type not in visibility.hidden
                                       and doc_type not in visibility.filters)
        kept = []
        for hit in page.hits:
            authorization = hit.document.get("authorization")
            ref = authorization.get("resourceRef") if isinstance(authorization, dict) else None
            if allows(hit.type, ref.lower() if isinstance(ref, str) else None):
                kept.append(hit)
        return ResultPage(kept, page.total - (len(page.hits) - len(kept)), page.words)

    def response(self, query: SearchQuery) -> dict[str, Any]:
        """The body of `GET /api/search/query`, in Backstage's shape."""
        page = self.query(query)
        number = query.offset // query.limit
        body: dict[str, Any] = {
            "results": [{"type": h.type, "document": dict(h.document), "rank": h.rank,
                         **({"highlight": h.highlight.as_dict()} if h.highlight else {})} for h in page.hits],
            "numberOfResults": page.total,
        }
        if query.offset + query.limit < page.total:
            body["nextPageCursor"] = encode_cursor(number + 1)
        if number > 0:
            body["previousPageCursor"] = encode_cursor(number - 1)
        return body

    def suggest(self, term: str, types: tuple[str, ...] = (), visibility: Visibility | None = None) -> ResultPage:
        """The few best matches for what someone is typing (from the second letter on: one letter matches
        too much to help and costs the most)."""
        if len(term.strip()) < 2 or len(term) > self.config.maxTermLength:
            return ResultPage([], 0)
        restricted = visibility is not None and visibility.restricts
        inside = getattr(self.engine, "filters_visibility", False)
        suggest = getattr(self.engine, "suggest", None)  # optional: engines without it answer a plain query
        if callable(suggest) and (inside or not restricted):
            found: ResultPage = (suggest(term, self.config.suggestions, types, visibility) if restricted
                                 else suggest(term, self.config.suggestions, types))
            return found
        return self.query(SearchQuery(term=term, types=types, limit=self.config.suggestions, visibility=visibility))

    def facets(self, doc_type: str, fields: tuple[str, ...] = CATALOG_FACETS,
               visibility: Visibility | None = None) -> dict[str, list[tuple[str, int]]]:
        """Filter values of a document type with their counts (of what the viewer may see), cached briefly."""
        restricted = visibility is not None and visibility.restricts
        if restricted and not getattr(self.engine, "filters_visibility", False):
            return {k: [] for k in fields}  # counts the engine cannot filter would tell of hidden documents
        key = doc_type + "\0" + ",".join(fields) + ("\0" + visibility.key() if visibility and restricted else "")
        with self._lock:
            cached = self._facets.get(key)
        if cached is not None and time.monotonic() - cached[0] < FACET_TTL:
            return cached[1]
        found = (self.engine.facets(doc_type, fields, visibility) if restricted  # type: ignore[call-arg]
                 else self.engine.facets(doc_type, fields))
        with self._lock:
            if len(self._facets) >= MAX_CACHED_FACETS:
                self._facets.clear()
            self._facets[key] = (time.monotonic(), found)
        return found


SEARCH_SERVICE: ServiceRef[SearchService] = ServiceRef("search.service")
