"""The run's HTML report: one self-contained file (inline CSS and SVG, no external URL).

Indonesian first, English in smaller type beneath. Headline cards, then five charts each
with a compact table — masterplan coverage per regency (per province in a national report),
programs per dimension, implementation progress per year, readiness per pillar, the
evaluation index ranking — then the province scorecard and the submission status.
Every piece of text from the warehouse is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from smartprov.reports import svg
from smartprov.reports.data import (
    MartData,
    ReportData,
    coverage_by_province,
    headline,
    numeric,
    py,
    truthy,
    wib,
    year_column,
)
from smartprov.reports.labels import (
    ACCEPTED_STATUSES,
    BOOL_LABELS,
    PILLAR_ORDER,
    STATUS_LABELS,
    STATUS_LABELS_EN,
)

MAX_RANKED = 40  # bars in the index ranking
MAX_LISTED = 60  # rows in the list of regencies without an accepted submission
OPEN_TABLE_ROWS = 12  # longer tables start folded


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


# -- numbers the Indonesian way: 1.234.567,89 -------------------------------------------------
def fmt_int(v: Any) -> str:
    if v is None or pd.isna(v):
        return "-"
    return f"{round(float(v)):,}".replace(",", ".")


def fmt_dec(v: Any, digits: int = 2) -> str:
    if v is None or pd.isna(v):
        return "-"
    s = f"{float(v):,.{digits}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_pct(v: Any, digits: int = 1) -> str:
    """v on a 0-100 scale."""
    return "-" if v is None or pd.isna(v) else fmt_dec(v, digits) + "%"


def fmt_rp(v: Any) -> str:
    return "-" if v is None or pd.isna(v) else "Rp " + fmt_int(v)


def fmt_rp_short(v: Any) -> str:
    if v is None or pd.isna(v):
        return "-"
    v = float(v)
    for size, unit in ((1e12, "T"), (1e9, "M"), (1e6, "jt")):
        if abs(v) >= size:
            return f"Rp {fmt_dec(v / size, 2)} {unit}"
    return fmt_rp(v)


def fmt_year(v: Any) -> str:
    v = py(v)
    if v is None:
        return "-"
    try:
        return str(int(float(v)))
    except (TypeError, ValueError):
        return str(v)


def fmt_datetime(v: Any) -> str:
    v = py(v)
    if v is None:
        return "-"
    if isinstance(v, dt.datetime):  # marts keep UTC; people read WIB
        return wib(v).strftime("%Y-%m-%d %H:%M WIB")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


# -- building blocks ------------------------------------------------------------------------
def _bi(id_text: str, en_text: str, tag: str = "h2") -> str:
    return f'<{tag}>{_e(id_text)}</{tag}><p class="en">{_e(en_text)}</p>'


def _missing(chart_id: str | None, mart: MartData) -> str:
    attr = f' data-chart="{_e(chart_id)}"' if chart_id else ""
    if mart.frame is None:
        text = f"Data tidak tersedia (no data). {mart.problem or ''}"
    else:
        text = f"Belum ada data di marts.{mart.spec.name} untuk cakupan ini (no rows for this scope yet)."
    return f'<div class="missing"{attr} role="note">{_e(text)}</div>'


def _table(
    headers: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[Any]],
    *,
    numeric_cols: Iterable[int] = (),
    caption: str | None = None,
    fold_after: int = OPEN_TABLE_ROWS,
) -> str:
    """headers: (Indonesian, English) pairs; cells are escaped here."""
    num = set(numeric_cols)
    rows = list(rows)
    head = "".join(
        f'<th{" class=num" if i in num else ""} title="{_e(en)}">{_e(idt)}<span class="en">{_e(en)}</span></th>'
        for i, (idt, en) in enumerate(headers)
    )
    labels = [_e(idt) for idt, _ in headers]
    body = "".join(
        "<tr>"
        + "".join(
            f'<td{" class=num" if i in num else ""} data-label="{labels[i] if i < len(labels) else ""}">'
            f"{_e(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    table = f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    summary = caption or "Tabel"
    state = " open" if len(rows) <= fold_after else ""
    return f"<details{state}><summary>{_e(summary)} ({_e(fmt_int(len(rows)))} baris / rows)</summary>{table}</details>"


def _str(v: Any) -> str:
    v = py(v)
    return "" if v is None else str(v)


# -- sections -------------------------------------------------------------------------------
def _cards(data: ReportData) -> str:
    h = headline(data)
    threshold = data.threshold_pct
    meets = h.meets(threshold)
    national = data.province is None and (h.provinces or 0) > 1
    if meets is None:
        badge = ""
    elif national:
        badge = (
            '<span class="badge good">di atas ambang · above threshold</span>'
            if meets
            else '<span class="badge bad">di bawah ambang · below threshold</span>'
        )
    else:
        badge = (
            '<span class="badge good">memenuhi ambang · meets threshold</span>'
            if meets
            else '<span class="badge bad">belum memenuhi ambang · below threshold</span>'
        )
    cards = [
        ("regencies", "Kabupaten/Kota", "Regencies", fmt_int(h.regencies), "", ""),
        ("with_masterplan", "Dengan masterplan", "With a masterplan", fmt_int(h.with_masterplan), "", ""),
        (
            "coverage",
            "Cakupan masterplan",
            f"Coverage vs {fmt_pct(threshold, 0)} Smart Province threshold",
            fmt_pct(h.coverage_pct),
            f"ambang / threshold {fmt_pct(threshold, 0)}",
            badge,
        ),
        ("quick_wins", "Quick win", "Quick wins", fmt_int(h.quick_wins), "", ""),
        (
            "budget",
            "Total anggaran rencana",
            "Total planned budget",
            fmt_rp_short(h.budget_total_idr),
            fmt_rp(h.budget_total_idr),
            "",
        ),
    ]
    if national:
        cards.append(
            (
                "provinces_meeting",
                "Provinsi memenuhi ambang",
                "Provinces meeting the threshold",
                f"{fmt_int(h.provinces_meeting)} / {fmt_int(h.provinces)}",
                "",
                "",
            )
        )
    out = ['<section class="cards" aria-label="Angka utama / headline figures">']
    for key, idt, en, value, sub, extra in cards:
        out.append(
            f'<div class="card" data-card="{_e(key)}"><div class="label">{_e(idt)}</div>'
            f'<div class="en">{_e(en)}</div><div class="value">{_e(value)}</div>'
            + (f'<div class="sub">{_e(sub)}</div>' if sub else "")
            + extra
            + "</div>"
        )
    out.append("</section>")
    mart = data.mart("province_masterplan_coverage")
    if mart.frame is None:
        out.append(_missing(None, mart))
    return "\n".join(out)


def _coverage(data: ReportData) -> str:
    mart = data.mart("province_masterplan_coverage")
    out = [
        '<section id="cakupan">',
        _bi("Cakupan masterplan per kabupaten/kota", "Masterplan coverage per regency"),
    ]
    if mart.empty:
        out += [_missing("coverage", mart), "</section>"]
        return "\n".join(out)
    frame = mart.frame
    threshold = data.threshold_pct
    per_province = coverage_by_province(frame, threshold)
    if len(per_province) > 1:
        # A national report: 514 bars are unreadable, so one bar per province (its
        # regencies' coverage); the per-regency detail is in the Excel workbook.
        out.append(
            '<p class="note">Satu batang per provinsi: persentase kabupaten/kota yang memiliki masterplan; '
            "rincian per kabupaten/kota ada di lembar Excel “Cakupan Masterplan”. "
            '<span class="en">One bar per province: share of its regencies with a masterplan; '
            "per-regency detail in the Excel workbook.</span></p>"
        )
        rows = [
            svg.HBar(
                label=p["province_name"] or p["province_code"],
                value=p["coverage_pct"],
                color=svg.GOOD if p["meets"] else svg.BAD,
                note=f"({p['with_masterplan']}/{p['regencies']})",
                tooltip=f"{p['province_name']} ({p['province_code']}): {p['with_masterplan']} dari "
                f"{p['regencies']} kab/kota, {fmt_pct(p['coverage_pct'])}",
            )
            for p in per_province
        ]
        out.append(
            svg.horizontal_bars(
                "coverage",
                title="Cakupan masterplan per provinsi (coverage per province)",
                desc=f"Persentase kabupaten/kota dengan masterplan; garis merah = ambang {fmt_pct(threshold, 0)}.",
                rows=rows,
                value_fmt=lambda v: fmt_pct(v, 0),
                x_max=100,
                threshold=threshold,
                threshold_label=f"ambang {fmt_pct(threshold, 0)}",
                legend=[("≥ ambang (meets)", svg.GOOD), ("< ambang (below)", svg.BAD)],
            )
        )
        out.append(
            _table(
                [
                    ("Provinsi", "Province"),
                    ("Kab/Kota", "Regencies"),
                    ("Dengan masterplan", "With masterplan"),
                    ("Cakupan", "Coverage"),
                    ("Memenuhi ambang", "Meets threshold"),
                ],
                (
                    (
                        f"{p['province_name']} ({p['province_code']})",
                        fmt_int(p["regencies"]),
                        fmt_int(p["with_masterplan"]),
                        fmt_pct(p["coverage_pct"]),
                        BOOL_LABELS[bool(p["meets"])],
                    )
                    for p in per_province
                ),
                numeric_cols=(1, 2, 3),
                caption="Tabel cakupan per provinsi (coverage per province)",
            )
        )
    else:
        work = frame.assign(
            _has=frame["has_masterplan"].map(truthy) if "has_masterplan" in frame.columns else False,
            _programs=numeric(frame, "programs").fillna(0),
            _qw=numeric(frame, "quick_wins"),
            _budget=numeric(frame, "budget_total_idr"),
        )
        name_col = "region_name" if "region_name" in work.columns else "region_code"
        work = work.assign(_name=work[name_col].map(_str)).sort_values(
            ["_has", "_programs", "_name"], ascending=[False, False, True], kind="stable"
        )
        rows = []
        for r in work.to_dict("records"):
            code = _str(r.get("region_code"))
            period = (
                f"{fmt_year(r.get('period_start'))}–{fmt_year(r.get('period_end'))}" if r["_has"] else "-"
            )
            rows.append(
                svg.HBar(
                    label=r["_name"] or code,
                    value=float(r["_programs"]),
                    color=svg.GOOD if r["_has"] else svg.MUTED,
                    note="program" if r["_has"] else "program · belum ada masterplan",
                    tooltip=(
                        f"{r['_name']} ({code}): "
                        + (
                            f"masterplan {period}, {fmt_int(r['_programs'])} program, "
                            f"{fmt_int(r['_qw'])} quick win, {fmt_rp(r['_budget'])}"
                            if r["_has"]
                            else "belum ada masterplan (no masterplan)"
                        )
                    ),
                )
            )
        h = headline(data)
        out.append(
            svg.horizontal_bars(
                "coverage-threshold",
                title=f"Cakupan masterplan vs ambang {fmt_pct(threshold, 0)} (coverage against the threshold)",
                desc=f"Persentase kabupaten/kota dengan masterplan; garis = ambang {fmt_pct(threshold, 0)}.",
                rows=[
                    svg.HBar(
                        label=data.province_name or data.scope_id,
                        value=h.coverage_pct,
                        color=svg.GOOD if h.meets(threshold) else svg.BAD,
                        note=f"({fmt_int(h.with_masterplan)}/{fmt_int(h.regencies)})",
                        tooltip=f"{fmt_int(h.with_masterplan)} dari {fmt_int(h.regencies)} kab/kota",
                    )
                ],
                value_fmt=lambda v: fmt_pct(v, 1),
                x_max=100,
                threshold=threshold,
                threshold_label=f"ambang {fmt_pct(threshold, 0)}",
            )
        )
        out.append(_gap(data))
        out.append(
            f'<p class="note">Cakupan {fmt_pct(h.coverage_pct)} ({fmt_int(h.with_masterplan)} dari '
            f"{fmt_int(h.regencies)} kab/kota) — ambang Smart Province {fmt_pct(threshold, 0)}. "
            f'Panjang batang = jumlah program dalam masterplan. <span class="en">Bar length = programs in '
            "the regency's current masterplan; grey = no masterplan yet.</span></p>"
        )
        out.append(
            svg.horizontal_bars(
                "coverage",
                title="Cakupan masterplan per kabupaten/kota (coverage per regency)",
                desc="Jumlah program per kabupaten/kota; abu-abu = belum ada masterplan.",
                rows=rows,
                value_fmt=lambda v: fmt_int(v),
                legend=[("memiliki masterplan (has one)", svg.GOOD), ("belum ada (none)", svg.MUTED)],
            )
        )
        out.append(
            _table(
                [
                    ("Kabupaten/Kota", "Regency"),
                    ("Kode", "Code"),
                    ("Masterplan", "Masterplan"),
                    ("Periode", "Period"),
                    ("Program", "Programs"),
                    ("Quick win", "Quick wins"),
                    ("Anggaran", "Planned budget"),
                    ("Terakhir dikirim", "Last submitted"),
                ],
                (
                    (
                        r["_name"],
                        _str(r.get("region_code")),
                        BOOL_LABELS[bool(r["_has"])],
                        f"{fmt_year(r.get('period_start'))}–{fmt_year(r.get('period_end'))}"
                        if r["_has"]
                        else "-",
                        fmt_int(r["_programs"]),
                        fmt_int(r["_qw"]),
                        fmt_rp(r["_budget"]),
                        fmt_datetime(r.get("last_submitted_at")),
                    )
                    for r in work.to_dict("records")
                ),
                numeric_cols=(4, 5, 6),
                caption="Tabel cakupan per kabupaten/kota (coverage per regency)",
            )
        )
    out.append("</section>")
    return "\n".join(out)


def _gap(data: ReportData) -> str:
    """The regencies that would close the gap to the threshold, closest first (province_threshold_path)."""
    mart = data.mart("province_threshold_path")
    if mart.empty:
        return ""
    f = mart.frame
    needed = int(numeric(f, "regencies_needed").fillna(0).max())
    if needed <= 0:
        return '<p class="note" data-gap="0">Ambang sudah terpenuhi. <span class="en">The threshold is met.</span></p>'
    order = numeric(f, "closeness_rank").fillna(1e9)
    # Every regency without a masterplan, closest first: those with a rejected file of their
    # own, then the others (nothing of their own yet, e.g. only a misfiled file).
    shown = f.assign(_order=order).sort_values("_order", kind="stable")
    intro = (
        f'<p class="note" data-gap="{needed}">Kurang {fmt_int(needed)} kabupaten/kota untuk mencapai ambang. '
        f"Semua {fmt_int(len(shown))} kabupaten/kota tanpa masterplan, yang paling dekat dahulu (berkas "
        "masterplan ditolak dengan kesalahan paling sedikit): "
        f'<span class="en">{fmt_int(needed)} more regencies needed. All {fmt_int(len(shown))} regencies '
        "without a masterplan, closest first (rejected masterplans with the fewest errors):</span></p>"
    )
    if shown.empty:
        return intro
    return intro + _table(
        [
            ("Kabupaten/Kota", "Regency"),
            ("Kode", "Code"),
            ("Kesalahan", "Errors"),
            ("Kesalahan pertama", "First error"),
            ("Kontak", "Contact"),
        ],
        (
            (
                _str(r.get("region_name")),
                _str(r.get("region_code")),
                fmt_int(num_or_none(r.get("latest_rejected_errors"))),
                _gap_reason(r),
                _str(r.get("contact_email")),
            )
            for r in shown.to_dict("records")
        ),
        numeric_cols=(2,),
        caption="Yang dapat menutup kekurangan (regencies that would close the gap)",
        fold_after=20,
    )


def _gap_reason(r: dict[str, Any]) -> str:
    """The first error of the regency's own rejected file, else why there is none."""
    if truthy(r.get("has_rejected_file")):
        return _str(r.get("first_error_message"))
    claimed = _str(r.get("misfiled_claimed_region_code"))
    if claimed:
        return (
            f"Belum ada berkas sendiri; berkas di foldernya mengaku wilayah {claimed} (salah folder) "
            f"(no file of its own; the file in its folder claims {claimed}: misfiled)"
        )
    return "Belum mengirim masterplan (no masterplan sent yet)"


def _dimensions(data: ReportData) -> str:
    mart = data.mart("province_dimension_portfolio")
    out = ['<section id="dimensi">', _bi("Program per dimensi", "Programs per dimension")]
    if mart.empty or "dimension" not in mart.frame.columns:
        out += [_missing("dimensions", mart), "</section>"]
        return "\n".join(out)
    f = mart.frame
    work = pd.DataFrame(
        {
            "dimension": f["dimension"].map(_str),
            "order": numeric(f, "dimension_order").fillna(99),
            "programs": numeric(f, "programs").fillna(0),
            "quick_wins": numeric(f, "quick_wins").fillna(0),
            "budget": numeric(f, "budget_total_idr").fillna(0),
            "region": f["region_code"].map(_str) if "region_code" in f.columns else "",
        }
    )
    regencies_with = work[work["programs"] > 0].groupby("dimension")["region"].nunique()
    grouped = (
        work.groupby("dimension", sort=False)
        .agg(
            order=("order", "min"),
            programs=("programs", "sum"),
            quick_wins=("quick_wins", "sum"),
            budget=("budget", "sum"),
        )
        .reset_index()
        .sort_values(["order", "dimension"], kind="stable")
    )
    cats = grouped["dimension"].tolist()
    out.append(
        svg.grouped_bars(
            "dimensions",
            title="Program dan quick win per dimensi (programs and quick wins per dimension)",
            desc="Jumlah program masterplan terkini per dimensi Smart City, seluruh kabupaten/kota dalam cakupan.",
            categories=[c.replace("Smart ", "") for c in cats],
            series=[
                svg.Series("Program (programs)", grouped["programs"].tolist(), svg.PALETTE[0]),
                svg.Series("Quick win", grouped["quick_wins"].tolist(), svg.PALETTE[2]),
            ],
            value_fmt=fmt_int,
            y_label="program",
        )
    )
    out.append(
        _table(
            [
                ("Dimensi", "Dimension"),
                ("Program", "Programs"),
                ("Quick win", "Quick wins"),
                ("Kab/Kota berprogram", "Regencies with programs"),
                ("Anggaran rencana", "Planned budget"),
            ],
            (
                (
                    r["dimension"],
                    fmt_int(r["programs"]),
                    fmt_int(r["quick_wins"]),
                    fmt_int(regencies_with.get(r["dimension"], 0)),
                    fmt_rp(r["budget"]),
                )
                for r in grouped.to_dict("records")
            ),
            numeric_cols=(1, 2, 3, 4),
            caption="Tabel per dimensi (per dimension)",
        )
    )
    out.append("</section>")
    return "\n".join(out)


def _progress(data: ReportData) -> str:
    mart = data.mart("province_implementation_progress")
    out = [
        '<section id="progres">',
        _bi("Progres implementasi per tahun", "Implementation progress per year"),
    ]
    ycol = None if mart.frame is None else year_column(mart.frame)
    if mart.empty or ycol is None:
        out += [_missing("progress", mart), "</section>"]
        return "\n".join(out)
    f = mart.frame
    work = pd.DataFrame(
        {
            "year": f[ycol].map(fmt_year),
            "dimension": f["dimension"].map(_str) if "dimension" in f.columns else "",
            "order": numeric(f, "dimension_order").fillna(99),
            "planned": numeric(f, "programs_planned").fillna(0),
            "reported": numeric(f, "programs_reported").fillna(0),
            "done": numeric(f, "programs_done").fillna(0),
            "delayed": numeric(f, "programs_delayed").fillna(0),
            "cancelled": numeric(f, "programs_cancelled").fillna(0),
            "progress": numeric(f, "avg_progress_pct"),
            "budget_planned": numeric(f, "budget_planned_idr"),
            "budget_realized": numeric(f, "budget_realized_idr"),
            "budget_realized_planned": numeric(f, "budget_realized_planned_idr"),
            "region": f["region_code"].map(_str) if "region_code" in f.columns else "",
            "has_evaluation": f["has_evaluation"].map(truthy) if "has_evaluation" in f.columns else False,
            "with_year_budget": (
                numeric(f, "programs_with_year_budget")
                if "programs_with_year_budget" in f.columns
                else numeric(f, "budget_planned_idr").notna().astype(float)
            ),
        }
    )
    # Means over reported programs: each regency-dimension mean weighs by its reported rows.
    work["weighted"] = work["progress"] * work["reported"]
    work["weight"] = work["reported"].where(work["progress"].notna(), 0)
    all_years = sorted(work["year"].unique(), key=lambda y: (len(y), y))
    # Empty years are left out: the chart shows years with a report, the table years with a
    # plan or a report.
    reported_years = [y for y in all_years if work.loc[work["year"] == y, "weight"].sum() > 0]
    # Years before the first evaluated one hold plans nobody reported on: left out of the table too.
    first_reported = reported_years[0] if reported_years else None
    table_years = [
        y
        for y in all_years
        if work.loc[work["year"] == y, "reported"].sum() > 0
        or (
            work.loc[work["year"] == y, "planned"].sum() > 0
            and (first_reported is None or (len(y), y) > (len(first_reported), first_reported))
        )
    ]
    dims = (
        work.groupby("dimension")["order"]
        .min()
        .reset_index()
        .sort_values(["order", "dimension"])["dimension"]
        .tolist()
    )
    by = work.groupby(["year", "dimension"]).agg(w=("weighted", "sum"), n=("weight", "sum"))
    series = []
    for i, d in enumerate(dims):
        vals = []
        for y in reported_years:
            if (y, d) in by.index and by.loc[(y, d), "n"] > 0:
                vals.append(float(by.loc[(y, d), "w"] / by.loc[(y, d), "n"]))
            else:
                vals.append(None)
        series.append(svg.Series(d.replace("Smart ", ""), vals, svg.PALETTE[i % len(svg.PALETTE)]))
    out.append(
        '<p class="note">Rata-rata progres <em>program</em> yang dilaporkan dalam evaluasi tahun itu, per '
        "dimensi (tertimbang jumlah program; berbeda dengan rata-rata progres <em>kab/kota</em> di ringkasan "
        'provinsi). <span class="en">Mean reported progress of programs in the year\'s evaluation, per '
        "dimension, weighted by reported programs (the province scorecard's figure is a mean over "
        "regencies instead).</span></p>"
    )
    if reported_years:
        out.append(
            svg.grouped_bars(
                "progress",
                title="Rata-rata progres program per tahun dan dimensi (mean program progress per year and dimension)",
                desc="Persentase progres rata-rata program yang dilaporkan, per tahun, per dimensi.",
                categories=reported_years,
                series=series,
                value_fmt=lambda v: fmt_pct(v, 0),
                y_max=100,
                y_label="progres %",
            )
        )
    else:
        out.append(
            '<div class="missing" data-chart="progress" role="note">Belum ada evaluasi yang melaporkan progres '
            "(no evaluation has reported progress yet).</div>"
        )
    rows = []
    for y in table_years:
        g = work[work["year"] == y]
        n = g["weight"].sum()
        avg = g["weighted"].sum() / n if n > 0 else None
        # The ratio's population: the regencies that reported on the year (an accepted
        # evaluation); the plan of those that did not is not in its denominator.
        with_plan = g[g["planned"] > 0]
        regencies_planned = set(with_plan["region"])
        reporters = set(g.loc[g["has_evaluation"], "region"])
        regencies_reporting = len(reporters & regencies_planned) if regencies_planned else len(reporters)
        # no money per year (template version 1): marked, never counted as a zero plan
        per_region_budgeted = with_plan.groupby("region")["with_year_budget"].sum()
        without_year_money = int((per_region_budgeted.fillna(0) <= 0).sum())
        reported = g[g["has_evaluation"]]
        planned = reported["budget_planned"].sum() if reported["budget_planned"].notna().any() else None
        realized = g["budget_realized"].sum() if g["budget_realized"].notna().any() else None
        realized_planned = (
            g["budget_realized_planned"].sum() if g["budget_realized_planned"].notna().any() else None
        )
        # the ratio of the two columns beside it, over the reporting regencies' planned programs
        ratio = (
            100.0 * realized_planned / planned
            if realized_planned is not None and planned is not None and planned > 0
            else None
        )
        rows.append(
            (
                y,
                fmt_int(g["planned"].sum()),
                fmt_int(g["reported"].sum()),
                fmt_int(g["done"].sum()),
                fmt_int(g["delayed"].sum()),
                fmt_int(g["cancelled"].sum()),
                fmt_pct(avg),
                fmt_rp(planned),
                fmt_rp(realized_planned),
                fmt_pct(ratio),
                f"{fmt_int(regencies_reporting)} dari {fmt_int(len(regencies_planned))} kabupaten/kota melapor",
                fmt_rp(realized),
                fmt_int(without_year_money),
            )
        )
    out.append(
        _table(
            [
                ("Tahun", "Year"),
                ("Direncanakan", "Planned"),
                ("Dilaporkan", "Reported"),
                ("Selesai", "Done"),
                ("Tertunda", "Delayed"),
                ("Dibatalkan", "Cancelled"),
                ("Rata-rata progres program", "Mean program progress"),
                (
                    "Anggaran rencana tahun itu, kab/kota yang melapor*",
                    "The year's plan of the reporting regencies*",
                ),
                ("Realisasi program beranggaran*", "Realised by programs with a plan*"),
                ("Rasio realisasi*", "Realization ratio*"),
                ("Populasi rasio", "Ratio's population (regencies reporting)"),
                ("Realisasi total", "Realised, all programs"),
                (
                    "Kab/kota tanpa anggaran per tahun (versi 1)",
                    "Regencies without money per year (version 1)",
                ),
            ],
            rows,
            numeric_cols=(1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12),
            caption="Tabel per tahun (per year)",
        )
    )
    out.append(
        '<p class="note small">* Anggaran per tahun (anggaran_&lt;tahun&gt;, template versi 2) dari '
        "kabupaten/kota yang mengirim evaluasi tahun itu (diterima); rasio = realisasi program yang punya "
        "anggaran tahun itu ÷ anggaran tahun itu, atas kabupaten/kota yang melapor saja (kolom Populasi "
        "rasio: n dari m kabupaten/kota dengan program tahun itu). Masterplan versi 1 tidak memiliki "
        "anggaran per tahun: tidak dihitung, dan jumlahnya ditandai di kolom terakhir. "
        '<span class="en">* Money per year (template version 2) of the regencies that sent an accepted '
        "evaluation for the year; ratio = realised by the programs that have a plan for the year ÷ that "
        "plan, over the reporting regencies only (Ratio's population: n of m regencies with programs that "
        "year). Version-1 masterplans have no money per year: left out, and counted in the last "
        "column.</span></p>"
    )
    out.append(_quick_wins(data))
    out.append(_funding(data))
    out.append("</section>")
    return "\n".join(out)


def _quick_wins(data: ReportData) -> str:
    mart = data.mart("province_quick_wins")
    if mart.empty:
        return ""
    f = mart.frame
    return '<h3 id="quick-win">Quick win</h3>' + _table(
        [
            ("Kabupaten/Kota", "Regency"),
            ("Kode", "Code"),
            ("Program", "Program"),
            ("Dimensi", "Dimension"),
            ("OPD utama", "Lead agency"),
            ("Anggaran", "Budget"),
            ("Status terakhir", "Latest status"),
            ("Progres", "Progress"),
            ("Per tahun", "Per year"),
        ],
        (
            (
                _str(r.get("region_name")),
                _str(r.get("program_code")),
                _str(r.get("program_name")),
                _str(r.get("dimension")).replace("Smart ", ""),
                _str(r.get("lead_agency")),
                fmt_rp(num_or_none(r.get("budget_planned_idr"))),
                _str(r.get("latest_status")) or "-",
                fmt_pct(num_or_none(r.get("latest_progress_pct")), 0),
                _str(r.get("progress_by_year")),
            )
            for r in f.to_dict("records")
        ),
        numeric_cols=(5, 7),
        caption="Program quick win dan progresnya (quick-win programs and their progress)",
        fold_after=0,
    )


def _funding(data: ReportData) -> str:
    mart = data.mart("province_funding_sources")
    if mart.empty or "funding_source" not in mart.frame.columns:
        return ""
    f = mart.frame
    work = pd.DataFrame(
        {
            "year": f[year_column(f) or "year"].map(fmt_year),
            "source": f["funding_source"].map(_str),
            "order": numeric(f, "funding_source_order").fillna(99),
            "programs": numeric(f, "programs").fillna(0),
            "without": numeric(f, "programs_without_year_budget").fillna(0),
            "money": numeric(f, "budget_planned_idr"),
        }
    )
    grouped = (
        work.groupby(["year", "source"])
        .agg(
            order=("order", "min"),
            programs=("programs", "sum"),
            without=("without", "sum"),
            money=("money", lambda m: m.sum() if m.notna().any() else None),
        )
        .reset_index()
    )
    grouped = grouped.assign(_y=grouped["year"].map(lambda y: (len(y), y))).sort_values(["_y", "order"])
    return '<h3 id="sumber-dana">Sumber dana</h3>' + _table(
        [
            ("Tahun", "Year"),
            ("Sumber dana", "Funding source"),
            ("Program", "Programs"),
            ("Tanpa anggaran tahun itu", "Without the year's amount"),
            ("Anggaran rencana", "Planned"),
        ],
        (
            (
                r["year"],
                r["source"],
                fmt_int(r["programs"]),
                fmt_int(r["without"]),
                fmt_rp(num_or_none(r["money"])),
            )
            for r in grouped.to_dict("records")
        ),
        numeric_cols=(2, 3, 4),
        caption="Anggaran per sumber dana (program bersumber ganda dibagi rata) — planned money per source "
        "(a program with several sources is split evenly)",
        fold_after=0,
    )


def _readiness(data: ReportData) -> str:
    mart = data.mart("province_readiness")
    out = ['<section id="kesiapan">', _bi("Kesiapan per pilar", "Readiness per pillar")]
    ycol = None if mart.frame is None else year_column(mart.frame)
    if mart.empty or ycol is None or "pillar" not in mart.frame.columns:
        out += [_missing("readiness", mart), "</section>"]
        return "\n".join(out)
    f = mart.frame
    work = pd.DataFrame(
        {
            "year": f[ycol].map(fmt_year),
            "pillar": f["pillar"].map(_str),
            "score": numeric(f, "avg_score"),
            "region": f["region_code"].map(_str) if "region_code" in f.columns else "",
        }
    )
    years = sorted(work["year"].unique(), key=lambda y: (len(y), y))
    pillars = sorted(work["pillar"].unique(), key=lambda p: (PILLAR_ORDER.get(p, 99), p))
    # Each regency weighs the same: the mean of the regencies' pillar scores.
    by = work.groupby(["pillar", "year"]).agg(score=("score", "mean"), regencies=("region", "nunique"))
    series = []
    for i, y in enumerate(years):
        vals = [
            (
                float(by.loc[(p, y), "score"])
                if (p, y) in by.index and pd.notna(by.loc[(p, y), "score"])
                else None
            )
            for p in pillars
        ]
        series.append(svg.Series(f"Tahun {y}", vals, svg.PALETTE[(i + 3) % len(svg.PALETTE)]))
    out.append(
        svg.grouped_bars(
            "readiness",
            title="Skor kesiapan rata-rata per pilar (average readiness score per pillar)",
            desc="Rata-rata skor kematangan (1–5) kabupaten/kota per pilar, per tahun evaluasi.",
            categories=pillars,
            series=series,
            value_fmt=lambda v: fmt_dec(v, 2),
            tick_fmt=lambda v: fmt_dec(v, 0),
            y_max=5,
            y_label="skor 1–5",
        )
    )
    out.append(
        _table(
            [
                ("Pilar", "Pillar"),
                ("Tahun", "Year"),
                ("Skor rata-rata", "Average score"),
                ("Kab/Kota", "Regencies"),
            ],
            (
                (p, y, fmt_dec(by.loc[(p, y), "score"]), fmt_int(by.loc[(p, y), "regencies"]))
                for p in pillars
                for y in years
                if (p, y) in by.index
            ),
            numeric_cols=(2, 3),
            caption="Tabel kesiapan (readiness)",
        )
    )
    out.append("</section>")
    return "\n".join(out)


def _index(data: ReportData) -> str:
    mart = data.mart("province_evaluation_index")
    out = ['<section id="indeks">', _bi("Peringkat indeks evaluasi", "Evaluation index ranking")]
    ycol = None if mart.frame is None else year_column(mart.frame)
    if mart.empty or ycol is None or "aspect" not in mart.frame.columns:
        out += [_missing("index", mart), "</section>"]
        return "\n".join(out)
    f = mart.frame
    total = f[f["aspect"].map(_str) == "Total"]
    if total.empty:
        out += [
            '<div class="missing" data-chart="index" role="note">Belum ada indeks Total '
            "(no Total index reported yet).</div>",
            "</section>",
        ]
        return "\n".join(out)
    work = pd.DataFrame(
        {
            "year": total[ycol].map(fmt_year),
            "region": total["region_name"].map(_str) if "region_name" in total.columns else "",
            "code": total["region_code"].map(_str) if "region_code" in total.columns else "",
            "province": total["province_name"].map(_str) if "province_name" in total.columns else "",
            "score": numeric(total, "score"),
            "rank": numeric(total, "rank_in_province"),
        }
    )
    latest = max(work["year"].unique(), key=lambda y: (len(y), y))
    ranked = work[work["year"] == latest].sort_values(
        ["score", "region"], ascending=[False, True], kind="stable"
    )
    multi_province = ranked["province"].nunique() > 1
    # Rank among the rows shown: the province's own rank, or (national) by score, ties shared.
    if multi_province:
        ranked = ranked.assign(pos=ranked["score"].rank(method="min", ascending=False))
    else:
        ranked = ranked.assign(pos=ranked["rank"].fillna(ranked["score"].rank(method="min", ascending=False)))
    shown = ranked.head(MAX_RANKED)
    rows = [
        svg.HBar(
            label=(f"{r['region']} · {r['province']}" if multi_province else r["region"]) or r["code"],
            value=None if pd.isna(r["score"]) else float(r["score"]),
            prefix=f"{fmt_int(r['pos'])}.",
            color=svg.PALETTE[0],
            tooltip=f"{r['region']} ({r['code']}), {r['province']}: indeks {fmt_dec(r['score'])}"
            + (f", peringkat provinsi {fmt_int(r['rank'])}" if pd.notna(r["rank"]) else ""),
        )
        for r in shown.to_dict("records")
    ]
    note = f"Tahun evaluasi {latest}. "
    if len(ranked) > len(shown):
        note += f"Menampilkan {len(shown)} teratas dari {len(ranked)}. "
    note_en = f"Evaluation year {latest}; Total index 0–5" + (
        ", ranked nationally by score (rank_in_province is in the table)." if multi_province else "."
    )
    out.append(f'<p class="note">{_e(note)}<span class="en">{_e(note_en)}</span></p>')
    out.append(
        svg.horizontal_bars(
            "index",
            title=f"Peringkat indeks evaluasi {latest} (evaluation index ranking)",
            desc="Indeks Total (0–5) per kabupaten/kota, diurutkan dari tertinggi.",
            rows=rows,
            value_fmt=lambda v: fmt_dec(v, 2),
            tick_fmt=lambda v: fmt_dec(v, 2).rstrip("0").rstrip(","),
            x_max=5,
            label_w=300 if multi_province else 250,
        )
    )
    # Every year: how many regencies filled the Indeks sheet (any aspect), of those evaluated.
    all_rows = pd.DataFrame(
        {
            "year": f[ycol].map(fmt_year),
            "code": f["region_code"].map(_str) if "region_code" in f.columns else "",
        }
    )
    filled = all_rows.groupby("year")["code"].nunique()
    evaluated = _evaluated_per_year(data)
    year_rows = []
    for y in sorted(filled.index, key=lambda y: (-len(y), y), reverse=True):
        g = work[work["year"] == y]
        best = g.sort_values(["score", "region"], ascending=[False, True]).head(1)
        year_rows.append(
            (
                y,
                fmt_int(filled[y]),
                fmt_int(evaluated.get(y)),
                fmt_dec(g["score"].mean() if g["score"].notna().any() else None),
                (best["region"].iloc[0] if not best.empty else "-"),
            )
        )
    out.append(
        _table(
            [
                ("Tahun", "Year"),
                ("Mengisi lembar Indeks", "Filled the Indeks sheet"),
                ("Dievaluasi", "Evaluated"),
                ("Rata-rata indeks Total", "Mean Total index"),
                ("Tertinggi", "Highest"),
            ],
            year_rows,
            numeric_cols=(1, 2, 3),
            caption="Indeks per tahun (index per year)",
        )
    )
    every = work.assign(
        pos=work.groupby("year")["score"].rank(method="min", ascending=False),
        _y=work["year"].map(lambda y: (len(y), y)),
    ).sort_values(["_y", "score", "region"], ascending=[False, False, True], kind="stable")
    out.append(
        _table(
            [
                ("Tahun", "Year"),
                ("Peringkat", "Rank"),
                ("Kabupaten/Kota", "Regency"),
                ("Kode", "Code"),
                ("Provinsi", "Province"),
                ("Indeks", "Index"),
                ("Peringkat di provinsi", "Rank in province"),
            ],
            (
                (
                    r["year"],
                    fmt_int(r["pos"] if not multi_province or r["year"] != latest else r["pos"]),
                    r["region"],
                    r["code"],
                    r["province"],
                    fmt_dec(r["score"]),
                    fmt_int(r["rank"]),
                )
                for r in every.to_dict("records")
            ),
            numeric_cols=(1, 5, 6),
            caption="Tabel peringkat, semua tahun (ranking, every year)",
        )
    )
    out.append("</section>")
    return "\n".join(out)


def _evaluated_per_year(data: ReportData) -> dict[str, float]:
    """Regencies with a current evaluation per year (province scorecard), summed over provinces."""
    mart = data.mart("province_scorecard")
    if mart.empty or "regencies_evaluated" not in mart.frame.columns:
        return {}
    f = mart.frame
    ycol = year_column(f)
    if ycol is None:
        return {}
    years = f[ycol].map(fmt_year)
    return numeric(f, "regencies_evaluated").fillna(0).groupby(years).sum().to_dict()


def _scorecard(data: ReportData) -> str:
    mart = data.mart("province_scorecard")
    out = [
        '<section id="ringkasan-provinsi">',
        _bi("Ringkasan provinsi per tahun", "Province scorecard per year"),
    ]
    ycol = None if mart.frame is None else year_column(mart.frame)
    if mart.empty or ycol is None:
        out += [_missing(None, mart), "</section>"]
        return "\n".join(out)
    f = mart.frame.assign(_year=mart.frame[ycol].map(fmt_year))
    if "province_code" in f.columns and f["province_code"].nunique() > 1:
        latest = max(f["_year"].unique(), key=lambda y: (len(y), y))
        f = f[f["_year"] == latest]
        out.append(f'<p class="note">{_e(f"Tahun {latest}, semua provinsi (all provinces).")}</p>')

    rows = [
        (
            r["_year"],
            _str(r.get("province_name")),
            fmt_int(num_or_none(r.get("regencies_total"))),
            fmt_int(num_or_none(r.get("regencies_with_masterplan"))),
            fmt_pct(num_or_none(r.get("masterplan_coverage_pct")), 2),
            BOOL_LABELS[truthy(r.get("meets_smart_province_threshold"))],
            fmt_int(num_or_none(r.get("regencies_evaluated"))),
            fmt_pct(num_or_none(r.get("avg_progress_pct")), 2),
            fmt_dec(num_or_none(r.get("avg_readiness"))),
            fmt_dec(num_or_none(r.get("avg_index"))),
        )
        for r in f.to_dict("records")
    ]
    out.append(
        _table(
            [
                ("Tahun", "Year"),
                ("Provinsi", "Province"),
                ("Kab/Kota", "Regencies"),
                ("Dengan masterplan", "With masterplan"),
                ("Cakupan", "Coverage"),
                (f"≥ {fmt_pct(data.threshold_pct, 0)}", "Meets threshold"),
                ("Dievaluasi", "Evaluated"),
                ("Rata-rata progres kab/kota", "Mean regency progress"),
                ("Kesiapan", "Avg readiness"),
                ("Indeks", "Avg index"),
            ],
            rows,
            numeric_cols=(2, 3, 4, 6, 7, 8, 9),
            caption="Ringkasan provinsi (scorecard)",
            fold_after=40,
        )
    )
    out.append(
        '<p class="note small">Cakupan di sini dihitung pada akhir tiap tahun (point-in-time). '
        '<span class="en">Coverage here is point-in-time at each year\'s end.</span></p>'
    )
    out.append("</section>")
    return "\n".join(out)


def num_or_none(v: Any) -> float | None:
    v = py(v)
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def _status(data: ReportData) -> str:
    mart = data.mart("province_submission_status")
    out = ['<section id="status">', _bi("Status pengiriman", "Submission status")]
    if mart.empty or "status" not in mart.frame.columns:
        out += [_missing(None, mart), "</section>"]
        return "\n".join(out)
    f = mart.frame
    kind = f["kind"].map(_str) if "kind" in f.columns else pd.Series([""] * len(f), index=f.index)
    period = f["period"].map(_str) if "period" in f.columns else pd.Series([""] * len(f), index=f.index)
    status = f["status"].map(_str)
    work = pd.DataFrame({"kind": kind, "period": period, "status": status})
    counts = work.groupby(["kind", "period", "status"]).size()
    keys = sorted({(k, p) for k, p, _ in counts.index}, key=lambda kp: (kp[0] != "MASTERPLAN", kp[0], kp[1]))
    shown = [s for s in STATUS_ORDER if s in set(status)] or ["missing"]
    rows = []
    for k, p in keys:
        c = {st: int(counts.get((k, p, st), 0)) for st in shown}
        total = sum(int(v) for (kk, pp, _), v in counts.items() if kk == k and pp == p)
        rows.append((k, p, *(fmt_int(c[st]) for st in shown), fmt_int(total)))
    out.append(
        _table(
            [
                ("Jenis", "Kind"),
                ("Periode", "Period"),
                *((STATUS_LABELS.get(st, st).capitalize(), STATUS_LABELS_EN.get(st, st)) for st in shown),
                ("Total", "Total"),
            ],
            rows,
            numeric_cols=range(2, 3 + len(shown)),
            caption="Rekap status (status counts)",
        )
    )
    pending = f[~status.isin(ACCEPTED_STATUSES | {"not_applicable"})]
    if not pending.empty:
        listed = pending.head(MAX_LISTED)
        more = len(pending) - len(listed)
        out.append(
            _table(
                [
                    ("Kabupaten/Kota", "Regency"),
                    ("Kode", "Code"),
                    ("Jenis", "Kind"),
                    ("Periode", "Period"),
                    ("Status", "Status"),
                    ("Hari terlambat", "Days late"),
                    ("Terakhir masuk", "Last received"),
                    ("Kesalahan", "Errors"),
                    ("Keterangan", "Note"),
                ],
                (
                    (
                        _str(r.get("region_name")),
                        _str(r.get("region_code")),
                        _str(r.get("kind")),
                        _str(r.get("period")),
                        STATUS_LABELS.get(_str(r.get("status")), _str(r.get("status"))),
                        fmt_int(num_or_none(r.get("days_late"))),
                        fmt_datetime(r.get("last_received_at")),
                        fmt_int(num_or_none(r.get("errors"))),
                        _status_note(r),
                    )
                    for r in listed.to_dict("records")
                ),
                numeric_cols=(5, 7),
                caption="Belum diterima (not accepted yet)"
                + (f" — {MAX_LISTED} pertama, {more} lainnya di Excel" if more > 0 else ""),
                fold_after=0,
            )
        )
    late = f[status == "late"]
    if not late.empty:
        out.append(
            f'<p class="note">{_e(fmt_int(len(late)))} kiriman diterima setelah tenggat (waktu unggah). '
            '<span class="en">submissions accepted but uploaded after their due date.</span></p>'
        )
    out.append("</section>")
    return "\n".join(out)


STATUS_ORDER = ("on_time", "late", "accepted", "rejected", "misfiled", "missing", "not_applicable")


def _status_note(r: dict[str, Any]) -> str:
    if _str(r.get("status")) == "misfiled":
        return (
            f"berkas di folder {_str(r.get('misfiled_folder'))} mengaku wilayah "
            f"{_str(r.get('misfiled_claimed_region_code'))} (file claims another region)"
        )
    unreadable = num_or_none(r.get("unreadable_files"))
    if unreadable:
        return f"{fmt_int(unreadable)} berkas tak terbaca (unreadable files)"
    return ""


CSS = """
:root{--ink:#1d2733;--muted:#5f6b7a;--line:#dfe3e8;--brand:#1f4e79;--good:#2e7d32;--bad:#b26a00}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
background:#f5f7fa;line-height:1.45}
header{background:var(--brand);color:#fff;padding:20px 28px}
header h1{margin:0 0 2px;font-size:1.6rem}
header p.en{color:#d6e4f0;margin:0}
header .meta{margin-top:8px;font-size:.85rem;color:#d6e4f0}
main{max-width:1100px;margin:0 auto;padding:18px 20px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{margin:0;font-size:1.2rem;color:var(--brand)}
p.en,span.en{color:var(--muted);font-size:.85em}
p.en{margin:0 0 10px}
th span.en{display:block;font-weight:normal;font-size:.75em}
.note{font-size:.9rem}.small{font-size:.8rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;background:none;border:0;padding:0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .label{font-weight:600}.card .en{font-size:.78rem;color:var(--muted)}
.card .value{font-size:1.7rem;font-weight:700;margin-top:4px;color:var(--brand)}
.card .sub{font-size:.8rem;color:var(--muted)}
.badge{display:inline-block;margin-top:6px;padding:2px 8px;border-radius:10px;font-size:.75rem;color:#fff}
.badge.good{background:var(--good)}.badge.bad{background:var(--bad)}
.missing{padding:14px;border:1px dashed #c62828;border-radius:6px;color:#8e1c1c;background:#fff6f6}
svg{display:block;margin:8px 0;height:auto}
details{margin-top:8px}summary{cursor:pointer;color:var(--brand);font-size:.9rem}
.tablewrap{overflow-x:auto;max-height:520px;overflow-y:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin-top:6px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3f8;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin-top:8px}
nav a{color:#fff;font-size:.85rem;white-space:nowrap}
.chart{max-width:100%;overflow-x:auto;overflow-y:hidden}
footer{color:var(--muted);font-size:.8rem;text-align:center;padding:10px 20px 30px}
h3{margin:18px 0 0;font-size:1rem;color:var(--brand)}
footer .run{display:block;margin-top:4px}
@media (max-width:640px){
header{padding:14px 14px}header h1{font-size:1.25rem}main{padding:10px 8px 30px}
section{padding:12px 10px}svg{width:100%}
.chart svg{min-width:calc(var(--chart-w) * .9)}
nav a{padding:4px 0}
.tablewrap{max-height:none;overflow:visible}
table,thead,tbody,tr,td{display:block;width:100%}
thead{position:absolute;left:-9999px;top:-9999px}
tr{border:1px solid var(--line);border-radius:6px;margin:0 0 8px;padding:4px 8px;background:#fff}
td{border:0;padding:2px 0;display:grid;grid-template-columns:44% 1fr;gap:8px;text-align:left;
overflow-wrap:anywhere}
td.num{text-align:left;white-space:normal}
td::before{content:attr(data-label);font-weight:600;color:var(--muted)}
}
@media print{body{background:#fff}section{break-inside:avoid;border:0}details{display:block}
.tablewrap{max-height:none;overflow:visible}header{color:#000;background:#fff}header p.en,header .meta{color:#444}
nav{display:none}}
"""

SECTIONS: tuple[Callable[[ReportData], str], ...] = (
    _coverage,
    _dimensions,
    _progress,
    _readiness,
    _index,
    _scorecard,
    _status,
)


def render_html(data: ReportData) -> str:
    title = f"Laporan Smart Province — {data.scope_id}"
    meta = (
        f"Dibuat (WIB) {wib(data.generated_at):%Y-%m-%d %H:%M} WIB · "
        f"Ambang Smart Province (threshold) {fmt_pct(data.threshold_pct, 0)}"
    )
    nav = "".join(
        f'<a href="#{anchor}">{_e(label)}</a>'
        for anchor, label in (
            ("cakupan", "Cakupan"),
            ("dimensi", "Dimensi"),
            ("progres", "Progres"),
            ("kesiapan", "Kesiapan"),
            ("indeks", "Indeks"),
            ("ringkasan-provinsi", "Ringkasan"),
            ("status", "Status"),
        )
    )
    body = [_cards(data)] + [section(data) for section in SECTIONS]
    sources = ", ".join(f"marts.{m.spec.name}" for m in data.marts.values())
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="smartprov">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{_e(title)}</h1>
<p class="en">{_e(f"Smart Province report — {data.scope_en}")}</p>
<div class="meta">{_e(meta)}</div>
<nav>{nav}</nav>
</header>
<main>
{chr(10).join(body)}
</main>
<footer>{_e(f"Sumber (sources): {sources}. Rincian lengkap di workbook Excel (full detail in the Excel workbook).")}
<span class="run" data-run-id="{_e(data.run_id or "")}">{_e(f"Run: {data.run_id or '-'}")}</span></footer>
</body>
</html>
"""


def write_html(data: ReportData, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path
