"""Hooks the permission plugin publishes: a Python policy for what the policy file cannot say."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from greenroom.services.identity import Identity
    from greenroom.services.permissions import Permission, PolicyDecision

hookspec = pluggy.HookspecMarker("greenroom")


@hookspec(firstresult=True)
def permission_decide(identity: Identity, permission: Permission) -> PolicyDecision | None:
    """Decide a permission before the policy file does; return None to leave the decision to the file."""
