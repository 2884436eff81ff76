"""techdocs: the build state of each documented entity.

Revision ID: techdocs_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "techdocs_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "techdocs_builds",
        sa.Column("entity_ref", sa.String(600), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.Float, nullable=True),
        sa.Column("checked_at", sa.Float, nullable=True),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("revision", sa.String(100), nullable=True),
        sa.Column("built_revision", sa.String(100), nullable=True),
        sa.Column("built_at", sa.Float, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("log", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("techdocs_builds")
