"""The real npm @backstage/catalog-client against a real Greenroom server process.

The package is installed once under `/work/main/.cache/catalog-client` (the repository's `.cache/`), so reruns
skip npm; set GREENROOM_NPM_CACHE to put it elsewhere.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from catalog_api_support import ALL_KINDS, COMPONENTS, ORG

from support.npm import node_modules

REPO = Path(__file__).resolve().parents[4]
CACHE = Path(os.environ.get("GREENROOM_NPM_CACHE", REPO / ".cache" / "catalog-client"))
SCRIPT = Path(__file__).with_name("compat_client.js")
SERVICES = "".join(f"""---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: svc-{i:02d}}}
spec: {{type: service, lifecycle: {'production' if i % 2 else 'experimental'}, owner: team-a}}
""" for i in range(19))


def catalog_client_modules() -> Path:
    """node_modules holding @backstage/catalog-client, installed with npm on first use."""
    return node_modules(CACHE, ("@backstage/catalog-client",))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, greenroom_database_url: str) -> Iterator[str]:
    """A `greenroom serve` process over the fixture catalog; yields its base URL."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "components.yaml").write_text(COMPONENTS + SERVICES)
    (folder / "org.yaml").write_text(ORG)
    port = free_port()
    config = {"app": {"baseUrl": f"http://127.0.0.1:{port}"},
              "backend": {"baseUrl": f"http://127.0.0.1:{port}", "database": {"url": greenroom_database_url},
                          "logging": {"level": "warning"}},
              "catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ALL_KINDS}], "allowedFileRoots": [str(tmp_path)]}}
    config_file = tmp_path / "app-config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log = (tmp_path / "server.log").open("wb")
    # `python -m greenroom.cli` does nothing (cli.py has no __main__ guard), so the entry point is called.
    proc = subprocess.Popen([sys.executable, "-c", "from greenroom.cli import main; main()", "serve",
                             "--config", str(config_file),
                             "--port", str(port)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/catalog/locations", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("greenroom serve did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_catalog_client_against_a_real_server(server: str, tmp_path: Path) -> None:
    modules = catalog_client_modules()
    extra = tmp_path / "extra.yaml"
    extra.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: extra}\n"
                     "spec: {type: service, lifecycle: production, owner: team-a}\n")
    run = subprocess.run(["node", str(SCRIPT), str(modules), server, str(extra)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    services = [f"svc-{i:02d}" for i in range(19)]
    everything = sorted(["Basket", "checkout", "ledger", "web-shop", *services], key=str.lower)
    assert out["getEntities"] == sorted(["checkout", "ledger", "web-shop", *services[1::2]], reverse=True)
    assert out["totalItems"] == 23
    assert [n for p in out["pages"] for n in p] == everything and [len(p) for p in out["pages"]] == [7, 7, 7, 2]
    assert out["back"] == everything[14:21]
    assert out["predicate"] == [9, "svc-10", "svc-11", "svc-12", "svc-13", "svc-14", "svc-15", "svc-16", "svc-17"]
    assert out["byRef"] == "checkout" and out["missing"] is True
    assert out["facets"] == {"kind": [{"value": "API", "count": 1}, {"value": "Group", "count": 2}]}
    assert out["dryRun"] == [False, "Location", "Component"]
    assert out["added"] == ["file", True, "string"]
    assert out["duplicate"] == "ResponseError:ConflictError:409"
    assert out["removed"] is True
    assert out["valid"] == {"valid": True}
    assert out["invalid"] == [False, True, "string"]
