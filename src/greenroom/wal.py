"""Checkpointing SQLite's write-ahead log in a background thread.

SQLite's automatic checkpoint runs inside whichever commit pushes the log past its threshold, and that commit
then waits for the disk (the checkpoint is the only step that syncs in WAL mode with `synchronous=NORMAL`).
During a large import that commit belongs to the processing loop, so every few batches the loop stood still
for a sync. Here a thread checkpoints instead, in its own connection: sqlite3 releases the GIL while it
copies and syncs, so the loop goes on meanwhile. The automatic checkpoint stays on with a high threshold as a
safety net for processes that never start this thread.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger("greenroom.db")

# Pages (of 4 KiB) the log may hold before a commit checkpoints by itself: only reached when no thread runs.
SAFETY_AUTOCHECKPOINT_PAGES = 50_000
CHECK_SECONDS = 0.25
MIN_WAL_BYTES = 4 * 1024 * 1024


class WalCheckpointer:
    """Checkpoints the database file at `path` whenever its log has grown; start() is idempotent."""

    def __init__(self, path: str, interval: float = CHECK_SECONDS, min_bytes: int = MIN_WAL_BYTES) -> None:
        self.path = path
        self.interval = interval
        self.min_bytes = min_bytes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(5.0)

    def _run(self) -> None:
        wal = f"{self.path}-wal"
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if os.path.getsize(wal) < self.min_bytes:
                        continue
                except OSError:
                    continue  # no log yet, or the file was removed with the database
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
                    # PASSIVE never waits for readers or writers: it copies what it can and leaves the rest to
                    # the next round.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    log.debug("WAL checkpoint skipped: %s", exc)
        finally:
            if conn is not None:
                conn.close()
