"""Stored entities kept in this process by ref, for the busiest lookup of the API (`GET /entities/by-name`).

On PostgreSQL a lookup is a round trip to the database server, which costs more than the rest of the request:
a replica answering from memory serves several times as many lookups (on SQLite, a fifth more). What is kept
is the stored entity exactly as the database returned it, and it is used only while the change feed
(`store/change_feed.py`) is live and has seen no change since it was read: any change to the catalog, from any
replica or process, drops it all.
Permission checks are not kept; they run on every request as before. Entities that are not found are not
kept either, so a new entity shows as soon as it is stitched.

The cache is bounded by the bytes of the entities it holds, least recently used going first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from greenroom.plugins.catalog.store.change_feed import Feed

# What an entry costs beyond the entity's bytes: the bytes object's header, the key and the map's node.
ENTRY_OVERHEAD = 200


class EntityCache:
    """Serialized entities by ref, valid for one epoch of `feed`; with no feed or no budget it keeps nothing."""

    def __init__(self, feed: Feed | None, max_bytes: int) -> None:
        self.feed = feed
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._epoch = -1
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.feed is not None and self.max_bytes > 0

    def get(self, ref: str, load: Callable[[], bytes | None]) -> bytes | None:
        """The entity stored as `ref`: kept, or `load()`ed and kept when the catalog did not change meanwhile."""
        feed = self.feed
        if feed is None or self.max_bytes <= 0 or not feed.live:
            return load()
        epoch = feed.epoch
        with self._lock:
            if epoch != self._epoch:
                self._drop_all(epoch)
            else:
                found = self._items.get(ref)
                if found is not None:
                    self._items.move_to_end(ref)
                    return found
        data = load()
        # Kept only if no change was heard while it was read: the read may have seen the state before it.
        size = len(data) + ENTRY_OVERHEAD if data is not None else 0
        if data is not None and size <= self.max_bytes and feed.live and feed.epoch == epoch:
            with self._lock:
                if self._epoch == epoch and ref not in self._items:
                    self._items[ref] = data
                    self._bytes += size
                    while self._bytes > self.max_bytes:
                        self._bytes -= len(self._items.popitem(last=False)[1]) + ENTRY_OVERHEAD
        return data

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._drop_all(self._epoch)

    def _drop_all(self, epoch: int) -> None:
        self._items.clear()
        self._bytes = 0
        self._epoch = epoch
