"""Routes for entities and facets; each parses its input and hands over to the logic modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

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
from greenroom.plugins.catalog.service import CatalogService

JSON = "application/json"
Filter = Annotated[list[str] | None, Query(description="Filter sets: `key=value,key2` (repeat to OR).")]
Fields = Annotated[list[str] | None, Query(description="Comma-separated field paths to keep.")]
Limit = Annotated[int | None, Query(ge=0)]
Offset = Annotated[int | None, Query(ge=0)]


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def add_entity_routes(router: APIRouter, get: Callable[[], CatalogService]) -> None:
    """Register the entity and facet endpoints on `router`; `get` returns the running catalog service."""

    @router.get("/entities", response_class=Response, summary="List entities (streams all without paging)")
    def list_entities(request: Request, filter: Filter = None, fields: Fields = None,
                      order: Annotated[list[str] | None, Query()] = None, limit: Limit = None,
                      offset: Offset = None, after: Annotated[str | None, Query(min_length=1)] = None) -> Response:
        spec = listing.ListRequest(parse_filters(filter or []), listing.parse_order(order or []),
                                   projector(parse_fields(fields)))
        engine = get().database.engine
        if limit is None and offset is None and after is None:
            return StreamingResponse(listing.stream(engine, spec), media_type=JSON)
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
    def query_get(filter: Filter = None, fields: Fields = None, limit: Limit = None,
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
        with get().database.engine.connect() as conn:
            return _json(run_query(conn, spec, DEFAULT_LIMIT if limit is None else limit, offset))

    @router.post("/entities/by-query", response_class=Response, summary="Query entities with a predicate")
    def query_post(body: EntitiesQueryBody | None = None) -> Response:
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
        with get().database.engine.connect() as conn:
            return _json(run_query(conn, spec, DEFAULT_LIMIT if body.limit is None else body.limit, body.offset))

    # The two lookups below run inline on the event loop: one indexed read costs less than a thread hand-off,
    # and they are the hottest calls of the API (every entity page asks by name).
    @router.get("/entities/by-uid/{uid}", response_class=Response, summary="Get an entity by uid")
    async def get_by_uid(uid: str) -> Response:
        with get().database.engine.connect() as conn:
            found = entities.by_uid(conn, uid)
        if found is None:
            not_found(f"No entity with uid {uid}")
        return _json(found)

    @router.delete("/entities/by-uid/{uid}", status_code=204, response_class=Response, summary="Delete an entity")
    def delete_by_uid(uid: str) -> Response:
        entities.delete_by_uid(get().database.engine, uid)
        return Response(status_code=204)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}", response_class=Response,
                summary="Get an entity by kind, namespace and name (case-insensitive)")
    async def get_by_name(kind: str, namespace: str, name: str) -> Response:
        with get().database.engine.connect() as conn:
            found = entities.by_ref(conn, entities.name_ref(kind, namespace, name))
        if found is None:
            not_found(f"No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'")
        return _json(found)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}/ancestry", response_class=Response,
                summary="The entity and the entities that emitted it")
    def get_ancestry(kind: str, namespace: str, name: str) -> Response:
        with get().database.engine.connect() as conn:
            return _json(entities.ancestry(conn, entities.name_ref(kind, namespace, name)))

    @router.post("/entities/by-refs", response_class=Response, summary="Get entities by refs, in order")
    def get_by_refs(body: EntitiesByRefsBody, filter: Filter = None) -> Response:
        predicate = combine(parse_filters(filter or []), body.query)
        return _json(entities.by_refs(get().database.engine, body.entityRefs, predicate,
                                      projector(parse_fields(body.fields))))

    @router.get("/entity-facets", response_class=Response, summary="Count entities per field value")
    def facets_get(facet: Annotated[list[str] | None, Query()] = None, filter: Filter = None) -> Response:
        return _json(facets.facets(get().database.engine, facets.parse_facets(facet), parse_filters(filter or [])))

    @router.post("/entity-facets", response_class=Response, summary="Count entities per field value")
    def facets_post(body: FacetsBody) -> Response:
        return _json(facets.facets(get().database.engine, facets.parse_facets(body.facets), body.query))

    @router.post("/refresh", response_class=Response, summary="Process an entity again now")
    def refresh(body: RefreshBody) -> Response:
        entities.refresh(get().database.engine, body.entityRef)
        return Response(status_code=200)

    @router.post("/validate-entity", response_class=Response, summary="Validate an entity without storing it",
                 responses={400: {"description": "Validation errors: `{errors: [{name, message}]}`"}})
    def validate_entity(body: ValidateBody) -> Response:
        service = get()
        service.ensure_extensions()  # custom kinds from other plugins validate before the first processing pass
        errors = entities.validate(service.orchestrator, body.entity, body.location)
        if errors:
            return JSONResponse({"errors": errors}, status_code=400)
        return Response(status_code=200)


def _encoded(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(quote(k, safe=""), quote(v, safe=",=:/")) for k, v in params]
