"""`GET /api/search/query` in Backstage's shape: results, highlights, types, filters and paging."""

from __future__ import annotations

from search_support import query
from starlette.testclient import TestClient


def test_query_returns_backstage_results(client: TestClient) -> None:
    body = query(client, term="checkout")
    assert body["numberOfResults"] >= 3
    first = body["results"][0]
    assert first["type"] == "software-catalog"
    assert first["rank"] == 1
    document = first["document"]
    assert document["title"] == "Checkout Service"
    assert document["location"] == "/catalog/default/component/checkout"
    assert {"text", "kind", "namespace", "componentType", "lifecycle", "owner"} <= set(document)
    assert "authorization" not in document
    highlight = first["highlight"]
    assert highlight["fields"]["title"] == f"{highlight['preTag']}Checkout{highlight['postTag']} Service"
