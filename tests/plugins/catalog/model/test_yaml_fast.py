"""The native YAML fast path gives what the exact builder gives, or steps aside (model/yaml_fast.py)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from greenroom.plugins.catalog.ingest.parsing import parse_source
from greenroom.plugins.catalog.model import YamlLimits, load_yaml_documents
from greenroom.plugins.catalog.model.yaml_loader import load_mappings_fast

REPO = Path(__file__).resolve().parents[4]


def exact(text: str) -> list[Any] | None:
    """What the exact builder makes of `text` where the fast path may answer: its documents, or None on
    any error (the fast path must then step aside, so the exact error is reported)."""
    result = load_yaml_documents(text)
    return None if result.errors else [d.data for d in result.documents]


def assert_same(text: str) -> bool:
    """The fast path either steps aside or equals the exact builder, types included; True when it answered."""
    fast = load_mappings_fast(text)
    if fast is None:
        return False
    slow = exact(text)
    assert slow is not None, f"fast path accepted what the exact builder refuses: {text!r}"
    assert repr(fast) == repr(slow), text
    assert _types(fast) == _types(slow), text
    return True


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_a_plain_catalog_file_takes_the_fast_path() -> None:
    text = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  tags: [x, 'y']\n"
            "  description: >\n    folded\n    text\nspec:\n  type: service\n  flag: true\n  none: ~\n"
            "---\n# another\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: b}\n---\n")
    assert assert_same(text)
    assert [d["metadata"]["name"] for d in load_mappings_fast(text) or []] == ["a", "b"]


@pytest.mark.parametrize("scalar", [
    "1_000", "0b101", "0B1", "0O17", "+0x1", "-0o7", ".Inf", ".iNf", ".NaN", ".naN", "1", "0x1F", "0o17",
    "1e3", ".5", "-.inf", "12345678901234567890123", "2021-01-01", "1:20", "yes", "On", "y", "True", "tRue",
    "NULL", "~", "", "0._", "1__0",
])
def test_scalar_forms_where_the_parsers_differ_agree(scalar: str) -> None:
    assert_same(f"a: {scalar}\nb: [{scalar}]\n")
    assert_same(f"{scalar}: x\n" if scalar else "x: y\n")


def test_every_short_plain_scalar_agrees() -> None:
    # Every plain scalar of up to three characters from the alphabet of numbers, keywords and signs.
    alphabet = "019+-._xobOBeEinfaNIFtTrulsy~"
    answered = 0
    for length in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=length):
            answered += assert_same(f"a: {''.join(chars)}\n")
    assert answered > 1000  # most are plain strings, which the fast path answers


@pytest.mark.parametrize(("text", "why"), [
    ("- a: 1\n- b: 2\n", "one document whose root is a list, not two documents"),
    ("---\n- a: 1\n- b: 2\n", "the same after a marker"),
    ("\ta: 1\n", "tab indentation, which PyYAML refuses"),
    ("a: &x 1\nb: *x\n", "anchors and aliases follow the exact builder's limits"),
    ("a: !!str 1\n", "tags"),
    ("%YAML 1.2\n---\na: 1\n", "directives"),
    ("a: 1\n...\nb: 2\n", "an explicit document end"),
    ("a: 1\na: 2\n", "a duplicate key, reported by the exact builder"),
    ("a: \x07\n", "a control character"),
    ("a: b\u2028c\n", "a YAML 1.1 line break"),
    ("k" * 1001 + ": 1\n", "a key longer than PyYAML allows"),
    ("a: '1\n---\n'\n", "a syntax error"),
    ("just text\n", "a scalar root"),
    ("a: 1\n", "a number"),
])
def test_the_fast_path_steps_aside(text: str, why: str) -> None:
    assert load_mappings_fast(text) is None, why


def test_nesting_at_the_depth_limit_is_left_to_the_exact_builder() -> None:
    limits = YamlLimits(max_depth=10)
    shallow = "a: " + "[" * 8 + "x" + "]" * 8 + "\n"
    deep = "a: " + "[" * 12 + "x" + "]" * 12 + "\n"
    assert load_mappings_fast(shallow, limits=limits) is not None
    assert load_mappings_fast(deep, limits=limits) is None
    assert load_yaml_documents(deep, limits=limits).errors


def test_generated_documents_agree() -> None:
    rng = random.Random(20261125)
    # Mostly what the fast path answers; now and then a number, a bad token or a non-string key, which send
    # the whole text to the exact builder.
    scalars = ["plain", "'single ''quoted'''", '"double \\t \\u263A \\x41 \\\\ \\""', "true", "False", "null", "~",
               "a b  c", "'x: y'", "'#not comment'", "é ü 中", "http://example.com/a?b=c#d", "'- dash'", "a,b",
               "2021-01-01", "'1'", '"0x1F"', "1:20", "yes", "x # trailing comment"]
    rare = ["1", "-2.5", "0x1F", "1_0", ".inf", "x: y", "[", "@at", "`tick", "{x}", "- dash"]
    blocks = ["|\n{i}  line one\n{i}  line two\n", ">-\n{i}  folded\n{i}  text\n\n{i}  para\n", "|+\n{i}  keep\n\n"]

    def node(depth: int, indent: str) -> str:
        roll = rng.random()
        if depth > 3 or roll < 0.45:
            return " " + rng.choice(rare if rng.random() < 0.02 else scalars) + "\n"
        if roll < 0.55:
            return " " + rng.choice(blocks).format(i=indent)
        if roll < 0.65:
            return " [" + ", ".join(rng.choice(scalars[:8]) for _ in range(rng.randint(0, 3))) + "]\n"
        if roll < 0.8:
            return "\n" + "".join(f"{indent}  -{node(depth + 1, indent + '    ')}" for _ in range(rng.randint(1, 3)))
        return "\n" + mapping(depth + 1, indent + "  ")

    def mapping(depth: int, indent: str) -> str:
        keys = rng.sample(["a", "b", "name", "'q k'", "x-y", "é", "'1'", "? c\n" + indent], rng.randint(1, 4))
        if rng.random() < 0.02:
            keys.append(rng.choice(["1", "true", "~"]))
        return "".join(f"{indent}{key}:{node(depth, indent)}" for key in keys)

    answered = 0
    for _ in range(1500):
        documents = [mapping(0, "") for _ in range(rng.randint(1, 3))]
        separator = rng.choice(["---\n", "--- # c\n"])
        text = rng.choice(["", "# head\n", "---\n"]) + separator.join(documents) + rng.choice(["", "---\n", "# end\n"])
        answered += assert_same(text)
    assert answered > 800


def test_every_yaml_file_of_the_project_agrees() -> None:
    files = [p for p in REPO.glob("**/*.yaml") if ".venv" not in p.parts and "bench" not in p.parts
             and "node_modules" not in p.parts]
    assert len(files) > 20
    answered = sum(assert_same(p.read_text(encoding="utf-8")) for p in files)
    assert answered > 10


def test_a_file_read_either_way_gives_the_same_entities() -> None:
    text = b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n"
    fast = parse_source("/c/a.yaml", text, YamlLimits(), 10)
    slow = parse_source("/c/a.yaml", text + b"number: 1\n", YamlLimits(), 10)  # a number: the exact builder
    assert fast.entities == [{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"}}]
    assert slow.entities == [{**fast.entities[0], "number": 1}]
    too_many = parse_source("/c/a.yaml", b"a: x\n---\nb: y\n---\nc: z\n", YamlLimits(), 2)
    assert too_many.error == ("InputError", "/c/a.yaml holds 3 entities, more than the limit of 2")


@pytest.mark.parametrize("text", [
    "a: b: c\n", "a: 'x\n", 'a: "x\n', "a: [b\n", "a: {b\n", "a: b\n  c: d\n", " a: 1\nb: 2\n", "a:\n  b: 1\n c: 2\n",
    "a: b #c\n#d\n  e\n", "- a\nb: c\n", "a: @b\n", "a: `b\n", "? [a]\n: b\n", "a: 'b'c\n", 'a: "b"c\n',
    "a:\n  - b\n  c\n", "x:\n    - a\n  - b\n", "a: %x\n", "a: x\n  # c\n  y\n", '"a\nb": 1\n',
])
def test_what_the_exact_builder_refuses_never_passes_the_fast_path(text: str) -> None:
    assert load_yaml_documents(text).errors
    assert load_mappings_fast(text) is None
