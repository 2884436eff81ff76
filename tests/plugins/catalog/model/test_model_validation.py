"""Entity validation: built-in kinds, envelope rules, issue collection, plugin kinds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from greenroom.plugins.catalog.model import (
    OUTPUT_ROOT_FIELDS,
    EntityValidationError,
    FieldProblem,
    KindRegistry,
    SchemaKindValidator,
    ValidationIssue,
    default_registry,
    ensure_valid_entity,
    find_case_duplicate_keys,
    load_yaml_documents,
    validate_entity,
    with_default_namespace,
)

Examples = dict[str, dict[str, Any]]


def rules(issues: Iterable[ValidationIssue]) -> set[tuple[str, str]]:
    return {(issue.field, issue.rule) for issue in issues}


def component(**spec: Any) -> dict[str, Any]:
    base = {"type": "service", "lifecycle": "production", "owner": "team-a"}
    base.update(spec)
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "c"},
        "spec": base,
    }


def test_every_example_kind_is_valid(examples: Examples) -> None:
    kinds = {e["kind"] for e in examples.values()}
    assert kinds == {
        "Component",
        "API",
        "Resource",
        "System",
        "Domain",
        "Group",
        "User",
        "Location",
        "Template",
    }
    for entity in examples.values():
        assert validate_entity(entity) == [], entity["metadata"]["name"]


def test_v1beta1_is_accepted_for_builtin_kinds(examples: Examples) -> None:
    entity = examples["artist-web"]
    entity["apiVersion"] = "backstage.io/v1beta1"
    assert validate_entity(entity) == []


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("artist-web", "type"),
        ("artist-web", "lifecycle"),
        ("artist-web", "owner"),
        ("artist-api", "definition"),
        ("artist-api", "lifecycle"),
        ("artists-db", "type"),
        ("artists-db", "owner"),
        ("artist-engagement-portal", "owner"),
        ("artists", "owner"),
        ("infrastructure", "type"),
        ("infrastructure", "children"),
        ("jdoe", "memberOf"),
        ("react-ssr-template", "type"),
        ("react-ssr-template", "steps"),
        ("backstage-mcp-actions", "remotes"),
    ],
)
def test_required_spec_fields(examples: Examples, name: str, field: str) -> None:
    entity = examples[name]
    del entity["spec"][field]
    issues = validate_entity(entity)
    assert rules(issues) == {(f"spec.{field}", "spec-schema.required")}
    (issue,) = issues
    # The message names the entity, the field and the rule.
    assert issue.entity_ref is not None and issue.entity_ref in issue.message
    assert f'"spec.{field}"' in issue.message
    assert "spec-schema.required" in issue.message


def test_empty_arrays_are_fine_where_required(examples: Examples) -> None:
    group, user = examples["infrastructure"], examples["jdoe"]
    group["spec"]["children"] = []
    user["spec"]["memberOf"] = []
    assert validate_entity(group) == []
    assert validate_entity(user) == []


def test_location_needs_no_spec_fields_but_needs_spec() -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "l"},
        "spec": {},
    }
    assert validate_entity(entity) == []
    del entity["spec"]
    assert rules(validate_entity(entity)) == {("spec", "spec-schema.required")}
    entity["spec"] = {"presence": "sometimes"}
    assert rules(validate_entity(entity)) == {("spec.presence", "spec-schema.enum")}


def test_spec_type_errors_and_empty_strings() -> None:
    issues = validate_entity(component(owner="", providesApis="not-a-list", system=5))
    assert rules(issues) == {
        ("spec.owner", "spec-schema.minLength"),
        ("spec.providesApis", "spec-schema.type"),
        ("spec.system", "spec-schema.type"),
    }


def test_extra_spec_keys_are_allowed() -> None:
    assert validate_entity(component(customField={"any": ["thing"]}, dependencyOf="component:x")) == []


def test_template_rules(examples: Examples) -> None:
    template = examples["react-ssr-template"]
    template["spec"]["parameters"] = "nope"
    template["spec"]["steps"].append({"name": "no action"})
    template["spec"]["output"]["extra"] = {"not": "a string"}
    assert rules(validate_entity(template)) == {
        ("spec.parameters", "spec-schema.oneOf"),
        ("spec.steps[3].action", "spec-schema.required"),
        ("spec.output.extra", "spec-schema.type"),
    }
    template = {**template, "apiVersion": "backstage.io/v1beta2"}
    assert ("kind", "kind.unrecognized") in rules(validate_entity(template))


def test_mcp_server_api_needs_non_empty_remotes(examples: Examples) -> None:
    api = examples["backstage-mcp-actions"]
    api["spec"]["remotes"] = []
    assert rules(validate_entity(api)) == {("spec.remotes", "spec-schema.minItems")}


def test_unparseable_relation_refs_are_errors() -> None:
    issues = validate_entity(
        component(dependsOn=["resource:db", "no-kind"], dependencyOf=[5], consumesApis=["a:"])
    )
    assert rules(issues) == {
        ("spec.dependsOn[1]", "ref.invalid"),
        ("spec.dependencyOf[0]", "ref.invalid"),
        ("spec.consumesApis[0]", "ref.invalid"),
    }
    # A wrongly typed relation field is reported once, by the schema.
    assert rules(validate_entity(component(dependsOn=[""]))) == {
        ("spec.dependsOn[0]", "spec-schema.minLength")
    }


def test_envelope_errors_are_all_collected() -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1/extra",
        "kind": "Component",
        "metadata": {
            "name": "-bad-",
            "namespace": "Bad_NS",
            "labels": {"bad key!": "ok", "good": "bad value!", "n": 5},
            "annotations": {"a/b/c": "x", "fine": 7},
            "tags": ["java", "Java", ""],
            "links": [{"url": "not a url", "title": " ", "icon": ""}, {"title": "no url"}],
        },
        "spec": {"type": "service", "lifecycle": "production", "owner": "x"},
        "relations": [],
        "status": {},
        "extra": 1,
    }
    found = rules(validate_entity(entity))
    assert found == {
        ("apiVersion", "format.api-version"),
        ("metadata.name", "format.entity-name"),
        ("metadata.namespace", "format.namespace"),
        ("metadata.labels.bad key!", "format.label-key"),
        ("metadata.labels.good", "format.label-value"),
        ("metadata.labels.n", "schema.type"),
        ("metadata.annotations.a/b/c", "format.annotation-key"),
        ("metadata.annotations.fine", "schema.type"),
        ("metadata.tags[1]", "format.tag"),
        ("metadata.tags[2]", "schema.minLength"),
        ("metadata.links[0].url", "format.link-url"),
        ("metadata.links[0].title", "format.link-title"),
        ("metadata.links[0].icon", "schema.minLength"),
        ("metadata.links[1].url", "schema.required"),
        ("relations", "root.unknown-field"),
        ("status", "root.unknown-field"),
        ("extra", "root.unknown-field"),
    }


def test_missing_envelope_fields() -> None:
    assert rules(validate_entity({})) == {
        ("apiVersion", "schema.required"),
        ("kind", "schema.required"),
        ("metadata", "schema.required"),
    }
    assert rules(validate_entity({"apiVersion": "v1", "kind": "Thing", "metadata": {}})) == {
        ("metadata.name", "schema.required")
    }
    issues = validate_entity(["not", "a", "mapping"])
    assert [(i.field, i.rule) for i in issues] == [("<root>", "schema.type")]


def test_backstage_message_text_for_format_errors() -> None:
    entity = component()
    entity["metadata"]["name"] = "a" * 64
    (issue,) = validate_entity(entity, source="catalog-info.yaml", line=3)
    assert issue.source == "catalog-info.yaml" and issue.line == 3
    assert issue.message.startswith(f'Entity "component:default/{"a" * 64}" in catalog-info.yaml:3:')
    assert (
        '"metadata.name" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by '
        f'any of [-_.], at most 63 characters in total but found "{"a" * 64}".'
    ) in issue.message


def test_output_entities_may_carry_relations_and_status() -> None:
    entity = component()
    entity["relations"] = [{"type": "ownedBy", "targetRef": "group:default/team-a"}]
    entity["status"] = {
        "items": [{"type": "backstage.io/catalog-processing", "level": "error", "message": "x"}]
    }
    assert validate_entity(entity, root_fields=OUTPUT_ROOT_FIELDS) == []
    entity["relations"] = [{"type": "owned by", "targetRef": ""}]
    entity["status"] = {"items": [{"type": "t", "level": "fatal", "message": "x"}]}
    assert rules(validate_entity(entity, root_fields=OUTPUT_ROOT_FIELDS)) == {
        ("relations[0].type", "schema.pattern"),
        ("relations[0].targetRef", "schema.minLength"),
        ("status.items[0].level", "schema.enum"),
    }


def test_case_duplicate_keys() -> None:
    entity = component(Owner="someone-else")
    assert find_case_duplicate_keys(entity) == ["spec.owner"]
    assert ("spec.owner", "keys.case-duplicate") in rules(validate_entity(entity))
    entity = component()
    entity["metadata"]["Name"] = "x"
    assert find_case_duplicate_keys(entity) == ["metadata.name"]
    # Array items that differ only in case do not count (they are de-duplicated).
    entity = component()
    entity["metadata"]["tags"] = ["java", "java"]
    entity["spec"]["list"] = ["A", "a"]
    assert find_case_duplicate_keys(entity) == []
    # Keys with different casing in different array elements do collide.
    assert find_case_duplicate_keys(component(items=[{"Id": 1}, {"id": 2}])) == ["spec.items.id"]


def test_kind_matching_is_case_sensitive_and_versioned() -> None:
    entity = component()
    entity["kind"] = "component"
    (issue,) = validate_entity(entity)
    assert (issue.field, issue.rule) == ("kind", "kind.unrecognized")
    assert "did you mean Component" in issue.message
    entity = component()
    entity["apiVersion"] = "backstage.io/v2"
    (issue,) = validate_entity(entity)
    assert "apiVersion backstage.io/v2 is not supported for kind Component" in issue.message


def test_unknown_kinds_pass_unless_required() -> None:
    entity: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"x": 1},
    }
    assert validate_entity(entity) == []
    assert rules(validate_entity(entity, require_known_kind=True)) == {("kind", "kind.unrecognized")}
    # Envelope rules still apply to unknown kinds.
    entity["metadata"]["name"] = "w w"
    assert rules(validate_entity(entity)) == {("metadata.name", "format.entity-name")}


def test_plugin_kind_and_policy() -> None:
    registry = default_registry()
    schema = {
        "allOf": [
            {"$ref": "Entity"},
            {"properties": {"spec": {"type": "object", "required": ["size"]}}, "required": ["spec"]},
        ]
    }
    registry.register(SchemaKindValidator("Widget", ["example.com/v1"], schema))

    def no_experimental(entity: Mapping[str, Any]) -> list[FieldProblem]:
        if entity.get("spec", {}).get("lifecycle") == "experimental":
            return [FieldProblem("spec.lifecycle", "policy.no-experimental", "experimental is not allowed")]
        return []

    registry.add_policy(no_experimental)
    widget: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {},
    }
    assert rules(validate_entity(widget, registry=registry)) == {("spec.size", "spec-schema.required")}
    widget["spec"]["size"] = 3
    assert validate_entity(widget, registry=registry) == []
    widget["kind"] = "widget"
    assert rules(validate_entity(widget, registry=registry)) == {("kind", "kind.unrecognized")}
    assert rules(validate_entity(component(lifecycle="experimental"), registry=registry)) == {
        ("spec.lifecycle", "policy.no-experimental")
    }
    # The policy is not registered globally.
    assert validate_entity(component(lifecycle="experimental")) == []


def test_plugin_can_override_builtin_validator() -> None:
    registry = KindRegistry()
    registry.register(SchemaKindValidator("Component", ["backstage.io/v1alpha1"], {"type": "object"}))
    entity = component()
    del entity["spec"]["owner"]
    assert validate_entity(entity, registry=registry) == []
    assert validate_entity(entity) != []


def test_positions_give_each_issue_its_line(examples_yaml: str) -> None:
    text = examples_yaml.replace(
        "  owner: artist-relations-team\n  system: artist-engagement-portal\n  providesApis",
        "  owner: ''\n  system: artist-engagement-portal\n  providesApis",
        1,
    )
    result = load_yaml_documents(text, source="catalog-info.yaml")
    first = result.documents[0]
    (issue,) = validate_entity(
        first.data, source="catalog-info.yaml", line=first.line, positions=first.positions
    )
    assert issue.field == "spec.owner"
    assert issue.line is not None
    assert text.splitlines()[issue.line - 1] == "  owner: ''"


def test_ensure_valid_entity_and_default_namespace() -> None:
    entity = component()
    assert ensure_valid_entity(entity) is entity
    entity["metadata"]["name"] = "bad name"
    with pytest.raises(EntityValidationError) as info:
        ensure_valid_entity(entity)
    assert [i.rule for i in info.value.issues] == ["format.entity-name"]
    filled = with_default_namespace(component())
    assert filled["metadata"]["namespace"] == "default"
    kept = component()
    kept["metadata"]["namespace"] = "ops"
    assert with_default_namespace(kept)["metadata"]["namespace"] == "ops"
    assert "namespace" not in component()["metadata"]
