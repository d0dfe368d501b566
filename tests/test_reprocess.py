"""`smartprov forget` / `reprocess`: after a rule fix, a regency's files are taken again,
with history kept and nothing deleted from the landing zone or the quarantine.

Real pipeline runs over a generated landing zone (three regencies of West Java), on DuckDB
and on PostgreSQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pg import fresh_database
from smartprov.authoring.sample import write_sample_landing
from smartprov.cli import main
from smartprov.run import steps
from smartprov.run.reprocess import HISTORY, NothingToForget, forget, history, reprocess
from smartprov.warehouse.connection import Warehouse
from smartprov.warehouse.loader import RAW_TABLES

PROVINCE = "32"


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> Path:
    """The sample landing zone cut down to its first three regency folders that hold files
    of both verdicts between them, so a run is quick."""
    full = tmp_path_factory.mktemp("full")
    write_sample_landing(full, province=PROVINCE, seed=0)
    out = tmp_path_factory.mktemp("landing")
    folders = sorted(p for p in full.iterdir() if p.is_dir() and p.name.startswith(PROVINCE + "."))
    for folder in folders[:3]:
        shutil.copytree(folder, out / folder.name)
    return out


def landing_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def ledger(url: str) -> dict[str, tuple]:
    with Warehouse(url) as wh:
        rows = wh.fetchall(
            "SELECT submission_id, region_code, status, errors, warnings FROM audit.submissions"
        )
    return {r[0]: r[1:] for r in rows}


def raw_counts(url: str, ids: list[str]) -> int:
    marks = ", ".join("?" for _ in ids)
    with Warehouse(url) as wh:
        return sum(
            wh.fetchall(f"SELECT count(*) FROM {table} WHERE submission_id IN ({marks})", ids)[0][0]
            for table in RAW_TABLES
        )


def check_forget_and_retake(url: str, landing: Path, capsys) -> None:
    first = steps.run_once(str(landing), url, build=False, notify=False)
    assert first["counts"]["accepted"] >= 1
    before = ledger(url)
    region = sorted({v[0] for v in before.values() if v[0] and v[1] == "accepted"})[0]
    mine = sorted(k for k, v in before.items() if v[0] == region)
    raw_before = raw_counts(url, mine)
    assert raw_before > 0
    files_before = landing_files(landing)

    # dry run: nothing changes
    assert main(["forget", "--region", region, "--reason", "check", "--dry-run", "--warehouse", url]) == 0
    assert "Would forget" in capsys.readouterr().out and ledger(url) == before

    assert main(["forget", "--region", region, "--reason", "rule REF_PROGRAM fixed", "--warehouse", url]) == 0
    out = capsys.readouterr().out
    assert f"Forgot {len(mine)} submission(s)" in out
    after = ledger(url)
    assert set(after) == set(before) - set(mine)
    assert raw_counts(url, mine) == 0
    with Warehouse(url) as wh:
        assert (
            wh.fetchall(
                f"SELECT count(*) FROM audit.findings WHERE submission_id IN ({', '.join('?' for _ in mine)})",
                mine,
            )[0][0]
            == 0
        )
        arrivals = wh.fetchall("SELECT count(*) FROM audit.file_arrivals")[0][0]
    assert arrivals >= len(before)  # every sighting kept
    kept = history(url)
    assert sorted(h["submission_id"] for h in kept) == mine
    assert {h["forgotten_reason"] for h in kept} == {"rule REF_PROGRAM fixed"}
    assert all(h["forgotten_at"] and h["status"] == before[h["submission_id"]][1] for h in kept)
    assert landing_files(landing) == files_before  # the uploads are untouched

    # the next run takes exactly those files again, with the same ids and verdicts
    again = steps.run_once(str(landing), url, build=False, notify=False)
    retaken = {s["submission_id"]: s["status"] for s in again["submissions"] if s["status"] != "duplicate"}
    assert set(retaken) == set(mine)
    assert ledger(url) == before
    assert raw_counts(url, mine) == raw_before

    # forgetting twice keeps two history rows; reprocess = forget + run in one step
    report = reprocess(str(landing), url, reason="second look", ids=[mine[0][:12]], build=False, notify=False)
    assert [s["submission_id"] for s in report["forgotten"]] == [mine[0]]
    assert {s["submission_id"] for s in report["submissions"] if s["status"] != "duplicate"} == {mine[0]}
    assert [h["forgotten_reason"] for h in history(url, mine[0])] == ["rule REF_PROGRAM fixed", "second look"]
    assert ledger(url) == before


def test_forget_and_retake_on_duckdb(small_landing, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    check_forget_and_retake(f"duckdb:///{tmp_path / 'w.duckdb'}", small_landing, capsys)


@pytest.mark.postgres
def test_forget_and_retake_on_postgres(small_landing, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    with fresh_database("smartprov_forget_") as db:
        check_forget_and_retake(str(db), small_landing, capsys)


def test_bad_selections_are_refused(small_landing, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    steps.run_once(str(small_landing), url, build=False, notify=False)
    before = ledger(url)
    with pytest.raises(NothingToForget, match="region 3201"):
        forget(url, reason="x", region="3201")  # the code is 32.01, not 3201
    with pytest.raises(ValueError, match="--reason"):
        forget(url, reason=" ", region="32.01")
    with pytest.raises(ValueError, match="8 characters"):
        forget(url, reason="x", ids=["abc"])
    assert main(["forget", "--region", "99.99", "--reason", "x", "--warehouse", url]) == 2
    assert "no submission matches region 99.99" in capsys.readouterr().err
    assert ledger(url) == before
    with Warehouse(url) as wh:
        assert not wh.table_exists(HISTORY)


def test_notify_again_forgets_only_that_submissions_messages(small_landing, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    steps.run_once(str(small_landing), url, build=False, notify=False)
    first, second = sorted(ledger(url))[:2]
    with Warehouse(url) as wh:
        for key in (
            f"feedback:email:a@b.example:{first}",
            f"digest-item:email:{first}",
            f"feedback:email:a@b.example:{second}",
            "digest:email:some-run",
        ):
            wh.execute(
                "INSERT INTO audit.outbox_items (item_key, message_key, recorded_at) VALUES (?, 'm', now())",
                (key,),
            )
    forget(url, reason="verdict changed", ids=[first], notify_again=True)
    with Warehouse(url) as wh:
        keys = {r[0] for r in wh.fetchall("SELECT item_key FROM audit.outbox_items")}
    assert keys == {f"feedback:email:a@b.example:{second}", "digest:email:some-run"}
