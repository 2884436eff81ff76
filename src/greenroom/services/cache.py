"""A small in-process cache with time-to-live, one namespace per plugin.

Each replica keeps its own, so plugins cache only what may be briefly stale (rendered fragments, remote reads).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any


class Cache:
    """A bounded LRU cache whose entries expire after `ttl` seconds."""

    def __init__(self, namespace: str, max_entries: int = 10_000, default_ttl: float = 300.0) -> None:
        self.namespace = namespace
        self.max_entries = max_entries
        self.default_ttl = default_ttl
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key`, or `default` when absent or expired."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return default
            expires, value = item
            if expires < time.monotonic():
                del self._data[key]
                return default
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store `value` for `ttl` seconds (the cache's default when None)."""
        with self._lock:
            self._data[key] = (time.monotonic() + (self.default_ttl if ttl is None else ttl), value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def delete(self, key: str) -> None:
        """Forget `key`."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything in this namespace."""
        with self._lock:
            self._data.clear()
