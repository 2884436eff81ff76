"""The database service: one SQLAlchemy engine for the portal, SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Engine, Float, MetaData, String, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from greenroom.config.models import DatabaseConfig
from greenroom.wal import SAFETY_AUTOCHECKPOINT_PAGES, WalCheckpointer

core_metadata = MetaData()

scheduled_jobs_table = Table(
    "core_scheduled_jobs",
    core_metadata,
    Column("id", String(200), primary_key=True),
    Column("next_run_at", Float, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Float, nullable=False),
)


SQLITE_CACHE_KIB = -8192  # negative: KiB, SQLite's convention
SQLITE_TEMP_STORE = "MEMORY"  # temporary tables and sorts
# A bulk write's cache grows with the database: it holds the index pages that thousands of inserts touch, and
# those are a share of the file. Two processes write during a large import (the server and the stitch
# helper), each with its own cache. On the benchmark catalog, importing 50,000 entities (a 600 MB file) peaked
# at 450 MB with a fixed 64 MB cache and at 380 MB with this share, taking 21 and 22-24 s; at 100,000 (1.2 GB)
# a fixed 16 MB cache made the import 13 s slower than 64 MB, and this share about 5 s.
SQLITE_BULK_CACHE_SHARE = 20  # one KiB of cache per this many of the file
SQLITE_BULK_CACHE_KIB = (16384, 65536)  # at least, at most


def bulk_cache_kib(page_count: int, page_size: int) -> int:
    """The bulk write cache for a database file of `page_count` pages, in KiB (positive)."""
    least, most = SQLITE_BULK_CACHE_KIB
    return max(least, min(most, page_count * page_size // 1024 // SQLITE_BULK_CACHE_SHARE))


@contextmanager
def bulk_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for a bulk write on `conn`, given back afterwards: index pages stay in memory
    while thousands of rows go in. Nothing on PostgreSQL."""
    raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
    if raw is None:
        yield
        return
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    size = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{bulk_cache_kib(int(pages), int(size))}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers go on while the processing loop writes; busy_timeout rides out short write locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # Each pooled connection keeps its own page cache, mostly copies of what the system already caches: a
    # modest one, so a 70 MB dump read through five connections does not leave 320 MB of it in the server.
    # Bulk writers take a larger one while they write (`bulk_cache`). Checkpoints are a background thread's job
    # (greenroom.wal); the automatic one is only a safety net.
    cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
    cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT_PAGES}")
    cur.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
    cur.close()


# Plan every statement for its own values. psycopg prepares a statement it has run five times, and PostgreSQL
# then soon settles on a generic plan, blind to the values: for `key = 'kind' AND value = 'component'` (half the
# catalog) that plan collected and sorted every match to return a page of 100, six times slower than the plan
# for those values. Catalog filters are that skewed, and planning them costs a fraction of a millisecond.
_POSTGRES_OPTIONS = "-c plan_cache_mode=force_custom_plan"
# Lookups by key have a small pool of their own (see `Database.reader`), so this many more connections per
# process, and as many again in a burst.
READER_POOL_SIZE = 2
# A pooled connection idle this long is checked before use (the server may have restarted or dropped it); one
# in steady use is not, which spares a round trip on every request.
PING_AFTER_IDLE_SECONDS = 10.0
_LAST_USED = "greenroom.last_used"


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    last = record.info.get(_LAST_USED)
    if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT 1")
        finally:
            cur.close()
        dbapi_conn.rollback()
    except Exception as exc:
        # The pool drops this connection and hands out a fresh one (up to three times).
        raise DisconnectionError("a pooled connection did not answer") from exc


def _mark_used(_dbapi_conn: Any, record: Any) -> None:
    record.info[_LAST_USED] = time.monotonic()


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain `postgresql://` and `postgres://` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Database:
    """The engine and a session factory; plugins own tables prefixed with their id."""

    def __init__(self, config: DatabaseConfig) -> None:
        self.checkpointer: WalCheckpointer | None = None
        #: Connections for a read that is one statement (a lookup by key): on PostgreSQL they run it outside a
        #: transaction, one round trip in place of three. Never use it for several statements that must agree.
        self.reader: Engine
        url = make_url(normalise_url(config.url))
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False})
            self.reader = self.engine
            event.listen(self.engine, "connect", _sqlite_pragmas)
            path = url.database or ""
            if path and path != ":memory:" and not path.startswith("file:"):
                checkpointer = self.checkpointer = WalCheckpointer(path)
                # Started by the first connection, so a Database never used costs no thread.
                event.listen(self.engine, "connect", lambda *_: checkpointer.start())
        elif self.dialect == "postgresql":
            own = str(url.query.get("options") or "")
            options = " ".join(o for o in (own, _POSTGRES_OPTIONS) if o)
            # Last in, first out: the connection just returned is the one whose server process is awake.
            self.engine = create_engine(url, pool_size=config.poolSize, max_overflow=config.poolSize,
                                        pool_use_lifo=True, connect_args={"options": options})
            # psycopg opens a transaction with a BEGIN of its own, and the pool ends it with a ROLLBACK: three
            # round trips for one SELECT. A statement on its own needs no transaction to see a consistent state.
            # Connections that are in autocommit from the start spare SQLAlchemy switching them there and back
            # on every checkout, and nothing is left to roll back on return: a lookup's Python side took a
            # third less time. Their statements are lookups by key, for which PostgreSQL's generic plan is
            # the right one, so they keep its default plan caching.
            self.reader = create_engine(url, pool_size=READER_POOL_SIZE, max_overflow=READER_POOL_SIZE,
                                        pool_use_lifo=True, pool_reset_on_return=None,
                                        connect_args={"options": own, "autocommit": True})
            for engine in (self.engine, self.reader):
                event.listen(engine, "checkout", _ping_if_idle)
                event.listen(engine, "checkin", _mark_used)
        else:
            raise ValueError(f"backend.database.url: unsupported database {self.dialect!r}; "
                             "use sqlite:///path or postgresql://…")
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction that commits when the block ends without error."""
        with self.sessions.begin() as session:
            yield session

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        """Close every pooled connection (and stop checkpointing)."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()
