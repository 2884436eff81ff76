"""Every test that touches the database runs twice: on SQLite and on a fresh PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from greenroom.testing import create_postgres_database

BACKENDS = [b for b in os.environ.get("GREENROOM_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(params=BACKENDS)
def greenroom_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides the shipped fixture so that our own suite covers both databases."""
    if request.param == "postgresql":
        url, drop = create_postgres_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'greenroom.db'}"
