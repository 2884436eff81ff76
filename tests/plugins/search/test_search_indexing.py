"""Indexing: incremental passes follow catalog edits and deletions, full passes prune, collators are isolated."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import docs_fixture
import pytest
from search_support import ENTITIES, Factory, catalog_of, query, search_of, start, titles
from starlette.testclient import TestClient

from greenroom import PluginManifest, hookimpl
from greenroom.plugins.search.model import Changes, FunctionCollator


def test_an_edited_entity_is_searchable_after_one_processing_pass(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path)
    service = search_of(client)
    assert service.indexer.incremental()[0].written == 0  # nothing changed: nothing rewritten
    edited = ENTITIES.replace("Holds the goods before checkout", "Keeps marmalade jars before checkout")
    edited = edited.replace("kind: Resource\nmetadata: {name: orders-db", "kind: Resource\nmetadata: {name: users-db")
    (tmp_path / "catalog" / "entities.yaml").write_text(edited)
    _reprocess(client)
    entity = client.get("/api/catalog/entities/by-name/component/default/basket").json()
    assert entity["metadata"]["description"].startswith("Keeps marmalade")
    results = {r.type: r for r in service.indexer.incremental()}
    assert results["software-catalog"].written >= 1
    assert results["software-catalog"].deleted == 1
    assert titles(query(client, term="marmalade")) == ["basket"]
    assert "orders-db" not in titles(query(client, term="orders"))


def _reprocess(client: TestClient) -> None:
    """One processing pass that re-reads every location now (processing runs on no schedule in these tests)."""
    catalog = catalog_of(client)
    with catalog.database.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE catalog_refresh_state SET next_update_at = 0")
    catalog.run_until_idle(60)
    catalog.delete_orphans()


def test_full_pass_removes_documents_a_collator_no_longer_publishes(client: TestClient) -> None:
    service = search_of(client)
    docs_fixture.EXTRA.append({"title": "Temporary page", "text": "zanzibar", "location": "/docs/tmp"})
    try:
        service.indexer.full(["techdocs"])
        assert titles(query(client, term="zanzibar")) == ["Temporary page"]
    finally:
        docs_fixture.EXTRA.clear()
    result = service.indexer.full(["techdocs"])[0]
    assert result.deleted == 1
    assert query(client, term="zanzibar")["results"] == []


@pytest.mark.parametrize("location", ["javascript:alert(1)", "//evil.example.com/x", "data:text/html,x", "", None])
def test_documents_with_unsafe_locations_are_skipped(client: TestClient, location: Any) -> None:
    docs_fixture.EXTRA.append({"title": "Unsafe", "text": "quokka", "location": location})
    docs_fixture.EXTRA.append({"title": "Safe", "text": "quokka", "location": "https://docs.example.com/q"})
    try:
        search_of(client).indexer.full(["techdocs"])
    finally:
        docs_fixture.EXTRA.clear()
    assert titles(query(client, term="quokka")) == ["Safe"]


class Feed:
    """A third party's collator that reports changes since a checkpoint."""

    type = "tickets"

    def __init__(self) -> None:
        self.items: dict[str, str] = {"/tickets/1": "Printer on fire"}
        self.version = 1
        self.asked: list[str | None] = []

    def documents(self) -> list[dict[str, Any]]:
        return [{"title": t, "text": "", "location": loc} for loc, t in self.items.items()]

    def changes(self, checkpoint: str | None) -> Changes:
        self.asked.append(checkpoint)
        return Changes(self.documents(), str(self.version), keep=list(self.items))


feed = Feed()
tickets_plugin_manifest = PluginManifest(id="tickets", name="Tickets", version="1.0")


@hookimpl
def search_collators() -> list[Any]:
    return [feed, FunctionCollator("broken", _explode)]


def _explode() -> list[Any]:
    raise RuntimeError("the docs server is down")


def test_third_party_collator_with_checkpoints_and_a_failing_one(portal_factory: Factory, tmp_path: Path) -> None:
    feed.__init__()  # type: ignore[misc]  # each database's run starts afresh
    module = types.ModuleType("tickets_plugin")
    module.manifest = tickets_plugin_manifest  # type: ignore[attr-defined]
    module.search_collators = search_collators  # type: ignore[attr-defined]
    client = portal_factory(config={"search": {"incrementalInterval": {"hours": 1}}}, plugins=[module])
    service = search_of(client)
    first = {r.type: r for r in service.indexer.incremental()}
    assert first["broken"].error == "RuntimeError: the docs server is down"
    assert first["tickets"].written == 1
    feed.items["/tickets/2"] = "Coffee machine descaling"
    del feed.items["/tickets/1"]
    feed.version = 2
    second = {r.type: r for r in service.indexer.incremental()}
    assert (second["tickets"].written, second["tickets"].deleted) == (1, 1)
    assert feed.asked[-1] == "1"
    assert titles(query(client, term="descaling")) == ["Coffee machine descaling"]
    assert query(client, term="printer")["results"] == []
    assert sorted(service.types()) == ["broken", "software-catalog", "techdocs", "tickets"]
