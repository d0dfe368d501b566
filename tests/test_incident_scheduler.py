"""The landing zone away while intake runs under a real scheduler: one incident (issue 21).

`airflow standalone` as `make airflow` starts it, smartprov_intake unpaused, a loopback SMTP
server. Time is compressed by a factor of 60, honestly and the same way for everything that
counts time: intake runs every 5 s instead of every 5 minutes (SMARTPROV_INTAKE_SCHEDULE)
and an open incident is reminded after 0.1 h instead of 6 h (SMARTPROV_ALERTS_REMINDER_HOURS).
The landing folder is moved away for at least 8 intake runs (40 minutes at the real cadence),
then put back: at most 2 failure mails arrive (one, as no reminder is due yet), then one
"pulih / recovered" mail once intake reaches the landing zone again.
"""

from __future__ import annotations

import pytest

from loopback import free_port, smtp_conn_json
from test_scheduler import Api, running_standalone, standalone_env, wait_for

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
    env = standalone_env(
        home,
        landing,
        free_port(),
        SMARTPROV_ALERTS_FROM=SENDER,
        SMARTPROV_ALERTS_FAILURE_TO=ONCALL,
        SMARTPROV_ALERTS_DIGEST_TO="datin@diskominfo.example.go.id",
        SMARTPROV_ALERTS_REMINDER_HOURS="0.1",
        SMARTPROV_INTAKE_SCHEDULE="5s",
        AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn_json(smtp_server.port),
    )
    with running_standalone(home, env) as api:
        api.landing = landing
        yield api


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
    feedback = wait_for("the regencies' feedback", smtp_server.take, timeout=30, every=1)  # sent by the task
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
    seen = {r["dag_run_id"] for r in intake_runs(api)}
    wait_for(  # two more intake runs after the recovery: nothing more
        "two more intake runs",
        lambda: (
            len([r for r in intake_runs(api) if r["dag_run_id"] not in seen and r["state"] == "success"]) >= 2
        ),
        timeout=120,
        every=2,
    )
    recovered += mails_to_oncall(smtp_server)
    assert len(recovered) == 1, [m["msg"]["Subject"] for m in recovered]
    assert "PULIH / RECOVERED: smartprov_intake.intake" in recovered[0]["msg"]["Subject"]
