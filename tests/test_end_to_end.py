"""The nightly run end to end through the CLI's functions, on real DuckDB and PostgreSQL.

One West Java sample landing zone (27 regencies, typical mistakes included) goes through
discover -> validate -> load -> dbt -> report; the marts, the ledger, provenance,
quarantine and reruns are checked against what the sample generator planned.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from pg import fresh_database
from smartprov.authoring.sample import sample_expectations, sample_summary, write_sample_landing
from smartprov.run import steps
from smartprov.warehouse.connection import Warehouse

PROVINCE = "32"
TABLES = [
    "audit.submissions",
    "audit.findings",
    "audit.file_arrivals",
    "raw.masterplan_programs",
    "raw.masterplan_program_agencies",
    "raw.evaluation_realisations",
    "raw.evaluation_readiness",
    "raw.evaluation_index",
]
MARTS = [
    "province_masterplan_coverage",
    "province_dimension_portfolio",
    "province_implementation_progress",
    "province_readiness",
    "province_evaluation_index",
    "province_scorecard",
    "province_submission_status",
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    write_sample_landing(out, province=PROVINCE, seed=0)
    return out


@pytest.fixture(scope="module")
def duck_run(tmp_path_factory, landing):
    """Two runs over the same landing zone on one DuckDB file."""
    base = tmp_path_factory.mktemp("duck")
    url = f"duckdb:///{base / 'warehouse.duckdb'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMARTPROV_VAR_DIR", str(base / "var"))
        first = steps.run_once(str(landing), url, report_copy=str(base / "first.json"), notify=False)
        before = snapshot(url)
        second = steps.run_once(str(landing), url, notify=False)
        after = snapshot(url)
    return {"url": url, "first": first, "second": second, "before": before, "after": after, "base": base}


def snapshot(url: str) -> dict[str, list]:
    with Warehouse(url) as wh:
        out = {t: sorted(map(repr, wh.fetchall(f"SELECT * FROM {t}"))) for t in TABLES}
        for mart in MARTS:
            out[mart] = mart_rows(wh, mart)
    return out


def mart_rows(wh: Warehouse, mart: str) -> list[str]:
    """A mart's rows in engine-neutral form. Arrival times (`*_at`) are left out: two
    warehouses loaded by two runs received the same files at different moments."""
    frame = wh.query_df(f"SELECT * FROM marts.{mart}")
    frame = frame[sorted(c for c in frame.columns if not c.endswith("_at"))]
    return sorted(
        repr(tuple(_comparable(v) for v in row)) for row in frame.itertuples(index=False, name=None)
    )


def _comparable(value):
    """Engine-neutral form: DuckDB and PostgreSQL return the same numbers as different types."""
    import datetime as dt
    import decimal
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)) or type(value).__module__ == "numpy":
        return round(float(value), 4)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def test_every_file_gets_the_planned_outcome(duck_run):
    expected = sample_expectations(PROVINCE, 0)
    report = duck_run["first"]
    got = {s["path"]: s for s in report["submissions"]}
    assert set(got) == set(expected)
    for path, exp in expected.items():
        sub = got[path]
        assert sub["status"] == ("accepted" if exp.accepted else "rejected"), (path, sub["findings"])
        if exp.rule:
            assert exp.rule in {f["rule"] for f in sub["findings"] if f["severity"] == "ERROR"}, (
                path,
                sub["findings"],
            )
        if exp.accepted:
            assert sub["kind"] == exp.kind and sub["period"] == exp.period


def test_report_has_the_documented_shape(duck_run):
    report = json.loads((duck_run["base"] / "first.json").read_text())
    assert {"run_id", "started_at", "finished_at", "warehouse", "submissions"} <= set(report)
    sub = report["submissions"][0]
    assert {"path", "sha256", "region_code", "kind", "period", "status", "findings"} <= set(sub)
    finding = next(f for s in report["submissions"] for f in s["findings"])
    assert {"rule", "severity", "sheet", "row", "column", "value", "message_id", "message_en"} <= set(finding)
    assert all("\\" not in s["path"] for s in report["submissions"])
    assert Path(report["data_docs"]).is_file()
    assert report["dbt"]["built"] is True


def test_coverage_mart_has_every_regency_of_the_province(duck_run):
    summary = sample_summary(PROVINCE, 0)
    with Warehouse(duck_run["url"]) as wh:
        rows = wh.fetchall(
            "SELECT region_code, has_masterplan, programs, quick_wins FROM marts.province_masterplan_coverage "
            "WHERE province_code = ? ORDER BY region_code",
            (PROVINCE,),
        )
    assert len(rows) == summary.regencies == 27
    assert sum(1 for r in rows if r[1]) == summary.with_masterplan == 21
    assert all(r[2] >= 30 and r[3] >= 1 for r in rows if r[1])
    line = steps.province_summary(duck_run["url"], PROVINCE)
    assert line.startswith("Jawa Barat: 27 regencies, 21 with an accepted masterplan")
    # the sample's `kab-bandung/` folder names no regency: counted apart, not lost
    assert line.endswith("(1 more from folders that name no regency).")


def test_second_run_changes_nothing_and_reports_duplicates(duck_run):
    second = duck_run["second"]
    assert {s["status"] for s in second["submissions"]} == {"duplicate"}
    assert len(second["submissions"]) == len(duck_run["first"]["submissions"])
    assert duck_run["after"] == duck_run["before"]
    assert second["dbt"]["built"] is False


def test_raw_rows_point_back_to_their_source_cell(duck_run, landing):
    with Warehouse(duck_run["url"]) as wh:
        rows = wh.fetchall(
            """SELECT s.path, p.sheet_name, p.source_row, p.program_code, p.file_sha256, s.file_sha256
               FROM raw.masterplan_programs p JOIN audit.submissions s USING (submission_id)
               ORDER BY p.submission_id, p.source_row LIMIT 40"""
        )
    assert rows
    for path, sheet, row, code, sha_row, sha_sub in rows[::7]:
        assert sha_row == sha_sub
        ws = openpyxl.load_workbook(landing / path, read_only=True, data_only=True)[sheet]
        cells = [
            str(c.value).strip() for c in next(ws.iter_rows(min_row=row, max_row=row)) if c.value is not None
        ]
        assert code in cells, (path, row, cells)


def test_rejected_files_are_quarantined_with_readable_findings(duck_run, landing):
    rejected = [s for s in duck_run["first"]["submissions"] if s["status"] == "rejected"]
    assert rejected
    for sub in rejected:
        kept = Path(sub["quarantine_path"])
        assert kept.read_bytes() == (landing / sub["path"]).read_bytes()
        text = kept.with_name(kept.name + ".findings.txt").read_text(encoding="utf-8")
        assert "DITOLAK" in text and "REJECTED" in text
        meta = json.loads(kept.with_name(kept.name + ".findings.json").read_text(encoding="utf-8"))
        assert meta["sha256"] == sub["sha256"] and meta["findings"]
    with Warehouse(duck_run["url"]) as wh:
        ledger = dict(wh.fetchall("SELECT file_sha256, status FROM audit.submissions"))
    assert all(ledger[s["sha256"]] == "rejected" for s in rejected)


def test_evaluation_waits_in_quarantine_until_its_masterplan_arrives(tmp_path, monkeypatch, landing):
    """An evaluation sent before its masterplan is rejected (REFERENCE); replay accepts it later."""
    from smartprov.run.replay import replay_quarantine

    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    expected = sample_expectations(PROVINCE, 0)
    region = next(e.region_code for e in expected.values() if e.kind == "EVALUASI" and e.accepted)
    own = {p: e for p, e in expected.items() if e.region_code == region and e.accepted}
    early, late = tmp_path / "early", tmp_path / "late"
    for path, exp in own.items():
        target = (early if exp.kind == "EVALUASI" else late) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((landing / path).read_bytes())

    first = steps.run_once(str(early), url, build=False, notify=False)
    assert {s["status"] for s in first["submissions"]} == {"rejected"}
    assert all(any(f["rule"] == "REFERENCE" for f in s["findings"]) for s in first["submissions"])
    steps.run_once(str(late), url, build=False, notify=False)
    replayed = replay_quarantine(url, region=region, build=False)
    assert replayed["accepted"] == len(first["submissions"])
    with Warehouse(url) as wh:
        statuses = wh.fetchall("SELECT DISTINCT status FROM audit.submissions WHERE kind = 'EVALUASI'")
        assert statuses == [("accepted",)]
        assert wh.fetchall("SELECT count(*) FROM raw.evaluation_realisations")[0][0] > 0
    again = replay_quarantine(url, region=region, build=False)
    assert again["files"] == []  # accepted files are not replayed twice


@pytest.mark.postgres
def test_postgres_gives_the_same_marts_as_duckdb(duck_run, landing, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    with fresh_database("smartprov_e2e_") as db:
        url = db.url.replace("postgresql://", "postgresql+psycopg://", 1)
        report = steps.run_once(str(landing), url, notify=False)
        assert report["counts"] == duck_run["first"]["counts"]
        pg = snapshot(url)
    for mart in MARTS:
        assert pg[mart] == duck_run["before"][mart], mart


LOAD_SCRIPT = """
import sys
from smartprov.run import steps
discovery = steps.discover(sys.argv[1], sys.argv[2], sys.argv[3])
print(steps.validate_and_load(discovery, sys.argv[2]))
"""


def _start_loader(landing: Path, url: str, run_id: str, var: Path) -> subprocess.Popen:
    env = dict(os.environ, SMARTPROV_VAR_DIR=str(var))
    return subprocess.Popen(
        [sys.executable, "-c", LOAD_SCRIPT, str(landing), url, run_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _consistent(url: str) -> tuple[int, int]:
    """Every accepted masterplan has all its rows; no raw row lacks its ledger entry."""
    with Warehouse(url) as wh:
        orphans = wh.fetchall(
            """SELECT count(*) FROM raw.masterplan_programs p
               LEFT JOIN audit.submissions s USING (submission_id) WHERE s.submission_id IS NULL"""
        )[0][0]
        accepted = wh.fetchall(
            "SELECT count(*) FROM audit.submissions WHERE status = 'accepted' AND kind = 'MASTERPLAN'"
        )[0][0]
        with_rows = wh.fetchall("SELECT count(DISTINCT submission_id) FROM raw.masterplan_programs")[0][0]
        dupes = wh.fetchall(
            "SELECT count(*) FROM (SELECT file_sha256 FROM audit.submissions GROUP BY file_sha256 HAVING count(*) > 1) d"
        )[0][0]
    assert orphans == 0 and dupes == 0
    assert with_rows == accepted
    return accepted, with_rows


@pytest.mark.postgres
def test_two_concurrent_runs_load_each_file_once(landing, tmp_path):
    with fresh_database("smartprov_e2e_") as db:
        url = db.url.replace("postgresql://", "postgresql+psycopg://", 1)
        procs = [_start_loader(landing, url, f"concurrent_{n}", tmp_path / f"var{n}") for n in (1, 2)]
        outs = [p.communicate(timeout=600) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        _consistent(url)
        with Warehouse(url) as wh:
            total = wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0]
        assert total == len(sample_expectations(PROVINCE, 0))


@pytest.mark.postgres
def test_a_run_killed_mid_load_leaves_no_partial_submission(landing, tmp_path):
    with fresh_database("smartprov_e2e_") as db:
        url = db.url.replace("postgresql+psycopg://", "postgresql://", 1)
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        with Warehouse(url) as wh:
            wh.ensure_schema()
        proc = _start_loader(landing, url, "killed", tmp_path / "var1")
        deadline = time.time() + 120
        while time.time() < deadline:  # kill as soon as loading has begun
            with Warehouse(url) as wh:
                if wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0] > 0:
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial, _ = _consistent(url)
        rerun = _start_loader(landing, url, "after_kill", tmp_path / "var2")
        out = rerun.communicate(timeout=600)
        assert rerun.returncode == 0, out
        _consistent(url)
        with Warehouse(url) as wh:
            total = wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0]
        assert total == len(sample_expectations(PROVINCE, 0))
        assert partial < total  # the kill really interrupted the load
