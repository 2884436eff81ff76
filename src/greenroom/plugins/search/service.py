"""The search plugin's published API (SEARCH_SERVICE): queries, suggestions, facets and indexing control."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from greenroom import ServiceRef
from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.indexer import Indexer
from greenroom.plugins.search.model import ResultPage, SearchEngine, SearchQuery
from greenroom.plugins.search.queries import encode_cursor, parse

FACET_TTL = 30.0  # seconds facet counts are reused; they only steer the filter menus
CATALOG_FACETS = ("kind", "owner", "lifecycle", "type")


class SearchService:
    """What the routes, the pages and other plugins use."""

    def __init__(self, engine: SearchEngine, indexer: Indexer, config: SearchConfig) -> None:
        self.engine = engine
        self.indexer = indexer
        self.config = config
        self._facets: dict[str, tuple[float, dict[str, list[tuple[str, int]]]]] = {}
        self._lock = threading.Lock()

    def types(self) -> list[str]:
        """The document types collators publish."""
        return self.indexer.types()

    def parse(self, params: Iterable[tuple[str, str]]) -> SearchQuery:
        """A query from Backstage's query-string parameters; raises QueryError on bad input."""
        return parse(params, self.config, self.types())

    def query(self, query: SearchQuery) -> ResultPage:
        """One page of results."""
        return self.engine.query(query)

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

    def suggest(self, term: str, types: tuple[str, ...] = ()) -> ResultPage:
        """The few best matches for what someone is typing (from the second letter on: one letter matches
        too much to help and costs the most)."""
        if len(term.strip()) < 2 or len(term) > self.config.maxTermLength:
            return ResultPage([], 0)
        suggest = getattr(self.engine, "suggest", None)  # optional: engines without it answer a plain query
        if callable(suggest):
            found: ResultPage = suggest(term, self.config.suggestions, types)
            return found
        return self.engine.query(SearchQuery(term=term, types=types, limit=self.config.suggestions))

    def facets(self, doc_type: str, fields: tuple[str, ...] = CATALOG_FACETS) -> dict[str, list[tuple[str, int]]]:
        """Filter values of a document type with their counts, cached briefly."""
        key = doc_type + "\0" + ",".join(fields)
        with self._lock:
            cached = self._facets.get(key)
        if cached is not None and time.monotonic() - cached[0] < FACET_TTL:
            return cached[1]
        found = self.engine.facets(doc_type, fields)
        with self._lock:
            self._facets[key] = (time.monotonic(), found)
        return found


SEARCH_SERVICE: ServiceRef[SearchService] = ServiceRef("search.service")
