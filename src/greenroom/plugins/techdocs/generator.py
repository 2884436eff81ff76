"""Running MkDocs on a prepared docs folder in a child process, within time and size limits.

The child gets a minimal environment (no secrets of the portal's), its own session (so a timeout kills
everything it started), resource limits on CPU time and file size, and the screened config written by
`mkdocs_config`. Its output is kept, cut to a bounded size, as the build log.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenroom.plugins.techdocs import mkdocs_config
from greenroom.plugins.techdocs.config import BuildLimits
from greenroom.plugins.techdocs.refs import SourceError
from greenroom.plugins.techdocs.sources import CONFIG_NAMES

MAX_LOG_CHARS = 64 * 1024
METADATA_FILE = "techdocs_metadata.json"
_BUILD_CONFIG = ".greenroom-mkdocs.yml"


class BuildError(Exception):
    """The build failed; the message says why and `log` holds MkDocs' output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class BuildResult:
    site: Path
    metadata: dict[str, Any]
    log: str


def _limit(pid: int, cpu_seconds: int, file_bytes: int) -> None:
    # Set from outside rather than in a preexec_fn, which is unsafe in a threaded server.
    try:
        resource.prlimit(pid, resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
    except (ProcessLookupError, PermissionError, OSError):
        pass  # it already ended (its exit status says how) or the platform refuses


def _tail(text: str) -> str:
    return text if len(text) <= MAX_LOG_CHARS else "[… earlier output cut …]\n" + text[-MAX_LOG_CHARS:]


def _first_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    picked = [line for line in lines if line.startswith(("ERROR", "Error", "Aborted", "Config value"))]
    return (picked or lines[-1:] or ["MkDocs failed without output"])[0][:500]


def _site_size(site: Path, limits: BuildLimits) -> list[str]:
    files: list[str] = []
    total = 0
    for path in sorted(site.rglob("*")):
        if path.is_symlink():
            raise BuildError(f"the built site holds a symbolic link ({path.relative_to(site)})")
        if path.is_file():
            total += path.stat().st_size
            files.append(path.relative_to(site).as_posix())
    if total > limits.maxBytes:
        raise BuildError(f"the built site is larger than {limits.maxBytes} bytes (techdocs.limits.maxBytes)")
    return files


def generate(folder: Path, site: Path, limits: BuildLimits, etag: str, *, omit_core: bool = False,
             repo_url: str | None = None, edit_uri: str | None = None,
             extra_env: Mapping[str, str] | None = None) -> BuildResult:
    """Build the docs folder `folder` into `site` (which must not exist); BuildError when it fails."""
    name = next((n for n in CONFIG_NAMES if (folder / n).is_file()), None)
    if name is None:
        raise BuildError("the docs folder has no mkdocs.yml (or mkdocs.yaml)")
    try:
        screened = mkdocs_config.screen((folder / name).read_bytes(), name, omit_core)
    except SourceError as exc:
        raise BuildError(str(exc)) from None
    if not (folder / screened["docs_dir"]).is_dir():
        raise BuildError(f"{name}: docs_dir {screened['docs_dir']!r} does not exist in the docs folder")
    (folder / _BUILD_CONFIG).write_text(mkdocs_config.build_config(screened, str(site), repo_url, edit_uri),
                                        encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LC_ALL": "C.UTF-8",
           "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1",
           "NO_MKDOCS_2_WARNING": "1", **(extra_env or {})}
    command = [sys.executable, "-m", "mkdocs", "build", "--config-file", _BUILD_CONFIG, "--site-dir", str(site)]
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    _limit(proc.pid, int(limits.buildTimeoutSeconds) + 5, limits.maxBytes)
    try:
        out, _ = proc.communicate(timeout=limits.buildTimeoutSeconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise BuildError(f"the build took longer than {limits.buildTimeoutSeconds:g} s and was stopped "
                         "(techdocs.limits.buildTimeoutSeconds)", _tail(out.decode("utf-8", "replace"))) from None
    log = _tail(out.decode("utf-8", "replace"))
    if proc.returncode != 0:
        reason = "stopped by a resource limit" if proc.returncode < 0 else _first_error(log)
        raise BuildError(f"MkDocs failed: {reason}", log)
    files = _site_size(site, limits)
    meta_path = site / METADATA_FILE
    try:
        written = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    except ValueError:
        written = {}
    metadata = {"site_name": str(written.get("site_name") or screened["site_name"]),
                "site_description": str(written.get("site_description") or screened.get("site_description") or ""),
                "etag": etag, "build_timestamp": int(time.time() * 1000), "files": files}
    meta_path.write_text(json.dumps(metadata), encoding="utf-8")
    log += f"\nBuilt {len(files)} files in {time.monotonic() - started:.1f} s.\n"
    return BuildResult(site, metadata, log)
