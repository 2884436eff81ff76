"""A third-party plugin as tests use it: publishes docs-like `techdocs` documents through `search_collators`,
shaped as the TechDocs collator will shape them, plus a hostile one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from greenroom import PluginManifest, hookimpl
from greenroom.plugins.search.model import FunctionCollator

manifest = PluginManifest(id="docs-fixture", name="Docs fixture", version="1.0")

PAGES = [
    ("checkout", "Getting started", "index.html", "Install the checkout service and run it locally."),
    ("checkout", "Rollback procedure", "runbooks/rollback.html",
     "How to roll back a failed deployment of the payment pipeline."),
    ("checkout", "Architecture overview", "architecture.html",
     "The service talks to the ledger and the fraud detector over gRPC."),
    ("web-shop", "Caching headers", "caching.html", "Which responses the storefront caches, and for how long."),
    ("web-shop", "Incident <script>alert(1)</script> response", "incidents.html",
     "Pager rota and escalation. <img src=x onerror=alert(2)>"),
]

EXTRA: list[dict[str, Any]] = []  # tests append documents here to publish more


def documents() -> Iterator[dict[str, Any]]:
    """Documents in the TechDocs collator's shape."""
    for name, title, path, text in PAGES:
        yield {"title": title, "text": text, "location": f"/docs/default/component/{name}/{path}", "path": path,
               "kind": "component", "namespace": "default", "name": name, "entityTitle": name.title(),
               "componentType": "service", "lifecycle": "production", "owner": "team-a",
               "lastModified": "2026-01-01T00:00:00Z"}
    yield from EXTRA


@hookimpl
def search_collators() -> list[Any]:
    return [FunctionCollator("techdocs", documents)]
