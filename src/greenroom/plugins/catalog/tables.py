"""The catalog's tables. Integer ids join everything; `entity_id` (a UUID) is the public `metadata.uid`.

There are no foreign keys between them on purpose: checking one per inserted row is what made bulk imports
slow, and every delete goes through `processing.providers.delete_entities`, which removes the dependent rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per entity the catalog knows of: what a source said (unprocessed), what processing made of it,
# and its errors. A row with no processed entity yet is not visible.
refresh_state = Table(
    "catalog_refresh_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_id", String(36), nullable=False, unique=True),
    Column("entity_ref", String(600), nullable=False, unique=True),
    Column("unprocessed_entity", LargeBinary, nullable=False),
    Column("unprocessed_hash", String(40), nullable=False),
    Column("processed_entity", LargeBinary, nullable=True),
    Column("result_hash", String(40), nullable=True),
    Column("errors", Text, nullable=True),
    Column("source_errors", Text, nullable=True),
    Column("location_key", String(2000), nullable=True),
    Column("next_update_at", Float, nullable=False),
    Column("last_discovery_at", Float, nullable=False),
)
Index("catalog_refresh_state_due", refresh_state.c.next_update_at)
Index("catalog_refresh_state_location_key", refresh_state.c.location_key)

# Who emitted whom: a provider (source_key) or a parent entity (source_entity_ref) -> target entity.
references = Table(
    "catalog_references", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_key", String(300), nullable=True),
    Column("source_entity_ref", String(600), nullable=True),
    Column("target_entity_ref", String(600), nullable=False),
)
Index("catalog_references_source_key", references.c.source_key)
Index("catalog_references_source_entity", references.c.source_entity_ref)
Index("catalog_references_target", references.c.target_entity_ref)

relations = Table(
    "catalog_relations", metadata,
    Column("originating_id", Integer, nullable=False),
    Column("source_entity_ref", String(600), nullable=False),
    Column("type", String(100), nullable=False),
    Column("target_entity_ref", String(600), nullable=False),
)
Index("catalog_relations_originating", relations.c.originating_id)
Index("catalog_relations_source", relations.c.source_entity_ref)
Index("catalog_relations_target", relations.c.target_entity_ref)

# The stitched entity, serialized once and sent as is.
final_entities = Table(
    "catalog_final_entities", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("entity_id", String(36), nullable=False, unique=True),
    Column("entity_ref", String(600), nullable=False, unique=True),
    Column("final_entity", LargeBinary, nullable=False),
    Column("hash", String(40), nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Backstage's flattened search rows: filters, facets, ordering and full text run on these.
search = Table(
    "catalog_search", metadata,
    Column("entity", Integer, nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", String(200), nullable=True),
    Column("original_value", String(200), nullable=True),
)
Index("catalog_search_key_value", search.c.key, search.c.value, search.c.entity)
Index("catalog_search_entity", search.c.entity)

stitch_queue = Table(
    "catalog_stitch_queue", metadata,
    Column("entity_ref", String(600), primary_key=True),
    Column("requested_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=False),
)

locations = Table(
    "catalog_locations", metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("target", String(2000), nullable=False),
    Column("created_at", Float, nullable=False),
)
Index("catalog_locations_type_target", locations.c.type, locations.c.target, unique=False)

# One row: moves on with every change to stitched entities (see store/generation.py).
generation = Table(
    "catalog_generation", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)
