"""Where a regency stands, read from the warehouse: the ledger, its findings and the status mart.

Nothing here computes a deadline or a verdict: the ledger (`audit.submissions`,
`audit.findings`) says what was received and decided, the mart
`marts.province_submission_status` says what was due, when, and how late.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue as contract

STATUS_MART = "marts.province_submission_status"


def _rows(wh, sql: str, params=()) -> list[dict[str, Any]]:
    if wh.engine == "duckdb":
        cur = wh._con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    with wh._con.cursor() as cur:
        cur.execute(sql.replace("?", "%s"), params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def submissions(wh, region_code: str, limit: int = 100) -> list[dict[str, Any]]:
    """The regency's submissions, newest first, each with its findings."""
    if not wh.table_exists("audit.submissions"):
        return []
    subs = _rows(
        wh,
        "SELECT submission_id, file_sha256, path, kind, period, status, errors, warnings, received_at,"
        " uploaded_at FROM audit.submissions WHERE region_code = ? OR folder_region_code = ?"
        f" ORDER BY received_at DESC, submission_id LIMIT {int(limit)}",
        (region_code, region_code),
    )
    if subs:
        marks = ", ".join("?" for _ in subs)
        found = _rows(
            wh,
            "SELECT submission_id, rule, severity, sheet_name AS sheet, source_row AS row,"
            " column_name AS column, value, message_id, message, message_en FROM audit.findings"
            f" WHERE submission_id IN ({marks}) ORDER BY submission_id, finding_no",
            [s["submission_id"] for s in subs],
        )
        by_sub: dict[str, list] = {}
        for f in found:
            by_sub.setdefault(f.pop("submission_id"), []).append(f)
        for s in subs:
            s["findings"] = by_sub.get(s["submission_id"], [])
            s["file_name"] = str(s["path"]).rsplit("/", 1)[-1]
    return subs


def received_hashes(wh, region_code: str) -> set[str]:
    if not wh.table_exists("audit.submissions"):
        return set()
    rows = wh.fetchall(
        "SELECT file_sha256 FROM audit.submissions WHERE folder_region_code = ? OR region_code = ?",
        (region_code, region_code),
    )
    return {r[0] for r in rows}


def deadlines(wh, region_code: str | None = None, province_code: str | None = None) -> list[dict[str, Any]]:
    """Rows of the status mart (one per regency, kind and period): due date, status, days late."""
    schema, name = STATUS_MART.split(".")
    if not wh.table_exists(STATUS_MART):
        return []
    where, params = [], []
    if region_code:
        where.append("region_code = ?")
        params.append(region_code)
    if province_code:
        where.append("province_code = ?")
        params.append(province_code)
    sql = (
        "SELECT region_code, region_name, kind, period, due_date, status, is_overdue, days_late,"
        " submissions_received, submissions_accepted, submissions_rejected, last_received_at"
        f" FROM {schema}.{name}"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY region_code, kind DESC, period"
    return _rows(wh, sql, params)


def province_overview(wh, province_code: str) -> list[dict[str, Any]]:
    """One line per regency of the province: what it sent, what was accepted, what is overdue."""
    regions = sorted(
        (r for r in contract.regions().values() if r.province_code == province_code), key=lambda r: r.code
    )
    counts: dict[str, dict[str, Any]] = {}
    if wh.table_exists("audit.submissions"):
        for row in _rows(
            wh,
            "SELECT region_code, count(*) AS received,"
            " sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted,"
            " sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,"
            " max(received_at) AS last_received_at FROM audit.submissions GROUP BY region_code",
        ):
            counts[row["region_code"]] = row
    overdue: dict[str, int] = {}
    for row in deadlines(wh, province_code=province_code):
        if row.get("is_overdue"):
            overdue[row["region_code"]] = overdue.get(row["region_code"], 0) + 1
    out = []
    for r in regions:
        c = counts.get(r.code, {})
        out.append(
            {
                "region_code": r.code,
                "region_name": r.name,
                "received": int(c.get("received") or 0),
                "accepted": int(c.get("accepted") or 0),
                "rejected": int(c.get("rejected") or 0),
                "last_received_at": c.get("last_received_at"),
                "overdue": overdue.get(r.code, 0),
            }
        )
    return out


def pending_sends(sent: list[dict[str, Any]], received: set[str]) -> list[dict[str, Any]]:
    """Sends from the portal's audit log whose file the ledger does not hold yet."""
    waiting = []
    for event in sent:
        detail = event.get("detail") or {}
        if event.get("outcome") == "sent" and detail.get("sha256") not in received:
            waiting.append({"at": event["at"], **detail})
    return waiting


def as_wib(moment: dt.datetime | str | None) -> str:
    """A stored (naive UTC) time as people here read it, to the minute, with its zone."""
    if moment is None:
        return ""
    if not isinstance(moment, dt.datetime | str):
        return str(moment)
    return settings.local(moment).strftime("%Y-%m-%d %H:%M WIB")
