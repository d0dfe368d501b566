"""Forgetting submissions so that a run takes their files again (after a rule fix), keeping history.

The pipeline knows a file by its content (SHA-256 in `audit.submissions`): a file seen once is
a duplicate forever. `forget` takes chosen submissions out of that ledger, in one
transaction under the load lock:

- their ledger rows are copied to `audit.forgotten_submissions` with when, why and by whom
  (a submission forgotten twice has two history rows);
- their ledger row, findings and raw rows are deleted, exactly as a reload replaces them;
- nothing else: the uploaded files stay in the landing zone, quarantined copies stay in the
  quarantine, `audit.file_arrivals` keeps every sighting, and by default
  the alerts' outbox (`audit.outbox_items`) keeps what was mailed, so the regency is not
  mailed the same verdict twice (`notify_again` forgets the file's feedback and digest items
  too, for a verdict that changed).

The next run, nightly or `reprocess`, finds those files unknown again and validates them
with today's rules; their submission ids (derived from the content) are the same as before.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Any

from smartprov.settings import utcnow
from smartprov.warehouse.connection import Warehouse

HISTORY = "audit.forgotten_submissions"
KINDS = ("MASTERPLAN", "EVALUASI")


class NothingToForget(LookupError):
    """The selection matches no submission."""


def _ensure_history(wh: Warehouse) -> None:
    # Same columns as the ledger (whatever they are today) plus the forgetting's own.
    wh.execute(
        f"""CREATE TABLE IF NOT EXISTS {HISTORY} AS
            SELECT *, CAST(NULL AS TIMESTAMP) AS forgotten_at,
                   CAST(NULL AS VARCHAR(2000)) AS forgotten_reason,
                   CAST(NULL AS VARCHAR(256)) AS forgotten_by
            FROM audit.submissions WHERE 1 = 0"""
    )


def _columns(wh: Warehouse, qualified: str) -> list[str]:
    schema, table = qualified.split(".")
    rows = wh.fetchall(
        """SELECT column_name FROM information_schema.columns
           WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        (schema, table),
    )
    return [r[0] for r in rows]


def select_submissions(
    wh: Warehouse,
    *,
    ids: Sequence[str] = (),
    region: str | None = None,
    kind: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Ledger rows matching every given criterion. `ids` are submission ids or file SHA-256s
    (whole, or a unique prefix of at least 8 characters)."""
    if not (ids or region):
        raise ValueError("name submissions (ids or SHA-256s) or a region")
    where, params = [], []
    if ids:
        alternatives = []
        for ident in ids:
            ident = ident.strip().lower()
            if len(ident) < 8:
                raise ValueError(f"{ident!r}: give at least 8 characters of a submission id or SHA-256")
            # A submission id is derived from content and sender: a prefix names it as well.
            alternatives.append("(submission_id LIKE ? OR file_sha256 LIKE ?)")
            params += [ident + "%", ident + "%"]
        where.append("(" + " OR ".join(alternatives) + ")")
    if region:
        where.append("(region_code = ? OR (region_code IS NULL AND folder_region_code = ?))")
        params += [region, region]
    if kind:
        if kind.upper() not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        where.append("kind = ?")
        params.append(kind.upper())
    if period:
        where.append("period = ?")
        params.append(period)
    rows = wh.fetchall(
        f"""SELECT submission_id, file_sha256, path, region_code, kind, period, status, run_id
            FROM audit.submissions WHERE {" AND ".join(where)} ORDER BY path""",
        params,
    )
    keys = ("submission_id", "file_sha256", "path", "region_code", "kind", "period", "status", "run_id")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def forget(
    warehouse_url: str,
    *,
    reason: str,
    ids: Sequence[str] = (),
    region: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    notify_again: bool = False,
    dry_run: bool = False,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """Forget the matching submissions (see the module's doc); returns them as they were."""
    from smartprov.warehouse.loader import _delete_submission

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("say why (--reason): it is kept with the history")
    actor = actor or _whoami()
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        with wh.load_lock():
            chosen = select_submissions(wh, ids=ids, region=region, kind=kind, period=period)
            if not chosen:
                raise NothingToForget("no submission matches " + _describe(ids, region, kind, period))
            if dry_run:
                return chosen
            _ensure_history(wh)
            history = _columns(wh, HISTORY)
            ledger = [c for c in _columns(wh, "audit.submissions") if c in history]
            now = utcnow()
            with wh.transaction():
                for sub in chosen:
                    sid = sub["submission_id"]
                    wh.execute(
                        f"""INSERT INTO {HISTORY} ({", ".join(ledger)}, forgotten_at, forgotten_reason, forgotten_by)
                            SELECT {", ".join(ledger)}, ?, ?, ? FROM audit.submissions WHERE submission_id = ?""",
                        (now, reason[:2000], actor[:256], sid),
                    )
                    _delete_submission(wh, sid)
                    if notify_again:  # the outbox's items: this file's feedback and digest listing
                        for table, column in (
                            ("audit.outbox_items", "item_key"),
                            ("audit.notifications", "notification_key"),
                        ):
                            wh.execute(
                                f"""DELETE FROM {table}
                                    WHERE ({column} LIKE 'feedback:%' OR {column} LIKE 'digest-item:%')
                                      AND {column} LIKE ?""",
                                ("%:" + sid,),
                            )
    return chosen


def reprocess(
    landing_url: str,
    warehouse_url: str,
    *,
    reason: str,
    region: str | None = None,
    ids: Sequence[str] = (),
    kind: str | None = None,
    period: str | None = None,
    notify_again: bool = False,
    build: bool = True,
    notify: bool = True,
) -> dict[str, Any]:
    """Forget, then one run now: the forgotten files are validated again with today's rules."""
    from smartprov.run.steps import run_once

    forgotten = forget(
        warehouse_url,
        reason=reason,
        ids=ids,
        region=region,
        kind=kind,
        period=period,
        notify_again=notify_again,
    )
    report = run_once(landing_url, warehouse_url, build=build, notify=notify)
    report["forgotten"] = forgotten
    return report


def history(warehouse_url: str, submission_id: str | None = None) -> list[dict[str, Any]]:
    with Warehouse(warehouse_url) as wh:
        if not wh.table_exists(HISTORY):
            return []
        sql = f"""SELECT submission_id, path, region_code, kind, period, status, run_id,
                         forgotten_at, forgotten_reason, forgotten_by FROM {HISTORY}"""
        rows = wh.fetchall(
            sql + (" WHERE submission_id = ?" if submission_id else "") + " ORDER BY forgotten_at",
            (submission_id,) if submission_id else (),
        )
    keys = (
        "submission_id",
        "path",
        "region_code",
        "kind",
        "period",
        "status",
        "run_id",
        "forgotten_at",
        "forgotten_reason",
        "forgotten_by",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _describe(ids, region, kind, period) -> str:
    parts = [
        f"ids {', '.join(ids)}" if ids else "",
        f"region {region}" if region else "",
        f"kind {kind}" if kind else "",
        f"period {period}" if period else "",
    ]
    return ", ".join(p for p in parts if p)


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container with an arbitrary uid
        return "unknown"
