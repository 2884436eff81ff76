"""Routes for entities and facets; each parses its input and hands over to the logic modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from greenroom.plugins.catalog.api import entities, facets, listing
from greenroom.plugins.catalog.api.common import json_array, not_found
from greenroom.plugins.catalog.api.fields import parse_fields, projector
from greenroom.plugins.catalog.api.filters import combine, parse_filters
from greenroom.plugins.catalog.api.models import (
    EntitiesByRefsBody,
    EntitiesQueryBody,
    FacetsBody,
    RefreshBody,
    ValidateBody,
)
from greenroom.plugins.catalog.api.query import DEFAULT_LIMIT, QueryRequest, from_cursor, parse_order_field, run_query
from greenroom.plugins.catalog.permissions import (
    ENTITY_DELETE,
    ENTITY_READ,
    ENTITY_REFRESH,
    ENTITY_VALIDATE,
    CatalogAuthz,
    entity_matches,
)
from greenroom.plugins.catalog.service import CatalogService
from greenroom.services.audit import AuditService

JSON = "application/json"
Filter = Annotated[list[str] | None, Query(description="Filter sets: `key=value,key2` (repeat to OR).")]
Fields = Annotated[list[str] | None, Query(description="Comma-separated field paths to keep.")]
Limit = Annotated[int | None, Query(ge=0)]
Offset = Annotated[int | None, Query(ge=0)]


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def _ref_of(body: bytes) -> str:
    entity = orjson.loads(body)
    meta = entity.get("metadata") or {}
    return f"{entity.get('kind')}:{meta.get('namespace') or 'default'}/{meta.get('name')}".lower()


def add_entity_routes(router: APIRouter, get: Callable[[], CatalogService], authz: CatalogAuthz,
                      audit: AuditService) -> None:
    """Register the entity and facet endpoints on `router`; `get` returns the running catalog service. Every
    route checks its permission; reads are filtered by the caller's conditions inside the SQL."""

    @router.get("/entities", response_class=Response, summary="List entities (streams all without paging)")
    def list_entities(request: Request, filter: Filter = None, fields: Fields = None,
                      order: Annotated[list[str] | None, Query()] = None, limit: Limit = None,
                      offset: Offset = None, after: Annotated[str | None, Query(min_length=1)] = None) -> Response:
        chosen = parse_fields(fields)
        spec = listing.ListRequest(combine(parse_filters(filter or []), authz.filter(request)),
                                   listing.parse_order(order or []), projector(chosen), chosen)
        service = get()
        engine = service.database.engine
        if limit is None and offset is None and after is None:
            return StreamingResponse(listing.stream_kept(engine, spec, service.list_snapshots,
                                                         service.generation), media_type=JSON)
        size, start = listing.parse_after(after, limit, offset)
        items, more = listing.fetch_page(engine, spec, size, start)
        headers = {}
        if more and size is not None:
            params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "after")]
            params.append(("after", listing.next_after(size, start)))
            query = "&".join(f"{k}={v}" for k, v in _encoded(params))
            headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        return Response(json_array(items), media_type=JSON, headers=headers)

    @router.get("/entities/by-query", response_class=Response, summary="Query entities with cursor paging")
    def query_get(request: Request, filter: Filter = None, fields: Fields = None, limit: Limit = None,
                  offset: Offset = None, orderField: Annotated[list[str] | None, Query()] = None,
                  cursor: Annotated[str | None, Query(min_length=1)] = None,
                  fullTextFilterTerm: str | None = None,
                  fullTextFilterFields: Annotated[list[str] | None, Query()] = None,
                  totalItems: Literal["include", "exclude"] | None = None) -> Response:
        chosen = parse_fields(fields)
        if cursor is not None:
            spec = from_cursor(cursor, chosen)
        else:
            orders = [parse_order_field(o) for o in orderField or []]
            text_fields = [f.strip() for v in fullTextFilterFields or [] for f in v.split(",") if f.strip()]
            spec = QueryRequest(parse_filters(filter or []), orders[0][0] if orders else None,
                                bool(orders and orders[0][1]), fullTextFilterTerm, text_fields or None,
                                skip_total=totalItems == "exclude", fields=chosen)
        spec.authorization = authz.filter(request)
        with get().database.engine.connect() as conn:
            return _json(run_query(conn, spec, DEFAULT_LIMIT if limit is None else limit, offset))

    @router.post("/entities/by-query", response_class=Response, summary="Query entities with a predicate")
    def query_post(request: Request, body: EntitiesQueryBody | None = None) -> Response:
        body = body or EntitiesQueryBody()
        chosen = parse_fields(body.fields)
        if body.cursor is not None:
            spec = from_cursor(body.cursor, chosen)
        else:
            first = body.orderBy[0] if body.orderBy else None
            text = body.fullTextFilter
            spec = QueryRequest(body.query, first.field if first else None, bool(first and first.order == "desc"),
                                text.term if text else None, text.fields if text else None,
                                skip_total=body.totalItems == "exclude", fields=chosen, predicate_key="query")
        spec.authorization = authz.filter(request)
        with get().database.engine.connect() as conn:
            return _json(run_query(conn, spec, DEFAULT_LIMIT if body.limit is None else body.limit, body.offset))

    # The two lookups below run inline on the event loop: one indexed read costs less than a thread hand-off,
    # and they are the hottest calls of the API (every entity page asks by name).
    @router.get("/entities/by-uid/{uid}", response_class=Response, summary="Get an entity by uid")
    async def get_by_uid(request: Request, uid: str) -> Response:
        engine = get().database.reader
        with engine.connect() as conn:
            found = entities.by_uid(conn, uid)
        predicate = authz.filter(request)
        if found is None or (predicate is not None and not entity_matches(engine, _ref_of(found), predicate)):
            not_found(f"No entity with uid {uid}")
        return _json(found)

    @router.delete("/entities/by-uid/{uid}", status_code=204, response_class=Response, summary="Delete an entity")
    def delete_by_uid(request: Request, uid: str) -> Response:
        engine = get().database.engine
        with engine.connect() as conn:
            found = entities.by_uid(conn, uid)
        if found is None:
            authz.require(request, ENTITY_DELETE)  # without an entity only an outright ALLOW may go on
            return Response(status_code=204)
        ref = _ref_of(found)
        authz.require_entity(request, engine, ENTITY_DELETE, ref)
        entities.delete_by_uid(engine, uid)
        audit.record_request(request, "catalog.entity.delete", ref)
        return Response(status_code=204)

    def by_name(request: Request, kind: str, namespace: str, name: str) -> Response:
        service = get()
        engine = service.database.reader
        ref = entities.name_ref(kind, namespace, name)
        found = service.entity_cache.get(ref, lambda: entities.read_by_ref(engine, ref))
        predicate = authz.filter(request)
        if found is None or (predicate is not None and not entity_matches(engine, ref, predicate)):
            not_found(f"No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'")
        return _json(found)

    async def by_name_route(request: Request) -> Response:
        params = request.path_params
        return by_name(request, params["kind"], params["namespace"], params["name"])

    # The busiest read of all (every entity page, every client's lookup): FastAPI's parameter resolution and the
    # scan past the routes above cost as much as the lookup itself, so a plain route in front serves it. The
    # FastAPI route below runs the same handler and describes it in the OpenAPI document.
    router.routes.insert(0, Route("/entities/by-name/{kind}/{namespace}/{name}", by_name_route, methods=["GET"],
                                  include_in_schema=False))

    @router.get("/entities/by-name/{kind}/{namespace}/{name}", response_class=Response,
                summary="Get an entity by kind, namespace and name (case-insensitive)")
    async def get_by_name(request: Request, kind: str, namespace: str, name: str) -> Response:
        return by_name(request, kind, namespace, name)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}/ancestry", response_class=Response,
                summary="The entity and the entities that emitted it")
    def get_ancestry(request: Request, kind: str, namespace: str, name: str) -> Response:
        authz.require_entity(request, get().database.engine, ENTITY_READ, entities.name_ref(kind, namespace, name),
                             missing_status=404)
        with get().database.engine.connect() as conn:
            return _json(entities.ancestry(conn, entities.name_ref(kind, namespace, name), authz.filter(request)))

    @router.post("/entities/by-refs", response_class=Response, summary="Get entities by refs, in order")
    def get_by_refs(request: Request, body: EntitiesByRefsBody, filter: Filter = None) -> Response:
        predicate = combine(parse_filters(filter or []), body.query, authz.filter(request))
        return _json(entities.by_refs(get().database.engine, body.entityRefs, predicate,
                                      projector(parse_fields(body.fields))))

    @router.get("/entity-facets", response_class=Response, summary="Count entities per field value")
    def facets_get(request: Request, facet: Annotated[list[str] | None, Query()] = None,
                   filter: Filter = None) -> Response:
        predicate = combine(parse_filters(filter or []), authz.filter(request))
        return _json(facets.facets(get().database.engine, facets.parse_facets(facet), predicate))

    @router.post("/entity-facets", response_class=Response, summary="Count entities per field value")
    def facets_post(request: Request, body: FacetsBody) -> Response:
        predicate = combine(body.query, authz.filter(request))
        return _json(facets.facets(get().database.engine, facets.parse_facets(body.facets), predicate))

    @router.post("/refresh", response_class=Response, summary="Process an entity again now")
    def refresh(request: Request, body: RefreshBody) -> Response:
        ref = entities.normalize_ref(body.entityRef) if isinstance(body.entityRef, str) else None
        if ref is not None:
            authz.require_entity(request, get().database.engine, ENTITY_REFRESH, ref)
        entities.refresh(get().database.engine, body.entityRef)
        return Response(status_code=200)

    @router.post("/validate-entity", response_class=Response, summary="Validate an entity without storing it",
                 responses={400: {"description": "Validation errors: `{errors: [{name, message}]}`"}})
    def validate_entity(request: Request, body: ValidateBody) -> Response:
        authz.require(request, ENTITY_VALIDATE)
        service = get()
        service.ensure_extensions()  # custom kinds from other plugins validate before the first processing pass
        errors = entities.validate(service.orchestrator, body.entity, body.location)
        if errors:
            return JSONResponse({"errors": errors}, status_code=400)
        return Response(status_code=200)


def _encoded(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(quote(k, safe=""), quote(v, safe=",=:/")) for k, v in params]
