"""Named places in the UI that plugins fill: nav items, header widgets, home cards, entity tabs and cards.

Each slot entry carries the permission a viewer needs to see it; the shell hides entries the viewer may not use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

Entity = Mapping[str, Any]
EntityRenderer = Callable[[Request, Entity], "str | Awaitable[str]"]
EntityFilter = Callable[[Entity], bool]


@dataclass(frozen=True)
class NavItem:
    """A link in the sidebar. `icon` names an icon of the shell's icon set (see the docs)."""

    title: str
    href: str
    icon: str = "extension"
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class HeaderWidget:
    """A fragment in the page header, such as the search box; `template` is a Jinja template name."""

    id: str
    template: str
    order: int = 100


@dataclass(frozen=True)
class HomeCard:
    """A card on the home page; `template` is rendered with the page's context plus `card`."""

    id: str
    title: str
    template: str
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class EntityTab:
    """A tab on entity pages. `render` returns HTML; `applies` picks the entities that show it."""

    id: str
    title: str
    render: EntityRenderer
    applies: EntityFilter | None = None
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class EntityCard:
    """A card on an entity's overview; `area` is "main" or "side"."""

    id: str
    title: str
    render: EntityRenderer
    applies: EntityFilter | None = None
    area: str = "main"
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class Slots:
    """Everything the enabled plugins put into the UI, sorted by `order` then title."""

    nav: tuple[NavItem, ...] = ()
    header: tuple[HeaderWidget, ...] = ()
    home: tuple[HomeCard, ...] = ()
    entity_tabs: tuple[EntityTab, ...] = ()
    entity_cards: tuple[EntityCard, ...] = ()
