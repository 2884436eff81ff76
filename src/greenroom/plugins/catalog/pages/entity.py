"""The entity page's content: header facts, the About card, errors, raw YAML and the plugins' tabs and cards.

Nothing here is marked safe except what plugins' slot renderers return (they are trusted code that builds its
own escaped HTML); every value from an entity reaches the template as plain text, and links only when
`safe_href` accepts them.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from markupsafe import Markup
from starlette.requests import Request

from greenroom.plugins.catalog.pages.common import RefView, location_href, mapping, ref_view, safe_href
from greenroom.services.identity import Identity
from greenroom.services.permissions import PermissionService
from greenroom.slots import Slots

log = logging.getLogger("greenroom.plugin.catalog.pages")

OVERVIEW = "overview"
SOURCE_LOCATION = "backstage.io/source-location"
VIEW_URL = "backstage.io/view-url"
EDIT_URL = "backstage.io/edit-url"


@dataclass(frozen=True)
class Link:
    """A link from `metadata.links` or an annotation; `href` is None when the URL is not safe to link."""

    title: str
    href: str | None
    raw: str


@dataclass
class About:
    """The About card's facts."""

    description: str = ""
    owners: list[RefView] = field(default_factory=list)
    system: RefView | None = None
    domain: RefView | None = None
    type: str = ""
    lifecycle: str = ""
    links: list[Link] = field(default_factory=list)
    source: Link | None = None
    view: Link | None = None
    edit: Link | None = None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def about(entity: Mapping[str, Any], views: Mapping[str, RefView]) -> About:
    """The About facts; relation targets come from `views` so missing ones are marked as such."""
    meta = entity.get("metadata") or {}
    spec = mapping(entity.get("spec"))
    facts = About(description=_text(meta.get("description")), type=_text(spec.get("type")),
                  lifecycle=_text(spec.get("lifecycle")))
    for relation in entity.get("relations") or ():
        target = str(relation.get("targetRef", "")).lower()
        view = views.get(target) or ref_view(target, exists=False)
        if view is None:
            continue
        if relation.get("type") == "ownedBy":
            facts.owners.append(view)
        elif relation.get("type") == "partOf" and view.kind == "system":
            facts.system = view
        elif relation.get("type") == "partOf" and view.kind == "domain":
            facts.domain = view
    for item in meta.get("links") or ():
        if isinstance(item, Mapping) and isinstance(item.get("url"), str):
            url = item["url"]
            facts.links.append(Link(_text(item.get("title")) or url, safe_href(url), url))
    annotations = mapping(meta.get("annotations"))
    source = annotations.get(SOURCE_LOCATION)
    if isinstance(source, str):
        facts.source = Link("View source", location_href(source), source)
    for key, title, attr in ((VIEW_URL, "View", "view"), (EDIT_URL, "Edit", "edit")):
        value = annotations.get(key)
        if isinstance(value, str):
            setattr(facts, attr, Link(title, safe_href(value), value))
    return facts


@dataclass(frozen=True)
class Problem:
    message: str


def problems(entity: Mapping[str, Any]) -> list[Problem]:
    """Processing errors the stitcher put in `status.items`."""
    status = mapping(entity.get("status"))
    items = (status.get("items") if isinstance(status.get("items"), list) else None) or []
    return [Problem(_text(i.get("message"))) for i in items if isinstance(i, Mapping) and i.get("level") == "error"]


def is_owner(identity: Identity | None, owners: Sequence[RefView]) -> bool:
    """Whether the viewer owns the entity, directly or through one of their groups."""
    if identity is None:
        return False
    mine = {r.lower() for r in identity.ownership_refs}
    return any(o.ref in mine for o in owners)


def raw_yaml(entity: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(entity), sort_keys=False, allow_unicode=True, default_flow_style=False)


@dataclass(frozen=True)
class TabLink:
    id: str
    title: str
    href: str
    current: bool


@dataclass(frozen=True)
class RenderedCard:
    id: str
    title: str
    area: str
    html: Markup


async def _render(renderer: Any, request: Request, entity: Mapping[str, Any], what: str) -> Markup:
    # A broken plugin tab must not take the whole entity page down; its place says so instead.
    try:
        result = renderer(request, entity)
        if inspect.isawaitable(result):
            result = await result
        # Slot renderers are trusted plugin code that returns HTML it escaped itself.
        return Markup(result)
    except Exception:
        log.exception("entity %s failed to render", what)
        return Markup('<p class="muted">This part of the page could not be shown; the server log says why.</p>')


def permitted(permissions: PermissionService, identity: Identity | None, name: str | None,
              entity: Mapping[str, Any]) -> bool:
    """Whether a slot's permission lets the viewer see it on this entity: a resource permission (such as
    `techdocs.entity.read`) is decided for the entity itself, so conditional policies apply per entity."""
    if name is None:
        return True
    declared = permissions.declared.get(name)
    if declared is not None and declared.resource_type == "catalog-entity":
        meta = entity.get("metadata") or {}
        ref = f"{entity.get('kind', '')}:{meta.get('namespace') or 'default'}/{meta.get('name', '')}".lower()
        return permissions.allowed_resource(identity, [name], ref)
    return permissions.allowed(identity, name)


async def slot_content(request: Request, entity: Mapping[str, Any], identity: Identity | None,
                       permissions: PermissionService, slots: Slots, base_href: str, tab: str
                       ) -> tuple[list[TabLink], Markup | None, list[RenderedCard], bool]:
    """Tab links (Overview first), the chosen tab's HTML (None on Overview), overview cards, tab found?"""
    tabs = [t for t in slots.entity_tabs if (t.applies is None or t.applies(entity))
            and permitted(permissions, identity, t.permission, entity) and t.id != OVERVIEW]
    chosen = next((t for t in tabs if t.id == tab), None)
    links = [TabLink(OVERVIEW, "Overview", base_href, chosen is None)]
    links += [TabLink(t.id, t.title, f"{base_href}?tab={t.id}", t is chosen) for t in tabs]
    if chosen is not None:
        return links, await _render(chosen.render, request, entity, f"tab {chosen.id}"), [], True
    cards = [RenderedCard(c.id, c.title, c.area if c.area in ("main", "side") else "main",
                          await _render(c.render, request, entity, f"card {c.id}"))
             for c in slots.entity_cards
             if (c.applies is None or c.applies(entity)) and permitted(permissions, identity, c.permission, entity)]
    return links, None, cards, tab in ("", OVERVIEW)
