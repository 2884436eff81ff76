"""Permissions: plugins declare them, a policy decides.

The core ships the allow-all policy that a portal without sign-in needs; the auth plugin replaces it with
policy files and conditional decisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from greenroom.services.identity import Identity


class Decision(StrEnum):
    ALLOW = "ALLOW"
    DENY = "DENY"
    CONDITIONAL = "CONDITIONAL"


@dataclass(frozen=True)
class Permission:
    """A named permission such as `catalog.entity.read`; `resource_type` is set for resource permissions."""

    name: str
    action: str = "read"
    resource_type: str | None = None
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


class PermissionPolicy(Protocol):
    """Decides whether an identity may use a permission."""

    def decide(self, identity: Identity | None, permission: Permission) -> Decision: ...


class AllowAllPolicy:
    """Allows everything: the behaviour of a portal that has no sign-in configured."""

    def decide(self, identity: Identity | None, permission: Permission) -> Decision:
        return Decision.ALLOW


class PermissionService:
    """Holds the declared permissions and asks the policy about them."""

    def __init__(self, policy: PermissionPolicy | None = None) -> None:
        self.policy: PermissionPolicy = policy or AllowAllPolicy()
        self._declared: dict[str, Permission] = {}

    def declare(self, owner: str, permissions: Iterable[Permission]) -> None:
        """Record the permissions a plugin defines; a name declared twice is a start-up error."""
        for perm in permissions:
            if perm.name in self._declared:
                raise ValueError(f"permission {perm.name!r} of plugin {owner!r} is already declared")
            self._declared[perm.name] = perm

    @property
    def declared(self) -> dict[str, Permission]:
        return dict(self._declared)

    def authorize(self, identity: Identity | None, name: str) -> Decision:
        """The policy's decision for a declared permission; unknown names are denied."""
        perm = self._declared.get(name)
        if perm is None:
            return Decision.DENY
        return self.policy.decide(identity, perm)

    def allowed(self, identity: Identity | None, name: str | None) -> bool:
        """True when `name` is None or the policy allows it outright."""
        return name is None or self.authorize(identity, name) is Decision.ALLOW
