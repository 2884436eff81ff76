"""The `techdocs` collator: one document per section of every published docs site, when TechDocs runs.

It lives here rather than in the TechDocs plugin so that TechDocs does not depend on search (as Backstage's
techdocs search module does). Incremental passes read only sites built since the last pass: the checkpoint is
the newest build time seen; full passes (on the collator's schedule) also drop pages that went away.
"""

from __future__ import annotations

from collections.abc import Iterator

from greenroom.plugins.search.model import Changes, Document
from greenroom.plugins.techdocs.search_documents import documents
from greenroom.plugins.techdocs.service import TechDocsService

TYPE = "techdocs"


class TechDocsCollator:
    """Documents of every built docs site; sites rebuilt since a checkpoint for incremental passes."""

    type = TYPE
    # A page is about its entity: seeing it takes reading both the entity and its docs, as the reader does.
    visibility_permissions = ("catalog.entity.read", "techdocs.entity.read")

    def __init__(self, techdocs: TechDocsService) -> None:
        self.techdocs = techdocs

    def documents(self) -> Iterator[Document]:
        return documents(self.techdocs)

    def changes(self, checkpoint: str | None) -> Changes:
        """Pages of the sites built after `checkpoint` (every page when it is None or unreadable)."""
        try:
            since: float | None = float(checkpoint) if checkpoint else None
        except ValueError:
            since = None
        newest: list[float] = []
        changed = list(documents(self.techdocs, built_after=since, newest=newest))
        return Changes(changed, str(newest[0] if newest else since or 0.0))
