"""Deciding several permissions together, and ref filters: what other plugins use to filter lists in SQL."""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.services.identity import GUEST, Identity
from greenroom.services.permissions import (
    NO_ROWS,
    Decision,
    Permission,
    PermissionService,
    PolicyDecision,
    SqlFilter,
)

OWNED = {"rule": "IS_ENTITY_OWNER", "params": {"claims": ["group:default/team-a"]}}
KIND = {"rule": "IS_ENTITY_KIND", "params": {"kinds": ["component"]}}


class Policy:
    def __init__(self, answers: dict[str, PolicyDecision]) -> None:
        self.answers = answers

    def evaluate(self, identity: Identity | None, permission: Permission) -> PolicyDecision:
        return self.answers.get(permission.name, PolicyDecision(Decision.DENY))


def _service(answers: dict[str, PolicyDecision]) -> PermissionService:
    service = PermissionService(Policy(answers))
    service.declare("catalog", [Permission("catalog.entity.read", resource_type="catalog-entity"),
                                Permission("docs.read", resource_type="catalog-entity"),
                                Permission("catalog.location.read")])
    service.register_ref_filter("catalog-entity", "catalog",
                                lambda conditions, column: SqlFilter(f"{column} IN (?)", (repr(conditions),)))
    service.register_checker("catalog-entity", "catalog",
                             lambda ref, conditions: ref == "component:default/mine")
    return service


def test_evaluate_all_combines_decisions() -> None:
    both = _service({"catalog.entity.read": PolicyDecision(Decision.CONDITIONAL, OWNED),
                     "docs.read": PolicyDecision(Decision.CONDITIONAL, KIND)})
    combined = both.evaluate_all(GUEST, ["catalog.entity.read", "docs.read"])
    assert combined == PolicyDecision(Decision.CONDITIONAL, {"allOf": [OWNED, KIND]})
    one = _service({"catalog.entity.read": PolicyDecision(Decision.ALLOW),
                    "docs.read": PolicyDecision(Decision.CONDITIONAL, KIND)})
    assert one.evaluate_all(GUEST, ["catalog.entity.read", "docs.read"]) == PolicyDecision(Decision.CONDITIONAL, KIND)
    denied = _service({"catalog.entity.read": PolicyDecision(Decision.ALLOW)})
    assert denied.evaluate_all(GUEST, ["catalog.entity.read", "docs.read"]).result is Decision.DENY
    assert denied.evaluate_all(GUEST, []).result is Decision.ALLOW
    with pytest.raises(ValueError, match="different resource types"):
        denied.evaluate_all(GUEST, ["catalog.entity.read", "catalog.location.read"])


def test_ref_filter_is_none_for_all_no_rows_for_none_and_sql_for_conditions() -> None:
    answers: dict[str, Any] = {"catalog.entity.read": PolicyDecision(Decision.ALLOW)}
    assert _service(answers).ref_filter(GUEST, ["catalog.entity.read"], "d.ref") is None
    assert _service(answers).ref_filter(GUEST, ["catalog.entity.read", "docs.read"], "d.ref") == NO_ROWS
    answers["docs.read"] = PolicyDecision(Decision.CONDITIONAL, OWNED)
    found = _service(answers).ref_filter(GUEST, ["catalog.entity.read", "docs.read"], "d.ref")
    assert found == SqlFilter("d.ref IN (?)", (repr(OWNED),))
    unowned = PermissionService(Policy(answers))
    unowned.declare("catalog", [Permission("docs.read", resource_type="catalog-entity")])
    assert unowned.ref_filter(GUEST, ["docs.read"], "d.ref") == NO_ROWS  # nobody can say what matches: nothing


def test_allowed_resource_needs_every_permission_on_that_resource() -> None:
    service = _service({"catalog.entity.read": PolicyDecision(Decision.ALLOW),
                        "docs.read": PolicyDecision(Decision.CONDITIONAL, OWNED)})
    assert service.allowed_resource(GUEST, ["catalog.entity.read", "docs.read"], "component:default/mine")
    assert not service.allowed_resource(GUEST, ["catalog.entity.read", "docs.read"], "component:default/theirs")
    assert service.allowed_resource(GUEST, ["catalog.entity.read"], "component:default/theirs")
