"""Plain table workbooks (.xlsx) for the findings attached to regency feedback.

Written with XlsxWriter (the project's one xlsx writer) in `constant_memory` mode: each row
goes to a temporary file as soon as the next one starts, so time is linear and memory flat
whatever the number of findings (50,000 findings: see BENCHMARKS.md).

Every text value is a text cell, never a formula, never an error value, whatever it starts
with (`smartprov.contract.xlsx`). Callers still neutralise text (a leading apostrophe) so
that a copy-paste out of Excel or a CSV export stays harmless. Characters XML 1.0 cannot
carry (control characters) become U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from smartprov.contract.xlsx import FIXED_PROPERTIES, OPTIONS, write_text, write_value

# Cell styles.
PLAIN, HEADER, WRAP = 0, 1, 2


@dataclass
class Table:
    """One sheet: a frozen header row, then rows of values (None, numbers, text)."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()
    wrap_from: int | None = None  # 0-based column from which text wraps (long messages)
    autofilter: bool = True
    landscape: bool = True  # printed on A4, one page wide, the header row on every page


# Printing one A4 landscape page wide with text at 8 pt or more leaves about 170 width units
# (11 pt text shrunk to ~75 %); wrapped columns give way first, never under _MIN_WRAPPED.
_PRINT_WIDTH_UNITS = 170.0
_MIN_WRAPPED = 18.0
_LINE_POINTS = 15.0
_PADDING = 5 / 7


def print_widths(table: Table) -> list[float]:
    """The column widths written: the caller's, with the wrapped (message) columns narrowed
    so that the sheet fits one printed page wide at a readable size."""
    widths = [float(w) for w in table.widths]
    wrap_from = len(widths) if table.wrap_from is None else table.wrap_from
    wrapped = range(min(wrap_from, len(widths)), len(widths))
    excess = sum(widths) - _PRINT_WIDTH_UNITS
    room = sum(max(widths[i] - _MIN_WRAPPED, 0.0) for i in wrapped)
    if excess > 0 and room > 0:
        give = min(1.0, excess / room)
        for i in wrapped:
            widths[i] -= max(widths[i] - _MIN_WRAPPED, 0.0) * give
            widths[i] = round(widths[i], 1)
    return widths


def _lines(text: str, width: float) -> int:
    per_line = max(1, int(width * 1.1) - 1)  # a little under what Excel and LibreOffice fit
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _row_height(values: Sequence[Any], widths: Sequence[float], wrap_from: int) -> float | None:
    """A wrapped cell's row gets its height: LibreOffice keeps the default height on opening
    a file, so a second line would print over the next row."""
    lines = max(
        (
            _lines(v, widths[i])
            for i, v in enumerate(values)
            if i >= wrap_from and isinstance(v, str) and i < len(widths)
        ),
        default=1,
    )
    return lines * _LINE_POINTS if lines > 1 else None


def _put(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()  # dates as the text the findings carry
    write_value(ws, row, col, value, fmt)


def _write_sheet(wb: xlsxwriter.Workbook, table: Table, formats: dict[int, Any]) -> None:
    ws = wb.add_worksheet(table.name)
    widths = print_widths(table)
    for col, width in enumerate(widths):
        # XlsxWriter, like Excel's column dialog, adds a cell's padding (5 px of 7 a
        # character) to a width; the widths here are the file's own, which the print
        # layout above was measured with
        ws.set_column(col, col, width - _PADDING)
    ncols = len(table.header)
    header = list(table.header)
    ws.set_row(0, _row_height(header, widths, 0))
    for col, title in enumerate(header):
        _put(ws, 0, col, title, formats[HEADER])
    wrap_from = ncols if table.wrap_from is None else table.wrap_from
    plain, wrap = formats[PLAIN], formats[WRAP]
    last = 0
    for last, values in enumerate(table.rows, start=1):
        values = values[:ncols]
        height = _row_height(values, widths, wrap_from)
        if height:
            ws.set_row(last, height)
        for col, value in enumerate(values):
            if isinstance(value, str):  # most cells: straight to the text writer
                write_text(ws, last, col, value, wrap if col >= wrap_from else plain)
            elif value is not None:
                _put(ws, last, col, value, plain)
    ws.freeze_panes(1, 0)
    if table.autofilter:
        ws.autofilter(0, 0, last, max(ncols, 1) - 1)
    # A4, one page wide and as many pages long as needed, narrow margins, the header row on
    # every page
    if table.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """An .xlsx holding `tables`, one sheet each, in order."""
    buf = io.BytesIO()
    # constant_memory: each row goes to a temporary file once the next one starts (flat
    # memory); XlsxWriter dates the zip entries 1980-01-31 and the properties are fixed, so
    # the same tables give the same bytes.
    wb = xlsxwriter.Workbook(buf, {**OPTIONS, "constant_memory": True})
    wb.set_properties(dict(FIXED_PROPERTIES))
    # every cell aligned to the top, so a short cell sits level with a wrapped one beside it
    formats = {
        PLAIN: wb.add_format({"valign": "top"}),
        HEADER: wb.add_format({"bold": True, "valign": "top", "text_wrap": True}),
        WRAP: wb.add_format({"valign": "top", "text_wrap": True}),
    }
    for table in tables:
        _write_sheet(wb, table, formats)
    wb.close()
    return buf.getvalue()
