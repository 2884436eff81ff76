"""Helpers shared by the catalog pages: entity refs and their page URLs, safe links, same-site checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

from greenroom.plugins.catalog.model.refs import InvalidEntityRefError, parse_entity_ref

SAFE_SCHEMES = ("http", "https", "mailto")
TEMPLATE_DIR = "catalog/pages"


@dataclass(frozen=True)
class RefView:
    """An entity ref as the pages show it: its parts, its page URL and whether the catalog holds it."""

    ref: str
    kind: str
    namespace: str
    name: str
    exists: bool = True
    title: str | None = None
    description: str | None = None

    @property
    def href(self) -> str:
        return entity_path(self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        """The short form Backstage shows: the namespace only when it is not `default`."""
        shown = self.title or self.name
        return shown if self.namespace == "default" else f"{self.namespace}/{shown}"


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one: entity fields are user input of any shape."""
    return value if isinstance(value, Mapping) else {}


def entity_path(kind: str, namespace: str, name: str) -> str:
    """The page of an entity: `/catalog/<namespace>/<kind>/<name>`, each part escaped for a path segment."""
    return "/catalog/" + "/".join(quote(part, safe="") for part in (namespace, kind.lower(), name))


def ref_view(ref: str, default_kind: str | None = None, exists: bool = True,
             entity: Mapping[str, Any] | None = None) -> RefView | None:
    """A ref parsed for display, or None when it is not a valid ref at all."""
    try:
        parsed = parse_entity_ref(ref, default_kind=default_kind)
    except (InvalidEntityRefError, TypeError):
        return None
    meta = (entity or {}).get("metadata") or {}
    title = meta.get("title") if isinstance(meta.get("title"), str) else None
    description = meta.get("description") if isinstance(meta.get("description"), str) else None
    return RefView(f"{parsed.kind}:{parsed.namespace}/{parsed.name}".lower(), parsed.kind.lower(),
                   parsed.namespace, parsed.name, exists, title, description)


def entity_ref_of(entity: Mapping[str, Any]) -> str:
    """The stored (lower-cased) ref of an entity."""
    meta = entity.get("metadata") or {}
    return f"{entity.get('kind', '')}:{meta.get('namespace') or 'default'}/{meta.get('name', '')}".lower()


def safe_href(value: Any) -> str | None:
    """`value` when it is an http(s) or mailto URL, else None: a `javascript:` link must never render."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    # Browsers drop tabs and newlines inside URLs, so "java\tscript:" would run; refuse any control character.
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in SAFE_SCHEMES else None


def location_href(value: Any) -> str | None:
    """A link for a location annotation (`url:<target>` or a bare URL); file locations have none."""
    if not isinstance(value, str):
        return None
    kind, sep, target = value.partition(":")
    if sep and kind == "url":
        return safe_href(target)
    return safe_href(value)


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to return to; anything else (other hosts, `//host`) is the fallback (open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check_same_origin(request: Request) -> None:
    """Refuse a form POST sent by another site (cross-site request forgery).

    Browsers send `Origin` with every cross-site POST; when it is present it must name this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(403, "this form was sent from another site")


def is_htmx_fragment(request: Request, target: str) -> bool:
    """Whether htmx asks for just the element `target` (not a history restore, which needs the whole page)."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
            and headers.get("hx-target") == target)
