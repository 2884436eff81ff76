#!/usr/bin/env python3
"""Rebuild src/greenroom/plugins/techdocs/static/vendor/ from pinned npm packages (run by hand when bumping).

Like scripts/vendor_catalog.py: the files are committed, so nothing here runs at install or start-up.
Only Mermaid's single-file browser build is kept; the docs reader runs it with `securityLevel: "strict"`.
Usage: python scripts/vendor_techdocs.py  (needs npm on PATH and the npm registry reachable)
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "greenroom" / "plugins" / "techdocs" / "static" / "vendor"
PACKAGES = {"mermaid": "11.12.2"}
FILES = {"dist/mermaid.min.js": "mermaid.min.js", "LICENSE": "LICENSE"}


def fetch(name: str, version: str, into: Path) -> Path:
    """`npm pack` one pinned package and unpack it; returns its `package/` folder."""
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=into, check=True, capture_output=True)
    tgz = next(into.glob(f"{name}-{version}.tgz"))
    out = into / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(out, filter="data")
    return out / "package"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = fetch("mermaid", PACKAGES["mermaid"], Path(tmp))
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        target = VENDOR / "mermaid"
        target.mkdir(parents=True)
        for source, name in FILES.items():
            shutil.copy(package / source, target / name)
        text = (target / "mermaid.min.js").read_text(encoding="utf-8").rstrip("\n").split("\n")
        if text and text[-1].startswith("//# sourceMappingURL="):
            (target / "mermaid.min.js").write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")
        lines = ["# Vendored front-end files of TechDocs", "",
                 "Made by `scripts/vendor_techdocs.py`; do not edit by hand.", "",
                 "| package | version | files | licence |", "|---|---|---|---|"]
        files = ", ".join(FILES.values())
        lines += [f"| {n} | {v} | {files} | MIT, see mermaid/LICENSE |" for n, v in PACKAGES.items()]
        (VENDOR / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
