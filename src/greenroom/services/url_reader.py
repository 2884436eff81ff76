"""Reading remote files for plugins, behind an allow-list.

Every URL a plugin fetches on a user's behalf (catalog files, docs, templates) goes through here, so the
integrator decides in one place which hosts the portal may reach, and no reply can exhaust memory.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from greenroom.config.models import ReadingConfig


class UrlReadError(Exception):
    """A URL could not be read: not allowed, unreachable, too large or an error status."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


@dataclass(frozen=True)
class ReadResult:
    """The bytes read and the ETag (or revision) that identifies them, for change detection."""

    data: bytes
    etag: str | None = None


class UrlReaderProvider(Protocol):
    """A reader for some URLs (a git host, an object store); plugins add these."""

    def can_read(self, url: str) -> bool: ...

    def read(self, url: str, etag: str | None = None) -> ReadResult | None:
        """The content, or None when unchanged since `etag`."""


class UrlReader:
    """Reads URLs through the first provider that accepts them, or over HTTP(S) for allowed hosts."""

    def __init__(self, config: ReadingConfig, providers: Sequence[UrlReaderProvider] = ()) -> None:
        self.config = config
        self.providers: list[UrlReaderProvider] = list(providers)

    def add_provider(self, provider: UrlReaderProvider) -> None:
        """Let `provider` answer the URLs it claims; providers added later are asked first."""
        self.providers.insert(0, provider)

    def is_allowed(self, url: str) -> bool:
        """True when `backend.reading.allow` lists the URL's host (and path, if paths are given)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        for rule in self.config.allow:
            host_ok = fnmatch.fnmatchcase(netloc, rule.host) or fnmatch.fnmatchcase(parts.hostname, rule.host)
            if host_ok and (not rule.paths or any(parts.path.startswith(p) for p in rule.paths)):
                return True
        return False

    def read(self, url: str, etag: str | None = None) -> ReadResult | None:
        """Read `url`; None when the server says it has not changed since `etag`."""
        for provider in self.providers:
            if provider.can_read(url):
                return provider.read(url, etag)
        if not self.is_allowed(url):
            raise UrlReadError(url, "host is not in backend.reading.allow")
        headers = {"If-None-Match": etag} if etag else {}
        limit = self.config.maxBytes
        try:
            # Redirects are not followed: each hop would need its own allow-list check.
            with httpx.stream("GET", url, headers=headers, timeout=self.config.timeoutSeconds,
                              follow_redirects=False) as resp:
                if resp.status_code == 304:
                    return None
                if resp.status_code != 200:
                    raise UrlReadError(url, f"HTTP {resp.status_code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise UrlReadError(url, f"larger than {limit} bytes")
                    chunks.append(chunk)
                return ReadResult(b"".join(chunks), resp.headers.get("etag"))
        except httpx.HTTPError as exc:
            raise UrlReadError(url, f"cannot be read ({type(exc).__name__}: {exc})") from exc
