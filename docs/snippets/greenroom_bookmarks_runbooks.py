"""A second plugin that extends the bookmarks plugin through its `bookmark_sources` extension point."""

from __future__ import annotations

from greenroom import PluginManifest, hookimpl

manifest = PluginManifest(id="bookmarks-runbooks", name="Runbook bookmarks", version="1.0.0",
                          requires=("bookmarks",))  # set up after bookmarks; start-up fails without it


@hookimpl
def bookmark_sources() -> list[dict[str, str]]:
    return [{"title": "On-call runbook", "url": "https://runbooks.example.com/on-call"}]
