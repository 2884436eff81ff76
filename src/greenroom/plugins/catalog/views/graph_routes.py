"""The dependency graph: the "Graph" tab, the standalone page /catalog-graph, its fragment and its JSON.

The graph is drawn on the server as SVG whose nodes are links, so it works without script, each node is
reachable with Tab and opens its entity page; graph.js only adds pan and zoom. The controls are a GET form:
on the standalone page it reloads the page (the URL stays shareable), inside the tab htmx swaps the fragment.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from greenroom.plugins.catalog.api.entities import normalize_ref
from greenroom.plugins.catalog.permissions import CatalogAuthz, visible_refs
from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.catalog.views.graph import ALL_RELATIONS, MAX_DEPTH, MAX_NODES, Graph, walk
from greenroom.plugins.catalog.views.loading import entity_ref, load_entities
from greenroom.web.templating import Templates

GRAPH_PATH = "/catalog-graph"
DEFAULT_DEPTH = 2
_RELATION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")


@dataclass
class GraphQuery:
    """Validated query parameters; `error` is a message for the viewer when `entity` is unusable."""

    entity: str
    depth: int
    relations: list[str]
    error: str | None = None


def parse_query(params: Mapping[str, Any], entity: str | None = None) -> GraphQuery:
    """Read `entity`, `depth` (clamped to 1-4) and `relations` (comma-separated or repeated; default all)."""
    raw = entity if entity is not None else str(params.get("entity") or "").strip()
    try:
        depth = min(max(int(str(params.get("depth") or DEFAULT_DEPTH)), 1), MAX_DEPTH)
    except ValueError:
        depth = DEFAULT_DEPTH
    values = params.getlist("relations") if hasattr(params, "getlist") else [params.get("relations") or ""]
    names = [n.strip() for v in values for n in str(v).split(",") if n.strip()]
    relations = list(dict.fromkeys(n for n in names if _RELATION_NAME.match(n)))[:30] or list(ALL_RELATIONS)
    stored = normalize_ref(raw) if raw else None
    error = None if stored else ("Choose an entity, such as component:default/my-service." if not raw
                                 else f"{raw!r} is not an entity reference (kind:namespace/name).")
    return GraphQuery(stored or raw, depth, relations, error)


def compute(service: CatalogService, query: GraphQuery,
            visible: dict[str, Any] | None = None) -> tuple[Graph | None, str | None]:
    """The graph for a valid query, or a message saying why there is none (bad or unknown entity); only
    entities matching `visible` (the viewer's read filter, None for all) are shown or walked through."""
    if query.error:
        return None, query.error
    engine = service.database.engine
    if not load_entities(service, [query.entity]) or (
            visible is not None and query.entity not in visible_refs(engine, [query.entity], visible)):
        return None, f"There is no entity {query.entity} in the catalog."

    def readable(refs: list[str]) -> set[str]:
        return visible_refs(engine, refs, visible)

    return walk(service, query.entity, query.depth, query.relations, MAX_NODES,
                readable if visible is not None else None), None


def fragment_context(query: GraphQuery, graph: Graph | None, error: str | None, embedded: bool) -> dict[str, Any]:
    """What catalog/views/graph.html needs; `uid` keeps SVG ids unique when several graphs share a page."""
    relations = list(dict.fromkeys([*ALL_RELATIONS, *query.relations]))
    return {"query": query, "graph": graph, "error": error, "embedded": embedded, "all_relations": relations,
            "depths": range(1, MAX_DEPTH + 1), "uid": uuid.uuid4().hex[:8], "graph_path": GRAPH_PATH,
            "nodes": {n.ref: n for n in graph.nodes} if graph else {}}


def tab_renderer(service: Callable[[], CatalogService], env: Callable[[], Environment],
                 authz: CatalogAuthz) -> Callable[[Request, Mapping[str, Any]], Any]:
    """The EntityTab render function: the entity's graph at the default depth, with in-place controls."""

    async def render(request: Request, entity: Mapping[str, Any]) -> str:
        query = parse_query(request.query_params, entity=entity_ref(entity))
        graph, error = await asyncio.to_thread(compute, service(), query, authz.filter(request))
        return env().get_template("catalog/views/graph.html").render(fragment_context(query, graph, error, True))

    return render


def add_graph_routes(router: APIRouter, service: Callable[[], CatalogService], templates: Templates,
                     authz: CatalogAuthz) -> None:
    """GET /catalog-graph (page), /catalog-graph/fragment (for htmx) and /catalog-graph/data (JSON); an entity
    the viewer may not read is answered as one that does not exist."""

    async def run_query(request: Request) -> tuple[GraphQuery, Graph | None, str | None]:
        query = parse_query(request.query_params)
        graph, error = await asyncio.to_thread(compute, service(), query, authz.filter(request))
        return query, graph, error

    def status(query: GraphQuery, graph: Graph | None) -> int:
        return 200 if graph is not None else 400 if query.error else 404

    @router.get(GRAPH_PATH, include_in_schema=False)
    async def graph_page(request: Request) -> HTMLResponse:
        query, graph, error = await run_query(request)
        # No entity asked for yet is a blank form, not an error.
        code = 200 if not request.query_params.get("entity") else status(query, graph)
        context = fragment_context(query, graph, error, False)
        return await templates.render(request, "catalog/views/graph_page.html", context, status_code=code)

    @router.get(GRAPH_PATH + "/fragment", include_in_schema=False)
    async def graph_fragment(request: Request) -> HTMLResponse:
        query, graph, error = await run_query(request)
        html = templates.env.get_template("catalog/views/graph.html").render(
            fragment_context(query, graph, error, request.query_params.get("embedded") == "1"))
        # htmx swaps only 2xx answers, and the fragment carries its own error message.
        return HTMLResponse(html)

    @router.get(GRAPH_PATH + "/data", include_in_schema=False)
    async def graph_data(request: Request) -> Response:
        query, graph, error = await run_query(request)
        if graph is None:
            return JSONResponse({"error": error}, status_code=status(query, graph))
        return JSONResponse(graph.as_json())
