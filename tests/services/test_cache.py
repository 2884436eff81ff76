from __future__ import annotations

import time

from greenroom.services.cache import Cache


def test_get_set_expire_delete() -> None:
    cache = Cache("p", default_ttl=0.05)
    cache.set("a", 1)
    cache.set("b", 2, ttl=10)
    assert cache.get("a") == 1
    time.sleep(0.08)
    assert cache.get("a", "gone") == "gone"
    assert cache.get("b") == 2
    cache.delete("b")
    assert cache.get("b") is None


def test_bounded_lru() -> None:
    cache = Cache("p", max_entries=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")
    cache.set("c", 3)
    assert cache.get("a") == 1 and cache.get("b") is None and cache.get("c") == 3
    cache.clear()
    assert cache.get("a") is None
