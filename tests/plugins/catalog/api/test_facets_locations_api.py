"""Entity facets, registered locations and location analysis, on both databases."""

from __future__ import annotations

from pathlib import Path

from catalog_api_support import Factory, names, settle, start
from starlette.testclient import TestClient

API = "/api/catalog"
EXTRA = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: extra, tags: [java]}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def test_facets_get_and_post(client: TestClient) -> None:
    body = client.get(f"{API}/entity-facets", params=[("facet", "kind"), ("facet", "metadata.TAGS")]).json()
    assert body["facets"]["kind"] == [{"value": "API", "count": 1}, {"value": "Component", "count": 4},
                                      {"value": "Group", "count": 2}, {"value": "Location", "count": 1},
                                      {"value": "System", "count": 1}, {"value": "User", "count": 1}]
    assert body["facets"]["metadata.TAGS"] == [{"value": "java", "count": 1}, {"value": "payments", "count": 1},
                                               {"value": "python", "count": 1}, {"value": "typescript", "count": 1}]
    filtered = client.get(f"{API}/entity-facets", params={"facet": "spec.type", "filter": "kind=component"}).json()
    assert filtered == {"facets": {"spec.type": [{"value": "library", "count": 1}, {"value": "service", "count": 2},
                                                 {"value": "website", "count": 1}]}}
    posted = client.post(f"{API}/entity-facets", json={"facets": ["spec.lifecycle", "nothing"],
                                                       "query": {"kind": {"$in": ["component", "api"]}}}).json()
    assert posted == {"facets": {"spec.lifecycle": [{"value": "experimental", "count": 1},
                                                    {"value": "production", "count": 4}], "nothing": []}}
    for response in (client.get(f"{API}/entity-facets"), client.post(f"{API}/entity-facets", json={"facets": []}),
                     client.get(f"{API}/entity-facets", params={"facet": "kind", "filter": "=x"}),
                     client.post(f"{API}/entity-facets", json={"facets": ["kind"], "query": {"kind": []}})):
        assert response.status_code == 400 and response.json()["error"]["name"] == "InputError"


def test_location_lifecycle(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path)
    extra = tmp_path / "extra.yaml"
    extra.write_text(EXTRA)
    spec = {"type": "file", "target": str(extra)}
    dry = client.post(f"{API}/locations", params={"dryRun": "true"}, json=spec)
    assert dry.status_code == 201
    assert dry.json()["exists"] is False and names(dry.json()["entities"])[1:] == ["component:default/extra"]
    assert client.get(f"{API}/locations").json() == []
    created = client.post(f"{API}/locations", json=spec)
    assert created.status_code == 201
    location = created.json()["location"]
    assert location["type"] == "file" and location["target"] == str(extra)
    assert location["entityRef"].startswith("location:default/generated-")
    assert created.json()["entities"] == []
    assert client.post(f"{API}/locations", json=spec).status_code == 409
    again = client.post(f"{API}/locations", params={"onConflict": "refresh"}, json=spec)
    assert again.status_code == 201 and again.json()["exists"] is True
    assert client.post(f"{API}/locations", params={"dryRun": "yes"}, json=spec).json()["exists"] is True
    assert client.get(f"{API}/locations").json() == [{"data": location}]
    assert client.get(f"{API}/locations/{location['id']}").json() == location
    settle(client)
    assert client.get(f"{API}/entities/by-name/component/default/extra").status_code == 200
    assert client.get(f"{API}/locations/by-entity/component/default/extra").json() == location
    by_entity = client.get(f"{API}/locations/by-entity/component/default/checkout")  # from config, not registered
    assert by_entity.status_code == 404
    assert client.get(f"{API}/locations/by-entity/component/default/nope").status_code == 404

    query = client.post(f"{API}/locations/by-query", json={"query": {"type": "file"}, "limit": 5}).json()
    assert query == {"items": [location], "totalItems": 1, "pageInfo": {}}
    assert client.post(f"{API}/locations/by-query", json={"query": {"type": "url"}}).json()["totalItems"] == 0
    assert client.post(f"{API}/locations/by-query").json()["totalItems"] == 1

    moved = tmp_path / "moved.yaml"
    moved.write_text(EXTRA.replace("extra", "moved"))
    updated = client.put(f"{API}/locations/{location['id']}", json={"type": "file", "target": str(moved)})
    assert updated.status_code == 200 and updated.json()["target"] == str(moved)
    assert client.put(f"{API}/locations/nope", json={"type": "file", "target": str(moved)}).status_code == 404

    assert client.delete(f"{API}/locations/{location['id']}").status_code == 204
    assert client.delete(f"{API}/locations/{location['id']}").status_code == 404
    assert client.get(f"{API}/locations/{location['id']}").status_code == 404
    assert client.get(f"{API}/locations").json() == []
    # What the location brought in goes with it at once, as in Backstage; the rest stays.
    settle(client)
    assert client.get(f"{API}/entities/by-name/component/default/moved").status_code == 404
    assert client.get(f"{API}/entities/by-name/component/default/extra").status_code == 404
    assert client.get(f"{API}/entities/by-name/component/default/checkout").status_code == 200


def test_location_bad_input(client: TestClient, tmp_path: Path) -> None:
    for params, body, status in (
            ({}, {"type": "file"}, 400), ({}, {"type": "file", "target": "relative.yaml"}, 400),
            ({}, {"type": "nope", "target": "x"}, 400), ({"onConflict": "merge"}, {"type": "url", "target": "x"}, 400),
            ({}, {"type": "file", "target": "/etc/passwd"}, 403),
            ({"dryRun": "true"}, {"type": "file", "target": str(tmp_path / "missing.yaml")}, 400)):
        response = client.post(f"{API}/locations", params=params, json=body)
        assert response.status_code == status, (params, body, response.text)
        assert response.json()["response"]["statusCode"] == status
    many = client.post(f"{API}/locations/by-query", json={"query": {"type": {"$regex": 1}}})
    assert many.status_code == 400
    assert client.post(f"{API}/locations/by-query", json={"cursor": "%%"}).status_code == 400


def test_readonly_refuses_changes(portal_factory: Factory, tmp_path: Path) -> None:
    client = start(portal_factory, tmp_path, readonly=True)
    spec = {"type": "file", "target": str(tmp_path / "catalog" / "org.yaml")}
    assert client.post(f"{API}/locations", json=spec).status_code == 403
    assert client.post(f"{API}/locations", params={"dryRun": "true"}, json=spec).status_code == 201


def test_analyze_location(client: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "catalog-info.yaml").write_text(EXTRA)
    body = client.post(f"{API}/analyze-location", json={"location": {"type": "file", "target": str(folder)}}).json()
    assert body["generateEntities"] == []
    [found] = body["existingEntityFiles"]
    assert found["entity"]["metadata"]["name"] == "extra" and found["isRegistered"] is False
    assert found["location"] == {"type": "file", "target": str(folder / "catalog-info.yaml")}
    registered = client.post(f"{API}/analyze-location", json={
        "location": {"type": "file", "target": str(tmp_path / "catalog" / "org.yaml")}}).json()
    assert len(registered["existingEntityFiles"]) == 4
    for body in ({"location": {"type": "url", "target": "not a url"}}, {"location": {"type": "file"}},
                 {"location": {"type": "file", "target": str(folder / "none.yaml")}}):
        response = client.post(f"{API}/analyze-location", json=body)
        assert response.status_code == 400, body
