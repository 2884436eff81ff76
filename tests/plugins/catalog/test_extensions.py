"""The catalog's extension points, used by an outside plugin (tests/fixtures/.../greenroom_org_directory):
an entity provider with full and delta mutations, a custom kind, a processor and a policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from greenroom_org_directory import DIRECTORY
from sqlalchemy import text
from starlette.testclient import TestClient
from test_processing import final, refs, settle

Factory = Callable[..., TestClient]

PIPELINES = """\
apiVersion: acme.io/v1
kind: Pipeline
metadata: {name: nightly-build}
spec: {owner: platform, schedule: daily}
---
apiVersion: acme.io/v1
kind: Pipeline
metadata: {name: broken-pipeline}
spec: {owner: platform, schedule: sometimes}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: tmp-experiment}
spec: {type: service, lifecycle: experimental, owner: platform}
"""


def _portal(portal_factory: Factory, tmp_path: Path, people: list[dict[str, Any]]) -> tuple[TestClient, Path]:
    directory = tmp_path / "directory.yaml"
    directory.write_text(yaml.safe_dump({"teams": ["platform", "payments"], "people": people}))
    (tmp_path / "pipelines.yaml").write_text(PIPELINES)
    config = {"plugins": {"enable": ["org-directory"]},
              "org-directory": {"directoryFile": str(directory)},
              "catalog": {"locations": [{"type": "file", "target": str(tmp_path / "pipelines.yaml")}],
                          "rules": [{"allow": ["Component", "Group", "User", "Location", "Pipeline"]}],
                          "processingInterval": False}}
    return portal_factory(config=config), directory


def test_provider_full_and_delta_mutations(portal_factory: Factory, tmp_path: Path) -> None:
    client, directory = _portal(portal_factory, tmp_path, [{"name": "ada", "teams": ["platform"]},
                                                           {"name": "bob", "teams": ["payments"]}])
    service = settle(client)
    assert {"group:default/platform", "group:default/payments", "user:default/ada", "user:default/bob"} <= refs(service)
    platform = final(service, "group:default/platform")
    assert platform is not None
    assert {"type": "hasMember", "targetRef": "user:default/ada"} in platform["relations"]

    provider = client.app.state.portal.core.services.get(DIRECTORY)  # type: ignore[attr-defined]
    assert provider.hire("cy", "payments") == []
    service.run_until_idle(60)
    assert "user:default/cy" in refs(service) and "user:default/bob" in refs(service)

    # A full mutation without bob and cy: they left, so they leave the catalog at once (Backstage's eager
    # pruning), and their team no longer lists them as members.
    directory.write_text(yaml.safe_dump({"teams": ["platform", "payments"], "people": [{"name": "ada"}]}))
    assert provider.sync() == []
    assert not {"user:default/bob", "user:default/cy"} & refs(service)
    service.run_until_idle(60)
    payments = final(service, "group:default/payments")
    assert payments is not None and not [r for r in payments["relations"] if r["type"] == "hasMember"]
    ada = final(service, "user:default/ada")
    assert ada is not None and "backstage.io/orphan" not in ada["metadata"]["annotations"]


def test_provider_rejects_entities_without_location_annotations(portal_factory: Factory, tmp_path: Path) -> None:
    client, _ = _portal(portal_factory, tmp_path, [])
    service = settle(client)
    problems = service.connection("org-directory").apply_delta(
        [({"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "eve"}, "spec": {}}, None)],
        [])
    assert problems == ["provider org-directory: entity user:default/eve lacks the managed-by-location annotations"]
    assert "user:default/eve" not in refs(service)


def test_custom_kind_processor_and_policy(portal_factory: Factory, tmp_path: Path) -> None:
    client, _ = _portal(portal_factory, tmp_path, [])
    service = settle(client)
    pipeline = final(service, "pipeline:default/nightly-build")
    assert pipeline is not None
    assert {"type": "ownedBy", "targetRef": "group:default/platform"} in pipeline["relations"]
    platform = final(service, "group:default/platform")
    assert platform is not None
    assert {"type": "ownerOf", "targetRef": "pipeline:default/nightly-build"} in platform["relations"]
    # The custom kind's schema and the company policy reject entities with errors naming field and rule.
    assert "pipeline:default/broken-pipeline" not in refs(service)
    assert "component:default/tmp-experiment" not in refs(service)
    with service.database.engine.connect() as conn:
        errors = {r[0]: r[1] for r in conn.execute(text(
            "SELECT entity_ref, errors FROM catalog_refresh_state WHERE errors IS NOT NULL AND errors != '[]'"))}
    location_errors = " ".join(str(v) for v in errors.values())
    assert "spec.schedule" in location_errors and "broken-pipeline" in location_errors
    assert "acme.no-temporary-names" in location_errors or "tmp- are not allowed" in location_errors


def test_validate_entity_knows_the_custom_kind_before_any_processing(portal_factory: Factory,
                                                                     tmp_path: Path) -> None:
    client, _ = _portal(portal_factory, tmp_path, [])
    good = {"apiVersion": "acme.io/v1", "kind": "Pipeline", "metadata": {"name": "p"},
            "spec": {"owner": "platform", "schedule": "hourly"}}
    location = "url:https://example.com/pipelines.yaml"
    assert client.post("/api/catalog/validate-entity", json={"entity": good, "location": location}).status_code == 200
    bad = {**good, "spec": {"owner": "platform", "schedule": "never"}}
    response = client.post("/api/catalog/validate-entity", json={"entity": bad, "location": location})
    assert response.status_code == 400
    assert "spec.schedule" in response.text
