"""Listing the catalog under a conditional policy ("only owned entities are visible") against the same list
without a policy.

Usage::

    python bench/run_permission_bench.py [--entities 50000] [--groups 50] [--repeat 5]

Builds a portal on SQLite in a temporary folder with `--entities` components spread over `--groups` owning
groups, signs in as a member of one group, and times (best of `--repeat`) the full `GET /api/catalog/entities`
list and a `GET /api/catalog/entities/by-query` page with its total, once as an admin (policy says ALLOW: no
filter) and once as an owner (policy says CONDITIONAL: `relations.ownedBy IN ownership refs`, filtered in SQL).
The target is a ratio under 1.5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from greenroom.app import create_app
from greenroom.plugins.auth import runtime_of
from greenroom.plugins.catalog.service import CATALOG_SERVICE

POLICY = """\
roles:
  - name: owners
    members: ["*"]
    allow: [{permission: catalog.entity.read, owned: true}]
  - name: admins
    members: [user:default/admin]
    allow: [{permission: "*"}]
"""


def _catalog(folder: Path, entities: int, groups: int) -> Path:
    docs = [f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: g{g}}}\nspec: {{type: team}}\n"
            for g in range(groups)]
    docs.append("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: member}\n"
                "spec: {memberOf: [g0]}\n")
    docs += [f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: c{i}}}\n"
             f"spec: {{type: service, lifecycle: production, owner: g{i % groups}}}\n" for i in range(entities)]
    (folder / "catalog").mkdir()
    for part in range(0, len(docs), 5000):  # files of 5,000 entities, under the catalog's per-file limits
        (folder / "catalog" / f"part-{part // 5000:03d}.yaml").write_text("---\n".join(docs[part:part + 5000]),
                                                                         encoding="utf-8")
    return folder / "catalog" / "*.yaml"


def _best(repeat: int, fn: Callable[[], int]) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = fn()
        best = min(best, time.perf_counter() - start)
    return best, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog = _catalog(folder, args.entities, args.groups)
        (folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
        config = {
            "backend": {"database": {"url": f"sqlite:///{folder / 'bench.db'}"}},
            "catalog": {"locations": [{"type": "file", "target": str(catalog)}], "processingInterval": False,
                        "rules": [{"allow": ["Component", "Group", "User", "Location"]}]},
            "auth": {"providers": {"github": {"clientId": "bench", "clientSecret": "bench"}},
                     "session": {"secret": "b" * 40}},
            "permission": {"enabled": True, "policy": str(folder / "policy.yaml")},
        }
        with TestClient(create_app([], env={}, overrides=config)) as client:
            portal = client.app.state.portal  # type: ignore[attr-defined]
            started = time.perf_counter()
            service = portal.core.services.get(CATALOG_SERVICE)
            while service.run_until_idle(600):
                pass
            stored = len(service.find_entities({"kind": "component"}, limit=args.entities + 1))
            print(f"ingested {stored} components in {time.perf_counter() - started:.1f}s")
            if stored != args.entities:
                print("ingestion failed: see the catalog's processing errors", file=sys.stderr)
                return 1
            tokens = runtime_of(portal.contexts["auth"]).tokens
            admin = {"authorization": f"Bearer {tokens.issue('user:default/admin', ['user:default/admin'])}"}
            refs = service.ownership_refs("user:default/member")
            owner = {"authorization": f"Bearer {tokens.issue('user:default/member', refs)}"}
            # Owning every group: the same filter in the SQL, but every entity passes it, so the output is the same
            # as without a policy and the difference is the filter's own cost.
            every = ["user:default/member", *(f"group:default/g{g}" for g in range(args.groups))]
            owns_all = {"authorization": f"Bearer {tokens.issue('user:default/member', every)}"}
            rows = []
            for label, url in (("full list", "/api/catalog/entities"),
                               ("by-query page + total", "/api/catalog/entities/by-query?limit=100"
                                "&orderField=metadata.name,asc")):
                def get(headers: dict[str, str], url: str = url) -> int:
                    response = client.get(url, headers=headers)
                    response.raise_for_status()
                    return len(response.content)

                plain, plain_bytes = _best(args.repeat, lambda: get(admin))
                policed, policed_bytes = _best(args.repeat, lambda: get(owner))
                full, full_bytes = _best(args.repeat, lambda: get(owns_all))
                rows.append((label, plain, policed, full, plain_bytes, policed_bytes, full_bytes))
            for label, plain, policed, full, plain_bytes, policed_bytes, full_bytes in rows:
                print(f"{label:22} no policy {plain * 1000:7.1f} ms ({plain_bytes} B) | owned-only "
                      f"{policed * 1000:7.1f} ms ({policed_bytes} B), ratio {policed / plain:.2f} | owning all "
                      f"{full * 1000:7.1f} ms ({full_bytes} B), ratio {full / plain:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
