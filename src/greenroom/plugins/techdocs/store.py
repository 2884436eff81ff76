"""The `techdocs_builds` table: per documented entity, what was last checked and built, and how it went.

Statuses: `queued` (a viewer asked and nothing was built yet), `building`, `ok`, `error`. An error keeps
`built_revision` and `built_at` of the last good site, which stays published and served; `failures` counts
the failures in a row and `retry_at` is when the source may be tried again (exponential back-off).

Replicas share the table: a replica checks or builds a site only while it holds the row's claim
(`claimed_by` until `claimed_until`), taken with a conditional UPDATE. On PostgreSQL a concurrent UPDATE of
the same row waits for the first and re-evaluates the condition, and SQLite has a single writer, so exactly
one replica wins a claim on either database; an expired claim (a replica that died) can be taken over.
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
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_at", sa.Float),
    sa.Column("source_key", sa.String(1000)),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", sa.Float),
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
    failures: int = 0
    retry_at: float | None = None
    source_key: str | None = None
    claimed_by: str | None = None
    claimed_until: float | None = None

    def claimed(self, now: float | None = None) -> bool:
        """Whether some replica holds this site's claim right now."""
        return self.claimed_until is not None and self.claimed_until > (time.time() if now is None else now)

    def backing_off(self, now: float | None = None) -> bool:
        """Whether the source failed and its next try is still to come."""
        return self.retry_at is not None and self.retry_at > (time.time() if now is None else now)


_RELEASE = {"claimed_by": None, "claimed_until": None}


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

    def request(self, ref: str, source_key: str | None = None, reset_backoff: bool = False) -> None:
        """A viewer wants fresh docs: the next pass checks this entity first."""
        values: dict[str, object] = {"requested_at": time.time()}
        if source_key is not None:
            values["source_key"] = source_key
        if reset_backoff:
            values.update(retry_at=None, failures=0)
        self._upsert(ref, values, "queued")

    def claim(self, ref: str, owner: str, seconds: float) -> bool:
        """Take the row's claim for `seconds` unless another replica holds it; True when taken."""
        now = time.time()
        free = sa.or_(builds.c.claimed_until.is_(None), builds.c.claimed_until <= now, builds.c.claimed_by == owner)
        with self.engine.begin() as conn:
            taken = conn.execute(sa.update(builds).where(builds.c.entity_ref == ref, free)
                                 .values(claimed_by=owner, claimed_until=now + seconds)).rowcount
        return bool(taken)

    def release(self, ref: str, owner: str) -> None:
        """Give a claim back without recording a result (the entity left the catalog, the pass stopped)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(builds).where(builds.c.entity_ref == ref, builds.c.claimed_by == owner)
                         .values(**_RELEASE))

    def forget(self, ref: str) -> None:
        """Drop the row of an entity that is gone or lost its annotation (a published site stays served)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(builds).where(builds.c.entity_ref == ref))

    def requested(self, limit: int) -> list[str]:
        """Entities viewers asked for, oldest request first, with builds orphaned by a replica that died."""
        now = time.time()
        unclaimed = sa.or_(builds.c.claimed_until.is_(None), builds.c.claimed_until <= now)
        asked = sa.or_(builds.c.requested_at.is_not(None), builds.c.status == "building")
        query = (sa.select(builds.c.entity_ref).where(asked, unclaimed)
                 .order_by(sa.func.coalesce(builds.c.requested_at, 0.0), builds.c.entity_ref).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def stale(self, checked_before: float, limit: int) -> list[str]:
        """Built sites checked before `checked_before` and not backing off, least recently checked first."""
        now = time.time()
        query = (sa.select(builds.c.entity_ref)
                 .where(builds.c.built_revision.is_not(None), builds.c.requested_at.is_(None),
                        sa.or_(builds.c.checked_at.is_(None), builds.c.checked_at <= checked_before),
                        sa.or_(builds.c.retry_at.is_(None), builds.c.retry_at <= now),
                        sa.or_(builds.c.claimed_until.is_(None), builds.c.claimed_until <= now))
                 .order_by(sa.func.coalesce(builds.c.checked_at, 0.0), builds.c.entity_ref).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def backing_off(self) -> int:
        """How many sources are waiting for their next try after failing."""
        query = sa.select(sa.func.count()).select_from(builds).where(builds.c.retry_at > time.time())
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def checked(self, ref: str, revision: str) -> None:
        """The source did not change since the published site was built."""
        self._upsert(ref, {"status": "ok", "checked_at": time.time(), "requested_at": None, "revision": revision,
                           "built_revision": revision, "error": None, "failures": 0, "retry_at": None,
                           **_RELEASE}, "ok")

    def still_failing(self, ref: str, failures: int, retry_at: float) -> None:
        """Checked again, and the source is the one that failed: keep the error and its time, back off more."""
        self._upsert(ref, {"checked_at": time.time(), "requested_at": None, "failures": failures,
                           "retry_at": retry_at, **_RELEASE}, "error")

    def building(self, ref: str, revision: str) -> None:
        self._upsert(ref, {"status": "building", "started_at": time.time(), "revision": revision,
                           "error": None}, "building")

    def succeeded(self, ref: str, revision: str, log: str) -> None:
        now = time.time()
        self._upsert(ref, {"status": "ok", "finished_at": now, "checked_at": now, "requested_at": None,
                           "revision": revision, "built_revision": revision, "built_at": now, "error": None,
                           "log": log, "failures": 0, "retry_at": None, **_RELEASE}, "ok")

    def failed(self, ref: str, revision: str | None, error: str, log: str, failures: int, retry_at: float) -> None:
        now = time.time()
        self._upsert(ref, {"status": "error", "finished_at": now, "checked_at": now, "requested_at": None,
                           "revision": revision, "error": error[:4000], "log": log, "failures": failures,
                           "retry_at": retry_at, **_RELEASE}, "error")
