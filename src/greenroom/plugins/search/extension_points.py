"""Hooks the search plugin publishes: other plugins add document collators and search engines.

Collators are asked once every plugin has started, so an implementation can hand back objects its own `startup`
hook built with its context; `services` is the portal's registry of published APIs: look up what your
collator needs (your own service, the catalog's, …) there, so each portal in a process gets its own. Engines
are asked when the search plugin starts.
"""

from __future__ import annotations

from typing import Any

from greenroom import ServiceRegistry, hookspec


@hookspec
def search_collators(services: ServiceRegistry) -> list[Any]:
    """Return collators: objects with `type` and `documents()`, optionally `changes(checkpoint)`."""
    raise NotImplementedError


@hookspec
def search_engines() -> list[Any]:
    """Return `EngineFactory` objects; `search.engine` selects one by name."""
    raise NotImplementedError
