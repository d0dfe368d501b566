"""The run's steps, defined once: the CLI runs them in one process, the DAG maps each to a task.

    discover -> validate_and_load -> build_marts -> report -> publish -> notify

Each step takes and returns small JSON-able dicts (Airflow passes them as XCom). What is
large or must outlive the task (the run's per-submission results, the run report) is kept
in the warehouse (`audit.run_artifacts`), never in a worker-local file that the next task,
maybe on another host, would need: any task can run on any worker. Each step logs one line
saying what happened, with times in Asia/Jakarta (WIB).

`intake` (the short-interval path) reuses discover and validate_and_load, then sends only
the regencies' feedback; the province digest and the marts stay with the nightly run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smartprov.run import pipeline
from smartprov.warehouse.connection import held_open

log = logging.getLogger("smartprov.run")

STEPS = ("discover", "validate_and_load", "build_marts", "report", "publish", "notify")
WIB = ZoneInfo("Asia/Jakarta")
ARTIFACTS = "audit.run_artifacts"
INTAKE_PREFIX = "intake__"


def wib(moment: dt.datetime | str | None = None) -> str:
    """A time as people here read it: '2026-11-29 08:05:12 WIB'. Naive times are UTC."""
    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S WIB")


# -- run artifacts: what one task leaves for the next, in the warehouse ------------------
def _ensure_artifacts(wh) -> None:
    wh.execute(
        f"CREATE TABLE IF NOT EXISTS {ARTIFACTS} ("
        " run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, body TEXT NOT NULL,"
        " written_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, name))"
    )


def save_artifact(warehouse_url: str, run_id: str, name: str, value: Any) -> None:
    from smartprov.warehouse.connection import Warehouse

    body = json.dumps(value, ensure_ascii=False, default=str)
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        _ensure_artifacts(wh)
        with wh.transaction():  # a rerun of the task replaces what it wrote before
            wh.execute(f"DELETE FROM {ARTIFACTS} WHERE run_id = ? AND name = ?", (run_id, name))
            wh.execute(
                f"INSERT INTO {ARTIFACTS} (run_id, name, body, written_at) VALUES (?, ?, ?, ?)",
                (run_id, name, body, pipeline.utcnow()),
            )


def load_artifact(warehouse_url: str, run_id: str, name: str) -> Any:
    from smartprov.warehouse.connection import Warehouse

    with Warehouse(warehouse_url) as wh:
        _ensure_artifacts(wh)
        rows = wh.fetchall(f"SELECT body FROM {ARTIFACTS} WHERE run_id = ? AND name = ?", (run_id, name))
    if not rows:
        raise LookupError(f"run {run_id}: no {name!r} in {ARTIFACTS} (did the earlier task run?)")
    return json.loads(rows[0][0])


# -- the steps --------------------------------------------------------------------------
def discover(landing_url: str, warehouse_url: str, run_id: str) -> dict[str, Any]:
    clock = time.perf_counter()
    discovery = pipeline.discover(landing_url, warehouse_url, run_id)
    discovery["seconds"] = round(time.perf_counter() - clock, 2)
    files = discovery["files"]
    new = sum(f["status"] == "new" for f in files)
    log.info(
        "discover: %d files in %s, %d new, %d duplicate (already loaded) — %s",
        len(files),
        landing_url,
        new,
        len(files) - new,
        wib(),
    )
    return discovery


def validate_and_load(
    discovery: dict[str, Any], warehouse_url: str, *, today: dt.date | None = None
) -> dict[str, Any]:
    summary = pipeline.validate_and_load(discovery, warehouse_url, today=today)
    run_dir = Path(summary["run_dir"])
    submissions = json.loads((run_dir / "submissions.json").read_text(encoding="utf-8"))
    save_artifact(warehouse_url, summary["run_id"], "submissions", submissions)
    summary["timings"] = {"discover_seconds": discovery.get("seconds"), **summary["timings"]}
    warned = sum(1 for s in submissions if s["status"] == "accepted" and s.get("findings"))
    summary["warned"] = warned
    masterplans = sum(1 for s in submissions if s["status"] == "accepted" and s.get("kind") == "MASTERPLAN")
    summary["accepted_masterplans"] = masterplans
    log.info(
        "validate_and_load: %d accepted (%d with warnings), %d rejected and quarantined, %d duplicate — %s",
        summary["accepted"],
        warned,
        summary["rejected"],
        summary["duplicate"],
        wib(),
    )
    return summary


def build_marts(summary: dict[str, Any], warehouse_url: str) -> dict[str, Any]:
    # dbt leaves two multiprocessing semaphores for the resource tracker to reclaim at exit;
    # its "leaked semaphore objects" warning would be the only stderr (ERROR) line of a
    # good run. The tracker is a child process started by dbt: it reads this variable.
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    clock = time.perf_counter()
    dbt = pipeline.build_marts(warehouse_url)
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
    from smartprov.warehouse.connection import WarehouseUrl
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


def report(
    discovery: dict[str, Any], summary: dict[str, Any], dbt: dict[str, Any] | None, warehouse_url: str
) -> dict[str, Any]:
    """Write the run report and the analysts' outputs; keep the report in the warehouse."""
    # This worker's own folder for the run: `summary["run_dir"]` names the loading worker's.
    run_dir = pipeline.run_dir_for(summary["run_id"])
    summary = dict(summary, run_dir=str(run_dir))
    if not (run_dir / "submissions.json").exists():  # this task runs on another worker
        run_dir.mkdir(parents=True, exist_ok=True)
        submissions = load_artifact(warehouse_url, summary["run_id"], "submissions")
        (run_dir / "submissions.json").write_text(
            json.dumps(submissions, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    full = pipeline.finish_run(
        summary, warehouse_url, landing_url=discovery["landing"], started_at=discovery["started_at"], dbt=dbt
    )
    if dbt is not None and "check_seconds" in dbt:
        full["timings"]["dbt_seconds"] = dbt["check_seconds"]  # the fingerprint check included
    full["finished_at_wib"] = wib(full["finished_at"])
    pipeline._write_report(full)
    save_artifact(warehouse_url, full["run_id"], "report", full)
    log.info(
        "report: %s; outputs %s — %s",
        full["report_path"],
        ", ".join(f"{k}={v}" for k, v in (full.get("outputs") or {}).items()) or "none",
        wib(),
    )
    return {
        "run_id": full["run_id"],
        "report_path": full["report_path"],
        "counts": full["counts"],
        "outputs": full.get("outputs"),
        "rebuilt": bool(dbt and dbt.get("built")),
    }


def publish(dbt: dict[str, Any] | None, warehouse_url: str) -> dict[str, Any]:
    """Open-data bundles of the configured marts (off without config/publish.yml)."""
    from smartprov.run.publish_step import publish_marts

    result = publish_marts(dbt, warehouse_url=warehouse_url)
    if not result.get("enabled"):
        log.info("publish: off (%s) — %s", result.get("reason"), wib())
    elif result.get("skipped"):
        log.info("publish: skipped, %s; bundles in %s — %s", result.get("reason"), result.get("out_dir"), wib())
    else:
        log.info("publish: %d bundle(s) written to %s — %s", len(result.get("bundles") or []), result.get("out_dir"), wib())
    return result


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


def _store_report(full: dict[str, Any], warehouse_url: str) -> None:
    path = Path(full["report_path"])
    if path.parent.is_dir():
        pipeline._write_report(full)
    save_artifact(warehouse_url, full["run_id"], "report", full)


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
def run_all(
    landing_url: str,
    warehouse_url: str,
    *,
    run_id: str | None = None,
    report_copy: str | None = None,
    build: bool = True,
    notify_: bool = True,
    today: dt.date | None = None,
) -> dict[str, Any]:
    run_id = run_id or pipeline.new_run_id()
    with held_open(warehouse_url):  # one open of an embedded warehouse for the whole run
        found = discover(landing_url, warehouse_url, run_id)
        loaded = validate_and_load(found, warehouse_url, today=today)
        dbt = build_marts(loaded, warehouse_url) if build else None
        ref = report(found, loaded, dbt, warehouse_url)
        if build:
            publish(dbt, warehouse_url)
        if notify_:
            clock = time.perf_counter()
            notify(ref, warehouse_url, raise_on_error=False)
            full = load_artifact(warehouse_url, run_id, "report")
            full["timings"]["alerts_seconds"] = round(time.perf_counter() - clock, 2)
            _store_report(full, warehouse_url)
        full = load_artifact(warehouse_url, run_id, "report")
    if report_copy:
        pipeline._write_report(full, report_copy)
    return full


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
    return run_all(
        landing_url, warehouse_url, run_id=run_id, report_copy=report_copy, build=build, notify_=notify, today=today
    )


# -- intake: new files every few minutes, regency feedback within the hour ------------
def intake(landing_url: str, warehouse_url: str, run_id: str | None = None) -> dict[str, Any]:
    """Validate and load (or quarantine) only new files, then mail each regency its feedback.

    No mart rebuild and no province digest: the nightly run does those (and its digest
    lists what intake handled since the last digest)."""
    run_id = run_id or INTAKE_PREFIX + pipeline.new_run_id().removeprefix("manual__")
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
