"""The sign-in page, signing out, and the audit log page for admins."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from greenroom.plugins.auth.routes import sign_in_url
from greenroom.plugins.auth.runtime import AuthRuntime, cross_site
from greenroom.plugins.auth.session import clear_session, safe_return
from greenroom.services.identity import current_identity

AUDIT_PERMISSION = "auth.audit.read"


def pages_router(get: Callable[[], AuthRuntime]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/sign-in")
    async def sign_in(request: Request, returnTo: str | None = None) -> Response:
        runtime = get()
        target = safe_return(returnTo) or "/"
        buttons = [{"title": p.title, "href": sign_in_url(pid, target)} for pid, p in runtime.providers.items()]
        if runtime.config.providers.guest is not None:
            buttons.append({"title": "Guest", "href": sign_in_url("guest", target)})
        return await runtime.ctx.templates.render(request, "auth/sign_in.html", {"buttons": buttons})

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        runtime = get()
        if cross_site(request):
            raise HTTPException(403, "this form was sent from another site")
        runtime.ctx.audit.record_request(request, "auth.sign-out")
        response = RedirectResponse("/sign-in" if runtime.config.sign_in_required else "/", status_code=303)
        clear_session(response, runtime.secure_cookies)
        return response

    @router.get("/admin/audit")
    async def audit(request: Request) -> Response:
        runtime = get()
        if not runtime.ctx.permissions.allowed(current_identity(request), AUDIT_PERMISSION):
            raise HTTPException(403, "only admins may read the audit log")
        events = runtime.recent_events()
        for event in events:
            event["when"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(event["at"]))
        return await runtime.ctx.templates.render(request, "auth/audit.html", {"events": events})

    return router
