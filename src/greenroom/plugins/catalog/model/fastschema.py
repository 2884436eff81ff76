"""Compiled "certainly valid" checks for JSON Schemas, used before jsonschema.

``jsonschema`` walks a schema with a lot of Python-level overhead per keyword.
Nearly every catalog entity is valid, so validation first runs a check
compiled by ``fastjsonschema``; only when that check fails is the (slow,
detailed) ``jsonschema`` validator run to produce the actual errors.

The compiled check must never be more lenient than ``jsonschema``: if it
accepts an instance, ``Draft7Validator`` must report no error for it. It may
be stricter (that only costs a second, detailed pass). To keep that promise
the schema is rewritten before compiling:

* every ``$ref`` is inlined (Draft 7 ignores keywords next to ``$ref``, and
  so does the inlining); references that cannot be resolved from the given
  store, recursive references and ``$id`` inside subschemas disable the fast
  path for that schema;
* only Draft 7 validation keywords whose compiled form is known to be at
  least as strict are kept; annotations and unknown keywords (ignored by
  ``jsonschema``) are dropped; ``format`` is dropped because the validators
  here assert no formats; ``uniqueItems``/``multipleOf`` and ``enum``/``const``
  with non-scalar values disable the fast path;
* after compiling, ``array`` means ``list`` only (``fastjsonschema`` also
  accepts tuples) and patterns use Python's own ``re`` semantics, exactly as
  ``jsonschema`` does (``fastjsonschema`` rewrites ``$``).

Anything else that goes wrong (including an exception raised by a compiled
check) simply means "not certainly valid".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

import fastjsonschema

__all__ = ["FastCheck", "compile_fast_check"]

FastCheck = Callable[[object], bool]
"""Returns True only if the instance is certainly valid against the schema."""

_DRAFT7 = "http://json-schema.org/draft-07/schema#"
_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
# Keywords copied as they are (their values are not schemas).
_PLAIN = frozenset(
    {
        "type",
        "required",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "pattern",
    }
)
_ONE_SCHEMA = frozenset(
    {"additionalProperties", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else"}
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
_UNSUPPORTED = frozenset({"uniqueItems", "multipleOf"})
# Draft 7 keywords that do not validate anything.
_IGNORED = frozenset(
    {
        "$schema",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "readOnly",
        "writeOnly",
        "definitions",
        "format",
        "contentMediaType",
        "contentEncoding",
    }
)
_MAX_INLINED_NODES = 20_000


class _Unsupported(Exception):
    """The schema cannot be compiled into a check that is never more lenient."""


def _is_scalar_constant(value: object) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _pointer(document: Any, fragment: str) -> Any:
    if fragment == "":
        return document
    if not fragment.startswith("/"):
        raise _Unsupported(f"unsupported fragment {fragment!r}")
    node = document
    for raw in fragment[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _Unsupported(f"unresolvable pointer {fragment!r}")
    return node


class _Inliner:
    def __init__(self, store: Mapping[str, Any]) -> None:
        self.store = store
        self.active: set[tuple[str, str]] = set()
        self.nodes = 0

    def schema(self, node: Any, base: str, doc_root: bool) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_INLINED_NODES:
            raise _Unsupported("schema too large to inline")
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise _Unsupported("a schema must be an object or a boolean")
        if "$ref" in node:
            return self._ref(node["$ref"], base)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$id":
                if not doc_root:
                    raise _Unsupported("$id inside a subschema")
            elif key in _IGNORED:
                continue
            elif key in _PLAIN:
                self._check_plain(key, value)
                out[key] = value
            elif key in _ONE_SCHEMA:
                out[key] = self.schema(value, base, False)
            elif key in _SCHEMA_LISTS:
                if not isinstance(value, list) or not value:
                    raise _Unsupported(f"{key} must be a non-empty list")
                out[key] = [self.schema(item, base, False) for item in value]
            elif key in _SCHEMA_MAPS:
                if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                    raise _Unsupported(f"{key} must be an object")
                out[key] = {name: self.schema(item, base, False) for name, item in value.items()}
            elif key == "items":
                if isinstance(value, list):
                    out[key] = [self.schema(item, base, False) for item in value]
                else:
                    out[key] = self.schema(value, base, False)
            elif key == "dependencies":
                out[key] = self._dependencies(value, base)
            elif key == "enum":
                if not isinstance(value, list) or not all(_is_scalar_constant(v) for v in value):
                    raise _Unsupported("enum with non-scalar values")
                out[key] = value
            elif key == "const":
                if not _is_scalar_constant(value):
                    raise _Unsupported("const with a non-scalar value")
                out[key] = value
            elif key in _UNSUPPORTED:
                raise _Unsupported(f"keyword {key}")
            # Any other keyword is not a Draft 7 validation keyword: jsonschema ignores it.
        return out

    def _check_plain(self, key: str, value: object) -> None:
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
                raise _Unsupported("unknown type")
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                raise _Unsupported("required must be a list of strings")
        elif key == "pattern":
            if not isinstance(value, str):
                raise _Unsupported("pattern must be a string")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise _Unsupported(f"{key} must be a number")

    def _dependencies(self, value: object, base: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Unsupported("dependencies must be an object")
        out: dict[str, Any] = {}
        for name, item in value.items():
            if isinstance(item, list):
                if not all(isinstance(n, str) for n in item):
                    raise _Unsupported("dependencies must list property names")
                out[name] = item
            else:
                out[name] = self.schema(item, base, False)
        return out

    def _ref(self, ref: object, base: str) -> Any:
        if not isinstance(ref, str):
            raise _Unsupported("$ref must be a string")
        uri, fragment = urldefrag(urljoin(base, ref))
        if uri not in self.store:
            raise _Unsupported(f"unresolvable $ref {ref!r}")
        key = (uri, fragment)
        if key in self.active:
            raise _Unsupported(f"recursive $ref {ref!r}")
        target = _pointer(self.store[uri], fragment)
        self.active.add(key)
        try:
            return self.schema(target, uri, fragment == "")
        finally:
            self.active.discard(key)


def inline_schema(schema: Any, store: Mapping[str, Any]) -> Any:
    """``schema`` with every ``$ref`` inlined and only trusted keywords kept.

    ``store`` maps ``$id``s to documents. Raises ``ValueError`` when the
    schema cannot be turned into an equally strict self-contained one.
    """
    documents = dict(store)
    base = ""
    if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
        base = urldefrag(schema["$id"])[0]
    # The validated schema itself wins over a stored document with the same id.
    documents[base] = schema
    try:
        return _Inliner(documents).schema(schema, base, True)
    except _Unsupported as exc:
        raise ValueError(str(exc)) from None


def _exact_patterns(patterns: Mapping[str, Any]) -> dict[str, re.Pattern[str]]:
    # jsonschema applies ``pattern`` and ``patternProperties`` with ``re.search``
    # on the pattern as written; fastjsonschema would turn ``$`` into ``\Z``.
    return {pattern: re.compile(pattern) for pattern in patterns}


def compile_fast_check(schema: Any, store: Mapping[str, Any] | None = None) -> FastCheck | None:
    """A compiled "certainly valid" check for a Draft 7 ``schema``, or None.

    ``store`` maps ``$id``s to the documents ``$ref``s may point to. None means
    the schema is not supported by the fast path; callers then always use
    ``jsonschema``.
    """
    try:
        inlined = inline_schema(schema, store or {})
        if isinstance(inlined, dict):
            inlined = {"$schema": _DRAFT7, **inlined}
        code = fastjsonschema.compile_to_code(inlined, use_default=False, use_formats=False)
    except Exception:  # any failure means "no fast path"
        return None
    # ``array`` is a list for jsonschema; fastjsonschema also accepts tuples.
    code = code.replace("list, tuple", "list")
    namespace: dict[str, Any] = {}
    try:
        exec(compile(code, "<fastschema>", "exec"), namespace)
        namespace["REGEX_PATTERNS"] = _exact_patterns(namespace.get("REGEX_PATTERNS", {}))
    except Exception:
        return None
    validate: Callable[[object], object] = namespace["validate"]

    def check(instance: object) -> bool:
        try:
            validate(instance)
        except Exception:  # invalid, or anything odd: take the detailed path
            return False
        return True

    return check
