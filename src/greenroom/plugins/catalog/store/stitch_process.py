"""Entry point of the stitching helper process (`python -m greenroom.plugins.catalog.store.stitch_process`).

Kept apart from stitch_worker so that running it as __main__ does not import the same module twice.
"""

from __future__ import annotations

import os
import signal
import threading

from greenroom.plugins.catalog.store.stitch_worker import URL_VARIABLE, run
from greenroom.services.logging import configure_logging


def main() -> None:
    """Stitch until idle or told to stop (SIGTERM finishes the current batch first)."""
    configure_logging("warning", "json")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    run(os.environ[URL_VARIABLE], stop)


if __name__ == "__main__":
    main()
