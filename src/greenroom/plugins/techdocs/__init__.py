"""TechDocs: documentation written next to the code in Markdown, built with MkDocs and read inside the portal.

Backstage-compatible: the `backstage.io/techdocs-ref` annotation, the `techdocs-core` MkDocs plugin, the
storage layout `<namespace>/<kind>/<name>/` with `techdocs_metadata.json`, and the `local` and `external`
builders. See docs/techdocs.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click
from fastapi import APIRouter

from greenroom import NavItem, Permission, PluginContext, PluginManifest, ScheduledJob, __version__, hookimpl
from greenroom.plugins.techdocs import cli as techdocs_cli
from greenroom.plugins.techdocs import pages
from greenroom.plugins.techdocs.api import api_router
from greenroom.plugins.techdocs.catalog_client import CatalogClient
from greenroom.plugins.techdocs.config import TechDocsConfig
from greenroom.plugins.techdocs.publishers import make_publisher
from greenroom.plugins.techdocs.service import TECHDOCS_SERVICE, TechDocsService
from greenroom.plugins.techdocs.sources import GitTreeReader
from greenroom.plugins.techdocs.store import BuildStore
from greenroom.slots import EntityTab

manifest = PluginManifest(id="techdocs", name="TechDocs", version=__version__, config_model=TechDocsConfig,
                          requires=("catalog",),
                          description="Docs like code: Markdown next to the code, built with MkDocs, read here.")

JOB = "techdocs.build"


def _config(ctx: PluginContext) -> TechDocsConfig:
    assert isinstance(ctx.config, TechDocsConfig)
    return ctx.config


def make_service(ctx: PluginContext) -> TechDocsService:
    """The service of this app, wired to the catalog, the URL reader and the scheduler."""
    from greenroom.plugins.catalog.service import CATALOG_SERVICE

    config = _config(ctx)

    def git() -> GitTreeReader | None:
        # The catalog registers its git reader with the URL reader; TechDocs reads folders through it.
        found = next((p for p in ctx.url_reader.providers if hasattr(p, "read_glob")), None)
        return cast(GitTreeReader | None, found)

    def read_url(url: str) -> bytes:
        result = ctx.url_reader.read(url)
        if result is None:
            raise ValueError(f"{url}: the server answered 'not modified' to a request without an ETag")
        return result.data

    def trigger() -> None:
        try:
            ctx.scheduler.trigger(JOB)
        except Exception:  # no scheduler running (the CLI): the next pass picks the request up
            ctx.logger.debug("could not trigger %s", JOB)

    return TechDocsService(config, make_publisher(config.publisher, config.legacyUseCaseSensitiveTripletPaths),
                           BuildStore(ctx.database.engine), CatalogClient(lambda: ctx.services.get(CATALOG_SERVICE)),
                           git, read_url, trigger, ctx.logger)


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def startup(ctx: PluginContext) -> None:
    ctx.provide(TECHDOCS_SERVICE, make_service(ctx))


@hookimpl
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob]:
    config = _config(ctx)

    def build() -> None:
        service = ctx.services.find(TECHDOCS_SERVICE)
        if service is not None:
            service.run_pass(max_seconds=max(30.0, config.limits.buildTimeoutSeconds))

    return [ScheduledJob("build", build, interval=config.processingInterval,
                         initial_delay=config.processingInterval, scope="local", timeout=3600)]


@hookimpl
def permissions() -> list[Permission]:
    return [Permission("techdocs.entity.read", resource_type="catalog-entity",
                       description="Read an entity's documentation.")]


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    """Backstage's TechDocs routes under /api/techdocs: metadata, sync and the sites' static files."""
    return api_router(ctx)


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    """The docs index at /docs and the reader at /docs/<namespace>/<kind>/<name>/<path>."""
    return pages.pages_router(ctx)


@hookimpl
def nav_items() -> list[NavItem]:
    return [NavItem("Docs", "/docs", icon="menu_book", order=30)]


@hookimpl
def entity_tabs(ctx: PluginContext) -> list[EntityTab]:
    return [pages.docs_tab(ctx)]


@hookimpl
def register_commands(cli: click.Group) -> None:
    techdocs_cli.register(cli)
