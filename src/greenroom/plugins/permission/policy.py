"""The YAML policy file: roles say who (users, groups, everyone signed in) may do what, on which kinds.

```yaml
roles:
  - name: everyone
    members: ["*"]
    allow:
      - {permission: catalog.entity.read}
      - {permission: catalog.location.read}
  - name: owners
    members: ["*"]
    allow:
      - {permission: "catalog.entity.*", owned: true, kinds: [component, api]}
  - name: admins
    members: [group:default/platform]
    allow: [{permission: "*"}]
```

A rule without conditions allows outright. `owned`, `kinds` and `conditions` (Backstage's condition tree) make
a rule conditional: it applies to the entities that satisfy them, filtered inside the catalog's SQL.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from greenroom.config.models import StrictModel
from greenroom.services.identity import Identity
from greenroom.services.permissions import Decision, Permission, PolicyDecision

_MEMBER = re.compile(r"^(user|group):(?:[a-z0-9._-]+/)?[a-z0-9._-]+$")
_RULES = ("IS_ENTITY_OWNER", "IS_ENTITY_KIND", "HAS_ANNOTATION", "HAS_LABEL", "HAS_METADATA", "HAS_SPEC")


class PolicyError(Exception):
    """The policy file is wrong; the message names the file and the field."""


class Rule(StrictModel):
    permission: str = Field(min_length=1, description="A permission name, or a glob such as `catalog.*`.")
    owned: bool = False
    kinds: list[str] | None = None
    conditions: dict[str, Any] | None = None

    @property
    def conditional(self) -> bool:
        return self.owned or self.kinds is not None or self.conditions is not None


class Role(StrictModel):
    name: str = Field(min_length=1)
    members: list[str] = Field(min_length=1)
    allow: list[Rule] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        out = []
        for member in value:
            text = member.strip().lower()
            if text != "*" and not _MEMBER.match(text):
                raise ValueError(f"{member!r} is not '*', 'user:<name>' or 'group:<namespace>/<name>'")
            if text != "*" and "/" not in text:
                kind, _, name = text.partition(":")
                text = f"{kind}:default/{name}"
            out.append(text)
        return out


class PolicyFile(StrictModel):
    roles: list[Role] = []


def _check_conditions(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        raise PolicyError(f"{where}: a condition must be a mapping")
    if "allOf" in node or "anyOf" in node:
        key = "allOf" if "allOf" in node else "anyOf"
        if not isinstance(node[key], list) or not node[key]:
            raise PolicyError(f"{where}.{key}: must be a non-empty list")
        for i, child in enumerate(node[key]):
            _check_conditions(child, f"{where}.{key}[{i}]")
    elif "not" in node:
        _check_conditions(node["not"], f"{where}.not")
    elif node.get("rule") not in _RULES:
        raise PolicyError(f"{where}.rule: must be one of {', '.join(_RULES)}")
    elif not isinstance(node.get("params", {}), dict):
        raise PolicyError(f"{where}.params: must be a mapping")


def load_policy(path: Path, declared: dict[str, Permission]) -> PolicyFile:
    """Read and check a policy file against the declared permissions; PolicyError names file and field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise PolicyError(f"policy file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path}: not valid YAML: {exc}") from exc
    try:
        policy = PolicyFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        raise PolicyError(f"policy file {path}: {where}: {first['msg']}") from exc
    for r, role in enumerate(policy.roles):
        for a, rule in enumerate(role.allow):
            where = f"policy file {path}: roles[{r}].allow[{a}]"
            matched = [p for name, p in declared.items() if fnmatch.fnmatchcase(name, rule.permission)]
            if not matched:
                raise PolicyError(f"{where}.permission: {rule.permission!r} matches no declared permission "
                                  f"(known: {', '.join(sorted(declared))})")
            exact = declared.get(rule.permission)
            if rule.conditional and exact is not None and exact.resource_type != "catalog-entity":
                raise PolicyError(f"{where}: {rule.permission} is not about catalog entities, so it takes no "
                                  "owned/kinds/conditions")
            if rule.conditions is not None:
                _check_conditions(rule.conditions, f"{where}.conditions")
    return policy


def _leaf(rule: str, resource_type: str, **params: Any) -> dict[str, Any]:
    return {"rule": rule, "resourceType": resource_type, "params": params}


class FilePolicy:
    """Decides from the policy file, after the Python hook (`permission_decide`) had its say."""

    def __init__(self, policy: PolicyFile, hook: Callable[[Identity, Permission], PolicyDecision | None]) -> None:
        self.policy = policy
        self.hook = hook

    def evaluate(self, identity: Identity | None, permission: Permission) -> PolicyDecision:
        if identity is None:
            return PolicyDecision(Decision.DENY)
        if identity.principal == "service":
            allowed = identity.claims.get("permissions")
            ok = not isinstance(allowed, list) or permission.name in allowed
            return PolicyDecision(Decision.ALLOW if ok else Decision.DENY)
        decided = self.hook(identity, permission)
        if decided is not None:
            return decided
        mine = {identity.user_ref.lower(), *(r.lower() for r in identity.ownership_refs)}
        branches: list[dict[str, Any]] = []
        for role in self.policy.roles:
            if "*" not in role.members and not mine.intersection(role.members):
                continue
            for rule in role.allow:
                if not fnmatch.fnmatchcase(permission.name, rule.permission):
                    continue
                if not rule.conditional:
                    return PolicyDecision(Decision.ALLOW)
                if permission.resource_type == "catalog-entity":
                    branches.append(self._conditions(rule, identity, permission.resource_type))
        if not branches:
            return PolicyDecision(Decision.DENY)
        tree = branches[0] if len(branches) == 1 else {"anyOf": branches}
        return PolicyDecision(Decision.CONDITIONAL, tree)

    def decide(self, identity: Identity | None, permission: Permission) -> Decision:
        return self.evaluate(identity, permission).result

    @staticmethod
    def _conditions(rule: Rule, identity: Identity, resource_type: str) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if rule.owned:
            claims = list(dict.fromkeys([identity.user_ref.lower(), *(r.lower() for r in identity.ownership_refs)]))
            parts.append(_leaf("IS_ENTITY_OWNER", resource_type, claims=claims))
        if rule.kinds is not None:
            parts.append(_leaf("IS_ENTITY_KIND", resource_type, kinds=rule.kinds))
        if rule.conditions is not None:
            parts.append(rule.conditions)
        return parts[0] if len(parts) == 1 else {"allOf": parts}
