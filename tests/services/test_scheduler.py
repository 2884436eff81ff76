"""Jobs run once per interval across replicas that share a database."""

from __future__ import annotations

import asyncio
import threading

from greenroom.config.models import DatabaseConfig
from greenroom.db import Database
from greenroom.migrate import upgrade_all
from greenroom.services.scheduler import ScheduledJob, Scheduler


async def test_global_job_runs_on_one_replica_per_interval(greenroom_database_url: str) -> None:
    db = Database(DatabaseConfig(url=greenroom_database_url))
    upgrade_all(db, [])
    runs: list[str] = []
    lock = threading.Lock()

    def job_for(name: str) -> ScheduledJob:
        def fn() -> None:
            with lock:
                runs.append(name)
        return ScheduledJob("tick", fn, interval=0.5)

    replicas = [Scheduler(db.engine) for _ in range(3)]
    for i, sched in enumerate(replicas):
        sched.add("test", job_for(f"r{i}"))
    try:
        for sched in replicas:
            await sched.start()
        await asyncio.sleep(1.8)
    finally:
        for sched in replicas:
            await sched.stop()
        db.dispose()
    # 1.8 s at 0.5 s intervals: four runs at most in all, however many replicas there are.
    assert 2 <= len(runs) <= 5, runs


async def test_local_job_and_failing_job_keep_running(greenroom_database_url: str) -> None:
    db = Database(DatabaseConfig(url=greenroom_database_url))
    upgrade_all(db, [])
    calls = {"ok": 0, "bad": 0}

    async def ok() -> None:
        calls["ok"] += 1

    def bad() -> None:
        calls["bad"] += 1
        raise RuntimeError("job failure must not stop the schedule")

    sched = Scheduler(db.engine)
    sched.add("t", ScheduledJob("ok", ok, interval=0.1, scope="local"))
    sched.add("t", ScheduledJob("bad", bad, interval=0.1))
    try:
        await sched.start()
        await asyncio.sleep(0.8)
    finally:
        await sched.stop()
        db.dispose()
    assert calls["ok"] >= 3 and calls["bad"] >= 2


async def test_trigger_runs_a_job_now(greenroom_database_url: str) -> None:
    db = Database(DatabaseConfig(url=greenroom_database_url))
    upgrade_all(db, [])
    runs: list[int] = []
    sched = Scheduler(db.engine)
    sched.add("t", ScheduledJob("slow", lambda: runs.append(1), interval=3600))
    try:
        await sched.start()
        await asyncio.sleep(0.3)
        assert len(runs) == 1
        await asyncio.to_thread(sched.trigger, "t.slow")
        await asyncio.sleep(0.5)
        assert len(runs) == 2
    finally:
        await sched.stop()
        db.dispose()


def test_duplicate_and_bad_jobs_are_refused(tmp_path: object) -> None:
    import pytest

    db = Database(DatabaseConfig(url="sqlite://"))
    sched = Scheduler(db.engine)
    sched.add("p", ScheduledJob("a", lambda: None, interval=1))
    with pytest.raises(ValueError, match="twice"):
        sched.add("p", ScheduledJob("a", lambda: None, interval=1))
    with pytest.raises(ValueError, match="positive"):
        sched.add("p", ScheduledJob("b", lambda: None, interval=0))
