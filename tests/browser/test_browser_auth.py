"""Signing in with OpenID Connect in Chromium, against a real OpenID provider on 127.0.0.1.

The provider is panva's `oidc-provider` (OpenID Certified, from npm) run with Node; the person types their email
and password into its login page and allows access on its consent page. The portal runs as an operator would
run it, with its secrets given through the environment (`$env`).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.oidc_idp import ALICE, CLIENT_ID, CLIENT_SECRET, MALLORY, running_idp

from .conftest import HOST, clean_env, free_port, wait_healthy
from .test_browser_catalog import LAUNCHER

pytestmark = pytest.mark.browser

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {profile: {email: alice@example.com, displayName: Alice Doe}, memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def _start(args: list[str], log_path: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def signed_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A portal that requires OpenID Connect sign-in, and the provider it trusts; yields the portal's URL."""
    folder = tmp_path_factory.mktemp("auth-server")
    port = free_port()
    base = f"http://{HOST}:{port}"
    with running_idp([f"{base}/api/auth/oidc/handler/frame"], folder) as idp:
        yield from _portal(folder, port, idp.issuer)


def _portal(folder: Path, port: int, issuer: str) -> Iterator[str]:
    (folder / "org.yaml").write_text(ORG)
    (folder / "launch.py").write_text(LAUNCHER.replace("env={}", "env=dict(os.environ)").replace(
        "import signal, sys", "import os, signal, sys"))
    base = f"http://{HOST}:{port}"
    (folder / "app-config.yaml").write_text(
        f"app:\n  baseUrl: {base}\nbackend:\n  baseUrl: {base}\n"
        f"  database:\n    url: 'sqlite:///{folder / 'greenroom.db'}'\n"
        f"catalog:\n  locations:\n    - {{type: file, target: '{folder / 'org.yaml'}'}}\n"
        f"  rules: [{{allow: [Component, Group, User, Location]}}]\n"
        f"auth:\n  providers:\n    oidc:\n      clientId: {CLIENT_ID}\n      clientSecret: {{$env: OIDC_SECRET}}\n"
        f"      metadataUrl: {issuer}/.well-known/openid-configuration\n"
        f"  session:\n    secret: {{$env: SESSION_SECRET}}\n", encoding="utf-8")
    env = {**clean_env(), "SESSION_SECRET": "x" * 48, "OIDC_SECRET": CLIENT_SECRET}
    server = _start([sys.executable, str(folder / "launch.py"), str(folder), str(folder / "app-config.yaml"), HOST,
                     str(port)], folder / "server.log", env, folder)
    try:
        wait_healthy(base, server, folder / "server.log")
        time.sleep(1.0)  # the catalog processes the org file
        yield base
    finally:
        _stop(server)


def test_sign_in_with_openid_connect_in_the_browser(browser: Any, signed_portal: str) -> None:
    context = browser.new_context(base_url=signed_portal)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/catalog")
    assert "/sign-in?returnTo=%2Fcatalog" in page.url
    page.get_by_role("link", name="Sign in with OpenID Connect").click()
    _sign_in_at_provider(page, signed_portal, ALICE.login, "not-her-password")
    page.get_by_role("alert").filter(has_text="Wrong email or password").wait_for()
    _sign_in_at_provider(page, signed_portal, ALICE.login, ALICE.password)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{signed_portal}/catalog")
    assert "Alice Doe" in page.locator("header .who").inner_text()
    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["greenroom_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    api = page.request.get(f"{signed_portal}/api/auth/v1/userinfo").json()
    assert api["claims"]["sub"] == "user:default/alice"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{signed_portal}/sign-in")
    assert "greenroom_session" not in {c["name"] for c in context.cookies()}
    page.goto("/catalog")
    assert "/sign-in" in page.url
    context.close()
    anonymous = browser.new_context(base_url=signed_portal)
    assert anonymous.request.get(f"{signed_portal}/api/catalog/entities").status == 401
    anonymous.close()


def test_a_person_unknown_to_the_catalog_sees_the_refusal_page(browser: Any, signed_portal: str) -> None:
    context = browser.new_context(base_url=signed_portal)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with OpenID Connect").click()
    _sign_in_at_provider(page, signed_portal, MALLORY.login, MALLORY.password)
    page.get_by_role("button", name="Allow").click()
    page.get_by_text("No user in the catalog matches this sign-in").wait_for()
    assert page.url.startswith(f"{signed_portal}/api/auth/oidc/handler/frame")
    assert "greenroom_session" not in {c["name"] for c in context.cookies()}
    context.close()


def _sign_in_at_provider(page: Any, portal: str, email: str, password: str) -> None:
    """Fill the provider's own login form, as a person would."""
    page.get_by_role("heading", name="Sign in to the test provider").wait_for()
    assert page.url.startswith(f"http://{HOST}:") and not page.url.startswith(portal)  # at the provider
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
