"""The DAG files: they import, follow the operational policy, and run end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
EXPECTED_DAGS = {"smartprov_nightly", "smartprov_replay"}
KNOWN_TAGS = {"smartprov", "nightly", "maintenance"}


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports(dagbag):
    assert dagbag.import_errors == {}
    # A file without the word "airflow" is skipped silently: assert the ids, not just no errors.
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_operational_policy(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.owner == "diskominfo-data"
    assert set(dag.tags) <= KNOWN_TAGS and "smartprov" in dag.tags
    assert dag.start_date.tzinfo is not None and str(dag.timezone) == "Asia/Jakarta"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.on_failure_callback, "a failed run must alert"
    assert dag.doc_md and ("When it fails" in dag.doc_md or "Owner" in dag.doc_md)


def test_nightly_schedule_and_tasks(dagbag):
    dag = dagbag.dags["smartprov_nightly"]
    assert dag.timetable.expression == "0 1 * * *"
    assert str(dag.timetable.timezone) == "Asia/Jakarta"  # 01:00 WIB, not UTC
    assert {t.task_id for t in dag.tasks} == {"discover", "validate_and_load", "build_marts", "finish"}
    assert dag.get_task("discover").retries >= 1  # transient errors retry with back-off
    assert dag.get_task("discover").retry_exponential_backoff
    assert dag.get_task("build_marts").retries == 0  # a failing dbt test is not transient


def test_dag_files_import_no_heavy_libraries():
    """Parsing a DAG file must not import pandas, GX, dbt or DuckDB (they cost seconds)."""
    code = (
        "import sys, runpy, airflow.sdk\n"
        f"[runpy.run_path(p) for p in {sorted(str(p) for p in DAGS.glob('*.py'))!r}]\n"
        "heavy = [m for m in ('pandas', 'great_expectations', 'dbt', 'duckdb', 'openpyxl', 'psycopg')"
        " if m in sys.modules]\n"
        "print(\"HEAVY=\" + ','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True
    )
    heavy = next(line for line in out.stdout.splitlines() if line.startswith("HEAVY=")).removeprefix("HEAVY=")
    assert heavy == "", f"DAG files imported heavy modules at parse time: {heavy}"


@pytest.mark.airflow
@pytest.mark.slow
def test_nightly_dag_runs_with_airflow_dags_test(tmp_path):
    """`airflow dags test` on a small landing zone: the same path `make run` takes."""
    from smartprov.authoring.sample import write_sample_landing

    landing = tmp_path / "landing"
    write_sample_landing(landing, province="34", seed=3)
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        SMARTPROV_VAR_DIR=str(tmp_path / "var"),
        SMARTPROV_LANDING_URL=str(landing),
        SMARTPROV_ALERTS_EMAIL_ENABLED="false",
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
    )
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [airflow, "dags", "test", "smartprov_nightly"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    reports = sorted((tmp_path / "var" / "reports").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    assert reports, "the DAG run wrote no report"
    report = json.loads(reports[-1].read_text())
    assert report["counts"]["accepted"] > 0 and report["counts"]["rejected"] > 0
    assert report["dbt"]["built"] is True
