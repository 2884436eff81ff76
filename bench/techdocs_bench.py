#!/usr/bin/env python3
"""TechDocs targets, measured on a real `greenroom serve` over HTTP:

1. first view of an unbuilt 50-page site: from the first request of its home page until the built page is
   served (the reader's status box polls the same way), target < 10 s;
2. a cached page: latency of repeated requests for a built page, target < 20 ms;
3. a one-page change: how many processing passes (`techdocs.processingInterval`) go by before the rebuild
   starts, and how long until the new text is served; target: the rebuild starts within one pass.

Writes bench/results/techdocs.json and prints a summary. Run with the project's virtualenv:

    .venv/bin/python bench/techdocs_bench.py [--pages 50] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASS_SECONDS = 1.0


def write_site(folder: Path, pages: int) -> None:
    docs = folder / "docs"
    docs.mkdir(parents=True)
    nav = "\n".join(f"  - Page {i}: page-{i:02d}.md" for i in range(1, pages))
    (folder / "mkdocs.yml").write_text(f"site_name: Bench\nnav:\n  - Home: index.md\n{nav}\n"
                                       "plugins:\n  - techdocs-core\n")
    (docs / "index.md").write_text("# Bench\n\nThe home page.\n")
    body = "\n\n".join(f"## Section {s}\n\nSome text about topic {s}, with `code` and **bold** words.\n\n"
                       f"```python\ndef f{s}(x):\n    return x * {s}\n```" for s in range(8))
    for i in range(1, pages):
        (docs / f"page-{i:02d}.md").write_text(f"# Page {i}\n\n{body}\n")
    (folder / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bench\n  annotations:\n"
        "    backstage.io/techdocs-ref: dir:.\nspec: {type: service, lifecycle: production, owner: team-a}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(client: httpx.Client, url: str, text: str, timeout: float = 120.0, poll: float = 0.05) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if text in client.get(url).text:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise SystemExit(f"{url} never showed {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="greenroom-techdocs-bench-"))
    site = work / "site-src"
    write_site(site, args.pages)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = work / "g.db"
    (work / "app-config.yaml").write_text(
        f"app: {{baseUrl: '{base}'}}\nbackend:\n  baseUrl: '{base}'\n  database: {{url: 'sqlite:///{db}'}}\n"
        f"  logging: {{level: warning}}\n"
        f"catalog:\n  locations: [{{type: file, target: '{site / 'catalog-info.yaml'}'}}]\n"
        f"  allowedFileRoots: ['{work}']\n"
        f"techdocs:\n  processingInterval: {PASS_SECONDS}\n  recheckSeconds: 0\n"
        f"  publisher: {{local: {{publishDirectory: '{work / 'sites'}'}}}}\n")
    greenroom = Path(sys.executable).with_name("greenroom")
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen([str(greenroom), "serve", "--config", str(work / "app-config.yaml"), "--port", str(port)],
                            cwd=work, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    results: dict[str, object] = {"pages": args.pages, "passSeconds": PASS_SECONDS}
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            wait_for(client, "/healthcheck", "", timeout=60)
            wait_for(client, "/api/catalog/entities/by-name/component/default/bench", "bench", timeout=60)
            home = "/docs/default/component/bench/"
            first = wait_for(client, home, 'id="td-article"')
            results["firstViewSeconds"] = round(first, 2)
            page = "/docs/default/component/bench/page-25/"
            client.get(page)
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(page)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            timings.sort()
            results["cachedPageMs"] = {"median": round(statistics.median(timings), 2),
                                       "p95": round(timings[int(len(timings) * 0.95) - 1], 2),
                                       "max": round(timings[-1], 2)}
            with sqlite3.connect(db) as conn:
                before = conn.execute("SELECT started_at FROM techdocs_builds").fetchone()[0]
            changed_at = time.time()
            (site / "docs" / "page-25.md").write_text("# Page 25\n\nChanged for the benchmark.\n")
            served = wait_for(client, page, "Changed for the benchmark.")
            with sqlite3.connect(db) as conn:
                started = conn.execute("SELECT started_at FROM techdocs_builds").fetchone()[0]
            assert started != before
            results["rebuild"] = {"startedAfterSeconds": round(started - changed_at, 2),
                                  "passesBeforeStart": int((started - changed_at) // PASS_SECONDS) + 1,
                                  "servedAfterSeconds": round(served, 2)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "techdocs.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
