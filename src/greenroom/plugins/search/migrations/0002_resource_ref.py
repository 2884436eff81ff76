"""search: the entity each document is about (`authorization.resourceRef`), so queries filter by permission.

Documents the built-in collators wrote before are given their ref from their own fields (kind, namespace and
name), so no entity's documents are visible to everyone until the next pass; every type's next pass is then a
full one, which writes the refs other collators publish.

Revision ID: search_0002_resource_ref
Revises: search_0001
"""

import orjson
import sqlalchemy as sa
from alembic import op

revision = "search_0002_resource_ref"
down_revision = "search_0001"
branch_labels = None
depends_on = None

ENTITY_TYPES = ("software-catalog", "techdocs")


def upgrade() -> None:
    op.add_column("search_documents", sa.Column("resource_ref", sa.String(600), nullable=True))
    op.create_index("search_documents_resource_ref", "search_documents", ["resource_ref"])
    bind = op.get_bind()
    documents = sa.table("search_documents", sa.column("id", sa.Integer), sa.column("type", sa.String),
                         sa.column("body", sa.LargeBinary), sa.column("resource_ref", sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(documents.c.id, documents.c.body)
                            .where(documents.c.type.in_(ENTITY_TYPES), documents.c.id > last)
                            .order_by(documents.c.id).limit(1000)).all()
        if not rows:
            break
        updates = []
        for doc_id, body in rows:
            data = orjson.loads(bytes(body))
            kind, name = str(data.get("kind") or ""), str(data.get("name") or "")
            namespace = str(data.get("namespace") or "default")
            if kind and name:
                updates.append({"doc_id": doc_id, "ref": f"{kind}:{namespace}/{name}".lower()[:600]})
        if updates:
            bind.execute(sa.update(documents).where(documents.c.id == sa.bindparam("doc_id"))
                         .values(resource_ref=sa.bindparam("ref")), updates)
        last = rows[-1][0]
    bind.execute(sa.text("UPDATE search_state SET full_at = 0"))


def downgrade() -> None:
    op.drop_index("search_documents_resource_ref", "search_documents")
    op.drop_column("search_documents", "resource_ref")
