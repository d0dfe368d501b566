"""A run over the sample data with SMTP pointed at a loopback catcher (issue: alerts).

One province digest and one e-mail per rejected or warned workbook arrive, addressed to the
workbook's `email_kontak` with the province's CC list; a second run sends nothing again.
"""

from __future__ import annotations

import pytest

from loopback import smtp_conn_json
from smartprov.authoring.sample import write_sample_landing
from smartprov.run import pipeline

DIGEST_TO = "datin@diskominfo.example.go.id"
CC = "smartcity@diskominfo.example.go.id"


@pytest.fixture
def alerting(smtp_server, monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "smartprov@diskominfo.example.go.id")
    monkeypatch.setenv("SMARTPROV_ALERTS_DIGEST_TO", DIGEST_TO)
    monkeypatch.setenv("SMARTPROV_ALERTS_FEEDBACK_CC", CC)
    monkeypatch.delenv("SMARTPROV_ALERTS_CONFIG", raising=False)
    smtp_server.take()
    yield smtp_server
    smtp_server.take()


def test_sample_run_sends_one_digest_and_the_regency_feedback(alerting, tmp_path):
    landing = tmp_path / "landing"
    write_sample_landing(landing, province="32", seed=0)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"

    report = pipeline.run_once(str(landing), url, build=False, notify=True)
    assert report["alerts"]["errors"] == []
    messages = alerting.take()

    digests = [m for m in messages if DIGEST_TO in m["rcpt_tos"]]
    assert len(digests) == 1
    digest = digests[0]["msg"]
    assert digest.get_body(("plain",)) is not None and digest.get_body(("html",)) is not None
    assert report["report_path"] in digest.get_body(("plain",)).get_content()

    to_notify = [
        s for s in report["submissions"] if s["findings"] and s["email_kontak"] and s["status"] != "duplicate"
    ]
    assert any(s["status"] == "rejected" for s in to_notify)
    feedback = [m for m in messages if DIGEST_TO not in m["rcpt_tos"]]
    assert len(feedback) == len(to_notify)
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

    again = pipeline.run_once(str(landing), url, build=False, notify=True)
    assert again["alerts"]["errors"] == []
    assert [m for m in alerting.take() if DIGEST_TO not in m["rcpt_tos"]] == []
