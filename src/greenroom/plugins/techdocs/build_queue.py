"""The bounded background queue of TechDocs: one processing pass, shared fairly by replicas.

Sites are built on first view: a viewer's request is a row with `requested_at`. A pass serves those requests
first, then rechecks at most `queue.maxPerPass` already-built sites whose last check is older than
`recheckSeconds`, least recently checked first; never-viewed entities cost nothing. `queue.concurrency`
workers each take the next site, requests before rechecks, so a first view waits for at most one check in
flight. A worker works on a site only while it holds the site's claim in the database (see `store`), so
several replicas never build the same site at once; a viewer on another replica sees the claimed build's
state and polls it.

Failures back off exponentially (`queue.retryBaseSeconds` doubling up to `queue.retryMaxSeconds`), and a pass
logs one summary line with counts, never one line per failing site.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from greenroom.plugins.techdocs.catalog_client import CatalogClient, Entity
from greenroom.plugins.techdocs.config import TechDocsConfig
from greenroom.plugins.techdocs.refs import has_docs
from greenroom.plugins.techdocs.store import BuildStore

# Outcomes of checking one site, as `TechDocsService.check` returns them.
BUILT, UNCHANGED, ERROR = "built", "unchanged", "error"
TAKEN, GONE = "taken", "gone"


def retry_delay(failures: int, base: float, cap: float) -> float:
    """Seconds before the next try of a source that failed `failures` times in a row."""
    return float(min(cap, base * 2 ** min(max(failures - 1, 0), 40)))


@dataclass
class PassSummary:
    """What one pass did; `example_error` keeps one failure's message for the log line."""

    built: int = 0
    unchanged: int = 0
    failed: int = 0
    taken_elsewhere: int = 0
    gone: int = 0
    example_error: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)

    @property
    def checked(self) -> int:
        return self.built + self.unchanged + self.failed


class BuildQueue:
    """Picks, claims and checks sites for one replica; `check` is the service's check of one entity."""

    def __init__(self, config: TechDocsConfig, store: BuildStore, catalog: CatalogClient,
                 check: Callable[[Entity], str], log: logging.Logger) -> None:
        self.config = config
        self.store = store
        self.catalog = catalog
        self.check = check
        self.log = log
        self.owner = uuid.uuid4().hex
        self._pass_lock = threading.Lock()

    @property
    def claim_seconds(self) -> float:
        configured = self.config.queue.claimSeconds
        # A check copies the source (bounded by network timeouts) then builds (bounded by the build timeout).
        return configured if configured is not None else 2 * self.config.limits.buildTimeoutSeconds + 60.0

    def run_pass(self, max_seconds: float = 60.0) -> PassSummary:
        """Serve viewers' requests, then recheck stale built sites, until done or out of time."""
        summary = PassSummary()
        with self._pass_lock:
            deadline = time.monotonic() + max_seconds
            queue = self.config.queue
            stale = self.store.stale(time.time() - self.config.recheckSeconds, queue.maxPerPass)
            taken: set[str] = set()
            pick_lock = threading.Lock()

            def next_ref() -> str | None:
                with pick_lock:
                    # Asked again every time: a first view arriving mid-pass goes before the remaining rechecks.
                    for ref in self.store.requested(limit=len(taken) + queue.concurrency + 1):
                        if ref not in taken:
                            taken.add(ref)
                            return ref
                    while stale:
                        ref = stale.pop(0)
                        if ref not in taken:
                            taken.add(ref)
                            return ref
                    return None

            def work() -> None:
                while time.monotonic() < deadline:
                    ref = next_ref()
                    if ref is None:
                        return
                    outcome = self._one(ref)
                    with pick_lock:  # workers share the summary
                        self._count(summary, ref, outcome)

            if queue.concurrency == 1:
                work()
            else:
                with ThreadPoolExecutor(queue.concurrency, thread_name_prefix="techdocs-build") as pool:
                    for future in [pool.submit(work) for _ in range(queue.concurrency)]:
                        future.result()
        self._report(summary)
        return summary

    def _one(self, ref: str) -> str:
        """Claim, look up and check one site; the outcome, or `taken` / `gone` when there was nothing to do."""
        if not self.store.claim(ref, self.owner, self.claim_seconds):
            return TAKEN  # another replica is on it; its result lands in the same row
        try:
            entity = self.catalog.by_ref(ref)
            if entity is None or not has_docs(entity):
                self.store.forget(ref)  # the entity or its annotation is gone: stop rechecking it
                return GONE
            return self.check(entity)
        except BaseException:
            self.store.release(ref, self.owner)
            raise

    def _count(self, summary: PassSummary, ref: str, outcome: str) -> None:
        if outcome == TAKEN:
            summary.taken_elsewhere += 1
            return
        if outcome == GONE:
            summary.gone += 1
            return
        summary.outcomes[ref] = outcome
        if outcome == BUILT:
            summary.built += 1
        elif outcome == UNCHANGED:
            summary.unchanged += 1
        else:
            summary.failed += 1
            if not summary.example_error:
                state = self.store.get(ref)
                summary.example_error = f"{ref}: {state.error if state else 'failed'}"

    def _report(self, summary: PassSummary) -> None:
        if summary.built == summary.failed == 0:
            if summary.checked or summary.taken_elsewhere:
                self.log.debug("docs pass: %d checked, all unchanged; %d taken by another replica",
                               summary.checked, summary.taken_elsewhere)
            return
        line = (f"docs pass: {summary.checked} checked, {summary.built} built, {summary.unchanged} unchanged, "
                f"{summary.failed} failed; {summary.taken_elsewhere} taken by another replica; "
                f"{self.store.backing_off()} failing sources backing off")
        if summary.failed:
            self.log.warning("%s (e.g. %s)", line, summary.example_error[:300])
        else:
            self.log.info("%s", line)
