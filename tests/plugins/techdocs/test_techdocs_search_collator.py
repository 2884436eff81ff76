"""TechDocs pages in search: the search plugin's `techdocs` collator indexes every built site, and an
incremental pass picks up a site rebuilt after a change, through the real MkDocs build and search engine."""

from __future__ import annotations

from pathlib import Path

from portal_support import Factory, ask, documented, service, start
from starlette.testclient import TestClient

from greenroom.plugins.search.service import SEARCH_SERVICE, SearchService


def _search(client: TestClient) -> SearchService:
    found: SearchService = client.app.state.portal.core.services.get(SEARCH_SERVICE)  # type: ignore[attr-defined]
    return found


def _hits(client: TestClient, term: str) -> list[str]:
    body = client.get("/api/search/query", params={"term": term, "types[0]": "techdocs"}).json()
    return [r["document"]["location"] for r in body["results"]]


def test_built_docs_are_searchable_and_rebuilds_are_picked_up(portal_factory: Factory, tmp_path: Path) -> None:
    folder = documented(tmp_path / "catalog", "svc")
    client = start(portal_factory, tmp_path)
    ask(client, "svc")
    assert service(client).run_pass() == 1
    _search(client).indexer.incremental()
    assert "/docs/default/component/svc/guide/#install" in _hits(client, "install")

    (folder / "docs" / "guide.md").write_text("# Guide\n\n## Rollback\n\nUse the flux capacitor.\n")
    assert service(client).run_pass() == 1
    _search(client).indexer.incremental()
    assert "/docs/default/component/svc/guide/#rollback" in _hits(client, "capacitor")
    # Sections the rebuild dropped go at the next full pass, which reads every site.
    _search(client).indexer.full()
    assert "/docs/default/component/svc/guide/#install" not in _hits(client, "install")
    # Nothing rebuilt: the next incremental pass reads no site.
    assert service(client).run_pass() == 0
    results = _search(client).indexer.incremental()
    assert [r.written for r in results if r.type == "techdocs"] == [0]
