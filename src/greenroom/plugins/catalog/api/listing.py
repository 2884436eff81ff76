"""The legacy `GET /entities`: every match streamed in batches, or one page with a `Link` to the next.

Streaming concatenates the stored entity bytes batch by batch, so a 50,000-entity dump never holds more than one
batch in memory and never parses or re-serializes an entity (unless `fields` asks for a projection). A batch goes
to the server in pieces of a few hundred entities: handed 15 MB at once, the server copied what the socket could
not take yet into its own buffer, and a 17 MB list took twice as long to send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from greenroom.plugins.catalog.api.common import decode_cursor, encode_cursor, input_error, run
from greenroom.plugins.catalog.api.fields import Projection, render
from greenroom.plugins.catalog.api.predicates import select_entities
from greenroom.plugins.catalog.api.snapshots import ListSnapshots

BATCH = 10000  # rows per query while streaming, as Backstage does
PIECE = 500  # entities per piece handed to the server while streaming


@dataclass
class ListRequest:
    """A parsed `GET /entities` request."""

    predicate: dict[str, Any] | None
    order: list[tuple[str, bool]]  # (field, descending)
    projection: Projection | None
    fields: list[str] | None = None  # what `projection` keeps, for telling requests apart


def parse_order(values: Sequence[str]) -> list[tuple[str, bool]]:
    """`order=asc:<field>` / `desc:<field>` parameters (repeatable, or comma-separated)."""
    out: list[tuple[str, bool]] = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            if not text:
                continue
            order, sep, name = text.partition(":")
            if not sep or order not in ("asc", "desc") or not name.strip():
                input_error(f"Invalid order parameter \"{text}\", expected \"<asc or desc>:<field name>\"")
            out.append((name.strip(), order == "desc"))
    return out


def parse_after(after: str | None, limit: int | None, offset: int | None) -> tuple[int | None, int]:
    """The limit and offset to use, an `after` cursor (base64 JSON `{limit, offset}`) winning over both."""
    if after is None:
        return limit, offset or 0
    state = decode_cursor(after, "after cursor")
    if "limit" in state:
        if not isinstance(state["limit"], int) or state["limit"] < 0:
            input_error("Malformed after cursor, invalid limit")
        limit = state["limit"]
    if "offset" in state:
        if not isinstance(state["offset"], int) or state["offset"] < 0:
            input_error("Malformed after cursor, invalid offset")
        offset = state["offset"]
    return limit, offset or 0


def next_after(limit: int, offset: int) -> str:
    """The `after` cursor of the page following the one at `offset`."""
    return encode_cursor({"limit": limit, "offset": offset + limit})


def _select(request: ListRequest, dialect: str) -> tuple[str, list[Any], str, str]:
    """FROM/WHERE SQL with its parameters, the ORDER BY for the request's order, and the id column."""
    selection = select_entities(request.predicate, dialect)
    joins: list[str] = []
    params: list[Any] = []
    order: list[str] = []
    for index, (name, descending) in enumerate(request.order):
        alias = f"o{index}"
        joins.append(f" LEFT JOIN (SELECT entity, MIN(value) AS v FROM catalog_search WHERE key = ? "
                     f"GROUP BY entity) {alias} ON {alias}.entity = f.id")
        params.append(name.lower())
        order.append(f"({alias}.v IS NULL), {alias}.v {'DESC' if descending else 'ASC'}")
    order.append(f"{selection.id} ASC")
    body = f"FROM {selection.source}{''.join(joins)} WHERE {selection.where}"
    return body, [*params, *selection.params], ", ".join(order), selection.id


def fetch_page(engine: Engine, request: ListRequest, limit: int | None, offset: int) -> tuple[list[bytes], bool]:
    """One page of entities, and whether another page follows."""
    body, params, order, _ = _select(request, engine.dialect.name)
    # SQLite needs a LIMIT before an OFFSET; a huge one means none.
    tail = f" LIMIT {int(limit) + 1}" if limit is not None else " LIMIT 1000000000" if offset else ""
    if offset:
        tail += f" OFFSET {int(offset)}"
    with engine.connect() as conn:
        rows = run(conn, f"SELECT f.final_entity {body} ORDER BY {order}{tail}", params)
    more = limit is not None and len(rows) > limit
    if limit is not None:
        rows = rows[:limit]
    return render((r[0] for r in rows), request.projection), more


def stream(engine: Engine, request: ListRequest) -> Iterator[bytes]:
    """The JSON array of all matches, in chunks of at most one batch.

    The SQL is built (and bad input refused) now, before the response starts."""
    body, params, order, id_column = _select(request, engine.dialect.name)
    return _chunks(engine, request, body, params, order, id_column)


def stream_kept(engine: Engine, request: ListRequest, snapshots: ListSnapshots,
                generation: Callable[[], int]) -> Iterator[bytes]:
    """`stream`, sent from the list kept for this request in the current `generation()` when there is one, and
    kept for the next identical requests when this one is the second (see `snapshots`)."""
    chunks = stream(engine, request)
    if not snapshots.enabled:
        return chunks
    key = snapshots.key(request.predicate, request.order, request.fields)
    now = generation()
    kept = snapshots.cached(key, now)
    if kept is not None:
        return kept
    if not snapshots.asked_before(key, now):
        return chunks  # asked for once so far: not worth writing yet
    return snapshots.record(key, now, chunks, generation)


def _chunks(engine: Engine, request: ListRequest, body: str, params: list[Any], order: str,
            id_column: str) -> Iterator[bytes]:
    yield b"["
    first = True
    last_id = -1
    offset = 0
    while True:
        with engine.connect() as conn:
            if request.order:
                # Ordered dumps page by offset; unordered ones seek on the id, which stays cheap at any depth.
                rows = run(conn, f"SELECT f.final_entity, f.id {body} ORDER BY {order} "
                                 f"LIMIT {BATCH} OFFSET {offset}", params)
            else:
                rows = run(conn, f"SELECT f.final_entity, f.id {body} AND {id_column} > ? "
                                 f"ORDER BY {id_column} LIMIT {BATCH}", [*params, last_id])
        if not rows:
            break
        rendered = render((r[0] for r in rows), request.projection)
        for start in range(0, len(rendered), PIECE):
            chunk = b",".join(rendered[start:start + PIECE])
            yield chunk if first else b"," + chunk
            first = False
        if len(rows) < BATCH:
            break
        offset += len(rows)
        last_id = int(rows[-1][1])
    yield b"]"
