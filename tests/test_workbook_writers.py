"""Workbooks as the usual writers save them take the pre-scan's quick path (no exact XML pass)
and read the same: XlsxWriter (shared strings, and inline strings in constant_memory mode),
openpyxl, and sheets spelled as LibreOffice Calc and Excel write them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from tests import hostile

import smartprov.ingest.workbook as workbook
from smartprov.ingest.workbook import FileRejected, open_workbook

ROWS = [
    ["kode_program", "nama_program", "anggaran", "tanggal", "selesai"],
    ["P01", "Satu = 1; lihat catatan", 1500000.0, dt.datetime(2024, 3, 1), True],
    ["P02", "Dua & <tiga>", 2.5, dt.datetime(2025, 12, 31), False],
    ["P03", " spasi di tepi ", -7.0, dt.datetime(2022, 1, 2), True],
]


@pytest.fixture
def quick_only(monkeypatch):
    """Fail the test if any sheet needs the exact (expat) pass."""

    def exact_pass(_arc, info, _scan):
        raise AssertionError(f"exact pass taken for {info.filename}")

    monkeypatch.setattr(workbook, "_exact_sheet_scan", exact_pass)


def _xlsxwriter(rows, tmp_path, **options) -> bytes:
    """Written to a file: XlsxWriter's in_memory mode would turn constant_memory off.
    Rows in order, as constant_memory needs."""
    import xlsxwriter

    path = tmp_path / "xlsxwriter.xlsx"
    book = xlsxwriter.Workbook(str(path), options)
    sheet = book.add_worksheet("Data")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    money = book.add_format({"num_format": "#,##0"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, date)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, float):
                sheet.write_number(r, c, value, money)
            else:
                sheet.write_string(r, c, value)
        if r == 1:
            sheet.write_string(1, 27, "catatan di AB2")  # past column Z
    # formulas with their cached values, then a formatted blank
    sheet.write_formula(4, 1, '="Jumlah "&A2', None, "Jumlah P01")
    sheet.write_formula(4, 2, "=SUM(C2:C4)", money, 1500000.0 + 2.5 - 7.0)
    sheet.write_formula(4, 4, "=AND(E2,E3)", None, False)
    sheet.write_blank(5, 0, None, money)
    book.close()
    return path.read_bytes()


def _openpyxl(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    for r in range(2, len(rows) + 1):
        sheet.cell(row=r, column=4).number_format = "dd/mm/yyyy"
    sheet.cell(row=2, column=28, value="catatan di AB2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _data_rows(data: bytes) -> list[list]:
    rows = open_workbook(data).rows("Data")
    return [row[:5] for row in rows[:4]]


@pytest.mark.parametrize(
    "options", [{}, {"constant_memory": True}], ids=["shared_strings", "constant_memory"]
)
def test_xlsxwriter_workbooks_take_the_quick_path(quick_only, options, tmp_path):
    data = _xlsxwriter(ROWS, tmp_path, **options)
    if options:  # constant_memory writes every string inline
        assert b'<c r="A1" t="inlineStr">' in _part(data, "xl/worksheets/sheet1.xml")
    else:
        assert b'<c r="A1" t="s">' in _part(data, "xl/worksheets/sheet1.xml")
    rows = open_workbook(data).rows("Data")
    assert [row[:5] for row in rows[:4]] == [
        ROWS[0],
        ["P01", "Satu = 1; lihat catatan", 1500000.0, dt.date(2024, 3, 1), True],
        ["P02", "Dua & <tiga>", 2.5, dt.date(2025, 12, 31), False],
        ["P03", " spasi di tepi ", -7.0, dt.date(2022, 1, 2), True],
    ]
    assert rows[4][1:5] == ["Jumlah P01", 1499995.5, "", False]
    assert rows[1][27] == "catatan di AB2"
    assert len(rows) == 5  # the formatted blank holds nothing


def test_xlsxwriter_and_openpyxl_read_alike(quick_only, tmp_path):
    expected = _data_rows(_openpyxl(ROWS))
    assert _data_rows(_xlsxwriter(ROWS, tmp_path)) == expected
    assert _data_rows(_xlsxwriter(ROWS, tmp_path, constant_memory=True)) == expected


def _part(data: bytes, name: str) -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read(name)


# Sheets spelled as LibreOffice Calc (7.x) and Excel (365) save them: their row attributes,
# namespaces, formulas, booleans and shared strings.
_SST = (
    f'{hostile.XML_DECL}<sst xmlns="{hostile.MAIN_NS}" count="4" uniqueCount="4">'
    "<si><t>kode_program</t></si><si><t>nama_program</t></si><si><t>P01</t></si>"
    '<si><t xml:space="preserve">Satu = 1 </t></si></sst>'
)
_CALC_SHEET = (
    f'{hostile.XML_DECL}<worksheet xmlns="{hostile.MAIN_NS}" xmlns:r="{hostile.REL_NS}">'
    '<sheetPr filterMode="false"><pageSetUpPr fitToPage="false"/></sheetPr><dimension ref="A1:D2"/>'
    '<sheetFormatPr defaultColWidth="11.53515625" defaultRowHeight="12.8" zeroHeight="false" outlineLevelRow="0" outlineLevelCol="0"/>'
    '<sheetData><row r="1" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false">'
    '<c r="A1" s="0" t="s"><v>0</v></c><c r="B1" s="0" t="s"><v>1</v></c></row>'
    '<row r="2" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false">'
    '<c r="A2" s="0" t="s"><v>2</v></c><c r="B2" s="0" t="s"><v>3</v></c>'
    '<c r="C2" s="0" t="n"><f aca="false">2*21</f><v>42</v></c><c r="D2" s="0" t="b"><v>1</v></c></row>'
    '</sheetData><printOptions headings="false" gridLines="false" gridLinesSet="true" horizontalCentered="false" verticalCentered="false"/>'
    '<pageMargins left="0.7875" right="0.7875" top="1.05277777777778" bottom="1.05277777777778" header="0.7875" footer="0.7875"/>'
    "</worksheet>"
)
_EXCEL_SHEET = (
    f'{hostile.XML_DECL}<worksheet xmlns="{hostile.MAIN_NS}" xmlns:r="{hostile.REL_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xr:uid="{00000000-0001-0000-0000-000000000000}"><dimension ref="A1:D2"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="14.4" x14ac:dyDescent="0.3"/><sheetData>'
    '<row r="1" spans="1:4" x14ac:dyDescent="0.3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2" spans="1:4" x14ac:dyDescent="0.3"><c r="A2" s="1" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c>'
    '<c r="C2"><f>2*21</f><v>42</v></c><c r="D2" t="b"><v>1</v></c></row></sheetData>'
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
)


@pytest.mark.parametrize("sheet", [_CALC_SHEET, _EXCEL_SHEET], ids=["libreoffice", "excel"])
def test_calc_and_excel_sheets_take_the_quick_path(quick_only, sheet):
    data = hostile.raw_xlsx({"Data": sheet}, shared_strings=_SST)
    assert open_workbook(data).rows("Data") == [
        ["kode_program", "nama_program", "", ""],
        ["P01", "Satu = 1 ", 42.0, True],
    ]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="XFD1048576" t="s"><v>0</v></c>',  # as XlsxWriter spells a cell, far away
        '<c r="A1048577" s="0" t="n"><v>1</v></c>',  # as Calc does, past the last row
    ],
)
def test_a_far_cell_in_a_writers_spelling_is_still_refused(cell):
    sheet = _CALC_SHEET.replace("</row></sheetData>", f"{cell}</row></sheetData>")
    with pytest.raises(FileRejected):
        open_workbook(hostile.raw_xlsx({"Data": sheet}, shared_strings=_SST))
