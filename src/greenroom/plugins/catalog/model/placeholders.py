"""Detection and substitution of ``$text`` / ``$json`` / ``$yaml`` placeholders.

Same traversal as Backstage's ``PlaceholderProcessor``: a mapping whose only
key starts with ``$`` is a placeholder. It is replaced when a resolver exists
for that key and the value is a string; otherwise it is left untouched (so
JSON Schema ``$ref`` objects survive). A mapping with a ``$`` key among others
is left untouched and not descended into. Reading files and URLs is the
caller's job, through the resolver callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .issues import join_path

DEFAULT_PLACEHOLDER_KINDS: frozenset[str] = frozenset({"text", "json", "yaml"})

PlaceholderResolver = Callable[[str, str, str | None], Any]
"""``(kind, value, base_location) -> replacement``; kind is ``text``/``json``/``yaml``."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A placeholder found at ``field`` (dotted path), e.g. ``spec.definition``."""

    field: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class PlaceholderError:
    """A resolver failure, with the field path it happened at."""

    field: str
    kind: str
    value: str
    message: str

    def __str__(self) -> str:
        return f'Placeholder ${self.kind} at "{self.field}" ({self.value}) failed: {self.message}'


def is_placeholder(value: object) -> bool:
    """A mapping with exactly one key, and that key starts with ``$``."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    (key,) = value.keys()
    return isinstance(key, str) and key.startswith("$")


def _placeholder_parts(value: Mapping[str, Any], kinds: frozenset[str]) -> tuple[str, str] | None:
    (key, inner) = next(iter(value.items()))
    kind = key[1:]
    if kind not in kinds or not isinstance(inner, str):
        return None
    return kind, inner


def _has_dollar_key(value: Mapping[Any, Any]) -> bool:
    return any(isinstance(k, str) and k.startswith("$") for k in value)


def find_placeholders(data: object, kinds: Iterable[str] = DEFAULT_PLACEHOLDER_KINDS) -> list[Placeholder]:
    """Every placeholder that ``resolve_placeholders`` would replace, in document order."""
    wanted = frozenset(kinds)
    found: list[Placeholder] = []

    def visit(path: str, kind: str, value: str) -> None:
        found.append(Placeholder(path, kind, value))

    _walk(data, "", wanted, visit)
    return found


def _walk(
    data: object, path: str, kinds: frozenset[str], visit: Callable[[str, str, str], tuple[bool, Any] | None]
) -> tuple[bool, Any]:
    """Return ``(changed, new_value)``; ``visit`` decides each placeholder's replacement."""
    if isinstance(data, list):
        results = [_walk(item, join_path(path, i), kinds, visit) for i, item in enumerate(data)]
        if not any(changed for changed, _ in results):
            return False, data
        return True, [value for _, value in results]
    if not isinstance(data, Mapping):
        return False, data
    if not _has_dollar_key(data):
        entries = [(k, _walk(v, join_path(path, str(k)), kinds, visit)) for k, v in data.items()]
        if not any(changed for _, (changed, _v) in entries):
            return False, data
        return True, {k: value for k, (_, value) in entries}
    if len(data) != 1:
        return False, data
    parts = _placeholder_parts(data, kinds)
    if parts is None:
        return False, data
    outcome = visit(path, parts[0], parts[1])
    return outcome if outcome is not None else (False, data)


def resolve_placeholders(
    entity: Mapping[str, Any],
    resolver: PlaceholderResolver,
    base_location: str | None = None,
    kinds: Iterable[str] = DEFAULT_PLACEHOLDER_KINDS,
) -> tuple[dict[str, Any], list[PlaceholderError]]:
    """Replace placeholders through ``resolver``; returns ``(new_entity, errors)``.

    The input is not modified; unchanged subtrees are shared with it. A
    resolver exception becomes a ``PlaceholderError`` naming the field, and
    that placeholder stays in place. Backstage fails the whole entity on such
    an error, so callers should treat a non-empty error list as a failure.
    """
    errors: list[PlaceholderError] = []

    def visit(path: str, kind: str, value: str) -> tuple[bool, Any] | None:
        try:
            return True, resolver(kind, value, base_location)
        except Exception as exc:  # any resolver failure is reported, never raised
            errors.append(PlaceholderError(path, kind, value, str(exc) or type(exc).__name__))
            return None

    _, result = _walk(entity, "", frozenset(kinds), visit)
    return dict(result), errors
