"""Validation issue types shared by every validator in the catalog model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem found by one validator, before it is tied to an entity.

    Validators (envelope, kinds, plugin policies) only know the entity data they
    were given; the orchestrator adds the entity ref, source file and line.
    """

    field: str
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One validation error of one entity.

    ``field`` is a dotted path (``spec.owner``, ``metadata.tags[0]``,
    ``metadata.annotations.backstage.io/techdocs-ref``); ``rule`` is a stable
    machine-readable rule id; ``message`` is for humans and names the entity,
    the field and the rule.
    """

    entity_ref: str | None
    field: str
    rule: str
    message: str
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.message


def make_issue(
    problem: FieldProblem,
    entity_ref: str | None,
    source: str | None = None,
    line: int | None = None,
) -> ValidationIssue:
    """Turn a validator's ``FieldProblem`` into a full ``ValidationIssue``."""
    who = f'Entity "{entity_ref}"' if entity_ref else "Entity"
    where = ""
    if source is not None:
        where = f" in {source}" + (f":{line}" if line is not None else "")
    elif line is not None:
        where = f" at line {line}"
    message = f'{who}{where}: field "{problem.field}" failed rule "{problem.rule}": {problem.detail}'
    return ValidationIssue(
        entity_ref=entity_ref,
        field=problem.field,
        rule=problem.rule,
        message=message,
        source=source,
        line=line,
    )


def join_path(parent: str, key: str | int) -> str:
    """Extend a dotted field path with a mapping key or a list index."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key
