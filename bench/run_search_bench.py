#!/usr/bin/env python3
"""Measure search on a large catalog plus docs pages, on SQLite and PostgreSQL.

For each store:
  1. generate N entities with the shared kit's gen_catalog.py into bench/data/nN (kept between runs),
  2. start a portal in this process on a fresh database (a new SQLite file, or a new PostgreSQL database that is
     dropped afterwards) with one file location for the catalog and a collator of D synthetic docs pages,
  3. process the catalog until idle (not timed here; bench/run_catalog_bench.py measures ingestion),
  4. time a full reindex (`greenroom search reindex` does the same) from an empty index,
  5. time queries (the `GET /api/search/query` engine call, page of 25) and suggestions (8 results) for a mix
     of exact names, name prefixes, description words, docs headings and misspellings,
  6. edit one entity's file, run one catalog processing pass and one incremental search pass, and check that
     the new description is found.

Writes bench/results/search-<store>-n<N>.json and prints a summary table.

    .venv/bin/python bench/run_search_bench.py                       # 50000 entities, 5000 docs, both stores
    .venv/bin/python bench/run_search_bench.py --entities 2000 --docs 200 --stores sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
KIT = Path(os.environ.get("GREENROOM_BENCH_KIT") or next(
    (p for p in ("/work/wt/shared/bench", "/work/shared/bench") if Path(p, "gen_catalog.py").is_file()),
    "/work/shared/bench"))
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ALL_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]
TOPICS = ["deploying", "monitoring", "alerting", "scaling", "caching", "tracing", "logging", "migrating",
          "onboarding", "authenticating", "rate-limiting", "backups", "failover"]
PROSE = ("the service handles requests for data and keeps a queue of jobs in the database while workers "
         "retry failed calls with backoff so that latency stays low under load the cluster runs in three "
         "zones behind a load balancer with health checks configuration lives in environment variables "
         "secrets are mounted from the vault and rotated every month")
WORDS = PROSE.split(" ")


def log(message: str) -> None:
    print(f"[run_search_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def generate(n: int, seed: int) -> Path:
    folder = BENCH_DIR / "data" / f"n{n}"
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("seed") == seed:
        return folder
    log(f"generating {n} entities into {folder}")
    subprocess.run([sys.executable, str(KIT / "gen_catalog.py"), str(n), str(folder), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    return folder


def docs_documents(count: int, components: list[str], seed: int) -> Iterator[dict[str, Any]]:
    """`count` docs pages (TechDocs' document shape), a few per component."""
    rng = random.Random(seed)
    for i in range(count):
        name = components[i % len(components)]
        topic = rng.choice(TOPICS)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 400)))
        yield {"title": f"{topic.capitalize()} {name}", "text": f"{name} {topic}. {text}",
               "location": f"/docs/default/component/{name}/{topic}-{i}.html", "path": f"{topic}-{i}.html",
               "kind": "component", "namespace": "default", "name": name, "entityTitle": name,
               "componentType": "service", "lifecycle": "production", "owner": "team-a",
               "lastModified": "2026-01-01T00:00:00Z"}


def docs_plugin(count: int, components: list[str], seed: int) -> types.ModuleType:
    """A plugin publishing the docs pages through `search_collators`, as TechDocs will."""
    from greenroom import PluginManifest, hookimpl
    from greenroom.plugins.search.model import FunctionCollator

    def documents() -> Iterator[dict[str, Any]]:
        return docs_documents(count, components, seed)

    module = types.ModuleType("bench_docs")
    module.manifest = PluginManifest(id="bench-docs", name="Bench docs", version="1")  # type: ignore[attr-defined]

    @hookimpl
    def search_collators() -> list[Any]:
        return [FunctionCollator("techdocs", documents)]

    module.search_collators = search_collators  # type: ignore[attr-defined]
    return module


def misspell(word: str, rng: random.Random) -> str:
    """One edit: swap two neighbours, drop a letter or double one."""
    i = rng.randrange(1, len(word) - 1)
    choice = rng.randrange(3)
    if choice == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if choice == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def query_mix(manifest: dict[str, Any], seed: int, docs: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    headings = [d["title"] for d in docs_documents(docs, manifest["sample_components"], seed)]
    names = manifest["sample_components"]
    picked = rng.sample(names, 40)
    parts = [p for n in picked for p in n.split("-") if len(p) > 4]
    return {
        "exact name": picked[:20],
        "name prefix": [n[: max(3, len(n) // 2)] for n in picked[20:40]],
        "description word": ["bridge", "gateway handles", "analytics", "payments data", "falcon", "quiet",
                             "requests", "security team", "orbit", "zephyr"],
        "docs heading": rng.sample(headings, 10),
        "misspelling": [misspell(p, rng) for p in parts[:20]],
    }


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2), "max_ms": round(ordered[-1], 2)}


def database_url(store: str, folder: Path, admin: str) -> tuple[str, Callable[[], None]]:
    if store == "sqlite":
        path = folder / "search-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"greenroom_search_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return engine.url.set(database=name).render_as_string(hide_password=False), drop


def run(store: str, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import text
    from starlette.testclient import TestClient

    from greenroom.app import create_app
    from greenroom.plugins.catalog.service import CATALOG_SERVICE
    from greenroom.plugins.search.model import SearchQuery
    from greenroom.plugins.search.service import SEARCH_SERVICE

    manifest = json.loads((data / "manifest.json").read_text())
    def keep() -> None:
        log(f"{store}: kept the database {url}")

    if args.database_url:
        url, drop = args.database_url, keep
    else:
        url, drop = database_url(store, data, args.postgres_url)
        drop = keep if args.keep else drop
    edit_file: Path | None = None
    original = ""
    config = {"backend": {"database": {"url": url}, "logging": {"level": "warning"}},
              "catalog": {"locations": [{"type": "file", "target": str(data / "catalog" / "**" / "*.yaml")}],
                          "rules": [{"allow": ALL_KINDS}], "orphanStrategy": "keep", "processingInterval": False},
              "search": {"incrementalInterval": {"hours": 24}}}
    plugin = docs_plugin(args.docs, manifest["sample_components"], args.seed)
    result: dict[str, Any] = {"store": store, "entities": args.entities, "docs": args.docs}
    try:
        app = create_app([], env={}, extra_plugins=[plugin], overrides=config)
        with TestClient(app) as client:
            core = client.app.state.portal.core  # type: ignore[attr-defined]
            catalog, search = core.services.get(CATALOG_SERVICE), core.services.get(SEARCH_SERVICE)
            started = time.monotonic()
            while True:
                try:
                    if not catalog.run_until_idle(max_seconds=600):
                        break
                except Exception as exc:
                    # Processing and the stitch helper process can deadlock on PostgreSQL under load (a catalog
                    # issue, reported separately); the pass is simply run again.
                    if "deadlock" not in str(exc):
                        raise
                    log(f"{store}: catalog processing hit a deadlock; running it again")
            log(f"{store}: catalog processed in {time.monotonic() - started:.0f}s")
            started = time.monotonic()
            passes = search.indexer.full()
            result["full_reindex_s"] = round(time.monotonic() - started, 2)
            result["indexed"] = search.engine.count()
            assert all(p.error is None for p in passes), passes
            log(f"{store}: full reindex {result['full_reindex_s']}s {result['indexed']}")
            started = time.monotonic()
            search.indexer.full()
            result["unchanged_reindex_s"] = round(time.monotonic() - started, 2)
            mix = query_mix(manifest, args.seed, args.docs)
            result["queries"] = {}
            every: list[float] = []
            found = 0
            for category, terms in mix.items():
                times: list[float] = []
                for term in terms:
                    times += timed(lambda t=term: search.query(SearchQuery(term=t, limit=25)), args.repeat)
                    found += bool(search.query(SearchQuery(term=term, limit=25)).hits)
                every += times
                result["queries"][category] = summary(times)
            result["query"] = summary(every)
            result["queries_with_results"] = f"{found}/{sum(len(t) for t in mix.values())}"
            typed = [t[:k] for t in mix["exact name"] for k in range(2, len(t) + 1, 2)]
            result["suggest"] = summary([v for t in typed for v in timed(lambda t=t: search.suggest(t), 3)])
            http = [v for t in mix["exact name"][:10] for v in timed(
                lambda t=t: client.get("/api/search/query", params={"term": t}), 3)]
            result["http_query"] = summary(http)
            name = mix["exact name"][0]
            edit_file = data / "catalog" / "repos" / name / "catalog-info.yaml"
            original = edit_file.read_text()
            edited = original.replace("description: ", "description: Searchable marmalade quokka. ", 1)
            assert edited != original and f"name: {name}" in original.split("---")[0]
            edit_file.write_text(edited)
            started = time.monotonic()
            # The file is read again when its location is processed: make every location due now.
            with catalog.database.engine.begin() as conn:
                conn.execute(text("UPDATE catalog_refresh_state SET next_update_at = 0 WHERE entity_ref LIKE "
                                  "'location:%'"))
            catalog.run_until_idle(max_seconds=600)
            processed = time.monotonic() - started
            started = time.monotonic()
            search.indexer.incremental()
            hits = search.query(SearchQuery(term="marmalade quokka")).hits
            result["edit"] = {"processing_s": round(processed, 2),
                              "incremental_pass_s": round(time.monotonic() - started, 2),
                              "found_after_one_pass": bool(hits) and hits[0].document.get("name") == name}
            log(f"{store}: {json.dumps(result)}")
    finally:
        if edit_file is not None:
            edit_file.write_text(original)
        drop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--docs", type=int, default=5_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the databases (to rerun with --database-url)")
    parser.add_argument("--database-url", help="use this (already loaded) database; with one store only")
    parser.add_argument("--postgres-url", default=os.environ.get("GREENROOM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    data = generate(args.entities, args.seed)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    results = []
    for store in [s for s in args.stores.split(",") if s]:
        result = run(store, data, args)
        (out / f"search-{store}-n{args.entities}.json").write_text(json.dumps(result, indent=2) + "\n")
        results.append(result)
    print(f"\n{'store':<11} {'reindex s':>9} {'query med':>9} {'p95':>7} {'suggest med':>11} {'p95':>7} "
          f"{'edit found':>10}")
    for r in results:
        print(f"{r['store']:<11} {r['full_reindex_s']:>9} {r['query']['median_ms']:>9} {r['query']['p95_ms']:>7} "
              f"{r['suggest']['median_ms']:>11} {r['suggest']['p95_ms']:>7} {r['edit']['found_after_one_pass']!s:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
