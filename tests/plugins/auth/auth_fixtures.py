"""Fixtures for the auth plugin: a small organisation in the catalog, and a real OpenID provider on 127.0.0.1.

The provider is panva's `oidc-provider` (OpenID Certified) from npm, run with Node by `support.oidc_idp`: discovery,
JWKS, login and consent pages, code exchange with PKCE, signed ID tokens and userinfo; not an in-process fake.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE
from support.oidc_idp import CLIENT_ID, CLIENT_SECRET, running_idp

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
metadata: {name: bob, annotations: {example.com/email: bob@corp.example.net, github.com/user-id: "1001",
                                   gitlab.com/user-id: "42"}}
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


PORTAL = "http://127.0.0.1:7007"  # the default backend.baseUrl of test portals


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The issuer URL of a running OpenID provider whose clients may return to the test portals."""
    with running_idp([f"{PORTAL}/api/auth/oidc/handler/frame"], tmp_path_factory.mktemp("oidc-idp")) as idp:
        yield idp.issuer


def oidc_auth(issuer: str, client_id: str = CLIENT_ID, **extra: Any) -> dict[str, Any]:
    return {"providers": {"oidc": {"clientId": client_id, "clientSecret": CLIENT_SECRET,
                                   "metadataUrl": f"{issuer}/.well-known/openid-configuration", **extra}},
            "session": {"secret": SECRET}}
