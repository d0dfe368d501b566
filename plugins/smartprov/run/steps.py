"""The run's steps, defined once: the CLI runs them in one process, the DAG maps each to a task.

    discover -> validate_and_load -> build_marts -> report -> publish -> notify

Each step takes and returns small JSON-able dicts (Airflow passes them as XCom; the DAG's
thin adapters are `run.airflow_tasks`). What is large or must outlive the task (the run's
per-submission results, the run report) is kept in the warehouse (`audit.run_artifacts`),
never in a worker-local file that the next task, maybe on another host, would need: any
task can run on any worker. `validate_and_load` reads, validates and writes through the one
load path (`run.load_path`), which replay shares. Each step is safe to rerun: submissions
are keyed by their SHA-256 and sender folder, loads are one transaction per submission, and
what a step saves replaces what its earlier try saved. Each step logs one line saying what
happened, with times in WIB (`settings.wib`).

`intake` (the short-interval path) reuses discover and validate_and_load, then sends only
the regencies' feedback; the province digest and the marts stay with the nightly run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.ingest.landing import open_landing
from smartprov.run import lineage
from smartprov.settings import utcnow, wib
from smartprov.warehouse.connection import Warehouse, WarehouseUrl, held_open

log = logging.getLogger("smartprov.run")

STEPS = ("discover", "validate_and_load", "build_marts", "report", "publish", "notify")
ARTIFACTS = "audit.run_artifacts"
MANUAL_PREFIX = "manual__"
INTAKE_PREFIX = "intake__"
REPLAY_PREFIX = "replay__"


def new_run_id(prefix: str = MANUAL_PREFIX, now: dt.datetime | None = None) -> str:
    """A run id for a run no scheduler named: its kind and its start (UTC)."""
    return prefix + (now or utcnow()).strftime("%Y%m%dT%H%M%S")


def run_dir_for(run_id: str) -> Path:
    """This host's folder for the run's report and Data Docs (uploaded to the shared store,
    under the same folder name, when SMARTPROV_SHARED_URL is set)."""
    safe = re.sub(r"[^A-Za-z0-9_.+-]+", "_", run_id)
    return settings.reports_dir() / safe


def parse_workers() -> int:
    """Files read at once (each in its own child process): SMARTPROV_WORKERS, else every core.
    The children are plain subprocesses, so this holds inside daemonic processes (a Celery
    prefork worker's task) too."""
    return max(1, int(os.environ.get("SMARTPROV_WORKERS") or os.cpu_count() or 1))


@contextmanager
def loading(warehouse_url: str) -> Iterator[Warehouse]:
    """The warehouse, its schema current and its load lock held: what every load (the
    nightly's, intake's, replay's) writes through."""
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            yield wh


# -- run artifacts: what one task leaves for the next, in the warehouse ------------------
def _ensure_artifacts(wh) -> None:
    wh.execute(
        f"CREATE TABLE IF NOT EXISTS {ARTIFACTS} ("
        " run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, body TEXT NOT NULL,"
        " written_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, name))"
    )


def save_artifact(warehouse_url: str, run_id: str, name: str, value: Any) -> None:
    body = json.dumps(value, ensure_ascii=False, default=str)
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        _ensure_artifacts(wh)
        with wh.transaction():  # a rerun of the task replaces what it wrote before
            wh.execute(f"DELETE FROM {ARTIFACTS} WHERE run_id = ? AND name = ?", (run_id, name))
            wh.execute(
                f"INSERT INTO {ARTIFACTS} (run_id, name, body, written_at) VALUES (?, ?, ?, ?)",
                (run_id, name, body, utcnow()),
            )


def load_artifact(warehouse_url: str, run_id: str, name: str) -> Any:
    with Warehouse(warehouse_url) as wh:
        _ensure_artifacts(wh)
        rows = wh.fetchall(f"SELECT body FROM {ARTIFACTS} WHERE run_id = ? AND name = ?", (run_id, name))
    if not rows:
        raise LookupError(f"run {run_id}: no {name!r} in {ARTIFACTS} (did the earlier task run?)")
    return json.loads(rows[0][0])


# -- step 1: discover ---------------------------------------------------------------------
def discover(landing_url: str, warehouse_url: str, run_id: str) -> dict[str, Any]:
    """List the landing zone and tell new submissions from those already seen: a submission
    is the file's content (SHA-256) from its sender (folder). An entry that cannot be hashed
    now (it vanished, or is being replaced) is left for the next run."""
    from smartprov.run.load_path import landing_entries
    from smartprov.warehouse.loader import known_submission_keys, upgrade_ledger

    clock = time.perf_counter()
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
    new = sum(e["status"] == "new" for e in entries)
    log.info(
        "discover: %d files in %s, %d new, %d duplicate (already loaded) — %s",
        len(entries), landing_url, new, len(entries) - new, wib(),
    )  # fmt: skip
    return {
        "run_id": run_id,
        "started_at": utcnow().isoformat(),
        "landing": landing_url,
        "files": entries,
        "seconds": round(time.perf_counter() - clock, 2),
    }


# -- step 2: validate and load --------------------------------------------------------------
def validate_and_load(discovery: dict[str, Any], warehouse_url: str, *, today: dt.date | None = None) -> dict:
    """Validate every new file and load those that pass; masterplans before evaluations
    (see smartprov.run.load_path: one file's failure is that file's rejection). The run's
    per-submission results are saved in the warehouse (`submissions`), for the report, the
    alerts and a killed run's recovery."""
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
    with loading(warehouse_url) as wh:
        loaded = load_entries(
            landing, new, wh, run_id=run_id, received_at=received_at,
            validator=validator, workers=parse_workers(),
        )  # fmt: skip
        skipped = set(loaded.skipped)
        arrivals = {
            (e["sha256"], e["path"]) for e in discovery["files"] if e["path"] not in skipped
        } - wh.known_arrivals()
        wh.record_arrivals(sorted(arrivals), run_id, received_at)
    timings = {"discover_seconds": discovery.get("seconds"), **loaded.timings}
    results = loaded.entries

    clock = time.perf_counter()
    data_docs = validator.write_data_docs(run_dir / "data_docs") if validator else None  # data_docs/<run>/
    if data_docs:  # the digest links to them: with a shared store, any host serves them
        _share_data_docs(run_dir, Path(data_docs))
    timings["data_docs_seconds"] = round(time.perf_counter() - clock, 2)
    processed = {r["path"] for r in results}
    results.extend(
        _duplicate_entry(e)
        for e in discovery["files"]
        if e["path"] not in processed and e["path"] not in skipped
    )
    results.sort(key=lambda r: r["path"])
    save_artifact(warehouse_url, run_id, "submissions", results)
    accepted = [r for r in results if r["status"] == "accepted"]
    summary = {
        "run_id": run_id,
        "run_dir": str(run_dir),
        "data_docs": data_docs,
        "accepted": len(accepted),
        "rejected": sum(r["status"] == "rejected" for r in results),
        "duplicate": sum(r["status"] == "duplicate" for r in results),
        "skipped": sorted(skipped),  # vanished or changed since listed: taken by the next run
        "warned": sum(1 for r in accepted if r.get("findings")),
        "accepted_masterplans": sum(1 for r in accepted if r.get("kind") == contract.MASTERPLAN),
        "timings": timings,
    }
    summary["changed"] = summary["accepted"] + summary["rejected"] > 0
    log.info(
        "validate_and_load: %d accepted (%d with warnings), %d rejected and quarantined, %d duplicate — %s",
        summary["accepted"], summary["warned"], summary["rejected"], summary["duplicate"], wib(),
    )  # fmt: skip
    lineage.record_load(discovery, results, warehouse_url)
    return summary


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


# -- step 3: build the marts ------------------------------------------------------------------
def build_marts(summary: dict[str, Any] | None, warehouse_url: str) -> dict[str, Any]:
    """Build the dbt project when its inputs changed (or its marts are missing)."""
    from smartprov.warehouse import dbt_runner

    # dbt leaves two multiprocessing semaphores for the resource tracker to reclaim at exit;
    # its "leaked semaphore objects" warning would be the only stderr (ERROR) line of a
    # good run. The tracker is a child process started by dbt: it reads this variable.
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    clock = time.perf_counter()
    dbt = lineage.record_dbt(dbt_runner.build_if_needed(warehouse_url), warehouse_url)
    dbt["check_seconds"] = round(time.perf_counter() - clock, 2)
    if dbt.get("built"):
        dbt["models"] = _built_nodes(warehouse_url)
        names = ", ".join(f"{n['name']} ({n['status']})" for n in dbt["models"][:40])
        log.info(
            "build_marts: dbt built %d nodes in %ss: %s — %s",
            len(dbt["models"]),
            dbt.get("seconds"),
            names,
            wib(),
        )
    else:
        log.info("build_marts: no dbt model built (%s) — %s", dbt.get("reason"), wib())
    return dbt


def _built_nodes(warehouse_url: str) -> list[dict[str, str]]:
    """What the last `dbt build` ran, from its run_results.json (this process just wrote it)."""
    from smartprov.warehouse.dbt_runner import dbt_paths

    target, _ = dbt_paths(WarehouseUrl.parse(warehouse_url).engine)
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, KeyError, ValueError):
        return []
    nodes = [
        {
            "name": r["unique_id"].split(".", 2)[-1],
            "kind": r["unique_id"].split(".")[0],
            "status": str(r["status"]),
        }
        for r in results
    ]
    return [n for n in nodes if n["kind"] in ("model", "seed", "snapshot")] or nodes


# -- step 4: the run report and the analysts' outputs ----------------------------------------
def report(
    discovery: dict[str, Any], summary: dict[str, Any], dbt: dict[str, Any] | None, warehouse_url: str
) -> dict[str, Any]:
    """Write the run report and the analysts' outputs; keep the report in the warehouse.
    The run's submissions come from the warehouse, where validate_and_load saved them: this
    task may run on another worker than the load did."""
    run_id = summary["run_id"]
    run_dir = run_dir_for(run_id)  # this worker's own folder for the run
    run_dir.mkdir(parents=True, exist_ok=True)
    rebuilt = bool(dbt and dbt.get("built"))
    clock = time.perf_counter()
    outputs = write_outputs(warehouse_url, rebuilt=rebuilt, run_id=run_id)
    timings = dict(summary.get("timings") or {})
    if dbt is not None and "check_seconds" in dbt:
        timings["dbt_seconds"] = dbt["check_seconds"]  # the fingerprint check included
    timings["outputs_seconds"] = round(time.perf_counter() - clock, 2)
    finished_at = utcnow().isoformat()
    full = {
        "run_id": run_id,
        "started_at": discovery["started_at"],
        "finished_at": finished_at,
        "warehouse": WarehouseUrl.parse(warehouse_url).display(),
        "landing": discovery["landing"],
        "report_path": str(run_dir / "report.json"),
        "data_docs": summary.get("data_docs"),
        "dbt": dbt,
        "counts": {k: summary[k] for k in ("accepted", "rejected", "duplicate")},
        "skipped": summary.get("skipped", []),  # vanished or changed during the run: the next run takes them
        "province": report_province(warehouse_url),
        "outputs": outputs,
        "submissions": load_artifact(warehouse_url, run_id, "submissions"),
        "errors": [],
        "timings": timings,  # seconds per phase: discover, parse, validate, load, data_docs, dbt, outputs
        "finished_at_wib": wib(finished_at),
    }
    _store_report(full, warehouse_url)
    log.info(
        "report: %s; outputs %s — %s",
        full["report_path"],
        ", ".join(f"{k}={v}" for k, v in (outputs or {}).items()) or "none",
        wib(),
    )
    return {
        "run_id": run_id,
        "report_path": full["report_path"],
        "counts": full["counts"],
        "outputs": outputs,
        "rebuilt": rebuilt,
    }


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
    """The analysts' Excel workbook and HTML report, rewritten whenever the marts were rebuilt
    (or are missing from the reports store, which is where "existing" is judged: with a
    shared store, another worker may have written them)."""
    from smartprov.ingest.shared_store import reports_store

    out_dir = settings.reports_dir() / "province"
    store = reports_store()
    kept = [o.key for o in store.list("province", depth=0)]
    existing = {
        kind: sorted(k for k in kept if k.endswith(suffix)) for kind, suffix in OUTPUT_SUFFIXES.items()
    }
    if not rebuilt and all(existing.values()):
        return {kind: _output_location(store, keys[-1]) for kind, keys in existing.items()}
    with Warehouse(warehouse_url) as wh:
        if not wh.table_exists("marts.province_masterplan_coverage"):
            return {}
    from smartprov.reports import write_reports

    written = write_reports(warehouse_url, out_dir, province=report_province(warehouse_url), run_id=run_id)
    for path in written.values():
        _share(Path(path), f"province/{Path(path).name}")
    return written


OUTPUT_SUFFIXES = {"excel": ".xlsx", "html": ".html"}


def _output_location(store, key: str) -> str:
    """A kept output as the report names it: this host's path, or the shared store's URL."""
    local = settings.reports_dir() / key
    return str(local) if local.is_file() else store.location(key)


def _share(local: Path, key: str) -> None:
    """Upload a file or a folder written under this host's reports folder to the shared
    reports store under `key` (nothing to do without SMARTPROV_SHARED_URL)."""
    from smartprov.ingest.shared_store import shared_reports, upload_tree

    store = shared_reports()
    if store is None:
        return
    if local.is_dir():
        count = upload_tree(store, local, key)
    else:
        store.put_file(key, local)
        count = 1
    log.info("shared: %d file(s) of %s uploaded to %s", count, local, store.location(key))


def _share_data_docs(run_dir: Path, index: Path) -> None:
    """The run's Data Docs into the shared store, marked as the newest site (the portal's
    `/data-docs/` finds it without listing every run)."""
    from smartprov.ingest.shared_store import mark_latest, shared_reports

    store = shared_reports()
    if store is None:
        return
    _share(run_dir / "data_docs", f"{run_dir.name}/data_docs")
    mark_latest(store, "data_docs", index.parent.relative_to(run_dir.parent).as_posix())


def latest_report() -> dict[str, Any] | None:
    """The newest run report in the reports store (this host's folder, or the shared store),
    if any: the one a shared store marks as the newest, else the newest report.json."""
    from smartprov.ingest.shared_store import latest_marked, reports_store

    store = reports_store()
    key = latest_marked(store, "report")
    if key is None or not store.exists(key):
        reports = [o for o in store.list(depth=1) if o.key.count("/") == 1 and o.key.endswith("/report.json")]
        if not reports:
            return None
        key = max(reports, key=lambda o: (o.modified, o.key)).key
    return json.loads(store.get_bytes(key).decode("utf-8"))


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


def _store_report(full: dict[str, Any], warehouse_url: str) -> None:
    """The report in the warehouse (what later tasks read) and, where this host has the run's
    folder, as report.json beside its Data Docs; with a shared store, there too (the digest's
    link and `latest_report` read it from any host)."""
    path = Path(full["report_path"])
    if path.parent.is_dir():
        _write_report(full)
    from smartprov.ingest.shared_store import mark_latest, shared_reports

    store = shared_reports()
    if store is not None:
        text = json.dumps(full, ensure_ascii=False, indent=2, default=str)
        store.put_bytes(f"{path.parent.name}/report.json", text.encode("utf-8"))
        mark_latest(store, "report", f"{path.parent.name}/report.json")
    save_artifact(warehouse_url, full["run_id"], "report", full)


# -- step 5: publish ----------------------------------------------------------------------------
def publish(
    dbt: dict[str, Any] | None,
    warehouse_url: str | None = None,
    *,
    config_path: str | None = None,
    out_dir: str | None = None,
) -> dict[str, Any]:
    """Open-data bundles of the configured marts, after the marts (off without
    config/publish.yml). JSON-able in and out:

        {"enabled": False, "reason": "..."}                       # no config/publish.yml
        {"enabled": True, "skipped": True, "reason": "..."}       # marts unchanged, bundles exist
        {"enabled": True, "out_dir": ..., "bundles": [...], "ckan": {...}?}

    Bundles are rewritten when the marts were rebuilt, or when a configured bundle is missing;
    a run that changed nothing leaves yesterday's bundles as they are."""
    from smartprov import publish as bundles

    cfg = bundles.load(config_path)
    target = Path(out_dir) if out_dir else bundles.default_out_dir()
    rebuilt = bool(dbt and dbt.get("built"))
    if cfg is None or not cfg.enabled:
        result = {"enabled": False, "reason": f"no datasets configured ({bundles.config.config_path()})"}
    elif (
        dbt is not None
        and not rebuilt
        and all((target / d.name / "datapackage.json").is_file() for d in cfg.datasets)
    ):
        result = {"enabled": True, "skipped": True, "reason": "marts unchanged", "out_dir": str(target)}
    else:
        url = warehouse_url or settings.warehouse_url()
        result = {
            "enabled": True,
            "skipped": False,
            **bundles.publish_all(url, cfg, target, push=cfg.ckan is not None),
        }
        lineage.declare(
            inputs=sorted({lineage.table_dataset(url, f"marts.{d.mart}") for d in cfg.datasets}),
            outputs=[
                ("file", str(Path(b[kind]).resolve())) for b in result["bundles"] for kind in ("csv", "xlsx")
            ],
        )
    if not result.get("enabled"):
        log.info("publish: off (%s) — %s", result.get("reason"), wib())
    elif result.get("skipped"):
        log.info(
            "publish: skipped, %s; bundles in %s — %s", result.get("reason"), result.get("out_dir"), wib()
        )
    else:
        log.info(
            "publish: %d bundle(s) written to %s — %s",
            len(result.get("bundles") or []),
            result.get("out_dir"),
            wib(),
        )
    return result


# -- step 6: notify -----------------------------------------------------------------------------
def notify(report_ref: dict[str, Any], warehouse_url: str, *, raise_on_error: bool = False) -> dict[str, Any]:
    """Regency feedback and the day's province digest, through the outbox (audit.outbox).

    Every message is stored before it is sent; what the relay refuses waits there for the
    next sender (an intake, tomorrow's notify, `smartprov notify`), so a relay that is down
    does not fail the run. What intake loaded (duplicates in this run's report) is found by
    the outbox's composer from the runs' saved submissions."""
    full = load_artifact(warehouse_url, report_ref["run_id"], "report")
    from smartprov.alerts import AlertDeliveryError, notify_run

    try:
        alerts = notify_run(full, warehouse_url, raise_on_error=raise_on_error, sender="nightly")
    except AlertDeliveryError as exc:
        _log_alerts("notify", exc.result)
        raise
    full["alerts"] = alerts
    _store_report(full, warehouse_url)
    _log_alerts("notify", alerts)
    return _alerts_brief(alerts)


_notify_step = notify  # run_once's `notify` flag shadows the step's name


def _alerts_brief(alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "sent": [{"what": s["what"], "channel": s["channel"], "to": s.get("to")} for s in alerts["sent"]],
        "skipped": len(alerts["skipped"]),
        "errors": alerts["errors"],
        "outbox": alerts.get("outbox"),  # what waits undelivered (smartprov.alerts.ledger)
    }


def _log_alerts(step: str, alerts: dict[str, Any]) -> None:
    sent = alerts.get("sent") or []
    feedback = [s for s in sent if str(s["what"]).startswith("feedback:")]
    digests = [s for s in sent if s["what"] == "digest"]
    reasons = Counter(s.get("reason") for s in alerts.get("skipped") or [])
    already = reasons.pop("already sent", 0)
    log.info(
        "%s: %d regency feedback mail(s) sent%s, %d digest(s) sent%s, %d already sent before, %d failed%s — %s",
        step,
        len(feedback),
        (" to " + ", ".join(",".join(s.get("to") or []) for s in feedback)) if feedback else "",
        len(digests),
        (" via " + ", ".join(f"{d['channel']} to {','.join(d.get('to') or [])}" for d in digests))
        if digests
        else "",
        already,
        len(alerts.get("errors") or []),
        ("; not sent: " + ", ".join(f"{n} ({r})" for r, n in reasons.items())) if reasons else "",
        wib(),
    )
    for e in alerts.get("errors") or []:
        log.warning("%s: not delivered: %s via %s: %s", step, e["what"], e["channel"], e["error"])
    from smartprov.alerts.ledger import waiting_line

    if line := waiting_line(alerts.get("outbox") or {"waiting": 0}):
        log.warning("%s: %s", step, line)


# -- the CLI face: every step in one process ------------------------------------------
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
    """One nightly run without a scheduler (the CLI's `smartprov run`): the DAG's steps, in
    order, in this process."""
    run_id = run_id or new_run_id()
    with held_open(warehouse_url):  # one open of an embedded warehouse for the whole run
        found = discover(landing_url, warehouse_url, run_id)
        loaded = validate_and_load(found, warehouse_url, today=today)
        dbt = build_marts(loaded, warehouse_url) if build else None
        ref = report(found, loaded, dbt, warehouse_url)
        if build:
            publish(dbt, warehouse_url)
        if notify:
            clock = time.perf_counter()
            _notify_step(ref, warehouse_url, raise_on_error=False)
            full = load_artifact(warehouse_url, run_id, "report")
            full["timings"]["alerts_seconds"] = round(time.perf_counter() - clock, 2)
            _store_report(full, warehouse_url)
        full = load_artifact(warehouse_url, run_id, "report")
    if report_copy:
        _write_report(full, report_copy)
    return full


# -- intake: new files every few minutes, regency feedback within the hour ------------
def intake(landing_url: str, warehouse_url: str, run_id: str | None = None) -> dict[str, Any]:
    """Validate and load (or quarantine) only new files, then mail each regency its feedback.

    No mart rebuild and no province digest: the nightly run does those (and its digest
    lists what intake handled since the last digest)."""
    run_id = run_id or new_run_id(INTAKE_PREFIX)
    found = discover(landing_url, warehouse_url, run_id)
    if not any(f["status"] == "new" for f in found["files"]):
        log.info("intake: nothing new — %s", wib())
        # What the outbox has due (mail refused earlier) still goes out.
        alerts = send_feedback_only({"run_id": run_id, "submissions": [], "report_path": None}, warehouse_url)
        return {"run_id": run_id, "new": 0, **_alerts_brief(alerts)}
    loaded = validate_and_load(found, warehouse_url)
    submissions = load_artifact(warehouse_url, run_id, "submissions")
    alerts = send_feedback_only(
        {
            "run_id": run_id,
            "started_at": found["started_at"],
            "submissions": submissions,
            "report_path": None,
            "counts": {k: loaded[k] for k in ("accepted", "rejected", "duplicate")},
        },
        warehouse_url,
    )
    return {"run_id": run_id, "new": loaded["accepted"] + loaded["rejected"], **_alerts_brief(alerts)}


def send_feedback_only(partial_report: dict[str, Any], warehouse_url: str) -> dict[str, Any]:
    """Intake's feedback (and whatever the outbox has due); no digest unless `digest.at`
    names a time of day that has passed. A relay that is down does not fail intake: the
    messages wait in the outbox."""
    from smartprov.alerts import notify_run

    alerts = notify_run(partial_report, warehouse_url, sender="intake")
    _log_alerts("intake", alerts)
    return alerts
