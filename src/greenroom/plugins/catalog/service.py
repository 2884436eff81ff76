"""The catalog's published API for other plugins and its own routes: processing control and locations."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import orjson

from greenroom import ServiceRef
from greenroom.db import Database
from greenroom.plugins.catalog.api.entity_cache import EntityCache
from greenroom.plugins.catalog.api.snapshots import ListSnapshots
from greenroom.plugins.catalog.config import CatalogConfig
from greenroom.plugins.catalog.processing.engine import ProcessingEngine
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator, location_entity
from greenroom.plugins.catalog.processing.providers import EntityProviderConnection, delete_orphans
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.plugins.catalog.store.bulk import execute_raw, refresh_statistics
from greenroom.plugins.catalog.store.change_feed import feed_for
from greenroom.plugins.catalog.store.generation import generation
from greenroom.plugins.catalog.store.stitch_worker import StitchWorker, backlog
from greenroom.plugins.catalog.store.stitcher import Stitcher, queue_length

REGISTERED_PROVIDER = "DefaultLocationStore"
CONFIG_PROVIDER = "ConfigLocationProvider"


class LocationError(ValueError):
    """A location cannot be registered: bad type or target, not allowed, or already there."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredLocation:
    id: str
    type: str
    target: str

    @property
    def entity_ref(self) -> str:
        return "location:default/" + str(location_entity(LocationSpec(self.type, self.target))["metadata"]["name"])

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "target": self.target, "entityRef": self.entity_ref}


def resolve_target(parent: LocationSpec, target: str, type_: str | None) -> LocationSpec:
    """A Location entity's target, made absolute against the location the entity itself came from."""
    kind = type_ or parent.type
    if kind == "file" and parent.type == "file" and not os.path.isabs(target):
        return LocationSpec("file", os.path.normpath(os.path.join(os.path.dirname(parent.target), target)))
    if kind == "url" and parent.type == "url":
        return LocationSpec("url", urljoin(parent.target, target))
    return LocationSpec(kind, target)


# Entities processed since the last refresh of the database's planner statistics before the next one is due.
ANALYZE_AFTER = 2000


class CatalogService:
    """Everything the catalog does, for its routes and for other plugins (published as CATALOG_SERVICE)."""

    def __init__(self, database: Database, config: CatalogConfig, orchestrator: Orchestrator,
                 processing: ProcessingEngine, stitcher: Stitcher) -> None:
        self.database = database
        self.config = config
        self.orchestrator = orchestrator
        self.processing = processing
        self.stitcher = stitcher
        self.providers: dict[str, EntityProviderConnection] = {}
        self.stitch_worker: StitchWorker | None = None
        self.list_snapshots = ListSnapshots(config.listCacheMegabytes * 1024 * 1024)
        self.entity_cache = EntityCache(feed_for(database) if config.entityCacheMegabytes else None,
                                        config.entityCacheMegabytes * 1024 * 1024)
        # One processing loop per process: a second caller waits for the running pass instead of racing it.
        self._loop_lock = threading.Lock()
        # Set by the plugin: connects other plugins' processors, readers, kinds and providers. It runs before the
        # first processing pass, once every plugin has started, so extensions can use what their startup built.
        self.connect_extensions: Callable[[], None] | None = None
        self._extensions_lock = threading.Lock()
        self._processed_since_statistics = 0
        self._statistics_generation: int | None = None

    def find_entities(self, predicate: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
        """Stored entities matching a filter predicate (Backstage's predicate language), at most `limit`."""
        from greenroom.plugins.catalog.api.common import run
        from greenroom.plugins.catalog.api.predicates import compile_predicate

        sql, params = compile_predicate(predicate)
        with self.database.engine.connect() as conn:
            rows = run(conn, f"SELECT f.final_entity FROM catalog_final_entities f WHERE {sql} "
                             f"ORDER BY f.id LIMIT {int(limit)}", params)
        return [orjson.loads(r[0]) for r in rows]

    def ownership_refs(self, user_ref: str) -> list[str]:
        """The refs a user owns through: the user, its groups (`memberOf`) and their parents (`childOf`)."""
        from greenroom.plugins.catalog.api.common import marks, run

        user = user_ref.lower()
        found = [user]
        with self.database.engine.connect() as conn:
            frontier = [r[0] for r in run(conn, "SELECT target_entity_ref FROM catalog_relations "
                                                "WHERE source_entity_ref = ? AND type = 'memberOf'", [user])]
            seen = {user}
            while frontier:
                fresh = [g for g in dict.fromkeys(frontier) if g not in seen]
                seen.update(fresh)
                found += fresh
                if not fresh:
                    break
                frontier = [r[0] for r in run(conn, "SELECT target_entity_ref FROM catalog_relations WHERE "
                                                    f"source_entity_ref IN ({marks(len(fresh))}) AND type = 'childOf'",
                                              fresh)]
        return found

    def connection(self, provider: str) -> EntityProviderConnection:
        """The provider connection for `provider` (created on first use)."""
        if provider not in self.providers:
            self.providers[provider] = EntityProviderConnection(self.database.engine, provider)
        return self.providers[provider]

    def ensure_extensions(self) -> None:
        """Connect other plugins' extensions, once (see `connect_extensions`)."""
        with self._extensions_lock:
            if self.connect_extensions is not None:
                connect, self.connect_extensions = self.connect_extensions, None
                connect()

    def run_until_idle(self, max_seconds: float = 30.0) -> int:
        """Process and stitch until nothing is due (or time runs out); returns the entities processed."""
        deadline = time.monotonic() + max_seconds
        total = 0
        self.ensure_extensions()
        with self._loop_lock:
            while time.monotonic() < deadline:
                # Draining processing first means an entity whose peers arrive in later batches is stitched
                # once, not once per batch; the stitch deadline keeps a long import showing progress. While the
                # helper process stitches, this loop need not stop: the helper shows the progress.
                processed = batches = 0
                stitch_by = time.monotonic() + 5.0
                while time.monotonic() < deadline and (time.monotonic() < stitch_by or self._helper_alive()):
                    count = self.processing.process_due()
                    if not count:
                        break
                    processed += count
                    batches += 1
                    if self.stitch_worker is not None and batches % 4 == 1:
                        self.stitch_worker.ensure(backlog(self.database))
                stitched = self._stitch_all(deadline)
                total += processed
                self._processed_since_statistics += processed
                if not processed and not stitched:
                    self._refresh_statistics_after_import()
                    break
        return total

    def _refresh_statistics_after_import(self) -> None:
        # Once the loop is idle after much processing that changed the catalog (an import, not a re-read that
        # found everything as it was), so an import of 100,000 entities pays for it once.
        if self._processed_since_statistics < ANALYZE_AFTER:
            return
        self._processed_since_statistics = 0
        current = self.generation()
        if current != self._statistics_generation:
            self._statistics_generation = current
            refresh_statistics(self.database.engine)

    def _helper_alive(self) -> bool:
        return self.stitch_worker is not None and self.stitch_worker.alive

    def _stitch_all(self, deadline: float) -> int:
        stitched = 0
        while time.monotonic() < deadline:
            count = self.stitcher.stitch_pending()
            if count:
                stitched += count
                continue
            with self.database.engine.connect() as conn:
                waiting = queue_length(conn)
            if not waiting:
                break
            time.sleep(0.02)  # the helper process holds the rest; wait for it rather than report idle early
        return stitched

    def delete_orphans(self) -> int:
        """Apply `orphanStrategy: delete` now."""
        return delete_orphans(self.database.engine) if self.config.orphanStrategy == "delete" else 0

    # -- reading, for other plugins ---------------------------------------------------------------------

    def generation(self) -> int:
        """A counter that moves on whenever any stitched entity changes (see store/generation.py)."""
        with self.database.engine.connect() as conn:
            return generation(conn)

    def entities_changed_since(self, since: float, batch_size: int = 500) -> Iterator[tuple[float, dict[str, Any]]]:
        """Stitched entities last changed after `since` (a time this method returned before, or 0.0 for all),
        with that time, oldest change first; read in batches so memory stays flat on large catalogs."""
        after = (since, 2**62)  # rows of exactly `since` were returned before
        while True:
            with self.database.engine.connect() as conn:
                mark = "%s" if conn.dialect.name == "postgresql" else "?"
                # A row-value comparison, so both databases walk the (updated_at, id) index from the last row.
                rows = execute_raw(conn, f"SELECT id, updated_at, final_entity FROM catalog_final_entities WHERE "
                                         f"(updated_at, id) > ({mark}, {mark}) "
                                         f"ORDER BY updated_at, id LIMIT {int(batch_size)}", [after[0], after[1]])
            for _, updated_at, data in rows:
                yield float(updated_at), orjson.loads(bytes(data))
            if len(rows) < batch_size:
                return
            after = (float(rows[-1][1]), int(rows[-1][0]))

    def query_entities(self, predicate: dict[str, Any] | None = None, order_field: str | None = None,
                       fields: list[str] | None = None, page_size: int = 500,
                       conditions: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every stitched entity matching `predicate` (the `query` form of `POST /entities/by-query`, e.g.
        `{"kind": "component", "metadata.annotations.x": {"$exists": true}}`), in `order_field` order, read a
        page at a time so memory stays flat. `conditions` (a conditional permission decision's, in Backstage's
        shape over `catalog-entity`) must hold too: plugins list only what a viewer may see, inside the query."""
        from greenroom.plugins.catalog.api.query import QueryRequest, run_query  # the API imports this module
        from greenroom.plugins.catalog.permissions import conditions_to_predicate

        request = QueryRequest(predicate=predicate, order_field=order_field, fields=fields, skip_total=True)
        if conditions is not None:
            request.authorization = conditions_to_predicate(conditions)
        offset = 0
        while True:
            with self.database.engine.connect() as conn:
                body = orjson.loads(run_query(conn, request, page_size, offset))
            items = [i for i in body.get("items", []) if isinstance(i, dict)]
            yield from items
            if len(items) < page_size:
                return
            offset += page_size

    def entities_by_ref(self, refs: list[str]) -> dict[str, dict[str, Any]]:
        """The stitched entities among `refs` (lower-cased `kind:namespace/name`), by ref; missing ones are absent."""
        found: dict[str, dict[str, Any]] = {}
        with self.database.engine.connect() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            for start in range(0, len(refs), 500):
                part = refs[start:start + 500]
                rows = execute_raw(conn, "SELECT entity_ref, final_entity FROM catalog_final_entities WHERE "
                                         f"entity_ref IN ({', '.join(mark for _ in part)})", part)
                found.update((str(ref), orjson.loads(bytes(data))) for ref, data in rows)
        return found

    def entity_refs(self) -> set[str]:
        """The (lower-cased) refs of every stitched entity."""
        with self.database.engine.connect() as conn:
            return {str(r[0]) for r in execute_raw(conn, "SELECT entity_ref FROM catalog_final_entities")}

    # -- registered locations -------------------------------------------------------------------------

    def locations(self) -> list[StoredLocation]:
        """Registered locations, oldest first."""
        with self.database.engine.connect() as conn:
            rows = execute_raw(conn, "SELECT id, type, target FROM catalog_locations ORDER BY created_at, id")
        return [StoredLocation(*r) for r in rows]

    def location(self, location_id: str) -> StoredLocation | None:
        return next((loc for loc in self.locations() if loc.id == location_id), None)

    def check_location(self, type_: str, target: str) -> LocationSpec:
        """Refuse types nobody reads and targets the integrator does not allow."""
        if type_ not in ("url", "file") and not any(
                getattr(r, "location_types", ()) and type_ in r.location_types for r in self.orchestrator.readers):
            raise LocationError(f"unknown location type {type_!r}")
        if not target or len(target) > 2000:
            raise LocationError("target must be 1 to 2000 characters")
        if type_ == "file":
            if not os.path.isabs(target):
                raise LocationError("a file location needs an absolute path")
            reader = next((r for r in self.orchestrator.readers if hasattr(r, "allowed")), None)
            if reader is not None and not reader.allowed(target.split("*")[0] or "/"):
                raise LocationError(f"{target} is outside the folders file locations may read", 403)
        return LocationSpec(type_, target)

    def add_location(self, type_: str, target: str) -> StoredLocation:
        """Register a location; its entities appear as soon as processing reads it."""
        if self.config.readonly:
            raise LocationError("the catalog is read-only (catalog.readonly)", 403)
        self.check_location(type_, target)
        if any(loc.type == type_ and loc.target == target for loc in self.locations()):
            raise LocationError(f"location {type_}:{target} already exists", 409)
        stored = StoredLocation(str(uuid.uuid4()), type_, target)
        with self.database.engine.begin() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            execute_raw(conn, f"INSERT INTO catalog_locations (id, type, target, created_at) VALUES "
                              f"({mark}, {mark}, {mark}, {mark})", [stored.id, type_, target, time.time()])
        self.sync_registered()
        return stored

    def remove_location(self, location_id: str) -> bool:
        """Unregister a location; what it brought in is removed, unless another location also provides it."""
        if self.config.readonly:
            raise LocationError("the catalog is read-only (catalog.readonly)", 403)
        with self.database.engine.begin() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            found = execute_raw(conn, f"SELECT id FROM catalog_locations WHERE id = {mark}", [location_id])
            execute_raw(conn, f"DELETE FROM catalog_locations WHERE id = {mark}", [location_id])
        if found:
            self.sync_registered()
        return bool(found)

    def sync_registered(self) -> None:
        """Push the registered locations' Location entities through their provider."""
        entities: list[tuple[dict[str, Any], str | None]] = []
        for loc in self.locations():
            spec = LocationSpec(loc.type, loc.target)
            entities.append((location_entity(spec), spec.key))
        self.connection(REGISTERED_PROVIDER).apply_full(entities)


CATALOG_SERVICE: ServiceRef[CatalogService] = ServiceRef("catalog.service")
