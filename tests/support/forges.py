"""Stand-ins for GitHub and GitLab on 127.0.0.1, serving exactly the OAuth endpoints and user APIs the sign-in
providers call, with the request and answer shapes the two document:

- GitHub (docs.github.com, "Authorizing OAuth apps"): `GET /login/oauth/authorize`, `POST /login/oauth/access_token`
  (form-encoded answers unless `Accept: application/json`; a refused code is HTTP 200 with an `error` field),
  `GET /user` and `GET /user/emails`, also under `/api/v3` as on GitHub Enterprise Server.
- GitLab (docs.gitlab.com, "OAuth 2.0 identity provider API"): `GET /oauth/authorize`, `POST /oauth/token`,
  `GET /api/v4/user`.

Both check the client, the registered redirect URI, single use of codes and PKCE (S256). There is no login page:
`signed_in_as` is who the browser is signed in to the forge as.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "forge-client"
CLIENT_SECRET = "forge-client-secret"


@dataclass
class ForgeUser:
    id: int
    login: str
    name: str
    public_email: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)  # GitHub's /user/emails entries


@dataclass
class _Grant:
    user: ForgeUser
    redirect_uri: str
    challenge: str | None


@dataclass
class Forge:
    """One fake forge: `kind` is "github" or "gitlab"; `redirect_uri` is the one registered for the client."""

    kind: str
    redirect_uri: str
    users: dict[str, ForgeUser]
    signed_in_as: str | None = None
    base_url: str = ""
    requests: list[str] = field(default_factory=list)
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _tokens: dict[str, ForgeUser] = field(default_factory=dict)

    def app(self) -> Starlette:
        if self.kind == "github":
            routes = [Route("/login/oauth/authorize", self.authorize),
                      Route("/login/oauth/access_token", self.github_token, methods=["POST"])]
            for prefix in ("", "/api/v3"):
                routes += [Route(f"{prefix}/user", self.github_user), Route(f"{prefix}/user/emails", self.emails)]
        else:
            routes = [Route("/oauth/authorize", self.authorize),
                      Route("/oauth/token", self.gitlab_token, methods=["POST"]),
                      Route("/api/v4/user", self.gitlab_user)]
        return Starlette(routes=routes)

    async def authorize(self, request: Request) -> Response:
        self.requests.append(f"GET {request.url.path}")
        query = request.query_params
        if query.get("client_id") != CLIENT_ID:
            return PlainTextResponse("unknown client", status_code=404)
        if query.get("redirect_uri") != self.redirect_uri:  # both forges refuse unregistered redirect URIs
            return PlainTextResponse("The redirect_uri is not associated with this application.", status_code=400)
        if self.kind == "gitlab" and query.get("response_type") != "code":
            return PlainTextResponse("unsupported response_type", status_code=400)
        user = self.users.get(self.signed_in_as or "")
        if user is None:
            return PlainTextResponse("sign in to the forge first", status_code=401)
        method = query.get("code_challenge_method")
        if method is not None and method != "S256":
            return PlainTextResponse("only S256", status_code=400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Grant(user, self.redirect_uri, query.get("code_challenge"))
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(back)}", status_code=302)

    async def _exchange(self, request: Request) -> tuple[str | None, str | None]:
        """(access token, error) for a token request, checking client, code, redirect URI and PKCE."""
        form = await request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return None, "incorrect_client_credentials" if self.kind == "github" else "invalid_client"
        grant = self._codes.pop(str(form.get("code", "")), None)  # a code is good once
        if grant is None:
            return None, "bad_verification_code" if self.kind == "github" else "invalid_grant"
        if form.get("redirect_uri") not in (None, grant.redirect_uri):
            return None, "redirect_uri_mismatch" if self.kind == "github" else "invalid_grant"
        if grant.challenge is not None:
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant.challenge:
                return None, "bad_verification_code" if self.kind == "github" else "invalid_grant"
        token = ("gho_" if self.kind == "github" else "glpat-") + secrets.token_urlsafe(24)
        self._tokens[token] = grant.user
        return token, None

    async def github_token(self, request: Request) -> Response:
        self.requests.append(f"POST {request.url.path} accept={request.headers.get('accept', '')}")
        token, error = await self._exchange(request)
        # GitHub answers HTTP 200 for refused codes too, with an `error` field.
        body = {"error": error} if error else {"access_token": token, "token_type": "bearer",
                                               "scope": "read:user,user:email"}
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(body)
        return PlainTextResponse(urlencode(body), media_type="application/x-www-form-urlencoded")

    async def gitlab_token(self, request: Request) -> Response:
        self.requests.append(f"POST {request.url.path}")
        form = await request.form()
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token, error = await self._exchange(request)
        if error:
            return JSONResponse({"error": error}, status_code=401 if error == "invalid_client" else 400)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 7200,
                             "refresh_token": secrets.token_urlsafe(24), "scope": "read_user",
                             "created_at": int(time.time())})

    def _caller(self, request: Request) -> ForgeUser | None:
        self.requests.append(f"GET {request.url.path}")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self._tokens.get(token) if scheme.lower() in ("bearer", "token") else None

    async def github_user(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return JSONResponse({"message": "Requires authentication"}, status_code=401)
        return JSONResponse({"login": user.login, "id": user.id, "type": "User", "name": user.name,
                             "email": user.public_email, "html_url": f"{self.base_url}/{user.login}"})

    async def emails(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return JSONResponse({"message": "Requires authentication"}, status_code=401)
        return JSONResponse(user.emails)

    async def gitlab_user(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
        return JSONResponse({"id": user.id, "username": user.login, "name": user.name, "state": "active",
                             "email": user.public_email, "web_url": f"{self.base_url}/{user.login}"})


@contextmanager
def serving(forge: Forge) -> Iterator[Forge]:
    """Serve `forge` on a free port of 127.0.0.1 (uvicorn in a thread) until the block ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    forge.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(forge.app(), log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake forge did not start")
        time.sleep(0.02)
    try:
        yield forge
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
