"""The extension points as a third party uses them (the docs' example plugin), engine choice and the CLI."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from search_support import Factory, query, search_of, start, titles

from greenroom.registry import PluginError

ROOT = Path(__file__).resolve().parents[3]


def example_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("greenroom_search_examples",
                                                  ROOT / "docs" / "snippets" / "greenroom_search_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_collator_example_is_searchable(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, plugins=[example_plugin()])
    assert titles(query(client, term="kafka")) == ["Restart Kafka"]
    assert titles(query(client, term="brokers", **{"filters[owner]": "team-a", "types[]": "runbooks"})) == [
        "Restart Kafka"]


def test_docs_engine_example_is_chosen_by_config(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, plugins=[example_plugin()], engine="memory")
    assert search_of(client).engine.name == "memory"
    assert titles(query(client, term="restart")) == ["Restart Kafka"]


def test_engine_choice_errors_name_the_problem(portal_factory: Factory, greenroom_database_url: str) -> None:
    with pytest.raises(PluginError, match=r"search\.engine is 'nope'"):
        portal_factory(config={"search": {"engine": "nope"}})
    other = "postgres" if greenroom_database_url.startswith("sqlite") else "sqlite"
    with pytest.raises(PluginError, match=f"search.engine '{other}' needs a"):
        portal_factory(config={"search": {"engine": other}})


def test_builtin_engine_follows_the_database(portal_factory: Factory, greenroom_database_url: str) -> None:
    client = portal_factory()
    expected = "sqlite" if greenroom_database_url.startswith("sqlite") else "postgres"
    assert search_of(client).engine.name == expected


def test_reindex_command(tmp_path: Path, greenroom_database_url: str) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "e.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                   "metadata: {name: cli-thing}\nspec: {type: service, owner: a, lifecycle: x}\n")
    config = tmp_path / "app-config.yaml"
    config.write_text(f"backend:\n  database:\n    url: '{greenroom_database_url}'\n")
    command = [sys.executable, "-m", "greenroom", "search", "reindex", "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "software-catalog: 0 written, 0 deleted" in done.stdout
    assert "techdocs: 0 written, 0 deleted" in done.stdout  # TechDocs is built in, with no site built yet
    assert "reindexed 2 document types" in done.stderr
    bad = subprocess.run([*command, "--type", "nope"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 2 and "unknown document type 'nope'" in bad.stderr
