"""Fast bulk writes: COPY on PostgreSQL, executemany on SQLite, and IN-lists kept under SQLite's limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from greenroom.db import bulk_cache

T = TypeVar("T")
log = logging.getLogger("greenroom.plugin.catalog.store")
CHUNK = 500  # well below SQLite's bound-variable limit, so no statement ever fails on a large catalog


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows as fast as the database allows; `table` and `columns` are trusted identifiers."""
    if not rows:
        return
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        # Binary, because the text format escapes every value on both sides, and bytea as hex, twice its size: a
        # 50,000-entity import's rows took 1.0 s of the portal's CPU to format as text and 0.3 s as binary, and
        # the server finished them a fifth sooner.
        types = _column_types(raw, table, columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        finally:
            cur.close()


# Column type oids by table and columns: binary COPY must name them, and a table's columns do not change while
# the portal runs.
_COLUMN_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _column_types(raw: Any, table: str, columns: Sequence[str]) -> list[int]:
    key = (table, tuple(columns))
    found = _COLUMN_TYPES.get(key)
    if found is None:
        with raw.cursor() as cur:
            cur.execute("SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass "
                        "AND attnum > 0 AND NOT attisdropped", (table,))
            oids = dict(cur.fetchall())
        found = _COLUMN_TYPES[key] = [oids[c] for c in columns]
    return found


def in_clause(conn: Connection, count: int) -> str:
    """Placeholders for an IN-list of `count` values in the driver's own parameter style."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    return ", ".join(mark for _ in range(count))


def execute_raw(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL through the driver directly (no SQLAlchemy overhead); returns rows when there are any."""
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    return execute_driver(raw, conn.dialect.name == "postgresql", sql, params)


def execute_driver(raw: Any, postgres: bool, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """`execute_raw` on a DB-API connection."""
    # psycopg fetches in binary when asked: stored entities are bytea, whose text form is hex, twice the bytes
    # to send and to decode (a 10,000-entity dump read five times faster).
    cur = raw.cursor(binary=True) if postgres else raw.cursor()
    try:
        cur.execute(sql, tuple(params))
        return list(cur.fetchall()) if cur.description else []
    finally:
        cur.close()


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """One statement for many parameter rows (psycopg pipelines them; sqlite3 loops in C)."""
    if not rows:
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.executemany(sql, rows)
    finally:
        cur.close()


def bulk_transaction(conn: Connection) -> None:
    """Set up a processing or stitching transaction on PostgreSQL: it commits without waiting for the disk, and
    its statements may run on generic plans.

    Durability: a crash can lose the last moments of their work, never corrupt anything, and the loop redoes
    that work on its next pass. Plans: the portal plans every statement for its own values (see greenroom.db),
    which filters over skewed values need; these transactions look rows up by key, one statement for each of
    thousands of rows, and planning each anew took a sixth of the server's work in an import.
    """
    if conn.dialect.name == "postgresql":
        execute_raw(conn, "SELECT set_config('synchronous_commit', 'off', true), "
                          "set_config('plan_cache_mode', 'auto', true)")


# Tables whose planner statistics a large import makes stale.
_ANALYZED = ("catalog_search", "catalog_final_entities", "catalog_relations", "catalog_refresh_state",
             "catalog_references")


def refresh_statistics(engine: Engine) -> None:
    """Let PostgreSQL's planner see the catalog as it is now, after a large import, and vacuum it.

    Autovacuum would get there within a minute or so, but until then the planner believes the tables are
    nearly empty and chooses plans that read every match of a filter to sort it, index-only scans still visit
    the table, and the first reads of each new row pay for marking it committed. SQLite needs none of this."""
    if engine.dialect.name == "postgresql":
        # VACUUM cannot run inside a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            execute_raw(conn, f"VACUUM (ANALYZE) {', '.join(_ANALYZED)}")


def write_with_retries(engine: Engine, write: Callable[[Connection], T], what: str, attempts: int = 4) -> T:
    """Run `write` in a relaxed-durability transaction, again when the database refuses it for a moment.

    Another replica or the stitch helper may hold rows the transaction writes (a deadlock on PostgreSQL, a busy
    file on SQLite); the transaction then rolled back whole, so running it again is safe.
    """
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as conn, bulk_cache(conn), conn.begin():
                bulk_transaction(conn)
                return write(conn)
        except DBAPIError as exc:
            if attempt == attempts:
                raise
            log.warning("writing %s failed, retrying", what, extra={"attempt": attempt,
                                                                    "error": str(exc.orig or exc)[:300]})
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
