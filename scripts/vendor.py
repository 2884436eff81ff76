#!/usr/bin/env python3
"""Rebuild src/greenroom/static/vendor/ from pinned npm packages (run by hand when bumping a version).

Nothing here runs at install or start-up: the vendored files are committed, so Greenroom needs no Node build.
Usage: python scripts/vendor.py  (needs npm on PATH and the npm registry reachable)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "greenroom" / "static" / "vendor"
PACKAGES = {"htmx.org": "2.0.11", "@material-design-icons/svg": "0.14.15", "@fontsource/roboto": "5.3.0"}
ICONS = """home settings extension menu search category description api group person dark_mode light_mode
brightness_auto error star star_border account_tree build refresh delete add content_copy open_in_new edit code
storage dns domain hub apps logout login chevron_right expand_more close check warning info link school
library_books bug_report schema lan travel_explore history admin_panel_settings lock verified_user timeline sync
upload download filter_list view_list menu_book palette tune badge memory cloud terminal""".split()  # noqa: SIM905


def fetch(name: str, version: str, into: Path) -> Path:
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=into, check=True, capture_output=True)
    tgz = next(into.glob(name.lstrip("@").replace("/", "-") + f"-{version}.tgz"))
    out = into / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(out, filter="data")
    return out / "package"


def sprite(icons_dir: Path) -> str:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" style="display:none">']
    for name in ICONS:
        svg = (icons_dir / f"{name}.svg").read_text()
        view_box = re.search(r'viewBox="([^"]+)"', svg)
        body = re.sub(r"^<svg[^>]*>|</svg>\s*$", "", svg.strip())
        parts.append(f'<symbol id="i-{name}" viewBox="{view_box.group(1) if view_box else "0 0 24 24"}">'
                     f"{body}</symbol>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        htmx = fetch("htmx.org", PACKAGES["htmx.org"], work)
        icons = fetch("@material-design-icons/svg", PACKAGES["@material-design-icons/svg"], work)
        roboto = fetch("@fontsource/roboto", PACKAGES["@fontsource/roboto"], work)
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        for sub in ("htmx", "icons", "roboto"):
            (VENDOR / sub).mkdir(parents=True)
        shutil.copy(htmx / "dist" / "htmx.min.js", VENDOR / "htmx" / "htmx.min.js")
        shutil.copy(htmx / "LICENSE", VENDOR / "htmx" / "LICENSE")
        (VENDOR / "icons" / "icons.svg").write_text(sprite(icons / "outlined"))
        shutil.copy(icons / "LICENSE", VENDOR / "icons" / "LICENSE")
        for weight in ("400", "500", "700"):
            name = f"roboto-latin-{weight}-normal.woff2"
            shutil.copy(roboto / "files" / name, VENDOR / "roboto" / name)
        shutil.copy(roboto / "LICENSE", VENDOR / "roboto" / "LICENSE")
        lines = ["# Vendored front-end files", "", "Made by `scripts/vendor.py`; do not edit by hand.", "",
                 "| package | version | licence |", "|---|---|---|"]
        lines += [f"| {n} | {v} | see the LICENSE file in its folder |" for n, v in PACKAGES.items()]
        (VENDOR / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
