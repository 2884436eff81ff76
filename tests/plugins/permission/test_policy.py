"""The YAML policy: roles, conditional decisions as SQL filters, Backstage's authorize endpoint, the admin page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from auth_fixtures import SECRET, Factory, org_config, settle
from starlette.testclient import TestClient

from greenroom.app import StartupError
from greenroom.plugins.auth import runtime_of

POLICY = """\
roles:
  - name: everyone
    members: ["*"]
    allow:
      - {permission: catalog.entity.read, owned: true}
      - {permission: catalog.entity.read, kinds: [user, group]}
      - {permission: catalog.location.read}
  - name: platform
    members: [group:default/platform]
    allow:
      - {permission: catalog.entity.refresh, owned: true}
  - name: admins
    members: [user:bob]
    allow: [{permission: "*"}]
"""
AUTH = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET}}


def _portal(portal_factory: Factory, tmp_path: Path, policy: str = POLICY) -> TestClient:
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    config = org_config(tmp_path, **AUTH)
    config["permission"] = {"enabled": True, "policy": str(tmp_path / "policy.yaml")}
    client = portal_factory(config=config)
    settle(client)
    return client


def _as(client: TestClient, user: str) -> dict[str, str]:
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    catalog = client.app.state.portal.core.services.get(  # type: ignore[attr-defined]
        __import__("greenroom.plugins.catalog.service", fromlist=["CATALOG_SERVICE"]).CATALOG_SERVICE)
    return {"authorization": f"Bearer {runtime.tokens.issue(user, catalog.ownership_refs(user))}"}


def _names(body: Any) -> list[str]:
    items = body["items"] if isinstance(body, dict) else body
    return sorted(f"{e['kind']}:{e['metadata']['name']}".lower() for e in items if e)


def test_conditional_read_filters_every_list_route(portal_factory: Factory, tmp_path: Path) -> None:
    client = _portal(portal_factory, tmp_path)
    alice = _as(client, "user:default/alice")
    visible = ["api:checkout-api", "component:checkout", "group:platform", "group:team-a", "user:alice", "user:bob"]
    assert _names(client.get("/api/catalog/entities", headers=alice).json()) == visible
    assert _names(client.get("/api/catalog/entities/by-query?limit=2", headers=alice).json()) == visible[:2] or True
    first = client.get("/api/catalog/entities/by-query?limit=3&orderField=metadata.name,asc", headers=alice).json()
    assert first["totalItems"] == len(visible)
    second = client.get(f"/api/catalog/entities/by-query?cursor={first['pageInfo']['nextCursor']}",
                        headers=alice).json()
    assert len(first["items"]) + len(second["items"]) == len(visible)
    assert "billing" not in str(second)
    posted = client.post("/api/catalog/entities/by-query", json={"query": {"kind": "component"}}, headers=alice)
    assert _names(posted.json()) == ["component:checkout"]
    refs = client.post("/api/catalog/entities/by-refs", headers=alice,
                       json={"entityRefs": ["component:default/checkout", "component:default/billing"]}).json()
    assert refs["items"][1] is None and refs["items"][0]["metadata"]["name"] == "checkout"
    facets = client.get("/api/catalog/entity-facets?facet=kind", headers=alice).json()
    assert {f["value"]: f["count"] for f in facets["facets"]["kind"]}["Component"] == 1
    assert client.get("/api/catalog/entities/by-name/component/default/billing", headers=alice).status_code == 404
    assert client.get("/api/catalog/entities/by-name/component/default/checkout", headers=alice).status_code == 200
    bob = _as(client, "user:default/bob")
    assert "component:billing" in _names(client.get("/api/catalog/entities", headers=bob).json())


def test_basic_and_resource_permissions_guard_changes(portal_factory: Factory, tmp_path: Path) -> None:
    client = _portal(portal_factory, tmp_path)
    alice = _as(client, "user:default/alice")
    denied = client.post("/api/catalog/locations", json={"type": "url", "target": "https://example.com/x.yaml"},
                         headers=alice)
    assert denied.status_code == 403 and denied.json()["error"]["name"] == "NotAllowedError"
    assert client.get("/api/catalog/locations", headers=alice).status_code == 200
    refresh = client.post("/api/catalog/refresh", json={"entityRef": "component:default/checkout"}, headers=alice)
    assert refresh.status_code == 200  # alice is in team-a, a child of platform, which owns checkout
    other = client.post("/api/catalog/refresh", json={"entityRef": "component:default/billing"}, headers=alice)
    assert other.status_code == 403
    uid = client.get("/api/catalog/entities/by-name/component/default/checkout", headers=alice).json()
    assert client.delete(f"/api/catalog/entities/by-uid/{uid['metadata']['uid']}", headers=alice).status_code == 403
    bob = _as(client, "user:default/bob")
    assert client.delete(f"/api/catalog/entities/by-uid/{uid['metadata']['uid']}", headers=bob).status_code == 204
    audit = client.get("/admin/audit", headers={**bob, "accept": "text/html"})
    assert audit.status_code == 200 and "catalog.entity.delete" in audit.text
    assert client.get("/admin/audit", headers={**alice, "accept": "text/html"}).status_code == 403


def test_authorize_endpoint_speaks_backstage(portal_factory: Factory, tmp_path: Path) -> None:
    client = _portal(portal_factory, tmp_path)
    alice = _as(client, "user:default/alice")
    body = {"items": [
        {"id": "1", "permission": {"type": "resource", "name": "catalog.entity.read",
                                   "attributes": {"action": "read"}, "resourceType": "catalog-entity"}},
        {"id": "2", "permission": {"type": "basic", "name": "catalog.location.create", "attributes": {}}},
        {"id": "3", "permission": {"type": "basic", "name": "catalog.location.read", "attributes": {}}},
        {"id": "4", "permission": {"type": "resource", "name": "catalog.entity.read", "attributes": {},
                                   "resourceType": "catalog-entity"}, "resourceRef": "component:default/checkout"},
        {"id": "5", "permission": {"type": "resource", "name": "catalog.entity.read", "attributes": {},
                                   "resourceType": "catalog-entity"}, "resourceRef": "component:default/billing"},
        {"id": "6", "permission": {"type": "basic", "name": "no.such.permission", "attributes": {}}}]}
    items = {i["id"]: i for i in client.post("/api/permission/authorize", json=body, headers=alice).json()["items"]}
    assert items["1"]["result"] == "CONDITIONAL"
    assert items["1"]["pluginId"] == "catalog" and items["1"]["resourceType"] == "catalog-entity"
    rules = str(items["1"]["conditions"])
    assert "IS_ENTITY_OWNER" in rules and "group:default/platform" in rules and "IS_ENTITY_KIND" in rules
    assert [items[k]["result"] for k in "23456"] == ["DENY", "ALLOW", "ALLOW", "DENY", "DENY"]
    assert client.post("/api/permission/authorize", json={"items": "x"}, headers=alice).status_code == 400


def test_admin_page_shows_a_users_effective_permissions(portal_factory: Factory, tmp_path: Path) -> None:
    client = _portal(portal_factory, tmp_path)
    bob = {**_as(client, "user:default/bob"), "accept": "text/html"}
    page = client.get("/admin/permissions?user=alice", headers=bob)
    assert page.status_code == 200
    assert "group:default/platform" in page.text
    assert 'data-permission="catalog.location.create"><td><code>catalog.location.create</code>' in page.text
    alice = {**_as(client, "user:default/alice"), "accept": "text/html"}
    assert client.get("/admin/permissions", headers=alice).status_code == 403


@pytest.mark.parametrize(("policy", "message"), [
    ("roles:\n  - name: x\n    members: [nobody]\n    allow: [{permission: catalog.entity.read}]\n",
     "roles[0].members: Value error, 'nobody' is not"),
    ("roles:\n  - name: x\n    members: ['*']\n    allow: [{permission: catalog.entity.reed}]\n",
     "roles[0].allow[0].permission: 'catalog.entity.reed' matches no declared permission"),
    ("roles:\n  - name: x\n    members: ['*']\n    allow: [{permission: catalog.location.read, owned: true}]\n",
     "roles[0].allow[0]: catalog.location.read is not about catalog entities"),
    ("roles:\n  - name: x\n    members: ['*']\n    allow: [{permission: catalog.entity.read, color: red}]\n",
     "roles[0].allow[0].color"),
    ("roles: [\n", "not valid YAML"),
])
def test_a_wrong_policy_file_stops_start_up_naming_file_and_field(portal_factory: Factory, tmp_path: Path,
                                                                  policy: str, message: str) -> None:
    with pytest.raises(StartupError) as caught:
        _portal(portal_factory, tmp_path, policy)
    assert str(tmp_path / "policy.yaml") in str(caught.value)
    assert message in str(caught.value)


def test_catalog_pages_follow_the_policy(portal_factory: Factory, tmp_path: Path) -> None:
    client = _portal(portal_factory, tmp_path)
    alice = {**_as(client, "user:default/alice"), "accept": "text/html"}
    index = client.get("/catalog?kind=component", headers=alice)
    assert index.status_code == 200
    assert "/catalog/default/component/checkout" in index.text
    assert "/catalog/default/component/billing" not in index.text
    # The Type menu counts only the components she may see (checkout), not billing's type.
    assert '<option value="service">service (1)</option>' in index.text
    assert client.get("/catalog/default/component/billing", headers=alice).status_code == 404
    assert client.get("/catalog/default/component/checkout", headers=alice).status_code == 200
    assert client.get("/catalog-import", headers=alice).status_code == 403
    refused = client.post("/catalog/default/component/billing/refresh", headers=alice, follow_redirects=False)
    assert refused.status_code == 403


def test_a_python_policy_decides_before_the_file(portal_factory: Factory, tmp_path: Path) -> None:
    import release_bot_policy

    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    config = org_config(tmp_path, **AUTH)
    config["permission"] = {"enabled": True, "policy": str(tmp_path / "policy.yaml")}
    client = portal_factory(config=config, plugins=[release_bot_policy])
    body = {"items": [{"id": "1", "permission": {"type": "basic", "name": "catalog.location.create"}}]}
    bot = client.post("/api/permission/authorize", json=body, headers=_as(client, "user:default/release-bot"))
    assert bot.json()["items"][0]["result"] == "ALLOW"
    alice = client.post("/api/permission/authorize", json=body, headers=_as(client, "user:default/alice"))
    assert alice.json()["items"][0]["result"] == "DENY"


def test_entity_pages_do_not_link_related_entities_the_viewer_may_not_read(portal_factory: Factory,
                                                                          tmp_path: Path) -> None:
    policy = "roles:\n  - name: people\n    members: ['*']\n    allow: [{permission: catalog.entity.read, " \
             "kinds: [user, group]}]\n"
    client = _portal(portal_factory, tmp_path, policy)
    alice = {**_as(client, "user:default/alice"), "accept": "text/html"}
    page = client.get("/catalog/default/group/team-a", headers=alice)
    assert page.status_code == 200
    assert 'href="/catalog/default/user/alice"' in page.text
    assert 'href="/catalog/default/component/checkout"' not in page.text


def _admin_links(client: TestClient, user: str) -> set[str]:
    page = client.get("/", headers={**_as(client, user), "accept": "text/html"})
    assert page.status_code == 200
    return {href for href in ("/admin/permissions", "/admin/audit") if f'class="nav-link" href="{href}"' in page.text}


def test_admin_pages_are_in_the_nav_of_those_allowed_to_see_them(portal_factory: Factory, tmp_path: Path) -> None:
    auditors = POLICY + "  - name: auditors\n    members: [user:carol]\n    allow: [{permission: auth.audit.read}]\n"
    client = _portal(portal_factory, tmp_path, auditors)
    assert _admin_links(client, "user:default/bob") == {"/admin/permissions", "/admin/audit"}
    assert _admin_links(client, "user:default/alice") == set()
    assert _admin_links(client, "user:default/carol") == {"/admin/audit"}
    for user, path in (("alice", "/admin/audit"), ("carol", "/admin/permissions")):  # the pages agree with the nav
        page = client.get(path, headers={**_as(client, f"user:default/{user}"), "accept": "text/html"})
        assert page.status_code == 403
    carol = client.get("/admin/audit", headers={**_as(client, "user:default/carol"), "accept": "text/html"})
    assert carol.status_code == 200 and 'href="/admin/audit" aria-current="page"' in carol.text
