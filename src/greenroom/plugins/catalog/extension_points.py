"""Hooks the catalog publishes: other plugins add processors, location readers, providers and kinds.

They are asked once every plugin has started (before the first processing pass), each implementation with its
own plugin's context when it takes a `ctx` argument, so it can hand back objects its `startup` hook built.
The types to implement are in `greenroom.plugins.catalog.extensions`.
"""

from __future__ import annotations

from typing import Any

from greenroom import PluginContext, hookspec


@hookspec
def catalog_processors(ctx: PluginContext) -> list[Any]:
    """Return catalog processors (objects with `name` and any of `pre_process`, `post_process`)."""
    raise NotImplementedError


@hookspec
def catalog_location_readers(ctx: PluginContext) -> list[Any]:
    """Return location readers: callables `(location, optional, emit, parent) -> bool`."""
    raise NotImplementedError


@hookspec
def catalog_entity_providers(ctx: PluginContext) -> list[Any]:
    """Return entity providers (objects with `name` and `connect(connection)`)."""
    raise NotImplementedError


@hookspec
def catalog_kind_validators(ctx: PluginContext) -> list[Any]:
    """Return validators for custom kinds, or extra policies for built-in ones (see the model package)."""
    raise NotImplementedError
