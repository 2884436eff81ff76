"""Who is making a request. The auth plugin supplies real sign-in; without it everyone is the guest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import HTTPConnection

SCOPE_KEY = "greenroom.identity"
HEADERS_KEY = "greenroom.identity.response_headers"


@dataclass(frozen=True)
class Identity:
    """The signed-in user: their entity ref and the refs they own through (themselves and their groups).

    A service caller (an external token) has `principal="service"`; `plugins`, when set, lists the only plugins
    whose APIs it may call."""

    user_ref: str
    ownership_refs: tuple[str, ...] = ()
    display_name: str = ""
    email: str | None = None
    claims: dict[str, object] = field(default_factory=dict)
    principal: str = "user"
    plugins: tuple[str, ...] | None = None


class IdentityResolver(Protocol):
    """Finds the identity of a request, or None for an anonymous caller."""

    async def __call__(self, request: HTTPConnection) -> Identity | None: ...


GUEST = Identity(user_ref="user:default/guest", ownership_refs=("user:default/guest",), display_name="Guest")


async def guest_resolver(request: HTTPConnection) -> Identity | None:
    """Everyone is the guest user: the default until a sign-in provider is configured."""
    return GUEST


class IdentityService:
    """Resolves request identities through the installed resolver.

    When `sign_in_required` is set (by the auth plugin, once a real provider is configured), anonymous callers
    may reach only `public_paths` (health, static files, sign-in routes; a trailing `/` means a prefix);
    elsewhere pages send them to `sign_in_path` and APIs answer 401."""

    def __init__(self, resolver: IdentityResolver = guest_resolver) -> None:
        self.resolver: IdentityResolver = resolver
        self.public_paths: list[str] = []
        self.sign_in_path = "/sign-in"
        self.sign_in_required = False

    async def identify(self, request: HTTPConnection) -> Identity | None:
        """The identity behind `request`, cached on the request for the rest of its life."""
        if SCOPE_KEY not in request.scope:
            request.scope[SCOPE_KEY] = await self.resolver(request)
        found: Identity | None = request.scope[SCOPE_KEY]
        return found

    def is_public(self, path: str) -> bool:
        """True for paths open to anonymous callers."""
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.public_paths)


def add_response_header(request: HTTPConnection, name: str, value: str) -> None:
    """Have the sign-in gate add a header to this request's response: how a resolver renews a session cookie
    (resolvers run before any route, and cannot reach the response). A `set-cookie` for a cookie the response
    sets itself (signing out) is dropped, so the route has the last word."""
    request.scope.setdefault(HEADERS_KEY, []).append((name.lower().encode("latin-1"), value.encode("latin-1")))


def current_identity(request: HTTPConnection) -> Identity | None:
    """The identity the sign-in gate resolved for this request (synchronous routes use this)."""
    found: Identity | None = request.scope.get(SCOPE_KEY)
    return found
