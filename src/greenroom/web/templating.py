"""Rendering pages inside the portal shell (sidebar, header, theme) with Jinja2.

Plugins keep templates in a `templates/` folder beside their module, under a folder named after their id
(`templates/<id>/page.html`), and render them with `ctx.templates.render(request, "<id>/page.html", {...})`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from greenroom.services.identity import IdentityService
from greenroom.services.permissions import PermissionService

if TYPE_CHECKING:
    from greenroom.config.models import CoreConfig
    from greenroom.slots import Slots

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
THEME_COOKIE = "greenroom_theme"
THEMES = ("system", "light", "dark")


def theme_of(request: Request, default: str) -> str:
    """The viewer's chosen theme from its cookie, else the integrator's default."""
    chosen = request.cookies.get(THEME_COOKIE, "")
    return chosen if chosen in THEMES else default


class Templates:
    """The Jinja environment of the portal, and the shell every page is drawn in."""

    def __init__(self, config: CoreConfig, identity: IdentityService, permissions: PermissionService,
                 plugin_dirs: list[Path]) -> None:
        self.config = config
        self.identity = identity
        self.permissions = permissions
        loaders = [FileSystemLoader(str(CORE_TEMPLATES)), *(FileSystemLoader(str(d)) for d in plugin_dirs)]
        self.env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.slots: Slots | None = None
        self.static_version = "0"

    async def shell_context(self, request: Request) -> dict[str, Any]:
        """What the base layout needs: branding, theme, the viewer and the slots they may see."""
        who = await self.identity.identify(request)
        slots = self.slots
        allowed = self.permissions.allowed
        nav = [n for n in (slots.nav if slots else ()) if allowed(who, n.permission)]
        path = request.url.path
        # "/" is a prefix of every path, so the home link is current only on the home page itself.
        current = max((n.href for n in nav if path == n.href
                       or (n.href != "/" and path.startswith(n.href.rstrip("/") + "/"))), key=len, default=None)
        return {
            "request": request,
            "app_title": self.config.app.title,
            "organization": self.config.organization.name,
            "branding": self.config.app.branding,
            "theme": theme_of(request, self.config.app.branding.theme.mode),
            "nav_items": nav,
            "current_nav": current,
            "header_widgets": list(slots.header) if slots else [],
            "identity": who,
            "static_version": self.static_version,
        }

    async def render(self, request: Request, name: str, context: Mapping[str, Any] | None = None,
                     status_code: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
        """Render template `name` inside the shell and return it as a response."""
        html = await self.render_string(request, name, context)
        return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))

    async def render_string(self, request: Request, name: str,
                            context: Mapping[str, Any] | None = None) -> Markup:
        """Render template `name` to markup, with the shell context available."""
        full = await self.shell_context(request)
        full.update(context or {})
        return Markup(self.env.get_template(name).render(full))
