"""The catalog as TechDocs sees it: documented entities and single entities, read through the catalog's
published service and its query functions (the same ones its `/entities/by-query` route runs).

This is the one module that knows the catalog's API; everything else works on plain entity dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from greenroom.plugins.catalog.api.query import QueryRequest, run_query
from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.catalog.views.loading import load_entities
from greenroom.plugins.techdocs.refs import TECHDOCS_REF

Entity = dict[str, Any]
_PAGE = 500


class CatalogClient:
    """Looks entities up in the running catalog (found lazily: the catalog starts after routing)."""

    def __init__(self, service: Callable[[], CatalogService]) -> None:
        self._service = service

    def documented(self) -> Iterator[Entity]:
        """Every entity with a techdocs-ref annotation, by name."""
        service = self._service()
        request = QueryRequest(predicate={f"metadata.annotations.{TECHDOCS_REF}": {"$exists": True}},
                               order_field="metadata.name", skip_total=True)
        offset = 0
        while True:
            with service.database.engine.connect() as conn:
                body = orjson.loads(run_query(conn, request, _PAGE, offset))
            items = [i for i in body.get("items", []) if isinstance(i, dict)]
            yield from items
            if len(items) < _PAGE:
                return
            offset += _PAGE

    def entity(self, kind: str, namespace: str, name: str) -> Entity | None:
        """One entity, or None when the catalog does not hold it."""
        ref = f"{kind}:{namespace}/{name}".lower()
        return load_entities(self._service(), [ref]).get(ref)
