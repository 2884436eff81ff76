"""Parsing many files: the parallel path gives exactly what reading one by one gives, in order, errors included."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from greenroom.plugins.catalog.ingest import parsing
from greenroom.plugins.catalog.model import YamlLimits

LIMITS = YamlLimits(max_bytes=10_000)


def _files(root: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = root / f"f{i:03d}.yaml"
        if i % 7 == 3:
            path.write_text("kind: [unclosed\n")
        elif i % 11 == 5:
            path.write_text("x" * 20_000)
        else:
            path.write_text(f"kind: Component\nmetadata: {{name: c{i}}}\n---\nkind: API\nmetadata: {{name: a{i}}}\n")
        paths.append(str(path))
    paths.append(str(root / "missing.yaml"))
    return paths


def _flat(sources: Any) -> list[tuple[str, Any, Any]]:
    return [(s.path, s.entities, s.error) for s in sources]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(parsing, "CHUNK_FILES", 4)
    monkeypatch.setattr(parsing, "_helpers", lambda: 2)


@pytest.mark.usefixtures("small_chunks")
def test_parallel_parse_matches_serial_reading(tmp_path: Path) -> None:
    paths = _files(tmp_path, 40)
    roots = [Path(os.path.realpath(tmp_path))]
    serial = _flat(parsing.read_source(p, roots, LIMITS, 100) for p in paths)
    parallel = _flat(parsing.parse_many(paths, roots, LIMITS, 100))
    assert parallel == serial
    assert [p for p, _, _ in parallel] == paths
    errors = {e[0] for _, _, e in serial if e}
    assert errors == {"InputError", "NotFoundError"}
    assert serial[0][1] == [{"kind": "Component", "metadata": {"name": "c0"}},
                            {"kind": "API", "metadata": {"name": "a0"}}]


@pytest.mark.usefixtures("small_chunks")
def test_files_outside_the_roots_are_refused_in_helpers_too(tmp_path: Path) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    paths = _files(inside, 12)
    (inside / "escape.yaml").symlink_to(outside / "secret.yaml")
    (outside / "secret.yaml").write_text("kind: Secret\n")
    results = _flat(parsing.parse_many([*paths, str(inside / "escape.yaml")], [Path(os.path.realpath(inside))],
                                       LIMITS, 100))
    assert results[-1][2] is not None and results[-1][2][0] == "NotAllowedError"
    assert all("Secret" not in str(entities) for _, entities, _ in results)


@pytest.mark.usefixtures("small_chunks")
def test_a_dying_helper_falls_back_to_reading_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _files(tmp_path, 20)
    roots = [Path(os.path.realpath(tmp_path))]
    parent = os.getpid()
    real = parsing._read_chunk

    def dies_in_helpers(*args: Any) -> Any:
        if os.getpid() != parent:
            os._exit(1)
        return real(*args)

    monkeypatch.setattr(parsing, "_read_chunk", dies_in_helpers)
    assert _flat(parsing.parse_many(paths, roots, LIMITS, 100)) == _flat(
        parsing.read_source(p, roots, LIMITS, 100) for p in paths)


def test_remembered_folders_still_see_every_way_out(tmp_path: Path) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    (inside / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.yaml").write_text("kind: Secret\n")
    (inside / "sub" / "ok.yaml").write_text("kind: Component\n")
    (inside / "escape.yaml").symlink_to(outside / "secret.yaml")
    (inside / "linked").symlink_to(outside, target_is_directory=True)
    roots = [Path(os.path.realpath(inside))]
    real_dirs: dict[str, str] = {}
    cases = {str(inside / "sub" / "ok.yaml"): True, str(inside / "escape.yaml"): False,
             str(inside / "linked" / "secret.yaml"): False, str(inside / "sub" / ".."): True,
             str(inside / ".."): False, str(inside / "sub" / ".." / ".." / "outside" / "secret.yaml"): False}
    for _ in range(2):  # the second round answers from the remembered folders
        for path, allowed in cases.items():
            assert parsing.is_allowed(path, roots, real_dirs) is allowed, path
            assert parsing.is_allowed(path, roots) is allowed, path
    assert parsing.is_allowed(str(inside / "sub" / "ok.yaml"), [Path("/")], real_dirs)
