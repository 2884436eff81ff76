"""The relation sections of an entity page, per kind, with every target looked up once to tell which exist.

Relations are grouped into titled sections (a System's parts split into components, APIs and resources, a
Group's members, children and owned entities, ...). All targets shown are fetched in one `by_refs` call, so a
target that is not in the catalog is shown as plain text with a hint instead of a link that would 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import Engine

from greenroom.plugins.catalog.api.common import run
from greenroom.plugins.catalog.api.entities import by_refs
from greenroom.plugins.catalog.api.fields import projector
from greenroom.plugins.catalog.pages.common import RefView, ref_view

MAX_PER_SECTION = 100  # a Group can own thousands; the section links to the filtered index for the rest
LOOKUP_FIELDS = ["kind", "metadata.name", "metadata.namespace", "metadata.title", "metadata.description"]


@dataclass(frozen=True)
class SectionSpec:
    """A titled section: the targets of one relation type, optionally only those of one kind."""

    title: str
    relation: str
    kind: str | None = None


_COMPONENT = (SectionSpec("Subcomponents", "hasPart", "component"), SectionSpec("Provided APIs", "providesApi"),
              SectionSpec("Consumed APIs", "consumesApi"), SectionSpec("Depends on", "dependsOn"),
              SectionSpec("Dependency of", "dependencyOf"))
SECTIONS: dict[str, tuple[SectionSpec, ...]] = {
    "component": _COMPONENT,
    "api": (SectionSpec("Provided by", "apiProvidedBy"), SectionSpec("Consumed by", "apiConsumedBy")),
    "resource": (SectionSpec("Depends on", "dependsOn"), SectionSpec("Dependency of", "dependencyOf")),
    "system": (SectionSpec("Components", "hasPart", "component"), SectionSpec("APIs", "hasPart", "api"),
               SectionSpec("Resources", "hasPart", "resource")),
    "domain": (SectionSpec("Systems", "hasPart", "system"), SectionSpec("Subdomains", "hasPart", "domain")),
    "group": (SectionSpec("Parent group", "childOf"), SectionSpec("Child groups", "parentOf"),
              SectionSpec("Members", "hasMember"), SectionSpec("Owned entities", "ownerOf")),
    "user": (SectionSpec("Groups", "memberOf"), SectionSpec("Owned entities", "ownerOf")),
}
# Shown in the About card instead of a section of their own.
ABOUT_RELATIONS = {"ownedBy", "partOf"}
OTHER_TITLES = {"hasPart": "Has parts", "partOf": "Part of", "ownerOf": "Owned entities",
                "providesApi": "Provided APIs", "consumesApi": "Consumed APIs", "dependsOn": "Depends on",
                "dependencyOf": "Dependency of", "apiProvidedBy": "Provided by", "apiConsumedBy": "Consumed by",
                "memberOf": "Member of", "hasMember": "Members", "parentOf": "Child groups", "childOf": "Parent"}


@dataclass
class Section:
    """A section as the template draws it."""

    title: str
    items: list[RefView] = field(default_factory=list)
    more: int = 0
    more_href: str | None = None
    hidden: int = 0  # entities of this section the viewer may not read: counted, never shown


def relation_targets(entity: Mapping[str, Any]) -> dict[str, list[str]]:
    """Target refs by relation type, in the stored (sorted) order."""
    out: dict[str, list[str]] = {}
    for relation in entity.get("relations") or ():
        if isinstance(relation, Mapping) and isinstance(relation.get("targetRef"), str):
            out.setdefault(str(relation.get("type")), []).append(relation["targetRef"])
    return out


def _kind_of(ref: str) -> str:
    return ref.partition(":")[0].lower() if ":" in ref else ""


def plan(entity: Mapping[str, Any], extra: Mapping[str, list[str]] | None = None) -> list[tuple[str, list[str]]]:
    """(title, target refs) for each non-empty section of this entity's kind, then any other relations."""
    targets = relation_targets(entity)
    kind = str(entity.get("kind", "")).lower()
    used: set[tuple[str, str | None]] = set()
    out: list[tuple[str, list[str]]] = []
    for spec in SECTIONS.get(kind, ()):
        refs = [r for r in targets.get(spec.relation, []) if spec.kind is None or _kind_of(r) == spec.kind]
        used.add((spec.relation, spec.kind))
        if refs:
            out.append((spec.title, refs))
    covered = {relation for relation, kind_filter in used if kind_filter is None}
    for relation, refs in targets.items():
        if relation in ABOUT_RELATIONS or relation in covered:
            continue
        left = [r for r in refs if (relation, _kind_of(r)) not in used]
        if left:
            out.append((OTHER_TITLES.get(relation, relation), left))
    for title, refs in (extra or {}).items():
        if refs:
            out.append((title, refs))
    return out


def lookup(engine: Engine, refs: list[str], visible: dict[str, Any] | None = None) -> dict[str, Mapping[str, Any]]:
    """The catalog's entities (a few fields each) for the refs that exist (and match `visible`, the viewer's
    permission filter), by stored ref."""
    unique = list(dict.fromkeys(refs))
    if not unique:
        return {}
    body = orjson.loads(by_refs(engine, unique, visible, projector(LOOKUP_FIELDS)))
    found: dict[str, Mapping[str, Any]] = {}
    for ref, item in zip(unique, body["items"], strict=True):
        if item is not None:
            found[ref.lower()] = item
    return found


# Relations an entity declares itself; their reverse ones come from entities that exist, so cannot dangle.
DECLARED_RELATIONS = ("ownedBy", "partOf", "dependsOn", "providesApi", "consumesApi", "memberOf", "childOf",
                      "parentOf", "hasMember")
MAX_DANGLING_CHECKS = 2000


def dangling(engine: Engine, entity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(relation type, target ref) for the declared relations whose target is not in the catalog."""
    targets = relation_targets(entity)
    pairs = [(rel, ref) for rel in DECLARED_RELATIONS for ref in targets.get(rel, [])][:MAX_DANGLING_CHECKS]
    found = lookup(engine, [ref for _, ref in pairs])
    return [(rel, ref) for rel, ref in pairs if ref.lower() not in found]


def build_sections(engine: Engine, entity: Mapping[str, Any], extra: Mapping[str, list[str]] | None = None,
                   visible: dict[str, Any] | None = None) -> tuple[list[Section], dict[str, RefView]]:
    """The entity's relation sections, and every ref shown (About card ones too) as a `RefView` by ref. Entities
    the viewer may not read (outside `visible`) are left out of the sections and only counted; the About card
    shows them as the bare refs the entity itself names, without their titles or links."""
    planned = plan(entity, extra)
    about = [r for rel in ABOUT_RELATIONS for r in relation_targets(entity).get(rel, [])]
    shown = [r for _, refs in planned for r in refs[:MAX_PER_SECTION]] + about
    found = lookup(engine, shown, visible)
    # Which of the rest exist at all: a target missing from the catalog is still shown, as before, with a hint.
    hidden = set(lookup(engine, [r for r in shown if r.lower() not in found])) if visible is not None else set()
    views: dict[str, RefView] = {}
    for ref in shown:
        view = ref_view(ref, exists=ref.lower() in found, entity=found.get(ref.lower()))
        if view is not None:
            views[ref.lower()] = view
    sections: list[Section] = []
    own_ref = ref_view(f"{entity.get('kind')}:{(entity.get('metadata') or {}).get('namespace') or 'default'}/"
                       f"{(entity.get('metadata') or {}).get('name')}")
    for title, refs in planned:
        first = refs[:MAX_PER_SECTION]
        section = Section(title, [views[r.lower()] for r in first if r.lower() in views and r.lower() not in hidden])
        section.hidden = sum(1 for r in first if r.lower() in hidden)
        section.more = max(0, len(refs) - MAX_PER_SECTION)
        if section.more and title == "Owned entities" and own_ref is not None:
            section.more_href = "/catalog?" + urlencode({"owner": own_ref.ref})
        sections.append(section)
    return sections, views


def location_children(engine: Engine, ref: str) -> list[str]:
    """The entities a Location emitted (what processing recorded as its references)."""
    with engine.connect() as conn:
        rows = run(conn, "SELECT target_entity_ref FROM catalog_references WHERE source_entity_ref = ? "
                         f"ORDER BY target_entity_ref LIMIT {MAX_PER_SECTION + 1000}", [ref])
    return [str(r[0]) for r in rows]
