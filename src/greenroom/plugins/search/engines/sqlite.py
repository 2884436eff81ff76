"""The embedded engine: SQLite's FTS5 on the portal's own database.

Words match as prefixes (`"word"*`), ranked by BM25 with the title weighted above keywords (name, kind, owner,
tags, …) and keywords above text. FTS5 has no fuzzy matching, so misspellings are corrected from the index's
vocabulary (`search_fts_vocab`) by a `Speller` kept in memory and rebuilt after writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from greenroom.plugins.search.documents import PreparedDocument
from greenroom.plugins.search.engines.sql import Match, SqlEngine, batches
from greenroom.plugins.search.speller import Speller
from greenroom.plugins.search.terms import fold

SPELLER_MAX_AGE = 60.0  # seconds a vocabulary is used; other processes may have changed the index meanwhile
SPELLER_MIN_AGE = 2.0  # after this process changed the index, rebuild no more often than this


def _phrase(word: str, prefix: bool) -> str:
    # Words hold letters and digits only (terms.words); quoting anyway keeps FTS5 syntax out for certain.
    return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")


class SqliteEngine(SqlEngine):
    """Full text with FTS5 in the same SQLite database as everything else."""

    name = "sqlite"

    def __init__(self, engine: Engine, max_results: int = 10_000) -> None:
        super().__init__(engine, max_results)
        self._speller: Speller | None = None
        self._speller_built = 0.0
        self._changed = 0.0
        self._lock = threading.Lock()

    def _write_text(self, conn: Connection, rows: list[tuple[int, PreparedDocument]]) -> None:
        self._many(conn, "INSERT INTO search_fts (rowid, title, keywords, text) VALUES (?, ?, ?, ?)",
                   [(doc_id, fold(d.title), fold(d.keywords), fold(d.text)) for doc_id, d in rows])
        self._changed = time.monotonic()

    def optimize(self) -> None:
        # Merges FTS5's segments into one b-tree: queries after a bulk load read one structure, not hundreds.
        with self.engine.begin() as conn:
            self._run(conn, "INSERT INTO search_fts (search_fts) VALUES ('optimize')")
            self._run(conn, "ANALYZE search_documents")
            self._run(conn, "ANALYZE search_fields")

    def _delete_text(self, conn: Connection, ids: Sequence[int]) -> None:
        for batch in batches(ids):
            self._run(conn, f"DELETE FROM search_fts WHERE rowid IN ({self._marks(len(batch))})", batch)

    def _match(self, conn: Connection, alternatives: list[list[str]], any_word: bool) -> Match:
        groups = []
        for alts in alternatives:
            # Corrections must match whole words; only what the user typed matches as a prefix.
            options = [_phrase(w, prefix=j == 0) for j, w in enumerate(alts)]
            groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
        expression = (" OR " if any_word else " AND ").join(groups)
        return Match("search_fts JOIN search_documents d ON d.id = search_fts.rowid", "search_fts MATCH ?",
                     "bm25(search_fts, 10.0, 4.0, 1.0)", [expression], descending=False)

    def corrections(self, conn: Connection, word: str) -> list[str]:
        return self.speller(conn).suggest(word)

    def speller(self, conn: Connection) -> Speller:
        """The vocabulary's speller, rebuilt when this process has written since (at most every
        SPELLER_MIN_AGE seconds) or when it is older than SPELLER_MAX_AGE."""
        with self._lock:
            age = time.monotonic() - self._speller_built
            written = self._changed > self._speller_built and age > SPELLER_MIN_AGE
            if self._speller is None or written or age > SPELLER_MAX_AGE:
                rows = self._run(conn, "SELECT term, doc FROM search_fts_vocab")
                self._speller = Speller((str(t), int(n)) for t, n in rows)
                self._speller_built = time.monotonic()
            return self._speller
