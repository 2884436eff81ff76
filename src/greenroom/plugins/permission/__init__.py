"""Permissions: a YAML policy file of roles, a Python hook for the rest, Backstage's evaluation endpoint and an
admin page of effective permissions. Off (allow-all) unless `permission.enabled` is true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from greenroom import NavItem, Permission, PluginContext, PluginManifest, __version__, hookimpl
from greenroom.plugins.permission import extension_points
from greenroom.plugins.permission.config import PermissionConfig
from greenroom.plugins.permission.policy import FilePolicy, load_policy
from greenroom.plugins.permission.routes import ADMIN_PERMISSION, api_router, pages_router
from greenroom.services.identity import Identity
from greenroom.services.permissions import PolicyDecision

manifest = PluginManifest(id="permission", name="Permissions", version=__version__, config_model=PermissionConfig,
                          hookspecs=extension_points,
                          description="Who may do what: a policy file of roles and conditional decisions.")

_policies: dict[int, FilePolicy] = {}


def _config(ctx: PluginContext) -> PermissionConfig:
    assert isinstance(ctx.config, PermissionConfig)
    return ctx.config


@hookimpl
def permissions() -> list[Permission]:
    return [Permission(ADMIN_PERMISSION, description="See anyone's effective permissions")]


@hookimpl
def nav_items() -> list[NavItem]:
    """The effective permissions page, in the sidebar of those allowed to see it."""
    return [NavItem("Permissions", "/admin/permissions", icon="admin_panel_settings", order=950,
                    permission=ADMIN_PERMISSION)]


@hookimpl
def register_routes(ctx: PluginContext) -> APIRouter:
    # Permissions are all declared before routes are registered, so the policy file is checked here, while the
    # app is assembled: a wrong file stops start-up with a message naming the file and the field.
    config = _config(ctx)
    if config.enabled and config.policy:
        hook = ctx.hook

        def decide(identity: Identity, permission: Permission) -> PolicyDecision | None:
            found: Any = hook.permission_decide(identity=identity, permission=permission)
            return found if isinstance(found, PolicyDecision) else None

        _policies[id(ctx.core)] = FilePolicy(load_policy(Path(config.policy), ctx.permissions.declared), decide)
    return api_router(ctx)


@hookimpl
def register_pages(ctx: PluginContext) -> APIRouter:
    return pages_router(ctx)


@hookimpl
def startup(ctx: PluginContext) -> None:
    policy = _policies.pop(id(ctx.core), None)
    if policy is not None:
        ctx.permissions.policy = policy
