"""The dependency graph: the walk over catalog_relations, its bounds, the page, the fragment and the JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import views_data
from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.plugins.catalog.views.graph import walk
from greenroom.plugins.catalog.views.graph_routes import parse_query

Factory = Callable[..., TestClient]


def service_of(client: TestClient) -> CatalogService:
    return client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def client(portal_factory: Factory) -> Iterator[TestClient]:
    client = portal_factory(config=views_data.catalog_config())
    service_of(client).run_until_idle(60)
    yield client


def data(client: TestClient, query: str) -> dict[str, object]:
    response = client.get(f"/catalog-graph/data?{query}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def refs(body: dict[str, object]) -> set[str]:
    return {str(n["ref"]) for n in body["nodes"]}  # type: ignore[attr-defined,index]


def test_depth_one_is_the_direct_neighbourhood(client: TestClient) -> None:
    body = data(client, "entity=component:checkout&depth=1")
    assert refs(body) == {"component:default/checkout", "group:default/team-a", "system:default/shop",
                          "api:default/petstore", "api:default/orders-events", "api:default/catalog-graphql",
                          "resource:default/orders-db"}
    assert body["truncated"] is False
    edges = {(e["source"], e["type"], e["target"]) for e in body["edges"]}  # type: ignore[attr-defined,index]
    # Each ownedBy/ownerOf pair is drawn once, in the forward direction.
    assert ("component:default/checkout", "ownedBy", "group:default/team-a") in edges
    assert ("group:default/team-a", "ownerOf", "component:default/checkout") not in edges
    assert ("component:default/checkout", "providesApi", "api:default/petstore") in edges


def test_depth_and_relation_filters(client: TestClient) -> None:
    deeper = refs(data(client, "entity=component:default/checkout&depth=2"))
    assert {"component:default/storefront", "user:default/alice", "domain:default/commerce"} <= deeper
    owned = refs(data(client, "entity=group:team-a&depth=1&relations=ownedBy"))
    # Only `ownedBy` picked, yet the group's side finds what it owns (rows are matched from either end).
    assert "component:default/checkout" in owned
    assert "user:default/alice" not in owned
    repeated = refs(data(client, "entity=group:team-a&depth=1&relations=memberOf&relations=hasMember"))
    assert repeated == {"group:default/team-a", "user:default/alice"}


def test_walk_is_bounded_and_reports_truncation(client: TestClient) -> None:
    graph = walk(service_of(client), "component:default/checkout", 4, parse_query({}).relations, max_nodes=3)
    assert len(graph.nodes) == 3
    assert graph.truncated
    assert all(e.source in {n.ref for n in graph.nodes} and e.target in {n.ref for n in graph.nodes}
               for e in graph.edges)


def test_query_parameters_are_clamped_and_checked() -> None:
    assert parse_query({"entity": "component:x", "depth": "99"}).depth == 4
    assert parse_query({"entity": "component:x", "depth": "0"}).depth == 1
    assert parse_query({"entity": "component:x", "depth": "deep"}).depth == 2
    assert parse_query({"entity": "component:x", "relations": "ownedBy,<script>,partOf"}).relations == [
        "ownedBy", "partOf"]
    assert parse_query({"entity": "::"}).error is not None


def test_page_renders_svg_links_and_a_list(client: TestClient) -> None:
    response = client.get("/catalog-graph?entity=component:default/checkout&depth=1&relations=ownedBy,partOf")
    assert response.status_code == 200
    html = response.text
    assert "<svg" in html and 'class="gr-graph-node gr-root"' in html
    assert 'href="/catalog/default/group/team-a"' in html
    assert 'aria-label="Group team-a"' in html
    assert "Relations as a list" in html
    assert 'value="ownedBy" checked' in html and 'value="dependsOn" checked' not in html
    assert "Dependency graph · " in html


def test_missing_entity_and_bad_ref(client: TestClient) -> None:
    assert client.get("/catalog-graph").status_code == 200
    missing = client.get("/catalog-graph?entity=component:default/ghost")
    assert missing.status_code == 404
    assert "There is no entity component:default/ghost" in missing.text
    bad = client.get("/catalog-graph?entity=%3Cscript%3E:")
    assert bad.status_code == 400
    assert "<script>" not in bad.text
    assert client.get("/catalog-graph/data?entity=component:ghost").status_code == 404


def test_tab_and_fragment_swap_in_place(client: TestClient) -> None:
    html = client.get("/catalog/default/component/checkout?tab=graph").text
    assert 'hx-get="/catalog-graph/fragment"' in html
    assert 'name="entity" value="component:default/checkout"' in html
    fragment = client.get("/catalog-graph/fragment?entity=component:default/checkout&embedded=1&depth=1"
                          "&relations=providesApi")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.count('<a class="gr-graph-node') == 3


def test_large_graph_is_truncated_at_300(portal_factory: Factory, tmp_path: Path) -> None:
    docs = ["apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: big}\nspec: {type: team, children: []}"]
    docs += [f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: c{i}}}\n"
             f"spec: {{type: service, lifecycle: production, owner: big}}" for i in range(320)]
    (tmp_path / "big.yaml").write_text("\n---\n".join(docs))
    client = portal_factory(config=views_data.catalog_config(tmp_path))
    service_of(client).run_until_idle(120)
    body = data(client, "entity=group:big&depth=1")
    assert len(body["nodes"]) == 300  # type: ignore[arg-type]
    assert body["truncated"] is True
    page = client.get("/catalog-graph?entity=group:big&depth=1")
    assert "Truncated: only the first 300 entities" in page.text
