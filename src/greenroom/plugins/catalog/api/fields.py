"""The `fields` projection: keep only some subtrees of each entity, with Backstage's path rules.

A path is split at dots, but a part that is not a key of the object at hand is joined with the next part, so
`metadata.annotations.backstage.io/view-url` reaches the annotation whose key holds a dot. Array paths (`[`) are
refused, as Backstage does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from greenroom.plugins.catalog.api.common import blob, input_error

Projection = Callable[[bytes], bytes]


def parse_fields(values: Iterable[str] | None) -> list[str] | None:
    """The field paths asked for (comma lists, repeatable), or None for whole entities."""
    if values is None:
        return None
    fields: list[str] = []
    for value in values:
        if not isinstance(value, str):
            input_error("Invalid fields, expected strings")
        for part in value.split(","):
            field = part.strip()
            if not field:
                continue
            if "[" in field:
                input_error(f"Invalid field \"{field}\", array type fields are not supported")
            fields.append(field)
    return fields or None


def _lookup(entity: Any, path: str) -> tuple[list[str], Any] | None:
    """The keys that reach `path` in `entity` and the value there, or None when it is not there."""
    parts = path.split(".")
    keys: list[str] = []
    current = entity
    pending = ""
    for part in parts:
        pending = f"{pending}.{part}" if pending else part
        if isinstance(current, dict) and pending in current:
            keys.append(pending)
            current = current[pending]
            pending = ""
    if pending or not keys:
        return None
    return keys, current


def project(entity: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A new entity holding only `fields` (subtrees are shared with `entity`, not copied)."""
    out: dict[str, Any] = {}
    for field in fields:
        found = _lookup(entity, field)
        if found is None:
            continue
        keys, value = found
        target = out
        source: Any = entity
        for key in keys[:-1]:
            source = source[key]
            existing = target.get(key)
            if existing is source:
                break  # an earlier field already kept this whole subtree
            if not isinstance(existing, dict):
                existing = target[key] = {}
            target = existing
        else:
            target[keys[-1]] = value
    return out


def projector(fields: Sequence[str] | None) -> Projection | None:
    """A function from stored entity bytes to projected bytes, or None when entities go out untouched."""
    if not fields:
        return None
    chosen = list(fields)

    def apply(data: bytes) -> bytes:
        return orjson.dumps(project(orjson.loads(data), chosen))

    return apply


def render(rows: Iterable[Any], projection: Projection | None) -> list[bytes]:
    """Stored entity columns as bytes ready to send, projected when asked."""
    if projection is None:
        return [blob(r) for r in rows]
    return [projection(blob(r)) for r in rows]
