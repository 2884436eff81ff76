"""Reading and parsing catalog files, on several cores when a location holds many of them.

A glob location of 50,000 files spends most of its processing in YAML parsing, which holds the GIL. Past a
threshold the files are split between this process and forked helpers, which only read and parse (no database,
no logging, no locks), and hand back plain data; results keep the files' order, so what is emitted is the same
as reading them one by one. Any trouble with the helpers falls back to reading here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greenroom.plugins.catalog.model import YamlLimits, load_yaml_documents

PARALLEL_MIN_FILES = 2000
CHUNK_FILES = 500


@dataclass
class ParsedSource:
    """One file's entities, or the (error name, message) that stops it."""

    path: str
    entities: list[dict[str, Any]] = field(default_factory=list)
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
    result = load_yaml_documents(data, source=path, limits=limits)
    if result.errors:
        first = result.errors[0]
        where = f" at line {first.line}" if first.line else ""
        return ParsedSource(path, error=("InputError", f"{path}{where}: {first.message}"))
    if len(result.documents) > max_entities:
        return ParsedSource(path, error=("InputError", f"{path} holds {len(result.documents)} entities, more than "
                                                       f"the limit of {max_entities}"))
    return ParsedSource(path, [doc.data for doc in result.documents if isinstance(doc.data, dict)])


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


def _read_chunk(paths: Sequence[str], roots: Sequence[Path], limits: YamlLimits,
                max_entities: int) -> list[ParsedSource]:
    real_dirs: dict[str, str] = {}
    return [read_source(p, roots, limits, max_entities, real_dirs) for p in paths]


def _helpers() -> int:
    # One helper per spare core; the stitch helper process may want one too, but parsing comes first in an import.
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def parse_many(paths: Sequence[str], roots: Sequence[Path], limits: YamlLimits,
               max_entities: int) -> Iterator[ParsedSource]:
    """Every file of `paths`, in order: in this process alone for a few, shared with helpers for many."""
    helpers = _helpers()
    if len(paths) < PARALLEL_MIN_FILES or not helpers or "fork" not in multiprocessing.get_all_start_methods():
        real_dirs: dict[str, str] = {}
        for path in paths:
            yield read_source(path, roots, limits, max_entities, real_dirs)
        return
    chunks = [paths[i:i + CHUNK_FILES] for i in range(0, len(paths), CHUNK_FILES)]
    # This process parses every (helpers + 1)-th chunk itself while the helpers do the others.
    mine = set(range(0, len(chunks), helpers + 1))
    try:
        # fork, not spawn: a spawned helper would spend longer importing than parsing; the helper touches no
        # lock another thread could hold (no logging, no database), only files and the YAML parser.
        with ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {i: pool.submit(_read_chunk, chunk, roots, limits, max_entities)
                       for i, chunk in enumerate(chunks) if i not in mine}
            done = {i: _read_chunk(chunks[i], roots, limits, max_entities) for i in sorted(mine)}
            results = [source for i in range(len(chunks))
                       for source in (done[i] if i in done else futures[i].result(timeout=600))]
    except Exception:  # a broken or killed helper must not fail the location: read here instead
        results = _read_chunk(paths, roots, limits, max_entities)
    yield from results
