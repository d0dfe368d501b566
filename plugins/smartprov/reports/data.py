"""Reading the marts for the reports, once, tolerantly.

Every mart is read with `SELECT *` (one province or all of them) so a column the dbt project
adds later simply appears in the reports. A mart that is missing or cannot be read becomes a
`MartData` with `frame=None` and a `problem` the reports print instead of crashing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from smartprov import settings
from smartprov.reports.labels import KIND_ORDER, PILLAR_ORDER

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD_PCT = 80.0


def wib(moment: Any) -> Any:
    """A mart or run time (naive UTC, or aware) as people here read it: naive WIB. Other
    values (dates, text, None) pass through."""
    if not isinstance(moment, dt.datetime):
        return moment
    return settings.local(moment).replace(tzinfo=None)


@dataclass(frozen=True)
class MartSpec:
    name: str
    title_id: str  # Excel sheet title (<= 31 characters) and HTML heading
    title_en: str
    sort: tuple[str, ...]


MARTS: tuple[MartSpec, ...] = (
    MartSpec(
        "province_masterplan_coverage",
        "Cakupan Masterplan",
        "Masterplan coverage per regency",
        ("province_code", "region_code"),
    ),
    MartSpec(
        "province_dimension_portfolio",
        "Portofolio Dimensi",
        "Programs per dimension and element",
        ("province_code", "region_code", "dimension_order", "dimension", "element_order", "element"),
    ),
    MartSpec(
        "province_implementation_progress",
        "Progres Implementasi",
        "Implementation progress per year",
        ("province_code", "region_code", "year", "evaluation_year", "dimension_order", "dimension"),
    ),
    MartSpec(
        "province_readiness",
        "Kesiapan",
        "Readiness per pillar",
        ("province_code", "region_code", "evaluation_year", "year", "_pillar_order", "pillar"),
    ),
    MartSpec(
        "province_evaluation_index",
        "Indeks Evaluasi",
        "Evaluation index and ranking",
        ("province_code", "region_code", "evaluation_year", "year", "aspect_order", "aspect"),
    ),
    MartSpec(
        "province_scorecard",
        "Ringkasan Provinsi",
        "Province scorecard per year",
        ("province_code", "year"),
    ),
    MartSpec(
        "province_submission_status",
        "Status Pengiriman",
        "Submission status per regency",
        ("province_code", "region_code", "_kind_order", "kind", "period"),
    ),
    MartSpec(
        "province_threshold_path",
        "Jalan ke Ambang",
        "Path to the Smart Province threshold",
        ("province_code", "closeness_rank", "region_code"),
    ),
    MartSpec(
        "province_quick_wins",
        "Quick Win",
        "Quick-win programs and their progress",
        ("province_code", "region_code", "program_code"),
    ),
    MartSpec(
        "province_funding_sources",
        "Sumber Dana",
        "Planned money per funding source and year",
        ("province_code", "region_code", "year", "funding_source_order", "funding_source"),
    ),
)


@dataclass
class MartData:
    spec: MartSpec
    frame: pd.DataFrame | None
    problem: str | None = None  # why frame is None, in Indonesian (English)

    @property
    def ok(self) -> bool:
        return self.frame is not None

    @property
    def empty(self) -> bool:
        return self.frame is None or self.frame.empty


@dataclass
class ReportData:
    province: str | None  # None = every province in the marts
    province_name: str | None
    run_id: str | None
    generated_at: dt.datetime
    threshold_pct: float
    marts: dict[str, MartData] = field(default_factory=dict)
    column_notes: dict[str, dict[str, str]] = field(default_factory=dict)  # mart -> column -> text

    @property
    def scope_id(self) -> str:
        if self.province is None:
            return "Nasional (semua provinsi)"
        if not self.province_name:
            return f"Provinsi {self.province}"
        return f"Provinsi {self.province_name} ({self.province})"

    @property
    def scope_en(self) -> str:
        if self.province is None:
            return "National (all provinces)"
        if not self.province_name:
            return f"Province {self.province}"
        return f"Province {self.province_name} ({self.province})"

    def mart(self, name: str) -> MartData:
        return self.marts[name]


# -- loading --------------------------------------------------------------------------------
def load_report_data(
    wh,
    *,
    province: str | None,
    run_id: str | None,
    threshold_pct: float | None = None,
    generated_at: dt.datetime | None = None,
) -> ReportData:
    data = ReportData(
        province=province,
        province_name=None,
        run_id=run_id,
        generated_at=generated_at or settings.utcnow(),
        threshold_pct=threshold_pct if threshold_pct is not None else project_threshold_pct(),
        column_notes=mart_column_notes(),
    )
    for spec in MARTS:
        data.marts[spec.name] = _load_mart(wh, spec, province)
    data.province_name = _province_name(data)
    return data


def _load_mart(wh, spec: MartSpec, province: str | None) -> MartData:
    qualified = f"marts.{spec.name}"
    try:
        if not wh.table_exists(qualified):
            return MartData(spec, None, f"Mart {qualified} belum tersedia (not built yet).")
        sql = f"SELECT * FROM {qualified}"
        params: tuple[Any, ...] = ()
        if province is not None:
            sql += " WHERE province_code = ?"
            params = (province,)
        frame = wh.query_df(sql, params)
    except Exception as exc:  # a broken mart must not take the other reports down
        log.warning("report: cannot read %s: %s", qualified, exc)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return MartData(spec, None, f"Mart {qualified} tidak dapat dibaca (cannot be read): {first_line}")
    return MartData(spec, _sorted(frame, spec))


def _sorted(frame: pd.DataFrame, spec: MartSpec) -> pd.DataFrame:
    frame = frame.copy()
    helpers = []
    if "pillar" in frame.columns:
        frame["_pillar_order"] = frame["pillar"].map(PILLAR_ORDER).fillna(99)
        helpers.append("_pillar_order")
    if "kind" in frame.columns:
        frame["_kind_order"] = frame["kind"].map(KIND_ORDER).fillna(99)
        helpers.append("_kind_order")
    keys = [k for k in spec.sort if k in frame.columns]
    if keys and not frame.empty:
        try:
            frame = frame.sort_values(keys, kind="stable", na_position="last")
        except TypeError:  # mixed types in a key column: keep the warehouse's order
            pass
    return frame.drop(columns=helpers).reset_index(drop=True)


def _province_name(data: ReportData) -> str | None:
    if data.province is None:
        return None
    for mart in data.marts.values():
        if not mart.empty and "province_name" in mart.frame.columns:
            names = mart.frame["province_name"].dropna()
            if len(names):
                return str(names.iloc[0])
    try:
        from smartprov.contract import catalogue as contract

        return contract.provinces().get(data.province)
    except Exception:  # the seed is not shipped everywhere; the code alone will do
        return None


def project_threshold_pct() -> float:
    """var('smart_province_threshold_pct') of dbt_project.yml, else 80."""
    try:
        import yaml

        from smartprov import settings

        project = yaml.safe_load((settings.dbt_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
        return float(project["vars"]["smart_province_threshold_pct"])
    except Exception:
        return DEFAULT_THRESHOLD_PCT


def mart_column_notes() -> dict[str, dict[str, str]]:
    """Column descriptions of the marts from the dbt project (English), when it is there."""
    try:
        import yaml

        from smartprov import settings

        notes: dict[str, dict[str, str]] = {}
        for path in sorted((settings.dbt_dir() / "models" / "marts").glob("*.yml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for model in doc.get("models") or []:
                cols = {}
                for col in model.get("columns") or []:
                    if col.get("name") and col.get("description"):
                        cols[col["name"]] = " ".join(str(col["description"]).split())
                notes[model.get("name", "")] = cols
        return notes
    except Exception:
        return {}


# -- values ---------------------------------------------------------------------------------
def py(value: Any) -> Any:
    """A plain Python value (None for every flavour of missing) from a pandas cell."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, decimal.Decimal):
        return None if value.is_nan() else float(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        return py(value.item())
    return value


def num(value: Any) -> float | None:
    v = py(value)
    if v is None or isinstance(v, str | dt.date):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def truthy(value: Any) -> bool:
    v = py(value)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "t", "1", "yes", "ya")
    return bool(v)


def numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as float64 (Decimal from PostgreSQL included); NaN where missing."""
    if column not in frame.columns:
        return pd.Series([math.nan] * len(frame), index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column].map(num), errors="coerce").astype("float64")


def year_column(frame: pd.DataFrame) -> str | None:
    for name in ("year", "evaluation_year"):
        if name in frame.columns:
            return name
    return None


def safe_slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "report"


# -- headline figures -----------------------------------------------------------------------
@dataclass
class Headline:
    regencies: int | None = None
    with_masterplan: int | None = None
    coverage_pct: float | None = None
    programs: int | None = None
    quick_wins: int | None = None
    budget_total_idr: float | None = None
    provinces: int | None = None
    provinces_meeting: int | None = None

    def meets(self, threshold_pct: float) -> bool | None:
        if self.coverage_pct is None:
            return None
        return self.coverage_pct >= threshold_pct


def headline(data: ReportData) -> Headline:
    """Figures of the whole scope, from the coverage mart (today's current masterplans)."""
    mart = data.mart("province_masterplan_coverage")
    if mart.frame is None:
        return Headline()
    frame = mart.frame
    h = Headline(regencies=len(frame))
    if "has_masterplan" in frame.columns:
        has = frame["has_masterplan"].map(truthy)
        h.with_masterplan = int(has.sum())
        if h.regencies:
            h.coverage_pct = round(100.0 * h.with_masterplan / h.regencies, 2)
    if "programs" in frame.columns:
        h.programs = int(numeric(frame, "programs").fillna(0).sum())
    if "quick_wins" in frame.columns:
        h.quick_wins = int(numeric(frame, "quick_wins").fillna(0).sum())
    if "budget_total_idr" in frame.columns:
        budgets = numeric(frame, "budget_total_idr")
        h.budget_total_idr = float(budgets.sum()) if budgets.notna().any() else None
    per_province = coverage_by_province(frame, data.threshold_pct)
    if per_province:
        h.provinces = len(per_province)
        h.provinces_meeting = sum(1 for p in per_province if p["meets"])
    return h


def coverage_by_province(frame: pd.DataFrame | None, threshold_pct: float) -> list[dict[str, Any]]:
    """Regencies, regencies with a masterplan and coverage % per province."""
    if frame is None or frame.empty or "has_masterplan" not in frame.columns:
        return []
    if "province_code" not in frame.columns:
        return []
    work = pd.DataFrame(
        {
            "province_code": frame["province_code"].map(lambda v: str(py(v) or "")),
            "province_name": frame["province_name"].map(lambda v: str(py(v) or ""))
            if "province_name" in frame.columns
            else "",
            "has": frame["has_masterplan"].map(truthy).astype(int),
        }
    )
    out = []
    for (code, name), group in work.groupby(["province_code", "province_name"], sort=True):
        total = len(group)
        with_mp = int(group["has"].sum())
        pct = round(100.0 * with_mp / total, 2) if total else None
        out.append(
            {
                "province_code": code,
                "province_name": name,
                "regencies": total,
                "with_masterplan": with_mp,
                "coverage_pct": pct,
                "meets": pct is not None and pct >= threshold_pct,
            }
        )
    return out
