"""Assembling the portal: config, plugins, services, routes and the lifespan. Wiring only.

Everything that can fail is checked here, before the server binds a port: config, plugin imports, manifests,
route clashes, permissions. A problem raises StartupError with one message naming the culprit.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from greenroom import __version__
from greenroom.config import (
    ConfigError,
    CoreConfig,
    LoadedConfig,
    default_config_files,
    load_config,
    validate_core,
    validate_plugins,
)
from greenroom.context import CoreServices, PluginContext, ServiceRegistry
from greenroom.db import Database
from greenroom.memory import freeze_startup_heap, tune_allocator
from greenroom.migrate import upgrade_all
from greenroom.registry import LoadedPlugin, PluginError, discover, each, is_awaitable, plugin_manager, select
from greenroom.services.audit import AuditService
from greenroom.services.cache import Cache
from greenroom.services.health import HealthCheck
from greenroom.services.identity import IdentityService
from greenroom.services.permissions import PermissionService
from greenroom.services.scheduler import Scheduler
from greenroom.services.url_reader import UrlReader
from greenroom.slots import Slots
from greenroom.web import branding, errors, health
from greenroom.web.middleware import RequestContextMiddleware, SignInGateMiddleware
from greenroom.web.templating import Templates

log = logging.getLogger("greenroom")
STATIC_DIR = Path(__file__).resolve().parent / "static"
RESERVED_PREFIXES = ("/api/", "/static/", "/branding", "/.well-known/", "/.backstage/", "/healthcheck")
# Reachable without signing in, whatever the sign-in setup: health checks, static files and branding.
PUBLIC_PATHS = ["/healthcheck", "/.backstage/health/", "/.well-known/health/", "/static/", "/branding.css",
                "/branding/"]


CONFIG_FILES_VARIABLE = "GREENROOM_WORKER_CONFIG_FILES"  # not GREENROOM_CONFIG_*: that prefix sets config keys


def app_from_environment() -> FastAPI:
    """The app of one worker process of `greenroom serve --workers N` (config files from the environment)."""
    from greenroom.services.logging import configure_logging

    files = [Path(f) for f in os.environ.get(CONFIG_FILES_VARIABLE, "").split(os.pathsep) if f]
    app = create_app(files)
    app.state.portal.freeze_heap = True
    logging_config = app.state.portal.config.backend.logging
    configure_logging(logging_config.level, logging_config.format)
    return app


class StartupError(Exception):
    """The portal cannot start; the message says why and names the file, key or plugin at fault."""


@dataclass
class Portal:
    """The assembled portal, kept on `app.state.portal` for pages and APIs that describe it."""

    config: CoreConfig
    loaded: LoadedConfig
    plugins: list[LoadedPlugin]
    contexts: dict[str, PluginContext]
    core: CoreServices
    templates: Templates
    slots: Slots = field(default_factory=Slots)
    migrations: list[tuple[str, Path]] = field(default_factory=list)
    #: Set by `greenroom serve`: once started, the heap is frozen (see `memory.freeze_startup_heap`).
    freeze_heap: bool = False


def create_app(config_files: Iterable[Path] | None = None, *, env: Mapping[str, str] | None = None,
               extra_plugins: Iterable[ModuleType] = (), overrides: Mapping[str, Any] | None = None) -> FastAPI:
    """Build the ASGI app. `extra_plugins` registers plugin modules without an entry point (tests);
    `overrides` is merged over the config files like one more file."""
    try:
        return _build(config_files, env, list(extra_plugins), overrides)
    except (ConfigError, PluginError) as exc:
        raise StartupError(str(exc)) from exc


def load(config_files: Iterable[Path] | None, env: Mapping[str, str] | None,
         overrides: Mapping[str, Any] | None = None) -> tuple[LoadedConfig, CoreConfig]:
    """Read and validate the core config (used by the CLI too)."""
    files = list(config_files) if config_files is not None else default_config_files(Path.cwd())
    loaded = load_config(files, env)
    if overrides:
        from greenroom.config.loader import merge

        merge(loaded.data, dict(overrides), loaded.origins, "<overrides>")
    return loaded, validate_core(loaded)


def _build(config_files: Iterable[Path] | None, env: Mapping[str, str] | None,
           extra: list[ModuleType], overrides: Mapping[str, Any] | None) -> FastAPI:
    tune_allocator()
    loaded, config = load(config_files, env, overrides)
    installed = discover()
    plugins = select(config.plugins, installed, extra)
    plugin_configs = validate_plugins(loaded, {p.id: p.manifest.config_model for p in plugins}, set(installed))
    try:
        database = Database(config.backend.database)
    except ValueError as exc:
        raise ConfigError(str(exc), file=loaded.origin_of("backend.database.url"),
                          key="backend.database.url") from exc
    pm = plugin_manager(plugins)
    identity, permissions = IdentityService(), PermissionService()
    identity.public_paths.extend(PUBLIC_PATHS)
    template_dirs = [d for p in plugins if (d := _plugin_dir(p) / "templates").is_dir()]
    templates = Templates(config, identity, permissions, template_dirs)
    templates.static_version = __version__
    core = CoreServices(config=config, database=database, scheduler=Scheduler(database.engine),
                        url_reader=UrlReader(config.backend.reading), identity=identity,
                        permissions=permissions, services=ServiceRegistry(), plugin_manager=pm,
                        templates=templates, audit=AuditService())
    contexts = {p.id: PluginContext(plugin=p.manifest, config=plugin_configs.get(p.id), core=core,
                                    logger=logging.getLogger(f"greenroom.plugin.{p.id}"),
                                    cache=Cache(p.id)) for p in plugins}
    core.contexts.update(contexts)
    portal = Portal(config, loaded, plugins, contexts, core, templates)
    order = [p.id for p in plugins]
    args = {pid: {"ctx": ctx} for pid, ctx in contexts.items()}

    for pid, perms in each(pm, "permissions", args, order):
        try:
            permissions.declare(pid, perms or [])
        except ValueError as exc:
            raise PluginError(str(exc)) from exc
    app = FastAPI(title=config.app.title, version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=_lifespan(portal), **_NO_TELEMETRY)
    app.state.portal = portal
    _mount_routes(app, portal, pm, args, order)
    portal.slots = _collect_slots(pm, args, order)
    templates.slots = portal.slots
    portal.migrations = [(pid, Path(folder)) for pid, folder in each(pm, "migrations", args, order) if folder]
    for pid, jobs in each(pm, "scheduled_jobs", args, order):
        for job in jobs or []:
            try:
                core.scheduler.add(pid, job)
            except ValueError as exc:
                raise PluginError(str(exc)) from exc
    checks: list[tuple[str, HealthCheck]] = [(pid, c) for pid, cs in each(pm, "health_checks", args, order)
                                             for c in cs or []]
    app.include_router(health.router(database, checks))
    app.include_router(branding.router(config, branding.brand_assets(config, loaded)))
    app.mount("/static/core", StaticFiles(directory=STATIC_DIR), name="static-core")
    for plugin in plugins:
        static = _plugin_dir(plugin) / "static"
        if static.is_dir():
            app.mount(f"/static/{plugin.id}", StaticFiles(directory=static), name=f"static-{plugin.id}")
    errors.install(app, templates)
    app.add_middleware(SignInGateMiddleware, identity=identity)
    app.add_middleware(RequestContextMiddleware)
    return app


# Newer FastAPI releases instrument every request with OpenTelemetry and export to whatever the environment
# names (FASTAPI_OTEL_AUTO_CONFIGURE). The portal sends nothing anywhere, and the instrumentation costs time on
# every request, so it is off; an integrator who wants traces wraps the app explicitly.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                   "auto_configure": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {})


def _plugin_dir(plugin: LoadedPlugin) -> Path:
    """The folder beside the plugin's module, where its `templates/` and `static/` are found by convention."""
    file = getattr(plugin.module, "__file__", None)
    return Path(file).resolve().parent if file else Path("/nonexistent")


def _mount_routes(app: FastAPI, portal: Portal, pm: Any, args: dict[str, dict[str, Any]], order: list[str]) -> None:
    owners: dict[tuple[str, str], str] = {}

    def claim(route: BaseRoute, pid: str) -> None:
        path = getattr(route, "path", "")
        methods = sorted(getattr(route, "methods", None) or {"*"})
        for method in methods:
            key = (method, path)
            if key in owners and owners[key] != pid:
                raise PluginError(f"plugin {pid!r} declares route {method} {path}, "
                                  f"which plugin {owners[key]!r} already declares")
            owners[key] = pid

    for pid, router in each(pm, "register_routes", args, order):
        if router is None:
            continue
        _check_router(pid, router, "register_routes")
        app.include_router(router, prefix=f"/api/{pid}")
        for route in router.routes:
            claim(route, pid)
    for pid, router in each(pm, "register_pages", args, order):
        if router is None:
            continue
        _check_router(pid, router, "register_pages")
        for route in router.routes:
            path = getattr(route, "path", "")
            if any(path.startswith(p) for p in RESERVED_PREFIXES):
                raise PluginError(f"plugin {pid!r} declares page {path}, but {path.split('/')[1]!r} paths "
                                  "are reserved (use register_routes for APIs)")
            claim(route, pid)
        app.include_router(router)


def _check_router(pid: str, router: Any, hook: str) -> None:
    if not isinstance(router, APIRouter):
        raise PluginError(f"plugin {pid!r}: {hook} must return a fastapi.APIRouter, got {type(router).__name__}")
    for route in router.routes:
        if not isinstance(route, Route | Mount) and not hasattr(route, "path"):
            raise PluginError(f"plugin {pid!r}: {hook} returned an unsupported route {route!r}")


def _collect_slots(pm: Any, args: dict[str, dict[str, Any]], order: list[str]) -> Slots:
    def gather(hook: str) -> list[Any]:
        items = [item for _, found in each(pm, hook, args, order) for item in (found or [])]
        return sorted(items, key=lambda i: (i.order, getattr(i, "title", getattr(i, "id", ""))))

    return Slots(nav=tuple(gather("nav_items")), header=tuple(gather("header_widgets")),
                 home=tuple(gather("home_cards")), entity_tabs=tuple(gather("entity_tabs")),
                 entity_cards=tuple(gather("entity_cards")))


def _lifespan(portal: Portal) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        core = portal.core
        await asyncio.to_thread(upgrade_all, core.database, portal.migrations)
        order = [p.id for p in portal.plugins]
        args = {pid: {"ctx": ctx} for pid, ctx in portal.contexts.items()}
        pm = core.plugin_manager
        try:
            for _pid, result in each(pm, "startup", args, order):
                if is_awaitable(result):
                    await result
            await core.scheduler.start()
            if portal.freeze_heap:
                freeze_startup_heap()
            log.info("started", extra={"plugins": ",".join(order), "version": __version__})
            yield
        finally:
            await core.scheduler.stop()
            for pid, result in each(pm, "shutdown", args, list(reversed(order))):
                try:
                    if is_awaitable(result):
                        await result
                except Exception:
                    log.exception("shutdown failed", extra={"plugin": pid})
            core.database.dispose()

    return lifespan

