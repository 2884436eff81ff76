"""Sign-in required once a real provider is configured, and every bad credential refused and logged."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

import pytest
from auth_fixtures import SECRET, Factory, org_config
from joserfc import jwt
from joserfc.jwk import ECKey

from greenroom.plugins.auth import runtime_of
from greenroom.plugins.auth.session import SESSION_COOKIE
from greenroom.plugins.auth.tokens import AUDIENCE, USER_TYPE

REQUIRED = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET}}


def _runtime(client: object) -> object:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    return runtime_of(portal.contexts["auth"])


def test_without_providers_everyone_is_the_guest(portal_factory: Factory) -> None:
    client = portal_factory()
    assert client.get("/api/catalog/entities").status_code == 200
    assert client.get("/", headers={"accept": "text/html"}).status_code == 200


def test_a_real_provider_requires_sign_in_everywhere_but_public_paths(portal_factory: Factory,
                                                                       tmp_path: Path) -> None:
    client = portal_factory(config=org_config(tmp_path, **REQUIRED))
    denied = client.get("/api/catalog/entities")
    assert denied.status_code == 401
    assert denied.json()["error"]["name"] == "AuthenticationError"
    assert denied.json()["response"]["statusCode"] == 401
    page = client.get("/catalog?kind=component", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?returnTo=%2Fcatalog%3Fkind%3Dcomponent"
    assert client.get("/sign-in").status_code == 200
    assert client.get("/healthcheck").status_code == 200
    jwks = client.get("/api/auth/.well-known/jwks.json").json()
    assert jwks["keys"] and jwks["keys"][0]["alg"] == "ES256" and "d" not in jwks["keys"][0]


def test_a_user_token_signs_in_and_carries_the_ownership_refs(portal_factory: Factory, tmp_path: Path) -> None:
    client = portal_factory(config=org_config(tmp_path, **REQUIRED))
    token = _runtime(client).tokens.issue("user:default/alice", ["user:default/alice", "group:default/team-a"])
    who = client.get("/api/auth/v1/userinfo", headers={"authorization": f"Bearer {token}"}).json()
    assert who["claims"] == {"sub": "user:default/alice", "ent": ["user:default/alice", "group:default/team-a"]}
    assert client.get("/api/catalog/entities", headers={"authorization": f"Bearer {token}"}).status_code == 200
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/api/catalog/entities").status_code == 200


def _forge(claims: dict[str, object], header: dict[str, object] | None = None) -> str:
    key = ECKey.generate_key("P-256", parameters={"kid": "k"}, private=True)
    return jwt.encode(header or {"alg": "ES256", "kid": "k", "typ": USER_TYPE}, claims, key)


def test_bad_tokens_and_cookies_are_refused_and_logged(portal_factory: Factory, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    client = portal_factory(config=org_config(tmp_path, **REQUIRED))
    runtime = _runtime(client)
    issuer = runtime.tokens.issuer
    now = int(time.time())
    good = {"iss": issuer, "sub": "user:default/alice", "ent": ["user:default/alice"], "aud": AUDIENCE,
            "iat": now, "exp": now + 600}
    key = runtime.keys.signing_key()
    real = {"alg": "ES256", "kid": key.kid, "typ": USER_TYPE}
    expired = jwt.encode(real, {**good, "iat": now - 7200, "exp": now - 3600}, key)
    wrong_audience = jwt.encode(real, {**good, "aud": "someone-else"}, key)
    wrong_issuer = jwt.encode(real, {**good, "iss": "https://evil.example.com"}, key)
    forged = _forge(good)
    forged_same_kid = _forge(good, {"alg": "ES256", "kid": key.kid, "typ": USER_TYPE})
    body = base64.urlsafe_b64encode(json.dumps(good).encode()).rstrip(b"=").decode()
    alg_none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"vnd.backstage.user"}').rstrip(b"=").decode()
    unsigned = f"{alg_none}.{body}."
    valid = runtime.tokens.issue("user:default/alice", ["user:default/alice"])
    tampered = valid[:-6] + ("AAAAAA" if not valid.endswith("AAAAAA") else "BBBBBB")
    for bad in (expired, wrong_audience, wrong_issuer, forged, forged_same_kid, unsigned, tampered, "garbage"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="greenroom.plugin.auth"):
            answer = client.get("/api/catalog/entities", headers={"authorization": f"Bearer {bad}"})
        assert answer.status_code == 401, bad
        assert any(r.getMessage() == "credential refused" for r in caplog.records), bad
    for bad in (tampered, expired, unsigned):
        client.cookies.set(SESSION_COOKIE, bad)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="greenroom.plugin.auth"):
            assert client.get("/api/catalog/entities").status_code == 401
        assert [r for r in caplog.records if getattr(r, "credential", "") == "session cookie"]


def test_a_cookie_sent_cross_site_does_not_count(portal_factory: Factory, tmp_path: Path) -> None:
    client = portal_factory(config=org_config(tmp_path, **REQUIRED))
    token = _runtime(client).tokens.issue("user:default/alice", ["user:default/alice"])
    client.cookies.set(SESSION_COOKIE, token)
    evil = client.post("/api/catalog/refresh", json={"entityRef": "component:default/x"},
                       headers={"origin": "https://evil.example.com"})
    assert evil.status_code == 401


def test_keys_rotate_and_old_keys_stay_published_until_their_tokens_expire(portal_factory: Factory,
                                                                          tmp_path: Path) -> None:
    client = portal_factory(config=org_config(tmp_path, **REQUIRED))
    runtime = _runtime(client)
    keys = runtime.keys
    old = runtime.tokens.issue("user:default/alice", ["user:default/alice"])
    first = keys.signing_key().kid
    assert not keys.rotate()  # too early
    assert keys.rotate(now=time.time() + keys.rotation_seconds + 1)
    second = keys.signing_key().kid
    assert second != first
    published = {k["kid"] for k in client.get("/api/auth/.well-known/jwks.json").json()["keys"]}
    assert published == {first, second}
    assert client.get("/api/catalog/entities", headers={"authorization": f"Bearer {old}"}).status_code == 200
    new = runtime.tokens.issue("user:default/alice", ["user:default/alice"])
    assert jwt.decode(new, keys.verification_keys()).header["kid"] == second
    keys.rotate(now=time.time() + 2 * keys.rotation_seconds + keys.token_seconds + 120)
    published = {k["kid"] for k in client.get("/api/auth/.well-known/jwks.json").json()["keys"]}
    assert first not in published and second in published


def test_guest_sign_in_refuses_open_redirects(portal_factory: Factory, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    config = {**REQUIRED, "providers": {**REQUIRED["providers"], "guest": {}}}
    client = portal_factory(config=org_config(tmp_path, **config))
    for target in ("//evil.example.com/x", "https://evil.example.com", "/\\evil.example.com", "javascript:alert(1)"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="greenroom.plugin.auth"):
            answer = client.get(f"/api/auth/guest/start?returnTo={target}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/", target
        assert any(getattr(r, "credential", "") == "return URL" for r in caplog.records)
    answer = client.get("/api/auth/guest/start?returnTo=/catalog%3Fkind%3Dapi", follow_redirects=False)
    assert answer.headers["location"] == "/catalog?kind=api"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/api/catalog/entities").status_code == 200


def test_sign_in_attempts_are_rate_limited(portal_factory: Factory, tmp_path: Path) -> None:
    config = {**REQUIRED, "providers": {"guest": {}}, "rateLimit": {"signInPerMinute": 3}}
    client = portal_factory(config=org_config(tmp_path, **config))
    codes = [client.get("/api/auth/guest/start", follow_redirects=False).status_code for _ in range(5)]
    assert codes == [303, 303, 303, 429, 429]


def test_static_external_callers_are_limited_to_their_plugins(portal_factory: Factory, tmp_path: Path) -> None:
    config = {**REQUIRED, "externalAccess": [
        {"type": "static", "options": {"token": "ci-token-123456", "subject": "ci"},
         "accessRestrictions": [{"plugin": "catalog"}]}]}
    client = portal_factory(config=org_config(tmp_path, **config))
    ci = {"authorization": "Bearer ci-token-123456"}
    assert client.get("/api/catalog/entities", headers=ci).status_code == 200
    assert client.get("/api/plugins", headers=ci).status_code == 403
    assert client.get("/api/catalog/entities", headers={"authorization": "Bearer ci-token-12345X"}).status_code == 401


def test_a_secret_is_required_with_a_real_provider(portal_factory: Factory) -> None:
    from greenroom.app import StartupError

    with pytest.raises(StartupError, match=r"session\.secret"):
        portal_factory(config={"auth": {"providers": {"github": {"clientId": "a", "clientSecret": "b"}}}})


def test_pages_carry_strict_security_headers(portal_factory: Factory) -> None:
    headers = portal_factory().get("/", headers={"accept": "text/html"}).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
