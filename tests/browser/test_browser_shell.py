"""The portal shell in a real Chromium: navigation, keyboard use, error page, small screens, no outside requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[Any, Any]]

# Sidebar items that must be there, in their configured order: the built-ins this suite knows and the enabled
# `hello` fixture plugin. Other built-in plugins may add more items between them.
NAV = [("Home", "/"), ("Hello", "/hello"), ("Secret hello", "/hello"), ("Plugins", "/plugins"),
       ("Settings", "/settings")]
TITLES = {"/": "Home · Greenroom", "/hello": "Hello · Greenroom", "/plugins": "Plugins · Greenroom",
          "/settings": "Settings · Greenroom"}

ACTIVE = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), cls: e.className || "", id: e.id, href: e.getAttribute("href"),
          name: e.getAttribute("name"), value: e.getAttribute("value"),
          inSidebar: !!e.closest("#sidebar"), inMain: !!e.closest("main"),
          outline: getComputedStyle(e).outlineStyle};
}"""


def path_of(page: Any) -> str:
    return str(urlsplit(page.url).path)


def nav_links(page: Any) -> list[tuple[str, str]]:
    links = page.locator("#sidebar .nav-link")
    return [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def assert_nav_has_known_items(links: list[tuple[str, str]]) -> None:
    """Every expected item is there once, in order (a subsequence of the whole nav), and Home comes first."""
    positions = [links.index(item) for item in NAV if item in links]
    assert len(positions) == len(NAV), f"missing nav items: {[i for i in NAV if i not in links]} in {links}"
    assert positions == sorted(positions), f"nav items out of order: {links}"
    assert links[0] == ("Home", "/")
    assert len(set(links)) == len(links), f"duplicate nav items: {links}"


def current_hrefs(page: Any) -> list[str]:
    result: list[str] = page.eval_on_selector_all('#sidebar [aria-current="page"]',
                                                  "els => els.map(e => e.getAttribute('href'))")
    return result


def test_home_page_has_title_heading_and_every_nav_item(page: Any) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.title() == "Home · Greenroom"
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome to Greenroom"
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert_nav_has_known_items(nav_links(page))
    assert page.locator(".sidebar-foot").inner_text() == "Browser Test Org"
    # Slots of the outside plugin are drawn: its header widget and its home card.
    assert page.locator(".topbar .hello-badge").inner_text() == "hello widget"
    assert page.get_by_role("heading", name="Hello card").is_visible()
    assert current_hrefs(page) == ["/"]
    # Icons come from the local sprite and are laid out as 24px boxes (the stylesheet really applied).
    box = page.locator("#sidebar .nav-link .icon").first.bounding_box()
    assert box is not None and round(box["width"]) == 24 and round(box["height"]) == 24
    # On a desktop-wide window the sidebar is on screen and the small-screen menu button is not.
    sidebar = page.locator("#sidebar").bounding_box()
    assert sidebar is not None and sidebar["x"] == 0 and sidebar["width"] > 100
    assert page.locator(".nav-toggle").is_hidden()


def test_clicking_each_nav_link_opens_its_page_and_marks_it_current(page: Any) -> None:
    page.goto("/settings")
    links = nav_links(page)
    assert_nav_has_known_items(links)
    visited = set()
    for index, (title, href) in enumerate(links):  # every item, those of other built-in plugins too
        link = page.locator("#sidebar .nav-link").nth(index)
        assert link.inner_text().strip() == title
        with page.expect_navigation() as navigation:
            link.click()
        response = navigation.value
        assert response is not None and response.status == 200, f"{title} -> {page.url}"
        assert path_of(page) == href
        if href in TITLES:
            assert page.title() == TITLES[href]
        else:
            assert page.title().endswith(" · Greenroom"), page.title()
        assert nav_links(page) == links, "the nav changed from one page to the next"
        clicked = page.locator("#sidebar .nav-link").nth(index)
        assert clicked.get_attribute("aria-current") == "page", f"{title} is not marked current on {href}"
        # Only links to this very page are current (both hello items share /hello).
        assert current_hrefs(page) == [h for _, h in links if h == href]
        assert page.get_by_role("heading", level=1).is_visible()
        visited.add(href)
    assert {"/", "/hello", "/plugins", "/settings"} <= visited


def test_tab_reaches_skip_link_first_and_enter_moves_focus_to_main(page: Any) -> None:
    page.goto("/settings")
    skip = page.locator(".skip-link")
    hidden_box = skip.bounding_box()
    assert hidden_box is not None and hidden_box["y"] + hidden_box["height"] <= 0, "skip link shows before focus"
    page.keyboard.press("Tab")
    active = page.evaluate(ACTIVE)
    assert active["cls"] == "skip-link" and active["href"] == "#main"
    assert skip.inner_text() == "Skip to content"
    shown_box = skip.bounding_box()
    assert shown_box is not None and shown_box["y"] >= 0, "focused skip link is still off screen"
    page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "main"
    active = page.evaluate(ACTIVE)
    assert active["tag"] == "main" and active["id"] == "main"
    # The next Tab lands inside the content (the checked theme radio), not back in the sidebar.
    page.keyboard.press("Tab")
    active = page.evaluate(ACTIVE)
    assert active["inMain"] and not active["inSidebar"]
    assert (active["tag"], active["name"], active["value"]) == ("input", "theme", "system")


def test_tab_walks_brand_then_nav_links_in_order_with_visible_focus(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["cls"] == "skip-link"
    page.keyboard.press("Tab")
    brand = page.evaluate(ACTIVE)
    assert brand["cls"] == "brand" and brand["href"] == "/"
    for _, href in nav_links(page):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        assert active["inSidebar"] and "nav-link" in active["cls"] and active["href"] == href
        assert active["outline"] == "solid", "keyboard focus on a nav link has no visible outline"
    # After the sidebar come the header's widgets (the search plugin's box), then its theme button (the hidden
    # menu button is skipped on desktops).
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "global-search"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.hasAttribute('data-theme-toggle')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("data-theme") == "light"


def test_unknown_page_is_a_404_inside_the_shell(page: Any) -> None:
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    assert "text/html" in response.headers["content-type"]
    assert page.title() == "Page not found · Greenroom"
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.locator(".error-code").inner_text() == "404"
    assert_nav_has_known_items(nav_links(page))
    assert page.locator("[data-theme-toggle]").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Go to the home page").click()
    assert path_of(page) == "/" and page.title() == "Home · Greenroom"


def test_404_page_marks_no_nav_item_as_current(page: Any) -> None:
    page.goto("/no/such/page")
    assert current_hrefs(page) == [], "a page that is not in the nav must not mark a nav item aria-current"


def test_narrow_screen_menu_button_opens_sidebar_and_escape_closes_it(new_context: NewContext) -> None:
    context, _ = new_context(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    page = context.new_page()
    page.goto("/")
    toggle = page.locator(".nav-toggle")
    sidebar = page.locator("#sidebar")

    def sidebar_on_screen() -> bool:
        box = sidebar.bounding_box()
        assert box is not None
        return bool(box["x"] >= 0 and 0 < box["x"] + box["width"] <= 390)

    def sidebar_off_screen() -> bool:
        box = sidebar.bounding_box()
        assert box is not None
        return bool(box["x"] + box["width"] <= 0)

    assert toggle.is_visible()
    assert toggle.get_attribute("aria-controls") == "sidebar"
    assert toggle.get_attribute("aria-label") == "Show navigation"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert sidebar_off_screen(), "the sidebar covers a narrow screen before it is asked for"

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert sidebar_on_screen()
    assert page.evaluate("() => document.activeElement.closest('#sidebar') !== null"), "focus did not move in"
    assert page.get_by_role("link", name="Plugins").is_visible()

    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert sidebar_off_screen()
    assert page.evaluate("() => document.activeElement.classList.contains('nav-toggle')"), "focus not returned"

    # Open again and use it: the link works and the next page starts with the menu closed.
    toggle.click()
    with page.expect_navigation():
        page.locator("#sidebar .nav-link", has_text="Plugins").click()
    assert path_of(page) == "/plugins"
    assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "false"
    assert sidebar_off_screen()


def test_no_request_leaves_the_loopback_address(new_context: NewContext) -> None:
    context, traffic = new_context()
    statuses: dict[str, int] = {}
    page = context.new_page()
    page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    for path in ("/", "/hello", "/plugins", "/settings", "/no/such/page"):
        page.goto(path)
        page.evaluate("() => document.fonts.ready.then(() => true)")
    with page.expect_navigation():
        page.locator("[data-theme-toggle]").click()
    page.wait_for_load_state("networkidle")

    assert traffic.foreign() == []
    assert all(urlsplit(url).scheme == "http" for url in traffic.requests), traffic.requests
    paths = {urlsplit(url).path for url in traffic.requests}
    for expected in ("/static/core/greenroom.css", "/branding.css", "/static/core/greenroom.js",
                     "/static/core/vendor/htmx/htmx.min.js", "/static/core/vendor/icons/icons.svg",
                     "/static/core/favicon.svg", "/static/hello/wave.svg", "/settings/theme"):
        assert expected in paths, f"{expected} was not requested: {sorted(paths)}"
    assert any(p.startswith("/static/core/vendor/roboto/") for p in paths), "the bundled font was not used"
    # Leaving a page cancels what it still loads (often the favicon): net::ERR_ABORTED is not a failure.
    assert [f for f in traffic.failed if not f.endswith("net::ERR_ABORTED")] == []
    assert traffic.page_errors == []
    broken = {url: status for url, status in statuses.items()
              if status >= 400 and urlsplit(url).path != "/no/such/page"}
    assert broken == {}
    unexpected = [m for m in traffic.console_errors if "404" not in m]
    assert unexpected == []
