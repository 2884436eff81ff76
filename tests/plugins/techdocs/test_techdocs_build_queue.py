"""The build queue: sites are built on first view, passes recheck a bounded number of built sites, failing
sources back off exponentially, and a pass logs one summary line however many sources fail."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from portal_support import Factory, ask, documented, service, settle, start
from starlette.testclient import TestClient
from techdocs_helpers import write_docs

from greenroom.plugins.techdocs.build_queue import retry_delay
from greenroom.plugins.techdocs.refs import Triplet, has_docs
from greenroom.plugins.techdocs.store import builds


def _reprocess(client: TestClient) -> None:
    """Make the catalog read its locations again now, as its next refresh would."""
    with service(client).store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE catalog_refresh_state SET next_update_at = 0")
    settle(client)


def _ref(name: str) -> str:
    return Triplet("default", "Component", name).ref


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, 60, 600) for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]
    assert retry_delay(10_000, 60, 600) == 600  # no overflow however long a source keeps failing


def test_only_viewed_sites_are_built(portal_factory: Factory, tmp_path: Path) -> None:
    for name in ("read", "unread"):
        documented(tmp_path / "catalog", name)
    client = start(portal_factory, tmp_path)
    docs = service(client)
    assert docs.run_pass() == 0
    assert docs.store.get(_ref("read")) is None and docs.store.get(_ref("unread")) is None

    first = client.get("/docs/default/component/read/")  # the first view asks for the build
    assert "Checking the docs for changes" in first.text or "Building the docs" in first.text
    state = docs.store.get(_ref("read"))
    assert state is not None and state.requested_at is not None
    deadline = time.monotonic() + 30  # the view woke the job; a pass of our own may find it already done
    while docs.metadata(Triplet("default", "Component", "read")) is None:
        assert time.monotonic() < deadline, "the viewed site was never built"
        docs.run_pass()
        time.sleep(0.1)
    assert "Welcome to" in client.get("/docs/default/component/read/").text
    assert docs.store.get(_ref("unread")) is None  # never viewed, never built


def test_a_pass_rechecks_at_most_max_per_pass_built_sites(portal_factory: Factory, tmp_path: Path) -> None:
    names = ("a", "b", "c")
    for name in names:
        documented(tmp_path / "catalog", name)
    client = start(portal_factory, tmp_path, {"queue": {"maxPerPass": 2, "concurrency": 2}})
    docs = service(client)
    ask(client, *names)
    first = docs.run_pass_summary()
    assert first.built == 3  # viewers' requests are not capped
    second = docs.run_pass_summary()
    assert (second.checked, second.unchanged) == (2, 2)
    third = docs.run_pass_summary()
    # Least recently checked first: the site the second pass left out comes first now.
    assert set(names) - {r.rsplit("/", 1)[1] for r in second.outcomes} <= {
        r.rsplit("/", 1)[1] for r in third.outcomes}
    assert third.checked == 2


def test_failing_sources_back_off_and_the_reader_says_when(portal_factory: Factory, tmp_path: Path) -> None:
    folder = documented(tmp_path / "catalog", "broken", docs=False)
    client = start(portal_factory, tmp_path, {"queue": {"retryBaseSeconds": 100, "retryMaxSeconds": 1000}})
    docs = service(client)
    ask(client, "broken")
    docs.run_pass()
    state = docs.store.get(_ref("broken"))
    assert state is not None and state.status == "error" and state.failures == 1
    assert state.retry_at is not None and 95 < state.retry_at - time.time() <= 100

    page = client.get("/docs/default/component/broken/").text
    assert "The last build failed:" in page and "has no mkdocs.yml" in page
    assert "1 failure in a row; the docs are tried again after" in page
    assert 'hx-trigger="every 1s"' not in page  # nothing is building: the box does not poll
    status = client.get("/api/techdocs/status/default/component/broken").json()
    assert status["failures"] == 1 and status["retryAt"] == pytest.approx(state.retry_at)
    again = docs.store.get(_ref("broken"))
    assert again is not None and again.requested_at is None  # a view during the back-off asks for nothing
    assert docs.run_pass_summary().checked == 0

    with docs.store.engine.begin() as conn:  # the wait is over
        conn.execute(sa.update(builds).where(builds.c.entity_ref == _ref("broken"))
                     .values(retry_at=time.time() - 1, checked_at=time.time() - 100))
    client.get("/docs/default/component/broken/")
    deadline = time.monotonic() + 30
    while (latest := docs.store.get(_ref("broken"))) is None or latest.failures < 2:
        assert time.monotonic() < deadline, "the source was not tried again"
        docs.run_pass()
        time.sleep(0.1)
    assert latest.retry_at is not None and 195 < latest.retry_at - time.time() <= 200  # doubled

    # A fixed techdocs-ref is news: the next view cuts the back-off short.
    (folder / "catalog-info.yaml").write_text((folder / "catalog-info.yaml").read_text().replace(
        "techdocs-ref: 'dir:.'", "techdocs-ref: 'dir:fixed'"))
    write_docs(folder / "fixed", name="Fixed")
    _reprocess(client)
    client.get("/docs/default/component/broken/")
    deadline = time.monotonic() + 30
    while (fixed := docs.store.get(_ref("broken"))) is None or fixed.status != "ok":
        assert time.monotonic() < deadline, "the fixed source was not built"
        docs.run_pass()
        time.sleep(0.1)
    assert fixed.failures == 0 and fixed.retry_at is None


def test_many_failing_sources_make_one_log_line_per_pass(portal_factory: Factory, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    names = [f"gone-{i:02d}" for i in range(25)]
    for name in names:
        documented(tmp_path / "catalog", name, ref="url:http://127.0.0.1:9/docs/", docs=False)
    client = start(portal_factory, tmp_path, {"queue": {"concurrency": 4}},
                   backend={"reading": {"allow": [{"host": "127.0.0.1:*"}]}})
    docs = service(client)
    ask(client, *names)
    caplog.set_level(logging.INFO, logger="greenroom")
    summary = docs.run_pass_summary()
    assert summary.failed == 25
    lines = [r for r in caplog.records if r.name.startswith("greenroom.plugin.techdocs")
             and r.levelno >= logging.INFO]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    assert lines[0].levelno == logging.WARNING
    assert "25 checked, 0 built, 0 unchanged, 25 failed" in message and "25 failing sources backing off" in message
    states = docs.store.get_many(_ref(n) for n in names)
    assert all(s.status == "error" and s.retry_at and s.error for s in states.values())

    caplog.clear()
    assert docs.run_pass_summary().checked == 0  # all backing off: the next passes do not touch them
    assert not [r for r in caplog.records if r.name.startswith("greenroom.plugin.techdocs")]


def test_an_entity_without_docs_is_no_longer_rechecked(portal_factory: Factory, tmp_path: Path) -> None:
    folder = documented(tmp_path / "catalog", "svc")
    client = start(portal_factory, tmp_path)
    docs = service(client)
    ask(client, "svc")
    assert docs.run_pass() == 1
    (folder / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n")
    _reprocess(client)
    entity = docs.catalog.by_ref(_ref("svc"))
    assert entity is not None and not has_docs(entity)
    assert docs.run_pass_summary().gone == 1
    assert docs.store.get(_ref("svc")) is None and docs.run_pass_summary().checked == 0
