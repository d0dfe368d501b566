"""A run validates and loads its new files a chunk at a time (SMARTPROV_CHUNK_FILES), so that
its memory is bounded by the chunk and not by the landing zone: chunks of three workbooks must
give the warehouse, the report and the Data Docs of one chunk holding the whole run.

The landing zone is a province's sample (`write_sample_landing`): masterplans and evaluations
of several regencies, a masterplan revised by a later document in the same run, evaluations
whose masterplan arrives in the same run (one citing a program its masterplan does not have),
a file from another regency's folder, a folder that is not a region and a file that is not a
workbook. With three files a chunk, masterplans and their evaluations land in other chunks.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from smartprov.authoring.sample import write_sample_landing
from smartprov.ingest.landing import LocalLanding
from smartprov.run import steps
from smartprov.run.load_path import landing_entries, load_entries
from smartprov.validation.batch import BatchValidator
from smartprov.warehouse.connection import Warehouse
from workbooks import evaluasi, masterplan

PROVINCE = "34"  # DI Yogyakarta: 5 regencies, 24 files
# When and by which run a row was written differs between two runs; the rest must not.
RUN_COLUMNS = {"received_at", "run_id", "first_seen_at", "loaded_at"}
RUN_TABLES = {"audit.run_artifacts"}  # the run's own report, compared on its own


def _run(tmp_path: Path, monkeypatch, landing: Path, chunk: int) -> tuple[dict, dict, Path]:
    var = tmp_path / f"var-{chunk}"
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(var))
    monkeypatch.setenv("SMARTPROV_CHUNK_FILES", str(chunk))
    wh_file = tmp_path / f"wh-{chunk}.duckdb"
    report = steps.run_once(str(landing), f"duckdb:///{wh_file}", build=False, notify=False)
    return _tables(wh_file, var), report, var


def _tables(wh_file: Path, var: Path) -> dict[str, list[tuple]]:
    """Every ledger and raw table, sorted, without the columns saying when or by which run."""
    out = {}
    with duckdb.connect(str(wh_file), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('audit', 'raw') ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            if f"{schema}.{table}" in RUN_TABLES:
                continue
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    (schema, table),
                ).fetchall()
                if c not in RUN_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f"SELECT {select} FROM {schema}.{table}").fetchall()
            out[f"{schema}.{table}"] = sorted(
                (tuple(_relative(v, var) for v in row) for row in rows), key=repr
            )
    return out


def _relative(value, var: Path):
    """Quarantine paths live under each run's own var/ folder."""
    return value.replace(str(var), "<var>") if isinstance(value, str) else value


def _submissions(report: dict, var: Path) -> list[dict]:
    return [{k: _relative(v, var) for k, v in s.items()} for s in report["submissions"]]


def _validation_pages(report: dict) -> dict[str, int]:
    """Data Docs validation pages per expectation suite."""
    site = Path(report["data_docs"]).parent / "validations"
    pages: dict[str, int] = {}
    for page in site.rglob("*.html"):
        suite = page.relative_to(site).parts[0]
        pages[suite] = pages.get(suite, 0) + 1
    return pages


def test_small_chunks_give_the_warehouse_and_report_of_one_chunk(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    write_sample_landing(landing, PROVINCE)
    files = sum(1 for p in landing.rglob("*") if p.is_file())

    whole_tables, whole, whole_var = _run(tmp_path, monkeypatch, landing, files)
    chunked_tables, chunked, chunked_var = _run(tmp_path, monkeypatch, landing, 3)

    statuses = {s["path"]: s["status"] for s in whole["submissions"]}
    assert statuses["34.01/34.01_masterplan_2022-2031_revisi_2024.xlsx"] == "accepted"
    rejected = {s["path"]: s for s in whole["submissions"] if s["status"] == "rejected"}
    reference = rejected["34.03/34.03_evaluasi_2025.xlsx"]  # checked against its run's masterplan
    assert any(f["rule"] == "REFERENCE" for f in reference["findings"])
    assert whole_tables["raw.masterplan_programs"] and whole_tables["raw.evaluation_realisations"]

    assert chunked_tables == whole_tables
    assert _submissions(chunked, chunked_var) == _submissions(whole, whole_var)
    assert chunked["counts"] == whole["counts"] and chunked["skipped"] == whole["skipped"]
    for phase in ("parse_seconds", "validate_seconds", "load_seconds"):
        assert chunked["timings"][phase] >= 0

    # One Data Docs site per run still shows every validation: each chunk's, per suite.
    whole_pages, chunked_pages = _validation_pages(whole), _validation_pages(chunked)
    assert set(chunked_pages) == set(whole_pages)
    assert all(n == 1 for n in whole_pages.values()), whole_pages
    masterplans = sum(s["kind"] == "MASTERPLAN" for s in whole["submissions"])
    assert chunked_pages["program"] >= masterplans // 3
    assert sum(chunked_pages.values()) > sum(whole_pages.values())


def test_a_second_copy_in_a_later_chunk_is_a_duplicate(tmp_path, var_dir, duckdb_url, monkeypatch):
    """The same bytes from the same folder twice in one call: loaded once, the copy reported
    as a duplicate, however far apart the chunks are."""
    monkeypatch.setenv("SMARTPROV_CHUNK_FILES", "1")
    root = tmp_path / "landing"
    (root / "32.73").mkdir(parents=True)
    (root / "32.73" / "rencana.xlsx").write_bytes(masterplan().to_bytes())
    (root / "32.73" / "evaluasi.xlsx").write_bytes(evaluasi().to_bytes())
    landing = LocalLanding(root)
    entries = landing_entries(landing, landing.list_files())
    first = next(e for e in entries if e["path"].endswith("rencana.xlsx"))
    with Warehouse(duckdb_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            loaded = load_entries(
                landing, [*entries, dict(first)], wh, run_id="copy", received_at=steps.utcnow(),
                validator=BatchValidator(),
            )  # fmt: skip
        stored = wh.fetchall("SELECT path, status FROM audit.submissions ORDER BY path")
    assert [(e["path"], e["status"]) for e in loaded.entries] == [
        ("32.73/rencana.xlsx", "accepted"),
        ("32.73/evaluasi.xlsx", "accepted"),
    ]
    assert loaded.duplicates == [{"path": first["path"], "sha256": first["sha256"]}]
    assert stored == [("32.73/evaluasi.xlsx", "accepted"), ("32.73/rencana.xlsx", "accepted")]
