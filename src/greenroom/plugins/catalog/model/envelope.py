"""Envelope validation: schema, root fields, field formats and key casing.

Backstage runs these as entity policies that stop at the first error
(``SchemaValidEntityPolicy``, ``NoForeignRootFieldsEntityPolicy``,
``FieldFormatEntityPolicy``, plus the search builder's casing check). Here
every problem is collected, and a value with the wrong type is reported once
(by the schema) rather than again by the format checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from jsonschema import ValidationError

from . import formats
from .fastschema import FastCheck, compile_fast_check
from .formats import Validators
from .issues import FieldProblem, join_path
from .schemas import base_schema_store, base_schema_validator, load_schema

INPUT_ROOT_FIELDS: tuple[str, ...] = ("apiVersion", "kind", "metadata", "spec")
OUTPUT_ROOT_FIELDS: tuple[str, ...] = (*INPUT_ROOT_FIELDS, "relations", "status")

# Paths the search builder skips or adds itself (buildEntitySearch.ts).
_SEARCH_SPECIAL_KEYS = frozenset(
    {
        "attachments",
        "relations",
        "status",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "metadata.etag",
    }
)
_MAX_DETAIL = 300


def path_of(parts: Iterable[str | int]) -> str:
    """Dotted path (``metadata.tags[0]``) from a sequence of keys and indices."""
    path = ""
    for part in parts:
        path = join_path(path, part)
    return path


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _detail(error: ValidationError) -> str:
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        text = f"must be {' or '.join(str(n) for n in names)}, found {_short(error.instance)}"
    elif kind == "minLength":
        text = f"must NOT have fewer than {expected} characters"
    elif kind == "minItems":
        text = f"must NOT have fewer than {expected} items"
    elif kind in ("enum", "const"):
        allowed = expected if isinstance(expected, list) else [expected]
        text = f"must be equal to one of the allowed values {allowed!r}, found {_short(error.instance)}"
    elif kind == "oneOf":
        text = "must match exactly one schema in oneOf"
    elif kind == "pattern":
        text = f'must match pattern "{expected}"'
    else:
        text = error.message
    return text[:_MAX_DETAIL]


def schema_problems(errors: Iterable[ValidationError], prefix: str = "schema") -> list[FieldProblem]:
    """Convert jsonschema errors into ``FieldProblem``s with dotted paths.

    A ``required`` error is reported on the missing field itself
    (``spec.owner``), which is where a reader looks for it.
    """
    out: list[FieldProblem] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        base = path_of(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            required = error.validator_value if isinstance(error.validator_value, list) else []
            for name in required:
                if name in error.instance:
                    continue
                field = join_path(base, name)
                if (field, "required") not in seen:
                    seen.add((field, "required"))
                    out.append(
                        FieldProblem(field, f"{prefix}.required", f"must have required property '{name}'")
                    )
            continue
        rule = f"{prefix}.{error.validator}"
        if (base, rule) in seen:
            continue
        seen.add((base, rule))
        out.append(FieldProblem(base or "<root>", rule, _detail(error)))
    return out


_INPUT_ROOT_SET = frozenset(INPUT_ROOT_FIELDS)
_OUTPUT_ROOT_SET = frozenset(OUTPUT_ROOT_FIELDS)


def check_root_fields(
    entity: Mapping[str, Any], known: Iterable[str] = INPUT_ROOT_FIELDS
) -> list[FieldProblem]:
    """Reject root keys other than ``known`` (``NoForeignRootFieldsEntityPolicy``)."""
    if known is INPUT_ROOT_FIELDS:
        allowed: frozenset[str] | set[str] = _INPUT_ROOT_SET
    elif known is OUTPUT_ROOT_FIELDS:
        allowed = _OUTPUT_ROOT_SET
    else:
        allowed = set(known)
    return [
        FieldProblem(str(key), "root.unknown-field", f"Unknown field {key}")
        for key in entity
        if key not in allowed
    ]


# Results of built-in (pure) format predicates, by predicate and string:
# catalogs repeat the same apiVersions, kinds, label and annotation keys and
# tags over and over. Names, URLs and annotation values are mostly unique,
# so they are checked directly rather than filling the memo.
_MEMO_LIMIT = 8192
_MEMOS: dict[formats.Predicate, dict[str, bool]] = {
    check: {}
    for check in (
        formats.is_valid_api_version,
        formats.is_valid_kind,
        formats.is_valid_namespace,
        formats.is_valid_label_key,
        formats.is_valid_label_value,
        formats.is_valid_annotation_key,
        formats.is_valid_tag,
    )
}
_DEFAULT_VALIDATORS = Validators()


def _ok(check: formats.Predicate, value: object) -> bool:
    """``bool(check(value))``, memoized for some built-in predicates on plain strings."""
    if value.__class__ is str:
        memo = _MEMOS.get(check)
        if memo is not None:
            hit = memo.get(value)
            if hit is None:
                hit = bool(check(value))
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[value] = hit
            return hit
    return bool(check(value))


def _fmt(out: list[FieldProblem], field: str, rule: str, value: object, ok: bool) -> None:
    if not ok:
        out.append(FieldProblem(field, rule, formats.format_detail(field, rule, value)))


def check_field_formats(
    entity: Mapping[str, Any], validators: Validators | None = None
) -> list[FieldProblem]:
    """``FieldFormatEntityPolicy``: format rules for the values that have the right type."""
    v = validators or _DEFAULT_VALIDATORS
    out: list[FieldProblem] = []
    value = entity.get("apiVersion")
    if isinstance(value, str) and value and not _ok(v.is_valid_api_version, value):
        _fmt(out, "apiVersion", "format.api-version", value, False)
    value = entity.get("kind")
    if isinstance(value, str) and value and not _ok(v.is_valid_kind, value):
        _fmt(out, "kind", "format.kind", value, False)
    meta = entity.get("metadata")
    if meta.__class__ is not dict and not isinstance(meta, Mapping):
        return out
    value = meta.get("name")
    if isinstance(value, str) and value and not _ok(v.is_valid_entity_name, value):
        _fmt(out, "metadata.name", "format.entity-name", value, False)
    value = meta.get("namespace")
    if isinstance(value, str) and value and not _ok(v.is_valid_namespace, value):
        _fmt(out, "metadata.namespace", "format.namespace", value, False)
    for section, key_check, value_check, name in (
        ("labels", v.is_valid_label_key, v.is_valid_label_value, "label"),
        ("annotations", v.is_valid_annotation_key, v.is_valid_annotation_value, "annotation"),
    ):
        mapping = meta.get(section)
        if mapping.__class__ is not dict and not isinstance(mapping, Mapping):
            continue
        # The built-in annotation value rule accepts any string.
        any_string = value_check is formats.is_valid_annotation_value
        for key, value in mapping.items():
            key_ok = _ok(key_check, key)
            value_ok = not isinstance(value, str) or any_string or _ok(value_check, value)
            if key_ok and value_ok:
                continue
            field = f"metadata.{section}.{key}"
            _fmt(out, field, f"format.{name}-key", key, key_ok)
            _fmt(out, field, f"format.{name}-value", value, value_ok)
    tags = meta.get("tags")
    if isinstance(tags, list):
        for i, tag in enumerate(tags):
            if isinstance(tag, str) and tag and not _ok(v.is_valid_tag, tag):
                _fmt(out, f"metadata.tags[{i}]", "format.tag", tag, False)
    links = meta.get("links")
    if isinstance(links, list):
        for i, link in enumerate(links):
            if not isinstance(link, Mapping):
                continue
            url = link.get("url")
            if isinstance(url, str) and url and not _ok(formats.is_valid_url, url):
                _fmt(out, f"metadata.links[{i}].url", "format.link-url", url, False)
            for part in ("title", "icon"):
                value = link.get(part)
                if isinstance(value, str) and value and not _ok(formats.is_non_empty_string, value):
                    _fmt(out, f"metadata.links[{i}].{part}", f"format.link-{part}", value, False)
    return out


def _search_keys(entity: Mapping[str, Any]) -> list[str]:
    # Iterative version of buildEntitySearch's traverse(): it must survive any nesting depth.
    keys: list[str] = ["metadata.name", "metadata.namespace", "metadata.uid"]
    seen_synthetic: set[str] = set()
    stack: list[tuple[str, object]] = [("", entity)]
    while stack:
        path, current = stack.pop()
        if path in _SEARCH_SPECIAL_KEYS:
            continue
        if current is None or isinstance(current, str | int | float | bool):
            keys.append(path)
        elif isinstance(current, list):
            for item in reversed(current):
                stack.append((path, item))
                if isinstance(item, str):
                    synthetic = f"{path}.{item}"
                    if synthetic.lower() not in seen_synthetic:
                        seen_synthetic.add(synthetic.lower())
                        keys.append(synthetic)
        elif isinstance(current, Mapping):
            for key, value in current.items():
                stack.append((f"{path}.{key}" if path else str(key), value))
    return keys


_LEAF_TYPES = (str, int, float, bool)


def _search_key_superset(entity: Mapping[str, Any]) -> set[str]:
    """Every key ``_search_keys`` can produce, with all list-item keys (not de-duplicated).

    Special paths can only be met in mappings at path ``""`` or ``metadata``:
    any other parent makes a path with a dot that no special path has.
    """
    keys: set[str] = {"metadata.name", "metadata.namespace", "metadata.uid"}
    add = keys.add
    special = _SEARCH_SPECIAL_KEYS
    stack: list[tuple[str, object]] = [("", entity)]
    pop, push = stack.pop, stack.append
    while stack:
        path, current = pop()
        kind = current.__class__
        if kind is list or (kind is not dict and isinstance(current, list)):
            for item in current:  # type: ignore[attr-defined]
                cls = item.__class__
                if cls is str:
                    add(path)
                    add(f"{path}.{item}")
                elif cls is dict or cls is list:
                    push((path, item))
                elif item is None or isinstance(item, _LEAF_TYPES):
                    add(path)
                    if isinstance(item, str):
                        add(f"{path}.{item}")
                elif isinstance(item, list | Mapping):
                    push((path, item))
            continue
        if kind is not dict and not isinstance(current, Mapping):
            continue
        check_special = path == "" or path == "metadata"
        for key, value in current.items():  # type: ignore[attr-defined]
            sub = f"{path}.{key}" if path else str(key)
            if check_special and sub in special:
                continue
            cls = value.__class__
            if cls is str:
                add(sub)
            elif cls is dict or cls is list:
                push((sub, value))
            elif value is None or isinstance(value, _LEAF_TYPES):
                add(sub)
            elif isinstance(value, list | Mapping):
                push((sub, value))
    return keys


def _certainly_no_case_duplicates(entity: object) -> bool:
    """True only if ``find_case_duplicate_keys`` finds nothing; cheap for plain JSON data.

    Every search key is a ``.``-join of mapping keys and string list items
    (and the fixed ``metadata.name``/``namespace``/``uid``), so it is also a
    ``.``-join of their ``.``-separated pieces. For ASCII text lower-casing
    works piece by piece and keeps the dots, so if it is one-to-one on the
    pieces, two different keys cannot lower-case to the same string. Anything
    but plain dicts, lists, strings and JSON scalars answers False.
    """
    tokens: list[str] = ["metadata.name.namespace.uid"]
    append = tokens.append
    stack: list[object] = [entity]
    pop, push = stack.pop, stack.append
    while stack:
        current = pop()
        if current.__class__ is dict:
            for key, value in current.items():
                if key.__class__ is not str:
                    return False
                append(key)
                cls = value.__class__
                if cls is dict or cls is list:
                    push(value)
                elif not (cls is str or value is None or cls is int or cls is float or cls is bool):
                    return False
        elif current.__class__ is list:
            for item in current:
                cls = item.__class__
                if cls is str:
                    append(item)
                elif cls is dict or cls is list:
                    push(item)
                elif not (item is None or cls is int or cls is float or cls is bool):
                    return False
        else:
            return False
    joined = ".".join(tokens)
    if not joined.isascii():
        return False
    return len(set(joined.split("."))) == len(set(joined.lower().split(".")))


def find_case_duplicate_keys(entity: Mapping[str, Any]) -> list[str]:
    """Lower-cased flattened keys that occur with different casings.

    Backstage refuses to store such an entity ("Entity has duplicate keys that
    vary only in casing"), e.g. ``spec.owner`` next to ``spec.Owner``.
    """
    if _certainly_no_case_duplicates(entity):
        return []
    # The keys found are a subset of this superset, so if lower-casing is
    # one-to-one on the superset there is no duplicate.
    candidates = _search_key_superset(entity)
    if len(candidates) == len(set(map(str.lower, candidates))):
        return []
    variants: dict[str, set[str]] = {}
    for key in _search_keys(entity):
        variants.setdefault(key.lower(), set()).add(key)
    return sorted(lower for lower, found in variants.items() if len(found) > 1)


@cache
def _envelope_fast_check() -> FastCheck | None:
    """Compiled check of the ``Entity`` schema minus the root ``additionalProperties``.

    Validation drops the errors of that keyword (``check_root_fields`` reports
    unknown root keys), so the check must not enforce it either.
    """
    schema = {k: v for k, v in load_schema("Entity").items() if k != "additionalProperties"}
    return compile_fast_check(schema, base_schema_store())


def validate_envelope(
    entity: Mapping[str, Any],
    validators: Validators | None = None,
    root_fields: Iterable[str] = INPUT_ROOT_FIELDS,
) -> list[FieldProblem]:
    """All envelope problems: root fields, envelope schema, formats, key casing."""
    problems = check_root_fields(entity, root_fields)
    fast = _envelope_fast_check()
    if fast is None or not fast(entity):
        errors = [
            error
            for error in base_schema_validator("Entity").iter_errors(entity)
            # Unknown root keys are already reported by check_root_fields.
            if not (error.validator == "additionalProperties" and not error.absolute_path)
        ]
        problems += schema_problems(errors)
    problems += check_field_formats(entity, validators)
    duplicates = find_case_duplicate_keys(entity)
    if duplicates:
        listed = "', '".join(duplicates)
        problems.append(
            FieldProblem(
                duplicates[0] or "<root>",
                "keys.case-duplicate",
                f"Entity has duplicate keys that vary only in casing, '{listed}'",
            )
        )
    return problems
