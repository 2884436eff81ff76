"""Writing what sources say about entities: upserts of unprocessed entities, processing results, and the sink
that writes a location's entities while the location is still being read.

A glob of 50,000 files used to come back from the reader as one list, all of it in memory, and was written
after the last file was parsed. Through `ChildSink` each thousand entities are written as they arrive, in a
transaction of their own, while the helper processes go on parsing; only refs and location keys are kept for
the location's own bookkeeping (references, conflicts), which its processing transaction does at the end.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from greenroom.plugins.catalog.processing.types import LocationSpec, Prepared, ProcessingError, Result
from greenroom.plugins.catalog.store.bulk import (
    chunks,
    execute_many,
    execute_raw,
    in_clause,
    insert_rows,
    write_with_retries,
)

WRITE_CHUNK = 1000  # entities written at a time


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def store_results(conn: Connection, rows: Sequence[tuple[int, str, Result]], fresh: bool = False) -> set[str]:
    """Write processing results (row id, entity ref, result); returns the refs that need a new stitch.

    A failure keeps the last good processed entity; only its errors change. `fresh` rows were inserted with
    their result just now (see `_Pending`), so only their relations remain to write."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    failed = [(i, ref, r) for i, ref, r in rows if not r.ok]
    ok = [(i, ref, r) for i, ref, r in rows if r.ok]
    stitch = {ref for _, ref, _ in failed}
    if not fresh:
        execute_many(conn, f"UPDATE catalog_refresh_state SET errors = {mark}, result_hash = {mark} "
                           f"WHERE id = {mark}", [(r.errors, r.digest, i) for i, _, r in failed])
        ok_ids = [i for i, _, _ in ok]
        for part in chunks(ok_ids):
            found = execute_raw(conn, "SELECT DISTINCT source_entity_ref FROM catalog_relations "
                                      f"WHERE originating_id IN ({in_clause(conn, len(part))})", part)
            stitch.update(r[0] for r in found)
            execute_raw(conn, "DELETE FROM catalog_relations WHERE originating_id IN "
                              f"({in_clause(conn, len(part))})", part)
        execute_many(conn, f"UPDATE catalog_refresh_state SET processed_entity = {mark}, result_hash = {mark}, "
                           f"errors = {mark} WHERE id = {mark}",
                     [(r.processed, r.digest, r.errors, i) for i, _, r in ok])
    relation_rows: list[tuple[int, str, str, str]] = []
    for row_id, ref, result in ok:
        seen: set[tuple[str, str, str]] = set()
        for rel in result.relations:
            if rel not in seen:
                seen.add(rel)
                relation_rows.append((row_id, *rel))
                stitch.add(rel[0])
        stitch.add(ref)
    insert_rows(conn, "catalog_relations", ("originating_id", "source_entity_ref", "type", "target_entity_ref"),
                relation_rows)
    return stitch


StoredState = tuple[int, str | None, str, str | None]  # id, location key, unprocessed hash, source errors


def stored_states(conn: Connection, refs: Sequence[str]) -> dict[str, StoredState]:
    """What the store holds of each of `refs` that it has."""
    found: dict[str, StoredState] = {}
    for part in chunks(refs):
        for row in execute_raw(conn, "SELECT entity_ref, id, location_key, unprocessed_hash, source_errors FROM "
                                     f"catalog_refresh_state WHERE entity_ref IN ({in_clause(conn, len(part))})", part):
            found[row[0]] = (row[1], row[2], row[3], row[4])
    return found


def stored_as(state: StoredState, key: str | None, digest: str) -> bool:
    """True when the stored entity is the one `key` gives, as `digest` says, with no source error to clear."""
    return state[2] == digest and state[1] == key and state[3] is None


def upsert_unprocessed(conn: Connection, items: Sequence[tuple[str, dict[str, Any] | bytes, str | None]],
                       results: Mapping[str, Result] | None = None, processed_until: float = 0.0,
                       written: set[str] | None = None, digests: Mapping[str, str] | None = None,
                       ) -> tuple[list[str], set[str], list[ProcessingError]]:
    """Store what a source says about entities (each given as a dictionary or already serialized, with its
    SHA-1 in `digests` when it is known), making changed ones due for processing at once.

    An entity with a processing result in `results` is stored with that result instead, and is next due at
    `processed_until`. The first location to claim an entity keeps it: a claim from another location key is
    refused as a conflict. Returns the refs accepted, the refs needing a new stitch, and the conflicts; the refs
    of entities inserted or changed are added to `written`.
    """
    now = time.time()
    results = results or {}
    existing = stored_states(conn, [i[0] for i in items])
    digests = digests or {}
    pending = _Pending(results, written)
    stitch: set[str] = set()
    kept: list[str] = []
    conflicts: list[ProcessingError] = []
    for ref, entity, key in items:
        blob = entity if isinstance(entity, bytes) else orjson.dumps(entity)
        digest = digests.get(ref) or sha1(blob)
        found = existing.get(ref)
        due = processed_until if ref in results else 0.0
        if found is None:
            pending.inserts.append((str(uuid.uuid4()), ref, blob, digest, key, due, now))
            pending.refs.append(ref)
        elif found[1] is not None and key is not None and found[1] != key:
            conflicts.append(ProcessingError("ConflictError", f"entity {ref} from {key} is already provided "
                             f"by {found[1]}; the first location keeps it"))
            continue
        elif not stored_as(found, key, digest):
            pending.updates.append((blob, digest, key, due, now, found[0]))
            pending.refs.append(ref)
            pending.ids[ref] = found[0]
            if found[3] is not None:
                stitch.add(ref)
        kept.append(ref)
        if len(pending.refs) >= WRITE_CHUNK:
            stitch.update(pending.write(conn))
    stitch.update(pending.write(conn))
    return kept, stitch, conflicts


class _Pending:
    """Entities waiting to be written, a chunk at a time: a location of 50,000 entities would otherwise hold
    every serialized entity at once, a few hundred megabytes."""

    def __init__(self, results: Mapping[str, Result], written: set[str] | None) -> None:
        self.results = results
        self.written = written
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.refs: list[str] = []  # every entity of the chunk, inserted or updated
        self.ids: dict[str, int] = {}  # row ids of the updated ones

    def write(self, conn: Connection) -> set[str]:
        """Write the chunk and the results its entities came with; returns the refs to stitch."""
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        execute_many(conn, f"UPDATE catalog_refresh_state SET unprocessed_entity = {mark}, unprocessed_hash = {mark}, "
                           f"location_key = {mark}, source_errors = NULL, next_update_at = {mark}, "
                           f"last_discovery_at = {mark} WHERE id = {mark}", self.updates)
        # A new entity that comes with its result is inserted processed: no second write of the row.
        none = (None, None, None)
        insert_rows(conn, "catalog_refresh_state", ("entity_id", "entity_ref", "unprocessed_entity",
                                                    "unprocessed_hash", "location_key", "next_update_at",
                                                    "last_discovery_at", "processed_entity", "result_hash",
                                                    "errors"),
                    [(*row, *(self._columns(row[1]) or none)) for row in self.inserts])
        if self.written is not None:
            self.written.update(self.refs)
        new = [row[1] for row in self.inserts if row[1] in self.results]
        ids: dict[str, int] = {}
        for part in chunks(new):  # only the inserted rows' ids are not known yet
            ids.update((r[0], r[1]) for r in execute_raw(
                conn, f"SELECT entity_ref, id FROM catalog_refresh_state WHERE entity_ref IN "
                      f"({in_clause(conn, len(part))})", part))
        stitch = store_results(conn, [(ids[ref], ref, self.results[ref]) for ref in new], fresh=True)
        stitch |= store_results(conn, [(row_id, ref, self.results[ref]) for ref, row_id in self.ids.items()
                                       if ref in self.results])
        self.inserts.clear()
        self.updates.clear()
        self.refs.clear()
        self.ids.clear()
        return stitch

    def _columns(self, ref: str) -> tuple[bytes | None, str, str | None] | None:
        result = self.results.get(ref)
        return None if result is None else (result.processed, result.digest, result.errors)


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


def defined_twice(ref: str, first: str, second: str) -> ProcessingError:
    """The conflict of one location's sources both giving entity `ref` (the first one keeps it)."""
    return ProcessingError("ConflictError", f"entity {ref} is defined twice: in {first} and in {second}")


class ChildSink:
    """Receives the entities a location's readers prepared (see `Emitter.sink`) and writes them a chunk at a
    time, each chunk in its own transaction; keeps what the location's final write needs."""

    def __init__(self, engine: Engine, processed_until: float,
                 request: Callable[[Connection, set[str]], None] = request_stitch,
                 processed: Callable[[str, str], None] | None = None) -> None:
        self.engine = engine
        self.processed_until = processed_until
        self.request = request
        self.on_processed = processed  # told (ref, unprocessed hash) of each entity stored with its result
        self.locations: dict[str, str] = {}  # ref -> key of the source that gave it, in reading order
        self.kept: list[str] = []
        self.written: set[str] = set()  # refs inserted or changed
        self.conflicts: list[ProcessingError] = []
        self.processed = 0  # entities that came with their processing result
        self._digest = hashlib.sha1()
        self._batch: dict[str, tuple[Prepared, str]] = {}
        self._unchanged: dict[str, tuple[LocationSpec, str]] = {}  # ref -> (its source, the digest it had)
        self._stale: dict[str, LocationSpec] = {}

    def _take(self, location: LocationSpec, ref: str, digest: str) -> bool:
        # The digest of the whole read sees an entity the same whether it was read again or not.
        key = location.key
        self._digest.update(orjson.dumps(key))
        self._digest.update(digest.encode())
        seen = self.locations.get(ref)
        if seen is not None and seen != key:
            self.conflicts.append(defined_twice(ref, seen, key))
            return False
        self.locations[ref] = key
        return True

    def add(self, location: LocationSpec, prepared: Prepared) -> None:
        """Take one entity; a chunk is written once enough have come."""
        if self._take(location, prepared.ref, prepared.blob_digest()):
            self._batch[prepared.ref] = (prepared, location.key)
            self._unchanged.pop(prepared.ref, None)
            self._flush_when_full()

    def add_unchanged(self, location: LocationSpec, ref: str, digest: str) -> None:
        """Take an entity its source gave before, unchanged (see `EntitySink.add_unchanged`)."""
        if self._take(location, ref, digest) and ref not in self._batch:
            self._unchanged[ref] = (location, digest)
            self._flush_when_full()

    def _flush_when_full(self) -> None:
        if len(self._batch) + len(self._unchanged) >= WRITE_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write the entities taken since the last chunk, and check the unchanged ones against the store."""
        if not self._batch and not self._unchanged:
            return
        items = [(ref, p.blob, key) for ref, (p, key) in self._batch.items()]
        results = {ref: p.result for ref, (p, _) in self._batch.items() if p.result is not None}
        digests = {ref: p.blob_digest() for ref, (p, _) in self._batch.items()}
        unchanged = dict(self._unchanged)

        def write(conn: Connection) -> tuple[list[str], list[ProcessingError], list[str]]:
            kept, stitch, conflicts = upsert_unprocessed(conn, items, results, self.processed_until, self.written,
                                                         digests)
            # Asked for in the same transaction: were it left to the location's final write, a failure there
            # would leave these entities stored, processed, and never stitched. Nobody stitches during the
            # read (the loop is busy reading), so no entity is stitched twice for this.
            self.request(conn, stitch)
            return kept, conflicts, still_stored(conn, unchanged)

        kept, conflicts, same = write_with_retries(self.engine, write, "a location's entities")
        self.kept.extend(kept)
        self.kept.extend(same)
        self.conflicts.extend(conflicts)
        self.processed += len(results)
        if self.on_processed is not None:
            for ref in results:
                self.on_processed(ref, digests[ref])
        for ref in set(unchanged) - set(same):
            location = unchanged[ref][0]
            self._stale[location.key] = location
        self._batch.clear()
        self._unchanged.clear()

    def stale(self) -> list[LocationSpec]:
        """Sources whose unchanged entities are not as stored (see `EntitySink.stale`)."""
        found = list(self._stale.values())
        self._stale.clear()
        return found

    def digest(self) -> str:
        """A hash of every entity taken, with its source, in order."""
        return self._digest.hexdigest()


def still_stored(conn: Connection, unchanged: Mapping[str, tuple[LocationSpec, str]]) -> list[str]:
    """The refs of `unchanged` stored as they were given: same digest, same source, no source error."""
    states = stored_states(conn, list(unchanged))
    return [ref for ref, (location, digest) in unchanged.items()
            if ref in states and stored_as(states[ref], location.key, digest)]
