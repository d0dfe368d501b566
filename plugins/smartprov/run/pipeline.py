"""The nightly run, as the steps the Airflow DAG and the CLI both call.

discover -> validate_and_load -> build_marts -> finish_run. Each step takes and returns
JSON-able dicts (they travel between Airflow tasks as XCom), and each is safe to rerun:
submissions are keyed by their SHA-256 and sender folder, loads are one transaction per submission, and the run's
files are rewritten rather than appended.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.ingest.landing import open_landing
from smartprov.run import lineage
from smartprov.warehouse.connection import Warehouse, WarehouseUrl

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_run_id(now: dt.datetime | None = None) -> str:
    return "manual__" + (now or utcnow()).strftime("%Y%m%dT%H%M%S")


def run_dir_for(run_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]+", "_", run_id)
    return settings.reports_dir() / safe


# -- step 1 ----------------------------------------------------------------------------
def discover(landing_url: str, warehouse_url: str, run_id: str) -> dict[str, Any]:
    """List the landing zone and tell new submissions from those already seen: a submission
    is the file's content (SHA-256) from its sender (folder). An entry that cannot be hashed
    now (it vanished, or is being replaced) is left for the next run."""
    from smartprov.run.load_path import landing_entries
    from smartprov.warehouse.loader import known_submission_keys, upgrade_ledger

    landing = open_landing(landing_url)
    files = landing.list_files()
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            upgrade_ledger(wh)
        known = known_submission_keys(wh)
    seen_now: set[tuple[str, str | None]] = set()
    entries = landing_entries(landing, files)
    for entry in entries:
        path = entry["path"]
        key = (entry["sha256"], path.split("/", 1)[0] if "/" in path else None)
        entry["status"] = "duplicate" if key in known or key in seen_now else "new"
        seen_now.add(key)
    started = utcnow().isoformat()
    log.info("discovered %d files, %d new", len(entries), sum(e["status"] == "new" for e in entries))
    return {"run_id": run_id, "started_at": started, "landing": landing_url, "files": entries}


# -- step 2 ----------------------------------------------------------------------------
def validate_and_load(discovery: dict[str, Any], warehouse_url: str, *, today: dt.date | None = None) -> dict:
    """Validate every new file and load those that pass; masterplans before evaluations
    (see smartprov.run.load_path: one file's failure is that file's rejection)."""
    from smartprov.run.load_path import load_entries

    settings.quiet_tools()
    run_id = discovery["run_id"]
    run_dir = run_dir_for(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    received_at = utcnow()
    new = [e for e in discovery["files"] if e["status"] == "new"]
    landing = open_landing(discovery["landing"])
    validator = None
    if new:  # a night with nothing new imports neither pandas nor Great Expectations
        from smartprov.validation.batch import BatchValidator

        validator = BatchValidator(today=today, run_name=run_dir.name)
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            loaded = load_entries(
                landing, new, wh, run_id=run_id, received_at=received_at,
                validator=validator, workers=parse_workers(),
            )  # fmt: skip
            skipped = set(loaded.skipped)
            arrivals = {
                (e["sha256"], e["path"]) for e in discovery["files"] if e["path"] not in skipped
            } - wh.known_arrivals()
            wh.record_arrivals(sorted(arrivals), run_id, received_at)
    timings = dict(loaded.timings)
    results = loaded.entries

    clock = time.perf_counter()
    data_docs = validator.write_data_docs(run_dir / "data_docs") if validator else None  # data_docs/<run>/
    timings["data_docs_seconds"] = round(time.perf_counter() - clock, 2)
    processed = {r["path"] for r in results}
    results.extend(
        _duplicate_entry(e)
        for e in discovery["files"]
        if e["path"] not in processed and e["path"] not in skipped
    )
    results.sort(key=lambda r: r["path"])
    summary = {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "data_docs": data_docs,
        "accepted": sum(r["status"] == "accepted" for r in results),
        "rejected": sum(r["status"] == "rejected" for r in results),
        "duplicate": sum(r["status"] == "duplicate" for r in results),
        "skipped": sorted(skipped),  # vanished or changed since listed: taken by the next run
        "timings": timings,
    }
    summary["changed"] = summary["accepted"] + summary["rejected"] > 0
    (run_dir / "submissions.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    return lineage.record_load(discovery, summary, warehouse_url)


def parse_files(landing_url: str, entries: list[dict[str, Any]]) -> list:
    """Read and parse files, each in a supervised child process, `parse_workers()` at a time;
    input order is kept. A file that vanished or changed since discovery is left out (the
    next run sees it again)."""
    from smartprov.ingest.isolated import read_entries

    landing = open_landing(landing_url)
    return [sub for _, sub in read_entries(landing, entries, parse_workers()) if sub is not None]


def parse_workers() -> int:
    """Files read at once (each in its own child process): SMARTPROV_WORKERS, else every core.
    The children are plain subprocesses, so this holds inside daemonic processes (a Celery
    prefork worker's task) too."""
    return max(1, int(os.environ.get("SMARTPROV_WORKERS") or os.cpu_count() or 1))


def _duplicate_entry(entry: dict) -> dict[str, Any]:
    from smartprov.ingest.parse import submission_id_for

    folder = entry["path"].split("/", 1)[0] if "/" in entry["path"] else None
    region = contract.regions().get(folder or "")
    return {
        "path": entry["path"],
        "sha256": entry["sha256"],
        "submission_id": submission_id_for(entry["sha256"], folder),
        "region_code": region.code if region else None,
        "region_name": region.name if region else None,
        "kind": None,
        "period": None,
        "status": "duplicate",
        "email_kontak": None,
        "uploaded_at": entry.get("uploaded_at"),
        "quarantine_path": None,
        "findings": [],
    }


# -- step 3 ----------------------------------------------------------------------------
def build_marts(warehouse_url: str, *, docs: bool = True) -> dict[str, Any]:
    """Build the dbt project when its inputs changed (or its marts are missing)."""
    from smartprov.warehouse import dbt_runner

    return lineage.record_dbt(dbt_runner.build_if_needed(warehouse_url, docs=docs), warehouse_url)


# -- step 4 ----------------------------------------------------------------------------
def finish_run(
    summary: dict[str, Any],
    warehouse_url: str,
    *,
    landing_url: str,
    started_at: str,
    dbt: dict[str, Any] | None = None,
    report_copy: str | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    """Write the run report (and its copy), then return it."""
    run_dir = Path(summary["run_dir"])
    submissions = json.loads((run_dir / "submissions.json").read_text(encoding="utf-8"))
    clock = time.perf_counter()
    outputs = write_outputs(warehouse_url, rebuilt=bool(dbt and dbt.get("built")), run_id=summary["run_id"])
    timings = dict(summary.get("timings") or {})
    if dbt and dbt.get("built"):
        timings["dbt_seconds"] = dbt.get("seconds")
    timings["outputs_seconds"] = round(time.perf_counter() - clock, 2)
    report = {
        "run_id": summary["run_id"],
        "started_at": started_at,
        "finished_at": utcnow().isoformat(),
        "warehouse": WarehouseUrl.parse(warehouse_url).display(),
        "landing": landing_url,
        "report_path": str(run_dir / "report.json"),
        "data_docs": summary.get("data_docs"),
        "dbt": dbt,
        "counts": {k: summary[k] for k in ("accepted", "rejected", "duplicate")},
        "skipped": summary.get("skipped", []),  # vanished or changed during the run: the next run takes them
        "province": report_province(warehouse_url),
        "outputs": outputs,
        "submissions": submissions,
        "errors": errors or [],
        "timings": timings,  # seconds per phase: discover, parse, validate, load, data_docs, dbt, outputs
    }
    _write_report(report, report_copy)
    return report


def report_province(warehouse_url: str) -> str | None:
    """The province the reports are for: $SMARTPROV_PROVINCE, else the only province that has
    sent anything; None (a national report) when several have."""
    if os.environ.get("SMARTPROV_PROVINCE"):
        return os.environ["SMARTPROV_PROVINCE"]
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        codes = {r[0] for r in wh.fetchall("SELECT DISTINCT region_code FROM audit.submissions")}
    found = {c.split(".")[0] for c in codes if c and c in contract.regions()}
    return found.pop() if len(found) == 1 else None


def write_outputs(warehouse_url: str, *, rebuilt: bool, run_id: str) -> dict[str, str]:
    """The analysts' Excel workbook and HTML report, rewritten whenever the marts were rebuilt."""
    out_dir = settings.reports_dir() / "province"
    existing = {"excel": sorted(out_dir.glob("*.xlsx")), "html": sorted(out_dir.glob("*.html"))}
    if not rebuilt and all(existing.values()):
        return {k: str(v[-1]) for k, v in existing.items()}
    with Warehouse(warehouse_url) as wh:
        if not wh.table_exists("marts.province_masterplan_coverage"):
            return {}
    from smartprov.reports import write_reports

    return write_reports(warehouse_url, out_dir, province=report_province(warehouse_url), run_id=run_id)


def latest_report() -> dict[str, Any] | None:
    """The newest run report under the reports folder, if any."""
    reports = sorted(settings.reports_dir().glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text(encoding="utf-8")) if reports else None


def province_summary(warehouse_url: str, province: str) -> str:
    """One line an operator reads after a run, from the marts analysts read (the snapshot on
    DuckDB: it never waits for, nor blocks, a run)."""
    from smartprov.warehouse.snapshot import open_for_analysts

    name = contract.provinces().get(province, province)
    with open_for_analysts(warehouse_url) as wh:
        if not wh.table_exists("marts.province_masterplan_coverage"):
            return f"{name}: the marts have not been built yet."
        (total, with_mp, programs, quick_wins) = wh.fetchall(
            """SELECT count(*), sum(CASE WHEN has_masterplan THEN 1 ELSE 0 END),
                      coalesce(sum(programs), 0), coalesce(sum(quick_wins), 0)
               FROM marts.province_masterplan_coverage WHERE province_code = ?""",
            (province,),
        )[0]
        counts = dict(
            wh.fetchall(
                """SELECT status, count(*) FROM marts.submission_history
                   WHERE province_code = ? GROUP BY status""",
                (province,),
            )
        )
        # A folder that names no regency cannot be placed in any province; say so, or the
        # province's counts look short of the run's.
        (unplaced,) = wh.fetchall(
            "SELECT count(*) FROM marts.submission_history WHERE province_code IS NULL"
        )[0]
    unplaced_note = f" ({unplaced} more from folders that name no regency)" if unplaced else ""
    return (
        f"{name}: {total} regencies, {with_mp or 0} with an accepted masterplan, "
        f"{programs} programs, {quick_wins} quick wins; submissions accepted {counts.get('accepted', 0)}, "
        f"rejected {counts.get('rejected', 0)}{unplaced_note}."
    )


def _write_report(report: dict[str, Any], copy: str | None = None) -> None:
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    Path(report["report_path"]).write_text(text, encoding="utf-8")
    if copy:
        Path(copy).parent.mkdir(parents=True, exist_ok=True)
        Path(copy).write_text(text, encoding="utf-8")
