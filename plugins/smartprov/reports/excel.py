"""The province's Excel workbook: a summary sheet, then one sheet per mart.

Each mart sheet: row 1 the technical (English) column names, row 2 the Indonesian headers
(bold, filled, with the dbt description as a comment), data from row 3; panes frozen below
the headers, an autofilter on the Indonesian header row, widths fitted to the content.
Every sheet prints landscape on A4, one page wide (as many pages down as needed), without
gridlines; a mart sheet repeats its two header rows on every printed page.

Number formats: rupiah `"Rp" #,##0` for *_idr; percentages are stored as fractions and shown
with `0.00%` — *_pct columns (0-100 in the marts) are divided by 100 and *_ratio columns
(already fractions) are kept, so 62.5 in the mart shows as 62.50% and sums/averages in Excel
stay right; scores `0.00`; counts `#,##0`; years `0`; timestamps and dates as ISO.
Every text cell goes through `smartprov.contract.spreadsheet.neutralise` (no formula injection).

Written with XlsxWriter in `constant_memory` mode: each row goes to a temporary file as soon
as the next one starts, so a national workbook (~37,000 rows) streams to disk; it is ~2-2.5×
faster than openpyxl's write-only mode, whose per-cell objects and XML elements were most of
the reports phase of a national night (issue 16). That mode asks for rows in order (every
sheet here is written top to bottom) and writes strings inline instead of in a shared-string
table; header comments are kept apart from the rows and written when the workbook closes, so
they work there too. Cells are written with the typed writers only (`write_string`,
`write_number`, `write_datetime`): the generic `write` would turn text starting with `=` into
a formula and a text that looks like a URL into a hyperlink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from smartprov.contract.spreadsheet import neutralise
from smartprov.contract.xlsx import write_text, write_value
from smartprov.reports.data import ReportData, coverage_by_province, headline, py, wib
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

# Cell styles as XlsxWriter format properties; `_Styles` turns them into one Format each.
_HEADER_FILL = {"pattern": 1, "bg_color": "#1F4E79"}
_HEADER_FONT = {"bold": True, "font_color": "#FFFFFF"}
_TECH_FILL = {"pattern": 1, "bg_color": "#DDEBF7"}
_TECH_FONT = {"italic": True, "font_size": 10, "font_color": "#44546A"}  # the smallest text
_HEADER_ALIGN = {"text_wrap": True, "valign": "vcenter"}
_HEADER_BORDER = {"bottom": 1, "bottom_color": "#1F4E79"}  # 1: thin
_TITLE_FONT = {"bold": True, "font_size": 14, "font_color": "#1F4E79"}
_SUBTITLE_FONT = {"italic": True, "font_color": "#595959"}
_LABEL_FONT = {"bold": True}
_GOOD_FONT = {"bold": True, "font_color": "#2E7D32"}
_BAD_FONT = {"bold": True, "font_color": "#C62828"}
_NOTE_FONT = {"italic": True, "font_color": "#C62828"}

_A4 = 9  # Excel's paper-size code
# Printing: A4 landscape with 0.4" side margins leaves 10.89" = 784 pt of width, of which 95 %
# is used (LibreOffice lays columns out a little wider than Excel). The smallest
# text is 10 pt, so a sheet shrunk below 80 % would print under 8 pt: such a sheet prints at
# 80 % across several pages instead, its key columns repeated on each.
PRINTABLE_WIDTH_PT = (11.69 - 2 * 0.4) * 72 * 0.95
MIN_PRINT_SCALE = 0.8


def _key_columns(columns: list[str]) -> tuple[int, int] | None:
    """The columns that name a row, repeated on every page across: the regency's code and
    name where the sheet has them, else the province's."""
    for group in (("region_code", "region_name"), ("province_code", "province_name")):
        found = [columns.index(c) for c in group if c in columns]
        if found and max(found) - min(found) == len(found) - 1:
            return min(found), max(found)
    return None


def width_points(width: float) -> float:
    """Points a column of Excel `width` (characters of the default font) takes."""
    return (int(width * 7 + 5)) * 0.75


def write_excel(data: ReportData, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {
        "constant_memory": True,
        # Text is data, never a link or a formula (the typed writers below already never
        # make one; this keeps any generic write() honest too).
        "strings_to_urls": False,
        "strings_to_formulas": False,
    }
    # `with`: closed even when a sheet fails (the caller then deletes the half-written
    # file), so XlsxWriter's destructor has nothing to complain about in the run's log.
    with xlsxwriter.Workbook(str(path), options) as wb:
        styles = _Styles(wb)
        _summary_sheet(wb, styles, data)
        for mart in data.marts.values():
            ws = wb.add_worksheet(mart.spec.title_id[:31])
            if mart.frame is None:
                _missing_sheet(ws, styles, mart.spec.title_id, mart.spec.title_en, mart.problem or "")
            else:
                notes = data.column_notes.get(mart.spec.name, {})
                _mart_sheet(
                    ws, styles, mart.frame, notes, mart.spec.name, one_province=data.province is not None
                )
    return path


# -- cells ----------------------------------------------------------------------------------
class _Styles:
    """One XlsxWriter Format per combination of style properties and number format.

    Formats belong to a workbook and a cell has exactly one, so combinations (a number
    format on a bold cell) are formats of their own; asking twice gives the same object.
    """

    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb
        self._made: dict[tuple, Format] = {}

    def __call__(self, *props: dict[str, Any] | None, fmt: str | None = None) -> Format | None:
        merged: dict[str, Any] = {}
        for p in props:
            if p:
                merged.update(p)
        if fmt is not None:
            merged["num_format"] = fmt
        if not merged:
            return None
        key = tuple(sorted(merged.items()))
        if key not in self._made:
            self._made[key] = self._wb.add_format(merged)
        return self._made[key]


def _text(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _put(ws: Worksheet, styles: _Styles, row: int, col: int, value: Any, style: Format | None = None) -> None:
    """One cell, by the type of its value (contract.xlsx.write_value); a date without a style
    gets the date or date-time format, anything but text, numbers and dates its neutralised text."""
    if isinstance(value, dt.date) and style is None:
        style = styles(fmt=FMT_DATETIME if isinstance(value, dt.datetime) else FMT_DATE)
    elif value is not None and not isinstance(value, str | int | float | dt.date):
        value = neutralise(str(value))
    write_value(ws, row, col, value, style)


class _Rows:
    """Rows appended top to bottom, as constant_memory mode requires."""

    def __init__(self, ws: Worksheet, styles: _Styles):
        self.ws, self.styles, self.next = ws, styles, 0

    def append(self, cells: list[Any] = ()) -> None:
        """cells: values, or (value, Format) pairs."""
        for col, cell in enumerate(cells):
            value, style = cell if isinstance(cell, tuple) else (cell, None)
            _put(self.ws, self.styles, self.next, col, value, style)
        self.next += 1


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
    if kind == "datetime":  # marts keep UTC; people read WIB (the header says so)
        return wib(value) if isinstance(value, dt.date) else _text(str(value))
    if isinstance(value, bool):
        return BOOL_LABELS[value]
    if column == "status" and isinstance(value, str):
        return STATUS_LABELS.get(value, neutralise(value))
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.date | int | float):
        return value
    return neutralise(str(value))


def _header_lines(header: str, width: float) -> int:
    """Lines a bold header takes when wrapped at word boundaries in a column of `width`."""
    room, lines, used = max(int(width) - 1, 1), 1, 0
    for word in header.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= room:
            used = need
        else:
            lines, used = lines + 1, len(word)
    return lines


def _width(header: str, values: list[Any], kind: str) -> float:
    # The Indonesian header wraps (at most three lines); the technical name above it may be
    # cut on screen (its note repeats it) and is not printed.
    longest = max((len(w) for w in header.split()), default=8)
    longest = max(longest, -(-len(header) // 3))
    for v in values[:300]:
        if v is None:
            continue
        if kind == "idr":
            n = len(f"Rp {float(v):,.0f}") if isinstance(v, int | float) else len(str(v))
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
def print_setup(
    ws: Worksheet,
    title_rows: str | None = None,
    widths: list[float] | None = None,
    key_columns: tuple[int, int] | None = None,
) -> None:
    """Landscape A4, no gridlines, `title_rows` ("1:2", 1-based as Excel writes it) repeated
    at the top of every page, and a print scale that keeps the smallest text at 8 pt or more.

    `widths` (the sheet's column widths) decide the scale: a sheet that fits prints at 100 %;
    one up to 1/MIN_PRINT_SCALE too wide prints shrunk to exactly one page wide; a wider one
    prints at MIN_PRINT_SCALE over as many pages across as it needs, its `key_columns`
    (first, last; 0-based) repeated on each. A fixed scale rather than "fit to page": a
    spreadsheet program with a wider fallback font (LibreOffice without Calibri) would
    otherwise shrink the text further to fit; with a scale it spills onto a page instead."""
    ws.set_landscape()
    ws.set_paper(_A4)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    total = sum(width_points(w) for w in widths or ())
    natural = PRINTABLE_WIDTH_PT / total if total else 1.0
    scale = max(MIN_PRINT_SCALE, min(1.0, natural))
    ws.set_print_scale(int(scale * 100))
    if natural < MIN_PRINT_SCALE and key_columns:
        ws.repeat_columns(*key_columns)
    ws.hide_gridlines(1)  # 1: not printed, still shown on screen
    if title_rows:
        first, last = (int(n) for n in title_rows.split(":"))
        ws.repeat_rows(first - 1, last - 1)


def _mart_sheet(
    ws: Worksheet,
    styles: _Styles,
    frame,
    notes: dict[str, str],
    mart: str | None = None,
    *,
    one_province: bool = False,
) -> None:
    columns = [str(c) for c in frame.columns]
    raw = {c: [py(v) for v in frame[c].tolist()] for c in columns}
    kinds = {c: _column_format(c, raw[c]) for c in columns}
    converted = {c: [_convert(kinds[c][0], c, v) for v in raw[c]] for c in columns}

    def header_of(c: str) -> str:
        label = column_label(c, mart)
        return f"{label} (WIB)" if kinds[c][0] == "datetime" else label

    widths = [_width(header_of(c), converted[c], kinds[c][0]) for c in columns]
    # Hidden (shown again with Unhide), so neither on screen nor on paper do they take room:
    # sort helpers, and the province on a one-province report (the same on every row).
    hidden = {c for c in columns if c.endswith("_order")}
    if one_province:
        hidden |= {"province_code", "province_name"} & set(columns)
    for i, (c, width) in enumerate(zip(columns, widths, strict=True)):
        ws.set_column(i, i, width, None, {"hidden": True} if c in hidden else None)
    ws.freeze_panes(2, 0)  # "A3": both header rows stay in view
    ws.autofilter(1, 0, len(frame) + 1, max(len(columns), 1) - 1)  # Indonesian headers to last row
    ws.set_zoom(90)
    shown = [w for c, w in zip(columns, widths, strict=True) if c not in hidden]
    print_setup(ws, "2:2", shown, _key_columns(columns))
    # Printed from the Indonesian header down: the technical names are for the screen.
    ws.print_area(1, 0, len(frame) + 1, max(len(columns), 1) - 1)

    tech = styles(_TECH_FONT, _TECH_FILL)
    header = styles(_HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN, _HEADER_BORDER)
    for col, c in enumerate(columns):
        write_text(ws, 0, col, c, tech)
    for col, c in enumerate(columns):
        write_text(ws, 1, col, _text(header_of(c)), header)
        ws.write_comment(1, col, _header_comment(c, notes.get(c), kinds[c][0]), _COMMENT_SHAPE)
    # The wrapped headers' row as tall as the longest one (LibreOffice does not grow it).
    lines = max((_header_lines(header_of(c), w) for c, w in zip(columns, widths, strict=True)), default=1)
    ws.set_row(1, 15 * lines + 2)

    writers = [_column_writer(ws, styles, kinds[c][1]) for c in columns]
    cols = [converted[c] for c in columns]
    for row, values in enumerate(zip(*cols, strict=True), start=2):
        for col, value in enumerate(values):
            if value is not None:
                writers[col](row, col, value)


def _column_writer(ws: Worksheet, styles: _Styles, fmt: str | None) -> Callable[[int, int, Any], None]:
    """The writer of one data column's cells. The hot loop of a national workbook, so the
    column's format is looked up once and a value's type picks its writer directly."""
    style = styles(fmt=fmt)
    write_number, write_datetime = ws.write_number, ws.write_datetime
    date_style = style if style is not None else styles(fmt=FMT_DATE)
    datetime_style = style if style is not None else styles(fmt=FMT_DATETIME)

    def write(row: int, col: int, value: Any) -> None:
        kind = value.__class__
        if kind is float or kind is int:
            try:
                write_number(row, col, value, style)
            except TypeError:  # ±inf, which Excel cannot hold: written as text by _put
                _put(ws, styles, row, col, value, style)
        elif kind is str:
            write_text(ws, row, col, value, style)
        elif kind is dt.datetime:
            write_datetime(row, col, value, datetime_style)
        elif kind is dt.date:
            write_datetime(row, col, value, date_style)
        else:
            _put(ws, styles, row, col, value, style)

    return write


_COMMENT_SHAPE = {"author": "smartprov", "width": 320, "height": 140}


def _header_comment(column: str, note: str | None, kind: str) -> str:
    text = f"Kolom / column: {column}"
    if note:
        text += f"\n{note[:400]}"
    if kind == "pct":
        text += "\nDi sini sebagai persen: nilai mart (0-100) / 100. Here as percent: mart value / 100."
    if kind == "datetime":
        text += "\nDi sini dalam WIB (UTC+7; mart: UTC). Shown here in WIB (UTC+7; the mart keeps UTC)."
    return text


def _missing_sheet(ws: Worksheet, styles: _Styles, title_id: str, title_en: str, problem: str) -> None:
    ws.set_column(0, 0, 100)
    rows = _Rows(ws, styles)
    rows.append([(_text(title_id), styles(_TITLE_FONT))])
    rows.append([(_text(title_en), styles(_SUBTITLE_FONT))])
    rows.append()
    rows.append([(_text("Data tidak tersedia (no data). " + problem), styles(_NOTE_FONT))])
    print_setup(ws, widths=[100])


# -- summary sheet --------------------------------------------------------------------------
def _summary_sheet(wb: xlsxwriter.Workbook, styles: _Styles, data: ReportData) -> None:
    ws = wb.add_worksheet(SUMMARY_TITLE)
    summary_widths = [44, 30, 16, 18, 16, 22]
    print_setup(ws, widths=summary_widths)
    for col, width in enumerate(summary_widths):
        ws.set_column(col, col, width)
    rows = _Rows(ws, styles)
    h = headline(data)
    threshold = data.threshold_pct
    title, subtitle, note = styles(_TITLE_FONT), styles(_SUBTITLE_FONT), styles(_NOTE_FONT)
    good, bad = styles(_GOOD_FONT), styles(_BAD_FONT)
    tech = styles(_TECH_FONT, _TECH_FILL)
    header = styles(_HEADER_FONT, _HEADER_FILL)
    header_wrapped = styles(_HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN)

    def label(id_text: str, en_text: str):
        return (_text(f"{id_text} ({en_text})"), styles(_LABEL_FONT))

    def row(id_text: str, en_text: str, value: Any, fmt: str | None = None, font=None):
        value = _text(value)
        shown = "tidak tersedia (n/a)" if value is None else value
        rows.append([label(id_text, en_text), (shown, styles(font, fmt=fmt if value is not None else None))])

    rows.append([(_text(f"Laporan Smart Province — {data.scope_id}"), title)])
    rows.append([(_text(f"Smart Province report — {data.scope_en}"), subtitle)])
    rows.append()
    row("Cakupan laporan", "scope", data.scope_id)
    row("ID run", "run id", data.run_id or "-")
    row("Dibuat (WIB)", "generated, WIB", wib(data.generated_at), FMT_DATETIME)
    rows.append()
    rows.append([("Angka utama (headline figures)", title)])
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
        rows.append([(_text("Data tidak tersedia (no data). " + (mart.problem or "")), note)])

    per_province = coverage_by_province(mart.frame, threshold)
    if per_province:
        rows.append()
        rows.append([("Cakupan per provinsi (coverage per province)", title)])
        headers = [
            ("Provinsi", "province_name"),
            ("Kode Provinsi", "province_code"),
            ("Jumlah Kab/Kota", "regencies_total"),
            ("Dengan Masterplan", "regencies_with_masterplan"),
            ("Cakupan Masterplan", "masterplan_coverage_pct"),
            ("Memenuhi Ambang", "meets_smart_province_threshold"),
        ]
        rows.append([(tech_name, tech) for _, tech_name in headers])
        rows.append([(label_id, header_wrapped) for label_id, _ in headers])
        for p in per_province:
            rows.append(
                [
                    _text(p["province_name"]),
                    _text(p["province_code"]),
                    (p["regencies"], styles(fmt=FMT_INT)),
                    (p["with_masterplan"], styles(fmt=FMT_INT)),
                    (
                        None if p["coverage_pct"] is None else round(p["coverage_pct"] / 100.0, 10),
                        styles(fmt=FMT_PCT),
                    ),
                    (BOOL_LABELS[bool(p["meets"])], good if p["meets"] else bad),
                ]
            )

    rows.append()
    rows.append([("Lembar kerja (sheets)", title)])
    rows.append([("Lembar", header), ("Isi (contents)", header), ("Baris (rows)", header), ("Mart", header)])
    for m in data.marts.values():
        n_rows = None if m.frame is None else len(m.frame)
        rows.append(
            [
                _text(m.spec.title_id[:31]),
                _text(m.spec.title_en),
                (n_rows, styles(fmt=FMT_INT)) if n_rows is not None else "tidak tersedia (n/a)",
                _text(f"marts.{m.spec.name}"),
            ]
        )
    rows.append()
    rows.append(
        [
            (
                "Persentase ditampilkan sebagai persen (nilai sel = pecahan, 62,5% = 0,625); anggaran dalam rupiah. "
                "Percentages are stored as fractions and shown as percent; budgets in rupiah.",
                subtitle,
            )
        ]
    )
