"""Who may read which docs. A site is about its entity: reading it takes TechDocs' read permission and the
catalog's, both decided for that entity, so docs of an entity the viewer may not see are simply not there.

Refusing `techdocs.entity.read` outright still answers 403 (the viewer may read no docs at all); anything
decided per entity answers 404, as Backstage does for entities a caller may not read.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException

from greenroom.services.identity import Identity
from greenroom.services.permissions import Decision, PermissionService

READ = "techdocs.entity.read"
NEEDED = ("catalog.entity.read", READ)


def require_any(permissions: PermissionService, identity: Identity | None) -> None:
    """403 when the policy refuses the viewer every site."""
    if permissions.evaluate(identity, READ).result is Decision.DENY:
        raise HTTPException(403, f"{READ} is not allowed")


def may_read(permissions: PermissionService, identity: Identity | None, ref: str) -> bool:
    """Whether the viewer may read the docs of the entity `ref` (lower-cased)."""
    return permissions.allowed_resource(identity, NEEDED, ref)


NOTHING: dict[str, Any] = {"anyOf": []}  # conditions no entity satisfies: an empty anyOf is false


def listing_conditions(permissions: PermissionService, identity: Identity | None) -> dict[str, Any] | None:
    """For lists of documented entities: None for all of them, else the conditions (over `catalog-entity`)
    they must satisfy, for the catalog to apply inside its query."""
    decision = permissions.evaluate_all(identity, NEEDED)
    if decision.result is Decision.ALLOW:
        return None
    if decision.result is Decision.DENY or decision.conditions is None:
        return NOTHING
    return decision.conditions
