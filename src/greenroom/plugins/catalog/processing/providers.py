"""Entity providers: sources that push whole sets (or changes) of entities, like Backstage's EntityProvider.

Built in: the locations in config, and the locations registered through the API. Plugins add their own through
the `catalog_entity_providers` hook (an org directory, a cloud inventory...).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from greenroom.plugins.catalog.model import stringify_entity_ref
from greenroom.plugins.catalog.processing.children import request_stitch, upsert_unprocessed
from greenroom.plugins.catalog.processing.orchestrator import location_of
from greenroom.plugins.catalog.processing.types import ANNOTATION_ORIGIN_LOCATION
from greenroom.plugins.catalog.store.bulk import chunks, execute_many, execute_raw, in_clause, insert_rows
from greenroom.plugins.catalog.store.generation import bump

log = logging.getLogger("greenroom.plugin.catalog.providers")

ProvidedEntity = tuple[dict[str, Any], str | None]  # the entity and its location key


class EntityProviderConnection:
    """Handed to a provider in `connect`; the provider calls it whenever its source changes."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name

    def apply_full(self, entities: Sequence[ProvidedEntity]) -> list[str]:
        """Replace everything this provider provides; entities it no longer lists are deleted, with what they
        emitted unless something else emits it too (Backstage's eager pruning).

        Returns the problems found (bad entities, conflicts), which are also logged."""
        items, problems = _checked(self.name, entities)
        with self.engine.begin() as conn:
            kept, stitch, conflicts = upsert_unprocessed(conn, items)
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            previous = {r[0] for r in execute_raw(conn, "SELECT target_entity_ref FROM catalog_references "
                                                        f"WHERE source_key = {mark}", [self.name])}
            if previous != set(kept):
                execute_raw(conn, f"DELETE FROM catalog_references WHERE source_key = {mark}", [self.name])
                insert_rows(conn, "catalog_references", ("source_key", "target_entity_ref"),
                            [(self.name, ref) for ref in dict.fromkeys(kept)])
                stitch |= set(kept) - previous
                stitch |= prune(conn, previous - set(kept))
            request_stitch(conn, stitch)
        return _report(self.name, problems + [c.message for c in conflicts])

    def apply_delta(self, added: Sequence[ProvidedEntity], removed: Iterable[str]) -> list[str]:
        """Add or update some entities and remove others (by entity ref), pruning as `apply_full` does."""
        items, problems = _checked(self.name, added)
        gone = [r.lower() for r in removed]
        with self.engine.begin() as conn:
            kept, stitch, conflicts = upsert_unprocessed(conn, items)
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            execute_many(conn, f"DELETE FROM catalog_references WHERE source_key = {mark} "
                               f"AND target_entity_ref = {mark}",
                         [(self.name, r) for r in [*gone, *kept]])
            insert_rows(conn, "catalog_references", ("source_key", "target_entity_ref"),
                        [(self.name, ref) for ref in dict.fromkeys(kept)])
            stitch |= prune(conn, set(gone) - set(kept))
            request_stitch(conn, stitch | set(kept))
        return _report(self.name, problems + [c.message for c in conflicts])

    def refresh(self, entity_refs: Iterable[str]) -> None:
        """Process these entities again now."""
        refresh_entities(self.engine, list(entity_refs))


class EntityProvider(Protocol):
    """Pushes entities from a source of its own. `connect` is called once at start-up."""

    name: str

    def connect(self, connection: EntityProviderConnection) -> None: ...


def _checked(provider: str, entities: Sequence[ProvidedEntity]) -> tuple[list[tuple[str, dict[str, Any], str | None]],
                                                                           list[str]]:
    items: list[tuple[str, dict[str, Any], str | None]] = []
    problems: list[str] = []
    for entity, key in entities:
        try:
            ref = stringify_entity_ref(entity)
        except Exception as exc:
            problems.append(f"provider {provider}: entity without a valid kind and name: {exc}")
            continue
        if location_of(entity) is None or location_of(entity, ANNOTATION_ORIGIN_LOCATION) is None:
            problems.append(f"provider {provider}: entity {ref} lacks the managed-by-location annotations")
            continue
        items.append((ref, entity, key))
    return items, problems


def _report(provider: str, problems: list[str]) -> list[str]:
    for problem in problems:
        log.warning(problem, extra={"provider": provider})
    return problems


def refresh_entities(engine: Engine, refs: Sequence[str]) -> None:
    """Make entities due now, forgetting their result hash so their children are written again too."""
    with engine.begin() as conn:
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        execute_many(conn, f"UPDATE catalog_refresh_state SET next_update_at = 0, result_hash = NULL "
                           f"WHERE entity_ref = {mark}", [(r.lower(),) for r in refs])


def ancestors(conn: Connection, ref: str, limit: int = 100) -> list[str]:
    """The entities that emitted `ref`, nearest first (its parent location, that one's parent...)."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    found: list[str] = []
    frontier = [ref]
    while frontier and len(found) < limit:
        nxt: list[str] = []
        for part in chunks(frontier):
            for row in execute_raw(conn, "SELECT DISTINCT source_entity_ref FROM catalog_references "
                                         f"WHERE target_entity_ref IN ({in_clause(conn, len(part))}) "
                                         "AND source_entity_ref IS NOT NULL", part):
                if row[0] not in found and row[0] != ref:
                    found.append(row[0])
                    nxt.append(row[0])
        frontier = nxt
    del mark
    return found


def delete_entities(conn: Connection, ids: Sequence[int]) -> set[str]:
    """Remove entities by row id; returns the refs that must be stitched again because relations went away."""
    stitch: set[str] = set()
    refs: list[str] = []
    for part in chunks(list(ids)):
        marks = in_clause(conn, len(part))
        refs += [r[0] for r in execute_raw(conn, f"SELECT entity_ref FROM catalog_refresh_state WHERE id IN ({marks})",
                                           part)]
        stitch.update(r[0] for r in execute_raw(conn, "SELECT DISTINCT source_entity_ref FROM catalog_relations "
                                                      f"WHERE originating_id IN ({marks})", part))
        for table, column in (("catalog_search", "entity"), ("catalog_final_entities", "id"),
                              ("catalog_relations", "originating_id"), ("catalog_refresh_state", "id")):
            execute_raw(conn, f"DELETE FROM {table} WHERE {column} IN ({marks})", part)
    for ref_part in chunks(refs):
        marks = in_clause(conn, len(ref_part))
        execute_raw(conn, f"DELETE FROM catalog_references WHERE source_entity_ref IN ({marks})", ref_part)
        execute_raw(conn, f"DELETE FROM catalog_stitch_queue WHERE entity_ref IN ({marks})", ref_part)
    if refs:
        bump(conn)
    return stitch - set(refs)


def prune(conn: Connection, refs: Iterable[str]) -> set[str]:
    """Delete the entities of `refs` that nothing references any more, then, level by level, what they emitted
    that has no other parent; returns the refs to stitch again because relations to them went away."""
    stitch: set[str] = set()
    deleted: set[str] = set()
    frontier = sorted({r.lower() for r in refs})
    while frontier:
        orphaned: list[str] = []
        children: set[str] = set()
        for part in chunks(frontier):
            marks = in_clause(conn, len(part))
            referenced = {r[0] for r in execute_raw(conn, "SELECT DISTINCT target_entity_ref FROM catalog_references "
                                                          f"WHERE target_entity_ref IN ({marks})", part)}
            orphaned += [r for r in part if r not in referenced]
        for part in chunks(orphaned):
            children.update(r[0] for r in execute_raw(conn, "SELECT target_entity_ref FROM catalog_references "
                                                           f"WHERE source_entity_ref IN ({in_clause(conn, len(part))})",
                                                      part))
        ids = [r[0] for part in chunks(orphaned) for r in execute_raw(
            conn, f"SELECT id FROM catalog_refresh_state WHERE entity_ref IN ({in_clause(conn, len(part))})", part)]
        stitch |= delete_entities(conn, ids)
        deleted.update(orphaned)
        frontier = sorted(children - deleted)
    return stitch - deleted


def delete_orphans(engine: Engine, max_rounds: int = 50) -> int:
    """`catalog.orphanStrategy: delete`: remove entities that nothing emits any more.

    Deleting an orphaned location orphans what it emitted, so this repeats until no orphan is left."""
    total = 0
    for _ in range(max_rounds):
        with engine.begin() as conn:
            rows = execute_raw(conn, "SELECT s.id FROM catalog_refresh_state s WHERE NOT EXISTS (SELECT 1 FROM "
                                     "catalog_references r WHERE r.target_entity_ref = s.entity_ref)")
            if not rows:
                break
            stitch = delete_entities(conn, [r[0] for r in rows])
            request_stitch(conn, stitch)
        total += len(rows)
    if total:
        log.info("deleted orphaned entities", extra={"count": total, "at": time.time()})
    return total
