"""`greenroom techdocs build | publish | serve`, as authors and CI run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from click.testing import CliRunner
from techdocs_helpers import write_docs

from greenroom.cli import cli
from greenroom.plugins.techdocs.cli import preview_config


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_build(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc", name="Svc")
    code, out = invoke("techdocs", "build", "--source-dir", str(folder), "--output-dir", str(tmp_path / "site"))
    assert code == 0, out
    assert "built Svc into" in out
    meta = json.loads((tmp_path / "site" / "techdocs_metadata.json").read_text())
    assert meta["site_name"] == "Svc" and meta["etag"].startswith("sha256:")
    assert (tmp_path / "site" / "guide" / "index.html").is_file()


def test_build_errors_name_the_problem(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc", extra={"mkdocs.yml": "site_name: S\nplugins: [mkdocstrings]\n"})
    code, out = invoke("techdocs", "build", "--source-dir", str(folder), "--output-dir", str(tmp_path / "site"))
    assert code == 2 and "mkdocs.yml: plugins: 'mkdocstrings' is not allowed" in out
    assert not (tmp_path / "site").exists()


def config_file(tmp_path: Path, techdocs: str) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(f"backend:\n  database:\n    url: sqlite:///{tmp_path / 'g.db'}\ntechdocs:\n{techdocs}")
    return path


def test_publish_local(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc", name="Svc")
    invoke("techdocs", "build", "--source-dir", str(folder), "--output-dir", str(tmp_path / "site"))
    config = config_file(tmp_path, f"  publisher:\n    local:\n      publishDirectory: {tmp_path / 'sites'}\n")
    code, out = invoke("techdocs", "publish", "--config", str(config), "--entity", "default/Component/Svc",
                       "--directory", str(tmp_path / "site"))
    assert code == 0, out
    assert (tmp_path / "sites" / "default" / "component" / "svc" / "guide" / "index.html").is_file()
    code, out = invoke("techdocs", "publish", "--config", str(config), "--entity", "svc",
                       "--directory", str(tmp_path / "site"))
    assert code == 2 and "expected <namespace>/<kind>/<name>" in out


def test_publish_s3(tmp_path: Path, s3_endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s")
    client.create_bucket(Bucket="cli-docs")
    folder = write_docs(tmp_path / "svc", name="Svc")
    invoke("techdocs", "build", "--source-dir", str(folder), "--output-dir", str(tmp_path / "site"))
    config = config_file(tmp_path, f"  builder: external\n  publisher:\n    type: awsS3\n    awsS3:\n"
                                   f"      bucketName: cli-docs\n      endpoint: {s3_endpoint}\n"
                                   f"      s3ForcePathStyle: true\n      credentials:\n"
                                   f"        accessKeyId: k\n        secretAccessKey: s\n")
    code, out = invoke("techdocs", "publish", "--config", str(config), "--entity", "default/Component/Svc",
                       "--directory", str(tmp_path / "site"))
    assert code == 0, out
    meta = json.loads(client.get_object(Bucket="cli-docs", Key="default/component/svc/techdocs_metadata.json")
                      ["Body"].read())
    assert meta["site_name"] == "Svc"


def test_serve_previews_and_rebuilds(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc", name="Preview me")
    with socket_port() as port:
        pass
    script = Path(sys.executable).with_name("greenroom")
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen([str(script), "techdocs", "serve", "--source-dir", str(folder), "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}/docs/default/component/preview/guide/"
    try:
        assert "Install" in wait_for(url, "Install")
        (folder / "docs" / "guide.md").write_text("# Guide\n\nFreshly edited.\n")
        assert "Freshly edited." in wait_for(url, "Freshly edited.")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def wait_for(url: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                body = resp.read().decode()
            if text in body:
                return body
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not show {text!r} in {timeout} s; last body:\n{body[-2000:]}")


class socket_port:  # a tiny context manager
    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        return port

    def __exit__(self, *args: object) -> None:
        pass


def test_preview_config_is_valid(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "docs").mkdir()
    path = preview_config(tmp_path / "docs", tmp_path / "work", 7010)
    code, out = invoke("config", "check", "--config", str(path))
    assert code == 0, out
