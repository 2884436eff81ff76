#!/usr/bin/env python3
"""Print a Markdown table of Greenroom's benchmark results next to the reference Backstage figures.

    python3 bench/summarize.py                      # bench/results/*.json
    python3 bench/summarize.py path/to/results ...  # other folders or result files

Greenroom rows come from bench.py result files (plus the `<label>.check.json` written by run_catalog_bench.py);
the Backstage rows are the table in the benchmark kit's README (/work/shared/bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
KIT_README = Path(os.environ.get("GREENROOM_BENCH_KIT", "/work/shared/bench")) / "README.md"
COLUMNS = ["system", "store", "N", "all entities visible", "settled", "peak RSS", "by-name",
           "by-query limit=100", "list kind=component,spec.type=service", "facets", "full dump",
           "by-name req/s at 8 conns", "checks"]


def result_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
        files += [p for p in candidates if not p.name.endswith(".check.json")]
    return files


def ms(result: dict[str, Any], endpoint: str) -> str:
    value = (result.get("latency") or {}).get(endpoint, {}).get("median_ms")
    return "-" if value is None else f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def rss(kb: int | None) -> str:
    if not kb:
        return "-"
    return f"{kb / 1024 / 1024:.2f} GB" if kb >= 1024 * 1024 else f"{kb / 1024:.0f} MB"


def store_of(label: str) -> str:
    return "PostgreSQL" if "postgres" in label.lower() else "SQLite"


def greenroom_row(path: Path) -> dict[str, str] | None:
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict) or "label" not in result or "n" not in result:
        return None
    label = result["label"]
    check_path = path.with_name(f"{path.stem}.check.json")
    if check_path.is_file():
        check = json.loads(check_path.read_text())
        checks = "ok" if check["ok"] else "FAILED: " + "; ".join(check["problems"])
    else:
        checks = f"relations {result.get('dump_relations', '?')} (not checked)"
    if "latency" not in result:
        checks = "incomplete run" + ("" if checks == "ok" else f"; {checks}")
    ingestion = result.get("ingestion") or {}
    c8 = (result.get("throughput_by_name") or {}).get("c8", {}).get("rps")
    layout = "" if result.get("layout", "glob") == "glob" else f", {result['layout']} layout"
    return {"system": "Greenroom", "store": store_of(label) + layout, "N": f"{result['n']:,}",
            "all entities visible": seconds(ingestion.get("t_all_s")),
            "settled": seconds(ingestion.get("t_settled_s")),
            "peak RSS": rss(result.get("rss_kb_peak_sampled")),
            "by-name": ms(result, "by_name"),
            "by-query limit=100": ms(result, "by_query_kind_component_limit100"),
            "list kind=component,spec.type=service": ms(result, "list_component_service_full"),
            "facets": ms(result, "facets_spec_type"), "full dump": ms(result, "full_dump"),
            "by-name req/s at 8 conns": "-" if c8 is None else f"~{c8:,.0f}",
            "checks": checks}


def backstage_rows(readme: Path) -> list[dict[str, str]]:
    """The reference figures: the kit README's table rows, whose first cell names the store."""
    if not readme.is_file():
        return []
    rows = []
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 10 or not re.match(r"(SQLite|PostgreSQL)", cells[0]):
            continue
        store, n, visible, peak, by_name, by_query, listing, facets, dump, rps = cells
        rows.append({"system": "Backstage 4.0.5", "store": store, "N": n, "all entities visible": visible,
                     "settled": "-", "peak RSS": peak, "by-name": by_name, "by-query limit=100": by_query,
                     "list kind=component,spec.type=service": listing, "facets": facets, "full dump": dump,
                     "by-name req/s at 8 conns": rps, "checks": "reference (kit README)"})
    return rows


def sort_key(row: dict[str, str]) -> tuple[int, int, str, int]:
    family = 0 if row["store"].startswith("SQLite") else 1
    return family, int(row["N"].replace(",", "")), row["store"], 0 if row["system"] == "Greenroom" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(BENCH_DIR / "results")],
                        help="result files or folders (default: bench/results)")
    parser.add_argument("--no-reference", action="store_true", help="leave out the Backstage rows")
    args = parser.parse_args()
    rows = [r for r in (greenroom_row(p) for p in result_files(args.paths)) if r]
    if not rows:
        print(f"no results in {', '.join(args.paths)}; run bench/run_catalog_bench.py first", file=sys.stderr)
        return 1
    if not args.no_reference:
        rows += backstage_rows(KIT_README)
    rows.sort(key=sort_key)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(row[c] for c in COLUMNS) + " |")
    print("\nLatencies are medians. Backstage figures are from a 2-core machine (kit README); compare only runs "
          "taken side by side on the same machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
