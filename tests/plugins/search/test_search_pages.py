"""The search page, the header box and its suggestions: plain HTML forms, escaped highlights, tabs, filters."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient


def html(client: TestClient, url: str, status: int = 200, **params: Any) -> str:
    response = client.get(url, params=params, headers={"accept": "text/html"})
    assert response.status_code == status, response.text[:2000]
    return response.text


def result_links(page: str) -> list[str]:
    return re.findall(r'<a class="search-result-title" href="([^"]*)">', page)


def test_header_box_on_every_page_is_a_plain_form(client: TestClient) -> None:
    page = html(client, "/catalog")
    assert '<form class="search-box" method="get" action="/search"' in page
    assert 'role="combobox"' in page and 'aria-controls="global-search-list"' in page
    assert 'href="/search"' in page  # the sidebar link


def test_search_page_lists_results_linking_to_entity_and_docs_pages(client: TestClient) -> None:
    page = html(client, "/search", query="checkout")
    links = result_links(page)
    assert links[0] == "/catalog/default/component/checkout"
    assert "/docs/default/component/checkout/index.html" in links
    assert "<mark>Checkout</mark> Service" in page
    assert 'value="checkout"' in page


def test_highlights_and_document_text_are_escaped(client: TestClient) -> None:
    page = html(client, "/search", query="incident")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    page = html(client, "/search", query="money")
    assert "Takes the <mark>money</mark> &lt;script&gt;" in page


def test_tabs_and_filters(client: TestClient) -> None:
    page = html(client, "/search", query="checkout")
    assert 'href="/search?query=checkout&amp;types=techdocs"' in page
    docs = html(client, "/search", query="checkout", types="techdocs")
    assert all(link.startswith("/docs/") for link in result_links(docs))
    catalog = html(client, "/search", query="checkout", types="software-catalog", lifecycle="experimental")
    assert result_links(catalog) == ["/catalog/default/component/checkout-ui", "/catalog/default/component/basket"]
    assert '<option value="experimental" selected>' in catalog
    assert 'id="search-filter-owner"' in catalog


def test_paging_without_javascript(client: TestClient) -> None:
    first = html(client, "/search", query="the")
    total = int(re.search(r"(\d+) results", first).group(1))  # type: ignore[union-attr]
    assert total > 0
    assert html(client, "/search", query="the", page="999").count("search-result-title") == 0


def test_bad_input_on_the_page(client: TestClient) -> None:
    assert "at most 100 characters" in html(client, "/search", 400, query="x" * 10_000)
    for term in ['"', "NEAR(", "-", "*", "(a OR b)", ":"]:
        html(client, "/search", query=term)
    html(client, "/search", query="checkout", types="nope", page="-3", kind="x" * 500)


def test_suggestions_fragment(client: TestClient) -> None:
    response = client.get("/search/suggest", params={"query": "ledg"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    options = re.findall(r'role="option" id="([^"]+)" href="([^"]+)"', response.text)
    assert options[0] == ("global-search-option-1", "/catalog/finance/component/ledger")
    assert options[-1] == ("global-search-option-all", "/search?query=ledg")
    assert "<mark>ledger</mark>" in response.text
    assert client.get("/search/suggest", params={"query": ""}).text.strip() == ""
    assert "No suggestions" in client.get("/search/suggest", params={"query": "zzqqxx"}).text
    assert client.get("/search/suggest", params={"query": "<b>" * 5000}).status_code == 200


def test_nav_item(client: TestClient) -> None:
    assert re.search(r'<a class="nav-link" href="/search" aria-current="page">', html(client, "/search"))


def test_results_without_highlight_are_plain_escaped_text(client: TestClient) -> None:
    # A filter-only search has no words to highlight: titles must come out as they are, escaped.
    page = html(client, "/search", query="", types="software-catalog", kind="component")
    assert "<mark>" not in page
    assert 'href="/catalog/default/component/checkout">Checkout Service</a>' in page
