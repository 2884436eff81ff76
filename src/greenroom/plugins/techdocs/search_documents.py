"""Documents for the search feature: one per page section of every built site, in the shape of Backstage's
TechDocs collator (`plugins/search-backend-module-techdocs`), plus `lastModified`.

The text comes from each site's `search/search_index.json` (MkDocs' search plugin, which techdocs-core
enables), so sites built by the portal and sites published by CI are indexed alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from greenroom.plugins.techdocs.refs import Triplet
from greenroom.plugins.techdocs.service import TechDocsService

SEARCH_INDEX = "search/search_index.json"
MAX_TEXT = 20_000


def _owner(entity: Mapping[str, Any]) -> str:
    spec = entity.get("spec")
    return str(spec.get("owner") or "") if isinstance(spec, Mapping) else ""


def _spec(entity: Mapping[str, Any], key: str) -> str:
    spec = entity.get("spec")
    return str(spec.get(key) or "") if isinstance(spec, Mapping) else ""


def _location(base: str, path: str) -> str:
    page, _, anchor = path.partition("#")
    return base + quote(page) + (f"#{quote(anchor, safe='-_.~')}" if anchor else "")


def documents(service: TechDocsService, built_after: float | None = None,
              newest: list[float] | None = None) -> Iterator[dict[str, Any]]:
    """Yield one search document per indexed section of every documented entity's published site.

    With `built_after` (a build time in milliseconds), only sites built later are read; `newest`, when given,
    gets the latest build time seen appended, for the caller's next `built_after`."""
    latest = built_after or 0.0
    for entity in service.catalog.documented():
        triplet = Triplet.of(entity)
        meta = service.metadata(triplet)
        if meta is None:
            continue
        stamp = meta.get("build_timestamp")
        built = float(stamp) if isinstance(stamp, int | float) else 0.0
        latest = max(latest, built)
        if built_after is not None and built <= built_after:
            continue
        yield from _site_documents(service, entity, triplet, stamp)
    if newest is not None:
        newest.append(latest)


def _site_documents(service: TechDocsService, entity: Mapping[str, Any], triplet: Triplet,
                    stamp: Any) -> Iterator[dict[str, Any]]:
    raw = service.read_file(triplet, SEARCH_INDEX)
    try:
        index = json.loads(raw) if raw is not None else {}
    except ValueError:
        return
    docs = index.get("docs") if isinstance(index, dict) else None
    if not isinstance(docs, list):
        return
    modified = datetime.fromtimestamp(stamp / 1000, UTC).isoformat() if isinstance(stamp, int | float) else None
    metadata = entity.get("metadata") or {}
    for doc in docs:
        if not isinstance(doc, Mapping):
            continue
        path = str(doc.get("location") or "")
        if path.startswith(("/", "http:", "https:")) or ".." in path.split("/"):
            continue  # the index is input from the docs folder too: only locations inside the site
        yield {
            "title": str(doc.get("title") or ""),
            "text": str(doc.get("text") or "")[:MAX_TEXT],
            "location": _location(triplet.docs_href, path),
            "path": path,
            "kind": triplet.kind,
            "namespace": triplet.namespace,
            "name": triplet.name,
            "entityTitle": str(metadata.get("title") or triplet.name),
            "componentType": _spec(entity, "type"),
            "lifecycle": _spec(entity, "lifecycle"),
            "owner": _owner(entity),
            "lastModified": modified,
            "authorization": {"resourceRef": triplet.ref},
        }
