"""The landing zone as it really is, and a ledger keyed by content AND sender.

Local folder entries that are not regular files are refused unopened; files that vanish or
change during a run are skipped that night and taken the next; the same bytes in another
folder never shelve the right folder's copy; each submission records when it was uploaded;
a value the warehouse cannot hold, or a validation that breaks on one file, costs that file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from smartprov.ingest.landing import LandingFile, LandingFileChanged, LocalLanding
from smartprov.ingest.parse import parse_submission
from smartprov.run import steps
from smartprov.run.load_path import validate_isolated
from smartprov.validation.batch import BatchValidator
from smartprov.warehouse.connection import Warehouse
from smartprov.warehouse.loader import save_or_reject
from workbooks import masterplan

VALID = masterplan().to_bytes()  # Kota Bandung, 32.73


def _run(landing: Path, url: str) -> dict:
    return steps.run_once(str(landing), url, build=False, notify=False)


def _statuses(report: dict) -> dict[str, str]:
    return {s["path"]: s["status"] for s in report["submissions"]}


# -- listing ---------------------------------------------------------------------------------
def test_listing_refuses_links_and_special_files_and_escapes_names(tmp_path):
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.73" / "baik.xlsx").write_bytes(VALID)
    (root / "32.73" / "tautan.xlsx").symlink_to(root / "32.73" / "baik.xlsx")  # even inside the root
    os.mkfifo(root / "32.73" / "pipa.xlsx")
    with open(os.fsencode(root / "32.73") + b"/nama-\xe9.xlsx", "wb") as fh:
        fh.write(VALID)
    found = {f.path: f for f in LocalLanding(root).list_files()}
    assert set(found) == {"32.73/baik.xlsx", "32.73/tautan.xlsx", "32.73/pipa.xlsx", "32.73/nama-\\xe9.xlsx"}
    assert found["32.73/baik.xlsx"].refused is None and found["32.73/baik.xlsx"].size == len(VALID)
    assert "symbolic link" in found["32.73/tautan.xlsx"].refused
    assert "not a regular file" in found["32.73/pipa.xlsx"].refused
    assert "not UTF-8" in found["32.73/nama-\\xe9.xlsx"].refused
    mtime = dt.datetime.fromtimestamp(os.stat(root / "32.73" / "baik.xlsx").st_mtime, dt.UTC)
    assert found["32.73/baik.xlsx"].uploaded_at == mtime.replace(tzinfo=None, microsecond=0)


def test_opening_refuses_what_was_swapped_in_after_listing(tmp_path):
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    target = root / "32.73" / "berkas.xlsx"
    target.write_bytes(VALID)
    (listed,) = LocalLanding(root).list_files()
    target.unlink()
    target.symlink_to("/etc/hostname")
    with pytest.raises(LandingFileChanged):
        LocalLanding(root).read_bytes(listed)
    target.unlink()
    os.mkfifo(target)  # opened without blocking, then refused
    with pytest.raises(LandingFileChanged):
        LocalLanding(root).read_bytes(listed)
    target.unlink()
    target.write_bytes(VALID + b"more")
    with pytest.raises(LandingFileChanged, match="listed at"):
        LocalLanding(root).read_bytes(LandingFile(listed.path, listed.size))


# -- vanished, changed -------------------------------------------------------------------------
def test_files_that_vanish_or_change_during_a_run_are_taken_the_next_night(tmp_path, var_dir, duckdb_url):
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.04").mkdir()
    gone, changed = root / "32.73" / "hilang.xlsx", root / "32.04" / "berubah.xlsx"
    gone.write_bytes(VALID)
    other = masterplan("32.04", "Kabupaten Bandung").to_bytes()
    changed.write_bytes(other)
    discovery = steps.discover(str(root), duckdb_url, "run-1")
    gone.unlink()
    replacement = masterplan("32.04", "Kabupaten Bandung", email="baru@bandung.go.id").to_bytes()
    changed.write_bytes(replacement)
    summary = steps.validate_and_load(discovery, duckdb_url)
    assert summary["skipped"] == ["32.04/berubah.xlsx", "32.73/hilang.xlsx"]
    assert summary["accepted"] == summary["rejected"] == 0
    with Warehouse(duckdb_url) as wh:
        assert wh.fetchall("SELECT count(*) FROM audit.submissions")[0][0] == 0
        assert wh.fetchall("SELECT count(*) FROM audit.file_arrivals")[0][0] == 0
    gone.write_bytes(VALID)
    report = _run(root, duckdb_url)
    assert _statuses(report) == {"32.04/berubah.xlsx": "accepted", "32.73/hilang.xlsx": "accepted"}
    with Warehouse(duckdb_url) as wh:
        (sha,) = wh.fetchall("SELECT file_sha256 FROM audit.submissions WHERE path = '32.04/berubah.xlsx'")[0]
    assert sha == hashlib.sha256(replacement).hexdigest()  # what was validated and loaded


# -- content and sender ---------------------------------------------------------------------
def test_a_file_rejected_for_where_it_was_is_processed_once_where_it_belongs(tmp_path, var_dir, duckdb_url):
    root = tmp_path / "landing"
    (root / "32.04").mkdir(parents=True)
    (root / "32.04" / "salah-folder.xlsx").write_bytes(VALID)
    (root / "tanpa-folder.xlsx").write_bytes(VALID)
    first = _run(root, duckdb_url)
    assert _statuses(first) == {"32.04/salah-folder.xlsx": "rejected", "tanpa-folder.xlsx": "rejected"}
    wrong = next(s for s in first["submissions"] if s["path"] == "32.04/salah-folder.xlsx")
    assert [f["rule"] for f in wrong["findings"]] == ["REGION_MISMATCH"]
    assert wrong["region_code"] == "32.04" and wrong["claimed_region_code"] == "32.73"

    (root / "32.73").mkdir()
    (root / "32.73" / "masterplan.xlsx").write_bytes(VALID)
    second = _run(root, duckdb_url)
    assert _statuses(second)["32.73/masterplan.xlsx"] == "accepted"
    assert second["counts"] == {"accepted": 1, "rejected": 0, "duplicate": 2}
    with Warehouse(duckdb_url) as wh:
        rows = wh.fetchall(
            "SELECT folder_region_code, region_code, status FROM audit.submissions ORDER BY path"
        )
    assert rows == [("32.04", "32.04", "rejected"), ("32.73", "32.73", "accepted"), (None, None, "rejected")]


def test_replay_rereads_each_copy_from_its_own_folder(tmp_path, var_dir, duckdb_url):
    from smartprov.run.replay import replay_quarantine

    root = tmp_path / "landing"
    (root / "32.04").mkdir(parents=True)
    (root / "32.73").mkdir()
    (root / "32.04" / "salah-folder.xlsx").write_bytes(VALID)
    (root / "32.73" / "masterplan.xlsx").write_bytes(VALID)
    _run(root, duckdb_url)
    replayed = replay_quarantine(duckdb_url, build=False)
    assert replayed["files"] == [
        {"path": "32.04/salah-folder.xlsx", "sha256": hashlib.sha256(VALID).hexdigest(), "status": "rejected"}
    ]
    with Warehouse(duckdb_url) as wh:
        rows = dict(wh.fetchall("SELECT path, status FROM audit.submissions"))
        rules = [r[0] for r in wh.fetchall("SELECT rule FROM audit.findings")]
    assert rows == {"32.04/salah-folder.xlsx": "rejected", "32.73/masterplan.xlsx": "accepted"}
    assert rules == ["REGION_MISMATCH"]


def test_uploaded_at_is_the_landing_file_s_time(tmp_path, var_dir, duckdb_url):
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    path = root / "32.73" / "masterplan.xlsx"
    path.write_bytes(VALID)
    when = dt.datetime(2025, 3, 4, 5, 6, 7)
    stamp = when.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))
    report = _run(root, duckdb_url)
    assert report["submissions"][0]["uploaded_at"] == when.isoformat()
    with Warehouse(duckdb_url) as wh:
        assert wh.fetchall("SELECT uploaded_at, received_at > uploaded_at FROM audit.submissions") == [
            (when, True)
        ]


def test_an_older_ledger_is_upgraded_and_keeps_its_rows(tmp_path, var_dir, duckdb_url):
    """A ledger from before: file_sha256 UNIQUE, no uploaded_at, one accepted submission."""
    import duckdb

    from smartprov.warehouse import schema

    con = duckdb.connect(duckdb_url.removeprefix("duckdb:///"))
    con.execute("CREATE SCHEMA audit")
    body = schema.TABLES["audit.submissions"].replace("uploaded_at         TIMESTAMP,\n", "")
    body = body.replace(
        "file_sha256         VARCHAR(64)  NOT NULL,", "file_sha256 VARCHAR(64) NOT NULL UNIQUE,"
    )
    con.execute(f"CREATE TABLE audit.submissions ({body})")
    sha = hashlib.sha256(VALID).hexdigest()
    con.execute(
        "INSERT INTO audit.submissions (submission_id, file_sha256, path, folder_region_code, status, errors, "
        "warnings, size_bytes, received_at, run_id) VALUES (?, ?, '32.73/lama.xlsx', '32.73', 'accepted', 0, 0, 1, "
        "TIMESTAMP '2024-01-01 00:00:00', 'old')",
        [sha[:16], sha],
    )
    con.close()
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.04").mkdir()
    (root / "32.73" / "lama.xlsx").write_bytes(VALID)
    (root / "32.04" / "salah-folder.xlsx").write_bytes(VALID)  # same bytes: UNIQUE would refuse it
    report = _run(root, duckdb_url)
    assert _statuses(report) == {"32.73/lama.xlsx": "duplicate", "32.04/salah-folder.xlsx": "rejected"}
    with Warehouse(duckdb_url) as wh:
        rows = wh.fetchall(
            "SELECT submission_id, path, uploaded_at IS NULL FROM audit.submissions ORDER BY path"
        )
    assert rows[1] == (sha[:16], "32.73/lama.xlsx", True)


# -- one file's failure is that file's -------------------------------------------------------
def _parsed(data: bytes, folder: str = "32.73", name: str = "berkas.xlsx"):
    return parse_submission(f"{folder}/{name}", data, hashlib.sha256(data).hexdigest(), folder)


def test_a_value_the_warehouse_cannot_hold_rejects_only_its_file(tmp_path, var_dir, duckdb_url):
    huge = masterplan(email="besar@bandung.go.id").set("Program", 2, "anggaran_rp", 10**18).to_bytes()
    sub = _parsed(huge)
    assert not sub.has_errors  # nothing in the reader bounds it
    with Warehouse(duckdb_url) as wh:
        wh.ensure_schema()
        status = save_or_reject(
            wh, sub, run_id="r", received_at=dt.datetime(2025, 1, 1), quarantine_path=None
        )
        assert status == "rejected"
        (finding,) = [f for f in sub.findings if f.severity == "ERROR"]
        assert finding.message_id == "FILE_UNPROCESSABLE" and "warehouse refused" in finding.message_en
        assert wh.fetchall("SELECT status FROM audit.submissions") == [("rejected",)]
        assert wh.fetchall("SELECT count(*) FROM raw.masterplan_programs") == [(0,)]

    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.04").mkdir()
    (root / "32.73" / "besar.xlsx").write_bytes(huge)
    (root / "32.04" / "masterplan.xlsx").write_bytes(masterplan("32.04", "Kabupaten Bandung").to_bytes())
    report = _run(root, f"duckdb:///{tmp_path / 'second.duckdb'}")
    assert report["errors"] == []
    assert _statuses(report) == {"32.73/besar.xlsx": "rejected", "32.04/masterplan.xlsx": "accepted"}
    big = next(s for s in report["submissions"] if s["path"] == "32.73/besar.xlsx")
    assert big["quarantine_path"] and Path(big["quarantine_path"]).read_bytes() == huge


class _BreaksOn(BatchValidator):
    """A validator with a bug that only one submission triggers."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def validate(self, subs, kind, masterplan_programs=None):
        if any(s.path == self.path for s in subs):
            raise RuntimeError("validator bug")
        return super().validate(subs, kind, masterplan_programs)


def test_a_validation_that_breaks_on_one_file_rejects_only_that_file():
    good = _parsed(VALID, name="baik.xlsx")
    bad = _parsed(masterplan("32.04", "Kabupaten Bandung").to_bytes(), folder="32.04", name="rusak.xlsx")
    validate_isolated([good, bad], _BreaksOn("32.04/rusak.xlsx"), lambda region: None)
    assert not good.has_errors
    (finding,) = bad.findings
    assert (
        finding.message_id == "FILE_UNPROCESSABLE"
        and "validation could not run (RuntimeError)" in finding.message_en
    )


@pytest.mark.postgres
def test_on_postgresql_an_old_unique_ledger_and_a_value_too_large_cost_only_their_files(tmp_path, var_dir):
    from pg import fresh_database

    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.04").mkdir()
    (root / "32.73" / "masterplan.xlsx").write_bytes(VALID)
    (root / "32.04" / "salah-folder.xlsx").write_bytes(VALID)
    huge = masterplan("32.04", "Kabupaten Bandung").set("Program", 2, "anggaran_rp", 10**18).to_bytes()
    (root / "32.04" / "besar.xlsx").write_bytes(huge)
    with fresh_database("smartprov_ledger_") as db:
        url = db.url.replace("postgresql://", "postgresql+psycopg://", 1)
        with Warehouse(url) as wh:
            wh.ensure_schema()
            wh.execute(
                "ALTER TABLE audit.submissions ADD CONSTRAINT submissions_file_sha256_key UNIQUE (file_sha256)"
            )
        report = _run(root, url)
        assert report["errors"] == []
        assert _statuses(report) == {
            "32.73/masterplan.xlsx": "accepted",
            "32.04/salah-folder.xlsx": "rejected",
            "32.04/besar.xlsx": "rejected",
        }
        with Warehouse(url) as wh:
            assert wh.fetchall("SELECT count(*) FROM raw.masterplan_programs") == [(12,)]
            ids = dict(wh.fetchall("SELECT path, submission_id FROM audit.submissions"))
        assert len(set(ids.values())) == 3
