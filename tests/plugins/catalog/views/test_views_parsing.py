"""Parsing hostile definitions without a portal: limits, AsyncAPI 3, GraphQL, highlighting and vendored files."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.plugins.catalog import views
from greenroom.plugins.catalog.views import definition, highlight, loading
from greenroom.plugins.catalog.views.asyncapi import read_asyncapi
from greenroom.plugins.catalog.views.graphql_sdl import read_graphql

STATIC = Path(views.__file__).resolve().parent.parent / "static"

ASYNCAPI_3 = """
asyncapi: 3.0.0
info: {title: Lights, version: 1.0.0}
channels:
  lightMeasured:
    address: 'smartylighting/{streetlightId}/measured'
    parameters: {streetlightId: {description: The light}}
    messages:
      measured: {$ref: '#/components/messages/Measured'}
operations:
  receiveMeasured:
    action: receive
    channel: {$ref: '#/channels/lightMeasured'}
    messages: [{$ref: '#/channels/lightMeasured/messages/measured'}]
components:
  messages:
    Measured:
      name: lightMeasured
      payload:
        type: object
        properties:
          lumens: {type: integer, minimum: 0}
          sentAt: {$ref: 'https://example.com/schemas/date.json'}
"""


def test_asyncapi_3_operations_follow_channel_and_message_refs() -> None:
    doc = read_asyncapi(loading.parse_document(ASYNCAPI_3))
    assert doc.version == "3.0.0"
    (op,) = doc.operations
    assert (op.key, op.action, op.channel) == ("receiveMeasured", "receive", "lightMeasured")
    assert [m.name for m in op.messages] == ["lightMeasured"]
    rows = {r.path: r for r in op.messages[0].payload}
    assert rows["lumens"].constraints == "minimum: 0"
    # External references are named, never fetched.
    assert rows["sentAt"].type == "external https://example.com/schemas/date.json"
    assert doc.channels[0].address == "smartylighting/{streetlightId}/measured"


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("a: [1, 2", "not valid YAML or JSON"),
    ("!!python/object/apply:os.system ['true']", "not valid YAML or JSON"),
    ("[" * 5000, "nest"),
    ("&a [*a, *a]", "nested more than 100"),
    ("x" * (loading.MAX_DEFINITION_BYTES + 1), "larger than"),
])
def test_hostile_documents_raise_definition_errors(text: str, message: str) -> None:
    with pytest.raises(loading.DefinitionError, match=message):
        loading.parse_document(text)


def test_documents_become_json_safe() -> None:
    parsed = loading.parse_document("1: {when: 2024-01-02, big: 123456789012345678901234567890}\n")
    assert parsed == {"1": {"when": "2024-01-02", "big": "123456789012345678901234567890"}}
    assert loading.parse_document('{"a": [1, true, null]}') == {"a": [1, True, None]}


def test_not_an_asyncapi_document() -> None:
    with pytest.raises(loading.DefinitionError, match="not an AsyncAPI document"):
        read_asyncapi(["a list"])


def test_graphql_schema_and_extensions() -> None:
    types = read_graphql("schema { query: Q }\nextend type Q { more: [Int] }\ndirective @a(x: Int) on FIELD")
    assert [(t.kind, t.name, t.extension) for t in types] == [
        ("schema", "schema", False), ("type", "Q", True), ("directive", "a", False)]
    assert types[0].fields[0].name == "query" and types[0].fields[0].type == "Q"
    assert types[2].fields[0].type == "Int"
    with pytest.raises(loading.DefinitionError, match="does not parse"):
        read_graphql("type {")


def test_highlighting_escapes_and_bounds() -> None:
    code, highlighted = highlight.highlight('title: "<script>alert(1)</script>"', "openapi")
    assert highlighted and "<script>" not in code
    big, highlighted = highlight.highlight("<b>" * (highlight.MAX_HIGHLIGHT_CHARS // 3 + 1), "grpc")
    assert not highlighted and "&lt;b&gt;" in big


def test_definition_context_for_odd_entities() -> None:
    context = definition.build_context({"kind": "API", "metadata": {"name": "x"}, "spec": {"type": "openapi"}})
    assert context["empty"] and context["error"] is None
    mapping = {"kind": "API", "metadata": {"name": "y/../z"},
               "spec": {"type": "openapi", "definition": {"openapi": "3.1.0", "paths": {}}}}
    context = definition.build_context(mapping)
    assert context["openapi"] and context["filename"] == "y_.._z.yaml"
    assert context["urls"]["json"] == "/catalog-api/definition/default/y%2F..%2Fz.json"
    not_openapi = {"kind": "API", "metadata": {"name": "n"}, "spec": {"type": "openapi", "definition": "a: 1"}}
    assert "not an OpenAPI document" in definition.build_context(not_openapi)["error"]


def test_static_files_are_current() -> None:
    assert (STATIC / "views" / "highlight.css").read_text() == highlight.stylesheet()
    vendor = STATIC / "vendor"
    assert "| swagger-ui-dist | 5.35.0 |" in (vendor / "README.md").read_text()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
        assert (vendor / "swagger-ui" / name).is_file(), name
    assert "sourceMappingURL" not in (vendor / "swagger-ui" / "swagger-ui-bundle.js").read_text()[-300:]
