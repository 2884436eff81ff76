"""POST /analyze-location: what a location holds before it is registered (used by catalog-import)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from greenroom.plugins.catalog.api.common import input_error, run
from greenroom.plugins.catalog.processing.orchestrator import location_entity
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec
from greenroom.plugins.catalog.service import CatalogService, LocationError

DEFAULT_FILENAME = "catalog-info.yaml"


def _catalog_file(type_: str, target: str, filename: str) -> str:
    """The file to read: the target itself when it names a YAML file, else `filename` inside it."""
    if target.lower().endswith((".yaml", ".yml")):
        return target
    if type_ == "file":
        return os.path.join(target, filename)
    return target.rstrip("/") + "/" + filename


def _registered(service: CatalogService, spec: LocationSpec) -> bool:
    if any(loc.type == spec.type and loc.target == spec.target for loc in service.locations()):
        return True
    with service.database.engine.connect() as conn:
        return bool(run(conn, "SELECT 1 FROM catalog_search s JOIN catalog_search t ON t.entity = s.entity "
                              "WHERE s.key = 'kind' AND s.value = 'location' AND t.key = 'spec.target' "
                              "AND t.original_value = ?", [spec.target]))


def analyze(service: CatalogService, type_: str, target: str, filename: str | None) -> dict[str, Any]:
    """`{existingEntityFiles: [{entity, isRegistered, location}], generateEntities: []}`."""
    if type_ == "url":
        parsed = urlparse(target)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            input_error("The given location.target is not a URL")
    spec = LocationSpec(type_, _catalog_file(type_, target, filename or DEFAULT_FILENAME))
    try:
        service.check_location(spec.type, spec.target)
    except LocationError as exc:
        input_error(str(exc))
    emit = Emitter()
    parent = location_entity(spec)
    handled = any(reader(spec, False, emit, parent) for reader in service.orchestrator.readers)
    if not handled:
        input_error(f"no reader can read locations of type {type_!r}")
    problems = [*emit.errors, *emit.source_errors.values()]
    if problems and not emit.entities:
        input_error("; ".join(p.message for p in problems))
    registered = _registered(service, spec)
    files = [{"entity": e.entity, "isRegistered": registered,
              "location": {"type": e.location.type, "target": e.location.target}} for e in emit.entities]
    # Generating entity skeletons needs an SCM integration to inspect the repository; none is wired yet.
    return {"existingEntityFiles": files, "generateEntities": []}
