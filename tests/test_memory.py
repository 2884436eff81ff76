"""The allocator tuning: large buffers keep a mapping of their own, so freeing one returns it to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

from greenroom import memory

# Untuned, glibc raises its mmap threshold to the size of each mapped block freed, so after a 4 MB buffer is
# freed a 1 MB one comes from the heap, where its memory stays after it is freed; tuned, it is mapped.
_PROGRAM = """
import ctypes, sys
from greenroom import memory

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "tuned":
    memory.tune_allocator()
first = b"x" * 4_000_000
del first
before = libc.mallinfo2().hblkhd
second = b"y" * 1_000_000
print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_growth(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def _has_mallinfo2() -> bool:
    libc = memory._glibc()
    return bool(libc) and hasattr(libc, "mallinfo2")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _has_mallinfo2(), reason="glibc's allocator only")
def test_large_buffers_get_their_own_mapping_after_tuning() -> None:
    assert _mapped_growth("plain") == 0
    assert _mapped_growth("tuned") >= 1_000_000


def test_tuning_twice_and_releasing_are_harmless() -> None:
    memory.tune_allocator()
    memory.tune_allocator()
    memory.release_free_memory()
