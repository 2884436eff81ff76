"""`greenroom search …`: rebuild the index from a shell."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click

from greenroom.cli import CONFIG_OPTION


def reindex(config_files: tuple[Path, ...], types: tuple[str, ...]) -> int:
    """Start the configured portal's plugins (no server, no jobs), reindex, stop; returns the failures."""
    from greenroom.cli import build_app, fail
    from greenroom.migrate import MigrationError, upgrade_all
    from greenroom.plugins.search.service import SEARCH_SERVICE
    from greenroom.registry import each, is_awaitable

    portal = build_app(config_files).state.portal
    if "search" not in portal.contexts:
        fail("the search plugin is not enabled in this configuration")
    order = [p.id for p in portal.plugins]
    args = {pid: {"ctx": ctx} for pid, ctx in portal.contexts.items()}
    pm = portal.core.plugin_manager
    try:
        upgrade_all(portal.core.database, portal.migrations)
        for _, result in each(pm, "startup", args, order):
            if is_awaitable(result):
                asyncio.run(result)
        service = portal.core.services.get(SEARCH_SERVICE)
        unknown = sorted(set(types) - set(service.types()))
        if unknown:
            fail(f"unknown document type {unknown[0]!r}; known: {', '.join(service.types()) or 'none'}")
        started = time.monotonic()
        results = service.indexer.full(types or None)
    except MigrationError as exc:
        fail(str(exc))
    finally:
        for _, result in each(pm, "shutdown", args, list(reversed(order))):
            if is_awaitable(result):
                asyncio.run(result)
        portal.core.database.dispose()
    for result in results:
        status = f"failed: {result.error}" if result.error else f"{result.written} written, {result.deleted} deleted"
        click.echo(f"{result.type}: {status} ({result.seconds:.1f}s)")
    click.echo(f"reindexed {len(results)} document types in {time.monotonic() - started:.1f}s", err=True)
    return sum(1 for r in results if r.error)


@click.group("search")
def search_group() -> None:
    """Work with the search index."""


@search_group.command("reindex")
@click.option("--type", "types", multiple=True, help="A document type to reindex; repeat for several. Default: all.")
@CONFIG_OPTION
def reindex_command(types: tuple[str, ...], config_files: tuple[Path, ...]) -> None:
    """Read every collator's documents again and rebuild the index from them."""
    if reindex(config_files, types):
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(search_group)
