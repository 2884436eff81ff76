"""A real OpenID provider on 127.0.0.1: panva's `oidc-provider` (OpenID Certified) from npm, run with Node.

`oidc-idp/server.mjs` configures it with the static users and clients below; people sign in through its login
and consent pages. `sign_in_over_http` fills those forms with httpx, as a browser would.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import html

from support.npm import node_modules

FOLDER = Path(__file__).with_name("oidc-idp")
CLIENT_ID = "greenroom"
ES256_CLIENT_ID = "greenroom-es256"  # a second client whose ID tokens are signed with ES256 instead of RS256
CLIENT_SECRET = "client-secret-for-tests"


@dataclass(frozen=True)
class IdpUser:
    login: str
    password: str
    name: str
    groups: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        return self.login


ALICE = IdpUser("alice@example.com", "alice-password", "Alice Doe", ["team-a"])
BOB = IdpUser("bob@corp.example.net", "bob-password", "Bob B.", [])
MALLORY = IdpUser("mallory@example.com", "mallory-password", "Mallory", [])  # no User entity in the catalog
ALICE_ELSEWHERE = IdpUser("alice@elsewhere.org", "other-password", "Another Alice", [])
USERS = (ALICE, BOB, MALLORY, ALICE_ELSEWHERE)


@dataclass(frozen=True)
class OidcIdp:
    issuer: str
    log: Path

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@contextmanager
def running_idp(redirect_uris: list[str], folder: Path) -> Iterator[OidcIdp]:
    """Start the provider with clients that may return to `redirect_uris`; stop it on exit."""
    node_modules(FOLDER)
    ready = folder / "idp-ready"
    ready.unlink(missing_ok=True)
    config = {"ready_file": str(ready),
              "clients": [{"client_id": client, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris,
                           "id_token_signed_response_alg": alg}
                          for client, alg in ((CLIENT_ID, "RS256"), (ES256_CLIENT_ID, "ES256"))],
              "users": [{"login": u.login, "password": u.password, "email": u.email, "name": u.name,
                         "groups": u.groups} for u in USERS]}
    log = folder / "idp.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["node", str(FOLDER / "server.mjs")], cwd=FOLDER, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "GREENROOM_IDP_CONFIG": json.dumps(config)})
    try:
        deadline = time.monotonic() + 60
        while not (ready.is_file() and ready.read_text()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OpenID provider did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield OidcIdp(ready.read_text().strip(), log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _submit(browser: httpx.Client, page: httpx.Response, values: dict[str, str], button: str) -> httpx.Response:
    """Submit the form of `page` that holds the button labelled `button`, with `values` in its inputs."""
    tree = html.fromstring(page.text)
    forms = [f for f in tree.forms if any(b.text_content().strip() == button for b in f.iter("button"))]
    assert forms, f"no form with a {button!r} button in:\n{page.text[:2000]}"
    form = forms[0]
    data = {i.name: i.value or "" for i in form.inputs if i.name and i.tag == "input"}
    data.update(values)
    return browser.post(urljoin(str(page.url), form.action), data=data)


def sign_in_over_http(authorize_url: str, user: IdpUser, password: str | None = None) -> str:
    """Sign in at the provider as `user` (login form, then consent) and return the URL it sends the browser
    back to; an AssertionError when the provider does not send it back."""
    issuer = urlsplit(authorize_url).netloc
    with httpx.Client(timeout=15) as browser:
        response = browser.get(authorize_url)
        for _ in range(12):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if urlsplit(target).netloc != issuer:
                    return target
                response = browser.get(target)
            elif "Sign in" in response.text and 'name="password"' in response.text:
                response = _submit(browser, response, {"login": user.login,
                                                       "password": password or user.password}, "Sign in")
                if response.status_code == 401:
                    raise AssertionError("the provider refused the password")
            elif "Allow access" in response.text:
                response = _submit(browser, response, {}, "Allow")
            else:
                raise AssertionError(f"unexpected page at the provider ({response.status_code}):\n{response.text}")
    raise AssertionError("the provider never sent the browser back")
