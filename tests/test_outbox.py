"""The alerts' outbox (issue 21): nothing lost when the mail relay is down, nothing sent twice.

A real SMTP server on loopback is stopped and started on the same port; the sample landing
zone has rejected and warned workbooks. On DuckDB and PostgreSQL:

- a run with the relay down exits 4 and keeps every mail in audit.outbox; once the relay is
  back, the next run (or `smartprov notify`) delivers every refused feedback mail and the
  digest; a third run sends nothing;
- a run SIGKILLed right after its load gets its mails out with the next run;
- retries back off (an explicit clock, no waiting).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from loopback import Mailbox, free_port
from smartprov import cli
from smartprov.authoring.sample import write_sample_landing
from smartprov.warehouse.connection import Warehouse

DIGEST_TO = "datin@diskominfo.example.go.id"
SENDER = "smartprov@diskominfo.example.go.id"
PUBLIC = "http://portal.example.go.id"


class Relay:
    """An SMTP server on one loopback port that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.box = Mailbox()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def relay(monkeypatch, tmp_path):
    r = Relay()
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    # Airflow's URI form, the sender in its from_email extra (no SMARTPROV_ALERTS_FROM).
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        f"smtp://127.0.0.1:{r.port}?disable_tls=true&disable_ssl=true&timeout=5&from_email=smartprov%40diskominfo.example.go.id",
    )
    for name in [k for k in os.environ if k.startswith("SMARTPROV_ALERTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SMARTPROV_ALERTS_DIGEST_TO", DIGEST_TO)
    monkeypatch.setenv("SMARTPROV_ALERTS_RETRY_MINUTES", "0")  # every sender retries (back-off: below)
    monkeypatch.setenv("SMARTPROV_PUBLIC_BASE_URL", PUBLIC)
    yield r
    r.stop()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'w.duckdb'}"
        return
    from pg import fresh_database

    with fresh_database("smartprov_outbox_") as db:
        yield db.url


def sample_landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    write_sample_landing(landing, province="32", seed=0)
    return landing


def waiting(url: str) -> list[tuple]:
    with Warehouse(url) as wh:
        return wh.fetchall("SELECT kind, attempts, last_error FROM audit.outbox WHERE sent_at IS NULL")


def expected_feedback(url: str) -> set[str]:
    """The regency contacts owed feedback: rejected or warned submissions with an e-mail."""
    with Warehouse(url) as wh:
        rows = wh.fetchall(
            "SELECT DISTINCT lower(email_kontak) FROM audit.submissions"
            " WHERE (status = 'rejected' OR warnings > 0) AND email_kontak IS NOT NULL AND email_kontak <> ''"
        )
    return {r[0] for r in rows}


def run(landing: Path, url: str) -> int:
    return cli.main(["run", "--landing", str(landing), "--warehouse", url, "--no-dbt"])


@pytest.mark.parametrize("deliverer", ["next run", "smartprov notify"])
def test_mail_refused_while_the_relay_is_down_goes_out_once_it_is_back(
    relay, warehouse_url, tmp_path, deliverer, capsys
):
    landing = sample_landing(tmp_path)
    url = warehouse_url

    # The relay is down for the night's run: the run finishes, exit 4 and one line say so.
    assert run(landing, url) == cli.EXIT_MAIL_WAITING
    err = capsys.readouterr().err
    assert "waiting undelivered in the outbox" in err and "ConnectionRefusedError" in err
    pending = waiting(url)
    kinds = sorted(k for k, _, _ in pending)
    assert kinds.count("digest") == 1 and kinds.count("feedback") == len(expected_feedback(url)) > 0
    assert all(attempts == 1 and error for _, attempts, error in pending)
    assert relay.box.take() == []
    assert cli.main(["outbox", "--warehouse", url]) == cli.EXIT_MAIL_WAITING
    assert "feedback via email" in capsys.readouterr().out

    relay.start()
    if deliverer == "next run":
        assert run(landing, url) == 0
    else:
        assert cli.main(["notify", "--warehouse", url]) == 0
    delivered = relay.box.take()
    digests = [m for m in delivered if DIGEST_TO in m["rcpt_tos"]]
    feedback = [m for m in delivered if DIGEST_TO not in m["rcpt_tos"]]
    assert len(digests) == 1
    assert sorted(m["msg"]["To"].lower() for m in feedback) == sorted(expected_feedback(url))
    assert all(m["msg"]["From"] == SENDER for m in delivered)
    assert all(m["msg"]["Reply-To"] == DIGEST_TO for m in delivered)
    text = digests[0]["msg"].get_body(("plain",)).get_content()
    with Warehouse(url) as wh:
        (rejected,) = wh.fetchall("SELECT count(*) FROM audit.submissions WHERE status = 'rejected'")[0]
    assert rejected > 0 and f"{rejected} ditolak" in digests[0]["msg"]["Subject"]
    assert f"{PUBLIC}/reports/" in text and str(tmp_path) not in text  # URLs, never paths
    assert waiting(url) == []

    # A third run: nothing new, nothing owed, nothing sent; exit 0.
    assert run(landing, url) == 0
    assert cli.main(["notify", "--warehouse", url]) == 0
    assert relay.box.take() == []
    with Warehouse(url) as wh:
        sent = wh.fetchall("SELECT attempts FROM audit.outbox WHERE sent_at IS NOT NULL")
    assert sent and all(attempts == 2 for (attempts,) in sent)  # refused once, accepted once


KILLED_RUN = """
import os, signal, sys
from smartprov.run import steps
landing, url = sys.argv[1], sys.argv[2]
found = steps.discover(landing, url, "manual__killed_after_load")
steps.validate_and_load(found, url)
os.kill(os.getpid(), signal.SIGKILL)  # killed after its load, before report and notify
"""


def test_a_run_killed_after_its_load_gets_its_mails_out_next_time(relay, warehouse_url, tmp_path):
    landing = sample_landing(tmp_path)
    url = warehouse_url
    relay.start()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(landing), url], env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    with Warehouse(url) as wh:
        assert wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0] > 0  # the load was done
    assert relay.box.take() == []

    assert run(landing, url) == 0  # the next run: every file is a duplicate, yet nothing is lost
    delivered = relay.box.take()
    feedback = [m for m in delivered if DIGEST_TO not in m["rcpt_tos"]]
    assert sorted(m["msg"]["To"].lower() for m in feedback) == sorted(expected_feedback(url))
    (digest,) = [m for m in delivered if DIGEST_TO in m["rcpt_tos"]]
    assert "manual__killed_after_load" in digest["msg"].get_body(("plain",)).get_content()  # its Data Docs
    assert run(landing, url) == 0 and relay.box.take() == []


def test_retries_back_off_and_notify_now_ignores_the_back_off(relay, tmp_path, monkeypatch):
    from smartprov.alerts import AlertConfig, deliver_outbox, notify_run
    from test_alerts import make_report

    monkeypatch.setenv("SMARTPROV_ALERTS_RETRY_MINUTES", "5")
    monkeypatch.setenv("SMARTPROV_ALERTS_FEEDBACK_ALLOWED_DOMAINS", "*")
    config = AlertConfig.load()
    t0 = dt.datetime(2026, 2, 15, 1, 0)
    with Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}") as wh:
        first = notify_run(make_report(), wh, config, now=t0)
        assert first["errors"] and not first["sent"]
        relay.start()
        # 1, then 2 failed attempts: 5 then 10 minutes
        assert (
            notify_run(
                {"run_id": None, "submissions": []},
                wh,
                config,
                sender="notify",
                now=t0 + dt.timedelta(minutes=1),
            )["sent"]
            == []
        )
        assert relay.box.take() == []
        later = notify_run(
            {"run_id": None, "submissions": []}, wh, config, sender="notify", now=t0 + dt.timedelta(minutes=6)
        )
        assert len(later["sent"]) == 3 and len(relay.box.take()) == 3
        assert later["outbox"]["waiting"] == 0

        relay.stop()
        second = notify_run(make_report(run_id="r2", submissions=[*make_report()["submissions"]]), wh, config,
                            now=t0 + dt.timedelta(days=1))  # fmt: skip
        assert second["sent"] == []  # nothing new: the same files were told about already
        from smartprov.alerts.ledger import backoff

        assert [backoff(n, config).total_seconds() / 60 for n in (1, 2, 3)] == [5, 10, 20]
        config.retry_max_minutes = 15
        assert backoff(5, config).total_seconds() / 60 == 15
        assert deliver_outbox(wh, config, ignore_backoff=True)["sent"] == []


@pytest.mark.postgres
def test_two_senders_at_once_send_each_message_once(relay, tmp_path):
    """Two senders (say an intake and `smartprov notify`) deliver the same outbox at the same
    time on PostgreSQL: each message is claimed by one of them and reaches the relay once."""
    import threading

    from pg import fresh_database
    from smartprov.alerts import AlertConfig
    from smartprov.alerts.ledger import EMAIL, Message, Outbox

    config = AlertConfig.load()
    with fresh_database("smartprov_outbox_") as db:
        with Warehouse(db.url) as wh:
            outbox = Outbox(wh)
            for n in range(40):
                message = Message(
                    key=f"test:{n}", kind="feedback", channel=EMAIL, subject=f"message {n}", text="t", html="<p>t</p>",
                    to=[f"r{n}@example.go.id"],
                )  # fmt: skip
                assert outbox.enqueue(message, [f"item:{n}"])
                assert not outbox.enqueue(Message(**{**message.__dict__, "key": f"again:{n}"}), [f"item:{n}"])
        relay.start()
        results = []

        def sender():
            with Warehouse(db.url) as own:
                results.append(Outbox(own).deliver(config))

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        subjects = sorted(m["msg"]["Subject"] for m in relay.box.take())
        assert subjects == sorted(f"message {n}" for n in range(40))  # each once
        assert sum(len(r.sent) for r in results) == 40 and not any(r.errors for r in results)
