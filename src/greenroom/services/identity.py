"""Who is making a request. The auth plugin supplies real sign-in; without it everyone is the guest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import Request


@dataclass(frozen=True)
class Identity:
    """The signed-in user: their entity ref and the refs they own through (themselves and their groups)."""

    user_ref: str
    ownership_refs: tuple[str, ...] = ()
    display_name: str = ""
    email: str | None = None
    claims: dict[str, object] = field(default_factory=dict)


class IdentityResolver(Protocol):
    """Finds the identity of a request, or None for an anonymous caller."""

    async def __call__(self, request: Request) -> Identity | None: ...


GUEST = Identity(user_ref="user:default/guest", ownership_refs=("user:default/guest",), display_name="Guest")


async def guest_resolver(request: Request) -> Identity | None:
    """Everyone is the guest user: the default until a sign-in provider is configured."""
    return GUEST


class IdentityService:
    """Resolves request identities through the installed resolver."""

    def __init__(self, resolver: IdentityResolver = guest_resolver) -> None:
        self.resolver: IdentityResolver = resolver

    async def identify(self, request: Request) -> Identity | None:
        """The identity behind `request`, cached on the request for the rest of its life."""
        if "greenroom.identity" not in request.scope:
            request.scope["greenroom.identity"] = await self.resolver(request)
        found: Identity | None = request.scope["greenroom.identity"]
        return found
