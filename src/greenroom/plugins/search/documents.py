"""Checking and flattening what collators publish, before any engine stores it.

Collators are other plugins' code fed by other people's data, so every document is bounded here: strings are
cut, nesting is refused, and only top-level scalars (and lists of them) become filterable fields.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from greenroom.plugins.search.terms import exact_key, fold

MAX_TITLE = 1_000
MAX_TEXT = 200_000
MAX_LOCATION = 2_000
MAX_RESOURCE_REF = 600
MAX_FIELD_VALUE = 200
MAX_FIELD_VALUES = 50
SAFE_LOCATION = re.compile(r"^(?:/(?![/\\])|https?://)", re.IGNORECASE)
RESERVED = frozenset({"title", "text", "location", "authorization"})


class DocumentError(ValueError):
    """A collator published a document that cannot be indexed; the message says which and why."""


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready for an engine: its JSON, its filter fields and the strings full text searches."""

    location: str
    title: str
    text: str
    keywords: str
    exact_title: str  # folded title and name: a term equal to one of them ranks first
    exact_name: str
    fields: tuple[tuple[str, str, str], ...]  # (key folded, value folded, value as given)
    body: bytes  # the document as JSON, as the API returns it
    hash: str
    resource_ref: str | None = None  # `authorization.resourceRef`, lower-cased: what permissions filter on


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def prepare(document: Mapping[str, Any]) -> PreparedDocument:
    """Check and flatten one document; raises DocumentError when it lacks a string `location`."""
    if not isinstance(document, Mapping):
        raise DocumentError(f"a document must be a mapping, not {type(document).__name__}")
    location = document.get("location")
    if not isinstance(location, str) or not location or len(location) > MAX_LOCATION:
        raise DocumentError(f"document {str(document.get('title'))[:80]!r} needs a `location` of 1 to "
                            f"{MAX_LOCATION} characters")
    if not SAFE_LOCATION.match(location):
        # Results link to their location: only site paths and http(s) URLs, never `javascript:` and the like.
        raise DocumentError(f"document location {location[:80]!r} is neither a path nor an http(s) URL")
    title = str(document.get("title") or "")[:MAX_TITLE]
    text = str(document.get("text") or "")[:MAX_TEXT]
    clean: dict[str, Any] = {"title": title, "text": text, "location": location}
    fields: list[tuple[str, str, str]] = []
    keywords: list[str] = []
    for key, value in document.items():
        if not isinstance(key, str) or key in RESERVED or len(key) > 100:
            continue
        values = value if isinstance(value, list) else [value]
        kept: list[Any] = []
        for item in values[:MAX_FIELD_VALUES]:
            scalar = _scalar(item)
            if scalar is None:
                continue
            scalar = scalar[:MAX_FIELD_VALUE]
            kept.append(scalar if isinstance(item, str) else item)
            if scalar:
                fields.append((fold(key), fold(scalar), scalar))
                if not key.startswith("last") and key not in ("namespace",):
                    keywords.append(scalar)
        if isinstance(value, list):
            clean[key] = kept
        elif kept or value is None:
            clean[key] = kept[0] if kept else None
    name = document.get("name")
    resource_ref = _resource_ref(document, location)
    body = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    return PreparedDocument(location=location, title=title, text=text, keywords=" ".join(keywords)[:5000],
                            exact_title=exact_key(title),
                            exact_name=exact_key(name) if isinstance(name, str) else "", fields=tuple(fields),
                            body=body, resource_ref=resource_ref,
                            hash=hashlib.sha1(body + (resource_ref or "").encode(), usedforsecurity=False).hexdigest())


def _resource_ref(document: Mapping[str, Any], location: str) -> str | None:
    """`authorization.resourceRef`; a document that names one badly is refused rather than shown to everyone."""
    authorization = document.get("authorization")
    if authorization is None:
        return None
    ref = authorization.get("resourceRef") if isinstance(authorization, Mapping) else None
    if ref is None and isinstance(authorization, Mapping):
        return None
    if not isinstance(ref, str) or not ref or len(ref) > MAX_RESOURCE_REF:
        raise DocumentError(f"document {location[:80]!r}: authorization.resourceRef must be a string of 1 to "
                            f"{MAX_RESOURCE_REF} characters")
    return ref.lower()


def load(body: bytes | str) -> dict[str, Any]:
    """A stored document back as a dict."""
    value = orjson.loads(body)
    assert isinstance(value, dict)
    return value
