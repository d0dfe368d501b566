"""The landing zone away while intake runs under a real scheduler: one incident (issue 21).

`airflow standalone` as `make airflow` starts it, smartprov_intake unpaused, a loopback SMTP
server. Time is compressed by a factor of 20, honestly and the same way for everything that
counts time: intake runs every 15 s instead of every 5 minutes (SMARTPROV_INTAKE_SCHEDULE)
and an open incident is reminded after 0.3 h instead of 6 h (SMARTPROV_ALERTS_REMINDER_HOURS).
The landing folder is moved away for at least 8 intake runs (40 minutes at the real cadence),
then put back: at most 2 failure mails arrive (one, as no reminder is due yet), then one
"pulih / recovered" mail once intake reaches the landing zone again.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error

import pytest

from conftest import bare_config_dir
from loopback import free_port, smtp_conn_json
from test_scheduler import BIN, REPO, Api, stop_tree, wait_for

SENDER = "smartprov@diskominfo.example.go.id"
ONCALL = "oncall@diskominfo.example.go.id"
RUNS_AWAY = 8  # x 5 min at the real cadence: 40 minutes

pytestmark = [pytest.mark.slow, pytest.mark.airflow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def intake_airflow(tmp_path_factory, smtp_server):
    from smartprov.authoring.sample import write_sample_landing

    home = tmp_path_factory.mktemp("incident")
    landing = home / "landing"
    write_sample_landing(landing, province="34", seed=3)
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SMARTPROV_", "AIRFLOW_CONN_", "AIRFLOW__"))
    }
    env.update(
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Jakarta",
        AIRFLOW__CORE__PARALLELISM="2",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        GX_ANALYTICS_ENABLED="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(REPO / "plugins"),
        PATH=f"{BIN}:{os.environ['PATH']}",
        SMARTPROV_VAR_DIR=str(home / "var"),
        SMARTPROV_LANDING_URL=str(landing),
        SMARTPROV_CONFIG_DIR=str(bare_config_dir(home / "no-config")),
        SMARTPROV_ALERTS_FROM=SENDER,
        SMARTPROV_ALERTS_FAILURE_TO=ONCALL,
        SMARTPROV_ALERTS_DIGEST_TO="datin@diskominfo.example.go.id",
        SMARTPROV_ALERTS_REMINDER_HOURS="0.3",
        SMARTPROV_INTAKE_SCHEDULE="15s",
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(smtp_server.port),
    )
    airflow_bin = str(BIN / "airflow")
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    log_file = open(home / "standalone.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [airflow_bin, "standalone"],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (home / "standalone.log").read_text()[-4000:]
            try:
                health = api.call("GET", "/api/v2/monitor/health")
                if all(
                    health[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")
                ):
                    break
            except (urllib.error.URLError, ConnectionError, KeyError, TimeoutError):
                pass
            assert time.monotonic() < deadline, (home / "standalone.log").read_text()[-4000:]
            time.sleep(2)
        password = json.loads((home / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())
        api.login("admin", password["admin"])
        api.home, api.landing = home, landing
        yield api
    finally:
        survivors = stop_tree(proc.pid)
        log_file.close()
        assert survivors == [], f"processes still running after teardown: {survivors}"


def intake_runs(api: Api) -> list[dict]:
    runs = api.call("GET", "/api/v2/dags/smartprov_intake/dagRuns?limit=200&order_by=-start_date")["dag_runs"]
    for r in runs:
        tis = api.call("GET", f"/api/v2/dags/smartprov_intake/dagRuns/{r['dag_run_id']}/taskInstances")
        r["task_state"] = {t["task_id"]: t["state"] for t in tis["task_instances"]}.get("intake")
    return runs


def mails_to_oncall(box) -> list[dict]:
    return [m for m in box.take() if ONCALL in m["rcpt_tos"]]


def test_landing_away_for_40_minutes_gives_one_incident_mail_and_one_recovery(intake_airflow, smtp_server):
    api = intake_airflow
    smtp_server.take()
    wait_for(
        "smartprov_intake to be parsed",
        lambda: "smartprov_intake" in {d["dag_id"] for d in api.call("GET", "/api/v2/dags?limit=50")["dags"]},
        timeout=180,
    )
    assert api.call("GET", "/api/v2/importErrors")["total_entries"] == 0
    api.call("PATCH", "/api/v2/dags/smartprov_replay", {"is_paused": True})
    api.call("PATCH", "/api/v2/dags/smartprov_intake", {"is_paused": False})

    # A first intake run takes the sample (its regencies get their feedback).
    wait_for(
        "a successful intake",
        lambda: any(r["task_state"] == "success" for r in intake_runs(api)),
        timeout=300,
    )
    time.sleep(2)
    feedback = smtp_server.take()
    assert feedback and not [m for m in feedback if ONCALL in m["rcpt_tos"]]

    # The landing zone goes away.
    away = api.landing.with_name("landing.away")
    api.landing.rename(away)
    seen = {r["dag_run_id"] for r in intake_runs(api)}
    skipped = wait_for(
        f"{RUNS_AWAY} intake runs without the landing zone",
        lambda: (lambda new: new if len(new) >= RUNS_AWAY else None)(
            [
                r
                for r in intake_runs(api)
                if r["dag_run_id"] not in seen and r["state"] in ("success", "failed")
            ]
        ),
        timeout=900,
        every=5,
    )
    assert {r["task_state"] for r in skipped} == {"skipped"}, [
        (r["dag_run_id"], r["task_state"]) for r in skipped
    ]
    assert {r["state"] for r in skipped} == {"success"}  # no failed run, no retry storm
    failures = mails_to_oncall(smtp_server)
    assert 1 <= len(failures) <= 2, [m["msg"]["Subject"] for m in failures]
    text = failures[0]["msg"].get_body(("plain",)).get_content()
    assert "smartprov_intake.intake" in failures[0]["msg"]["Subject"] and "Landing zone not found" in text

    # It comes back: the first intake that reaches it closes the incident with one mail.
    away.rename(api.landing)
    seen = {r["dag_run_id"] for r in intake_runs(api)}
    wait_for(
        "an intake run that reaches the landing zone again",
        lambda: any(r["dag_run_id"] not in seen and r["task_state"] == "success" for r in intake_runs(api)),
        timeout=300,
    )
    recovered = wait_for("the recovery mail", lambda: mails_to_oncall(smtp_server), timeout=60, every=2)
    time.sleep(40)  # two more intake runs: nothing more
    recovered += mails_to_oncall(smtp_server)
    assert len(recovered) == 1, [m["msg"]["Subject"] for m in recovered]
    assert "PULIH / RECOVERED: smartprov_intake.intake" in recovered[0]["msg"]["Subject"]
