"""Relations emitted from spec fields, as Backstage's ``BuiltinKindsEntityProcessor``.

Every ref in a relation field yields two relations: the forward one
(entity -> target) and the reverse one (target -> entity). Targets are parsed
with the field's default kind and the entity's own namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .refs import EntityRef, get_entity_ref, parse_entity_ref

RELATION_OWNED_BY = "ownedBy"
RELATION_OWNER_OF = "ownerOf"
RELATION_PROVIDES_API = "providesApi"
RELATION_API_PROVIDED_BY = "apiProvidedBy"
RELATION_CONSUMES_API = "consumesApi"
RELATION_API_CONSUMED_BY = "apiConsumedBy"
RELATION_DEPENDS_ON = "dependsOn"
RELATION_DEPENDENCY_OF = "dependencyOf"
RELATION_PARENT_OF = "parentOf"
RELATION_CHILD_OF = "childOf"
RELATION_MEMBER_OF = "memberOf"
RELATION_HAS_MEMBER = "hasMember"
RELATION_PART_OF = "partOf"
RELATION_HAS_PART = "hasPart"

TEMPLATE_API_VERSION = "scaffolder.backstage.io/v1beta3"


@dataclass(frozen=True, slots=True)
class Relation:
    """A directed relation ``source --type--> target``."""

    source: EntityRef
    type: str
    target: EntityRef


@dataclass(frozen=True, slots=True)
class RelationRule:
    """How one spec field turns into relations.

    ``default_kind`` of ``None`` means refs must carry their kind (``dependsOn``).
    ``api_versions`` of ``None`` means the rule applies to every apiVersion.
    """

    field: str
    default_kind: str | None
    forward: str
    reverse: str
    api_versions: frozenset[str] | None = None


def _owner() -> RelationRule:
    return RelationRule("owner", "Group", RELATION_OWNED_BY, RELATION_OWNER_OF)


def _system() -> RelationRule:
    return RelationRule("system", "System", RELATION_PART_OF, RELATION_HAS_PART)


# Keyed by the exact kind: Backstage compares ``entity.kind === 'Component'``.
# Field order follows the processor so relations come out in the same order.
BUILTIN_RELATION_RULES: Mapping[str, tuple[RelationRule, ...]] = {
    "Component": (
        _owner(),
        RelationRule("subcomponentOf", "Component", RELATION_PART_OF, RELATION_HAS_PART),
        RelationRule("providesApis", "API", RELATION_PROVIDES_API, RELATION_API_PROVIDED_BY),
        RelationRule("consumesApis", "API", RELATION_CONSUMES_API, RELATION_API_CONSUMED_BY),
        RelationRule("dependsOn", None, RELATION_DEPENDS_ON, RELATION_DEPENDENCY_OF),
        RelationRule("dependencyOf", None, RELATION_DEPENDENCY_OF, RELATION_DEPENDS_ON),
        _system(),
    ),
    "API": (_owner(), _system()),
    "Resource": (
        _owner(),
        RelationRule("dependsOn", None, RELATION_DEPENDS_ON, RELATION_DEPENDENCY_OF),
        RelationRule("dependencyOf", None, RELATION_DEPENDENCY_OF, RELATION_DEPENDS_ON),
        _system(),
    ),
    "System": (_owner(), RelationRule("domain", "Domain", RELATION_PART_OF, RELATION_HAS_PART)),
    "Domain": (_owner(), RelationRule("subdomainOf", "Domain", RELATION_PART_OF, RELATION_HAS_PART)),
    "User": (RelationRule("memberOf", "Group", RELATION_MEMBER_OF, RELATION_HAS_MEMBER),),
    "Group": (
        RelationRule("parent", "Group", RELATION_CHILD_OF, RELATION_PARENT_OF),
        RelationRule("children", "Group", RELATION_PARENT_OF, RELATION_CHILD_OF),
        RelationRule("members", "User", RELATION_HAS_MEMBER, RELATION_MEMBER_OF),
    ),
    # Emitted by the scaffolder's catalog module (ScaffolderEntitiesProcessor), only for v1beta3.
    "Template": (
        RelationRule(
            "owner", "Group", RELATION_OWNED_BY, RELATION_OWNER_OF, frozenset({TEMPLATE_API_VERSION})
        ),
    ),
}


def rules_for(
    entity: Mapping[str, Any], rules: Mapping[str, Iterable[RelationRule]] | None = None
) -> list[RelationRule]:
    """The relation rules that apply to this entity's kind and apiVersion."""
    table = BUILTIN_RELATION_RULES if rules is None else rules
    api_version = entity.get("apiVersion")
    return [
        rule
        for rule in table.get(str(entity.get("kind")), ())
        if rule.api_versions is None or api_version in rule.api_versions
    ]


def relation_targets(value: object) -> list[object]:
    """Normalise a relation field (missing, one ref, or a list) to a list.

    Mirrors ``[targets].flat()`` after an ``if (!targets) return`` guard: JS-falsy
    values (missing, ``null``, ``""``, ``0``, ``false``) produce no relations.
    """
    if value is None or (isinstance(value, str | bool | int | float) and not value):
        return []
    return list(value) if isinstance(value, list) else [value]


def compute_relations(
    entity: Mapping[str, Any],
    rules: Mapping[str, Iterable[RelationRule]] | None = None,
    *,
    unique: bool = False,
) -> list[Relation]:
    """Relations a validated entity emits, forward and reverse, in emission order.

    Raises ``InvalidEntityRefError`` for a ref Backstage could not parse (for
    example a ``dependsOn`` entry without a kind); validation reports those
    beforehand. With ``unique=True`` duplicates (same source, type, target,
    compared case-insensitively) are dropped, as the stitched entity has them.
    """
    self_ref = get_entity_ref(entity)
    spec = entity.get("spec")
    if not isinstance(spec, Mapping):
        return []
    out: list[Relation] = []
    seen: set[tuple[tuple[str, str, str], str, tuple[str, str, str]]] = set()
    for rule in rules_for(entity, rules):
        for raw in relation_targets(spec.get(rule.field)):
            target = parse_entity_ref(
                raw,  # type: ignore[arg-type]  # non-strings fail inside with Backstage's message
                default_kind=rule.default_kind,
                default_namespace=self_ref.namespace,
            )
            for rel in (Relation(self_ref, rule.forward, target), Relation(target, rule.reverse, self_ref)):
                if unique:  # the keys lower-case three strings each: only worth it when asked for
                    key = (rel.source.key, rel.type, rel.target.key)
                    if key in seen:
                        continue
                    seen.add(key)
                out.append(rel)
    return out
