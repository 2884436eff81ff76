"""The search rows' `(key, value, entity)` index, built once after a large import instead of row by row.

Every stitched entity adds about thirty search rows, and each lands somewhere else in that index. Once the
index outgrows the page cache, nearly every row costs a page read and a page write: stitching the 50,000
entities of the benchmark catalog into an empty SQLite database took 19-21 s with the index kept up to date,
and 11 s without it, after which building the index took 3 s. So when the stitch queue holds more entities
than the catalog has stitched (a first import, or an import that more than doubles the catalog), stitching
drops the index, and whoever finds the queue empty builds it again.

Meanwhile every query still gives the same answers, only filtered ones slower. A replica or process that dies
in between leaves nothing to repair by hand: the next empty queue builds the index, as does a catalog start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from greenroom.db import SQLITE_TEMP_STORE
from greenroom.plugins.catalog.store.bulk import execute_raw

log = logging.getLogger("greenroom.plugin.catalog.store")

INDEX = "catalog_search_key_value"
# Below this many queued entities keeping the index up to date costs little, and filtered reads stay fast.
SUSPEND_MIN_QUEUED = 5000
_BUILD_LOCK = 7_007_008  # next to the migrations' advisory lock (greenroom.migrate)
_CREATE = f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_search (key, value, entity)"


def present(conn: Connection) -> bool:
    """True when the index exists."""
    if conn.dialect.name == "postgresql":
        sql = "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?"
    return bool(execute_raw(conn, sql, [INDEX]))


def worth_suspending(queued: int, stitched: int) -> bool:
    """True when building the index afresh after stitching `queued` entities beats keeping it up to date for
    them, on a catalog of `stitched` entities: only for imports larger than what is there already."""
    return queued >= SUSPEND_MIN_QUEUED and queued > stitched


def suspend(engine: Engine, queued: int) -> bool:
    """Drop the index for an import of `queued` entities (see `worth_suspending`); True if dropped."""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Dropping waits for every reader of the table; a replica busy reading is not worth stalling for.
                execute_raw(conn, "SET LOCAL lock_timeout = '2s'")
            execute_raw(conn, f"DROP INDEX IF EXISTS {INDEX}")
    except DBAPIError as exc:
        log.info("kept the search index up to date during an import", extra={"error": str(exc.orig or exc)[:300]})
        return False
    log.info("dropped the search index for a large import", extra={"queued": queued})
    return True


@contextmanager
def _sorting_on_disk(conn: Connection) -> Iterator[None]:
    # SQLite sorts the rows of a new index in temporary storage, which the portal keeps in memory: 200 MB for the
    # 1.5 million rows of 50,000 entities. In files, with the connection's small page cache, it peaked at 30 MB
    # and took 2.0 s instead of 4.5.
    raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
    if raw is None:
        yield
        return
    raw.execute("PRAGMA temp_store=FILE")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")


def restore(engine: Engine) -> bool:
    """Build the index if it is missing; True if this call built it. Call when the stitch queue is empty."""
    started = time.monotonic()
    try:
        with engine.connect() as conn, _sorting_on_disk(conn), conn.begin():
            if conn.dialect.name == "postgresql":
                # Two replicas building it at once would both fail on its name; SQLite's write lock does this.
                execute_raw(conn, "SELECT pg_advisory_xact_lock(%s)", [_BUILD_LOCK])
            if present(conn):
                return False
            execute_raw(conn, _CREATE)
    except DBAPIError:
        # On SQLite, a writer that waited longer than the busy timeout while another process built it.
        with engine.connect() as conn:
            if present(conn):
                return False
        raise
    log.info("built the search index after a large import", extra={"seconds": round(time.monotonic() - started, 2)})
    return True
