"""Signing in with GitHub and GitLab, through the portal, against stand-ins for both on 127.0.0.1 that serve the
endpoints the providers call as the forges document them (tests/support/forges.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth_fixtures import PORTAL, SECRET, Factory, org_config, settle
from starlette.testclient import TestClient

from greenroom.plugins.auth import runtime_of
from greenroom.plugins.auth.session import SESSION_COOKIE
from support.forges import CLIENT_ID, CLIENT_SECRET, Forge, ForgeUser, serving

GITHUB_USERS = {
    # No public email: the provider reads the primary, verified one from /user/emails.
    "alice-gh": ForgeUser(501, "alice-gh", "Alice Doe", None, [
        {"email": "alice@old.example.org", "primary": False, "verified": True, "visibility": None},
        {"email": "alice@example.com", "primary": True, "verified": True, "visibility": "private"}]),
    "bobby": ForgeUser(1001, "bobby", "Bob B.", "bobby@users.example.org"),
    "mallory-gh": ForgeUser(666, "mallory-gh", "Mallory", "mallory@example.com"),
    # Claims Alice's address without having verified it: it must not sign in as Alice.
    "eve": ForgeUser(667, "eve", "Eve", None, [
        {"email": "alice@example.com", "primary": True, "verified": False, "visibility": "private"}]),
}
GITLAB_USERS = {
    "alice": ForgeUser(7, "alice", "Alice Doe", "alice@example.com"),
    "bob": ForgeUser(42, "bob", "Bob B.", "bob@gitlab.example.net"),
    "mallory": ForgeUser(66, "mallory", "Mallory", "mallory@example.com"),
}


@pytest.fixture(scope="module")
def github() -> Iterator[Forge]:
    with serving(Forge("github", f"{PORTAL}/api/auth/github/handler/frame", GITHUB_USERS)) as forge:
        yield forge


@pytest.fixture(scope="module")
def gitlab() -> Iterator[Forge]:
    with serving(Forge("gitlab", f"{PORTAL}/api/auth/gitlab/handler/frame", GITLAB_USERS)) as forge:
        yield forge


def _portal(factory: Factory, tmp_path: Path, provider: str, **options: Any) -> TestClient:
    settings = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, **options}
    client = factory(config=org_config(tmp_path, providers={provider: settings}, session={"secret": SECRET}))
    settle(client)
    return client


def _sign_in(client: TestClient, forge: Forge, login: str, return_to: str = "/catalog",
             state: str | None = None) -> httpx.Response:
    """Start at the portal, authorize at the forge as `login`, and return what the portal's callback answers
    (with `state` replacing the forge's, to play an attacker)."""
    forge.signed_in_as = login
    start = client.get("/api/auth/" + forge.kind + "/start", params={"returnTo": return_to}, follow_redirects=False)
    assert start.status_code == 302
    authorize = start.headers["location"]
    assert authorize.startswith(forge.base_url)
    with httpx.Client() as browser:
        back = browser.get(authorize)
    assert back.status_code == 302, back.text
    target = urlsplit(back.headers["location"])
    query = parse_qs(target.query)
    assert target.path == f"/api/auth/{forge.kind}/handler/frame" and query["code"]
    params = {"code": query["code"][0], "state": state if state is not None else query["state"][0]}
    return client.get(target.path, params=params, follow_redirects=False)


def _who(client: TestClient) -> str:
    return str(client.get("/api/auth/v1/userinfo").json()["claims"]["sub"])


@pytest.mark.parametrize("where", ["enterpriseInstanceUrl", "apiBaseUrl"])
def test_github_sign_in_by_verified_primary_email(portal_factory: Factory, tmp_path: Path, github: Forge,
                                                  where: str) -> None:
    # GitHub Enterprise Server serves its API under /api/v3; apiBaseUrl points elsewhere (here: the root).
    options = ({"enterpriseInstanceUrl": github.base_url} if where == "enterpriseInstanceUrl"
               else {"enterpriseInstanceUrl": github.base_url, "apiBaseUrl": github.base_url})
    client = _portal(portal_factory, tmp_path, "github", **options)
    github.requests.clear()
    done = _sign_in(client, github, "alice-gh")
    assert done.status_code == 303 and done.headers["location"] == "/catalog"
    assert client.cookies.get(SESSION_COOKIE)
    assert _who(client) == "user:default/alice"
    api = "/api/v3" if where == "enterpriseInstanceUrl" else ""
    assert github.requests == ["GET /login/oauth/authorize",
                               "POST /login/oauth/access_token accept=application/json",
                               f"GET {api}/user", f"GET {api}/user/emails"]
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    event = runtime.recent_events()[0]
    assert event["action"] == "auth.sign-in" and event["details"]["provider"] == "github"


def test_github_sign_in_by_user_id_annotation(portal_factory: Factory, tmp_path: Path, github: Forge) -> None:
    resolvers = {"signIn": {"resolvers": [{"resolver": "userIdMatchingUserEntityAnnotation"}]}}
    client = _portal(portal_factory, tmp_path, "github", enterpriseInstanceUrl=github.base_url, **resolvers)
    assert _sign_in(client, github, "bobby").status_code == 303
    assert _who(client) == "user:default/bob"
    client.cookies.clear()
    assert _sign_in(client, github, "alice-gh").status_code == 403  # no github.com/user-id: "501" in the catalog


@pytest.mark.parametrize("login", ["mallory-gh", "eve"])
def test_github_people_without_a_user_are_refused(portal_factory: Factory, tmp_path: Path, github: Forge,
                                                  login: str) -> None:
    client = _portal(portal_factory, tmp_path, "github", enterpriseInstanceUrl=github.base_url)
    refused = _sign_in(client, github, login)
    assert refused.status_code == 403
    assert "No user in the catalog matches this sign-in" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)


def test_github_state_mismatch_and_bad_secret_are_refused(portal_factory: Factory, tmp_path: Path,
                                                          github: Forge) -> None:
    client = _portal(portal_factory, tmp_path, "github", enterpriseInstanceUrl=github.base_url)
    github.requests.clear()
    refused = _sign_in(client, github, "alice-gh", state="forged-state")
    assert refused.status_code == 403 and "could not be completed" in refused.text
    assert not any(r.startswith("POST") for r in github.requests)  # the code was never exchanged
    wrong = _portal(portal_factory, tmp_path, "github", enterpriseInstanceUrl=github.base_url,
                    clientSecret="not-the-secret")
    refused = _sign_in(wrong, github, "alice-gh")
    assert refused.status_code == 403 and "could not be verified" in refused.text
    assert not client.cookies.get(SESSION_COOKIE) and not wrong.cookies.get(SESSION_COOKIE)


def test_gitlab_sign_in_by_email_and_by_user_id(portal_factory: Factory, tmp_path: Path, gitlab: Forge) -> None:
    resolvers = {"signIn": {"resolvers": [{"resolver": "emailMatchingUserEntityProfileEmail"},
                                          {"resolver": "userIdMatchingUserEntityAnnotation"}]}}
    client = _portal(portal_factory, tmp_path, "gitlab", audience=gitlab.base_url, **resolvers)
    gitlab.requests.clear()
    done = _sign_in(client, gitlab, "alice", return_to="/docs")
    assert done.status_code == 303 and done.headers["location"] == "/docs"
    assert _who(client) == "user:default/alice"
    assert gitlab.requests == ["GET /oauth/authorize", "POST /oauth/token", "GET /api/v4/user"]
    client.cookies.clear()
    assert _sign_in(client, gitlab, "bob").status_code == 303
    assert _who(client) == "user:default/bob"


def test_gitlab_refuses_unknown_people_and_a_state_mismatch(portal_factory: Factory, tmp_path: Path,
                                                            gitlab: Forge) -> None:
    client = _portal(portal_factory, tmp_path, "gitlab", audience=gitlab.base_url)
    refused = _sign_in(client, gitlab, "mallory")
    assert refused.status_code == 403 and "No user in the catalog matches this sign-in" in refused.text
    refused = _sign_in(client, gitlab, "alice", state="forged-state")
    assert refused.status_code == 403 and "could not be completed" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)
