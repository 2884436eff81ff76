"""The API "Definition" tab and its routes, through a running portal on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import orjson
import pytest
import views_data
from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE

Factory = Callable[..., TestClient]


@pytest.fixture
def client(portal_factory: Factory) -> Iterator[TestClient]:
    client = portal_factory(config=views_data.catalog_config())
    client.app.state.portal.core.services.get(CATALOG_SERVICE).run_until_idle(60)  # type: ignore[attr-defined]
    yield client


def tab(client: TestClient, name: str, tab_id: str = "definition") -> str:
    response = client.get(f"/catalog/default/api/{name}?tab={tab_id}")
    assert response.status_code == 200, response.text
    assert f'data-tab="{tab_id}"' in response.text
    return response.text


def test_openapi_tab_embeds_the_sandboxed_viewer(client: TestClient) -> None:
    html = tab(client, "petstore")
    assert 'sandbox="allow-scripts"' in html
    assert 'data-spec-url="/catalog-api/definition/default/petstore.json"' in html
    assert 'href="/catalog-api/definition/default/petstore/raw" download="petstore.yaml"' in html
    # The definition's own markup only ever appears escaped.
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned" in html or "&lt;</span>" in html


def test_openapi_json_is_the_parsed_spec(client: TestClient) -> None:
    response = client.get("/catalog-api/definition/default/petstore.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "sandbox" in response.headers["content-security-policy"]
    spec = orjson.loads(response.content)
    assert spec["openapi"] == "3.0.3"
    assert set(spec["paths"]) == {"/pets", "/pets/{petId}"}


def test_viewer_frame_is_locked_down(client: TestClient) -> None:
    response = client.get("/catalog-api/openapi-viewer")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    for directive in ("sandbox allow-scripts", "connect-src 'none'", "default-src 'none'", "frame-ancestors 'self'"):
        assert directive in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "/static/catalog/vendor/swagger-ui/swagger-ui-bundle.js" in response.text
    assert "http" not in response.text.replace('"http-equiv"', "")
    assert client.get("/static/catalog/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/catalog/views/openapi-frame.js").status_code == 200


def test_raw_definition_downloads_as_text(client: TestClient) -> None:
    response = client.get("/catalog-api/definition/default/petstore/raw")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == 'attachment; filename="petstore.yaml"'
    assert response.text.startswith("openapi: 3.0.3")
    assert client.get("/catalog-api/definition/default/inventory-grpc/raw").headers[
        "content-disposition"] == 'attachment; filename="inventory-grpc.proto"'


def test_unknown_and_non_api_entities_are_404(client: TestClient) -> None:
    assert client.get("/catalog-api/definition/default/nope.json").status_code == 404
    assert client.get("/catalog-api/definition/default/checkout.json").status_code == 404
    assert client.get("/catalog-api/definition/default/nope/raw").status_code == 404


def test_malformed_openapi_shows_an_error_not_a_500(client: TestClient) -> None:
    html = tab(client, "broken-openapi")
    assert "cannot be displayed" in html
    assert "not valid YAML or JSON at line" in html
    assert "<iframe" not in html
    assert "<script>alert(1)</script>" not in html
    response = client.get("/catalog-api/definition/default/broken-openapi.json")
    assert response.status_code == 422
    assert "not valid YAML" in response.json()["error"]


def test_asyncapi_is_rendered_as_tables(client: TestClient) -> None:
    html = tab(client, "orders-events")
    for text in ("Order events", "onOrderCreated", "orders/created", "OrderCreated", "application/json",
                 "<code>orderId</code>", "<code>lines[].quantity</code>", "minimum: 1", "string (uuid)",
                 "recursive #/components/messages/OrderCreated/payload", "broker.example.com:9092", "Sales region"):
        assert text in html, text
    assert "<script>alert(1)</script>" not in html
    assert "Events &lt;b&gt;about&lt;/b&gt; orders" in html


def test_yaml_alias_bomb_is_refused(client: TestClient) -> None:
    html = tab(client, "yaml-bomb")
    assert "cannot be displayed" in html
    assert "more than 200000 values" in html


def test_graphql_lists_types_and_highlights_sdl(client: TestClient) -> None:
    html = tab(client, "catalog-graphql")
    for text in ("<code>Query</code>", "<code>product(id: ID!)</code>", "<code>[Product!]!</code>",
                 "implements Node", "deprecated", "<code>RED</code>", "Find a product", 'class="gr-code"'):
        assert text in html, text
    assert 'download="catalog-graphql.graphql"' in html


def test_malformed_graphql_shows_the_parser_error(client: TestClient) -> None:
    html = tab(client, "broken-graphql")
    assert "the GraphQL schema does not parse at line 1" in html
    assert 'class="gr-code"' in html


def test_grpc_is_highlighted_raw_text(client: TestClient) -> None:
    html = tab(client, "inventory-grpc")
    assert 'class="gr-code"' in html
    assert "<details class=\"gr-raw\" open>" in html
    assert "Inventory" in html


def test_definition_tab_only_on_apis(client: TestClient) -> None:
    # A tab that does not apply to the entity is not offered, and asking for it is a 404, not another tab.
    assert client.get("/catalog/default/component/checkout?tab=definition").status_code == 404
    overview = client.get("/catalog/default/component/checkout").text
    assert "?tab=graph" in overview
    assert ">Definition</a>" not in overview
    assert ">Definition</a>" in client.get("/catalog/default/api/petstore").text


def test_api_docs_page_shows_the_portals_own_openapi_document(client: TestClient) -> None:
    page = client.get("/api-docs", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'data-spec-url="/api/openapi.json"' in page.text and 'sandbox="allow-scripts"' in page.text
    assert "/api/catalog/entities/by-query" in client.get("/api/openapi.json").json()["paths"]
    assert 'href="/api-docs"' in client.get("/plugins", headers={"Accept": "text/html"}).text
