"""The web shell: layout, errors, theme, branding, request ids."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from greenroom import PluginManifest, hookimpl

HTML = {"accept": "text/html"}
Factory = Callable[..., TestClient]


def test_shell_has_landmarks_skip_link_and_nav(portal_factory: Factory) -> None:
    page = portal_factory().get("/", headers=HTML).text
    for needle in ('<nav class="sidebar" id="sidebar" aria-label="Main">', '<main id="main"',
                   'class="skip-link" href="#main"', 'role="search"', '<html lang="en"',
                   'href="/settings"', 'href="/plugins"'):
        assert needle in page


def test_branding_from_config(portal_factory: Factory, tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    config = tmp_path / "app-config.yaml"
    config.write_text(
        "app:\n  title: Launchpad\n  branding:\n    logo: logo.svg\n"
        "    theme: {mode: dark, primaryColor: '#ff0066', fontFamily: 'Inter, sans-serif'}\n"
        "organization: {name: Acme Rockets}\n")
    client = portal_factory(config_files=[config])
    page = client.get("/", headers=HTML).text
    assert "<title>Home · Launchpad</title>" in page and "Acme Rockets" in page
    assert 'data-theme="dark"' in page and 'src="/branding/logo"' in page
    css = client.get("/branding.css").text
    assert "--gr-brand-primary: #ff0066;" in css and "--gr-brand-font: Inter, sans-serif;" in css
    served = client.get("/branding/logo")
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["content-security-policy"].startswith("default-src 'none'")


def test_missing_logo_file_stops_startup(tmp_path: Path) -> None:
    from greenroom.app import StartupError, create_app

    config = tmp_path / "app-config.yaml"
    config.write_text("app:\n  branding:\n    logo: nope.png\n")
    with pytest.raises(StartupError, match=r"app\.branding\.logo.*no such file"):
        create_app([config], env={})


def test_theme_switch_by_form_without_javascript(portal_factory: Factory) -> None:
    client = portal_factory()
    resp = client.post("/settings/theme", data={"theme": "dark", "next": "/plugins"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/plugins"
    assert 'data-theme="dark"' in client.get("/", headers=HTML).text
    client.post("/settings/theme", data={"theme": "hacker"}, follow_redirects=False)
    assert 'data-theme="dark"' in client.get("/", headers=HTML).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_theme_return_url_cannot_leave_the_site(portal_factory: Factory, target: str) -> None:
    resp = portal_factory().post("/settings/theme", data={"theme": "light", "next": target},
                                 follow_redirects=False)
    assert resp.headers["location"] == "/settings"


def test_404_page_in_shell_and_json_for_apis(portal_factory: Factory) -> None:
    client = portal_factory()
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and "Page not found" in page.text and 'class="sidebar"' in page.text
    api = client.get("/api/nothing")
    assert api.status_code == 404
    assert api.json() == {"error": {"name": "NotFoundError", "message": "Not Found"},
                          "request": {"method": "GET", "url": "/api/nothing"}, "response": {"statusCode": 404}}


def _crashing() -> ModuleType:
    module = ModuleType("crashy")
    module.manifest = PluginManifest(id="crashy", name="Crashy", version="1")  # type: ignore[attr-defined]

    def register_pages() -> APIRouter:
        router = APIRouter()

        @router.get("/crash")
        def crash() -> None:
            raise RuntimeError("secret internals")

        return router

    module.register_pages = hookimpl(register_pages)  # type: ignore[attr-defined]
    return module


def test_500_page_hides_internals(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[_crashing()], raise_server_exceptions=False)
    page = client.get("/crash", headers=HTML)
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "secret internals" not in page.text
    api = client.get("/crash")
    assert api.json()["error"]["name"] == "Error" and "secret" not in api.text


def test_request_id_echoed_and_logged_as_json(portal_factory: Factory, capfd: pytest.CaptureFixture[str]) -> None:
    from greenroom.services.logging import configure_logging

    client = portal_factory()
    configure_logging("info", "json")
    try:
        resp = client.get("/healthcheck", headers={"x-request-id": "abc-123"})
        assert resp.headers["x-request-id"] == "abc-123"
        assert client.get("/healthcheck", headers={"x-request-id": "bad id\n"}).headers["x-request-id"] != "bad id"
        lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        logging.getLogger().handlers.clear()
    access = [entry for entry in lines if entry.get("request_id") == "abc-123"]
    assert access and access[0]["path"] == "/healthcheck" and access[0]["status"] == 200


def test_security_headers_present(portal_factory: Factory) -> None:
    resp = portal_factory().get("/", headers=HTML)
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"


def test_no_outside_urls_in_pages(portal_factory: Factory) -> None:
    # Nothing phones home: every asset the shell loads comes from the portal itself.
    page = portal_factory().get("/", headers=HTML).text
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_no_telemetry_even_when_the_environment_asks(portal_factory: Factory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # FastAPI's built-in OpenTelemetry would export wherever OTEL_* variables point; the portal never does.
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/")
    client = portal_factory()
    assert client.get("/healthcheck").status_code == 200
    settings = getattr(client.app, "_telemetry", None)
    if settings is None:
        pytest.skip("this FastAPI has no built-in telemetry")
    assert not any(settings[k] for k in ("tracing", "metrics", "logs", "operation_spans", "auto_configure"))
