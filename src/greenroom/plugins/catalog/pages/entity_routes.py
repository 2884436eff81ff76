"""Routes of entity pages and their actions (star, refresh, unregister); the work is in the view modules.

Every action is a plain form POST answered with a redirect (or a result page), so it works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from greenroom import PluginContext
from greenroom.plugins.catalog.api import entities, locations
from greenroom.plugins.catalog.api.query import QueryRequest, run_query
from greenroom.plugins.catalog.pages import entity as view
from greenroom.plugins.catalog.pages import entity_data, stars
from greenroom.plugins.catalog.pages.common import TEMPLATE_DIR, check_same_origin, entity_path, ref_view, safe_next
from greenroom.plugins.catalog.permissions import ENTITY_READ, ENTITY_REFRESH, LOCATION_DELETE, CatalogAuthz
from greenroom.plugins.catalog.processing.types import ANNOTATION_ORIGIN_LOCATION
from greenroom.plugins.catalog.service import CatalogService, StoredLocation

ENTITY = "/catalog/{namespace}/{kind}/{name}"


def _location_entities(service: CatalogService, location: StoredLocation,
                       visible: dict[str, Any] | None) -> list[Any]:
    """Up to 100 entities the location brought in that the viewer may read, for the confirmation page."""
    request = QueryRequest(predicate={f"metadata.annotations.{ANNOTATION_ORIGIN_LOCATION}":
                                      f"{location.type}:{location.target}"}, order_field="metadata.name",
                           fields=["kind", "metadata.name", "metadata.namespace", "metadata.title"])
    request.authorization = visible
    with service.database.engine.connect() as conn:
        body = orjson.loads(run_query(conn, request, 100, None))
    found = [ref_view(f"{e['kind']}:{e['metadata'].get('namespace') or 'default'}/{e['metadata']['name']}",
                      entity=e) for e in body["items"]]
    return [v for v in found if v is not None]


def add_entity_routes(router: APIRouter, ctx: PluginContext, get: Callable[[], CatalogService]) -> None:
    """Register the entity page and its actions on `router`."""
    templates = ctx.templates
    authz = CatalogAuthz(ctx.permissions)

    def visible(request: Request, kind: str, namespace: str, name: str, permission: str = ENTITY_READ) -> None:
        authz.require_entity(request, get().database.engine, permission, entities.name_ref(kind, namespace, name),
                             missing_status=404 if permission == ENTITY_READ else 403)

    @router.get(ENTITY)
    async def entity_page(request: Request, namespace: str, kind: str, name: str, tab: str = "") -> Response:
        who = await ctx.identity.identify(request)
        engine = get().database.engine
        await run_in_threadpool(visible, request, kind, namespace, name)
        page = await run_in_threadpool(entity_data.load, engine, kind, namespace, name, who, authz.filter(request))
        if isinstance(page, entity_data.Missing):
            return await templates.render(request, f"{TEMPLATE_DIR}/missing.html", {"missing": page},
                                          status_code=404)
        slots = request.app.state.portal.slots
        tabs, tab_html, cards, found = await view.slot_content(request, page.entity, who, ctx.permissions, slots,
                                                               page.href, tab)
        context = {"page": page, "tabs": tabs, "tab_html": tab_html, "cards": cards,
                   "refreshed": request.query_params.get("refreshed") == "1", "signed_in": who is not None,
                   "readonly": get().config.readonly}
        return await templates.render(request, f"{TEMPLATE_DIR}/entity.html", context,
                                      status_code=200 if found else 404)

    @router.post(ENTITY + "/star")
    async def star(request: Request, namespace: str, kind: str, name: str, starred: str = Form("1"),
                   next: str | None = Form(None)) -> Response:
        check_same_origin(request)
        who = await ctx.identity.identify(request)
        if who is None:
            raise HTTPException(403, "sign in to star entities")
        ref = entities.name_ref(kind, namespace, name)
        await run_in_threadpool(stars.set_star, get().database.engine, who.user_ref, ref, starred == "1")
        return RedirectResponse(safe_next(next, entity_path(kind, namespace, name)), status_code=303)

    @router.post(ENTITY + "/refresh")
    async def refresh(request: Request, namespace: str, kind: str, name: str) -> Response:
        check_same_origin(request)
        await run_in_threadpool(visible, request, kind, namespace, name, ENTITY_REFRESH)
        await run_in_threadpool(entities.refresh, get().database.engine, entities.name_ref(kind, namespace, name))
        return RedirectResponse(entity_path(kind, namespace, name) + "?refreshed=1", status_code=303)

    def registered(request: Request, kind: str, namespace: str,
                   name: str) -> tuple[StoredLocation | None, str, list[Any]]:
        visible(request, kind, namespace, name)  # an entity the viewer may not read is not there for them
        service = get()
        try:
            found = locations.by_entity(service, kind, namespace, name)
        except HTTPException as exc:
            # Entities from app-config or an entity provider have no registered location to remove.
            return None, str(exc.detail), []
        location = StoredLocation(found["id"], found["type"], found["target"])
        return location, "", _location_entities(service, location, authz.filter(request))

    @router.get(ENTITY + "/unregister")
    async def unregister_page(request: Request, namespace: str, kind: str, name: str) -> Response:
        authz.require(request, LOCATION_DELETE)
        location, reason, emitted = await run_in_threadpool(registered, request, kind, namespace, name)
        return await templates.render(request, f"{TEMPLATE_DIR}/unregister.html", {
            "href": entity_path(kind, namespace, name), "ref": entities.name_ref(kind, namespace, name),
            "location": location, "reason": reason, "emitted": emitted, "done": False,
            "readonly": get().config.readonly})

    @router.post(ENTITY + "/unregister")
    async def unregister(request: Request, namespace: str, kind: str, name: str) -> Response:
        check_same_origin(request)
        authz.require(request, LOCATION_DELETE)
        # The location is found again from the entity rather than taken from the form, which anyone can edit.
        location, reason, emitted = await run_in_threadpool(registered, request, kind, namespace, name)
        if location is None:
            raise HTTPException(404, reason or "this entity has no registered location")
        await run_in_threadpool(locations.remove, get(), location.id)
        ctx.audit.record_request(request, "catalog.location.unregister", f"{location.type}:{location.target}")
        return await templates.render(request, f"{TEMPLATE_DIR}/unregister.html", {
            "href": entity_path(kind, namespace, name), "ref": entities.name_ref(kind, namespace, name),
            "location": location, "reason": "", "emitted": emitted, "done": True, "readonly": False})
