"""search: indexed documents, their filter fields, indexing checkpoints and the engine's full-text index.

SQLite gets an FTS5 table; PostgreSQL a weighted tsvector column and, when the pg_trgm extension can be
created, a table of indexed words with a trigram index for typo tolerance.

Revision ID: search_0001
Revises:
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = None
branch_labels = None
depends_on = None

log = logging.getLogger("greenroom.plugin.search")


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("location", sa.String(2000), nullable=False),
        sa.Column("hash", sa.String(40), nullable=False),
        sa.Column("exact_title", sa.String(500), nullable=False),
        sa.Column("exact_name", sa.String(500), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("search_documents_type_location", "search_documents", ["type", "location"], unique=True)
    op.create_table(
        "search_fields",
        sa.Column("doc_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("original", sa.String(200), nullable=False),
    )
    op.create_index("search_fields_key_value", "search_fields", ["key", "value", "doc_id"])
    op.create_index("search_fields_doc", "search_fields", ["doc_id"])
    op.create_table(
        "search_state",
        sa.Column("type", sa.String(100), primary_key=True),
        sa.Column("checkpoint", sa.Text, nullable=True),
        sa.Column("full_at", sa.Float, nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Exact and prefix matches of names and titles rank first; LIKE 'key%' uses these (see engines/postgres).
        op.execute("CREATE INDEX search_documents_exact_name ON search_documents (exact_name text_pattern_ops)")
        op.execute("CREATE INDEX search_documents_exact_title ON search_documents (exact_title text_pattern_ops)")
    else:
        op.create_index("search_documents_exact_name", "search_documents", ["exact_name"])
        op.create_index("search_documents_exact_title", "search_documents", ["exact_title"])
    if bind.dialect.name == "sqlite":
        # Words are folded like terms.fold (lower case, no accents); prefix indexes make `word*` cheap.
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, keywords, text, "
                   "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')")
        op.execute("CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')")
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector")
        # What ranking reads: title, keywords and the start of the text, small enough to stay in the row.
        op.execute("ALTER TABLE search_documents ADD COLUMN rank_tsv tsvector NOT NULL DEFAULT ''::tsvector")
        op.execute("CREATE INDEX search_documents_tsv ON search_documents USING gin (tsv)")
        op.create_table("search_words", sa.Column("word", sa.String(64), primary_key=True))
        nested = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            nested.commit()
        except sa.exc.DBAPIError as exc:
            nested.rollback()
            log.warning("search: cannot create the pg_trgm extension (%s); search finds prefixes but not "
                        "misspellings until a superuser runs CREATE EXTENSION pg_trgm", exc.orig)
            return
        op.execute("CREATE INDEX search_words_trgm ON search_words USING gin (word gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts_vocab")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.drop_table("search_words")
    for table in ("search_state", "search_fields", "search_documents"):
        op.drop_table(table)
