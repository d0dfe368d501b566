"""Small, deterministic .xlsx writing on top of XlsxWriter, the project's one xlsx writer.

Shared by `smartprov.authoring.template` (blank templates) and `smartprov.authoring.sample` (sample landing
zones). A workbook is described as data (`SheetSpec` rows of plain values or `Cell`s)
and written in one go:

* the same description always gives the same bytes (fixed document properties; XlsxWriter
  dates every zip entry 1980-01-01 in memory mode), so re-generating a landing zone does not
  create "new" submissions;
* text that starts with `=`, `+`, `-` or `@` (or looks like an Excel error such as
  `#N/A`) is always stored as a text cell with Excel's quote prefix, never as a formula;
  characters XML cannot carry become U+FFFD (`smartprov.contract.xlsx`);
* drop-downs and number checks (data validation), workbook names, notes, frozen panes,
  column widths, row heights and print setup (A4, scale, titles repeated on every page).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from smartprov.contract.xlsx import FIXED_PROPERTIES, OPTIONS, write_value

FIXED_TIMESTAMP = FIXED_PROPERTIES["created"]
FORMULA_PREFIXES = ("=", "+", "-", "@")

_BORDER = {"border": 1, "border_color": "#A6A6A6"}
_BLUE = "#1F4E78"

# name -> XlsxWriter format properties of a cell.
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14, "font_color": _BLUE, "valign": "vcenter"},
    "subtitle": {"italic": True, "font_size": 10, "font_color": "#595959"},
    "heading": {"bold": True, "font_size": 11, "font_color": _BLUE},
    "header": {
        "bold": True,
        "font_color": "#FFFFFF",
        "pattern": 1,
        "bg_color": _BLUE,
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
        **_BORDER,
    },
    "table_header": {
        "bold": True,
        "pattern": 1,
        "bg_color": "#D9E1F2",
        "valign": "top",
        "text_wrap": True,
        **_BORDER,
    },
    "label": {"bold": True, "pattern": 1, "bg_color": "#D9E1F2", **_BORDER},
    "prefilled": {"pattern": 1, "bg_color": "#EDEDED", **_BORDER},
    "example": {"pattern": 1, "bg_color": "#D9D9D9", "italic": True, "font_color": "#7F7F7F"},
    "input": {"pattern": 1, "bg_color": "#FFF2CC", **_BORDER},
    "guidance": {"italic": True, "font_size": 9, "font_color": "#595959", "valign": "top", "text_wrap": True},
    "wrap": {"valign": "top", "text_wrap": True},
    "bold": {"bold": True},
}
# What a date or time shows as when its Cell names no number format.
_DATE_FORMATS = {dt.datetime: "yyyy-mm-dd h:mm:ss", dt.date: "yyyy-mm-dd", dt.time: "h:mm:ss"}
# Excel's limits on a data validation's texts (XlsxWriter refuses longer ones).
_TITLE_MAX, _MESSAGE_MAX = 32, 255
# A note's box, in pixels (about 320 x 140 points).
_NOTE_BOX = {"author": "smartprov", "width": 427, "height": 187}


@dataclass(frozen=True)
class Cell:
    """A cell value with presentation. Plain values in `SheetSpec.rows` are cells too."""

    value: Any = None
    style: str | None = None  # a key of STYLES
    number_format: str | None = None
    note: str | None = None  # an Excel comment ("note")


@dataclass(frozen=True)
class Validation:
    """An Excel data validation (drop-down list, number range ...) over `sqref`."""

    sqref: str
    type: str = "list"  # list, whole, decimal, date, textLength, custom
    formula1: str | None = None
    formula2: str | None = None
    operator: str | None = None  # between, greaterThanOrEqual, lessThanOrEqual ...
    error_style: str = "stop"  # stop, warning, information
    prompt_title: str | None = None
    prompt: str | None = None
    error_title: str | None = None
    error: str | None = None


@dataclass
class SheetSpec:
    name: str
    rows: list[list[Any]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width
    merges: list[str] = field(default_factory=list)
    freeze: str | None = None  # top-left cell of the scrolling area, e.g. "A3"
    validations: list[Validation] = field(default_factory=list)
    hidden: bool = False
    tab_color: str | None = None
    row_heights: dict[int, float] = field(default_factory=dict)
    print_title_rows: str | None = None  # rows repeated on every printed page, e.g. "1:2"
    print_title_columns: str | None = None  # columns repeated on pages across, e.g. "A:B"
    defined_names: dict[str, str] = field(default_factory=dict)  # workbook names this sheet holds
    landscape: bool = True  # printed landscape, one page wide


# Wrapped styles and the points one line of them takes (11 pt text, 9 pt guidance).
_WRAPPED_LINE_POINTS = {"wrap": 15.0, "table_header": 15.0, "header": 15.0, "guidance": 12.5}
_DEFAULT_WIDTH = 8.43


def wrapped_row_heights(spec: SheetSpec) -> dict[int, float]:
    """Row heights (points) that fit each row's wrapped text. LibreOffice keeps a row at its
    default height on opening a file, so long help texts without one overlap the next row:
    every row with wrapped text gets its height written, estimated from the column widths
    (about 0.9 characters of 11 pt text per width unit, 1.1 of 9 pt text)."""
    heights: dict[int, float] = {}
    for row_no, row in enumerate(spec.rows, 1):
        best = 0.0
        for col_no, value in enumerate(row, 1):
            if not isinstance(value, Cell) or value.style not in _WRAPPED_LINE_POINTS or value.value is None:
                continue
            width = spec.widths.get(col_no, _DEFAULT_WIDTH)
            # conservative: LibreOffice fits fewer characters a line than Excel
            per_line = max(1, int(width * (1.1 if value.style == "guidance" else 0.9)) - 1)
            lines = sum(max(1, -(-len(part) // per_line)) for part in str(value.value).split("\n"))
            best = max(best, lines * _WRAPPED_LINE_POINTS[value.style] + 3.0)
        if best > 18.0:
            heights[row_no] = round(best, 1)
    return heights


# A4 landscape with 0.4" side margins: 784 pt of width (portrait: 523), less 5 % because
# LibreOffice lays columns out a little wider than Excel. Below 80 % the 10-11 pt text of a
# template would print under 8 pt: wider sheets go across pages instead.
PRINTABLE_WIDTH_PT = {True: (11.69 - 0.8) * 72 * 0.95, False: (8.27 - 0.8) * 72 * 0.95}
MIN_PRINT_SCALE = 0.8


def width_points(width: float) -> float:
    """Points a column of Excel `width` (characters of the default font) takes."""
    return int(width * 7 + 5) * 0.75


def print_setup(
    ws: Any,
    *,
    landscape: bool = True,
    title_rows: str | None = None,
    widths: Sequence[float] = (),
    title_columns: str | None = None,
) -> None:
    """A4, header rows on every page, and a print scale that keeps text at 8 pt or more:
    100 % when the columns (`widths`) fit, shrunk to one page wide when that stays at 80 % or
    more, else 80 % across pages with `title_columns` (e.g. "A:B") on each. A fixed scale, not
    "fit to page": LibreOffice's wider fallback font would otherwise shrink the text further."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=1.0, bottom=1.0)
    total = sum(width_points(w) for w in widths)
    natural = PRINTABLE_WIDTH_PT[landscape] / total if total else 1.0
    ws.set_print_scale(int(max(MIN_PRINT_SCALE, min(1.0, natural)) * 100))
    if natural < MIN_PRINT_SCALE and title_columns:
        ws.repeat_columns(title_columns)
    if title_rows:
        first, _, last = title_rows.partition(":")
        ws.repeat_rows(int(first) - 1, int(last or first) - 1)


def needs_text_guard(value: Any) -> bool:
    """True for text that a spreadsheet would take for a formula (or an error value)."""
    return isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value.startswith("#"))


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    return xl_col_to_name(col - 1)


def column_range(col: int, first_row: int, last_row: int) -> str:
    letter = column_letter(col)
    return f"{letter}{first_row}:{letter}{last_row}"


def list_source(sheet: str, col: int, first_row: int, count: int) -> str:
    """Absolute reference to a vertical list, usable as a list validation's formula1."""
    letter = column_letter(col)
    return f"'{sheet}'!${letter}${first_row}:${letter}${first_row + max(count, 1) - 1}"


class _Formats:
    """One XlsxWriter Format per (style, number format, text guard) of a workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb
        self._made: dict[tuple, Any] = {}

    def __call__(self, style: str | None, number_format: str | None, guard: bool) -> Any:
        key = (style, number_format, guard)
        if key not in self._made:
            props = dict(STYLES[style]) if style else {}
            if number_format:
                props["num_format"] = number_format
            if guard:
                props["quote_prefix"] = True
            self._made[key] = self._wb.add_format(props) if props else None
        return self._made[key]


def _put(ws: Any, row: int, col: int, spec: Any, formats: _Formats) -> None:
    """One cell (0-based), a plain value or a `Cell`."""
    if isinstance(spec, Cell):
        value, style, number_format, note = spec.value, spec.style, spec.number_format, spec.note
    else:
        value, style, number_format, note = spec, None, None, None
    if number_format is None and isinstance(value, dt.date | dt.time):
        number_format = _DATE_FORMATS[dt.datetime if isinstance(value, dt.datetime) else type(value)]
    guard = needs_text_guard(value)
    fmt = formats(style, number_format, guard) if style or number_format or guard else None
    write_value(ws, row, col, value, fmt)
    if note:
        ws.write_comment(row, col, note, _NOTE_BOX)


_OPERATORS = {
    "between": "between",
    "notBetween": "not between",
    "equal": "==",
    "notEqual": "!=",
    "greaterThan": ">",
    "lessThan": "<",
    "greaterThanOrEqual": ">=",
    "lessThanOrEqual": "<=",
}
_TYPES = {
    "list": "list",
    "whole": "integer",
    "decimal": "decimal",
    "date": "date",
    "textLength": "length",
    "custom": "custom",
}


def _checked(text: str | None, limit: int, what: str) -> str | None:
    if text is not None and len(text) > limit:
        raise ValueError(f"data validation {what} longer than Excel's {limit} characters: {text!r}")
    return text


def _validation_options(v: Validation) -> dict[str, Any]:
    kind = _TYPES[v.type]
    options: dict[str, Any] = {
        "validate": kind,
        "ignore_blank": True,
        "error_type": v.error_style,
        "show_error": True,
        "show_input": bool(v.prompt),
    }
    if kind in ("list", "custom"):
        options["value"] = v.formula1
    else:
        options["criteria"] = _OPERATORS[v.operator or "between"]
        if options["criteria"] in ("between", "not between"):
            options["minimum"], options["maximum"] = v.formula1, v.formula2
        else:
            options["value"] = v.formula1
    texts = {
        "input_title": _checked(v.prompt_title, _TITLE_MAX, "prompt title"),
        "input_message": _checked(v.prompt, _MESSAGE_MAX, "prompt"),
        "error_title": _checked(v.error_title, _TITLE_MAX, "error title"),
        "error_message": _checked(v.error, _MESSAGE_MAX, "error message"),
    }
    options.update({k: t for k, t in texts.items() if t})
    if len(v.sqref.split()) > 1:
        options["multi_range"] = v.sqref
    return options


def _add_sheet(wb: xlsxwriter.Workbook, spec: SheetSpec, formats: _Formats) -> None:
    ws = wb.add_worksheet(spec.name)
    if spec.hidden:
        ws.hide()
    if spec.tab_color:
        ws.set_tab_color("#" + spec.tab_color.removeprefix("#")[-6:])
    for col, width in spec.widths.items():
        ws.set_column(col - 1, col - 1, width)
    for row, height in {**wrapped_row_heights(spec), **spec.row_heights}.items():
        ws.set_row(row - 1, height)
    if spec.freeze:
        ws.freeze_panes(spec.freeze)
    if not spec.hidden:
        used = max((len(r) for r in spec.rows), default=0)
        print_setup(
            ws,
            landscape=spec.landscape,
            title_rows=spec.print_title_rows,
            widths=[spec.widths.get(c, _DEFAULT_WIDTH) for c in range(1, max(used, *spec.widths, 1) + 1)],
            title_columns=spec.print_title_columns,
        )
    for v in spec.validations:
        if ws.data_validation(v.sqref.split()[0], _validation_options(v)) != 0:
            raise ValueError(f"data validation on {spec.name}!{v.sqref} refused by XlsxWriter")
    for ref in spec.merges:
        # the merge writes its first cell empty; the rows below write it again with its value
        ws.merge_range(ref, "", None)
    for r, row in enumerate(spec.rows):
        for c, value in enumerate(row):
            if value is not None:
                _put(ws, r, c, value, formats)


def workbook_bytes(
    sheets: Iterable[SheetSpec],
    *,
    title: str | None = None,
    active: int | None = None,
    names: Mapping[str, str] | None = None,
) -> bytes:
    """`names`: workbook-level defined names (name -> "'Sheet'!$A$2:$A$4"), e.g. for lists."""
    buf = io.BytesIO()
    # in_memory: small workbooks, no temporary files, and every zip entry dated 1980-01-01
    wb = xlsxwriter.Workbook(buf, {**OPTIONS, "in_memory": True})
    wb.set_properties({**FIXED_PROPERTIES, **({"title": title} if title else {})})
    defined = dict(names or {})
    formats = _Formats(wb)
    for spec in sheets:
        defined.update(spec.defined_names)
        _add_sheet(wb, spec, formats)
    for name, ref in defined.items():
        if wb.define_name(name, "=" + ref.removeprefix("=")) != 0:
            raise ValueError(f"workbook name {name!r} refused by XlsxWriter")
    if active is not None:
        wb.worksheets()[active].activate()
    wb.close()
    return buf.getvalue()


def write_workbook(
    path: Path,
    sheets: Iterable[SheetSpec],
    *,
    title: str | None = None,
    active: int | None = None,
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write the sheets as an .xlsx file (parents created); the same input gives the same bytes."""
    path = Path(path)
    data = workbook_bytes(sheets, title=title, active=active, names=names)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
