"""Real servers for ingestion tests: a static HTTP server with ETags, and git over HTTP (git http-backend).

Git repositories are made with the `git` CLI in tmp_path; nothing here touches the project's own repository.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

GIT_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": "/nonexistent"}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git for a test fixture repository (never the project's own)."""
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Repo:
    """A work tree pushing to a bare repository, which is what readers read."""

    work: Path
    bare: Path

    def commit(self, files: dict[str, str | None], branch: str = "main", message: str = "change") -> str:
        """Write (None: delete) files on `branch`, commit and push; returns the commit sha."""
        existing = git("branch", "--list", branch, cwd=self.work)
        git("checkout", "-q", *([] if existing else ["-b"]), branch, cwd=self.work)
        for name, content in files.items():
            path = self.work / name
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "-q", "origin", branch, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)

    @property
    def file_url(self) -> str:
        return f"file://{self.bare}"


def make_repo(root: Path, name: str, files: dict[str, str | None]) -> Repo:
    """A bare repository `root/<name>.git` whose main branch holds `files`."""
    bare = root / f"{name}.git"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    git("config", "http.receivepack", "false", cwd=bare)
    work = root / f"{name}-work"
    git("init", "-q", "-b", "main", str(work))
    git("remote", "add", "origin", str(bare), cwd=work)
    repo = Repo(work, bare)
    repo.commit(files, message="initial")
    return repo


@dataclass
class Server:
    url: str
    requests: list[str] = field(default_factory=list)


class _StaticHandler(BaseHTTPRequestHandler):
    root: Path
    log: list[str]

    def do_GET(self) -> None:
        self.log.append(self.path)
        path = self.root / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = path.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _GitHandler(BaseHTTPRequestHandler):
    """A minimal CGI bridge to `git http-backend` (smart HTTP, protocol v2)."""

    root: Path
    log: list[str]

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _cgi(self) -> None:
        self.log.append(f"{self.command} {self.path}")
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {**GIT_ENV, "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path,
               "QUERY_STRING": query, "REQUEST_METHOD": self.command, "REMOTE_ADDR": "127.0.0.1",
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split(" ")[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler], root: Path) -> Iterator[Server]:
    log: list[str] = []
    bound = type("Handler", (handler,), {"root": root, "log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def www(tmp_path: Path) -> Path:
    """The folder the static server serves."""
    folder = tmp_path / "www"
    folder.mkdir()
    return folder


@pytest.fixture
def http_server(www: Path) -> Iterator[Server]:
    """A static HTTP server on 127.0.0.1 serving `www`, with ETags."""
    yield from _serve(_StaticHandler, www)


@pytest.fixture
def repos(tmp_path: Path) -> Path:
    """The folder bare repositories live in (also the git HTTP server's project root)."""
    folder = tmp_path / "repos"
    folder.mkdir()
    return folder


@pytest.fixture
def git_server(repos: Path) -> Iterator[Server]:
    """`git http-backend` on 127.0.0.1 serving every repository in `repos`."""
    yield from _serve(_GitHandler, repos)
