"""Entities kept by ref for `GET /entities/by-name` (api/entity_cache.py), until any change to the catalog."""

from __future__ import annotations

import functools
import re
import time

import pytest
from catalog_api_support import catalog_of
from starlette.testclient import TestClient

from greenroom.plugins.catalog.api.entity_cache import ENTRY_OVERHEAD, EntityCache
from greenroom.plugins.catalog.store.bulk import execute_raw
from greenroom.plugins.catalog.store.change_feed import ChangeFeed
from greenroom.plugins.catalog.store.generation import bump

API = "/api/catalog"
CHECKOUT = f"{API}/entities/by-name/component/default/checkout"


def _retitle_behind_the_catalogs_back(client: TestClient, title: str, bump_generation: bool) -> None:
    """Change the stored checkout entity the way no catalog write would: without moving the generation on."""
    with catalog_of(client).database.engine.begin() as conn:
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        row = execute_raw(conn, f"SELECT id, final_entity FROM catalog_final_entities WHERE entity_ref = {mark}",
                          ["component:default/checkout"])
        changed = re.sub(rb'"title":"[^"]*"', f'"title":"{title}"'.encode(), bytes(row[0][1]), count=1)
        execute_raw(conn, f"UPDATE catalog_final_entities SET final_entity = {mark} WHERE id = {mark}",
                    [changed, row[0][0]])
        if bump_generation:
            bump(conn)


def _title(client: TestClient) -> str:
    response = client.get(CHECKOUT)
    assert response.status_code == 200
    return str(response.json()["metadata"]["title"])


def _title_becomes(client: TestClient, title: str) -> bool:
    deadline = time.monotonic() + 5
    while _title(client) != title and time.monotonic() < deadline:
        time.sleep(0.02)
    return _title(client) == title


def test_a_looked_up_entity_is_kept_until_the_catalog_changes(client: TestClient) -> None:
    cache = catalog_of(client).entity_cache
    assert cache.enabled and cache.feed is not None
    if isinstance(cache.feed, ChangeFeed):
        assert cache.feed.wait_live(10)
    assert _title(client) == "Checkout Service"
    # The kept bytes answer: a change that no catalog write made (no generation moved on) does not show ...
    _retitle_behind_the_catalogs_back(client, "Behind", bump_generation=False)
    assert _title(client) == "Checkout Service"
    # ... and a real change, seen through the feed (at once on SQLite), drops what was kept.
    _retitle_behind_the_catalogs_back(client, "Changed", bump_generation=True)
    assert _title_becomes(client, "Changed")
    # Case-insensitive names share one entry, and a missing entity is never kept.
    assert client.get(f"{API}/entities/by-name/Component/default/CHECKOUT").json()["metadata"]["title"] == "Changed"
    assert client.get(f"{API}/entities/by-name/component/default/nobody").status_code == 404


def test_nothing_is_served_from_memory_while_the_feed_does_not_listen(client: TestClient) -> None:
    cache = catalog_of(client).entity_cache
    if not isinstance(cache.feed, ChangeFeed):
        pytest.skip("SQLite's feed asks the database file itself: it is always live")
    assert cache.feed.wait_live(10)
    _title(client)
    cache.feed.stop()
    _retitle_behind_the_catalogs_back(client, "Unheard", bump_generation=False)
    assert _title(client) == "Unheard"


class _Feed:
    """A stand-in for the feed's two readings, to drive the cache's bookkeeping by hand."""

    def __init__(self) -> None:
        self.epoch = 1
        self.live = True


def test_the_cache_keeps_within_its_budget_and_forgets_on_a_new_epoch() -> None:
    feed = _Feed()
    cache = EntityCache(feed, max_bytes=2 * (10 + ENTRY_OVERHEAD) + 5)  # type: ignore[arg-type]
    reads: list[str] = []

    def load(ref: str) -> bytes:
        reads.append(ref)
        return ref.encode() * 10

    for ref in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(ref, functools.partial(load, ref)) == ref.encode() * 10
    # Two 10-byte entries fit: "c" pushed out the least recently used "b", which was read again.
    assert reads == ["a", "b", "c", "b"]
    feed.epoch = 2
    cache.get("a", lambda: load("a"))
    assert reads[-1] == "a"
    # An entity read while the epoch moved is returned but not kept.
    def moving() -> bytes:
        feed.epoch = 3
        return b"x"
    cache.get("d", moving)
    cache.get("d", lambda: load("d"))
    assert reads[-1] == "d"
    assert cache.get("big", lambda: b"y" * 26 * 20) == b"y" * 26 * 20
    assert cache.get("big", lambda: load("big")) == b"big" * 10 and reads[-1] == "big"
