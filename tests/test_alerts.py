"""Alerts end to end: a real SMTP server and a real HTTP server on loopback, a DuckDB warehouse.

The tests read what arrived (envelope, headers, both body parts, the .xlsx attachment,
the webhook's JSON) rather than mocking the channels.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopback import free_port, smtp_conn_json  # the servers themselves are fixtures (conftest)
from smartprov.alerts import AlertConfig, AlertDeliveryError, failure_notifiers, notify_run
from smartprov.alerts.deadlines import overdue_regencies
from smartprov.contract import catalogue as contract
from smartprov.contract.deadlines import load_deadlines, seed_text
from smartprov.warehouse.connection import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 2, 15)  # after EVALUASI 2025's deadline (31 January 2026)
DIGEST_TO = ["datin@diskominfo.jabarprov.example"]
PROVINCE_CC = ["smartcity@diskominfo.jabarprov.example"]
FAILURE_TO = ["oncall@diskominfo.jabarprov.example"]
SENDER = "smartprov@diskominfo.jabarprov.example"
PUBLIC = "https://smartprov.jabarprov.example"


def day(n: int) -> dt.datetime:
    """08:00 WIB on February n, 2026 (naive UTC, the outbox's clock): one digest a day."""
    return dt.datetime(2026, 2, n, 1, 0)


@pytest.fixture
def webhook(webhook_server, monkeypatch):
    def configure(fmt: str = "generic", password: str | None = "s3cret-token", uri: bool = False):
        if uri:  # the form a Slack URL takes: the secret is the path
            monkeypatch.setenv(
                "AIRFLOW_CONN_SMARTPROV_WEBHOOK",
                f"http://127.0.0.1:{webhook_server.port}/services/T000/B000/XXXX?format={fmt}",
            )
            return webhook_server
        conn = {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": webhook_server.port,
            "schema": "http",
            "extra": {"endpoint": "/hooks/smartprov", "format": fmt, "timeout": 5},
        }
        if password:
            conn["password"] = password
        monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_WEBHOOK", json.dumps(conn))
        return webhook_server

    webhook_server.take()
    webhook_server.status = 200
    yield configure
    webhook_server.take()
    webhook_server.status = 200


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(f"duckdb:///{tmp_path}/w.duckdb")
    w.ensure_schema()
    yield w
    w.close()


def build_status_mart(wh: Warehouse, today: dt.date, monkeypatch, tmp_path) -> Warehouse:
    """Build the real `province_submission_status` (and what it needs) at `today`; return the
    warehouse reopened (DuckDB: dbt writes the file while no other connection holds it)."""
    from smartprov.warehouse import dbt_runner

    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    url = wh.url.display()  # dbt reads no password from it: the test servers trust loopback
    duck = wh.engine == "duckdb"
    if duck:
        wh.close()
    select = ["--select", "+province_submission_status", "--indirect-selection", "cautious"]
    dbt_runner.invoke(["build", *select], url, today=today)
    return Warehouse(url) if duck else wh


def make_config(**overrides) -> AlertConfig:
    cfg = AlertConfig.from_dict(
        {
            "from_email": SENDER,
            "channels": {"webhook": {"enabled": False}},
            "digest": {"to": DIGEST_TO},
            "failures": {"to": FAILURE_TO},
            "provinces": {"32": {"feedback_cc": PROVINCE_CC}},
            # The tests' regencies live under the reserved .example domain (RFC 2606).
            "feedback": {"allowed_domains": ["example", "go.id"]},
            "links": {"public_base_url": PUBLIC},
            "delivery": {"retry_minutes": 0},  # every sender retries at once (backoff: test_outbox)
        }
    )
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


# -- run reports ---------------------------------------------------------------------------
def finding(rule, severity, sheet, row, column, value, msg_id, msg_en):
    return {
        "rule": rule,
        "severity": severity,
        "sheet": sheet,
        "row": row,
        "column": column,
        "value": value,
        "message_id": rule,
        "message": msg_id,
        "message_en": msg_en,
    }


REJECTED_FINDINGS = [
    finding(
        "ENUM",
        "ERROR",
        "Program",
        7,
        "dimensi",
        "Smart People",
        "Nilai 'Smart People' pada 'dimensi' tidak termasuk pilihan yang diizinkan.",
        "Value 'Smart People' in 'dimensi' is not one of the allowed values.",
    ),
    finding(
        "REQUIRED",
        "ERROR",
        "Program",
        9,
        "opd_penanggung_jawab",
        None,
        "Nilai 'opd_penanggung_jawab' wajib diisi.",
        "'opd_penanggung_jawab' is required.",
    ),
    finding(
        "TYPE",
        "ERROR",
        "Program",
        12,
        "anggaran_rp",
        '=HYPERLINK("http://evil.example","klik")',
        "Nilai tidak dapat dibaca sebagai angka.",
        "Value cannot be read as a number.",
    ),
    finding(
        "TYPE",
        "ERROR",
        "Identitas",
        10,
        "email_kontak",
        "@SUM(1+1)*cmd",
        "Nilai tidak dapat dibaca sebagai e-mail.",
        "Value cannot be read as an e-mail.",
    ),
    finding(
        "RANGE",
        "ERROR",
        "Program",
        15,
        "target",
        "-5",
        "Nilai '-5' pada 'target' di luar rentang.",
        "Value '-5' in 'target' is outside the range.",
    ),
    finding(
        "CONSISTENCY",
        "WARNING",
        "Program",
        3,
        "quick_win",
        "+62 812",
        "Setiap dimensi sebaiknya punya tepat satu quick win.",
        "Each dimension should have one quick win.",
    ),
]
WARNED_FINDINGS = [
    finding(
        "EXTRA",
        "WARNING",
        "Catatan",
        None,
        None,
        None,
        "Lembar 'Catatan' tidak dikenal dan diabaikan.",
        "Sheet 'Catatan' is not part of the template and was ignored.",
    ),
]


def submission(
    sid,
    region_code,
    region_name,
    status,
    findings,
    *,
    kind="MASTERPLAN",
    period="2021-2030",
    email_kontak="diskominfo@bandungkab.example",
):
    return {
        "path": f"{region_code}/{kind.lower()}-{sid}.xlsx",
        "sha256": (sid * 8)[:64],
        "submission_id": sid,
        "region_code": region_code,
        "region_name": region_name,
        "kind": kind,
        "period": period,
        "status": status,
        "email_kontak": email_kontak,
        "quarantine_path": f"quarantine/{sid}.xlsx" if status == "rejected" else None,
        "findings": findings,
    }


def make_report(run_id="scheduled__2026-02-15T00:00:00+00:00", submissions=None, errors=None, data_docs=True):
    subs = (
        submissions
        if submissions is not None
        else [
            submission("aaaa1111bbbb2222", "32.04", "Kabupaten Bandung", "rejected", REJECTED_FINDINGS),
            submission(
                "cccc3333dddd4444",
                "32.73",
                "Kota Bandung",
                "accepted",
                WARNED_FINDINGS,
                kind="EVALUASI",
                period="2025",
                email_kontak="smartcity@bandung.example",
            ),
            submission(
                "eeee5555ffff6666",
                "32.01",
                "Kabupaten Bogor",
                "accepted",
                [],
                email_kontak="kominfo@bogorkab.example",
            ),
            {
                **submission("aaaa1111bbbb2222", "32.04", "Kabupaten Bandung", "duplicate", []),
                "path": "32.04/copy.xlsx",
            },
        ]
    )
    return {
        "run_id": run_id,
        "started_at": "2026-02-15T01:00:00+07:00",
        "finished_at": "2026-02-15T01:02:03+07:00",
        "warehouse": "duckdb:///var/warehouse.duckdb",
        "landing": "var/landing",
        "report_path": f"var/reports/{run_id}/report.json",
        "data_docs": f"var/reports/{run_id}/data_docs/index.html" if data_docs else None,
        "province": "32",
        "submissions": subs,
        "errors": errors if errors is not None else [],
    }


def parts(msg) -> dict[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return {"text": text.get_content() if text else "", "html": html.get_content() if html else ""}


def by_to(messages, address):
    return [m for m in messages if address in m["msg"]["To"]]


def insert_submissions(wh, rows):
    base = {
        "file_sha256": None,
        "path": "x.xlsx",
        "status": "accepted",
        "errors": 0,
        "warnings": 0,
        "size_bytes": 1000,
        "received_at": dt.datetime(2026, 1, 10, 8, 0),
        "run_id": "r0",
    }
    full = []
    for i, r in enumerate(rows):
        row = {**base, **r}
        row["submission_id"] = row.get("submission_id") or f"sub{i:04d}"
        row["file_sha256"] = row["file_sha256"] or f"{row['submission_id']}{'0' * 60}"[:64]
        full.append(row)
    wh.insert_rows("audit.submissions", full)


def accepted_masterplans(codes):
    """Ledger rows of an accepted masterplan for each regency: evaluations are due from them."""
    return [
        {
            "submission_id": f"mp{code}",
            "region_code": code,
            "folder_region_code": code,
            "kind": "MASTERPLAN",
            "period": "2023-2032",
            "period_start": 2023,
            "period_end": 2032,
            "document_date": dt.date(2022, 9, 20),
            "received_at": dt.datetime(2022, 10, 1),
        }
        for code in codes
    ]


# -- tests -------------------------------------------------------------------------------------
def test_config_from_yaml_and_env(tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text(
        """
from_email: smartprov@prov.example
digest: {to: [a@prov.example, b@prov.example], send: always}
feedback: {cc: [cc@prov.example]}
channels:
  email: {smtp_conn_id: smtp_prov}
  webhook: {enabled: auto, conn_id: chat_prov}
provinces:
  32: {digest_to: [jabar@prov.example], feedback_cc: [jabar-cc@prov.example]}
links: {report_url: "https://smartprov.example/reports/{run_id}/report.json"}
""",
        encoding="utf-8",
    )
    cfg = AlertConfig.load(
        env={
            "SMARTPROV_ALERTS_CONFIG": str(path),
            "SMARTPROV_ALERTS_DIGEST_SEND": "when_needed",
            "SMARTPROV_ALERTS_FEEDBACK_CC": "x@prov.example; y@prov.example",
        }
    )
    assert cfg.source == str(path)
    assert cfg.from_email == "smartprov@prov.example"
    assert cfg.digest_always is False  # the environment wins over the file
    assert (
        cfg.smtp_conn_id == "smtp_prov" and cfg.webhook_conn_id == "chat_prov" and cfg.webhook_enabled is None
    )
    assert cfg.digest_recipients(["32"]) == ["jabar@prov.example"]
    assert cfg.digest_recipients(["33"]) == ["a@prov.example", "b@prov.example"]
    assert cfg.feedback_cc_for("32") == ["jabar-cc@prov.example"]
    assert cfg.feedback_cc_for("33") == ["x@prov.example", "y@prov.example"]

    with pytest.raises(ValueError, match="unknown key"):
        AlertConfig.from_dict({"digest": {"too": ["a@b.example"]}})
    with pytest.raises(ValueError, match="not an e-mail"):
        AlertConfig.from_dict({"digest": {"to": ["not an address"]}})
    # deadlines have one home, config/deadlines.yml, shared with the marts
    with pytest.raises(ValueError, match="config/deadlines.yml"):
        AlertConfig.from_dict({"deadlines": {"EVALUASI": {"month": 1, "day": 31}}})
    # the shipped example is valid, and so is the shipped deadline table
    example = AlertConfig.load(PROJECT_ROOT / "config" / "alerts.example.yml", env={})
    assert load_deadlines()["EVALUASI"].month == 1 and example.digest_to


def test_deadline_table_from_yaml(tmp_path):
    path = tmp_path / "deadlines.yml"
    path.write_text("EVALUASI: {month: 1, day: 31, year_offset: 1}\nMASTERPLAN: {date: 2026-06-30}\n")
    table = load_deadlines(path)
    assert table["MASTERPLAN"].date == dt.date(2026, 6, 30)
    assert table["EVALUASI"].due_date(2025) == dt.date(2026, 1, 31)
    path.write_text("LAPORAN: {date: 2026-01-01}\n")
    with pytest.raises(ValueError, match="unknown kind"):
        load_deadlines(path)
    path.write_text("EVALUASI: {date: 2026-01-31}\nMASTERPLAN: {date: 2026-06-30}\n")
    with pytest.raises(ValueError, match="EVALUASI is due every year"):
        load_deadlines(path)


def test_the_seed_is_generated_from_the_deadline_table():
    """The marts' deadlines (seed ref_submission_deadlines) and the config never disagree."""
    from smartprov.contract.deadlines import generated_seeds_dir, sync_seed

    sync_seed()
    seed = generated_seeds_dir() / "ref_submission_deadlines.csv"
    assert not (PROJECT_ROOT / "dbt" / "seeds" / "ref_submission_deadlines.csv").exists(), "tracked copy"
    assert seed.read_text(encoding="utf-8") == seed_text(
        load_deadlines(PROJECT_ROOT / "config" / "deadlines.yml")
    )


def test_feedback_and_digest(smtp, wh):
    report = make_report(errors=["dbt build failed: model province_scorecard (exit 1)"])
    result = notify_run(report, wh, make_config(), today=TODAY)
    assert not result["errors"], result["errors"]
    messages = smtp.take()
    assert len(messages) == 3  # two regency feedbacks + one digest; nothing for the clean or duplicate file

    # -- regency feedback (rejected) --
    [fb] = by_to(messages, "diskominfo@bandungkab.example")
    msg = fb["msg"]
    assert msg["From"] == SENDER
    assert msg["Cc"] == PROVINCE_CC[0]
    assert sorted(fb["rcpt_tos"]) == sorted(["diskominfo@bandungkab.example", *PROVINCE_CC])
    assert "DITOLAK" in msg["Subject"] and "REJECTED" in msg["Subject"]
    assert msg["Subject"].index("DITOLAK") < msg["Subject"].index("REJECTED")
    body = parts(msg)
    for f in REJECTED_FINDINGS:
        for part in ("text", "html"):
            content = body[part]
            assert f["sheet"] in content and f["column"] in content, (part, f)
            assert (
                (f"baris/row {f['row']}" in content)
                if part == "text"
                else (f"<td>{f['row']}</td>" in content)
            )
            if f["value"] is not None:
                shown = f["value"] if part == "text" else f["value"].replace('"', "&quot;")
                assert shown in content, (part, f["value"])
    assert body["text"].index("DITOLAK") < body["text"].index("REJECTED")  # Indonesian first
    assert "Isi nilai yang kosong" in body["text"] and "Fill in the empty value" in body["text"]  # what to do
    assert '<a href="http://evil' not in body["html"]  # workbook text is escaped, never markup

    [att] = list(msg.iter_attachments())
    assert att.get_filename().endswith(".xlsx")
    assert att.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(att.get_content()))
    ws = wb["Temuan"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(REJECTED_FINDINGS)
    values = {r[6] for r in rows}
    assert '\'=HYPERLINK("http://evil.example","klik")' in values
    assert "'@SUM(1+1)*cmd" in values and "'-5" in values and "'+62 812" in values
    assert "Smart People" in values
    assert [(r[3], r[4], r[5]) for r in rows] == [
        (f["sheet"], f["row"], f["column"]) for f in REJECTED_FINDINGS
    ]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no formula anywhere
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    assert "Info" in wb.sheetnames

    # -- regency feedback (accepted with warnings) --
    [warned] = by_to(messages, "smartcity@bandung.example")
    assert "diterima" in warned["msg"]["Subject"] and "accepted" in warned["msg"]["Subject"]
    assert "Catatan" in parts(warned["msg"])["text"]

    # -- province digest --
    [dg] = by_to(messages, DIGEST_TO[0])
    msg = dg["msg"]
    assert dg["rcpt_tos"] == DIGEST_TO and msg["Cc"] is None
    assert msg["From"] == SENDER
    assert msg["Reply-To"] == DIGEST_TO[0]  # the province's Diskominfo, not the robot
    assert fb["msg"]["Reply-To"] == DIGEST_TO[0]
    assert "Ringkasan" in msg["Subject"] and "1 ditolak" in msg["Subject"] and "1 rejected" in msg["Subject"]
    assert (
        msg.get_body(preferencelist=("plain",)) is not None
        and msg.get_body(preferencelist=("html",)) is not None
    )
    body = parts(msg)
    for part in ("text", "html"):
        content = body[part]
        assert content.index("Ringkasan harian") < content.index("Daily summary"), part  # Indonesian first
        assert "var/reports" not in content  # links are URLs, never a worker's file paths
        folder = Path(report["report_path"]).parent.name  # the run's folder as written
        assert f"{PUBLIC}/reports/{folder}/report.json" in content
        assert f"{PUBLIC}/reports/{folder}/data_docs/index.html" in content
        assert f"{PUBLIC}/status/32.04" in content  # the rejected regency's status page
        assert "WIB" in content and "2026-02-15 01:02:03 WIB" in content
        # action items first: rejected, then pipeline errors, then warnings, then the accepted count
        assert (
            content.index("DITOLAK")
            < content.index("dbt build failed")
            < content.index("Kota Bandung (32.73)")
        )
        assert content.index("Kota Bandung (32.73)") < content.index("Kabupaten Bogor (32.01)")
        assert "Kabupaten Bandung (32.04)" in content
        assert "ENUM" in content and "REQUIRED" in content  # main findings
        assert "dbt build failed" in content  # pipeline errors
        assert "Kota Bandung (32.73)" in content  # warnings
        assert "Kabupaten Bogor (32.01)" in content  # accepted without findings, counted per regency
        assert "32.04/copy.xlsx" not in content  # duplicates are not reported
    assert "terkirim ke diskominfo@bandungkab.example" in body["text"]
    assert "sent to diskominfo@bandungkab.example" in body["text"]

    kinds = sorted((s["what"].split(":")[0], s["channel"]) for s in result["sent"])
    assert kinds == [("digest", "email"), ("feedback", "email"), ("feedback", "email")]


def test_rerun_and_later_run_send_nothing_twice(smtp, wh):
    cfg = make_config()
    report = make_report()
    first = notify_run(report, wh, cfg, today=TODAY)
    assert len(first["sent"]) == 3 and len(smtp.take()) == 3

    again = notify_run(report, wh, cfg, today=TODAY)  # a rerun of the same run
    assert again["sent"] == [] and smtp.take() == []
    reasons = {(s["what"].split(":")[0], s["reason"]) for s in again["skipped"]}
    assert ("feedback", "already sent") in reasons and ("digest", "already sent today") in reasons

    # a later run in which the same submissions appear again (e.g. reprocessed): nothing new to say
    later = make_report(run_id="scheduled__2026-02-16T00:00:00+00:00")
    result = notify_run(later, wh, cfg, today=TODAY, now=day(16))
    assert smtp.take() == []
    assert {s["reason"] for s in result["skipped"] if s["what"] == "digest"} == {
        "nothing to report",
        "channel disabled",
    }

    # a later run with one new rejection: only that one is mailed and listed
    new = submission(
        "9999aaaa8888bbbb",
        "32.02",
        "Kabupaten Sukabumi",
        "rejected",
        REJECTED_FINDINGS[:1],
        email_kontak="kominfo@sukabumikab.example",
    )
    third = make_report(
        run_id="scheduled__2026-02-17T00:00:00+00:00", submissions=[*later["submissions"], new]
    )
    notify_run(third, wh, cfg, today=TODAY, now=day(17))
    messages = smtp.take()
    assert len(messages) == 2
    assert len(by_to(messages, "kominfo@sukabumikab.example")) == 1
    [dg] = by_to(messages, DIGEST_TO[0])
    text = parts(dg["msg"])["text"]
    assert "Kabupaten Sukabumi (32.02)" in text and "Kabupaten Bandung (32.04)" not in text

    rows = wh.fetchall(
        "SELECT message_key, channel, sent_at IS NOT NULL, attempts FROM audit.outbox ORDER BY message_key"
    )
    keys = [r[0] for r in rows]
    assert all(sent and attempts == 1 for _, _, sent, attempts in rows)  # each sent once, first try
    assert "digest:email:32:2026-02-17" in keys
    items = {r[0] for r in wh.fetchall("SELECT item_key FROM audit.outbox_items")}
    assert "feedback:email:diskominfo@bandungkab.example:aaaa1111bbbb2222" in items


def test_nothing_to_report_unless_always(smtp, wh):
    clean = make_report(
        submissions=[submission("eeee5555ffff6666", "32.01", "Kabupaten Bogor", "accepted", [])]
    )
    result = notify_run(clean, wh, make_config(), today=TODAY)
    assert smtp.take() == [] and result["sent"] == []
    assert {"what": "digest", "channel": "email", "reason": "nothing to report"} in result["skipped"]

    result = notify_run(clean, wh, make_config(digest_always=True), today=TODAY)
    [dg] = smtp.take()
    assert "tidak ada yang perlu ditindaklanjuti" in dg["msg"]["Subject"]
    assert "nothing needs attention" in dg["msg"]["Subject"]
    text = parts(dg["msg"])["text"]
    assert "Kabupaten Bogor (32.01)" in text and text.index("Tidak ada") < text.index("Nothing needs")


def test_missing_or_invalid_contact_is_reported_not_sent(smtp, wh):
    subs = [
        submission(
            "1111000011110000", "32.04", "Kabupaten Bandung", "rejected", REJECTED_FINDINGS, email_kontak=None
        ),
        submission(
            "2222000022220000",
            "32.73",
            "Kota Bandung",
            "rejected",
            REJECTED_FINDINGS,
            email_kontak="bad@example.com\r\nBcc: victim@example.com",
        ),
    ]
    result = notify_run(make_report(submissions=subs), wh, make_config(), today=TODAY)
    messages = smtp.take()
    assert len(messages) == 1 and messages[0]["rcpt_tos"] == DIGEST_TO
    assert {s["reason"] for s in result["skipped"] if s["what"].startswith("feedback")} == {
        "no email_kontak",
        "invalid email_kontak",
    }
    text = parts(messages[0]["msg"])["text"]
    assert "email_kontak kosong" in text and "email_kontak empty" in text
    assert "email_kontak tidak valid" in text


def test_feedback_only_to_allowed_domains_others_named_in_digest(smtp, wh):
    """Default allow-list go.id (and its subdomains); other addresses are named, not mailed."""
    from smartprov.alerts.config import domain_allowed

    cfg = make_config(feedback_allowed_domains=AlertConfig.from_dict({}).feedback_allowed_domains)
    assert cfg.feedback_allowed_domains == ["go.id"]
    subs = [
        submission(
            "3333000033330000",
            "32.04",
            "Kabupaten Bandung",
            "rejected",
            REJECTED_FINDINGS,
            email_kontak="diskominfo@bandungkab.go.id",
        ),
        submission(
            "4444000044440000",
            "32.73",
            "Kota Bandung",
            "rejected",
            REJECTED_FINDINGS,
            email_kontak="someone@gmail.com",
        ),
        submission(
            "5555000055550000",
            "32.01",
            "Kabupaten Bogor",
            "rejected",
            REJECTED_FINDINGS,
            email_kontak="x@evilgo.id",
        ),
    ]
    result = notify_run(make_report(submissions=subs), wh, cfg, today=TODAY)
    messages = smtp.take()
    rcpts = sorted(r for m in messages for r in m["rcpt_tos"])
    assert "diskominfo@bandungkab.go.id" in rcpts
    assert "someone@gmail.com" not in rcpts and "x@evilgo.id" not in rcpts
    skipped = {s["what"]: s["reason"] for s in result["skipped"] if s["what"].startswith("feedback")}
    assert skipped == {
        "feedback:4444000044440000": "email_kontak outside feedback.allowed_domains",
        "feedback:5555000055550000": "email_kontak outside feedback.allowed_domains",
    }
    [digest] = [m for m in messages if m["rcpt_tos"] == DIGEST_TO]
    body = parts(digest["msg"])
    for part in ("text", "html"):
        assert "someone@gmail.com" in body[part] and "x@evilgo.id" in body[part]
    assert "di luar domain yang diizinkan (go.id)" in body["text"]
    assert "outside the allowed domains (go.id)" in body["text"]

    assert domain_allowed("a@BandungKab.Go.Id", ["go.id"]) and domain_allowed("a@go.id", ["go.id"])
    assert not domain_allowed("a@go.id.evil.com", ["go.id"]) and domain_allowed("a@b.com", ["*"])
    env_cfg = AlertConfig.load(
        path=None, env={"SMARTPROV_ALERTS_FEEDBACK_ALLOWED_DOMAINS": "go.id, @jabarprov.go.id"}
    )
    assert env_cfg.feedback_allowed_domains == ["go.id", "jabarprov.go.id"]
    with pytest.raises(ValueError, match="allowed_domains"):
        AlertConfig.from_dict({"feedback": {"allowed_domains": ["not a domain"]}})


def test_deadlines_from_warehouse(tmp_path):
    """The alerts take deadlines from the warehouse (the status mart, built from the one table
    config/deadlines.yml: test_overdue_regencies_are_read_from_the_status_mart), never from
    their own configuration: a configuration that still sets some is refused, naming the table."""
    with pytest.raises(ValueError, match=r"deadlines: they moved to config/deadlines\.yml"):
        AlertConfig.from_dict({"from_email": SENDER, "deadlines": {"EVALUASI": {"month": 3, "day": 31}}})
    old_style = tmp_path / "alerts.yml"
    old_style.write_text("deadlines:\n  MASTERPLAN: {date: 2030-01-01}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"config/deadlines\.yml"):
        AlertConfig.load(path=old_style, env={})


def test_overdue_regencies_are_read_from_the_status_mart(wh, monkeypatch, tmp_path):
    """The marts apply the one deadline table at the package's clock; the alerts list what they mark."""
    # Evaluations are chased only from regencies with an accepted masterplan (the others are
    # `not_applicable`: they cannot send one); these four have one, the other 23 have none.
    with_masterplan = ["32.01", "32.02", "32.04", "32.73"]
    masterplans_in = accepted_masterplans(with_masterplan)
    insert_submissions(
        wh,
        [
            *masterplans_in,
            {"region_code": "32.04", "kind": "EVALUASI", "period": "2025", "evaluation_year": 2025},
            {
                "region_code": "32.73",
                "kind": "EVALUASI",
                "period": "2024",
                "evaluation_year": 2024,
                "status": "accepted",
            },  # an older year
            {
                "region_code": "32.01",
                "kind": "EVALUASI",
                "period": "2025",
                "evaluation_year": 2025,
                "status": "rejected",
            },
            {
                "region_code": "32.02",
                "kind": "EVALUASI",
                "period": "2025",
                "evaluation_year": 2025,
                "status": "rejected",
                "received_at": dt.datetime(2026, 1, 5),
            },
            {
                "region_code": "32.02",
                "kind": "EVALUASI",
                "period": "2025",
                "evaluation_year": 2025,
                "status": "accepted",
                "received_at": dt.datetime(2026, 2, 10),
            },  # late, but submitted
            {
                "region_code": "33.01",
                "kind": "EVALUASI",
                "period": "2025",
                "evaluation_year": 2025,
                "status": "accepted",
            },  # another province
        ],
    )
    assert overdue_regencies(wh, ["32"], TODAY) == []  # no mart yet: nobody is listed
    wh = build_status_mart(wh, TODAY, monkeypatch, tmp_path)
    try:
        jabar = sum(1 for r in contract.regions().values() if r.province_code == "32")
        late = overdue_regencies(wh, ["32"], TODAY)
        ev2025 = [o for o in late if o.kind == "EVALUASI" and o.period == "2025"]
        codes = {o.region_code for o in ev2025}
        assert codes == {"32.01", "32.73"}  # 32.04 and 32.02 have an accepted EVALUASI 2025
        assert not [o for o in late if o.kind == "EVALUASI" and o.region_code not in with_masterplan]
        assert not any(o.region_code.startswith("33.") for o in late)
        by_code = {o.region_code: o for o in ev2025}
        assert by_code["32.01"].last_status == "rejected" and by_code["32.73"].last_status is None
        assert by_code["32.01"].due_date == dt.date(2026, 1, 31) and by_code["32.01"].days_overdue == 15
        # 32.73's EVALUASI 2024 is in; every other earlier year from first_year is chased as well
        assert "32.73" not in {o.region_code for o in late if o.kind == "EVALUASI" and o.period == "2024"}
        # the masterplan deadline is the one of config/deadlines.yml, as in the seed
        masterplans = [o for o in late if o.kind == "MASTERPLAN"]
        assert len(masterplans) == jabar - len(with_masterplan) and {o.period for o in masterplans} == {None}
        assert not {o.region_code for o in masterplans} & set(with_masterplan)
        assert {o.due_date for o in masterplans} == {load_deadlines()["MASTERPLAN"].date}

        # the current run's accepted file counts even before the marts are rebuilt
        report = make_report(
            submissions=[
                submission("7777", "32.73", "Kota Bandung", "accepted", [], kind="EVALUASI", period="2025")
            ]
        )
        again = overdue_regencies(wh, ["32"], TODAY, report)
        assert "32.73" not in {o.region_code for o in again if o.kind == "EVALUASI" and o.period == "2025"}
    finally:
        wh.close()


def test_digest_lists_overdue_every_run_until_submitted(smtp, wh, monkeypatch, tmp_path):
    cfg = make_config()
    jabar = sorted(r.code for r in contract.regions().values() if r.province_code == "32")
    # everything expected is in, except Kota Bekasi's EVALUASI 2025
    rows = [{"region_code": code, "kind": "MASTERPLAN", "period": "2022-2031"} for code in jabar]
    rows += [
        {"region_code": code, "kind": "EVALUASI", "period": str(year), "evaluation_year": year}
        for code in jabar
        for year in (2023, 2024, 2025)
        if (code, year) != ("32.75", 2025)
    ]
    insert_submissions(wh, rows)
    wh = build_status_mart(wh, TODAY, monkeypatch, tmp_path)
    for n in (11, 12):
        report = make_report(run_id=f"scheduled__2026-02-{n}", submissions=[])
        result = notify_run(report, wh, cfg, today=TODAY, now=day(n))
        [dg] = smtp.take()
        assert [o["region_code"] for o in result["overdue"]] == ["32.75"]
        text = parts(dg["msg"])["text"]
        assert "Kota Bekasi (32.75)" in text and "Evaluasi 2025" in text and "2026-01-31" in text
        # the overdue list alone never makes a second digest the same day
        notify_run(
            make_report(run_id=f"manual__2026-02-{n}", submissions=[]), wh, cfg, today=TODAY, now=day(n)
        )
        assert smtp.take() == []
    insert_submissions(
        wh,
        [
            {
                "submission_id": "bekasi",
                "region_code": "32.75",
                "kind": "EVALUASI",
                "period": "2025",
                "evaluation_year": 2025,
            }
        ],
    )
    wh = build_status_mart(wh, TODAY, monkeypatch, tmp_path)  # the next run rebuilds the marts
    try:
        notify_run(
            make_report(run_id="scheduled__2026-02-13", submissions=[]), wh, cfg, today=TODAY, now=day(13)
        )
        assert smtp.take() == []
    finally:
        wh.close()


def test_links_when_the_data_docs_were_written_on_another_worker():
    """validate_and_load (Data Docs) and report (report.json) ran on two workers, each under its
    own var/ folder: the link still names the Data Docs inside the run's folder."""
    from smartprov.alerts.digest import links

    folder = "manual__2026-02-15T01_00_00+00_00"
    report = {
        "run_id": "manual__2026-02-15T01:00:00+00:00",
        "report_path": f"/srv/worker-b/var/reports/{folder}/report.json",
        "data_docs": f"/srv/worker-a/var/reports/{folder}/data_docs/{folder}/index.html",
    }
    assert links(report, make_config()) == (
        f"{PUBLIC}/reports/{folder}/report.json",
        f"{PUBLIC}/reports/{folder}/data_docs/{folder}/index.html",
    )


def test_webhook_generic_and_slack(smtp, webhook, wh):
    hooks = webhook("generic")
    cfg = make_config(webhook_enabled=None)  # "auto": used because the Connection exists
    report = make_report()
    notify_run(report, wh, cfg, today=TODAY)
    [req] = hooks.take()
    assert req["path"] == "/hooks/smartprov"
    assert req["headers"]["Authorization"] == "Bearer s3cret-token"
    body = req["json"]
    assert body["source"] == "smartprov" and body["event"] == "digest" and body["run_id"] == report["run_id"]
    assert body["counts"]["rejected"] == 1 and body["rejected"][0]["region_code"] == "32.04"
    folder = Path(report["report_path"]).parent.name
    assert body["report"] == f"{PUBLIC}/reports/{folder}/report.json"
    assert body["data_docs"] == f"{PUBLIC}/reports/{folder}/data_docs/index.html"
    assert "DITOLAK/REJECTED Kabupaten Bandung" in body["text"]
    smtp.take()

    notify_run(report, wh, cfg, today=TODAY)  # rerun: nothing on either channel
    assert hooks.take() == [] and smtp.take() == []

    hooks = webhook("slack", uri=True)
    report2 = make_report(run_id="manual__slack", errors=["landing zone unreachable: <!channel> timeout"])
    notify_run(report2, wh, cfg, today=TODAY, now=day(16))  # the next day's digest
    [req] = hooks.take()
    body = req["json"]
    assert req["path"] == "/services/T000/B000/XXXX"
    assert "Authorization" not in req["headers"]
    assert set(body) == {"text", "blocks"}
    assert body["blocks"][0]["type"] == "header" and body["blocks"][1]["text"]["type"] == "mrkdwn"
    assert "landing zone unreachable" in body["text"]
    assert "<!channel>" not in json.dumps(body)  # workbook or error text cannot ping a channel


def test_failed_delivery_is_not_recorded_and_is_retried(smtp, webhook, wh, monkeypatch, smtp_server):
    hooks = webhook("generic")
    hooks.status = 500
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(free_port()))  # nobody listens there
    cfg = make_config(webhook_enabled=True)
    report = make_report()
    result = notify_run(report, wh, cfg, today=TODAY)
    assert result["sent"] == []
    assert {(e["what"].split(":")[0], e["channel"]) for e in result["errors"]} == {
        ("feedback", "email"),
        ("digest", "email"),
        ("digest", "webhook"),
    }
    # all three wait in the outbox, none marked sent, each with its error and next attempt
    rows = wh.fetchall("SELECT kind, sent_at, attempts, last_error, next_attempt_at FROM audit.outbox")
    assert sorted(r[0] for r in rows) == ["digest", "digest", "feedback", "feedback"]
    assert all(r[1] is None and r[2] == 1 and r[3] and r[4] is not None for r in rows)
    assert result["outbox"]["waiting"] == 4
    hooks.take()
    with pytest.raises(AlertDeliveryError, match="not delivered"):
        notify_run(report, wh, cfg, today=TODAY, raise_on_error=True)
    hooks.take()

    hooks.status = 200
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp_server.port))
    result = notify_run(report, wh, cfg, today=TODAY)
    assert not result["errors"]
    assert len(smtp.take()) == 3 and len(hooks.take()) == 1


def test_failure_notifiers_mail_once_per_incident_and_once_on_recovery(smtp, webhook, monkeypatch, tmp_path):
    from types import SimpleNamespace

    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from smartprov.alerts import recovery_notifiers

    monkeypatch.setenv("SMARTPROV_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")  # the incident store
    hooks = webhook("generic")
    notifiers = failure_notifiers(make_config(webhook_enabled=None))
    assert [type(n).__name__ for n in notifiers] == ["SmartprovSmtpNotifier"]  # it posts to the webhook too
    (mail,) = notifiers
    assert isinstance(mail, SmtpNotifier)
    assert mail.smtp_conn_id == "smtp_default" and mail.from_email == SENDER and mail.to == FAILURE_TO

    ti = SimpleNamespace(
        dag_id="smartprov_nightly", task_id="load", run_id="scheduled__2026-02-15", try_number=3
    )
    context = {"ti": ti, "run_id": ti.run_id, "exception": RuntimeError("warehouse unreachable at port 5432")}
    mail.notify(context)
    [m] = smtp.take()
    assert m["rcpt_tos"] == FAILURE_TO and m["msg"]["From"] == SENDER
    assert "GAGAL" in m["msg"]["Subject"] and "smartprov_nightly.load" in m["msg"]["Subject"]
    text = parts(m["msg"])["text"]
    assert "RuntimeError: warehouse unreachable" in text and text.index("gagal") < text.index("failed")
    [req] = hooks.take()
    assert req["json"]["event"] == "pipeline_failure" and req["json"]["task_id"] == "load"
    assert "warehouse unreachable" in req["json"]["error"]

    # The same cause again (another run, another port number): one incident, no mail.
    again = SimpleNamespace(
        dag_id="smartprov_nightly", task_id="load", run_id="scheduled__2026-02-16", try_number=1
    )
    mail.notify(
        {"ti": again, "run_id": again.run_id, "exception": RuntimeError("warehouse unreachable at port 6543")}
    )
    # The DAG run's own failure callback, called twice on one object: its task's incident said it all.
    mail(
        {"dag_run": SimpleNamespace(dag_id="smartprov_nightly", run_id="manual__1"), "reason": "task_failure"}
    )
    assert smtp.take() == [] and hooks.take() == []
    # Another DAG's run: its own incident, its own mail.
    mail({"dag_run": SimpleNamespace(dag_id="smartprov_marts", run_id="manual__2"), "reason": "task_failure"})
    subjects = [x["msg"]["Subject"] for x in smtp.take()]
    assert len(subjects) == 1 and "smartprov_marts" in subjects[0]
    hooks.take()

    # The task succeeds: one "pulih / recovered" mail; the next success sends nothing.
    (recovered,) = recovery_notifiers(make_config())
    done = SimpleNamespace(
        dag_id="smartprov_nightly", task_id="load", run_id="scheduled__2026-02-17", try_number=1
    )
    recovered.notify({"ti": done, "run_id": done.run_id})
    [r] = smtp.take()
    assert (
        "PULIH" in r["msg"]["Subject"] and "RECOVERED" in r["msg"]["Subject"] and r["rcpt_tos"] == FAILURE_TO
    )
    assert "2 kali" in parts(r["msg"])["text"]  # failing twice before it recovered
    [req] = hooks.take()
    assert req["json"]["event"] == "pipeline_recovered"
    recovered.notify({"ti": done, "run_id": done.run_id})
    assert smtp.take() == [] and hooks.take() == []


def test_an_open_incident_is_reminded_at_most_every_reminder_hours(tmp_path):
    import datetime as dt

    from smartprov.alerts import incidents

    cfg = make_config(reminder_hours=6)
    t0 = dt.datetime(2026, 2, 15, 1, 0)
    facts = {
        "dag_id": "smartprov_intake",
        "task_id": "intake",
        "error": "FileNotFoundError: Landing zone not found",
    }
    with Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}") as wh:
        wh.ensure_schema()
        decisions = [
            incidents.record_failure(wh, facts, cfg, now=t0 + dt.timedelta(minutes=5 * n))[0]
            for n in range(80)
        ]
        # 80 failures over 6 h 35 min: opened once, reminded once (after 6 h), quiet otherwise
        assert decisions.count("open") == 1 and decisions.count("reminder") == 1
        assert decisions.index("reminder") == 72
        other = dict(facts, error="PermissionError: Landing zone not readable")
        assert (
            incidents.record_failure(wh, other, cfg, now=t0)[0] == "open"
        )  # another cause: another incident
        assert len(incidents.open_incidents(wh)) == 2
        closed = incidents.record_success(wh, "smartprov_intake", "intake", now=t0 + dt.timedelta(hours=7))
        assert len(closed) == 2 and incidents.open_incidents(wh) == []
        assert (
            incidents.record_failure(wh, facts, cfg, now=t0 + dt.timedelta(hours=8))[0] == "open"
        )  # a new one


def test_failure_notifiers_without_webhook_connection(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMARTPROV_WEBHOOK", raising=False)
    [chat] = failure_notifiers(make_config(webhook_enabled=None, email_enabled=False))
    chat.notify({"dag_id": "d", "run_id": "r"})  # auto: a missing Connection is skipped quietly
    required = failure_notifiers(make_config(webhook_enabled=True, email_enabled=False))[-1]
    from smartprov.alerts.channels import ConnectionMissing

    with pytest.raises(ConnectionMissing):
        required.notify({"dag_id": "d", "run_id": "r"})
    assert [type(n).__name__ for n in failure_notifiers(make_config(webhook_enabled=False))] == [
        "SmartprovSmtpNotifier"
    ]
    # E-mail on without any recipient: an error (a DAG file shows it as its import error).
    from smartprov.alerts import AlertConfigError

    with pytest.raises(AlertConfigError, match="no recipient"):
        failure_notifiers(make_config(failure_to=[], digest_to=[], webhook_enabled=None))
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    with pytest.raises(AlertConfigError, match="no sender"):
        failure_notifiers(make_config(from_email=None))
    assert [
        type(n).__name__
        for n in failure_notifiers(
            make_config(failure_to=[], digest_to=[], email_enabled=False, webhook_enabled=None)
        )
    ] == ["WebhookNotifier"]
    assert failure_notifiers(make_config(enabled=False)) == []


def test_cli_process_resolves_connection_from_env(smtp_server, tmp_path):
    """Outside a task, a fresh process reads AIRFLOW_CONN_SMTP_DEFAULT (no metadata database)."""
    smtp_server.take()
    report = make_report(
        submissions=[
            submission("cli0cli0cli0cli0", "32.04", "Kabupaten Bandung", "rejected", REJECTED_FINDINGS[:2])
        ]
    )
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    script = f"""
import json, datetime as dt
from smartprov.alerts import AlertConfig, notify_run
from smartprov.warehouse.connection import Warehouse
cfg = AlertConfig.from_dict({{"provinces": {{"32": {{"feedback_cc": ["{PROVINCE_CC[0]}"]}}}}}})
cfg.apply_env({{"SMARTPROV_ALERTS_FROM": "{SENDER}", "SMARTPROV_ALERTS_DIGEST_TO": "{DIGEST_TO[0]}",
               "SMARTPROV_ALERTS_WEBHOOK_ENABLED": "false", "SMARTPROV_ALERTS_FEEDBACK_ALLOWED_DOMAINS": "example"}})
report = json.load(open({str(tmp_path / "report.json")!r}))
with Warehouse("duckdb:///{tmp_path}/cli.duckdb") as wh:
    wh.ensure_schema()
    print(json.dumps(notify_run(report, wh, cfg, today=dt.date(2026, 2, 15))))
"""
    env = {
        **os.environ,
        "AIRFLOW_CONN_SMTP_DEFAULT": smtp_conn_json(smtp_server.port),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(result["sent"]) == 2 and not result["errors"]
    rcpts = sorted(tuple(m["rcpt_tos"]) for m in smtp_server.take())
    assert rcpts == [(DIGEST_TO[0],), ("diskominfo@bandungkab.example", PROVINCE_CC[0])]


def test_webhook_connection_forms(monkeypatch):
    from smartprov.alerts.channels import webhook_target

    cases = {
        "https://hooks.slack.com/services/T0/B0/XyZ?format=slack": (
            "https://hooks.slack.com/services/T0/B0/XyZ",
            "slack",
        ),
        json.dumps({"conn_type": "http", "host": "https://chat.example/api/hook", "extra": {}}): (
            "https://chat.example/api/hook",
            "generic",
        ),
        json.dumps(
            {"conn_type": "http", "host": "chat.example", "port": 8443, "extra": {"endpoint": "x/y"}}
        ): ("http://chat.example:8443/x/y", "generic"),
    }
    for value, (url, fmt) in cases.items():
        monkeypatch.setenv("AIRFLOW_CONN_CHAT", value)
        target = webhook_target("chat")
        assert (target.url, target.format) == (url, fmt)
        assert "XyZ" not in repr(target)  # the secret path never shows in logs


@pytest.mark.postgres
def test_ledger_and_deadlines_on_postgres(smtp, monkeypatch, tmp_path):
    """The same DDL and queries on PostgreSQL: dedup keys, deadlines, a rerun sending nothing."""
    try:
        from pg import fresh_database
    except ImportError:  # tests/ imported as a package
        from .pg import fresh_database
    from psycopg.conninfo import conninfo_to_dict

    with fresh_database("smartprov_alerts_") as db:
        info = conninfo_to_dict(db.admin_dsn)
        wh = Warehouse(db.url_as(info.get("user") or "postgres", info.get("password")))
        try:
            wh.ensure_schema()
            insert_submissions(
                wh,
                [
                    *accepted_masterplans(["32.01", "32.04", "32.73"]),
                    {"region_code": "32.04", "kind": "EVALUASI", "period": "2025", "evaluation_year": 2025},
                ],
            )
            cfg = make_config()
            wh = build_status_mart(wh, TODAY, monkeypatch, tmp_path)  # the same marts on PostgreSQL
            report = make_report()
            first = notify_run(report, wh, cfg, today=TODAY)
            assert not first["errors"] and len(first["sent"]) == 3 and len(smtp.take()) == 3
            overdue = {o["region_code"] for o in first["overdue"] if o["period"] == "2025"}
            assert "32.04" not in overdue and "32.73" not in overdue and "32.01" in overdue
            again = notify_run(report, wh, cfg, today=TODAY)
            assert again["sent"] == [] and smtp.take() == []
            # two feedback mails and the digest, each sent once; the digest's three items
            assert wh.fetchall("SELECT count(*) FROM audit.outbox WHERE sent_at IS NOT NULL")[0][0] == 2 + 1
            items = "SELECT count(*) FROM audit.outbox_items WHERE message_key <> 'marker'"
            assert wh.fetchall(items)[0][0] == 2 + 3
            marker = "SELECT item_key FROM audit.outbox_items WHERE message_key = 'marker'"
            assert wh.fetchall(marker) == [(f"run-composed:{report['run_id']}",)]
        finally:
            wh.close()


FAILING_DAG = """
import pendulum
from airflow.sdk import DAG, task
from smartprov.alerts import AlertConfig, failure_notifiers

cfg = AlertConfig.from_dict({"from_email": "smartprov@prov.example", "failures": {"to": ["oncall@prov.example"]}})
with DAG("smartprov_alerts_failing", start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"), schedule=None,
         on_failure_callback=failure_notifiers(cfg)):
    @task(on_failure_callback=failure_notifiers(cfg), retries=0)
    def load():
        raise RuntimeError("warehouse unreachable (test)")
    load()
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_airflow_calls_failure_notifiers(smtp_server, webhook_server, tmp_path):
    """`airflow dags test` on a failing DAG: the task and the DAG-run callbacks both alert, on both channels."""
    smtp_server.take()
    webhook_server.take()
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "failing.py").write_text(FAILING_DAG, encoding="utf-8")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_CONN_SMTP_DEFAULT": smtp_conn_json(smtp_server.port),
        "AIRFLOW_CONN_SMARTPROV_WEBHOOK": f"http://127.0.0.1:{webhook_server.port}/hooks/failures?format=generic",
    }
    airflow = [sys.executable, "-m", "airflow"]
    migrate = subprocess.run(
        [*airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    run = subprocess.run(
        [*airflow, "dags", "test", "smartprov_alerts_failing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0  # the DAG run failed, as designed
    assert "Callback failed" not in run.stdout + run.stderr
    mails = smtp_server.take()
    subjects = sorted(m["msg"]["Subject"] for m in mails)
    assert len(mails) == 2 and all(m["rcpt_tos"] == ["oncall@prov.example"] for m in mails), subjects
    assert any("smartprov_alerts_failing.load" in s for s in subjects)  # the task's callback
    task_mail = next(m for m in mails if "smartprov_alerts_failing.load" in m["msg"]["Subject"])
    assert "RuntimeError: warehouse unreachable (test)" in parts(task_mail["msg"])["text"]
    posts = webhook_server.take()
    assert len(posts) == 2 and {p["path"] for p in posts} == {"/hooks/failures"}
    assert {p["json"]["event"] for p in posts} == {"pipeline_failure"}
    assert {p["json"]["dag_id"] for p in posts} == {"smartprov_alerts_failing"}


def test_one_clock_for_validation_alerts_and_dbt(monkeypatch):
    """settings.today() (Asia/Jakarta) is what validation, the alerts and dbt use; SMARTPROV_TODAY pins it."""
    import os
    import re
    from zoneinfo import ZoneInfo

    from smartprov import settings
    from smartprov.validation.batch import BatchValidator
    from smartprov.warehouse.dbt_runner import AS_OF_DATE_ENV, reporting_date

    monkeypatch.delenv("SMARTPROV_TODAY", raising=False)
    before = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    today = settings.today()
    assert today in (before, dt.datetime.now(ZoneInfo("Asia/Jakarta")).date())

    monkeypatch.setenv("SMARTPROV_TODAY", "2026-02-15")
    pinned = dt.date(2026, 2, 15)
    assert settings.today() == pinned
    assert make_config().today() == pinned
    assert BatchValidator().today == pinned
    import pandas as pd

    # the latest allowed document date is 31 days after the run's day (contract section 6)
    assert BatchValidator().suite_parameters() == {
        "current_year": 2026,
        "latest_date": pd.Timestamp(pinned + dt.timedelta(days=31)),
    }
    monkeypatch.delenv(AS_OF_DATE_ENV, raising=False)
    with reporting_date() as value:  # what dbt reads while it runs
        assert value == os.environ[AS_OF_DATE_ENV] == "2026-02-15"
    assert AS_OF_DATE_ENV not in os.environ
    monkeypatch.setenv("SMARTPROV_TODAY", "15/02/2026")
    with pytest.raises(ValueError, match="SMARTPROV_TODAY must be a date YYYY-MM-DD"):
        settings.today()

    # the marts never ask the database for its date: the reporting date is the one above
    for path in (PROJECT_ROOT / "dbt").rglob("*.sql"):
        if "target" in path.relative_to(PROJECT_ROOT / "dbt").parts:
            continue
        code = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        code = re.sub(r"--[^\n]*", "", code)
        assert not re.search(r"\b(current_date|now\(\)|current_timestamp)\b", code, re.I), path
