"""Fixtures for the auth plugin: a small organisation in the catalog, and a real OpenID provider on 127.0.0.1.

The provider is `oidc-provider-mock` from PyPI: a complete OpenID Connect server (discovery, JWKS, an
authorization form, code exchange with PKCE, signed ID tokens), run as a subprocess, not an in-process fake.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE

Factory = Callable[..., TestClient]
SECRET = "s" * 40
ORG = """\
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {profile: {email: alice@example.com, displayName: Alice Doe}, memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob, annotations: {example.com/login: bobby}}
spec: {profile: {email: bob@example.com}, memberOf: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, parent: platform, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: department, children: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: group:default/other}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}
"""


def org_config(tmp_path: Path, **auth: Any) -> dict[str, Any]:
    """Portal config with the organisation file as a catalog location and `auth` as the auth section."""
    org = tmp_path / "org.yaml"
    org.write_text(ORG, encoding="utf-8")
    kinds = ["Component", "API", "Group", "User", "Location", "System"]
    return {"catalog": {"locations": [{"type": "file", "target": str(org)}], "processingInterval": False,
                        "rules": [{"allow": kinds}]},
            "auth": auth}


def settle(client: TestClient) -> None:
    client.app.state.portal.core.services.get(CATALOG_SERVICE).run_until_idle(60)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """The issuer URL of a running OpenID provider; users sign in by typing their email as the subject."""
    port = free_port()
    script = Path(sys.executable).with_name("oidc-provider-mock")
    claims = json.dumps({"sub": "alice@example.com", "email": "alice@example.com", "name": "Alice Doe"})
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen([str(script), "--port", str(port), "--require-nonce", "true",
                                "--user-claims", claims], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the OpenID provider did not start") from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


def oidc_auth(issuer: str, **extra: Any) -> dict[str, Any]:
    return {"providers": {"oidc": {"clientId": "greenroom", "clientSecret": "client-secret",
                                   "metadataUrl": f"{issuer}/.well-known/openid-configuration", **extra}},
            "session": {"secret": SECRET}}
