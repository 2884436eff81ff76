"""Errors in the shape each caller expects: Backstage's JSON body for APIs, a styled page for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from greenroom.web.templating import Templates

log = logging.getLogger("greenroom.errors")

ERROR_NAMES = {
    400: "InputError", 401: "AuthenticationError", 403: "NotAllowedError", 404: "NotFoundError",
    405: "NotAllowedError", 409: "ConflictError", 413: "InputError", 422: "InputError",
    429: "TooManyRequestsError", 500: "Error", 503: "ServiceUnavailableError",
}


def wants_json(request: Request) -> bool:
    """APIs and clients that ask for JSON get JSON; browsers get a page."""
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def error_body(request: Request, status: int, message: str, name: str | None = None) -> dict[str, Any]:
    """Backstage's error body: `{error: {name, message}, request: {method, url}, response: {statusCode}}`."""
    return {
        "error": {"name": name or ERROR_NAMES.get(status, "Error"), "message": message},
        "request": {"method": request.method, "url": str(request.url.path)},
        "response": {"statusCode": status},
    }


def install(app: Any, templates: Templates) -> None:
    """Register the handlers for HTTP errors, invalid input and unexpected exceptions."""

    async def page(request: Request, status: int, title: str, message: str) -> Response:
        return await templates.render(request, "error.html",
                                      {"status": status, "title": title, "message": message}, status_code=status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if wants_json(request):
            return JSONResponse(error_body(request, exc.status_code, message), status_code=exc.status_code,
                                headers=exc.headers)
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed"}
        return await page(request, exc.status_code, titles.get(exc.status_code, "Something is wrong"), message)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg')}")
        message = "; ".join(parts) or "invalid request"
        if wants_json(request):
            return JSONResponse(error_body(request, 400, message), status_code=400)
        return await page(request, 400, "Invalid request", message)

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        message = "an unexpected error happened; the request id in the logs tells what"
        if wants_json(request):
            return JSONResponse(error_body(request, 500, message), status_code=500)
        return await page(request, 500, "Something went wrong", message)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, crash)
