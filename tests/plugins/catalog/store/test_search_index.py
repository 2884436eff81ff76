"""The search index dropped for a large import and built again afterwards, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.plugins.catalog.processing.children import request_stitch
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.plugins.catalog.store import search_index
from greenroom.plugins.catalog.store.generation import bump
from greenroom.plugins.catalog.store.stitcher import Stitcher

Factory = Callable[..., TestClient]
COMPONENTS = 40


def _start(factory: Factory, target: Path, **catalog: Any) -> tuple[TestClient, CatalogService]:
    client = factory(config={"catalog": {"locations": [{"type": "file", "target": str(target)}],
                                         "rules": [{"allow": ["Component", "Group", "Location"]}], **catalog}})
    service: CatalogService = client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined]
    service.run_until_idle(60)
    return client, service


def _stitched(service: CatalogService) -> set[str]:
    with service.database.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT entity_ref FROM catalog_final_entities"))}


def _catalog(tmp_path: Path) -> Path:
    documents = ["apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team}\n"]
    for i in range(COMPONENTS):
        kind = ("service", "website", "library")[i % 3]
        documents.append(f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: part-{i:02d}\n"
                         f"  tags: [t{i % 4}]\nspec: {{type: {kind}, lifecycle: production, owner: team-a}}\n")
    path = tmp_path / "catalog-info.yaml"
    path.write_text("---\n".join(documents))
    return path


def _names(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/api/catalog/entities?{query}&fields=metadata.name&order=asc:metadata.name")
    assert response.status_code == 200, response.text
    return [e["metadata"]["name"] for e in response.json()]


QUERIES = ("filter=kind=component,spec.type=service", "filter=metadata.tags=t1", "filter=spec.type",
           "filter=relations.ownedBy=group:default/team-a,spec.type=library")


def _present(service: CatalogService) -> bool:
    with service.database.engine.connect() as conn:
        return search_index.present(conn)


def _forget_stitched(service: CatalogService) -> None:
    """The state of a first import: everything processed and queued for stitching, nothing stitched yet."""
    with service.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM catalog_search"))
        conn.execute(text("DELETE FROM catalog_final_entities"))
        bump(conn)
        everything = {r[0] for r in conn.execute(text("SELECT entity_ref FROM catalog_refresh_state"))}
        request_stitch(conn, everything)


def test_a_large_import_drops_the_index_and_builds_it_when_the_queue_is_empty(
        portal_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, service = _start(portal_factory, _catalog(tmp_path), processingInterval=False)
    expected = {q: _names(client, q) for q in QUERIES}
    assert all(expected.values()) and _present(service)
    monkeypatch.setattr(search_index, "SUSPEND_MIN_QUEUED", 10)
    stitcher = Stitcher(service.database.engine)
    with service._loop_lock:  # the portal's own loop must not stitch meanwhile
        _forget_stitched(service)
        assert stitcher.stitch_pending(10) == 10
        assert not _present(service)
        # Without the index every answer is still right for what is stitched so far, only slower.
        halfway = _stitched(service)
        assert len(halfway) == 10
        for query in QUERIES:
            assert set(_names(client, query)) <= set(expected[query])
        assert _names(client, "filter=metadata.name=part-00") == (
            ["part-00"] if "component:default/part-00" in halfway else [])
        while stitcher.stitch_pending(10):
            pass
    assert _present(service)
    assert {q: _names(client, q) for q in QUERIES} == expected


def test_an_index_left_dropped_is_built_by_the_next_pass(portal_factory: Factory, tmp_path: Path) -> None:
    # A process that died during an import leaves no index; the next pass that finds the queue empty builds it.
    _, service = _start(portal_factory, _catalog(tmp_path))
    with service._loop_lock, service.database.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {search_index.INDEX}"))
    assert not _present(service)
    service.run_until_idle(30)
    assert _present(service)


def test_a_catalog_larger_than_the_queue_keeps_its_index(
        portal_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, service = _start(portal_factory, _catalog(tmp_path), processingInterval=False)
    monkeypatch.setattr(search_index, "SUSPEND_MIN_QUEUED", 5)
    stitcher = Stitcher(service.database.engine)
    with service._loop_lock:
        with service.database.engine.begin() as conn:
            request_stitch(conn, {f"component:default/part-{i:02d}" for i in range(10)})
        assert stitcher.stitch_pending(5) == 5
        assert _present(service)
        while stitcher.stitch_pending(5):
            pass
    assert _present(service)


def test_worth_suspending_only_for_imports_larger_than_the_catalog() -> None:
    least = search_index.SUSPEND_MIN_QUEUED
    assert search_index.worth_suspending(least, 0)
    assert search_index.worth_suspending(3 * least, 2 * least)
    assert not search_index.worth_suspending(least - 1, 0)
    assert not search_index.worth_suspending(2 * least, 2 * least)


def test_processes_that_find_the_queue_empty_together_build_the_index_once(
        portal_factory: Factory, tmp_path: Path) -> None:
    _, service = _start(portal_factory, _catalog(tmp_path))
    with service._loop_lock:
        with service.database.engine.begin() as conn:
            conn.execute(text(f"DROP INDEX {search_index.INDEX}"))
        errors: list[BaseException] = []

        def build() -> None:
            try:
                search_index.restore(service.database.engine)
            except BaseException as exc:  # reported below; a thread's exception would be lost
                errors.append(exc)

        threads = [threading.Thread(target=build) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == [] and _present(service)
