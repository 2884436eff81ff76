"""Sign-in providers: OpenID Connect (generic, Microsoft Entra, Okta), GitHub and GitLab, through Authlib.

A flow's state, nonce and PKCE verifier travel in a short-lived cookie signed with the session secret, so any
replica can finish a flow another started.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from greenroom.plugins.auth.config import (
    GithubProviderConfig,
    GitlabProviderConfig,
    MicrosoftProviderConfig,
    OAuthProviderConfig,
    OidcProviderConfig,
    OktaProviderConfig,
)
from greenroom.plugins.auth.resolvers import Profile

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

TITLES = {"oidc": "OpenID Connect", "github": "GitHub", "gitlab": "GitLab", "microsoft": "Microsoft",
          "okta": "Okta", "guest": "Guest"}


class ProviderError(Exception):
    """The provider's answer cannot be used (bad state, failed exchange, invalid ID token)."""


@dataclass
class Provider:
    """One configured OAuth or OIDC provider."""

    id: str
    config: OAuthProviderConfig
    _metadata: dict[str, Any] | None = None
    _keys: tuple[float, KeySet] | None = None

    @property
    def title(self) -> str:
        return self.config.title or TITLES.get(self.id, self.id)

    @property
    def is_oidc(self) -> bool:
        return isinstance(self.config, OidcProviderConfig | MicrosoftProviderConfig | OktaProviderConfig)

    def metadata_url(self) -> str | None:
        cfg = self.config
        if isinstance(cfg, OidcProviderConfig):
            return cfg.metadataUrl
        if isinstance(cfg, MicrosoftProviderConfig):
            return f"https://login.microsoftonline.com/{cfg.tenantId}/v2.0/.well-known/openid-configuration"
        if isinstance(cfg, OktaProviderConfig):
            base = cfg.audience.rstrip("/") + (f"/oauth2/{cfg.authServerId}" if cfg.authServerId else "")
            return f"{base}/.well-known/openid-configuration"
        return None

    async def metadata(self) -> dict[str, Any]:
        """The endpoints: discovered for OIDC providers, fixed for GitHub and GitLab."""
        if self._metadata is not None:
            return self._metadata
        url = self.metadata_url()
        cfg = self.config
        if url is not None:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.get(url)
                response.raise_for_status()
                self._metadata = dict(response.json())
        elif isinstance(cfg, GithubProviderConfig):
            web = (cfg.enterpriseInstanceUrl or "https://github.com").rstrip("/")
            api = f"{web}/api/v3" if cfg.enterpriseInstanceUrl else "https://api.github.com"
            api = (cfg.apiBaseUrl or api).rstrip("/")
            self._metadata = {"authorization_endpoint": f"{web}/login/oauth/authorize",
                              "token_endpoint": f"{web}/login/oauth/access_token", "api": api}
        elif isinstance(cfg, GitlabProviderConfig):
            base = cfg.audience.rstrip("/")
            self._metadata = {"authorization_endpoint": f"{base}/oauth/authorize",
                              "token_endpoint": f"{base}/oauth/token", "api": f"{base}/api/v4"}
        return self._metadata or {}

    def scope(self) -> str:
        if self.config.scope:
            return self.config.scope
        if isinstance(self.config, GithubProviderConfig):
            return "read:user user:email"
        if isinstance(self.config, GitlabProviderConfig):
            return "read_user"
        return "openid profile email"

    def client(self, redirect_uri: str) -> AsyncOAuth2Client:
        # Imported on first sign-in: its OAuth client takes a tenth of a second to import, on every start.
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(client_id=self.config.clientId, client_secret=self.config.clientSecret,
                                 scope=self.scope(), redirect_uri=redirect_uri, code_challenge_method="S256",
                                 timeout=15)

    async def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider URL to send the person to, and the flow state to keep in the signed cookie."""
        meta = await self.metadata()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
        extra: dict[str, Any] = {"nonce": nonce} if self.is_oidc else {}
        if isinstance(self.config, OidcProviderConfig) and self.config.prompt:
            extra["prompt"] = self.config.prompt
        async with self.client(redirect_uri) as client:
            url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=state,
                                                     code_verifier=verifier, **extra)
        return url, {"state": state, "nonce": nonce, "verifier": verifier}

    async def finish(self, redirect_uri: str, code: str, flow: dict[str, str]) -> Profile:
        """Exchange the code and read who signed in."""
        meta = await self.metadata()
        async with self.client(redirect_uri) as client:
            try:
                token = await client.fetch_token(meta["token_endpoint"], code=code, code_verifier=flow["verifier"],
                                                 headers={"Accept": "application/json"})
            except Exception as exc:  # Authlib raises several types for a refused exchange
                raise ProviderError(f"the code exchange failed: {exc}") from exc
            if self.is_oidc:
                return await self._oidc_profile(client, meta, token, flow["nonce"])
            return await self._api_profile(client, meta)

    async def _oidc_profile(self, client: AsyncOAuth2Client, meta: dict[str, Any], token: dict[str, Any],
                            nonce: str) -> Profile:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError("the provider sent no ID token")
        try:
            found = jwt.decode(id_token, await self._jwks(meta), algorithms=["RS256", "ES256", "PS256", "EdDSA"])
            JWTClaimsRegistry(iss={"essential": True, "value": str(meta.get("issuer"))},
                              aud={"essential": True, "value": self.config.clientId},
                              nonce={"essential": True, "value": nonce}, exp={"essential": True},
                              sub={"essential": True}).validate(found.claims)
        except (JoseError, ValueError) as exc:
            raise ProviderError(f"invalid ID token: {type(exc).__name__}: {exc}") from exc
        claims = dict(found.claims)
        if "userinfo_endpoint" in meta and not claims.get("email"):
            response = await client.get(meta["userinfo_endpoint"])
            if response.status_code == 200:
                claims = {**response.json(), **claims}
        email = claims.get("email")
        return Profile(self.id, email=str(email) if email else None,
                       username=str(claims.get("preferred_username") or "") or None, user_id=str(claims["sub"]),
                       display_name=str(claims.get("name") or ""), raw=claims)

    async def _jwks(self, meta: dict[str, Any]) -> KeySet:
        if self._keys is not None and time.monotonic() - self._keys[0] < 300:
            return self._keys[1]
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(meta["jwks_uri"])
            response.raise_for_status()
        self._keys = (time.monotonic(), KeySet.import_key_set(response.json()))
        return self._keys[1]

    async def _api_profile(self, client: AsyncOAuth2Client, meta: dict[str, Any]) -> Profile:
        api = meta["api"]
        response = await client.get(f"{api}/user")
        if response.status_code != 200:
            raise ProviderError(f"reading the user failed with HTTP {response.status_code}")
        user = response.json()
        email = user.get("email")
        if not email and isinstance(self.config, GithubProviderConfig):
            emails = await client.get(f"{api}/user/emails")
            if emails.status_code == 200:
                email = next((e["email"] for e in emails.json() if e.get("primary") and e.get("verified")), None)
        username = user.get("login") or user.get("username")
        return Profile(self.id, email=email, username=username, user_id=str(user.get("id", "")),
                       display_name=str(user.get("name") or username or ""), raw=user)

