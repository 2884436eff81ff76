"""The `greenroom` command line, in-process with click's CliRunner and as the installed console script."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

import greenroom
from greenroom.cli import cli

SECRET_VALUE = "s3cr3t-session-value-9f1c"
PLUGIN_SECRET = "hello-api-key-77aa"


def greenroom_script() -> list[str]:
    script = Path(sys.executable).with_name("greenroom")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from greenroom.cli import main; main()"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENROOM_CONFIG_", "PYTEST_ADDOPTS"))}
    env.update(extra)
    return env


def run(args: Sequence[str], cwd: Path, timeout: float = 30, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `greenroom` command, as a user runs it."""
    return subprocess.run([*greenroom_script(), *args], cwd=cwd, env=clean_env(**env), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def invoke(args: Sequence[str], **env: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or None, catch_exceptions=False)


def write_config(folder: Path, text: str, name: str = "app-config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sqlite_config(tmp_path: Path, extra: str = "") -> Path:
    return write_config(tmp_path, f"backend:\n  database:\n    url: 'sqlite:///{tmp_path / 'cli.db'}'\n{extra}")


def assert_one_clean_error(stderr: str, *needles: str) -> None:
    """One message, prefixed like every CLI error, naming what is wrong, and no Python traceback."""
    assert "Traceback" not in stderr, stderr
    assert stderr.count("greenroom:") == 1, stderr
    assert stderr.startswith("greenroom: "), stderr
    for needle in needles:
        assert needle in stderr, f"{needle!r} not in {stderr!r}"


# --- version ---------------------------------------------------------------------------------------------------


def test_version_from_the_installed_script(tmp_path: Path) -> None:
    result = run(["--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"greenroom, version {greenroom.__version__}"
    assert greenroom.__version__ == version("greenroom")


def test_help_lists_core_and_plugin_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "config", "db", "plugins", "new-plugin", "hello"):
        assert f"  {command} " in result.stdout, command


# --- config check ----------------------------------------------------------------------------------------------


def test_config_check_prints_merged_config_with_secrets_masked(tmp_path: Path) -> None:
    base = write_config(tmp_path, "app:\n  title: Base Portal\nbackend:\n  sessionSecret: ${SECRET}\n"
                                  f"  database:\n    url: 'sqlite:///{tmp_path / 'c.db'}'\n"
                                  "plugins:\n  enable: [hello]\n"
                                  "hello:\n  apiKey: ${HELLO_KEY}\n")
    local = write_config(tmp_path, "app:\n  title: Layered Portal\norganization:\n  name: Acme\n",
                         name="app-config.local.yaml")
    result = invoke(["config", "check", "--config", str(base), "--config", str(local)],
                    SECRET=SECRET_VALUE, HELLO_KEY=PLUGIN_SECRET)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert SECRET_VALUE not in result.output and PLUGIN_SECRET not in result.output
    assert "******" in out
    first, _, body = out.partition("\n")
    assert first.startswith("# config is valid") and str(base) in first and str(local) in first
    printed = yaml.safe_load(body)
    assert printed["backend"]["sessionSecret"] == "******"
    assert printed["hello"]["apiKey"] == "******"
    assert printed["hello"]["greeting"] == "Hello"  # plugin defaults are shown
    assert printed["app"]["title"] == "Layered Portal"  # later files win
    assert printed["organization"]["name"] == "Acme"
    assert printed["plugins"]["enable"] == ["hello"]


def test_config_check_leaves_an_unset_secret_as_null(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    result = invoke(["config", "check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout.partition("\n")[2])["backend"]["sessionSecret"] is None


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        pytest.param("app:\n  title: [unclosed\n", ["invalid YAML", "line"], id="bad-yaml"),
        pytest.param("app:\n  titel: Typo\n", ["key app.titel", "unknown key"], id="unknown-key"),
        pytest.param("backend:\n  sessionSecret: ${GREENROOM_TEST_UNSET_VAR}\n",
                     ["key backend.sessionSecret", "GREENROOM_TEST_UNSET_VAR", "not set"], id="missing-var"),
        pytest.param("appp:\n  title: X\n", ["key appp", "unknown top-level key"], id="unknown-section"),
        pytest.param("backend:\n  listen:\n    port: huge\n", ["key backend.listen.port", "'huge'"],
                     id="wrong-type"),
    ],
)
def test_broken_config_exits_2_naming_file_and_key(tmp_path: Path, text: str, needles: list[str]) -> None:
    config = write_config(tmp_path, text)
    env = {k: v for k, v in clean_env().items() if k != "GREENROOM_TEST_UNSET_VAR"}
    result = subprocess.run([*greenroom_script(), "config", "check", "--config", str(config)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert_one_clean_error(result.stderr, str(config), *needles)


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert_one_clean_error(result.stderr, str(tmp_path / "nope.yaml"), "does not exist")


# --- db upgrade ------------------------------------------------------------------------------------------------


def test_db_upgrade_creates_core_and_plugin_tables(tmp_path: Path, greenroom_database_url: str) -> None:
    config = write_config(tmp_path, f"backend:\n  database:\n    url: '{greenroom_database_url}'\n"
                                    "plugins:\n  enable: [hello]\n")
    engine = create_engine(greenroom_database_url, poolclass=NullPool)
    try:
        assert "core_scheduled_jobs" not in inspect(engine).get_table_names()
        result = invoke(["db", "upgrade", "--config", str(config)])
        assert result.exit_code == 0, result.output
        assert "database is up to date" in result.stdout
        tables = set(inspect(engine).get_table_names())
        assert {"core_scheduled_jobs", "hello_visits"} <= tables, tables
        again = invoke(["db", "upgrade", "--config", str(config)])  # idempotent
        assert again.exit_code == 0, again.output
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


def test_db_upgrade_with_a_bad_database_url_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, "backend:\n  database:\n    url: 'nosuchdb://x'\n")
    result = CliRunner().invoke(cli, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert_one_clean_error(result.stderr, "backend.database.url")


# --- plugins ---------------------------------------------------------------------------------------------------


def listed(result: Result) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line.strip()}


def test_plugins_list_shows_hello_off_until_enabled(tmp_path: Path) -> None:
    off = invoke(["plugins", "list", "--config", str(sqlite_config(tmp_path))])
    assert off.exit_code == 0, off.output
    rows = listed(off)
    assert {"home", "plugins", "hello", "hello-extra", "broken"} <= set(rows)
    assert rows["hello"][0] == "off" and rows["hello"][1:] == ["greenroom-test-plugins"]
    assert rows["home"][:2] == ["running", greenroom.__version__] and rows["home"][2:] == ["built", "in"]
    assert rows["plugins"][0] == "running"

    on = invoke(["plugins", "list", "--config", str(sqlite_config(tmp_path, "plugins:\n  enable: [hello]\n"))])
    assert on.exit_code == 0, on.output
    rows = listed(on)
    assert rows["hello"][:2] == ["running", "1.2.3"]
    assert rows["hello-extra"][0] == "off" and rows["broken"][0] == "off"
    assert list(rows) == sorted(rows)


def test_plugin_provided_command_runs(tmp_path: Path) -> None:
    result = run(["hello", "World"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, World!\n"
    assert "Traceback" not in result.stderr


def test_unknown_command_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.stderr


# --- new-plugin ------------------------------------------------------------------------------------------------


def test_new_plugin_creates_a_package_whose_own_tests_pass(tmp_path: Path) -> None:
    result = invoke(["new-plugin", "my-thing", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "greenroom-plugin-my-thing"
    assert f"created {target}" in result.stdout
    module = target / "src" / "greenroom_plugin_my_thing"
    for relative in ("pyproject.toml", "README.md", "tests/test_plugin.py"):
        assert (target / relative).is_file(), relative
    assert (module / "__init__.py").is_file() and (module / "templates" / "my-thing" / "index.html").is_file()
    pyproject = (target / "pyproject.toml").read_text()
    assert 'name = "greenroom-plugin-my-thing"' in pyproject
    assert 'my-thing = "greenroom_plugin_my_thing"' in pyproject

    env = clean_env(PYTHONPATH=str(target / "src"))
    env.pop("GREENROOM_TEST_DATABASE", None)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target / "tests")],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout, tests.stdout


@pytest.mark.parametrize("name", ["My_Thing!", "9lives", "core", "a--b", "x" * 41])
def test_new_plugin_rejects_unusable_names(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["new-plugin", name, "--dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert_one_clean_error(result.stderr, repr(name), "not a usable plugin id")
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_refuses_an_existing_folder(tmp_path: Path) -> None:
    assert invoke(["new-plugin", "twice", "--dir", str(tmp_path)]).exit_code == 0
    marker = tmp_path / "greenroom-plugin-twice" / "README.md"
    marker.write_text("edited by hand")
    result = CliRunner().invoke(cli, ["new-plugin", "twice", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert_one_clean_error(result.stderr, "greenroom-plugin-twice", "already exists")
    assert marker.read_text() == "edited by hand"


# --- serve -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_with_a_plugin_that_fails_to_import_exits_2(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, "plugins:\n  enable: [broken]\n")
    port = free_port()
    result = run(["serve", "--config", str(config), "--port", str(port)], tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert_one_clean_error(result.stderr, "'broken'", "failed to import", "broken on purpose")
    assert not (tmp_path / "cli.db").exists(), "the database was touched before start-up was checked"


def test_serve_with_an_unknown_plugin_exits_2(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, "plugins:\n  enable: [nope]\n")
    result = CliRunner().invoke(cli, ["serve", "--config", str(config), "--port", str(free_port())])
    assert result.exit_code == 2, result.output
    assert_one_clean_error(result.stderr, "'nope'")


def test_serve_with_several_workers_shares_one_database(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tmp_path / "app-config.yaml"
    config.write_text(f"backend:\n  database: {{url: 'sqlite:///{tmp_path / 'w.db'}'}}\n"
                      "  logging: {level: info, format: json}\n")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "greenroom", "serve", "--config", str(config),
                                "--port", str(port), "--workers", "2"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        started = 0
        while time.monotonic() < deadline and started < 2:
            time.sleep(0.3)
            started = (tmp_path / "server.log").read_text().count('"message": "started"')
        assert started == 2, (tmp_path / "server.log").read_text()[-2000:]
        for _ in range(10):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/plugins", timeout=5) as resp:
                assert resp.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert code == 0 and "Traceback" not in text
    # The parent migrates before any worker starts, so workers never race to create tables.
    assert text.rfind("Running upgrade") < text.find('"message": "started"')
