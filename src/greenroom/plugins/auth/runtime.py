"""The running auth plugin of one portal: providers, keys, tokens and the identity resolver."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.requests import HTTPConnection

from greenroom import PluginContext
from greenroom.plugins.auth.config import AuthConfig, OAuthProviderConfig
from greenroom.plugins.auth.keys import KeyStore
from greenroom.plugins.auth.providers import Provider
from greenroom.plugins.auth.ratelimit import RateLimiter
from greenroom.plugins.auth.session import SESSION_COOKIE, session_cookie_header
from greenroom.plugins.auth.tokens import ExternalCallers, TokenError, TokenIssuer
from greenroom.services.audit import AuditEvent
from greenroom.services.identity import GUEST, Identity, add_response_header

log = logging.getLogger("greenroom.plugin.auth")


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def cross_site(request: HTTPConnection) -> bool:
    """True for a state-changing request another site made the browser send (cookies must not count)."""
    if request.scope.get("method", "GET") not in UNSAFE:
        return False
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")


@dataclass
class AuthRuntime:
    ctx: PluginContext
    config: AuthConfig
    keys: KeyStore
    tokens: TokenIssuer
    external: ExternalCallers
    providers: dict[str, Provider] = field(default_factory=dict)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(30))

    @classmethod
    def build(cls, ctx: PluginContext, config: AuthConfig) -> AuthRuntime:
        session = config.session
        lifetime = session.expirationSeconds
        # A retired key stays published as long as a token it signed may live: sliding renewals sign new tokens,
        # so `lifetime` bounds that too.
        keys = KeyStore(ctx.database.engine, config.keys.rotationSeconds, lifetime)
        issuer = ctx.app_config.backend.baseUrl.rstrip("/") + "/api/auth"
        tokens = TokenIssuer(keys, issuer, lifetime, max_lifetime=session.maxLifetimeSeconds,
                             sliding=session.slidingExpiration)
        runtime = cls(ctx, config, keys, tokens, ExternalCallers(config.externalAccess),
                      limiter=RateLimiter(config.rateLimit.signInPerMinute))
        for pid, value in config.providers.configured().items():
            if isinstance(value, OAuthProviderConfig):
                runtime.providers[pid] = Provider(pid, value)
        return runtime

    @property
    def secure_cookies(self) -> bool:
        return self.ctx.app_config.app.baseUrl.startswith("https://")

    async def resolve(self, request: HTTPConnection) -> Identity | None:
        """Who calls: a bearer token (user or external), else the session cookie, else the guest when only the
        guest provider is configured; refused tokens are logged and leave the caller anonymous."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
            try:
                return self.tokens.verify(token)
            except TokenError as exc:
                external = await self.external.verify(token)
                if external is not None:
                    return external
                self.refused(request, "bearer token", str(exc))
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and cross_site(request):
            self.refused(request, "session cookie", "sent with a cross-site request (CSRF)")
            cookie = None
        if cookie:
            try:
                who = self.tokens.verify(cookie)
            except TokenError as exc:
                self.refused(request, "session cookie", str(exc))
            else:
                renewed = self.tokens.renewal(who.claims)
                if renewed is not None:
                    add_response_header(request, "set-cookie",
                                        session_cookie_header(renewed[0], renewed[1], self.secure_cookies))
                return who
        return None if self.config.sign_in_required else GUEST

    def refused(self, request: HTTPConnection, what: str, reason: str) -> None:
        log.warning("credential refused", extra={"credential": what, "reason": reason, "path": request.url.path,
                                                 "client": request.client.host if request.client else ""})

    def store_event(self, event: AuditEvent) -> None:
        """The audit sink: one row per event in the plugin's table."""
        with self.ctx.database.engine.begin() as conn:
            conn.execute(text("INSERT INTO auth_audit (at, actor, action, target, outcome, details) "
                              "VALUES (:at, :actor, :action, :target, :outcome, :details)"),
                         {"at": event.at, "actor": event.actor, "action": event.action, "target": event.target[:2000],
                          "outcome": event.outcome, "details": json.dumps(event.details, default=str)})

    def recent_events(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.ctx.database.engine.connect() as conn:
            rows = conn.execute(text("SELECT at, actor, action, target, outcome, details FROM auth_audit "
                                     f"ORDER BY id DESC LIMIT {int(limit)}")).all()
        return [{"at": r[0], "actor": r[1], "action": r[2], "target": r[3], "outcome": r[4],
                 "details": json.loads(r[5])} for r in rows]
