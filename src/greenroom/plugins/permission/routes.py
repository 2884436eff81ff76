"""`POST /api/permission/authorize` (Backstage's shape) and the admin page of effective permissions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

from greenroom import PluginContext
from greenroom.plugins.catalog.service import CATALOG_SERVICE
from greenroom.services.identity import Identity, current_identity
from greenroom.services.permissions import Decision

ADMIN_PERMISSION = "permission.policy.read"


class PermissionBody(BaseModel):
    type: str = "basic"
    name: str = Field(min_length=1)
    attributes: dict[str, Any] = {}
    resourceType: str | None = None


class AuthorizeItem(BaseModel):
    id: str = Field(min_length=1)
    permission: PermissionBody
    resourceRef: str | None = None


class AuthorizeBody(BaseModel):
    items: list[AuthorizeItem] = Field(max_length=1000)


def api_router(ctx: PluginContext) -> APIRouter:
    router = APIRouter(tags=["permission"])
    permissions = ctx.permissions

    @router.post("/authorize", summary="Decide permissions for the caller (Backstage's evaluation endpoint)")
    def authorize(request: Request, body: AuthorizeBody) -> dict[str, Any]:
        who = current_identity(request)
        answers: list[dict[str, Any]] = []
        for item in body.items:
            name = item.permission.name
            if item.resourceRef is not None:
                answers.append({"id": item.id, "result": permissions.authorize_resource(who, name, item.resourceRef)})
                continue
            decision = permissions.evaluate(who, name)
            answer: dict[str, Any] = {"id": item.id, "result": decision.result}
            if decision.result is Decision.CONDITIONAL:
                perm = permissions.declared[name]
                answer.update(pluginId=permissions.owner_of(name), resourceType=perm.resource_type,
                              conditions=decision.conditions)
            answers.append(answer)
        return {"items": answers}

    return router


def pages_router(ctx: PluginContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/admin/permissions")
    async def effective(request: Request, user: str | None = None) -> Response:
        viewer = current_identity(request)
        if not ctx.permissions.allowed(viewer, ADMIN_PERMISSION):
            raise HTTPException(403, "only admins may read the permissions of others")
        subject: Identity | None = viewer
        if user:
            ref = user.strip().lower()
            if ":" not in ref:
                ref = f"user:default/{ref}"
            catalog = ctx.services.find(CATALOG_SERVICE)
            refs = tuple(catalog.ownership_refs(ref)) if catalog is not None else (ref,)
            subject = Identity(user_ref=ref, ownership_refs=refs, display_name=ref)
        rows = []
        for name, perm in sorted(ctx.permissions.declared.items()):
            decision = ctx.permissions.evaluate(subject, name)
            rows.append({"name": name, "description": perm.description, "resource_type": perm.resource_type,
                         "result": decision.result, "conditions": decision.conditions})
        return await ctx.templates.render(request, "permission/effective.html",
                                          {"subject": subject, "rows": rows, "user": user or ""})

    return router
