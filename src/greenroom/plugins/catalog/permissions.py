"""The catalog's permissions, and conditional decisions turned into filter predicates inside its SQL.

Conditions arrive in Backstage's shape (`allOf`, `anyOf`, `not`, leaves `{rule, params}`) with Backstage's catalog
rules; each becomes a predicate of the catalog's query language, so listing under a policy is one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from greenroom import Permission
from greenroom.plugins.catalog.api.common import marks, run
from greenroom.plugins.catalog.api.predicates import compile_predicate
from greenroom.services.identity import current_identity
from greenroom.services.permissions import Decision, PermissionService, SqlFilter

RESOURCE = "catalog-entity"
ENTITY_READ, ENTITY_CREATE = "catalog.entity.read", "catalog.entity.create"
ENTITY_REFRESH, ENTITY_DELETE = "catalog.entity.refresh", "catalog.entity.delete"
ENTITY_VALIDATE = "catalog.entity.validate"
LOCATION_READ, LOCATION_CREATE = "catalog.location.read", "catalog.location.create"
LOCATION_DELETE, LOCATION_ANALYZE = "catalog.location.delete", "catalog.location.analyze"
NOTHING: dict[str, Any] = {"$not": {}}  # matches no entity: a denied read lists nothing

PERMISSIONS = [
    Permission(ENTITY_READ, "read", RESOURCE, "See entities"),
    Permission(ENTITY_CREATE, "create", description="Add entities"),
    Permission(ENTITY_REFRESH, "update", RESOURCE, "Ask for an entity to be processed again"),
    Permission(ENTITY_DELETE, "delete", RESOURCE, "Delete entities"),
    Permission(ENTITY_VALIDATE, "read", description="Validate entities without storing them"),
    Permission(LOCATION_READ, "read", description="See registered locations"),
    Permission(LOCATION_CREATE, "create", description="Register locations"),
    Permission(LOCATION_DELETE, "delete", description="Unregister locations"),
    Permission(LOCATION_ANALYZE, "read", description="Analyze a location before registering it"),
]


def _field(prefix: str, params: Mapping[str, Any], key: str) -> dict[str, Any]:
    name = str(params.get(key) or "")
    if not name:
        raise ValueError(f"a {prefix} condition needs params.{key}")
    value = params.get("value")
    return {f"{prefix}{name}": value if value is not None else {"$exists": True}}


def conditions_to_predicate(node: Mapping[str, Any]) -> dict[str, Any]:
    """A Backstage condition tree over catalog rules as a filter predicate."""
    if "allOf" in node:
        return {"$all": [conditions_to_predicate(c) for c in node["allOf"]]}
    if "anyOf" in node:
        return {"$any": [conditions_to_predicate(c) for c in node["anyOf"]]}
    if "not" in node:
        return {"$not": conditions_to_predicate(node["not"])}
    rule, params = node.get("rule"), node.get("params") or {}
    if rule == "IS_ENTITY_OWNER":
        return {"relations.ownedBy": {"$in": [str(c) for c in params.get("claims") or []]}}
    if rule == "IS_ENTITY_KIND":
        return {"kind": {"$in": [str(k) for k in params.get("kinds") or []]}}
    if rule == "HAS_ANNOTATION":
        return _field("metadata.annotations.", params, "annotation")
    if rule == "HAS_LABEL":
        return _field("metadata.labels.", params, "label")
    if rule == "HAS_METADATA":
        return _field("metadata.", params, "key")
    if rule == "HAS_SPEC":
        return _field("spec.", params, "key")
    raise ValueError(f"unknown catalog rule {rule!r}")


class CatalogAuthz:
    """Permission checks for the catalog's routes and pages."""

    def __init__(self, permissions: PermissionService, engine: Any = None) -> None:
        self.permissions = permissions

    def filter(self, request: HTTPConnection, name: str = ENTITY_READ) -> dict[str, Any] | None:
        """The predicate restricting what the caller may see (None: everything)."""
        decision = self.permissions.evaluate(current_identity(request), name)
        if decision.result is Decision.ALLOW:
            return None
        if decision.result is Decision.CONDITIONAL and decision.conditions is not None:
            return conditions_to_predicate(decision.conditions)
        return NOTHING

    def require(self, request: HTTPConnection, name: str) -> None:
        """403 unless the policy allows `name` outright."""
        if not self.permissions.allowed(current_identity(request), name):
            raise HTTPException(403, f"you are not allowed to do this ({name})")

    def require_entity(self, request: HTTPConnection, engine: Engine, name: str, ref: str,
                       missing_status: int = 403) -> None:
        """403 (or `missing_status`) unless the caller may use `name` on the entity `ref`."""
        predicate = self.filter(request, name)
        if predicate is not None and not entity_matches(engine, ref, predicate):
            raise HTTPException(missing_status, f"you are not allowed to do this ({name})" if missing_status == 403
                                else "not found")


def entity_matches(engine: Engine, ref: str, predicate: dict[str, Any]) -> bool:
    """Whether the stored entity `ref` satisfies `predicate`."""
    sql, params = compile_predicate(predicate)
    with engine.connect() as conn:
        return bool(run(conn, f"SELECT 1 FROM catalog_final_entities f WHERE f.entity_ref = ? AND {sql}",
                        [ref.lower(), *params]))


def checker(engine: Engine) -> Any:
    """The resource checker the catalog registers for `catalog-entity` conditional decisions."""
    def check(ref: str, conditions: dict[str, Any]) -> bool:
        return entity_matches(engine, ref, conditions_to_predicate(conditions))
    return check


def visible_refs(engine: Engine, refs: Iterable[str], predicate: dict[str, Any] | None) -> set[str]:
    """Those of the stored `refs` (lower-cased) that satisfy `predicate` (all stored ones when it is None): one
    query per 500 refs, for views that walk from entity to entity."""
    wanted = list(dict.fromkeys(r.lower() for r in refs))
    found: set[str] = set()
    sql, params = compile_predicate(predicate) if predicate is not None else ("1=1", [])
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            found.update(str(r[0]) for r in run(conn, "SELECT f.entity_ref FROM catalog_final_entities f WHERE "
                                                      f"f.entity_ref IN ({marks(len(part))}) AND {sql}",
                                                [*part, *params]))
    return found


def ref_filter(conditions: dict[str, Any], column: str) -> SqlFilter:
    """The ref filter the catalog registers for `catalog-entity`: `column` names an entity the conditions accept.

    Other plugins run it inside their own queries (search filters its documents by `authorization.resourceRef`),
    so it is a semi-join on the stitched entities: a ref of an entity that is not in the catalog matches nothing.
    """
    sql, params = compile_predicate(conditions_to_predicate(conditions))
    return SqlFilter(f"{column} IN (SELECT f.entity_ref FROM catalog_final_entities f WHERE {sql})", tuple(params))
