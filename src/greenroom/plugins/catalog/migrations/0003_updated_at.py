"""catalog: an index on when each stitched entity last changed, so other plugins (search) read only changes.

Revision ID: catalog_0003_updated_at
Revises: catalog_0002
"""

from alembic import op

revision = "catalog_0003_updated_at"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("catalog_final_entities_updated_at", "catalog_final_entities", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("catalog_final_entities_updated_at", "catalog_final_entities")
