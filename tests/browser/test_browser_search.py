"""Search in Chromium: the header box's suggestions by keyboard (ARIA combobox), the search page with and
without JavaScript, and an edited entity found by a running server's background indexing.

The portal runs as `greenroom serve` with a small catalog; search indexes it in the background.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import HOST, clean_env, free_port, greenroom_command, strict_page, wait_healthy

pytestmark = pytest.mark.browser

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  description: "Double-entry bookkeeping <script>alert(1)</script>"
spec: {type: library, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger-ui, description: Screens for the ledger}
spec: {type: website, lifecycle: experimental, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: legacy-billing, description: "<img src=x onerror=alert(2)> the old invoices"}
spec: {type: service, lifecycle: deprecated, owner: team-b}
""" + "".join(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: widget-{i:02d}, "
              f"description: Widget number {i}}}\nspec: {{type: service, lifecycle: production, owner: team-a}}\n"
              for i in range(30))


def _api(base: str, term: str) -> list[str]:
    url = f"{base}/api/search/query?" + urllib.parse.urlencode({"term": term})
    with urllib.request.urlopen(url, timeout=5) as response:
        return [r["document"]["title"] for r in json.load(response)["results"]]


def _wait_for_result(base: str, term: str, title: str, log_path: Path, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if title in _api(base, term):
            return
        time.sleep(0.25)
    pytest.fail(f"{title!r} was not found for {term!r} within {timeout}s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def search_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """`greenroom serve` on a small catalog, processed and indexed in the background; (URL, folder, log)."""
    folder = tmp_path_factory.mktemp("search-server")
    (folder / "catalog").mkdir()
    (folder / "catalog" / "all.yaml").write_text(CATALOG)
    port = free_port()
    base = f"http://{HOST}:{port}"
    (folder / "app-config.yaml").write_text(
        f"app:\n  baseUrl: {base}\nbackend:\n  baseUrl: {base}\n"
        f"  database:\n    url: 'sqlite:///{folder / 'greenroom.db'}'\n  shutdownTimeoutSeconds: 5\n"
        f"catalog:\n  locations:\n    - {{type: file, target: '{folder / 'catalog' / '*.yaml'}'}}\n"
        f"  rules: [{{allow: [Component, API, Group, User, System, Location]}}]\n"
        f"  processingInterval: {{seconds: 1}}\n"
        f"  allowedFileRoots: ['{folder}']\n"
        f"search:\n  incrementalInterval: {{seconds: 0.5}}\n", encoding="utf-8")
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*greenroom_command(), "serve", "--config", str(folder / "app-config.yaml"), "--host", HOST,
             "--port", str(port)], cwd=folder, env=clean_env(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, process, log_path)
        _wait_for_result(base, "widget-29", "widget-29", log_path)
        yield base, folder, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(browser: Any, search_server: tuple[str, Path, Path]) -> Iterator[Any]:
    with strict_page(browser, search_server[0], viewport={"width": 1280, "height": 800}) as opened:
        yield opened


def test_suggestions_by_keyboard(page: Any) -> None:
    page.goto("/")
    box = page.locator("#global-search")
    page.keyboard.press("/")  # focuses the box
    assert page.evaluate("() => document.activeElement.id") == "global-search"
    page.keyboard.type("ledger")
    listbox = page.locator("#global-search-list")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    options = page.locator("#global-search-list [role=option]")
    titles = page.locator("#global-search-list .search-suggestion-title").all_inner_texts()
    assert titles[:2] == ["ledger", "ledger-ui"]  # the exact name first
    assert page.locator("#global-search-list mark").first.inner_text() == "ledger"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "global-search-option-2"
    assert options.nth(1).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == "global-search-option-1"
    page.keyboard.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-activedescendant") == "global-search-option-1"
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/default/component/ledger")


def test_enter_without_a_chosen_suggestion_opens_the_search_page(page: Any) -> None:
    page.goto("/catalog")
    page.locator("#global-search").fill("widget")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?query=widget")
    assert page.locator(".search-result-title").count() == 20
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/search?query=widget&page=2")
    assert page.locator(".search-result-title").count() == 10  # 30 widgets
    assert page.locator("#global-search").input_value() == "widget"


def test_search_page_tabs_filters_and_escaping_without_javascript(browser: Any,
                                                                   search_server: tuple[str, Path, Path]) -> None:
    context = browser.new_context(base_url=search_server[0], java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("#global-search").fill("ledger")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?query=ledger")
        titles = page.locator(".search-result-title").all_inner_texts()
        assert titles[:2] == ["ledger", "ledger-ui"]
        assert "<script>" in page.locator(".search-result-text").first.inner_text()  # shown as text
        page.get_by_role("link", name="Software catalog").click()
        page.locator("#search-filter-lifecycle").select_option("experimental")
        page.get_by_role("button", name="Apply").click()
        assert page.locator(".search-result-title").all_inner_texts() == ["ledger-ui"]
        assert "lifecycle=experimental" in page.url
    finally:
        context.close()


def test_edited_entity_is_found_by_the_running_server(search_server: tuple[str, Path, Path]) -> None:
    base, folder, log_path = search_server
    (folder / "catalog" / "new.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: quasar-gateway, description: Routes cosmic traffic}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n")
    _wait_for_result(base, "cosmic", "quasar-gateway", log_path)
    _wait_for_result(base, "qusar", "quasar-gateway", log_path)  # and its misspelling, once the vocabulary has it
