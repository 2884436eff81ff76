"""The Dockerfile, checked by reading it (no Docker engine is needed): sources exist and reach the build
context, the image runs as a non-root user, and its command and health check use what the CLI really offers."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path

from click.testing import CliRunner

from greenroom.cli import cli
from greenroom.config import load_config, validate_core

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def args_of(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def exec_form(value: str) -> list[str]:
    parsed = json.loads(value)
    assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed), value
    return parsed


def ignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if p.strip() and not p.startswith("#")]
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_base_image_user_and_port() -> None:
    assert args_of("FROM") == ["python:3.11-slim"]
    users = args_of("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert args_of("EXPOSE") == ["7007"]


def test_copy_sources_exist_and_are_not_dockerignored() -> None:
    copies = args_of("COPY")
    assert copies
    for value in copies:
        *sources, _target = shlex.split(value)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert not ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_build_copies_what_the_package_build_reads() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    copied = {s for value in args_of("COPY") for s in shlex.split(value)[:-1]}
    needed = {"pyproject.toml", project["project"]["readme"], *project["project"].get("license-files", [])}
    needed |= {p.split("/")[0] for p in project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]}
    assert needed <= copied
    assert "greenroom" in project["project"]["scripts"]


def test_cmd_is_a_real_greenroom_serve_invocation() -> None:
    (cmd,) = args_of("CMD")
    argv = exec_form(cmd)
    assert argv[:2] == ["greenroom", "serve"]
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    for option in (a for a in argv[2:] if a.startswith("-")):
        assert option in help_text, f"`greenroom serve --help` does not list {option}"
    context = cli.commands["serve"].make_context("serve", argv[2:])   # parses without running
    assert context.params["host"] == "0.0.0.0"
    assert [str(p) for p in context.params["config_files"]] == ["/app/app-config.yaml"]


def test_healthcheck_probes_healthcheck_on_the_served_port() -> None:
    (check,) = args_of("HEALTHCHECK")
    assert "CMD" in check and "/healthcheck" in check
    assert "127.0.0.1:7007" in check or "localhost:7007" in check


def test_bundled_config_serves_port_7007_with_sqlite_in_the_data_volume() -> None:
    env: dict[str, str] = {}
    for value in args_of("ENV"):
        for pair in shlex.split(value):
            key, _, val = pair.partition("=")
            env[key] = val
    config = validate_core(load_config([ROOT / "app-config.yaml"], env=env))
    assert config.backend.listen.port == 7007
    assert config.backend.database.url == "sqlite:////app/data/greenroom.db"
    assert any("/app/data" in v for v in args_of("VOLUME"))
