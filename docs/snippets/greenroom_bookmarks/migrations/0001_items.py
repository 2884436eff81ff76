"""bookmarks: the items table.

Revision ID: bookmarks_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "bookmarks_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookmarks_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("entity_ref", sa.String(300), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("bookmarks_items_entity_ref", "bookmarks_items", ["entity_ref"])


def downgrade() -> None:
    op.drop_index("bookmarks_items_entity_ref", "bookmarks_items")
    op.drop_table("bookmarks_items")
