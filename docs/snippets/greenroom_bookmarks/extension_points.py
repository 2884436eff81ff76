"""Hooks the bookmarks plugin publishes, so that other plugins can extend it without touching its code."""

from __future__ import annotations

from greenroom import hookspec


@hookspec
def bookmark_sources() -> list[dict[str, str]]:
    """Return bookmarks to suggest beside the saved ones, as dicts with `title` and `url`."""
    raise NotImplementedError
