"""Regencies past a submission deadline without an accepted submission.

Which provinces are chased: the run report's province; for a run over every province, the
configured `deadline_provinces` (else the keys of `provinces`), else every province that has
ever sent anything. "Accepted" is read from `audit.submissions` (the current run's accepted
files are there already; the report's are added in case the caller runs before the load
committed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from smartprov.alerts.config import AlertConfig
from smartprov.contract import catalogue as contract


@dataclass(frozen=True)
class Overdue:
    region_code: str
    region_name: str
    province_code: str
    kind: str
    period: str | None  # None = any period (fixed deadline without a period)
    due_date: dt.date
    days_overdue: int
    last_status: str | None  # status of the latest submission for this kind/period, if any

    def as_dict(self) -> dict:
        d = asdict(self)
        d["due_date"] = self.due_date.isoformat()
        return d


def scope_provinces(report: dict, warehouse, config: AlertConfig) -> list[str]:
    if report.get("province"):
        return [str(report["province"])]
    if config.deadline_provinces:
        return list(config.deadline_provinces)
    if config.provinces:
        return sorted(config.provinces)
    if not warehouse.table_exists("audit.submissions"):
        return []
    rows = warehouse.fetchall(
        "SELECT DISTINCT region_code FROM audit.submissions WHERE region_code IS NOT NULL"
    )
    regions = contract.regions()
    return sorted({regions[r[0]].province_code for r in rows if r[0] in regions})


def overdue_regencies(
    warehouse,
    config: AlertConfig,
    provinces: list[str],
    today: dt.date,
    report: dict | None = None,
) -> list[Overdue]:
    """Every (regency, kind, period) whose deadline passed before `today` with no accepted submission."""
    regencies = [r for r in contract.regions().values() if r.province_code in set(provinces)]
    if not regencies or not config.deadlines:
        return []
    has_table = warehouse.table_exists("audit.submissions")
    out: list[Overdue] = []
    for kind, deadline in sorted(config.deadlines.items()):
        for period, due in deadline.overdue_periods(today):
            accepted = _accepted(warehouse, kind, period) if has_table else set()
            for sub in (report or {}).get("submissions", []):
                if (
                    sub.get("status") == "accepted"
                    and sub.get("kind") == kind
                    and (period is None or str(sub.get("period")) == period)
                ):
                    accepted.add(sub.get("region_code"))
            latest = _latest_status(warehouse, kind, period) if has_table else {}
            for region in sorted(regencies, key=lambda r: r.code):
                if region.code in accepted:
                    continue
                out.append(
                    Overdue(
                        region_code=region.code,
                        region_name=region.name,
                        province_code=region.province_code,
                        kind=kind,
                        period=period,
                        due_date=due,
                        days_overdue=(today - due).days,
                        last_status=latest.get(region.code),
                    )
                )
    return out


def _accepted(warehouse, kind: str, period: str | None) -> set[str]:
    sql = "SELECT DISTINCT region_code FROM audit.submissions WHERE status = 'accepted' AND kind = ?"
    params: list = [kind]
    if period is not None:
        sql += " AND period = ?"
        params.append(period)
    return {r[0] for r in warehouse.fetchall(sql, params) if r[0]}


def _latest_status(warehouse, kind: str, period: str | None) -> dict[str, str]:
    sql = "SELECT region_code, status FROM audit.submissions WHERE region_code IS NOT NULL AND kind = ?"
    params: list = [kind]
    if period is not None:
        sql += " AND period = ?"
        params.append(period)
    sql += " ORDER BY received_at, submission_id"
    latest: dict[str, str] = {}
    for code, status in warehouse.fetchall(sql, params):
        latest[code] = status  # later rows overwrite earlier ones
    return latest
