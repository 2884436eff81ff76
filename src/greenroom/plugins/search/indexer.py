"""Feeding collators' documents to the engine: full reindexes on a schedule and incremental passes between.

A full pass writes every document (the engine skips unchanged ones by hash) and then deletes the type's
documents it did not see. An incremental pass asks the collator for changes since its stored checkpoint.
A failing collator is logged and retried next time; it never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from greenroom.plugins.search import state
from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.model import Changes, Collator, Document, SearchEngine

log = logging.getLogger("greenroom.plugin.search")
OPTIMIZE_AFTER = 1000  # documents written or deleted by a full pass before the engine tidies its index


@dataclass(frozen=True)
class PassResult:
    """What one pass did to one type."""

    type: str
    written: int = 0
    deleted: int = 0
    seconds: float = 0.0
    error: str | None = None


def _tracked(documents: Iterable[Document], seen: set[str]) -> Iterator[Document]:
    for document in documents:
        loc = document.get("location") if hasattr(document, "get") else None
        if isinstance(loc, str):
            seen.add(loc)
        yield document


class Indexer:
    """Runs indexing passes for the collators `collators()` returns (asked on first use)."""

    def __init__(self, engine: SearchEngine, database: Engine, config: SearchConfig,
                 collators: Callable[[], list[Any]]) -> None:
        self.engine = engine
        self.database = database
        self.config = config
        self._find = collators
        self._collators: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def collators(self) -> dict[str, Any]:
        """The enabled collators by type; two for one type is an error naming it."""
        if self._collators is None:
            found: dict[str, Any] = {}
            for collator in self._find():
                if not isinstance(collator, Collator):
                    raise TypeError(f"search collator {collator!r} lacks `type` or `documents()`")
                if collator.type in found:
                    raise ValueError(f"two search collators publish documents of type {collator.type!r}")
                if self.config.collator(collator.type).enabled:
                    found[collator.type] = collator
            self._collators = found
        return self._collators

    def types(self) -> list[str]:
        """The document types queries may name."""
        return sorted(self.collators())

    def full(self, types: Iterable[str] | None = None) -> list[PassResult]:
        """Reindex the given types (all when None) from scratch."""
        chosen = self.collators() if types is None else {t: self.collators()[t] for t in types}
        return [self._pass(doc_type, collator, full=True) for doc_type, collator in chosen.items()]

    def due(self) -> list[PassResult]:
        """Reindex the types whose schedule says a full pass is due."""
        now = time.time()
        every = {t: self.config.collator(t).schedule.frequency.total_seconds for t in self.collators()}
        due = [t for t in self.collators() if now - state.load(self.database, t).full_at >= every[t]]
        return self.full(due) if due else []

    def incremental(self) -> list[PassResult]:
        """Apply every collator's changes since its checkpoint (a full pass for types never indexed)."""
        results = []
        for doc_type, collator in self.collators().items():
            known = state.load(self.database, doc_type)
            if known.full_at == 0.0:
                results.append(self._pass(doc_type, collator, full=True))
            elif callable(getattr(collator, "changes", None)):
                results.append(self._pass(doc_type, collator, full=False, checkpoint=known.checkpoint))
        return results

    def _pass(self, doc_type: str, collator: Any, *, full: bool, checkpoint: str | None = None) -> PassResult:
        started = time.monotonic()
        with self._lock:
            try:
                written, deleted, _new_checkpoint = self._apply(doc_type, collator, full, checkpoint)
            except Exception as exc:
                log.exception("search: indexing %s documents failed", doc_type)
                return PassResult(doc_type, error=f"{type(exc).__name__}: {exc}")
        took = time.monotonic() - started
        if full or written or deleted:
            log.info("search: %s pass of %s: %d written, %d deleted in %.1fs", "full" if full else "incremental",
                     doc_type, written, deleted, took)
        return PassResult(doc_type, written, deleted, took)

    def _apply(self, doc_type: str, collator: Any, full: bool, checkpoint: str | None) -> tuple[int, int, str | None]:
        changes_of = getattr(collator, "changes", None)
        changes: Changes | None = changes_of(None if full else checkpoint) if callable(changes_of) else None
        if full:
            documents = changes.documents if changes is not None else collator.documents()
            seen: set[str] = set()
            written = self.engine.upsert(doc_type, _tracked(documents, seen))
            deleted = self.engine.prune(doc_type, seen)
            optimize = getattr(self.engine, "optimize", None)
            if written + deleted >= OPTIMIZE_AFTER and callable(optimize):
                optimize()
        elif changes is None:  # the collator cannot tell what changed: read everything
            return self._apply(doc_type, collator, True, None)
        else:
            written = self.engine.upsert(doc_type, changes.documents)
            deleted = self.engine.delete(doc_type, changes.deleted) if changes.deleted else 0
            if changes.keep is not None:
                deleted += self.engine.prune(doc_type, changes.keep)
        new_checkpoint = changes.checkpoint if changes is not None else None
        state.save(self.database, doc_type, new_checkpoint, full=full)
        return written, deleted, new_checkpoint
