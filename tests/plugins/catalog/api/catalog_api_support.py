"""Helpers for the catalog API tests: a small catalog on disk, served by a started portal and processed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]

COMPONENTS = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout Service
  description: Takes the money
  tags: [java, payments]
  annotations:
    backstage.io/view-url: https://example.com/checkout
spec: {type: service, lifecycle: production, owner: team-a, system: shop, providesApis: [checkout-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Basket
  description: Holds the goods
  tags: [python]
spec: {type: service, lifecycle: experimental, owner: team-b, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web-shop, description: The storefront, tags: [typescript]}
spec: {type: website, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, namespace: finance}
spec: {type: library, lifecycle: production, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api, description: Pay for things}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}
"""

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: team-a}
"""

Factory = Callable[..., TestClient]


def catalog_of(client: TestClient) -> CatalogService:
    """The running catalog service of a test portal."""
    return client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined,no-any-return]


def settle(client: TestClient) -> CatalogService:
    """Process and stitch until the catalog is idle."""
    service = catalog_of(client)
    service.run_until_idle(60)
    return service


def write_catalog(root: Path, files: dict[str, str] | None = None) -> Path:
    """The fixture files under `root/catalog`; returns the folder."""
    folder = root / "catalog"
    folder.mkdir(exist_ok=True)
    for name, text in (files or {"components.yaml": COMPONENTS, "org.yaml": ORG}).items():
        (folder / name).write_text(text)
    return folder


def start(factory: Factory, tmp_path: Path, files: dict[str, str] | None = None, **catalog: Any) -> TestClient:
    """A portal serving the fixture catalog, fully processed."""
    folder = write_catalog(tmp_path, files)
    config = {"catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ALL_KINDS}], "processingInterval": False,
                          "allowedFileRoots": [str(tmp_path)], **catalog}}
    client = factory(config=config)
    settle(client)
    return client


def names(items: list[dict[str, Any]]) -> list[str]:
    """`kind:namespace/name` of each entity, lower-cased, in order."""
    return [f"{e['kind']}:{e['metadata'].get('namespace', 'default')}/{e['metadata']['name']}".lower() for e in items]
