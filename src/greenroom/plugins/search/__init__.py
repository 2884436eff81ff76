"""Search: one box for the whole portal. Collators publish documents, an engine indexes them (SQLite FTS5 or
PostgreSQL full text, or one a plugin adds), and a Backstage-compatible API and pages query them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from fastapi import APIRouter

from greenroom import (
    HeaderWidget,
    NavItem,
    PluginContext,
    PluginManifest,
    ScheduledJob,
    ServiceRegistry,
    __version__,
    hookimpl,
)
from greenroom.plugins.search import api, extension_points, pages
from greenroom.plugins.search import cli as search_cli
from greenroom.plugins.search.collators.catalog import CatalogCollator
from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.engines import BUILTIN, choose
from greenroom.plugins.search.indexer import Indexer
from greenroom.plugins.search.model import EngineFactory
from greenroom.plugins.search.service import SEARCH_SERVICE, SearchService

manifest = PluginManifest(id="search", name="Search", version=__version__, config_model=SearchConfig,
                          hookspecs=extension_points,
                          description="Find entities, docs and anything else plugins publish, from every page.")

_services: dict[int, SearchService] = {}


def _config(ctx: PluginContext) -> SearchConfig:
    assert isinstance(ctx.config, SearchConfig)
    return ctx.config


def service_of(ctx: PluginContext) -> SearchService | None:
    """The running search service of this portal (None before start-up)."""
    return _services.get(id(ctx.core))


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def startup(ctx: PluginContext) -> None:
    config = _config(ctx)
    factories: list[EngineFactory] = list(BUILTIN)
    for found in ctx.hook.search_engines():
        factories.extend(found or [])
    engine = choose(config.engine, ctx.database.engine.dialect.name, factories).create(ctx)
    services = ctx.services

    def collators() -> list[Any]:
        # Asked on first use, after every plugin's start-up, so collators can use services published there.
        return [c for found in ctx.hook.search_collators(services=services) for c in found or []]

    service = SearchService(engine, Indexer(engine, ctx.database.engine, config, collators), config, ctx.permissions)
    _services[id(ctx.core)] = service
    ctx.provide(SEARCH_SERVICE, service)


@hookimpl
def shutdown(ctx: PluginContext) -> None:
    _services.pop(id(ctx.core), None)


@hookimpl
def search_collators(services: ServiceRegistry) -> list[Any]:
    """The built-in collators: `software-catalog` when the catalog runs, `techdocs` when TechDocs does."""
    from greenroom.plugins.catalog.service import CATALOG_SERVICE
    from greenroom.plugins.search.collators.techdocs import TechDocsCollator
    from greenroom.plugins.techdocs.service import TECHDOCS_SERVICE

    found: list[Any] = []
    catalog = services.find(CATALOG_SERVICE)
    if catalog is not None:
        found.append(CatalogCollator(catalog))
    techdocs = services.find(TECHDOCS_SERVICE)
    if techdocs is not None:
        found.append(TechDocsCollator(techdocs))
    return found


@hookimpl
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob]:
    config = _config(ctx)

    def incremental() -> None:
        service = service_of(ctx)
        if service is not None:
            service.indexer.incremental()

    def reindex() -> None:
        service = service_of(ctx)
        if service is not None:
            service.indexer.due()

    timeout = max([c.schedule.timeout.total_seconds for c in config.collators.values()] + [900.0])
    interval = max(0.1, config.incrementalInterval.total_seconds)
    # The first pass (a full one for types never indexed) waits one interval, so start-up stays quick.
    return [ScheduledJob("incremental", incremental, interval=interval, initial_delay=interval, timeout=timeout),
            ScheduledJob("reindex", reindex, interval=30.0, initial_delay=30.0, timeout=timeout)]


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    """`GET /api/search/query`, Backstage's search API."""
    return api.router(ctx)


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    """The search page and the header box's suggestions."""
    return pages.router(ctx)


@hookimpl
def nav_items() -> list[NavItem]:
    return [NavItem("Search", "/search", icon="search", order=15)]


@hookimpl
def header_widgets() -> list[HeaderWidget]:
    return [HeaderWidget("search", "search/widget.html", order=10)]


@hookimpl
def register_commands(cli: click.Group) -> None:
    search_cli.register(cli)
