"""The assembled portal with an outside plugin package enabled through config."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from greenroom import PluginManifest, hookimpl
from greenroom.app import StartupError, create_app

HTML = {"accept": "text/html"}
Factory = Callable[..., TestClient]


def enabled(*ids: str, **sections: object) -> dict[str, object]:
    return {"plugins": {"enable": list(ids)}, **sections}


def test_builtins_run_and_outside_plugin_is_off_until_enabled(portal_factory: Factory) -> None:
    client = portal_factory()
    ids = [p["id"] for p in client.get("/api/plugins").json()["items"]]
    assert ids == ["catalog", "home", "plugins", "search"]
    assert client.get("/api/hello/greetings").status_code == 404


def test_outside_plugin_adds_routes_pages_nav_slots_and_static(portal_factory: Factory) -> None:
    client = portal_factory(config=enabled("hello", hello={"greeting": "Hi"}))
    listed = {p["id"]: p for p in client.get("/api/plugins").json()["items"]}
    assert listed["hello"]["version"] == "1.2.3" and listed["hello"]["package"] == "greenroom-test-plugins"
    assert client.get("/api/hello/greetings").json() == {"items": ["Hi"]}
    page = client.get("/hello", headers=HTML)
    assert page.status_code == 200 and "<li>Hi</li>" in page.text
    assert 'href="/hello" aria-current="page"' in page.text
    assert "hello widget" in page.text  # header slot
    assert "Card from the hello plugin." in client.get("/", headers=HTML).text
    assert client.get("/static/hello/wave.svg").status_code == 200
    portal = client.app.state.portal  # type: ignore[attr-defined]
    assert "hello" in [t.id for t in portal.slots.entity_tabs]
    assert [c.area for c in portal.slots.entity_cards] == ["side"]


def test_extension_point_published_by_one_plugin_is_used_by_another(portal_factory: Factory) -> None:
    client = portal_factory(config=enabled("hello", "hello-extra"))
    assert client.get("/api/hello/greetings").json() == {"items": ["Hello", "Bonjour"]}


def test_plugin_migrations_create_its_tables(portal_factory: Factory) -> None:
    client = portal_factory(config=enabled("hello"))
    assert client.post("/api/hello/visits").json() == {"count": 1}
    assert client.post("/api/hello/visits").json() == {"count": 2}


def test_scheduled_job_runs_and_startup_hook_ran(portal_factory: Factory) -> None:
    client = portal_factory(config=enabled("hello", hello={"jobInterval": 0.2}))
    portal = client.app.state.portal  # type: ignore[attr-defined]
    assert portal.contexts["hello"].cache.get("started") is True
    deadline = time.monotonic() + 10
    while client.get("/api/hello/job-runs").json()["runs"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/api/hello/job-runs").json()["runs"] >= 2


def test_readiness_includes_plugin_checks(portal_factory: Factory) -> None:
    ok = portal_factory(config=enabled("hello"))
    assert ok.get("/.well-known/health/readiness").json() == {"status": "ok"}
    bad = portal_factory(config=enabled("hello", hello={"greeting": "unready"}))
    resp = bad.get("/.well-known/health/readiness")
    assert resp.status_code == 503 and "hello.greeting" in resp.json()["failed"]
    assert bad.get("/healthcheck").status_code == 200


def test_disabling_a_builtin_removes_it(portal_factory: Factory) -> None:
    client = portal_factory(config={"plugins": {"disable": ["plugins"]}})
    assert client.get("/api/plugins").status_code == 404
    assert 'href="/plugins"' not in client.get("/", headers=HTML).text


def test_nav_items_needing_a_denied_permission_are_hidden(portal_factory: Factory) -> None:
    from greenroom.services.permissions import Decision

    class DenySecret:
        def decide(self, identity: object, permission: object) -> Decision:
            return Decision.DENY if getattr(permission, "name", "") == "hello.secret.read" else Decision.ALLOW

    client = portal_factory(config=enabled("hello"))
    assert "Secret hello" in client.get("/", headers=HTML).text
    client.app.state.portal.core.permissions.policy = DenySecret()  # type: ignore[attr-defined]
    assert "Secret hello" not in client.get("/", headers=HTML).text


def _plugin(name: str, **hooks: object) -> ModuleType:
    module = ModuleType(name)
    module.manifest = PluginManifest(id=name, name=name, version="1")  # type: ignore[attr-defined]
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[arg-type]
    return module


def _pages(path: str) -> Callable[[], APIRouter]:
    def register_pages() -> APIRouter:
        router = APIRouter()
        router.add_api_route(path, lambda: {"ok": True})
        return router
    return register_pages


def _create(tmp_path: Path, modules: list[ModuleType] | None = None, **config: object) -> object:
    overrides = {"backend": {"database": {"url": f"sqlite:///{tmp_path / 'x.db'}"}}, **config}
    return create_app([], env={}, extra_plugins=modules or [], overrides=overrides)


def test_conflicting_page_routes_name_both_plugins(tmp_path: Path) -> None:
    one, two = _plugin("one", register_pages=_pages("/same")), _plugin("two", register_pages=_pages("/same"))
    with pytest.raises(StartupError, match=r"plugin 'two' declares route GET /same, which plugin 'one'"):
        _create(tmp_path, [one, two])


def test_pages_may_not_take_reserved_paths(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="reserved"):
        _create(tmp_path, [_plugin("sneaky", register_pages=_pages("/api/catalog/entities"))])


def test_conflicting_plugin_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="already taken"):
        _create(tmp_path, [_plugin("home")])


def test_plugin_that_fails_to_import_stops_startup(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"plugin 'broken' .* failed to import: RuntimeError"):
        _create(tmp_path, plugins={"enable": ["broken"]})


def test_enabling_an_uninstalled_plugin_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="no installed plugin has that id"):
        _create(tmp_path, plugins={"enable": ["nope"]})


def test_missing_requirement_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="requires plugin 'hello', which is not enabled"):
        _create(tmp_path, plugins={"enable": ["hello-extra"]})


def test_hook_that_raises_names_the_plugin(tmp_path: Path) -> None:
    def nav_items() -> list[object]:
        raise ValueError("boom")
    with pytest.raises(StartupError, match="plugin 'faulty' failed in hook nav_items: ValueError: boom"):
        _create(tmp_path, [_plugin("faulty", nav_items=nav_items)])


def test_misspelled_hook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="nav_itmes"):
        _create(tmp_path, [_plugin("typo", nav_itmes=lambda: [])])


def test_bad_plugin_config_names_plugin_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "app-config.yaml"
    config.write_text("plugins: {enable: [hello]}\nhello:\n  greeting: [not, text]\n")
    with pytest.raises(StartupError) as err:
        create_app([config], env={})
    assert "hello.greeting" in str(err.value) and str(config) in str(err.value)


def test_unsupported_database_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"backend\.database\.url.*unsupported database 'mysql'"):
        create_app([], env={}, overrides={"backend": {"database": {"url": "mysql://x/y"}}})


def test_plugin_for_another_core_version_is_refused(tmp_path: Path) -> None:
    module = _plugin("future")
    module.manifest = PluginManifest(id="future", name="Future", version="1",  # type: ignore[attr-defined]
                                     core_versions=">=99")
    with pytest.raises(StartupError, match=r"supports core versions '>=99', but this is Greenroom"):
        _create(tmp_path, [module])
