"""Relations emitted from spec fields (BuiltinKindsEntityProcessor behaviour)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from greenroom.plugins.catalog.model import (
    EntityRef,
    InvalidEntityRefError,
    Relation,
    RelationRule,
    compute_relations,
)

Examples = dict[str, dict[str, Any]]
EXPECTED_RELATIONS = Path("/work/shared/bench/expected_relations.py")


def triples(relations: list[Relation]) -> set[tuple[str, str, str]]:
    return {(str(r.source), r.type, str(r.target)) for r in relations}


def test_component_relations(examples: Examples) -> None:
    got = triples(compute_relations(examples["artist-web"]))
    me = "component:default/artist-web"
    assert got == {
        (me, "ownedBy", "group:default/artist-relations-team"),
        ("group:default/artist-relations-team", "ownerOf", me),
        (me, "partOf", "system:default/artist-engagement-portal"),
        ("system:default/artist-engagement-portal", "hasPart", me),
        (me, "partOf", "component:default/artist-platform"),
        ("component:default/artist-platform", "hasPart", me),
        (me, "providesApi", "api:default/artist-api"),
        ("api:default/artist-api", "apiProvidedBy", me),
        (me, "consumesApi", "api:default/spotify-api"),
        ("api:default/spotify-api", "apiConsumedBy", me),
        (me, "consumesApi", "api:default/petstore"),
        ("api:default/petstore", "apiConsumedBy", me),
        (me, "dependsOn", "resource:default/artists-db"),
        ("resource:default/artists-db", "dependencyOf", me),
        (me, "dependsOn", "component:default/auth-lib"),
        ("component:default/auth-lib", "dependencyOf", me),
        (me, "dependencyOf", "component:default/mobile-app"),
        ("component:default/mobile-app", "dependsOn", me),
    }


def test_emission_order_is_forward_then_reverse_per_target(examples: Examples) -> None:
    relations = compute_relations(examples["artist-api"])
    assert [(str(r.source), r.type, str(r.target)) for r in relations] == [
        ("api:default/artist-api", "ownedBy", "group:default/artist-relations-team"),
        ("group:default/artist-relations-team", "ownerOf", "api:default/artist-api"),
        ("api:default/artist-api", "partOf", "system:default/artist-engagement-portal"),
        ("system:default/artist-engagement-portal", "hasPart", "api:default/artist-api"),
    ]


def test_group_relations_use_the_entitys_namespace(examples: Examples) -> None:
    got = triples(compute_relations(examples["infrastructure"]))
    me = "group:ops/infrastructure"
    assert got == {
        (me, "childOf", "group:ops/ops"),
        ("group:ops/ops", "parentOf", me),
        (me, "parentOf", "group:ops/backstage"),
        ("group:ops/backstage", "childOf", me),
        (me, "parentOf", "group:ops/other"),
        ("group:ops/other", "childOf", me),
        (me, "hasMember", "user:ops/jdoe"),
        ("user:ops/jdoe", "memberOf", me),
    }


def test_explicit_namespace_and_kind_win_over_defaults() -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": "u", "namespace": "hr"},
        "spec": {"memberOf": ["team", "eng/team", "Group:Eng/Team", "user:other"]},
    }
    targets = [str(r.target) for r in compute_relations(entity) if r.type == "memberOf"]
    assert targets == ["group:hr/team", "group:eng/team", "group:eng/team", "user:hr/other"]
    assert len(compute_relations(entity, unique=True)) == 6


@pytest.mark.parametrize(
    ("kind", "spec", "expected"),
    [
        (
            "Resource",
            {"type": "db", "owner": "user:me", "system": "s"},
            {"ownedBy", "ownerOf", "partOf", "hasPart"},
        ),
        ("System", {"owner": "o", "domain": "d"}, {"ownedBy", "ownerOf", "partOf", "hasPart"}),
        ("Domain", {"owner": "o", "subdomainOf": "d"}, {"ownedBy", "ownerOf", "partOf", "hasPart"}),
        ("Location", {"target": "./x.yaml"}, set()),
        ("Widget", {"owner": "o"}, set()),
    ],
)
def test_relation_types_per_kind(kind: str, spec: dict[str, Any], expected: set[str]) -> None:
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}
    assert {r.type for r in compute_relations(entity)} == expected


def test_default_kinds() -> None:
    def target(kind: str, field: str, value: str) -> EntityRef:
        entity = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": "x"},
            "spec": {field: value},
        }
        return compute_relations(entity)[0].target

    assert target("System", "domain", "d").kind == "Domain"
    assert target("Domain", "subdomainOf", "d").kind == "Domain"
    assert target("Component", "system", "s").kind == "System"
    assert target("Component", "subcomponentOf", "c").kind == "Component"
    assert target("Group", "members", "m").kind == "User"
    assert target("API", "owner", "o").kind == "Group"


def test_template_owner_only_for_v1beta3(examples: Examples) -> None:
    template = examples["react-ssr-template"]
    assert triples(compute_relations(template)) == {
        ("template:default/react-ssr-template", "ownedBy", "group:default/artist-relations-team"),
        ("group:default/artist-relations-team", "ownerOf", "template:default/react-ssr-template"),
    }
    template["apiVersion"] = "backstage.io/v1beta2"
    assert compute_relations(template) == []


def test_falsy_fields_emit_nothing_and_bad_refs_raise() -> None:
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "c"}}
    entity["spec"] = {"owner": "", "system": None, "dependsOn": []}
    assert compute_relations(entity) == []
    entity["spec"] = {"dependsOn": ["no-kind"]}
    with pytest.raises(InvalidEntityRefError, match="missing or empty kind"):
        compute_relations(entity)
    entity["spec"] = {"owner": {"kind": "User"}}
    with pytest.raises(InvalidEntityRefError, match="missing or empty name"):
        compute_relations(entity)


def test_custom_rule_table() -> None:
    rules = {"Widget": (RelationRule("madeBy", "Group", "ownedBy", "ownerOf"),)}
    entity = {"apiVersion": "x/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"madeBy": "t"}}
    assert triples(compute_relations(entity, rules)) == {
        ("widget:default/w", "ownedBy", "group:default/t"),
        ("group:default/t", "ownerOf", "widget:default/w"),
    }


def _bench_module() -> ModuleType:
    if not EXPECTED_RELATIONS.exists():
        pytest.skip("benchmark kit not present")
    spec = importlib.util.spec_from_file_location("expected_relations", EXPECTED_RELATIONS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_matches_the_benchmark_reference_table(examples: Examples) -> None:
    bench = _bench_module()
    checked = 0
    for entity in examples.values():
        kind = entity["kind"].lower()
        if kind not in bench.RULES or entity["metadata"].get("namespace", "default") != "default":
            continue
        me = f"{kind}:default/{entity['metadata']['name'].lower()}"
        expected: set[tuple[str, str, str]] = set()
        for field, default_kind, out, inc in bench.RULES[kind]:
            value = entity.get("spec", {}).get(field)
            if value is None:
                continue
            for raw in value if isinstance(value, list) else [value]:
                target = bench.ref(raw, default_kind)
                expected.add((me, out, target))
                expected.add((target, inc, me))
        assert triples(compute_relations(entity)) == expected, me
        checked += 1
    assert checked >= 6
