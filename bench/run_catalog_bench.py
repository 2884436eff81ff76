#!/usr/bin/env python3
"""Run the shared catalog benchmark kit against Greenroom, on SQLite and PostgreSQL, for several catalog sizes.

For every size N and store:
  1. generate the synthetic catalog with the kit's gen_catalog.py into bench/data/nN (kept between runs),
  2. write a Greenroom config: one file location `<data>/catalog/**/*.yaml`, every kind allowed,
     orphanStrategy keep, logging at warning, and a fresh database (a new SQLite file under bench/data, or a
     new PostgreSQL database on the admin server, dropped afterwards),
  3. run the kit's bench.py, which starts `greenroom serve`, waits until every entity is visible and measures
     latency, RSS and throughput, writing bench/results/greenroom-<store>-n<N>.json,
  4. check the run: entity totals and kinds against the manifest, and the relation count of the full dump
     against the kit's expected_relations.py (bench/results/<label>.check.json).

Run it with the project's virtualenv (it needs SQLAlchemy and psycopg for PostgreSQL):

    .venv/bin/python bench/run_catalog_bench.py 1000 --bench-args='--reps 50 --duration 5'
    .venv/bin/python bench/run_catalog_bench.py            # 10000 50000 100000 on sqlite and postgresql

Exits 1 when any run failed or any check did not match.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
KIT = Path(os.environ.get("GREENROOM_BENCH_KIT", "/work/shared/bench"))
DEFAULT_SIZES = [10_000, 50_000, 100_000]
STORES = ("sqlite", "postgresql")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]


def log(message: str) -> None:
    print(f"[run_catalog_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def generate(n: int, data_root: Path, seed: int) -> Path:
    """The data folder for N entities, generated unless a complete one is already there."""
    folder = data_root / f"n{n}"
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("seed") == seed:
        log(f"n={n}: reusing {folder}")
        return folder
    log(f"n={n}: generating into {folder}")
    # The kit's generator needs PyYAML, which the project's virtualenv has.
    subprocess.run([sys.executable, str(KIT / "gen_catalog.py"), str(n), str(folder), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    return folder


def create_postgres_database(admin_url: str, n: int) -> tuple[str, Callable[[], None]]:
    """A new, empty PostgreSQL database; returns its URL and a function that drops it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"greenroom_bench_n{n}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"dropped database {name}")

    log(f"created database {name}")
    return url, drop


def sqlite_database(folder: Path) -> str:
    path = folder / "greenroom-sqlite.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def write_config(path: Path, data: Path, database_url: str, workers: int = 1) -> None:
    """The Greenroom config of one run (JSON is YAML, so the config loader reads it as is)."""
    config = {
        "backend": {"database": {"url": database_url}, "logging": {"level": "warning", "format": "text"},
                    "workers": workers},
        # The catalog alone, as the reference Backstage figures were taken: TechDocs would try to build the
        # generated entities' (unreachable) docs and search would index them while the import runs.
        "plugins": {"disable": ["techdocs", "search"]},
        "catalog": {
            "locations": [{"type": "file", "target": str(data / "catalog" / "**" / "*.yaml")}],
            "rules": [{"allow": ALL_KINDS}],
            "orphanStrategy": "keep",
        },
    }
    path.write_text("# Written by bench/run_catalog_bench.py\n" + json.dumps(config, indent=2) + "\n")


def check_run(data: Path, result_path: Path) -> dict[str, Any]:
    """Compare a bench.py result with the manifest and with the relations the data implies."""
    manifest = json.loads((data / "manifest.json").read_text())
    result = json.loads(result_path.read_text())
    problems: list[str] = []
    expected_total = manifest["expected_total_glob_layout"]
    if result.get("dump_entities") != expected_total:
        problems.append(f"full dump has {result.get('dump_entities')} entities, expected {expected_total}")
    expected_kinds = {kind.lower(): count for kind, count in manifest["counts"].items()}
    expected_kinds["location"] = expected_kinds.get("location", 0) + 1  # the config location
    kinds = {kind.lower(): count for kind, count in (result.get("kinds") or {}).items()}
    if kinds != expected_kinds:
        problems.append(f"kind facet {kinds} != expected {expected_kinds}")
    proc = subprocess.run([sys.executable, str(KIT / "expected_relations.py"), str(data), str(result_path)],
                          capture_output=True, text=True, check=True)
    text = proc.stdout
    expected = json.loads(text[:text.rindex("}") + 1])
    verdict = text[text.rindex("}") + 1:].strip()
    if "MATCH" not in verdict or "MISMATCH" in verdict:
        problems.append(f"relations: dump has {result.get('dump_relations')}, expected "
                        f"{expected['expected_dump_relations']} ({verdict})")
    errors = [k for k, v in (result.get("throughput_by_name") or {}).items()
              if v.get("non_2xx") or v.get("errors") or v.get("socket_errors")]
    if errors:
        problems.append(f"throughput runs with errors: {errors}")
    return {"label": result.get("label"), "ok": not problems, "problems": problems,
            "dump_entities": result.get("dump_entities"), "expected_entities": expected_total,
            "dump_relations": result.get("dump_relations"),
            "expected_relations": expected["expected_dump_relations"],
            "expected_relations_per_type": expected["per_type"], "expected_relations_output": verdict}


def run_one(n: int, store: str, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    label = f"greenroom-{store}-n{n}" + (f"-w{args.workers}" if args.workers > 1 else "")
    results = Path(args.results).resolve()
    results.mkdir(parents=True, exist_ok=True)
    out = results / f"{label}.json"
    config = data / f"greenroom-{store}.yaml"
    drop: Callable[[], None] | None = None
    try:
        if store == "sqlite":
            url = sqlite_database(data)
        else:
            url, drop = create_postgres_database(args.postgres_url, n)
        write_config(config, data, url, args.workers)
        greenroom = Path(args.venv).resolve() / "bin" / "greenroom"
        server_cmd = f"exec {shlex.quote(str(greenroom))} serve --config {shlex.quote(str(config))} --port $PORT"
        command = [sys.executable, str(KIT / "bench.py"), "--manifest", str(data / "manifest.json"),
                   "--server-cmd", server_cmd, "--label", label, "--out", str(out),
                   "--port", str(args.port), "--server-log", str(results / f"{label}.server.log"),
                   *shlex.split(args.bench_args)]
        log(f"{label}: {shlex.join(command)}")
        out.unlink(missing_ok=True)
        # bench.py runs the server from the repository root, as `make demo` would.
        code = subprocess.run(command, cwd=REPO).returncode
        if code != 0 or not out.is_file() or "latency" not in json.loads(out.read_text()):
            check: dict[str, Any] = {"label": label, "ok": False,
                                     "problems": [f"bench.py exited {code}; see {out} and "
                                                  f"{results / (label + '.server.log')}"]}
        else:
            check = check_run(data, out)
    finally:
        if drop is not None:
            drop()
    (results / f"{label}.check.json").write_text(json.dumps(check, indent=1) + "\n")
    log(f"{label}: {'OK' if check['ok'] else 'FAILED: ' + '; '.join(check['problems'])}")
    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=DEFAULT_SIZES,
                        help=f"catalog sizes N (default: {' '.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--seed", type=int, default=42, help="gen_catalog.py seed")
    parser.add_argument("--data", default=str(BENCH_DIR / "data"), help="where generated catalogs live")
    parser.add_argument("--results", default=str(BENCH_DIR / "results"), help="where results are written")
    parser.add_argument("--venv", default=str(REPO / ".venv"), help="virtualenv with greenroom installed")
    parser.add_argument("--port", type=int, default=7017, help="port the server under test listens on")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (backend.workers)")
    parser.add_argument("--postgres-url", default=os.environ.get("GREENROOM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="admin connection used to create and drop the benchmark databases")
    parser.add_argument("--bench-args", default="",
                        help="extra bench.py options, e.g. '--reps 50 --duration 5 --no-settle'")
    args = parser.parse_args()
    if not (Path(args.venv) / "bin" / "greenroom").exists():
        parser.error(f"no greenroom in {args.venv}; run `make install` first or pass --venv")
    checks = []
    for n in args.sizes:
        data = generate(n, Path(args.data).resolve(), args.seed)
        for store in args.stores:
            checks.append(run_one(n, store, data, args))
    failed = [c for c in checks if not c["ok"]]
    for check in checks:
        state = "OK" if check["ok"] else "FAILED"
        log(f"{check['label']}: {state} {'; '.join(check['problems'])}".rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
