"""Placeholder detection and substitution ($text / $json / $yaml)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from greenroom.plugins.catalog.model import (
    find_placeholders,
    is_placeholder,
    load_single_yaml_document,
    resolve_placeholders,
)

ENTITY: dict[str, Any] = {
    "apiVersion": "backstage.io/v1alpha1",
    "kind": "API",
    "metadata": {"name": "petstore", "annotations": {"x": "y"}},
    "spec": {
        "type": "openapi",
        "definition": {"$text": "./openapi.yaml"},
        "schema": {"$json": "https://example.com/schema.json"},
        "list": [{"a": 1}, {"$yaml": "./part.yaml"}],
        "jsonSchemaRef": {"$ref": "#/definitions/node"},
        "mixed": {"$text": "./x", "other": {"$text": "./inner"}},
        "nonString": {"$text": 5},
    },
}

FILES = {
    "./openapi.yaml": "openapi: 3.0.0\n",
    "https://example.com/schema.json": '{"a": [1]}',
    "./part.yaml": "k: v\n",
}


def resolver(kind: str, value: str, base: str | None) -> Any:
    assert base == "url:https://github.com/org/repo/blob/main/catalog-info.yaml"
    content = FILES[value]
    if kind == "text":
        return content
    if kind == "json":
        return json.loads(content)
    return load_single_yaml_document(content)


def test_is_placeholder() -> None:
    assert is_placeholder({"$text": "./x"})
    assert is_placeholder({"$ref": "#/x"})  # shape only; whether it resolves depends on the resolvers
    assert not is_placeholder({"$text": "./x", "b": 1})
    assert not is_placeholder({"text": "./x"})
    assert not is_placeholder("$text")
    assert not is_placeholder({})


def test_find_placeholders_reports_paths() -> None:
    found = [(p.field, p.kind, p.value) for p in find_placeholders(ENTITY)]
    assert found == [
        ("spec.definition", "text", "./openapi.yaml"),
        ("spec.schema", "json", "https://example.com/schema.json"),
        ("spec.list[1]", "yaml", "./part.yaml"),
    ]
    assert [p.field for p in find_placeholders(ENTITY, kinds=["text"])] == ["spec.definition"]


def test_resolve_replaces_and_leaves_everything_else() -> None:
    base = "url:https://github.com/org/repo/blob/main/catalog-info.yaml"
    result, errors = resolve_placeholders(ENTITY, resolver, base)
    assert errors == []
    spec = result["spec"]
    assert spec["definition"] == "openapi: 3.0.0\n"
    assert spec["schema"] == {"a": [1]}
    assert spec["list"] == [{"a": 1}, {"k": "v"}]
    # Unknown resolvers, non-string values and mixed objects are left alone (and not descended into).
    assert spec["jsonSchemaRef"] == {"$ref": "#/definitions/node"}
    assert spec["mixed"] == {"$text": "./x", "other": {"$text": "./inner"}}
    assert spec["nonString"] == {"$text": 5}
    # The input is not modified; untouched subtrees are shared.
    assert ENTITY["spec"]["definition"] == {"$text": "./openapi.yaml"}
    assert result["metadata"] is ENTITY["metadata"]


def test_resolver_errors_name_the_field() -> None:
    def failing(kind: str, value: str, base: str | None) -> Any:
        if value == "./part.yaml":
            raise OSError("not found")
        return "ok"

    result, errors = resolve_placeholders(ENTITY, failing, None)
    assert [(e.field, e.kind, e.value, e.message) for e in errors] == [
        ("spec.list[1]", "yaml", "./part.yaml", "not found")
    ]
    assert "spec.list[1]" in str(errors[0])
    assert result["spec"]["definition"] == "ok"
    assert result["spec"]["list"][1] == {"$yaml": "./part.yaml"}


def test_no_placeholders_returns_equal_data() -> None:
    entity = {"kind": "Component", "spec": {"a": [1, {"b": "c"}]}}
    result, errors = resolve_placeholders(entity, lambda *_: pytest.fail("must not be called"))
    assert result == entity and errors == []
