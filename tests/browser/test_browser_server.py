"""The server process an operator runs: it starts on its own port and stops gracefully on SIGTERM."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_sigterm_shuts_the_server_down_gracefully(server_control: Any, tmp_path: Path) -> None:
    running = server_control.start(tmp_path, f"sqlite:///{tmp_path / 'greenroom.db'}")
    with urllib.request.urlopen(running.base_url + "/.well-known/health/readiness", timeout=5) as resp:
        assert resp.status == 200 and json.load(resp) == {"status": "ok"}
    assert (tmp_path / "greenroom.db").is_file(), "the server did not use the configured SQLite file"
    server_control.stop(running)  # asserts exit status 0, a prompt stop and a clean log
    host, port = running.base_url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        assert sock.connect_ex((host, int(port))) != 0, "the port still accepts connections after shutdown"
    lines = [json.loads(line) for line in running.log().splitlines() if line.startswith("{")]
    assert lines, "the server wrote no JSON log lines"
    assert any(line.get("message") == "started" and "hello" in line.get("plugins", "") for line in lines)
