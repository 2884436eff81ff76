"""Reading `file` locations: a path or a glob, below the folders the integrator allows."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from greenroom.plugins.catalog.model import YamlLimits, load_yaml_documents
from greenroom.plugins.catalog.processing.types import Emitter, LocationSpec

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
        real = Path(os.path.realpath(path))
        return any(real == root or root in real.parents for root in self.roots)

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
        for path in paths:
            self._read_file(path, optional, emit)
        return True

    def _read_file(self, path: str, optional: bool, emit: Emitter) -> None:
        spec = LocationSpec("file", path)
        if not self.allowed(path):
            emit.source_error(spec, "NotAllowedError",
                              f"{path} is outside the folders file locations may read (catalog.allowedFileRoots)")
            return
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.limits.max_bytes + 1)
        except FileNotFoundError:
            if not optional:
                emit.source_error(spec, "NotFoundError", f"{path} does not exist")
            return
        except OSError as exc:
            emit.source_error(spec, "InputError", f"{path} cannot be read: {exc.strerror}")
            return
        self.emit_documents(spec, data, emit)

    def emit_documents(self, spec: LocationSpec, data: bytes, emit: Emitter) -> None:
        """Parse YAML from any source and emit its entities; a bad file becomes that source's error."""
        result = load_yaml_documents(data, source=spec.target, limits=self.limits)
        if result.errors:
            first = result.errors[0]
            where = f" at line {first.line}" if first.line else ""
            emit.source_error(spec, "InputError", f"{spec.target}{where}: {first.message}")
            return
        if len(result.documents) > self.max_entities:
            emit.source_error(spec, "InputError", f"{spec.target} holds {len(result.documents)} entities, more than "
                                                  f"the limit of {self.max_entities}")
            return
        for doc in result.documents:
            if isinstance(doc.data, dict):
                emit.entity(spec, doc.data)
