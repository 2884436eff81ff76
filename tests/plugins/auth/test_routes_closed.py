"""No route is open by mistake: with sign-in required, every route of the app turns anonymous callers away,
except an explicit list of public ones; and every catalog API route checks its permission."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auth_fixtures import SECRET, Factory, org_config, settle
from starlette.testclient import TestClient

from greenroom.plugins.auth import runtime_of

AUTH = {"providers": {"github": {"clientId": "id", "clientSecret": "secret"}}, "session": {"secret": SECRET}}
# The only routes anonymous callers may reach: health, static files, branding, sign-in and the token keys.
PUBLIC = {
    "/healthcheck", "/.well-known/health/liveness", "/.well-known/health/readiness",
    "/.backstage/health/v1/liveness", "/.backstage/health/v1/readiness", "/branding.css", "/branding/logo",
    "/branding/favicon", "/sign-in", "/api/auth/guest/start", "/api/auth/{provider}/start",
    "/api/auth/{provider}/handler/frame", "/api/auth/{provider}/refresh", "/api/auth/{provider}/logout",
    "/api/auth/.well-known/jwks.json", "/api/auth/.well-known/openid-configuration", "/api/auth/v1/userinfo",
}
STATIC_PREFIX = "/static/"


def all_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, mounted routers included."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for found in contexts():
                for method in sorted(found.methods or {"GET"}):
                    yield method, found.path
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            yield method, route.path


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_needs_sign_in_unless_listed_public(portal_factory: Factory, tmp_path: Path) -> None:
    client = portal_factory(config=org_config(tmp_path, **AUTH), raise_server_exceptions=False)
    routes = sorted(set(all_routes(client.app)))
    assert len(routes) > 60
    served = {path for _, path in routes}
    assert served | {"/branding/logo", "/branding/favicon"} >= PUBLIC, PUBLIC - served
    for method, path in routes:
        if path in PUBLIC or path.startswith(STATIC_PREFIX) or method == "HEAD":
            continue
        url = _concrete(path)
        api = client.request(method, url, headers={"accept": "application/json"}, follow_redirects=False)
        assert api.status_code == 401, f"{method} {path} answered {api.status_code} without sign-in"
        if method == "GET" and not path.startswith("/api/"):
            page = client.get(url, headers={"accept": "text/html"}, follow_redirects=False)
            assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?returnTo="), path


POLICY = "roles:\n  - name: nothing\n    members: ['*']\n    allow: [{permission: permission.policy.read}]\n"
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/catalog/entities/by-query"): {},
    ("POST", "/api/catalog/entities/by-refs"): {"entityRefs": ["component:default/checkout"]},
    ("POST", "/api/catalog/entity-facets"): {"facets": ["kind"]},
    ("POST", "/api/catalog/refresh"): {"entityRef": "component:default/checkout"},
    ("POST", "/api/catalog/validate-entity"): {"entity": {}, "location": "url:https://example.com/x.yaml"},
    ("POST", "/api/catalog/locations"): {"type": "url", "target": "https://example.com/x.yaml"},
    ("POST", "/api/catalog/locations/by-query"): {},
    ("PUT", "/api/catalog/locations/{location_id}"): {"type": "url", "target": "https://example.com/y.yaml"},
    ("POST", "/api/catalog/analyze-location"): {"location": {"type": "url", "target": "https://example.com/x"}},
}
PATHS = {"{kind}": "component", "{namespace}": "default", "{name}": "checkout"}


def test_every_catalog_api_route_checks_its_permission(portal_factory: Factory, tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    config = org_config(tmp_path, **AUTH)
    config["permission"] = {"enabled": True, "policy": str(tmp_path / "policy.yaml")}
    client: TestClient = portal_factory(config=config)
    settle(client)
    runtime = runtime_of(client.app.state.portal.contexts["auth"])  # type: ignore[attr-defined]
    nobody = {"authorization": f"Bearer {runtime.tokens.issue('user:default/alice', ['user:default/alice'])}"}
    for method, path in sorted(set(all_routes(client.app))):
        if not path.startswith("/api/catalog/") or method == "HEAD":
            continue
        url = path
        for key, value in PATHS.items():
            url = url.replace(key, value)
        url = _concrete(url) + ("?facet=kind" if path.endswith("/entity-facets") else "")
        answer = client.request(method, url, headers=nobody, json=BODIES.get((method, path)))
        if answer.status_code in (403, 404):
            continue
        assert answer.status_code == 200 and method in ("GET", "POST"), f"{method} {path}: {answer.status_code}"
        body = answer.json()
        items = body.get("items", body.get("facets")) if isinstance(body, dict) else body
        flat = items if isinstance(items, list) else [v for vs in items.values() for v in vs]
        assert not [i for i in flat if i], f"{method} {path} showed entities to a user allowed none"
