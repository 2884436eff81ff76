"""The `techdocs_builds` table: per documented entity, what was last checked and built, and how it went.

Statuses: `queued` (a viewer asked and nothing was built yet), `building`, `ok`, `error`. An error keeps
`built_revision` and `built_at` of the last good site, which stays published and served.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = sa.MetaData()
builds = sa.Table(
    "techdocs_builds", metadata,
    sa.Column("entity_ref", sa.String(600), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_at", sa.Float),
    sa.Column("checked_at", sa.Float),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("revision", sa.String(100)),
    sa.Column("built_revision", sa.String(100)),
    sa.Column("built_at", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("log", sa.Text),
)


@dataclass(frozen=True)
class BuildState:
    """One row of `techdocs_builds`."""

    entity_ref: str
    status: str
    requested_at: float | None = None
    checked_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    revision: str | None = None
    built_revision: str | None = None
    built_at: float | None = None
    error: str | None = None
    log: str | None = None


class BuildStore:
    """Reads and writes build states; every write is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, ref: str) -> BuildState | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(builds).where(builds.c.entity_ref == ref)).mappings().first()
        return BuildState(**row) if row else None

    def get_many(self, refs: Iterable[str]) -> dict[str, BuildState]:
        wanted = list(dict.fromkeys(refs))
        out: dict[str, BuildState] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for row in conn.execute(sa.select(builds).where(builds.c.entity_ref.in_(chunk))).mappings():
                    out[row["entity_ref"]] = BuildState(**row)
        return out

    def _upsert(self, ref: str, values: dict[str, object], insert_status: str) -> None:
        for _ in range(3):
            with self.engine.begin() as conn:
                done = conn.execute(sa.update(builds).where(builds.c.entity_ref == ref).values(**values)).rowcount
                if done:
                    return
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.insert(builds).values(entity_ref=ref, **{"status": insert_status, **values}))
                return
            except IntegrityError:
                continue  # another replica inserted it meanwhile: update instead

    def request(self, ref: str) -> None:
        """A viewer wants fresh docs: the next pass checks this entity first."""
        self._upsert(ref, {"requested_at": time.time()}, "queued")

    def checked(self, ref: str, revision: str) -> None:
        """The source did not change since the published site was built."""
        self._upsert(ref, {"status": "ok", "checked_at": time.time(), "requested_at": None, "revision": revision,
                           "built_revision": revision, "error": None}, "ok")

    def still_failing(self, ref: str) -> None:
        """Checked again, and the source is the one that failed: keep the error and its time."""
        self._upsert(ref, {"checked_at": time.time(), "requested_at": None}, "error")

    def building(self, ref: str, revision: str) -> None:
        self._upsert(ref, {"status": "building", "started_at": time.time(), "revision": revision,
                           "error": None}, "building")

    def succeeded(self, ref: str, revision: str, log: str) -> None:
        now = time.time()
        self._upsert(ref, {"status": "ok", "finished_at": now, "checked_at": now, "requested_at": None,
                           "revision": revision, "built_revision": revision, "built_at": now, "error": None,
                           "log": log}, "ok")

    def failed(self, ref: str, revision: str | None, error: str, log: str) -> None:
        now = time.time()
        self._upsert(ref, {"status": "error", "finished_at": now, "checked_at": now, "requested_at": None,
                           "revision": revision, "error": error[:4000], "log": log}, "error")
