"""The catalog's change feeds (store/change_feed.py): LISTEN/NOTIFY on a real PostgreSQL server, and SQLite's."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from greenroom.db import normalise_url
from greenroom.plugins.catalog.store.change_feed import ChangeFeed, DataVersionFeed
from greenroom.plugins.catalog.store.generation import bump
from greenroom.testing import create_postgres_database


def _create_generation(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE catalog_generation (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)"))
        conn.execute(text("INSERT INTO catalog_generation VALUES (1, 0)"))


@pytest.fixture
def engine() -> Iterator[Engine]:
    if "postgresql" not in os.environ.get("GREENROOM_TEST_BACKENDS", "sqlite,postgresql"):
        pytest.skip("PostgreSQL is not among GREENROOM_TEST_BACKENDS")
    url, drop = create_postgres_database()
    engine = create_engine(normalise_url(url))
    _create_generation(engine)
    yield engine
    engine.dispose()
    drop()


@pytest.fixture
def feed(engine: Engine) -> Iterator[ChangeFeed]:
    feed = ChangeFeed(engine)
    feed.start()
    assert feed.wait_live(10)
    yield feed
    feed.stop()


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_another_replicas_committed_change_is_heard_and_a_rolled_back_one_is_not(engine: Engine,
                                                                                 feed: ChangeFeed) -> None:
    replica = create_engine(engine.url)
    try:
        before = feed.epoch
        with replica.connect() as conn:
            bump(conn)
            conn.rollback()
        time.sleep(0.3)
        assert feed.epoch == before
        with replica.begin() as conn:
            bump(conn)
        assert _eventually(lambda: feed.epoch > before)
        assert feed.live
    finally:
        replica.dispose()


def test_a_change_committed_in_this_process_moves_the_epoch_before_its_notification_arrives(
        engine: Engine, feed: ChangeFeed) -> None:
    before = feed.epoch
    with engine.begin() as conn:
        bump(conn)
    # No waiting: the connection's return to the pool told the feed.
    assert feed.epoch > before


def test_the_feed_reconnects_when_its_connection_is_killed_and_counts_that_as_a_change(
        engine: Engine, feed: ChangeFeed) -> None:
    before = feed.epoch
    with engine.begin() as conn:
        killed = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                   "datname = current_database() AND pid <> pg_backend_pid() AND "
                                   "query LIKE 'LISTEN%'")).fetchall()
    assert killed == [(True,)]
    assert _eventually(lambda: feed.epoch >= before + 2 and feed.live)
    heard = feed.epoch
    with engine.begin() as conn:
        bump(conn)
    assert _eventually(lambda: feed.epoch > heard)


def test_a_stopped_feed_is_not_live(engine: Engine) -> None:
    feed = ChangeFeed(engine)
    assert not feed.live and not feed.wait_live(0.05)
    feed.start()
    assert feed.wait_live(10)
    feed.stop()
    assert not feed.live


def test_sqlites_feed_moves_on_a_new_generation_from_any_connection_and_not_on_other_writes(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    engine = create_engine(f"sqlite:///{path}")
    _create_generation(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bookkeeping (n INTEGER)"))
    feed = DataVersionFeed(str(path))
    try:
        first = feed.epoch
        assert feed.epoch == first and feed.live
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bookkeeping VALUES (1)"))
        assert feed.epoch == first
        with engine.connect() as conn:
            bump(conn)
            conn.rollback()
        assert feed.epoch == first
        with engine.begin() as conn:
            bump(conn)
        assert feed.epoch == first + 1
    finally:
        feed.stop()
        engine.dispose()
