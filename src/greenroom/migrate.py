"""Applying each plugin's Alembic revisions, each plugin with its own version table.

Revisions are run without an `env.py`: the core drives Alembic directly, so a plugin only ships its revision
files. On PostgreSQL an advisory lock makes replicas that start together migrate one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from greenroom.db import Database

CORE_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_007_007


class MigrationError(Exception):
    """A plugin's migration failed; the message names the plugin."""


def version_table(plugin_id: str) -> str:
    """Where Alembic records a plugin's applied revision."""
    return f"{plugin_id.replace('-', '_')}_alembic_version"


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
    else:
        yield


def _upgrade(conn: Connection, plugin_id: str, folder: Path) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    script = ScriptDirectory(str(folder), version_locations=[str(folder)])

    def upgrade(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs("heads", rev)

    with EnvironmentContext(cfg, script, fn=upgrade, destination_rev="heads") as env:
        env.configure(connection=conn, version_table=version_table(plugin_id))
        with env.begin_transaction():
            env.run_migrations()
    conn.commit()


def upgrade_all(db: Database, folders: list[tuple[str, Path]]) -> None:
    """Bring the core's tables, then each plugin's, to their newest revision."""
    with db.engine.connect() as conn, _migration_lock(conn):
        for plugin_id, folder in [("core", CORE_MIGRATIONS / "versions"), *folders]:
            if not folder.is_dir():
                raise MigrationError(f"plugin {plugin_id!r}: migrations folder {folder} does not exist")
            try:
                _upgrade(conn, plugin_id, folder)
            except Exception as exc:
                conn.rollback()
                raise MigrationError(f"plugin {plugin_id!r}: migration failed: {exc}") from exc
