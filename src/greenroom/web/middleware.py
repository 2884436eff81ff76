"""Per-request plumbing: a request id on every log line and response, an access log, safe headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import quote

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenroom.services.identity import HEADERS_KEY, IdentityService
from greenroom.services.logging import request_id

log = logging.getLogger("greenroom.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

# A response that sets its own header (the sandboxed API viewer sets its CSP) keeps it. Inline styles stay
# allowed because htmx inserts its indicator style; scripts come only from this site.
CONTENT_SECURITY_POLICY = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           b"img-src 'self' data: https:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           b"frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class RequestContextMiddleware:
    """Takes a caller's `X-Request-Id` (when well-formed) or makes one, and logs each request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if scope.get("scheme") == "https" and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info("request", extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            })
            request_id.reset(token)


class SignInGateMiddleware:
    """Resolves who calls, once per request, and turns away anonymous callers of non-public paths: pages
    redirect to the sign-in page, APIs answer 401 in Backstage's error shape. Service callers limited to some
    plugins get 403 from other plugins' APIs. Until sign-in is required, anonymous callers pass."""

    def __init__(self, app: ASGIApp, identity: IdentityService) -> None:
        self.app = app
        self.identity = identity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.identity.is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        who = await self.identity.identify(conn)
        path: str = scope["path"]
        status, message = 0, ""
        if who is None and self.identity.sign_in_required:
            status, message = 401, "sign-in required: send a valid token or sign in"
        elif who is not None and who.plugins is not None:
            plugin = path.split("/")[2] if path.startswith("/api/") else ""
            if plugin not in who.plugins:
                status, message = 403, f"this caller may not use {'plugin ' + plugin if plugin else 'pages'}"
        if not status:
            extra: list[tuple[bytes, bytes]] = scope.get(HEADERS_KEY) or []
            await self.app(scope, receive, _adding(send, extra) if extra else send)
            return
        wants_page = not path.startswith("/api/") and "text/html" in conn.headers.get("accept", "")
        if status == 401 and wants_page and scope["method"] in ("GET", "HEAD"):
            back = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            location = f"{self.identity.sign_in_path}?returnTo={quote(back, safe='')}"
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = orjson.dumps({"error": {"name": "AuthenticationError" if status == 401 else "NotAllowedError",
                                       "message": message},
                             "request": {"method": scope["method"], "url": path}, "response": {"statusCode": status}})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _cookie_name(header: bytes) -> bytes:
    return header.split(b"=", 1)[0].strip()


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """`send` with `extra` headers added to the response, except cookies the response sets itself."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            own = {_cookie_name(v) for k, v in headers if k.lower() == b"set-cookie"}
            headers.extend((k, v) for k, v in extra if k != b"set-cookie" or _cookie_name(v) not in own)
            message["headers"] = headers
        await send(message)

    return sending
