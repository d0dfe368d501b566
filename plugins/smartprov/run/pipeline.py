"""The nightly run, as the steps the Airflow DAG and the CLI both call.

discover -> validate_and_load -> build_marts -> finish_run. Each step takes and returns
JSON-able dicts (they travel between Airflow tasks as XCom), and each is safe to rerun:
files are keyed by their SHA-256, loads are one transaction per submission, and the run's
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
from smartprov.contract.catalogue import EVALUASI, MASTERPLAN
from smartprov.ingest.landing import LandingFile, LocalLanding, open_landing
from smartprov.ingest.listing_cache import hasher_for
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
    """List the landing zone and tell new content from content already seen (by SHA-256)."""
    landing = open_landing(landing_url)
    files = landing.list_files()
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        known = wh.known_hashes()
    seen_now: set[str] = set()
    entries = []
    sha256_of_file, record_hashes = hasher_for(landing)  # S3: unchanged objects are not downloaded
    for f in files:
        sha = sha256_of_file(f)
        status = "duplicate" if sha in known or sha in seen_now else "new"
        seen_now.add(sha)
        entries.append({"path": f.path, "size": f.size, "sha256": sha, "status": status})
    record_hashes()
    started = utcnow().isoformat()
    log.info("discovered %d files, %d new", len(entries), sum(e["status"] == "new" for e in entries))
    return {"run_id": run_id, "started_at": started, "landing": landing_url, "files": entries}


# -- step 2 ----------------------------------------------------------------------------
def validate_and_load(discovery: dict[str, Any], warehouse_url: str, *, today: dt.date | None = None) -> dict:
    """Validate every new file and load those that pass; masterplans before evaluations."""
    from smartprov.validation.batch import BatchValidator, check_submissions
    from smartprov.warehouse.loader import masterplan_program_codes, save_submissions

    settings.quiet_tools()
    run_id = discovery["run_id"]
    run_dir = run_dir_for(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    received_at = utcnow()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    new = [e for e in discovery["files"] if e["status"] == "new"]
    parsed = parse_files(discovery["landing"], new)
    vanished = {e["path"] for e in new} - {s.path for s in parsed}
    timings["parse_seconds"] = round(time.perf_counter() - clock, 2)

    validator = BatchValidator(today=today, run_name=run_dir.name)
    results: list[dict[str, Any]] = []
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            already = wh.known_hashes()  # another run may have loaded some meanwhile
            parsed = [s for s in parsed if s.sha256 not in already]
            clock = time.perf_counter()
            check_submissions(parsed, validator, wh.current_masterplan_programs)
            timings["validate_seconds"] = round(time.perf_counter() - clock, 2)
            clock = time.perf_counter()
            landing = open_landing(discovery["landing"])
            # Masterplans first, so that an evaluation's program codes map to the stored masterplan.
            # Submissions are written in groups (one transaction and one insert per table each):
            # per-statement costs, not rows, dominate a night of small workbooks.
            batch_size = LOAD_BATCH.get(wh.engine, 1)
            pending: list[tuple] = []
            current_codes: dict[str, list[str]] | None = None

            def flush() -> None:
                statuses = save_submissions(wh, pending, run_id=run_id, received_at=received_at)
                for (sub, qpath, _), status in zip(pending, statuses, strict=True):
                    results.append(_report_entry(sub, status, qpath))
                pending.clear()

            for sub in sorted(parsed, key=_load_order_key):
                qpath = _quarantine(landing, sub) if sub.has_errors else None
                codes = None
                if sub.kind == EVALUASI and sub.region_code and not sub.has_errors:
                    if current_codes is None:  # every masterplan of the run is stored by now
                        if pending:
                            flush()
                        current_codes = wh.current_masterplan_codes()
                    stored = current_codes.get(sub.region_code)
                    codes = masterplan_program_codes({"program_code": stored}) if stored else None
                pending.append((sub, qpath, codes))
                if len(pending) >= batch_size:
                    flush()
            if pending:
                flush()
            arrivals = {(e["sha256"], e["path"]) for e in discovery["files"]} - wh.known_arrivals()
            wh.record_arrivals(sorted(arrivals), run_id, received_at)
            timings["load_seconds"] = round(time.perf_counter() - clock, 2)

    clock = time.perf_counter()
    data_docs = validator.write_data_docs(run_dir / "data_docs")  # → data_docs/<run>/index.html
    timings["data_docs_seconds"] = round(time.perf_counter() - clock, 2)
    processed = {r["path"] for r in results}
    results.extend(
        _duplicate_entry(e)
        for e in discovery["files"]
        if e["path"] not in processed and e["path"] not in vanished
    )
    results.sort(key=lambda r: r["path"])
    summary = {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "data_docs": data_docs,
        "accepted": sum(r["status"] == "accepted" for r in results),
        "rejected": sum(r["status"] == "rejected" for r in results),
        "duplicate": sum(r["status"] == "duplicate" for r in results),
        "timings": timings,
    }
    summary["changed"] = summary["accepted"] + summary["rejected"] > 0
    (run_dir / "submissions.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    return summary


def _quarantine(landing, sub) -> str | None:
    """Keep a rejected file byte for byte, streamed so that a huge one costs no memory."""
    from smartprov.ingest.quarantine import quarantine_file

    try:
        with landing.open(LandingFile(sub.path, sub.size)) as source:
            return str(quarantine_file(settings.quarantine_dir(), sub, source))
    except OSError:  # vanished or replaced since it was read: the ledger still has its findings
        log.warning("could not quarantine %s", sub.path, exc_info=True)
        return None


# Submissions written per transaction. PostgreSQL keeps one transaction per submission
# (COPY makes its per-submission cost small): analysts and other runs see each submission
# land on its own, and a killed run loses at most the one in flight. The embedded DuckDB
# file has no other readers during a load, and its per-statement cost dominates.
LOAD_BATCH = {"duckdb": 200, "postgres": 1}
BIG_FILE_BYTES = 1 << 20  # parsed as a task of its own, before the small files
PARALLEL_FROM_FILES = 40  # below this, starting worker processes costs more than it saves


def parse_files(landing_url: str, entries: list[dict[str, Any]]) -> list:
    """Read and parse new files, on every core when there are many; input order is kept.

    Each worker reads its own files, so workbooks never travel between processes; a file
    that vanished since discovery is left out (the next run sees it again)."""
    workers = parse_workers()
    if workers <= 1 or len(entries) < PARALLEL_FROM_FILES:
        parsed = [_parse_entry(landing_url, e) for e in entries]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, min(32, len(entries) // (workers * 4)))
        # fsspec's object-store clients are not fork-safe: those workers start fresh.
        method = "fork" if isinstance(open_landing(landing_url), LocalLanding) else "spawn"
        # Big files go first, one per task: a 20 MB workbook then runs on one worker while the
        # others take the small files, instead of holding back the chunk it was dealt into.
        big = [i for i, e in enumerate(entries) if (e.get("size") or 0) >= BIG_FILE_BYTES]
        big.sort(key=lambda i: -entries[i]["size"])
        big_set = set(big)
        rest = [i for i in range(len(entries)) if i not in big_set]
        parsed = [None] * len(entries)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            futures = {i: pool.submit(_parse_entry, landing_url, entries[i]) for i in big}
            results = pool.map(
                _parse_entry, [landing_url] * len(rest), [entries[i] for i in rest], chunksize=chunk
            )
            for i, p in zip(rest, results, strict=True):
                parsed[i] = p
            for i, future in futures.items():
                parsed[i] = future.result()
    return [p for p in parsed if p is not None]


def parse_workers() -> int:
    """Processes to parse with: SMARTPROV_WORKERS, else every core; 1 inside a daemonic
    process (a Celery prefork worker's task), which may not start children of its own."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 1
    return int(os.environ.get("SMARTPROV_WORKERS") or os.cpu_count() or 1)


_worker_landing: dict[str, Any] = {}


def _parse_entry(landing_url: str, entry: dict[str, Any]):
    landing = _worker_landing.get(landing_url)
    if landing is None:
        landing = _worker_landing[landing_url] = open_landing(landing_url)
    lf = LandingFile(entry["path"], entry["size"])
    try:
        data = _read_bounded(landing, lf)
    except FileNotFoundError:
        return None
    return _parse_or_reject(entry, data, lf)


def _read_bounded(landing, lf) -> bytes | None:
    """The file's bytes, or None when it is over the size limit (never read whole)."""
    if lf.size > contract.MAX_FILE_BYTES:
        return None
    return landing.read_bytes(lf)


def _parse_or_reject(entry: dict, data: bytes | None, lf):
    from smartprov.contract.findings import finding
    from smartprov.ingest.parse import ParsedSubmission, parse_submission, submission_id_for

    if data is None:
        sub = ParsedSubmission(
            path=entry["path"],
            sha256=entry["sha256"],
            size=lf.size,
            folder=lf.folder,
            submission_id=submission_id_for(entry["sha256"]),
        )
        mb = contract.MAX_FILE_BYTES // (1024 * 1024)
        sub.add(finding("FILE_TOO_LARGE", detail=f"{lf.size / 1048576:.1f} MB > {mb} MB"))
        return sub
    try:
        return parse_submission(entry["path"], data, entry["sha256"], lf.folder)
    except Exception as exc:  # a reader bug must not stop the other files of the night
        log.exception("unexpected error reading %s", entry["path"])
        sub = ParsedSubmission(
            path=entry["path"],
            sha256=entry["sha256"],
            size=len(data),
            folder=lf.folder,
            submission_id=submission_id_for(entry["sha256"]),
        )
        sub.add(finding("FILE_UNREADABLE", detail=f"galat internal / internal error: {type(exc).__name__}"))
        return sub


def _load_order_key(sub) -> tuple:
    """Masterplans, then evaluations, then unreadable files; older documents first within a kind."""
    rank = {MASTERPLAN: 0, EVALUASI: 1}.get(sub.kind if sub.readable else None, 2)
    return (rank, str(sub.identity.get("tanggal_dokumen") or ""), sub.path)


def _report_entry(sub, status: str, quarantine_path: str | None) -> dict[str, Any]:
    region = contract.regions().get(sub.region_code or "")
    return {
        "path": sub.path,
        "sha256": sub.sha256,
        "submission_id": sub.submission_id,
        "region_code": sub.region_code,
        "region_name": region.name if region else None,
        "kind": sub.kind,
        "period": sub.period,
        "status": status,
        "email_kontak": sub.identity.get("email_kontak"),
        "quarantine_path": quarantine_path,
        "findings": [{k: v for k, v in f.as_dict().items()} for f in sub.findings],
    }


def _duplicate_entry(entry: dict) -> dict[str, Any]:
    folder = entry["path"].split("/", 1)[0] if "/" in entry["path"] else None
    region = contract.regions().get(folder or "")
    return {
        "path": entry["path"],
        "sha256": entry["sha256"],
        "submission_id": entry["sha256"][:16],
        "region_code": region.code if region else None,
        "region_name": region.name if region else None,
        "kind": None,
        "period": None,
        "status": "duplicate",
        "email_kontak": None,
        "quarantine_path": None,
        "findings": [],
    }


# -- step 3 ----------------------------------------------------------------------------
def build_marts(warehouse_url: str, *, docs: bool = True) -> dict[str, Any]:
    """Build the dbt project when its inputs changed (or its marts are missing)."""
    from smartprov.warehouse import dbt_runner

    return dbt_runner.build_if_needed(warehouse_url, docs=docs)


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
    """One line an operator reads after a run, from the coverage mart."""
    name = contract.provinces().get(province, province)
    with Warehouse(warehouse_url) as wh:
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
                """SELECT s.status, count(*) FROM audit.submissions s
                   WHERE s.region_code LIKE ? OR s.folder_region_code LIKE ? GROUP BY s.status""",
                (province + ".%", province + ".%"),
            )
        )
        # A folder that names no regency cannot be placed in any province; say so, or the
        # province's counts look short of the run's.
        (unplaced,) = wh.fetchall(
            "SELECT count(*) FROM audit.submissions WHERE region_code IS NULL"
        )[0]
    unplaced_note = f" ({unplaced} more from folders that name no regency)" if unplaced else ""
    return (
        f"{name}: {total} regencies, {with_mp or 0} with an accepted masterplan, "
        f"{programs} programs, {quick_wins} quick wins; submissions accepted {counts.get('accepted', 0)}, "
        f"rejected {counts.get('rejected', 0)}{unplaced_note}."
    )


def send_alerts(
    report: dict[str, Any], warehouse_url: str, *, raise_on_error: bool = False
) -> dict[str, Any]:
    """Province digest and regency feedback for this run; the report records what went out."""
    from smartprov.alerts import notify_run

    report["alerts"] = notify_run(report, warehouse_url, raise_on_error=raise_on_error)
    _write_report(report)
    return report["alerts"]


def _write_report(report: dict[str, Any], copy: str | None = None) -> None:
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    Path(report["report_path"]).write_text(text, encoding="utf-8")
    if copy:
        Path(copy).parent.mkdir(parents=True, exist_ok=True)
        Path(copy).write_text(text, encoding="utf-8")


def run_once(
    landing_url: str,
    warehouse_url: str,
    *,
    run_id: str | None = None,
    report_copy: str | None = None,
    build: bool = True,
    notify: bool = True,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """One nightly run without a scheduler: the CLI's `smartprov run`."""
    run_id = run_id or new_run_id()
    clock = time.perf_counter()
    discovery = discover(landing_url, warehouse_url, run_id)
    discover_seconds = round(time.perf_counter() - clock, 2)
    summary = validate_and_load(discovery, warehouse_url, today=today)
    summary["timings"] = {"discover_seconds": discover_seconds, **summary["timings"]}
    clock = time.perf_counter()
    dbt = build_marts(warehouse_url) if build else None
    dbt_seconds = round(time.perf_counter() - clock, 2)
    report = finish_run(
        summary, warehouse_url, landing_url=landing_url, started_at=discovery["started_at"], dbt=dbt
    )
    if build:
        report["timings"]["dbt_seconds"] = dbt_seconds  # the fingerprint check included
    if notify:
        clock = time.perf_counter()
        send_alerts(report, warehouse_url)
        report["timings"]["alerts_seconds"] = round(time.perf_counter() - clock, 2)
    _write_report(report, report_copy)
    return report
