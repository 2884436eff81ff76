"""A native fast path for the plain catalog file, giving exactly what ``load_yaml_documents`` would.

Building documents from PyYAML's events costs about 0.19 ms per entity, the largest single cost of importing a
big catalog. ``yaml_rs`` (a Rust YAML 1.2 parser) builds the same data about six times faster, but it is not the
same parser: it reads a few YAML 1.1 number forms (``1_000``, ``0b1``, ``0O7``, ``+0x1``, ``.Inf``) as numbers
where Backstage's core schema keeps strings, gives non-string keys, expands aliases under its own limits,
accepts tab indentation and cannot tell one document whose root is a list from a stream of documents.

So its result is taken only where none of that can matter, and every other input goes to the exact builder
(``None`` from ``fast_documents``):

- the text holds no tab or other control character, no YAML 1.1 line break, no directive, no document-end
  marker, and nothing that may start an anchor, alias or tag (an ``&``, ``*`` or ``!`` at the start of a token;
  one inside a sentence sends the file the slow way, which is only slower);
- every document is a mapping or empty, and their number matches the ``---`` markers;
- every key is a string of at most 1,000 characters (PyYAML refuses longer implicit keys);
- no value is a number: the forms where the parsers differ are all numbers, and catalog files seldom hold one;
- nesting stays below the depth limit, and the text is shorter than the node limit.

Any error from ``yaml_rs`` also goes to the exact builder, which reports it with its own message and line.
``tests/plugins/catalog/model/test_yaml_fast.py`` compares both ways on every form that differs.
"""

from __future__ import annotations

import re
from typing import Any

try:  # a platform without a wheel keeps the exact builder alone
    import yaml_rs
except ImportError:  # pragma: no cover - the wheel exists for every platform CI runs on
    yaml_rs = None  # type: ignore[assignment]

# What may start an anchor, alias or tag; a directive or an explicit document end; a tab, and characters the
# parsers treat differently: control characters, and the line breaks of YAML 1.1 (NEL, LS, PS). Separate
# patterns, each a plain scan: one alternation of them all took as long as the parse.
_NODE_PROPERTY = re.compile(r"(?:^|[\s,\[{])[&*!]", re.MULTILINE)
_MARKUP = re.compile(r"^(?:%|\.\.\.(?:[ \r\n]|\Z))", re.MULTILINE)
_CHARACTERS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n\r"
# PyYAML refuses an implicit key over 1,024 characters.
_MAX_KEY = 1000
_MARKER = re.compile(r"^---(?:[ \r\n]|\Z)", re.MULTILINE)
_CONTENT = re.compile(r"^[ ]*[^\s#]", re.MULTILINE)


def fast_documents(text: str, max_depth: int) -> list[dict[str, Any]] | None:
    """The non-empty documents of `text`, all mappings, or None when the exact builder must read it."""
    if yaml_rs is None or not _plain_characters(text):
        return None
    if ("%" in text or "..." in text) and _MARKUP.search(text):
        return None
    if ("&" in text or "*" in text or "!" in text) and _NODE_PROPERTY.search(text):
        return None
    markers = [m.start() for m in _MARKER.finditer(text)]
    before = text[:markers[0]] if markers else text
    expected = len(markers) + (1 if _CONTENT.search(before) else 0)
    try:
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any syntax problem, duplicate key or limit: the exact builder says which
        return None
    if loaded is None:
        return [] if expected <= 1 else None
    if isinstance(loaded, dict):
        documents: list[Any] = [loaded]
        if expected > 1:
            return None
    elif isinstance(loaded, list) and expected >= 2 and len(loaded) == expected:
        documents = [d for d in loaded if d is not None]
    else:
        return None  # one document whose root is not a mapping, or a count that does not add up
    for document in documents:
        if not isinstance(document, dict) or not _plain(document, 1, max_depth):
            return None
    return documents


def _plain_characters(text: str) -> bool:
    if text.isascii():  # the usual file: deleting the plain characters in C leaves nothing
        return not text.encode("ascii").translate(None, _PLAIN_ASCII)
    return _CHARACTERS.search(text) is None


def _plain(node: Any, depth: int, max_depth: int) -> bool:
    """True when every key below `node` is a string, no value is a number and nesting stays within bounds."""
    if depth >= max_depth:  # the exact builder decides at the limit itself
        return False
    if node.__class__ is dict:
        for key in node:
            if key.__class__ is not str or len(key) > _MAX_KEY:
                return False
        node = node.values()
    for value in node:
        cls = value.__class__
        if cls is str or cls is bool or value is None:
            continue
        if (cls is not dict and cls is not list) or not _plain(value, depth + 1, max_depth):
            return False
    return True
