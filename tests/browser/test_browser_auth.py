"""Signing in with OpenID Connect in Chromium, against a real OpenID provider on 127.0.0.1.

The provider is `oidc-provider-mock` (a complete OpenID Connect server from PyPI) in a subprocess; the portal
runs as an operator would run it, with its session secret given through the environment (`$env`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    provider_port, port = free_port(), free_port()
    issuer = f"http://{HOST}:{provider_port}"
    claims = json.dumps({"sub": "alice@example.com", "email": "alice@example.com", "name": "Alice Doe"})
    provider = _start([str(Path(sys.executable).with_name("oidc-provider-mock")), "--port", str(provider_port),
                       "--require-nonce", "true", "--user-claims", claims], folder / "provider.log",
                      {**os.environ, "PYTHONWARNINGS": "ignore"}, folder)
    (folder / "org.yaml").write_text(ORG)
    (folder / "launch.py").write_text(LAUNCHER.replace("env={}", "env=dict(os.environ)").replace(
        "import signal, sys", "import os, signal, sys"))
    base = f"http://{HOST}:{port}"
    (folder / "app-config.yaml").write_text(
        f"app:\n  baseUrl: {base}\nbackend:\n  baseUrl: {base}\n"
        f"  database:\n    url: 'sqlite:///{folder / 'greenroom.db'}'\n"
        f"catalog:\n  locations:\n    - {{type: file, target: '{folder / 'org.yaml'}'}}\n"
        f"  rules: [{{allow: [Component, Group, User, Location]}}]\n"
        f"auth:\n  providers:\n    oidc:\n      clientId: greenroom\n      clientSecret: {{$env: OIDC_SECRET}}\n"
        f"      metadataUrl: {issuer}/.well-known/openid-configuration\n"
        f"  session:\n    secret: {{$env: SESSION_SECRET}}\n", encoding="utf-8")
    env = {**clean_env(), "SESSION_SECRET": "x" * 48, "OIDC_SECRET": "client-secret"}
    server = _start([sys.executable, str(folder / "launch.py"), str(folder), str(folder / "app-config.yaml"), HOST,
                     str(port)], folder / "server.log", env, folder)
    try:
        wait_healthy(base, server, folder / "server.log")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # the catalog processes the org file
        yield base
    finally:
        _stop(server)
        _stop(provider)


def test_sign_in_with_openid_connect_in_the_browser(browser: Any, signed_portal: str) -> None:
    context = browser.new_context(base_url=signed_portal)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/catalog")
    assert "/sign-in?returnTo=%2Fcatalog" in page.url
    page.get_by_role("link", name="Sign in with OpenID Connect").click()
    page.wait_for_selector("input[name=sub]")
    assert page.url.startswith(signed_portal.rsplit(":", 1)[0])  # at the provider, on 127.0.0.1
    page.fill("input[name=sub]", "alice@example.com")
    page.get_by_role("button", name="Authorize").click()
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
