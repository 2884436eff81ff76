"""A helper process that stitches while the main process keeps processing, so a large import uses two cores.

It is started only when the stitch queue grows past a threshold (a big import, a first start on a large
catalog) and leaves by itself once the queue has been empty for a while, so small portals and tests never pay
for it. It shares nothing with the main process but the database, where both claim work the same way several
replicas do.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from greenroom.config.models import DatabaseConfig
from greenroom.db import Database
from greenroom.plugins.catalog.store.bulk import execute_raw
from greenroom.plugins.catalog.store.stitcher import Stitcher, queue_length

log = logging.getLogger("greenroom.plugin.catalog.stitch_worker")
IDLE_EXIT_SECONDS = 10.0
HELPER_BATCH = 2500  # larger than the loop's own batches (stitcher.BATCH): the helper only stitches
URL_VARIABLE = "GREENROOM_STITCH_DATABASE_URL"  # the environment, not argv: a password must not show in `ps`
# Runs stitch_process.py by path without the working directory on sys.path (see stitch_process's docstring).
_RUN_SCRIPT = ("import runpy, sys; sys.path[:] = [p for p in sys.path if p]; "
               "runpy.run_path(sys.argv[1], run_name='__main__')")


def backlog(database: Database) -> int:
    """Stitch requests waiting plus entities due for processing: each due entity will ask for a stitch soon.

    Counting the due ones starts the helper as soon as a location has emitted a large import, so its start-up
    overlaps the processing of the first batches instead of following it."""
    mark = "%s" if database.dialect == "postgresql" else "?"
    with database.engine.connect() as conn:
        queued = queue_length(conn)
        due = execute_raw(conn, f"SELECT COUNT(*) FROM catalog_refresh_state WHERE next_update_at <= {mark}",
                          [time.time()])[0][0]
    return int(queued) + int(due)


def run(url: str, stop: threading.Event) -> None:
    """Stitch until the queue has been empty for IDLE_EXIT_SECONDS or `stop` is set."""
    database = Database(DatabaseConfig(url=url, poolSize=2))
    stitcher = Stitcher(database.engine)
    idle_since = time.monotonic()
    try:
        while not stop.is_set():
            try:
                done = stitcher.stitch_pending(HELPER_BATCH)
            except Exception:
                log.exception("stitching failed; retrying")
                done = 0
                stop.wait(1.0)
            if done:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                return
            else:
                stop.wait(0.05)
    finally:
        database.dispose()


class StitchWorker:
    """Starts and stops the helper process; safe to ask for a start as often as you like."""

    def __init__(self, url: str, threshold: int = 2000) -> None:
        self.url = url
        self.threshold = threshold
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ensure(self, backlog: int) -> None:
        """Start the helper when `backlog` is large enough and none is running."""
        if backlog < self.threshold or self.alive:
            return
        env = {**os.environ, URL_VARIABLE: self.url}
        # Not forked: SQLite's locks must not cross a fork while other threads hold connections.
        script = str(Path(__file__).with_name("stitch_process.py"))
        self._process = subprocess.Popen([sys.executable, "-c", _RUN_SCRIPT, script], env=env,
                                         stdin=subprocess.DEVNULL)
        log.info("started a stitching helper process", extra={"backlog": backlog, "pid": self._process.pid})

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the helper to finish its batch and leave; kill it if it does not."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(1.0)
        self._process = None
