"""Likely corrections of a misspelt word, from the words an index holds (for engines without fuzzy search).

A symmetric-delete index (SymSpell's idea): every indexed word is filed under itself and each form with one
letter removed. A word's candidates are the entries filed under its own such forms, which finds one
substitution, insertion, deletion or swap of neighbours, and some pairs of them, with dictionary look-ups only.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 3  # shorter words have too many neighbours to guess from
MAX_LENGTH = 30


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or `limit + 1` when it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Built once from (word, frequency) pairs; `suggest` is then a handful of dictionary look-ups."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]]) -> None:
        self.frequency: dict[str, int] = {}
        self.index: dict[str, list[str]] = {}
        for word, count in vocabulary:
            if not MIN_LENGTH <= len(word) <= MAX_LENGTH or not word.isalpha():
                continue
            self.frequency[word] = count
            for form in (word, *_deletes(word)):
                self.index.setdefault(form, []).append(word)

    def __len__(self) -> int:
        return len(self.frequency)

    def suggest(self, word: str, limit: int = 3) -> list[str]:
        """Up to `limit` indexed words within two edits of `word`, closest and most frequent first."""
        if not MIN_LENGTH <= len(word) <= MAX_LENGTH or word in self.frequency:
            return []
        candidates: set[str] = set()
        for form in (word, *_deletes(word)):
            candidates.update(self.index.get(form, ()))
        allowed = 1 if len(word) <= 4 else 2
        scored = [(d, -self.frequency[c], c) for c in candidates if (d := distance(word, c, allowed)) <= allowed]
        return [c for _, _, c in sorted(scored)[:limit]]
