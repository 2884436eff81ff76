"""techdocs: per-site claims shared by replicas, and the back-off state of failing sources.

Revision ID: techdocs_0002_build_queue
Revises: techdocs_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "techdocs_0002_build_queue"
down_revision = "techdocs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("techdocs_builds") as batch:
        batch.add_column(sa.Column("failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sa.Float, nullable=True))
        batch.add_column(sa.Column("source_key", sa.String(1000), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.Float, nullable=True))
    # Passes look for viewers' requests and for the least recently checked built sites.
    op.create_index("techdocs_builds_requested_at", "techdocs_builds", ["requested_at"])
    op.create_index("techdocs_builds_checked_at", "techdocs_builds", ["checked_at"])


def downgrade() -> None:
    op.drop_index("techdocs_builds_checked_at", "techdocs_builds")
    op.drop_index("techdocs_builds_requested_at", "techdocs_builds")
    with op.batch_alter_table("techdocs_builds") as batch:
        for name in ("claimed_until", "claimed_by", "source_key", "retry_at", "failures"):
            batch.drop_column(name)
