"""Resolving `backstage.io/techdocs-ref` against where the entity came from."""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.plugins.techdocs.refs import SourceError, Triplet, has_docs, resolve_source


def entity(ref: str | None, source: str | None = "file:/repo/svc/",
           managed: str | None = "file:/repo/svc/catalog-info.yaml") -> dict[str, Any]:
    notes = {k: v for k, v in {"backstage.io/techdocs-ref": ref, "backstage.io/source-location": source,
                               "backstage.io/managed-by-location": managed}.items() if v is not None}
    return {"kind": "Component", "metadata": {"name": "svc", "namespace": "default", "annotations": notes}}


def test_dir_dot_is_the_entity_folder() -> None:
    source = resolve_source(entity("dir:."))
    assert (source.type, source.target) == ("file", "/repo/svc")


def test_dir_subfolder() -> None:
    assert resolve_source(entity("dir:./handbook")).target == "/repo/svc/handbook"


@pytest.mark.parametrize("ref", ["dir:..", "dir:../other", "dir:docs/../../x", "dir:/etc"])
def test_dir_may_not_leave_the_source_folder(ref: str) -> None:
    with pytest.raises(SourceError):
        resolve_source(entity(ref))


def test_author_written_source_location_cannot_point_elsewhere_on_disk() -> None:
    with pytest.raises(SourceError, match="outside the folder of the entity's catalog file"):
        resolve_source(entity("dir:.", source="file:/etc/"))


def test_url_sources() -> None:
    assert resolve_source(entity("url:https://docs.example.com/svc")).target == "https://docs.example.com/svc/"
    git = resolve_source(entity("url:git+https://git.example.com/r.git#main:handbook"))
    assert (git.type, git.target) == ("git", "git+https://git.example.com/r.git#main:handbook/")


def test_dir_against_a_git_source_location() -> None:
    source = resolve_source(entity("dir:docs-site", source="url:git+file:///srv/r.git#main:svc/",
                                   managed="url:git+file:///srv/r.git#main:svc/catalog-info.yaml"))
    assert source.target == "git+file:///srv/r.git#main:svc/docs-site/"


@pytest.mark.parametrize("ref", ["url:file:///etc", "url:javascript:alert(1)", "nonsense", "svn:x", "dir:"])
def test_bad_refs_are_clear_errors(ref: str) -> None:
    with pytest.raises(SourceError):
        resolve_source(entity(ref))


def test_triplet_paths() -> None:
    triplet = Triplet("default", "Component", "Svc")
    assert triplet.storage_path() == "default/component/svc"
    assert triplet.storage_path(case_sensitive=True) == "default/Component/Svc"
    assert triplet.docs_href == "/docs/default/component/svc/"
    with pytest.raises(SourceError):
        Triplet("default", "Component", "..").storage_path()


def test_has_docs() -> None:
    assert has_docs(entity("dir:."))
    assert not has_docs(entity(None))
    assert not has_docs(entity("  "))
