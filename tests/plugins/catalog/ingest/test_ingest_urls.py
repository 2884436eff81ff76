"""`url` locations over a real HTTP server and real git repositories, and the location annotations."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import Server, make_repo

from greenroom.config.models import ReadingAllow, ReadingConfig
from greenroom.plugins.catalog.config import Rule
from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.git import GitReader
from greenroom.plugins.catalog.ingest.rules import RuleSet
from greenroom.plugins.catalog.ingest.urls import AnnotateLocation, UrlLocationReader, location_annotations
from greenroom.plugins.catalog.processing.orchestrator import Orchestrator, location_entity
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec
from greenroom.plugins.catalog.service import resolve_target
from greenroom.services.url_reader import UrlReader

COMPONENT = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n" \
            "spec: {{type: service, lifecycle: production, owner: team-a}}\n"


@pytest.fixture
def setup(tmp_path: Path, repos: Path) -> tuple[UrlLocationReader, UrlReader]:
    url_reader = UrlReader(ReadingConfig(allow=[ReadingAllow(host="127.0.0.1")], maxBytes=2000))
    files = FileReader([repos], 2000, 100, 100)
    git = GitReader(tmp_path / "cache", url_reader.is_allowed, files.allowed, 2000, 20, recheck_seconds=0)
    url_reader.add_provider(git)
    return UrlLocationReader(url_reader, files, git), url_reader


def read(reader: UrlLocationReader, target: str, optional: bool = False,
         parent: dict[str, object] | None = None) -> Emitter:
    emit = Emitter()
    assert reader(LocationSpec("url", target), optional, emit, parent or {})
    return emit


def test_reads_entities_over_http_with_etag(setup: tuple[UrlLocationReader, UrlReader], www: Path,
                                            http_server: Server) -> None:
    reader, _ = setup
    (www / "catalog-info.yaml").write_text(COMPONENT.format(name="a") + "---\n" + COMPONENT.format(name="b"))
    emit = read(reader, f"{http_server.url}/catalog-info.yaml")
    assert [e.entity["metadata"]["name"] for e in emit.entities] == ["a", "b"]
    assert not emit.errors and not emit.source_errors
    again = read(reader, f"{http_server.url}/catalog-info.yaml")  # answered 304, served from the cache
    assert [e.entity["metadata"]["name"] for e in again.entities] == ["a", "b"]
    assert not reader(LocationSpec("file", "/x"), False, Emitter(), {})


def test_http_errors_become_source_errors(setup: tuple[UrlLocationReader, UrlReader], www: Path,
                                          http_server: Server) -> None:
    reader, _ = setup
    missing = f"{http_server.url}/missing.yaml"
    emit = read(reader, missing)
    assert emit.source_errors[f"url:{missing}"].name == "NotFoundError"
    assert "HTTP 404" in emit.source_errors[f"url:{missing}"].message
    assert not read(reader, missing, optional=True).source_errors  # optional: missing is fine
    (www / "big.yaml").write_text("x: " + "y" * 5000)
    big = read(reader, f"{http_server.url}/big.yaml").source_errors[f"url:{http_server.url}/big.yaml"]
    assert "larger than 2000 bytes" in big.message
    denied = read(reader, "https://example.com/catalog-info.yaml").source_errors
    assert denied["url:https://example.com/catalog-info.yaml"].name == "NotAllowedError"
    (www / "bad.yaml").write_text("kind: [unclosed\n")
    bad = read(reader, f"{http_server.url}/bad.yaml").source_errors[f"url:{http_server.url}/bad.yaml"]
    assert "line" in bad.message
    assert "only supported in git+" in read(reader, f"{http_server.url}/*.yaml").errors[0].message


def test_git_locations_single_glob_and_relative(setup: tuple[UrlLocationReader, UrlReader], repos: Path) -> None:
    reader, _ = setup
    repo = make_repo(repos, "svc", {"catalog-info.yaml": COMPONENT.format(name="root"),
                                    "services/x/catalog-info.yaml": COMPONENT.format(name="x"),
                                    "services/y/catalog-info.yaml": COMPONENT.format(name="y")})
    base = f"git+{repo.file_url}#main:"
    assert [e.entity["metadata"]["name"] for e in read(reader, base + "catalog-info.yaml").entities] == ["root"]
    emit = read(reader, base + "services/**/catalog-info.yaml")
    assert [(e.entity["metadata"]["name"], e.location.target) for e in emit.entities] == [
        ("x", base + "services/x/catalog-info.yaml"), ("y", base + "services/y/catalog-info.yaml")]
    parent = location_entity(LocationSpec("url", base + "all.yaml"))
    relative = read(reader, "./services/x/catalog-info.yaml", parent=parent)
    assert [e.location.target for e in relative.entities] == [base + "services/x/catalog-info.yaml"]
    missing = read(reader, base + "nope.yaml")
    assert missing.source_errors[f"url:{base}nope.yaml"].name == "NotFoundError"
    assert not read(reader, base + "nope.yaml", optional=True).source_errors


def test_unreachable_git_remote(setup: tuple[UrlLocationReader, UrlReader]) -> None:
    reader, _ = setup
    url = "git+http://127.0.0.1:9/gone.git#main:catalog-info.yaml"
    single = read(reader, url)
    assert "unable to access" in single.source_errors[f"url:{url}"].message
    # A glob cannot name its files any more: the whole location fails, which keeps its entities.
    glob = read(reader, "git+http://127.0.0.1:9/gone.git#main:**/*.yaml")
    assert glob.errors and "unable to access" in glob.errors[0].message


def test_location_annotations() -> None:
    github = "https://github.com/org/repo/blob/main/svc/catalog-info.yaml"
    assert location_annotations(LocationSpec("url", github)) == {
        "backstage.io/view-url": github,
        "backstage.io/edit-url": "https://github.com/org/repo/edit/main/svc/catalog-info.yaml",
        "backstage.io/source-location": "url:https://github.com/org/repo/blob/main/svc/"}
    pinned = "https://github.com/org/repo/blob/" + "a" * 40 + "/catalog-info.yaml"
    assert "backstage.io/edit-url" not in location_annotations(LocationSpec("url", pinned))
    assert location_annotations(LocationSpec("file", "/srv/cat/catalog-info.yaml")) == {
        "backstage.io/source-location": "file:/srv/cat/"}
    assert location_annotations(LocationSpec("url", "git+https://h/r.git#main:a/c.yaml")) == {
        "backstage.io/source-location": "url:git+https://h/r.git#main:a/"}
    entity = {"kind": "Component", "metadata": {"name": "x", "annotations": {"backstage.io/view-url": "mine"}}}
    out = AnnotateLocation().post_process(entity, LocationSpec("url", github), Emitter())
    assert out["metadata"]["annotations"]["backstage.io/view-url"] == "mine"  # the entity's own value wins
    assert out["metadata"]["annotations"]["backstage.io/edit-url"].endswith("/edit/main/svc/catalog-info.yaml")


def test_orchestrator_with_url_reader(setup: tuple[UrlLocationReader, UrlReader], www: Path,
                                      http_server: Server) -> None:
    reader, _ = setup
    (www / "catalog-info.yaml").write_text(COMPONENT.format(name="web"))
    orchestrator = Orchestrator(RuleSet([Rule(allow=["Component", "Location"])]), [reader], [AnnotateLocation()],
                                resolve_target=resolve_target)
    spec = LocationSpec("url", f"{http_server.url}/catalog-info.yaml")
    outcome = orchestrator.process(location_entity(spec))
    assert outcome.ok, outcome.errors
    (child,) = outcome.children
    assert child.entity["metadata"]["annotations"]["backstage.io/managed-by-location"] == spec.key
    processed = orchestrator.process(child.entity)
    assert processed.ok and processed.entity is not None
    annotations = processed.entity["metadata"]["annotations"]
    assert annotations["backstage.io/source-location"] == f"url:{http_server.url}/"
    assert annotations["backstage.io/view-url"] == spec.target
