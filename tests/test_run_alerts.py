"""A run over the sample data with SMTP pointed at a loopback catcher (issue: alerts).

One province digest and one e-mail per rejected or warned workbook arrive, addressed to the
workbook's `email_kontak` with the province's CC list; a second run sends nothing again.
"""

from __future__ import annotations

import pytest

from loopback import smtp_conn_json
from smartprov.authoring.sample import write_sample_landing
from smartprov.run import steps

DIGEST_TO = "datin@diskominfo.example.go.id"
PUBLIC = "http://portal.example.go.id:8080"
CC = "smartcity@diskominfo.example.go.id"


@pytest.fixture
def alerting(smtp_server, monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "smartprov@diskominfo.example.go.id")
    monkeypatch.setenv("SMARTPROV_ALERTS_DIGEST_TO", DIGEST_TO)
    monkeypatch.setenv("SMARTPROV_ALERTS_FEEDBACK_CC", CC)
    monkeypatch.setenv("SMARTPROV_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.delenv("SMARTPROV_ALERTS_CONFIG", raising=False)
    smtp_server.take()
    yield smtp_server
    smtp_server.take()


def test_sample_run_sends_one_digest_and_the_regency_feedback(alerting, tmp_path):
    landing = tmp_path / "landing"
    write_sample_landing(landing, province="32", seed=0)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"

    report = steps.run_once(str(landing), url, build=False, notify=True)
    assert report["alerts"]["errors"] == []
    messages = alerting.take()

    digests = [m for m in messages if DIGEST_TO in m["rcpt_tos"]]
    assert len(digests) == 1
    digest = digests[0]["msg"]
    assert digest.get_body(("plain",)) is not None and digest.get_body(("html",)) is not None
    digest_text = digest.get_body(("plain",)).get_content()
    assert report["report_path"] not in digest_text  # a URL, not the worker's path
    assert f"{PUBLIC}/reports/{report['run_id']}/report.json" in digest_text

    to_notify = [
        s for s in report["submissions"] if s["findings"] and s["email_kontak"] and s["status"] != "duplicate"
    ]
    assert any(s["status"] == "rejected" for s in to_notify)
    feedback = [m for m in messages if DIGEST_TO not in m["rcpt_tos"]]
    assert len(feedback) == len({s["email_kontak"] for s in to_notify})  # one mail per regency contact
    for sub in to_notify:
        (m,) = [m for m in feedback if sub["submission_id"] in m["msg"].get_body(("plain",)).get_content()]
        assert m["msg"]["To"] == sub["email_kontak"]
        assert CC in m["rcpt_tos"]
        text = m["msg"].get_body(("plain",)).get_content()
        for f in sub["findings"]:
            assert f["rule"] in text
            for part in (f["sheet"], f["column"], f["value"]):
                if part:
                    assert str(part) in text, (part, sub["path"])
        attachments = [p.get_filename() for p in m["msg"].iter_attachments()]
        assert any(name.endswith(".xlsx") for name in attachments)

    again = steps.run_once(str(landing), url, build=False, notify=True)
    assert again["alerts"]["errors"] == []
    assert [m for m in alerting.take() if DIGEST_TO not in m["rcpt_tos"]] == []


def test_intake_mails_feedback_now_and_leaves_the_digest_to_the_nightly_run(alerting, tmp_path, monkeypatch):
    """The short-interval path: only new files, the regencies' feedback at once, no digest;
    the nightly run then sends the day's digest (listing them, its counts those of the
    intake's files) and no feedback a second time. Every link of the digest that points at
    the reports opens over HTTP (a web server over the reports folder at the public address)."""
    import re
    import urllib.request
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from smartprov.run import steps

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "var"))
    )
    Thread(target=server.serve_forever, daemon=True).start()
    public = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SMARTPROV_PUBLIC_BASE_URL", public)

    landing = tmp_path / "landing"
    write_sample_landing(landing, province="34", seed=3)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"

    first = steps.intake(str(landing), url)
    assert first["run_id"].startswith(steps.INTAKE_PREFIX) and first["errors"] == []
    messages = alerting.take()
    assert messages and all(DIGEST_TO not in m["rcpt_tos"] for m in messages)
    assert (
        len(messages) == len(first["sent"]) == sum(s["what"].startswith("feedback:") for s in first["sent"])
    )

    assert steps.intake(str(landing), url)["new"] == 0  # nothing new: nothing validated, nothing sent
    assert alerting.take() == []

    nightly = steps.run_once(str(landing), url, build=False, notify=True)
    assert nightly["counts"]["accepted"] == 0 and nightly["counts"]["rejected"] == 0
    messages = alerting.take()
    digests = [m for m in messages if DIGEST_TO in m["rcpt_tos"]]
    assert len(digests) == 1 and [m for m in messages if DIGEST_TO not in m["rcpt_tos"]] == []
    digest_text = digests[0]["msg"].get_body(("plain",)).get_content()
    loaded = steps.load_artifact(url, first["run_id"], "submissions")
    rejected = [s for s in loaded if s["status"] == "rejected"]
    (digest,) = [s for s in nightly["alerts"]["sent"] if s["what"] == "digest"]
    assert rejected and digest["counts"]["rejected"] == len(rejected)
    for sub in rejected:  # listed by the nightly digest, with the feedback already sent
        assert sub["path"] in digest_text, sub["path"]
    assert "sudah dikirim sebelumnya" in digest_text
    accepted = [s for s in loaded if s["status"] == "accepted"]
    assert digest["counts"]["accepted"] == len(accepted) and digest["counts"]["new"] == len(loaded)
    try:
        links = set(re.findall(r"https?://[^\s<>\"]+", digest_text))
        intake_docs = f"{public}/reports/{first['run_id']}/data_docs/{first['run_id']}/index.html"
        assert intake_docs in links  # the Data Docs intake wrote are linked
        for link in sorted(x for x in links if x.startswith(f"{public}/reports/")):
            with urllib.request.urlopen(link, timeout=10) as resp:  # noqa: S310 - loopback
                assert resp.status == 200, link
        assert all(x.startswith(public) for x in links)  # URLs under the public address, never paths
        assert str(tmp_path) not in digest_text
    finally:
        server.shutdown()


def test_task_failure_alerts_name_the_task_carry_the_error_and_the_exact_next_try(alerting):
    """on_retry_callback opens the incident with one mail: the task, the exception, the next
    try's time as Airflow computes it (WIB), the log link in both languages; the last try's
    failure with the same cause mails nobody; the task's success mails "recovered" once."""
    import datetime as dt
    import hashlib
    from types import SimpleNamespace

    from smartprov.alerts import failure_notifiers, incidents, recovery_notifiers

    task = SimpleNamespace(
        retries=3,
        retry_delay=dt.timedelta(minutes=2),
        retry_exponential_backoff=2.0,
        max_retry_delay=dt.timedelta(minutes=30),
    )
    log_url = (
        "https://airflow.example.go.id/dags/smartprov_nightly/runs/r1/tasks/validate_and_load?try_number=2"
    )
    ti = SimpleNamespace(
        dag_id="smartprov_nightly",
        task_id="validate_and_load",
        run_id="r1",
        try_number=2,
        task=task,
        log_url=log_url,
    )
    logical = dt.datetime(2026, 2, 15, 18, 0, tzinfo=dt.UTC)
    context = {"ti": ti, "task": task, "run_id": "r1", "logical_date": logical,
               "exception": OSError("landing zone unreachable")}  # fmt: skip
    before = dt.datetime.now(dt.UTC)
    (mailer,) = [n for n in failure_notifiers(event="retry") if type(n).__name__ == "SmartprovSmtpNotifier"]
    mailer.notify(context)
    (msg,) = alerting.take()
    assert msg["rcpt_tos"] == [DIGEST_TO]  # failures go to the digest recipients by default
    subject = msg["msg"]["Subject"]
    assert "GAGAL, dicoba lagi pukul" in subject and "FAILED, next try at" in subject
    text = msg["msg"].get_body(("plain",)).get_content()
    assert "validate_and_load" in text and "OSError: landing zone unreachable" in text
    indonesian, english = text.split("--- English ---")
    assert log_url in indonesian and log_url in english and "2 / 4" in text
    # Airflow's next_retry_datetime: 2 min x 2^(2-1) = 4 min, plus a jitter of up to as much again
    next_try = dt.datetime.strptime(subject.split("next try at ")[1][:19], "%Y-%m-%d %H:%M:%S")
    next_try = next_try.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert before + dt.timedelta(minutes=4) - dt.timedelta(seconds=1) <= next_try
    assert next_try <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=8)
    expected = incidents.next_try_at(context, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    jitter = (
        int(hashlib.sha1(f"smartprov_nightly#validate_and_load#{logical}#2".encode()).hexdigest(), 16) % 240
    )
    assert (expected - dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).total_seconds() == 240 + jitter

    ti.try_number = 4
    (final,) = [n for n in failure_notifiers(event="failure") if type(n).__name__ == "SmartprovSmtpNotifier"]
    final.notify(context)  # the last try, the same cause: the incident is open, nobody is mailed
    assert alerting.take() == []

    (recovery,) = recovery_notifiers()
    recovery.notify(
        {"ti": SimpleNamespace(dag_id="smartprov_nightly", task_id="validate_and_load", run_id="r2")}
    )
    (msg,) = alerting.take()
    assert "PULIH / RECOVERED: smartprov_nightly.validate_and_load" in msg["msg"]["Subject"]


def test_cli_intake_mails_the_regencies_once_and_no_digest(alerting, tmp_path, monkeypatch):
    """`smartprov intake` is the smartprov_intake DAG's step: new files only, feedback only."""
    from smartprov import cli
    from smartprov.warehouse.connection import Warehouse

    landing = tmp_path / "landing"
    write_sample_landing(landing, province="32", seed=0)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    # The sample's contacts live under example domains: let the allow-list take them.
    monkeypatch.setenv("SMARTPROV_ALERTS_FEEDBACK_ALLOWED_DOMAINS", "*")

    assert cli.main(["intake", "--landing", str(landing), "--warehouse", url]) == 0
    messages = alerting.take()
    assert messages, "the rejected and warned workbooks' regencies are told"
    assert not [m for m in messages if DIGEST_TO in m["rcpt_tos"]], "the digest is the nightly run's"
    with Warehouse(url) as wh:
        ledger = wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0]
    assert ledger > 0

    assert cli.main(["intake", "--landing", str(landing), "--warehouse", url]) == 0
    assert alerting.take() == [], "nothing new: nobody is mailed again"
