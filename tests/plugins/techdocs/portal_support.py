"""A portal with the catalog and TechDocs, reading a catalog of documented entities from tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from techdocs_helpers import entity_yaml, write_docs

from greenroom.plugins.catalog.service import CATALOG_SERVICE
from greenroom.plugins.techdocs.refs import Triplet
from greenroom.plugins.techdocs.service import TECHDOCS_SERVICE, TechDocsService

Factory = Callable[..., TestClient]


def documented(root: Path, name: str, ref: str = "dir:.", docs: bool = True, **kwargs: Any) -> Path:
    """`root/<name>/catalog-info.yaml`, with a docs folder beside it unless `docs` is false."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog-info.yaml").write_text(entity_yaml(name, ref, **kwargs))
    if docs:
        write_docs(folder, name=name.title())
    return folder


def start(factory: Factory, tmp_path: Path, techdocs: dict[str, Any] | None = None,
          backend: dict[str, Any] | None = None) -> TestClient:
    """The portal, with the catalog processed (no build has run yet)."""
    config = {"catalog": {"locations": [{"type": "file", "target": str(tmp_path / "catalog" / "*" /
                                                                       "catalog-info.yaml")}],
                          "rules": [{"allow": ["Component", "API", "System"]}], "processingInterval": False,
                          "allowedFileRoots": [str(tmp_path)]},
              "techdocs": {"publisher": {"local": {"publishDirectory": str(tmp_path / "sites")}},
                           "processingInterval": 3600, "recheckSeconds": 0, **(techdocs or {})},
              "backend": backend or {}}
    client = factory(config=config)
    settle(client)
    return client


def settle(client: TestClient) -> None:
    client.app.state.portal.core.services.get(CATALOG_SERVICE).run_until_idle()  # type: ignore[attr-defined]


def service(client: TestClient) -> TechDocsService:
    found: TechDocsService = client.app.state.portal.core.services.get(TECHDOCS_SERVICE)  # type: ignore[attr-defined]
    return found


def ask(client: TestClient, *names: str) -> None:
    """Record viewers' requests for these Components' docs, as a first view does, without waking the job:
    tests run the passes themselves, so no background pass races them."""
    for name in names:
        service(client).store.request(Triplet("default", "Component", name).ref)
