"""The catalog as TechDocs sees it: documented entities and single entities, read through the catalog's
published service.

This is the one module that knows the catalog's API; everything else works on plain entity dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.techdocs.refs import TECHDOCS_REF

Entity = dict[str, Any]


class CatalogClient:
    """Looks entities up in the running catalog (found lazily: the catalog starts after routing)."""

    def __init__(self, service: Callable[[], CatalogService]) -> None:
        self._service = service

    def documented(self, conditions: dict[str, Any] | None = None) -> Iterator[Entity]:
        """Every entity with a techdocs-ref annotation (that also satisfies permission `conditions`), by name."""
        return self._service().query_entities({f"metadata.annotations.{TECHDOCS_REF}": {"$exists": True}},
                                              order_field="metadata.name", conditions=conditions)

    def entity(self, kind: str, namespace: str, name: str) -> Entity | None:
        """One entity, or None when the catalog does not hold it."""
        return self.by_ref(f"{kind}:{namespace}/{name}")

    def by_ref(self, ref: str) -> Entity | None:
        """One entity by its ref (`kind:namespace/name`, any case), or None."""
        ref = ref.lower()
        return self._service().entities_by_ref([ref]).get(ref)
