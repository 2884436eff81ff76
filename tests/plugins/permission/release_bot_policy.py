"""A fixture plugin with a Python policy: the release bot may register locations, whatever the policy file says."""

from __future__ import annotations

from greenroom import Permission, PluginManifest, hookimpl
from greenroom.services.identity import Identity
from greenroom.services.permissions import Decision, PolicyDecision

manifest = PluginManifest(id="release-bot-policy", name="Release bot policy", version="1.0",
                          requires=("permission",))


@hookimpl
def permission_decide(identity: Identity, permission: Permission) -> PolicyDecision | None:
    if permission.name == "catalog.location.create" and identity.user_ref == "user:default/release-bot":
        return PolicyDecision(Decision.ALLOW)
    return None
