"""catalog: joint statistics on search keys and values, so PostgreSQL estimates filters like `kind=component`.

PostgreSQL keeps statistics per column: it saw that 'component' is a common value and 'kind' a common key, but
not that they go together, and guessed a few hundred matches where there were tens of thousands. With that guess
it planned to collect and sort every match instead of walking the entities in order and stopping at the page.
SQLite needs nothing here.

Revision ID: catalog_0004_search_statistics
Revises: catalog_0003_updated_at
"""

from alembic import op

revision = "catalog_0004_search_statistics"
down_revision = "catalog_0003_updated_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS catalog_search_key_value_mcv (mcv) ON key, value "
                   "FROM catalog_search")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS catalog_search_key_value_mcv")
