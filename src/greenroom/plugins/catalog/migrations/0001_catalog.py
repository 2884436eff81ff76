"""catalog: refresh state, references, relations, final entities, search, stitch queue, locations.

Revision ID: catalog_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_refresh_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity_id", sa.String(36), nullable=False, unique=True),
        sa.Column("entity_ref", sa.String(600), nullable=False, unique=True),
        sa.Column("unprocessed_entity", sa.LargeBinary, nullable=False),
        sa.Column("unprocessed_hash", sa.String(40), nullable=False),
        sa.Column("processed_entity", sa.LargeBinary, nullable=True),
        sa.Column("result_hash", sa.String(40), nullable=True),
        sa.Column("errors", sa.Text, nullable=True),
        sa.Column("source_errors", sa.Text, nullable=True),
        sa.Column("location_key", sa.String(2000), nullable=True),
        sa.Column("next_update_at", sa.Float, nullable=False),
        sa.Column("last_discovery_at", sa.Float, nullable=False),
    )
    op.create_index("catalog_refresh_state_due", "catalog_refresh_state", ["next_update_at"])
    op.create_index("catalog_refresh_state_location_key", "catalog_refresh_state", ["location_key"])
    op.create_table(
        "catalog_references",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_key", sa.String(300), nullable=True),
        sa.Column("source_entity_ref", sa.String(600), nullable=True),
        sa.Column("target_entity_ref", sa.String(600), nullable=False),
    )
    op.create_index("catalog_references_source_key", "catalog_references", ["source_key"])
    op.create_index("catalog_references_source_entity", "catalog_references", ["source_entity_ref"])
    op.create_index("catalog_references_target", "catalog_references", ["target_entity_ref"])
    op.create_table(
        "catalog_relations",
        sa.Column("originating_id", sa.Integer, nullable=False),
        sa.Column("source_entity_ref", sa.String(600), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("target_entity_ref", sa.String(600), nullable=False),
    )
    op.create_index("catalog_relations_originating", "catalog_relations", ["originating_id"])
    op.create_index("catalog_relations_source", "catalog_relations", ["source_entity_ref"])
    op.create_index("catalog_relations_target", "catalog_relations", ["target_entity_ref"])
    op.create_table(
        "catalog_final_entities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entity_id", sa.String(36), nullable=False, unique=True),
        sa.Column("entity_ref", sa.String(600), nullable=False, unique=True),
        sa.Column("final_entity", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "catalog_search",
        sa.Column("entity", sa.Integer, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.String(200), nullable=True),
        sa.Column("original_value", sa.String(200), nullable=True),
    )
    op.create_index("catalog_search_key_value", "catalog_search", ["key", "value", "entity"])
    op.create_index("catalog_search_entity", "catalog_search", ["entity"])
    op.create_table(
        "catalog_stitch_queue",
        sa.Column("entity_ref", sa.String(600), primary_key=True),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("claimed_until", sa.Float, nullable=False),
    )
    op.create_table(
        "catalog_locations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("catalog_locations_type_target", "catalog_locations", ["type", "target"])
    generation = op.create_table(
        "catalog_generation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in ("catalog_generation", "catalog_locations", "catalog_stitch_queue", "catalog_search",
                  "catalog_final_entities", "catalog_relations", "catalog_references", "catalog_refresh_state"):
        op.drop_table(table)
