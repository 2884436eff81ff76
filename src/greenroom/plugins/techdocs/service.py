"""TechDocs' published API (TECHDOCS_SERVICE): build state, background builds, and reading published sites.

A processing pass (the `techdocs.build` job) walks the documented entities, viewers' requests first; for each
one that is due it copies the docs folder, hashes it and rebuilds only when the hash differs from the published
site's `etag`. A failed build records its error and log and leaves the published site alone.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from greenroom import ServiceRef
from greenroom.plugins.techdocs import generator, refs
from greenroom.plugins.techdocs.catalog_client import CatalogClient, Entity
from greenroom.plugins.techdocs.config import TechDocsConfig
from greenroom.plugins.techdocs.publishers import Publisher, PublishError
from greenroom.plugins.techdocs.reader import DocPage, read_page
from greenroom.plugins.techdocs.refs import SourceError, Triplet
from greenroom.plugins.techdocs.sanitize import LinkRewriter
from greenroom.plugins.techdocs.sources import GitTreeReader, fingerprint, prepare
from greenroom.plugins.techdocs.store import BuildState, BuildStore

ASSETS_PREFIX = "/api/techdocs/static/docs/"
_METADATA_TTL = 2.0
_PAGE_CACHE = 512
RETRY_FAILED_SECONDS = 600.0
VIEW_RECHECK_SECONDS = 10.0


class TechDocsService:
    """Everything TechDocs does, for its routes, its CLI and other plugins (such as search)."""

    def __init__(self, config: TechDocsConfig, publisher: Publisher, store: BuildStore, catalog: CatalogClient,
                 git: Callable[[], GitTreeReader | None], read_url: Callable[[str], bytes],
                 trigger: Callable[[], None] = lambda: None, logger: logging.Logger | None = None) -> None:
        self.config = config
        self.publisher = publisher
        self.store = store
        self.catalog = catalog
        self.git = git
        self.read_url = read_url
        self.trigger = trigger
        self.log = logger or logging.getLogger("greenroom.plugin.techdocs")
        self._metadata: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._pages: OrderedDict[tuple[str, str, str], DocPage | None] = OrderedDict()
        self._lock = threading.Lock()
        self._pass_lock = threading.Lock()
        # Per entity: the on-disk signature and the revision it had, to skip re-hashing untouched folders.
        self._fingerprints: dict[str, tuple[str, str]] = {}

    # -- reading published sites ---------------------------------------------------------------------

    def storage(self, triplet: Triplet) -> str:
        return triplet.storage_path(self.config.legacyUseCaseSensitiveTripletPaths)

    def metadata(self, triplet: Triplet) -> dict[str, Any] | None:
        """The published site's techdocs_metadata.json (cached for two seconds), or None."""
        key = self.storage(triplet)
        now = time.monotonic()
        cached = self._metadata.get(key)
        if cached and now - cached[0] < _METADATA_TTL:
            return cached[1]
        try:
            value = self.publisher.metadata(triplet)
        except PublishError as exc:
            self.log.warning("cannot read docs metadata: %s", exc)
            value = None
        self._metadata[key] = (now, value)
        return value

    def read_file(self, triplet: Triplet, path: str) -> bytes | None:
        """A file of the published site, or None."""
        try:
            return self.publisher.read(triplet, path)
        except PublishError as exc:
            self.log.warning("cannot read docs file: %s", exc)
            return None

    def page(self, triplet: Triplet, path: str) -> DocPage | None:
        """The page at `path` (a folder URL inside the site, `""` for the home page), cached per site version."""
        meta = self.metadata(triplet)
        if meta is None:
            return None
        key = (self.storage(triplet), path, str(meta.get("etag")) + str(meta.get("build_timestamp")))
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        file = path + "index.html" if path == "" or path.endswith("/") else path
        data = self.read_file(triplet, file)
        page_dir = file.rpartition("/")[0]
        rewriter = LinkRewriter(triplet.docs_href, ASSETS_PREFIX + self.storage(triplet) + "/",
                                page_dir + "/" if page_dir else "")
        page = read_page(data, rewriter) if data is not None else None
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > _PAGE_CACHE:
                self._pages.popitem(last=False)
        return page

    def state(self, triplet: Triplet) -> BuildState | None:
        return self.store.get(triplet.ref)

    # -- building ------------------------------------------------------------------------------------

    def request(self, triplet: Triplet) -> None:
        """Ask for the docs to be checked (and built if stale) in the next pass, which starts now."""
        if self.config.builder != "local":
            return
        state = self.store.get(triplet.ref)
        if state is not None and (state.requested_at is not None or state.status == "building"):
            return  # already on its way
        if state is not None and state.checked_at and time.time() - state.checked_at < VIEW_RECHECK_SECONDS:
            return  # checked moments ago: page views do not each cost a pass
        self.store.request(triplet.ref)
        self.trigger()

    def due(self, now: float | None = None) -> list[Entity]:
        """Documented entities to check in this pass: requested first, then never checked, then stale."""
        now = time.time() if now is None else now
        entities = {Triplet.of(e).ref: e for e in self.catalog.documented()}
        states = self.store.get_many(entities)
        ranked: list[tuple[float, Entity]] = []
        for ref, entity in entities.items():
            state = states.get(ref)
            if state is None or state.checked_at is None:
                ranked.append((1.0 + (state.requested_at or now) / 1e12 if state else 2.0, entity))
            elif state.requested_at is not None:
                ranked.append((state.requested_at / 1e12, entity))
            elif now - state.checked_at >= self.config.recheckSeconds:
                ranked.append((3.0 + state.checked_at / 1e12, entity))
        return [e for _, e in sorted(ranked, key=lambda item: item[0])]

    def run_pass(self, max_seconds: float = 60.0) -> int:
        """One processing pass: check due entities until time runs out; returns how many sites were built."""
        if self.config.builder != "local":
            return 0
        built = 0
        deadline = time.monotonic() + max_seconds
        with self._pass_lock:
            for entity in self.due():
                if time.monotonic() > deadline:
                    break
                built += self.check(entity) == "built"
        return built

    def check(self, entity: Entity) -> str:
        """Check one entity's docs and rebuild them when stale: `unchanged`, `built` or `error`."""
        triplet = Triplet.of(entity)
        work = Path(tempfile.mkdtemp(prefix="greenroom-techdocs-", dir=self.config.workDirectory))
        revision: str | None = None
        try:
            source = refs.resolve_source(entity)
            quick = fingerprint(source, self.config.limits)
            known = self._fingerprints.get(triplet.ref)
            if quick is not None and known is not None and known[0] == quick:
                meta = self.metadata(triplet)
                if meta is not None and meta.get("etag") == known[1]:
                    self.store.checked(triplet.ref, known[1])
                    return "unchanged"
            prepared = prepare(source, work / "src", self.config.limits, self.git(), self._read)
            revision = prepared.revision
            if quick is not None:
                self._fingerprints[triplet.ref] = (quick, revision)
            meta = self.metadata(triplet)
            state = self.store.get(triplet.ref)
            if (state is not None and state.status == "error" and state.revision == revision
                    and time.time() - (state.finished_at or 0) < RETRY_FAILED_SECONDS):
                # The same broken source fails the same way; only a transient failure is worth a later retry.
                self.store.still_failing(triplet.ref)
                return "error"
            if meta is not None and meta.get("etag") == revision:
                self.store.checked(triplet.ref, revision)
                return "unchanged"
            self.store.building(triplet.ref, revision)
            result = generator.generate(prepared.folder, work / "site", self.config.limits, revision,
                                        omit_core=self.config.generator.mkdocs.omitTechdocsCorePlugin)
            self.publisher.publish(triplet, result.site)
            self._metadata.pop(self.storage(triplet), None)
            self.store.succeeded(triplet.ref, revision, result.log)
            self.log.info("built docs of %s", triplet.ref)
            return "built"
        except (SourceError, generator.BuildError, PublishError) as exc:
            log = getattr(exc, "log", "")
            self.store.failed(triplet.ref, revision, str(exc), log)
            self.log.warning("docs of %s failed: %s", triplet.ref, exc)
            return "error"
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _read(self, url: str) -> bytes:
        try:
            return self.read_url(url)
        except Exception as exc:
            raise SourceError(str(exc)) from None


TECHDOCS_SERVICE: ServiceRef[TechDocsService] = ServiceRef("techdocs.service")
