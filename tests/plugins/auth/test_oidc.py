"""The OpenID Connect authorization-code flow against a real provider on 127.0.0.1, driven with httpx."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from auth_fixtures import Factory, oidc_auth, org_config, settle
from starlette.testclient import TestClient

from greenroom.plugins.auth.session import SESSION_COOKIE


def _sign_in_at_provider(client: TestClient, subject: str, return_to: str = "/") -> httpx.Response:
    """Start at the portal, sign in at the provider as `subject`, and come back with the code."""
    start = client.get(f"/api/auth/oidc/start?returnTo={return_to}", follow_redirects=False)
    assert start.status_code == 302
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    with httpx.Client() as provider:
        assert provider.get(authorize).status_code == 200  # the provider's sign-in form
        back = provider.post(authorize, data={"sub": subject})
    assert back.status_code == 302
    target = urlsplit(back.headers["location"])
    assert target.path == "/api/auth/oidc/handler/frame"
    return client.get(f"{target.path}?{target.query}", follow_redirects=False)


def test_sign_in_with_openid_connect_maps_to_the_catalog_user(portal_factory: Factory, tmp_path: Path,
                                                              oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    assert client.get("/api/catalog/entities").status_code == 401
    done = _sign_in_at_provider(client, "alice@example.com", "/catalog")
    assert done.status_code == 303 and done.headers["location"] == "/catalog"
    assert client.cookies.get(SESSION_COOKIE)
    who = client.get("/api/auth/v1/userinfo").json()["claims"]
    assert who["sub"] == "user:default/alice"
    assert set(who["ent"]) == {"user:default/alice", "group:default/team-a", "group:default/platform"}
    assert client.get("/api/catalog/entities").status_code == 200
    events = client.app.state.portal.contexts["auth"]  # type: ignore[attr-defined]
    from greenroom.plugins.auth import runtime_of

    assert [e["action"] for e in runtime_of(events).recent_events()] == ["auth.sign-in"]
    out = client.post("/api/auth/oidc/logout")
    assert out.status_code == 200 and SESSION_COOKIE in out.headers["set-cookie"]


def test_unknown_people_are_refused_with_a_clear_page(portal_factory: Factory, tmp_path: Path,
                                                      oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    refused = _sign_in_at_provider(client, "mallory@example.com")
    assert refused.status_code == 403
    assert "No user in the catalog matches this sign-in" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)


def test_resolvers_by_name_and_by_annotation(portal_factory: Factory, tmp_path: Path, oidc_provider: str) -> None:
    resolvers = {"signIn": {"resolvers": [
        {"resolver": "emailMatchingUserEntityAnnotation", "annotation": "example.com/login"},
        {"resolver": "emailLocalPartMatchingUserEntityName", "allowedDomains": ["example.com"]}]}}
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider, **resolvers)))
    settle(client)
    assert _sign_in_at_provider(client, "bobby").status_code == 303
    assert client.get("/api/auth/v1/userinfo").json()["claims"]["sub"] == "user:default/bob"
    client.cookies.clear()
    assert _sign_in_at_provider(client, "alice@example.com").status_code == 303
    assert client.get("/api/auth/v1/userinfo").json()["claims"]["sub"] == "user:default/alice"
    client.cookies.clear()
    assert _sign_in_at_provider(client, "alice@elsewhere.org").status_code == 403


def test_a_replayed_or_forged_callback_is_refused(portal_factory: Factory, tmp_path: Path,
                                                  oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    forged = client.get("/api/auth/oidc/handler/frame?code=abc&state=xyz", follow_redirects=False)
    assert forged.status_code == 403
    client.get("/api/auth/oidc/start", follow_redirects=False)
    wrong_state = client.get("/api/auth/oidc/handler/frame?code=abc&state=xyz", follow_redirects=False)
    assert wrong_state.status_code == 403
