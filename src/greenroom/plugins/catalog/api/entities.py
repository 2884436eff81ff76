"""Single entities: by name, by uid, by refs, ancestry, deletion, refresh and validation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from greenroom.plugins.catalog.api.common import blob, input_error, lookup, marks, not_found, run
from greenroom.plugins.catalog.api.fields import Projection, render
from greenroom.plugins.catalog.api.predicates import compile_predicate
from greenroom.plugins.catalog.model import parse_location_ref, stringify_entity_ref
from greenroom.plugins.catalog.model.refs import InvalidEntityRefError, InvalidLocationRefError, parse_entity_ref
from greenroom.plugins.catalog.processing.children import request_stitch
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator
from greenroom.plugins.catalog.processing.providers import ancestors, delete_entities, refresh_entities
from greenroom.plugins.catalog.processing.types import ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION
from greenroom.plugins.catalog.store.bulk import chunks

BY_REF = "SELECT final_entity FROM catalog_final_entities WHERE entity_ref = ?"


def by_ref(conn: Connection, ref: str) -> bytes | None:
    """The stored entity with this (lower-cased) ref."""
    rows = run(conn, BY_REF, [ref])
    return blob(rows[0][0]) if rows else None


def read_by_ref(engine: Engine, ref: str) -> bytes | None:
    """`by_ref` on a connection of its own."""
    rows = lookup(engine, BY_REF, [ref])
    return blob(rows[0][0]) if rows else None


def by_uid(conn: Connection, uid: str) -> bytes | None:
    """The stored entity with this `metadata.uid`."""
    rows = run(conn, "SELECT final_entity FROM catalog_final_entities WHERE entity_id = ?", [uid])
    return blob(rows[0][0]) if rows else None


def name_ref(kind: str, namespace: str, name: str) -> str:
    """The stored (lower-cased) ref of a by-name request, so names match case-insensitively."""
    return f"{kind}:{namespace}/{name}".lower()


def normalize_ref(ref: str) -> str | None:
    """`ref` in its stored form (default namespace filled in), or None when it is not a valid ref."""
    try:
        return stringify_entity_ref(parse_entity_ref(ref))
    except InvalidEntityRefError:
        return None


def by_refs(engine: Engine, refs: Sequence[Any], predicate: dict[str, Any] | None,
            projection: Projection | None) -> bytes:
    """`{items: [...]}` in the order asked, with null for refs that are missing (or filtered out)."""
    if not all(isinstance(r, str) for r in refs):
        input_error("entityRefs must be an array of strings")
    wanted = [normalize_ref(r) for r in refs]
    found: dict[str, bytes] = {}
    lookup = [r for r in dict.fromkeys(wanted) if r is not None]
    extra, extra_params = "", list[Any]()
    if predicate is not None:
        sql, extra_params = compile_predicate(predicate)
        extra = f" AND {sql}"
    with engine.connect() as conn:
        for part in chunks(lookup):
            for ref, data in run(conn, "SELECT f.entity_ref, f.final_entity FROM catalog_final_entities f "
                                       f"WHERE f.entity_ref IN ({marks(len(part))}){extra}",
                                 [*part, *extra_params]):
                found[ref] = blob(data)
    rendered = dict(zip(found, render(found.values(), projection), strict=True))
    items = [rendered.get(r, b"null") if r is not None else b"null" for r in wanted]
    return b'{"items":[' + b",".join(items) + b"]}"


def ancestry(conn: Connection, root: str, visible: dict[str, Any] | None = None) -> bytes:
    """`{rootEntityRef, items: [{entity, parentEntityRefs}]}`: the entity, then whoever emitted it, upwards.

    Parents outside `visible` (the caller's read filter) are left out, and so is what lies above them: a
    caller sees the chain only as far as they may read it."""
    entity = by_ref(conn, root)
    if entity is None:
        not_found(f"No such entity {root}")
    permitted, permitted_params = "", list[Any]()
    if visible is not None:
        sql, permitted_params = compile_predicate(visible)
        permitted = f" AND {sql}"
    items: list[bytes] = []
    seen = {root}
    todo: list[tuple[str, bytes]] = [(root, entity)]
    while todo:
        ref, data = todo.pop(0)
        parents = run(conn, "SELECT r.source_entity_ref, f.final_entity FROM catalog_references r JOIN "
                            "catalog_final_entities f ON f.entity_ref = r.source_entity_ref "
                            f"WHERE r.target_entity_ref = ?{permitted} ORDER BY r.source_entity_ref",
                      [ref, *permitted_params])
        refs = [p[0] for p in parents]
        items.append(b'{"entity":' + data + b',"parentEntityRefs":' + orjson.dumps(refs) + b"}")
        for parent_ref, parent in parents:
            if parent_ref not in seen:
                seen.add(parent_ref)
                todo.append((parent_ref, blob(parent)))
    return b'{"rootEntityRef":' + orjson.dumps(root) + b',"items":[' + b",".join(items) + b"]}"


def delete_by_uid(engine: Engine, uid: str) -> None:
    """Remove an entity now; its parents are made to emit it again, so it returns if still provided."""
    with engine.begin() as conn:
        rows = run(conn, "SELECT id, entity_ref FROM catalog_refresh_state WHERE entity_id = ?", [uid])
        if not rows:
            return  # Backstage answers 204 for an unknown uid too
        row_id, ref = rows[0]
        parents = ancestors(conn, ref)
        request_stitch(conn, delete_entities(conn, [int(row_id)]))
    # Forgetting the parents' result hash makes their next run write their children again, which heals an
    # accidental delete of an entity a location still lists.
    refresh_entities(engine, parents)


def refresh(engine: Engine, entity_ref: Any) -> None:
    """Process an entity and the location that brought it in again, now."""
    if not isinstance(entity_ref, str) or not entity_ref:
        input_error("entityRef must be a non-empty string")
    ref = normalize_ref(entity_ref)
    if ref is None:
        input_error(f"Invalid entity ref {entity_ref!r}")
    with engine.connect() as conn:
        if not run(conn, "SELECT 1 FROM catalog_refresh_state WHERE entity_ref = ?", [ref]):
            not_found(f"No such entity {ref}")
        found = ancestors(conn, ref)
    location = next((r for r in found if r.startswith("location:")), None)
    refresh_entities(engine, [ref, *([location] if location else [])])


def validate(orchestrator: Orchestrator, entity: Any, location: Any) -> list[dict[str, Any]]:
    """The errors processing would report for `entity` managed by the `url:` `location` (nothing is stored)."""
    try:
        if not isinstance(location, str):
            raise TypeError("location must be a string of the form 'url:<target>'")
        parsed = parse_location_ref(location)
        if parsed.type != "url":
            raise TypeError(f"Invalid location ref {location}, only 'url:<target>' is supported, "
                            "e.g. url:https://host/path")
        if not isinstance(entity, dict) or not isinstance(entity.get("metadata"), dict):
            raise TypeError("entity must be an object with a metadata object")
    except (TypeError, InvalidLocationRefError) as exc:
        return [{"name": "TypeError" if isinstance(exc, TypeError) else "InputError", "message": str(exc)}]
    annotations = entity["metadata"].get("annotations")
    merged = {ANNOTATION_LOCATION: location, ANNOTATION_ORIGIN_LOCATION: location,
              **(annotations if isinstance(annotations, dict) else {})}
    candidate = {**entity, "metadata": {**entity["metadata"], "annotations": merged}}
    outcome = orchestrator.process(candidate)
    return [] if outcome.ok else [e.as_dict() for e in outcome.errors]
