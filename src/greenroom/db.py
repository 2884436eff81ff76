"""The database service: one SQLAlchemy engine for the portal, SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, create_engine, event, text
from sqlalchemy.engine import make_url
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers go on while the processing loop writes; busy_timeout rides out short write locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # A larger page cache keeps the catalog's indexes in memory while it writes. Checkpoints are a background
    # thread's job (greenroom.wal); the automatic one is only a safety net.
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT_PAGES}")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


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
        url = make_url(normalise_url(config.url))
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            path = url.database or ""
            if path and path != ":memory:" and not path.startswith("file:"):
                checkpointer = self.checkpointer = WalCheckpointer(path)
                # Started by the first connection, so a Database never used costs no thread.
                event.listen(self.engine, "connect", lambda *_: checkpointer.start())
        elif self.dialect == "postgresql":
            self.engine = create_engine(url, pool_size=config.poolSize, max_overflow=config.poolSize,
                                        pool_pre_ping=True)
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
