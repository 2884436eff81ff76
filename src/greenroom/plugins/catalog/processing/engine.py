"""The processing loop: take due entities, process them in batches, write the outcomes, ask for stitching.

Work is claimed by moving `next_update_at` forward inside a short transaction (with `FOR UPDATE SKIP LOCKED`
on PostgreSQL), so several replicas share the work without taking the same entity twice. Everything an outcome
changes is written in one transaction per batch, which keeps a 100,000-entity catalog to a few hundred
transactions instead of Backstage's one per entity.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from greenroom.memory import release_free_memory
from greenroom.plugins.catalog.model import stringify_entity_ref
from greenroom.plugins.catalog.processing.children import (
    ChildSink,
    defined_twice,
    request_stitch,
    sha1,
    store_results,
    upsert_unprocessed,
)
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator
from greenroom.plugins.catalog.processing.types import Emitted, ProcessingError, ProcessOutcome, Result
from greenroom.plugins.catalog.store.bulk import (
    execute_many,
    execute_raw,
    insert_rows,
    write_with_retries,
)

log = logging.getLogger("greenroom.plugin.catalog.processing")
TRIM_AFTER = 2000  # entities read in one batch after which freed memory is handed back to the system


@dataclass
class Claimed:
    id: int
    entity_ref: str
    unprocessed: bytes
    result_hash: str | None
    unprocessed_hash: str


def _key(text: str) -> int:
    # 64 bits of a SHA-1: a dictionary of 100,000 of these pairs takes a few megabytes, strings would take 25.
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big")


def _version(digest: str) -> int:
    return int(digest[:16], 16)


class ProcessingEngine:
    """Processes due entities; `interval` gives each entity's next turn (None: never again by itself)."""

    def __init__(self, engine: Engine, orchestrator: Orchestrator, interval: Callable[[], float] | None,
                 batch_size: int = 250, on_stitch: Callable[[Connection, set[str]], None] | None = None) -> None:
        self.engine = engine
        self.orchestrator = orchestrator
        self.interval = interval
        self.batch_size = batch_size
        self.request_stitch = on_stitch or request_stitch
        # Entities whose stored result this process made, or saw made where they were read, from the unprocessed
        # entity they have now, with nothing but parallel-safe processing: processing them again would give the
        # same result, so their turns only move their next turn on (ref key -> unprocessed version). Kept in
        # memory, so a restart (new plugins, new config) processes everything once again.
        self._settled: dict[int, int] = {}

    def _next_time(self, now: float) -> float:
        return now + self.interval() if self.interval else 1e18

    def claim(self, limit: int) -> list[Claimed]:
        """Take up to `limit` due entities for this replica.

        One UPDATE … RETURNING statement, so the claim is atomic against other processes on SQLite too (a
        SELECT followed by an UPDATE can fail there when another process wrote in between)."""
        now = time.time()
        with self.engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            mark = "%s" if pg else "?"
            lock = " FOR UPDATE SKIP LOCKED" if pg else ""
            rows = execute_raw(conn, f"UPDATE catalog_refresh_state SET next_update_at = {mark} WHERE id IN ("
                                     f"SELECT id FROM catalog_refresh_state WHERE next_update_at <= {mark} "
                                     f"ORDER BY next_update_at LIMIT {int(limit)}{lock}) "
                                     "RETURNING id, entity_ref, unprocessed_entity, result_hash, unprocessed_hash",
                               [self._next_time(now), now])
        return [Claimed(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def process_due(self) -> int:
        """Process one batch of due entities; returns how many were processed, counting the entities that
        locations in the batch read and processed on the way."""
        claimed = self.claim(self.batch_size)
        if not claimed:
            return 0
        # Entities read by a location in this batch and processed where they were read are stored processed,
        # with their next turn a whole interval away, as if this loop had just processed them.
        until = self._next_time(time.time())
        done: list[tuple[Claimed, ProcessOutcome, ChildSink]] = []
        settled: list[tuple[str, str]] = []
        for c in claimed:
            if c.result_hash is not None and self._settled.get(_key(c.entity_ref)) == _version(c.unprocessed_hash):
                continue  # the claim has moved its next turn on; the result it would get is the one it has
            sink = ChildSink(self.engine, until, self.request_stitch, self.settle)
            entity = orjson.loads(c.unprocessed)
            outcome = self.orchestrator.process(entity, sink)
            done.append((c, outcome, sink))
            if self.orchestrator.pure(entity, outcome):
                settled.append((c.entity_ref, c.unprocessed_hash))
        try:
            if done:
                write_with_retries(self.engine, lambda conn: self._write(conn, done), "a processing batch")
        except DBAPIError:
            # Hand the claims back so the batch is due again soon rather than after a whole interval.
            self._release([c.id for c in claimed])
            raise
        for ref, digest in settled:
            self.settle(ref, digest)
        read = sum(sink.processed for _, _, sink in done)
        if read >= TRIM_AFTER:
            release_free_memory()
        return len(claimed) + read

    def settle(self, ref: str, unprocessed_hash: str) -> None:
        """Note that entity `ref` was processed (stored) from the unprocessed entity of this hash by parallel-safe
        processing alone (see `_settled`)."""
        self._settled[_key(ref)] = _version(unprocessed_hash)

    def _release(self, ids: list[int]) -> None:
        with self.engine.begin() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            execute_many(conn, f"UPDATE catalog_refresh_state SET next_update_at = {mark} WHERE id = {mark}",
                         [(time.time() + 1.0, i) for i in ids])

    def _write(self, conn: Connection, done: list[tuple[Claimed, ProcessOutcome, ChildSink]]) -> None:
        changed: list[tuple[Claimed, ProcessOutcome, ChildSink, Result]] = []
        # An entity of this batch that a location in it has just written anew was processed from what it was
        # before: that stale result must not overwrite the new one (or hide that the new one is due).
        rewritten = set().union(*(sink.written for _, _, sink in done))
        for claimed, outcome, sink in done:
            if claimed.entity_ref in rewritten:
                continue
            result = outcome.stored()
            if sink.locations:  # what the location read counts too, though it is already written
                result = replace(result, digest=sha1(f"{result.digest} {sink.digest()}".encode()))
            if result.digest != claimed.result_hash:
                changed.append((claimed, outcome, sink, result))
        if not changed:
            return
        stitch = store_results(conn, [(c.id, c.entity_ref, r) for c, _, _, r in changed])
        for claimed, outcome, sink, result in changed:
            if result.ok and (outcome.children or sink.locations or (outcome.entity or {}).get("kind") == "Location"):
                stitch.update(self._write_children(conn, claimed, outcome, sink))
        self.request_stitch(conn, stitch)

    def _write_children(self, conn: Connection, parent: Claimed, outcome: ProcessOutcome, sink: ChildSink) -> set[str]:
        """Upsert the entities a location emitted and make them, with those its sink wrote, the parent's
        references."""
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        previous = {r[0]: r[1] for r in execute_raw(
            conn, "SELECT r.target_entity_ref, s.location_key FROM catalog_references r LEFT JOIN "
                  "catalog_refresh_state s ON s.entity_ref = r.target_entity_ref "
                  f"WHERE r.source_entity_ref = {mark}", [parent.entity_ref])}
        if not outcome.children and not sink.locations and not previous:
            return set()
        sources = dict(sink.locations)  # ref -> key of the source it came from
        conflicts = list(sink.conflicts)
        emitted: dict[str, Emitted] = {}
        for child in outcome.children:
            ref = stringify_entity_ref(child.entity)
            if ref in sources and sources[ref] != child.location.key:
                conflicts.append(defined_twice(ref, sources[ref], child.location.key))
                continue
            sources[ref] = child.location.key
            emitted[ref] = child
        kept, stitch, clashes = upsert_unprocessed(conn, [(ref, c.entity, c.location.key)
                                                          for ref, c in emitted.items()])
        kept = [*sink.kept, *kept]
        conflicts.extend(clashes)
        # Entities of a source that failed keep their last good version and carry that source's error.
        for ref, location_key in previous.items():
            if ref in sources or location_key is None:
                continue
            error = outcome.source_errors.get(location_key)
            if error is not None:
                kept.append(ref)
                execute_raw(conn, f"UPDATE catalog_refresh_state SET source_errors = {mark} WHERE entity_ref = {mark}",
                            [_errors_json([error]), ref])
                stitch.add(ref)
        if conflicts:
            errors = _errors_json([*outcome.errors, *conflicts])
            execute_raw(conn, f"UPDATE catalog_refresh_state SET errors = {mark} WHERE id = {mark}",
                        [errors, parent.id])
            stitch.add(parent.entity_ref)
        if set(kept) != set(previous):
            execute_raw(conn, f"DELETE FROM catalog_references WHERE source_entity_ref = {mark}", [parent.entity_ref])
            insert_rows(conn, "catalog_references", ("source_entity_ref", "target_entity_ref"),
                        [(parent.entity_ref, ref) for ref in dict.fromkeys(kept)])
            stitch.update(set(previous) ^ set(kept))  # orphaned or adopted: their orphan mark changes
        return stitch


def _errors_json(errors: Sequence[ProcessingError]) -> str:
    return orjson.dumps([e.as_dict() for e in errors]).decode()


def random_interval(seconds: float) -> Callable[[], float]:
    """Backstage's spread: a random time between `seconds` and 1.5 times it, so re-reads do not bunch up."""
    return lambda: random.uniform(seconds, seconds * 1.5)
