"""TechDocs in a running portal: builds in processing passes, the reader, the Docs tab, the index, the API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from portal_support import Factory, ask, documented, service, start
from starlette.testclient import TestClient

from greenroom.plugins.techdocs.refs import Triplet
from greenroom.plugins.techdocs.search_documents import documents

SVC = Triplet("default", "Component", "svc")


@pytest.fixture
def client(portal_factory: Factory, tmp_path: Path) -> TestClient:
    root = tmp_path / "catalog"
    documented(root, "svc")
    documented(root, "other", owner="team-b", docs=False)  # fails fast: one real build per test
    documented(root, "nodocs", docs=False)
    hostile = documented(root, "hostile")
    (tmp_path / "secret.md").write_text("top secret")
    os.symlink(tmp_path / "secret.md", hostile / "docs" / "secret.md")
    documented(root, "climber", ref="dir:../svc", docs=False)
    client = start(portal_factory, tmp_path)
    ask(client, "svc", "other", "nodocs", "hostile", "climber")
    service(client).run_pass()
    return client


def test_viewed_entities_are_built_in_one_pass(client: TestClient, tmp_path: Path) -> None:
    states = {ref: service(client).store.get(f"component:default/{ref}") for ref in
              ("svc", "other", "nodocs", "hostile", "climber")}
    assert {k: v.status for k, v in states.items() if v} == {
        "svc": "ok", "other": "error", "nodocs": "error", "hostile": "error", "climber": "error"}
    assert states["nodocs"] and states["nodocs"].error == "the docs folder has no mkdocs.yml (or mkdocs.yaml)"
    assert states["hostile"] and "docs/secret.md is a symbolic link to a path outside" in str(
        states["hostile"].error)
    assert states["climber"] and "leaves the entity's source folder" in str(states["climber"].error)
    assert (tmp_path / "sites" / "default" / "component" / "svc" / "techdocs_metadata.json").is_file()
    assert not (tmp_path / "sites" / "default" / "component" / "hostile").exists()


def test_reader_page(client: TestClient) -> None:
    response = client.get("/docs/default/component/svc/guide/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    text = response.text
    assert 'href="/docs/default/component/svc/"' in text  # nav, inside the portal
    assert 'aria-current="page">Guide</a>' in text
    assert 'href="#install"' in text and "On this page" in text
    assert '<pre class="mermaid">' in text and "mermaid.min.js" in text
    assert 'class="admonition note"' in text
    assert "/api/techdocs/static/docs/default/component/svc/search/search_index.json" in text
    home = client.get("/docs/default/component/svc/").text
    assert 'src="/api/techdocs/static/docs/default/component/svc/images/d.svg"' in home


def test_reader_redirects_and_missing_pages(client: TestClient) -> None:
    assert client.get("/docs/default/component/svc", follow_redirects=False).status_code == 307
    moved = client.get("/docs/default/component/svc/guide", follow_redirects=False)
    assert moved.headers["location"] == "/docs/default/component/svc/guide/"
    assert client.get("/docs/default/component/svc/nope/").status_code == 404
    assert client.get("/docs/default/component/ghost/").status_code == 404
    image = client.get("/docs/default/component/svc/images/d.svg", follow_redirects=False)
    assert image.headers["location"].startswith("/api/techdocs/static/docs/")


def test_assets_run_nothing(client: TestClient) -> None:
    response = client.get("/api/techdocs/static/docs/default/component/svc/images/d.svg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    page = client.get("/api/techdocs/static/docs/default/component/svc/guide/index.html")
    assert "sandbox" in page.headers["content-security-policy"]
    for bad in ("..%2F..%2F..%2Fetc%2Fpasswd", "../../../../etc/passwd", "%00"):
        assert client.get(f"/api/techdocs/static/docs/default/component/svc/{bad}").status_code == 404


def test_docs_tab(client: TestClient) -> None:
    page = client.get("/catalog/default/component/svc?tab=docs").text
    assert ">Docs</a>" in page and "Open the docs" in page and "Welcome to" in page
    broken = client.get("/catalog/default/component/nodocs?tab=docs").text
    assert "The last build failed:" in broken and "has no mkdocs.yml" in broken


def test_tab_shows_only_with_the_annotation(client: TestClient, tmp_path: Path) -> None:
    (tmp_path / "catalog" / "plain").mkdir()
    (tmp_path / "catalog" / "plain" / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: plain}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n")
    from portal_support import settle

    service(client).catalog._service().sync_registered()
    settle(client)
    assert "?tab=docs" not in client.get("/catalog/default/component/plain").text
    assert "?tab=docs" in client.get("/catalog/default/component/svc").text


def test_index_filters(client: TestClient) -> None:
    everything = client.get("/docs").text
    for name in ("Svc", "Other", "Nodocs"):
        assert f">{name}</a>" in everything
    assert 'href="/docs"' in everything and ">Docs</span>" in everything  # the nav item
    team_b = client.get("/docs", params={"owner": "team-b"}).text
    assert ">Other</a>" in team_b and ">Svc</a>" not in team_b
    assert "No documented entities match" in client.get("/docs", params={"kind": "API"}).text
    assert "build failed" in everything and "UTC" in everything


def test_change_rebuilds_in_one_pass_and_failure_keeps_the_last_good_site(client: TestClient,
                                                                         tmp_path: Path) -> None:
    docs = service(client)
    before = docs.metadata(SVC)
    assert before is not None
    guide = tmp_path / "catalog" / "svc" / "docs" / "guide.md"
    guide.write_text("# Guide\n\nRewritten.\n")
    assert docs.run_pass() == 1
    after = docs.metadata(SVC)
    assert after is not None and after["etag"] != before["etag"]
    assert "Rewritten." in client.get("/docs/default/component/svc/guide/").text
    assert docs.run_pass() == 0  # unchanged: nothing is built again

    (tmp_path / "catalog" / "svc" / "mkdocs.yml").write_text("site_name: S\nhooks: [steal.py]\n")
    docs.run_pass()
    state = docs.state(SVC)
    assert state is not None and state.status == "error" and "hooks is not allowed" in str(state.error)
    assert docs.metadata(SVC) == after  # the last good site is still published
    docs.run_pass()
    again = docs.state(SVC)
    assert again is not None and again.started_at == state.started_at  # the same broken source is not rebuilt
    page = client.get("/docs/default/component/svc/guide/").text
    assert "Rewritten." in page and "The last build failed:" in page and "Showing the last good build" in page


def test_api_routes(client: TestClient) -> None:
    meta = client.get("/api/techdocs/metadata/techdocs/default/component/svc").json()
    assert meta["site_name"] == "Svc" and meta["etag"].startswith("sha256:")
    entity = client.get("/api/techdocs/metadata/entity/default/component/svc").json()
    assert entity["metadata"]["name"] == "svc" and entity["locationMetadata"]["type"] == "dir"
    assert client.get("/api/techdocs/metadata/techdocs/default/component/nodocs").status_code == 404
    assert client.get("/api/techdocs/metadata/techdocs/default/component/ghost").status_code == 404
    status = client.get("/api/techdocs/status/default/component/nodocs").json()
    assert status["status"] == "error" and "mkdocs.yml" in status["error"]


def test_status_fragment_refreshes_when_the_build_ends(client: TestClient) -> None:
    response = client.get("/docs-status/default/component/svc", params={"waiting": "1"})
    assert response.status_code == 200 and response.headers.get("hx-refresh") == "true"
    shown = service(client).metadata(SVC)["build_timestamp"]  # type: ignore[index]
    same = client.get("/docs-status/default/component/svc", params={"waiting": "1", "shown": str(shown)})
    assert same.status_code == 200 and "hx-refresh" not in same.headers and "Built " in same.text


def test_search_documents(client: TestClient) -> None:
    found = list(documents(service(client)))
    svc_docs = [d for d in found if d["name"] == "svc"]
    assert {d["name"] for d in found} == {"svc"}
    guide = next(d for d in svc_docs if d["location"] == "/docs/default/component/svc/guide/#install")
    assert guide["title"] == "Install" and "Run it" in guide["text"]
    assert guide | {"text": "", "lastModified": ""} == {
        "title": "Install", "text": "", "location": "/docs/default/component/svc/guide/#install",
        "path": "guide/#install", "kind": "Component", "namespace": "default", "name": "svc",
        "entityTitle": "Svc", "componentType": "service", "lifecycle": "production", "owner": "team-a",
        "lastModified": "", "authorization": {"resourceRef": "component:default/svc"}}
    assert guide["lastModified"].endswith("+00:00")


def test_external_builder_only_serves(portal_factory: Factory, tmp_path: Path) -> None:
    documented(tmp_path / "catalog", "svc")
    client = start(portal_factory, tmp_path, {"builder": "external"})
    ask(client, "svc")
    assert service(client).run_pass() == 0
    page = client.get("/docs/default/component/svc/")
    assert "CI builds and publishes them" in page.text
    assert client.get("/api/techdocs/status/default/component/svc").json()["published"] is False


def test_reading_docs_needs_the_permission(client: TestClient) -> None:
    from greenroom.services.permissions import Decision

    class DenyDocs:
        def decide(self, identity: object, permission: object) -> Decision:
            return Decision.DENY if getattr(permission, "name", "") == "techdocs.entity.read" else Decision.ALLOW

    client.app.state.portal.core.permissions.policy = DenyDocs()  # type: ignore[attr-defined]
    for url in ("/docs", "/docs/default/component/svc/guide/", "/api/techdocs/metadata/techdocs/default/component/svc",
                "/api/techdocs/static/docs/default/component/svc/index.html", "/docs-status/default/component/svc"):
        assert client.get(url).status_code == 403, url
    assert "?tab=docs" not in client.get("/catalog/default/component/svc").text
