"""External callers whose JWTs are checked against a JWKS served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from auth_fixtures import SECRET, Factory, org_config
from joserfc import jwt
from joserfc.jwk import ECKey

KEY = ECKey.generate_key("P-256", parameters={"kid": "ci-key", "alg": "ES256"}, private=True)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    body = json.dumps({"keys": [KEY.as_dict(private=False)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


def _token(**claims: object) -> str:
    now = int(time.time())
    payload = {"iss": "https://ci.example.com", "aud": "greenroom", "sub": "repo:shop", "iat": now,
               "exp": now + 300, **claims}
    return jwt.encode({"alg": "ES256", "kid": "ci-key"}, payload, KEY)


def test_jwks_callers_are_verified_and_restricted(portal_factory: Factory, tmp_path: Path, jwks_url: str) -> None:
    auth = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET},
            "externalAccess": [{"type": "jwks", "options": {
                "url": jwks_url, "issuer": "https://ci.example.com", "audience": "greenroom", "subjectPrefix": "ci"},
                "accessRestrictions": [{"plugin": "catalog", "permission": ["catalog.entity.read"]}]}]}
    config = org_config(tmp_path, **auth)
    client = portal_factory(config=config)

    def call(token: str, path: str = "/api/catalog/entities") -> int:
        return client.get(path, headers={"authorization": f"Bearer {token}"}).status_code

    assert call(_token()) == 200
    assert call(_token(), "/api/plugins") == 403
    assert call(_token(aud="someone-else")) == 401
    assert call(_token(iss="https://evil.example.com")) == 401
    assert call(_token(exp=int(time.time()) - 10)) == 401
    other = ECKey.generate_key("P-256", parameters={"kid": "ci-key"}, private=True)
    assert call(jwt.encode({"alg": "ES256", "kid": "ci-key"}, {"sub": "x", "exp": int(time.time()) + 60}, other)) == 401


def test_permission_restrictions_hold_without_a_policy(portal_factory: Factory, tmp_path: Path) -> None:
    auth = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET},
            "externalAccess": [{"type": "static", "options": {"token": "reader-token-1", "subject": "reader"},
                                "accessRestrictions": [{"plugin": "catalog",
                                                        "permission": ["catalog.entity.read"]}]}]}
    client = portal_factory(config=org_config(tmp_path, **auth))
    reader = {"authorization": "Bearer reader-token-1"}
    assert client.get("/api/catalog/entities", headers=reader).status_code == 200
    assert client.get("/api/catalog/locations", headers=reader).status_code == 403
