"""The import page (preview, import, bad input), unregistering a location, and the unprocessed list."""

from __future__ import annotations

from pathlib import Path

import pytest
from pages_support import ALICE, BROKEN, XSS, Factory, catalog_of, html, settle, sign_in, start
from starlette.testclient import TestClient

NEW = f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: new-thing, description: "Fresh {XSS}"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: new-api}}
spec: {{type: openapi, lifecycle: production, owner: team-a, definition: "x"}}
"""


def _post(client: TestClient, target: str, action: str, status: int = 200) -> str:
    response = client.post("/catalog-import", data={"target": target, "action": action},
                           headers={"accept": "text/html"})
    assert response.status_code == status, response.text[:1500]
    return response.text


def test_import_page_previews_then_imports(client: TestClient, tmp_path: Path) -> None:
    form = html(client, "/catalog-import")
    assert '<label for="import-target">URL or path</label>' in form and 'value="preview"' in form
    target = tmp_path / "new" / "catalog-info.yaml"
    target.parent.mkdir()
    target.write_text(NEW)
    preview = _post(client, str(target), "preview")
    assert "2 entities would be added" in preview
    assert '<th scope="row">new-thing</th><td>component</td>' in preview and XSS not in preview
    assert 'name="action" value="import"' in preview
    assert not [loc for loc in catalog_of(client).locations() if loc.target == str(target)]
    done = _post(client, str(target), "import")
    assert "Registered" in done and 'href="/catalog/default/component/new-thing"' in done
    assert [loc for loc in catalog_of(client).locations() if loc.target == str(target)]
    settle(client)
    assert "Fresh &lt;script&gt;" in html(client, "/catalog/default/component/new-thing")
    again = _post(client, str(target), "import")
    assert "it was already; it is being read again" in again


@pytest.mark.parametrize(("target", "message"), [
    ("", "Enter the URL of a catalog-info.yaml file"),
    ("relative/path.yaml", "Enter a URL starting with https://"),
    ("javascript:alert(1)", "Enter a URL starting with https://"),
    ("/etc/passwd", "outside the folders file locations may read"),
])
def test_import_refuses_bad_input_clearly(client: TestClient, target: str, message: str) -> None:
    page = _post(client, target, "import", status=400)
    assert 'role="alert"' in page and message in page and 'aria-invalid="true"' in page
    assert "Registered" not in page


def test_import_of_a_missing_file_reports_the_read_error(client: TestClient, tmp_path: Path) -> None:
    page = _post(client, str(tmp_path / "absent.yaml"), "preview", status=400)
    assert 'role="alert"' in page and "absent.yaml" in page


def test_unregister_confirms_then_removes_the_location(client: TestClient, tmp_path: Path) -> None:
    target = tmp_path / "reg.yaml"
    target.write_text(NEW)
    _post(client, str(target), "import")
    settle(client)
    confirm = html(client, "/catalog/default/component/new-thing/unregister")
    assert "Unregister this location?" in confirm and f"file:{target}" in confirm
    assert 'href="/catalog/default/api/new-api">new-api</a>' in confirm
    assert 'action="/catalog/default/component/new-thing/unregister"' in confirm
    response = client.post("/catalog/default/component/new-thing/unregister", headers={"accept": "text/html"})
    assert response.status_code == 200 and "Location unregistered" in response.text
    assert not [loc for loc in catalog_of(client).locations() if loc.target == str(target)]
    # Config-provided entities have no registered location: the page explains instead of offering a button.
    config = html(client, "/catalog/default/component/checkout/unregister")
    assert "cannot be unregistered here" in config and 'method="post"' not in config.split("<main")[1]
    refused = client.post("/catalog/default/component/checkout/unregister", headers={"accept": "text/html"})
    assert refused.status_code == 404


def test_unprocessed_lists_entities_that_failed(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, files={"broken.yaml": BROKEN, "org.yaml":
                                                    "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
                                                    "metadata: {name: team-a}\nspec: {type: team, children: []}\n"})
    page = html(client, "/catalog/unprocessed")
    assert "component:default/broken-thing" in page and "lifecycle" in page
    assert "broken.yaml" in page and "<td>No</td>" in page
    assert '(not in the catalog)' in page
    sign_in(client, ALICE)
    assert "broken-thing" in html(client, "/catalog/unprocessed?mine=1")
    sign_in(client, None)
    assert "No entity of yours has processing errors" in html(client, "/catalog/unprocessed?mine=1")
    missing = html(client, "/catalog/default/component/broken-thing", status=404)
    assert 'role="alert"' in missing and "lifecycle" in missing


def test_read_only_catalog_offers_no_import_or_unregister(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, readonly=True)
    assert "read-only" in html(client, "/catalog-import")
    target = tmp_path / "ro.yaml"
    target.write_text(NEW)
    assert 'name="action" value="import"' not in _post(client, str(target), "preview")
    assert "read-only" in _post(client, str(target), "import", status=400)
    assert "/unregister" not in html(client, "/catalog/default/component/checkout")
