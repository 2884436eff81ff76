"""Entity facets: how many entities have each (original-case) value of some fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Engine

from greenroom.plugins.catalog.api.common import input_error, marks, run
from greenroom.plugins.catalog.api.predicates import compile_predicate
from greenroom.plugins.catalog.store.generation import cached


def parse_facets(values: Sequence[Any] | None) -> list[str]:
    """The facet names asked for; at least one is required."""
    facets = [v for v in (values or []) if isinstance(v, str) and v]
    if values is not None and any(not isinstance(v, str) for v in values):
        input_error("facets must be an array of strings")
    if not facets:
        input_error("Missing facet parameter")
    return facets


def facets(engine: Engine, names: Sequence[str], predicate: dict[str, Any] | None) -> bytes:
    """`{facets: {<name as given>: [{value, count}]}}`, values in order."""
    keys = list(dict.fromkeys(n.lower() for n in names))
    where, params = "", list[Any]()
    if predicate is not None:
        sql, params = compile_predicate(predicate, column="s.entity")
        where = f" AND {sql}"
    with engine.connect() as conn:
        cache_key = ("facets", tuple(keys), where, orjson.dumps(params).decode())
        rows = cached(conn, cache_key, lambda: run(
            conn, "SELECT s.key, s.original_value, COUNT(*) FROM catalog_search s "
                  f"WHERE s.key IN ({marks(len(keys))}) AND s.original_value IS NOT NULL{where} "
                  "GROUP BY s.key, s.original_value", [*keys, *params]))
    found: dict[str, list[tuple[str, int]]] = {k: [] for k in keys}
    for key, value, count in rows:
        found[key].append((value, int(count)))
    out = {name: [{"value": v, "count": c} for v, c in sorted(found[name.lower()])] for name in names}
    return orjson.dumps({"facets": out})
