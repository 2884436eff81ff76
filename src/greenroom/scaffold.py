"""`greenroom new-plugin NAME`: a plugin package that installs, runs and passes its own test."""

from __future__ import annotations

from pathlib import Path
from string import Template

from greenroom import __version__
from greenroom.manifest import PLUGIN_ID, RESERVED_IDS


class ScaffoldError(Exception):
    """The plugin cannot be created (bad name, folder already there)."""


PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "greenroom-plugin-$id"
version = "0.1.0"
description = "$title: a Greenroom plugin"
requires-python = ">=3.11"
dependencies = ["greenroom>=$core_version"]

[project.entry-points."greenroom.plugins"]
$id = "$module"

[tool.hatch.build.targets.wheel]
packages = ["src/$module"]
"""

MODULE = '''\
"""$title: a Greenroom plugin. Enable it with `plugins: {enable: [$id]}` in app-config.yaml."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from greenroom import NavItem, PluginContext, PluginManifest, StrictModel, hookimpl


class Config(StrictModel):
    """The `$id:` section of app-config.yaml."""

    greeting: str = "Hello from $title"


manifest = PluginManifest(id="$id", name="$title", version="0.1.0", config_model=Config,
                          description="Describe what $title does.")


def _config(ctx: PluginContext) -> Config:
    assert isinstance(ctx.config, Config)
    return ctx.config


@hookimpl
def nav_items() -> list[NavItem]:
    return [NavItem("$title", "/$id", icon="extension")]


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    router = APIRouter(tags=["$id"])

    @router.get("/greeting")
    async def greeting() -> dict[str, str]:
        """The configured greeting."""
        return {"greeting": _config(ctx).greeting}

    return router


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/$id")
    async def page(request: Request) -> Response:
        return await ctx.templates.render(request, "$id/index.html", {"greeting": _config(ctx).greeting})

    return router
'''

PAGE = """\
{% extends "base.html" %}
{% block title %}$title{% endblock %}
{% block content %}
<h1 class="page-title">$title</h1>
<section class="card"><p>{{ greeting }}</p></section>
{% endblock %}
"""

TEST = '''\
"""Tests of the $title plugin, on the fixtures Greenroom ships for plugin authors."""

from __future__ import annotations

import $module as plugin


def test_greeting_api_answers_configured_text(portal_factory):
    client = portal_factory(plugins=[plugin], config={"$id": {"greeting": "Hi there"}})
    assert client.get("/api/$id/greeting").json() == {"greeting": "Hi there"}


def test_page_is_in_the_shell_and_nav(portal_factory):
    client = portal_factory(plugins=[plugin])
    page = client.get("/$id", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Hello from $title" in page.text
    assert 'href="/$id"' in client.get("/", headers={"accept": "text/html"}).text
'''

README = """\
# greenroom-plugin-$id

$title, a plugin for [Greenroom](https://github.com/greenroom-dev/greenroom).

    pip install -e .          # install next to Greenroom
    pytest                    # run its tests

Then switch it on in `app-config.yaml`:

    plugins:
      enable: [$id]
    $id:
      greeting: Hello!
"""


def create_plugin(name: str, directory: Path) -> Path:
    """Write the package `greenroom-plugin-<name>` into `directory` and return its path."""
    plugin_id = name.strip().lower()
    if not PLUGIN_ID.match(plugin_id) or len(plugin_id) > 40 or plugin_id in RESERVED_IDS:
        raise ScaffoldError(f"{name!r} is not a usable plugin id: use lower-case letters, digits and dashes, "
                            "starting with a letter (and not a reserved word)")
    module = "greenroom_plugin_" + plugin_id.replace("-", "_")
    target = directory / f"greenroom-plugin-{plugin_id}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    values = {"id": plugin_id, "module": module, "core_version": __version__,
              "title": plugin_id.replace("-", " ").title()}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{module}/__init__.py": MODULE,
        f"src/{module}/templates/{plugin_id}/index.html": PAGE,
        "tests/test_plugin.py": TEST,
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    return target
