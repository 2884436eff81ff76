"""Assembling the ingestion sources for the catalog plugin: url and git locations, placeholders, annotations.

The plugin's start-up calls `build_readers` once and hands the results to its orchestrator.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from greenroom import PluginContext
from greenroom.plugins.catalog.config import CatalogConfig
from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.git import GitReader
from greenroom.plugins.catalog.ingest.placeholders import PlaceholderReader
from greenroom.plugins.catalog.ingest.urls import AnnotateLocation, UrlLocationReader


def default_cache_dir() -> Path:
    """A per-user folder for git caches that survives restarts, or a private fresh one if that is unsafe."""
    path = Path(tempfile.gettempdir()) / f"greenroom-git-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(path)
        # The temp folder is shared: a folder someone else made (or a symlink) could feed us their objects.
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="greenroom-git-"))


def build_readers(ctx: PluginContext, config: CatalogConfig, file_reader: FileReader,
                  cache_dir: Path | None = None) -> tuple[list[Any], list[Any], PlaceholderReader]:
    """Location readers, processors and the placeholder reader for `url` (http and git) locations.

    Also registers the git reader with the app's UrlReader, so other plugins can read ``git+`` URLs too.
    """
    reading = ctx.app_config.backend.reading
    git = next((p for p in ctx.url_reader.providers if isinstance(p, GitReader)), None)
    if git is None:  # one per app, even if start-up runs twice (the CLI's import, tests)
        git = GitReader(cache_dir or default_cache_dir(), ctx.url_reader.is_allowed, file_reader.allowed,
                        max_bytes=reading.maxBytes, timeout=reading.timeoutSeconds,
                        max_files=config.limits.maxFilesPerLocation)
        ctx.url_reader.add_provider(git)
    readers: list[Any] = [UrlLocationReader(ctx.url_reader, file_reader, git)]
    processors: list[Any] = [AnnotateLocation()]
    return readers, processors, PlaceholderReader(ctx.url_reader, file_reader, reading.maxBytes)
