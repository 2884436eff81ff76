"""The documentation site builds, covers every hook and every config key, and its examples are valid.

The example plugin's behaviour is tested in test_docs_snippets.py; the Dockerfile in test_dockerfile.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docs_config_reference as reference
import pytest
from starlette.testclient import TestClient
from test_docs_snippets import bookmarks

from greenroom import hookspecs
from greenroom.config import load_config, validate_core, validate_plugins

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
PLUGINS_PAGE = DOCS / "plugins.md"
CORE_HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "greenroom_spec"))
INCLUDE = re.compile(r'^\s*--8<-- "([^":]+)(?::([\w-]+))?"\s*$', re.M)


def test_site_builds_strictly_without_the_internet(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in ("index", "getting-started/index", "configuration/index", "plugins/index",
                 "deployment/index", "reference/index"):
        assert (site / f"{page}.html").is_file(), page
    plugins = (site / "plugins" / "index.html").read_text(encoding="utf-8")
    assert "--8&lt;--" not in plugins and "::: greenroom" not in plugins
    assert "it is mounted under" in plugins  # the register_routes docstring, rendered by mkdocstrings
    assert not list(site.rglob("snippets/*")), "snippets must be included into pages, not published"
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_mkdocs_config_never_downloads_at_build_time() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*font:\s*false\b", text, re.M)
    assert not re.search(r"^\s*-\s*(social|privacy|optimize)\b", text, re.M)


def _sections(markdown: str) -> dict[str, str]:
    """Third-level sections of a page by heading text."""
    parts = re.split(r"^### (.+)$", markdown, flags=re.M)
    return {parts[i].strip(): parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def test_every_hook_has_a_heading_its_docstring_and_a_snippet() -> None:
    sections = _sections(PLUGINS_PAGE.read_text(encoding="utf-8"))
    assert CORE_HOOKS
    for hook in CORE_HOOKS:
        body = sections.get(f"`{hook}`")
        assert body is not None, f"docs/plugins.md needs a heading '### `{hook}`'"
        assert f"::: greenroom.hookspecs.{hook}\n" in body, f"render the docstring of {hook} with mkdocstrings"
        assert INCLUDE.search(body), f"the {hook} section needs a snippet from docs/snippets/"


def test_every_snippet_include_names_a_real_file_and_section() -> None:
    for page in DOCS.glob("*.md"):
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8")):
            name, section = match.groups()
            found = [base / name for base in (SNIPPETS, ROOT) if (base / name).is_file()]
            assert found, f"{page.name}: no snippet file {name}"
            if section:
                text = found[0].read_text(encoding="utf-8")
                assert f"--8<-- [start:{section}]" in text and f"--8<-- [end:{section}]" in text, \
                    f"{page.name}: {name} has no section {section}"


def test_config_reference_is_complete_and_up_to_date() -> None:
    missing = reference.undocumented()
    assert not missing, f"describe these keys (description= or MEANINGS in docs_config_reference.py): {missing}"
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for path, _ in reference.fields():
        assert f"`{path}`" in text, f"docs/configuration.md lacks {path}"
    assert reference.current_block(text) == reference.render(), (
        "docs/configuration.md is out of date with src/greenroom/config/models.py; run "
        ".venv/bin/python tests/docs/docs_config_reference.py --write")


def test_type_names_never_break_a_table_cell() -> None:
    for row in reference.render().splitlines():
        if row.startswith("| `"):
            assert row.count(" | ") == 3, row


CONFIG_ENV = {"POSTGRES_PASSWORD": "pw", "GREENROOM_SESSION_SECRET": "s", "GITHUB_TOKEN": "t",
              "BOOKMARKS_WRITE_TOKEN": "w"}


@pytest.mark.parametrize("name", ["app-config.yaml", "app-config.production.yaml", "branding.yaml", "plugins.yaml"])
def test_config_examples_are_valid(name: str) -> None:
    loaded = load_config([SNIPPETS / "config" / name], env=CONFIG_ENV)
    core = validate_core(loaded)
    validate_plugins(loaded, {"bookmarks": bookmarks.Config}, {"bookmarks"})
    if name == "app-config.production.yaml":
        assert core.backend.database.url.startswith("postgresql://greenroom:pw@")
        assert core.integrations["github"][0]["token"] == "t"


def test_layered_examples_override_like_the_docs_say() -> None:
    files = [SNIPPETS / "config" / "app-config.yaml", SNIPPETS / "config" / "app-config.production.yaml"]
    env = {**CONFIG_ENV, "GREENROOM_CONFIG_backend_logging_level": "debug",
           "GREENROOM_CONFIG_plugins_enable": '["bookmarks"]'}
    core = validate_core(load_config(files, env=env))
    assert core.app.title == "Acme Portal"                      # kept from the first file
    assert core.app.baseUrl == "https://portal.example.com"     # replaced by the second
    assert core.backend.logging.format == "json" and core.backend.logging.level == "debug"
    assert core.plugins.enable == ["bookmarks"]


def test_branding_example_styles_the_shell(portal_factory: Callable[..., TestClient]) -> None:
    client = portal_factory(config_files=[SNIPPETS / "config" / "branding.yaml"])
    assert "--gr-brand-primary: #0b5cad;" in client.get("/branding.css").text
    assert client.get("/branding/logo").headers["content-type"].startswith("image/svg+xml")
    assert "Acme Portal" in client.get("/", headers={"accept": "text/html"}).text
