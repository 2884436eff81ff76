"""Reading `file` locations: a path or a glob, below the folders the integrator allows.

A location is read again every processing interval. Its files that have not changed since the last read (same
size, times, inode and device) are not parsed again: the reader hands the sink the entities they gave then,
by ref and digest, and the sink checks those against the store. A glob of 50,000 unchanged files then costs
50,000 `stat` calls instead of a minute of parsing on every pass.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenroom.plugins.catalog.ingest.parsing import ParsedSource, is_allowed, parse_many, parse_source
from greenroom.plugins.catalog.model import YamlLimits
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec, Prepared, ProcessingError

_GLOB_CHARS = set("*?[")
Signature = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class _Memo:
    """What a file gave on its last read: its signature then, each entity's ref, and their digests as raw
    SHA-1 bytes one after the other (for 100,000 entities, 2 MB instead of 9 MB of hex strings)."""

    signature: Signature
    refs: tuple[str, ...]
    digests: bytes

    def entities(self) -> Iterator[tuple[str, str]]:
        """Each entity's ref and hex digest."""
        for index, ref in enumerate(self.refs):
            yield ref, self.digests[index * 20:index * 20 + 20].hex()


def signature(path: str) -> Signature | None:
    """What tells a changed file from the same one without reading it; None when it cannot be had.

    The change time is in it because a tool can set the modification time back, never the change time."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def is_glob(target: str) -> bool:
    """True when a file target holds glob characters."""
    return any(c in target for c in _GLOB_CHARS)


class FileReader:
    """Reads YAML files (multi-document) for `file` locations; nothing outside `roots` is ever opened."""

    def __init__(self, roots: Sequence[Path], max_file_bytes: int, max_files: int, max_entities_per_file: int) -> None:
        self.roots = [Path(os.path.realpath(r)) for r in roots]
        self.limits = YamlLimits(max_bytes=max_file_bytes)
        self.max_files = max_files
        self.max_entities = max_entities_per_file
        # Per origin location (the entities' stamps name it): what each of its files gave on the last read.
        self._memos: dict[str, dict[str, _Memo]] = {}

    def allowed(self, path: str) -> bool:
        """True when the real path (symlinks followed) is inside an allowed root."""
        return is_allowed(path, self.roots)

    def __call__(self, location: LocationSpec, optional: bool, emit: Emitter, parent: Mapping[str, Any]) -> bool:
        if location.type != "file":
            return False
        target = location.target
        if not os.path.isabs(target):
            emit.error("InputError", f"file location {target!r} must be an absolute path")
            return True
        if is_glob(target):
            paths = sorted(glob.iglob(target, recursive=True))
            if len(paths) > self.max_files:
                emit.error("InputError", f"{location.key} matches {len(paths)} files, more than the limit of "
                                         f"{self.max_files} (catalog.limits.maxFilesPerLocation)")
                return True
        else:
            paths = [target]
        if not paths and not optional and not is_glob(target):
            emit.error("NotFoundError", f"{location.key} does not exist")
            return True
        self._read_files(paths, optional, emit)
        return True

    def _read_files(self, paths: list[str], optional: bool, emit: Emitter) -> None:
        sink, origin = emit.sink, emit.origin
        if sink is None or origin is None or emit.prepare is None:
            for source in parse_many(paths, self.roots, self.limits, self.max_entities, emit.prepare):
                self._emit(source, optional, emit)
            return
        last = self._memos.get(origin.key, {})
        memos: dict[str, _Memo] = {}
        signatures = {path: signature(path) for path in paths}
        same = {p: m for p in paths if (m := last.get(p)) is not None and m.signature == signatures[p]}
        parsed = self._parse([p for p in paths if p not in same], signatures, memos, emit)
        try:
            for path in paths:
                memo = same.get(path)
                if memo is not None:
                    memos[path] = memo
                    spec = LocationSpec("file", path)
                    for ref, digest in memo.entities():
                        sink.add_unchanged(spec, ref, digest)
                else:
                    self._emit(next(parsed), optional, emit)
        finally:
            parsed.close()  # ends the parse helpers now rather than when the generator is collected
        sink.flush()
        # Sources whose entities were changed or removed in the store meanwhile (an entity deleted through the
        # API, a conflict): read them again, as a read without memos would have.
        stale = sorted(s.target for s in sink.stale())
        for path in stale:
            memos.pop(path, None)
        for source in self._parse(stale, {p: signature(p) for p in stale}, memos, emit):
            self._emit(source, optional, emit)
        self._memos[origin.key] = memos

    def _parse(self, paths: list[str], signatures: Mapping[str, Signature | None], memos: dict[str, _Memo],
               emit: Emitter) -> Generator[ParsedSource, None, None]:
        """Parse `paths` in order, remembering what each file that went wholly to the sink gave."""
        for source in parse_many(paths, self.roots, self.limits, self.max_entities, emit.prepare):
            sig = signatures.get(source.path)
            if sig is not None and source.error is None and all(isinstance(e, Prepared) for e in source.entities):
                prepared = [e for e in source.entities if isinstance(e, Prepared)]
                memos[source.path] = _Memo(sig, tuple(e.ref for e in prepared),
                                           b"".join(bytes.fromhex(e.blob_digest()) for e in prepared))
            yield source

    def _emit(self, source: ParsedSource, optional: bool, emit: Emitter) -> None:
        spec = LocationSpec("file", source.path)
        if source.error is not None:
            name, message = source.error
            if name != "NotFoundError" or not optional:
                emit.source_error(spec, name, message)
            return
        for data in source.entities:
            if isinstance(data, Prepared) and emit.sink is not None:
                emit.sink.add(spec, data)
            elif isinstance(data, ProcessingError):
                emit.source_error(spec, data.name, data.message)
            else:
                emit.entity(spec, data)

    def emit_documents(self, spec: LocationSpec, data: bytes, emit: Emitter) -> None:
        """Parse YAML from any source and emit its entities; a bad file becomes that source's error."""
        parsed = parse_source(spec.target, data, self.limits, self.max_entities)
        if parsed.error is not None:
            emit.source_error(spec, *parsed.error)
            return
        for entity in parsed.entities:
            emit.entity(spec, entity)
