"""The catalog views in a real Chromium: the sandboxed OpenAPI viewer and the relations graph, fully offline.

This module runs its own portal (the shared `server` fixture is overridden here) with the test catalog of
tests/plugins/catalog/views/data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from browser.conftest import HOST, Server, clean_env, free_port, stop_server, wait_healthy
from browser.test_browser_screenshots import decode_png
from greenroom.testing import create_postgres_database

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[Any, Any]]
VIEWS_TESTS = Path(__file__).resolve().parent.parent / "plugins" / "catalog" / "views"
SERVE = """
import signal, sys
from pathlib import Path
import uvicorn
from greenroom.app import create_app
from greenroom.services.logging import configure_logging
app = create_app([Path(sys.argv[2])], env={})
config = app.state.portal.config
configure_logging(config.backend.logging.level, config.backend.logging.format)
signal.signal(signal.SIGTERM, lambda _s, _f: sys.exit(0))
uvicorn.run(app, host=sys.argv[3], port=int(sys.argv[4]), log_config=None, timeout_graceful_shutdown=5)
"""


def wait_for_catalog(base_url: str) -> None:
    """The catalog fills on its 1-second processing job; wait until the last test entity is stitched."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/catalog-graph/data?entity=component:checkout&depth=1") as r:
                if r.status == 200 and b"catalog-graphql" in r.read():
                    return
        except urllib.error.URLError:
            pass
        time.sleep(0.25)
    pytest.fail("the test catalog was not processed within 60s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A portal with the catalog views wired, on a database of its own (the shared server's catalog would
    remove this one's entities); stopped with SIGTERM like the shared server."""
    folder = tmp_path_factory.mktemp("catalog-views")
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    drop: Callable[[], None] = lambda: None  # noqa: E731
    if os.environ.get("GREENROOM_BROWSER_DATABASE", "sqlite") == "postgresql":
        database, drop = create_postgres_database()
    else:
        database = f"sqlite:///{folder / 'greenroom.db'}"
    config = folder / "app-config.yaml"
    config.write_text(
        f"app:\n  baseUrl: {base_url}\nbackend:\n  baseUrl: {base_url}\n  database:\n    url: '{database}'\n"
        f"  shutdownTimeoutSeconds: 5\ncatalog:\n  locations:\n    - type: file\n"
        f"      target: '{VIEWS_TESTS / 'data' / '*.yaml'}'\n  rules:\n    - allow: [Component, API, Resource, System, "
        f"Domain, Group, User, Location]\n", encoding="utf-8")
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVE, str(VIEWS_TESTS), str(config), HOST, str(port)],
                                   cwd=folder, env=clean_env(), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    running = Server(base_url, process, log_path)
    try:
        wait_healthy(base_url, process, log_path)
        wait_for_catalog(base_url)
    except BaseException:
        process.send_signal(signal.SIGKILL)
        process.wait()
        drop()
        raise
    try:
        yield running
    finally:
        stop_server(running)
        drop()


def assert_not_blank(png: bytes) -> None:
    image = decode_png(png)
    assert len(image.colours()) > 20, "the screenshot is (nearly) one colour"


def test_openapi_viewer_renders_operations_offline(new_context: NewContext) -> None:
    context, traffic = new_context()
    page = context.new_page()
    page.goto("/catalog/default/api/petstore?tab=definition")
    frame = page.frame_locator("iframe.gr-openapi-frame")
    operations = frame.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() == 3
    summaries = frame.locator(".opblock-summary-description").all_inner_texts()
    assert summaries == ["List all pets", "Create a pet", "Info for a specific pet"]
    paths = frame.locator(".opblock-summary-path").all_inner_texts()
    assert [p.replace("\u200b", "") for p in paths] == ["/pets", "/pets", "/pets/{petId}"]
    # "Try it out" is off: no request may go to the spec's servers.
    assert frame.locator(".try-out__btn").count() == 0
    # The hostile description was sanitised, and nothing ran in the portal's origin or in the frame.
    assert frame.locator(".info script, .info img[onerror]").count() == 0
    viewer = next(f for f in page.frames if f.url.endswith("/catalog-api/openapi-viewer"))
    assert viewer.evaluate("() => window.__pwned === undefined && window.origin") == "null"
    assert page.evaluate("() => window.__pwned === undefined")
    page.wait_for_function("() => document.querySelector('iframe.gr-openapi-frame').offsetHeight > 500")
    assert page.locator(".gr-openapi-status").is_hidden()
    assert_not_blank(page.screenshot(full_page=True))
    assert traffic.page_errors == []
    # The only console errors allowed are the frame's CSP refusing the spec's injected inline handler.
    assert all("Content Security Policy" in e for e in traffic.console_errors), traffic.console_errors


def test_api_docs_page_renders_the_portals_own_routes(page: Any) -> None:
    page.goto("/api-docs")
    frame = page.frame_locator("iframe.gr-openapi-frame")
    frame.locator(".opblock").first.wait_for()
    paths = {p.replace("\u200b", "") for p in frame.locator(".opblock-summary-path").all_inner_texts()}
    assert {"/api/catalog/entities/by-query", "/api/plugins"} <= paths
    assert frame.locator(".try-out__btn").count() == 0


def test_malformed_definition_shows_an_error(page: Any) -> None:
    page.goto("/catalog/default/api/broken-openapi?tab=definition")
    alert = page.get_by_role("alert")
    assert "cannot be displayed" in alert.inner_text()
    assert page.locator("iframe").count() == 0


def test_graph_renders_and_clicking_a_node_navigates(new_context: NewContext) -> None:
    context, traffic = new_context()
    page = context.new_page()
    page.goto("/catalog-graph?entity=component:default/checkout&depth=1")
    nodes = page.locator("a.gr-graph-node")
    assert nodes.count() == 7
    assert page.locator(".gr-graph-canvas.gr-graph-interactive").count() == 1
    assert_not_blank(page.locator(".gr-graph-canvas").screenshot())
    page.locator('a.gr-graph-node[data-ref="group:default/team-a"]').click()
    page.wait_for_url("**/catalog/default/group/team-a")
    assert traffic.page_errors == []


def test_graph_controls_and_nodes_work_by_keyboard(page: Any) -> None:
    page.goto("/catalog-graph?entity=component:default/checkout&depth=1")
    page.locator("select[name=depth]").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.value") == "ownedBy"
    page.keyboard.press("Space")
    for _ in range(30):
        if page.evaluate("() => document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = parse_qs(urlsplit(page.url).query)
    assert query["depth"] == ["2"]
    assert "ownedBy" not in query["relations"] and "partOf" in query["relations"]
    assert page.locator("a.gr-graph-node").count() > 7
    # Nodes are links in tab order: focus the canvas, Tab to the first entity and open it with Enter.
    page.locator(".gr-graph-canvas").focus()
    page.keyboard.press("+")
    page.keyboard.press("Tab")
    first = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert first and first.startswith("/catalog/")
    page.keyboard.press("Enter")
    page.wait_for_url("**" + first)


def test_graph_tab_swaps_in_place(page: Any) -> None:
    page.goto("/catalog/default/component/checkout?tab=graph")
    before = page.url
    assert page.locator("a.gr-graph-node").count() > 7  # the tab's default depth is 2
    page.locator("select[name=depth]").select_option("1")
    page.locator(".gr-graph-controls button[type=submit]").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('a.gr-graph-node').length === 7")
    assert page.url == before
    assert page.locator(".gr-graph-canvas.gr-graph-interactive").count() == 1


def test_graph_follows_the_dark_theme(new_context: NewContext) -> None:
    fills = []
    for scheme in ("light", "dark"):
        context, _ = new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto("/catalog-graph?entity=component:default/checkout&depth=1")
        fills.append(page.evaluate(
            "() => getComputedStyle(document.querySelector('a.gr-graph-node:not(.gr-root) rect')).fill"))
    assert fills[0] != fills[1]
