"""Two portal replicas on one database (SQLite and PostgreSQL) and one publish folder: a site is built by
one replica at a time, a first view on the other replica polls that build, and a build left behind by a
replica that died is taken over once its claim expires."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from portal_support import Factory, ask, documented, service, start
from starlette.testclient import TestClient

from greenroom.plugins.techdocs import generator
from greenroom.plugins.techdocs.build_queue import PassSummary
from greenroom.plugins.techdocs.refs import Triplet
from greenroom.plugins.techdocs.store import BuildStore

SVC = Triplet("default", "Component", "svc")


@pytest.fixture
def replicas(portal_factory: Factory, tmp_path: Path) -> tuple[TestClient, TestClient]:
    documented(tmp_path / "catalog", "svc")
    return start(portal_factory, tmp_path), start(portal_factory, tmp_path)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real MkDocs build run in this process, by either replica."""
    runs: list[str] = []
    real = generator.generate

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(generator, "generate", counted)
    return runs


def _in_thread(fn: Callable[[], PassSummary]) -> tuple[threading.Thread, list[PassSummary]]:
    out: list[PassSummary] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    return thread, out


def test_both_replicas_race_for_a_site_and_one_builds_it(replicas: tuple[TestClient, TestClient],
                                                         builds: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = (service(c) for c in replicas)
    assert a.queue.owner != b.queue.owner
    ask(replicas[0], "svc")
    # Both passes see the request before either claims it: the claim alone decides who builds.
    both_looked = threading.Barrier(2, timeout=30)
    real_claim = BuildStore.claim

    def claim_together(self: BuildStore, ref: str, owner: str, seconds: float) -> bool:
        both_looked.wait()
        return real_claim(self, ref, owner, seconds)

    monkeypatch.setattr(BuildStore, "claim", claim_together)
    first, first_out = _in_thread(lambda: a.run_pass_summary())
    second, second_out = _in_thread(lambda: b.run_pass_summary())
    first.join(60)
    second.join(60)
    summaries = first_out + second_out
    assert len(summaries) == 2
    assert sorted((s.built, s.taken_elsewhere) for s in summaries) == [(0, 1), (1, 0)]
    assert len(builds) == 1
    state = a.state(SVC)
    assert state is not None and state.status == "ok" and state.claimed_by is None  # released when done


def test_a_first_view_on_the_other_replica_polls_the_running_build(replicas: tuple[TestClient, TestClient],
                                                                   builds: list[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = replicas
    a, b = service(one), service(two)
    started, finish = threading.Event(), threading.Event()
    real = generator.generate

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        assert finish.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(generator, "generate", slow)
    ask(one, "svc")
    building, _ = _in_thread(lambda: a.run_pass_summary())
    assert started.wait(60)

    page = two.get("/docs/default/component/svc/")  # the first view, on the other replica
    assert "Building the docs" in page.text and 'hx-trigger="every 1s"' in page.text
    assert b.run_pass_summary().checked == 0  # replica two starts no second build
    state = b.state(SVC)
    assert state is not None and state.status == "building" and state.claimed_by == a.queue.owner

    finish.set()
    building.join(60)
    deadline = time.monotonic() + 30
    while two.get("/docs-status/default/component/svc", params={"waiting": "1"}).headers.get("hx-refresh") != "true":
        assert time.monotonic() < deadline, "replica two never saw the site replica one built"
        time.sleep(0.2)
    assert "Welcome to" in two.get("/docs/default/component/svc/").text


def test_a_build_left_by_a_dead_replica_is_taken_over(replicas: tuple[TestClient, TestClient],
                                                      builds: list[str]) -> None:
    one, two = replicas
    a, b = service(one), service(two)
    ask(one, "svc")
    assert a.store.claim(SVC.ref, "dead-replica", 3600)
    a.store.building(SVC.ref, "sha256:unfinished")
    with a.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE techdocs_builds SET requested_at = NULL")
    assert b.run_pass_summary().checked == 0  # claimed: nobody else touches it

    with a.store.engine.begin() as conn:  # the dead replica's claim runs out
        conn.exec_driver_sql("UPDATE techdocs_builds SET claimed_until = 1")
    assert b.run_pass() == 1  # an orphaned build counts as requested
    state = b.state(SVC)
    assert state is not None and state.status == "ok" and state.claimed_by is None and len(builds) == 1
