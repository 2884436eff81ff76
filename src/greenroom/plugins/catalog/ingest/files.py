"""Reading `file` locations: a path or a glob, below the folders the integrator allows."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from greenroom.plugins.catalog.ingest.parsing import ParsedSource, is_allowed, parse_many, parse_source
from greenroom.plugins.catalog.model import YamlLimits
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec, Prepared, ProcessingError

_GLOB_CHARS = set("*?[")


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
        for source in parse_many(paths, self.roots, self.limits, self.max_entities, emit.prepare):
            self._emit(source, optional, emit)

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
