"""Sign-in resolvers: from what a provider says about a person to a User entity of the catalog.

Resolvers are tried in the configured order; the first that finds exactly one User entity wins. Ownership refs
are the user and its groups, transitively through parent groups, read through the catalog's published service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from greenroom.plugins.auth.config import ResolverConfig
from greenroom.plugins.catalog.service import CATALOG_SERVICE, CatalogService
from greenroom.services.identity import Identity


class SignInRefused(Exception):
    """Nobody in the catalog matches the person; the message is shown on the refusal page."""


@dataclass(frozen=True)
class Profile:
    """What a provider tells about the person who signed in."""

    provider: str
    email: str | None = None
    username: str | None = None
    user_id: str | None = None
    display_name: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


DEFAULT_ANNOTATIONS = {
    ("emailMatchingUserEntityAnnotation", "microsoft"): "microsoft.com/email",
    ("emailMatchingUserEntityAnnotation", "okta"): "okta.com/email",
    ("userIdMatchingUserEntityAnnotation", "github"): "github.com/user-id",
    ("userIdMatchingUserEntityAnnotation", "gitlab"): "gitlab.com/user-id",
}


def _ref(entity: dict[str, Any]) -> str:
    meta = entity.get("metadata") or {}
    return f"user:{meta.get('namespace') or 'default'}/{meta.get('name')}".lower()


def _query(rule: ResolverConfig, profile: Profile) -> tuple[dict[str, Any] | None, str]:
    """The catalog predicate a resolver looks for, and the ref to use without a catalog user."""
    email = profile.email
    name = rule.resolver
    if name == "emailMatchingUserEntityProfileEmail" and email:
        return {"kind": "user", "spec.profile.email": email}, f"user:default/{email.split('@')[0]}"
    if name == "emailLocalPartMatchingUserEntityName" and email:
        local = email.split("@")[0]
        return {"kind": "user", "metadata.name": local}, f"user:default/{local}"
    if name == "usernameMatchingUserEntityName" and profile.username:
        return {"kind": "user", "metadata.name": profile.username}, f"user:default/{profile.username}"
    annotation = rule.annotation or DEFAULT_ANNOTATIONS.get((name, profile.provider))
    if name == "emailMatchingUserEntityAnnotation" and email and annotation:
        return {"kind": "user", f"metadata.annotations.{annotation}": email}, f"user:default/{email.split('@')[0]}"
    if name == "userIdMatchingUserEntityAnnotation" and profile.user_id and annotation:
        return ({"kind": "user", f"metadata.annotations.{annotation}": profile.user_id},
                f"user:default/{profile.username or profile.user_id}")
    return None, ""


def resolve(catalog: CatalogService | None, rules: list[ResolverConfig], profile: Profile) -> Identity:
    """The identity of the person, or SignInRefused naming why nobody matched."""
    tried: list[str] = []
    for rule in rules:
        if rule.allowedDomains is not None:
            domain = (profile.email or "").rpartition("@")[2].lower()
            if domain not in [d.lower() for d in rule.allowedDomains]:
                tried.append(f"{rule.resolver} (email domain not allowed)")
                continue
        predicate, fallback = _query(rule, profile)
        if predicate is None:
            tried.append(f"{rule.resolver} (the provider gave no {rule.resolver[:5].lower()} to match)")
            continue
        found = catalog.find_entities(predicate, limit=2) if catalog is not None else []
        if len(found) == 1:
            ref = _ref(found[0])
            assert catalog is not None
            spec = found[0].get("spec") or {}
            shown = (spec.get("profile") or {}).get("displayName") or profile.display_name or ref
            return Identity(user_ref=ref, ownership_refs=tuple(catalog.ownership_refs(ref)), display_name=str(shown),
                            email=profile.email)
        if len(found) > 1:
            tried.append(f"{rule.resolver} (several users match)")
            continue
        if rule.dangerouslyAllowSignInWithoutUserInCatalog and fallback:
            ref = fallback.lower()
            return Identity(user_ref=ref, ownership_refs=(ref,), display_name=profile.display_name or ref,
                            email=profile.email)
        tried.append(f"{rule.resolver} (no matching user)")
    raise SignInRefused("No user in the catalog matches this sign-in: tried " + "; ".join(tried))


def catalog_of(services: Any) -> CatalogService | None:
    """The catalog's published service, when the catalog plugin runs."""
    found: CatalogService | None = services.find(CATALOG_SERVICE)
    return found
