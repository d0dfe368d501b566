"""`make bench` runs: its quick mode end to end, checked for shape and counts, never for times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_small_benchmark_runs_and_accepts_every_workbook(tmp_path):
    results, markdown = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    markdown.write_text(
        "# Benchmarks\n\nHand-written prose.\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nTail.\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--small",
            "--skip-pg",
            "--out",
            str(tmp_path / "work"),
            "--results",
            str(results),
            "--markdown",
            str(markdown),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(results.read_text())

    workbooks = data["parameters"]["workbooks"]
    assert workbooks == 3 * data["parameters"]["regencies"] > 0  # a masterplan and two evaluations each
    assert data["floor"]["files"] == workbooks
    first, rerun = data["duckdb"]["first"], data["duckdb"]["rerun"]
    assert first["counts"] == {"accepted": workbooks, "rejected": 0, "duplicate": 0}
    assert rerun["counts"] == {"accepted": 0, "rejected": 0, "duplicate": workbooks}
    assert {"parse_seconds", "validate_seconds", "load_seconds", "dbt_seconds"} <= set(first["timings"])
    assert first["dbt_built"] is True and rerun["dbt_built"] is False
    assert rerun["imported"]["great_expectations"] is False and rerun["imported"]["airflow"] is False
    assert first["peak_tree_rss_mb"] > 0
    assert {d: v["dag_ids"] for d, v in data["dag_parse"].items()} == {
        "smartprov_nightly.py": ["smartprov_nightly"],
        "smartprov_replay.py": ["smartprov_replay"],
    }
    assert all(not v["import_errors"] for v in data["dag_parse"].values())
    assert {g["measure"] for g in data["goals"]} >= {
        "National run through the CLI, end to end (DuckDB)",
        "Rerun with nothing new (DuckDB)",
    }
    assert all(isinstance(g["met"], bool) or g["met"] is None for g in data["goals"])

    text = markdown.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written prose.") and text.rstrip().endswith("Tail.")
    assert "| measure | goal | measured | met |" in text and "\nold\n" not in text
