"""Regencies past a submission deadline without an accepted submission, as the marts say.

Which provinces are chased: the run report's province; for a run over every province, the
configured `deadline_provinces` (else the keys of `provinces`), else every province that has
ever sent anything. Who is overdue is read from the mart `province_submission_status`,
built from the one deadline table (config/deadlines.yml) at the package's one clock.
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


STATUS_MART = "marts.province_submission_status"
# Mart states that mean "nothing of this regency to show": no last status in the digest.
_NO_SUBMISSION = frozenset({"missing", "not_applicable"})


def overdue_regencies(
    warehouse,
    provinces: list[str],
    today: dt.date,
    report: dict | None = None,
) -> list[Overdue]:
    """Every (regency, kind, period) the mart `province_submission_status` marks overdue.

    The mart applies the one deadline table (config/deadlines.yml, seed
    ref_submission_deadlines) at the package's clock (dbt var as_of_date); the alerts only
    read it. A submission this run accepted counts even if the marts were not rebuilt after
    it. Without the mart (not built yet) nobody is listed: the caller says so.
    """
    if not provinces or not warehouse.table_exists(STATUS_MART):
        return []
    marks = ", ".join("?" for _ in provinces)
    rows = warehouse.fetchall(
        "SELECT region_code, region_name, province_code, kind, evaluation_year, due_date, status "
        f"FROM {STATUS_MART} WHERE is_overdue AND province_code IN ({marks}) "
        "ORDER BY kind, evaluation_year, region_code",
        [str(p) for p in provinces],
    )
    accepted = {
        (
            s.get("region_code"),
            s.get("kind"),
            None if s.get("kind") == contract.MASTERPLAN else str(s.get("period")),
        )
        for s in (report or {}).get("submissions", [])
        if s.get("status") == "accepted"
    }
    out: list[Overdue] = []
    for code, name, province, kind, year, due, status in rows:
        period = None if year is None else str(int(year))
        if (code, kind, period) in accepted:
            continue
        due = _as_date(due)
        out.append(
            Overdue(
                region_code=code,
                region_name=name,
                province_code=province,
                kind=kind,
                period=period,
                due_date=due,
                days_overdue=(today - due).days,
                last_status=None if status in _NO_SUBMISSION else status,
            )
        )
    return out


def _as_date(value) -> dt.date:
    """A DATE column as a date, whatever the driver returns (date, datetime or text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
