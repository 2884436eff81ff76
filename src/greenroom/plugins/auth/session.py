"""Cookies: the session (a user token, HttpOnly, SameSite=Lax, Secure on https) and the signed flow state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.responses import Response

SESSION_COOKIE = "greenroom_session"
FLOW_COOKIE = "greenroom_auth_flow"
FLOW_SECONDS = 600


def set_session(response: Response, token: str, max_age: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure,
                        path="/")


def session_cookie_header(token: str, max_age: int, secure: bool) -> str:
    """The `Set-Cookie` value `set_session` would send, for responses built elsewhere (a renewal)."""
    response = Response()
    set_session(response, token, max_age, secure)
    return response.headers["set-cookie"]


def clear_session(response: Response, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


def sign(secret: str, data: dict[str, Any]) -> str:
    """`data` with an expiry, signed with HMAC-SHA256 under the session secret."""
    body = base64.urlsafe_b64encode(orjson.dumps({**data, "exp": time.time() + FLOW_SECONDS})).decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(secret: str, value: str | None) -> dict[str, Any] | None:
    """The signed data, or None when it is missing, tampered with or expired."""
    if not value or "." not in value:
        return None
    body, _, mac = value.rpartition(".")
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or float(data.get("exp", 0)) < time.time():
        return None
    return data


def safe_return(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (return URLs are attacker input: open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
