"""Filter parsing, predicate compilation and field projection, without a database."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.exceptions import HTTPException

from greenroom.plugins.catalog.api.fields import parse_fields, project
from greenroom.plugins.catalog.api.filters import parse_filters
from greenroom.plugins.catalog.api.predicates import compile_predicate, select_entities


def test_filter_sets_or_statements_and() -> None:
    assert parse_filters(["kind=component,spec.type=service", "kind=user"]) == {"$any": [
        {"$all": [{"kind": "component"}, {"spec.type": "service"}]}, {"kind": "user"}]}


def test_filter_bare_key_repeated_key_and_trimming() -> None:
    assert parse_filters([" kind = A , kind=b, spec.type ,x="]) == {"$all": [
        {"kind": {"$in": ["A", "b"]}}, {"spec.type": {"$exists": True}}, {"x": ""}]}
    assert parse_filters(["kind,kind=a"]) == {"kind": {"$exists": True}}
    assert parse_filters(["", " , "]) is None


def test_filter_without_key_is_an_input_error() -> None:
    with pytest.raises(HTTPException) as info:
        parse_filters(["=x"])
    assert info.value.status_code == 400


def test_predicates_compile_to_parameterized_subqueries() -> None:
    sql, params = compile_predicate({"$all": [{"Kind": "Component"}, {"$not": {"spec.type": {"$in": ["A", 1]}}},
                                              {"metadata.name": {"$hasPrefix": "we_b%"}}]})
    assert sql.count("SELECT entity FROM catalog_search") == 3
    assert params == ["kind", "component", "spec.type", "a", "1", "metadata.name", "we\\_b\\%%"]
    assert compile_predicate({"$any": []})[0] == "1=0"
    assert compile_predicate({"a": {"$exists": False}})[0].startswith("f.id NOT IN")


def test_an_equality_every_match_needs_drives_the_selection() -> None:
    driven = select_entities(parse_filters(["Kind=Component,spec.type=service"]))
    assert (driven.source, driven.id, driven.count_source) == (
        "catalog_search d JOIN catalog_final_entities f ON f.id = d.entity", "d.entity", "catalog_search d")
    assert driven.where.startswith("d.key = ? AND d.value = ? AND ") and "(d.entity IN (SELECT entity" in driven.where
    assert driven.params == ["kind", "component", "spec.type", "service"]
    # PostgreSQL looks each entity up (see _DRIVEN_POSTGRES); the rest is the same.
    on_postgres = select_entities(parse_filters(["Kind=Component,spec.type=service"]), "postgresql")
    assert "LATERAL" in on_postgres.source and on_postgres.where == driven.where
    # Found inside $all (a permission's condition combined with the filter), the rest kept whole.
    nested = select_entities({"$all": [{"$not": {"kind": "user"}}, {"$any": [{"metadata.name": True}]}]})
    assert nested.id == "d.entity" and nested.params == ["metadata.name", "true", "kind", "user"]
    assert "NOT (d.entity IN" in nested.where
    # No test every match needs: the entities table is read as before.
    for predicate in (None, {"$any": [{"kind": "a"}, {"kind": "b"}]}, {"$not": {"kind": "a"}},
                      {"kind": {"$in": ["a", "b"]}}, {"$all": []}):
        plain = select_entities(predicate)
        assert (plain.source, plain.id) == ("catalog_final_entities f", "f.id"), predicate
    # Bad input is refused as before, wherever it sits.
    for bad in ({"kind": "a", "$nope": 1}, {"$all": [{"kind": "a"}, 5]}):
        with pytest.raises(HTTPException):
            select_entities(bad)


def test_contains_on_relations_and_arrays() -> None:
    _, params = compile_predicate({"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/a"}}})
    assert params == ["relations.ownedby", "group:default/a"]
    _, params = compile_predicate({"metadata.tags": {"$contains": "Java"}})
    assert params == ["metadata.tags", "java"]


@pytest.mark.parametrize("bad", [
    "kind", 3, ["kind"], {"kind": None}, {"kind": {"$in": "x"}}, {"kind": {"$exists": "yes"}},
    {"$all": {"kind": "a"}}, {"$foo": 1}, {"kind": {"$regex": "a"}}, {"$all": [], "kind": "a"},
    {"kind": {"$hasPrefix": 1}}, {"relations": {"$contains": {"type": "x", "other": 1}}},
])
def test_bad_predicates_are_input_errors(bad: Any) -> None:
    with pytest.raises(HTTPException) as info:
        compile_predicate(bad)
    assert info.value.status_code == 400


ENTITY = {"kind": "Component", "metadata": {"name": "a", "annotations": {"backstage.io/view-url": "u", "x": "y"},
                                            "tags": ["t"]}, "spec": {"type": "service", "owner": "o"}}


def test_projection_rules() -> None:
    assert project(ENTITY, ["kind", "metadata.name"]) == {"kind": "Component", "metadata": {"name": "a"}}
    assert project(ENTITY, ["metadata.annotations.backstage.io/view-url"]) == {
        "metadata": {"annotations": {"backstage.io/view-url": "u"}}}
    assert project(ENTITY, ["spec", "spec.type"]) == {"spec": ENTITY["spec"]}
    assert project(ENTITY, ["metadata.name", "metadata"]) == {"metadata": ENTITY["metadata"]}
    assert project(ENTITY, ["nope", "spec.nope.deeper"]) == {}


def test_fields_parsing() -> None:
    assert parse_fields(["kind, metadata.name", "spec"]) == ["kind", "metadata.name", "spec"]
    assert parse_fields([" , "]) is None
    with pytest.raises(HTTPException):
        parse_fields(["metadata.tags[0]"])
