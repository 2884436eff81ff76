"""The "Definition" tab of API entities, and the routes it loads: the spec as JSON, the raw text, the viewer.

OpenAPI runs in swagger-ui inside `<iframe sandbox="allow-scripts">` served with its own strict CSP (which
repeats the sandbox, so the frame is isolated even when opened directly). The frame has an opaque origin: a
script smuggled in through a spec could neither read the portal's cookies or DOM nor call its APIs with the
viewer's session, and its CSP forbids every network request, so swagger-ui cannot fetch external `$ref`s,
images or validators. The frame page holds no user data: the tab's script fetches the spec from the
same-origin JSON route and hands it over with postMessage. AsyncAPI and GraphQL are rendered server-side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from greenroom.plugins.catalog.permissions import CatalogAuthz, visible_refs
from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.catalog.views.asyncapi import read_asyncapi
from greenroom.plugins.catalog.views.highlight import highlight
from greenroom.plugins.catalog.views.loading import (
    DefinitionError,
    definition_text,
    entity_ref,
    load_entity,
    parse_document,
    spec_type,
)

DEFINITION_PREFIX = "/catalog-api/definition"
VIEWER_PATH = "/catalog-api/openapi-viewer"
# 'self' still names the portal's URL origin inside the sandbox, so the vendored files load; nothing else does.
VIEWER_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; font-src 'self' data:; connect-src 'none'; form-action 'none'; "
              "base-uri 'none'; frame-ancestors 'self'")
# Opened directly, the JSON and raw routes are still inert documents.
DATA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
EXTENSIONS = {"graphql": "graphql", "grpc": "proto"}


def applies(entity: Mapping[str, Any]) -> bool:
    """The tab shows on API entities."""
    return str(entity.get("kind", "")).lower() == "api"


def urls(entity: Mapping[str, Any]) -> dict[str, str]:
    """The JSON and raw routes of an API entity (names are quoted: they are hostile input too)."""
    meta = entity.get("metadata") or {}
    base = f"{DEFINITION_PREFIX}/{quote(str(meta.get('namespace') or 'default'), safe='')}/" \
           f"{quote(str(meta.get('name', '')), safe='')}"
    return {"json": base + ".json", "raw": base + "/raw"}


def filename(entity: Mapping[str, Any], kind: str, text: str) -> str:
    """A download name such as `petstore.yaml`, made of safe characters only."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in str((entity.get("metadata") or {}).get("name")))
    ext = EXTENSIONS.get(kind) or ("json" if text.lstrip().startswith("{") else
                                   "yaml" if kind in ("openapi", "asyncapi") else "txt")
    return f"{name or 'definition'}.{ext}"


def build_context(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the tab template needs; parsing errors become `error`, never exceptions."""
    kind, text = spec_type(entity), definition_text(entity)
    code, highlighted = highlight(text, kind)
    context: dict[str, Any] = {"kind": kind or "unknown", "code": code, "highlighted": highlighted,
                               "urls": urls(entity), "filename": filename(entity, kind, text), "error": None,
                               "empty": not text.strip(), "size": len(text.encode("utf-8", "replace")),
                               "title": (entity.get("metadata") or {}).get("title")
                               or (entity.get("metadata") or {}).get("name")}
    if context["empty"]:
        return context
    try:
        if kind == "openapi":
            doc = parse_document(text)
            if not isinstance(doc, Mapping) or not ("openapi" in doc or "swagger" in doc):
                raise DefinitionError("the definition is not an OpenAPI document (no `openapi` or `swagger` field)")
            context["openapi"] = True
        elif kind == "asyncapi":
            context["asyncapi"] = read_asyncapi(parse_document(text))
        elif kind == "graphql":
            # graphql-core takes a tenth of a second to import; only GraphQL definitions need it.
            from greenroom.plugins.catalog.views.graphql_sdl import read_graphql

            context["graphql"] = read_graphql(text)
    except DefinitionError as exc:
        context["error"] = str(exc)
    return context


def tab_renderer(env: Callable[[], Environment]) -> Callable[[Request, Mapping[str, Any]], Any]:
    """The EntityTab render function; parsing runs in a worker thread, off the event loop."""

    async def render(request: Request, entity: Mapping[str, Any]) -> str:
        context = await asyncio.to_thread(build_context, entity)
        return env().get_template("catalog/views/definition.html").render(context)

    return render


def add_definition_routes(router: APIRouter, service: Callable[[], CatalogService],
                          env: Callable[[], Environment], static_version: Callable[[], str],
                          authz: CatalogAuthz) -> None:
    """The JSON spec, the raw download and the sandboxed viewer page; an API the viewer may not read is 404."""

    async def api_entity(request: Request, namespace: str, name: str) -> Mapping[str, Any] | None:
        entity = await load_entity(service(), f"api:{namespace}/{name}")
        if entity is None or not applies(entity):
            return None
        visible = authz.filter(request)
        ref = entity_ref(entity)
        if visible is not None and not await asyncio.to_thread(visible_refs, service().database.engine, [ref],
                                                                visible):
            return None
        return entity

    @router.get(DEFINITION_PREFIX + "/{namespace}/{name}.json", include_in_schema=False)
    async def definition_json(request: Request, namespace: str, name: str) -> Response:
        entity = await api_entity(request, namespace, name)
        headers = {"Content-Security-Policy": DATA_CSP, "Cache-Control": "no-cache"}
        if entity is None:
            return JSONResponse({"error": "no such API"}, status_code=404, headers=headers)
        try:
            doc = await asyncio.to_thread(parse_document, definition_text(entity))
        except DefinitionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422, headers=headers)
        body = await asyncio.to_thread(orjson.dumps, doc)
        return Response(body, media_type="application/json", headers=headers)

    @router.get(DEFINITION_PREFIX + "/{namespace}/{name}/raw", include_in_schema=False)
    async def definition_raw(request: Request, namespace: str, name: str) -> Response:
        entity = await api_entity(request, namespace, name)
        if entity is None:
            return Response("no such API\n", status_code=404, media_type="text/plain")
        text = definition_text(entity)
        return Response(text, media_type="text/plain; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{filename(entity, spec_type(entity), text)}"',
            "Content-Security-Policy": DATA_CSP, "Cache-Control": "no-cache"})

    @router.get(VIEWER_PATH, include_in_schema=False)
    async def openapi_viewer() -> HTMLResponse:
        html = env().get_template("catalog/views/openapi_frame.html").render(static_version=static_version())
        # The shell's X-Frame-Options: DENY would block the portal's own tab; frame-ancestors narrows it again.
        return HTMLResponse(html, headers={"Content-Security-Policy": VIEWER_CSP, "X-Frame-Options": "SAMEORIGIN",
                                           "Cache-Control": "no-cache"})
