"""Entry point of the stitching helper process, run as a file (see `StitchWorker.ensure`).

Kept apart from stitch_worker so that running it as __main__ does not import the same module twice. It is run by
path rather than with `-m`: `-m` imports every parent package first, and `greenroom` and the catalog plugin's
package import the whole portal (web framework, templates, every plugin module), which cost the helper about two
seconds before its first stitch. Registering those packages as bare namespaces lets it import only the stitcher.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import types
from pathlib import Path


def _bare_packages() -> None:
    root = Path(__file__).resolve().parents[3]
    for name, folder in (("greenroom", root), ("greenroom.plugins", root / "plugins"),
                         ("greenroom.plugins.catalog", root / "plugins" / "catalog")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(folder)]
            sys.modules[name] = package


def main() -> None:
    """Stitch until idle or told to stop (SIGTERM finishes the current batch first)."""
    _bare_packages()
    from greenroom.plugins.catalog.store.stitch_worker import URL_VARIABLE, run
    from greenroom.services.logging import configure_logging

    configure_logging("warning", "json")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    run(os.environ[URL_VARIABLE], stop)


if __name__ == "__main__":
    main()
