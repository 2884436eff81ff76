"""Helpers for the search tests: a portal with a small catalog and the docs fixture plugin, fully indexed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import docs_fixture
from starlette.testclient import TestClient

from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.plugins.search.service import SEARCH_SERVICE, SearchService

Factory = Callable[..., TestClient]
ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]

ENTITIES = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout Service
  description: "Takes the money <script>alert(1)</script>"
  tags: [java, payments]
spec: {type: service, lifecycle: production, owner: team-a, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout-ui, description: The checkout pages of the storefront, tags: [typescript]}
spec: {type: website, lifecycle: experimental, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: basket, description: Holds the goods before checkout, tags: [python]}
spec: {type: service, lifecycle: experimental, owner: team-b, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web-shop, description: The storefront, tags: [typescript]}
spec: {type: website, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, namespace: finance, description: Double-entry bookkeeping for every payment}
spec: {type: library, lifecycle: deprecated, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: fraud-detector, description: Scores transactions with a gradient boosted model}
spec: {type: service, lifecycle: production, owner: team-risk}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api, description: Pay for things}
spec: {type: openapi, lifecycle: production, owner: team-a, system: shop, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db, description: PostgreSQL cluster for orders}
spec: {type: database, owner: team-a, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop, description: The shop}
spec: {owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, title: Team Alpha}
spec: {type: team, children: [], profile: {displayName: Alpha squad, email: alpha@example.com}}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a], profile: {displayName: Alice Anders, email: alice@example.com}}
"""


def catalog_of(client: TestClient) -> CatalogService:
    return client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined,no-any-return]


def search_of(client: TestClient) -> SearchService:
    return client.app.state.portal.core.services.get(SEARCH_SERVICE)  # type: ignore[attr-defined,no-any-return]


def start(factory: Factory, tmp_path: Path, entities: str = ENTITIES, plugins: list[Any] | None = None,
          **search: Any) -> TestClient:
    """A portal with the fixture catalog processed and everything indexed (jobs do not run on their own)."""
    folder = tmp_path / "catalog"
    folder.mkdir(exist_ok=True)
    (folder / "entities.yaml").write_text(entities)
    config = {"catalog": {"locations": [{"type": "file", "target": str(folder / "*.yaml")}],
                          "rules": [{"allow": ALL_KINDS}], "processingInterval": False,
                          "allowedFileRoots": [str(tmp_path)]},
              # Long intervals: the tests run every pass themselves, so results never depend on timing.
              "search": {"incrementalInterval": {"hours": 1}, **search},
              # The docs fixture plugin stands in for TechDocs' pages (type `techdocs`), without MkDocs builds.
              "plugins": {"disable": ["techdocs"]}}
    client = factory(config=config, plugins=[docs_fixture] if plugins is None else plugins)
    catalog_of(client).run_until_idle(60)
    results = search_of(client).indexer.full()
    assert all(r.error is None for r in results), results
    return client


def query(client: TestClient, status: int = 200, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search/query", params=params)
    assert response.status_code == status, response.text[:2000]
    body: dict[str, Any] = response.json()
    return body


def titles(body: dict[str, Any]) -> list[str]:
    return [r["document"]["title"] for r in body["results"]]
