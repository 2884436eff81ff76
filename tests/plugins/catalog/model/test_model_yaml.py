"""Hostile-input-proof YAML loading."""

from __future__ import annotations

import time

import pytest

from greenroom.plugins.catalog.model import (
    YamlLimits,
    YamlLoadError,
    load_single_yaml_document,
    load_yaml_documents,
)

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_multi_document_with_lines(examples_yaml: str) -> None:
    result = load_yaml_documents(examples_yaml, source="all.yaml")
    assert result.errors == []
    assert len(result.documents) == 10
    lines = examples_yaml.splitlines()
    for doc in result.documents:
        assert lines[doc.line - 1].startswith("apiVersion:")
    assert [d.index for d in result.documents] == list(range(10))
    first = result.documents[0]
    assert lines[first.positions["spec.owner"] - 1] == "  owner: artist-relations-team"
    assert lines[first.positions["metadata.tags[1]"] - 1].startswith("  tags:")
    assert lines[first.positions["metadata.links[1].url"] - 1] == "    - url: mailto:artists@example.com"


def test_yaml_1_2_core_scalars_like_backstage() -> None:
    text = """
a: yes
b: on
c: 2021-01-01
d: 1:20
e: 0777
f: 0o17
g: 0x1F
h: 1_000
i: ~
j:
k: True
l: .inf
m: 1.5e3
n: "123"
o: !!str 12
p: !!float 3
q: 0b101
"""
    (doc,) = load_yaml_documents(text).documents
    assert doc.data == {
        "a": "yes",
        "b": "on",
        "c": "2021-01-01",
        "d": "1:20",
        "e": 777,
        "f": 15,
        "g": 31,
        "h": "1_000",
        "i": None,
        "j": None,
        "k": True,
        "l": float("inf"),
        "m": 1500.0,
        "n": "123",
        "o": "12",
        "p": 3.0,
        "q": "0b101",
    }


def test_tags_are_never_executed() -> None:
    text = """
a: !!python/object/apply:os.system ["echo pwned"]
b: !!python/name:os.system
c: !custom {x: 1}
d: !!binary aGVsbG8=
"""
    (doc,) = load_yaml_documents(text).documents
    assert doc.data == {"a": ["echo pwned"], "b": "", "c": {"x": 1}, "d": "aGVsbG8="}


def test_bad_explicit_core_tag_is_an_error() -> None:
    result = load_yaml_documents("a: !!int abc\n")
    assert result.documents == []
    assert "not a valid !!int" in result.errors[0].message


def test_merge_keys_are_plain_keys() -> None:
    (doc,) = load_yaml_documents("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n").documents
    assert doc.data["other"] == {"<<": {"x": 1}, "y": 2}


def test_aliases_are_independent_copies() -> None:
    (doc,) = load_yaml_documents("a: &x {k: [1]}\nb: *x\n").documents
    doc.data["b"]["k"].append(2)
    assert doc.data["a"] == {"k": [1]}


def test_billion_laughs_is_rejected_quickly() -> None:
    start = time.perf_counter()
    result = load_yaml_documents(BILLION_LAUGHS)
    assert time.perf_counter() - start < 2
    assert result.documents == []
    (error,) = result.errors
    assert "resource exhaustion" in error.message
    assert error.line is not None and error.line > 3


def test_node_budget_catches_expansion_under_the_alias_rule() -> None:
    text = "a: &a [" + ",".join(["x"] * 1000) + "]\nb: [" + ",".join(["*a"] * 50) + "]\n"
    assert load_yaml_documents(text).errors == []
    result = load_yaml_documents(text, limits=YamlLimits(max_nodes=20_000))
    assert "more than 20000 nodes" in result.errors[0].message


def test_alias_count_rule_matches_the_yaml_package() -> None:
    ok = "a: &a x\nb: [" + ",".join(["*a"] * 100) + "]\n"
    assert load_yaml_documents(ok).errors == []
    too_many = "a: &a x\nb: [" + ",".join(["*a"] * 101) + "]\n"
    assert "resource exhaustion" in load_yaml_documents(too_many).errors[0].message
    # Empty collections weigh nothing, so they may be aliased freely.
    empty = "a: &a []\nb: [" + ",".join(["*a"] * 500) + "]\n"
    assert load_yaml_documents(empty).errors == []


def test_undefined_and_recursive_aliases() -> None:
    assert "anchor not found" in load_yaml_documents("a: *nope\n").errors[0].message
    assert "recursive alias" in load_yaml_documents("a: &x [1, *x]\n").errors[0].message


def test_deep_nesting_is_rejected_without_recursion() -> None:
    for depth in (1_000, 100_000):
        deep = "a: " + "[" * depth + "]" * depth + "\n"
        result = load_yaml_documents(deep)
        assert result.documents == []
        # Our limit, or libyaml's own nesting guard for extreme input.
        assert "nesting" in result.errors[0].message
    at_limit = "[" * 100 + "]" * 100
    assert load_yaml_documents(at_limit, require_mapping=False).errors == []
    over = "[" * 101 + "]" * 101
    assert load_yaml_documents(over, require_mapping=False).errors != []
    # An alias placing a deep node deeper still is caught too.
    nested = "a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n"
    assert "deeper than" in load_yaml_documents(nested).errors[0].message


def test_duplicate_keys_fail_only_their_document() -> None:
    text = "a: 1\nb: 2\na: 3\n---\nok: true\n"
    result = load_yaml_documents(text, source="x.yaml")
    assert [d.data for d in result.documents] == [{"ok": True}]
    (error,) = result.errors
    assert (error.index, error.line, error.source) == (0, 3, "x.yaml")
    assert '"a" is repeated' in error.message
    assert str(error).startswith("x.yaml:3: ")
    nested = load_yaml_documents("m:\n  k: 1\n  k: 2\n")
    assert nested.errors[0].line == 3


def test_keys_become_json_strings_and_collisions_are_duplicates() -> None:
    (doc,) = load_yaml_documents("1: a\ntrue: b\n~: c\n2.5: d\n").documents
    assert doc.data == {"1": "a", "true": "b", "": "c", "2.5": "d"}
    assert '"1" is repeated' in load_yaml_documents('1: a\n"1": b\n').errors[0].message
    assert '"1" is repeated' in load_yaml_documents("1: a\n1.0: b\n").errors[0].message
    assert "complex keys" in load_yaml_documents("? [a]\n: b\n").errors[0].message


def test_non_mapping_and_empty_documents() -> None:
    result = load_yaml_documents("- a\n---\nplain\n---\n---\nk: v\n---\n")
    assert [d.data for d in result.documents] == [{"k": "v"}]
    assert [e.message for e in result.errors] == [
        "Expected object at root, got array",
        "Expected object at root, got str",
    ]
    assert load_yaml_documents("").documents == []


def test_syntax_error_keeps_earlier_documents() -> None:
    result = load_yaml_documents("a: 1\n---\nb: [unclosed\n")
    assert [d.data for d in result.documents] == [{"a": 1}]
    (error,) = result.errors
    assert error.message.startswith("YAML syntax error")
    assert error.line is not None


def test_size_limit_and_encoding() -> None:
    big = "a: " + "x" * 100 + "\n"
    limits = YamlLimits(max_bytes=50)
    assert "limit" in load_yaml_documents(big, limits=limits).errors[0].message
    assert "limit" in load_yaml_documents(big.encode(), limits=limits).errors[0].message
    # Multi-byte characters count as bytes, not characters.
    assert load_yaml_documents("a: " + "é" * 30, limits=limits).errors != []
    assert load_yaml_documents(b"a: \xff\xfe").errors[0].message.startswith("YAML input is not valid UTF-8")
    (doc,) = load_yaml_documents("\ufeffa: 1\n".encode()).documents
    assert doc.data == {"a": 1}


def test_default_limit_is_five_mib_and_big_files_load() -> None:
    assert YamlLimits().max_bytes == 5 * 1024 * 1024
    entity = "apiVersion: v1\nkind: Thing\nmetadata:\n  name: n{i}\nspec:\n  data: " + "x" * 400 + "\n---\n"
    text = "".join(entity.replace("{i}", str(i)) for i in range(10_000))
    assert len(text) < 5 * 1024 * 1024
    start = time.perf_counter()
    result = load_yaml_documents(text)
    assert time.perf_counter() - start < 20
    assert len(result.documents) == 10_000 and result.errors == []
    assert result.documents[-1].data["metadata"]["name"] == "n9999"
    too_big = text + "x: " + "y" * (5 * 1024 * 1024) + "\n"
    assert load_yaml_documents(too_big).documents == []


def test_load_single_document() -> None:
    assert load_single_yaml_document("- a\n- b\n") == ["a", "b"]
    assert load_single_yaml_document("null\n") is None
    with pytest.raises(YamlLoadError, match="exactly one document of data, found 2"):
        load_single_yaml_document("a: 1\n---\nb: 2\n")
    with pytest.raises(YamlLoadError, match="found 0"):
        load_single_yaml_document("")
    with pytest.raises(YamlLoadError, match="resource exhaustion"):
        load_single_yaml_document(BILLION_LAUGHS)
