"""The fast paths (compiled schemas, fast YAML builder, cheap pre-checks) agree with the exact ones."""

from __future__ import annotations

import copy
import math
import random
import re
from typing import Any

import pytest
import yaml

from greenroom.plugins.catalog.model import (
    OUTPUT_ROOT_FIELDS,
    KindRegistry,
    SchemaKindValidator,
    ValidationIssue,
    YamlDocument,
    YamlIssue,
    YamlLimits,
    YamlLoadResult,
    default_registry,
    envelope,
    find_case_duplicate_keys,
    kinds,
    load_yaml_documents,
    make_validators,
    parse_entity_ref,
    validate_entity,
)
from greenroom.plugins.catalog.model.fastschema import compile_fast_check, inline_schema
from greenroom.plugins.catalog.model.refs import InvalidEntityRefError, is_parseable_ref_string
from greenroom.plugins.catalog.model.schemas import (
    BUILTIN_KIND_SCHEMAS,
    base_schema_store,
    base_schema_validator,
    kind_schema_validator,
)
from greenroom.plugins.catalog.model.yaml_builder import DocumentBuilder, YamlDocumentError
from greenroom.plugins.catalog.model.yaml_scalars import _implicit_number, resolve_plain

Examples = dict[str, dict[str, Any]]


# --- helpers -----------------------------------------------------------------


def _issues(entity: object, registry: KindRegistry | None = None, **kwargs: Any) -> list[ValidationIssue]:
    return validate_entity(entity, registry=registry, **kwargs)


def _mutations(examples: Examples, seed: int, count: int) -> list[Any]:
    """Random small edits of valid entities: wrong types, empty values, odd keys, tuples, removals."""
    rng = random.Random(seed)
    odd_values: list[Any] = [
        "",
        " ",
        "x\n",
        "Bad Name!",
        "a" * 64,
        5,
        1.5,
        2.0,
        True,
        None,
        [],
        ["x"],
        [""],
        [5],
        ("tuple", "value"),
        {},
        {"k": "v"},
        {"k": 5},
        "component:default/x",
        "no-kind",
        "a:",
        "mcp-server",
        "http://exa mple.com",
        "https://example.com/x",
        float("nan"),
    ]
    odd_keys = ["Owner", "NAME", "x.y", "", "a/b/c", "bad key!", "x\n", "İ", "Σ"]
    out: list[Any] = []
    bases = list(examples.values())
    for _ in range(count):
        entity = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            # Walk to a random container.
            node: Any = entity
            for _ in range(rng.randint(0, 4)):
                children = [
                    v for v in (node.values() if isinstance(node, dict) else node) if isinstance(v, dict | list)
                ]
                if not children:
                    break
                node = rng.choice(children)
            action = rng.random()
            if isinstance(node, dict) and node:
                key = rng.choice(list(node))
                if action < 0.45:
                    node[key] = copy.deepcopy(rng.choice(odd_values))
                elif action < 0.6:
                    del node[key]
                elif action < 0.8:
                    node[rng.choice(odd_keys)] = copy.deepcopy(rng.choice(odd_values))
                else:
                    node[key.upper() if key != key.upper() else key.lower()] = copy.deepcopy(node[key])
            elif isinstance(node, list):
                if node and action < 0.5:
                    node[rng.randrange(len(node))] = copy.deepcopy(rng.choice(odd_values))
                else:
                    node.append(copy.deepcopy(rng.choice(odd_values)))
        out.append(entity)
    return out


# --- compiled schema checks --------------------------------------------------


def test_every_builtin_schema_has_a_compiled_check() -> None:
    assert envelope._envelope_fast_check() is not None
    for _, stem in BUILTIN_KIND_SCHEMAS:
        assert kinds._kind_fast_check(kind_schema_validator(stem)) is not None, stem


def test_valid_examples_pass_the_fast_checks(examples: Examples) -> None:
    check = envelope._envelope_fast_check()
    assert check is not None
    registry = default_registry()
    for entity in examples.values():
        assert check(entity)
        validator = registry.find(entity["apiVersion"], entity["kind"])
        assert isinstance(validator, SchemaKindValidator)
        assert validator.validate(entity) == []
        assert validator._fast is not None and validator._fast(entity)


def test_invalid_entity_gets_the_detailed_issues_from_the_fallback(
    examples: Examples, monkeypatch: pytest.MonkeyPatch
) -> None:
    entity = examples["artist-web"]
    del entity["spec"]["owner"]
    entity["metadata"]["tags"] = ["java", ""]
    envelope_check = envelope._envelope_fast_check()
    kind_check = kinds._kind_fast_check(kind_schema_validator("Component.v1alpha1"))
    assert envelope_check is not None and kind_check is not None
    # Both compiled checks reject it, so jsonschema describes the problems.
    assert not envelope_check(entity) and not kind_check(entity)
    fast = validate_entity(entity, source="c.yaml", line=1)
    assert [(i.field, i.rule, i.message) for i in fast] == [
        (
            "metadata.tags[1]",
            "schema.minLength",
            'Entity "component:default/artist-web" in c.yaml:1: field "metadata.tags[1]" '
            'failed rule "schema.minLength": must NOT have fewer than 1 characters',
        ),
        (
            "spec.owner",
            "spec-schema.required",
            'Entity "component:default/artist-web" in c.yaml:1: field "spec.owner" '
            "failed rule \"spec-schema.required\": must have required property 'owner'",
        ),
    ]
    monkeypatch.setattr(envelope, "_envelope_fast_check", lambda: None)
    monkeypatch.setattr(kinds, "_kind_fast_check", lambda validator: None)
    assert validate_entity(entity, registry=default_registry(), source="c.yaml", line=1) == fast


def test_fast_and_slow_paths_give_identical_issues(examples: Examples, monkeypatch: pytest.MonkeyPatch) -> None:
    entities = _mutations(examples, seed=7, count=600) + list(examples.values())
    fast_registry = default_registry()
    fast = [_issues(e, fast_registry, source="f.yaml", line=1) for e in entities]
    fast_output = [_issues(e, fast_registry, root_fields=OUTPUT_ROOT_FIELDS) for e in entities]
    monkeypatch.setattr(envelope, "_envelope_fast_check", lambda: None)
    monkeypatch.setattr(kinds, "_kind_fast_check", lambda validator: None)
    slow_registry = default_registry()
    for entity, fast_issues, fast_out in zip(entities, fast, fast_output, strict=True):
        assert _issues(entity, slow_registry, source="f.yaml", line=1) == fast_issues, entity
        assert _issues(entity, slow_registry, root_fields=OUTPUT_ROOT_FIELDS) == fast_out, entity
    # The mutations do exercise both outcomes.
    assert sum(1 for issues in fast if issues) > 100
    assert sum(1 for issues in fast if not issues) > 10


def test_fast_check_never_accepts_what_jsonschema_rejects(examples: Examples) -> None:
    entities = _mutations(examples, seed=11, count=400)
    envelope_check = envelope._envelope_fast_check()
    assert envelope_check is not None
    entity_validator = base_schema_validator("Entity")
    for entity in entities:
        if envelope_check(entity):
            errors = [
                e
                for e in entity_validator.iter_errors(entity)
                if not (e.validator == "additionalProperties" and not e.absolute_path)
            ]
            assert errors == [], entity
        for _, stem in BUILTIN_KIND_SCHEMAS:
            validator = kind_schema_validator(stem)
            check = kinds._kind_fast_check(validator)
            if check is not None and check(entity):
                errors = [e for e in validator.iter_errors(entity) if tuple(e.schema_path)[:2] != ("allOf", 0)]
                assert errors == [], (stem, entity)


def test_tuples_are_not_arrays_and_patterns_keep_python_semantics() -> None:
    check = compile_fast_check(
        {"type": "object", "properties": {"a": {"type": "array"}, "p": {"type": "string", "pattern": "^\\w+$"}}}
    )
    assert check is not None
    assert check({"a": []}) and not check({"a": ("x",)})
    # jsonschema uses re.search as written: ``$`` also matches before a final newline.
    assert check({"p": "abc\n"}) and not check({"p": "a b"})
    relation_entity: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "l", "tags": ("a",)},
        "spec": {},
        "relations": [{"type": "ownedBy\n", "targetRef": "x"}],
    }
    issues = validate_entity(relation_entity, root_fields=OUTPUT_ROOT_FIELDS)
    assert {(i.field, i.rule) for i in issues} == {("metadata.tags", "schema.type")}


def test_schemas_the_compiler_cannot_match_exactly_use_jsonschema_only() -> None:
    assert compile_fast_check({"type": "array", "uniqueItems": True}) is None
    assert compile_fast_check({"enum": [[1], {"a": 1}]}) is None
    assert compile_fast_check({"$ref": "https://example.com/remote.json"}) is None
    recursive = {"definitions": {"n": {"items": {"$ref": "#/definitions/n"}}}, "$ref": "#/definitions/n"}
    assert compile_fast_check(recursive) is None
    assert compile_fast_check({"properties": {"a": {"$id": "inner", "type": "string"}}}) is None
    # Keywords jsonschema ignores are dropped; refs into the base schemas are inlined.
    inlined = inline_schema(
        {"x-custom": 1, "description": "d", "properties": {"m": {"$ref": "EntityMeta"}}}, base_schema_store()
    )
    assert "x-custom" not in inlined and "description" not in inlined
    assert inlined["properties"]["m"]["required"] == ["name"]
    # A plugin kind with an unsupported schema still validates, through jsonschema.
    registry = default_registry()
    schema = {"allOf": [{"$ref": "Entity"}, {"properties": {"spec": {"properties": {"l": {"uniqueItems": True}}}}}]}
    registry.register(SchemaKindValidator("Widget", ["example.com/v1"], schema))
    widget: dict[str, Any] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    widget["spec"] = {"l": [1, 1]}
    assert {(i.field, i.rule) for i in validate_entity(widget, registry=registry)} == {
        ("spec.l", "spec-schema.uniqueItems")
    }
    widget["spec"] = {"l": [1, 2]}
    assert validate_entity(widget, registry=registry) == []


def test_fast_check_does_not_fill_in_defaults(examples: Examples) -> None:
    entity = examples["artist-api"]
    before = copy.deepcopy(entity)
    assert validate_entity(entity) == []
    assert entity == before and "namespace" not in entity["metadata"]


# --- format memo, refs, case duplicates --------------------------------------


def test_custom_validators_are_not_memoized() -> None:
    calls: list[object] = []

    def tag_check(value: object) -> bool:
        calls.append(value)
        return value != "forbidden"

    validators = make_validators(is_valid_tag=tag_check)
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "l", "tags": ["forbidden", "ok"]},
        "spec": {},
    }
    for _ in range(2):
        issues = validate_entity(entity, validators=validators)
        assert [(i.field, i.rule) for i in issues] == [("metadata.tags[0]", "format.tag")]
    assert calls == ["forbidden", "ok", "forbidden", "ok"]


def test_ref_precheck_agrees_with_parse_entity_ref() -> None:
    rng = random.Random(3)
    alphabet = "ab:/:/-"
    samples = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(3000)}
    samples |= {"a", ":a", "a:", "/a", "a/", "a:b/c", "a/b:c", "k:/n", ":/", "a:b:c", "a/b/c"}
    for ref in samples:
        for default_kind in (None, "", "Group"):
            try:
                parse_entity_ref(ref, default_kind=default_kind, default_namespace="ns")
                parses = True
            except InvalidEntityRefError:
                parses = False
            assert is_parseable_ref_string(ref, default_kind) == parses, (ref, default_kind)


def _reference_case_duplicates(entity: dict[str, Any]) -> list[str]:
    variants: dict[str, set[str]] = {}
    for key in envelope._search_keys(entity):
        variants.setdefault(key.lower(), set()).add(key)
    return sorted(lower for lower, found in variants.items() if len(found) > 1)


def test_case_duplicate_prechecks_agree_with_the_exact_search() -> None:
    rng = random.Random(5)
    # Greek sigmas and dotted capital I lower-case differently by context or to two characters.
    sigmas = ["\u03a3", "\u03c3", "\u03c2", "\u0391\u03a3"]
    parts = ["a", "A", "b", "B", "a.b", "A.b", *sigmas, "\u0130", "i\u0307", "metadata", "name", "Name", ""]

    def value(depth: int) -> Any:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice(["x", 1, None, True, 2.5, rng.choice(parts)])
        if roll < 0.7:
            return {rng.choice(parts): value(depth + 1) for _ in range(rng.randint(0, 3))}
        return [value(depth + 1) for _ in range(rng.randint(0, 3))]

    found = 0
    for _ in range(3000):
        entity = {rng.choice(parts): value(0) for _ in range(rng.randint(1, 4))}
        expected = _reference_case_duplicates(entity)
        assert find_case_duplicate_keys(entity) == expected, entity
        if envelope._certainly_no_case_duplicates(entity):
            assert expected == [], entity
        found += bool(expected)
    assert found > 100


# --- YAML ----------------------------------------------------------------------


def _reference_load(
    content: str | bytes, limits: YamlLimits | None = None, source: str | None = None
) -> YamlLoadResult:
    """The loader before the fast builder: every event through ``DocumentBuilder``."""
    limits = limits or YamlLimits()
    documents: list[YamlDocument] = []
    errors: list[YamlIssue] = []
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        raise AssertionError("test input must be UTF-8") from None
    text = text.removeprefix("\ufeff")
    index = -1
    builder: DocumentBuilder | None = None
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.DocumentStartEvent):
                index += 1
                builder = DocumentBuilder(limits.max_depth, limits.max_nodes, limits.max_alias_count)
            elif isinstance(event, yaml.DocumentEndEvent) and builder is not None:
                if builder.error is not None:
                    errors.append(YamlIssue(builder.error, builder.error_line, index, source))
                elif builder.root is not None:
                    if isinstance(builder.root, dict):
                        documents.append(YamlDocument(builder.root, builder.root_line or 1, index, builder.positions))
                    else:
                        kind = "array" if isinstance(builder.root, list) else type(builder.root).__name__
                        message = f"Expected object at root, got {kind}"
                        errors.append(YamlIssue(message, builder.root_line, index, source))
                builder = None
            elif builder is not None:
                builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {exc.problem or exc.context or exc}"
        errors.append(YamlIssue(message, mark.line + 1 if mark else None, max(index, 0), source))
    return YamlLoadResult(documents, errors)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _assert_same_result(text: str, limits: YamlLimits | None = None) -> YamlLoadResult:
    fast = load_yaml_documents(text, source="s.yaml", limits=limits)
    slow = _reference_load(text, limits, source="s.yaml")
    assert fast.errors == slow.errors, text
    assert len(fast.documents) == len(slow.documents), text
    for a, b in zip(fast.documents, slow.documents, strict=True):
        assert _same(a.data, b.data), text
        assert (a.line, a.index) == (b.line, b.index), text
        assert a.positions == b.positions, text
    return fast


YAML_CASES = [
    "a: 1\nb: [x, {c: d, e: [1, 2]}]\n",
    "- a\n- b\n",
    "k: v\n---\n- 1\n---\n---\nplain\n---\nm: {x: [], y: {}}\n",
    "a: &x {k: [1]}\nb: *x\nc: *x\n",
    "a: &s text\nb: *s\n",
    "a: !!str 12\nb: ! 12\nc: !custom {x: 1}\nd: !!int abc\n",
    "a: !!float 3\nb: !!null ''\n",
    "? [a]\n: b\n",
    "? {a: 1}\n: b\n",
    "a: 1\nb: 2\na: 3\n",
    "1: a\n1.0: b\n",
    "1: a\ntrue: b\n~: c\n2.5: d\n.inf: e\n.nan: f\n0x1F: g\n0o17: h\n-0: i\n1e3: j\n",
    "'quoted': 'yes'\n\"dq\": \"on\"\nblock: |\n  text\nfolded: >\n  more\n",
    "a: yes\nb: on\nc: 2021-01-01\nd: 1:20\ne: 0777\nf: 1_000\ng: TRUE\nh: Null\ni: +12\nj: -.5\nk: .\n",
    "a.b: 1\na:\n  b: 2\n",
    "'': 1\nx:\n  '': 2\n  y: [3, {'': 4}]\n",
    "[[1, 2], [3, [4, {a: b}]]]\n",
    "a: b\n--- \n- [a, *undefined]\n",
    "a: &x [1, *x]\n",
    "a: [unclosed\n",
    "a: 1\n---\nb: {c\n",
    "a: &a [" + ",".join(["x"] * 30) + "]\nb: [" + ",".join(["*a"] * 20) + "]\n",
    "a: " + "[" * 120 + "]" * 120 + "\n",
    "a: " + "{b: " * 99 + "1" + "}" * 99 + "\n",
    "a: " + "{b: " * 100 + "1" + "}" * 100 + "\n",
    "metadata:\n  name: n\n  tags: [a, b]\n  links:\n    - url: u\n      title: t\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "<<: {a: 1}\nb: 2\n",
    "",
    "# just a comment\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 'x'\n...\n---\nb: 2\n...\n",
]


@pytest.mark.parametrize("text", YAML_CASES)
def test_fast_yaml_builder_matches_the_event_builder(text: str) -> None:
    _assert_same_result(text)


def test_fast_yaml_builder_matches_under_tight_limits(examples_yaml: str) -> None:
    for limits in (
        YamlLimits(max_nodes=30),
        YamlLimits(max_nodes=0),
        YamlLimits(max_depth=2),
        YamlLimits(max_depth=0),
        YamlLimits(max_alias_count=1),
    ):
        _assert_same_result(examples_yaml, limits)
        for text in YAML_CASES:
            _assert_same_result(text, limits)


def test_fast_yaml_builder_matches_on_the_examples_and_random_documents(examples_yaml: str) -> None:
    result = _assert_same_result(examples_yaml)
    assert len(result.documents) == 10
    rng = random.Random(9)
    scalars = ["a", "B", "1", "1.5", "null", "~", "'q'", '"d"', "true", "x y", "-1", ".5", "0x1", "é"]

    def node(depth: int, indent: str) -> str:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return " " + rng.choice(scalars) + "\n"
        if roll < 0.7:
            keys = rng.sample(["a", "b", "c", "A", "a.b", "1", "''"], rng.randint(1, 3))
            return "\n" + "".join(f"{indent}{k}:{node(depth + 1, indent + '  ')}" for k in keys)
        return "\n" + "".join(f"{indent}-{node(depth + 1, indent + '  ')}" for _ in range(rng.randint(1, 3)))

    for _ in range(300):
        text = "".join(f"k{i}:{node(0, '  ')}" for i in range(rng.randint(1, 4)))
        _assert_same_result(text)
        _assert_same_result(text + "---\n" + text.replace("k0", "k0 k"))


def test_plain_scalar_fast_path_matches_the_patterns() -> None:
    words = ["", "~", "null", "NULL", "nUll", "true", "True", "tRue", "false", "no", "yes", "on", "x", "Σ"]
    words += ["0", "-0", "+1", "1.", ".5", "1e3", "1E+3", "0x1F", "0o17", "0b1", ".inf", "-.Inf", ".NaN", ".nan"]
    words += ["1_000", "1:20", "2021-01-01", "+", "-", ".", "..", "1e", "٣", "0x", "-.inf", "+.INF"]
    for word in words:
        expected = _implicit_number(word)
        actual = resolve_plain(word)
        assert type(actual) is type(expected) and (actual == expected or actual != actual), word


def test_positions_are_recorded_for_every_field(examples_yaml: str) -> None:
    (first, *_) = load_yaml_documents(examples_yaml).documents
    lines = examples_yaml.splitlines()
    assert lines[first.positions["metadata"] - 1] == "metadata:"
    assert lines[first.positions["spec.dependsOn[1]"] - 1].startswith("  dependsOn:")
    assert set(first.positions) >= {"apiVersion", "kind", "spec", "metadata.links[0]", "metadata.links[0].url"}


def test_yaml_document_error_type_is_unchanged() -> None:
    # The builder's own error type is still what it raises internally.
    builder = DocumentBuilder(1, 10, 10)
    with pytest.raises(YamlDocumentError):
        builder._check_depth(2)
    assert re.match(r"Document nesting", load_yaml_documents("[[1]]", limits=YamlLimits(max_depth=1)).errors[0].message)
