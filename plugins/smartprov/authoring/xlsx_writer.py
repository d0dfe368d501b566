"""Small, fast, deterministic .xlsx writing on top of openpyxl (write-only mode).

Shared by `smartprov.authoring.template` (blank templates) and `smartprov.authoring.sample` (sample landing
zones). A workbook is described as data (`SheetSpec` rows of plain values or `Cell`s)
and written in one go:

* the same description always gives the same bytes (fixed document properties and zip
  entry timestamps), so re-generating a landing zone does not create "new" submissions;
* text that starts with `=`, `+`, `-` or `@` (or looks like an Excel error such as
  `#N/A`) is always stored as a text cell with Excel's quote prefix, never as a formula;
* write-only mode keeps it at about 20 ms for a typical submission.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

FIXED_TIMESTAMP = dt.datetime(2025, 1, 1, 0, 0, 0)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
FORMULA_PREFIXES = ("=", "+", "-", "@")

_thin = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)

# name -> attributes applied to a cell. Objects are immutable and shared by all workbooks.
STYLES: dict[str, dict[str, Any]] = {
    "title": {"font": Font(bold=True, size=14, color="1F4E78"), "alignment": Alignment(vertical="center")},
    "subtitle": {"font": Font(italic=True, size=10, color="595959")},
    "heading": {"font": Font(bold=True, size=11, color="1F4E78")},
    "header": {
        "font": Font(bold=True, color="FFFFFF"),
        "fill": PatternFill("solid", fgColor="1F4E78"),
        "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "border": _BORDER,
    },
    "table_header": {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="D9E1F2"),
        "border": _BORDER,
        "alignment": Alignment(vertical="top", wrap_text=True),
    },
    "label": {"font": Font(bold=True), "border": _BORDER, "fill": PatternFill("solid", fgColor="D9E1F2")},
    "prefilled": {"fill": PatternFill("solid", fgColor="EDEDED"), "border": _BORDER},
    "example": {"fill": PatternFill("solid", fgColor="D9D9D9"), "font": Font(italic=True, color="7F7F7F")},
    "input": {"fill": PatternFill("solid", fgColor="FFF2CC"), "border": _BORDER},
    "guidance": {
        "font": Font(italic=True, size=9, color="595959"),
        "alignment": Alignment(vertical="top", wrap_text=True),
    },
    "wrap": {"alignment": Alignment(vertical="top", wrap_text=True)},
    "bold": {"font": Font(bold=True)},
}


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
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_margins.left = ws.page_margins.right = 0.4
    total = sum(width_points(w) for w in widths)
    natural = PRINTABLE_WIDTH_PT[landscape] / total if total else 1.0
    ws.page_setup.scale = int(max(MIN_PRINT_SCALE, min(1.0, natural)) * 100)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    if natural < MIN_PRINT_SCALE and title_columns:
        ws.print_title_cols = title_columns
    if title_rows:
        ws.print_title_rows = title_rows


def needs_text_guard(value: Any) -> bool:
    """True for text that a spreadsheet would take for a formula (or an error value)."""
    return isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value.startswith("#"))


def column_range(col: int, first_row: int, last_row: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{first_row}:{letter}{last_row}"


def list_source(sheet: str, col: int, first_row: int, count: int) -> str:
    """Absolute reference to a vertical list, usable as a list validation's formula1."""
    letter = get_column_letter(col)
    return f"'{sheet}'!${letter}${first_row}:${letter}${first_row + max(count, 1) - 1}"


def _make_cell(ws: Any, spec: Any, styles: dict[tuple, StyleArray]) -> Any:
    if isinstance(spec, Cell):
        value, style, number_format, note = spec.value, spec.style, spec.number_format, spec.note
    else:
        value, style, number_format, note = spec, None, None, None
    cell = WriteOnlyCell(ws, value)
    guard = needs_text_guard(value)
    if guard:
        cell.data_type = "s"  # openpyxl would make "=..." a formula and "#N/A" an error
    if style or number_format or guard:
        # registering a style with the workbook hashes every font/fill/border: do it once per
        # workbook and combination, then copy the resulting style indices
        key = (style, number_format, guard)
        cached = styles.get(key)
        if cached is not None:
            cell._style = copy(cached)
        else:
            if guard:
                cell.quotePrefix = True
            if style:
                for attr, obj in STYLES[style].items():
                    setattr(cell, attr, obj)
            if number_format:
                cell.number_format = number_format
            styles[key] = copy(cell._style)
    if note:
        comment = Comment(note, "smartprov")
        comment.width = 320
        comment.height = 140
        cell.comment = comment
    return cell


def _row_values(ws: Any, row: Sequence[Any], styles: dict[tuple, StyleArray]) -> list[Any]:
    """Plain values pass through (fast path); anything special becomes a fresh cell.

    When a row holds a Cell, every non-empty value of the row gets its own cell, because
    openpyxl's write-only mode reuses one cell object for consecutive plain values.
    """
    if not any(isinstance(v, Cell) or needs_text_guard(v) for v in row):
        return list(row)
    return [None if v is None else _make_cell(ws, v, styles) for v in row]


class _DeterministicZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp and mode."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # noqa: D102
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: D102
        if isinstance(filename, io.BytesIO):
            self.writestr(arcname, filename.getvalue())
            return
        with open(filename, "rb") as f:
            data = f.read()
        self.writestr(arcname or Path(filename).name, data)


class _MemoryWorksheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, streaming into memory instead of a temporary file."""

    def __init__(self, ws: Any):
        super().__init__(ws, out=io.BytesIO())

    def cleanup(self) -> None:
        pass


def build_workbook(
    sheets: Iterable[SheetSpec],
    *,
    title: str | None = None,
    active: int | None = None,
    names: Mapping[str, str] | None = None,
) -> Workbook:
    """`names`: workbook-level defined names (name -> "'Sheet'!$A$2:$A$4"), e.g. for lists."""
    wb = Workbook(write_only=True)
    for name, ref in (names or {}).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    props = wb.properties
    props.creator = "smartprov"
    props.lastModifiedBy = "smartprov"
    props.created = FIXED_TIMESTAMP
    props.modified = FIXED_TIMESTAMP
    if title:
        props.title = title
    styles: dict[tuple, StyleArray] = {}
    for spec in sheets:
        for name, ref in spec.defined_names.items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        ws = wb.create_sheet(spec.name)
        if spec.hidden:
            ws.sheet_state = "hidden"
        if spec.tab_color:
            ws.sheet_properties.tabColor = spec.tab_color
        for col, width in spec.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        for row, height in {**wrapped_row_heights(spec), **spec.row_heights}.items():
            ws.row_dimensions[row].height = height
        if spec.freeze:
            ws.freeze_panes = spec.freeze
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
            dv = DataValidation(
                type=v.type,
                formula1=v.formula1,
                formula2=v.formula2,
                operator=v.operator,
                allow_blank=True,
                errorStyle=v.error_style,
                showErrorMessage=True,
                showInputMessage=bool(v.prompt),
                promptTitle=v.prompt_title,
                prompt=v.prompt,
                errorTitle=v.error_title,
                error=v.error,
            )
            dv.add(v.sqref)
            ws.data_validations.append(dv)
        for ref in spec.merges:
            ws.merged_cells.add(ref)
        # what WriteOnlyWorksheet._get_writer does, with an in-memory stream
        ws._writer = _MemoryWorksheetWriter(ws)
        ws._writer.write_top()
        for row in spec.rows:
            ws.append(_row_values(ws, row, styles))
    if active is not None:
        wb.active = active
    return wb


def workbook_bytes(
    sheets: Iterable[SheetSpec],
    *,
    title: str | None = None,
    active: int | None = None,
    names: Mapping[str, str] | None = None,
) -> bytes:
    wb = build_workbook(sheets, title=title, active=active, names=names)
    buf = io.BytesIO()
    with _DeterministicZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
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
