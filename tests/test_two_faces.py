"""One list of steps, two faces: `smartprov run` and `airflow dags test smartprov_nightly` over
the same landing zone give the same ledger, the same report and the same mails (SMTP on
loopback); a second DAG run mails no regency again; and the DAG's tasks still work when
each runs with its own var/ folder (as on different workers). The DAG's first run is the
shared nightly run of tests/nightly_run.py, configured as `face_env` configures the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import bare_config_dir
from loopback import smtp_conn_json
from nightly_run import DIGEST_TO, SENDER, envelope

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.airflow]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from smartprov.authoring.sample import write_sample_landing

    path = tmp_path_factory.mktemp("zone") / "landing"
    write_sample_landing(path, province="34", seed=3)
    return path


def face_env(tmp: Path, landing: Path, smtp_port: int, var: str = "var") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTPROV_", "AIRFLOW_CONN_"))}
    env.update(
        AIRFLOW_HOME=str(tmp / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PYTHONPATH=str(REPO / "plugins"),
        SMARTPROV_VAR_DIR=str(tmp / var),
        SMARTPROV_LANDING_URL=str(landing),
        SMARTPROV_WAREHOUSE_URL=f"duckdb:///{tmp / 'warehouse.duckdb'}",
        SMARTPROV_ALERTS_FROM=SENDER,
        SMARTPROV_ALERTS_DIGEST_TO=DIGEST_TO,
        SMARTPROV_CONFIG_DIR=str(bare_config_dir(tmp / "no-config")),
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(smtp_port),
        PATH=f"{BIN}:{os.environ['PATH']}",
    )
    return env


def ledger(warehouse: Path) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT file_sha256, path, status, region_code, kind, period FROM audit.submissions ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def last_report(var: Path) -> dict:
    reports = sorted((var / "reports").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    assert reports, f"no report under {var}"
    return json.loads(reports[-1].read_text(encoding="utf-8"))


def report_shape(report: dict) -> dict:
    return {
        "counts": report["counts"],
        "submissions": sorted(
            (s["path"], s["status"], s["submission_id"], tuple(sorted(f["rule"] for f in s["findings"])))
            for s in report["submissions"]
        ),
        "outputs": sorted(report.get("outputs") or {}),
        "dbt_built": bool(report["dbt"] and report["dbt"].get("built")),
    }


def mail_shape(envelopes: list[dict]) -> dict:
    feedback, digests = [], []
    for m in envelopes:
        assert m["mail_from"] == SENDER
        if DIGEST_TO in m["rcpt_tos"]:
            digests.append(tuple(sorted(m["rcpt_tos"])))
        else:
            feedback.append((tuple(sorted(m["rcpt_tos"])), m["subject"]))
    return {"feedback": sorted(feedback), "digests": digests}


def test_cli_and_dag_give_the_same_ledger_report_and_mails(nightly_run, smtp_server, tmp_path):
    """The DAG's side is the shared nightly run (tests/nightly_run.py: `airflow dags test` on
    the same sample landing zone, configured as `face_env`); the CLI runs here."""
    assert nightly_run.returncode == 0, nightly_run.output
    cli_tmp, dag_var = tmp_path / "cli", nightly_run.var
    smtp_server.take()

    cli = subprocess.run(
        [str(BIN / "smartprov"), "run"],
        env=face_env(cli_tmp, nightly_run.landing, smtp_server.port),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stdout[-3000:] + cli.stderr[-3000:]
    cli_mail = mail_shape([envelope(m) for m in smtp_server.take()])
    dag_mail = mail_shape(nightly_run.mails)

    assert ledger(cli_tmp / "warehouse.duckdb") == ledger(dag_var / "warehouse.duckdb")
    cli_report, dag_report = last_report(cli_tmp / "var"), last_report(dag_var)
    assert report_shape(cli_report) == report_shape(dag_report)
    assert dag_report["counts"]["rejected"] > 0 and dag_report["counts"]["accepted"] > 0
    assert dag_report["finished_at_wib"].endswith("WIB")
    # The same mails: the province digest once, each rejected/warned workbook's sender once.
    assert dag_mail == cli_mail
    assert len(dag_mail["digests"]) == 1
    owed = {s["email_kontak"] for s in dag_report["submissions"] if s["findings"] and s["email_kontak"]}
    assert owed and {to for rcpts, _ in dag_mail["feedback"] for to in rcpts} >= owed
    assert dag_report["alerts"]["errors"] == []

    # The task logs say what happened, one line per step, in WIB, and no ERROR line.
    out = nightly_run.log
    for line in ("discover: ", "validate_and_load: ", "build_marts: ", "report: ", "notify: "):
        assert line in out, line
    assert " accepted (" in out and " WIB" in out
    assert "leaked semaphore" not in out
    assert [x for x in out.splitlines() if " ERROR " in x or "[error" in x] == []


def test_a_second_dag_run_mails_no_regency_again(nightly_run, tmp_path):
    """The night after the shared nightly run, on a copy of its warehouse and var/ folder and
    through the same relay: nothing new is accepted and no regency is mailed again."""
    assert nightly_run.returncode == 0, nightly_run.output
    var = tmp_path / "var"
    shutil.copytree(nightly_run.var, var)
    with nightly_run.relay() as relay:
        env = face_env(tmp_path, nightly_run.landing, relay.port)
        env.update(SMARTPROV_WAREHOUSE_URL=f"duckdb:///{var / 'warehouse.duckdb'}")
        subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
        again = subprocess.run(
            [str(BIN / "airflow"), "dags", "test", "smartprov_nightly"],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
        assert mail_shape([envelope(m) for m in relay.take()])["feedback"] == []
    assert last_report(var)["counts"]["accepted"] == 0


TASK_RUNNER = """
import json, sys
from smartprov.run import airflow_tasks
name, args = sys.argv[1], json.loads(sys.stdin.read())
print("XCOM=" + json.dumps(getattr(airflow_tasks, name)(*args), default=str))
"""


def test_each_task_on_its_own_worker_var_dir(landing, smtp_server, tmp_path):
    """Every task in a fresh process with its own SMARTPROV_VAR_DIR: only XCom-sized JSON
    and the warehouse/landing zone connect them, as across workers on different hosts."""
    smtp_server.take()

    def run_task(name: str, *args):
        env = face_env(tmp_path, landing, smtp_server.port, var=f"var-{name}")
        out = subprocess.run(
            [sys.executable, "-c", TASK_RUNNER, name],
            input=json.dumps(args),
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        xcom = next(x for x in out.stdout.splitlines() if x.startswith("XCOM=")).removeprefix("XCOM=")
        assert len(xcom) < 200_000, f"{name} returned {len(xcom)} bytes: too much for XCom"
        return json.loads(xcom)

    found = run_task("discover", "manual__worker_test")
    loaded = run_task("validate_and_load", found)
    built = run_task("build_marts", loaded)
    ref = run_task("report", found, loaded, built)
    sent = run_task("notify", ref)

    assert ref["counts"]["rejected"] > 0
    assert Path(ref["report_path"]).is_file() and "var-report" in ref["report_path"]
    report = json.loads(Path(ref["report_path"]).read_text(encoding="utf-8"))
    assert len(report["submissions"]) == len(found["files"])
    messages = smtp_server.take()
    assert sent["errors"] == [] and len(messages) == len(sent["sent"]) > 1
    assert any(DIGEST_TO in m["rcpt_tos"] for m in messages)
    # Nothing passes between tasks through a worker's var/ folder: the run's results are in
    # the warehouse, so no task wrote a submissions file for a later one to read back.
    assert not list(tmp_path.rglob("submissions.json"))
    shutil.rmtree(tmp_path / "var-discover", ignore_errors=True)
