"""Parsing many files: the parallel path gives exactly what reading one by one gives, in order, errors included."""

from __future__ import annotations

import os
import time
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
    monkeypatch.setattr(parsing, "SHARED_CHUNK_FILES", 4)
    monkeypatch.setattr(parsing, "AHEAD_CHUNKS", 1)
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


def _where(location: Any, entity: dict[str, Any]) -> tuple[int, str, str]:
    time.sleep(0.002)  # slow enough that this process and the helpers all get chunks
    return os.getpid(), location.target, entity["metadata"]["name"]


@pytest.mark.usefixtures("small_chunks")
def test_prepare_runs_where_each_file_is_parsed_and_keeps_the_order(tmp_path: Path) -> None:
    paths = _files(tmp_path, 60)
    roots = [Path(os.path.realpath(tmp_path))]
    serial = _flat(parsing.read_source(p, roots, LIMITS, 100) for p in paths)
    prepared = list(parsing.parse_many(paths, roots, LIMITS, 100, _where))
    assert [(s.path, s.error) for s in prepared] == [(path, error) for path, _, error in serial]
    for source, (path, entities, _) in zip(prepared, serial, strict=True):
        assert [(target, name) for _, target, name in source.entities] == \
            [(path, e["metadata"]["name"]) for e in entities]
    pids = {pid for source in prepared for pid, _, _ in source.entities}
    assert os.getpid() in pids and len(pids) > 1  # shared between this process and the helpers
    assert parsing._prepare is None


@pytest.mark.usefixtures("small_chunks")
def test_a_reader_that_stops_early_leaves_no_helper_parsing(tmp_path: Path) -> None:
    paths = _files(tmp_path, 60)
    roots = [Path(os.path.realpath(tmp_path))]
    reading = parsing.parse_many(paths, roots, LIMITS, 100, _where)
    first = next(reading)
    started = time.monotonic()
    reading.close()
    assert first.path == paths[0]
    assert time.monotonic() - started < 5
    assert parsing._prepare is None


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
