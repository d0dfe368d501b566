"""Plain table workbooks (.xlsx) written straight as SpreadsheetML, in one pass.

For the findings attached to regency feedback, which can run to the sheet's row limit:
openpyxl spends ~25 µs per cell (a 50,000-finding sheet took ~20 s even in write-only mode);
this writer streams each row's XML into the zip member, linear in time and flat in memory.

Every text value is an inline string (`t="inlineStr"`): never a formula, never an error
value, whatever it starts with. Callers still neutralise text (a leading apostrophe) so that
a copy-paste out of Excel or a CSV export stays harmless. Characters XML 1.0 cannot carry
(control characters) become U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

# Cell styles (indices into styles.xml's cellXfs).
PLAIN, HEADER, WRAP = 0, 1, 2

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


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
    _columns: list[str] = field(default_factory=list, repr=False)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("\ufffd", value))


def _cell(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and value == value and value not in (float("inf"), float("-inf")):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(text)}</t></is></c>'


# Printing one A4 landscape page wide with text at 8 pt or more leaves about 170 width units
# (11 pt text shrunk to ~75 %); wrapped columns give way first, never under _MIN_WRAPPED.
_PRINT_WIDTH_UNITS = 170.0
_MIN_WRAPPED = 18.0
_LINE_POINTS = 15.0


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


def _sheet_rows(table: Table, out, widths: Sequence[float] = ()) -> int:
    letters = [column_letter(i) for i in range(len(table.header))]
    header = "".join(_cell(f"{letters[i]}1", v, HEADER) for i, v in enumerate(table.header))
    header_lines = max(
        (_lines(str(v), widths[i]) for i, v in enumerate(table.header) if i < len(widths) and v), default=1
    )
    height = f' ht="{header_lines * _LINE_POINTS:g}" customHeight="1"' if header_lines > 1 else ""
    out.write(f'<row r="1"{height}>{header}</row>'.encode())
    wrap_from = len(letters) if table.wrap_from is None else table.wrap_from
    n = 1
    for n, row in enumerate(table.rows, start=2):
        cells = "".join(
            _cell(f"{letters[i]}{n}", v, WRAP if i >= wrap_from and isinstance(v, str) else PLAIN)
            for i, v in enumerate(row[: len(letters)])
        )
        # A wrapped cell's row gets its height: LibreOffice keeps the default height on
        # opening a file, so a second line would print over the next row.
        lines = max(
            (
                _lines(v, widths[i])
                for i, v in enumerate(row[: len(letters)])
                if i >= wrap_from and isinstance(v, str) and i < len(widths)
            ),
            default=1,
        )
        height = f' ht="{lines * _LINE_POINTS:g}" customHeight="1"' if lines > 1 else ""
        out.write(f'<row r="{n}"{height}>{cells}</row>'.encode())
    return n


def _write_sheet(archive: zipfile.ZipFile, path: str, table: Table) -> int:
    last_col = column_letter(max(len(table.header), 1) - 1)
    widths = print_widths(table)
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
    )
    info = zipfile.ZipInfo(path, _ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        out.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>'.encode()
        )
        last_row = _sheet_rows(table, out, widths)
        out.write(b"</sheetData>")
        if table.autofilter:
            out.write(f'<autoFilter ref="A1:{last_col}{last_row}"/>'.encode())
        out.write(_print_setup(table).encode())
        out.write(b"</worksheet>")
    table._columns = [last_col, str(last_row)]
    return last_row


def _print_setup(table: Table) -> str:
    """A4, one page wide and as many pages long as needed, narrow margins (in the schema's
    order: printOptions, pageMargins, pageSetup); the header row repeats through the
    workbook's Print_Titles name."""
    orientation = "landscape" if table.landscape else "portrait"
    return (
        '<printOptions horizontalCentered="0"/>'
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
        f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """An .xlsx holding `tables`, one sheet each, in order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:

        def put(path: str, text: str) -> None:
            info = zipfile.ZipInfo(path, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)

        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(tables) + 1)
        )
        put(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>",
        )
        put(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        names = []
        for i, table in enumerate(tables, start=1):
            _write_sheet(archive, f"xl/worksheets/sheet{i}.xml", table)
            names.append(table)
        sheet_list = "".join(
            f'<sheet name={quoteattr(t.name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, t in enumerate(names, start=1)
        )
        # Excel wants the names sorted: _FilterDatabase before Print_Titles.
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_text(_sheet_ref(t.name))}!$A$1:${t._columns[0]}${t._columns[1]}</definedName>"
            for i, t in enumerate(names)
            if t.autofilter
        ) + "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{_text(_sheet_ref(t.name))}!$1:$1</definedName>'
            for i, t in enumerate(names)
        )
        put(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>{sheet_list}</sheets>'
            f"{f'<definedNames>{defined}</definedNames>' if defined else ''}</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(tables) + 1)
        )
        put(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{len(tables) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        put("xl/styles.xml", _STYLES)
    return buf.getvalue()


def _sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
