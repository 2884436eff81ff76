"""The catalog's Backstage-compatible REST API, mounted at `/api/catalog`.

Routes only parse input; the modules beside them do the work: `filters` and `predicates` turn `filter=` and
predicate bodies into SQL over the search rows, `query` and `listing` page and order, `fields` projects, and
`entities`, `facets`, `locations` and `analyze` serve the rest. Stored entity bytes are sent as they are.
"""

from __future__ import annotations

from fastapi import APIRouter

from greenroom import PluginContext
from greenroom.plugins.catalog.api.entity_routes import add_entity_routes
from greenroom.plugins.catalog.api.location_routes import add_location_routes
from greenroom.plugins.catalog.permissions import CatalogAuthz
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService


def catalog_router(ctx: PluginContext) -> APIRouter:
    """The router of the catalog API; the service is looked up per request, as it starts after routing."""
    services = ctx.services

    def get() -> CatalogService:
        return services.get(CATALOG_SERVICE)

    router = APIRouter(tags=["catalog"])
    authz = CatalogAuthz(ctx.permissions)
    add_entity_routes(router, get, authz, ctx.audit)
    add_location_routes(router, get, authz, ctx.audit)
    return router
