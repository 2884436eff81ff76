"""Liveness and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import inspect
import logging

from fastapi import APIRouter
from starlette.responses import JSONResponse

from greenroom.db import Database
from greenroom.services.health import HealthCheck

log = logging.getLogger("greenroom.health")


def router(database: Database, checks: list[tuple[str, HealthCheck]]) -> APIRouter:
    """`/healthcheck` and `/.well-known/health/liveness` answer while the process runs; readiness also
    needs the database and every plugin's check. Backstage's `/.backstage/health/v1/*` paths work too."""
    api = APIRouter(include_in_schema=False)

    async def live() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready() -> JSONResponse:
        failed: dict[str, str] = {}
        try:
            await asyncio.to_thread(database.ping)
        except Exception as exc:
            failed["database"] = type(exc).__name__
        for owner, check in checks:
            name = f"{owner}.{check.name}"
            try:
                result = check.check()
                if inspect.isawaitable(result):
                    result = await result
                if result is False:
                    failed[name] = "not ready"
            except Exception as exc:
                failed[name] = type(exc).__name__
        if failed:
            log.warning("not ready", extra={"failed": ",".join(sorted(failed))})
            return JSONResponse({"status": "error", "failed": failed}, status_code=503)
        return JSONResponse({"status": "ok"})

    for path in ("/healthcheck", "/.well-known/health/liveness", "/.backstage/health/v1/liveness"):
        api.add_api_route(path, live, methods=["GET"])
    for path in ("/.well-known/health/readiness", "/.backstage/health/v1/readiness"):
        api.add_api_route(path, ready, methods=["GET"])
    return api
