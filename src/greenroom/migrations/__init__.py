"""The core's own Alembic revisions."""
