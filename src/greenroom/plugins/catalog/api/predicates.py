"""Backstage's predicate language (`$all`, `$any`, `$not`, field expressions with `$exists`, `$in`,
`$contains`, `$hasPrefix`) compiled to SQL over the flattened search rows.

Every field test becomes `<id column> [NOT] IN (SELECT entity FROM catalog_search WHERE ...)`, which the
`(key, value, entity)` index answers without touching the entities themselves. Keys and values are
lower-cased, as the search rows are, so matching is case-insensitive like Backstage's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from greenroom.plugins.catalog.api.common import input_error, like_escape, marks
from greenroom.plugins.catalog.store.search import js_string

_LOGICAL = ("$all", "$any", "$not")
_MATCHERS = ("$exists", "$in", "$contains", "$hasPrefix")


def _is_primitive(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    # Search rows hold JavaScript's String(value), lower-cased; compare the same text.
    return js_string(value).lower()


class Compiler:
    """Builds one SQL condition and its parameters (`?` marks) from a predicate.

    `correlated` tests values with `EXISTS` on the (key, value, entity) index for each row instead of an
    `IN` list collected first: cheaper when only a few rows are looked at (a page walked in sort order)."""

    def __init__(self, column: str, correlated: bool = False) -> None:
        self.column = column
        self.correlated = correlated
        self.params: list[Any] = []

    def compile(self, predicate: Any) -> str:
        """The SQL condition for `predicate`; bad predicates raise InputError naming the problem."""
        if not isinstance(predicate, Mapping):
            if _is_primitive(predicate):
                input_error("Invalid filter predicate: top-level primitive values are not supported. Wrap the "
                            f"value in a field expression, e.g. {{ \"kind\": {predicate!r} }}")
            input_error(f"Invalid filter predicate: expected an object, got {type(predicate).__name__}")
        logical = [k for k in predicate if k in _LOGICAL]
        if logical:
            if len(predicate) != 1:
                input_error(f"Invalid filter predicate: {logical[0]} must be the only key of its object")
            return self._logical(logical[0], predicate[logical[0]])
        if not predicate:
            return "1=1"
        return " AND ".join(self._field(str(k), v) for k, v in predicate.items())

    def _logical(self, op: str, operand: Any) -> str:
        if op == "$not":
            return f"NOT ({self.compile(operand)})"
        if not isinstance(operand, list):
            input_error(f"Invalid filter predicate: {op} expects an array")
        if not operand:
            return "1=1" if op == "$all" else "1=0"
        joiner = " AND " if op == "$all" else " OR "
        return "(" + joiner.join(f"({self.compile(p)})" for p in operand) + ")"

    def _in_search(self, key: str, condition: str, params: list[Any], negate: bool = False) -> str:
        self.params.append(key.lower())
        self.params.extend(params)
        where = "key = ?" + (f" AND {condition}" if condition else "")
        if self.correlated and condition:  # without a value test the index could not seek to the entity
            return f"{'NOT ' if negate else ''}EXISTS (SELECT 1 FROM catalog_search WHERE {where} " \
                   f"AND entity = {self.column})"
        return f"{self.column} {'NOT IN' if negate else 'IN'} (SELECT entity FROM catalog_search WHERE {where})"

    def _field(self, key: str, value: Any) -> str:
        if key.startswith("$"):
            input_error(f"Invalid filter predicate: unknown operator {key}")
        if _is_primitive(value):
            return self._in_search(key, "value = ?", [_text(value)])
        if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in _MATCHERS:
            input_error(f"Invalid filter predicate value for field \"{key}\": expected a primitive value, $exists, "
                        f"$in, $contains or $hasPrefix operator")
        op, arg = next(iter(value.items()))
        if op == "$exists":
            if not isinstance(arg, bool):
                input_error(f"Invalid filter predicate value for field \"{key}\": $exists expects true or false")
            return self._in_search(key, "", [], negate=not arg)
        if op == "$in":
            if not isinstance(arg, list) or not all(_is_primitive(v) for v in arg):
                input_error(f"Invalid filter predicate value for field \"{key}\": $in expects an array of values")
            if not arg:
                return "1=0"
            texts = list(dict.fromkeys(_text(v) for v in arg))
            return self._in_search(key, f"value IN ({marks(len(texts))})", texts)
        if op == "$hasPrefix":
            if not isinstance(arg, str):
                input_error(f"Invalid filter predicate value for field \"{key}\": $hasPrefix expects a string")
            return self._in_search(key, "value LIKE ? ESCAPE '\\'", [like_escape(arg.lower()) + "%"])
        return self._contains(key, arg)

    def _contains(self, key: str, item: Any) -> str:
        # Search rows flatten arrays, so an array of strings has one row per item under the array's own key,
        # and an array of objects has rows under `key.<field>`; relations live under `relations.<type>`.
        if _is_primitive(item) or (isinstance(item, Mapping) and len(item) == 1 and next(iter(item)) in _MATCHERS):
            return self._field(key, item)
        if not isinstance(item, Mapping) or not item:
            input_error(f"Invalid filter predicate value for field \"{key}\": $contains expects a value or an "
                        "object of field expressions")
        if key.lower() == "relations" and isinstance(item.get("type"), str):
            rest = {k: v for k, v in item.items() if k != "type"}
            target = rest.pop("targetRef", {"$exists": True})
            if rest:
                input_error("Invalid filter predicate: relations can only be matched on type and targetRef")
            return self._field(f"relations.{item['type']}", target)
        if any(str(k).startswith("$") for k in item):
            input_error(f"Invalid filter predicate value for field \"{key}\": $contains expects field expressions")
        return " AND ".join(self._field(f"{key}.{k}", v) for k, v in item.items())


def compile_predicate(predicate: Any, column: str = "f.id", correlated: bool = False) -> tuple[str, list[Any]]:
    """SQL (with `?` marks) selecting the entities whose row id in `column` satisfies `predicate` (see
    `Compiler` for `correlated`)."""
    compiler = Compiler(column, correlated)
    sql = compiler.compile(predicate)
    return sql, compiler.params


@dataclass(frozen=True)
class Selection:
    """The stitched entities (`f`) a predicate selects, as pieces of SQL.

    When every match must pass one equality test (`kind=component`, and any filter set of Backstage's query
    string that holds one), the rows come from that test's stretch of the search index, `d`, which holds the
    entity ids in order: a page of 100 then reads about 100 index entries instead of collecting every
    component first (35 times faster at 50,000 entities on SQLite). `id` is the column to order and seek by."""

    source: str  # the FROM clause
    where: str
    params: list[Any] = field(default_factory=list)
    id: str = "f.id"

    @property
    def count_source(self) -> str:
        """A FROM clause enough to count the matches: a driven selection needs no entity rows."""
        return "catalog_search d" if self.id == "d.entity" else _ENTITIES


_ENTITIES = "catalog_final_entities f"
_DRIVEN = "catalog_search d JOIN catalog_final_entities f ON f.id = d.entity"
# PostgreSQL, seeing the ids of both tables in order, merges them from the start of the entities table: for a
# page of components that read the 14,000 rows that come before the first one (25 ms instead of 0.4). A subquery
# it may not pull up (OFFSET 0) makes it look each entity up by id.
_DRIVEN_POSTGRES = ("catalog_search d CROSS JOIN LATERAL (SELECT id, final_entity FROM catalog_final_entities "
                    "WHERE id = d.entity OFFSET 0) f")


def entity_conditions(column: str, predicate: Any, fields: list[str], term: str | None,
                      correlated: bool = False) -> tuple[list[str], list[Any]]:
    """SQL conditions (with `?` marks) on the entity id `column`: `predicate` (None: no condition) and, for a
    non-empty `term`, a case-insensitive substring match in one of the search keys `fields` (lower-cased).

    `correlated` looks each row's values up with `EXISTS` (cheap for the few rows of a page walked in order);
    otherwise each condition's matches are collected first. A substring cannot seek in the (key, value)
    index, so collecting the text matches reads those fields of the whole catalog."""
    clauses: list[str] = []
    params: list[Any] = []
    if predicate is not None:
        sql, found = compile_predicate(predicate, column, correlated)
        clauses.append(sql)
        params += found
    if term:
        matches = f"key IN ({marks(len(fields))}) AND value LIKE ? ESCAPE '\\'"
        clauses.append(f"EXISTS (SELECT 1 FROM catalog_search WHERE entity = {column} AND {matches})" if correlated
                       else f"{column} IN (SELECT entity FROM catalog_search WHERE {matches})")
        params += [*fields, f"%{like_escape(term.lower())}%"]
    return clauses, params


def select_entities(predicate: Any, dialect: str = "sqlite") -> Selection:
    """The selection of `predicate` (None: every entity) for the database `dialect`; bad predicates raise
    InputError as in `compile`."""
    if predicate is None:
        return Selection(_ENTITIES, "1=1")
    found = _driver(predicate)
    if found is None:
        sql, params = compile_predicate(predicate)
        return Selection(_ENTITIES, sql, params)
    (key, text), rest = found
    where, params = "d.key = ? AND d.value = ?", [key, text]
    if rest is not None:
        sql, more = compile_predicate(rest, column="d.entity")
        where, params = f"{where} AND {sql}", [*params, *more]
    source = _DRIVEN_POSTGRES if dialect == "postgresql" else _DRIVEN
    return Selection(source, where, params, "d.entity")


def _driver(predicate: Any) -> tuple[tuple[str, str], Any] | None:
    """An equality test (key, text) that every match of `predicate` passes, and the rest of the predicate
    (None when nothing is left), or None when there is no such test."""
    if not isinstance(predicate, Mapping) or not predicate:
        return None
    if len(predicate) == 1 and isinstance(predicate.get("$any"), list) and len(predicate["$any"]) == 1:
        return _driver(predicate["$any"][0])
    if len(predicate) == 1 and isinstance(predicate.get("$all"), list):
        parts = predicate["$all"]
        for index, part in enumerate(parts):
            found = _driver(part)
            if found is not None:
                test, rest = found
                others = [*parts[:index], *([rest] if rest is not None else []), *parts[index + 1:]]
                return test, ({"$all": others} if others else None)
        return None
    if any(k in _LOGICAL for k in predicate):
        return None
    for key, value in predicate.items():
        if isinstance(key, str) and not key.startswith("$") and _is_primitive(value):
            rest = {k: v for k, v in predicate.items() if k != key}
            return (key.lower(), _text(value)), (rest or None)
    return None
