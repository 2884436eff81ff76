"""TechDocs' published API (TECHDOCS_SERVICE): build state, builds on view, and reading published sites.

A site is first built when someone views it (`request`); the processing pass (the `techdocs.build` job, see
`build_queue`) serves those requests and keeps already-built sites fresh. Checking a site copies the docs
folder, hashes it and rebuilds only when the hash differs from the published site's `etag`. A failed build
records its error, its log and the time of the next try, and leaves the published site alone.
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
from greenroom.plugins.techdocs.build_queue import BUILT, ERROR, UNCHANGED, BuildQueue, PassSummary, retry_delay
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
        self.queue = BuildQueue(config, store, catalog, self.check, self.log)
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

    def request(self, triplet: Triplet, entity: Entity | None = None) -> None:
        """Ask for the docs to be checked (and built if stale or never built) in the next pass, which starts now.

        `entity`, when given, lets a changed techdocs-ref cut short the back-off of a failing source.
        """
        if self.config.builder != "local":
            return
        state = self.store.get(triplet.ref)
        key = source_key(entity) if entity is not None else None
        changed = state is not None and key is not None and state.source_key not in (None, key)
        if state is not None and not changed:
            if state.requested_at is not None or (state.status == "building" and state.claimed()):
                return  # already on its way, here or on another replica
            if state.backing_off():
                return  # a failing source: the reader shows the error and when it is tried again
            if state.checked_at and time.time() - state.checked_at < VIEW_RECHECK_SECONDS:
                return  # checked moments ago: page views do not each cost a pass
        self.store.request(triplet.ref, key, reset_backoff=changed)
        self.trigger()

    def run_pass(self, max_seconds: float = 60.0) -> int:
        """One processing pass (see `build_queue`); returns how many sites were built."""
        return self.run_pass_summary(max_seconds).built

    def run_pass_summary(self, max_seconds: float = 60.0) -> PassSummary:
        if self.config.builder != "local":
            return PassSummary()
        return self.queue.run_pass(max_seconds)

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
                    return UNCHANGED
            prepared = prepare(source, work / "src", self.config.limits, self.git(), self._read)
            revision = prepared.revision
            if quick is not None:
                self._fingerprints[triplet.ref] = (quick, revision)
            meta = self.metadata(triplet)
            state = self.store.get(triplet.ref)
            if (state is not None and state.status == "error" and state.revision == revision
                    and time.time() - (state.finished_at or 0) < RETRY_FAILED_SECONDS):
                # The same broken source fails the same way; only a transient failure is worth a later retry.
                failures = state.failures + 1
                self.store.still_failing(triplet.ref, failures, self._retry_at(failures))
                return ERROR
            if meta is not None and meta.get("etag") == revision:
                self.store.checked(triplet.ref, revision)
                return UNCHANGED
            self.store.building(triplet.ref, revision)
            result = generator.generate(prepared.folder, work / "site", self.config.limits, revision,
                                        omit_core=self.config.generator.mkdocs.omitTechdocsCorePlugin)
            self.publisher.publish(triplet, result.site)
            self._metadata.pop(self.storage(triplet), None)
            self.store.succeeded(triplet.ref, revision, result.log)
            self.log.info("built docs of %s", triplet.ref)
            return BUILT
        except (SourceError, generator.BuildError, PublishError) as exc:
            log = getattr(exc, "log", "")
            before = self.store.get(triplet.ref)
            failures = (before.failures if before else 0) + 1
            self.store.failed(triplet.ref, revision, str(exc), log, failures, self._retry_at(failures))
            # One line per pass sums failures up (build_queue); the error itself is on the site's status.
            self.log.debug("docs of %s failed (%d in a row): %s", triplet.ref, failures, exc)
            return ERROR
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _retry_at(self, failures: int) -> float:
        queue = self.config.queue
        return time.time() + retry_delay(failures, queue.retryBaseSeconds, queue.retryMaxSeconds)

    def _read(self, url: str) -> bytes:
        try:
            return self.read_url(url)
        except Exception as exc:
            raise SourceError(str(exc)) from None


def source_key(entity: Entity) -> str:
    """What the entity says about where its docs are; a change cuts a failing source's back-off short."""
    try:
        source = refs.resolve_source(entity)
    except SourceError as exc:
        return f"error:{exc}"[:1000]
    return f"{source.type}:{source.target}"[:1000]


TECHDOCS_SERVICE: ServiceRef[TechDocsService] = ServiceRef("techdocs.service")
