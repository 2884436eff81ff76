"""catalog: starred entities, one row per (user, entity) pair; an index of entities with processing errors.

Revision ID: catalog_0002
Revises: catalog_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None

FAILED = "errors IS NOT NULL OR source_errors IS NOT NULL"


def upgrade() -> None:
    # The pair is the key: starring twice is a no-op, and "my stars" reads the key's prefix (user_ref first).
    op.create_table(
        "catalog_stars",
        sa.Column("user_ref", sa.String(600), nullable=False),
        sa.Column("entity_ref", sa.String(600), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("user_ref", "entity_ref", name="catalog_stars_pkey"),
    )
    # The unprocessed-entities page lists the few rows with errors. Without this partial index each visit reads
    # every refresh-state row, past its entity blobs, to find them; the WHERE must match the page's query.
    op.create_index("catalog_refresh_state_failed", "catalog_refresh_state", ["entity_ref"],
                    sqlite_where=sa.text(FAILED), postgresql_where=sa.text(FAILED))


def downgrade() -> None:
    op.drop_index("catalog_refresh_state_failed", "catalog_refresh_state")
    op.drop_table("catalog_stars")
