"""Per-kind spec validation and the registry plugins extend with their own kinds.

A ``KindValidator`` says which ``(apiVersion, kind)`` pairs it handles and
returns the problems of an entity it handles. Like Backstage's kind
validators, kind names match exactly (``component`` is not ``Component``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from jsonschema import Draft7Validator

from .envelope import schema_problems
from .fastschema import FastCheck, compile_fast_check
from .issues import FieldProblem, join_path
from .refs import DEFAULT_NAMESPACE, InvalidEntityRefError, is_parseable_ref_string, parse_entity_ref
from .relations import BUILTIN_RELATION_RULES, RelationRule, relation_targets
from .schemas import BUILTIN_KIND_SCHEMAS, base_registry, base_schema_store, kind_schema_validator, schema_validator

BACKSTAGE_API_VERSIONS = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})
TEMPLATE_API_VERSIONS = frozenset({"scaffolder.backstage.io/v1beta3"})

EntityPolicy = Callable[[Mapping[str, Any]], Iterable[FieldProblem]]
"""An extra validation policy: gets every entity, returns its problems (may be none)."""


@runtime_checkable
class KindValidator(Protocol):
    """Validates entities of one kind."""

    @property
    def kind(self) -> str:
        """The exact kind name handled, e.g. ``Component``."""
        ...

    def supports(self, api_version: str, kind: str) -> bool:
        """Whether this validator handles the given apiVersion and kind."""
        ...

    def validate(self, entity: Mapping[str, Any]) -> list[FieldProblem]:
        """Problems of a supported entity (envelope problems excluded)."""
        ...


def ref_field_problems(entity: Mapping[str, Any], rules: Iterable[RelationRule]) -> list[FieldProblem]:
    """Relation fields whose refs Backstage could not parse when emitting relations.

    Backstage fails processing of such an entity, e.g. ``dependsOn: [foo]``
    (no kind and no default kind).
    """
    spec = entity.get("spec")
    if not isinstance(spec, Mapping):
        return []
    meta = entity.get("metadata")
    namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
    namespace = namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
    out: list[FieldProblem] = []
    for rule in rules:
        value = spec.get(rule.field)
        if value is None:
            continue
        many = isinstance(value, list)
        for i, raw in enumerate(relation_targets(value)):
            if raw.__class__ is str and is_parseable_ref_string(raw, rule.default_kind):
                continue  # the common case, without building an EntityRef
            field = join_path(f"spec.{rule.field}", i) if many else f"spec.{rule.field}"
            try:
                parse_entity_ref(raw, default_kind=rule.default_kind, default_namespace=namespace)  # type: ignore[arg-type]
            except InvalidEntityRefError as exc:
                out.append(FieldProblem(field, "ref.invalid", str(exc)))
    return out


# Compiled fast checks by id of the jsonschema validator they stand for (the
# built-in kind validators are shared by every registry); entries go away
# with their validator.
_FAST_CHECKS: dict[int, tuple[weakref.ref[Draft7Validator], FastCheck | None]] = {}


def _compile_kind_fast_check(validator: Draft7Validator) -> FastCheck | None:
    """A compiled check equivalent to ``validate`` finding no schema errors, if possible.

    The first ``allOf`` branch is replaced by ``true``, which is what dropping
    its errors amounts to. Only plain ``Draft7Validator``s over the base
    registry and without a format checker are supported.
    """
    if (
        type(validator) is not Draft7Validator
        or validator.format_checker is not None
        or getattr(validator, "_registry", None) is not base_registry()
    ):
        return None
    schema: Any = validator.schema
    if isinstance(schema, dict) and "$ref" not in schema:
        branches = schema.get("allOf")
        if isinstance(branches, list) and branches:
            schema = {**schema, "allOf": [True, *branches[1:]]}
    return compile_fast_check(schema, base_schema_store())


def _forget(key: int) -> Callable[[object], None]:
    def forget(_ref: object) -> None:
        _FAST_CHECKS.pop(key, None)

    return forget


def _kind_fast_check(validator: Draft7Validator) -> FastCheck | None:
    key = id(validator)
    cached = _FAST_CHECKS.get(key)
    if cached is not None and cached[0]() is validator:
        return cached[1]
    check = _compile_kind_fast_check(validator)
    _FAST_CHECKS[key] = (weakref.ref(validator, _forget(key)), check)
    return check


_PENDING: Any = object()


class SchemaKindValidator:
    """A kind validator driven by a JSON Schema in Backstage's kind-schema layout.

    The schema's first ``allOf`` branch (``$ref: Entity``) is skipped because
    the envelope is validated separately. ``relation_rules`` are checked for
    parseable refs after the schema.

    A check compiled with ``fastjsonschema`` (see ``fastschema``) runs first;
    the jsonschema validator only runs, to describe the errors, when it fails.
    """

    def __init__(
        self,
        kind: str,
        api_versions: Iterable[str],
        schema: Mapping[str, Any] | Draft7Validator,
        relation_rules: Iterable[RelationRule] = (),
    ) -> None:
        self._kind = kind
        self.api_versions = frozenset(api_versions)
        self._validator = schema if isinstance(schema, Draft7Validator) else schema_validator(dict(schema))
        self.relation_rules = tuple(relation_rules)
        self._fast: FastCheck | None = _PENDING

    @property
    def kind(self) -> str:
        """The exact kind name handled."""
        return self._kind

    def supports(self, api_version: str, kind: str) -> bool:
        """Exact kind and one of the declared apiVersions."""
        return kind == self._kind and api_version in self.api_versions

    def validate(self, entity: Mapping[str, Any]) -> list[FieldProblem]:
        """Spec problems from the schema, then unparseable relation refs."""
        fast = self._fast
        if fast is _PENDING:
            fast = self._fast = _kind_fast_check(self._validator)
        if fast is not None and fast(entity):
            problems: list[FieldProblem] = []
        else:
            errors = [
                e for e in self._validator.iter_errors(entity) if tuple(e.schema_path)[:2] != ("allOf", 0)
            ]
            problems = schema_problems(errors, prefix="spec-schema")
        if not self.relation_rules:
            return problems
        flagged = {p.field for p in problems}
        for problem in ref_field_problems(entity, self.relation_rules):
            # A ref the schema already rejected (wrong type, empty) is reported once.
            if not any(problem.field == f or problem.field.startswith(f + "[") for f in flagged):
                problems.append(problem)
        return problems


def builtin_kind_validators() -> list[KindValidator]:
    """Validators of Component, API, Resource, System, Domain, Group, User, Location, Template."""
    out: list[KindValidator] = []
    for kind, stem in BUILTIN_KIND_SCHEMAS:
        versions = TEMPLATE_API_VERSIONS if kind == "Template" else BACKSTAGE_API_VERSIONS
        rules = BUILTIN_RELATION_RULES.get(kind, ())
        out.append(SchemaKindValidator(kind, versions, kind_schema_validator(stem), rules))
    return out


class KindRegistry:
    """Kind validators and extra entity policies.

    Later registrations take precedence, so a plugin can replace a built-in
    validator for a given ``(apiVersion, kind)``.
    """

    def __init__(
        self, validators: Iterable[KindValidator] = (), policies: Iterable[EntityPolicy] = ()
    ) -> None:
        self._validators: list[KindValidator] = list(validators)
        self._policies: list[EntityPolicy] = list(policies)

    def register(self, validator: KindValidator) -> None:
        """Add a kind validator."""
        self._validators.append(validator)

    def add_policy(self, policy: EntityPolicy) -> None:
        """Add a policy run on every entity after kind validation."""
        self._policies.append(policy)

    @property
    def policies(self) -> tuple[EntityPolicy, ...]:
        """The registered policies, in registration order."""
        return tuple(self._policies)

    def find(self, api_version: str, kind: str) -> KindValidator | None:
        """The validator handling this apiVersion and kind, if any."""
        for validator in reversed(self._validators):
            if type(validator) is SchemaKindValidator:
                # SchemaKindValidator.supports, inlined: this runs for every entity.
                if kind == validator._kind and api_version in validator.api_versions:
                    return validator
            elif validator.supports(api_version, kind):
                return validator
        return None

    def known_kinds(self) -> set[str]:
        """Exact kind names that have at least one validator."""
        return {validator.kind for validator in self._validators}


def default_registry() -> KindRegistry:
    """A new registry with the built-in kinds and no extra policies."""
    return KindRegistry(builtin_kind_validators())
