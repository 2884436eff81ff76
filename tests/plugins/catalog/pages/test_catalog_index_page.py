"""The catalog index page: filters, text search, sorting, paging, htmx fragments, "mine" and starred."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pages_support import ALICE, XSS, Factory, html, row_names, sign_in, start
from starlette.testclient import TestClient

from greenroom.plugins.catalog.pages import listing

MANY = "\n---\n".join(
    f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: svc-{i:02d}}}\n"
    f"spec: {{type: service, lifecycle: production, owner: team-x}}" for i in range(30))


def test_index_lists_entities_with_columns_and_accessible_table(client: TestClient) -> None:
    page = html(client, "/catalog")
    names = row_names(page)
    assert names[:3] == ["alice", "basket", "Checkout Service"]
    assert "13 entities" in page
    assert '<caption class="visually-hidden">Catalog entities, sorted by name ascending</caption>' in page
    assert '<th scope="col" aria-sort="ascending">' in page
    assert 'href="/catalog/default/component/checkout"' in page
    assert 'href="/catalog/default/group/team-a">team-a</a>' in page  # owner column links the owner
    assert '<span class="gr-chip">payments</span>' in page
    assert '<label for="filter-kind">Kind</label>' in page
    assert '<option value="Component">Component (4)</option>' in page
    assert '<option value="group:default/team-a">team-a (6)</option>' in page
    assert 'aria-current="page"' in page  # the Catalog nav link


def test_index_escapes_entity_text(client: TestClient) -> None:
    page = html(client, "/catalog")
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    reflected = html(client, "/catalog?q=%3Cscript%3Ealert(9)%3C/script%3E&kind=%22%3E%3Cb%3E")
    assert "<script>alert(9)" not in reflected and '"><b>' not in reflected


def test_filters_by_each_facet(client: TestClient) -> None:
    assert row_names(html(client, "/catalog?kind=api")) == ["checkout-api"]
    assert row_names(html(client, "/catalog?kind=Component&type=website")) == ["web-shop"]
    assert row_names(html(client, "/catalog?lifecycle=experimental")) == ["basket"]
    assert row_names(html(client, "/catalog?tag=java")) == ["Checkout Service"]
    assert row_names(html(client, "/catalog?namespace=finance")) == ["finance/ledger"]
    owned = row_names(html(client, "/catalog?owner=group:default/team-b"))
    assert owned == ["basket"]
    both = row_names(html(client, "/catalog?kind=api&kind=resource"))
    assert both == ["checkout-api", "db"]
    page = html(client, "/catalog?kind=api")
    assert '<option value="API" selected>' in page
    assert "1 entity match the filters" in page


def test_filters_tested_per_entry_or_collected_first_give_the_same_pages(client: TestClient,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    urls = ["/catalog?kind=api&kind=resource", "/catalog?kind=component&lifecycle=production&dir=desc",
            "/catalog?tag=java", "/catalog?owner=group:default/team-b&sort=type", "/catalog?q=serv&kind=component",
            "/catalog?kind=component&size=1&page=3", "/catalog?kind=component&type=website&sort=lifecycle",
            "/catalog?q=shop", "/catalog?q=E&sort=type&dir=desc", "/catalog?q=e&sort=lifecycle", "/catalog?q=10%25"]
    pages = {}
    for walk in (0, 10**9):  # always collected first; always tested per entry
        monkeypatch.setattr(listing, "PROBE_WALK", walk)
        pages[walk] = [row_names(html(client, url)) for url in urls]
    assert pages[0] == pages[10**9]
    assert all(pages[0][:5]) and all(pages[0][7:10]), pages[0]


def test_text_filter_matches_name_title_and_description(client: TestClient) -> None:
    assert row_names(html(client, "/catalog?q=storefront")) == ["web-shop"]
    assert row_names(html(client, "/catalog?q=CHECKOUT+serv")) == ["Checkout Service"]
    empty = html(client, "/catalog?q=nothing-like-this")
    assert "No entities match these filters" in empty and 'href="/catalog">Clear the filters' in empty


def test_sorting_by_columns(client: TestClient) -> None:
    descending = row_names(html(client, "/catalog?kind=component&dir=desc"))
    assert descending == ["web-shop", "finance/ledger", "Checkout Service", "basket"]
    page = html(client, "/catalog?kind=component&sort=lifecycle")
    assert row_names(page) == ["finance/ledger", "basket", "Checkout Service", "web-shop"]
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a id="sort-lifecycle"', page)
    # A second click on the sorted column reverses it; other columns start ascending; filters are kept.
    assert 'href="/catalog?kind=component&amp;sort=lifecycle&amp;dir=desc"' in page
    assert 'href="/catalog?kind=component&amp;sort=type"' in page
    assert row_names(html(client, "/catalog?sort=bogus&kind=api")) == ["checkout-api"]


def test_paging_with_offsets_and_current_page(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, files={"many.yaml": MANY})
    first = html(client, "/catalog?kind=component")
    assert row_names(first) == [f"svc-{i:02d}" for i in range(25)]
    assert "30 entities match the filters · page 1 of 2" in first
    assert '<a id="page-1" href="/catalog?kind=component" hx-get="/catalog?kind=component" aria-current="page"' in first
    assert 'href="/catalog?kind=component&amp;page=2"' in first and 'rel="next"' in first
    second = html(client, "/catalog?kind=component&page=2")
    assert row_names(second) == [f"svc-{i:02d}" for i in range(25, 30)]
    assert 'id="page-2" href="/catalog?kind=component&amp;page=2" hx-get="/catalog?kind=component&amp;page=2" ' \
           'aria-current="page"' in second
    assert len(row_names(html(client, "/catalog?kind=component&size=50"))) == 30
    assert len(row_names(html(client, "/catalog?kind=component&size=7&page=-3"))) == 25  # bad values: defaults
    assert row_names(html(client, "/catalog?kind=component&page=99")) == []


def test_htmx_requests_get_only_the_results(client: TestClient) -> None:
    response = client.get("/catalog?kind=api", headers={"HX-Request": "true", "HX-Target": "catalog-results"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="catalog-results"')
    assert "<html" not in response.text and row_names(response.text) == ["checkout-api"]
    assert "HX-Request" in response.headers["vary"]
    restore = client.get("/catalog?kind=api", headers={"HX-Request": "true", "HX-Target": "catalog-results",
                                                       "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
    page = html(client, "/catalog")
    assert 'hx-get="/catalog" hx-trigger="change, submit' in page and 'hx-push-url="true"' in page


def test_owned_by_me_uses_the_viewers_ownership_refs(client: TestClient) -> None:
    sign_in(client, ALICE)
    mine = row_names(html(client, "/catalog?mine=1"))
    assert mine == ["Checkout Service", "checkout-api", "commerce", "db", "shop", "web-shop"]
    sign_in(client, None)
    assert row_names(html(client, "/catalog?mine=1")) == []


def test_starred_filter_shows_the_viewers_stars(client: TestClient) -> None:
    sign_in(client, ALICE)
    assert row_names(html(client, "/catalog?starred=1")) == []
    for path in ("/catalog/default/api/checkout-api", "/catalog/finance/component/ledger"):
        response = client.post(path + "/star", data={"starred": "1"}, follow_redirects=False)
        assert response.status_code == 303
    assert row_names(html(client, "/catalog?starred=1")) == ["checkout-api", "finance/ledger"]
    assert row_names(html(client, "/catalog?starred=1&kind=api")) == ["checkout-api"]
    sign_in(client, None)
    assert row_names(html(client, "/catalog?starred=1")) == []


def _menu(page: str, name: str) -> list[str]:
    """The options of one filter menu, as shown, without "All"."""
    found = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', page, re.S)
    assert found is not None, name
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found[1])
    return [re.sub(r"\s+", " ", text).strip() for value, text in options if value]


def test_type_menu_lists_the_types_of_the_chosen_kinds(client: TestClient) -> None:
    everything = html(client, "/catalog")
    assert _menu(everything, "type") == ["database (1)", "file (1)", "library (1)", "openapi (1)",
                                         "organization (1)", "service (2)", "team (2)", "website (1)"]
    components = html(client, "/catalog?kind=component")
    assert _menu(components, "type") == ["library (1)", "service (2)", "website (1)"]
    assert _menu(components, "owner") == _menu(everything, "owner")  # the other menus count the whole catalog
    assert _menu(components, "kind") == _menu(everything, "kind")
    assert _menu(html(client, "/catalog?kind=Group&kind=api"), "type") == ["openapi (1)", "organization (1)",
                                                                          "team (2)"]
    assert _menu(html(client, "/catalog?kind=domain"), "type") == []


def test_a_chosen_value_that_matches_nothing_stays_in_its_menu(client: TestClient) -> None:
    page = html(client, "/catalog?kind=api&type=service&tag=Nope&owner=group:default/ghosts")
    assert '<option value="service" selected>service (0)</option>' in page
    assert '<option value="Nope" selected>Nope (0)</option>' in page
    assert '<option value="group:default/ghosts" selected>ghosts (0)</option>' in page
    assert "No entities match these filters" in page
    assert _menu(html(client, "/catalog?kind=Widget"), "kind")[-1] == "widget (0)"


def test_htmx_results_bring_the_type_menu_for_the_new_kinds(client: TestClient) -> None:
    headers = {"HX-Request": "true", "HX-Target": "catalog-results"}
    response = client.get("/catalog?kind=api", headers=headers)
    fresh = response.text.split("</section>", 1)[1]
    assert fresh.strip().startswith('<div class="gr-field" id="field-type" hx-swap-oob="true">')
    assert _menu(fresh, "type") == ["openapi (1)"]
    assert 'id="field-type"' in html(client, "/catalog") and "hx-swap-oob" not in html(client, "/catalog")
