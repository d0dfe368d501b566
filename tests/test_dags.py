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
EXPECTED_DAGS = {"smartprov_nightly", "smartprov_replay", "smartprov_intake"}
KNOWN_TAGS = {"smartprov", "nightly", "maintenance", "intake"}
ALERT_ENV = {
    "SMARTPROV_ALERTS_FROM": "smartprov@diskominfo.example.go.id",
    "SMARTPROV_ALERTS_FAILURE_TO": "oncall@diskominfo.example.go.id",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    saved = {k: os.environ.get(k) for k in ALERT_ENV}
    os.environ.update(ALERT_ENV)
    try:
        return DagBag(dag_folder=str(DAGS))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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
    assert dag.dagrun_timeout is not None and dag.dagrun_timeout.total_seconds() <= 4 * 3600
    for t in dag.tasks:
        assert t.execution_timeout is not None, t.task_id
        assert t.execution_timeout <= dag.dagrun_timeout, t.task_id
        assert t.doc_md, f"{t.task_id} has no doc_md"
        # Task-level callbacks see the exception and name the task; first failure announced at once.
        assert t.on_failure_callback, t.task_id
        assert t.on_retry_callback, t.task_id
        mailers = [n for n in t.on_failure_callback if type(n).__name__ == "SmartprovSmtpNotifier"]
        assert mailers and mailers[0].from_email == ALERT_ENV["SMARTPROV_ALERTS_FROM"]


def test_nightly_schedule_and_tasks(dagbag):
    dag = dagbag.dags["smartprov_nightly"]
    assert dag.timetable.expression == "0 1 * * *"
    assert str(dag.timetable.timezone) == "Asia/Jakarta"  # 01:00 WIB, not UTC
    from smartprov.run.steps import STEPS

    # The CLI's steps, one task each, plus the Asset announcement.
    assert {t.task_id for t in dag.tasks} == {*STEPS, "marts_updated"}
    assert dag.get_task("discover").retries >= 1  # transient errors retry with back-off
    assert dag.get_task("discover").retry_exponential_backoff
    assert dag.get_task("build_marts").retries == 0  # a failing dbt test is not transient
    assert dag.get_task("build_marts").pool == "smartprov_build"
    assert dag.get_task("notify").retries >= 1  # a channel that is down is retried
    assert "report" in dag.get_task("notify").upstream_task_ids
    updated = dag.get_task("marts_updated")
    assert [a.name for a in updated.outlets] == ["smartprov_marts"]
    assert "notify" in updated.upstream_task_ids  # emitted once the run stopped writing


def test_replay_follows_the_nightly_asset_and_starts_unpaused(dagbag):
    nightly, replay = dagbag.dags["smartprov_nightly"], dagbag.dags["smartprov_replay"]
    assert replay.is_paused_upon_creation is False
    (marts,) = nightly.get_task("marts_updated").outlets
    assert list(replay.timetable.asset_condition.objects) == [marts]
    from smartprov.run.assets import MARTS

    assert marts == MARTS
    assert replay.get_task("replay").pool == "smartprov_build"


def test_intake_runs_every_few_minutes(dagbag):
    dag = dagbag.dags["smartprov_intake"]
    assert dag.timetable.expression == "*/5 * * * *"
    assert [t.task_id for t in dag.tasks] == ["intake"]
    assert dag.dagrun_timeout.total_seconds() <= 15 * 60


def test_missing_sender_is_an_import_error(tmp_path):
    """E-mail alerts on without a sender: every DAG shows an import error naming what to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTPROV_ALERTS_")}
    env.update(
        SMARTPROV_ALERTS_FAILURE_TO="oncall@diskominfo.example.go.id", SMARTPROV_CONFIG_DIR=str(tmp_path)
    )
    code = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "import json; print('RESULT=' + json.dumps({'ids': sorted(bag.dag_ids), 'errors': list(bag.import_errors.values())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    result = json.loads(
        next(x for x in out.stdout.splitlines() if x.startswith("RESULT=")).removeprefix("RESULT=")
    )
    assert result["ids"] == []
    assert len(result["errors"]) == len(EXPECTED_DAGS)
    assert all("no sender" in e and "SMARTPROV_ALERTS_FROM" in e for e in result["errors"])


@pytest.mark.parametrize(
    "smtp_conn",
    [
        "smtp://127.0.0.1:2525?disable_tls=true&from_email=smartprov%40example.go.id",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": 2525,
                "extra": {"disable_tls": True, "from_email": "smartprov@example.go.id"},
            }
        ),
    ],
    ids=["uri", "json"],
)
def test_the_sender_may_come_from_the_smtp_connection_in_either_form(tmp_path, smtp_conn):
    """Airflow's URI form and its JSON form both give the sender (issue 21: the URI form was refused)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTPROV_ALERTS_")}
    env.update(
        SMARTPROV_ALERTS_FAILURE_TO="oncall@diskominfo.example.go.id",
        SMARTPROV_CONFIG_DIR=str(tmp_path),
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn,
    )
    code = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "senders = sorted({n.from_email for d in bag.dags.values() for t in d.tasks for n in t.on_failure_callback"
        " if type(n).__name__ == 'SmartprovSmtpNotifier'})\n"
        "import json; print('RESULT=' + json.dumps({'ids': sorted(bag.dag_ids), 'errors': list(bag.import_errors.values()),"
        " 'senders': senders}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    result = json.loads(
        next(x for x in out.stdout.splitlines() if x.startswith("RESULT=")).removeprefix("RESULT=")
    )
    assert result["errors"] == [] and set(result["ids"]) == EXPECTED_DAGS
    assert result["senders"] == ["smartprov@example.go.id"]


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
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **ALERT_ENV},
        check=True,
    )
    heavy = next(line for line in out.stdout.splitlines() if line.startswith("HEAVY=")).removeprefix("HEAVY=")
    assert heavy == "", f"DAG files imported heavy modules at parse time: {heavy}"


@pytest.mark.airflow
@pytest.mark.slow
def test_nightly_dag_runs_with_airflow_dags_test(nightly_run):
    """`airflow dags test` on a small landing zone: the same path `make run` takes
    (the run is shared with the tests that read it: tests/nightly_run.py)."""
    assert nightly_run.returncode == 0, nightly_run.output
    reports = sorted((nightly_run.var / "reports").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    assert reports, "the DAG run wrote no report"
    report = json.loads(reports[-1].read_text())
    assert report["counts"]["accepted"] > 0 and report["counts"]["rejected"] > 0
    assert report["dbt"]["built"] is True
