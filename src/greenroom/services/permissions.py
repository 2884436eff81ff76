"""Permissions: plugins declare them, a policy decides.

The core ships the allow-all policy that a portal without sign-in needs; the `permission` plugin replaces it with
policy files and conditional decisions. A conditional decision carries conditions in Backstage's shape
(`{allOf|anyOf: [...]}`, `{not: ...}`, leaves `{rule, resourceType, params}`); the plugin that owns the resource
type turns them into a filter inside its own SQL queries, and registers a checker for single resources.

Other plugins that list things about a resource (search documents carry the entity they describe) filter
through a *ref filter* the owner registers: a SQL condition on a column of resource refs, run inside their own
query against the portal's database, so they need none of the owner's tables or internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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

    def as_json(self) -> dict[str, Any]:
        """Backstage's permission shape: `{type, name, attributes, resourceType?}`."""
        body: dict[str, Any] = {"type": "resource" if self.resource_type else "basic", "name": self.name,
                                "attributes": {"action": self.action, **self.attributes}}
        if self.resource_type:
            body["resourceType"] = self.resource_type
        return body


@dataclass(frozen=True)
class PolicyDecision:
    """A policy's answer; `conditions` is set (in Backstage's shape) when the result is CONDITIONAL."""

    result: Decision
    conditions: dict[str, Any] | None = None


class PermissionPolicy(Protocol):
    """Decides whether an identity may use a permission."""

    def decide(self, identity: Identity | None, permission: Permission) -> Decision: ...


class ConditionalPolicy(Protocol):
    """A policy that may answer CONDITIONAL, with conditions on the permission's resource type."""

    def evaluate(self, identity: Identity | None, permission: Permission) -> PolicyDecision: ...


class AllowAllPolicy:
    """Allows everything: the behaviour of a portal that has no sign-in configured."""

    def decide(self, identity: Identity | None, permission: Permission) -> Decision:
        return Decision.ALLOW


# Whether one resource (by ref) satisfies conditions: registered by the plugin that owns the resource type.
ConditionChecker = Callable[[str, dict[str, Any]], bool]


@dataclass(frozen=True)
class SqlFilter:
    """A SQL condition written with `?` marks (callers translate them for their driver) and its parameters."""

    sql: str
    params: tuple[Any, ...] = ()


NO_ROWS = SqlFilter("1 = 0")

# The SQL condition true when the (lower-cased) resource ref in the column named by the second argument satisfies
# the conditions: registered by the plugin that owns the resource type, for queries on the portal's database.
RefFilterBuilder = Callable[[dict[str, Any], str], SqlFilter]


class PermissionService:
    """Holds the declared permissions and asks the policy about them."""

    def __init__(self, policy: PermissionPolicy | ConditionalPolicy | None = None) -> None:
        self.policy: PermissionPolicy | ConditionalPolicy = policy or AllowAllPolicy()
        self._declared: dict[str, Permission] = {}
        self._owners: dict[str, str] = {}
        self._checkers: dict[str, tuple[str, ConditionChecker]] = {}
        self._ref_filters: dict[str, tuple[str, RefFilterBuilder]] = {}

    def declare(self, owner: str, permissions: Iterable[Permission]) -> None:
        """Record the permissions a plugin defines; a name declared twice is a start-up error."""
        for perm in permissions:
            if perm.name in self._declared:
                raise ValueError(f"permission {perm.name!r} of plugin {owner!r} is already declared")
            self._declared[perm.name] = perm
            self._owners[perm.name] = owner

    @property
    def declared(self) -> dict[str, Permission]:
        return dict(self._declared)

    def owner_of(self, name: str) -> str | None:
        """The id of the plugin that declared permission `name`."""
        return self._owners.get(name)

    def register_checker(self, resource_type: str, owner: str, checker: ConditionChecker) -> None:
        """Let the plugin owning `resource_type` resolve conditional decisions about one resource."""
        self._checkers[resource_type] = (owner, checker)

    def register_ref_filter(self, resource_type: str, owner: str, builder: RefFilterBuilder) -> None:
        """Let the plugin owning `resource_type` turn conditional decisions into SQL on a column of refs."""
        self._ref_filters[resource_type] = (owner, builder)

    def evaluate(self, identity: Identity | None, name: str) -> PolicyDecision:
        """The policy's full decision (with conditions) for a declared permission; unknown names are denied."""
        perm = self._declared.get(name)
        if perm is None:
            return PolicyDecision(Decision.DENY)
        # A service caller restricted to some permissions (claims["permissions"]) gets nothing else, whatever
        # the policy.
        limited = identity.claims.get("permissions") if identity is not None else None
        if identity is not None and identity.principal == "service" and isinstance(limited, list) \
                and name not in limited:
            return PolicyDecision(Decision.DENY)
        evaluate = getattr(self.policy, "evaluate", None)
        if evaluate is not None:
            found: PolicyDecision = evaluate(identity, perm)
            return found
        return PolicyDecision(self.policy.decide(identity, perm))  # type: ignore[union-attr]

    def evaluate_all(self, identity: Identity | None, names: Sequence[str]) -> PolicyDecision:
        """One decision for needing every permission in `names` (all about one resource type): DENY if any is
        denied, ALLOW if all are allowed, else CONDITIONAL on the conditions of the conditional ones together."""
        conditions: list[dict[str, Any]] = []
        types = {self._declared[n].resource_type for n in names if n in self._declared}
        if len(types) > 1:
            raise ValueError(f"permissions {', '.join(names)} are about different resource types")
        for name in names:
            decision = self.evaluate(identity, name)
            if decision.result is Decision.DENY:
                return decision
            if decision.result is Decision.CONDITIONAL:
                if decision.conditions is None:
                    return PolicyDecision(Decision.DENY)
                conditions.append(decision.conditions)
        if not conditions:
            return PolicyDecision(Decision.ALLOW)
        return PolicyDecision(Decision.CONDITIONAL, conditions[0] if len(conditions) == 1 else {"allOf": conditions})

    def ref_filter(self, identity: Identity | None, names: Sequence[str], column: str) -> SqlFilter | None:
        """None when the caller may use every permission in `names` on every resource; otherwise a SQL condition
        on `column` (lower-cased resource refs) true only for the resources they may use them on. Without a
        registered ref filter for the resource type, a conditional decision matches nothing."""
        decision = self.evaluate_all(identity, names)
        if decision.result is Decision.ALLOW:
            return None
        if decision.result is Decision.DENY or decision.conditions is None:
            return NO_ROWS
        resource_type = next((self._declared[n].resource_type for n in names if n in self._declared), None)
        builder = self._ref_filters.get(resource_type or "")
        return NO_ROWS if builder is None else builder[1](decision.conditions, column)

    def authorize(self, identity: Identity | None, name: str) -> Decision:
        """The policy's decision for a declared permission; unknown names are denied."""
        return self.evaluate(identity, name).result

    def authorize_resource(self, identity: Identity | None, name: str, resource_ref: str) -> Decision:
        """ALLOW or DENY for one resource: conditions are checked by the resource type's owner."""
        decision = self.evaluate(identity, name)
        if decision.result is not Decision.CONDITIONAL:
            return decision.result
        perm = self._declared[name]
        checker = self._checkers.get(perm.resource_type or "")
        if checker is None or decision.conditions is None:
            return Decision.DENY
        return Decision.ALLOW if checker[1](resource_ref, decision.conditions) else Decision.DENY

    def allowed_resource(self, identity: Identity | None, names: Sequence[str], resource_ref: str) -> bool:
        """Whether the caller may use every permission in `names` on the resource `resource_ref`."""
        decision = self.evaluate_all(identity, names)
        if decision.result is not Decision.CONDITIONAL:
            return decision.result is Decision.ALLOW
        resource_type = next((self._declared[n].resource_type for n in names if n in self._declared), None)
        checker = self._checkers.get(resource_type or "")
        return checker is not None and decision.conditions is not None \
            and checker[1](resource_ref, decision.conditions)

    def allowed(self, identity: Identity | None, name: str | None) -> bool:
        """True when `name` is None or the policy allows it outright."""
        return name is None or self.authorize(identity, name) is Decision.ALLOW
