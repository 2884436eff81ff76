"""Backstage-style highlights, computed the same way for every engine.

Matched words are wrapped in tags that are unique to the query, so a document that contains the tag text
cannot forge a highlight; pages escape the whole string first and only then turn the tags into `<mark>`.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

from markupsafe import Markup, escape

from greenroom.plugins.search.model import Highlight
from greenroom.plugins.search.terms import WORD, fold

SNIPPET = 240  # characters of `text` around the first match


def new_tags() -> tuple[str, str]:
    """A fresh pair of tags for one query."""
    token = secrets.token_hex(6)
    return f"<hl-{token}>", f"</hl-{token}>"


def _matches(word: str, targets: Collection[str]) -> bool:
    folded = fold(word)
    return any(folded.startswith(t) for t in targets)


def mark(text: str, targets: Collection[str], pre: str, post: str) -> tuple[str, bool]:
    """`text` with every word that starts with a target wrapped in the tags; and whether any was."""
    out: list[str] = []
    last = 0
    found = False
    for match in WORD.finditer(text):
        if _matches(match.group(), targets):
            out.append(text[last:match.start()])
            out.append(f"{pre}{match.group()}{post}")
            last = match.end()
            found = True
    out.append(text[last:])
    return "".join(out), found


def snippet(text: str, targets: Collection[str]) -> str:
    """A window of `text` around its first matching word, with ellipses where it was cut."""
    if len(text) <= SNIPPET:
        return text
    start = 0
    for match in WORD.finditer(text):
        if _matches(match.group(), targets):
            start = max(0, match.start() - SNIPPET // 4)
            break
    end = min(len(text), start + SNIPPET)
    # Cut at spaces so no word is split.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + SNIPPET // 2 else end
    return ("… " if start > 0 else "") + text[start:end] + (" …" if end < len(text) else "")


def highlight(document: Mapping[str, Any], targets: Collection[str], pre: str, post: str) -> Highlight | None:
    """The highlight of a document's title and text (None when no word matched or nothing was searched)."""
    if not targets:
        return None
    fields: dict[str, str] = {}
    for name in ("title", "text"):
        value = document.get(name)
        if isinstance(value, str) and value:
            marked, found = mark(snippet(value, targets) if name == "text" else value, targets, pre, post)
            if found:
                fields[name] = marked
    return Highlight(pre, post, fields) if fields else None


def render(value: str, pre: str, post: str) -> Markup:
    """A highlighted string as safe HTML: everything escaped, then the query's tags made `<mark>`."""
    escaped = str(escape(value))
    if not pre or not post:  # no highlight: replacing "" would put a tag between every character
        return Markup(escaped)
    return Markup(escaped.replace(str(escape(pre)), "<mark>").replace(str(escape(post)), "</mark>"))
