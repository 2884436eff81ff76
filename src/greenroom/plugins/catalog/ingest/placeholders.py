"""Reading what `$text`, `$json` and `$yaml` placeholders point at (Backstage's PlaceholderProcessor).

A relative value is resolved against the entity's own location: the file's folder, the URL (urljoin) or, for
git URLs, the same repository and ref. An absolute URL must name the entity's own repository, so a catalog
file cannot make the portal fetch (and publish) files from elsewhere. File placeholders stay below the
allowed roots, with `..` and symbolic links resolved before the check.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.giturls import GIT_PREFIX, same_repository
from greenroom.plugins.catalog.ingest.urls import is_absolute_url, join_url
from greenroom.plugins.catalog.model import YamlLimits, YamlLoadError, load_single_yaml_document
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.services.url_reader import UrlReader, UrlReadError

CROSS_REPOSITORY = "Placeholder may only reference files from the same repository as the entity"


class PlaceholderReadError(ValueError):
    """A placeholder target cannot be read; the message says why (it ends up on the entity)."""


def repository_of(url: str) -> str:
    """What counts as "the same repository" for an http(s) URL.

    GitHub (and raw.githubusercontent.com) URLs name the repository in their first two path segments,
    GitLab URLs before `/-/`; for any other host the whole site is one repository.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    path = parts.path
    if "/-/" in path:
        return f"{parts.scheme}://{host}{path.split('/-/', 1)[0]}".lower()
    if host in ("github.com", "raw.githubusercontent.com", "www.github.com"):
        segments = path.split("/")[1:3]
        return f"https://github.com/{'/'.join(segments)}".lower()
    return f"{parts.scheme}://{host}".lower()


def same_url_repository(a: str, b: str) -> bool:
    """True when two `url` targets (http(s) or git) are in one repository."""
    if a.startswith(GIT_PREFIX) or b.startswith(GIT_PREFIX):
        if not (a.startswith(GIT_PREFIX) and b.startswith(GIT_PREFIX)):
            return False
        try:
            return same_repository(a, b)
        except ValueError:
            return False
    return repository_of(a) == repository_of(b)


class PlaceholderReader:
    """The orchestrator's placeholder callback: `(kind, value, own_location) -> replacement`."""

    def __init__(self, url_reader: UrlReader, files: FileReader, max_bytes: int) -> None:
        self.url_reader = url_reader
        self.files = files
        self.max_bytes = max_bytes

    def __call__(self, kind: str, value: str, own: LocationSpec) -> Any:
        data, where = self.read(value, own)
        return decode(kind, data, where, self.max_bytes)

    def read(self, value: str, own: LocationSpec) -> tuple[bytes, str]:
        """The bytes `value` points at from an entity located at `own`, and where they came from."""
        if own.type == "file":
            return self._read_file(value, own.target)
        if own.type == "url":
            return self._read_url(value, own.target)
        raise PlaceholderReadError(f"placeholders are not supported for entities from {own.type} locations")

    def _read_file(self, value: str, entity_file: str) -> tuple[bytes, str]:
        if is_absolute_url(value):
            raise PlaceholderReadError(CROSS_REPOSITORY)
        path = os.path.realpath(os.path.join(os.path.dirname(entity_file), value))
        # The entity's "repository" is the allowed root it lives in: the target must be below the same one.
        home = os.path.realpath(entity_file)
        if not any(_below(home, root) and _below(path, root) for root in map(str, self.files.roots)):
            raise PlaceholderReadError(f"{value} is outside the folders file locations may read "
                                       "(catalog.allowedFileRoots)")
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise PlaceholderReadError(f"{path} does not exist") from None
        except OSError as exc:
            raise PlaceholderReadError(f"{path} cannot be read: {exc.strerror}") from None
        if len(data) > self.max_bytes:
            raise PlaceholderReadError(f"{path} is larger than {self.max_bytes} bytes")
        return data, path

    def _read_url(self, value: str, entity_url: str) -> tuple[bytes, str]:
        try:
            url = join_url(entity_url, value)
        except ValueError as exc:
            raise PlaceholderReadError(str(exc)) from None
        if not same_url_repository(entity_url, url):
            raise PlaceholderReadError(CROSS_REPOSITORY)
        try:
            result = self.url_reader.read(url)
        except UrlReadError as exc:
            raise PlaceholderReadError(str(exc)) from None
        if result is None:
            raise PlaceholderReadError(f"{url}: no content")
        if len(result.data) > self.max_bytes:
            raise PlaceholderReadError(f"{url} is larger than {self.max_bytes} bytes")
        return result.data, url


def _below(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def decode(kind: str, data: bytes, where: str, max_bytes: int) -> Any:
    """The placeholder value: text, parsed JSON, or the single document of a YAML file."""
    if kind == "text":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise PlaceholderReadError(f"{where} is not UTF-8 text") from None
    if kind == "json":
        try:
            return json.loads(data)
        except ValueError as exc:
            raise PlaceholderReadError(f"{where} is not valid JSON: {exc}") from None
    if kind == "yaml":
        try:
            return load_single_yaml_document(data, source=where, limits=YamlLimits(max_bytes=max_bytes))
        except YamlLoadError as exc:
            raise PlaceholderReadError(str(exc)) from None
    raise PlaceholderReadError(f"unknown placeholder ${kind}")
