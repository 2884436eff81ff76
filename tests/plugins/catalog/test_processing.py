"""Ingestion, processing and stitching end to end through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.plugins.catalog.processing.providers import refresh_entities
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]
Factory = Callable[..., TestClient]

BASIC = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes the money
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: shop
  providesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: team-a}
"""


def catalog_of(client: TestClient) -> CatalogService:
    return client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined,no-any-return]


def settle(client: TestClient) -> CatalogService:
    service = catalog_of(client)
    service.run_until_idle(60)
    return service


def final(service: CatalogService, ref: str) -> dict[str, Any] | None:
    with service.database.engine.connect() as conn:
        row = conn.execute(text("SELECT final_entity FROM catalog_final_entities WHERE entity_ref = :r"),
                           {"r": ref}).first()
    return orjson.loads(row[0]) if row else None


def refs(service: CatalogService) -> set[str]:
    with service.database.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT entity_ref FROM catalog_final_entities"))}


def portal(factory: Factory, *targets: Path, **catalog: Any) -> TestClient:
    config = {"catalog": {"locations": [{"type": "file", "target": str(t)} for t in targets],
                          "rules": [{"allow": ALL_KINDS}], **catalog}}
    return factory(config=config)


def refresh_locations(service: CatalogService) -> None:
    refresh_entities(service.database.engine, [r for r in refs(service) if r.startswith("location:")])


def test_entities_relations_and_annotations(portal_factory: Factory, tmp_path: Path) -> None:
    (tmp_path / "catalog-info.yaml").write_text(BASIC)
    service = settle(portal(portal_factory, tmp_path / "catalog-info.yaml"))
    assert {"component:default/checkout", "api:default/checkout-api", "group:default/team-a",
            "system:default/shop"} <= refs(service)
    assert len([r for r in refs(service) if r.startswith("location:default/generated-")]) == 1
    component = final(service, "component:default/checkout")
    assert component is not None
    assert component["relations"] == [
        {"type": "ownedBy", "targetRef": "group:default/team-a"},
        {"type": "partOf", "targetRef": "system:default/shop"},
        {"type": "providesApi", "targetRef": "api:default/checkout-api"},
    ]
    annotations = component["metadata"]["annotations"]
    assert annotations["backstage.io/managed-by-location"] == f"file:{tmp_path / 'catalog-info.yaml'}"
    assert "backstage.io/orphan" not in annotations
    assert component["metadata"]["uid"] and component["metadata"]["etag"]
    group = final(service, "group:default/team-a")
    assert group is not None
    assert {"type": "ownerOf", "targetRef": "component:default/checkout"} in group["relations"]
    api = final(service, "api:default/checkout-api")
    assert api is not None and {"type": "apiProvidedBy", "targetRef": "component:default/checkout"} in api["relations"]


def test_broken_file_keeps_last_good_version_with_error(portal_factory: Factory, tmp_path: Path) -> None:
    good = tmp_path / "a.yaml"
    good.write_text(BASIC)
    other = tmp_path / "b.yaml"
    other.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: other}\n"
                     "spec: {type: library, lifecycle: production, owner: team-a}\n")
    service = settle(portal(portal_factory, tmp_path / "*.yaml"))
    before = final(service, "component:default/checkout")
    good.write_text("apiVersion: [this is broken\n")
    other.write_text(other.read_text().replace("library", "website"))
    refresh_locations(service)
    service.run_until_idle(60)
    after = final(service, "component:default/checkout")
    assert after is not None and before is not None
    assert after["spec"] == before["spec"]
    messages = [item["message"] for item in after["status"]["items"]]
    assert any(str(good) in m and "line" in m for m in messages), messages
    changed = final(service, "component:default/other")
    assert changed is not None and changed["spec"]["type"] == "website"  # the rest of the catalog moves on
    good.write_text(BASIC.replace("Takes the money", "Takes more money"))
    refresh_locations(service)
    service.run_until_idle(60)
    fixed = final(service, "component:default/checkout")
    assert fixed is not None and "status" not in fixed
    assert fixed["metadata"]["description"] == "Takes more money"


def test_conflicting_locations_keep_the_first(portal_factory: Factory, tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "c.yaml").write_text(BASIC)
    (tmp_path / "two" / "c.yaml").write_text(BASIC.replace("Takes the money", "An impostor"))
    service = settle(portal(portal_factory, tmp_path / "one" / "c.yaml", tmp_path / "two" / "c.yaml"))
    component = final(service, "component:default/checkout")
    assert component is not None
    descriptions = {component["metadata"]["description"]}
    assert len(descriptions) == 1
    locations = [final(service, r) for r in refs(service) if r.startswith("location:")]
    errors = [i["message"] for loc in locations if loc for i in loc.get("status", {}).get("items", [])]
    assert any("already provided by" in e for e in errors), errors


def test_names_colliding_after_case_folding_are_reported(portal_factory: Factory, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASIC)
    (tmp_path / "b.yaml").write_text(BASIC.replace("name: checkout\n", "name: CheckOut\n"))
    service = settle(portal(portal_factory, tmp_path / "*.yaml"))
    location = next(final(service, r) for r in refs(service) if r.startswith("location:"))
    assert location is not None
    assert any("defined twice" in i["message"] for i in location["status"]["items"])


@pytest.mark.parametrize("strategy", ["keep", "delete"])
def test_orphans(portal_factory: Factory, tmp_path: Path, strategy: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASIC)
    service = settle(portal(portal_factory, path, orphanStrategy=strategy))
    path.write_text(BASIC.split("---")[0])
    refresh_locations(service)
    service.run_until_idle(60)
    service.delete_orphans()
    service.run_until_idle(60)
    group = final(service, "group:default/team-a")
    if strategy == "keep":
        assert group is not None and group["metadata"]["annotations"]["backstage.io/orphan"] == "true"
    else:
        assert group is None
        component = final(service, "component:default/checkout")
        assert component is not None
    assert final(service, "component:default/checkout") is not None


def test_registered_location_add_and_remove(portal_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASIC)
    client = portal(portal_factory, catalog_root := tmp_path / "none.yaml", allowedFileRoots=[str(tmp_path)])
    del catalog_root
    service = catalog_of(client)
    stored = service.add_location("file", str(path))
    service.run_until_idle(60)
    assert "component:default/checkout" in refs(service)
    assert stored.entity_ref in refs(service)
    assert service.remove_location(stored.id)
    service.run_until_idle(60)
    service.delete_orphans()
    assert "component:default/checkout" not in refs(service)


def test_rules_refuse_kinds_not_allowed(portal_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASIC)
    client = portal_factory(config={"catalog": {"locations": [{"type": "file", "target": str(path)}]}})
    service = settle(client)
    assert "component:default/checkout" in refs(service)
    assert "group:default/team-a" not in refs(service)  # Backstage's default rules allow Component, API, Location
    location = next(final(service, r) for r in refs(service) if r.startswith("location:"))
    assert location is not None
    assert any("not of an allowed kind" in i["message"] for i in location["status"]["items"])


def test_location_targets_cannot_escape_allowed_roots(portal_factory: Factory, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.yaml").write_text(BASIC)
    (root / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    (root / "loc.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: sneaky}\n"
                                   "spec: {targets: [../secret.yaml, ./link.yaml]}\n")
    service = settle(portal(portal_factory, root / "loc.yaml", allowedFileRoots=[str(root)]))
    assert "component:default/checkout" not in refs(service)
    sneaky = final(service, "location:default/sneaky")
    assert sneaky is not None
    messages = [i["message"] for i in sneaky["status"]["items"]]
    assert len([m for m in messages if "outside the folders" in m]) == 2, messages


def test_yaml_bomb_and_invalid_entity_leave_the_rest_alone(portal_factory: Factory, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(BASIC)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        bomb.append(f"{'abcdefghij'[i]}: &{'abcdefghij'[i]} [" + ", ".join([f"*{'abcdefghij'[i - 1]}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    (tmp_path / "bad.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                       "metadata: {name: 'not a valid name!'}\nspec: {type: service}\n")
    service = settle(portal(portal_factory, tmp_path / "*.yaml"))
    assert "component:default/checkout" in refs(service)
    with service.database.engine.connect() as conn:
        errors = [r[0] for r in conn.execute(text("SELECT errors FROM catalog_refresh_state WHERE errors IS NOT NULL"))]
    joined = " ".join(errors)
    assert "bomb.yaml" in joined and "metadata.name" in joined


def test_unchanged_sources_are_cheap_and_edits_show_after_a_pass(portal_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASIC)
    service = settle(portal(portal_factory, path))
    etag = final(service, "component:default/checkout")["metadata"]["etag"]  # type: ignore[index]
    refresh_locations(service)
    service.run_until_idle(60)
    assert final(service, "component:default/checkout")["metadata"]["etag"] == etag  # type: ignore[index]
    path.write_text(BASIC.replace("lifecycle: production\n  owner", "lifecycle: experimental\n  owner", 1))
    refresh_locations(service)
    service.run_until_idle(60)
    updated = final(service, "component:default/checkout")
    assert updated is not None and updated["spec"]["lifecycle"] == "experimental"
    assert updated["metadata"]["etag"] != etag


def test_stitching_helper_process_takes_over_a_large_backlog(portal_factory: Factory, tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"c{i}.yaml").write_text(BASIC.replace("name: checkout\n", f"name: checkout-{i}\n")
                                             .replace("name: checkout-api", f"name: checkout-api-{i}")
                                             .replace("[checkout-api]", f"[checkout-api-{i}]"))
    client = portal(portal_factory, tmp_path / "*.yaml", stitchWorkerThreshold=1)
    service = settle(client)
    worker = service.stitch_worker
    assert worker is not None
    process = worker._process
    assert process is not None  # the backlog passed the threshold, so the helper started
    assert len([r for r in refs(service) if r.startswith("component:")]) == 30
    assert final(service, "group:default/team-a")["relations"][0]["type"] == "ownerOf"  # type: ignore[index]
    worker.stop()
    assert process.poll() is not None


def test_reference_lists_are_sorted_as_backstage_does(portal_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASIC.replace("providesApis: [checkout-api]", "providesApis: [checkout-api]\n"
                                  "  consumesApis: [zeta-api, alpha-api]\n  dependsOn: [resource:b, resource:a]"))
    service = settle(portal(portal_factory, path))
    spec = final(service, "component:default/checkout")["spec"]  # type: ignore[index]
    assert spec["consumesApis"] == ["alpha-api", "zeta-api"]
    assert spec["dependsOn"] == ["resource:a", "resource:b"]


def test_a_large_import_refreshes_the_planner_statistics(portal_factory: Factory, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from greenroom.plugins.catalog import service as service_module

    monkeypatch.setattr(service_module, "ANALYZE_AFTER", 3)
    (tmp_path / "c.yaml").write_text(BASIC)
    service = settle(portal(portal_factory, tmp_path / "c.yaml"))
    with service.database.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("only PostgreSQL plans with statistics that an import makes stale")
        analyzed = conn.execute(text("SELECT last_analyze FROM pg_stat_user_tables "
                                     "WHERE relname = 'catalog_search'")).scalar()
        statistics = conn.execute(text("SELECT COUNT(*) FROM pg_statistic_ext "
                                       "WHERE stxname = 'catalog_search_key_value_mcv'")).scalar()
    assert analyzed is not None
    assert statistics == 1


class _Counting:
    """A processor that keeps state (a count), so it must not run anywhere but the loop."""

    name = "Counting"

    def __init__(self) -> None:
        self.seen = 0

    def post_process(self, entity: dict[str, Any], location: Any, emit: Any) -> dict[str, Any]:
        self.seen += 1
        return entity


def _children_state(service: CatalogService) -> dict[str, tuple[bool, float]]:
    with service.database.engine.connect() as conn:
        rows = conn.execute(text("SELECT entity_ref, processed_entity IS NOT NULL, next_update_at "
                                 "FROM catalog_refresh_state WHERE entity_ref NOT LIKE 'location:%'")).all()
    return {r[0]: (bool(r[1]), float(r[2])) for r in rows}


@pytest.mark.parametrize("safe", [True, False], ids=["parallel-safe", "stateful-processor"])
def test_entities_read_from_files_are_stored_processed_by_the_read(portal_factory: Factory, tmp_path: Path,
                                                                    safe: bool) -> None:
    (tmp_path / "c.yaml").write_text(BASIC)
    client = portal(portal_factory, processingInterval={"minutes": 10}, allowedFileRoots=[str(tmp_path)])
    service = settle(client)
    counting = _Counting()
    if not safe:
        service.orchestrator.processors.append(counting)
    with service._loop_lock:  # the scheduled loop waits: this test takes the turns itself
        service.add_location("file", str(tmp_path / "c.yaml"))
        before = time.time()
        read = service.processing.process_due()
        state = _children_state(service)
        assert set(state) == {"component:default/checkout", "api:default/checkout-api", "group:default/team-a",
                              "system:default/shop"}
        if safe:
            # Processed as they were read: stored processed, next due a whole interval later, counted.
            assert read == 1 + 4
            assert all(done and due >= before + 600 for done, due in state.values()), state
        else:
            # A processor that is not parallel-safe keeps every entity on the loop.
            assert read == 1
            assert all(not done and due == 0 for done, due in state.values()), state
            assert counting.seen == 1  # the location only
        service.processing.process_due()
        assert service.processing.process_due() == 0
        assert all(done for done, _ in _children_state(service).values())
    service.run_until_idle(60)
    component = final(service, "component:default/checkout")
    assert component is not None
    assert {"type": "ownedBy", "targetRef": "group:default/team-a"} in component["relations"]
    group = final(service, "group:default/team-a")
    assert group is not None and {"type": "ownerOf", "targetRef": "component:default/checkout"} in group["relations"]


class _Tagging:
    """A parallel-safe processor that records, in this process, which entities it was given."""

    name = "Tagging"
    parallel_safe = True

    def __init__(self) -> None:
        self.seen: list[str] = []

    def post_process(self, entity: dict[str, Any], location: Any, emit: Any) -> dict[str, Any]:
        if entity.get("kind") != "Location":  # the location is read on each of its turns
            self.seen.append(str(entity.get("metadata", {}).get("name")))
        entity.setdefault("metadata", {}).setdefault("labels", {})["tagged"] = "yes"
        return entity


def _make_all_due(service: CatalogService) -> None:
    with service.database.engine.begin() as conn:
        conn.execute(text("UPDATE catalog_refresh_state SET next_update_at = 0"))


def test_entities_unchanged_since_parallel_safe_processing_are_not_processed_again(portal_factory: Factory,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BASIC)
    client = portal(portal_factory, processingInterval={"minutes": 10}, allowedFileRoots=[str(tmp_path)])
    service = settle(client)
    tagging = _Tagging()
    service.orchestrator.processors.append(tagging)
    with service._loop_lock:
        service.add_location("file", str(tmp_path / "c.yaml"))
        while service.processing.process_due():
            pass
        read = list(tagging.seen)
        assert sorted(read) == ["checkout", "checkout-api", "shop", "team-a"]  # processed where they were read
        # Every turn comes round (as each interval does): the location reads its file again, but its entities,
        # unchanged, keep their results without being processed again.
        tagging.seen.clear()
        _make_all_due(service)
        while service.processing.process_due():
            pass
        assert tagging.seen == []
        # A refresh asks for processing whatever the entity's state, and a changed entity is processed.
        refresh_entities(service.database.engine, ["component:default/checkout"])
        (tmp_path / "c.yaml").write_text(BASIC.replace("Takes the money", "Takes more money"))
        _make_all_due(service)
        while service.processing.process_due():
            pass
        # The changed file is read whole (its entities processed there), and the refreshed entity takes its turn.
        assert sorted(tagging.seen) == ["checkout", "checkout", "checkout-api", "shop", "team-a"]
    service.run_until_idle(60)
    component = final(service, "component:default/checkout")
    assert component is not None and component["metadata"]["description"] == "Takes more money"
    assert component["metadata"]["labels"] == {"tagged": "yes"}
