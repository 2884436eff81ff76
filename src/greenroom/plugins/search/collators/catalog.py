"""The `software-catalog` collator: one document per catalog entity, in Backstage's document shape.

Incremental passes read only entities whose stitched form changed since the last pass, using the catalog's
published service (its change counter and change times); the checkpoint is `<generation>:<time>`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.search.model import Changes, Document

TYPE = "software-catalog"
# Stitching stamps rows with the time it writes them and commits a moment later; re-reading this far back catches
# a transaction that committed after a pass had already moved past its stamp. Unchanged documents are skipped by
# hash. Short, because every pass while the catalog is busy re-reads this window.
OVERLAP = 10.0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def location(kind: str, namespace: str, name: str) -> str:
    """The entity page of an entity: `/catalog/<namespace>/<kind>/<name>`, lower-cased as refs are."""
    return "/catalog/" + "/".join(quote(part.lower(), safe="") for part in (namespace, kind, name))


def entity_document(entity: Mapping[str, Any]) -> Document:
    """An entity as Backstage's catalog collator indexes it, plus `name` and `tags`."""
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    metadata = metadata if isinstance(metadata, Mapping) else {}
    spec = spec if isinstance(spec, Mapping) else {}
    kind = _str(entity.get("kind"))
    name = _str(metadata.get("name"))
    namespace = _str(metadata.get("namespace")) or "default"
    text = _str(metadata.get("description"))
    profile = spec.get("profile")
    if kind.lower() in ("user", "group") and isinstance(profile, Mapping):
        for key in ("displayName", "email"):
            if _str(profile.get(key)):
                text = f"{text} : {profile[key]}" if text else _str(profile[key])
    component_type = _str(spec.get("type")) or "other"
    tags = metadata.get("tags")
    return {
        "title": _str(metadata.get("title")) or name,
        "text": text,
        "location": location(kind, namespace, name),
        "name": name,
        "kind": kind,
        "namespace": namespace,
        "componentType": component_type,
        "type": component_type,
        "lifecycle": _str(spec.get("lifecycle")),
        "owner": _str(spec.get("owner")),
        "tags": [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        "authorization": {"resourceRef": f"{kind.lower()}:{namespace.lower()}/{name.lower()}"},
    }


def _ref_location(ref: str) -> str:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return location(kind, namespace, name)


class CatalogCollator:
    """Documents for every entity of the catalog; changes since a checkpoint for incremental passes."""

    type = TYPE
    visibility_permissions = ("catalog.entity.read",)  # each document is about the entity it names

    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog

    def documents(self) -> Iterator[Document]:
        for _, entity in self.catalog.entities_changed_since(0.0):
            yield entity_document(entity)

    def changes(self, checkpoint: str | None) -> Changes:
        """What changed since `checkpoint` (everything when it is None or unreadable)."""
        # Read the counter and the clock before the entities: a change made while reading moves the counter,
        # and the next pass re-reads from this time (less the overlap).
        current, now = self.catalog.generation(), time.time()
        try:
            seen, since = (checkpoint or "").split(":", 1)
            last_generation, last_time = int(seen), float(since)
        except ValueError:
            return Changes(self.documents(), f"{current}:{now}")
        if last_generation == current:
            return Changes((), checkpoint or "")
        changed = [entity_document(e) for _, e in self.catalog.entities_changed_since(max(0.0, last_time - OVERLAP))]
        keep = {_ref_location(ref) for ref in self.catalog.entity_refs()}
        return Changes(changed, f"{current}:{now}", keep=keep)
