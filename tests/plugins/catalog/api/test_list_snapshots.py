"""Whole lists kept per catalog generation (api/snapshots.py), on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_api_support import catalog_of, names
from starlette.testclient import TestClient

from greenroom.plugins.catalog.api.snapshots import ListSnapshots
from greenroom.plugins.catalog.store.bulk import execute_raw
from greenroom.plugins.catalog.store.generation import bump

API = "/api/catalog"


def _kept(client: TestClient) -> list[Path]:
    folder = catalog_of(client).list_snapshots._folder
    return sorted(folder.glob("*.json")) if folder is not None else []


def _rename_behind_the_catalogs_back(client: TestClient, name: str, bump_generation: bool) -> None:
    """Change a stored entity's bytes the way no catalog write would: without moving the generation on."""
    engine = catalog_of(client).database.engine
    with engine.begin() as conn:
        row = execute_raw(conn, "SELECT id, final_entity FROM catalog_final_entities WHERE entity_ref = "
                                + ("%s" if conn.dialect.name == "postgresql" else "?"), [f"component:default/{name}"])
        changed = bytes(row[0][1]).replace(f'"name":"{name}"'.encode(), b'"name":"renamed"')
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        execute_raw(conn, f"UPDATE catalog_final_entities SET final_entity = {mark} WHERE id = {mark}",
                    [changed, row[0][0]])
        if bump_generation:
            bump(conn)


def test_a_whole_list_is_sent_again_from_its_file_until_the_catalog_changes(client: TestClient) -> None:
    first = client.get(f"{API}/entities", params={"filter": "kind=component"})
    assert _kept(client) == []  # asked for once: not written
    assert client.get(f"{API}/entities", params={"filter": "kind=component"}).content == first.content
    assert len(_kept(client)) == 1
    # The kept file answers: a change made without moving the generation on does not show ...
    _rename_behind_the_catalogs_back(client, "checkout", bump_generation=False)
    again = client.get(f"{API}/entities", params={"filter": "kind=component"})
    assert again.content == first.content and again.headers["content-type"].startswith("application/json")
    # ... while a paged read, never kept, goes to the database.
    assert "renamed" in [e["metadata"]["name"] for e in client.get(f"{API}/entities", params={
        "filter": "kind=component", "limit": 10}).json()]
    # Any catalog change moves the generation on: the list is read again, and the old file goes once the new one
    # is written.
    _rename_behind_the_catalogs_back(client, "web-shop", bump_generation=True)
    for _ in range(2):
        fresh = [e["metadata"]["name"] for e in client.get(f"{API}/entities",
                                                             params={"filter": "kind=component"}).json()]
        assert fresh.count("renamed") == 2 and "web-shop" not in fresh
    assert len(_kept(client)) == 1


def test_each_request_shape_is_kept_apart(client: TestClient) -> None:
    for _ in range(2):
        everything = client.get(f"{API}/entities").json()
        components = client.get(f"{API}/entities", params={"filter": "kind=component"}).json()
        projected = client.get(f"{API}/entities", params={"filter": "kind=component",
                                                          "fields": "metadata.name"}).json()
        ordered = client.get(f"{API}/entities", params={"filter": "kind=component",
                                                        "order": "desc:metadata.name"}).json()
    assert len(_kept(client)) == 4
    assert client.get(f"{API}/entities").json() == everything
    assert client.get(f"{API}/entities", params={"filter": "kind=component"}).json() == components
    assert projected == [{"metadata": {"name": e["metadata"]["name"]}} for e in components]
    assert names(ordered) == sorted(names(components), key=lambda n: n.split("/")[1], reverse=True)


def test_a_list_is_not_kept_when_the_budget_is_spent_or_zero(client: TestClient,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    snapshots = catalog_of(client).list_snapshots
    monkeypatch.setattr(snapshots, "max_bytes", 100)
    for _ in range(3):
        assert len(client.get(f"{API}/entities").json()) == 10
    assert _kept(client) == []
    monkeypatch.setattr(snapshots, "max_bytes", 0)
    for _ in range(3):
        assert len(client.get(f"{API}/entities").json()) == 10
    assert _kept(client) == []


def test_kept_lists_stay_within_the_budget_least_recently_used_first(tmp_path: Path) -> None:
    snapshots = ListSnapshots(25)
    for key in ("a", "b", "c"):
        assert b"".join(snapshots.record(key, 1, iter([b"0123456789"]), lambda: 1)) == b"0123456789"
    folder = snapshots._folder
    assert folder is not None
    assert sorted(p.name for p in folder.glob("*.json")) == ["b-1.json", "c-1.json"]
    assert b"".join(snapshots.cached("b", 1) or []) == b"0123456789"
    assert snapshots.cached("b", 2) is None and snapshots.cached("a", 1) is None
    # The generation moved on while the list was read: what was read is sent, but not kept.
    assert b"".join(snapshots.record("d", 1, iter([b"x", b"y"]), lambda: 2)) == b"xy"
    assert snapshots.cached("d", 1) is None
    # A newer generation of a list replaces the older one.
    b"".join(snapshots.record("b", 3, iter([b"new"]), lambda: 3))
    assert sorted(p.name for p in folder.glob("*.json")) == ["b-3.json", "c-1.json"]
    assert not list(folder.glob(".part-*"))
    snapshots.close()
    assert not folder.exists()


def test_only_a_list_asked_for_again_in_the_same_generation_is_worth_a_file() -> None:
    snapshots = ListSnapshots(1000)
    assert not snapshots.asked_before("a", 1)
    assert snapshots.asked_before("a", 1)
    assert not snapshots.asked_before("a", 2)  # the catalog changed meanwhile
    assert not snapshots.asked_before("b", 2) and snapshots.asked_before("a", 2)


def test_a_client_that_goes_away_leaves_nothing_behind() -> None:
    snapshots = ListSnapshots(1000)
    stream = snapshots.record("a", 1, iter([b"[", b"1", b"]"]), lambda: 1)
    assert next(stream) == b"["
    stream.close()
    folder = snapshots._folder
    assert folder is not None and list(folder.iterdir()) == []
    snapshots.close()
