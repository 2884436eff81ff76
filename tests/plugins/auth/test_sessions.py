"""Sliding sessions: a session in use is renewed once half its lifetime has passed, up to a maximum lifetime
counted from sign-in. The auth plugin's clock is replaced, so the test moves time instead of waiting."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from auth_fixtures import SECRET, Factory, org_config
from starlette.testclient import TestClient

from greenroom.app import StartupError
from greenroom.plugins.auth import runtime_of
from greenroom.plugins.auth.runtime import AuthRuntime
from greenroom.plugins.auth.session import SESSION_COOKIE

LIFETIME, MAXIMUM = 60, 150


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _portal(factory: Factory, tmp_path: Path, **session: Any) -> tuple[TestClient, AuthRuntime, Clock]:
    auth = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}, "guest": {}},
            "session": {"secret": SECRET, "expirationSeconds": LIFETIME, "maxLifetimeSeconds": MAXIMUM, **session}}
    client = factory(config=org_config(tmp_path, **auth))
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    clock = Clock()
    runtime.tokens.clock = clock
    assert client.get("/api/auth/guest/start", follow_redirects=False).status_code == 303
    return client, runtime, clock


def _renewed(answer: Any) -> int | None:
    """The Max-Age of the session cookie the answer renews, if it does."""
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header
            return int(header.split("Max-Age=")[1].split(";")[0])
    return None


def test_a_session_in_use_slides_until_its_maximum_lifetime(portal_factory: Factory, tmp_path: Path) -> None:
    client, runtime, clock = _portal(portal_factory, tmp_path)
    start = clock.now
    first = client.cookies[SESSION_COOKIE]

    def call(at: float) -> Any:
        clock.now = start + at
        return client.get("/api/catalog/entities")

    early = call(10)
    assert early.status_code == 200 and _renewed(early) is None  # young sessions are left alone
    late = call(40)  # past half the lifetime: renewed for a whole lifetime
    assert late.status_code == 200 and _renewed(late) == LIFETIME
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    claims = runtime.tokens.verify(second).claims
    assert claims["exp"] == int(start) + 40 + LIFETIME and claims["auth_time"] == int(start)
    assert claims["sub"] == "user:default/guest" and claims["name"] == "Guest"
    # The first cookie has expired; the renewed one carries on, and is renewed again up to the maximum.
    clock.now = start + 90
    assert client.get("/api/catalog/entities", headers={"cookie": f"{SESSION_COOKIE}={first}"}).status_code == 401
    again = call(95)
    assert again.status_code == 200 and _renewed(again) == MAXIMUM - 95
    assert runtime.tokens.verify(client.cookies[SESSION_COOKIE]).claims["exp"] == int(start) + MAXIMUM
    capped = call(140)  # at its maximum: nothing more to give
    assert capped.status_code == 200 and _renewed(capped) is None
    refreshed = client.get("/api/auth/github/refresh", headers={"x-requested-with": "XMLHttpRequest"}).json()
    assert refreshed["backstageIdentity"]["expiresInSeconds"] == MAXIMUM - 140  # refresh cannot extend it either
    assert call(MAXIMUM + 1).status_code == 401


def test_signing_out_wins_over_a_renewal(portal_factory: Factory, tmp_path: Path) -> None:
    client, _, clock = _portal(portal_factory, tmp_path)
    clock.now += 45
    out = client.post("/sign-out", follow_redirects=False)
    cookies = [h for h in out.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]
    assert len(cookies) == 1 and "Max-Age=0" in cookies[0]
    assert client.get("/api/catalog/entities").status_code == 401


def test_sliding_can_be_switched_off(portal_factory: Factory, tmp_path: Path) -> None:
    client, _, clock = _portal(portal_factory, tmp_path, slidingExpiration=False)
    clock.now += 50
    answer = client.get("/api/catalog/entities")
    assert answer.status_code == 200 and _renewed(answer) is None
    clock.now += 11
    assert client.get("/api/catalog/entities").status_code == 401


def test_bearer_tokens_are_not_renewed(portal_factory: Factory, tmp_path: Path) -> None:
    client, runtime, clock = _portal(portal_factory, tmp_path)
    token = runtime.tokens.issue("user:default/alice", ["user:default/alice"])
    client.cookies.clear()
    clock.now += 45
    answer = client.get("/api/catalog/entities", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and _renewed(answer) is None


def test_the_maximum_cannot_be_shorter_than_the_lifetime(portal_factory: Factory) -> None:
    auth = {"providers": {"github": {"clientId": "a", "clientSecret": "b"}},
            "session": {"secret": SECRET, "expirationSeconds": 3600, "maxLifetimeSeconds": 600}}
    with pytest.raises(StartupError, match=r"maxLifetimeSeconds"):
        portal_factory(config={"auth": auth})
