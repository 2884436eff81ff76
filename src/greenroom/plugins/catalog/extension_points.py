"""Hooks the catalog publishes: other plugins add processors, location readers, providers and kinds.

They are asked once every plugin has started, so an implementation can hand back objects its own `startup`
hook built with its context.
"""

from __future__ import annotations

from typing import Any

from greenroom import hookspec


@hookspec
def catalog_processors() -> list[Any]:
    """Return catalog processors (objects with `name` and any of `pre_process`, `post_process`)."""
    raise NotImplementedError


@hookspec
def catalog_location_readers() -> list[Any]:
    """Return location readers: callables `(location, optional, emit, parent) -> bool`."""
    raise NotImplementedError


@hookspec
def catalog_entity_providers() -> list[Any]:
    """Return entity providers (objects with `name` and `connect(connection)`)."""
    raise NotImplementedError


@hookspec
def catalog_kind_validators() -> list[Any]:
    """Return validators for custom kinds, or extra policies for built-in ones (see the model package)."""
    raise NotImplementedError
