"""The catalog index: URL filter state to a predicate, one page of rows, cached facets, sort and paging links.

Filters compile through the API's own predicate module (`predicates.compile_predicate`, with the by-query
text search beside it), so the page and `/api/catalog/entities/by-query` agree on what a filter means. A page
costs one COUNT and one LIMITed walk of the search index; the facets behind the filter menus are cached briefly, as
they change only when the catalog does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import Connection, Engine
from starlette.datastructures import QueryParams

from greenroom.plugins.catalog.api.common import blob, marks, run
from greenroom.plugins.catalog.api.filters import combine
from greenroom.plugins.catalog.api.predicates import compile_predicate, entity_conditions
from greenroom.plugins.catalog.pages.common import RefView, mapping, ref_view
from greenroom.plugins.catalog.store.generation import cached, entity_count

# URL parameter -> search key. Owner filters on the ownedBy relation, whose values are full refs, so that a
# group named like a user is never mixed up with it.
FILTERS: dict[str, str] = {"kind": "kind", "type": "spec.type", "owner": "relations.ownedBy",
                           "lifecycle": "spec.lifecycle", "tag": "metadata.tags", "namespace": "metadata.namespace"}
SORTS: dict[str, str] = {"name": "metadata.name", "kind": "kind", "type": "spec.type", "owner": "spec.owner",
                         "lifecycle": "spec.lifecycle"}
TEXT_FIELDS = ["metadata.name", "metadata.title", "metadata.description"]
KIND_NAMES = {k.lower(): k for k in ("API", "Component", "Domain", "Group", "Location", "Resource", "System",
                                      "Template", "User")}
PAGE_SIZES = (25, 50, 100)
MAX_VALUES = 20  # values of one filter given in the URL; more is not a filter a person builds


@dataclass
class IndexQuery:
    """The index's state, all of it from the URL so that any view can be bookmarked and shared."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    mine: bool = False
    starred: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1
    size: int = PAGE_SIZES[0]

    @classmethod
    def parse(cls, params: QueryParams) -> IndexQuery:
        """Read the state from query parameters; values that make no sense fall back to the defaults."""
        chosen = {k: [v.strip() for v in params.getlist(k) if v.strip()][:MAX_VALUES] for k in FILTERS}
        sort = params.get("sort", "name")
        size = _int(params.get("size"), PAGE_SIZES[0])
        return cls(filters={k: v for k, v in chosen.items() if v}, q=params.get("q", "").strip()[:200],
                   mine=params.get("mine") == "1", starred=params.get("starred") == "1",
                   sort=sort if sort in SORTS else "name", descending=params.get("dir") == "desc",
                   page=max(1, _int(params.get("page"), 1)), size=size if size in PAGE_SIZES else PAGE_SIZES[0])

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """This state as query parameters, with `changes` applied; defaults are left out to keep URLs short."""
        state = {"filters": self.filters, "q": self.q, "mine": self.mine, "starred": self.starred,
                 "sort": self.sort, "descending": self.descending, "page": self.page, "size": self.size, **changes}
        out: list[tuple[str, str]] = [(k, v) for k, values in state["filters"].items() for v in values]
        out += [("q", state["q"])] if state["q"] else []
        out += [("mine", "1")] if state["mine"] else []
        out += [("starred", "1")] if state["starred"] else []
        out += [("sort", state["sort"])] if state["sort"] != "name" else []
        out += [("dir", "desc")] if state["descending"] else []
        out += [("size", str(state["size"]))] if state["size"] != PAGE_SIZES[0] else []
        out += [("page", str(state["page"]))] if state["page"] > 1 else []
        return out

    def url(self, **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return "/catalog" + (f"?{query}" if query else "")

    def sort_url(self, column: str) -> str:
        """Sorting by a column starts ascending, a second click reverses it; either way back to page one."""
        descending = not self.descending if column == self.sort else False
        return self.url(sort=column, descending=descending, page=1)

    def aria_sort(self, column: str) -> str | None:
        if column != self.sort:
            return None
        return "descending" if self.descending else "ascending"

    @property
    def active(self) -> bool:
        return bool(self.filters or self.q or self.mine or self.starred)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def predicate_of(query: IndexQuery, ownership_refs: Sequence[str], starred_uids: Sequence[str] | None
                 ) -> dict[str, Any] | None:
    """The API predicate for the index's filters (None when nothing filters)."""
    parts: list[dict[str, Any] | None] = []
    for name, values in query.filters.items():
        key = FILTERS[name]
        parts.append({key: values[0]} if len(values) == 1 else {key: {"$in": values}})
    if query.mine:
        # Nobody owns anything when signed out; "1=0" keeps the page honest rather than showing everything.
        parts.append({"relations.ownedBy": {"$in": list(ownership_refs)}})
    if starred_uids is not None:
        parts.append({"metadata.uid": {"$in": list(starred_uids)}})
    return combine(*parts)


@dataclass
class Row:
    """One table row, ready for the template."""

    ref: RefView
    kind: str
    type: str
    owner: RefView | None
    lifecycle: str
    description: str
    tags: list[str]


def _row(entity: Mapping[str, Any]) -> Row:
    meta = entity.get("metadata") or {}
    spec = mapping(entity.get("spec"))
    ref = ref_view(f"{entity.get('kind')}:{meta.get('namespace') or 'default'}/{meta.get('name')}", entity=entity)
    assert ref is not None
    owned_by = next((r.get("targetRef") for r in entity.get("relations") or () if r.get("type") == "ownedBy"), None)
    owner = ref_view(owned_by) if isinstance(owned_by, str) else None
    tags = [t for t in meta.get("tags") or () if isinstance(t, str)]
    return Row(ref, str(entity.get("kind", "")), _text(spec.get("type")), owner, _text(spec.get("lifecycle")),
               _text(meta.get("description")), tags)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


@dataclass
class Result:
    """One page of the index."""

    rows: list[Row]
    total: int
    pages: int


def _conditions(predicate: dict[str, Any] | None, term: str, column: str = "f.id",
                correlated: bool = False) -> tuple[list[str], list[Any]]:
    """SQL conditions on `column` for the filters and the text search in the name, title and description."""
    return entity_conditions(column, predicate, TEXT_FIELDS, term, correlated)


# When a page should be filled within this many entries of the sort field's index, each entry's filters are
# looked up as the walk meets it; past that, each filter's matches are collected first. At 50,000 entities a page
# of components sorted by name (45% of the catalog) took 1 ms instead of 10 the first way, and a filter that
# matches 50 entities 13 ms instead of 36 the second way.
PROBE_WALK = 5000


def _page(conn: Connection, query: IndexQuery, predicate: dict[str, Any] | None, total: int,
          everything: int) -> list[bytes]:
    """The page's stored entities, walking the search index in sort order.

    The API's by-query joins a per-entity MIN() of the sort field, which aggregates every row of the catalog
    before the LIMIT applies; here the (key, value, entity) index is read in order and stops after one page.
    The sort fields are single-valued, so each entity has one row; entities without the field come last,
    as in the API. The filters are tested on the index entry, before the entity is read."""
    key = SORTS[query.sort].lower()
    direction = "DESC" if query.descending else "ASC"
    offset = (query.page - 1) * query.size
    walk = (offset + query.size) * everything // max(total, 1)
    clauses, params = _conditions(predicate, query.q, "o.entity", correlated=walk <= PROBE_WALK)
    extra = "".join(f" AND {c}" for c in clauses)
    rows = run(conn, "SELECT f.final_entity FROM catalog_search o JOIN catalog_final_entities f ON f.id = o.entity "
                     f"WHERE o.key = ?{extra} ORDER BY o.value {direction}, o.entity {direction} "
                     f"LIMIT {query.size} OFFSET {offset}", [key, *params])
    if len(rows) == query.size:
        return [blob(r[0]) for r in rows]
    having = offset + len(rows) if rows else int(run(
        conn, f"SELECT COUNT(*) FROM catalog_search o WHERE o.key = ?{extra}", [key, *params])[0][0])
    clauses, params = _conditions(predicate, query.q)
    extra = "".join(f" AND {c}" for c in clauses)
    rest = run(conn, "SELECT f.final_entity FROM catalog_final_entities f WHERE f.id NOT IN "
                     f"(SELECT entity FROM catalog_search WHERE key = ?){extra} ORDER BY f.id {direction} "
                     f"LIMIT {query.size - len(rows)} OFFSET {max(0, offset - having)}", [key, *params])
    return [blob(r[0]) for r in [*rows, *rest]]


def fetch(engine: Engine, query: IndexQuery, predicate: dict[str, Any] | None) -> Result:
    """One page of rows and the total: a COUNT over the same conditions, and a LIMITed index walk."""
    clauses, params = _conditions(predicate, query.q)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with engine.connect() as conn:
        # Counting a filtered catalog of 100,000 entities costs more than the page itself; the count only
        # changes with the catalog's generation, so it is cached under it (exact, and shared by every viewer).
        total = cached(conn, ("pages:count", where, orjson.dumps(params)), lambda: int(
            run(conn, f"SELECT COUNT(*) FROM catalog_final_entities f{where}", params)[0][0]))
        everything = total if not where else entity_count(conn)
        entities = ([orjson.loads(data) for data in _page(conn, query, predicate, total, everything)]
                    if total else [])
    return Result([_row(e) for e in entities], total, max(1, -(-total // query.size)))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int


def filter_options(engine: Engine, visible: dict[str, Any] | None = None,
                   chosen: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[Option]]:
    """Every value of each filter field with its count, cached for the catalog's current generation (so a
    change shows at once, and an unchanged catalog never counts twice).

    The counts are over the whole catalog, except the Type menu's once kinds are `chosen`: each kind has types
    of its own (a component's `service`, an API's `openapi`), so it lists those of the chosen kinds, counted
    among them. A `chosen` value that matches nothing is listed with a count of 0, so its menu still shows it.

    Like the API's facets, but grouped on the lower-cased value, which the (key, value, entity) index covers:
    the API groups on the original-case value, which reads every search row of those keys from the table
    (about ten times slower at 100,000 entities). Filters match case-insensitively, so the value is enough;
    kinds get their usual spelling back for display."""
    keys = [k.lower() for k in FILTERS.values()]
    chosen = chosen or {}
    kinds = sorted({k.lower() for k in chosen.get("kind", ())})
    # Under a conditional permission policy only what the viewer may read is counted, so the menus do not
    # reveal owners or tags of entities they cannot see.
    clause, params = compile_predicate(visible) if visible is not None else ("", [])
    scope = (clause, orjson.dumps(params))
    with engine.connect() as conn:
        out = dict(cached(conn, ("pages:facets", *scope), lambda: _options(conn, keys, clause, params)))
        if kinds:
            out["type"] = cached(conn, ("pages:types", *scope, *kinds), lambda: _types(conn, kinds, clause, params))
    for name, values in chosen.items():
        known = {o.value.lower() for o in out.get(name, [])}
        missing = [Option(*_labelled(name, v), 0) for v in dict.fromkeys(values) if v.lower() not in known]
        if missing:
            out[name] = sorted([*out[name], *missing], key=lambda o: o.label.lower())
    return out


def _types(conn: Connection, kinds: list[str], clause: str, params: list[Any]) -> list[Option]:
    # From the kinds' stretch of the (key, value, entity) index to each entity's type: for the 45,000
    # components of a 100,000-entity catalog, about 40 ms on SQLite, once per generation.
    rows = run(conn, "SELECT t.value, COUNT(*) FROM catalog_search k JOIN catalog_search t ON t.entity = k.entity "
                     f"AND t.key = ?{' JOIN catalog_final_entities f ON f.id = k.entity' if clause else ''} "
                     f"WHERE k.key = ? AND k.value IN ({marks(len(kinds))}) AND t.value IS NOT NULL"
                     f"{' AND ' + clause if clause else ''} GROUP BY t.value",
               [FILTERS["type"], "kind", *kinds, *params])
    return sorted((Option(str(v), str(v), int(c)) for v, c in rows), key=lambda o: o.label.lower())


def _options(conn: Connection, keys: list[str], clause: str, params: list[Any]) -> dict[str, list[Option]]:
    if clause:
        rows = run(conn, "SELECT s.key, s.value, COUNT(*) FROM catalog_search s JOIN catalog_final_entities f "
                         f"ON f.id = s.entity WHERE s.key IN ({marks(len(keys))}) AND s.value IS NOT NULL "
                         f"AND {clause} GROUP BY s.key, s.value", [*keys, *params])
    else:
        rows = run(conn, f"SELECT key, value, COUNT(*) FROM catalog_search WHERE key IN ({marks(len(keys))}) "
                         "AND value IS NOT NULL GROUP BY key, value", keys)
    by_key: dict[str, list[tuple[str, int]]] = {k: [] for k in keys}
    for key, value, count in rows:
        by_key[key].append((str(value), int(count)))
    out: dict[str, list[Option]] = {}
    for name, key in FILTERS.items():
        options = [Option(*_labelled(name, v), c) for v, c in by_key[key.lower()]]
        out[name] = sorted(options, key=lambda o: o.label.lower())
    return out


def _labelled(name: str, value: str) -> tuple[str, str]:
    """A menu's value and label for a value of `name`: kinds are compared lower-cased and get their usual
    spelling back."""
    if name == "owner":
        return value, _owner_label(value)
    if name == "kind":
        kind = KIND_NAMES.get(value.lower(), value.lower())
        return kind, kind
    return value, value


def _owner_label(ref: str) -> str:
    view = ref_view(ref)
    if view is None:
        return ref
    return view.label if view.kind == "group" else f"{view.kind}:{view.label}"


def page_links(query: IndexQuery, pages: int) -> list[tuple[int | None, str]]:
    """The page numbers to link (first, last, and two either side of the current one); None is a gap."""
    wanted = sorted({1, pages, *range(max(1, query.page - 2), min(pages, query.page + 2) + 1)})
    out: list[tuple[int | None, str]] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            out.append((None, ""))
        out.append((number, query.url(page=number)))
        previous = number
    return out
