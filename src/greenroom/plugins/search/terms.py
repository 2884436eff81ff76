"""Turning hostile search terms into plain words, the only thing engines ever see.

Engines build their query syntax (FTS5 MATCH strings, tsquery) from these words alone, so quotes, `*`,
`NEAR`, `OR`, `-`, parentheses and `:` in a term are never interpreted: they separate words like spaces do.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8  # more words add nothing to relevance and multiply the cost of the engine's query
MAX_WORD_LENGTH = 64


def fold(text: str) -> str:
    """Lower-case without accents, as both engines index words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(term: str) -> list[str]:
    """The distinct search words of `term`, folded, in order, at most MAX_WORDS of at most MAX_WORD_LENGTH."""
    found: list[str] = []
    for match in WORD.finditer(fold(term)):
        word = match.group()[:MAX_WORD_LENGTH]
        if word not in found:
            found.append(word)
        if len(found) == MAX_WORDS:
            break
    return found


def exact_key(text: str) -> str:
    """The form exact-match ranking compares: folded, with runs of separators made one space."""
    return " ".join(WORD.findall(fold(text)))[:500]
