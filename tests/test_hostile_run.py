"""Hostile and broken files inside one nightly run, next to good files.

One `smartprov run` (in a child process, so that its peak memory can be measured) over a
landing zone that holds every hostile file of the contract and the issue beside valid
workbooks: each hostile file is refused with its own rule, kept byte for byte in quarantine
with its findings, recorded in the ledger; the good files are loaded; the run finishes within
the test's timeout and a memory bound.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostile
from smartprov.warehouse.connection import Warehouse
from workbooks import evaluasi, masterplan

# path in the landing zone -> (builder, rule, text the English message names)
HOSTILE = {
    "32.73/besar-21mb.xlsx": (hostile.oversized, "FILE_TOO_LARGE", "20 MB"),
    "32.73/bom-zip.xlsx": (hostile.zip_bomb, "FILE_TOO_LARGE", "100 MB"),
    "32.73/bom-rasio.xlsx": (hostile.ratio_bomb, "FILE_TOO_LARGE", ""),
    "32.73/baris-100001.xlsx": (hostile.many_rows, "FILE_TOO_LARGE", "100,000 rows"),
    "32.73/sel-jauh.xlsx": (hostile.far_cell, "FILE_TOO_LARGE", ""),
    "32.73/bom-teks.xlsx": (hostile.shared_string_bomb, "FILE_TOO_LARGE", ""),
    "32.73/entitas.xlsx": (hostile.billion_laughs, "FILE_UNREADABLE", "DTD"),
    "32.73/xxe.xlsx": (hostile.external_entity, "FILE_UNREADABLE", "DTD"),
    "32.73/terkunci.xlsx": (hostile.encrypted_xlsx, "FILE_UNREADABLE", "encrypted"),
    "32.04/lama.xls": (hostile.legacy_xls, "FILE_UNREADABLE", ".xls"),
    "32.04/lama-diganti.xlsx": (lambda: hostile.legacy_xls() + b"\0", "FILE_UNREADABLE", ".xls"),
    "32.04/libreoffice.xlsx": (hostile.ods_renamed, "FILE_UNREADABLE", ".ods"),
    "32.04/data.xlsx": (hostile.csv_renamed, "FILE_UNREADABLE", ""),
    "32.04/kosong.xlsx": (hostile.empty_file, "FILE_UNREADABLE", "empty"),
    "32.04/arsip.xlsx": (hostile.plain_zip, "FILE_UNREADABLE", "not a workbook"),
    "32.04/terpotong.xlsx": (hostile.truncated_xlsx, "FILE_UNREADABLE", ""),
}
GOOD = {
    "32.73/masterplan-2022.xlsx": lambda: masterplan().to_bytes(),
    "32.73/evaluasi-2024.xlsx": lambda: evaluasi().to_bytes(),
    "32.04/masterplan.xlsx": lambda: masterplan("32.04", "Kabupaten Bandung").to_bytes(),
}
PEAK_MEMORY_MB = 1024  # the whole run, GX and DuckDB included; a bomb unpacked would be far above

PEAK_SCRIPT = """
import resource, sys
from smartprov.cli import main
code = main(sys.argv[1:])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    landing = base / "landing"
    written: dict[str, bytes] = {}
    for path, (build, _, _) in HOSTILE.items():
        written[path] = build()
    for path, build in GOOD.items():
        written[path] = build()
    for path, data in written.items():
        target = landing / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    hashes = {hashlib.sha256(d).hexdigest() for d in written.values()}
    assert len(hashes) == len(written), "every file must be its own content"
    url = f"duckdb:///{base / 'warehouse.duckdb'}"
    env = dict(os.environ, SMARTPROV_VAR_DIR=str(base / "var"), SMARTPROV_ALERTS_EMAIL_ENABLED="false")
    cmd = [sys.executable, "-c", PEAK_SCRIPT, "run", "--landing", str(landing), "--warehouse", url,
           "--report", str(base / "report.json"), "--no-dbt", "--no-alerts"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    peak_kb = int(proc.stdout.split("PEAK_RSS_KB")[1].split()[0])
    report = json.loads((base / "report.json").read_text(encoding="utf-8"))
    return {"url": url, "report": report, "written": written, "peak_mb": peak_kb / 1024, "base": base}


def _entry(run, path: str) -> dict:
    return next(s for s in run["report"]["submissions"] if s["path"] == path)


@pytest.mark.timeout(300)
def test_run_completes_within_a_memory_bound(hostile_run):
    assert hostile_run["peak_mb"] < PEAK_MEMORY_MB, f"peak RSS {hostile_run['peak_mb']:.0f} MB"
    counts = hostile_run["report"]["counts"]
    assert counts == {"accepted": len(GOOD), "rejected": len(HOSTILE), "duplicate": 0}
    assert hostile_run["report"]["errors"] == []


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", sorted(HOSTILE))
def test_hostile_file_is_refused_with_its_rule_and_quarantined(hostile_run, path):
    _, rule, says = HOSTILE[path]
    entry = _entry(hostile_run, path)
    assert entry["status"] == "rejected"
    errors = [f for f in entry["findings"] if f["severity"] == "ERROR"]
    assert [f["rule"] for f in errors] == [rule], errors
    finding = errors[0]
    assert finding["message"] and finding["message_en"] and finding["message"] != finding["message_en"]
    assert says in finding["message_en"], finding["message_en"]
    assert " / " not in finding["message_en"], "the English message holds the English detail only"
    # kept byte for byte, with its findings beside it
    kept = Path(entry["quarantine_path"])
    data = hostile_run["written"][path]
    assert kept.is_file() and kept.stat().st_size == len(data)
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    meta = json.loads(kept.with_name(kept.name + ".findings.json").read_text(encoding="utf-8"))
    assert [f["rule"] for f in meta["findings"]] == [rule]
    text = kept.with_name(kept.name + ".findings.txt").read_text(encoding="utf-8")
    assert rule in text and finding["message"] in text and finding["message_en"] in text


@pytest.mark.timeout(300)
def test_every_hostile_file_is_in_the_ledger(hostile_run):
    with Warehouse(hostile_run["url"]) as wh:
        ledger = {
            path: (sha, status, qpath)
            for path, sha, status, qpath in wh.fetchall(
                "SELECT path, file_sha256, status, quarantine_path FROM audit.submissions"
            )
        }
        rules = dict(
            wh.fetchall(
                "SELECT s.path, f.rule FROM audit.findings f JOIN audit.submissions s USING (submission_id) "
                "WHERE f.severity = 'ERROR'"
            )
        )
    for path, (_, rule, _) in HOSTILE.items():
        sha, status, qpath = ledger[path]
        assert sha == hashlib.sha256(hostile_run["written"][path]).hexdigest()
        assert status == "rejected" and qpath and Path(qpath).is_file()
        assert rules[path] == rule
    for path in GOOD:
        assert ledger[path][1] == "accepted" and ledger[path][2] is None


@pytest.mark.timeout(300)
def test_good_files_next_to_hostile_ones_are_loaded(hostile_run):
    for path in GOOD:
        entry = _entry(hostile_run, path)
        assert entry["status"] == "accepted" and entry["findings"] == [], entry
    with Warehouse(hostile_run["url"]) as wh:
        programs = dict(
            wh.fetchall(
                "SELECT s.region_code, count(*) FROM raw.masterplan_programs p "
                "JOIN audit.submissions s USING (submission_id) GROUP BY s.region_code"
            )
        )
        realisations = wh.fetchall("SELECT count(*) FROM raw.evaluation_realisations")[0][0]
        readiness = wh.fetchall("SELECT count(*) FROM raw.evaluation_readiness")[0][0]
    assert programs == {"32.73": 12, "32.04": 12}
    assert realisations == 10 and readiness == 6
    assert Path(hostile_run["report"]["data_docs"]).is_file()
