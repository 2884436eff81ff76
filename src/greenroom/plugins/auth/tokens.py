"""User tokens: ES256 JWTs in Backstage's shape, and checking every kind of token a caller may present."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from greenroom.plugins.auth.config import ExternalAccessConfig
from greenroom.plugins.auth.keys import KeyStore
from greenroom.services.identity import Identity

log = logging.getLogger("greenroom.plugin.auth")
USER_TYPE = "vnd.backstage.user"
AUDIENCE = "backstage"
MAX_TOKEN_LENGTH = 32768


class TokenError(Exception):
    """A token was refused; the message says why (it is logged, never shown to the caller)."""


RESERVED = ("iss", "sub", "ent", "aud", "iat", "exp")


@dataclass
class TokenIssuer:
    """Issues and checks the portal's user tokens.

    A session token carries `auth_time`, when its person signed in. With `sliding`, a session token used after
    half its lifetime is renewed for another `lifetime`, but never past `auth_time + max_lifetime`."""

    keys: KeyStore
    issuer: str
    lifetime: int
    max_lifetime: int | None = None
    sliding: bool = False
    clock: Callable[[], float] = field(default=time.time)

    def issue(self, user_ref: str, ownership_refs: list[str], **claims: Any) -> str:
        """A token for `lifetime` seconds; `claims` may set others, or an earlier `exp`."""
        key = self.keys.signing_key()
        now = int(self.clock())
        payload = {"iss": self.issuer, "sub": user_ref, "ent": ownership_refs, "aud": AUDIENCE,
                   "iat": now, "exp": now + self.lifetime, **claims}
        return jwt.encode({"alg": "ES256", "kid": key.kid, "typ": USER_TYPE}, payload, key)

    def session_end(self, claims: dict[str, Any]) -> int:
        """When the session of these claims must end, counted from sign-in (its first token's `iat`)."""
        started = int(claims.get("auth_time") or claims.get("iat") or self.clock())
        return started + (self.max_lifetime or self.lifetime)

    def renewal(self, claims: dict[str, Any]) -> tuple[str, int] | None:
        """A renewed session token and its lifetime in seconds, for a session past half its lifetime; None when
        it is younger, sliding is off, or it has reached its maximum lifetime."""
        if not self.sliding:
            return None
        now = int(self.clock())
        issued, expires = int(claims.get("iat", now)), int(claims.get("exp", now))
        if now - issued < self.lifetime / 2:
            return None
        end = min(now + self.lifetime, self.session_end(claims))
        if end <= expires:
            return None
        kept = {k: v for k, v in claims.items() if k not in RESERVED}
        kept["auth_time"] = int(claims.get("auth_time") or issued)
        ent = claims.get("ent")
        refs = [str(r) for r in ent] if isinstance(ent, list) else [str(claims["sub"])]
        return self.issue(str(claims["sub"]), refs, exp=end, **kept), end - now

    def verify(self, token: str) -> Identity:
        """The identity in a user token; TokenError when it is malformed, forged, expired or not for us."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("token too long")
        try:
            header = jws.extract_compact(token.encode()).headers()
            kid = str(header.get("kid", ""))
            if kid and not self.keys.knows(kid):
                raise TokenError("unknown signing key")
            found = jwt.decode(token, self.keys.verification_keys(), algorithms=["ES256"])
            if found.header.get("typ") != USER_TYPE:
                raise TokenError(f"wrong token type {found.header.get('typ')!r}")
            JWTClaimsRegistry(now=lambda: int(self.clock()), iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": AUDIENCE}, sub={"essential": True},
                              exp={"essential": True}).validate(found.claims)
        except (JoseError, ValueError) as exc:
            raise TokenError(f"{type(exc).__name__}: {exc}") from exc
        claims = found.claims
        ent = claims.get("ent")
        refs = tuple(str(r) for r in ent) if isinstance(ent, list) else (str(claims["sub"]),)
        return Identity(user_ref=str(claims["sub"]), ownership_refs=refs, display_name=str(claims.get("name") or ""),
                        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
                        claims=dict(claims))


class ExternalCallers:
    """Static tokens and JWKS-verified JWTs of callers outside the portal, each with its restrictions."""

    def __init__(self, entries: list[ExternalAccessConfig]) -> None:
        self.entries = entries
        self._jwks: dict[str, tuple[float, KeySet]] = {}

    def _identity(self, subject: str, entry: ExternalAccessConfig) -> Identity:
        plugins = None
        perms: list[str] | None = None
        if entry.accessRestrictions is not None:
            plugins = tuple(r.plugin for r in entry.accessRestrictions)
            listed = [p for r in entry.accessRestrictions for p in (r.permission or [])]
            unrestricted = any(r.permission is None for r in entry.accessRestrictions)
            perms = None if unrestricted else listed
        return Identity(user_ref=f"external:{subject}", ownership_refs=(), display_name=subject,
                        principal="service", plugins=plugins,
                        claims={"permissions": perms} if perms is not None else {})

    async def verify(self, token: str) -> Identity | None:
        """The external caller this token belongs to, or None when no entry accepts it."""
        for entry in self.entries:
            opts = entry.options
            if (entry.type == "static" and opts.token is not None and opts.subject is not None
                    and hmac.compare_digest(opts.token.encode(), token.encode())):
                return self._identity(opts.subject, entry)
        if token.count(".") != 2:
            return None
        for entry in self.entries:
            if entry.type != "jwks" or entry.options.url is None:
                continue
            try:
                keys = await self._keys(entry.options.url)
                found = jwt.decode(token, keys, algorithms=["ES256", "RS256", "EdDSA", "PS256"])
                rules: dict[str, Any] = {"exp": {"essential": True}, "sub": {"essential": True}}
                if entry.options.issuer:
                    rules["iss"] = {"essential": True, "value": entry.options.issuer}
                if entry.options.audience:
                    rules["aud"] = {"essential": True, "value": entry.options.audience}
                JWTClaimsRegistry(**rules).validate(found.claims)
            except (JoseError, ValueError, httpx.HTTPError) as exc:
                log.info("external token refused", extra={"reason": f"{type(exc).__name__}: {exc}",
                                                           "jwks": entry.options.url})
                continue
            prefix = entry.options.subjectPrefix
            subject = str(found.claims["sub"])
            return self._identity(f"{prefix}:{subject}" if prefix else subject, entry)
        return None

    async def _keys(self, url: str) -> KeySet:
        cached = self._jwks.get(url)
        if cached and time.monotonic() - cached[0] < 300:
            return cached[1]
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url)
            response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
        self._jwks[url] = (time.monotonic(), keys)
        return keys
