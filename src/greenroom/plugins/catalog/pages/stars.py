"""Starred entities: each user's own list, kept in `catalog_stars` (migration catalog_0002).

Stars hold entity refs rather than uids, so a star survives an entity being removed and registered again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Column, Engine, Float, MetaData, PrimaryKeyConstraint, String, Table

from greenroom.plugins.catalog.api.common import marks, run

MAX_STARS = 500  # stars turned into one IN-list filter; more than this is not a list a person keeps

metadata = MetaData()
stars = Table(
    "catalog_stars", metadata,
    Column("user_ref", String(600), nullable=False),
    Column("entity_ref", String(600), nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("user_ref", "entity_ref", name="catalog_stars_pkey"),
)


def starred_refs(engine: Engine, user_ref: str) -> list[str]:
    """The refs `user_ref` starred, newest first."""
    with engine.connect() as conn:
        rows = run(conn, "SELECT entity_ref FROM catalog_stars WHERE user_ref = ? ORDER BY created_at DESC, "
                         f"entity_ref LIMIT {MAX_STARS}", [user_ref])
    return [str(r[0]) for r in rows]


def is_starred(engine: Engine, user_ref: str, entity_ref: str) -> bool:
    with engine.connect() as conn:
        return bool(run(conn, "SELECT 1 FROM catalog_stars WHERE user_ref = ? AND entity_ref = ?",
                        [user_ref, entity_ref]))


def set_star(engine: Engine, user_ref: str, entity_ref: str, starred: bool) -> None:
    """Star or unstar; doing either twice changes nothing."""
    with engine.begin() as conn:
        run(conn, "DELETE FROM catalog_stars WHERE user_ref = ? AND entity_ref = ?", [user_ref, entity_ref])
        if starred:
            run(conn, "INSERT INTO catalog_stars (user_ref, entity_ref, created_at) VALUES (?, ?, ?)",
                [user_ref, entity_ref, time.time()])


def uids_of(engine: Engine, refs: Sequence[str]) -> list[str]:
    """The `metadata.uid`s of the refs that are in the catalog, for a filter over the search rows."""
    if not refs:
        return []
    with engine.connect() as conn:
        rows = run(conn, f"SELECT entity_id FROM catalog_final_entities WHERE entity_ref IN ({marks(len(refs))})",
                   list(refs))
    return [str(r[0]) for r in rows]
