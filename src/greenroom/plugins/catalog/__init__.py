"""The software catalog: entities in Backstage's format, read from files, URLs and git, kept fresh,
stitched with their relations and served through a Backstage-compatible API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from fastapi import APIRouter

from greenroom import NavItem, Permission, PluginContext, PluginManifest, ScheduledJob, __version__, hookimpl
from greenroom.plugins.catalog import cli as catalog_cli
from greenroom.plugins.catalog import extension_points, pages, views
from greenroom.plugins.catalog.api import catalog_router
from greenroom.plugins.catalog.config import CatalogConfig
from greenroom.plugins.catalog.ingest.files import FileReader, is_glob
from greenroom.plugins.catalog.ingest.rules import RuleSet
from greenroom.plugins.catalog.ingest.setup import build_readers
from greenroom.plugins.catalog.model import default_registry
from greenroom.plugins.catalog.permissions import PERMISSIONS, RESOURCE, checker, ref_filter
from greenroom.plugins.catalog.processing.engine import ProcessingEngine, random_interval
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator, location_entity
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CONFIG_PROVIDER, CatalogService, resolve_target
from greenroom.plugins.catalog.store.stitch_worker import StitchWorker
from greenroom.plugins.catalog.store.stitcher import Stitcher
from greenroom.slots import EntityTab

manifest = PluginManifest(id="catalog", name="Software catalog", version=__version__, config_model=CatalogConfig,
                          hookspecs=extension_points,
                          description="Services, APIs, resources, teams and people, and how they relate.")


class _State:
    service: CatalogService | None = None


_state: dict[int, _State] = {}


def _config(ctx: PluginContext) -> CatalogConfig:
    assert isinstance(ctx.config, CatalogConfig)
    return ctx.config


def config_location_spec(loc_type: str, target: str) -> LocationSpec:
    """Config file targets are relative to the working directory, as in Backstage."""
    if loc_type == "file":
        return LocationSpec("file", os.path.abspath(target))
    return LocationSpec(loc_type, target)


def file_roots(config: CatalogConfig) -> list[Path]:
    """Where file locations may read: configured roots, else the working directory and config locations' folders."""
    if config.allowedFileRoots is not None:
        return [Path(os.path.abspath(r)) for r in config.allowedFileRoots]
    roots = [Path.cwd()]
    for loc in config.locations:
        if loc.type == "file":
            target = os.path.abspath(loc.target)
            head = target.split("*")[0] if is_glob(target) else target
            roots.append(Path(head if head.endswith(os.sep) else os.path.dirname(head)))
    return roots


def service_of(ctx: PluginContext) -> CatalogService:
    """The running catalog service of this app."""
    state = _state.get(id(ctx.core))
    if state is None or state.service is None:
        raise RuntimeError("the catalog has not started")
    return state.service


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def startup(ctx: PluginContext) -> None:
    config = _config(ctx)
    limits = config.limits
    reader = FileReader(file_roots(config), limits.maxFileBytes, limits.maxFilesPerLocation, limits.maxEntitiesPerFile)
    readers, processors, placeholder_reader = build_readers(ctx, config, reader)
    rules = RuleSet(config.rules, config.locations, lambda loc: config_location_spec(loc.type, loc.target))
    orchestrator = Orchestrator(rules, [reader, *readers], processors, registry=default_registry(),
                                placeholder_reader=placeholder_reader, resolve_target=resolve_target)
    interval = (random_interval(config.processingInterval.total_seconds)
                if config.processingInterval is not False else None)
    engine = ctx.database.engine
    service = CatalogService(ctx.database, config, orchestrator,
                             ProcessingEngine(engine, orchestrator, interval, config.processingBatchSize),
                             Stitcher(engine))
    url = ctx.app_config.backend.database.url
    in_memory = url.startswith("sqlite") and url.rstrip("/").endswith((":memory:", "sqlite:"))
    if config.stitchWorker and (os.cpu_count() or 1) > 1 and not in_memory:
        service.stitch_worker = StitchWorker(url, config.stitchWorkerThreshold)
    service.connect_extensions = lambda: _connect_extensions(ctx, service)
    if service.entity_cache.feed is not None:
        service.entity_cache.feed.start()
    _state.setdefault(id(ctx.core), _State()).service = service
    ctx.provide(CATALOG_SERVICE, service)
    ctx.permissions.register_checker(RESOURCE, ctx.plugin.id, checker(engine))
    ctx.permissions.register_ref_filter(RESOURCE, ctx.plugin.id, ref_filter)
    specs = [config_location_spec(loc.type, loc.target) for loc in config.locations]
    service.connection(CONFIG_PROVIDER).apply_full([(location_entity(s), s.key) for s in specs])
    service.sync_registered()


@hookimpl
def shutdown(ctx: PluginContext) -> None:
    state = _state.pop(id(ctx.core), None)
    if state is None or state.service is None:
        return
    if state.service.stitch_worker is not None:
        state.service.stitch_worker.stop()
    state.service.list_snapshots.close()
    if state.service.entity_cache.feed is not None:
        state.service.entity_cache.feed.stop()


def _connect_extensions(ctx: PluginContext, service: CatalogService) -> None:
    core = ctx.core
    for _, found in core.call_each("catalog_location_readers"):
        service.orchestrator.readers.extend(found or [])
    for _, found in core.call_each("catalog_processors"):
        service.orchestrator.processors.extend(found or [])
    for _, found in core.call_each("catalog_kind_validators"):
        for validator in found or []:
            # A kind validator names its kind; anything else is a policy run on every entity.
            if hasattr(validator, "supports"):
                service.orchestrator.registry.register(validator)
            else:
                service.orchestrator.registry.add_policy(validator)
    for _, found in core.call_each("catalog_entity_providers"):
        for provider in found or []:
            provider.connect(service.connection(provider.name))


@hookimpl
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob]:
    def process() -> None:
        state = _state.get(id(ctx.core))
        if state is not None and state.service is not None:
            state.service.run_until_idle(max_seconds=20.0)

    def orphans() -> None:
        state = _state.get(id(ctx.core))
        if state is not None and state.service is not None:
            state.service.delete_orphans()

    jobs: list[Any] = [ScheduledJob("process", process, interval=1.0, scope="local", timeout=3600)]
    jobs.append(ScheduledJob("orphan-cleanup", orphans, interval=30.0, initial_delay=30.0))
    return jobs


@hookimpl
def permissions() -> list[Permission]:
    """Backstage's catalog permissions; reads are resource permissions on `catalog-entity`."""
    return PERMISSIONS


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    """The Backstage-compatible REST API under /api/catalog."""
    return catalog_router(ctx)


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    """The catalog pages, the API definition viewer and the dependency graph."""
    # The views' fixed paths go first so the entity route `/catalog/{namespace}/{kind}/{name}` cannot shadow them.
    return pages.pages_router(ctx, views.router(ctx))


@hookimpl
def nav_items() -> list[NavItem]:
    return pages.nav_items()


@hookimpl
def entity_tabs(ctx: PluginContext) -> list[EntityTab]:
    return views.tabs(ctx)


@hookimpl
def register_commands(cli: click.Group) -> None:
    catalog_cli.register(cli)
