"""E-mail counts as sent only through the relay that took it (audit.outbox.relay).

Two real SMTP servers on loopback: a development catcher and "the province's relay". Mail
the catcher took is sent again, from the outbox, once the SMTP Connection points at the
relay; then never again. Also: the digest's links to the reports server.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from loopback import Mailbox, free_port, smtp_conn_json
from smartprov.alerts import notify_run
from smartprov.alerts.digest import links
from smartprov.alerts.ledger import Outbox
from smartprov.warehouse.connection import Warehouse
from test_alerts import DIGEST_TO, TODAY, by_to, make_config, make_report


@pytest.fixture
def relay():
    """A second SMTP server: the real relay, as opposed to the catcher (smtp_server)."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(f"duckdb:///{tmp_path}/w.duckdb")
    yield w
    w.close()


def written_report(tmp_path: Path, **kwargs) -> dict:
    """A run report as the pipeline leaves it: a report.json at its report_path."""
    report = make_report(**kwargs)
    run_dir = tmp_path / "reports" / report["run_id"].replace(":", "_")
    run_dir.mkdir(parents=True)
    report["report_path"] = str(run_dir / "report.json")
    Path(report["report_path"]).write_text(json.dumps(report), encoding="utf-8")
    return report


def test_mail_taken_by_the_catcher_is_sent_again_through_the_relay(
    smtp_server, relay, wh, tmp_path, monkeypatch
):
    cfg = make_config()
    catcher = smtp_server
    catcher.take()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(catcher.port))
    first = written_report(tmp_path)
    notify_run(first, wh, cfg, today=TODAY)
    caught = catcher.take()
    assert len(caught) == 3  # two regency feedbacks and the digest, all into the catcher
    rows = wh.fetchall("SELECT DISTINCT relay, run_id FROM audit.outbox WHERE channel = 'email'")
    assert rows == [(f"127.0.0.1:{catcher.port}", first["run_id"])]

    # Same relay, same run again: nothing (the ledger works as before).
    assert notify_run(first, wh, cfg, today=TODAY)["sent"] == [] and catcher.take() == []

    # The operator points SMTP at the real relay; the next night has nothing new of its own.
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(relay.port))
    quiet_night = written_report(tmp_path, run_id="scheduled__2026-02-16T00:00:00+00:00", submissions=[])
    result = notify_run(quiet_night, wh, cfg, today=TODAY)
    delivered = relay.take()
    assert catcher.take() == []
    assert sorted(m["msg"]["Subject"] for m in delivered) == sorted(m["msg"]["Subject"] for m in caught)
    assert len(by_to(delivered, "diskominfo@bandungkab.example")) == 1
    assert len(by_to(delivered, DIGEST_TO[0])) == 1
    assert {s.get("run_id") for s in result["sent"]} == {first["run_id"]}
    rows = wh.fetchall("SELECT DISTINCT relay FROM audit.outbox WHERE channel = 'email'")
    assert rows == [(f"127.0.0.1:{relay.port}",)]

    # Once through the relay, never again.
    later = written_report(tmp_path, run_id="scheduled__2026-02-17T00:00:00+00:00", submissions=[])
    assert notify_run(later, wh, cfg, today=TODAY)["sent"] == [] and relay.take() == []
    assert notify_run(first, wh, cfg, today=TODAY)["sent"] == [] and relay.take() == []


def test_a_failed_resend_stays_pending(smtp_server, relay, wh, tmp_path, monkeypatch):
    cfg = make_config()
    smtp_server.take()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    first = written_report(tmp_path)
    notify_run(first, wh, cfg, today=TODAY)
    assert len(smtp_server.take()) == 3

    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(free_port()))  # nobody listens
    night = written_report(tmp_path, run_id="scheduled__2026-02-16T00:00:00+00:00", submissions=[])
    failed = notify_run(night, wh, cfg, today=TODAY)
    assert failed["errors"] and not failed["sent"]

    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(relay.port))
    notify_run(night, wh, cfg, today=TODAY)
    assert len(relay.take()) == 3


def test_rows_of_the_older_ledger_count_as_sent(wh, tmp_path, monkeypatch, smtp_server):
    """A warehouse from before the outbox: what audit.notifications recorded is not sent again."""
    wh.execute("CREATE SCHEMA IF NOT EXISTS audit")
    wh.execute(
        """CREATE TABLE audit.notifications (notification_key VARCHAR(600) PRIMARY KEY,
           channel VARCHAR(32) NOT NULL, recipient VARCHAR(2000), sent_at TIMESTAMP NOT NULL,
           run_id VARCHAR(256))"""
    )
    report = written_report(tmp_path)
    rejected = next(s for s in report["submissions"] if s["status"] == "rejected")
    key = f"feedback:email:{rejected['email_kontak']}:{rejected['submission_id']}"
    wh.execute(
        "INSERT INTO audit.notifications VALUES (?, 'email', 'a@b.example', ?, 'r1')",
        (key, dt.datetime(2026, 1, 1)),
    )
    outbox = Outbox(wh, relay="smtp.example:587")
    assert outbox.known([key]) == {key}
    smtp_server.take()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    notify_run(report, wh, make_config(), today=TODAY)
    assert by_to(smtp_server.take(), rejected["email_kontak"]) == []  # told before the outbox existed
    Outbox(wh)  # adopting the old rows again adds nothing
    assert wh.fetchall("SELECT count(*) FROM audit.outbox_items WHERE message_key = 'legacy'")[0][0] == 1


def test_digest_links_point_at_the_reports_server():
    """Compose sets SMARTPROV_ALERTS_REPORT_URL=<REPORTS_BASE_URL>/{run_dir}/report.json: the
    link must be the run's folder as written, not the raw run id."""
    cfg = make_config(
        report_url="https://reports.example/{run_dir}/report.json",
        data_docs_url="https://reports.example/{run_dir}/{data_docs}",
    )
    run_id = "scheduled__2026-02-15T19:00:00+00:00"
    folder = "/opt/smartprov/reports/scheduled__2026-02-15T19_00_00+00_00"
    report = {
        "run_id": run_id,
        "report_path": f"{folder}/report.json",
        "data_docs": f"{folder}/data_docs/local_site/index.html",
    }
    assert links(report, cfg) == (
        "https://reports.example/scheduled__2026-02-15T19_00_00+00_00/report.json",
        "https://reports.example/scheduled__2026-02-15T19_00_00+00_00/data_docs/local_site/index.html",
    )
    from smartprov.run.steps import run_dir_for

    assert run_dir_for(run_id).name == "scheduled__2026-02-15T19_00_00+00_00"
