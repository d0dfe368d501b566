"""Re-validating quarantined files, for instance once the masterplan they cite has arrived.

A replayed file keeps its submission id (its SHA-256): the ledger row and findings are
replaced in one transaction, and the raw rows arrive when it now passes. The quarantined
copy stays where it is.
"""

from __future__ import annotations

from typing import Any

from smartprov import settings
from smartprov.run.pipeline import build_marts, new_run_id, utcnow
from smartprov.warehouse.connection import Warehouse


def replay_quarantine(warehouse_url: str, *, region: str | None = None, build: bool = True) -> dict[str, Any]:
    from smartprov.ingest.parse import parse_submission
    from smartprov.ingest.quarantine import quarantine_file, quarantined_files
    from smartprov.validation.batch import BatchValidator, check_submissions
    from smartprov.warehouse.loader import masterplan_program_codes, save_submission

    run_id = "replay__" + new_run_id().removeprefix("manual__")
    received_at = utcnow()
    files = quarantined_files(settings.quarantine_dir(), region)
    results = []
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            # A replay keeps the file's first arrival time: supersession orders by arrival.
            ledger = {
                sha: (status, received)
                for sha, status, received in wh.fetchall(
                    "SELECT file_sha256, status, received_at FROM audit.submissions"
                )
            }
            subs, payloads = [], {}
            for data_path, meta in files:
                if ledger.get(meta["sha256"], ("",))[0] == "accepted":
                    continue
                data = data_path.read_bytes()
                folder = meta["path"].split("/", 1)[0] if "/" in meta["path"] else None
                sub = parse_submission(meta["path"], data, meta["sha256"], folder)
                subs.append(sub)
                payloads[sub.submission_id] = data
            check_submissions(subs, BatchValidator(), wh.current_masterplan_programs)
            for sub in sorted(subs, key=lambda s: (s.kind != "MASTERPLAN", s.path)):
                qpath = str(quarantine_file(settings.quarantine_dir(), sub, payloads[sub.submission_id]))
                codes = None
                if sub.kind == "EVALUASI" and not sub.has_errors:
                    codes = masterplan_program_codes(wh.current_masterplan_programs(sub.region_code))
                status = save_submission(
                    wh,
                    sub,
                    run_id=run_id,
                    received_at=ledger.get(sub.sha256, (None, received_at))[1],
                    quarantine_path=qpath,
                    program_codes=codes,
                )
                results.append({"path": sub.path, "sha256": sub.sha256, "status": status})
    accepted = sum(r["status"] == "accepted" for r in results)
    dbt = build_marts(warehouse_url) if build and accepted else None
    return {"run_id": run_id, "files": results, "accepted": accepted, "dbt": dbt}
