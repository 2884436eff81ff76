"""URL and git locations end to end through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from ingest_helpers import Server, make_repo
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.plugins.catalog.ingest.git import GitReader
from greenroom.plugins.catalog.ingest.urls import UrlLocationReader
from greenroom.plugins.catalog.processing.providers import refresh_entities
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.services.url_reader import UrlReader

ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]
COMPONENT = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
             "spec: {{type: service, lifecycle: production, owner: team-a}}\n")
API = ("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: svc-api}\n"
       "spec: {type: openapi, lifecycle: production, owner: team-a, definition: {$text: ./openapi.yaml}}\n")


def attach(client: TestClient, tmp_path: Path) -> CatalogService:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    service: CatalogService = portal.core.services.get(CATALOG_SERVICE)
    # The plugin's own start-up wires the URL and git readers; nothing is added by hand here.
    assert any(isinstance(r, UrlLocationReader) for r in service.orchestrator.readers)
    assert service.orchestrator.placeholder_reader is not None
    settle(service)
    return service


def settle(service: CatalogService) -> None:
    # Locations the background job processed before the readers were attached are due again at once.
    refresh_entities(service.database.engine, [r for r in refs(service) if r.startswith("location:")])
    service.run_until_idle(60)


def refs(service: CatalogService) -> set[str]:
    with service.database.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT entity_ref FROM catalog_final_entities"))}


def final(service: CatalogService, ref: str) -> dict[str, Any]:
    with service.database.engine.connect() as conn:
        row = conn.execute(text("SELECT final_entity FROM catalog_final_entities WHERE entity_ref = :r"),
                           {"r": ref}).first()
    assert row is not None, ref
    return orjson.loads(row[0])  # type: ignore[no-any-return]


def portal(factory: Callable[..., TestClient], tmp_path: Path, *targets: str) -> TestClient:
    return factory(config={
        "backend": {"reading": {"allow": [{"host": "127.0.0.1"}]}},
        "catalog": {"locations": [{"type": "url", "target": t} for t in targets],
                    "rules": [{"allow": ALL_KINDS}], "allowedFileRoots": [str(tmp_path)],
                    "processingInterval": False}})


def test_http_and_git_locations(portal_factory: Callable[..., TestClient], tmp_path: Path, www: Path,
                                http_server: Server, repos: Path) -> None:
    (www / "catalog-info.yaml").write_text(COMPONENT.format(name="web") + "---\n" + API)
    (www / "openapi.yaml").write_text("openapi: 3.0.0\n")
    repo = make_repo(repos, "svc", {"services/a/catalog-info.yaml": COMPONENT.format(name="git-a"),
                                    "services/b/catalog-info.yaml": COMPONENT.format(name="git-b")})
    glob = f"git+{repo.file_url}#main:services/*/catalog-info.yaml"
    client = portal(portal_factory, tmp_path, f"{http_server.url}/catalog-info.yaml", glob)
    service = attach(client, tmp_path)
    assert {"component:default/web", "api:default/svc-api", "component:default/git-a",
            "component:default/git-b"} <= refs(service)
    web = final(service, "component:default/web")["metadata"]["annotations"]
    assert web["backstage.io/view-url"] == f"{http_server.url}/catalog-info.yaml"
    assert web["backstage.io/source-location"] == f"url:{http_server.url}/"
    assert final(service, "api:default/svc-api")["spec"]["definition"] == "openapi: 3.0.0\n"
    git_a = final(service, "component:default/git-a")["metadata"]["annotations"]
    assert git_a["backstage.io/managed-by-location"] == f"url:git+{repo.file_url}#main:services/a/catalog-info.yaml"
    assert git_a["backstage.io/source-location"] == f"url:git+{repo.file_url}#main:services/a/"

    # The remote goes away: the location gets the error, its entities stay.
    url_reader: UrlReader = client.app.state.portal.core.url_reader  # type: ignore[attr-defined]
    git_reader = next(p for p in url_reader.providers if isinstance(p, GitReader))
    git_reader.recheck_seconds = 0  # ask the remote now instead of trusting the recorded revision
    repo.bare.rename(repo.bare.with_suffix(".moved"))
    settle(service)
    assert {"component:default/git-a", "component:default/git-b"} <= refs(service)
    location = next(r for r in refs(service) if r.startswith("location:")
                    and final(service, r)["spec"]["target"] == glob)
    messages = [i["message"] for i in final(service, location).get("status", {}).get("items", [])]
    assert any("svc.git" in m for m in messages), messages
