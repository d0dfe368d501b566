"""Issue 23: a file's findings are capped per rule and sheet before they are built, the rest
summarised in one finding per rule and sheet; names are escaped wherever they are shown; the
OS error of an unreadable file is named in words; dbt's command line carries no password."""

from __future__ import annotations

import errno
import hashlib

import pytest

import hostile
from smartprov.contract.findings import FindingCap, finding, is_summary, settle
from smartprov.contract.names import printable_name
from smartprov.ingest.landing import unreadable_reason
from smartprov.ingest.parse import parse_submission
from smartprov.warehouse.dbt_runner import redacted_argv
from workbooks import masterplan


def test_the_cap_keeps_the_first_of_each_rule_and_sheet_and_counts_the_rest():
    cap = FindingCap()
    kept = [row for row in range(10, 210) if cap.admits("TYPE", "Program", row)]
    assert kept == list(range(10, 10 + cap.per_group))
    assert all(cap.admits("REQUIRED", "Program", row) for row in range(3))  # another rule: its own budget
    assert cap.admits("TYPE", "Realisasi", 5)  # another sheet too
    (summary,) = [s for s in cap.summaries() if s.rule == "TYPE"]
    assert summary.severity == "ERROR" and summary.sheet == "Program" and summary.row is None
    assert "… and 150 more TYPE findings like this on sheet Program, rows 60–209" in summary.message_en
    assert "… dan 150 temuan TYPE lainnya seperti ini di lembar Program, baris 60–209" in summary.message
    assert is_summary(summary)


def test_the_file_budget_bounds_many_sheets_and_many_rules(monkeypatch):
    monkeypatch.setenv("SMARTPROV_FINDINGS_PER_FILE", "100")
    cap = FindingCap()
    admitted = sum(cap.admits("EXTRA", f"Lembar{i}") for i in range(10_000))
    assert admitted == 100
    summaries = cap.summaries()
    assert len(summaries) <= 101 and cap.turned_away == 9_900
    assert sum(1 for s in summaries if s.sheet is None) == 1  # the groups beyond the limit: one per rule


def test_settle_replaces_earlier_summaries():
    cap = FindingCap()
    findings = [finding("TYPE", sheet="Program", row=r, column="tahun_mulai", value="x", expected_id="a", expected_en="b")
                for r in range(60) if cap.admits("TYPE", "Program", r)]  # fmt: skip
    once = settle(findings, cap)
    cap.admits("TYPE", "Program", 99)
    twice = settle(once, cap)
    assert len(once) == len(twice) == 51
    assert "11 more" in twice[-1].message_en and "rows 50–99" in twice[-1].message_en


def test_the_reader_builds_at_most_the_cap_for_a_finding_on_every_row():
    data = hostile.with_program_rows(masterplan().to_bytes(), 20_000, {"tahun_mulai": 12345})
    sub = parse_submission("32.73/jarang.xlsx", data, hashlib.sha256(data).hexdigest(), "32.73")
    types = [f for f in sub.findings if f.rule == "TYPE"]
    assert len(types) == 51 and is_summary(types[-1])
    assert "19,950 more" in types[-1].message_en
    assert sub.has_errors


@pytest.mark.parametrize(
    "name, shown",
    [
        ("laporan\r\nBcc: x@y.id.xlsx", "laporan\\x0d\\x0aBcc: x@y.id.xlsx"),
        ("rapor\u202egpj.xlsx", "rapor\\u202egpj.xlsx"),
        ("tab\tdel\x7f", "tab\\x09del\\x7f"),
        ("Laporan Kota Bandung (final) – 2024.xlsx", "Laporan Kota Bandung (final) – 2024.xlsx"),
        ("laporan-\udcff.xlsx", "laporan-\\xff.xlsx"),
    ],
)
def test_names_are_shown_without_control_characters(name, shown):
    assert printable_name(name) == shown


def test_a_sheet_name_with_a_line_break_is_escaped_in_the_finding():
    f = finding("EXTRA", "EXTRA_SHEET", sheet="Data\r\nSubject: palsu")
    assert "\r" not in f.message and "\n" not in f.message_en and "\\x0d\\x0a" in f.message_en


def test_an_unreadable_file_is_named_with_its_os_error():
    why = unreadable_reason(PermissionError(errno.EACCES, "Permission denied"))
    assert "akses ditolak, EACCES" in why and "Permission denied, EACCES" in why and " / " in why
    assert "Input/output error, EIO" in unreadable_reason(OSError(errno.EIO, "Input/output error"))


def test_dbt_sees_no_password_on_the_command_line():
    argv = ["smartprov", "run", "--warehouse", "postgresql+psycopg://loader:S3cr%40t@db:5432/wh", "--wait=5"]
    out = redacted_argv(argv, ("S3cr@t",))
    assert out[3] == "postgresql+psycopg://loader:***@db:5432/wh" and out[4] == "--wait=5"
    assert redacted_argv(["x", "--note=S3cr@t"], ("S3cr@t",)) == ["x", "--note=***"]


def test_cross_rules_ask_the_cap_before_building():
    import pandas as pd

    from smartprov.validation import cross_rules

    n = 5_000
    programs = pd.DataFrame(
        {"source_row": range(2, n + 2), "kode_program": [f"P{i}" for i in range(n)],
         "tahun_mulai": [2030] * n, "tahun_selesai": [2025] * n}
    )  # fmt: skip
    identity = {"periode_mulai": 2024, "periode_selesai": 2033, "_rows": {}}
    unbounded = [
        f for f in cross_rules.check_masterplan(identity, programs) if f.message_id == "PERIOD_PROGRAM_ORDER"
    ]
    assert len(unbounded) == n

    cap, asked = FindingCap(), []

    def admits(rule, sheet, row, message_id):
        asked.append(message_id)
        return cap.admits(rule, sheet, row, message_id)

    with cross_rules.capped(admits):
        found = cross_rules.check_masterplan(identity, programs)
    order = [f for f in found if f.message_id == "PERIOD_PROGRAM_ORDER"]
    assert len(order) == cap.per_group and asked.count("PERIOD_PROGRAM_ORDER") == n
    (summary,) = cap.summaries()
    assert summary.rule == "PERIOD" and f"{n - cap.per_group:,} more" in summary.message_en


def test_a_file_name_with_a_line_break_is_one_line_in_the_feedback_mail():
    from smartprov.alerts.feedback import build_feedback

    sub = {
        "path": "32.73/laporan\r\nBcc: mata-mata@contoh.id.xlsx", "status": "rejected", "region_code": "32.73",
        "region_name": "Kota Bandung", "kind": "MASTERPLAN", "period": "2022-2031", "sha256": "ab",
        "submission_id": "s1", "findings": [finding("TYPE", sheet="Program", row=3, column="tahun_mulai", value="x",
                                                    expected_id="tahun", expected_en="a year").as_dict()],
    }  # fmt: skip
    mail = build_feedback(sub, {"run_id": "r1", "finished_at": "2026-12-06T00:00:00"}, to=["a@b.id"], cc=[])
    for text in (mail.text, mail.html, mail.subject):
        assert "\nBcc:" not in text and "\rBcc:" not in text
    assert "laporan\\x0d\\x0aBcc: mata-mata@contoh.id.xlsx" in mail.text
