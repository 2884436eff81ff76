"""The publisher interface (Backstage's PublisherBase, reduced to what the portal uses)."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any, Protocol

from greenroom.plugins.techdocs.refs import Triplet

METADATA_FILE = "techdocs_metadata.json"
MAX_METADATA_BYTES = 4 * 1024 * 1024


class PublishError(Exception):
    """Storage could not be written or read; the message names the store and the site."""


class Publisher(Protocol):
    """Stores built sites and serves their files."""

    name: str

    def publish(self, triplet: Triplet, site: Path) -> None:
        """Replace the site of `triplet` with the files under `site` (readers never see a half-written site)."""

    def read(self, triplet: Triplet, path: str) -> bytes | None:
        """One file of a site (a path inside it), or None when absent."""

    def metadata(self, triplet: Triplet) -> dict[str, Any] | None:
        """The site's techdocs_metadata.json, or None when no site is published."""

    def ready(self) -> bool:
        """True when the store can be used."""


def site_path(path: str) -> str | None:
    """`path` normalised to a file inside a site, or None when it would leave it."""
    if "\0" in path or "\\" in path:
        return None
    normal = posixpath.normpath("/" + path).lstrip("/")
    return normal if normal and normal != "." and not normal.startswith("..") else None


def parse_metadata(data: bytes | None) -> dict[str, Any] | None:
    """The metadata object, or None when missing or not a JSON object."""
    if data is None or len(data) > MAX_METADATA_BYTES:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
