"""The catalog service's read API for other plugins: change counter, changes since a time, refs."""

from __future__ import annotations

import sys
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent / "pages"))

from pages_support import Factory, catalog_of, start


def test_changes_since_walk_every_entity_once_in_batches(portal_factory: Factory, tmp_path: Path) -> None:
    client: TestClient = start(portal_factory, tmp_path)
    catalog = catalog_of(client)
    refs = catalog.entity_refs()
    assert "component:default/checkout" in refs
    changed = list(catalog.entities_changed_since(0.0, batch_size=2))
    assert len(changed) == len(refs)
    times = [t for t, _ in changed]
    assert times == sorted(times)
    assert {f"{e['kind']}:{e['metadata'].get('namespace', 'default')}/{e['metadata']['name']}".lower()
            for _, e in changed} == refs
    assert list(catalog.entities_changed_since(max(times))) == []
    generation = catalog.generation()
    (tmp_path / "catalog" / "entities.yaml").write_text(
        (tmp_path / "catalog" / "entities.yaml").read_text().replace("Holds the goods", "Holds the jam"))
    with catalog.database.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE catalog_refresh_state SET next_update_at = 0")
    catalog.run_until_idle(60)
    assert catalog.generation() > generation
    later = [e["metadata"]["name"] for _, e in catalog.entities_changed_since(max(times))]
    assert "basket" in later and "checkout" not in later
