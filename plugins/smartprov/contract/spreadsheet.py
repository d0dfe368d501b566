"""What the contract promises about writing regency values back into a spreadsheet (§5).

Text that starts with `=`, `+`, `-` or `@` is stored as text and neutralised whenever it is
written into a workbook or CSV: the feedback attachment, the province report and any export.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_STARTS", "neutralise"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: Any) -> Any:
    """Make a value safe for a spreadsheet/CSV cell: text that a spreadsheet would run
    as a formula (starting with = + - @, tab or CR) gets a leading apostrophe."""
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
