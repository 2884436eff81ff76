"""Whole lists kept as files for the catalog generation they were read in, and sent again from there.

Clients that sync the catalog ask for the same unpaged list over and over (`GET /entities`, or one kind of
them): tens of megabytes that only change when the catalog does. A list asked for a second time in a generation
is streamed from the database as always and written to a file meanwhile; later identical requests in the same
generation are sent from that file, which costs the server a read from the page cache instead of the queries.
A list asked for once per generation (a catalog that changes all the time) is never written.

A file is kept only when the generation was the same before the first batch and after the last, so it never
mixes two states of the catalog; the key holds the whole predicate, the caller's permission conditions
included, so a caller only ever gets a list made under the same conditions. Files live in a private temporary
folder of this process, within a size budget (`catalog.listCacheMegabytes`), the least recently used going
first, and are deleted on shutdown.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

READ_BYTES = 512 * 1024  # per piece handed to the server, as listing.PIECE does for streamed entities
ASKED_KEYS = 1024  # lists remembered as asked for once


class ListSnapshots:
    """A bounded folder of list files, each named by its request key and catalog generation."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._folder: Path | None = None
        self._lock = threading.Lock()
        self._asked: OrderedDict[str, int] = OrderedDict()  # key -> the generation it was first asked for in

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @staticmethod
    def key(*parts: Any) -> str:
        """A file-name-safe digest of everything that decides a list's bytes."""
        return hashlib.sha1(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def cached(self, key: str, generation: int) -> Iterator[bytes] | None:
        """The stored list of `key` in `generation`, as pieces read from its file, or None."""
        if not self.enabled or self._folder is None:
            return None
        path = self._folder / f"{key}-{generation}.json"
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the generator below
        except FileNotFoundError:
            return None
        os.utime(path)  # most recently used: evicted last
        return _pieces(handle)

    def asked_before(self, key: str, generation: int) -> bool:
        """True when `key` was asked for earlier in `generation`; remembers this request otherwise."""
        with self._lock:
            if self._asked.get(key) == generation:
                return True
            self._asked[key] = generation
            self._asked.move_to_end(key)
            while len(self._asked) > ASKED_KEYS:
                self._asked.popitem(last=False)
            return False

    def record(self, key: str, generation: int, chunks: Iterator[bytes],
               current: Callable[[], int]) -> Iterator[bytes]:
        """`chunks`, passed on as they come and written to a file kept for `generation` when the list is whole,
        fits the budget and `current()` still gives `generation` after the last chunk."""
        if not self.enabled:
            yield from chunks
            return
        folder = self._ensure_folder()
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".part-")
        temp = Path(temp_name)
        size = 0
        keep = True
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if keep:
                        size += len(chunk)
                        keep = size <= self.max_bytes
                        if keep:
                            out.write(chunk)
                    yield chunk
            if keep and current() == generation:
                os.replace(temp, folder / f"{key}-{generation}.json")
                self._evict(key, generation)
        finally:
            temp.unlink(missing_ok=True)

    def close(self) -> None:
        """Delete every stored list (on shutdown)."""
        with self._lock:
            folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _ensure_folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="greenroom-lists-"))  # private: mode 0700
            return self._folder

    def _evict(self, key: str, generation: int) -> None:
        """Drop this key's older generations, then the least recently used lists beyond the budget."""
        folder = self._folder
        if folder is None:
            return
        with self._lock:
            files = []
            for path in folder.glob("*.json"):
                try:
                    info = path.stat()
                except FileNotFoundError:
                    continue
                name_key, _, name_generation = path.stem.rpartition("-")
                if name_key == key and name_generation != str(generation):
                    path.unlink(missing_ok=True)
                    continue
                files.append((info.st_mtime_ns, info.st_size, path))
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files, key=lambda f: f[0]):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)  # a response still reading it keeps its open handle
                total -= size


def _pieces(handle: Any) -> Iterator[bytes]:
    with handle:
        while piece := handle.read(READ_BYTES):
            yield piece
