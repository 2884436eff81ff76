"""What the SQLite and PostgreSQL engines share: the documents table, filter fields, paging and ranking.

Each engine adds its own full-text index (`_write_text`, `_delete_text`) and match clause (`_match`).
Documents are keyed by (type, location) and carry a hash, so a full reindex rewrites only what changed.
A query's `visibility` (the viewer's permissions) becomes part of its WHERE clause, so paging and totals only
ever count documents the viewer may see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine

from greenroom.plugins.search.documents import DocumentError, PreparedDocument, load, prepare
from greenroom.plugins.search.highlight import highlight, new_tags
from greenroom.plugins.search.model import Document, ResultPage, SearchHit, SearchQuery, Visibility
from greenroom.plugins.search.terms import exact_key, words

BATCH = 500
BOOST_LIMIT = 200  # names and titles starting with the term that get ranked first; more would not help anyone
log = logging.getLogger("greenroom.plugin.search")


def batches(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Match:
    """An engine's full-text condition: the FROM and WHERE fragments, the score to order by and its params, and
    the column holding the document id (the documents table is aliased `d` when the source includes it)."""

    def __init__(self, source: str, where: str, score: str, params: Sequence[Any], descending: bool,
                 id_column: str = "d.id") -> None:
        self.id_column = id_column
        self.source = source
        self.where = where
        self.score = score
        self.params = list(params)
        self.descending = descending


class SqlEngine:
    """The base of the two built-in engines; subclasses set `name`, `mark` and the full-text methods."""

    name = "sql"
    mark = "?"
    filters_visibility = True

    def __init__(self, engine: Engine, max_results: int = 10_000) -> None:
        self.engine = engine
        self.max_results = max_results

    # -- full text, per engine -------------------------------------------------------------------------

    def _row_columns(self) -> list[tuple[str, str]]:
        """Engine columns of the documents row, as (name, SQL expression of parameters), written with it."""
        return []

    def _row_values(self, document: PreparedDocument) -> list[Any]:
        """The parameters of `_row_columns`' expressions for one document."""
        return []

    def _write_text(self, conn: Connection, rows: list[tuple[int, PreparedDocument]]) -> None:
        raise NotImplementedError

    def _delete_text(self, conn: Connection, ids: Sequence[int]) -> None:
        raise NotImplementedError

    def _match(self, conn: Connection, alternatives: list[list[str]], any_word: bool, typed: bool) -> Match:
        """The full-text condition; `typed` says the query filters on `d` (its type or, for permissions, its
        resource ref), so `d` must be joined."""
        raise NotImplementedError

    def optimize(self) -> None:
        """Tidy the index after a large write (called by the indexer; optional for other engines)."""

    def corrections(self, conn: Connection, word: str) -> list[str]:
        """Indexed words that `word` may be a misspelling of, best first."""
        return []

    # -- writing ---------------------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text if self.mark == "?" else text.replace("?", self.mark)

    def _marks(self, count: int) -> str:
        return ", ".join(self.mark for _ in range(count))

    def _run(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        result = conn.exec_driver_sql(self._sql(sql), tuple(params))
        return list(result.fetchall()) if result.returns_rows else []

    def _many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            conn.exec_driver_sql(self._sql(sql), [tuple(r) for r in rows])

    def upsert(self, doc_type: str, documents: Iterable[Document]) -> int:
        written = 0
        for batch in batches(documents):
            prepared: dict[str, PreparedDocument] = {}
            for document in batch:
                try:
                    item = prepare(document)
                except DocumentError as exc:
                    log.warning("search: skipped a %s document: %s", doc_type, exc)
                    continue
                prepared[item.location] = item
            if prepared:
                with self.engine.begin() as conn:
                    written += self._write_batch(conn, doc_type, prepared)
        return written

    def _write_batch(self, conn: Connection, doc_type: str, prepared: dict[str, PreparedDocument]) -> int:
        locations = list(prepared)
        existing = {loc: (doc_id, digest) for doc_id, loc, digest in self._run(
            conn, f"SELECT id, location, hash FROM search_documents WHERE type = ? AND location IN "
                  f"({self._marks(len(locations))})", [doc_type, *locations])}
        changed = [prepared[loc] for loc in locations if loc not in existing or existing[loc][1] != prepared[loc].hash]
        if not changed:
            return 0
        old_ids = [existing[d.location][0] for d in changed if d.location in existing]
        if old_ids:
            self._run(conn, f"DELETE FROM search_fields WHERE doc_id IN ({self._marks(len(old_ids))})", old_ids)
            self._delete_text(conn, old_ids)
            extra = "".join(f", {column} = {expression}" for column, expression in self._row_columns())
            self._many(conn, f"UPDATE search_documents SET hash = ?, exact_title = ?, exact_name = ?, body = ?, "
                             f"resource_ref = ?, updated_at = ?{extra} WHERE id = ?",
                       [(d.hash, d.exact_title, d.exact_name, d.body, d.resource_ref, time.time(),
                         *self._row_values(d),
                         existing[d.location][0]) for d in changed if d.location in existing])
        new = [d for d in changed if d.location not in existing]
        columns = "".join(f", {column}" for column, _ in self._row_columns())
        expressions = "".join(f", {expression}" for _, expression in self._row_columns())
        self._many(conn, f"INSERT INTO search_documents (type, location, hash, exact_title, exact_name, body, "
                         f"resource_ref, updated_at{columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?{expressions})",
                   [(doc_type, d.location, d.hash, d.exact_title, d.exact_name, d.body, d.resource_ref, time.time(),
                     *self._row_values(d)) for d in new])
        ids = {loc: doc_id for doc_id, loc in self._run(
            conn, f"SELECT id, location FROM search_documents WHERE type = ? AND location IN "
                  f"({self._marks(len(changed))})", [doc_type, *[d.location for d in changed]])}
        rows = [(ids[d.location], d) for d in changed]
        self._many(conn, "INSERT INTO search_fields (doc_id, key, value, original) VALUES (?, ?, ?, ?)",
                   [(doc_id, k, v, o) for doc_id, d in rows for k, v, o in d.fields])
        self._write_text(conn, rows)
        return len(changed)

    def _delete_ids(self, conn: Connection, ids: Sequence[int]) -> None:
        for batch in batches(ids):
            marks = self._marks(len(batch))
            self._run(conn, f"DELETE FROM search_fields WHERE doc_id IN ({marks})", batch)
            self._delete_text(conn, batch)
            self._run(conn, f"DELETE FROM search_documents WHERE id IN ({marks})", batch)

    def prune(self, doc_type: str, keep: Collection[str]) -> int:
        keep = set(keep)
        with self.engine.begin() as conn:
            rows = self._run(conn, "SELECT id, location FROM search_documents WHERE type = ?", [doc_type])
            gone = [doc_id for doc_id, loc in rows if loc not in keep]
            self._delete_ids(conn, gone)
        return len(gone)

    def delete(self, doc_type: str, locations: Collection[str]) -> int:
        gone: list[int] = []
        with self.engine.begin() as conn:
            for batch in batches(locations):
                gone += [r[0] for r in self._run(
                    conn, f"SELECT id FROM search_documents WHERE type = ? AND location IN "
                          f"({self._marks(len(batch))})", [doc_type, *batch])]
            self._delete_ids(conn, gone)
        return len(gone)

    # -- reading ---------------------------------------------------------------------------------------

    def count(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t: int(n) for t, n in self._run(conn, "SELECT type, COUNT(*) FROM search_documents GROUP BY type")}

    def facets(self, doc_type: str, fields: Collection[str],
               visibility: Visibility | None = None) -> dict[str, list[tuple[str, int]]]:
        keys = list(fields)
        found: dict[str, list[tuple[str, int]]] = {k: [] for k in keys}
        if not keys:
            return found
        visible, params = self._visibility(visibility)
        with self.engine.connect() as conn:
            rows = self._run(conn, f"SELECT f.key, MIN(f.original), COUNT(*) FROM search_fields f JOIN "
                                   f"search_documents d ON d.id = f.doc_id WHERE d.type = ? AND f.key IN "
                                   f"({self._marks(len(keys))}){visible} GROUP BY f.key, f.value",
                             [doc_type, *keys, *params])
        for key, original, count in rows:
            found[key].append((original, int(count)))
        for values in found.values():
            values.sort(key=lambda v: (-v[1], v[0].lower()))
        return found

    def _conditions(self, query: SearchQuery, id_column: str = "d.id") -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if query.types:
            where.append(f"d.type IN ({self._marks(len(query.types))})")
            params += query.types
        for key, values in sorted(query.filters.items()):
            where.append(f"{id_column} IN (SELECT doc_id FROM search_fields WHERE key = ? AND value IN "
                         f"({self._marks(len(values))}))")
            params += [key, *values]
        visible, visible_params = self._visibility(query.visibility)
        return "".join(f" AND {w}" for w in where) + visible, params + visible_params

    def _visibility(self, visibility: Visibility | None) -> tuple[str, list[Any]]:
        """` AND ...` conditions on `d` (the documents table) keeping what the viewer may see, and their params."""
        if visibility is None:
            return "", []
        where: list[str] = []
        params: list[Any] = []
        if visibility.hidden:
            hidden = sorted(visibility.hidden)
            where.append(f"d.type NOT IN ({self._marks(len(hidden))})")
            params += hidden
        for doc_type, condition in sorted(visibility.filters.items()):
            where.append(f"(d.type <> ? OR (d.resource_ref IS NOT NULL AND {condition.sql}))")
            params += [doc_type, *condition.params]
        return "".join(f" AND {w}" for w in where), params

    def query(self, query: SearchQuery) -> ResultPage:
        found = words(query.term)
        with self.engine.connect() as conn:
            if not found:
                return self._browse(conn, query)
            boosted = self._boosted(conn, exact_key(query.term))
            alternatives = [[w] for w in found]
            page = self._matching(conn, query, alternatives, boosted, any_word=False)
            if page.total == 0:
                # Nothing has every word as typed: allow likely misspellings of each word, then any word.
                alternatives = [[w, *self.corrections(conn, w)] for w in found]
                if any(len(alts) > 1 for alts in alternatives):
                    page = self._matching(conn, query, alternatives, boosted, any_word=False)
                if page.total == 0 and len(found) > 1:
                    page = self._matching(conn, query, alternatives, boosted, any_word=True)
            return page

    def suggest(self, term: str, limit: int, types: tuple[str, ...] = (),
                visibility: Visibility | None = None) -> ResultPage:
        """Suggestions as someone types: documents whose name or title starts with the term, shortest first,
        straight from the indexes on those columns; a full query only when there are too few of them."""
        key = exact_key(term)
        with self.engine.connect() as conn:
            boosted = self._boosted(conn, key)
            if len(boosted) >= limit:
                ids = sorted(boosted)
                typed = f" AND d.type IN ({self._marks(len(types))})" if types else ""
                visible, params = self._visibility(visibility)
                base = f"FROM search_documents d WHERE d.id IN ({self._marks(len(ids))}){typed}{visible}"
                rows = self._run(conn, f"SELECT d.type, d.body {base} ORDER BY CASE WHEN d.exact_name = ? OR "
                                       f"d.exact_title = ? THEN 0 ELSE 1 END, length(d.exact_title), d.exact_title, "
                                       f"d.id LIMIT ?", [*ids, *types, *params, key, key, limit])
                if len(rows) >= limit:
                    total = len(boosted) if not visible else int(self._run(
                        conn, f"SELECT COUNT(*) {base}", [*ids, *types, *params])[0][0])
                    return ResultPage(self._hits(rows, 0, tuple(words(term))), total, tuple(words(term)))
        return self.query(SearchQuery(term=term, types=types, limit=limit, visibility=visibility))

    def _prefix_condition(self, column: str) -> str:
        """SQL that is true when `column` starts with the parameter; it must use the column's index."""
        return f"({column} >= ? AND {column} < ?)"

    def _prefix_params(self, key: str) -> list[str]:
        return [key, key + "\U0010ffff"]

    def _boosted(self, conn: Connection, key: str) -> dict[int, int]:
        """Documents whose name or title is the term (tier 0) or starts with it (tier 1), found through the
        indexes on those columns rather than by checking every match, which keeps broad terms cheap."""
        if not key:
            return {}
        prefix = self._prefix_params(key)
        rows = self._run(conn, f"SELECT id, exact_name, exact_title FROM search_documents WHERE "
                               f"{self._prefix_condition('exact_name')} OR {self._prefix_condition('exact_title')} "
                               f"LIMIT {BOOST_LIMIT}", [*prefix, *prefix])
        return {int(i): 0 if key in (name, title) else 1 for i, name, title in rows}

    def _matching(self, conn: Connection, query: SearchQuery, alternatives: list[list[str]],
                  boosted: dict[int, int], any_word: bool) -> ResultPage:
        restricted = query.visibility is not None and query.visibility.restricts
        match = self._match(conn, alternatives, any_word, bool(query.types) or restricted)
        conditions, params = self._conditions(query, match.id_column)
        # Tier 0: the term is a document's whole name or title; 1: a name or title starts with it; 2: the rest.
        tier = ("CASE " + " ".join(f"WHEN {match.id_column} = {doc_id} THEN {level}"
                                   for doc_id, level in sorted(boosted.items())) + " ELSE 2 END") if boosted else "2"
        base = f"FROM {match.source} WHERE {match.where}{conditions}"
        direction = " DESC" if match.descending else ""
        # One pass scores the matches; a second ranks and counts them (the window runs before LIMIT); only the
        # page's rows are joined to their bodies, so sorting never carries documents. MATERIALIZED keeps SQLite
        # from moving bm25() out of the full-text scan, the only place it can run.
        ranked = (f"WITH m AS MATERIALIZED (SELECT {match.id_column} AS id, {tier} AS tier, {match.score} AS score "
                  f"{base}), r AS (SELECT id, tier, score, COUNT(*) OVER () AS total FROM m "
                  f"ORDER BY tier, score{direction}, id LIMIT ? OFFSET ?) ")
        rows = self._run(conn, ranked + f"SELECT d.type, d.body, r.total FROM r JOIN search_documents d ON "
                                        f"d.id = r.id ORDER BY r.tier, r.score{direction}, r.id",
                         [*match.params, *params, query.limit, query.offset])
        if rows:
            total = int(rows[0][2])
        elif query.offset:  # past the end: count on its own
            total = int(self._run(conn, f"SELECT COUNT(*) FROM (SELECT 1 {base} LIMIT {self.max_results}) c",
                                  [*match.params, *params])[0][0])
        else:
            total = 0
        targets = tuple(dict.fromkeys(w for alts in alternatives for w in alts))
        return ResultPage(self._hits(rows, query.offset, targets), min(total, self.max_results), targets)

    def _browse(self, conn: Connection, query: SearchQuery) -> ResultPage:
        conditions, params = self._conditions(query)
        base = f"FROM search_documents d WHERE 1 = 1{conditions}"
        total = int(self._run(conn, f"SELECT COUNT(*) FROM (SELECT 1 {base} LIMIT {self.max_results}) c",
                              params)[0][0])
        rows = self._run(conn, f"SELECT d.type, d.body {base} ORDER BY d.exact_title, d.id LIMIT ? OFFSET ?",
                         [*params, query.limit, query.offset]) if query.offset < total else []
        return ResultPage(self._hits(rows, query.offset, ()), total)

    def _hits(self, rows: list[Any], offset: int, targets: tuple[str, ...]) -> list[SearchHit]:
        pre, post = new_tags()
        hits = []
        for i, row in enumerate(rows):
            document = load(bytes(row[1]) if not isinstance(row[1], (bytes, str)) else row[1])
            hits.append(SearchHit(row[0], document, offset + i + 1, highlight(document, targets, pre, post)))
        return hits
