"""Sites on the local file system, under `techdocs.publisher.local.publishDirectory`."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from greenroom.plugins.techdocs.publishers.base import METADATA_FILE, PublishError, parse_metadata, site_path
from greenroom.plugins.techdocs.refs import Triplet


class LocalPublisher:
    """Publishes by copying beside the old site and renaming, so the last good site is served until then."""

    name = "local"

    def __init__(self, root: Path, case_sensitive: bool = False) -> None:
        self.root = root
        self.case_sensitive = case_sensitive

    def folder(self, triplet: Triplet) -> Path:
        return self.root / triplet.storage_path(self.case_sensitive)

    def publish(self, triplet: Triplet, site: Path) -> None:
        target = self.folder(triplet)
        fresh = target.with_name(f".{target.name}.new-{uuid.uuid4().hex[:8]}")
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(site, fresh, symlinks=True)
            if target.exists():
                os.replace(target, old)
            os.replace(fresh, target)
        except OSError as exc:
            raise PublishError(f"cannot publish to {target}: {exc.strerror or exc}") from None
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def read(self, triplet: Triplet, path: str) -> bytes | None:
        rel = site_path(path)
        if rel is None:
            return None
        folder = self.folder(triplet)
        file = folder / rel
        try:
            # Published sites hold no links, but the folder is shared with other tools: check anyway.
            real = os.path.realpath(file)
            if not real.startswith(os.path.realpath(folder) + os.sep) or not os.path.isfile(real):
                return None
            return Path(real).read_bytes()
        except OSError:
            return None

    def metadata(self, triplet: Triplet) -> dict[str, Any] | None:
        return parse_metadata(self.read(triplet, METADATA_FILE))

    def ready(self) -> bool:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return os.access(self.root, os.W_OK)
        except OSError:
            return False
