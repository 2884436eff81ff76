"""Per-entity read rules hold on every surface that shows an entity or its data, not only the catalog's lists.

Alice may read only what she owns (through team-a and its parent, platform); bob may read everything. Billing,
its API and its docs belong to another group, so for alice they are simply absent: missing from search results,
suggestions, facets, the graph and the unprocessed list, and 404 wherever they are asked for by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from auth_fixtures import SECRET, Factory
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.plugins.auth import runtime_of
from greenroom.plugins.catalog.service import CATALOG_SERVICE
from greenroom.plugins.search.service import SEARCH_SERVICE

POLICY = """\
roles:
  - name: everyone
    members: ["*"]
    allow:
      - {permission: catalog.entity.read, owned: true}
      - {permission: catalog.location.read}
      - {permission: techdocs.entity.read}
  - name: admins
    members: [user:bob]
    allow: [{permission: "*"}]
"""
DOCS = {"backstage.io/techdocs-ref": "dir:."}
ENTITIES: list[dict[str, Any]] = [
    {"kind": "User", "metadata": {"name": "alice"}, "spec": {"memberOf": ["team-a"]}},
    {"kind": "User", "metadata": {"name": "bob"}, "spec": {"memberOf": []}},
    {"kind": "Group", "metadata": {"name": "team-a"}, "spec": {"type": "team", "parent": "platform", "children": []}},
    {"kind": "Group", "metadata": {"name": "platform"}, "spec": {"type": "department", "children": ["team-a"]}},
    {"kind": "Component", "metadata": {"name": "checkout", "description": "Takes payments into the ledger",
                                       "annotations": DOCS},
     "spec": {"type": "service", "lifecycle": "production", "owner": "team-a",
              "dependsOn": ["component:billing"], "consumesApi": ["billing-api"]}},
    {"kind": "Component", "metadata": {"name": "billing", "description": "Moves payments out of the ledger",
                                       "annotations": DOCS},
     "spec": {"type": "service", "lifecycle": "experimental", "owner": "group:default/other"}},
    {"kind": "API", "metadata": {"name": "checkout-api", "description": "Checkout ledger calls"},
     "spec": {"type": "openapi", "lifecycle": "production", "owner": "team-a",
              "definition": "openapi: 3.0.0\ninfo: {title: Checkout, version: '1'}\npaths: {}\n"}},
    {"kind": "API", "metadata": {"name": "billing-api", "description": "Billing ledger calls"},
     "spec": {"type": "openapi", "lifecycle": "production", "owner": "group:default/other",
              "definition": "openapi: 3.0.0\ninfo: {title: Billingsecret, version: '1'}\npaths: {}\n"}},
]


def _publish(sites: Path, name: str, title: str, words: str) -> None:
    """A site as CI would publish it for the external builder: metadata and MkDocs' search index."""
    folder = sites / "default" / "component" / name
    (folder / "search").mkdir(parents=True)
    (folder / "index.html").write_text(f"<html><body><h1>{title}</h1><p>{words}</p></body></html>")
    (folder / "techdocs_metadata.json").write_text(json.dumps({"site_name": title, "build_timestamp": 1.7e12,
                                                               "etag": name}))
    (folder / "search" / "search_index.json").write_text(json.dumps({"docs": [
        {"location": "", "title": f"{title} runbook", "text": words}]}))


@pytest.fixture
def portal(portal_factory: Factory, tmp_path: Path) -> TestClient:
    org = tmp_path / "org.yaml"
    org.write_text("---\n".join(json.dumps({"apiVersion": "backstage.io/v1alpha1", **e}) + "\n" for e in ENTITIES))
    (tmp_path / "broken.yaml").write_text(json.dumps({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                                                      "metadata": {"name": "Not A Valid Name!"}}))
    (tmp_path / "policy.yaml").write_text(POLICY)
    _publish(tmp_path / "sites", "checkout", "Checkout", "ledger reconciliation for checkout")
    _publish(tmp_path / "sites", "billing", "Billing", "ledger reconciliation for billing")
    kinds = ["Component", "API", "Group", "User", "Location"]
    client = portal_factory(config={
        "catalog": {"locations": [{"type": "file", "target": str(org)}, {"type": "file",
                                                                         "target": str(tmp_path / "broken.yaml")}],
                    "processingInterval": False, "rules": [{"allow": kinds}]},
        "auth": {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET}},
        "permission": {"enabled": True, "policy": str(tmp_path / "policy.yaml")},
        "techdocs": {"builder": "external", "publisher": {"local": {"publishDirectory": str(tmp_path / "sites")}}},
    })
    services = client.app.state.portal.core.services  # type: ignore[attr-defined]
    catalog = services.get(CATALOG_SERVICE)
    catalog.run_until_idle(60)
    # Processing errors on a stitched entity of each owner, for the unprocessed list (processing is off, so
    # nothing overwrites them).
    with catalog.database.engine.begin() as conn:
        conn.execute(text("UPDATE catalog_refresh_state SET errors = :e WHERE entity_ref IN "
                          "('component:default/checkout', 'component:default/billing')"),
                     {"e": json.dumps([{"name": "InputError", "message": "something is off"}])})
    failed = [r for r in services.get(SEARCH_SERVICE).indexer.full() if r.error]
    assert not failed, failed
    return client


def _as(client: TestClient, user: str) -> dict[str, str]:
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    catalog = client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined]
    return {"authorization": f"Bearer {runtime.tokens.issue(user, catalog.ownership_refs(user))}",
            "accept": "text/html"}


def _locations(body: dict[str, Any]) -> list[str]:
    return sorted(r["document"]["location"] for r in body["results"])


def test_search_results_totals_and_paging_count_only_readable_documents(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    everything = portal.get("/api/search/query?term=ledger", headers=bob).json()
    assert "/catalog/default/component/billing" in _locations(everything)
    assert "/docs/default/component/billing/" in _locations(everything)
    mine = portal.get("/api/search/query?term=ledger", headers=alice).json()
    assert _locations(mine) == ["/catalog/default/api/checkout-api", "/catalog/default/component/checkout",
                                "/docs/default/component/checkout/"]
    assert mine["numberOfResults"] == 3 and everything["numberOfResults"] == 6
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = portal.get(f"/api/search/query?term=ledger&pageLimit=2{cursor}", headers=alice).json()
        assert page["numberOfResults"] == 3
        seen += _locations(page)
        if "nextPageCursor" not in page:
            break
        cursor = f"&pageCursor={page['nextPageCursor']}"
    assert sorted(seen) == _locations(mine)
    typed = portal.get("/api/search/query?term=ledger&types[0]=techdocs", headers=alice).json()
    assert _locations(typed) == ["/docs/default/component/checkout/"]
    browse = portal.get("/api/search/query?filters[kind]=component", headers=alice).json()
    assert _locations(browse) == ["/catalog/default/component/checkout", "/docs/default/component/checkout/"]
    assert portal.get("/api/search/query?term=billingsecret", headers=alice).json()["numberOfResults"] == 0


def test_search_page_and_suggestions_leave_out_unreadable_entities(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    page = portal.get("/search?query=ledger&types=software-catalog", headers=alice)
    assert page.status_code == 200
    assert "/catalog/default/component/checkout" in page.text
    assert "/catalog/default/component/billing" not in page.text and "experimental" not in page.text.lower()
    assert "/docs/default/component/billing/" not in portal.get("/search?query=ledger", headers=alice).text
    assert "/catalog/default/component/billing" in portal.get("/search?query=ledger", headers=bob).text
    suggested = portal.get("/search/suggest?query=bil", headers=alice)
    assert suggested.status_code == 200 and "/billing" not in suggested.text
    assert "/catalog/default/component/billing" in portal.get("/search/suggest?query=bil", headers=bob).text
    assert "/catalog/default/component/checkout" in portal.get("/search/suggest?query=che", headers=alice).text


def test_graph_shows_and_walks_only_readable_entities(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    graph = portal.get("/catalog-graph/data?entity=component:default/checkout&depth=3", headers=alice).json()
    refs = {n["ref"] for n in graph["nodes"]}
    assert "component:default/checkout" in refs and not any("billing" in r for r in refs)
    assert not any("billing" in e["source"] + e["target"] for e in graph["edges"])
    full = portal.get("/catalog-graph/data?entity=component:default/checkout&depth=3", headers=bob).json()
    assert "component:default/billing" in {n["ref"] for n in full["nodes"]}
    assert portal.get("/catalog-graph/data?entity=component:default/billing", headers=alice).status_code == 404
    assert portal.get("/catalog-graph?entity=component:default/billing", headers=alice).status_code == 404
    tab = portal.get("/catalog/default/component/checkout?tab=graph", headers=alice)
    assert tab.status_code == 200 and "/catalog/default/component/billing" not in tab.text


def test_entity_pages_by_name_ancestry_and_definitions_hide_unreadable_entities(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    page = portal.get("/catalog/default/component/checkout", headers=alice)
    assert page.status_code == 200
    assert "/catalog/default/component/billing" not in page.text and "Moves payments" not in page.text
    assert 'data-hidden-related="1"' in page.text
    assert "/catalog/default/component/billing" in portal.get("/catalog/default/component/checkout",
                                                              headers=bob).text
    for url in ("/catalog/default/component/billing", "/api/catalog/entities/by-name/component/default/billing",
                "/api/catalog/entities/by-name/component/default/billing/ancestry",
                "/catalog-api/definition/default/billing-api.json", "/catalog-api/definition/default/billing-api/raw"):
        assert portal.get(url, headers=alice).status_code == 404, url
        assert portal.get(url, headers=bob).status_code == 200, url
    refused = portal.get("/api/catalog/locations/by-entity/component/default/billing", headers=alice)
    assert refused.status_code == 404
    assert portal.get("/catalog-api/definition/default/checkout-api.json", headers=alice).status_code == 200
    ancestry = portal.get("/api/catalog/entities/by-name/component/default/checkout/ancestry", headers=alice).json()
    assert [i["entity"]["metadata"]["name"] for i in ancestry["items"]] == ["checkout"]
    assert ancestry["items"][0]["parentEntityRefs"] == []
    assert len(portal.get("/api/catalog/entities/by-name/component/default/checkout/ancestry",
                          headers=bob).json()["items"]) > 1
    refs = portal.post("/api/catalog/entities/by-refs", headers=alice, json={
        "entityRefs": ["component:default/billing", "component:default/checkout"]}).json()["items"]
    assert refs[0] is None and refs[1]["metadata"]["name"] == "checkout"


def test_unprocessed_list_shows_only_readable_entities(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    mine = portal.get("/catalog/unprocessed", headers=alice)
    assert mine.status_code == 200
    assert "/catalog/default/component/checkout" in mine.text
    assert "/catalog/default/component/billing" not in mine.text and "broken.yaml" not in mine.text
    everything = portal.get("/catalog/unprocessed", headers=bob).text
    assert "/catalog/default/component/billing" in everything and "/catalog/default/component/checkout" in everything
    assert "broken.yaml" in everything  # never processed, so no read rule can be checked: shown to bob only


def test_docs_of_unreadable_entities_are_not_there(portal: TestClient) -> None:
    alice, bob = _as(portal, "user:default/alice"), _as(portal, "user:default/bob")
    index = portal.get("/docs", headers=alice)
    assert index.status_code == 200
    assert "/docs/default/component/checkout/" in index.text and "/docs/default/component/billing/" not in index.text
    assert "/docs/default/component/billing/" in portal.get("/docs", headers=bob).text
    for url in ("/docs/default/component/billing/", "/docs-status/default/component/billing",
                "/api/techdocs/metadata/techdocs/default/component/billing",
                "/api/techdocs/metadata/entity/default/component/billing",
                "/api/techdocs/static/docs/default/component/billing/index.html"):
        assert portal.get(url, headers=alice).status_code == 404, url
        assert portal.get(url, headers=bob).status_code == 200, url
    assert portal.get("/docs/default/component/checkout/", headers=alice).status_code == 200
    assert portal.get("/api/techdocs/static/docs/default/component/checkout/index.html",
                      headers=alice).status_code == 200
    tabs = portal.get("/catalog/default/component/checkout", headers=alice).text
    assert "?tab=docs" in tabs  # the Docs tab follows the per-entity decision, not an outright ALLOW
