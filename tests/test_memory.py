"""The allocator tuning: large buffers keep a mapping of their own, so freeing one returns it to the system."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


# In a child process: freezing the heap of this test process would keep every later test's cycles.
_FREEZE_PROGRAM = """
import gc, sys
from starlette.testclient import TestClient
from greenroom.app import create_app
from greenroom.plugins.catalog.ingest import parsing

app = create_app(overrides={"backend": {"database": {"url": sys.argv[1]}}, "plugins": {"disable": ["techdocs"]}})
app.state.portal.freeze_heap = sys.argv[2] == "serve"
with TestClient(app) as client:
    assert client.get("/healthcheck").status_code == 200
    started = gc.get_freeze_count()
    parsing._submit(parsing.ProcessPoolExecutor(1), [], [], None, 0, False, first=True).result()
    print(started, gc.get_freeze_count() >= started)
"""


@pytest.mark.parametrize("mode", ["serve", "embedded"])
def test_a_served_portal_keeps_its_started_heap_out_of_full_collections(mode: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/portal.db"
    out = subprocess.run([sys.executable, "-c", _FREEZE_PROGRAM, url, mode], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    frozen, kept = int(out[0]), out[1] == "True"
    # Served: frozen once started, and a large read's fork of parsing helpers leaves that as it is. Embedded
    # (tests, other hosts): never frozen.
    assert (frozen > 10_000) if mode == "serve" else frozen == 0
    assert kept
