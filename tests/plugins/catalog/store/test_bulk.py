"""Bulk-write helpers against real databases: a transaction refused for a moment is written again."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from greenroom.plugins.catalog.store.bulk import write_with_retries


def test_a_deadlocked_write_is_retried_and_lands(greenroom_database_url: str) -> None:
    if not greenroom_database_url.startswith("postgresql"):
        pytest.skip("deadlocks need row locks: PostgreSQL only (SQLite waits on its busy timeout instead)")
    engine = create_engine(greenroom_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE queue (ref text PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO queue VALUES ('a', 0), ('b', 0)"))
    holding = threading.Event()
    attempts: list[int] = []

    def other() -> None:
        # Locks b, then a: the opposite order of the write below, so one of the two is chosen as the victim
        # (if it is this side, its transaction rolls back; the test is about the helper's side).
        with contextlib.suppress(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE queue SET n = n + 10 WHERE ref = 'b'"))
            holding.set()
            conn.execute(text("SELECT pg_sleep(0.3)"))
            conn.execute(text("UPDATE queue SET n = n + 10 WHERE ref = 'a'"))

    def write(conn: Connection) -> None:
        attempts.append(1)
        conn.execute(text("UPDATE queue SET n = n + 1 WHERE ref = 'a'"))
        if len(attempts) == 1:
            holding.wait(5)
        conn.execute(text("UPDATE queue SET n = n + 1 WHERE ref = 'b'"))

    thread = threading.Thread(target=other)
    thread.start()
    write_with_retries(engine, write, "a test batch")
    thread.join()
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT ref, n FROM queue")).all())
    # The helper's transaction landed exactly once, whichever side PostgreSQL picked as the deadlock victim.
    assert rows["a"] % 10 == 1 and rows["b"] % 10 == 1
    engine.dispose()


def test_a_write_that_keeps_failing_raises(greenroom_database_url: str) -> None:
    url = greenroom_database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    calls: list[int] = []

    def write(conn: Connection) -> None:
        calls.append(1)
        conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError):
        write_with_retries(engine, write, "a broken batch", attempts=3)
    assert len(calls) == 3
    engine.dispose()
