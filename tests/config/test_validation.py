from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.config import ConfigValidationError, load_config, masked, validate_core, validate_plugins
from greenroom.config.models import StrictModel, secret


class HelloConfig(StrictModel):
    greeting: str = "hi"
    token: str | None = secret(default=None)


def loaded_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    f = tmp_path / "app-config.yaml"
    f.write_text(text)
    return load_config([f], env={}), f


def test_wrong_type_names_file_key_and_expectation(tmp_path: Path) -> None:
    loaded, f = loaded_from(tmp_path, "backend:\n  listen:\n    port: seventy\n")
    with pytest.raises(ConfigValidationError) as err:
        validate_core(loaded)
    text = str(err.value)
    assert str(f) in text and "backend.listen.port" in text and "integer" in text and "'seventy'" in text


def test_unknown_core_key_is_refused(tmp_path: Path) -> None:
    loaded, _ = loaded_from(tmp_path, "app:\n  titel: X\n")
    with pytest.raises(ConfigValidationError, match=r"app\.titel: unknown key"):
        validate_core(loaded)


def test_colour_values_cannot_inject_css(tmp_path: Path) -> None:
    loaded, _ = loaded_from(tmp_path, "app:\n  branding:\n    theme:\n      primaryColor: 'red; } body { x'\n")
    with pytest.raises(ConfigValidationError, match="primaryColor"):
        validate_core(loaded)


def test_plugin_sections_validated_and_unknown_top_level_refused(tmp_path: Path) -> None:
    loaded, f = loaded_from(tmp_path, "hello:\n  greting: typo\nnobody: {}\n")
    with pytest.raises(ConfigValidationError) as err:
        validate_plugins(loaded, {"hello": HelloConfig}, {"hello"})
    text = str(err.value)
    assert "hello.greting: unknown key (not part of plugin 'hello' config)" in text
    assert "nobody: unknown top-level key" in text
    assert str(f) in text


def test_installed_but_disabled_plugin_section_is_allowed(tmp_path: Path) -> None:
    loaded, _ = loaded_from(tmp_path, "sleepy:\n  anything: 1\n")
    assert validate_plugins(loaded, {}, {"sleepy"}) == {}


def test_masked_hides_secrets_and_database_passwords(tmp_path: Path) -> None:
    loaded, _ = loaded_from(
        tmp_path, "backend:\n  sessionSecret: abc\n  database:\n    url: postgresql://u:pw@db/x\n")
    out = masked(validate_core(loaded))
    assert out["backend"]["sessionSecret"] == "******"
    assert "pw" not in out["backend"]["database"]["url"]
    assert masked(HelloConfig(token="t"))["token"] == "******"


def test_integration_tokens_are_masked(tmp_path: Path) -> None:
    loaded, _ = loaded_from(
        tmp_path, "integrations:\n  github:\n    - host: github.example\n      token: ghp_secret\n"
                  "      apps: [{appId: 1, privateKey: pk, clientSecret: cs}]\n")
    out = masked(validate_core(loaded))
    github = out["integrations"]["github"][0]
    assert github["host"] == "github.example" and github["token"] == "******"
    assert github["apps"][0] == {"appId": 1, "privateKey": "******", "clientSecret": "******"}
