"""Reading `url` locations through the core UrlReader, and the annotations that say where an entity lives.

`url` targets are plain http(s) URLs or git file URLs (``git+<remote>#<ref>:<path>``, see `giturls`); the latter
may hold a glob. Parsing and entity limits are the FileReader's (`emit_documents`), so a file means the same
whether it comes from disk, a web server or a git repository.
"""

from __future__ import annotations

import posixpath
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from greenroom.plugins.catalog.ingest.files import FileReader, is_glob
from greenroom.plugins.catalog.ingest.git import GitReader, GitReadError
from greenroom.plugins.catalog.ingest.giturls import GIT_PREFIX, join_git_url, parse_git_url
from greenroom.plugins.catalog.processing.orchestrator import location_of
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec
from greenroom.services.url_reader import UrlReader, UrlReadError

ANNOTATION_SOURCE_LOCATION = "backstage.io/source-location"
ANNOTATION_VIEW_URL = "backstage.io/view-url"
ANNOTATION_EDIT_URL = "backstage.io/edit-url"
# Backstage leaves out edit-url for URLs pinned to a commit: a commit cannot be edited.
_COMMIT_IN_URL = re.compile(r"[0-9a-fA-F]{40,}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_absolute_url(value: str) -> bool:
    """True when `value` has a scheme (`https:`, `git+file:`…), i.e. is not a relative reference."""
    return bool(_SCHEME.match(value))


def join_url(base: str, relative: str) -> str:
    """`relative` resolved against the `url` location `base`, git URLs included (ValueError if impossible)."""
    if is_absolute_url(relative):
        return relative
    if base.startswith(GIT_PREFIX):
        return join_git_url(base, relative)
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"cannot resolve {relative!r} against {base}")
    return urljoin(base, relative)


def _is_not_found(exc: UrlReadError) -> bool:
    if isinstance(exc, GitReadError):
        return exc.not_found
    return str(exc).endswith((": HTTP 404", ": HTTP 410"))


def _error_name(exc: UrlReadError) -> str:
    text = str(exc)
    if "backend.reading.allow" in text or "catalog.allowedFileRoots" in text:
        return "NotAllowedError"
    return "NotFoundError" if _is_not_found(exc) else "Error"


class UrlLocationReader:
    """Location reader for `url` locations (Backstage's UrlReaderProcessor)."""

    name = "UrlReaderProcessor"

    def __init__(self, url_reader: UrlReader, files: FileReader, git: GitReader | None = None,
                 cache_bytes: int = 64 * 1024 * 1024) -> None:
        self.url_reader = url_reader
        self.files = files
        self.git = git
        # Last content per URL, so an unchanged file (ETag / blob id) is neither downloaded nor held twice.
        self._cache: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0

    def __call__(self, location: LocationSpec, optional: bool, emit: Emitter, parent: Mapping[str, Any]) -> bool:
        if location.type != "url":
            return False
        target = location.target
        if not is_absolute_url(target):
            # Service.resolve_target cannot join git URLs (urljoin knows no git+ scheme); the parent's own location can.
            base = location_of(parent)
            try:
                if base is None or base.type != "url":
                    raise ValueError(f"url location {target!r} is relative and has no url location to resolve against")
                target = join_url(base.target, target)
            except ValueError as exc:
                emit.error("InputError", str(exc))
                return True
        if target.startswith(GIT_PREFIX):
            try:
                glob = is_glob(parse_git_url(target).path)
            except ValueError as exc:
                emit.error("InputError", str(exc))
                return True
            if glob:
                self._read_glob(target, optional, emit)
                return True
        elif urlsplit(target).scheme not in ("http", "https"):
            emit.error("InputError", f"url location {target!r} must be an http(s) or git+ URL")
            return True
        elif any(c in urlsplit(target).path for c in "*["):
            emit.error("InputError", f"{target}: glob patterns are only supported in git+ URLs")
            return True
        self._read_one(LocationSpec("url", target), optional, emit)
        return True

    def _read_one(self, spec: LocationSpec, optional: bool, emit: Emitter) -> None:
        try:
            data = self.read(spec.target)
        except UrlReadError as exc:
            if not (optional and _is_not_found(exc)):
                emit.source_error(spec, _error_name(exc), str(exc))
            return
        self.files.emit_documents(spec, data, emit)

    def _read_glob(self, target: str, optional: bool, emit: Emitter) -> None:
        if self.git is None:
            emit.error("InputError", f"{target}: git locations are not enabled")
            return
        try:
            found = self.git.read_glob(target)
        except GitReadError as exc:
            # Which files the glob held is unknown now, so the whole location fails: that keeps every
            # entity it produced before, instead of orphaning them.
            if not (optional and exc.not_found):
                emit.error(_error_name(exc), str(exc))
            return
        for url, data in found:
            spec = LocationSpec("url", url)
            if isinstance(data, GitReadError):
                emit.source_error(spec, _error_name(data), str(data))
            else:
                self.files.emit_documents(spec, data, emit)

    def read(self, url: str) -> bytes:
        """The content of `url`, using the last copy when the server says it has not changed."""
        cached = self._cache.get(url)
        result = self.url_reader.read(url, cached[0] if cached else None)
        if result is None:
            if cached is None:
                raise UrlReadError(url, "the server answered 'not modified' to a request without an ETag")
            self._cache.move_to_end(url)
            return cached[1]
        if cached is not None:
            self._cached -= len(self._cache.pop(url)[1])
        if result.etag and len(result.data) <= self._cache_bytes // 8:
            self._cache[url] = (result.etag, result.data)
            self._cached += len(result.data)
            while self._cached > self._cache_bytes:
                self._cached -= len(self._cache.popitem(last=False)[1][1])
        return result.data


def location_annotations(location: LocationSpec) -> dict[str, str]:
    """source-location, view-url and edit-url for an entity read from `location` (empty when not known)."""
    target = location.target
    if location.type == "file":
        return {ANNOTATION_SOURCE_LOCATION: f"file:{posixpath.dirname(target).rstrip('/')}/"}
    if location.type != "url":
        return {}
    if target.startswith(GIT_PREFIX):
        # A git URL names a file but is no web page, so there is nothing to view or edit in a browser.
        try:
            return {ANNOTATION_SOURCE_LOCATION: "url:" + join_git_url(target, "./")}
        except ValueError:
            return {}
    if urlsplit(target).scheme not in ("http", "https"):
        return {}
    out = {ANNOTATION_VIEW_URL: target, ANNOTATION_SOURCE_LOCATION: "url:" + urljoin(target, "./")}
    if not _COMMIT_IN_URL.search(target):
        out[ANNOTATION_EDIT_URL] = edit_url(target)
    return out


def edit_url(url: str) -> str:
    """The page that edits the file at `url`: GitHub's and GitLab's edit views, else the URL itself."""
    parts = urlsplit(url)
    if "/-/blob/" in parts.path:
        return url.replace("/-/blob/", "/-/edit/", 1)
    segments = parts.path.split("/")
    if len(segments) > 4 and segments[3] == "blob":
        segments[3] = "edit"
        return parts._replace(path="/".join(segments)).geturl()
    return url


class AnnotateLocation:
    """Adds where an entity lives (Backstage's AnnotateLocationEntityProcessor); the entity's own values win."""

    name = "AnnotateLocationEntityProcessor"
    parallel_safe = True  # a pure function of the entity and its location (see Orchestrator.eager)

    def post_process(self, entity: dict[str, Any], own: LocationSpec, emit: Emitter) -> dict[str, Any]:
        """Return `entity` with the location annotations merged under its own annotations."""
        values = location_annotations(own)
        metadata = entity.get("metadata")
        if not values or not isinstance(metadata, dict):
            return entity
        annotations = metadata.get("annotations")
        merged = {**values, **(annotations if isinstance(annotations, dict) else {})}
        return {**entity, "metadata": {**metadata, "annotations": merged}}
