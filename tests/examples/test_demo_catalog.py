"""The demo catalog in examples/demo-catalog: valid offline, and processed by the portal without a single error."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import text
from starlette.testclient import TestClient

from greenroom.cli import cli
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo-catalog"
BROKEN = DEMO / "broken"
Factory = Callable[..., TestClient]

# Every entity the demo defines, by kind (the portal adds one generated Location for app-config's location).
EXPECTED_COUNTS = {"component": 17, "api": 10, "resource": 12, "system": 4, "domain": 2, "group": 8, "user": 16,
                   "template": 2, "location": 1}


def demo_entities() -> list[dict[str, Any]]:
    """The entities of every file all.yaml lists (and all.yaml itself), read straight from disk."""
    root = yaml.safe_load((DEMO / "all.yaml").read_text())
    entities = [root]
    for target in root["spec"]["targets"]:
        entities += [d for d in yaml.safe_load_all((DEMO / target).read_text()) if d]
    return entities


def ref_of(entity: dict[str, Any]) -> str:
    return f"{entity['kind'].lower()}:default/{entity['metadata']['name'].lower()}"


def validate(*paths: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["catalog", "validate", *map(str, paths)])
    return result.exit_code, result.output


def test_demo_catalog_validates() -> None:
    paths = [p for p in sorted(DEMO.iterdir()) if p != BROKEN]
    code, output = validate(*paths)
    assert code == 0, output
    assert f"{sum(EXPECTED_COUNTS.values())} entities: no problems" in output


def test_broken_example_is_rejected() -> None:
    code, output = validate(BROKEN)
    assert code != 0
    for field in ("metadata.name", "metadata.tags[0]", "metadata.links[0].url", "spec.owner",
                  "spec.providesApis[0]"):
        assert f": {field}: " in output, (field, output)


def test_all_yaml_lists_every_catalog_file_but_the_broken_one() -> None:
    listed = {(DEMO / t).resolve() for t in yaml.safe_load((DEMO / "all.yaml").read_text())["spec"]["targets"]}
    on_disk = {p.resolve() for p in DEMO.rglob("*.yaml")
               if p.name in ("catalog-info.yaml", "template.yaml") or p.parent.parent == DEMO}
    on_disk -= {(DEMO / "all.yaml").resolve(), (BROKEN / "bad-entity.yaml").resolve()}
    assert listed == on_disk
    counts: dict[str, int] = {}
    for entity in demo_entities():
        counts[entity["kind"].lower()] = counts.get(entity["kind"].lower(), 0) + 1
    assert counts == EXPECTED_COUNTS


def test_api_definitions_are_real_documents() -> None:
    apis = [e for e in demo_entities() if e["kind"] == "API"]
    types = sorted(a["spec"]["type"] for a in apis)
    assert types.count("openapi") >= 3 and types.count("asyncapi") == 2
    assert types.count("graphql") == 2 and types.count("grpc") == 1
    for api in apis:
        path = DEMO / "apis" / api["spec"]["definition"]["$text"]
        body = path.read_text()
        kind = api["spec"]["type"]
        if kind in ("openapi", "asyncapi"):
            doc = yaml.safe_load(body)
            assert str(doc[kind]).startswith("3." if kind == "openapi" else ("2.", "3.")), path
            assert doc["info"]["title"] and doc["info"]["version"]
            assert doc["paths"] if kind == "openapi" else doc["channels"]
            # Every local $ref points at something that exists.
            for target in re.findall(r"\$ref: '?#/([^'\s}]+)", body):
                node: Any = doc
                for part in target.split("/"):
                    node = node[part.replace("~1", "/").replace("~0", "~")]
        elif kind == "graphql":
            graphql = pytest.importorskip("graphql")
            assert graphql.build_schema(body).query_type is not None
        else:
            assert 'syntax = "proto3";' in body and re.search(r"^service \w+ \{", body, re.M)


def test_techdocs_folders_are_complete() -> None:
    documented = [e for e in demo_entities()
                  if e["metadata"].get("annotations", {}).get("backstage.io/techdocs-ref") == "dir:."]
    assert len(documented) >= 3
    for entity in documented:
        folder = DEMO / "components" / entity["metadata"]["name"]
        mkdocs = yaml.safe_load((folder / "mkdocs.yml").read_text())
        pages = sorted((folder / "docs").glob("*.md"))
        assert len(pages) >= 2 and "techdocs-core" in mkdocs["plugins"]
        markdown = "\n".join(p.read_text() for p in pages)
        assert re.search(r"^# ", markdown, re.M) and "```mermaid" in markdown and "\n!!! " in markdown
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown):
            assert (folder / "docs" / image).is_file(), image


def test_demo_loads_through_app_config_without_errors(portal_factory: Factory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # `make demo` runs from the repository root, where app-config.yaml's relative location resolves.
    monkeypatch.chdir(REPO)
    catalog_config = yaml.safe_load((REPO / "app-config.yaml").read_text())["catalog"]
    assert catalog_config["locations"] == [{"type": "file", "target": "examples/demo-catalog/all.yaml"}]
    client = portal_factory(config={"catalog": catalog_config})
    service: CatalogService = client.app.state.portal.core.services.get(CATALOG_SERVICE)  # type: ignore[attr-defined]
    service.run_until_idle(60)

    with service.database.engine.connect() as conn:
        errors = [(r[0], r[1], r[2]) for r in conn.execute(text(
            "SELECT entity_ref, errors, source_errors FROM catalog_refresh_state "
            "WHERE (errors IS NOT NULL AND errors <> '[]') OR (source_errors IS NOT NULL AND source_errors <> '[]')"))]
        finals = {r[0]: orjson.loads(r[1]) for r in conn.execute(text(
            "SELECT entity_ref, final_entity FROM catalog_final_entities"))}
        pending = conn.execute(text("SELECT COUNT(*) FROM catalog_refresh_state WHERE processed_entity IS NULL"))
        assert pending.scalar_one() == 0
    assert errors == []

    expected = {ref_of(e) for e in demo_entities()}
    generated = {r for r in finals if r.startswith("location:default/generated-")}
    assert len(generated) == 1
    assert set(finals) == expected | generated
    for ref, entity in finals.items():
        assert "status" not in entity, (ref, entity.get("status"))
        assert entity["metadata"]["annotations"].get("backstage.io/orphan") != "true", ref

    # Every relation points at an entity that exists, in both directions.
    triples = {(ref, rel["type"], rel["targetRef"]) for ref, entity in finals.items()
               for rel in entity.get("relations", [])}
    dangling = sorted(t for t in triples if t[2] not in finals)
    assert dangling == []
    inverse = {"ownedBy": "ownerOf", "partOf": "hasPart", "providesApi": "apiProvidedBy",
               "consumesApi": "apiConsumedBy", "dependsOn": "dependencyOf", "childOf": "parentOf",
               "memberOf": "hasMember"}
    inverse.update({v: k for k, v in inverse.items()})
    assert sorted(t for t in triples if (t[2], inverse[t[1]], t[0]) not in triples) == []
    types = {t[1] for t in triples}
    assert {"ownedBy", "partOf", "hasPart", "providesApi", "consumesApi", "dependsOn", "parentOf", "childOf",
            "memberOf", "hasMember"} <= types

    launch = finals["component:default/launch-control"]
    assert {"type": "providesApi", "targetRef": "api:default/launch-control-api"} in launch["relations"]
    assert {"type": "dependsOn", "targetRef": "resource:default/launch-db"} in launch["relations"]
    solver = finals["component:default/trajectory-solver"]
    assert {"type": "partOf", "targetRef": "component:default/flight-planner"} in solver["relations"]
    assert {"type": "ownedBy", "targetRef": "group:default/platform-infra"} in \
        finals["template:default/python-service"]["relations"]
    assert {"type": "memberOf", "targetRef": "group:default/ground-systems"} in \
        finals["user:default/dmitri.volkov"]["relations"]

    # API definitions were read from their files and inlined.
    for ref, entity in finals.items():
        if ref.startswith("api:"):
            definition = entity["spec"]["definition"]
            assert isinstance(definition, str) and len(definition) > 500, ref
    source = (DEMO / "apis" / "openapi" / "launch-control.yaml").read_text()
    assert finals["api:default/launch-control-api"]["spec"]["definition"] == source

    # The REST API sees the same catalog.
    response = client.get("/api/catalog/entities/by-query", params={"filter": "kind=component", "limit": 1})
    assert response.status_code == 200, response.text
    assert response.json()["totalItems"] == EXPECTED_COUNTS["component"]
    response = client.get("/api/catalog/entities", params={"filter": "kind=api,spec.type=openapi"})
    assert response.status_code == 200 and len(response.json()) == 5
