"""The PostgreSQL engine: a weighted `tsvector` per document, prefix queries, and pg_trgm for misspellings.

Title words weigh most (A), then keywords such as name, kind, owner and tags (B), then text (C); results are
ordered by `ts_rank_cd`. The `simple` configuration (no stemming) keeps matching the same as the SQLite
engine's. Every indexed word also goes into `search_words`, whose trigram index suggests corrections when
the words as typed find nothing. Without the pg_trgm extension, search still works but does not correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from greenroom.plugins.search.documents import PreparedDocument
from greenroom.plugins.search.engines.sql import Match, SqlEngine, batches
from greenroom.plugins.search.terms import WORD, fold

TEXT_LIMIT = 100_000  # characters of text in the tsvector, well under its 1 MB limit
RANK_TEXT = 1_000  # characters of text that count for ranking
WORD_SIMILARITY = 0.4


def _plain(text: str) -> str:
    """Text as the words queries are made of, separated by spaces. PostgreSQL's parser would otherwise also
    index `fraud-detector` and `a@b.com` whole, and a prefix such as `fraud:*` would then have to merge the
    postings of every such compound in the index."""
    return " ".join(WORD.findall(fold(text)))


def _lexeme(word: str, prefix: bool) -> str:
    # Words hold letters and digits only (terms.words); quoting them as lexemes keeps tsquery syntax out anyway.
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'" + (":*" if prefix else "")


class PostgresEngine(SqlEngine):
    """Full text with tsvector/tsquery in the portal's PostgreSQL database."""

    name = "postgres"
    mark = "%s"

    def __init__(self, engine: Engine, max_results: int = 10_000) -> None:
        super().__init__(engine, max_results)
        self._trigrams: bool | None = None

    def _row_columns(self) -> list[tuple[str, str]]:
        # Computed in the same statement that writes the row, so a bulk load writes each row once.
        weighted = ("setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B') || "
                    "setweight(to_tsvector('simple', ?), 'C')")
        return [("tsv", weighted), ("rank_tsv", weighted)]

    def _row_values(self, document: PreparedDocument) -> list[Any]:
        title, keywords = _plain(document.title), _plain(document.keywords)
        text = _plain(document.text[:TEXT_LIMIT])
        return [title, keywords, text, title, keywords, text[:RANK_TEXT]]

    def _write_text(self, conn: Connection, rows: list[tuple[int, PreparedDocument]]) -> None:
        vocabulary = sorted({w for _, d in rows for w in WORD.findall(fold(f"{d.title} {d.keywords} {d.text}"))
                             if 3 <= len(w) <= 64 and w.isalpha()})
        for batch in batches(vocabulary, 5000):
            self._run(conn, "INSERT INTO search_words (word) SELECT unnest(?::text[]) ON CONFLICT DO NOTHING",
                      [batch])

    def optimize(self) -> None:
        # Fresh statistics after a bulk load, so the planner uses the GIN indexes rather than guessing.
        with self.engine.begin() as conn:
            for table in ("search_documents", "search_fields", "search_words"):
                self._run(conn, f"ANALYZE {table}")
            # A bulk load leaves postings in the GIN index's pending list, which every query then scans in full.
            self._run(conn, "SELECT gin_clean_pending_list('search_documents_tsv'::regclass)")

    def _delete_text(self, conn: Connection, ids: Sequence[int]) -> None:
        # The tsvector lives in the document's row, which the caller deletes or rewrites; words stay, as a
        # correction towards a word nobody uses any more finds nothing and costs nothing.
        return

    def _match(self, conn: Connection, alternatives: list[list[str]], any_word: bool, typed: bool) -> Match:
        groups = []
        for alts in alternatives:
            options = [_lexeme(w, prefix=j == 0) for j, w in enumerate(alts)]
            groups.append(options[0] if len(options) == 1 else "(" + " | ".join(options) + ")")
        expression = (" | " if any_word else " & ").join(groups)
        # Ranking reads the small rank_tsv (title, keywords, the start of the text); the full tsv is only matched
        # through its index, so broad terms do not unpack thousands of long documents.
        return Match("search_documents d, to_tsquery('simple', ?) q", "d.tsv @@ q", "ts_rank_cd(d.rank_tsv, q)",
                     [expression], descending=True)

    def _prefix_condition(self, column: str) -> str:
        # LIKE with a pattern-ops index: a range on a language collation would not be a prefix test.
        return f"{column} LIKE ?"

    def _prefix_params(self, key: str) -> list[str]:
        # Keys hold letters, digits and single spaces only (terms.exact_key), so nothing needs escaping.
        return [key + "%"]

    def corrections(self, conn: Connection, word: str) -> list[str]:
        if not 3 <= len(word) <= 64 or not self._has_trigrams(conn):
            return []
        # `%` uses the trigram index at pg_trgm's similarity threshold; the distance then keeps the closest.
        rows = self._run(conn, "SELECT word FROM search_words WHERE word %% ? AND word <> ? "
                               "ORDER BY similarity(word, ?) DESC, word LIMIT 3", [word, word, word])
        return [r[0] for r in rows]

    def _has_trigrams(self, conn: Connection) -> bool:
        if self._trigrams is None:
            self._trigrams = bool(self._run(conn, "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
        return self._trigrams
