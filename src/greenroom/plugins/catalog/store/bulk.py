"""Fast bulk writes: COPY on PostgreSQL, executemany on SQLite, and IN-lists kept under SQLite's limits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
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
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        finally:
            cur.close()


def in_clause(conn: Connection, count: int) -> str:
    """Placeholders for an IN-list of `count` values in the driver's own parameter style."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    return ", ".join(mark for _ in range(count))


def execute_raw(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL through the driver directly (no SQLAlchemy overhead); returns rows when there are any."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
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


def relaxed_durability(conn: Connection) -> None:
    """Let this transaction commit without waiting for the disk on PostgreSQL.

    Only for processing and stitching: a crash can lose their last moments of work, never corrupt anything,
    and the loop redoes that work on its next pass.
    """
    if conn.dialect.name == "postgresql":
        execute_raw(conn, "SET LOCAL synchronous_commit = off")
