"""The catalog's pages: the index (`/catalog`), entity pages, the import page and the unprocessed list.

Routes stay thin: they read the request, call the view modules (`listing`, `entity`, `relations`, `importer`,
`stars`), which reuse the REST API's query, filter, facet and field modules directly, and render templates
from `templates/catalog/pages/`. Every page works without JavaScript; htmx and `static/pages/` only enhance.
"""

from __future__ import annotations

from fastapi import APIRouter

from greenroom import NavItem, PluginContext
from greenroom.plugins.catalog.pages.browse_routes import add_browse_routes
from greenroom.plugins.catalog.pages.entity_routes import add_entity_routes
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService


def pages_router(ctx: PluginContext, router: APIRouter | None = None) -> APIRouter:
    """The router of every catalog page (added to `router` when given); the service is looked up per request,
    as it starts after routing."""
    services = ctx.services

    def get() -> CatalogService:
        return services.get(CATALOG_SERVICE)

    router = router if router is not None else APIRouter(include_in_schema=False)
    # Entity routes go last: `/catalog/{namespace}/{kind}/{name}` must not shadow the fixed paths.
    add_browse_routes(router, ctx, get)
    add_entity_routes(router, ctx, get)
    return router


def nav_items() -> list[NavItem]:
    """The sidebar links of the catalog pages."""
    return [NavItem("Catalog", "/catalog", icon="category", order=10)]


__all__ = ["nav_items", "pages_router"]
