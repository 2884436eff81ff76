"""Installing a folder's npm packages once, for tests that run real JavaScript (the catalog client, the OpenID
provider). A folder with a package-lock.json gets exactly the locked versions (`npm ci`); the lock's hash is kept
in node_modules, so reruns skip npm until the lock changes."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

MARKER = ".greenroom-installed"


def require_node() -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed (scripts/ensure-system.sh installs them)")


def node_modules(folder: Path, packages: tuple[str, ...] = ()) -> Path:
    """`folder`/node_modules, installed on first use: from the folder's lock file, or else `packages`."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else " ".join(packages)
    modules = folder / "node_modules"
    marker = modules / MARKER
    if marker.is_file() and marker.read_text() == wanted:
        return modules
    require_node()
    # Several pytest processes of one checkout may start at once: one installs, the others wait for it.
    with (folder / ".npm-install.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text() == wanted:
            return modules
        if lock.is_file():
            command = ["npm", "ci"]
        else:
            if not (folder / "package.json").is_file():
                (folder / "package.json").write_text('{"name": "greenroom-test-modules", "private": true}\n')
            command = ["npm", "install", *packages]
        done = subprocess.run([*command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, timeout=600,
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed in {folder}:\n{done.stderr[-4000:]}")
        marker.write_text(wanted)
    return modules
