"""Copying a docs folder from disk, a git repository or a web server into a private build folder.

Every file goes through `Collector`, which enforces the limits, refuses paths that leave the folder and
hashes the content: the hash is the source revision that decides whether a site must be rebuilt. Symbolic
links are followed only when they stay inside the folder; builds then see nothing but these copies.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

import yaml

from greenroom.plugins.techdocs.config import BuildLimits
from greenroom.plugins.techdocs.refs import DocsSource, SourceError

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
# Relative links and images in Markdown, used to find the files of a docs folder on a plain web server.
_MD_LINK = re.compile(r"\]\(\s*<?([^)\s>#?]+)")


class GitTreeReader(Protocol):
    """The catalog's git reader (only `read_glob` is used here)."""

    def read_glob(self, url: str) -> list[tuple[str, Any]]: ...


@dataclass(frozen=True)
class Prepared:
    """A docs folder copied to `folder`; `revision` is the hash of its paths and content."""

    folder: Path
    revision: str
    files: int
    bytes: int


def clean_relpath(path: str) -> str:
    """A relative path inside the docs folder; SourceError for absolute paths and `..`."""
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        raise SourceError(f"{path!r}: not a relative path inside the docs folder")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts or not parts:
        raise SourceError(f"{path!r}: the path leaves the docs folder")
    return "/".join(parts)


class Collector:
    """Writes files into `folder` within the limits and hashes them in path order."""

    def __init__(self, folder: Path, limits: BuildLimits) -> None:
        self.folder = folder
        self.limits = limits
        self.files: dict[str, str] = {}
        self.bytes = 0

    def add(self, relpath: str, data: bytes) -> None:
        rel = clean_relpath(relpath)
        if rel in self.files:
            return
        if len(self.files) >= self.limits.maxFiles:
            raise SourceError(f"the docs folder holds more than {self.limits.maxFiles} files "
                              "(techdocs.limits.maxFiles)")
        if len(data) > self.limits.maxFileBytes:
            raise SourceError(f"{rel} is larger than {self.limits.maxFileBytes} bytes (techdocs.limits.maxFileBytes)")
        self.bytes += len(data)
        if self.bytes > self.limits.maxBytes:
            raise SourceError(f"the docs folder holds more than {self.limits.maxBytes} bytes "
                              "(techdocs.limits.maxBytes)")
        target = self.folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[rel] = hashlib.sha256(data).hexdigest()

    def finish(self) -> Prepared:
        if not any(name in self.files for name in CONFIG_NAMES):
            raise SourceError("the docs folder has no mkdocs.yml (or mkdocs.yaml)")
        digest = hashlib.sha256()
        for rel in sorted(self.files):
            digest.update(f"{rel}\0{self.files[rel]}\n".encode("utf-8", "surrogateescape"))
        return Prepared(self.folder, "sha256:" + digest.hexdigest(), len(self.files), self.bytes)


def _read_file_tree(root: str, out: Collector) -> None:
    real_root = os.path.realpath(root)
    if not os.path.isdir(real_root):
        raise SourceError(f"the docs folder {root} does not exist")
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            entries = sorted(os.scandir(os.path.join(real_root, rel_dir)), key=lambda e: e.name)
        except OSError as exc:
            raise SourceError(f"{rel_dir or '.'}: cannot be listed ({exc.strerror})") from None
        for entry in entries:
            rel = posixpath.join(rel_dir, entry.name) if rel_dir else entry.name
            if entry.name.startswith(".") or entry.name in ("site", "__pycache__", "node_modules"):
                continue
            path = entry.path
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                target = os.path.realpath(path)
                if target != real_root and not target.startswith(real_root + os.sep):
                    raise SourceError(f"{rel} is a symbolic link to a path outside the docs folder")
                path, info = target, os.stat(target)
            if stat.S_ISDIR(info.st_mode):
                if rel.count("/") >= 32:
                    raise SourceError(f"{rel}: folders nest deeper than 32 levels")
                if len(out.files) + len(pending) > out.limits.maxFiles:
                    raise SourceError(f"the docs folder holds more than {out.limits.maxFiles} files "
                                      "(techdocs.limits.maxFiles)")
                pending.append(rel)
            elif stat.S_ISREG(info.st_mode):
                if info.st_size > out.limits.maxFileBytes:
                    raise SourceError(f"{rel} is larger than {out.limits.maxFileBytes} bytes "
                                      "(techdocs.limits.maxFileBytes)")
                with open(path, "rb") as handle:
                    out.add(rel, handle.read(out.limits.maxFileBytes + 1))


def _read_git_tree(git: GitTreeReader | None, target: str, out: Collector) -> None:
    if git is None:
        raise SourceError("git sources need the catalog plugin's git reader, which is not running")
    folder = target.rpartition(":")[2]
    for url, data in git.read_glob(target + "**"):
        rel = url.rpartition(":")[2][len(folder):]
        if isinstance(data, Exception):
            raise SourceError(str(data))
        out.add(rel, data)


def _read_http_tree(read: Callable[[str], bytes], base: str, out: Collector) -> None:
    # A web server lists no folders: follow mkdocs.yml's nav and the pages' relative links instead.
    config_name = config_data = None
    for name in CONFIG_NAMES:
        try:
            config_data = read(urljoin(base, name))
            config_name = name
            break
        except SourceError as exc:
            if not _not_found(exc):
                raise
            continue
    if config_name is None or config_data is None:
        raise SourceError(f"{base} has no mkdocs.yml (or mkdocs.yaml)")
    out.add(config_name, config_data)
    try:
        config = yaml.safe_load(config_data)
    except yaml.YAMLError as exc:
        raise SourceError(f"{config_name}: not valid YAML ({exc})") from None
    config = config if isinstance(config, dict) else {}
    docs_dir = clean_relpath(str(config.get("docs_dir") or "docs"))
    queue = ["index.md", *_nav_pages(config.get("nav"))]
    seen: set[str] = set()
    while queue:
        page = queue.pop(0)
        try:
            rel = clean_relpath(posixpath.normpath(page))
        except SourceError:
            continue  # links that leave the docs folder are not followed
        if rel in seen or "://" in page:
            continue
        seen.add(rel)
        try:
            data = read(urljoin(base, f"{docs_dir}/{rel}"))
        except SourceError as exc:
            if not _not_found(exc):
                raise  # unreachable or refused: the whole read fails, and the last good site stays
            continue
        out.add(f"{docs_dir}/{rel}", data)
        if rel.endswith(".md"):
            text = data.decode("utf-8", "replace")
            here = posixpath.dirname(rel)
            queue.extend(posixpath.join(here, link) for link in _MD_LINK.findall(text) if ":" not in link)


def _not_found(exc: SourceError) -> bool:
    return str(exc).endswith((": HTTP 404", ": HTTP 410"))


def _nav_pages(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_pages(value)]
    return []


def fingerprint(source: DocsSource, limits: BuildLimits) -> str | None:
    """A cheap signature of a folder on disk (names, sizes, times, link targets), or None when not on disk.

    Passes use it to skip copying and hashing a folder that has not been touched since its last check; any
    difference, even a touched file with the same content, falls back to the full copy and hash.
    """
    if source.type != "file":
        return None
    digest = hashlib.sha256()
    count = 0
    try:
        for folder, dirs, files in os.walk(os.path.realpath(source.target)):
            dirs.sort()
            for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]):
                path = os.path.join(folder, name)
                info = os.lstat(path)
                link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
                digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{link}\n"
                              .encode("utf-8", "surrogateescape"))
                count += 1
                if count > limits.maxFiles:
                    return None
    except OSError:
        return None
    return digest.hexdigest()


def prepare(source: DocsSource, folder: Path, limits: BuildLimits, git: GitTreeReader | None,
            read_url: Callable[[str], bytes]) -> Prepared:
    """Copy the docs folder named by `source` into `folder` (which must be empty) and hash it."""
    out = Collector(folder, limits)
    if source.type == "file":
        _read_file_tree(source.target, out)
    elif source.type == "git":
        _read_git_tree(git, source.target, out)
    elif source.type == "http":
        _read_http_tree(read_url, source.target, out)
    else:
        raise SourceError(f"unknown docs source type {source.type!r}")
    return out.finish()
