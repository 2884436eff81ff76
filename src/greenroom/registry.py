"""Finding, enabling, ordering and calling plugins.

Plugins are modules named by entry points in the `greenroom.plugins` group, each with a `manifest`. The ones
inside `greenroom.plugins.*` are built in and on by default; every other is on only when
`plugins.enable` lists it. Any plugin can be switched off with `plugins.disable`. Only enabled plugins are
imported, so a broken plugin that nobody enabled cannot stop the portal.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from greenroom import __version__, hookspecs
from greenroom.config.models import PluginsConfig
from greenroom.manifest import PluginManifest

ENTRY_POINT_GROUP = "greenroom.plugins"
BUILTIN_PREFIX = "greenroom.plugins."


class PluginError(Exception):
    """A plugin cannot be loaded or set up; the message names the plugin."""


@dataclass(frozen=True)
class LoadedPlugin:
    """An enabled plugin: its manifest, module, where it came from and whether it is built in."""

    manifest: PluginManifest
    module: ModuleType
    builtin: bool
    distribution: str | None

    @property
    def id(self) -> str:
        return self.manifest.id


@dataclass(frozen=True)
class Available:
    """An installed plugin, enabled or not, as the plugins page lists it."""

    id: str
    target: str
    builtin: bool
    distribution: str | None


def discover() -> dict[str, Available]:
    """Every plugin installed in this environment, by id; two with one id is an error naming both."""
    found: dict[str, Available] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        item = _available(ep)
        if item.id in found and found[item.id].target != item.target:
            other = found[item.id]
            raise PluginError(
                f"plugin id {item.id!r} is claimed by two packages: {other.target} "
                f"({other.distribution}) and {item.target} ({item.distribution})"
            )
        found[item.id] = item
    return found


def _available(ep: EntryPoint) -> Available:
    dist = ep.dist.name if ep.dist is not None else None
    return Available(id=ep.name, target=ep.value, builtin=ep.value.startswith(BUILTIN_PREFIX), distribution=dist)


def _import(item: Available) -> ModuleType:
    try:
        loaded = EntryPoint(name=item.id, value=item.target, group=ENTRY_POINT_GROUP).load()
    except Exception as exc:
        raise PluginError(f"plugin {item.id!r} ({item.target}) failed to import: "
                          f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(loaded, ModuleType):
        raise PluginError(f"plugin {item.id!r}: entry point {item.target} must name a module")
    return loaded


def manifest_of(module: ModuleType, expected_id: str | None = None) -> PluginManifest:
    """The module's `manifest`, checked; errors name the module."""
    manifest = getattr(module, "manifest", None)
    if not isinstance(manifest, PluginManifest):
        raise PluginError(f"plugin module {module.__name__} has no `manifest = PluginManifest(...)`")
    problems = manifest.problems()
    if not _supports_core(manifest.core_versions):
        problems.append(f"supports core versions {manifest.core_versions!r}, but this is Greenroom {__version__}")
    if expected_id is not None and manifest.id != expected_id:
        problems.append(f"entry point is named {expected_id!r} but the manifest id is {manifest.id!r}")
    if problems:
        raise PluginError(f"plugin {manifest.id!r} ({module.__name__}): " + "; ".join(problems))
    return manifest


def _supports_core(spec: str) -> bool:
    try:
        return Version(__version__) in SpecifierSet(spec)
    except InvalidSpecifier:
        return False


def select(config: PluginsConfig, installed: dict[str, Available],
           extra: Iterable[ModuleType] = ()) -> list[LoadedPlugin]:
    """Import and check the enabled plugins, returned in dependency order."""
    for name in [*config.enable, *config.disable]:
        if name not in installed:
            raise PluginError(f"plugins.enable/disable names {name!r}, but no installed plugin has that id "
                              f"(installed: {', '.join(sorted(installed)) or 'none'})")
    chosen: dict[str, LoadedPlugin] = {}
    for item in installed.values():
        on = (item.builtin or item.id in config.enable) and item.id not in config.disable
        if on:
            module = _import(item)
            chosen[item.id] = LoadedPlugin(manifest_of(module, item.id), module, item.builtin, item.distribution)
    for module in extra:
        manifest = manifest_of(module)
        if manifest.id in chosen:
            raise PluginError(f"plugin id {manifest.id!r} of {module.__name__} is already taken by "
                              f"{chosen[manifest.id].module.__name__}")
        chosen[manifest.id] = LoadedPlugin(manifest, module, False, None)
    return _ordered(chosen)


def _ordered(plugins: dict[str, LoadedPlugin]) -> list[LoadedPlugin]:
    order: list[LoadedPlugin] = []
    state: dict[str, str] = {}

    def visit(pid: str, chain: tuple[str, ...]) -> None:
        if state.get(pid) == "done":
            return
        if state.get(pid) == "visiting":
            raise PluginError("plugins require each other in a cycle: " + " -> ".join((*chain, pid)))
        state[pid] = "visiting"
        for need in plugins[pid].manifest.requires:
            if need not in plugins:
                raise PluginError(f"plugin {pid!r} requires plugin {need!r}, which is not enabled")
            visit(need, (*chain, pid))
        state[pid] = "done"
        order.append(plugins[pid])

    for pid in sorted(plugins, key=lambda p: (not plugins[p].builtin, p)):
        visit(pid, ())
    return order


def plugin_manager(plugins: list[LoadedPlugin]) -> pluggy.PluginManager:
    """A pluggy manager with the core's hookspecs, the plugins' published hookspecs and every plugin."""
    pm = pluggy.PluginManager("greenroom")
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        if plugin.manifest.hookspecs is not None:
            pm.add_hookspecs(plugin.manifest.hookspecs)
    for plugin in plugins:
        try:
            pm.register(plugin.module, name=plugin.id)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {plugin.id!r}: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"a plugin implements a hook nobody declares (a typo?): {exc}") from exc
    return pm


def each(pm: pluggy.PluginManager, hook_name: str, args: dict[str, dict[str, Any]],
         order: list[str]) -> Iterator[tuple[str, Any]]:
    """Call `hook_name` plugin by plugin in `order`, each with its own arguments; yields (plugin id, result).

    pluggy would hand every implementation the same arguments; calling one by one lets each plugin receive its
    own context and lets errors name the plugin that raised them.
    """
    impls = {impl.plugin_name: impl for impl in getattr(pm.hook, hook_name).get_hookimpls()}
    for pid in order:
        impl = impls.get(pid)
        if impl is None:
            continue
        kwargs = args[pid]
        try:
            result = impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:
            raise PluginError(f"plugin {pid!r} failed in hook {hook_name}: {type(exc).__name__}: {exc}") from exc
        yield pid, result


def is_awaitable(value: Any) -> bool:
    """True for the coroutine an `async def` hook returns."""
    return inspect.isawaitable(value)
