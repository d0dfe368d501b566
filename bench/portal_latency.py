"""The portal's check latency: `POST /api/v1/check` on the sample workbooks, server warm.

    python -m bench.portal_latency [--rounds 2] [--clients 27] [--warehouse URL]

Writes a sample landing zone and loads it (no dbt) into a scratch warehouse under
var/bench/portal/ (so evaluations meet their current masterplan, as in production), starts
`smartprov portal` on a free loopback port, makes one API token per regency, warms the
server with one check, then:

- sequential: every sample workbook checked `--rounds` times, one at a time: median and p95;
- concurrent: `--clients` clients (one per regency) each checking its regency's workbooks
  at the same time: errors, median and p95, and the peak memory of the server's process tree
  (the server and its reader children), sampled every 0.2 s.

Prints a JSON summary; stops the server it started.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in (Path("/proc") / str(current) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=27)
    parser.add_argument("--warehouse", default=None, help="default: a scratch DuckDB file")
    args = parser.parse_args(argv)
    print(json.dumps(measure(rounds=args.rounds, clients=args.clients, warehouse=args.warehouse), indent=2))
    return 0


def measure(*, rounds: int = 2, clients: int = 27, warehouse: str | None = None) -> dict:
    """The check's latency on the sample landing zone with the server warm (each workbook
    `rounds` times, one at a time), then `clients` regencies checking at once; the server's
    peak memory (its reader children included)."""
    import httpx

    from smartprov.authoring.sample import write_sample_landing
    from smartprov.portal.store import PortalStore
    from smartprov.run.steps import run_once

    root = REPO / "var" / "bench" / "portal"
    shutil.rmtree(root, ignore_errors=True)
    (root / "var").mkdir(parents=True)
    os.environ["SMARTPROV_VAR_DIR"] = str(root / "var")
    sample = root / "sample"
    write_sample_landing(sample, province="32", seed=0)
    warehouse = warehouse or f"duckdb:///{root / 'warehouse.duckdb'}"
    run_once(str(sample), warehouse, build=False, notify=False)
    store = PortalStore(warehouse)
    files = sorted(sample.rglob("*.xlsx"))
    tokens = {
        region: store.new_token("api", region_code=region)[1] for region in {p.parent.name for p in files}
    }

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "SMARTPROV_WAREHOUSE_URL": warehouse,
        "SMARTPROV_LANDING_URL": str(root / "landing"),
    }
    log = open(root / "portal.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "smartprov.cli", "portal", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)

        def check(client: httpx.Client, path: Path) -> tuple[float, int]:
            clock = time.perf_counter()
            response = client.post(
                base + "/api/v1/check",
                files={"file": (path.name, path.read_bytes(), XLSX)},
                headers={"Authorization": f"Bearer {tokens[path.parent.name]}"},
                timeout=300,
            )
            return time.perf_counter() - clock, response.status_code

        with httpx.Client() as client:
            check(client, files[0])  # warm: the first check imports GX in the server
            sequential = [check(client, path) for _ in range(rounds) for path in files]

        peak = [0]
        done = threading.Event()

        def sample_memory() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kib(server.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample_memory, daemon=True)
        sampler.start()
        regions = sorted(tokens)[:clients]

        def one_client(region: str) -> list[tuple[float, int]]:
            with httpx.Client() as client:
                return [check(client, p) for p in files if p.parent.name == region]

        clock = time.perf_counter()
        with ThreadPoolExecutor(len(regions)) as pool:
            concurrent = [r for results in pool.map(one_client, regions) for r in results]
        wall = time.perf_counter() - clock
        done.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    seq = [s for s, _ in sequential]
    con = [s for s, _ in concurrent]
    summary = {
        "warehouse": warehouse.split(":", 1)[0],
        "workbooks": len(files),
        "sequential": {
            "checks": len(seq),
            "errors": sum(code != 200 for _, code in sequential),
            "median_s": round(statistics.median(seq), 3),
            "p95_s": round(percentile(seq, 0.95), 3),
        },
        "concurrent": {
            "clients": len(regions),
            "checks": len(con),
            "errors": sum(code != 200 for _, code in concurrent),
            "median_s": round(statistics.median(con), 3),
            "p95_s": round(percentile(con, 0.95), 3),
            "wall_s": round(wall, 2),
            "peak_rss_mib": round(peak[0] / 1024, 1),
        },
    }
    return summary


if __name__ == "__main__":
    sys.exit(main())
