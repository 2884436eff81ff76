#!/usr/bin/env python3
"""Rebuild src/greenroom/plugins/catalog/static/vendor/ from pinned npm packages (run by hand when bumping).

Like scripts/vendor.py for the core: the vendored files are committed, so nothing here runs at install or
start-up and Greenroom needs no Node build. Only the files the API definition viewer loads are kept.
Usage: python scripts/vendor_catalog.py  (needs npm on PATH and the npm registry reachable)
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "greenroom" / "plugins" / "catalog" / "static" / "vendor"
PACKAGES = {"swagger-ui-dist": "5.35.0"}
# The bundle carries React, swagger-client and DOMPurify; the standalone preset (top bar with a URL box that
# fetches arbitrary specs) is deliberately left out.
SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"]


def fetch(name: str, version: str, into: Path) -> Path:
    """`npm pack` one pinned package and unpack it; returns its `package/` folder."""
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=into, check=True, capture_output=True)
    tgz = next(into.glob(name.lstrip("@").replace("/", "-") + f"-{version}.tgz"))
    out = into / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(out, filter="data")
    return out / "package"


def strip_source_map(path: Path) -> None:
    """Drop the trailing sourceMappingURL comment: the map is not vendored, and devtools would ask for it."""
    text = path.read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    if lines and lines[-1].startswith(("//# sourceMappingURL=", "/*# sourceMappingURL=")):
        path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        swagger = fetch("swagger-ui-dist", PACKAGES["swagger-ui-dist"], work)
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        target = VENDOR / "swagger-ui"
        target.mkdir(parents=True)
        for name in SWAGGER_FILES:
            if (swagger / name).is_file():
                shutil.copy(swagger / name, target / name)
        for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
            strip_source_map(target / name)
        lines = ["# Vendored front-end files of the catalog", "",
                 "Made by `scripts/vendor_catalog.py`; do not edit by hand.", "",
                 "| package | version | files | licence |", "|---|---|---|---|"]
        lines += [f"| {n} | {v} | {', '.join(SWAGGER_FILES)} | Apache-2.0, see LICENSE and NOTICE in "
                  f"swagger-ui/ |" for n, v in PACKAGES.items()]
        (VENDOR / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
