"""The database service on PostgreSQL: plans made for each statement's values, and pooled connections that died
while idle replaced without the caller noticing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from greenroom import db as db_module
from greenroom.config.models import DatabaseConfig
from greenroom.db import Database


@pytest.fixture
def database(greenroom_database_url: str) -> Database:
    if not greenroom_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connection settings")
    return Database(DatabaseConfig(url=greenroom_database_url, poolSize=1))


def test_statements_are_planned_for_their_values(database: Database) -> None:
    with database.engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    database.dispose()


def test_lookups_run_outside_transactions_with_generic_plans(database: Database) -> None:
    from psycopg.pq import TransactionStatus

    with database.reader.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        raw = conn.connection.driver_connection
        assert raw is not None and raw.info.transaction_status == TransactionStatus.IDLE
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with database.reader.connect() as conn:  # the same connection again: nothing was left open on it
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
    with database.engine.connect() as conn:  # transactions have a pool of their own
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    database.dispose()


@pytest.mark.parametrize("pool", ["engine", "reader"])
def test_a_connection_that_died_while_idle_is_replaced(database: Database, monkeypatch: pytest.MonkeyPatch,
                                                       pool: str) -> None:
    engine = getattr(database, pool)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as conn:  # used a moment ago: no ping, the same connection
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
    admin = Database(DatabaseConfig(url=str(database.engine.url.render_as_string(hide_password=False))))
    with admin.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    admin.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had been idle for long
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    database.dispose()


def test_a_bulk_writes_cache_grows_with_the_database_within_bounds() -> None:
    from greenroom.db import SQLITE_BULK_CACHE_KIB, bulk_cache_kib

    least, most = SQLITE_BULK_CACHE_KIB
    assert bulk_cache_kib(0, 4096) == least
    assert least < bulk_cache_kib(100_000, 4096) < most  # a 400 MB file
    assert bulk_cache_kib(10**7, 4096) == most


def test_a_bulk_write_takes_its_cache_and_gives_it_back(tmp_path: Path) -> None:
    from greenroom.db import SQLITE_BULK_CACHE_KIB, SQLITE_CACHE_KIB, bulk_cache

    database = Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'bulk.db'}"))
    try:
        with database.engine.connect() as conn:
            def cache() -> int:
                return int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
            with bulk_cache(conn):
                assert cache() == -SQLITE_BULK_CACHE_KIB[0]  # a new, small file
            assert cache() == SQLITE_CACHE_KIB
    finally:
        database.dispose()
