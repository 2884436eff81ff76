"""Entity validation entry points: envelope + kind + plugin policies, all issues collected."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .envelope import INPUT_ROOT_FIELDS, validate_envelope
from .formats import Validators
from .issues import FieldProblem, ValidationIssue, make_issue
from .kinds import KindRegistry, default_registry
from .refs import DEFAULT_NAMESPACE, stringify_entity_ref


class EntityValidationError(ValueError):
    """Raised by ``ensure_valid_entity``; carries every issue found."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


def describe_entity_ref(entity: object) -> str | None:
    """Best-effort ``kind:namespace/name`` of possibly invalid data, for messages."""
    if not isinstance(entity, Mapping):
        return None
    kind, meta = entity.get("kind"), entity.get("metadata")
    if not isinstance(kind, str) or not kind or not isinstance(meta, Mapping):
        return None
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        return None
    ns = namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
    return stringify_entity_ref({"kind": kind, "namespace": ns, "name": name})


def line_for(field: str, positions: Mapping[str, int] | None, default: int | None) -> int | None:
    """Line of ``field``, else of its nearest ancestor found in ``positions``."""
    if not positions:
        return default
    path = field
    while path:
        if path in positions:
            return positions[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return default


def kind_problems(
    entity: Mapping[str, Any],
    registry: KindRegistry,
    require_known_kind: bool = False,
    report_unrecognized: bool = True,
) -> list[FieldProblem]:
    """Problems from the kind validator (if any) and the registry's policies."""
    api_version, kind = entity.get("apiVersion"), entity.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    out: list[FieldProblem] = []
    validator = registry.find(api_version, kind)
    if validator is not None:
        out += validator.validate(entity)
    else:
        # Backstage rejects an entity no processor recognizes; a built-in kind
        # with a foreign apiVersion or a different casing is such an entity.
        known = {k.lower(): k for k in registry.known_kinds()}
        match = known.get(kind.lower())
        if report_unrecognized and (match is not None or require_known_kind):
            hint = ""
            if match == kind:
                hint = f"; apiVersion {api_version} is not supported for kind {kind}"
            elif match is not None:
                hint = f"; kinds are case-sensitive, did you mean {match}?"
            out.append(
                FieldProblem(
                    "kind",
                    "kind.unrecognized",
                    "No processor recognized the entity as valid, "
                    f"possibly caused by a foreign kind or apiVersion{hint}",
                )
            )
    for policy in registry.policies:
        out += list(policy(entity))
    return out


def validate_entity(
    entity: object,
    *,
    registry: KindRegistry | None = None,
    validators: Validators | None = None,
    source: str | None = None,
    line: int | None = None,
    positions: Mapping[str, int] | None = None,
    root_fields: Iterable[str] = INPUT_ROOT_FIELDS,
    require_known_kind: bool = False,
) -> list[ValidationIssue]:
    """Validate one entity and return every issue (empty list when valid).

    ``source``/``line`` locate the document; ``positions`` (from the YAML
    loader) maps field paths to lines so each issue gets its own line.
    Unknown kinds pass unless ``require_known_kind``; a kind known with other
    casing or another apiVersion fails, as in Backstage.
    """
    if not isinstance(entity, Mapping):
        problem = FieldProblem(
            "<root>", "schema.type", f"Expected object at root, got {type(entity).__name__}"
        )
        return [make_issue(problem, None, source, line)]
    problems = validate_envelope(entity, validators, root_fields)
    # An invalid apiVersion or kind is already reported; "not recognized" would only repeat it.
    identity_ok = not any(p.field in ("apiVersion", "kind") for p in problems)
    problems += kind_problems(entity, registry or _default_registry(), require_known_kind, identity_ok)
    if not problems:
        return []
    ref = describe_entity_ref(entity)
    return [make_issue(p, ref, source, line_for(p.field, positions, line)) for p in problems]


def ensure_valid_entity(entity: object, **kwargs: Any) -> Mapping[str, Any]:
    """Return ``entity`` if valid, else raise ``EntityValidationError`` with all issues."""
    issues = validate_entity(entity, **kwargs)
    if issues:
        raise EntityValidationError(issues)
    assert isinstance(entity, Mapping)
    return entity


def with_default_namespace(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy with ``metadata.namespace`` set to ``default`` when missing.

    This is Backstage's ``DefaultNamespaceEntityPolicy``.
    """
    out = copy.deepcopy(dict(entity))
    meta = out.get("metadata")
    if isinstance(meta, dict) and not meta.get("namespace"):
        meta["namespace"] = DEFAULT_NAMESPACE
    return out


_REGISTRY: KindRegistry | None = None


def _default_registry() -> KindRegistry:
    # Built once: compiling the kind schemas is the expensive part.
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = default_registry()
    return _REGISTRY
