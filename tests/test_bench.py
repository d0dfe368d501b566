"""`make bench` runs: its quick mode end to end, checked for shape and counts, never for times."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.slow


def bench(*args: str, out: Path, results: Path, markdown: Path) -> dict:
    """`python -m bench.run --small` with `args`; returns the results file it wrote."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--small", *args]
        + ["--out", str(out), "--results", str(results), "--markdown", str(markdown)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(results.read_text())


@pytest.fixture(scope="module")
def small_bench(tmp_path_factory) -> dict:
    """One quick-mode run of every small part (no PostgreSQL), shared by this module's tests."""
    home = tmp_path_factory.mktemp("bench")
    results, markdown = home / "results.json", home / "BENCHMARKS.md"
    markdown.write_text(
        "# Benchmarks\n\nHand-written prose.\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nTail.\n"
    )
    data = bench("--skip-pg", out=home / "work", results=results, markdown=markdown)
    return {"data": data, "out": home / "work", "results": results, "markdown": markdown}


def test_small_benchmark_runs_and_accepts_every_workbook(small_bench):
    data, markdown = small_bench["data"], small_bench["markdown"]

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
    for where in ("local", "s3"):
        n = province["workbooks"]
        runs = province[where]
        assert runs["first"]["counts"] == {"accepted": n, "rejected": 0, "duplicate": 0}, where
        assert runs["rerun"]["counts"] == {"accepted": 0, "rejected": 0, "duplicate": n}, where
        assert runs["rerun"]["dbt_built"] is False and len(runs["reruns_wall_seconds"]) == 2
    # A deployed system's night, once in quick mode: the night before had nothing; tonight all is new.
    deployed = province["local_deployed"]
    assert deployed["counts"] == {"accepted": province["workbooks"], "rejected": 0, "duplicate": 0}
    assert deployed["dbt_built"] is True
    assert deployed["dbt_complete"] is False  # the project is the night before's
    # Quick mode runs each path once: no deployed night on S3 or nationally, no national S3 run.
    assert not {"s3_deployed", "s3_national"} & set(province) and "warm" not in data["duckdb"]
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
        "Province no-change rerun, S3 (moto)",
    } <= measures
    assert all(isinstance(g["met"], bool) or g["met"] is None for g in data["goals"])

    text = markdown.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written prose.") and text.rstrip().endswith("Tail.")
    assert "| measure | goal | measured | met |" in text and "\nold\n" not in text
    assert "Naive stack" in text and "Floor: python-calamine" in text


def test_only_runs_the_named_parts_and_keeps_the_others(small_bench, tmp_path):
    """`--only dagparse` measures the DAG files alone and keeps the earlier figures of the rest."""
    results, markdown = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    shutil.copy(small_bench["results"], results)
    shutil.copy(small_bench["markdown"], markdown)
    before = small_bench["data"]
    after = bench("--only", "dagparse", out=small_bench["out"], results=results, markdown=markdown)
    assert set(after["parts"]) == set(before["parts"])
    assert after["parts"]["dagparse"]["session"] != before["parts"]["dagparse"]["session"]
    others = set(before["parts"]) - {"dagparse"}
    assert {p: after["parts"][p] for p in others} == {p: before["parts"][p] for p in others}
    for key in ("duckdb", "floor", "naive", "province", "feedback_workbook"):
        assert after[key] == before[key], key
    assert "Parts were measured in separate invocations" in markdown.read_text()
