"""Placeholder reads: relative to the entity, same repository only, never outside the allowed folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import Server, make_repo

from greenroom.config.models import ReadingAllow, ReadingConfig
from greenroom.plugins.catalog.config import Rule
from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.git import GitReader
from greenroom.plugins.catalog.ingest.placeholders import CROSS_REPOSITORY, PlaceholderReader, PlaceholderReadError
from greenroom.plugins.catalog.ingest.rules import RuleSet
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator
from greenroom.plugins.catalog.processing.types import LocationSpec
from greenroom.services.url_reader import UrlReader


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    (folder / "svc" / "docs").mkdir(parents=True)
    (folder / "svc" / "docs" / "api.yaml").write_text("openapi: 3.0.0\n")
    (folder / "svc" / "data.json").write_text('{"a": [1, 2]}')
    (folder / "svc" / "two.yaml").write_text("a: 1\n---\nb: 2\n")
    (folder / "svc" / "big.txt").write_text("x" * 3000)
    (tmp_path / "secret.txt").write_text("top secret\n")
    return folder


@pytest.fixture
def placeholders(tmp_path: Path, root: Path, repos: Path) -> PlaceholderReader:
    url_reader = UrlReader(ReadingConfig(allow=[ReadingAllow(host="127.0.0.1")]))
    files = FileReader([root, repos], 2000, 100, 100)
    url_reader.add_provider(GitReader(tmp_path / "cache", url_reader.is_allowed, files.allowed, 2000, 20))
    return PlaceholderReader(url_reader, files, 2000)


def test_file_placeholders(placeholders: PlaceholderReader, root: Path) -> None:
    own = LocationSpec("file", str(root / "svc" / "catalog-info.yaml"))
    assert placeholders("text", "./docs/api.yaml", own) == "openapi: 3.0.0\n"
    assert placeholders("yaml", "docs/api.yaml", own) == {"openapi": "3.0.0"}
    assert placeholders("json", "data.json", own) == {"a": [1, 2]}
    with pytest.raises(PlaceholderReadError, match="exactly one document"):
        placeholders("yaml", "two.yaml", own)
    with pytest.raises(PlaceholderReadError, match="larger than 2000"):
        placeholders("text", "big.txt", own)
    with pytest.raises(PlaceholderReadError, match="does not exist"):
        placeholders("text", "nope.txt", own)


@pytest.mark.parametrize("value", ["../../etc/passwd", "../../secret.txt", "/etc/passwd", "link.txt",
                                   "linkdir/secret.txt"])
def test_file_placeholders_cannot_escape(placeholders: PlaceholderReader, root: Path, tmp_path: Path,
                                         value: str) -> None:
    os.symlink(tmp_path / "secret.txt", root / "svc" / "link.txt")
    os.symlink(tmp_path, root / "svc" / "linkdir")
    own = LocationSpec("file", str(root / "svc" / "catalog-info.yaml"))
    with pytest.raises(PlaceholderReadError, match="outside the folders"):
        placeholders("text", value, own)


def test_file_entities_cannot_read_urls(placeholders: PlaceholderReader, root: Path) -> None:
    own = LocationSpec("file", str(root / "svc" / "catalog-info.yaml"))
    with pytest.raises(PlaceholderReadError, match=CROSS_REPOSITORY):
        placeholders("text", "https://example.com/x.yaml", own)


def test_url_placeholders(placeholders: PlaceholderReader, www: Path, http_server: Server) -> None:
    (www / "svc").mkdir()
    (www / "svc" / "api.yaml").write_text("openapi: 3.0.0\n")
    own = LocationSpec("url", f"{http_server.url}/svc/catalog-info.yaml")
    assert placeholders("text", "./api.yaml", own) == "openapi: 3.0.0\n"
    assert placeholders("text", f"{http_server.url}/svc/api.yaml", own) == "openapi: 3.0.0\n"
    with pytest.raises(PlaceholderReadError, match=CROSS_REPOSITORY):
        placeholders("text", "https://example.com/api.yaml", own)
    with pytest.raises(PlaceholderReadError, match="HTTP 404"):
        placeholders("text", "./missing.yaml", own)


def test_git_placeholders(placeholders: PlaceholderReader, repos: Path) -> None:
    repo = make_repo(repos, "svc", {"svc/catalog-info.yaml": "kind: Component\n", "svc/api.yaml": "openapi: 3\n",
                                    "top.json": "[1]"})
    other = make_repo(repos, "other", {"secret.txt": "no\n"})
    own = LocationSpec("url", f"git+{repo.file_url}#main:svc/catalog-info.yaml")
    assert placeholders("text", "./api.yaml", own) == "openapi: 3\n"
    assert placeholders("json", "../top.json", own) == [1]
    with pytest.raises(PlaceholderReadError, match="may not leave the repository"):
        placeholders("text", "../../etc/passwd", own)
    with pytest.raises(PlaceholderReadError, match=CROSS_REPOSITORY):
        placeholders("text", f"git+{other.file_url}#main:secret.txt", own)
    with pytest.raises(PlaceholderReadError, match=CROSS_REPOSITORY):
        placeholders("text", "https://127.0.0.1/secret.txt", own)


def test_placeholder_failure_fails_the_entity(placeholders: PlaceholderReader, root: Path) -> None:
    orchestrator = Orchestrator(RuleSet([Rule(allow=["API"])]), [], placeholder_reader=placeholders)
    key = f"file:{root / 'svc' / 'catalog-info.yaml'}"
    entity: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1", "kind": "API",
        "metadata": {"name": "a", "annotations": {"backstage.io/managed-by-location": key,
                                                  "backstage.io/managed-by-origin-location": key}},
        "spec": {"type": "openapi", "lifecycle": "production", "owner": "t", "definition": {"$text": "docs/api.yaml"}}}
    good = orchestrator.process(entity)
    assert good.ok and good.entity is not None and good.entity["spec"]["definition"] == "openapi: 3.0.0\n"
    entity["spec"]["definition"] = {"$text": "../../etc/passwd"}
    bad = orchestrator.process(entity)
    assert not bad.ok and "outside the folders" in bad.errors[0].message
