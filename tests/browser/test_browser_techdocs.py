"""TechDocs in Chromium: the demo catalog's docs built on first view, read with the keyboard, searched, with
Mermaid diagrams, images, light and dark mode, and no script error or CSP violation.

A portal of its own serves the repository's demo catalog (examples/demo-catalog) and builds its docs into a
temporary folder, exactly as `make demo` does. The server is healthy before its catalog has read the demo
files, so the fixture waits until the catalog holds every entity the tests open: the /docs index lists only
entities the catalog holds, and a reader URL of an entity not yet read is a 404 page that never reloads.
Sites are built on first view; the tests wait for the built page itself, never for a fixed time.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import HOST, clean_env, free_port, greenroom_command, wait_healthy
from .test_browser_screenshots import VIEWPORT, shoot

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-catalog"
DOCUMENTED = ("launch-control", "booking-service", "acme-ui-kit", "telemetry-ingest")


def wait_for_catalog(base: str, timeout: float = 60.0) -> None:
    """Until TechDocs sees every documented demo entity and the catalog holds the undocumented one we open."""
    urls = [f"{base}/api/techdocs/metadata/entity/default/component/{name}" for name in DOCUMENTED]
    urls.append(f"{base}/api/catalog/entities/by-name/component/default/billing-service")
    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the demo catalog was not read within {timeout}s: {url} never answered 200")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("techdocs-server")
    port = free_port()
    base = f"http://{HOST}:{port}"
    (folder / "app-config.yaml").write_text(
        f"app:\n  baseUrl: {base}\norganization:\n  name: Acme Rockets\nbackend:\n  baseUrl: {base}\n"
        f"  database:\n    url: 'sqlite:///{folder / 'greenroom.db'}'\n  shutdownTimeoutSeconds: 5\n"
        f"catalog:\n  locations:\n    - {{type: file, target: '{DEMO / 'all.yaml'}'}}\n"
        f"  rules: [{{allow: [Component, API, Resource, System, Domain, Group, User, Location, Template]}}]\n"
        f"techdocs:\n  processingInterval: 0.5\n  publisher:\n    local:\n"
        f"      publishDirectory: '{folder / 'sites'}'\n", encoding="utf-8")
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([*greenroom_command(), "serve", "--config", str(folder / "app-config.yaml"),
                                    "--host", HOST, "--port", str(port)], cwd=folder, env=clean_env(),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, process, log_path)
        wait_for_catalog(base)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert "Traceback" not in log_path.read_text(errors="replace")


def _context(browser: Any, base: str, scheme: str = "light") -> tuple[Any, list[str]]:
    context = browser.new_context(base_url=base, viewport=VIEWPORT, color_scheme=scheme)
    context.set_default_timeout(30_000)
    problems: list[str] = []

    def watch(page: Any) -> None:
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.on("request", lambda req: problems.append(f"foreign request: {req.url}")
                if not req.url.startswith(base) and not req.url.startswith("data:") else None)

    context.on("page", watch)
    return context, problems


@pytest.fixture
def page(browser: Any, docs_server: str) -> Iterator[Any]:
    context, problems = _context(browser, docs_server)
    yield context.new_page()
    context.close()
    assert problems == []


def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def _open_built(page: Any, path: str, heading: str) -> None:
    """Open a docs page; an unbuilt site shows its build status and reloads itself once built."""
    page.goto(path)
    page.locator("#td-article h1", has_text=heading).wait_for(timeout=60_000)


def test_index_to_docs_with_the_keyboard(page: Any, tmp_path: Path) -> None:
    page.goto("/docs")  # every documented entity has its row, built or not (sites are built on first view)
    for title in ("Launch Control", "Booking Service", "Acme UI Kit", "Telemetry Ingest"):
        assert page.get_by_role("link", name=title, exact=True).count() == 1
    _tab_to(page, 'a[href="/docs/default/component/launch-control/"]')
    page.keyboard.press("Enter")
    page.locator("#td-article h1", has_text="Launch Control").wait_for(timeout=60_000)
    assert page.locator(".td-content .admonition.warning").count() == 1
    assert page.locator(".td-content .highlight").count() >= 1
    edit = page.get_by_role("link", name="Report an issue")
    assert edit.get_attribute("href", timeout=1000).startswith("https://github.example.com/acme-rockets/")
    _tab_to(page, '.td-sidebar a[href="/docs/default/component/launch-control/architecture/"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/architecture/")
    page.locator(".td-content pre.mermaid svg").first.wait_for()
    assert page.locator(".td-content pre.mermaid svg").count() == 2
    image = page.locator(".td-content img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_role("link", name="Edit this page").get_attribute("href") == \
        "https://github.example.com/acme-rockets/launch-control/edit/main/docs/architecture.md"
    toc = page.locator(".td-toc a", has_text="Dependencies")
    toc.click()
    assert page.url.endswith("#dependencies")
    shoot(page, tmp_path / "techdocs-architecture.png")


def test_in_page_search(page: Any) -> None:
    _open_built(page, "/docs/default/component/booking-service/", "Booking Service")
    box = page.locator("#td-search-input")
    box.focus()
    page.keyboard.type("lifecycle")
    first = page.locator(".td-search-results a").first
    first.wait_for()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.matches('.td-search-results a')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lifecycle/**")
    page.locator("#td-article h1").wait_for()


def test_docs_tab_on_the_entity_page(page: Any) -> None:
    _open_built(page, "/docs/default/component/acme-ui-kit/", "Acme UI Kit")
    page.goto("/catalog/default/component/acme-ui-kit")
    _tab_to(page, '.gr-tabs a[href$="?tab=docs"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**?tab=docs")
    page.get_by_role("link", name="Open the docs").wait_for()
    assert page.locator(".td-tab .td-content h1").inner_text().startswith("Acme UI Kit")
    # Entities without the annotation have no Docs tab.
    page.goto("/catalog/default/component/billing-service")
    assert page.locator('.gr-tabs a[href$="?tab=docs"]').count() == 0


def test_dark_mode_uses_the_shell_colours(browser: Any, docs_server: str, tmp_path: Path) -> None:
    context, problems = _context(browser, docs_server, scheme="dark")
    page = context.new_page()
    _open_built(page, "/docs/default/component/telemetry-ingest/", "Telemetry Ingest")
    background = page.locator("#td-article").evaluate("e => getComputedStyle(e).backgroundColor")
    text = page.locator("#td-article").evaluate("e => getComputedStyle(e).color")
    assert background == "rgb(26, 30, 28)" and text == "rgb(226, 229, 227)"  # --gr-surface / --gr-text (dark)
    shoot(page, tmp_path / "techdocs-dark.png")
    context.close()
    assert problems == []
