"""Rules across sheets and submissions, which the GX suites cannot express well.

Inputs are the normalised frames of one submission: a `source_row` column plus the
contract's column names holding parsed values (canonical enum values, years as int,
money/number/percent as float, quick_win as bool; None/NaN/pd.NA for empty). A rule
skips the rows where a value it needs is empty: those already have a REQUIRED or TYPE
finding of their own.

Messages say what is wrong and what to do, in Indonesian first and English second.
Each message has its own id in the rule catalogue (`smartprov.contract.rules`): `PERIOD_PROGRAM_ORDER`,
`CONSISTENCY_STATUS_PROGRESS` …
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import IDENTITY_SHEET
from smartprov.contract.findings import Finding, finding
from smartprov.contract.suggest import closest

PROGRAM_SHEET = contract.PROGRAM.name
REALISASI_SHEET = contract.REALISASI.name
KESIAPAN_SHEET = contract.KESIAPAN.name

PERIOD_SPAN_MIN = 5
PERIOD_SPAN_MAX = 20
BUDGET_OVERRUN_FACTOR = 1.5
COVERAGE_LIST_LIMIT = 30  # program codes listed in one COVERAGE message


# The submission's finding cap while its cross rules run (`capped`): asked before a finding is
# built, as the reader and the GX trace-back do; None = every finding is built.
_ADMITS: contextvars.ContextVar[Callable[[str, str, int | None, str], bool] | None] = contextvars.ContextVar(
    "cross_rules_admits", default=None
)


@contextlib.contextmanager
def capped(admits: Callable[[str, str, int | None, str], bool]) -> Iterator[None]:
    """Ask `admits(rule, sheet, row, message_id)` before each finding is built; one it turns
    away is left out of the result (its submission's cap has counted it)."""
    token = _ADMITS.set(admits)
    try:
        yield
    finally:
        _ADMITS.reset(token)


def _admitted(rule: str, message_id: str, sheet: str, row: int | None) -> bool:
    admits = _ADMITS.get()
    return admits is None or admits(rule, sheet, row, message_id)


class _Findings(list):
    """The findings of a check: what the cap turned away (None) is not kept."""

    def append(self, f: Finding | None) -> None:
        if f is not None:
            super().append(f)

    def extend(self, found) -> None:
        super().extend(f for f in found if f is not None)


def _finding(
    rule: str,
    message_id: str,
    *,
    sheet: str,
    row: Any = None,
    column: str | None = None,
    value: Any = None,
    **params: Any,
) -> Finding | None:
    """A finding under its own catalogue message id; None when the submission's cap says no."""
    row = None if row is None or _missing(row) else int(row)
    if not _admitted(rule, message_id, sheet, row):
        return None
    return finding(rule, message_id, sheet=sheet, row=row, column=column, value=value, **params)


# -- helpers ----------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values
        return False


def _rows(frame: pd.DataFrame | None, *columns: str) -> Iterator[tuple[Any, ...]]:
    """(source_row, *values) for the rows where every column in `columns` has a value."""
    if frame is None or len(frame) == 0 or any(c not in frame.columns for c in columns):
        return
    source = frame["source_row"] if "source_row" in frame.columns else pd.Series([None] * len(frame))
    data = [source.tolist()] + [frame[c].tolist() for c in columns]
    for values in zip(*data, strict=True):
        if any(_missing(v) for v in values[1:]):
            continue
        yield values


def code_key(code: Any) -> str:
    return str(code).strip().upper()


def _num(value: Any) -> str:
    """75.0 -> "75", 99.5 -> "99.5"."""
    x = float(value)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def _rupiah(value: Any) -> str:
    """1500000000 -> "1.500.000.000" (Indonesian thousands dots)."""
    return f"{float(value):,.0f}".replace(",", ".")


def _is_true(value: Any) -> bool:
    return not _missing(value) and bool(value)


# -- MASTERPLAN -------------------------------------------------------------------------
def check_masterplan(identity: dict[str, Any], programs: pd.DataFrame | None) -> list[Finding]:
    """Period, program years, and the spread of programs and quick wins over dimensions."""
    out: list[Finding] = _Findings()
    rows: dict[str, int] = identity.get("_rows") or {}
    start, end = identity.get("periode_mulai"), identity.get("periode_selesai")
    period_ok = not _missing(start) and not _missing(end)
    if period_ok:
        start, end = int(start), int(end)
        if start > end:
            period_ok = False
            out.append(
                _finding(
                    "PERIOD",
                    "PERIOD_IDENTITY_ORDER",
                    sheet=IDENTITY_SHEET,
                    row=rows.get("periode_mulai"),
                    column="periode_mulai",
                    value=start,
                    start=start,
                    end=end,
                )
            )
        else:
            span = end - start + 1
            if not PERIOD_SPAN_MIN <= span <= PERIOD_SPAN_MAX:
                out.append(
                    _finding(
                        "CONSISTENCY",
                        "CONSISTENCY_PERIOD_SPAN",
                        sheet=IDENTITY_SHEET,
                        row=rows.get("periode_selesai"),
                        column="periode_selesai",
                        value=end,
                        start=start,
                        end=end,
                        span=span,
                    )
                )
    if programs is None:
        return out  # no Program sheet: MISSING_SHEET says so

    for source_row, code, y0, y1 in _rows(programs, "kode_program", "tahun_mulai", "tahun_selesai"):
        if int(y0) > int(y1):
            out.append(
                _finding(
                    "PERIOD",
                    "PERIOD_PROGRAM_ORDER",
                    sheet=PROGRAM_SHEET,
                    row=source_row,
                    column="tahun_selesai",
                    value=int(y1),
                    code=code,
                    start=int(y0),
                    end=int(y1),
                )
            )
    if period_ok:
        for column in ("tahun_mulai", "tahun_selesai"):
            for source_row, code, year in _rows(programs, "kode_program", column):
                if not start <= int(year) <= end:
                    out.append(
                        _finding(
                            "PERIOD",
                            "PERIOD_PROGRAM_OUTSIDE",
                            sheet=PROGRAM_SHEET,
                            row=source_row,
                            column=column,
                            value=int(year),
                            code=code,
                            year=int(year),
                            start=start,
                            end=end,
                        )
                    )

    out.extend(_year_budget_sums(programs))

    if len(programs) == 0:
        out.append(_finding("REQUIRED", "REQUIRED_NO_PROGRAM", sheet=PROGRAM_SHEET, column="kode_program"))
        return out
    quick_wins = programs["quick_win"].map(_is_true) if "quick_win" in programs.columns else None
    if quick_wins is None or not quick_wins.any():
        out.append(_finding("REQUIRED", "REQUIRED_NO_QUICK_WIN", sheet=PROGRAM_SHEET, column="quick_win"))

    dimensions = contract.taxonomy().dimensions
    count: dict[str, int] = dict.fromkeys(dimensions, 0)
    quick: dict[str, list[str]] = {d: [] for d in dimensions}
    # Rows whose dimension could not be read may be the missing program or quick win of any
    # dimension: no knock-on warning from a value already reported as an error.
    unplaced = unplaced_quick = 0
    if "dimensi" in programs.columns:
        codes = (
            programs["kode_program"].tolist()
            if "kode_program" in programs.columns
            else [None] * len(programs)
        )
        flags = quick_wins.tolist() if quick_wins is not None else [False] * len(programs)
        for dim, code, is_quick in zip(programs["dimensi"].tolist(), codes, flags, strict=True):
            if _missing(dim) or dim not in count:
                # already an error of its own (REQUIRED / ENUM): its dimension is unknown
                unplaced += 1
                unplaced_quick += bool(is_quick)
                continue
            count[dim] += 1
            if is_quick:
                quick[dim].append("?" if _missing(code) else str(code).strip())
    for dim in dimensions:
        if count[dim] == 0 and not unplaced:
            out.append(
                _finding(
                    "COVERAGE", "COVERAGE_DIMENSION", sheet=PROGRAM_SHEET, column="dimensi", dimension=dim
                )
            )
    if quick_wins is not None and quick_wins.any():
        # Dimensions without programs already have a COVERAGE warning; a workbook without
        # any quick win already has a REQUIRED error.
        for dim in dimensions:
            n = len(quick[dim])
            if count[dim] and (n > 1 or (n == 0 and not unplaced_quick)):
                listed = ", ".join(quick[dim])
                out.append(
                    _finding(
                        "CONSISTENCY",
                        "CONSISTENCY_QUICK_WIN",
                        sheet=PROGRAM_SHEET,
                        column="quick_win",
                        dimension=dim,
                        count=n,
                        codes_id=f" ({listed})" if listed else "",
                        codes_en=f" ({listed})" if listed else "",
                    )
                )
    return out


def _year_budget_sums(programs: pd.DataFrame) -> Iterator[Finding]:
    """Version 2: the yearly amounts against anggaran_rp when a program has both (1 % apart at most)."""
    for source_row, code, total, planned in _rows(
        programs, "kode_program", "anggaran_tahunan_total", "anggaran_rp"
    ):
        total, planned = float(total), float(planned)
        if abs(total - planned) > contract.YEAR_BUDGET_SUM_TOLERANCE * planned:
            yield _finding(
                "CONSISTENCY",
                "CONSISTENCY_YEAR_BUDGET_SUM",
                sheet=PROGRAM_SHEET,
                row=source_row,
                column="anggaran_rp",
                value=_rupiah(planned),
                code=code,
                total=_rupiah(total),
                planned=_rupiah(planned),
            )


# -- EVALUASI ---------------------------------------------------------------------------
def check_evaluation(
    identity: dict[str, Any],
    realisations: pd.DataFrame | None,
    readiness: pd.DataFrame | None,
    index: pd.DataFrame | None,
    masterplan_programs: pd.DataFrame | None,
) -> list[Finding]:
    """Realisations against the regency's current masterplan, and readiness pillars.

    `masterplan_programs` holds the programs of the regency's current accepted masterplan
    (columns program_code, year_start, year_end, budget_idr and, optionally, year_budgets:
    {year: planned rupiah} from a version-2 masterplan), or is None when the regency
    has none. `index` (the optional Indeks sheet) has no cross rule yet.
    """
    del index  # its rules (range, unique aspects) are the GX suite's
    out: list[Finding] = _Findings()
    year = identity.get("tahun_evaluasi")
    year = None if _missing(year) else int(year)

    plan: dict[str, dict[str, Any]] | None = None
    if masterplan_programs is None:
        out.append(_finding_reference_masterplan())
    else:
        plan = {}
        cols = [
            c
            for c in ("year_start", "year_end", "budget_idr", "year_budgets")
            if c in masterplan_programs.columns
        ]
        for record in masterplan_programs[["program_code", *cols]].to_dict("records"):
            if _missing(record["program_code"]):
                continue
            plan.setdefault(code_key(record["program_code"]), record)

    seen: set[str] = set()
    if realisations is not None:
        for source_row, code in _rows(realisations, "kode_program"):
            key = code_key(code)
            seen.add(key)
            if plan is not None and key not in plan:
                out.append(_finding_reference_program(source_row, code, plan))

        for source_row, code, status, progress in _rows(
            realisations, "kode_program", "status", "progres_persen"
        ):
            expected = {"Selesai": 100.0, "Belum Dimulai": 0.0}.get(status)
            if expected is not None and abs(float(progress) - expected) > 1e-9:
                out.append(
                    _finding(
                        "CONSISTENCY",
                        "CONSISTENCY_STATUS_PROGRESS",
                        sheet=REALISASI_SHEET,
                        row=source_row,
                        column="progres_persen",
                        value=_num(progress),
                        code=code,
                        status=status,
                        progress=_num(progress),
                        expected=f"{_num(expected)}%",
                    )
                )

        if plan:
            for source_row, code, realised in _rows(realisations, "kode_program", "realisasi_anggaran_rp"):
                program = plan.get(code_key(code), {})
                # Version 2: against the year's own amount when the masterplan has one for the year.
                year_budgets = program.get("year_budgets")
                year_planned = (
                    year_budgets.get(year) if isinstance(year_budgets, dict) and year is not None else None
                )
                planned = year_planned if not _missing(year_planned) else program.get("budget_idr")
                if _missing(planned):
                    continue
                if float(realised) > BUDGET_OVERRUN_FACTOR * float(planned):
                    where = {
                        "sheet": REALISASI_SHEET,
                        "row": source_row,
                        "column": "realisasi_anggaran_rp",
                        "value": _rupiah(realised),
                        "code": code,
                        "realised": _rupiah(realised),
                        "planned": _rupiah(planned),
                    }
                    if not _missing(year_planned):
                        overrun = _finding(
                            "CONSISTENCY", "CONSISTENCY_BUDGET_OVERRUN_YEAR", year=year, **where
                        )
                    else:
                        overrun = _finding("CONSISTENCY", "CONSISTENCY_BUDGET_OVERRUN", **where)
                    out.append(overrun)

    if plan and year is not None and realisations is not None:
        running = [
            str(r["program_code"]).strip()
            for key, r in plan.items()
            if key not in seen
            and not _missing(r.get("year_start"))
            and not _missing(r.get("year_end"))
            and int(r["year_start"]) <= year <= int(r["year_end"])
        ]
        if running:
            shown = ", ".join(running[:COVERAGE_LIST_LIMIT])
            if len(running) > COVERAGE_LIST_LIMIT:
                shown += f" … (+{len(running) - COVERAGE_LIST_LIMIT})"
            out.append(
                _finding(
                    "COVERAGE",
                    "COVERAGE_REALISATION",
                    sheet=REALISASI_SHEET,
                    column="kode_program",
                    count=len(running),
                    year=year,
                    codes=shown,
                )
            )

    if readiness is not None:
        present = {p for (_, p) in _rows(readiness, "pilar")}
        for pillar in contract.PILLARS:
            if pillar not in present:
                out.append(
                    _finding(
                        "REQUIRED", "REQUIRED_PILLAR", sheet=KESIAPAN_SHEET, column="pilar", pillar=pillar
                    )
                )
    return out


def _finding_reference_program(source_row: Any, code: Any, plan: dict[str, dict[str, Any]]) -> Finding | None:
    """A realisation of a program the masterplan does not have, with the masterplan's closest code."""
    if not _admitted("REFERENCE", "REFERENCE_PROGRAM", REALISASI_SHEET, int(source_row)):
        return None  # before the search for the closest code, the costly part
    codes = {key.lower(): str(record["program_code"]).strip() for key, record in plan.items()}
    best = closest(str(code), codes)
    return finding(
        "REFERENCE",
        "REFERENCE_PROGRAM",
        sheet=REALISASI_SHEET,
        row=int(source_row),
        column="kode_program",
        value=str(code).strip(),
        suggestion_id=f" Mungkin maksud Anda '{best}'?" if best else "",
        suggestion_en=f" Did you mean '{best}'?" if best else "",
    )


def _finding_reference_masterplan() -> Finding | None:
    if not _admitted("REFERENCE", "REFERENCE_MASTERPLAN", REALISASI_SHEET, None):
        return None
    return finding("REFERENCE", "REFERENCE_MASTERPLAN", sheet=REALISASI_SHEET)
