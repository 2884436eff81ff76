"""The docs pages: the index at /docs, the reader at /docs/<namespace>/<kind>/<name>/<path>, the status
fragment the reader polls while a build runs, and the entity page's "Docs" tab.

Routes are thin: the service reads sites and build states, `reader` and `sanitize` make pages safe. Docs
responses carry a strict CSP: scripts only from the portal's own static files, no inline script at all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from greenroom import PluginContext
from greenroom.plugins.techdocs.access import READ, listing_conditions, may_read, require_any
from greenroom.plugins.techdocs.refs import (
    EDIT_URL,
    SourceError,
    Triplet,
    entity_annotations,
    has_docs,
    resolve_source,
)
from greenroom.plugins.techdocs.service import ASSETS_PREFIX, TECHDOCS_SERVICE, TechDocsService
from greenroom.plugins.techdocs.store import BuildState
from greenroom.slots import EntityTab

DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}


def when(epoch: float | None) -> str:
    """An ISO-like UTC time for people, or "" when unknown."""
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _safe_link(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def status_view(service: TechDocsService, triplet: Triplet, entity: Mapping[str, Any]) -> dict[str, Any]:
    """What the status box shows: build state, published site, and the source problem if any."""
    state: BuildState | None = service.state(triplet)
    meta = service.metadata(triplet)
    problem = None
    try:
        resolve_source(entity)
    except SourceError as exc:
        problem = str(exc)
    built_ms = meta.get("build_timestamp") if meta else None
    return {"state": state, "meta": meta, "builder": service.config.builder, "source_problem": problem,
            "building": service.config.builder == "local" and (
                state is None or state.status in ("queued", "building") or state.requested_at is not None),
            "built_at": when(built_ms / 1000 if isinstance(built_ms, int | float) else None),
            "retry_at": when(state.retry_at) if state is not None and state.backing_off() else "",
            "status_url": f"/docs-status/{triplet.storage_path(True)}", "triplet": triplet}


def _entity_links(entity: Mapping[str, Any], edit_url: str | None, repo_url: str | None,
                  title: str) -> dict[str, str | None]:
    notes = entity_annotations(entity)
    issue = None
    base = repo_url or _safe_link(notes.get("backstage.io/view-url"))
    if repo_url and any(host in repo_url for host in ("github", "gitlab")):
        from urllib.parse import quote

        issue = repo_url.rstrip("/") + "/issues/new?title=" + quote(f"Docs: {title}")
    return {"edit": edit_url or _safe_link(notes.get(EDIT_URL)), "issue": issue, "repo": base}


def docs_tab(ctx: PluginContext) -> EntityTab:
    """The "Docs" tab: build status and the site's home page, on entities with a techdocs-ref."""

    async def render(request: Request, entity: Mapping[str, Any]) -> str:
        service = ctx.services.get(TECHDOCS_SERVICE)
        triplet = Triplet.of(entity)
        await run_in_threadpool(service.request, triplet, dict(entity))
        status = await run_in_threadpool(status_view, service, triplet, entity)
        page = await run_in_threadpool(service.page, triplet, "")
        return ctx.templates.env.get_template("techdocs/tab.html").render(
            status=status, page=page, triplet=triplet, docs_href=triplet.docs_href)

    return EntityTab(id="docs", title="Docs", render=render, applies=has_docs, order=15,
                     permission=READ)


def pages_router(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = ctx.templates

    def service() -> TechDocsService:
        return ctx.services.get(TECHDOCS_SERVICE)

    async def check_read(request: Request) -> None:
        require_any(ctx.permissions, await ctx.identity.identify(request))

    async def readable(request: Request, entity: Mapping[str, Any] | None) -> bool:
        """A documented entity the viewer may read the docs of (anything else is answered as missing)."""
        if entity is None or not has_docs(entity):
            return False
        who = await ctx.identity.identify(request)
        return await run_in_threadpool(may_read, ctx.permissions, who, Triplet.of(entity).ref)

    @router.get("/docs")
    async def index(request: Request, owner: str = "", kind: str = "") -> Response:
        await check_read(request)
        conditions = listing_conditions(ctx.permissions, await ctx.identity.identify(request))
        rows = await run_in_threadpool(index_rows, service(), conditions)
        owners = sorted({r["owner"] for r in rows if r["owner"]})
        kinds = sorted({r["kind"] for r in rows})
        shown = [r for r in rows if (not owner or r["owner"] == owner) and (not kind or r["kind"].lower()
                                                                              == kind.lower())]
        return await templates.render(request, "techdocs/index.html", {
            "rows": shown, "owners": owners, "kinds": kinds, "owner": owner, "kind": kind,
            "current_nav": "/docs", "total": len(rows)}, headers=HEADERS)

    @router.get("/docs-status/{namespace}/{kind}/{name}")
    async def status_fragment(request: Request, namespace: str, kind: str, name: str, waiting: str = "",
                              shown: str = "") -> Response:
        await check_read(request)
        svc = service()
        entity = await run_in_threadpool(svc.catalog.entity, kind, namespace, name)
        if entity is None or not await readable(request, entity):
            return Response("", status_code=404)
        triplet = Triplet.of(entity)
        status = await run_in_threadpool(status_view, svc, triplet, entity)
        headers = dict(HEADERS)
        meta = status["meta"] or {}
        if waiting and not status["building"] and str(meta.get("build_timestamp") or "") != shown:
            headers["HX-Refresh"] = "true"  # a new site was published: show it (an error just swaps this box)
        html = templates.env.get_template("techdocs/_status.html").render(status=status)
        return Response(html, media_type="text/html", headers=headers)

    @router.get("/docs/{namespace}/{kind}/{name}")
    async def site_root(namespace: str, kind: str, name: str) -> Response:
        return RedirectResponse(Triplet(namespace, kind, name).docs_href, status_code=307)

    @router.get("/docs/{namespace}/{kind}/{name}/{path:path}")
    async def reader(request: Request, namespace: str, kind: str, name: str, path: str) -> Response:
        await check_read(request)
        svc = service()
        if path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            return RedirectResponse(request.url.path + "/", status_code=307)
        if path and not path.endswith((".html", ".htm", "/")):
            return RedirectResponse(f"{ASSETS_PREFIX}{namespace}/{kind}/{name}/{path}", status_code=307)
        started = time.perf_counter()
        entity = await run_in_threadpool(svc.catalog.entity, kind, namespace, name)
        if entity is None or not await readable(request, entity):
            return await templates.render(request, "techdocs/missing.html", {
                "ref": f"{kind}:{namespace}/{name}", "current_nav": "/docs"}, status_code=404, headers=HEADERS)
        triplet = Triplet.of(entity)
        page = await run_in_threadpool(svc.page, triplet, path)
        if page is None or path == "":
            await run_in_threadpool(svc.request, triplet, entity)
        status = await run_in_threadpool(status_view, svc, triplet, entity)
        meta = status["meta"] or {}
        title = (entity.get("metadata") or {}).get("title") or triplet.name
        context = {"page": page, "status": status, "entity": entity, "triplet": triplet, "path": path,
                   "site_name": meta.get("site_name") or title, "entity_title": title,
                   "entity_href": "/catalog/" + triplet.storage_path(True),
                   "search_index": f"{ASSETS_PREFIX}{svc.storage(triplet)}/search/search_index.json",
                   "links": _entity_links(entity, page.edit_url if page else None, page.repo_url if page else None,
                                          page.title if page else title),
                   "current_nav": "/docs", "render_ms": round((time.perf_counter() - started) * 1000, 1)}
        found = page is not None or (path == "" and meta == {})
        return await templates.render(request, "techdocs/page.html", context, status_code=200 if found else 404,
                                      headers=HEADERS)

    return router


def index_rows(service: TechDocsService, conditions: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per documented entity (satisfying the viewer's permission `conditions`), for the /docs index."""
    rows: list[dict[str, Any]] = []
    entities = list(service.catalog.documented(conditions))
    states = service.store.get_many(Triplet.of(e).ref for e in entities)
    for entity in entities:
        triplet = Triplet.of(entity)
        meta = entity.get("metadata") or {}
        spec = entity.get("spec") if isinstance(entity.get("spec"), Mapping) else {}
        state = states.get(triplet.ref)
        built = state.built_at if state else None
        if built is None and service.config.builder == "external":
            site = service.metadata(triplet)
            stamp = site.get("build_timestamp") if site else None
            built = stamp / 1000 if isinstance(stamp, int | float) else None
        rows.append({"href": triplet.docs_href, "title": meta.get("title") or triplet.name, "kind": triplet.kind,
                     "namespace": triplet.namespace, "owner": str((spec or {}).get("owner") or ""),
                     "description": str(meta.get("description") or ""), "built": when(built),
                     "status": state.status if state else "none"})
    return rows
