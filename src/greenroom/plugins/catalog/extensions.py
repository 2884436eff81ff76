"""What a plugin needs to extend the catalog, in one import.

Implement the catalog's hooks (see `extension_points`) and use these types:

- `EntityProvider` / `EntityProviderConnection`: push entities from a source of your own, as a full set
  (`apply_full`) or as changes (`apply_delta`). Each entity needs the `backstage.io/managed-by-location` and
  `backstage.io/managed-by-origin-location` annotations (`ANNOTATION_LOCATION`, `ANNOTATION_ORIGIN_LOCATION`).
- `CatalogProcessor`: an object with a `name` and `pre_process(entity, location, emit)` and/or
  `post_process(entity, location, emit)`, each returning the (possibly changed) entity; `emit` is an `Emitter`
  for relations and errors.
- `SchemaKindValidator`: a custom kind from a JSON Schema in Backstage's kind-schema layout. Any callable
  `entity -> list[FieldProblem]` returned from `catalog_kind_validators` is a policy run on every entity.
"""

from __future__ import annotations

from greenroom.plugins.catalog.model.issues import FieldProblem
from greenroom.plugins.catalog.model.kinds import SchemaKindValidator
from greenroom.plugins.catalog.processing.providers import EntityProvider, EntityProviderConnection, ProvidedEntity
from greenroom.plugins.catalog.processing.types import (
    ANNOTATION_LOCATION,
    ANNOTATION_ORIGIN_LOCATION,
    CatalogProcessor,
    Emitter,
    LocationSpec,
)
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

__all__ = ["ANNOTATION_LOCATION", "ANNOTATION_ORIGIN_LOCATION", "CATALOG_SERVICE", "CatalogProcessor",
           "CatalogService", "Emitter", "EntityProvider", "EntityProviderConnection", "FieldProblem", "LocationSpec",
           "ProvidedEntity", "SchemaKindValidator"]
