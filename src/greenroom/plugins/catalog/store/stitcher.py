"""Stitching: the final entity that the API serves, built from the processed entity, every relation that
points out of it (including those other entities emitted), its errors and its orphan state.

The result is serialized once and stored with its search rows, so reads send stored bytes and never rebuild.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from greenroom.plugins.catalog.processing.types import ANNOTATION_ORPHAN, PROCESSING_ERROR_TYPE
from greenroom.plugins.catalog.store.bulk import (
    chunks,
    execute_many,
    execute_raw,
    in_clause,
    insert_rows,
    write_with_retries,
)
from greenroom.plugins.catalog.store.generation import bump, entity_count
from greenroom.plugins.catalog.store.search import DuplicateKeyError, search_rows
from greenroom.plugins.catalog.store.search_index import present, restore, suspend, worth_suspending

REJECTED_URL = "https://backstage.io/annotation-rejected-for-security-reasons"
_URL_ANNOTATIONS = ("backstage.io/view-url", "backstage.io/edit-url", "backstage.io/source-location")
CLAIM_SECONDS = 60.0
# Entities per stitch transaction. Each commit writes every index page it touched to the log, and the search
# index is touched all over: at 50,000 entities, batches of 500 (helper 1,000) spent half the stitching time
# rewriting the same pages; 1,500 (helper 2,500) took a third off stitching for about 30 MB more at the peak.
BATCH = 1500


def _etag(entity: dict[str, Any]) -> str:
    return hashlib.sha1(orjson.dumps(entity, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _safe_annotations(entity: dict[str, Any]) -> None:
    # A link annotation with a script URL would run in the browser of whoever clicks it.
    annotations = entity.get("metadata", {}).get("annotations")
    if not isinstance(annotations, dict):
        return
    for key in _URL_ANNOTATIONS:
        value = annotations.get(key)
        if isinstance(value, str) and value.strip().lower().replace("url:", "", 1).startswith("javascript:"):
            annotations[key] = REJECTED_URL


def queue_length(conn: Connection) -> int:
    """How many stitch requests are waiting, claimed or not."""
    return int(execute_raw(conn, "SELECT COUNT(*) FROM catalog_stitch_queue")[0][0])


def build_final(processed: bytes, entity_id: str, relations: list[tuple[str, str]], errors: list[dict[str, Any]],
                orphan: bool) -> dict[str, Any]:
    """The stitched entity (without its etag, which is computed from this)."""
    entity: dict[str, Any] = orjson.loads(processed)
    metadata = entity.setdefault("metadata", {})
    metadata["uid"] = entity_id
    metadata.pop("etag", None)
    if orphan:
        metadata.setdefault("annotations", {})[ANNOTATION_ORPHAN] = "true"
    _safe_annotations(entity)
    entity["relations"] = [{"type": t, "targetRef": r} for t, r in sorted(set(relations))]
    if errors:
        entity["status"] = {"items": [{
            "type": PROCESSING_ERROR_TYPE, "level": "error",
            "message": f"{e.get('name', 'Error')}: {e.get('message', '')}", "error": e} for e in errors]}
    else:
        entity.pop("status", None)
    return entity


class Stitcher:
    """Works through the stitch queue in batches; safe to run on several replicas at once."""

    def __init__(self, engine: Engine, on_change: Callable[[list[str]], None] | None = None) -> None:
        self.engine = engine
        self.on_change = on_change

    def claim(self, conn: Connection, limit: int) -> list[tuple[str, float]]:
        """Take up to `limit` queued entities in one atomic statement (see ProcessingEngine.claim)."""
        now = time.time()
        pg = conn.dialect.name == "postgresql"
        mark = "%s" if pg else "?"
        lock = " FOR UPDATE SKIP LOCKED" if pg else ""
        rows = execute_raw(conn, f"UPDATE catalog_stitch_queue SET claimed_until = {mark} WHERE entity_ref IN ("
                                 f"SELECT entity_ref FROM catalog_stitch_queue WHERE claimed_until < {mark} "
                                 f"ORDER BY requested_at LIMIT {int(limit)}{lock}) RETURNING entity_ref, requested_at",
                           [now + CLAIM_SECONDS, now])
        return [(r[0], float(r[1])) for r in rows]

    def stitch_pending(self, limit: int = BATCH) -> int:
        """Stitch one batch from the queue; returns how many entities it looked at."""
        with self.engine.begin() as conn:
            claimed = self.claim(conn, limit)
        if not claimed or len(claimed) >= limit:
            self._keep_search_index(bool(claimed))
        if not claimed:
            return 0
        # Rows are written in entity-ref order, the order processing queues them in, so a stitch transaction and
        # a processing one can wait for each other but never deadlock.
        claimed.sort()

        def write(conn: Connection) -> list[str]:
            changed = self.stitch(conn, [r for r, _ in claimed])
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            # Release every claimed row first, in one sorted sweep that locks them all, then drop those not asked
            # for again meanwhile: a second sweep that locked rows anew would start over at "a" and could close a
            # cycle with a processing transaction.
            execute_many(conn, f"UPDATE catalog_stitch_queue SET claimed_until = 0 WHERE entity_ref = {mark}",
                         [(r,) for r, _ in claimed])
            execute_many(conn, f"DELETE FROM catalog_stitch_queue WHERE entity_ref = {mark} AND requested_at <= {mark}",
                         claimed)
            if changed:
                # Last: the generation's row lock is held until the commit, and another stitcher waits for it.
                bump(conn)
            return changed

        changed = write_with_retries(self.engine, write, "a stitch batch")
        if changed and self.on_change:
            self.on_change(changed)
        return len(claimed)

    def _keep_search_index(self, full: bool) -> None:
        # A full claim may begin an import that builds the search index faster afterwards; an empty one may end
        # it (store/search_index.py). Either way the index's presence is asked first, one query in the usual case.
        queued, drop, build = 0, False, False
        with self.engine.connect() as conn:
            indexed = present(conn)
            if full and indexed:
                queued = queue_length(conn)
                drop = worth_suspending(queued, entity_count(conn))
            elif not full and not indexed:
                build = not queue_length(conn)
        if drop:
            suspend(self.engine, queued)
        elif build:
            restore(self.engine)

    def stitch(self, conn: Connection, refs: list[str]) -> list[str]:
        """Rebuild the final entities of `refs`; returns the refs whose final entity changed. The caller moves the
        catalog's generation on (`generation.bump`) when any did, before it commits."""
        states: dict[str, tuple[int, str, bytes | None, str | None, str | None]] = {}
        rels: dict[str, list[tuple[str, str]]] = defaultdict(list)
        parented: set[str] = set()
        finals: dict[int, str] = {}
        for part in chunks(refs):
            marks = in_clause(conn, len(part))
            for row in execute_raw(conn, "SELECT entity_ref, id, entity_id, processed_entity, errors, source_errors "
                                         f"FROM catalog_refresh_state WHERE entity_ref IN ({marks})", part):
                states[row[0]] = (row[1], row[2], bytes(row[3]) if row[3] is not None else None, row[4], row[5])
            for row in execute_raw(conn, "SELECT source_entity_ref, type, target_entity_ref FROM catalog_relations "
                                         f"WHERE source_entity_ref IN ({marks})", part):
                rels[row[0]].append((row[1], row[2]))
            for row in execute_raw(conn, "SELECT DISTINCT target_entity_ref FROM catalog_references "
                                         f"WHERE target_entity_ref IN ({marks})", part):
                parented.add(row[0])
            for row in execute_raw(conn, "SELECT f.id, f.hash FROM catalog_final_entities f "
                                         "JOIN catalog_refresh_state s ON s.id = f.id "
                                         f"WHERE s.entity_ref IN ({marks})", part):
                finals[row[0]] = row[1]
        upserts: list[tuple[int, str, str, bytes, str]] = []
        search: list[tuple[int, str, str | None, str | None]] = []
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        now = time.time()
        changed: list[str] = []
        for ref in refs:
            state = states.get(ref)
            if state is None or state[2] is None:
                continue  # gone, or never processed successfully: nothing to show
            row_id, entity_id, processed, errors, source_errors = state
            assert processed is not None
            problems = [*(orjson.loads(errors) if errors else []),
                        *(orjson.loads(source_errors) if source_errors else [])]
            entity = build_final(processed, entity_id, rels.get(ref, []), problems, orphan=ref not in parented)
            etag = _etag(entity)
            if finals.get(row_id) == etag:
                continue
            entity["metadata"]["etag"] = etag
            try:
                rows = search_rows(entity)
            except DuplicateKeyError as exc:
                entity.setdefault("status", {}).setdefault("items", []).append(
                    {"type": PROCESSING_ERROR_TYPE, "level": "error", "message": f"InputError: {exc}",
                     "error": {"name": "InputError", "message": str(exc)}})
                rows = []
            upserts.append((row_id, entity_id, ref, orjson.dumps(entity), etag))
            search.extend((row_id, *r) for r in rows)
            changed.append(ref)
        if not upserts:
            return changed
        stored = [u for u in upserts if u[0] in finals]
        # Search rows are written and deleted with the final entity, so an entity stitched for the first time has
        # none to delete: an import deletes nothing, and asks nothing of the index.
        ids = [u[0] for u in stored]
        for id_part in chunks(ids):
            execute_raw(conn, f"DELETE FROM catalog_search WHERE entity IN ({in_clause(conn, len(id_part))})", id_part)
        execute_many(conn, f"UPDATE catalog_final_entities SET final_entity = {mark}, hash = {mark}, "
                           f"updated_at = {mark} WHERE id = {mark}", [(u[3], u[4], now, u[0]) for u in stored])
        insert_rows(conn, "catalog_final_entities", ("id", "entity_id", "entity_ref", "final_entity", "hash",
                                                     "updated_at"),
                    [(u[0], u[1], u[2], u[3], u[4], now) for u in upserts if u[0] not in finals])
        insert_rows(conn, "catalog_search", ("entity", "key", "value", "original_value"), search)
        return changed
