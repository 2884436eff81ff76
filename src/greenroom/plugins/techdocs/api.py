"""Backstage's TechDocs backend routes, under /api/techdocs.

- `GET /metadata/techdocs/:namespace/:kind/:name`: the site's techdocs_metadata.json.
- `GET /metadata/entity/:namespace/:kind/:name`: the entity with `locationMetadata`.
- `GET /sync/:namespace/:kind/:name`: server-sent events `log`, `error` and `finish` while a check runs.
- `GET /static/docs/:namespace/:kind/:name/*`: the site's files, served so that nothing in them can run in
  the portal's origin (a sandbox CSP without scripts, `nosniff`, and downloads for anything unknown).
- `GET /status/:namespace/:kind/:name`: Greenroom's own build state as JSON.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse

from greenroom import PluginContext
from greenroom.plugins.techdocs.access import may_read, require_any
from greenroom.plugins.techdocs.refs import SourceError, Triplet, has_docs, resolve_source
from greenroom.plugins.techdocs.service import TECHDOCS_SERVICE, TechDocsService

ENTITY = "/{namespace}/{kind}/{name}"
# Files of a site may be read, shown and styled, never run: every response carries this policy.
ASSET_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
             "sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/x-icon",
                 "text/css", "application/json", "text/plain", "font/woff", "font/woff2", "text/html",
                 "application/pdf"}


def status_json(service: TechDocsService, triplet: Triplet) -> dict[str, object]:
    """The build state and the published site's facts, as the reader's status poll reads them."""
    state = service.state(triplet)
    meta = service.metadata(triplet)
    return {"builder": service.config.builder, "status": state.status if state else ("ok" if meta else "none"),
            "error": state.error if state else None, "builtAt": state.built_at if state else None,
            "failures": state.failures if state else 0,
            "retryAt": state.retry_at if state is not None and state.backing_off() else None,
            "published": meta is not None, "buildTimestamp": meta.get("build_timestamp") if meta else None,
            "etag": meta.get("etag") if meta else None}


def api_router(ctx: PluginContext) -> APIRouter:
    router = APIRouter(tags=["techdocs"])

    def service() -> TechDocsService:
        return ctx.services.get(TECHDOCS_SERVICE)

    async def documented(request: Request, namespace: str, kind: str,
                         name: str) -> tuple[Triplet, dict[str, object]]:
        who = await ctx.identity.identify(request)
        require_any(ctx.permissions, who)
        entity = await run_in_threadpool(service().catalog.entity, kind, namespace, name)
        if entity is None or not has_docs(entity) or not await run_in_threadpool(
                may_read, ctx.permissions, who, Triplet.of(entity).ref):
            raise HTTPException(404, f"no documented entity {kind}:{namespace}/{name}")
        return Triplet.of(entity), entity

    @router.get("/metadata/techdocs" + ENTITY)
    async def techdocs_metadata(request: Request, namespace: str, kind: str, name: str) -> Response:
        triplet, _ = await documented(request, namespace, kind, name)
        meta = await run_in_threadpool(service().metadata, triplet)
        if meta is None:
            raise HTTPException(404, "the docs of this entity have not been built yet")
        return JSONResponse(meta)

    @router.get("/metadata/entity" + ENTITY)
    async def entity_metadata(request: Request, namespace: str, kind: str, name: str) -> Response:
        _, entity = await documented(request, namespace, kind, name)
        try:
            source = resolve_source(entity)
            location = {"type": "url" if source.type != "file" else "dir", "target": source.target}
        except SourceError as exc:
            location = {"type": "error", "target": str(exc)}
        return JSONResponse({**entity, "locationMetadata": location})

    @router.get("/status" + ENTITY)
    async def status(request: Request, namespace: str, kind: str, name: str) -> Response:
        triplet, _ = await documented(request, namespace, kind, name)
        return JSONResponse(await run_in_threadpool(status_json, service(), triplet))

    @router.get("/sync" + ENTITY)
    async def sync(request: Request, namespace: str, kind: str, name: str) -> Response:
        triplet, entity = await documented(request, namespace, kind, name)
        svc = service()
        before = await run_in_threadpool(svc.state, triplet)
        await run_in_threadpool(svc.request, triplet, entity)

        async def events() -> AsyncIterator[bytes]:
            if svc.config.builder != "local":
                yield b"event: finish\ndata: " + orjson.dumps({"updated": False}) + b"\n\n"
                return
            yield b"event: log\ndata: " + orjson.dumps("Checking the docs for changes") + b"\n\n"
            deadline = time.monotonic() + svc.config.limits.buildTimeoutSeconds + 60
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                state = await run_in_threadpool(svc.state, triplet)
                if state is None or state.requested_at is not None or state.status == "building":
                    continue
                if state.status == "error":
                    yield b"event: error\ndata: " + orjson.dumps(state.error or "the build failed") + b"\n\n"
                    return
                updated = before is None or state.built_at != before.built_at
                yield b"event: finish\ndata: " + orjson.dumps({"updated": updated}) + b"\n\n"
                return
            yield b"event: error\ndata: " + orjson.dumps("the build did not finish in time") + b"\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @router.get("/static/docs" + ENTITY + "/{path:path}")
    async def static_file(request: Request, namespace: str, kind: str, name: str, path: str) -> Response:
        triplet, _ = await documented(request, namespace, kind, name)
        if path == "" or path.endswith("/"):
            path += "index.html"
        data = await run_in_threadpool(service().read_file, triplet, path)
        if data is None:
            raise HTTPException(404, "no such file in the docs site")
        media = mimetypes.guess_type(path)[0] or "application/octet-stream"
        headers = {"Content-Security-Policy": ASSET_CSP, "Cache-Control": "no-cache",
                   "Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}
        if media not in _INLINE_TYPES:
            headers["Content-Disposition"] = "attachment"
        return Response(data, media_type=media, headers=headers)

    return router
