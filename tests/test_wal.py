"""The background WAL checkpointer: a growing log is copied back to the database without any commit waiting."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from greenroom.config.models import DatabaseConfig
from greenroom.db import Database
from greenroom.wal import WalCheckpointer


def test_a_grown_log_is_copied_back_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # only the thread checkpoints here
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(500)])
    conn.commit()
    # Every page is still in the log: the database file itself holds next to nothing.
    assert path.stat().st_size < 100_000 < Path(f"{path}-wal").stat().st_size
    checkpointer = WalCheckpointer(str(path), interval=0.05, min_bytes=1024)
    checkpointer.start()
    checkpointer.start()  # a second start changes nothing
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= 1_000_000
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 500
    finally:
        checkpointer.stop()
        conn.close()


def test_the_database_service_runs_it_for_database_files_only(tmp_path: Path) -> None:
    database = Database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'g.db'}"))
    assert database.checkpointer is not None
    assert database.ping()  # the first connection starts the thread
    thread = database.checkpointer._thread
    assert thread is not None and thread.is_alive()
    database.dispose()
    assert not thread.is_alive()
    memory = Database(DatabaseConfig(url="sqlite://"))
    assert memory.checkpointer is None
    memory.dispose()
