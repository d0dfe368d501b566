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
        "smartprov_intake.py": ["smartprov_intake"],
        "smartprov_nightly.py": ["smartprov_nightly"],
        "smartprov_replay.py": ["smartprov_replay"],
    }
    assert all(not v["import_errors"] for v in data["dag_parse"].values())
    assert data["duckdb"]["ratio_to_floor"] > 0 and len(data["floor"]["seconds_all"]) == 3
    assert len(data["duckdb"]["reruns_wall_seconds"]) == 2

    naive = data["naive"]
    assert naive["files"] == workbooks and naive["gx_validations"] == workbooks  # one main sheet each
    assert naive["speedup"] == round(naive["wall_seconds"] / naive["smartprov_wall_seconds"], 1)

    province = data["province"]
    assert province["workbooks"] == 3 * province["regencies"] > 0
    for where in ("local", "s3", "s3_national"):
        n = workbooks if where == "s3_national" else province["workbooks"]
        runs = province[where]
        assert runs["first"]["counts"] == {"accepted": n, "rejected": 0, "duplicate": 0}, where
        assert runs["rerun"]["counts"] == {"accepted": 0, "rejected": 0, "duplicate": n}, where
        assert runs["rerun"]["dbt_built"] is False and len(runs["reruns_wall_seconds"]) == 2
    for where in ("local_deployed", "s3_deployed"):  # the night before had nothing; tonight all is new
        n = province["workbooks"]
        assert province[where]["counts"] == {"accepted": n, "rejected": 0, "duplicate": 0}, where
        assert province[where]["dbt_built"] is True, where
        assert province[where]["dbt_complete"] is False, where  # the project is the night before's
    assert data["duckdb"]["warm"]["counts"] == {"accepted": workbooks, "rejected": 0, "duplicate": 0}
    assert set(data["parts"]) == {"national", "naive", "dagparse", "province", "s3", "feedback"}
    [feedback] = data["feedback_workbook"]["points"]  # the findings workbook, 1,000 findings
    assert feedback["findings"] == 1_000 and feedback["bytes"] > 0

    measures = {g["measure"] for g in data["goals"]}
    assert {
        "National run through the CLI, end to end (DuckDB), first night on a new warehouse",
        "Rerun with nothing new (DuckDB)",
        "Speed-up over the naive stack (openpyxl, GX per file, to_sql, no dbt)",
        f"A province's night ({province['workbooks']} workbooks, all new), folder, on a deployed system "
        "(it ran the night before)",
        f"A province's night ({province['workbooks']} workbooks, all new), S3 (moto), on a deployed system "
        "(it ran the night before)",
        "National corpus on S3 (moto), no-change rerun",
    } <= measures
    assert all(isinstance(g["met"], bool) or g["met"] is None for g in data["goals"])

    text = markdown.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written prose.") and text.rstrip().endswith("Tail.")
    assert "| measure | goal | measured | met |" in text and "\nold\n" not in text
    assert "Naive stack" in text and "Floor: python-calamine" in text


@pytest.mark.slow
def test_only_runs_the_named_parts_and_keeps_the_others(tmp_path):
    """`--only dagparse` measures the DAG files alone and keeps the earlier figures of the rest."""
    results, markdown = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    common = [
        "--small",
        "--out",
        str(tmp_path / "work"),
        "--results",
        str(results),
        "--markdown",
        str(markdown),
    ]
    first = subprocess.run(
        [sys.executable, "-m", "bench.run", *common, "--only", "national"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = json.loads(results.read_text())
    second = subprocess.run(
        [sys.executable, "-m", "bench.run", *common, "--only", "dagparse"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    after = json.loads(results.read_text())
    assert set(before["parts"]) == {"national"} and set(after["parts"]) == {"national", "dagparse"}
    assert after["duckdb"] == before["duckdb"] and after["floor"] == before["floor"]
    assert "naive" not in after and "province" not in after
    assert "Parts were measured in separate invocations" in markdown.read_text()
