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
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from greenroom.plugins.catalog.model import stringify_entity_ref
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator
from greenroom.plugins.catalog.processing.types import Emitted, ProcessingError, ProcessOutcome
from greenroom.plugins.catalog.store.bulk import (
    chunks,
    execute_many,
    execute_raw,
    in_clause,
    insert_rows,
    write_with_retries,
)

log = logging.getLogger("greenroom.plugin.catalog.processing")
WRITE_CHUNK = 1000  # rows of serialized entities written at a time


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class Claimed:
    id: int
    entity_ref: str
    unprocessed: bytes
    result_hash: str | None


class ProcessingEngine:
    """Processes due entities; `interval` gives each entity's next turn (None: never again by itself)."""

    def __init__(self, engine: Engine, orchestrator: Orchestrator, interval: Callable[[], float] | None,
                 batch_size: int = 250, on_stitch: Callable[[Connection, set[str]], None] | None = None) -> None:
        self.engine = engine
        self.orchestrator = orchestrator
        self.interval = interval
        self.batch_size = batch_size
        self.request_stitch = on_stitch or request_stitch

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
                                     "RETURNING id, entity_ref, unprocessed_entity, result_hash",
                               [self._next_time(now), now])
        return [Claimed(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def process_due(self) -> int:
        """Process one batch of due entities; returns how many were processed."""
        claimed = self.claim(self.batch_size)
        if not claimed:
            return 0
        outcomes = [(c, self.orchestrator.process(orjson.loads(c.unprocessed))) for c in claimed]
        try:
            write_with_retries(self.engine, lambda conn: self._write(conn, outcomes), "a processing batch")
        except DBAPIError:
            # Hand the claims back so the batch is due again soon rather than after a whole interval.
            self._release([c.id for c in claimed])
            raise
        return len(claimed)

    def _release(self, ids: list[int]) -> None:
        with self.engine.begin() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            execute_many(conn, f"UPDATE catalog_refresh_state SET next_update_at = {mark} WHERE id = {mark}",
                         [(time.time() + 1.0, i) for i in ids])

    def _write(self, conn: Connection, outcomes: list[tuple[Claimed, ProcessOutcome]]) -> None:
        stitch: set[str] = set()
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        changed: list[tuple[Claimed, ProcessOutcome, str]] = []
        for claimed, outcome in outcomes:
            digest = _result_hash(outcome)
            if digest != claimed.result_hash:
                changed.append((claimed, outcome, digest))
        if not changed:
            return
        ok = [(c, o, d) for c, o, d in changed if o.ok]
        failed = [(c, o, d) for c, o, d in changed if not o.ok]
        # A failure keeps the last good processed entity; only its errors change.
        execute_many(conn, f"UPDATE catalog_refresh_state SET errors = {mark}, result_hash = {mark} WHERE id = {mark}",
                     [(_errors_json(o.errors), d, c.id) for c, o, d in failed])
        stitch.update(c.entity_ref for c, _, _ in failed)
        ok_ids = [c.id for c, _, _ in ok]
        old_sources: set[str] = set()
        for part in chunks(ok_ids):
            rows = execute_raw(conn, "SELECT DISTINCT source_entity_ref FROM catalog_relations "
                                     f"WHERE originating_id IN ({in_clause(conn, len(part))})", part)
            old_sources.update(r[0] for r in rows)
            execute_raw(conn, f"DELETE FROM catalog_relations WHERE originating_id IN ({in_clause(conn, len(part))})",
                        part)
        execute_many(conn, f"UPDATE catalog_refresh_state SET processed_entity = {mark}, result_hash = {mark}, "
                           f"errors = {mark} WHERE id = {mark}",
                     [(orjson.dumps(o.entity), d, _errors_json(o.errors) if o.errors else None, c.id)
                      for c, o, d in ok])
        relation_rows: list[tuple[int, str, str, str]] = []
        for claimed, outcome, _digest in ok:
            seen: set[tuple[str, str, str]] = set()
            for rel in outcome.relations:
                if rel not in seen:
                    seen.add(rel)
                    relation_rows.append((claimed.id, *rel))
                    stitch.add(rel[0])
            stitch.add(claimed.entity_ref)
        insert_rows(conn, "catalog_relations", ("originating_id", "source_entity_ref", "type", "target_entity_ref"),
                    relation_rows)
        stitch.update(old_sources)
        for claimed, outcome, _ in ok:
            if outcome.children or (outcome.entity or {}).get("kind") == "Location":
                stitch.update(self._write_children(conn, claimed, outcome))
        self.request_stitch(conn, stitch)

    def _write_children(self, conn: Connection, parent: Claimed, outcome: ProcessOutcome) -> set[str]:
        """Upsert the entities a location emitted and make them the parent's references."""
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        previous = {r[0]: r[1] for r in execute_raw(
            conn, "SELECT r.target_entity_ref, s.location_key FROM catalog_references r LEFT JOIN "
                  "catalog_refresh_state s ON s.entity_ref = r.target_entity_ref "
                  f"WHERE r.source_entity_ref = {mark}", [parent.entity_ref])}
        if not outcome.children and not previous:
            return set()
        children: dict[str, Emitted] = {}
        conflicts: list[ProcessingError] = []
        for child in outcome.children:
            ref = stringify_entity_ref(child.entity)
            if ref in children and children[ref].location.key != child.location.key:
                conflicts.append(ProcessingError("ConflictError", f"entity {ref} is defined twice: in "
                                 f"{children[ref].location.key} and in {child.location.key}"))
                continue
            children[ref] = child
        items = [(ref, c.entity, c.location.key) for ref, c in children.items()]
        kept, stitch, clashes = upsert_unprocessed(conn, items)
        conflicts.extend(clashes)
        # Entities of a source that failed keep their last good version and carry that source's error.
        for ref, location_key in previous.items():
            if ref in children or location_key is None:
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


def upsert_unprocessed(conn: Connection, items: Sequence[tuple[str, dict[str, Any], str | None]]
                       ) -> tuple[list[str], set[str], list[ProcessingError]]:
    """Store what a source says about entities, making changed ones due for processing at once.

    The first location to claim an entity keeps it: a claim from another location key is refused as a
    conflict. Returns the refs accepted, the refs needing a new stitch, and the conflicts.
    """
    now = time.time()
    existing: dict[str, tuple[int, str | None, str, str | None]] = {}
    refs = [i[0] for i in items]
    for part in chunks(refs):
        for row in execute_raw(conn, "SELECT entity_ref, id, location_key, unprocessed_hash, source_errors FROM "
                                     f"catalog_refresh_state WHERE entity_ref IN ({in_clause(conn, len(part))})", part):
            existing[row[0]] = (row[1], row[2], row[3], row[4])
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    stitch: set[str] = set()
    kept: list[str] = []
    conflicts: list[ProcessingError] = []
    for ref, entity, key in items:
        blob = orjson.dumps(entity)
        digest = sha1(blob)
        found = existing.get(ref)
        if found is None:
            inserts.append((str(uuid.uuid4()), ref, blob, digest, key, 0.0, now))
        elif found[1] is not None and key is not None and found[1] != key:
            conflicts.append(ProcessingError("ConflictError", f"entity {ref} from {key} is already provided "
                             f"by {found[1]}; the first location keeps it"))
            continue
        elif found[2] != digest or found[1] != key or found[3] is not None:
            updates.append((blob, digest, key, 0.0, now, found[0]))
            if found[3] is not None:
                stitch.add(ref)
        kept.append(ref)
        if len(inserts) + len(updates) >= WRITE_CHUNK:
            _write_unprocessed(conn, inserts, updates)
    _write_unprocessed(conn, inserts, updates)
    return kept, stitch, conflicts


def _write_unprocessed(conn: Connection, inserts: list[tuple[Any, ...]], updates: list[tuple[Any, ...]]) -> None:
    # Written (and emptied) a chunk at a time: a location of 50,000 entities would otherwise hold every
    # serialized entity at once, a few hundred megabytes.
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    execute_many(conn, f"UPDATE catalog_refresh_state SET unprocessed_entity = {mark}, unprocessed_hash = {mark}, "
                       f"location_key = {mark}, source_errors = NULL, next_update_at = {mark}, "
                       f"last_discovery_at = {mark} WHERE id = {mark}", updates)
    insert_rows(conn, "catalog_refresh_state", ("entity_id", "entity_ref", "unprocessed_entity", "unprocessed_hash",
                                                "location_key", "next_update_at", "last_discovery_at"), inserts)
    inserts.clear()
    updates.clear()


def request_stitch(conn: Connection, refs: set[str]) -> None:
    """Queue entities for stitching (an existing request just gets a newer time)."""
    if not refs:
        return
    now = time.time()
    ordered = sorted(refs)
    if conn.dialect.name == "postgresql":
        for part in chunks(ordered):
            execute_raw(conn, "INSERT INTO catalog_stitch_queue (entity_ref, requested_at, claimed_until) "
                              "SELECT unnest(%s::text[]), %s, 0 ON CONFLICT (entity_ref) DO UPDATE "
                              "SET requested_at = EXCLUDED.requested_at", [list(part), now])
    else:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            cur.executemany("INSERT INTO catalog_stitch_queue (entity_ref, requested_at, claimed_until) VALUES "
                            "(?, ?, 0) ON CONFLICT (entity_ref) DO UPDATE SET requested_at = excluded.requested_at",
                            [(r, now) for r in ordered])
        finally:
            cur.close()


def _result_hash(outcome: ProcessOutcome) -> str:
    digest = hashlib.sha1(orjson.dumps([outcome.ok, outcome.entity, sorted(set(outcome.relations)),
                                        [e.as_dict() for e in outcome.errors]], option=orjson.OPT_SORT_KEYS))
    # Children one by one (JSON arrays delimit themselves, so the sequence is unambiguous): serialized in one
    # piece, the children of a 50,000-entity location were a single string of 150 MB.
    for child in outcome.children:
        digest.update(orjson.dumps([child.location.key, child.entity], option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def _errors_json(errors: Sequence[ProcessingError]) -> str:
    return orjson.dumps([e.as_dict() for e in errors]).decode()


def random_interval(seconds: float) -> Callable[[], float]:
    """Backstage's spread: a random time between `seconds` and 1.5 times it, so re-reads do not bunch up."""
    return lambda: random.uniform(seconds, seconds * 1.5)
