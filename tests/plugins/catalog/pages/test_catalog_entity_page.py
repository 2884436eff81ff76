"""Entity pages: header, About, relations per kind, safe links, errors, YAML, slots, stars, refresh."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from pages_support import ALICE, ENTITIES, ORG, XSS, Factory, html, settle, sign_in, start
from starlette.requests import Request
from starlette.testclient import TestClient

from greenroom import EntityCard, EntityTab, PluginManifest, hookimpl
from greenroom.slots import Entity


def test_component_page_shows_header_about_relations_and_yaml(client: TestClient) -> None:
    page = html(client, "/catalog/default/component/checkout")
    assert "<title>Checkout Service · " in page
    assert '<h1 class="page-title">Checkout Service</h1>' in page
    assert 'Owner: <a href="/catalog/default/group/team-a">Team A</a>' in page
    assert '<dt>System</dt><dd><a href="/catalog/default/system/shop">shop</a></dd>' in page
    for title in ("Subcomponents", "Provided APIs", "Consumed APIs", "Depends on"):
        assert f">{title} <span" in page
    assert 'href="/catalog/default/api/checkout-api">checkout-api</a>' in page
    # A relation to an entity the catalog lacks is text with a hint, not a link to a 404.
    assert 'ghost-api <span class="muted">(not in the catalog)</span>' in page
    assert 'href="/catalog/default/api/ghost-api"' not in page
    # ...and the page says so at the top, naming the relation, so a typo in the YAML is found.
    warning = page.split('class="gr-alert gr-alert-warn"')[1].split("</div>")[0]
    assert "1 relation points at entities that are not in the catalog" in warning
    assert "<code>consumesApi</code> → <code>api:default/ghost-api</code>" in warning
    assert "resource:default/db" not in warning
    assert "gr-alert-warn" not in html(client, "/catalog/default/component/web-shop")
    assert '<pre id="entity-yaml"' in page and "kind: Component" in page and 'data-copy-target="entity-yaml"' in page
    assert '<nav class="gr-tabs" aria-label="Entity views">' in page
    assert '<a href="/catalog/default/component/checkout" aria-current="page">Overview</a>' in page
    assert 'role="alert"' not in page


def test_entity_text_and_links_are_escaped_and_only_safe_links_render(client: TestClient) -> None:
    page = html(client, "/catalog/default/component/checkout")
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://docs.example.com/checkout" rel="noopener noreferrer">Docs</a>' in page
    assert '<a href="mailto:team-a@example.com"' in page
    assert 'href="javascript:' not in page.lower()
    assert "<span>Evil link</span>" in page  # shown, but not as a link
    assert '<a href="https://github.com/org/checkout/" rel="noopener noreferrer">View source</a>' in page
    assert '<a href="https://example.com/checkout" rel="noopener noreferrer">View</a>' in page


def test_lookup_is_case_insensitive_and_missing_entities_are_404(client: TestClient) -> None:
    assert "Checkout Service" in html(client, "/catalog/Default/Component/CHECKOUT")
    missing = html(client, "/catalog/default/component/nope", status=404)
    assert "There is no entity <code>component:default/nope</code>" in missing


def test_kind_specific_sections(client: TestClient) -> None:
    system = html(client, "/catalog/default/system/shop")
    for title in ("Components (2)", "APIs (1)", "Resources (1)"):
        assert re.search(title.replace("(", r'<span class="muted">\(').replace(")", r"\)</span>"), system), title
    assert '<dt>Domain</dt><dd><a href="/catalog/default/domain/commerce">commerce</a></dd>' in system
    domain = html(client, "/catalog/default/domain/commerce")
    assert "Systems <span" in domain and 'href="/catalog/default/system/shop"' in domain
    group = html(client, "/catalog/default/group/team-a")
    for title in ("Parent group", "Members", "Owned entities"):
        assert f">{title} <span" in group
    assert 'href="/catalog/default/user/alice">alice</a>' in group
    parent = html(client, "/catalog/default/group/org")
    assert ">Child groups <span" in parent and 'href="/catalog/default/group/team-a">Team A</a>' in parent
    user = html(client, "/catalog/default/user/alice")
    assert ">Groups <span" in user and 'href="/catalog/default/group/team-a">Team A</a>' in user
    api = html(client, "/catalog/default/api/checkout-api")
    assert ">Provided by <span" in api and 'href="/catalog/default/component/checkout">Checkout Service</a>' in api


def test_location_page_lists_targets_and_emitted_entities(client: TestClient) -> None:
    index = html(client, "/catalog?kind=location")
    href = re.findall(r'<th scope="row"><a href="([^"]+)">', index)[0]
    page = html(client, href)
    assert ">Targets</h2>" in page and "*.yaml</code>" in page
    assert ">Emitted entities <span" in page
    assert 'href="/catalog/default/component/checkout">Checkout Service</a>' in page


def test_processing_errors_are_an_alert_highlighted_for_the_owner(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path)
    broken = ENTITIES.replace("lifecycle: production\n  owner: team-a\n  system: shop",
                              "lifecycle: 7\n  owner: team-a\n  system: shop")
    (tmp_path / "catalog" / "entities.yaml").write_text(broken)
    response = client.post("/catalog/default/component/checkout/refresh", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/catalog/default/component/checkout?refreshed=1"
    settle(client)
    page = html(client, "/catalog/default/component/checkout?refreshed=1")
    assert 'class="gr-alert" role="alert"' in page and "1 processing error" in page and "lifecycle" in page
    assert "Refresh scheduled" in page
    sign_in(client, ALICE)
    owned = html(client, "/catalog/default/component/checkout")
    assert 'class="gr-alert gr-alert-owner" role="alert"' in owned and "you own this entity" in owned


def _slot_plugin() -> ModuleType:
    module = ModuleType("entity_slots_fixture")
    module.manifest = PluginManifest(id="entity-slots-fixture", name="Slots", version="0.1.0")  # type: ignore[attr-defined]

    async def docs(request: Request, entity: Entity) -> str:
        return f"<p id='docs-tab'>Docs of {entity['metadata']['name']}</p>"

    def broken(request: Request, entity: Entity) -> str:
        raise RuntimeError("boom")

    @hookimpl(specname="entity_tabs")
    def tabs() -> list[EntityTab]:
        return [EntityTab("docs", "Docs", docs, applies=lambda e: e["kind"] == "Component"),
                EntityTab("secret", "Secret", docs, permission="nobody.declared.this"),
                EntityTab("broken", "Broken", broken)]

    @hookimpl(specname="entity_cards")
    def cards() -> list[EntityCard]:
        return [EntityCard("side-note", "Side note", lambda r, e: "<em>note</em>", area="side"),
                EntityCard("groups-only", "Groups only", docs, applies=lambda e: e["kind"] == "Group")]

    module.entity_tabs = tabs  # type: ignore[attr-defined]
    module.entity_cards = cards  # type: ignore[attr-defined]
    return module


def test_tabs_and_cards_come_from_slots(portal_factory: Factory, tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "entities.yaml").write_text(ENTITIES)
    (folder / "org.yaml").write_text(ORG)
    config = {"catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ["Component", "API", "Resource", "System", "Domain", "Group", "User",
                                               "Location"]}], "processingInterval": False}}
    client = portal_factory(plugins=[_slot_plugin()], config=config)
    settle(client)
    page = html(client, "/catalog/default/component/checkout")
    nav = page.split('class="gr-tabs"')[1].split("</nav>")[0]
    tabs = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', nav)
    assert tabs == [("/catalog/default/component/checkout", "Overview"),
                    ("/catalog/default/component/checkout?tab=graph", "Graph"),
                    ("/catalog/default/component/checkout?tab=broken", "Broken"),
                    ("/catalog/default/component/checkout?tab=docs", "Docs")]  # slots sort by order, then title
    assert "<em>note</em>" in page and "Groups only" not in page
    docs = html(client, "/catalog/default/component/checkout?tab=docs")
    assert "<p id='docs-tab'>Docs of checkout</p>" in docs and "About</h2>" not in docs
    assert 'href="/catalog/default/component/checkout?tab=docs" aria-current="page"' in docs
    assert "could not be shown" in html(client, "/catalog/default/component/checkout?tab=broken")
    html(client, "/catalog/default/component/checkout?tab=secret", status=404)
    group = html(client, "/catalog/default/group/team-a")
    assert "?tab=docs" not in group and "Groups only" in group


def test_star_toggle(client: TestClient) -> None:
    sign_in(client, ALICE)
    page = html(client, "/catalog/default/component/checkout")
    assert 'aria-label="Add to starred"' in page and 'name="starred" value="1"' in page
    response = client.post("/catalog/default/component/checkout/star",
                           data={"starred": "1", "next": "https://evil.example.com/"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/catalog/default/component/checkout"
    page = html(client, "/catalog/default/component/checkout")
    assert 'aria-label="Remove from starred"' in page and 'name="starred" value="0"' in page
    client.post("/catalog/default/component/checkout/star", data={"starred": "0"})
    assert 'aria-label="Add to starred"' in html(client, "/catalog/default/component/checkout")
    sign_in(client, None)
    anonymous = html(client, "/catalog/default/component/checkout")
    assert "/star" not in anonymous
    refused = client.post("/catalog/default/component/checkout/star", data={"starred": "1"},
                          headers={"accept": "text/html"})
    assert refused.status_code == 403


def test_cross_site_posts_are_refused(client: TestClient) -> None:
    response = client.post("/catalog/default/component/checkout/refresh", headers={"origin": "https://evil.example"},
                           follow_redirects=False)
    assert response.status_code == 403
    same = client.post("/catalog/default/component/checkout/refresh", headers={"origin": "http://testserver"},
                       follow_redirects=False)
    assert same.status_code == 303
