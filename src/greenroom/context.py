"""What each plugin is handed: its own config and logger, and the core services it may use."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import pluggy
from pydantic import BaseModel

from greenroom.config.models import CoreConfig
from greenroom.db import Database
from greenroom.manifest import PluginManifest
from greenroom.services.audit import AuditService
from greenroom.services.cache import Cache
from greenroom.services.identity import IdentityService
from greenroom.services.permissions import PermissionService
from greenroom.services.scheduler import Scheduler
from greenroom.services.url_reader import UrlReader
from greenroom.web.templating import Templates

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceRef(Generic[T]):
    """A typed key under which a plugin publishes an API for other plugins, e.g. the catalog's client."""

    id: str


class ServiceRegistry:
    """Published plugin APIs. Plugins use each other only through these, never through internals."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, Any]] = {}

    def provide(self, ref: ServiceRef[T], impl: T, *, owner: str) -> None:
        """Publish `impl` under `ref`; publishing one ref twice is an error naming both plugins."""
        if ref.id in self._items:
            raise ValueError(f"service {ref.id!r} of plugin {owner!r} is already provided by "
                             f"plugin {self._items[ref.id][0]!r}")
        self._items[ref.id] = (owner, impl)

    def get(self, ref: ServiceRef[T]) -> T:
        """The implementation published under `ref`; KeyError when no enabled plugin provides it."""
        if ref.id not in self._items:
            raise KeyError(f"no enabled plugin provides service {ref.id!r}")
        return cast(T, self._items[ref.id][1])

    def find(self, ref: ServiceRef[T]) -> T | None:
        """Like `get`, but None when absent, for optional integrations."""
        item = self._items.get(ref.id)
        return cast(T, item[1]) if item else None


@dataclass
class CoreServices:
    """The services shared by every plugin of one app."""

    config: CoreConfig
    database: Database
    scheduler: Scheduler
    url_reader: UrlReader
    identity: IdentityService
    permissions: PermissionService
    services: ServiceRegistry
    plugin_manager: pluggy.PluginManager
    templates: Templates
    audit: AuditService = field(default_factory=AuditService)
    # Every running plugin's context, in start-up order (filled once they are all made).
    contexts: dict[str, PluginContext] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        """pluggy's hook relay: call the extension-point hooks that plugins publish."""
        return self.plugin_manager.hook

    def call_each(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call an extension-point hook plugin by plugin, each implementation with its own plugin's context
        (when it takes a `ctx` argument); returns (plugin id, result) pairs."""
        from greenroom.registry import each  # the registry imports the hookspecs, which import this module

        args = {pid: {"ctx": ctx} for pid, ctx in self.contexts.items()}
        return list(each(self.plugin_manager, hook_name, args, list(self.contexts)))


@dataclass
class PluginContext:
    """Handed to every hook: the plugin's manifest, typed config, logger, cache and the core services."""

    plugin: PluginManifest
    config: BaseModel | None
    core: CoreServices
    logger: logging.Logger
    cache: Cache

    @property
    def app_config(self) -> CoreConfig:
        return self.core.config

    @property
    def database(self) -> Database:
        return self.core.database

    @property
    def scheduler(self) -> Scheduler:
        return self.core.scheduler

    @property
    def url_reader(self) -> UrlReader:
        return self.core.url_reader

    @property
    def identity(self) -> IdentityService:
        return self.core.identity

    @property
    def permissions(self) -> PermissionService:
        return self.core.permissions

    @property
    def audit(self) -> AuditService:
        return self.core.audit

    @property
    def services(self) -> ServiceRegistry:
        return self.core.services

    @property
    def hook(self) -> Any:
        return self.core.hook

    @property
    def templates(self) -> Templates:
        return self.core.templates

    def provide(self, ref: ServiceRef[T], impl: T) -> None:
        """Publish an API of this plugin for other plugins."""
        self.core.services.provide(ref, impl, owner=self.plugin.id)
