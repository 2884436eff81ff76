"""Routes for registered locations and location analysis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from greenroom.plugins.catalog.api import analyze, locations
from greenroom.plugins.catalog.api.models import AnalyzeBody, LocationInput, LocationsQueryBody
from greenroom.plugins.catalog.permissions import (
    ENTITY_READ,
    LOCATION_ANALYZE,
    LOCATION_CREATE,
    LOCATION_DELETE,
    LOCATION_READ,
    CatalogAuthz,
)
from greenroom.plugins.catalog.service import CatalogService
from greenroom.services.audit import AuditService


def _truthy(value: str | None) -> bool:
    """Backstage reads `dryRun` with `yn`: yes/true/1/on (any case) mean true."""
    return value is not None and value.strip().lower() in ("y", "yes", "true", "1", "on")


def add_location_routes(router: APIRouter, get: Callable[[], CatalogService], authz: CatalogAuthz,
                        audit: AuditService) -> None:
    """Register the location endpoints on `router`; `get` returns the running catalog service."""

    @router.post("/locations", status_code=201, summary="Register a location (or dry-run it)")
    def create_location(request: Request, body: LocationInput, dryRun: str | None = None,
                        onConflict: Annotated[Literal["reject", "refresh"] | None, Query()] = None,
                        ) -> JSONResponse:
        authz.require(request, LOCATION_CREATE)
        result = locations.create(get(), body.type, body.target, _truthy(dryRun), onConflict)
        if not _truthy(dryRun):
            audit.record_request(request, "catalog.location.register", f"{body.type}:{body.target}")
        return JSONResponse(result, status_code=201)

    @router.get("/locations", summary="All registered locations")
    def list_locations(request: Request) -> list[dict[str, dict[str, str]]]:
        authz.require(request, LOCATION_READ)
        return [{"data": loc.as_dict()} for loc in get().locations()]

    @router.post("/locations/by-query", summary="Query registered locations")
    def query_locations(request: Request, body: LocationsQueryBody | None = None) -> dict[str, Any]:
        authz.require(request, LOCATION_READ)
        body = body or LocationsQueryBody()
        return locations.query(get(), body.cursor, body.limit, body.query)

    @router.get("/locations/by-entity/{kind}/{namespace}/{name}", summary="The location behind an entity")
    def location_by_entity(request: Request, kind: str, namespace: str, name: str) -> dict[str, str]:
        authz.require(request, LOCATION_READ)
        # Not even the entity's existence is told to a caller who may not read it.
        authz.require_entity(request, get().database.engine, ENTITY_READ, f"{kind}:{namespace}/{name}".lower(),
                             missing_status=404)
        return locations.by_entity(get(), kind, namespace, name)

    @router.get("/locations/{location_id}", summary="A registered location")
    def get_location(request: Request, location_id: str) -> dict[str, str]:
        authz.require(request, LOCATION_READ)
        return locations.find(get(), location_id).as_dict()

    @router.put("/locations/{location_id}", summary="Change a registered location")
    def update_location(request: Request, location_id: str, body: LocationInput) -> dict[str, str]:
        authz.require(request, LOCATION_CREATE)
        updated = locations.update(get(), location_id, body.type, body.target)
        audit.record_request(request, "catalog.location.update", location_id, location=f"{body.type}:{body.target}")
        return updated

    @router.delete("/locations/{location_id}", status_code=204, response_class=Response,
                   summary="Unregister a location")
    def delete_location(request: Request, location_id: str) -> Response:
        authz.require(request, LOCATION_DELETE)
        locations.remove(get(), location_id)
        audit.record_request(request, "catalog.location.unregister", location_id)
        return Response(status_code=204)

    @router.post("/analyze-location", summary="What a location holds, before registering it")
    def analyze_location(request: Request, body: AnalyzeBody) -> dict[str, Any]:
        authz.require(request, LOCATION_ANALYZE)
        filename = body.catalogFilename or body.catalogFileName
        return analyze.analyze(get(), body.location.type, body.location.target, filename)
