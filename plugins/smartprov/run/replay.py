"""Re-validating quarantined files, for instance once the masterplan they cite has arrived.

A replayed file keeps its submission id (its content and sender folder): the ledger row and
findings are replaced in one transaction, and the raw rows arrive when it now passes. The
quarantined copy stays where it is. Quarantine is read from the shared store
(`smartprov.ingest.shared_store`, `SMARTPROV_SHARED_URL`), so a replay on any worker finds
what another worker kept. Replay goes through the nightly run's load path
(`smartprov.run.load_path`): files are read one at a time in supervised children, never all
held in memory, masterplans before evaluations.
"""

from __future__ import annotations

from typing import Any

from smartprov.run.steps import REPLAY_PREFIX, build_marts, loading, new_run_id, parse_workers
from smartprov.settings import utcnow


def replay_entries(region: str | None = None, store=None) -> list[dict[str, Any]]:
    """Landing entries for the quarantined files (of one region): read from quarantine, named
    by their original landing path, so that the sender folder is the one they came from."""
    from smartprov.ingest.quarantine import quarantined_files
    from smartprov.ingest.shared_store import quarantine_store

    found = quarantined_files(store if store is not None else quarantine_store(), region)
    return [
        {"path": q.meta["path"], "size": q.size, "sha256": q.meta["sha256"], "source": q.key} for q in found
    ]


def replay_quarantine(warehouse_url: str, *, region: str | None = None, build: bool = True) -> dict[str, Any]:
    from smartprov.ingest.parse import submission_id_for
    from smartprov.ingest.shared_store import quarantine_store
    from smartprov.run.load_path import load_entries
    from smartprov.validation.batch import BatchValidator

    run_id = new_run_id(REPLAY_PREFIX)
    received_at = utcnow()
    store = quarantine_store()
    entries = replay_entries(region, store)
    with loading(warehouse_url) as wh:
        # A replay keeps the file's first arrival (supersession orders by arrival) and its
        # upload time; files accepted since are left alone.
        ledger = {
            sid: (status, received, uploaded)
            for sid, status, received, uploaded in wh.fetchall(
                "SELECT submission_id, status, received_at, uploaded_at FROM audit.submissions"
            )
        }
        todo = []
        for entry in entries:
            folder = entry["path"].split("/", 1)[0] if "/" in entry["path"] else None
            status, _, uploaded = ledger.get(submission_id_for(entry["sha256"], folder), ("", None, None))
            if status == "accepted":
                continue
            todo.append(entry | {"uploaded_at": uploaded})
        kept = {sid: received for sid, (_, received, _) in ledger.items() if received is not None}
        loaded = load_entries(
            store.landing(), todo, wh, run_id=run_id,
            received_at=received_at, validator=BatchValidator(), workers=parse_workers(),
            skip_known=False, kept_times=kept,
        )  # fmt: skip
    results = [{"path": e["path"], "sha256": e["sha256"], "status": e["status"]} for e in loaded.entries]
    accepted = sum(r["status"] == "accepted" for r in results)
    dbt = build_marts(None, warehouse_url) if build and accepted else None
    return {"run_id": run_id, "files": results, "accepted": accepted, "dbt": dbt}
