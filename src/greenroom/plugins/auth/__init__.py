"""Sign-in, identity and tokens: providers (guest, OpenID Connect, GitHub, GitLab, Microsoft, Okta), sign-in
resolvers over the catalog's users, ES256 user tokens with rotating keys and a JWKS, external callers, the
audit log. With no provider but guest configured, everyone is the guest and nothing needs signing in."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from greenroom import (
    HeaderWidget,
    NavItem,
    Permission,
    PluginContext,
    PluginManifest,
    ScheduledJob,
    __version__,
    hookimpl,
)
from greenroom.plugins.auth.config import AuthConfig
from greenroom.plugins.auth.pages import AUDIT_PERMISSION, pages_router
from greenroom.plugins.auth.routes import auth_router
from greenroom.plugins.auth.runtime import AuthRuntime

manifest = PluginManifest(id="auth", name="Sign-in", version=__version__, config_model=AuthConfig,
                          description="Sign-in providers, user tokens, external callers and the audit log.")

_runtimes: dict[int, AuthRuntime] = {}
PUBLIC = ["/sign-in", "/api/auth/"]


def _config(ctx: PluginContext) -> AuthConfig:
    assert isinstance(ctx.config, AuthConfig)
    return ctx.config


def runtime_of(ctx: PluginContext) -> AuthRuntime:
    """The running auth plugin of this portal."""
    found = _runtimes.get(id(ctx.core))
    if found is None:
        raise RuntimeError("the auth plugin has not started")
    return found


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def permissions() -> list[Permission]:
    return [Permission(AUDIT_PERMISSION, description="Read the audit log")]


@hookimpl
def startup(ctx: PluginContext) -> None:
    config = _config(ctx)
    runtime = AuthRuntime.build(ctx, config)
    _runtimes[id(ctx.core)] = runtime
    runtime.keys.rotate()
    ctx.identity.resolver = runtime.resolve
    ctx.identity.public_paths.extend(PUBLIC)
    ctx.identity.sign_in_required = config.sign_in_required
    ctx.audit.sinks.append(runtime.store_event)


@hookimpl
def shutdown(ctx: PluginContext) -> None:
    _runtimes.pop(id(ctx.core), None)


@hookimpl
def scheduled_jobs(ctx: PluginContext) -> list[ScheduledJob]:
    def rotate() -> None:
        found = _runtimes.get(id(ctx.core))
        if found is not None:
            found.keys.rotate()

    return [ScheduledJob("rotate-keys", rotate, interval=60.0, initial_delay=60.0)]


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    return auth_router(lambda: runtime_of(ctx))


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    return pages_router(lambda: runtime_of(ctx))


@hookimpl
def header_widgets() -> list[HeaderWidget]:
    """A sign-out button, shown to people signed in with a session."""
    return [HeaderWidget("sign-out", "auth/sign_out_widget.html", order=900)]


@hookimpl
def nav_items() -> list[NavItem]:
    """The audit log, in the sidebar of those allowed to read it."""
    return [NavItem("Audit log", "/admin/audit", icon="history", order=960, permission=AUDIT_PERMISSION)]
