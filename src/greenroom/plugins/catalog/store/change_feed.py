"""Tells this process that some replica or process changed the stitched catalog, so kept answers can be dropped.

Every transaction that moves the catalog's generation on (`generation.bump`) also sends a NOTIFY on
`CHANNEL`; PostgreSQL delivers it to every listening connection once the transaction commits, never before. A
`ChangeFeed` listens on a connection of its own, in a thread, and counts what it hears in `epoch`. An answer
computed while `epoch` stayed the same, and kept under that epoch, is as fresh as a new read, except for the
moment between a commit and the delivery of its notification.

While the feed is not listening (not yet connected, or the connection broke) `live` is False and nothing may
be served from what was kept; every reconnection moves the epoch on too, since the catalog may have changed
while nobody listened.

SQLite has no notifications, but one database file and cheap local reads: a `DataVersionFeed` asks SQLite,
whenever its epoch is read, whether any other connection committed since it last asked (`PRAGMA data_version`,
a few microseconds), and only then reads the generation, so it is never late.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, event

from greenroom.db import Database

log = logging.getLogger(__name__)

CHANNEL = "greenroom_catalog_changed"
# How long notifies() waits before looking at the stop flag again.
WAIT_SECONDS = 0.5
# A connection silent this long is asked a trivial query, so a dead one is noticed even with no traffic.
CHECK_AFTER_SECONDS = 15.0
RETRY_SECONDS = 1.0


# Set on a pooled connection's record by `announce`, and taken when the connection goes back to the pool.
_CHANGED = "greenroom.catalog_changed"


def announce(conn: Connection) -> None:
    """Queue the change notification; PostgreSQL sends it when `conn`'s transaction commits (a no-op elsewhere).

    This process's own feeds hear of it sooner, when the connection goes back to the pool once the transaction
    ended, so a write here is never followed by a stale answer here while its notification is on the way."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}")
        conn.info[_CHANGED] = True


class Feed(Protocol):
    """What a cache needs of a change feed: kept answers are good while `live` and `epoch` has not moved."""

    @property
    def epoch(self) -> int: ...

    @property
    def live(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def feed_for(database: Database) -> Feed | None:
    """The change feed that suits `database`: none for an in-memory SQLite database, which has one connection."""
    if database.dialect == "postgresql":
        return ChangeFeed(database.engine)
    path = database.engine.url.database or ""
    if database.dialect == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
        return DataVersionFeed(path)
    return None


class ChangeFeed:
    """Counts the catalog's change notifications on a dedicated connection; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._epoch = 0
        self._live = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()

    @property
    def epoch(self) -> int:
        """Moves on at every notification heard and every (re)connection."""
        return self._epoch

    @property
    def live(self) -> bool:
        """Whether the feed is listening now; kept answers may be used only while it is."""
        return self._live

    def start(self) -> None:
        """Start listening in a background thread (idempotent)."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            event.listen(self._engine, "checkin", self._checked_in)
            self._thread = threading.Thread(target=self._run, name="catalog-change-feed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening and wait for the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if event.contains(self._engine, "checkin", self._checked_in):
            event.remove(self._engine, "checkin", self._checked_in)
        self._stop.set()
        if thread is not None:
            thread.join(timeout=5 * WAIT_SECONDS)

    def wait_live(self, timeout: float) -> bool:
        """Wait until the feed listens (for tests and start-up); False if it did not within `timeout`."""
        deadline = time.monotonic() + timeout
        while not self._live and time.monotonic() < deadline:
            self._stop.wait(0.01)
        return self._live

    def _moved(self) -> None:
        with self._count_lock:
            self._epoch += 1

    def _checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        # Moves on after a rollback too: dropping what was kept is always safe.
        if record is not None and record.info.pop(_CHANGED, False):
            self._moved()

    def _connect(self) -> Any:
        dialect = self._engine.dialect
        cargs, cparams = dialect.create_connect_args(self._engine.url)
        # Keepalives, so a peer that vanished without closing the socket is noticed too.
        cparams.update(autocommit=True, keepalives=1, keepalives_idle=10, keepalives_interval=5,
                       keepalives_count=3)
        return dialect.loaded_dbapi.connect(*cargs, **cparams)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                log.warning("catalog change feed: cannot connect (%s); retrying", exc)
                self._stop.wait(RETRY_SECONDS)
                continue
            try:
                with conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._moved()
                    self._live = True
                    self._listen(conn)
            except Exception as exc:
                log.warning("catalog change feed: connection lost (%s); reconnecting", exc)
            finally:
                self._live = False
                self._moved()
            self._stop.wait(RETRY_SECONDS)

    def _listen(self, conn: Any) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            heard = False
            for _ in conn.notifies(timeout=WAIT_SECONDS):
                self._moved()
                heard = True
            now = time.monotonic()
            if heard:
                checked = now
            elif now - checked > CHECK_AFTER_SECONDS:
                conn.execute("SELECT 1")
                checked = now


class DataVersionFeed:
    """The change feed of a SQLite file, asked on every reading of `epoch`; see the module docstring."""

    live = True

    def __init__(self, path: str) -> None:
        # Any path SQLAlchemy opens, sqlite3 opens the same way: both hand it to sqlite3_open.
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._generation: int | None = None
        self._epoch = 0
        self._lock = threading.Lock()

    @property
    def epoch(self) -> int:
        """Moves on whenever the catalog's generation has moved since the last reading."""
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(self._path, check_same_thread=False)
            # The processing loop's own bookkeeping commits too: only a new generation is a change.
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._version = version
                found = self._conn.execute("SELECT value FROM catalog_generation WHERE id = 1").fetchone()
                if found is None or found[0] != self._generation:
                    self._generation = found[0] if found is not None else None
                    self._epoch += 1
            return self._epoch

    def start(self) -> None:
        """Nothing to start: the feed connects at its first reading."""

    def stop(self) -> None:
        """Close the feed's connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
