"""Helpers for the catalog page tests: a small catalog with hostile text, a portal serving it, identities.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.testclient import TestClient

from greenroom import Identity
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]
Factory = Callable[..., TestClient]

XSS = "<script>alert(1)</script>"

ENTITIES = f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout Service
  description: "Takes the money {XSS}"
  tags: [java, payments]
  links:
    - {{url: "https://docs.example.com/checkout", title: Docs}}
    - {{url: "javascript:alert(2)", title: Evil link}}
    - {{url: "mailto:team-a@example.com", title: Mail us}}
  annotations:
    backstage.io/view-url: https://example.com/checkout
    backstage.io/edit-url: "javascript:alert(3)"
    backstage.io/source-location: url:https://github.com/org/checkout/
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: shop
  providesApis: [checkout-api]
  consumesApis: [ghost-api]
  dependsOn: [resource:db]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: basket, description: Holds the goods, tags: [python]}}
spec: {{type: service, lifecycle: experimental, owner: team-b, system: shop, subcomponentOf: checkout}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: web-shop, description: The storefront, tags: [typescript]}}
spec: {{type: website, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: ledger, namespace: finance}}
spec: {{type: library, lifecycle: deprecated, owner: team-b}}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: checkout-api, description: Pay for things}}
spec: {{type: openapi, lifecycle: production, owner: team-a, system: shop, definition: "openapi: 3.0.0"}}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {{name: db}}
spec: {{type: database, owner: team-a, system: shop}}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {{name: shop, description: The shop}}
spec: {{owner: team-a, domain: commerce}}
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {{name: commerce}}
spec: {{owner: team-a}}
"""

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, title: Team A}
spec: {type: team, parent: org, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: org}
spec: {type: organization, children: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a]}
"""

BROKEN = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: broken-thing}
spec: {type: service, owner: team-a}
"""

ALICE = Identity("user:default/alice", ("user:default/alice", "group:default/team-a"), "Alice")


def catalog_of(client: TestClient) -> CatalogService:
    return client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined,no-any-return]


def settle(client: TestClient) -> CatalogService:
    service = catalog_of(client)
    service.run_until_idle(60)
    return service


def start(factory: Factory, tmp_path: Path, files: dict[str, str] | None = None, **catalog: Any) -> TestClient:
    """A portal serving the fixture catalog (or `files`), fully processed."""
    folder = tmp_path / "catalog"
    folder.mkdir(exist_ok=True)
    for name, text in (files or {"entities.yaml": ENTITIES, "org.yaml": ORG}).items():
        (folder / name).write_text(text)
    config = {"catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ALL_KINDS}], "processingInterval": False,
                          "allowedFileRoots": [str(tmp_path)], **catalog}}
    client = factory(config=config)
    settle(client)
    return client


def sign_in(client: TestClient, identity: Identity | None) -> None:
    """Make every request of `client` come from `identity` (None: anonymous)."""
    async def resolver(request: Request) -> Identity | None:
        return identity

    client.app.state.portal.core.identity.resolver = resolver  # type: ignore[attr-defined]


def html(client: TestClient, url: str, status: int = 200, **kwargs: Any) -> str:
    response = client.get(url, headers={"accept": "text/html", **kwargs.pop("headers", {})}, **kwargs)
    assert response.status_code == status, response.text[:2000]
    return response.text


def row_names(page: str) -> list[str]:
    """The entity names in the index table, in order (the row headers' link text)."""
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>', page)
