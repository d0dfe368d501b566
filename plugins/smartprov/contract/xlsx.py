"""Writing values into XlsxWriter sheets the way the contract promises (§5): text stays text.

The one .xlsx writer of the project is XlsxWriter (templates, sample workbooks, feedback
findings, reports, open-data bundles). This module holds what every one of them needs:

* `OPTIONS`: a string is never turned into a formula, a number or a link behind the caller's
  back, and a time zone never makes a datetime fail;
* `FIXED_PROPERTIES`: document properties that do not change between two runs, so the same
  description gives the same bytes (XlsxWriter dates every zip entry in 1980 by itself);
* `clean_text`: characters XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF, lone
  surrogates) become U+FFFD instead of a file that does not open;
* `write_text` / `write_value`: one cell by the type of its value, text always as a text cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

__all__ = ["FIXED_PROPERTIES", "OPTIONS", "clean_text", "write_text", "write_value"]

OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "remove_timezone": True,
}
FIXED_PROPERTIES: dict[str, Any] = {"author": "smartprov", "created": dt.datetime(2025, 1, 1, 0, 0, 0)}

# Tab, LF and CR are legal XML; the other C0 controls, the two non-characters and surrogates
# (which no UTF-8 file can hold) are not.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


def write_text(ws: Any, row: int, col: int, text: str, fmt: Any = None) -> None:
    """A text cell (0-based row and column), whatever the text says."""
    text = clean_text(text)
    # In constant_memory mode XlsxWriter copies a string that starts with "<r>" and ends with
    # "</r>" into the sheet XML unescaped (it takes it for its own rich-text runs), so such a
    # text could add cells, formulas included. Written as a two-run rich string it is
    # escaped like any other text and reads back unchanged.
    if text.startswith("<r>") and text.endswith("</r>"):
        if fmt is None:  # a run needs a font: the default one (a Format of no workbook)
            from xlsxwriter.format import Format

            ws.write_rich_string(row, col, text[:1], Format(), text[1:])
        else:
            ws.write_rich_string(row, col, text[:1], fmt, text[1:], fmt)
    else:
        ws.write_string(row, col, text, fmt)


def write_value(ws: Any, row: int, col: int, value: Any, fmt: Any = None, date_fmt: Any = None) -> None:
    """One cell by the type of its value: None (empty; a blank cell when it has a format),
    bool, a finite number, a date or datetime (with `date_fmt` when `fmt` is None: a date
    needs a format to show as one), anything else as its text."""
    if value is None:
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        write_text(ws, row, col, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal) and math.isfinite(value):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, dt.date | dt.time):
        ws.write_datetime(row, col, value, fmt if fmt is not None else date_fmt)
    else:  # infinities and NaN (Excel has none), anything else: their text
        write_text(ws, row, col, str(value), fmt)
