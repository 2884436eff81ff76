"""Which entity a docs site belongs to, where its storage folder is, and where its sources live.

`backstage.io/techdocs-ref` is `dir:<path>` (relative to the entity's source location, as in Backstage) or
`url:<folder URL>`. A `dir:` path may not climb out of the entity's source folder: the portal reads nothing
outside the folder the entity itself came from.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

TECHDOCS_REF = "backstage.io/techdocs-ref"
SOURCE_LOCATION = "backstage.io/source-location"
MANAGED_BY_LOCATION = "backstage.io/managed-by-location"
EDIT_URL = "backstage.io/edit-url"
VIEW_URL = "backstage.io/view-url"
GIT_PREFIX = "git+"


class SourceError(ValueError):
    """The docs source cannot be used: bad annotation, unreadable, or over a limit. The message says why."""


@dataclass(frozen=True)
class Triplet:
    """An entity's `<namespace>/<kind>/<name>`, the key of its docs site."""

    namespace: str
    kind: str
    name: str

    @classmethod
    def of(cls, entity: Mapping[str, Any]) -> Triplet:
        meta = entity.get("metadata") or {}
        return cls(str(meta.get("namespace") or "default"), str(entity.get("kind", "")), str(meta.get("name", "")))

    @classmethod
    def parse(cls, namespace: str, kind: str, name: str) -> Triplet:
        return cls(namespace, kind, name)

    @property
    def ref(self) -> str:
        """The entity ref, lower-cased: `component:default/launch-control`."""
        return f"{self.kind}:{self.namespace}/{self.name}".lower()

    def storage_path(self, case_sensitive: bool = False) -> str:
        """The site's folder in storage; each part is checked, since names are hostile input too."""
        parts = [self.namespace, self.kind, self.name]
        for part in parts:
            if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
                raise SourceError(f"entity {self.ref!r} cannot name a docs folder")
        return "/".join(parts if case_sensitive else [p.lower() for p in parts])

    @property
    def docs_href(self) -> str:
        """The portal URL of the site's home page."""
        return "/docs/" + "/".join(quote(p.lower(), safe="") for p in (self.namespace, self.kind, self.name)) + "/"


def entity_annotations(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    value = (entity.get("metadata") or {}).get("annotations")
    return value if isinstance(value, Mapping) else {}


def has_docs(entity: Mapping[str, Any]) -> bool:
    """True when the entity has a non-empty techdocs-ref annotation (the Docs tab shows)."""
    value = entity_annotations(entity).get(TECHDOCS_REF)
    return isinstance(value, str) and bool(value.strip())


@dataclass(frozen=True)
class DocsSource:
    """Where a docs folder is: `file` (absolute path), `git` (`git+…#ref:folder/`) or `http` (folder URL)."""

    type: str
    target: str
    # The folder the source may not leave (the entity's source folder for `dir:` refs).
    boundary: str | None = None

    def describe(self) -> str:
        return f"{self.type}:{self.target}"


def _source_location(entity: Mapping[str, Any]) -> str:
    notes = entity_annotations(entity)
    value = notes.get(SOURCE_LOCATION)
    if isinstance(value, str) and value:
        return value
    managed = notes.get(MANAGED_BY_LOCATION)
    if isinstance(managed, str) and ":" in managed:
        kind, _, target = managed.partition(":")
        if kind == "file":
            return "file:" + os.path.dirname(target).rstrip("/") + "/"
        if kind == "url":
            return "url:" + (target if target.endswith("/") else target.rsplit("/", 1)[0] + "/")
    raise SourceError("the entity has no backstage.io/source-location (or managed-by-location) annotation to "
                      "resolve its techdocs-ref dir: against")


def _url_source(url: str, boundary: str | None = None) -> DocsSource:
    if url.startswith(GIT_PREFIX):
        remote, _, fragment = url.partition("#")
        ref, _, path = fragment.partition(":")
        if ".." in path.split("/"):
            raise SourceError(f"{url}: the path may not leave the repository")
        return DocsSource("git", f"{remote}#{ref}:{path.strip('/') + '/' if path.strip('/') else ''}", boundary)
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        return DocsSource("http", url if url.endswith("/") else url + "/", boundary)
    raise SourceError(f"{url}: docs can be read from http(s) and git+ URLs only")


def resolve_source(entity: Mapping[str, Any]) -> DocsSource:
    """The docs folder named by the entity's techdocs-ref; SourceError naming the problem otherwise."""
    ref = entity_annotations(entity).get(TECHDOCS_REF)
    if not isinstance(ref, str) or not ref.strip():
        raise SourceError(f"the entity has no {TECHDOCS_REF} annotation")
    kind, sep, target = ref.strip().partition(":")
    if not sep or not target:
        raise SourceError(f"{TECHDOCS_REF} {ref!r} must be dir:<path> or url:<URL>")
    if kind == "url":
        return _url_source(target)
    if kind != "dir":
        raise SourceError(f"{TECHDOCS_REF} {ref!r}: unknown type {kind!r} (expected dir or url)")
    if "\0" in target or "\\" in target or target.startswith("/"):
        raise SourceError(f"{TECHDOCS_REF} {ref!r}: dir: takes a relative path")
    normal = posixpath.normpath(target)
    if normal == ".." or normal.startswith("../"):
        raise SourceError(f"{TECHDOCS_REF} {ref!r}: the path leaves the entity's source folder")
    base = _source_location(entity)
    base_kind, _, base_target = base.partition(":")
    rel = "" if normal == "." else normal + "/"
    if base_kind == "file":
        folder = os.path.normpath(base_target)
        docs = os.path.normpath(os.path.join(folder, rel))
        # source-location can be written by the entity's author; managed-by-location is set by the catalog.
        # Docs on disk must lie inside the folder the catalog itself read the entity from.
        managed = entity_annotations(entity).get(MANAGED_BY_LOCATION)
        if not isinstance(managed, str) or not managed.startswith("file:"):
            raise SourceError("docs on disk need an entity read from a file location (managed-by-location)")
        allowed = os.path.dirname(os.path.normpath(managed[len("file:"):]))
        if docs != allowed and not docs.startswith(allowed.rstrip(os.sep) + os.sep):
            raise SourceError(f"the docs folder {docs} is outside the folder of the entity's catalog file "
                              f"({allowed})")
        return DocsSource("file", docs, boundary=allowed)
    if base_kind == "url":
        root = base_target if base_target.endswith("/") else base_target + "/"
        if root.startswith(GIT_PREFIX):
            return _url_source(root + rel, boundary=root)
        return _url_source(urljoin(root, rel), boundary=root)
    raise SourceError(f"source location {base!r} is neither file: nor url:")
