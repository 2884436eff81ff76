"""The catalog pages in Chromium: keyboard filtering and sorting with htmx, entity pages, import, unprocessed.

A server of its own runs the portal on a small catalog (the shared `server` has none).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import HOST, clean_env, free_port, strict_page, wait_healthy
from .test_browser_screenshots import VIEWPORT, shoot

pytestmark = pytest.mark.browser

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout Service
  description: "Takes the money <script>alert(1)</script>"
  links: [{url: "javascript:alert(2)", title: Evil}]
spec: {type: service, lifecycle: production, owner: team-a, providesApis: [checkout-api]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api, description: Pay for things}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: no-lifecycle}
spec: {type: service, owner: team-a}
""" + "".join(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: svc-{i:02d}}}\n"
              f"spec: {{type: website, lifecycle: experimental, owner: team-a}}\n" for i in range(30))

NEW = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: imported-thing, description: Came in through the import page}
spec: {type: service, lifecycle: production, owner: team-a}
"""

LAUNCHER = '''
import signal, sys
from pathlib import Path
import uvicorn
from greenroom.app import create_app
from greenroom.services.logging import configure_logging

app = create_app([Path(sys.argv[2])], env={})
configure_logging("info", "text")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
uvicorn.run(app, host=sys.argv[3], port=int(sys.argv[4]), log_config=None)
'''


@pytest.fixture(scope="module")
def catalog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A portal with the catalog pages on a small processed catalog; yields its URL and its data folder."""
    folder = tmp_path_factory.mktemp("catalog-server")
    (folder / "catalog").mkdir()
    (folder / "catalog" / "all.yaml").write_text(CATALOG)
    (folder / "launch.py").write_text(LAUNCHER)
    port = free_port()
    base = f"http://{HOST}:{port}"
    (folder / "app-config.yaml").write_text(
        f"app:\n  baseUrl: {base}\nbackend:\n  baseUrl: {base}\n"
        f"  database:\n    url: 'sqlite:///{folder / 'greenroom.db'}'\n"
        f"catalog:\n  locations:\n    - {{type: file, target: '{folder / 'catalog' / '*.yaml'}'}}\n"
        f"  rules: [{{allow: [Component, API, Group, User, System, Domain, Resource, Location]}}]\n"
        f"  allowedFileRoots: ['{folder}']\n", encoding="utf-8")
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(folder / "launch.py"), str(folder),
                                    str(folder / "app-config.yaml"), HOST, str(port)], cwd=folder, env=clean_env(),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, process, log_path)
        _wait_for(base + "/catalog/default/component/svc-29", log_path)
        yield base, folder
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, log_path: Path, timeout: float = 30.0) -> None:
    """Wait until processing has put the entity at `url` into the catalog."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"accept": "text/html"}), timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not appear:\n{log_path.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def page(browser: Any, catalog_server: tuple[str, Path]) -> Iterator[Any]:
    with strict_page(browser, catalog_server[0], viewport=VIEWPORT, color_scheme="light") as opened:
        yield opened


def _names(page: Any) -> list[str]:
    return [str(t) for t in page.locator("#catalog-results tbody th[scope=row]").all_inner_texts()]


def _tab_to(page: Any, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} never got the focus by keyboard")


def test_index_filters_sorts_and_pages_by_keyboard_without_reloading(page: Any, tmp_path: Path) -> None:
    page.goto("/catalog")
    assert len(_names(page)) == 25 and page.locator("[aria-current=page]#page-1").count() == 1
    shoot(page, tmp_path / "catalog-index.png")
    page.evaluate("() => { window.__sameDocument = true; }")
    _tab_to(page, "#filter-type")
    page.keyboard.press("ArrowDown")  # a closed <select> changes value on arrow keys and fires "change"
    page.wait_for_function("() => location.search === '?type=file'")  # the first type after "All"
    page.wait_for_function("() => document.querySelectorAll('#catalog-results tbody tr').length === 1")
    assert _names(page)[0].startswith("generated-")  # the config's Location entity
    assert page.evaluate("() => window.__sameDocument") is True  # htmx swapped the table in place
    assert page.evaluate("() => document.activeElement.id") == "filter-type"
    page.goto("/catalog?kind=component&type=website")
    page.evaluate("() => { window.__sameDocument = true; }")
    _tab_to(page, "#sort-name")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('th[aria-sort=descending] #sort-name') !== null")
    assert _names(page)[0] == "svc-29" and "dir=desc" in page.url
    assert page.evaluate("() => document.activeElement.id") == "sort-name"  # focus kept across the swap
    _tab_to(page, "#page-2")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#page-2[aria-current=page]') !== null")
    assert _names(page) == [f"svc-{i:02d}" for i in range(4, -1, -1)] and "page=2" in page.url
    assert page.evaluate("() => window.__sameDocument") is True
    page.go_back()
    page.wait_for_function("() => !location.search.includes('page=2')")


def _type_menu(page: Any) -> list[str]:
    return [str(t) for t in page.locator("#filter-type option").all_inner_texts()]


def test_type_menu_follows_the_chosen_kind_and_keeps_the_focus(page: Any) -> None:
    page.goto("/catalog")
    # Other tests here add and remove services, so only the types that stay are named with their counts.
    assert {"file (1)", "openapi (1)", "team (1)", "website (30)"} <= set(_type_menu(page))
    _tab_to(page, "#filter-kind")
    page.keyboard.press("ArrowDown")  # API, the first kind
    page.wait_for_function("() => location.search === '?kind=API'")
    page.wait_for_function("() => document.querySelectorAll('#filter-type option').length === 2")
    assert _type_menu(page) == ["All", "openapi (1)"]
    assert page.evaluate("() => document.activeElement.id") == "filter-kind"
    page.keyboard.press("ArrowDown")  # Component
    page.wait_for_function("() => location.search === '?kind=Component'")
    page.wait_for_function("() => document.querySelectorAll('#filter-type option').length === 3")
    assert _type_menu(page)[0::2] == ["All", "website (30)"] and _type_menu(page)[1].startswith("service (")
    _tab_to(page, "#filter-type")
    page.keyboard.press("ArrowDown")  # service: the menu is swapped in again, and the focus stays on it
    page.wait_for_function("() => location.search === '?kind=Component&type=service'")
    page.wait_for_function("() => document.querySelector('#catalog-results tbody th[scope=row]') !== null")
    assert page.evaluate("() => document.activeElement.id") == "filter-type"
    assert page.locator("#filter-type").input_value() == "service"
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => location.search === '?kind=Component&type=website'")
    assert page.evaluate("() => document.activeElement.id") == "filter-type"


def test_search_box_filters_as_you_type(page: Any) -> None:
    page.goto("/catalog")
    page.get_by_role("searchbox", name="Search").fill("money")
    page.wait_for_function("() => document.querySelectorAll('#catalog-results tbody tr').length === 1")
    assert _names(page) == ["Checkout Service"]
    page.wait_for_function("() => location.search === '?q=money'")


def test_entity_page_escapes_text_copies_yaml_and_links_relations(page: Any, tmp_path: Path) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/catalog/default/component/checkout")
    assert page.locator("h1").inner_text() == "Checkout Service"
    assert "<script>alert(1)</script>" in page.locator(".gr-description-full").inner_text()
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("nav.gr-tabs a[aria-current=page]").inner_text() == "Overview"
    shoot(page, tmp_path / "entity.png")
    copy = page.get_by_role("button", name="Copy")
    copy.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-copy-status]').textContent.includes('Copied')")
    assert "name: checkout" in page.evaluate("() => navigator.clipboard.readText()")
    page.get_by_role("link", name="checkout-api").click()
    page.wait_for_url("**/catalog/default/api/checkout-api")
    star = page.get_by_role("button", name="Add to starred")
    star.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("button[aria-label='Remove from starred']")
    page.goto("/catalog?starred=1")
    assert _names(page) == ["checkout-api"]


def test_register_flow_previews_imports_and_links(page: Any, catalog_server: tuple[str, Path],
                                                  tmp_path: Path) -> None:
    target = catalog_server[1] / "new-catalog-info.yaml"
    target.write_text(NEW)
    page.goto("/catalog")
    page.get_by_role("link", name="Register existing component").click()
    page.get_by_label("URL or path").fill("not a location")
    page.get_by_role("button", name="Analyze").click()
    assert "Enter a URL starting with https://" in page.get_by_role("alert").inner_text()
    page.get_by_label("URL or path").fill(str(target))
    page.get_by_role("button", name="Analyze").click()
    assert "1 entity would be added" in page.locator("#preview-title").inner_text()
    shoot(page, tmp_path / "import-preview.png")
    page.get_by_role("button", name="Import").click()
    page.get_by_role("link", name="imported-thing").wait_for()
    _wait_for(catalog_server[0] + "/catalog/default/component/imported-thing", catalog_server[1] / "server.log")
    page.get_by_role("link", name="imported-thing").click()
    assert page.locator("h1").inner_text() == "imported-thing"


def test_unprocessed_page_shows_entities_that_failed(page: Any, tmp_path: Path) -> None:
    page.goto("/catalog/unprocessed")
    row = page.locator("tbody tr", has_text="no-lifecycle")
    assert "lifecycle" in row.inner_text()
    shoot(page, tmp_path / "unprocessed.png")


def test_refresh_then_unregister_with_confirmation(page: Any, catalog_server: tuple[str, Path],
                                                   tmp_path: Path) -> None:
    target = catalog_server[1] / "short-lived.yaml"
    target.write_text(NEW.replace("imported-thing", "short-lived"))
    page.goto("/catalog-import")
    page.get_by_label("URL or path").fill(str(target))
    page.get_by_role("button", name="Analyze").click()
    page.get_by_role("button", name="Import").click()
    entity_url = catalog_server[0] + "/catalog/default/component/short-lived"
    _wait_for(entity_url, catalog_server[1] / "server.log")
    page.goto(entity_url)
    page.get_by_role("button", name="Refresh").click()
    assert "Refresh scheduled" in page.locator(".gr-notice[role=status]").inner_text()
    page.get_by_role("link", name="Unregister").click()
    assert page.locator("h1").inner_text() == "Unregister this location?"
    assert page.get_by_role("link", name="short-lived", exact=True).count() == 1  # what goes, listed first
    shoot(page, tmp_path / "unregister-confirm.png")
    page.get_by_role("link", name="Cancel").click()  # cancelling keeps it
    page.wait_for_url(entity_url)
    page.get_by_role("link", name="Unregister").click()
    page.get_by_role("button", name="Unregister location").click()
    assert page.locator("h1").inner_text() == "Location unregistered"
    page.goto(entity_url)
    assert "There is no entity" in page.locator("main").inner_text()


def test_group_page_lists_what_the_team_owns(page: Any, tmp_path: Path) -> None:
    page.goto("/catalog/default/group/team-a")
    assert page.locator("h1").inner_text() == "team-a"
    owned = page.locator("section", has=page.get_by_role("heading", name="Owned entities"))
    assert owned.get_by_role("link", name="Checkout Service").count() == 1
    owned.get_by_role("link", name="Checkout Service").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/default/component/checkout")
    shoot(page, tmp_path / "group.png")
