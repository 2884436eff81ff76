"""Loading what an entity page shows, in one worker-thread call: the entity, its relations, stars, errors.

An entity that is not (or no longer) in the catalog may still have a refresh-state row with errors; the page
then shows those errors, so an owner learns why their entity never appeared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Engine

from greenroom.plugins.catalog.api.common import run
from greenroom.plugins.catalog.api.entities import by_ref, name_ref
from greenroom.plugins.catalog.pages import entity as view
from greenroom.plugins.catalog.pages import relations, stars
from greenroom.plugins.catalog.pages.common import entity_path, location_href, mapping
from greenroom.plugins.catalog.pages.importer import error_messages
from greenroom.services.identity import Identity


@dataclass
class LocationTarget:
    text: str
    href: str | None


@dataclass
class EntityPage:
    """Everything the entity template needs apart from the plugins' tabs and cards."""

    entity: dict[str, Any]
    ref: str
    href: str
    title: str
    about: view.About
    sections: list[relations.Section]
    problems: list[view.Problem]
    owner_viewing: bool
    starred: bool
    yaml: str
    targets: list[LocationTarget] = field(default_factory=list)
    orphan: bool = False
    dangling: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Missing:
    """An entity that is not in the catalog, with the errors that may explain why."""

    ref: str
    errors: list[str]
    source: str


def _targets(entity: Mapping[str, Any]) -> list[LocationTarget]:
    spec = mapping(entity.get("spec"))
    many = spec.get("targets")
    raw = [spec.get("target"), *(many if isinstance(many, list) else [])]
    kind = spec.get("type") if isinstance(spec.get("type"), str) else ""
    return [LocationTarget(t, location_href(f"{kind}:{t}") if kind == "url" else None)
            for t in raw if isinstance(t, str)]


def load(engine: Engine, kind: str, namespace: str, name: str, who: Identity | None,
         visible: dict[str, Any] | None = None) -> EntityPage | Missing:
    """The entity page's data, or what is known about an entity that is missing; related entities outside
    `visible` (the viewer's permission filter) are not looked up."""
    ref = name_ref(kind, namespace, name)
    with engine.connect() as conn:
        data = by_ref(conn, ref)
        if data is None:
            rows = run(conn, "SELECT errors, source_errors, location_key FROM catalog_refresh_state "
                             "WHERE entity_ref = ?", [ref])
    if data is None:
        found = rows[0] if rows else (None, None, None)
        return Missing(ref, error_messages(found[0], found[1]), str(found[2] or ""))
    entity: dict[str, Any] = orjson.loads(data)
    meta = entity.get("metadata") or {}
    extra: dict[str, list[str]] = {}
    if ref.startswith("location:"):
        extra["Emitted entities"] = relations.location_children(engine, ref)
    sections, views = relations.build_sections(engine, entity, extra, visible)
    facts = view.about(entity, views)
    annotations = mapping(meta.get("annotations"))
    return EntityPage(
        entity=entity, ref=ref, href=entity_path(str(entity.get("kind", kind)), str(meta.get("namespace") or
                                                                                    "default"), str(meta["name"])),
        title=str(meta.get("title") or meta.get("name")), about=facts, sections=sections,
        problems=view.problems(entity), owner_viewing=view.is_owner(who, facts.owners),
        starred=bool(who) and stars.is_starred(engine, who.user_ref if who else "", ref),
        yaml=view.raw_yaml(entity), targets=_targets(entity) if ref.startswith("location:") else [],
        orphan=annotations.get("backstage.io/orphan") == "true", dangling=relations.dangling(engine, entity))

