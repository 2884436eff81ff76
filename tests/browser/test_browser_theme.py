"""Light and dark themes in a real Chromium: the header button, the settings form and the computed colours."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[Any, Any]]
RGB = re.compile(r"rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)")


def luminance(css_colour: str) -> float:
    """WCAG relative luminance of a computed `rgb(...)` colour: 0 is black, 1 is white."""
    match = RGB.match(css_colour)
    assert match, f"not an rgb() colour: {css_colour!r}"

    def channel(value: str) -> float:
        c = int(value) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in match.groups())
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def body_colours(page: Any) -> tuple[float, float]:
    """Luminance of the body's background and text as the browser computed them."""
    bg, fg = page.evaluate("() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; }")
    return luminance(bg), luminance(fg)


def theme(page: Any) -> str | None:
    value: str | None = page.locator("html").get_attribute("data-theme")
    return value


def click_theme_button(page: Any) -> None:
    with page.expect_navigation() as navigation:
        page.locator("[data-theme-toggle]").click()
    response = navigation.value
    assert response is not None and response.status == 200


def assert_light(page: Any) -> None:
    bg, fg = body_colours(page)
    assert bg > 0.8, f"background is not light (luminance {bg:.3f})"
    assert contrast(bg, fg) >= 7, "text is not readable on the light background"


def assert_dark(page: Any) -> None:
    bg, fg = body_colours(page)
    assert bg < 0.05, f"dark theme background is not dark (luminance {bg:.3f})"
    assert fg > 0.5 and contrast(bg, fg) >= 7, "text is not readable on the dark background"


def test_header_button_cycles_system_light_dark_and_stays_on_the_page(new_context: NewContext) -> None:
    context, _ = new_context(color_scheme="light")
    page = context.new_page()
    page.goto("/plugins")
    assert theme(page) == "system"
    assert_light(page)
    button = page.locator("[data-theme-toggle]")
    assert button.get_attribute("aria-label") == "Theme: system. Switch to light"

    click_theme_button(page)
    assert urlsplit(page.url).path == "/plugins"
    assert theme(page) == "light"
    assert button.get_attribute("aria-label") == "Theme: light. Switch to dark"
    assert_light(page)

    click_theme_button(page)
    assert urlsplit(page.url).path == "/plugins"
    assert theme(page) == "dark"
    assert_dark(page)
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["greenroom_theme"]["value"] == "dark" and cookies["greenroom_theme"]["httpOnly"]

    # The choice is remembered on other pages and in new tabs of the same browser.
    other = context.new_page()
    other.goto("/settings")
    assert theme(other) == "dark" and other.get_by_label("Dark", exact=True).is_checked()
    assert_dark(other)

    click_theme_button(page)
    assert theme(page) == "system"
    assert_light(page)


def test_theme_button_works_without_javascript(new_context: NewContext) -> None:
    context, _ = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("1 + 1") == 2  # evaluate still works; the page's own scripts do not run
    assert page.locator(".nav-toggle").is_hidden(), "the menu button is shown although no script can drive it"
    click_theme_button(page)
    click_theme_button(page)
    assert urlsplit(page.url).path == "/"
    assert theme(page) == "dark"
    assert_dark(page)


def test_settings_form_saves_dark_then_light(new_context: NewContext) -> None:
    context, _ = new_context(color_scheme="light")
    page = context.new_page()
    page.goto("/settings")
    assert page.get_by_label("Same as my device").is_checked()
    assert_light(page)
    light_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")

    page.get_by_label("Dark", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert urlsplit(page.url).path == "/settings"
    assert theme(page) == "dark"
    assert page.get_by_label("Dark", exact=True).is_checked()
    dark_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    assert_dark(page)
    # Surfaces follow the theme too, not only the page background.
    card_bg = page.locator(".card").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert luminance(card_bg) < 0.05

    page.get_by_label("Light", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert theme(page) == "light" and page.get_by_label("Light", exact=True).is_checked()
    assert_light(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_system_theme_follows_the_device(new_context: NewContext, scheme: str) -> None:
    context, _ = new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto("/")
    assert theme(page) == "system"
    if scheme == "dark":
        assert_dark(page)
    else:
        assert_light(page)
