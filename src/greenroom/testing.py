"""pytest fixtures for plugin authors (and Greenroom's own tests), loaded automatically with Greenroom.

`portal_factory(plugins=[module], config={...})` starts a portal on a fresh database with your plugin module
registered directly, and returns a started `TestClient`. Set `GREENROOM_TEST_DATABASE=postgresql` (and
optionally `GREENROOM_TEST_POSTGRES_URL`) to run the same tests on a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    """The server used for fresh test databases (`GREENROOM_TEST_POSTGRES_URL`)."""
    return os.environ.get("GREENROOM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def create_postgres_database() -> tuple[str, Callable[[], None]]:
    """Create an empty PostgreSQL database; returns its URL and a function that drops it."""
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"greenroom_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture
def greenroom_database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: SQLite in a temporary folder, or PostgreSQL when asked for."""
    if os.environ.get("GREENROOM_TEST_DATABASE", "sqlite") == "postgresql":
        url, drop = create_postgres_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'greenroom.db'}"


@pytest.fixture
def portal_factory(greenroom_database_url: str, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Build and start portals for a test; each is shut down when the test ends."""
    with ExitStack() as stack:

        def make(plugins: list[ModuleType] | None = None, config: Mapping[str, Any] | None = None,
                 config_files: list[Path] | None = None, env: Mapping[str, str] | None = None,
                 raise_server_exceptions: bool = True) -> TestClient:
            from greenroom.app import create_app
            from greenroom.config.loader import merge

            overrides: dict[str, Any] = {"backend": {"database": {"url": greenroom_database_url}}}
            merge(overrides, dict(config or {}), {}, "")
            app = create_app(config_files or [], env=env if env is not None else {}, extra_plugins=plugins or [],
                             overrides=overrides)
            client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
            return stack.enter_context(client)

        yield make
