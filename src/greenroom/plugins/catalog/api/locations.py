"""Registered locations: add (or dry-run), list, query, update, remove, and find the one behind an entity."""

from __future__ import annotations

from typing import Any

from greenroom.plugins.catalog.api.common import ApiError, decode_cursor, encode_cursor, input_error, not_found, run
from greenroom.plugins.catalog.api.entities import normalize_ref
from greenroom.plugins.catalog.model import parse_location_ref, stringify_entity_ref
from greenroom.plugins.catalog.model.refs import InvalidLocationRefError
from greenroom.plugins.catalog.processing.orchestrator import location_entity
from greenroom.plugins.catalog.processing.providers import refresh_entities
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.plugins.catalog.service import CatalogService, LocationError, StoredLocation

MAX_DRY_RUN_DEPTH = 10  # nested Location entities followed by a dry run, against reference loops


def _raise(exc: LocationError) -> None:
    raise ApiError(exc.status, str(exc)) from exc


def find(service: CatalogService, location_id: str) -> StoredLocation:
    """The registered location with this id, or NotFoundError."""
    found = service.location(location_id)
    if found is None:
        not_found(f"Found no location with ID {location_id}")
    return found


def dry_run(service: CatalogService, type_: str, target: str) -> list[dict[str, Any]]:
    """The entities registering this location would produce, processed but not stored."""
    spec = LocationSpec(type_, target)
    todo: list[tuple[dict[str, Any], int]] = [(location_entity(spec), 0)]
    entities: list[dict[str, Any]] = []
    seen: set[str] = set()
    while todo:
        entity, depth = todo.pop(0)
        outcome = service.orchestrator.process(entity)
        # A file that cannot be read only marks its own entities in the live catalog; a dry run reports it.
        if not outcome.ok or outcome.entity is None or outcome.source_errors:
            input_error(", ".join(f"{e.name}: {e.message}" for e in outcome.errors) or "processing failed")
        ref = stringify_entity_ref(outcome.entity)
        if ref in seen:
            raise ApiError(409, f"Duplicate nested entity: {ref}")
        seen.add(ref)
        entities.append(outcome.entity)
        if depth < MAX_DRY_RUN_DEPTH:
            todo.extend((child.entity, depth + 1) for child in outcome.children)
    return entities


def create(service: CatalogService, type_: str, target: str, dry: bool, on_conflict: str | None) -> dict[str, Any]:
    """POST /locations: `{location, entities, exists?}`."""
    strategy = on_conflict or service.config.defaultLocationConflictStrategy
    if strategy not in ("reject", "refresh"):
        input_error(f"Invalid onConflict value {on_conflict!r}, expected reject or refresh")
    try:
        service.check_location(type_, target)
    except LocationError as exc:
        _raise(exc)
    existing = next((loc for loc in service.locations() if loc.type == type_ and loc.target == target), None)
    if dry:
        location = StoredLocation(f"{type_}:{target}", type_, target)
        return {"location": location.as_dict(), "entities": dry_run(service, type_, target),
                "exists": existing is not None}
    if existing is not None and strategy == "refresh":
        if service.config.readonly:
            raise ApiError(403, "the catalog is read-only (catalog.readonly)")
        refresh_entities(service.database.engine, [existing.entity_ref])
        return {"location": existing.as_dict(), "entities": [], "exists": True}
    try:
        stored = service.add_location(type_, target)
    except LocationError as exc:
        _raise(exc)
    return {"location": stored.as_dict(), "entities": []}


def update(service: CatalogService, location_id: str, type_: str, target: str) -> dict[str, str]:
    """PUT /locations/{id}: point a registered location elsewhere."""
    if service.config.readonly:
        raise ApiError(403, "the catalog is read-only (catalog.readonly)")
    find(service, location_id)
    try:
        service.check_location(type_, target)
    except LocationError as exc:
        _raise(exc)
    if any(loc.id != location_id and loc.type == type_ and loc.target == target for loc in service.locations()):
        raise ApiError(409, f"location {type_}:{target} already exists")
    # CatalogService has no update yet; the row is rewritten here and the provider re-synced, as add does.
    with service.database.engine.begin() as conn:
        run(conn, "UPDATE catalog_locations SET type = ?, target = ? WHERE id = ?",
            [type_, target, location_id])
    service.sync_registered()
    return find(service, location_id).as_dict()


def remove(service: CatalogService, location_id: str) -> None:
    """DELETE /locations/{id}; the entities it brought in are removed with it."""
    try:
        removed = service.remove_location(location_id)
    except LocationError as exc:
        _raise(exc)
    if not removed:
        not_found(f"Found no location with ID {location_id}")


def by_entity(service: CatalogService, kind: str, namespace: str, name: str) -> dict[str, str]:
    """The registered location whose tree brought in an entity (its managed-by-origin-location)."""
    ref = normalize_ref(f"{kind}:{namespace}/{name}") or f"{kind}:{namespace}/{name}".lower()
    with service.database.engine.connect() as conn:
        rows = run(conn, "SELECT s.original_value FROM catalog_search s JOIN catalog_final_entities f "
                         "ON f.id = s.entity WHERE f.entity_ref = ? AND s.key = ?",
                   [ref, "metadata.annotations.backstage.io/managed-by-origin-location"])
        known = rows or run(conn, "SELECT 1 FROM catalog_final_entities WHERE entity_ref = ?", [ref])
    if not known:
        not_found(f"found no entity for ref {ref}")
    if not rows or not rows[0][0]:
        not_found(f"found no origin annotation for ref {ref}")
    try:
        origin = parse_location_ref(rows[0][0])
    except InvalidLocationRefError:
        not_found(f"found no origin annotation for ref {ref}")
    found = next((loc for loc in service.locations() if loc.type == origin.type and loc.target == origin.target),
                 None)
    if found is None:
        not_found(f"Found no location with type {origin.type} and target {origin.target}")
    return found.as_dict()


def _matches(location: dict[str, str], predicate: Any) -> bool:
    # Locations are few, so their predicate is evaluated here rather than in SQL.
    if not isinstance(predicate, dict):
        input_error("Invalid location query: expected an object")
    if "$all" in predicate:
        return all(_matches(location, p) for p in predicate["$all"])
    if "$any" in predicate:
        return any(_matches(location, p) for p in predicate["$any"])
    if "$not" in predicate:
        return not _matches(location, predicate["$not"])
    for key, want in predicate.items():
        have = location.get(key)
        if isinstance(want, dict) and "$exists" in want:
            ok = (have is not None) == bool(want["$exists"])
        elif isinstance(want, dict) and "$in" in want and isinstance(want["$in"], list):
            ok = have is not None and have.lower() in {str(v).lower() for v in want["$in"]}
        elif isinstance(want, dict) and isinstance(want.get("$hasPrefix"), str):
            ok = have is not None and have.lower().startswith(want["$hasPrefix"].lower())
        elif isinstance(want, str | int | float | bool):
            ok = have is not None and have.lower() == str(want).lower()
        else:
            input_error(f"Invalid location query value for field \"{key}\"")
        if not ok:
            return False
    return True


def query(service: CatalogService, cursor: str | None, limit: int | None, predicate: Any) -> dict[str, Any]:
    """POST /locations/by-query: `{items, totalItems, pageInfo: {nextCursor?}}`."""
    offset = 0
    if cursor is not None:
        state = decode_cursor(cursor)
        offset, predicate = state.get("offset", 0), state.get("query")
        if not isinstance(offset, int) or offset < 0:
            input_error("Malformed cursor, could not be parsed")
    size = 100 if limit is None else limit
    if size < 0:
        input_error("limit must not be negative")
    if predicate is not None:
        _matches({"id": "", "type": "", "target": "", "entityRef": ""}, predicate)  # refuse bad input up front
    matching = [d for d in (loc.as_dict() for loc in service.locations())
                if predicate is None or _matches(d, predicate)]
    page = matching[offset:offset + size]
    info: dict[str, str] = {}
    if offset + size < len(matching):
        info["nextCursor"] = encode_cursor({"offset": offset + size, "query": predicate})
    return {"items": page, "totalItems": len(matching), "pageInfo": info}
