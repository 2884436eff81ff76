"""Flattening an entity into Backstage's search rows, which filters, facets and ordering run on.

The rules match Backstage's `buildEntitySearch`, so `filter=` queries written for Backstage find the same
entities: dotted paths to every leaf, arrays of strings adding `path.item = true` too, relations as
`relations.<type> = <target ref>`, keys and values lower-cased, values over 200 characters stored as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 200
_SKIPPED = frozenset({"attachments", "relations", "status", "metadata.name", "metadata.namespace",
                      "metadata.uid", "metadata.etag"})

SearchRow = tuple[str, str | None, str | None]  # key, value (lower-cased), original value
# Lower-cased keys by raw key, shared by every entity's rows: the same few dozen keys recur in every entity, and
# sharing one string each takes 40% off a stitch batch's rows. Cleared when full (keys come from input).
_SHARED_KEYS: dict[str, str] = {}
_MAX_SHARED_KEYS = 20_000


class DuplicateKeyError(ValueError):
    """An entity has keys that differ only in case, which its search rows cannot tell apart."""


def js_string(value: Any) -> str:
    """The text JavaScript's `String(value)` gives, so numbers and booleans match Backstage's rows."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _traverse(path: str, current: Any, out: list[tuple[str, Any]], seen_item_keys: set[str]) -> None:
    # The leaves of a mapping are handled in its own loop: a call per leaf made this the costliest part of
    # stitching. Entities come from JSON, so exact types are checked first and subclasses after.
    if isinstance(current, Mapping):
        for key, value in current.items():
            sub = f"{path}.{key}" if path else str(key)
            if sub in _SKIPPED:
                continue
            kind = type(value)
            if kind is str or kind is int or kind is bool or kind is float or value is None:
                out.append((sub, value))
            else:
                _traverse(sub, value, out, seen_item_keys)
    elif isinstance(current, list):
        for item in current:
            if type(item) is str:
                out.append((path, item))
                item_key = f"{path}.{item}"
                lowered = item_key.lower()
                if lowered not in seen_item_keys:
                    seen_item_keys.add(lowered)
                    out.append((item_key, True))
            else:
                _traverse(path, item, out, seen_item_keys)
                if isinstance(item, str):
                    item_key = f"{path}.{item}"
                    lowered = item_key.lower()
                    if lowered not in seen_item_keys:
                        seen_item_keys.add(lowered)
                        out.append((item_key, True))
    elif current is None or isinstance(current, str | int | float | bool):
        out.append((path, current))


def search_rows(entity: Mapping[str, Any]) -> list[SearchRow]:
    """The deduplicated search rows of a stitched entity."""
    raw: list[tuple[str, Any]] = []
    _traverse("", entity, raw, set())
    metadata = entity.get("metadata") or {}
    raw.append(("metadata.name", metadata.get("name")))
    raw.append(("metadata.namespace", metadata.get("namespace")))
    raw.append(("metadata.uid", metadata.get("uid")))
    if not metadata.get("namespace"):
        raw.append(("metadata.namespace", "default"))
    for relation in entity.get("relations") or ():
        raw.append((f"relations.{relation['type']}", relation["targetRef"]))
    rows: list[SearchRow] = []
    seen: set[tuple[str, str | None]] = set()
    keys: dict[str, str] = {}  # raw key -> lower-cased
    lower = str.lower
    for raw_key, raw_value in raw:
        key = keys.get(raw_key)
        if key is None:
            key = _SHARED_KEYS.get(raw_key)
            if key is None:
                if len(_SHARED_KEYS) >= _MAX_SHARED_KEYS:
                    _SHARED_KEYS.clear()
                key = _SHARED_KEYS[raw_key] = lower(raw_key)
            keys[raw_key] = key
        if len(key) > MAX_KEY_LENGTH:
            continue
        if raw_value is None:
            row: SearchRow = (key, None, None)
        else:
            original = raw_value if type(raw_value) is str else js_string(raw_value)
            value = lower(original)
            if value == original:  # usually: one string for both, not two (a stitch batch holds 70,000 rows)
                value = original
            row = (key, value, original) if len(value) <= MAX_VALUE_LENGTH else (key, None, None)
        ident = (key, row[1])
        if ident not in seen:
            seen.add(ident)
            rows.append(row)
    if len(keys) != len(set(keys.values())):
        clashes = sorted({k for k in keys.values() if sum(1 for o in keys.values() if o == k) > 1})
        raise DuplicateKeyError("entity has duplicate keys that vary only in casing: " +
                                ", ".join(f"'{c}'" for c in clashes))
    return rows
