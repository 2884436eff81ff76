"""Reading and parsing catalog files, on several cores when a location holds many of them.

A glob location of 50,000 files spends most of its processing in YAML parsing, which holds the GIL. Past a
threshold the files are split between this process and forked helpers, which only read and parse (no database,
no logging, no locks), and hand back plain data; results keep the files' order, so what is emitted is the same
as reading them one by one. Any trouble with the helpers falls back to reading here.

When the processing loop reads, each entity is also finished where it was parsed (`Emitter.prepare`: stamped,
serialized, usually processed), so the processing of an import is shared between the cores as well, and what
comes back is compact bytes rather than dictionaries.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greenroom.memory import release_free_memory
from greenroom.plugins.catalog.model import YamlLimits, load_yaml_documents
from greenroom.plugins.catalog.model.yaml_loader import load_mappings_fast
from greenroom.plugins.catalog.processing.types import LocationSpec

Prepare = Callable[[LocationSpec, dict[str, Any]], Any]

PARALLEL_MIN_FILES = 2000
CHUNK_FILES = 500
SHARED_CHUNK_FILES = 100  # small, so the last chunks finish together
AHEAD_CHUNKS = 8  # chunks each process may have queued or done but not yet handed over


@dataclass
class ParsedSource:
    """One file's entities, or the (error name, message) that stops it.

    Read with a `prepare` function, each entity is what that function made of it (see `Emitter.prepare`)."""

    path: str
    entities: list[Any] = field(default_factory=list)
    error: tuple[str, str] | None = None


def is_allowed(path: str, roots: Sequence[Path], real_dirs: dict[str, str] | None = None) -> bool:
    """True when the real path (symlinks followed) is inside one of `roots` (real paths).

    `real_dirs` remembers the real path of each folder across calls: a glob of 50,000 files in a few hundred
    folders then costs one `lstat` per file instead of one per path component."""
    directory, name = os.path.split(path)
    if real_dirs is None or name in ("", ".", ".."):
        real = os.path.realpath(path)
    else:
        real_dir = real_dirs.get(directory)
        if real_dir is None:
            real_dir = real_dirs[directory] = os.path.realpath(directory)
        real = os.path.join(real_dir, name)
        if os.path.islink(real):
            real = os.path.realpath(real)
    for root in roots:
        text = str(root)
        if real == text or real.startswith(text if text.endswith(os.sep) else text + os.sep):
            return True
    return False


def parse_source(path: str, data: bytes, limits: YamlLimits, max_entities: int) -> ParsedSource:
    """The entities of one file's bytes; the first YAML problem or too many entities is the file's error."""
    entities = load_mappings_fast(data, limits=limits)
    if entities is None:
        result = load_yaml_documents(data, source=path, limits=limits)
        if result.errors:
            first = result.errors[0]
            where = f" at line {first.line}" if first.line else ""
            return ParsedSource(path, error=("InputError", f"{path}{where}: {first.message}"))
        entities = [doc.data for doc in result.documents if isinstance(doc.data, dict)]
    if len(entities) > max_entities:
        return ParsedSource(path, error=("InputError", f"{path} holds {len(entities)} entities, more than "
                                                       f"the limit of {max_entities}"))
    return ParsedSource(path, entities)


def read_source(path: str, roots: Sequence[Path], limits: YamlLimits, max_entities: int,
                real_dirs: dict[str, str] | None = None) -> ParsedSource:
    """Read and parse one file, refusing anything outside `roots` (see `is_allowed` for `real_dirs`)."""
    if not is_allowed(path, roots, real_dirs):
        return ParsedSource(path, error=("NotAllowedError", f"{path} is outside the folders file locations may "
                                                            "read (catalog.allowedFileRoots)"))
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        return ParsedSource(path, error=("NotFoundError", f"{path} does not exist"))
    except OSError as exc:
        return ParsedSource(path, error=("InputError", f"{path} cannot be read: {exc.strerror}"))
    return parse_source(path, data, limits, max_entities)


# The `prepare` function of the read under way, for helpers forked from this process to inherit: a bound method
# of the orchestrator cannot be pickled to them.
_prepare: Prepare | None = None


def _read_chunk(paths: Sequence[str], roots: Sequence[Path], limits: YamlLimits, max_entities: int,
                prepare: Prepare | bool | None = None) -> list[ParsedSource]:
    if isinstance(prepare, bool):  # in a helper, given a flag: the function itself came with the fork
        prepare = _prepare if prepare else None
        release_free_memory()  # what the last chunk and its pickled results took
    real_dirs: dict[str, str] = {}
    sources = []
    for path in paths:
        source = read_source(path, roots, limits, max_entities, real_dirs)
        if callable(prepare):
            # Each parsed entity is let go as soon as it is prepared, and each file before the next is parsed: the
            # benchmark catalog has a file of 12,500 users, whose parsed and prepared forms together took 110 MB.
            spec, entities = LocationSpec("file", source.path), source.entities
            for index, entity in enumerate(entities):
                entities[index] = _prepared(prepare, spec, entity)
        sources.append(source)
    return sources


def _prepared(prepare: Prepare, spec: LocationSpec, entity: dict[str, Any]) -> Any:
    done = prepare(spec, entity)
    return entity if done is None else done


def _helpers() -> int:
    # One helper per spare core; the stitch helper process may want one too, but parsing comes first in an import.
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _submit(pool: ProcessPoolExecutor, chunk: Sequence[str], roots: Sequence[Path], limits: YamlLimits,
            max_entities: int, prepare: bool, first: bool) -> Future[list[ParsedSource]]:
    # The first submit to a new pool forks the helpers. Frozen, the objects that exist then are left alone by
    # the helpers' garbage collector, which would otherwise write to every one of them and so copy the heap of
    # this process into each helper. A server froze its heap once started (memory.freeze_startup_heap): that
    # stays, so this process's full collections keep skipping it.
    thaw = first and not gc.get_freeze_count()
    if first:
        gc.freeze()
    try:
        return pool.submit(_read_chunk, chunk, roots, limits, max_entities, prepare)
    finally:
        if thaw:
            gc.unfreeze()


def parse_many(paths: Sequence[str], roots: Sequence[Path], limits: YamlLimits, max_entities: int,
               prepare: Prepare | None = None) -> Iterator[ParsedSource]:
    """Every file of `paths`, in order: in this process alone for a few, shared with helpers for many.

    `prepare`, when given, is applied to every entity where its file was parsed."""
    global _prepare
    helpers = _helpers()
    if len(paths) < PARALLEL_MIN_FILES or not helpers or "fork" not in multiprocessing.get_all_start_methods():
        for start in range(0, len(paths), CHUNK_FILES):
            yield from _read_chunk(paths[start:start + CHUNK_FILES], roots, limits, max_entities, prepare)
        return
    chunks = [paths[i:i + SHARED_CHUNK_FILES] for i in range(0, len(paths), SHARED_CHUNK_FILES)]
    following = 0  # the next chunk to hand over, in order
    # fork, not spawn: a spawned helper would spend longer importing than parsing; the helper touches no lock
    # another thread could hold (no logging, no database), only files, the YAML parser and `prepare`.
    _prepare = prepare  # helpers fork at the first submit and inherit it
    pool = ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("fork"))
    try:
        # The helpers take chunks in order, never more than a few ahead of what has been handed over, so results
        # do not pile up in memory. While the next chunk is not ready, this process parses the next one no
        # helper has been given; everything is handed over in order, and the caller writes it meanwhile.
        futures: dict[int, Future[list[ParsedSource]]] = {}
        mine: dict[int, list[ParsedSource]] = {}
        given = 0  # chunks given to a helper or taken by this process
        while following < len(chunks):
            while given < len(chunks) and len(futures) < helpers * AHEAD_CHUNKS:
                futures[given] = _submit(pool, chunks[given], roots, limits, max_entities, prepare is not None,
                                         first=given == 0)
                given += 1
            if following in mine:
                ready = mine.pop(following)
            elif given < len(chunks) and len(mine) < AHEAD_CHUNKS and not futures[following].done():
                mine[given] = _read_chunk(chunks[given], roots, limits, max_entities, prepare)
                given += 1
                continue
            else:
                ready = futures.pop(following).result(timeout=600)
            following += 1
            yield from ready
    except Exception:  # a broken or killed helper must not fail the location: read the rest here instead
        for chunk in chunks[following:]:
            yield from _read_chunk(chunk, roots, limits, max_entities, prepare)
    finally:
        _prepare = None
        # Also when the caller stops early: the helpers must not go on parsing what nobody will read.
        pool.shutdown(wait=True, cancel_futures=True)
