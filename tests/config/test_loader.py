from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.config import ConfigError, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_later_files_win_objects_merge_and_arrays_replace(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "app: {title: A, baseUrl: http://a}\nlist: [1, 2]\nkeep: {x: 1}\n")
    b = write(tmp_path / "b.yaml", "app: {title: B}\nlist: [3]\nkeep: null\n")
    loaded = load_config([a, b], env={})
    assert loaded.data == {"app": {"title": "B", "baseUrl": "http://a"}, "list": [3]}
    assert loaded.origin_of("app.title") == str(b)
    assert loaded.origin_of("app.baseUrl") == str(a)


def test_variable_substitution_fallback_and_escape(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "a: ${HOST}:${PORT:-7007}\nb: $${LITERAL}\n")
    assert load_config([f], env={"HOST": "h"}).data == {"a": "h:7007", "b": "${LITERAL}"}


def test_missing_variable_names_file_and_key(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "backend:\n  database:\n    url: ${DATABASE_URL}\n")
    with pytest.raises(ConfigError) as err:
        load_config([f], env={})
    assert "DATABASE_URL" in str(err.value)
    assert str(f) in str(err.value)
    assert "backend.database.url" in str(err.value)


def test_env_file_and_include_forms(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("  s3cret\n")
    (tmp_path / "more.yaml").write_text("deep:\n  part:\n    x: ${X}\n")
    f = write(tmp_path / "a.yaml",
              "a: {$env: TOKEN}\nb: {$file: secret.txt}\nc: {$include: more.yaml#deep.part}\n")
    loaded = load_config([f], env={"TOKEN": "t", "X": "1"})
    assert loaded.data == {"a": "t", "b": "s3cret", "c": {"x": "1"}}


def test_include_must_be_alone_and_exist(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "a: {$env: T, other: 1}\n")
    with pytest.raises(ConfigError, match="only key"):
        load_config([f], env={"T": "x"})
    g = write(tmp_path / "b.yaml", "a: {$include: nope.yaml}\n")
    with pytest.raises(ConfigError, match="no such file"):
        load_config([g], env={})


def test_include_cycle_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "x.yaml", "a: {$include: y.yaml}\n")
    write(tmp_path / "y.yaml", "b: {$include: x.yaml}\n")
    f = write(tmp_path / "a.yaml", "root: {$include: x.yaml}\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config([f], env={})


def test_environment_overrides_are_json_or_strings(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "app: {title: A}\n")
    env = {"GREENROOM_CONFIG_app_title": "Portal", "GREENROOM_CONFIG_backend_listen_port": "8080"}
    loaded = load_config([f], env=env)
    assert loaded.data["app"]["title"] == "Portal"
    assert loaded.data["backend"]["listen"]["port"] == 8080
    assert loaded.origin_of("app.title") == "$GREENROOM_CONFIG_app_title"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "app:\n  title: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config([f], env={})
    assert str(f) in str(err.value) and "line" in str(err.value)


def test_duplicate_keys_and_non_mapping_top_level_are_errors(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "app: {title: A}\napp: {title: B}\n")
    with pytest.raises(ConfigError, match="duplicate key"):
        load_config([f], env={})
    g = write(tmp_path / "b.yaml", "- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config([g], env={})


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config([tmp_path / "none.yaml"], env={})
