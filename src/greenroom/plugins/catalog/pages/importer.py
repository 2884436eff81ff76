"""Registering a location from the import page, and the list of entities that failed processing.

The import page goes through `api.locations.create`, the very code behind `POST /locations` (with `dryRun`
for the preview), so the page and the API accept and refuse exactly the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.exceptions import HTTPException

from greenroom.plugins.catalog.api import locations
from greenroom.plugins.catalog.api.common import blob, run
from greenroom.plugins.catalog.api.predicates import compile_predicate
from greenroom.plugins.catalog.pages.common import RefView, entity_ref_of, mapping, ref_view
from greenroom.plugins.catalog.processing.types import ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION
from greenroom.plugins.catalog.service import CatalogService


@dataclass
class ImportResult:
    """What the import page shows after a preview or an import."""

    target: str
    type: str = ""
    error: str | None = None
    entities: list[RefView] = field(default_factory=list)
    exists: bool = False
    imported: bool = False


def location_of(text: str) -> tuple[str, str] | str:
    """(type, target) for what a person typed, or a message saying why it cannot be a location."""
    target = text.strip()
    if not target:
        return "Enter the URL of a catalog-info.yaml file, or an absolute path on the server."
    if target.startswith(("http://", "https://")):
        return "url", target
    if target.startswith("/"):
        return "file", target
    return "Enter a URL starting with https:// (or http://), or an absolute path starting with /."


def _message(exc: HTTPException) -> str:
    return exc.detail if isinstance(exc.detail, str) else "the location could not be read"


def run_import(service: CatalogService, text: str, dry: bool) -> ImportResult:
    """Preview (dry run) or register the location `text` names."""
    result = ImportResult(text.strip())
    parsed = location_of(text)
    if isinstance(parsed, str):
        result.error = parsed
        return result
    result.type, target = parsed
    try:
        # The preview runs first even on import, so the page can link to the entities the location brings.
        preview = locations.create(service, result.type, target, True, None)
        result.exists = bool(preview.get("exists"))
        result.entities = [v for v in (ref_view(entity_ref_of(e), entity=e) for e in preview["entities"])
                           if v is not None and v.kind != "location"]
        if not dry:
            if service.config.readonly:
                raise HTTPException(403, "the catalog is read-only (catalog.readonly)")
            locations.create(service, result.type, target, False, "refresh")
            result.imported = True
    except HTTPException as exc:
        result.error = _message(exc)
    return result


@dataclass
class Unprocessed:
    """A refresh-state row with errors."""

    ref: RefView | None
    raw_ref: str
    visible: bool
    errors: list[str]
    location: str
    owner: str


PAGE = 50


def error_messages(*columns: Any) -> list[str]:
    out: list[str] = []
    for column in columns:
        if not column:
            continue
        try:
            items = orjson.loads(column)
        except orjson.JSONDecodeError:
            out.append(str(column))
            continue
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                out.append(f"{item.get('name', 'Error')}: {item.get('message', '')}")
    return out


def unprocessed(service: CatalogService, offset: int, owner_refs: set[str] | None,
                readable: dict[str, Any] | None = None) -> tuple[list[Unprocessed], bool]:
    """One page of entities with processing errors (and whether more follow), optionally only the viewer's.

    With `readable` (the viewer's read filter) only stitched entities matching it are listed, filtered in the
    query so pages stay full: the filter's rules read the stitched entity, so one that never got through
    processing cannot be shown to a viewer who may not read everything."""
    permitted, params = "", list[Any]()
    if readable is not None:
        sql, params = compile_predicate(readable, "r.id")
        permitted = f" AND f.id IS NOT NULL AND {sql}"
    with service.database.engine.connect() as conn:
        rows = run(conn, "SELECT r.entity_ref, r.errors, r.source_errors, r.location_key, r.unprocessed_entity, "
                         "f.id FROM catalog_refresh_state r LEFT JOIN catalog_final_entities f ON f.id = r.id "
                         f"WHERE (r.errors IS NOT NULL OR r.source_errors IS NOT NULL){permitted} "
                         f"ORDER BY r.entity_ref LIMIT {PAGE + 1 if owner_refs is None else 5000} "
                         f"OFFSET {int(offset) if owner_refs is None else 0}", params)
    items: list[Unprocessed] = []
    for ref, errors, source_errors, location_key, raw, final_id in rows:
        try:
            entity = orjson.loads(blob(raw))
        except orjson.JSONDecodeError:
            entity = {}
        meta = mapping(entity.get("metadata"))
        spec = mapping(entity.get("spec"))
        owner = spec.get("owner") if isinstance(spec.get("owner"), str) else ""
        owner_view = ref_view(owner, default_kind="group") if owner else None
        if owner_refs is not None and (owner_view is None or owner_view.ref not in owner_refs):
            continue
        annotations = mapping(meta.get("annotations"))
        location = (annotations.get(ANNOTATION_LOCATION) or annotations.get(ANNOTATION_ORIGIN_LOCATION)
                    or location_key or "")
        visible = final_id is not None
        items.append(Unprocessed(ref_view(str(ref), exists=visible), str(ref), visible,
                                 error_messages(errors, source_errors), str(location),
                                 owner_view.ref if owner_view else ""))
    if owner_refs is not None:
        items = items[offset:]
    return items[:PAGE], len(items) > PAGE
