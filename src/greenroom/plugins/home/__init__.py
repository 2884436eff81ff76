"""The home page and the settings page (theme choice)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom import NavItem, PluginContext, PluginManifest, __version__, hookimpl
from greenroom.web.templating import THEME_COOKIE, THEMES

manifest = PluginManifest(id="home", name="Home", version=__version__,
                          description="The home page and personal settings.")


def _safe_return(target: str | None) -> str:
    # Only same-site paths: a return URL is attacker-controlled input (open redirects).
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/settings"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@hookimpl
def nav_items() -> list[NavItem]:
    return [NavItem("Home", "/", icon="home", order=0), NavItem("Settings", "/settings", icon="settings", order=900)]


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    portal_templates = ctx.templates

    @router.get("/")
    async def home(request: Request) -> Response:
        slots = portal_templates.slots
        who = await ctx.identity.identify(request)
        cards = [c for c in (slots.home if slots else ()) if ctx.permissions.allowed(who, c.permission)]
        return await portal_templates.render(request, "home/index.html", {"cards": cards})

    @router.get("/settings")
    async def settings(request: Request) -> Response:
        return await portal_templates.render(request, "home/settings.html", {"themes": THEMES})

    @router.post("/settings/theme")
    async def set_theme(theme: str = Form(...), next: str | None = Form(None)) -> Response:
        response = RedirectResponse(_safe_return(next), status_code=303)
        if theme in THEMES:
            response.set_cookie(THEME_COOKIE, theme, max_age=365 * 86400, httponly=True, samesite="lax",
                                secure=ctx.app_config.app.baseUrl.startswith("https://"))
        return response

    return router
