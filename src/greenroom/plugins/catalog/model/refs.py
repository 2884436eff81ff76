"""Entity references and location references, following Backstage's ``ref.ts``.

String form of an entity ref is ``[<kind>:][<namespace>/]<name>``. The canonical
form (``stringify_entity_ref``) is ``kind:namespace/name`` lower-cased, and refs
compare case-insensitively everywhere.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_NAMESPACE = "default"


class InvalidEntityRefError(ValueError):
    """Raised when an entity reference cannot be parsed."""


class InvalidLocationRefError(ValueError):
    """Raised when a location reference cannot be parsed or stringified."""


def _lower(value: str) -> str:
    # Backstage uses toLocaleLowerCase('en-US'); str.lower() agrees with it for
    # everything a valid kind/namespace/name can contain.
    return value.lower()


@dataclass(frozen=True, slots=True, eq=False)
class EntityRef:
    """A compound entity reference. Equality and hashing ignore case."""

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The lower-cased ``(kind, namespace, name)`` triple used for comparison."""
        return (_lower(self.kind), _lower(self.namespace), _lower(self.name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EntityRef):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return stringify_entity_ref(self)


def _js_json(value: object) -> str:
    # Backstage's messages embed JSON.stringify(ref); compact separators match it.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _split_ref_string(ref: str) -> tuple[str | None, str | None, str]:
    colon = ref.find(":")
    slash = ref.find("/")
    # A ':' after the first '/' belongs to the name (``ns/na:me``).
    if slash != -1 and slash < colon:
        colon = -1
    kind = None if colon == -1 else ref[:colon]
    namespace = None if slash == -1 else ref[colon + 1 : slash]
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise InvalidEntityRefError(
            f'Entity reference "{ref}" was not on the form [<kind>:][<namespace>/]<name>'
        )
    return kind, namespace, name


def is_parseable_ref_string(ref: str, default_kind: object) -> bool:
    """Whether ``parse_entity_ref(ref, default_kind, <any namespace>)`` succeeds for a string.

    A cheap check for the common case; callers use ``parse_entity_ref`` for
    the result or the error message.
    """
    if not ref:
        return False
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:
        colon = -1
    if colon == 0 or (slash != -1 and slash == colon + 1) or max(colon, slash) + 1 == len(ref):
        return False  # empty kind, namespace or name
    return colon != -1 or (isinstance(default_kind, str) and default_kind != "")


def parse_entity_ref(
    ref: str | Mapping[str, Any],
    default_kind: str | None = None,
    default_namespace: str | None = DEFAULT_NAMESPACE,
) -> EntityRef:
    """Parse a string or ``{kind?, namespace?, name}`` ref into an ``EntityRef``.

    Missing parts take the defaults; an empty default namespace falls back to
    ``default`` like Backstage. Raises ``InvalidEntityRefError`` with Backstage's
    messages when the ref is empty, malformed, or lacks a kind and no default
    kind was given.
    """
    if isinstance(ref, str) and not ref:
        raise InvalidEntityRefError("Entity reference must not be empty")
    namespace_default = default_namespace or DEFAULT_NAMESPACE
    kind: object
    namespace: object
    name: object
    if isinstance(ref, str):
        p_kind, p_namespace, p_name = _split_ref_string(ref)
        kind = p_kind if p_kind is not None else default_kind
        namespace = p_namespace if p_namespace is not None else namespace_default
        name = p_name
    elif isinstance(ref, Mapping):
        kind = ref.get("kind") if ref.get("kind") is not None else default_kind
        namespace = ref.get("namespace") if ref.get("namespace") is not None else namespace_default
        name = ref.get("name")
    else:
        raise InvalidEntityRefError(f"Entity reference {_js_json(ref)} must be a string or an object")
    # JSON-encoding a string cannot fail, so it is only done for messages; a
    # mapping is encoded up front as before (encoding it may raise).
    textual = "" if isinstance(ref, str) else _js_json(ref)
    if not kind or not isinstance(kind, str):
        textual = textual or _js_json(ref)
        raise InvalidEntityRefError(
            f"Entity reference {textual} had missing or empty kind "
            '(e.g. did not start with "component:" or similar)'
        )
    if not namespace or not isinstance(namespace, str):
        textual = textual or _js_json(ref)
        raise InvalidEntityRefError(f"Entity reference {textual} had missing or empty namespace")
    if not name or not isinstance(name, str):
        textual = textual or _js_json(ref)
        raise InvalidEntityRefError(f"Entity reference {textual} had missing or empty name")
    return EntityRef(kind=kind, namespace=namespace, name=name)


def stringify_entity_ref(ref: EntityRef | Mapping[str, Any]) -> str:
    """Return the canonical lower-cased ``kind:namespace/name`` form.

    Accepts an ``EntityRef``, a ``{kind, namespace?, name}`` mapping, or a whole
    entity (anything with ``metadata``), like Backstage's ``stringifyEntityRef``.
    """
    if isinstance(ref, EntityRef):
        kind, namespace, name = ref.kind, ref.namespace, ref.name
    elif "metadata" in ref:
        kind = ref["kind"]
        namespace = ref["metadata"].get("namespace") or DEFAULT_NAMESPACE
        name = ref["metadata"]["name"]
    else:
        kind = ref["kind"]
        namespace = ref.get("namespace") or DEFAULT_NAMESPACE
        name = ref["name"]
    return f"{_lower(str(kind))}:{_lower(str(namespace))}/{_lower(str(name))}"


def entity_ref_key(ref: str | EntityRef | Mapping[str, Any]) -> str:
    """Lower-cased comparable key for a ref in any form (strings need a kind)."""
    if isinstance(ref, str):
        ref = parse_entity_ref(ref)
    return stringify_entity_ref(ref)


def get_entity_ref(entity: Mapping[str, Any]) -> EntityRef:
    """The compound ref of an entity; a missing namespace means ``default``."""
    metadata = entity["metadata"]
    return EntityRef(
        kind=entity["kind"],
        namespace=metadata.get("namespace") or DEFAULT_NAMESPACE,
        name=metadata["name"],
    )


@dataclass(frozen=True, slots=True)
class LocationRef:
    """A location reference ``<type>:<target>``, e.g. ``url:https://host/x.yaml``."""

    type: str
    target: str

    def __str__(self) -> str:
        return stringify_location_ref(self)


def parse_location_ref(ref: str) -> LocationRef:
    """Split ``<type>:<target>`` at the first ``:`` (both parts trimmed)."""
    if isinstance(ref, str):
        # Every entity names its location and its origin, shared by the entities of a file and of a whole
        # import: the same few strings, parsed three times per entity.
        return _parse_location_text(ref)
    raise InvalidLocationRefError(
        f"Unable to parse location reference '{ref}', unexpected argument {type(ref).__name__}"
    )


@functools.lru_cache(maxsize=4096)
def _parse_location_text(ref: str) -> LocationRef:
    type_, sep, target = ref.partition(":")
    type_, target = type_.strip(), target.strip()
    if not sep or not type_ or not target:
        raise InvalidLocationRefError(
            f"Unable to parse location reference '{ref}', expected '<type>:<target>', e.g. 'url:https://host/path'"
        )
    if type_ in ("http", "https"):
        raise InvalidLocationRefError(
            f"Invalid location reference '{ref}', please prefix it with 'url:', e.g. 'url:{ref}'"
        )
    return LocationRef(type=type_, target=target)


def stringify_location_ref(ref: LocationRef | Mapping[str, str]) -> str:
    """Return ``type:target``; both parts must be non-empty."""
    type_, target = (ref.type, ref.target) if isinstance(ref, LocationRef) else (ref["type"], ref["target"])
    if not type_:
        raise InvalidLocationRefError("Unable to stringify location reference, empty type")
    if not target:
        raise InvalidLocationRefError("Unable to stringify location reference, empty target")
    return f"{type_}:{target}"
