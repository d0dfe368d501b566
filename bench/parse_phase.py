"""The parse phase against the floor, back to back in one process: `python -m bench.parse_phase LANDING`.

Alternates the floor (python-calamine reading every sheet, `bench.child.floor`) with the
project's parse phase over the same files (`smartprov.ingest.isolated.read_entries`: every
file read in a supervised reader child, `parse_workers()` at once, as a run does), and with
the same parse done in this process without isolation (what isolation costs). The machine is
shared, so each is taken `--repeats` times interleaved and the best of each is compared.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def entries_of(landing: Path) -> list[dict]:
    out = []
    for path in sorted(landing.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            out.append(
                {"path": path.relative_to(landing).as_posix(), "size": path.stat().st_size, "sha256": None}
            )
    return out


def isolated(landing: Path, entries: list[dict], workers: int) -> tuple[float, int]:
    from smartprov.ingest.isolated import read_entries
    from smartprov.ingest.landing import LocalLanding

    clock = time.perf_counter()
    subs = [sub for _, sub in read_entries(LocalLanding(landing), entries, workers) if sub is not None]
    return time.perf_counter() - clock, sum(1 for s in subs if s.readable)


def in_process(landing: Path, entries: list[dict]) -> tuple[float, int]:
    import hashlib

    from smartprov.ingest.landing import LandingFile
    from smartprov.ingest.parse import parse_submission

    clock = time.perf_counter()
    readable = 0
    for entry in entries:
        data = (landing / entry["path"]).read_bytes()
        lf = LandingFile(entry["path"], entry["size"])
        sub = parse_submission(lf.path, data, hashlib.sha256(data).hexdigest(), lf.folder)
        readable += sub.readable
    return time.perf_counter() - clock, readable


def split(landing: Path, entries: list[dict], repeats: int) -> dict:
    """Where the parse's time goes, in this process, best of `repeats` each, interleaved with
    the floor: the bare read, `open_workbook` (the hostile-input pre-scan plus calamine), and
    `parse_submission` (that plus headers and typed cells). The bytes are read beforehand."""
    import hashlib

    from bench.child import floor
    from smartprov.ingest.landing import LandingFile
    from smartprov.ingest.parse import parse_submission
    from smartprov.ingest.workbook import open_workbook

    files = [(LandingFile(e["path"], e["size"]), (landing / e["path"]).read_bytes()) for e in entries]
    best = {"floor": [], "open_workbook": [], "parse_submission": []}
    for _ in range(repeats):
        best["floor"].append(floor(str(landing))["seconds"])
        clock = time.perf_counter()
        for _lf, data in files:
            open_workbook(data)
        best["open_workbook"].append(round(time.perf_counter() - clock, 3))
        clock = time.perf_counter()
        for lf, data in files:
            parse_submission(lf.path, data, hashlib.sha256(data).hexdigest(), lf.folder)
        best["parse_submission"].append(round(time.perf_counter() - clock, 3))
    base = min(best["floor"])
    return {k: {"seconds": min(v), "ratio_to_floor": round(min(v) / base, 2)} for k, v in best.items()}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.parse_phase")
    p.add_argument("landing", type=Path)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=None, help="default: the run's parse_workers()")
    p.add_argument("--no-in-process", action="store_true")
    p.add_argument("--split", action="store_true", help="only: where the parse's time goes, in one process")
    args = p.parse_args(argv)
    if args.split:
        out = split(args.landing, entries_of(args.landing), args.repeats)
        print("\n" + json.dumps({**out, "load_average": [round(x, 2) for x in os.getloadavg()]}))
        return 0

    from bench.child import floor
    from smartprov.run.steps import parse_workers

    workers = args.workers or parse_workers()
    entries = entries_of(args.landing)
    floors, parses, plain = [], [], []
    readable = 0
    for _ in range(args.repeats):
        floors.append(floor(str(args.landing))["seconds"])
        seconds, readable = isolated(args.landing, entries, workers)
        parses.append(round(seconds, 3))
        if not args.no_in_process:
            plain.append(round(in_process(args.landing, entries)[0], 3))
    best_floor = min(floors)
    out = {
        "files": len(entries),
        "readable": readable,
        "workers": workers,
        "floor_seconds": floors,
        "parse_seconds": parses,
        "in_process_seconds": plain,
        "parse_ratio_to_floor": round(min(parses) / best_floor, 2),
        "in_process_ratio_to_floor": round(min(plain) / best_floor, 2) if plain else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print("\n" + json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
