"""Keeping the server's memory close to what it uses, with glibc's allocator (Linux); elsewhere a no-op.

Two habits of glibc make a long-running Python server hold far more than it needs after large, short-lived
buffers (a 70 MB catalog dump sent in chunks, 50,000 entities parsed for an import):

- Freed blocks above the mmap threshold go back to the system, but each one freed raises the threshold (up to
  32 MB), so the next large buffers come from the heap, where freeing them leaves holes that are rarely
  returned. Fixing the threshold keeps large buffers in their own mappings, returned on free.
- Every thread that allocates may get its own heap (up to eight per core), each keeping its own free memory.

Measured on a 50,000-entity catalog: two full dumps grew the server from 135 MB to 451 MB before this, and
the import kept 180 MB it had freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from typing import Any

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024  # bytes: buffers this large get a mapping of their own
TRIM_THRESHOLD = 8 * 1024 * 1024  # free memory at the top of a heap beyond this goes back at once
ARENA_MAX = 2

_lock = threading.Lock()
_libc: Any = None
_tuned = False


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc


def tune_allocator() -> None:
    """Fix glibc's thresholds for this process (once; later calls do nothing)."""
    global _tuned
    with _lock:
        libc = _glibc()
        if _tuned or not libc:
            return
        _tuned = True
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        libc.mallopt(_M_ARENA_MAX, ARENA_MAX)


def release_free_memory() -> None:
    """Hand memory the process has freed back to the system (after a large, one-off piece of work)."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


def freeze_startup_heap() -> None:
    """Keep what a started server holds (modules, classes, compiled validators and templates) out of the
    garbage collector's full passes, which otherwise walk all of it every few requests.

    A full pass over a started portal took 45-85 ms (pydantic's compiled validators are costly to walk): a
    catalog index page that takes 16 ms took 90 ms every tenth request. Frozen objects are still freed when
    their last reference goes; only a reference cycle among them would stay. For servers only: a test process
    that builds many portals would keep each one's cycles."""
    gc.collect()
    gc.freeze()
