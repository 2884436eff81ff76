"""Catalog views other than the entity pages themselves: the API "Definition" tab and the dependency graph.

The routes live at the site root (/catalog-api/..., /catalog-graph... and /api-docs, the portal's own REST
API). The catalog service is looked up per call because the plugin publishes it at start-up, after routing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from jinja2 import Environment
from starlette.responses import Response

from greenroom import PluginContext
from greenroom.plugins.catalog.permissions import CatalogAuthz
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.plugins.catalog.views import definition, graph_routes
from greenroom.slots import EntityTab

__all__ = ["router", "tabs"]


def tabs(ctx: PluginContext) -> list[EntityTab]:
    """The entity tabs: "Definition" on API entities, "Graph" on every entity."""

    def service() -> CatalogService:
        return ctx.services.get(CATALOG_SERVICE)

    def env() -> Environment:
        return ctx.templates.env

    return [
        EntityTab(id="definition", title="Definition", render=definition.tab_renderer(env),
                  applies=definition.applies, order=20),
        EntityTab(id="graph", title="Graph", render=graph_routes.tab_renderer(service, env,
                                                                              CatalogAuthz(ctx.permissions)),
                  order=80),
    ]


def router(ctx: PluginContext) -> APIRouter:
    """The page routes: the definition's JSON, raw download and sandboxed viewer, and the graph page and data."""
    templates = ctx.templates

    def service() -> CatalogService:
        return ctx.services.get(CATALOG_SERVICE)

    def env() -> Environment:
        return templates.env

    def static_version() -> str:
        return templates.static_version

    pages = APIRouter(tags=["catalog-views"])
    authz = CatalogAuthz(ctx.permissions)
    definition.add_definition_routes(pages, service, env, static_version, authz)
    graph_routes.add_graph_routes(pages, service, templates, authz)

    @pages.get("/api-docs", include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        """The portal's own OpenAPI document in the same sandboxed viewer as API entities."""
        return await templates.render(request, "catalog/views/api_docs.html", {})

    return pages
