"""Real things for TechDocs tests: docs folders, bare git repositories, a static HTTP server on 127.0.0.1,
and a catalog file whose entities point at the docs."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GIT_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": "/nonexistent"}

MKDOCS = "site_name: {name}\nnav:\n  - Home: index.md\n  - Guide: guide.md\nplugins:\n  - techdocs-core\n"
INDEX = "# {name}\n\nWelcome to **{name}**. See the [guide](guide.md).\n\n![diagram](images/d.svg)\n"
GUIDE = ("# Guide\n\n## Install\n\nRun it:\n\n```python\nprint('hello')\n```\n\n!!! note\n    Careful.\n\n"
         "```mermaid\ngraph TD; A-->B\n```\n\n## Use\n\nBack to [home](index.md).\n")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def write_docs(folder: Path, name: str = "Sample", extra: dict[str, str] | None = None) -> Path:
    """A small MkDocs folder: mkdocs.yml, two pages, an image; `extra` adds or replaces files."""
    files = {"mkdocs.yml": MKDOCS.format(name=name), "docs/index.md": INDEX.format(name=name),
             "docs/guide.md": GUIDE, "docs/images/d.svg": SVG, **(extra or {})}
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def entity_yaml(name: str, techdocs_ref: str = "dir:.", kind: str = "Component", owner: str = "team-a",
                extra_annotations: dict[str, str] | None = None) -> str:
    notes = {"backstage.io/techdocs-ref": techdocs_ref, **(extra_annotations or {})}
    lines = "".join(f"    {k}: '{v}'\n" for k, v in notes.items())
    spec = f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n" if kind == "Component" else \
        f"spec:\n  owner: {owner}\n"
    return (f"apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\n  title: {name.title()}\n"
            f"  annotations:\n{lines}{spec}")


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(root: Path, name: str, files: dict[str, str]) -> Path:
    """A bare repository `root/<name>.git` whose main branch holds `files`; returns the bare path."""
    bare = root / f"{name}.git"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    work = root / f"{name}-work"
    git("init", "-q", "-b", "main", str(work))
    git("remote", "add", "origin", str(bare), cwd=work)
    commit(work, files)
    return bare


def commit(work: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "change", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)


def docs_files(name: str = "Sample") -> dict[str, str]:
    return {"mkdocs.yml": MKDOCS.format(name=name), "docs/index.md": INDEX.format(name=name),
            "docs/guide.md": GUIDE, "docs/images/d.svg": SVG}


class _Static(BaseHTTPRequestHandler):
    root: Path

    def do_GET(self) -> None:
        path = self.root / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def serve_folder(root: Path) -> Iterator[str]:
    """A static HTTP server on 127.0.0.1 serving `root`; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Static,), {"root": root}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
