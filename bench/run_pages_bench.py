"""Server time of the catalog pages on a catalog that run_catalog_bench.py already loaded.

    .venv/bin/python bench/run_pages_bench.py bench/data/n100000/greenroom-sqlite.yaml

Starts `greenroom serve` on that config (processing off, so nothing but the requests runs), waits until it is
healthy, then times sequential keep-alive requests to the index (plain, filtered, sorted, text-filtered, a deep
page), the entity page of the group that owns most, and a component page. Loopback latency is within a fraction of
a millisecond of server time. Prints a table of medians and p95s and writes it as JSON beside the config.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent


def start(config: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GREENROOM_CONFIG_catalog_processingInterval": "false"}
    greenroom = REPO / ".venv" / "bin" / "greenroom"
    process = subprocess.Popen([str(greenroom), "serve", "--config", str(config), "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthcheck", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not become healthy within 60 s")


def biggest_owner(client: httpx.Client) -> str:
    facets = client.get("/api/catalog/entity-facets", params={"facet": "relations.ownedBy"}).json()
    top = max(facets["facets"]["relations.ownedBy"], key=lambda f: f["count"])
    kind, rest = top["value"].split(":", 1)
    namespace, name = rest.split("/", 1)
    return f"/catalog/{namespace}/{kind}/{name}"


def a_component(client: httpx.Client) -> str:
    item = client.get("/api/catalog/entities/by-query", params={"filter": "kind=component", "limit": 1}).json()
    meta = item["items"][0]["metadata"]
    return f"/catalog/{meta.get('namespace', 'default')}/component/{meta['name']}"


def timed(client: httpx.Client, path: str, reps: int) -> dict[str, Any]:
    client.get(path)  # warm: the first request fills per-process caches
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        response = client.get(path, headers={"Accept": "text/html"})
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    samples.sort()
    return {"path": path, "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2), "bytes": len(response.content)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", type=Path)
    parser.add_argument("--port", type=int, default=7018)
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    process = start(args.config.resolve(), args.port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=30) as client:
            paths = ["/catalog", "/catalog?kind=component", "/catalog?kind=component&type=service&sort=name",
                     "/catalog?kind=component&lifecycle=production&sort=name&dir=desc", "/catalog?q=service",
                     "/catalog?kind=api&page=40", biggest_owner(client), a_component(client)]
            rows = [timed(client, p, args.reps) for p in paths]
    finally:
        process.terminate()
        process.wait(timeout=30)
    width = max(len(r["path"]) for r in rows)
    for row in rows:
        print(f"{row['path']:<{width}}  median {row['median_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms  "
              f"{row['bytes']:>8} B")
    out = args.config.with_name(args.config.stem + ".pages.json")
    out.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
