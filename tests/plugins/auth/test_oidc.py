"""The OpenID Connect authorization-code flow against a real provider on 127.0.0.1 (panva's oidc-provider),
signing in through its login and consent pages with httpx."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from auth_fixtures import Factory, oidc_auth, org_config, settle
from starlette.testclient import TestClient

from greenroom.plugins.auth import runtime_of
from greenroom.plugins.auth.session import SESSION_COOKIE
from support.oidc_idp import ALICE, ALICE_ELSEWHERE, BOB, ES256_CLIENT_ID, MALLORY, IdpUser, sign_in_over_http

CALLBACK = "/api/auth/oidc/handler/frame"


def _start(client: TestClient, return_to: str = "/") -> str:
    """Start signing in at the portal; the provider's authorization URL."""
    start = client.get("/api/auth/oidc/start", params={"returnTo": return_to}, follow_redirects=False)
    assert start.status_code == 302
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    return str(authorize)


def _back(client: TestClient, url: str) -> httpx.Response:
    """Follow the provider's redirect back to the portal's callback."""
    target = urlsplit(url)
    assert target.path == CALLBACK, url
    return client.get(f"{target.path}?{target.query}", follow_redirects=False)


def _sign_in(client: TestClient, user: IdpUser, return_to: str = "/") -> httpx.Response:
    return _back(client, sign_in_over_http(_start(client, return_to), user))


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_sign_in_with_openid_connect_maps_to_the_catalog_user(portal_factory: Factory, tmp_path: Path,
                                                              oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    assert client.get("/api/catalog/entities").status_code == 401
    done = _sign_in(client, ALICE, "/catalog")
    assert done.status_code == 303 and done.headers["location"] == "/catalog"
    assert client.cookies.get(SESSION_COOKIE)
    who = client.get("/api/auth/v1/userinfo").json()["claims"]
    assert who["sub"] == "user:default/alice"
    assert set(who["ent"]) == {"user:default/alice", "group:default/team-a", "group:default/platform"}
    assert client.get("/api/catalog/entities").status_code == 200
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    assert [e["action"] for e in runtime.recent_events()] == ["auth.sign-in"]
    out = client.post("/api/auth/oidc/logout")
    assert out.status_code == 200 and SESSION_COOKIE in out.headers["set-cookie"]


def test_es256_id_tokens_are_accepted(portal_factory: Factory, tmp_path: Path, oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider, client_id=ES256_CLIENT_ID)))
    settle(client)
    assert _sign_in(client, ALICE).status_code == 303
    assert client.get("/api/auth/v1/userinfo").json()["claims"]["sub"] == "user:default/alice"


def test_a_wrong_password_never_comes_back(portal_factory: Factory, tmp_path: Path, oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    with pytest.raises(AssertionError, match="refused the password"):
        sign_in_over_http(_start(client), ALICE, password="not-her-password")


def test_unknown_people_are_refused_with_a_clear_page(portal_factory: Factory, tmp_path: Path,
                                                      oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    refused = _sign_in(client, MALLORY)
    assert refused.status_code == 403
    assert "No user in the catalog matches this sign-in" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)


def test_resolvers_by_annotation_and_by_name(portal_factory: Factory, tmp_path: Path, oidc_provider: str) -> None:
    resolvers = {"signIn": {"resolvers": [
        {"resolver": "emailMatchingUserEntityAnnotation", "annotation": "example.com/email"},
        {"resolver": "emailLocalPartMatchingUserEntityName", "allowedDomains": ["example.com"]}]}}
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider, **resolvers)))
    settle(client)
    assert _sign_in(client, BOB).status_code == 303
    assert client.get("/api/auth/v1/userinfo").json()["claims"]["sub"] == "user:default/bob"
    client.cookies.clear()
    assert _sign_in(client, ALICE).status_code == 303
    assert client.get("/api/auth/v1/userinfo").json()["claims"]["sub"] == "user:default/alice"
    client.cookies.clear()
    assert _sign_in(client, ALICE_ELSEWHERE).status_code == 403


def test_a_tampered_state_is_refused(portal_factory: Factory, tmp_path: Path, oidc_provider: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    forged = client.get(f"{CALLBACK}?code=abc&state=xyz", follow_redirects=False)
    assert forged.status_code == 403  # no flow cookie at all
    back = sign_in_over_http(_start(client), ALICE)
    refused = _back(client, _with_query(back, state="x" + parse_qs(urlsplit(back).query)["state"][0]))
    assert refused.status_code == 403 and "could not be completed" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)


def test_an_id_token_for_another_nonce_is_refused(portal_factory: Factory, tmp_path: Path,
                                                   oidc_provider: str) -> None:
    """An attacker who makes the provider issue an ID token for their own nonce (a token injected from another
    flow) gets no session, though state, code and PKCE verifier are all right."""
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    authorize = _with_query(_start(client), nonce="the-attackers-nonce")
    refused = _back(client, sign_in_over_http(authorize, ALICE))
    assert refused.status_code == 403 and "could not be verified" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    failure = runtime.recent_events()[0]
    assert failure["outcome"] == "failure" and "nonce" in failure["details"]["reason"]


@pytest.mark.parametrize("target", ["//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com"])
def test_the_return_url_cannot_leave_the_portal(portal_factory: Factory, tmp_path: Path, oidc_provider: str,
                                                target: str) -> None:
    client = portal_factory(config=org_config(tmp_path, **oidc_auth(oidc_provider)))
    settle(client)
    done = _sign_in(client, ALICE, target)
    assert done.status_code == 303 and done.headers["location"] == "/"
