"""An ordered by-query page read by walking the sort field's index, instead of sorting every match.

`query.run_query` orders by each entity's smallest value of the sort field, which it gets by joining a
per-entity `MIN()` over the field's search rows: that aggregates and sorts the field for the whole catalog before
the page's LIMIT applies (200-500 ms at 100,000 entities for `kind=component` by name). When no entity holds
more than one value of the field (names, titles, types, owners: the fields people sort by) that value is the
entity's only row in the (key, value, entity) index, and the index is already in the page's order. So the page
is read from there and stops once it is full, testing the filters on each entry it meets; the entities without
the field follow, in id order, as in the aggregate form. The answers, cursors included, are the same.

A walk costs at worst one pass over the field's index (about 40 ms at 100,000 entities, for a filter that
matches a handful), where the aggregate form costs its full price on every page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from greenroom.plugins.catalog.api.common import run
from greenroom.plugins.catalog.api.predicates import entity_conditions
from greenroom.plugins.catalog.store.generation import cached

# Set to False to order every query the aggregate way (the tests compare both).
WALK = True
# A walk expected to meet more index entries than this before its page is full tests each filter against a
# list of its matches collected first, instead of looking each entry up (see pages/listing.PROBE_WALK).
PROBE_WALK = 5000

Row = tuple[Any, ...]


def single_valued(conn: Connection, key: str) -> bool:
    """Whether no stitched entity has two search rows for `key`, in the catalog's current generation."""
    def check() -> bool:
        found = run(conn, "SELECT 1 FROM catalog_search WHERE key = ? GROUP BY entity HAVING COUNT(*) > 1 "
                          "LIMIT 1", [key])
        return not found
    return cached(conn, ("ordered:single", key), check)


class Walk:
    """One ordered page of a query: its conditions on an entity id column, and how to read it in order."""

    def __init__(self, conn: Connection, key: str, predicate: dict[str, Any] | None,
                 text: tuple[list[str], str] | None, descending: bool, matches: int, everything: int) -> None:
        # `text`: the search keys and the term of a full-text filter; `matches`: how many entities the query
        # selects, and `everything`: how many there are, to guess how far the walk must go.
        self.conn = conn
        self.key = key
        self.predicate = predicate
        self.text = text
        self.descending = descending
        self.matches = matches
        self.everything = everything

    def conditions(self, column: str, correlated: bool) -> tuple[str, list[Any]]:
        fields, term = self.text if self.text is not None else ([], None)
        clauses, params = entity_conditions(column, self.predicate, fields, term, correlated)
        return "".join(f" AND {c}" for c in clauses), params

    def page(self, after: list[Any] | None, backwards: bool, wanted: int, offset: int) -> list[Row]:
        """Up to `wanted` rows `(final_entity, id, value)` in the aggregate form's order: valued entities by
        (value, id), then those without a value by id; reversed (and `descending` flipped) for `backwards`."""
        if not self.matches:  # counted in this generation: a walk would meet every entry and keep none
            return []
        segments = ["valued", "bare"] if not backwards else ["bare", "valued"]
        if after is not None:
            segments = segments[segments.index("bare" if after[0] is None else "valued"):]
        descending = self.descending != backwards
        rows: list[Row] = []
        for index, segment in enumerate(segments):
            seek = after if index == 0 else None
            need = wanted - len(rows)
            if segment == "valued":
                got = self._valued(seek, descending, need, offset)
            else:
                got = self._bare(seek, descending, need, offset)
            rows += got
            if len(rows) >= wanted:
                break
            if offset:  # the offset reaches past this segment: skip what it held
                offset = 0 if got else max(0, offset - self._count(segment))
        return rows

    def _valued(self, seek: list[Any] | None, descending: bool, limit: int, offset: int) -> list[Row]:
        walk = (offset + limit) * self.everything // max(self.matches, 1)
        extra, params = self.conditions("o.entity", correlated=walk <= PROBE_WALK)
        direction, bigger = ("DESC", "<") if descending else ("ASC", ">")
        if seek is not None:
            extra += f" AND (o.value {bigger} ? OR (o.value = ? AND o.entity {bigger} ?))"
            params += [seek[0], seek[0], seek[1]]
        return run(self.conn, "SELECT f.final_entity, f.id, o.value FROM catalog_search o JOIN "
                              "catalog_final_entities f ON f.id = o.entity WHERE o.key = ? AND o.value IS NOT NULL"
                              f"{extra} ORDER BY o.value {direction}, o.entity {direction} "
                              f"LIMIT {int(limit)} OFFSET {int(offset)}", [self.key, *params])

    def _bare(self, seek: list[Any] | None, descending: bool, limit: int, offset: int) -> list[Row]:
        extra, params = self.conditions("f.id", correlated=False)
        direction, bigger = ("DESC", "<") if descending else ("ASC", ">")
        if seek is not None:
            extra += f" AND f.id {bigger} ?"
            params.append(seek[1])
        return run(self.conn, "SELECT f.final_entity, f.id, NULL FROM catalog_final_entities f WHERE f.id NOT IN "
                              "(SELECT entity FROM catalog_search WHERE key = ? AND value IS NOT NULL)"
                              f"{extra} ORDER BY f.id {direction} LIMIT {int(limit)} OFFSET {int(offset)}",
                              [self.key, *params])

    def _count(self, segment: str) -> int:
        if segment == "valued":
            extra, params = self.conditions("o.entity", correlated=False)
            sql = f"SELECT COUNT(*) FROM catalog_search o WHERE o.key = ? AND o.value IS NOT NULL{extra}"
        else:
            extra, params = self.conditions("f.id", correlated=False)
            sql = ("SELECT COUNT(*) FROM catalog_final_entities f WHERE f.id NOT IN (SELECT entity FROM "
                   f"catalog_search WHERE key = ? AND value IS NOT NULL){extra}")
        return int(run(self.conn, sql, [self.key, *params])[0][0])
