"""`GET /api/search/query`: Backstage's search API. Thin: parsing and shaping live in the service."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from greenroom import PluginContext
from greenroom.plugins.search.queries import QueryError
from greenroom.plugins.search.service import SEARCH_SERVICE


def router(ctx: PluginContext) -> APIRouter:
    services = ctx.services
    api = APIRouter(tags=["search"])

    @api.get("/query", summary="Query documents", response_model=None)
    async def query(request: Request) -> dict[str, Any]:
        """Documents matching `term`, `filters[<field>]` and `types[]`, a page at a time (`pageCursor`,
        `pageLimit`). Errors use Backstage's body with status 400. Only documents the caller may see count."""
        service = services.get(SEARCH_SERVICE)
        try:
            parsed = service.parse(request.query_params.multi_items())
        except QueryError as exc:
            raise HTTPException(400, f"Invalid query string: {exc}") from None
        who = await ctx.identity.identify(request)

        def run() -> dict[str, Any]:
            return service.response(replace(parsed, visibility=service.visibility(who)))

        return await run_in_threadpool(run)

    return api
