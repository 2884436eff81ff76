"""Re-reading a file location: unchanged files are not parsed again, yet the catalog ends up as a full read
would leave it. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.plugins.catalog.ingest import files
from greenroom.plugins.catalog.processing.providers import refresh_entities
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

Factory = Callable[..., TestClient]


def component(name: str, owner: str = "team-a") -> str:
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
            f"spec: {{type: service, lifecycle: production, owner: {owner}}}\n")


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the file reader hands to the parser, as it hands them."""
    seen: list[str] = []
    real = files.parse_many

    def counting(paths: Sequence[str], *args: Any, **kwargs: Any) -> Iterator[Any]:
        seen.extend(os.path.basename(p) for p in paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(files, "parse_many", counting)
    return seen


def start(factory: Factory, folder: Path, **catalog: Any) -> tuple[TestClient, CatalogService]:
    config = {"catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ["Component", "Location"]}], **catalog}}
    client = factory(config=config)
    service: CatalogService = client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined]
    service.run_until_idle(60)
    return client, service


def reread(service: CatalogService) -> None:
    """Make the location due now and let the loop take it."""
    with service.database.engine.connect() as conn:
        refs = [r[0] for r in conn.execute(text("SELECT entity_ref FROM catalog_refresh_state "
                                                "WHERE entity_ref LIKE 'location:%'"))]
    refresh_entities(service.database.engine, refs)
    service.run_until_idle(60)


def owners(client: TestClient) -> dict[str, str]:
    items = client.get("/api/catalog/entities", params={"filter": "kind=component"}).json()
    return {e["metadata"]["name"]: e["spec"]["owner"] for e in items}


def test_only_changed_and_new_files_are_parsed_again(portal_factory: Factory, tmp_path: Path,
                                                     parsed: list[str]) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(component(name))
    client, service = start(portal_factory, tmp_path, processingInterval={"minutes": 10})
    assert sorted(parsed) == ["a.yaml", "b.yaml", "c.yaml"]
    assert owners(client) == {"a": "team-a", "b": "team-a", "c": "team-a"}

    parsed.clear()
    reread(service)
    assert parsed == []  # nothing changed: nothing parsed
    assert owners(client) == {"a": "team-a", "b": "team-a", "c": "team-a"}

    (tmp_path / "b.yaml").write_text(component("b", owner="team-b"))
    (tmp_path / "d.yaml").write_text(component("d"))
    parsed.clear()
    reread(service)
    assert sorted(parsed) == ["b.yaml", "d.yaml"]
    assert owners(client) == {"a": "team-a", "b": "team-b", "c": "team-a", "d": "team-a"}


def test_a_file_that_is_gone_or_broken_is_seen_although_others_are_skipped(portal_factory: Factory, tmp_path: Path,
                                                                           parsed: list[str]) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(component(name))
    client, service = start(portal_factory, tmp_path, processingInterval={"minutes": 10}, orphanStrategy="delete")
    (tmp_path / "a.yaml").unlink()
    (tmp_path / "b.yaml").write_text("kind: [unclosed\n")
    parsed.clear()
    reread(service)
    service.delete_orphans()
    assert parsed == ["b.yaml"]
    assert set(owners(client)) == {"b", "c"}  # a is gone; b keeps its last good version
    b = client.get("/api/catalog/entities/by-name/component/default/b").json()
    assert any("b.yaml" in item["message"] for item in b["status"]["items"]), b.get("status")

    (tmp_path / "b.yaml").write_text(component("b", owner="team-b"))
    reread(service)
    b = client.get("/api/catalog/entities/by-name/component/default/b").json()
    assert b["spec"]["owner"] == "team-b" and "status" not in b


def test_an_entity_deleted_from_the_store_comes_back_from_its_unchanged_file(portal_factory: Factory,
                                                                             tmp_path: Path,
                                                                             parsed: list[str]) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(component(name))
    client, service = start(portal_factory, tmp_path, processingInterval={"minutes": 10})
    uid = client.get("/api/catalog/entities/by-name/component/default/a").json()["metadata"]["uid"]
    assert client.delete(f"/api/catalog/entities/by-uid/{uid}").status_code == 204
    assert set(owners(client)) == {"b"}
    parsed.clear()
    reread(service)
    # The unchanged file's entity was not in the store as the file gave it: that file alone is read again.
    assert parsed == ["a.yaml"]
    assert set(owners(client)) == {"a", "b"}


def test_the_first_file_keeps_an_entity_defined_twice_on_every_read(portal_factory: Factory, tmp_path: Path,
                                                                    parsed: list[str]) -> None:
    (tmp_path / "a.yaml").write_text(component("x", owner="team-a"))
    (tmp_path / "b.yaml").write_text(component("x", owner="team-b"))
    client, service = start(portal_factory, tmp_path, processingInterval={"minutes": 10})
    assert owners(client) == {"x": "team-a"}
    for _ in range(2):
        parsed.clear()
        reread(service)
        assert parsed == []
        assert owners(client) == {"x": "team-a"}
    location = client.get("/api/catalog/entities", params={"filter": "kind=location"}).json()[0]
    messages = [item["message"] for item in location.get("status", {}).get("items", [])]
    assert any("defined twice" in m and "b.yaml" in m for m in messages), messages
