"""`/api/auth`: starting and finishing sign-in, refreshing, signing out, the JWKS and userinfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from greenroom.plugins.auth.providers import ProviderError
from greenroom.plugins.auth.resolvers import SignInRefused, catalog_of, resolve
from greenroom.plugins.auth.runtime import AuthRuntime
from greenroom.plugins.auth.session import FLOW_COOKIE, clear_session, safe_return, set_session, sign, unsign
from greenroom.services.identity import Identity


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def auth_router(get: Callable[[], AuthRuntime]) -> APIRouter:
    router = APIRouter(tags=["auth"])

    def limit(request: Request, runtime: AuthRuntime) -> None:
        if not runtime.limiter.allow(_client(request)):
            runtime.refused(request, "sign-in attempt", "rate limit")
            raise HTTPException(429, "too many sign-in attempts; wait a minute")

    def redirect_uri(runtime: AuthRuntime, provider: str) -> str:
        return runtime.ctx.app_config.backend.baseUrl.rstrip("/") + f"/api/auth/{provider}/handler/frame"

    def signed_in(request: Request, runtime: AuthRuntime, who: Identity, target: str, provider: str) -> Response:
        token = runtime.tokens.issue(who.user_ref, list(who.ownership_refs), name=who.display_name,
                                     auth_time=int(runtime.tokens.clock()),
                                     **({"email": who.email} if who.email else {}))
        response = RedirectResponse(target, status_code=303)
        set_session(response, token, runtime.config.session.expirationSeconds, runtime.secure_cookies)
        response.delete_cookie(FLOW_COOKIE, path="/api/auth/")
        request.scope["greenroom.identity"] = who
        runtime.ctx.audit.record_request(request, "auth.sign-in", who.user_ref, provider=provider)
        return response

    def checked_return(request: Request, runtime: AuthRuntime, value: str | None) -> str:
        target = safe_return(value)
        if value and target is None:
            runtime.refused(request, "return URL", f"not a path on this site: {value[:200]!r}")
        return target or "/"

    @router.get("/guest/start", summary="Sign in as the guest (when the guest provider is configured)")
    async def guest_start(request: Request, returnTo: str | None = None) -> Response:
        runtime = get()
        guest = runtime.config.providers.guest
        if guest is None:
            raise HTTPException(404, "the guest provider is not configured")
        limit(request, runtime)
        ref = guest.userEntityRef.lower()
        catalog = catalog_of(runtime.ctx.services)
        refs = tuple(catalog.ownership_refs(ref)) if catalog is not None else (ref,)
        who = Identity(user_ref=ref, ownership_refs=refs, display_name="Guest")
        return signed_in(request, runtime, who, checked_return(request, runtime, returnTo), "guest")

    @router.get("/{provider}/start", summary="Start signing in with a provider")
    async def start(request: Request, provider: str, returnTo: str | None = None) -> Response:
        runtime = get()
        found = runtime.providers.get(provider)
        if found is None:
            raise HTTPException(404, f"no sign-in provider {provider!r} is configured")
        limit(request, runtime)
        url, flow = await found.start(redirect_uri(runtime, provider))
        secret = runtime.config.session.secret or ""
        flow.update(provider=provider, returnTo=checked_return(request, runtime, returnTo))
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(FLOW_COOKIE, sign(secret, flow), max_age=600, httponly=True, samesite="lax",
                            secure=runtime.secure_cookies, path="/api/auth/")
        return response

    @router.get("/{provider}/handler/frame", summary="Where the provider sends the person back")
    async def handler(request: Request, provider: str, code: str | None = None, state: str | None = None,
                      error: str | None = None) -> Response:
        runtime = get()
        found = runtime.providers.get(provider)
        if found is None:
            raise HTTPException(404, f"no sign-in provider {provider!r} is configured")
        limit(request, runtime)
        flow = unsign(runtime.config.session.secret or "", request.cookies.get(FLOW_COOKIE))
        if error or not code or flow is None or flow.get("provider") != provider or flow.get("state") != state:
            reason = error or ("missing or tampered flow cookie" if flow is None else "state mismatch")
            runtime.refused(request, "sign-in callback", reason)
            runtime.ctx.audit.record_request(request, "auth.sign-in", provider, outcome="failure", reason=reason)
            return await refusal(request, runtime, "The sign-in could not be completed. Please start again.")
        try:
            profile = await found.finish(redirect_uri(runtime, provider), code, flow)
            who = resolve(catalog_of(runtime.ctx.services), found.config.signIn.resolvers, profile)
        except (ProviderError, SignInRefused) as exc:
            runtime.refused(request, "sign-in", str(exc))
            runtime.ctx.audit.record_request(request, "auth.sign-in", provider, outcome="failure", reason=str(exc))
            return await refusal(request, runtime, str(exc) if isinstance(exc, SignInRefused)
                                 else "The provider's answer could not be verified.")
        return signed_in(request, runtime, who, str(flow.get("returnTo") or "/"), provider)

    async def refusal(request: Request, runtime: AuthRuntime, message: str) -> Response:
        response = await runtime.ctx.templates.render(request, "auth/refused.html", {"message": message},
                                                      status_code=403)
        response.delete_cookie(FLOW_COOKIE, path="/api/auth/")
        return response

    @router.get("/{provider}/refresh", summary="The signed-in identity and a fresh token")
    async def refresh(request: Request, provider: str) -> Response:
        runtime = get()
        if request.headers.get("x-requested-with") != "XMLHttpRequest":
            raise HTTPException(401, "the X-Requested-With header is required")
        who = await runtime.ctx.identity.identify(request)
        if who is None or who.principal != "user":
            raise HTTPException(401, "not signed in")
        # The fresh token ends with the session at the latest: refreshing must not outlive the maximum lifetime.
        now = int(runtime.tokens.clock())
        expires = min(now + runtime.tokens.lifetime, runtime.tokens.session_end(who.claims))
        token = runtime.tokens.issue(who.user_ref, list(who.ownership_refs), name=who.display_name, exp=expires,
                                     **({"auth_time": who.claims["auth_time"]} if "auth_time" in who.claims else {}))
        return JSONResponse({"profile": {"displayName": who.display_name, "email": who.email},
                             "providerInfo": {}, "backstageIdentity": {
                                 "token": token, "expiresInSeconds": expires - now,
                                 "identity": {"type": "user", "userEntityRef": who.user_ref,
                                              "ownershipEntityRefs": list(who.ownership_refs)}}})

    @router.post("/{provider}/logout", summary="Sign out (clears the session cookie)")
    async def logout(request: Request, provider: str) -> Response:
        runtime = get()
        response = Response(status_code=200)
        clear_session(response, runtime.secure_cookies)
        runtime.ctx.audit.record_request(request, "auth.sign-out")
        return response

    @router.get("/.well-known/jwks.json", summary="The public keys that verify user tokens")
    def jwks() -> dict[str, Any]:
        return get().keys.jwks()

    @router.get("/.well-known/openid-configuration", summary="Where the token issuer publishes its keys")
    def openid_configuration() -> dict[str, Any]:
        issuer = get().tokens.issuer
        return {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["ES256"], "subject_types_supported": ["public"],
                "response_types_supported": ["code"], "userinfo_endpoint": f"{issuer}/v1/userinfo"}

    @router.get("/v1/userinfo", summary="Who the caller's token belongs to")
    async def userinfo(request: Request) -> dict[str, Any]:
        who = await get().ctx.identity.identify(request)
        if who is None:
            raise HTTPException(401, "not signed in")
        return {"claims": {"sub": who.user_ref, "ent": list(who.ownership_refs)}}

    return router


def sign_in_url(provider: str, return_to: str) -> str:
    return f"/api/auth/{provider}/start?returnTo={quote(return_to, safe='')}"
