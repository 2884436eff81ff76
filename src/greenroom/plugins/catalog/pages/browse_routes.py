"""Routes of the index (`/catalog`), the unprocessed list and the import page; the work is in the view modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from greenroom import PluginContext
from greenroom.plugins.catalog.api.filters import combine
from greenroom.plugins.catalog.pages import importer, listing, stars
from greenroom.plugins.catalog.pages.common import TEMPLATE_DIR, check_same_origin, is_htmx_fragment
from greenroom.plugins.catalog.permissions import LOCATION_CREATE, LOCATION_READ, CatalogAuthz
from greenroom.plugins.catalog.service import CatalogService

RESULTS_ID = "catalog-results"


def add_browse_routes(router: APIRouter, ctx: PluginContext, get: Callable[[], CatalogService]) -> None:
    """Register the index, unprocessed and import pages on `router`."""
    templates = ctx.templates
    authz = CatalogAuthz(ctx.permissions)

    @router.get("/catalog")
    async def index(request: Request) -> Response:
        query = listing.IndexQuery.parse(request.query_params)
        who = await ctx.identity.identify(request)
        engine = get().database.engine

        def work() -> tuple[listing.Result, dict[str, list[listing.Option]]]:
            starred = None
            if query.starred:
                starred = stars.uids_of(engine, stars.starred_refs(engine, who.user_ref)) if who else []
            visible = authz.filter(request)
            predicate = combine(listing.predicate_of(query, who.ownership_refs if who else (), starred), visible)
            return listing.fetch(engine, query, predicate), listing.filter_options(engine, visible, query.filters)

        result, options = await run_in_threadpool(work)
        context: dict[str, Any] = {"query": query, "result": result, "options": options,
                                   "pages": listing.page_links(query, result.pages), "results_id": RESULTS_ID,
                                   "page_sizes": listing.PAGE_SIZES, "signed_in": who is not None}
        # The same URL answers htmx with the table alone and browsers with the whole page, so say it varies.
        headers = {"Vary": "HX-Request, HX-Target"}
        if is_htmx_fragment(request, RESULTS_ID):
            html = templates.env.get_template(f"{TEMPLATE_DIR}/_results.html").render(context, swap_type_filter=True)
            return Response(html, media_type="text/html", headers=headers)
        return await templates.render(request, f"{TEMPLATE_DIR}/index.html", context, headers=headers)

    @router.get("/catalog/unprocessed")
    async def unprocessed(request: Request, page: int = 1, mine: str | None = None) -> Response:
        authz.require(request, LOCATION_READ)  # it shows where entities come from and why they failed
        who = await ctx.identity.identify(request)
        page = max(1, page)
        owners = None if mine != "1" else {r.lower() for r in (who.ownership_refs if who else ())}
        items, more = await run_in_threadpool(importer.unprocessed, get(), (page - 1) * importer.PAGE, owners,
                                              authz.filter(request))
        suffix = "&mine=1" if mine == "1" else ""
        return await templates.render(request, f"{TEMPLATE_DIR}/unprocessed.html", {
            "items": items, "page": page, "mine": mine == "1",
            "prev_href": f"/catalog/unprocessed?page={page - 1}{suffix}" if page > 1 else None,
            "next_href": f"/catalog/unprocessed?page={page + 1}{suffix}" if more else None})

    @router.get("/catalog-import")
    async def import_page(request: Request) -> Response:
        authz.require(request, LOCATION_CREATE)
        return await templates.render(request, f"{TEMPLATE_DIR}/import.html",
                                      {"result": None, "readonly": get().config.readonly})

    @router.post("/catalog-import")
    async def import_submit(request: Request, target: str = Form(""), action: str = Form("preview")) -> Response:
        check_same_origin(request)
        authz.require(request, LOCATION_CREATE)
        service = get()
        result = await run_in_threadpool(importer.run_import, service, target[:2000], action != "import")
        if result.imported:
            ctx.audit.record_request(request, "catalog.location.register", target[:2000])
        status = 400 if result.error else 200
        return await templates.render(request, f"{TEMPLATE_DIR}/import.html",
                                      {"result": result, "readonly": service.config.readonly},
                                      status_code=status)
