"""Every hook a Greenroom plugin can implement.

Implement a hook by writing a function of the same name in your plugin module, decorated with
`@greenroom.hookimpl`, taking only the arguments you need. Registration hooks run once, synchronously, while
the app is assembled; `startup` and `shutdown` run in the app's lifespan. Each call receives the calling plugin's
own `ctx` (its config, logger, database and the other core services).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from fastapi import APIRouter

    from greenroom.context import PluginContext
    from greenroom.services.health import HealthCheck
    from greenroom.services.permissions import Permission
    from greenroom.services.scheduler import ScheduledJob
    from greenroom.slots import EntityCard, EntityTab, HeaderWidget, HomeCard, NavItem

hookspec = pluggy.HookspecMarker("greenroom")
hookimpl = pluggy.HookimplMarker("greenroom")


@hookspec
def register_routes(ctx: PluginContext) -> APIRouter | None:
    """Return an APIRouter; it is mounted under `/api/<plugin id>`."""


@hookspec
def register_pages(ctx: PluginContext) -> APIRouter | None:
    """Return an APIRouter of HTML pages, mounted at the site root; paths must not clash with others'."""


@hookspec
def nav_items(ctx: PluginContext) -> list[NavItem] | None:
    """Return the sidebar links this plugin adds."""


@hookspec
def header_widgets(ctx: PluginContext) -> list[HeaderWidget] | None:
    """Return fragments for the page header, such as the global search box."""


@hookspec
def home_cards(ctx: PluginContext) -> list[HomeCard] | None:
    """Return cards for the home page."""


@hookspec
def entity_tabs(ctx: PluginContext) -> list[EntityTab] | None:
    """Return tabs for entity pages."""


@hookspec
def entity_cards(ctx: PluginContext) -> list[EntityCard] | None:
    """Return cards for the overview of entity pages."""


@hookspec
def migrations(ctx: PluginContext) -> Path | None:
    """Return the folder of this plugin's Alembic revisions; they are applied at start-up."""


@hookspec
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob] | None:
    """Return background jobs to run on a schedule (once across replicas unless marked local)."""


@hookspec
def health_checks(ctx: PluginContext) -> list[HealthCheck] | None:
    """Return readiness checks; the portal is ready only when all of them pass."""


@hookspec
def permissions(ctx: PluginContext) -> list[Permission] | None:
    """Return the permissions this plugin defines, so policies and the admin page know them."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the `greenroom` command line."""


@hookspec
def startup(ctx: PluginContext) -> Any:
    """Run when the app starts, after migrations; may be a coroutine. Raising stops start-up."""


@hookspec
def shutdown(ctx: PluginContext) -> Any:
    """Run when the app stops, in reverse plugin order; may be a coroutine."""
