"""Lists the plugins that run, with versions: a page and `GET /api/plugins`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from greenroom import NavItem, PluginContext, PluginManifest, __version__, hookimpl

manifest = PluginManifest(id="plugins", name="Plugins", version=__version__,
                          description="The list of running plugins.")


def _describe(request: Request) -> list[dict[str, Any]]:
    portal = request.app.state.portal
    return [{
        "id": p.id, "name": p.manifest.name, "version": p.manifest.version,
        "description": p.manifest.description, "builtin": p.builtin, "package": p.distribution,
        "requires": list(p.manifest.requires), "homepage": p.manifest.homepage,
    } for p in portal.plugins]


@hookimpl
def nav_items() -> list[NavItem]:
    return [NavItem("Plugins", "/plugins", icon="extension", order=800)]


@hookimpl
def register_routes() -> APIRouter:
    router = APIRouter(tags=["plugins"])

    @router.get("")
    async def list_plugins(request: Request) -> dict[str, Any]:
        """The running plugins, in the order they were set up."""
        return {"core": {"version": __version__}, "items": _describe(request)}

    return router


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/plugins")
    async def page(request: Request) -> Response:
        return await ctx.templates.render(request, "plugins/index.html", {"plugins": _describe(request)})

    return router
