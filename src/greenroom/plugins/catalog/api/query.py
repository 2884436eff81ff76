"""`/entities/by-query`: filtering, ordering on one field, full text, offset and cursor paging, as SQL.

Ordering uses the lower-cased search value of the sort field (the smallest one when an entity has several), with
entities lacking the field last, and the row id as the tie-breaker. Cursors hold the last row's (value, id) and
the query itself, so following pages are keyset seeks; the total is counted once and carried in the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from greenroom.plugins.catalog.api import ordered
from greenroom.plugins.catalog.api.common import decode_cursor, encode_cursor, input_error, run
from greenroom.plugins.catalog.api.fields import projector, render
from greenroom.plugins.catalog.api.filters import combine
from greenroom.plugins.catalog.api.predicates import Selection, entity_conditions, select_entities
from greenroom.plugins.catalog.store.generation import cached, entity_count

DEFAULT_LIMIT = 200  # npm 4.0.5's DefaultEntitiesCatalog, despite the spec text's 20


@dataclass
class QueryRequest:
    """A by-query request after parsing, or the state a cursor carries."""

    predicate: dict[str, Any] | None = None
    order_field: str | None = None
    descending: bool = False
    term: str | None = None
    term_fields: list[str] | None = None
    total_items: int | None = None
    skip_total: bool = False
    after: list[Any] | None = None  # [value, id] (or [id] without an order field) of the row to seek from
    previous: bool = False
    fields: list[str] | None = field(default=None)
    # GET queries keep their filter under "filter", POST ones under "query": catalog-client looks for "query"
    # in a cursor to decide whether the next page is asked with POST.
    predicate_key: str = "filter"
    # The caller's permission filter: applied to every page, never written into cursors.
    authorization: dict[str, Any] | None = None

    def to_cursor(self, after: list[Any], previous: bool, total: int) -> str:
        """The cursor continuing this query from `after`, forwards or backwards."""
        state: dict[str, Any] = {
            "orderFields": [{"field": self.order_field, "order": "desc" if self.descending else "asc"}]
            if self.order_field else [],
            "orderFieldValues": after, "isPrevious": previous, "totalItems": total}
        if self.predicate is not None:
            state[self.predicate_key] = self.predicate
        if self.term:
            state["fullTextFilter"] = {"term": self.term, "fields": self.term_fields}
        if self.skip_total:
            state["skipTotalItems"] = True
        return encode_cursor(state)


def from_cursor(value: str, fields: list[str] | None) -> QueryRequest:
    """The query a cursor continues; only `fields` may change between pages (Backstage's rule)."""
    state = decode_cursor(value)
    try:
        orders = state.get("orderFields") or []
        first = orders[0] if orders else None
        after = state["orderFieldValues"]
        text = state.get("fullTextFilter") or {}
        request = QueryRequest(
            predicate=state.get("query", state.get("filter")), order_field=str(first["field"]) if first else None,
            descending=bool(first and first.get("order") == "desc"), term=text.get("term"),
            term_fields=text.get("fields"), total_items=state.get("totalItems"),
            skip_total=bool(state.get("skipTotalItems")), after=after, previous=bool(state.get("isPrevious")),
            fields=fields, predicate_key="query" if "query" in state else "filter")
    except (KeyError, TypeError, IndexError, AttributeError):
        input_error("Malformed cursor, could not be parsed")
    expected = 2 if request.order_field else 1
    if not isinstance(after, list) or len(after) != expected or not isinstance(after[-1], int):
        input_error("Malformed cursor, could not be parsed")
    return request


def parse_order_field(value: str) -> tuple[str, bool]:
    """`field,asc|desc` (the order defaults to asc) as (field, descending)."""
    name, _, order = value.partition(",")
    name, order = name.strip(), (order.strip().lower() or "asc")
    if not name or order not in ("asc", "desc"):
        input_error(f"Invalid orderField parameter \"{value}\", expected \"<field>,<asc|desc>\"")
    return name, order == "desc"


def _where(request: QueryRequest, dialect: str) -> tuple[Selection, list[str], list[Any]]:
    selection = select_entities(combine(request.predicate, request.authorization), dialect)
    clauses: list[str] = [selection.where]
    params: list[Any] = list(selection.params)
    more, found = entity_conditions(selection.id, None, _text_fields(request), _term(request))
    return selection, [*clauses, *more], [*params, *found]


def _walk(conn: Connection, request: QueryRequest, total: int, clauses: list[str], params: list[Any],
          selection: Selection) -> ordered.Walk | None:
    """The index walk for an ordered page, or None when the sort field has several values in some entity."""
    key = (request.order_field or "").lower()
    if not ordered.WALK or not ordered.single_valued(conn, key):
        return None
    if not total:  # not counted for this request: the walk still wants to know how rare matches are
        total = _matching(conn, selection, clauses, params)
    term = _term(request)
    return ordered.Walk(conn, key, combine(request.predicate, request.authorization),
                        (_text_fields(request), term) if term else None, request.descending, total, entity_count(conn))


def _matching(conn: Connection, selection: Selection, clauses: list[str], params: list[Any]) -> int:
    """How many entities the query selects, counted once per catalog generation."""
    sql = f"SELECT COUNT(*) FROM {selection.count_source} WHERE {' AND '.join(clauses)}"
    return cached(conn, ("count", sql, orjson.dumps(params).decode()), lambda: int(run(conn, sql, params)[0][0]))


def _term(request: QueryRequest) -> str:
    return (request.term or "").strip()


def _text_fields(request: QueryRequest) -> list[str]:
    return [f.lower() for f in (request.term_fields or [request.order_field or "metadata.uid"])]


def _seek(request: QueryRequest, backwards: bool, id_: str) -> tuple[str, list[Any]]:
    """Rows after (or, going back, before) the cursor's row in the query's forward order (`id_`: the id column)."""
    after = request.after
    assert after is not None
    bigger = ">" if not request.descending else "<"
    smaller = "<" if not request.descending else ">"
    if request.order_field is None:
        return f"{id_} {smaller if backwards else bigger} ?", [after[0]]
    value, row_id = after
    if not backwards:
        if value is None:
            return f"(o.v IS NULL AND {id_} {bigger} ?)", [row_id]
        return f"(o.v IS NULL OR o.v {bigger} ? OR (o.v = ? AND {id_} {bigger} ?))", [value, value, row_id]
    if value is None:
        return f"(o.v IS NOT NULL OR {id_} {smaller} ?)", [row_id]
    return f"(o.v IS NOT NULL AND (o.v {smaller} ? OR (o.v = ? AND {id_} {smaller} ?)))", [value, value, row_id]


def run_query(conn: Connection, request: QueryRequest, limit: int, offset: int | None) -> bytes:
    """The by-query response body: `{items, totalItems, pageInfo}`, with the stored entity bytes as items."""
    selection, clauses, params = _where(request, conn.dialect.name)
    id_ = selection.id
    join, join_params = "", []
    if request.order_field:
        join = (" LEFT JOIN (SELECT entity, MIN(value) AS v FROM catalog_search WHERE key = ? GROUP BY entity) o "
                "ON o.entity = f.id")
        join_params = [request.order_field.lower()]
    total = request.total_items
    if total is None:
        total = 0 if request.skip_total else _matching(conn, selection, clauses, params)
    backwards = request.previous and request.after is not None
    seek_clauses, seek_params = list(clauses), list(params)
    if request.after is not None:
        sql, found = _seek(request, backwards, id_)
        seek_clauses.append(sql)
        seek_params += found
    forward_desc = request.descending != backwards
    direction = "DESC" if forward_desc else "ASC"
    if request.order_field:
        nulls = "DESC" if backwards else "ASC"
        order = f"(o.v IS NULL) {nulls}, o.v {direction}, {id_} {direction}"
        columns = "f.final_entity, f.id, o.v"
    else:
        order = f"{id_} {direction}"
        columns = "f.final_entity, f.id"
    where = f" WHERE {' AND '.join(seek_clauses)}"
    tail = f" LIMIT {int(limit) + 1}"
    if offset and request.after is None:
        tail += f" OFFSET {int(offset)}"
    skip = int(offset or 0) if request.after is None else 0
    walk = _walk(conn, request, total, clauses, params, selection) if limit > 0 and request.order_field else None
    if walk is not None:
        rows = walk.page(request.after, backwards, int(limit) + 1, skip)
    else:
        rows = run(conn, f"SELECT {columns} FROM {selection.source}{join}{where} ORDER BY {order}{tail}",
                   [*join_params, *seek_params]) if limit > 0 else []
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    page: dict[str, str] = {}
    if rows:
        def key(row: tuple[Any, ...]) -> list[Any]:
            return [row[2], int(row[1])] if request.order_field else [int(row[1])]
        if more or backwards:
            page["nextCursor"] = request.to_cursor(key(rows[-1]), False, total)
        if (more and backwards) or (not backwards and request.after is not None) or (offset and not request.after):
            page["prevCursor"] = request.to_cursor(key(rows[0]), True, total)
    items = render((r[0] for r in rows), projector(request.fields))
    return (b'{"items":[' + b",".join(items) + b'],"totalItems":' + str(total).encode()
            + b',"pageInfo":' + orjson.dumps(page) + b"}")
