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
        self._building = False
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

    def _match(self, conn: Connection, alternatives: list[list[str]], any_word: bool, typed: bool) -> Match:
        groups = []
        for alts in alternatives:
            # Corrections must match whole words; only what the user typed matches as a prefix.
            options = [_phrase(w, prefix=j == 0) for j, w in enumerate(alts)]
            groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
        expression = (" OR " if any_word else " AND ").join(groups)
        # Joining the documents table for every match doubles the cost of broad terms: only filters on it need it.
        source = "search_fts JOIN search_documents d ON d.id = search_fts.rowid" if typed else "search_fts"
        return Match(source, "search_fts MATCH ?", "bm25(search_fts, 10.0, 4.0, 1.0)", [expression],
                     descending=False, id_column="search_fts.rowid")

    def corrections(self, conn: Connection, word: str) -> list[str]:
        return self.speller(conn).suggest(word)

    def speller(self, conn: Connection) -> Speller:
        """The vocabulary's speller. The first is built on the spot; later ones in a background thread when this
        process has written since (at most every SPELLER_MIN_AGE seconds) or every SPELLER_MAX_AGE seconds,
        while queries keep using the previous one: a build reads the whole vocabulary."""
        with self._lock:
            current = self._speller
            age = time.monotonic() - self._speller_built
            stale = (self._changed > self._speller_built and age > SPELLER_MIN_AGE) or age > SPELLER_MAX_AGE
            start = current is not None and stale and not self._building
            if start:
                self._building = True
        if current is None:
            return self._build(conn)
        if start:
            threading.Thread(target=self._rebuild, name="search-speller", daemon=True).start()
        return current

    def _rebuild(self) -> None:
        try:
            with self.engine.connect() as conn:
                self._build(conn)
        finally:
            self._building = False

    def _build(self, conn: Connection) -> Speller:
        built_at = time.monotonic()
        speller = Speller((str(t), int(n)) for t, n in self._run(conn, "SELECT term, doc FROM search_fts_vocab"))
        with self._lock:
            self._speller, self._speller_built = speller, built_at
        return speller
