"""The code the docs show is real: the example plugin under docs/snippets/ runs in a portal, hook by hook.

The example plugin's own tests (docs/snippets/test_bookmarks.py, shown in "Writing a plugin") are collected
here too, so they run with the rest of the suite on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from greenroom import hookspecs
from greenroom.app import create_app
from greenroom.services.permissions import Decision

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "docs" / "snippets"
HTML = {"accept": "text/html"}
Factory = Callable[..., TestClient]


def load_snippet(name: str, path: Path, package: bool = False) -> ModuleType:
    """Import a file under docs/snippets/ as module `name` (the snippets folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    locations = [str(path.parent)] if package else None
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=locations)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bookmarks = load_snippet("greenroom_bookmarks", SNIPPETS / "greenroom_bookmarks" / "__init__.py", package=True)
runbooks = load_snippet("greenroom_bookmarks_runbooks", SNIPPETS / "greenroom_bookmarks_runbooks.py")
example_tests = load_snippet("greenroom_bookmarks_example_tests", SNIPPETS / "test_bookmarks.py")
EXAMPLE_TESTS = sorted(name for name in vars(example_tests) if name.startswith("test_"))
for _name in EXAMPLE_TESTS:
    globals()[f"test_snippet_{_name.removeprefix('test_')}"] = getattr(example_tests, _name)

CORE_HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "greenroom_spec"))
ENTITY = {"kind": "Component", "metadata": {"name": "payments"}}


def test_example_plugin_implements_every_core_hook() -> None:
    missing = [name for name in CORE_HOOKS if not hasattr(getattr(bookmarks, name, None), "greenroom_impl")]
    assert not missing, f"docs/snippets/greenroom_bookmarks lacks an example of: {', '.join(missing)}"
    assert EXAMPLE_TESTS, "docs/snippets/test_bookmarks.py has no tests"


def _portal(client: TestClient) -> Any:
    return client.app.state.portal  # type: ignore[attr-defined]


def _add(client: TestClient, title: str, entity_ref: str | None = None) -> None:
    body = {"title": title, "url": f"https://example.com/{title}", "entityRef": entity_ref}
    assert client.post("/api/bookmarks/items", json=body).status_code == 201


def test_routes_validate_input_with_backstage_errors(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks])
    bad = client.post("/api/bookmarks/items", json={"title": "x", "url": "ftp://example.com"})
    assert bad.status_code == 400 and bad.json()["error"]["name"] == "InputError"


def test_header_widget_and_static_files(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks])
    assert 'class="icon-button bookmarks-widget"' in client.get("/", headers=HTML).text
    assert client.get("/static/bookmarks/bookmarks.css").status_code == 200


def test_entity_tab_and_card_render_the_entitys_bookmarks(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks])
    _add(client, "dashboard", "component:default/payments")
    _add(client, "elsewhere", "component:default/other")
    slots = _portal(client).slots
    tab = next(t for t in slots.entity_tabs if t.id == "bookmarks")
    assert tab.applies is not None and tab.applies(ENTITY) and not tab.applies({"kind": "User"})
    html = asyncio.run(tab.render(None, ENTITY))
    assert "dashboard" in html and "elsewhere" not in html
    card = next(c for c in slots.entity_cards if c.id == "bookmarks")
    assert card.area == "side" and "1 bookmark<" in card.render(None, ENTITY)


def test_migrations_create_the_plugins_tables(portal_factory: Factory, greenroom_database_url: str) -> None:
    portal_factory(plugins=[bookmarks])
    engine = create_engine(greenroom_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM bookmarks_alembic_version")).scalar() == "bookmarks_0001"
        assert conn.execute(text("SELECT COUNT(*) FROM bookmarks_items")).scalar() == 0
    engine.dispose()


def test_scheduled_job_is_registered_and_prunes(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks], config={"bookmarks": {"keep": 2, "pruneIntervalSeconds": 99}})
    for title in ("a", "b", "c"):
        _add(client, title)
    job = _portal(client).core.scheduler.jobs["bookmarks.prune"]
    assert job.interval == 99 and job.scope == "global"
    job.fn()
    assert [b["title"] for b in client.get("/api/bookmarks/items").json()["items"]] == ["c", "b"]


def test_health_check_takes_part_in_readiness(portal_factory: Factory, greenroom_database_url: str) -> None:
    client = portal_factory(plugins=[bookmarks])
    assert client.get("/.well-known/health/readiness").json() == {"status": "ok"}
    engine = create_engine(greenroom_database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bookmarks_items"))
    engine.dispose()
    resp = client.get("/.well-known/health/readiness")
    assert resp.status_code == 503 and "bookmarks.table" in resp.json()["failed"]


def test_permissions_are_declared_and_enforced(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks])
    core = _portal(client).core
    assert {"bookmarks.bookmark.read", "bookmarks.bookmark.create"} <= set(core.permissions.declared)

    class ReadOnly:
        def decide(self, identity: object, permission: Any) -> Decision:
            return Decision.DENY if permission.action == "create" else Decision.ALLOW

    core.permissions.policy = ReadOnly()
    resp = client.post("/api/bookmarks/items", json={"title": "x", "url": "https://example.com"})
    assert resp.status_code == 403


def test_cli_command_checks_a_bookmarks_file(tmp_path: Path) -> None:
    @click.group()
    def cli() -> None:
        pass

    bookmarks.register_commands(cli=cli)
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("- {title: Wiki, url: 'https://example.com/wiki'}\n")
    bad.write_text("- {title: Wiki, url: 'gopher://example.com'}\n")
    assert CliRunner().invoke(cli, ["bookmarks", "check", str(good)]).exit_code == 0
    result = CliRunner().invoke(cli, ["bookmarks", "check", str(bad)])
    assert result.exit_code == 1 and "entry 1" in result.output


def test_startup_publishes_the_store_as_a_service(portal_factory: Factory) -> None:
    client = portal_factory(plugins=[bookmarks])
    store = _portal(client).core.services.get(bookmarks.BOOKMARKS)
    assert isinstance(store, bookmarks.BookmarkStore) and store.count() == 0


def test_shutdown_hook_runs_when_the_portal_stops(greenroom_database_url: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    app = create_app([], env={}, extra_plugins=[bookmarks],
                     overrides={"backend": {"database": {"url": greenroom_database_url}}})
    with caplog.at_level(logging.INFO, logger="greenroom.plugin.bookmarks"), TestClient(app):
        assert "bookmarks stopped" not in caplog.messages
    assert "bookmarks stopped" in caplog.messages
