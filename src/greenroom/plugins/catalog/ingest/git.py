"""Git repositories as a catalog source, read at a ref without a checkout.

A git file is named by a URL of the form ``git+<remote>#<ref>:<path>``:

- ``remote``: ``file:///abs/path/repo.git`` (only below ``catalog.allowedFileRoots``) or ``http(s)://host/repo.git``
  (only hosts in ``backend.reading.allow``); other transports (ssh, git://) are refused.
- ``ref``: a branch, a tag, a full ref name (``refs/…``) or a 40-hex commit sha; empty means the remote's HEAD.
- ``path``: a path from the repository root; for location reads also a glob (``catalog/**/*.yaml``).

Example: ``git+https://git.example.com/team/service.git#main:catalog-info.yaml`` as a ``url`` location target.

Each remote gets a bare, shallow, blob-less cache repository: ``git fetch --depth 1 --filter=blob:none`` brings
commits and trees, and only the blobs actually read are fetched. The commit a ref points to is recorded, so a
ref that has not moved costs one ``ls-remote`` (at most every ``recheck_seconds``) and no fetch.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from greenroom.plugins.catalog.ingest.giturls import (
    GIT_PREFIX,
    GitTarget,
    display,
    glob_regex,
    is_commit_sha,
    parse_git_url,
)
from greenroom.services.url_reader import ReadResult, UrlReadError

_PASSED_ENV = ("PATH", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
               "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO")


class GitReadError(UrlReadError):
    """A git URL could not be read; `not_found` when the ref or path does not exist (vs. unreachable)."""

    def __init__(self, url: str, message: str, not_found: bool = False) -> None:
        super().__init__(url, message)
        self.not_found = not_found


class _GitFailed(Exception):
    pass


class GitReader:
    """Reads files from git remotes (a UrlReader provider, plus `read_glob` for location globs)."""

    def __init__(self, cache_dir: Path, is_allowed_url: Callable[[str], bool], is_allowed_path: Callable[[str], bool],
                 max_bytes: int, timeout: float, max_files: int = 10_000, recheck_seconds: float = 10.0) -> None:
        self.cache_dir = cache_dir
        self.is_allowed_url = is_allowed_url
        self.is_allowed_path = is_allowed_path
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_files = max_files
        self.recheck_seconds = recheck_seconds
        self._revisions: dict[tuple[str, str], tuple[str, float]] = {}
        self._present: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        # A fresh environment: no user or system git config (credential helpers, insteadOf rewrites), no prompts.
        self._env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        self._env.update({"HOME": str(cache_dir), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                          "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "LC_ALL": "C"})

    def can_read(self, url: str) -> bool:
        """Claims every ``git+`` URL (refusing disallowed ones itself) so none falls through to HTTP."""
        return url.startswith(GIT_PREFIX)

    def read(self, url: str, etag: str | None = None) -> ReadResult | None:
        """One file; the ETag is the blob id, so None means the content is unchanged, whatever the commit."""
        target = self._target(url)
        with self._repo(target) as repo:
            commit = self.revision(target, repo)
            entries = self._ls_tree(repo, target, commit, [target.path])
            entry = entries.get(target.path)
            if entry is None:
                raise GitReadError(url, f"{target.path} does not exist at {target.ref or 'HEAD'}", not_found=True)
            if etag is not None and etag == entry:
                return None
            data = self._blobs(repo, target, [entry])[entry]
            if isinstance(data, str):
                raise GitReadError(url, data)
            return ReadResult(data, entry)

    def read_glob(self, url: str) -> list[tuple[str, bytes | GitReadError]]:
        """Every file matching the glob path of ``url``, as (file URL, content or that file's error)."""
        target = self._target(url)
        with self._repo(target) as repo:
            commit = self.revision(target, repo)
            prefix = target.path[:min((target.path.find(c) for c in "*?[" if c in target.path),
                                      default=len(target.path))].rpartition("/")[0]
            regex = glob_regex(target.path)
            entries = {p: o for p, o in self._ls_tree(repo, target, commit, [prefix] if prefix else [],
                                                      recursive=True).items() if regex.match(p)}
            if len(entries) > self.max_files:
                raise GitReadError(url, f"matches {len(entries)} files, more than the limit of {self.max_files}")
            blobs = self._blobs(repo, target, list(entries.values()))
        out: list[tuple[str, bytes | GitReadError]] = []
        for path, oid in sorted(entries.items()):
            file_url = replace(target, path=path).url
            data = blobs[oid]
            out.append((file_url, GitReadError(file_url, data) if isinstance(data, str) else data))
        return out

    def revision(self, target: GitTarget, repo: Path | None = None) -> str:
        """The commit ``target.ref`` points to now, fetching it when it is not in the cache yet."""
        if repo is None:
            with self._repo(target) as opened:
                return self.revision(target, opened)
        key = (target.remote, target.ref)
        known = self._revisions.get(key)
        if known and (is_commit_sha(target.ref) or time.monotonic() - known[1] < self.recheck_seconds):
            return known[0]
        local = "refs/greenroom/" + hashlib.sha1(target.ref.encode()).hexdigest()
        if is_commit_sha(target.ref):
            wanted, source = target.ref, target.ref
        else:
            wanted, source = self._ls_remote(repo, target)
        try:
            have = self._git(repo, target, "rev-parse", "--verify", "-q", f"{local}^{{commit}}").decode().strip()
        except _GitFailed:
            have = ""
        if have != wanted:
            self._call(repo, target, "fetch", "-q", "--depth", "1", "--filter=blob:none", "--no-tags",
                       "--no-write-fetch-head", "origin", f"+{source}:{local}")
            have = self._call(repo, target, "rev-parse", "--verify", f"{local}^{{commit}}").decode().strip()
        self._revisions[key] = (have, time.monotonic())
        return have

    # -- internals -------------------------------------------------------------------------------------

    def _target(self, url: str) -> GitTarget:
        try:
            target = parse_git_url(url)
        except ValueError as exc:
            raise GitReadError(url, str(exc).removeprefix(f"{url}: ")) from None
        if target.is_file_remote:
            if not self.is_allowed_path(unquote(urlsplit(target.remote).path)):
                raise GitReadError(url, "the repository is outside the folders file locations may read "
                                        "(catalog.allowedFileRoots)")
        elif not self.is_allowed_url(target.remote):
            raise GitReadError(url, "host is not in backend.reading.allow")
        return target

    @contextmanager
    def _repo(self, target: GitTarget) -> Iterator[Path]:
        name = hashlib.sha256(target.remote.encode()).hexdigest()[:32]
        path = self.cache_dir / f"{name}.git"
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One reader per repository at a time: a thread lock here, a file lock for other worker processes.
        with lock, open(self.cache_dir / f"{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if not (path / "HEAD").exists():
                # Built aside and renamed, so a repository left half-made by a crash is never used.
                fresh = self.cache_dir / f"{name}.new"
                shutil.rmtree(fresh, ignore_errors=True)
                self._call(None, target, "init", "-q", "--bare", str(fresh))
                for key, value in (("remote.origin.url", target.remote), ("remote.origin.promisor", "true"),
                                   ("remote.origin.partialclonefilter", "blob:none")):
                    self._call(fresh, target, "config", key, value)
                os.replace(fresh, path)
            yield path

    def _ls_remote(self, repo: Path, target: GitTarget) -> tuple[str, str]:
        ref = target.ref or "HEAD"
        found: dict[str, str] = {}
        for line in self._call(repo, target, "ls-remote", "origin", ref).decode().splitlines():
            sha, _, name = line.partition("\t")
            found[name] = sha
        names = [ref] if ref == "HEAD" or ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]
        for name in names:
            if name in found:
                return found.get(f"{name}^{{}}", found[name]), name
        raise GitReadError(target.url, f"ref {ref!r} not found in {display(target.remote)}", not_found=True)

    def _ls_tree(self, repo: Path, target: GitTarget, commit: str, paths: list[str],
                 recursive: bool = False) -> dict[str, str]:
        args = ["ls-tree", "-z", *(["-r"] if recursive else []), commit, "--", *paths]
        out: dict[str, str] = {}
        for record in self._call(repo, target, *args).split(b"\0"):
            meta, _, path = record.decode("utf-8", "surrogateescape").partition("\t")
            mode, _, rest = meta.partition(" ")
            kind, _, oid = rest.partition(" ")
            # Symbolic links and submodules are not followed: they could point outside the repository.
            if kind == "blob" and mode != "120000":
                out[path] = oid
        return out

    def _blobs(self, repo: Path, target: GitTarget, oids: list[str]) -> dict[str, bytes | str]:
        missing = [o for o in dict.fromkeys(oids) if o not in self._present]
        if missing:
            # One batched fetch for every blob not known to be here (as git's own lazy fetch does, but once).
            self._call(repo, target, "fetch", "origin", "-q", "--no-tags",
                       "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin",
                       stdin="".join(f"{o}\n" for o in missing).encode())
            if len(self._present) > 200_000:
                self._present.clear()
            self._present.update(missing)
        out: dict[str, bytes | str] = {}
        sizes = self._call(repo, target, "cat-file", "--batch-check",
                           stdin="".join(f"{o}\n" for o in dict.fromkeys(oids)).encode()).decode().splitlines()
        small = []
        for line in sizes:
            oid, size = line.split(" ")[0], line.rpartition(" ")[2]
            if not size.isdigit():
                out[oid] = "the remote did not send this file"
            elif int(size) > self.max_bytes:
                out[oid] = f"larger than {self.max_bytes} bytes ({size})"
            else:
                small.append(oid)
        if small:
            raw = self._call(repo, target, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in small).encode())
            pos = 0
            for oid in small:
                header_end = raw.index(b"\n", pos)
                length = int(raw[pos:header_end].split(b" ")[2])
                out[oid] = raw[header_end + 1:header_end + 1 + length]
                pos = header_end + 1 + length + 1
        return out

    def _call(self, repo: Path | None, target: GitTarget, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            return self._git(repo, target, *args, stdin=stdin)
        except _GitFailed as exc:
            raise GitReadError(target.url, f"{display(target.remote)}: {exc}") from None

    def _git(self, repo: Path | None, target: GitTarget, *args: str, stdin: bytes | None = None) -> bytes:
        scheme = urlsplit(target.remote).scheme
        # Hooks never run, and only the remote's own transport is allowed (so no redirect to file:// or ext::).
        config = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "protocol.allow=never",
                  "-c", f"protocol.{scheme}.allow=always", "-c", "http.followRedirects=false",
                  "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "credential.helper=",
                  # With depth 1 there is no history to negotiate; noop also lets blob-by-id fetches work.
                  "-c", "fetch.negotiationAlgorithm=noop", "--literal-pathspecs"]
        command = ["git", *config, *(["--git-dir", str(repo)] if repo else []), *args]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._env,
                                start_new_session=True)
        try:
            out, err = proc.communicate(stdin, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            # git starts helpers (remote-http, upload-pack): the whole process group goes.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise _GitFailed(f"git {args[0]} took longer than {self.timeout:g} s") from None
        if proc.returncode != 0:
            lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
            # git's first fatal/error line names the cause; the lines after it are generic advice.
            lines = [line for line in lines if line.startswith(("fatal:", "error:"))][:1] or lines[-1:]
            raise _GitFailed(lines[0][:300] if lines else f"git {args[0]} failed (exit {proc.returncode})")
        return out
