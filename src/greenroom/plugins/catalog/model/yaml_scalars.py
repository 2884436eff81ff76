"""YAML 1.2 core-schema scalar resolution, as used by Backstage's ``yaml`` parser.

PyYAML resolves plain scalars with YAML 1.1 rules (``yes``/``on`` are booleans,
``2021-01-01`` is a date, ``1:20`` is a sexagesimal int). Backstage parses with
the npm ``yaml`` package, whose default is the 1.2 core schema where all of
those are strings, so resolution is redone here from the raw events.
"""

from __future__ import annotations

import math
import re

_NULL = re.compile(r"(?:~|null|Null|NULL)?\Z")
_TRUE = re.compile(r"(?:true|True|TRUE)\Z")
_FALSE = re.compile(r"(?:false|False|FALSE)\Z")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")

TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = TAG_PREFIX + "str"
_CORE_TAGS = {TAG_PREFIX + name for name in ("null", "bool", "int", "float")}


class ScalarError(ValueError):
    """An explicitly tagged scalar whose text does not fit its tag."""


def _to_int(text: str, base: int) -> int | float:
    try:
        return int(text, base)
    except ValueError:
        # More digits than Python converts by default: JS would give a float (or Infinity).
        return float(text) if base == 10 else math.inf


# Plain scalars that are keywords, and the first characters a number can start with.
_KEYWORDS: dict[str, object] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NUMBER_START = frozenset("0123456789+-.")
_MISSING = object()


def resolve_plain(text: str) -> object:
    """The value of an untagged plain scalar (core-schema resolution)."""
    # Fast path, same result: a keyword, or text no number pattern can match.
    keyword = _KEYWORDS.get(text, _MISSING)
    if keyword is not _MISSING:
        return keyword
    if text[0] not in _NUMBER_START:
        return text
    return _implicit_number(text)


_implicit = resolve_plain


def _implicit_number(text: str) -> object:
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT.match(text):
        return _to_int(text, 10)
    if _OCT.match(text):
        return _to_int(text[2:], 8)
    if _HEX.match(text):
        return _to_int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    inf = _INF.match(text)
    if inf:
        return -math.inf if inf.group(1) == "-" else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def resolve_scalar(value: str, tag: str | None, plain: bool) -> object:
    """The Python value of a scalar event.

    Untagged plain scalars use core-schema resolution; quoted and block
    scalars are strings. Explicit core tags (``!!int`` ...) must match their
    text. Any other tag (``!!binary``, ``!custom``) is never executed: the
    text is kept as a string, which is what the ``yaml`` package does with
    an unresolved tag.
    """
    if tag is None or tag == "?":
        return _implicit(value) if plain else value
    if tag == "!" or tag == STR_TAG or tag not in _CORE_TAGS:
        return value
    resolved = _implicit(value)
    expected = tag[len(TAG_PREFIX) :]
    actual = {type(None): "null", bool: "bool", int: "int", float: "float"}.get(type(resolved), "str")
    if actual == expected or (expected == "float" and actual == "int"):
        return float(resolved) if expected == "float" else resolved  # type: ignore[arg-type]
    raise ScalarError(f"Scalar {value!r} is not a valid !!{expected}")


def js_key(value: object) -> str:
    """The string a mapping key becomes once converted to a JSON object key.

    Mirrors ``String(key)`` in JavaScript for the scalar types YAML produces,
    with ``null`` becoming the empty string like the ``yaml`` package does.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)
