"""What the benchmark runs in its child processes (`python -m bench.child <what> ...`).

Each measurement runs in a fresh process so that its imports and memory are its own.
Every command prints one JSON object on its last line of stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HEAVY_MODULES = ("great_expectations", "airflow", "dbt", "pandas", "openpyxl", "duckdb", "psycopg")


def floor(landing: str) -> dict:
    """The bare read: every sheet of every workbook with python-calamine, nothing else."""
    clock = time.perf_counter()
    from python_calamine import CalamineWorkbook

    files = sheets = cells = 0
    for path in sorted(Path(landing).rglob("*.xlsx")):
        with CalamineWorkbook.from_path(str(path)) as book:
            for name in book.sheet_names:
                rows = book.get_sheet_by_name(name).to_python()
                sheets += 1
                cells += sum(len(r) for r in rows)
        files += 1
    return {
        "files": files,
        "sheets": sheets,
        "cells": cells,
        "seconds": round(time.perf_counter() - clock, 3),
    }


def cli(args: list[str]) -> dict:
    """`smartprov <args>` exactly as the console script runs it, then which heavy libraries
    the process imported."""
    from smartprov.cli import main

    clock = time.perf_counter()
    code = main(args)
    return {
        "exit_code": code,
        "seconds_in_main": round(time.perf_counter() - clock, 3),
        "imported": {m: m in sys.modules for m in HEAVY_MODULES},
    }


def dagparse(dag_file: str) -> dict:
    """Parse one DAG file the way Airflow's DAG processor does (a DagBag over that one file,
    in a process where Airflow is already imported); the time is the file's own."""
    import logging

    logging.disable(logging.WARNING)
    from airflow.dag_processing.dagbag import DagBag

    DagBag(dag_folder=str(Path(dag_file).parent / "__bench_nothing__"))  # warm Airflow's own lazy setup
    clock = time.perf_counter()
    bag = DagBag(dag_folder=dag_file)
    seconds = time.perf_counter() - clock
    stats = [{"file": Path(s.file).name, "duration": s.duration.total_seconds()} for s in bag.dagbag_stats]
    return {
        "file": Path(dag_file).name,
        "seconds": round(seconds, 4),
        "dagbag_stats": stats,
        "dag_ids": sorted(bag.dag_ids),
        "import_errors": {str(k): str(v)[:300] for k, v in bag.import_errors.items()},
    }


def main(argv: list[str]) -> int:
    what, rest = argv[0], argv[1:]
    if what == "floor":
        out = floor(rest[0])
    elif what == "cli":
        out = cli(rest[1:] if rest and rest[0] == "--" else rest)
    elif what == "dagparse":
        out = dagparse(rest[0])
    else:
        raise SystemExit(f"unknown: {what}")
    sys.stdout.flush()
    print("\n" + json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
