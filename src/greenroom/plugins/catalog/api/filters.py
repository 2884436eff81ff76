"""The `filter=` query parameter, parsed with Backstage's rules into the predicate language.

Each `filter` parameter is one set; sets are OR-ed. Inside a set, comma-separated statements are AND-ed: `key`
means the key exists, `key=value` means it has that value (`key=` means the empty value), and the same key given
twice means either value. Keys and values are trimmed; matching is case-insensitive (done in the SQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from greenroom.plugins.catalog.api.common import input_error

Predicate = dict[str, Any]


def parse_filter_set(text: str) -> Predicate | None:
    """One filter set as an `$all` of field expressions, or None when it holds no statement."""
    keys: dict[str, list[str] | None] = {}  # None: "exists", which any value also satisfies
    for raw in text.split(","):
        statement = raw.strip()
        if not statement:
            continue
        key, sep, value = statement.partition("=")
        key = key.strip()
        if not key:
            input_error(f"Invalid filter, {statement} is not a valid statement "
                        "(expected a string on the form a=b or a= or a)")
        if not sep:
            keys[key] = None
        elif key not in keys:
            keys[key] = [value.strip()]
        elif keys[key] is not None:
            existing = keys[key]
            assert existing is not None
            existing.append(value.strip())
    if not keys:
        return None
    parts: list[Predicate] = []
    for key, values in keys.items():
        if values is None:
            parts.append({key: {"$exists": True}})
        elif len(values) == 1:
            parts.append({key: values[0]})
        else:
            parts.append({key: {"$in": values}})
    return parts[0] if len(parts) == 1 else {"$all": parts}


def parse_filters(params: Sequence[str]) -> Predicate | None:
    """All `filter` parameters as one predicate (OR of the sets), or None when nothing filters."""
    sets = [p for p in (parse_filter_set(text) for text in params) if p is not None]
    if not sets:
        return None
    return sets[0] if len(sets) == 1 else {"$any": sets}


def combine(*predicates: Predicate | None) -> Predicate | None:
    """The AND of the predicates given (None ones ignored)."""
    present = [p for p in predicates if p is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"$all": present}


def basic_filter(**pairs: str) -> Predicate:
    """Equality on each key, like Backstage's `basicEntityFilter`."""
    return {"$all": [{key: value} for key, value in pairs.items()]}
