"""Background jobs on a schedule.

A "global" job runs once per interval across every replica sharing the database: each replica tries to take
the job's row with a conditional UPDATE, and only the one whose UPDATE changed the row runs it. That needs no
lock server and behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from greenroom.db import scheduled_jobs_table

log = logging.getLogger("greenroom.scheduler")


@dataclass(frozen=True)
class ScheduledJob:
    """A job: `fn` (sync functions run in a thread) every `interval` seconds."""

    id: str
    fn: Callable[[], Any]
    interval: float
    initial_delay: float = 0.0
    timeout: float = 600.0
    scope: Literal["global", "local"] = "global"


class Scheduler:
    """Runs the jobs plugins register, from app start-up until shutdown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owner = uuid.uuid4().hex
        self.jobs: dict[str, ScheduledJob] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: dict[str, asyncio.Event] = {}
        self._inflight: set[asyncio.Future[Any]] = set()
        self._stopping = False

    def add(self, plugin_id: str, job: ScheduledJob) -> None:
        """Register a job under `<plugin id>.<job id>`; ids must be unique."""
        key = f"{plugin_id}.{job.id}"
        if key in self.jobs:
            raise ValueError(f"plugin {plugin_id!r} registers job {job.id!r} twice")
        if job.interval <= 0:
            raise ValueError(f"job {key!r}: interval must be positive")
        self.jobs[key] = job

    def trigger(self, key: str) -> None:
        """Run a job as soon as possible on this replica (for example after a user asked for a refresh)."""
        if key in self._wake:
            self._wake[key].set()
        with self.engine.begin() as conn:
            conn.execute(update(scheduled_jobs_table).where(scheduled_jobs_table.c.id == key)
                         .values(next_run_at=0.0))

    async def start(self) -> None:
        """Create the job rows and start one task per job."""
        for key in self.jobs:
            await self._thread(self._ensure_row, key)
        for key, job in self.jobs.items():
            self._wake[key] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._loop(key, job), name=f"job:{key}"))

    async def stop(self, grace: float = 10.0) -> None:
        """Cancel the job tasks, then wait (up to `grace` seconds) for work already running in threads,
        so no database connection is cut off half-way."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        self._tasks.clear()
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)

    async def _thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        # Cancelling the awaiting task does not stop a thread; tracking it lets stop() wait for it.
        future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
        self._inflight.add(future)
        future.add_done_callback(self._inflight.discard)
        return await asyncio.shield(future)

    def _ensure_row(self, key: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(scheduled_jobs_table).values(
                    id=key, next_run_at=0.0, lease_owner=None, lease_until=0.0))
        except IntegrityError:
            pass  # another replica created it first

    def _claim(self, key: str, job: ScheduledJob) -> tuple[bool, float]:
        now = time.time()
        table = scheduled_jobs_table
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(table)
                .where(table.c.id == key, table.c.next_run_at <= now, table.c.lease_until <= now)
                .values(next_run_at=now + job.interval, lease_owner=self.owner, lease_until=now + job.timeout)
            ).rowcount
            next_run = conn.execute(select(table.c.next_run_at).where(table.c.id == key)).scalar_one()
        return claimed == 1, float(next_run)

    def _release(self, key: str) -> None:
        table = scheduled_jobs_table
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == key, table.c.lease_owner == self.owner)
                         .values(lease_until=0.0))

    async def _run(self, key: str, job: ScheduledJob) -> None:
        started = time.monotonic()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that races with the
            # job finishing, and the loop would then never stop.
            async with asyncio.timeout(job.timeout):
                if inspect.iscoroutinefunction(job.fn):
                    await job.fn()
                else:
                    await self._thread(job.fn)
            log.debug("job finished", extra={"job": key, "ms": round((time.monotonic() - started) * 1000)})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", extra={"job": key})

    async def _loop(self, key: str, job: ScheduledJob) -> None:
        await self._sleep(key, job.initial_delay)
        while not self._stopping:
            if job.scope == "local":
                await self._run(key, job)
                await self._sleep(key, job.interval)
                continue
            try:
                claimed, next_run = await self._thread(self._claim, key, job)
            except Exception:
                log.exception("could not claim job", extra={"job": key})
                await self._sleep(key, min(job.interval, 30.0))
                continue
            if claimed:
                await self._run(key, job)
                await self._thread(self._release, key)
            await self._sleep(key, max(0.2, next_run - time.time()))

    async def _sleep(self, key: str, seconds: float) -> None:
        wake = self._wake.get(key)
        if wake is None:
            await asyncio.sleep(seconds)
            return
        try:
            async with asyncio.timeout(seconds):
                await wake.wait()
        except TimeoutError:
            return
        wake.clear()
