"""Per-entity speed of the catalog model: YAML parsing and entity validation.

Usage::

    python bench/model_speed.py /tmp/bench/n10000 [--repeat 3]

The folder is scanned for ``*.yaml`` files (a ``catalog/`` subfolder is used
when present). Prints microseconds per entity for ``load_yaml_documents``
(with plain ``yaml.CSafeLoader`` ``load_all`` for reference) and for
``validate_entity``. Each figure is the best of ``--repeat`` runs (wall clock,
with the process CPU time next to it, which is steadier on a busy machine).
One-time costs (building the registry, compiling schemas) are reported
separately as ``first-call``; the format-check memo is emptied before each
validation run so every run is like a first ingestion.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from greenroom.plugins.catalog.model import envelope, load_yaml_documents, validate_entity


def _best(runs: int, fn: Callable[[], object], before: Callable[[], None] = lambda: None) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``runs`` calls of ``fn``."""
    wall = cpu = float("inf")
    for _ in range(runs):
        before()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def _forget_memos() -> None:
    for memo in getattr(envelope, "_MEMOS", {}).values():
        memo.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="catalog folder (e.g. /tmp/bench/n10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is shown")
    args = parser.parse_args(argv)

    root: Path = args.folder / "catalog" if (args.folder / "catalog").is_dir() else args.folder
    files = sorted(root.rglob("*.yaml"))
    if not files:
        print(f"no *.yaml files under {root}", file=sys.stderr)
        return 1
    raw = [(str(path), path.read_bytes()) for path in files]

    def parse() -> list[Any]:
        return [doc.data for source, content in raw for doc in load_yaml_documents(content, source=source).documents]

    def plain() -> None:
        for _, content in raw:
            list(yaml.load_all(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))

    entities = parse()
    n = len(entities)
    if not n:
        print("no entities found", file=sys.stderr)
        return 1
    start = time.perf_counter()
    first_issues = validate_entity(entities[0])
    warmup = time.perf_counter() - start
    invalid = 0

    def validate() -> None:
        nonlocal invalid
        invalid = sum(1 for entity in entities if validate_entity(entity))

    t_parse, c_parse = _best(args.repeat, parse)
    t_plain, c_plain = _best(args.repeat, plain)
    t_validate, c_validate = _best(args.repeat, validate, _forget_memos)
    us = 1e6 / n
    print(f"files={len(files)} entities={n} invalid={invalid} first-call={warmup * 1e3:.1f} ms")
    print(f"parse (load_yaml_documents): {t_parse * us:7.1f} us/entity  ({t_parse:.3f} s, cpu {c_parse:.3f} s)")
    print(f"plain CSafeLoader load_all:  {t_plain * us:7.1f} us/entity  ({t_plain:.3f} s, cpu {c_plain:.3f} s)")
    print(f"parse / plain:               {t_parse / t_plain:7.2f}x        (cpu {c_parse / c_plain:.2f}x)")
    print(
        f"validate (validate_entity):  {t_validate * us:7.1f} us/entity  ({t_validate:.3f} s, cpu {c_validate:.3f} s)"
    )
    del first_issues
    return 0


if __name__ == "__main__":
    sys.exit(main())
