"""Bookmarks: the example plugin of Greenroom's "Writing a plugin" guide. It implements every core hook.

The docs include this file section by section, and `tests/docs/` runs it, so every snippet in the guide works.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import click
import yaml
from fastapi import APIRouter, Header, HTTPException, Request
from markupsafe import escape
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, delete, func, insert, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from greenroom import (
    EntityCard,
    EntityTab,
    HeaderWidget,
    HealthCheck,
    HomeCard,
    NavItem,
    Permission,
    PluginContext,
    PluginManifest,
    ScheduledJob,
    ServiceRef,
    StrictModel,
    hookimpl,
    secret,
)
from greenroom_bookmarks import extension_points

# --8<-- [end:imports]


# --8<-- [start:config]
class Config(StrictModel):
    """The `bookmarks:` section of app-config.yaml."""

    title: str = Field("Bookmarks", min_length=1, max_length=80)
    keep: int = Field(500, ge=1, description="How many bookmarks the prune job keeps.")
    pruneIntervalSeconds: float = Field(3600.0, gt=0)
    writeToken: str | None = secret(default=None, description="When set, adding needs this token.")


def settings(ctx: PluginContext) -> Config:
    """The validated config of this plugin (`ctx.config` is an instance of `manifest.config_model`)."""
    assert isinstance(ctx.config, Config)
    return ctx.config
# --8<-- [end:config]


# --8<-- [start:manifest]
manifest = PluginManifest(
    id="bookmarks",                  # config key, URL prefix /api/bookmarks, table prefix bookmarks_
    name="Bookmarks",
    version="1.0.0",
    description="Links the team keeps at hand, also per catalog entity.",
    config_model=Config,             # validates the `bookmarks:` section; None means "takes no config"
    hookspecs=extension_points,      # hooks this plugin publishes for other plugins
    homepage="https://example.com/greenroom-plugin-bookmarks",
)
# --8<-- [end:manifest]


# --8<-- [start:store]
metadata = MetaData()
items = Table(
    "bookmarks_items", metadata,     # every table name starts with the plugin id
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("entity_ref", String(300), nullable=True),
    Column("created_at", Float, nullable=False),
)


class NewBookmark(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https?://", max_length=2000)
    entityRef: str | None = None


class BookmarkStore:
    """The plugin's data access; published to other plugins as the `BOOKMARKS` service."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recent(self, entity_ref: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        query = select(items.c.title, items.c.url, items.c.entity_ref).order_by(items.c.id.desc()).limit(limit)
        if entity_ref is not None:
            query = query.where(items.c.entity_ref == entity_ref)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def add(self, new: NewBookmark) -> dict[str, Any]:
        row = {"title": new.title, "url": new.url, "entity_ref": new.entityRef, "created_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(insert(items).values(**row))
        return {"title": new.title, "url": new.url, "entity_ref": new.entityRef}

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(items)).scalar_one())

    def prune(self, keep: int) -> int:
        """Delete all but the newest `keep` bookmarks; returns how many went."""
        newest = select(items.c.id).order_by(items.c.id.desc()).limit(keep).scalar_subquery()
        with self.engine.begin() as conn:
            return conn.execute(delete(items).where(items.c.id.not_in(newest))).rowcount


BOOKMARKS: ServiceRef[BookmarkStore] = ServiceRef("bookmarks.store")


def store(ctx: PluginContext) -> BookmarkStore:
    return BookmarkStore(ctx.database.engine)
# --8<-- [end:store]


# --8<-- [start:suggestions]
def suggestions(ctx: PluginContext) -> list[dict[str, str]]:
    """What other plugins add through the `bookmark_sources` extension point, cached for a minute."""
    cached = ctx.cache.get("suggestions")
    if cached is None:
        cached = [item for found in ctx.hook.bookmark_sources() for item in found or []]
        ctx.cache.set("suggestions", cached, ttl=60)
    return list(cached)
# --8<-- [end:suggestions]


def entity_ref(entity: Any) -> str:
    meta = entity.get("metadata", {})
    return f"{entity.get('kind', '')}:{meta.get('namespace', 'default')}/{meta.get('name', '')}".lower()


# --8<-- [start:register_routes]
@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    router = APIRouter(tags=["bookmarks"])
    bookmarks = store(ctx)

    @router.get("/items")                       # GET /api/bookmarks/items
    def list_items(entity: str | None = None) -> dict[str, Any]:
        """Saved bookmarks (optionally of one entity) and suggestions from other plugins."""
        return {"items": bookmarks.recent(entity), "suggested": suggestions(ctx)}

    @router.post("/items", status_code=201)     # POST /api/bookmarks/items
    async def add_item(new: NewBookmark, request: Request,
                       x_bookmarks_token: str | None = Header(None)) -> dict[str, Any]:
        """Save a bookmark."""
        who = await ctx.identity.identify(request)
        if not ctx.permissions.allowed(who, "bookmarks.bookmark.create"):
            raise HTTPException(403, "you may not add bookmarks")
        token = settings(ctx).writeToken
        if token is not None and x_bookmarks_token != token:
            raise HTTPException(401, "a valid X-Bookmarks-Token header is required")
        return await run_in_threadpool(bookmarks.add, new)   # keep blocking I/O off the event loop

    return router
# --8<-- [end:register_routes]


# --8<-- [start:register_pages]
@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    bookmarks = store(ctx)

    @router.get("/bookmarks")
    async def page(request: Request) -> Response:
        saved = await run_in_threadpool(bookmarks.recent)
        return await ctx.templates.render(request, "bookmarks/page.html", {
            "title": settings(ctx).title, "items": saved, "suggested": suggestions(ctx),
        })

    return router
# --8<-- [end:register_pages]


# --8<-- [start:nav_items]
@hookimpl
def nav_items(ctx: PluginContext) -> list[NavItem]:
    return [NavItem(settings(ctx).title, "/bookmarks", icon="star", order=60,
                    permission="bookmarks.bookmark.read")]
# --8<-- [end:nav_items]


# --8<-- [start:header_widgets]
@hookimpl
def header_widgets() -> list[HeaderWidget]:
    return [HeaderWidget("bookmarks-link", "bookmarks/widget.html", order=200)]
# --8<-- [end:header_widgets]


# --8<-- [start:home_cards]
@hookimpl
def home_cards() -> list[HomeCard]:
    return [HomeCard("bookmarks", "Team bookmarks", "bookmarks/card.html",
                     permission="bookmarks.bookmark.read")]
# --8<-- [end:home_cards]


# --8<-- [start:entity_tabs]
@hookimpl
def entity_tabs(ctx: PluginContext) -> list[EntityTab]:
    bookmarks = store(ctx)

    async def render(request: Request, entity: Any) -> str:
        saved = await asyncio.to_thread(bookmarks.recent, entity_ref(entity))
        rows = "".join(f'<li><a href="{escape(b["url"])}">{escape(b["title"])}</a></li>' for b in saved)
        return f"<ul>{rows}</ul>" if rows else "<p>No bookmarks yet.</p>"

    return [EntityTab("bookmarks", "Bookmarks", render,
                      applies=lambda entity: entity.get("kind") in ("Component", "System"))]
# --8<-- [end:entity_tabs]


# --8<-- [start:entity_cards]
@hookimpl
def entity_cards(ctx: PluginContext) -> list[EntityCard]:
    bookmarks = store(ctx)

    def render(request: Request, entity: Any) -> str:     # a plain function works too
        count = len(bookmarks.recent(entity_ref(entity)))
        return f'<p><a href="/bookmarks">{count} bookmark{"" if count == 1 else "s"}</a></p>'

    return [EntityCard("bookmarks", "Bookmarks", render, area="side")]
# --8<-- [end:entity_cards]


# --8<-- [start:migrations]
@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"
# --8<-- [end:migrations]


# --8<-- [start:scheduled_jobs]
@hookimpl
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob]:
    config = settings(ctx)

    def prune() -> None:                  # a plain function runs in a worker thread
        removed = store(ctx).prune(config.keep)
        ctx.logger.info("pruned bookmarks", extra={"removed": removed})

    # Runs as "bookmarks.prune", once per interval across all replicas (scope="local" runs it on each).
    return [ScheduledJob("prune", prune, interval=config.pruneIntervalSeconds, initial_delay=60)]
# --8<-- [end:scheduled_jobs]


# --8<-- [start:health_checks]
@hookimpl
def health_checks(ctx: PluginContext) -> list[HealthCheck]:
    bookmarks = store(ctx)

    async def table_readable() -> bool:
        await asyncio.to_thread(bookmarks.count)     # raises when the table is missing
        return True

    return [HealthCheck("table", table_readable)]    # reported as "bookmarks.table" when it fails
# --8<-- [end:health_checks]


# --8<-- [start:permissions]
@hookimpl
def permissions() -> list[Permission]:
    return [
        Permission("bookmarks.bookmark.read", description="See bookmarks"),
        Permission("bookmarks.bookmark.create", action="create", description="Add bookmarks"),
    ]
# --8<-- [end:permissions]


# --8<-- [start:register_commands]
@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.group("bookmarks")
    def bookmarks_group() -> None:
        """Tools of the bookmarks plugin."""

    @bookmarks_group.command("check")
    @click.argument("file", type=click.File("r"))
    def check(file: Any) -> None:
        """Check a YAML list of bookmarks (title, url) before importing it."""
        problems = 0
        for number, entry in enumerate(yaml.safe_load(file) or [], start=1):
            try:
                NewBookmark.model_validate(entry)
            except ValidationError as err:
                problems += 1
                click.echo(f"entry {number}: {err.errors()[0]['msg']}", err=True)
        if problems:
            raise click.exceptions.Exit(1)
        click.echo("all bookmarks are valid")
# --8<-- [end:register_commands]


# --8<-- [start:startup]
@hookimpl
async def startup(ctx: PluginContext) -> None:
    bookmarks = store(ctx)
    ctx.provide(BOOKMARKS, bookmarks)             # other plugins: ctx.services.get(BOOKMARKS)
    count = await asyncio.to_thread(bookmarks.count)
    ctx.logger.info("bookmarks ready", extra={"count": count})
# --8<-- [end:startup]


# --8<-- [start:shutdown]
@hookimpl
def shutdown(ctx: PluginContext) -> None:
    ctx.cache.clear()
    ctx.logger.info("bookmarks stopped")
# --8<-- [end:shutdown]
