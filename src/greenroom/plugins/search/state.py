"""Per document type: the collator's last checkpoint and when it was last read in full (`search_state`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, Text, insert, select, update

metadata = MetaData()
state_table = Table(
    "search_state", metadata,
    Column("type", String(100), primary_key=True),
    Column("checkpoint", Text, nullable=True),
    Column("full_at", Float, nullable=False),
    Column("changed_at", Float, nullable=False),
)


@dataclass(frozen=True)
class TypeState:
    """Where indexing of one type stands."""

    checkpoint: str | None = None
    full_at: float = 0.0
    changed_at: float = 0.0


def load(engine: Engine, doc_type: str) -> TypeState:
    with engine.connect() as conn:
        row = conn.execute(select(state_table.c.checkpoint, state_table.c.full_at, state_table.c.changed_at)
                           .where(state_table.c.type == doc_type)).first()
    return TypeState(row[0], float(row[1]), float(row[2])) if row else TypeState()


def save(engine: Engine, doc_type: str, checkpoint: str | None, *, full: bool) -> None:
    """Record a finished pass: a full one sets `full_at`; both set the checkpoint."""
    now = time.time()
    values: dict[str, object] = {"checkpoint": checkpoint, "changed_at": now}
    if full:
        values["full_at"] = now
    with engine.begin() as conn:
        done = conn.execute(update(state_table).where(state_table.c.type == doc_type).values(**values)).rowcount
        if not done:
            conn.execute(insert(state_table).values(type=doc_type, full_at=now if full else 0.0,
                                                    checkpoint=checkpoint, changed_at=now))
