"""The province's Excel workbook: a summary sheet, then one sheet per mart.

Each mart sheet: row 1 the technical (English) column names, row 2 the Indonesian headers
(bold, filled, with the dbt description as a comment), data from row 3; panes frozen below
the headers, an autofilter on the Indonesian header row, widths fitted to the content.

Number formats: rupiah `"Rp" #,##0` for *_idr; percentages are stored as fractions and shown
with `0.00%` — *_pct columns (0-100 in the marts) are divided by 100 and *_ratio columns
(already fractions) are kept, so 62.5 in the mart shows as 62.50% and sums/averages in Excel
stay right; scores `0.00`; counts `#,##0`; years `0`; timestamps and dates as ISO.
Every text cell goes through `smartprov.contract.spreadsheet.neutralise` (no formula injection).

Written in openpyxl's write-only mode: a national workbook (~50,000 rows) streams to disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from smartprov.contract.spreadsheet import neutralise
from smartprov.reports.data import ReportData, coverage_by_province, headline, py
from smartprov.reports.labels import BOOL_LABELS, STATUS_LABELS, column_kind, column_label

FMT_IDR = '"Rp" #,##0'
FMT_PCT = "0.00%"
FMT_SCORE = "0.00"
FMT_INT = "#,##0"
FMT_YEAR = "0"
FMT_DATETIME = "yyyy-mm-dd hh:mm:ss"
FMT_DATE = "yyyy-mm-dd"
FMT_DECIMAL = "#,##0.00"

SUMMARY_TITLE = "Ringkasan"

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TECH_FILL = PatternFill("solid", fgColor="DDEBF7")
_TECH_FONT = Font(italic=True, size=9, color="44546A")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="1F4E79"))
_TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
_SUBTITLE_FONT = Font(italic=True, color="595959")
_LABEL_FONT = Font(bold=True)
_GOOD_FONT = Font(bold=True, color="2E7D32")
_BAD_FONT = Font(bold=True, color="C62828")
_NOTE_FONT = Font(italic=True, color="C62828")


def write_excel(data: ReportData, path: Path) -> Path:
    wb = Workbook(write_only=True)
    _summary_sheet(wb, data)
    for mart in data.marts.values():
        ws = wb.create_sheet(mart.spec.title_id[:31])
        if mart.frame is None:
            _missing_sheet(ws, mart.spec.title_id, mart.spec.title_en, mart.problem or "")
        else:
            _mart_sheet(ws, mart.frame, data.column_notes.get(mart.spec.name, {}), mart.spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# -- cells ----------------------------------------------------------------------------------
def _cell(ws, value: Any, *, font=None, fill=None, fmt=None, align=None, border=None, comment=None):
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if fmt is not None:
        cell.number_format = fmt
    if align is not None:
        cell.alignment = align
    if border is not None:
        cell.border = border
    if comment is not None:
        cell.comment = comment
    return cell


def _text(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _column_format(column: str, values: list[Any]) -> tuple[str, str | None]:
    """(kind, number format) of a data column."""
    kind = column_kind(column)
    fixed = {
        "idr": FMT_IDR,
        "pct": FMT_PCT,
        "ratio": FMT_PCT,
        "score": FMT_SCORE,
        "year": FMT_YEAR,
        "order": FMT_YEAR,
        "datetime": FMT_DATETIME,
        "date": FMT_DATE,
    }
    if kind in fixed:
        return kind, fixed[kind]
    sample = [v for v in values if v is not None][:500]
    if sample and all(isinstance(v, bool) for v in sample):
        return "bool", None
    if sample and all(isinstance(v, int) and not isinstance(v, bool) for v in sample):
        return "int", FMT_INT
    if sample and all(isinstance(v, int | float) and not isinstance(v, bool) for v in sample):
        if all(float(v).is_integer() for v in sample):
            return "int", FMT_INT
        return "decimal", FMT_DECIMAL
    if sample and all(isinstance(v, dt.datetime) for v in sample):
        return "datetime", FMT_DATETIME
    if sample and all(isinstance(v, dt.date) for v in sample):
        return "date", FMT_DATE
    return "text", None


def _convert(kind: str, column: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "pct":
        try:
            return round(float(value) / 100.0, 10)
        except (TypeError, ValueError):
            return _text(str(value))
    if kind in ("idr", "ratio", "score", "decimal"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return _text(str(value))
    if kind in ("year", "order", "int"):
        try:
            f = float(value)
            return int(f) if f.is_integer() else f
        except (TypeError, ValueError):
            return _text(str(value))
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else _text(str(value))
    if kind == "datetime":
        return value if isinstance(value, dt.date) else _text(str(value))
    if isinstance(value, bool):
        return BOOL_LABELS[value]
    if column == "status" and isinstance(value, str):
        return STATUS_LABELS.get(value, neutralise(value))
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.date | int | float):
        return value
    return neutralise(str(value))


def _width(header: str, values: list[Any], kind: str) -> float:
    longest = max((len(w) for w in header.split()), default=8)
    longest = max(longest, min(len(header), 18))
    for v in values[:300]:
        if v is None:
            continue
        if kind == "idr":
            n = len(f"Rp {float(v):,.0f}")
        elif kind in ("datetime",):
            n = 19
        elif kind == "date":
            n = 10
        elif kind in ("pct", "ratio", "score", "decimal"):
            n = 9
        else:
            n = len(str(v))
        longest = max(longest, n)
    return float(min(max(longest + 2, 8), 60))


# -- mart sheets ----------------------------------------------------------------------------
def print_setup(ws, title_rows: str | None = None) -> None:
    """Landscape, as wide as one page (as many pages down as needed), header rows on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows


def _mart_sheet(ws, frame, notes: dict[str, str], mart: str | None = None) -> None:
    columns = [str(c) for c in frame.columns]
    raw = {c: [py(v) for v in frame[c].tolist()] for c in columns}
    kinds = {c: _column_format(c, raw[c]) for c in columns}
    converted = {c: [_convert(kinds[c][0], c, v) for v in raw[c]] for c in columns}

    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(
            column_label(c, mart), converted[c], kinds[c][0]
        )
    ws.freeze_panes = "A3"
    last = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A2:{last}{len(frame) + 2}"
    ws.sheet_view.zoomScale = 90
    print_setup(ws, "1:2")

    ws.append([_cell(ws, c, font=_TECH_FONT, fill=_TECH_FILL) for c in columns])
    ws.append(
        [
            _cell(
                ws,
                _text(column_label(c, mart)),
                font=_HEADER_FONT,
                fill=_HEADER_FILL,
                align=_HEADER_ALIGN,
                border=_HEADER_BORDER,
                comment=_header_comment(c, notes.get(c), kinds[c][0]),
            )
            for c in columns
        ]
    )
    fmts = [kinds[c][1] for c in columns]
    cols = [converted[c] for c in columns]
    for row in zip(*cols, strict=True):
        ws.append(
            [
                _cell(ws, v, fmt=f) if (f is not None and v is not None) else v
                for v, f in zip(row, fmts, strict=True)
            ]
        )


def _header_comment(column: str, note: str | None, kind: str) -> Comment:
    text = f"Kolom / column: {column}"
    if note:
        text += f"\n{note[:400]}"
    if kind == "pct":
        text += "\nDi sini sebagai persen: nilai mart (0-100) / 100. Here as percent: mart value / 100."
    comment = Comment(text, "smartprov")
    comment.width = 320
    comment.height = 140
    return comment


def _missing_sheet(ws, title_id: str, title_en: str, problem: str) -> None:
    ws.column_dimensions["A"].width = 100
    ws.append([_cell(ws, _text(title_id), font=_TITLE_FONT)])
    ws.append([_cell(ws, _text(title_en), font=_SUBTITLE_FONT)])
    ws.append([])
    ws.append([_cell(ws, _text("Data tidak tersedia (no data). " + problem), font=_NOTE_FONT)])
    print_setup(ws)


# -- summary sheet --------------------------------------------------------------------------
def _summary_sheet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(SUMMARY_TITLE)
    print_setup(ws)
    for letter, width in zip("ABCDEF", (44, 30, 16, 18, 16, 22), strict=True):
        ws.column_dimensions[letter].width = width
    h = headline(data)
    threshold = data.threshold_pct

    def label(id_text: str, en_text: str):
        return _cell(ws, _text(f"{id_text} ({en_text})"), font=_LABEL_FONT)

    def row(id_text: str, en_text: str, value: Any, fmt: str | None = None, font=None):
        value = _text(value)
        shown = "tidak tersedia (n/a)" if value is None else value
        ws.append(
            [label(id_text, en_text), _cell(ws, shown, fmt=fmt if value is not None else None, font=font)]
        )

    ws.append([_cell(ws, _text(f"Laporan Smart Province — {data.scope_id}"), font=_TITLE_FONT)])
    ws.append([_cell(ws, _text(f"Smart Province report — {data.scope_en}"), font=_SUBTITLE_FONT)])
    ws.append([])
    row("Cakupan laporan", "scope", data.scope_id)
    row("ID run", "run id", data.run_id or "-")
    row("Dibuat", "generated, UTC", data.generated_at, FMT_DATETIME)
    ws.append([])
    ws.append([_cell(ws, "Angka utama (headline figures)", font=_TITLE_FONT)])
    row("Jumlah kabupaten/kota", "regencies", h.regencies, FMT_INT)
    row("Dengan masterplan", "with a masterplan", h.with_masterplan, FMT_INT)
    row(
        "Cakupan masterplan",
        "masterplan coverage",
        None if h.coverage_pct is None else round(h.coverage_pct / 100.0, 10),
        FMT_PCT,
    )
    row("Ambang Smart Province", "Smart Province threshold", round(threshold / 100.0, 10), FMT_PCT)
    meets = h.meets(threshold)
    if meets is None:
        row("Status ambang", "threshold status", None)
    elif data.province is not None or h.provinces == 1:
        row(
            "Status ambang",
            "threshold status",
            "Memenuhi ambang (meets the threshold)"
            if meets
            else "Belum memenuhi ambang (below the threshold)",
            font=_GOOD_FONT if meets else _BAD_FONT,
        )
    else:
        row(
            "Cakupan nasional vs ambang",
            "national coverage vs threshold",
            "Di atas ambang (above)" if meets else "Di bawah ambang (below)",
            font=_GOOD_FONT if meets else _BAD_FONT,
        )
    if h.provinces is not None and (data.province is None and h.provinces > 1):
        row(
            "Provinsi memenuhi ambang",
            "provinces meeting the threshold",
            f"{h.provinces_meeting} dari (of) {h.provinces}",
        )
    row("Jumlah program", "programs", h.programs, FMT_INT)
    row("Quick win", "quick wins", h.quick_wins, FMT_INT)
    row("Total anggaran rencana", "total planned budget", h.budget_total_idr, FMT_IDR)
    mart = data.mart("province_masterplan_coverage")
    if mart.frame is None:
        ws.append(
            [_cell(ws, _text("Data tidak tersedia (no data). " + (mart.problem or "")), font=_NOTE_FONT)]
        )

    per_province = coverage_by_province(mart.frame, threshold)
    if per_province:
        ws.append([])
        ws.append([_cell(ws, "Cakupan per provinsi (coverage per province)", font=_TITLE_FONT)])
        headers = [
            ("Provinsi", "province_name"),
            ("Kode Provinsi", "province_code"),
            ("Jumlah Kab/Kota", "regencies_total"),
            ("Dengan Masterplan", "regencies_with_masterplan"),
            ("Cakupan Masterplan", "masterplan_coverage_pct"),
            ("Memenuhi Ambang", "meets_smart_province_threshold"),
        ]
        ws.append([_cell(ws, tech, font=_TECH_FONT, fill=_TECH_FILL) for _, tech in headers])
        ws.append(
            [
                _cell(ws, label_id, font=_HEADER_FONT, fill=_HEADER_FILL, align=_HEADER_ALIGN)
                for label_id, _ in headers
            ]
        )
        for p in per_province:
            ws.append(
                [
                    _cell(ws, _text(p["province_name"])),
                    _cell(ws, _text(p["province_code"])),
                    _cell(ws, p["regencies"], fmt=FMT_INT),
                    _cell(ws, p["with_masterplan"], fmt=FMT_INT),
                    _cell(
                        ws,
                        None if p["coverage_pct"] is None else round(p["coverage_pct"] / 100.0, 10),
                        fmt=FMT_PCT,
                    ),
                    _cell(
                        ws,
                        BOOL_LABELS[bool(p["meets"])],
                        font=_GOOD_FONT if p["meets"] else _BAD_FONT,
                    ),
                ]
            )

    ws.append([])
    ws.append([_cell(ws, "Lembar kerja (sheets)", font=_TITLE_FONT)])
    ws.append(
        [
            _cell(ws, "Lembar", font=_HEADER_FONT, fill=_HEADER_FILL),
            _cell(ws, "Isi (contents)", font=_HEADER_FONT, fill=_HEADER_FILL),
            _cell(ws, "Baris (rows)", font=_HEADER_FONT, fill=_HEADER_FILL),
            _cell(ws, "Mart", font=_HEADER_FONT, fill=_HEADER_FILL),
        ]
    )
    for m in data.marts.values():
        rows = None if m.frame is None else len(m.frame)
        ws.append(
            [
                _cell(ws, _text(m.spec.title_id[:31])),
                _cell(ws, _text(m.spec.title_en)),
                _cell(
                    ws,
                    rows if rows is not None else "tidak tersedia (n/a)",
                    fmt=FMT_INT if rows is not None else None,
                ),
                _cell(ws, _text(f"marts.{m.spec.name}")),
            ]
        )
    ws.append([])
    ws.append(
        [
            _cell(
                ws,
                "Persentase ditampilkan sebagai persen (nilai sel = pecahan, 62,5% = 0,625); anggaran dalam rupiah. "
                "Percentages are stored as fractions and shown as percent; budgets in rupiah.",
                font=_SUBTITLE_FONT,
            )
        ]
    )
