"""A counter that changes whenever any stitched entity does, so read results can be cached safely.

Catalogs change far less often than they are read. Facet counts and totals are kept per process under the
current generation; any change to the catalog moves the generation on and the old entries are never used
again. Every replica reads the same counter, so no replica serves stale answers.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from greenroom.plugins.catalog.store.bulk import execute_raw
from greenroom.plugins.catalog.store.change_feed import announce

T = TypeVar("T")


def generation(conn: Connection) -> int:
    """The catalog's current generation."""
    return int(execute_raw(conn, "SELECT value FROM catalog_generation WHERE id = 1")[0][0])


def bump(conn: Connection) -> None:
    """Move the generation on; call inside the transaction that changes stitched entities, at its end so the
    row lock is held briefly. On PostgreSQL every replica's change feed hears of it once it commits."""
    execute_raw(conn, "UPDATE catalog_generation SET value = value + 1 WHERE id = 1")
    announce(conn)


class GenerationCache:
    """A bounded map of results, each valid for the generation it was computed in."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[int, Hashable], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for `key` in the current generation, computing it when absent."""
        full = (generation(conn), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value


# One cache per engine: two portals in one process (tests, or an app serving two databases) may both be at
# generation 3 of different catalogs, so a process-wide cache would hand one the other's answers.
_caches: weakref.WeakKeyDictionary[Engine, GenerationCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def results(conn: Connection) -> GenerationCache:
    """The result cache for the database `conn` belongs to."""
    with _caches_lock:
        cache = _caches.get(conn.engine)
        if cache is None:
            cache = _caches[conn.engine] = GenerationCache()
        return cache


def cached(conn: Connection, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its result from earlier in the current generation of the database `conn` belongs to."""
    return results(conn).get(conn, key, compute)


def entity_count(conn: Connection) -> int:
    """How many stitched entities the catalog holds, counted once per generation."""
    return cached(conn, ("count", "all"), lambda: int(execute_raw(conn, "SELECT COUNT(*) FROM "
                                                                        "catalog_final_entities")[0][0]))
