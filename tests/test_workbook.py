"""smartprov.ingest.workbook: hostile files refused fast and in bounded memory; valid ones read right."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from smartprov.contract import catalogue as contract
from smartprov.ingest.workbook import (
    FileRejected,
    Workbook,
    column_letter,
    find_header_row,
    normalize_header,
    open_workbook,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile  # noqa: E402

MEMORY_LIMIT_BYTES = 200 * 1024 * 1024

HOSTILE = [
    # id, builder, rule, Indonesian fragment, English fragment
    ("empty", hostile.empty_file, "FILE_UNREADABLE", "berkas kosong", "empty file"),
    ("oversized", hostile.oversized, "FILE_TOO_LARGE", "melebihi batas 20 MB", "exceeds the 20 MB limit"),
    ("zip-bomb", hostile.zip_bomb, "FILE_TOO_LARGE", "isi terurai 150,0 MB", "unpacks to 150.0 MB"),
    ("ratio-bomb", hostile.ratio_bomb, "FILE_TOO_LARGE", "rasio kompresi", "absurd compression ratio"),
    ("100001-rows", hostile.many_rows, "FILE_TOO_LARGE", "sampai baris 100.001", "down to row 100,001"),
    (
        "100001-rows-prefixed",
        lambda: hostile.many_rows(prefix="x"),
        "FILE_TOO_LARGE",
        "sampai baris 100.001",
        "down to row 100,001",
    ),
    (
        "100001-rows-no-refs",
        lambda: hostile.many_rows(refs=False),
        "FILE_TOO_LARGE",
        "sampai baris 100.001",
        "down to row 100,001",
    ),
    ("far-cell", hostile.far_cell, "FILE_TOO_LARGE", "sampai baris 1.048.576", "down to row 1,048,576"),
    ("wide-sheet", hostile.wide_sheet, "FILE_TOO_LARGE", "sampai sel XFD200", "reaches cell XFD200"),
    (
        "second-cell-ref-glued",
        lambda: hostile.second_cell_ref(glued=True),
        "FILE_UNREADABLE",
        "XML lembar 'Data' rusak",
        "sheet 'Data' XML is corrupt",
    ),
    (
        "second-cell-ref",
        lambda: hostile.second_cell_ref(glued=False),
        "FILE_UNREADABLE",
        "XML lembar 'Data' rusak",
        "sheet 'Data' XML is corrupt",
    ),
    (
        "second-cell-ref-beside-text-quoted",
        lambda: hostile.second_cell_ref_beside_text("<c r=\"A2\" r='XFD1048576'>"),
        "FILE_UNREADABLE",
        "XML lembar 'Data' rusak",
        "sheet 'Data' XML is corrupt",
    ),
    (
        "second-cell-ref-beside-text-gt",
        lambda: hostile.second_cell_ref_beside_text('<c r="A2" x="a>b" r=\'XFD1048576\'>'),
        "FILE_UNREADABLE",
        "XML lembar 'Data' rusak",
        "sheet 'Data' XML is corrupt",
    ),
    (
        "second-cell-ref-beside-text-spaced",
        lambda: hostile.second_cell_ref_beside_text('<c r="A2" r="XFD1048576" >'),
        "FILE_UNREADABLE",
        "XML lembar 'Data' rusak",
        "sheet 'Data' XML is corrupt",
    ),
    (
        "shared-string-bomb",
        hostile.shared_string_bomb,
        "FILE_TOO_LARGE",
        "teks sel (shared strings) terurai melebihi 100 MB",
        "cell text (shared strings) expands beyond 100 MB",
    ),
    (
        "shared-string-bomb-prefixed",
        lambda: hostile.shared_string_bomb(prefix="x"),
        "FILE_TOO_LARGE",
        "terurai melebihi 100 MB",
        "expands beyond 100 MB",
    ),
    ("billion-laughs", hostile.billion_laughs, "FILE_UNREADABLE", "memuat DTD/ENTITY", "sharedStrings.xml"),
    ("xxe", hostile.external_entity, "FILE_UNREADABLE", "memuat DTD/ENTITY", "declares a DTD/ENTITY"),
    ("utf16-xml", hostile.utf16_sheet, "FILE_UNREADABLE", "bukan UTF-8", "is not UTF-8"),
    (
        "encrypted",
        hostile.encrypted_xlsx,
        "FILE_UNREADABLE",
        "file terenkripsi",
        "encrypted (password-protected)",
    ),
    (
        "legacy-xls",
        hostile.legacy_xls,
        "FILE_UNREADABLE",
        "Excel 97-2003 (.xls)",
        "legacy Excel 97-2003 (.xls)",
    ),
    ("ods", hostile.ods_renamed, "FILE_UNREADABLE", "OpenDocument (.ods)", "OpenDocument spreadsheet (.ods)"),
    ("csv", hostile.csv_renamed, "FILE_UNREADABLE", "berkas teks/CSV", "a text/CSV file"),
    ("html", hostile.html_renamed, "FILE_UNREADABLE", "halaman HTML", "an HTML page"),
    ("pdf", hostile.pdf_renamed, "FILE_UNREADABLE", "berkas PDF", "a PDF file"),
    ("plain-zip", hostile.plain_zip, "FILE_UNREADABLE", "arsip zip, bukan workbook", "not a workbook"),
    ("truncated", hostile.truncated_xlsx, "FILE_UNREADABLE", "rusak atau terpotong", "corrupt or truncated"),
    ("corrupt-entry", hostile.corrupt_entry_xlsx, "FILE_UNREADABLE", "sheet1.xml' rusak", "is corrupt"),
]


@pytest.fixture(scope="module")
def hostile_files() -> dict[str, bytes]:
    return {case[0]: case[1]() for case in HOSTILE}


@pytest.mark.parametrize(("case", "rule", "detail_id", "detail_en"), [(c[0], *c[2:]) for c in HOSTILE])
def test_hostile_file_refused_fast_with_a_specific_detail(hostile_files, case, rule, detail_id, detail_en):
    data = hostile_files[case]
    with pytest.raises(FileRejected) as info:
        open_workbook(data)
    found = info.value.finding
    assert found.rule == rule
    assert found.severity == "ERROR"
    assert detail_id in found.message, found.message
    assert detail_en in found.message_en, found.message_en


@pytest.mark.parametrize("case", [c[0] for c in HOSTILE])
def test_hostile_file_refused_in_bounded_python_memory(hostile_files, case):
    data = hostile_files[case]
    tracemalloc.start()
    try:
        with pytest.raises(FileRejected):
            open_workbook(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT_BYTES, f"{case}: peak {peak / 2**20:.0f} MB"


CHILD = """
import json, resource, sys, time
sys.path[:0] = [{tests!r}]
import hostile
from smartprov.ingest.workbook import FileRejected, open_workbook
data = getattr(hostile, {builder!r})()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    open_workbook(data)
    rule = None
except FileRejected as exc:
    rule = exc.finding.rule
print(json.dumps({{"rule": rule, "seconds": time.perf_counter() - started, "before_kb": before,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


@pytest.mark.parametrize("builder", ["far_cell", "wide_sheet", "many_rows", "zip_bomb", "shared_string_bomb"])
def test_refusal_bounds_native_memory_too(builder):
    """calamine's memory is invisible to tracemalloc, and a dense-grid allocation failure aborts
    the process: run in a child and look at its peak RSS (far_cell alone would ask for 100 GB)."""
    code = CHILD.format(tests=str(Path(__file__).resolve().parent), builder=builder)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rule"] == "FILE_TOO_LARGE"
    assert (result["peak_kb"] - result["before_kb"]) * 1024 < MEMORY_LIMIT_BYTES


# -- The builders build what they claim (so that the refusals above mean something) ---------
def test_oversized_is_an_otherwise_valid_workbook():
    data = hostile.oversized()
    assert len(data) > contract.MAX_FILE_BYTES
    wb = open_workbook(data, max_bytes=len(data))
    assert wb.rows("Data") == [["kode_program"], ["P01"]]


def test_zip_bomb_declares_more_than_the_unpacked_limit():
    data = hostile.zip_bomb()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        declared = sum(i.file_size for i in zf.infolist())
    assert declared > contract.MAX_UNPACKED_BYTES
    assert len(data) < 1024 * 1024


def test_row_limit_is_exact():
    wb = open_workbook(hostile.many_rows(100_000))
    rows = wb.rows("Data")
    assert len(rows) == 100_000 and rows[-1] == [100_000.0]
    over = open_workbook(hostile.many_rows(100_001), max_rows=100_001)
    assert len(over.rows("Data")) == 100_001


@pytest.mark.parametrize("prefix", ["", "x"])
def test_shared_string_text_is_counted_per_referring_cell(prefix):
    # 300 cells referring to a 1,000-character string: ~300 KB of text once expanded
    data = hostile.shared_strings_workbook([5, 1000], [1] * 300 + [0] * 50, prefix=prefix)
    wb = open_workbook(data, max_text=400_000)
    rows = wb.rows("Data")
    assert len(rows) == 350 and rows[0] == ["x" * 1000] and rows[-1] == ["xxxxx"]
    with pytest.raises(FileRejected) as info:
        open_workbook(data, max_text=250_000)
    assert info.value.finding.rule == "FILE_TOO_LARGE"
    # many short strings used over and over stay far below the default limit
    common = hostile.shared_strings_workbook([12] * 50, [i % 50 for i in range(20_000)], prefix=prefix)
    assert len(open_workbook(common).rows("Data")) == 20_000


def test_shared_string_bomb_really_expands():
    data = hostile.shared_string_bomb()
    assert len(data) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
        sst = zf.read("xl/sharedStrings.xml")
    assert sheet.count(b'<c r="') == 20_000 and sheet.count(b"<v>0</v>") == 20_000
    assert len(sst) > 1024 * 1024  # 20,000 copies: > 20 GB


def test_billion_laughs_and_cfb_fixtures_are_real():
    with zipfile.ZipFile(io.BytesIO(hostile.billion_laughs())) as zf:
        sst = zf.read("xl/sharedStrings.xml")
    assert b"<!ENTITY lol9" in sst and b"&lol9;" in sst
    from smartprov.ingest.workbook import _cfb_entry_names

    assert {"EncryptionInfo", "EncryptedPackage"} <= _cfb_entry_names(hostile.encrypted_xlsx())
    assert "Workbook" in _cfb_entry_names(hostile.legacy_xls())


# -- Never anything but FileRejected ---------------------------------------------------------
def test_mangled_bytes_only_ever_raise_file_rejected():
    base = hostile.small_xlsx(
        {"Data": [["kode_program", "progres_persen"], *[[f"P{i:02}", i / 100] for i in range(40)]]},
        number_formats={("Data", "B2"): "0%"},
    )
    rng = random.Random(1)
    variants = [base[:n] for n in range(0, len(base), max(1, len(base) // 60))]
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        variants.append(bytes(data))
    outcomes = {"read": 0, "refused": 0}
    for data in variants:
        try:
            wb = open_workbook(data)
        except FileRejected as exc:
            assert exc.finding.rule in ("FILE_UNREADABLE", "FILE_TOO_LARGE")
            outcomes["refused"] += 1
            continue
        for name in wb.sheet_names:
            wb.rows(name)
            wb.percent_cells(name, 1)
        outcomes["read"] += 1
    assert outcomes["refused"] > 0 and outcomes["read"] > 0


# -- Valid workbooks --------------------------------------------------------------------------
PROGRAM_COLUMNS = [c.name for c in contract.PROGRAM.columns]


def program_workbook() -> bytes:
    return hostile.small_xlsx(
        {
            "Identitas": [["jenis_dokumen", "MASTERPLAN"], ["tanggal_dokumen", dt.datetime(2022, 9, 20)]],
            "Program": [
                ["RENCANA INDUK SMART CITY KABUPATEN BANDUNG 2022-2031"],
                [None],
                ["No", "Kode Program*", "NAMA_PROGRAM", "Dimensi", "elemen", "Tahun-Mulai", "Catatan", "  "],
                [1, "GOV-01", "Mal Pelayanan Publik", "Smart Governance", "Layanan Publik", 2023, "ok"],
                [2, "ENV-01", "Bank Sampah", "Lingkungan", "Sampah", 2024],
            ],
        },
        merges={"Program": ["A1:H1"]},
    )


def test_valid_workbook_read_with_header_under_merged_title_rows():
    wb = open_workbook(program_workbook())
    assert isinstance(wb, Workbook)
    assert wb.sheet_names == ["Identitas", "Program"]
    assert not wb.has_macros
    ident = wb.rows("Identitas")
    assert ident[0] == ["jenis_dokumen", "MASTERPLAN"]
    assert ident[1][1] == dt.date(2022, 9, 20)  # calamine: a date-formatted serial
    rows = wb.rows("Program")
    assert rows[0][0].startswith("RENCANA INDUK") and rows[0][1:] == [""] * 7  # merged title
    index, columns, extras = find_header_row(rows, PROGRAM_COLUMNS, contract.HEADER_SEARCH_ROWS)
    assert index == 2
    assert columns == {"kode_program": 1, "nama_program": 2, "dimensi": 3, "elemen": 4, "tahun_mulai": 5}
    assert extras == [(0, "No"), (6, "Catatan")]
    assert rows[index + 1][columns["kode_program"]] == "GOV-01"
    assert rows[index + 2][columns["tahun_mulai"]] == 2024


def test_header_row_is_the_best_match_within_the_search_rows():
    rows = [
        ["Dimensi"],  # a title that happens to be a column name
        ["kode_program", "nama_program", "dimensi"],
        ["kode_program", "nama_program"],
    ]
    assert find_header_row(rows, PROGRAM_COLUMNS)[0] == 1
    assert find_header_row([["judul"], [1, 2.0, None]], PROGRAM_COLUMNS) == (None, {}, [])
    late = [[""]] * 10 + [["kode_program", "nama_program"]]
    assert find_header_row(late, PROGRAM_COLUMNS, 10)[0] is None
    assert find_header_row(late, PROGRAM_COLUMNS, 11)[0] == 10
    # a repeated header is reported as extra (ignored); numbers are shown as written
    index, columns, extras = find_header_row([["kode_program", "Kode Program", 2024.0]], PROGRAM_COLUMNS)
    assert (index, columns, extras) == (0, {"kode_program": 0}, [(1, "Kode Program"), (2, "2024")])


@pytest.mark.parametrize(
    "text",
    ["Kode Program", "KODE_PROGRAM", "kode-program", "Kode Program*", " kode.program ", "Kode\nProgram"],
)
def test_normalize_header(text):
    assert normalize_header(text) == "kodeprogram"


def test_normalize_header_edge_cases():
    assert normalize_header("Progres (%)") == "progres"
    assert normalize_header(None) == ""
    assert normalize_header(2024.0) == "2024"
    assert normalize_header("ＫＯＤＥ") == "kode"  # full-width


@pytest.mark.parametrize(
    ("index", "letter"),
    [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_letter(index, letter):
    assert column_letter(index) == letter


def test_find_sheet_matches_like_headers():
    data = hostile.small_xlsx(
        {"IDENTITAS": [["a"]], "Data_Program": [["b"]], "Kesiapan ": [["c"]], "Daftar": [["d"]]}
    )
    wb = open_workbook(data)
    assert wb.sheet_names == ["IDENTITAS", "Data_Program", "Kesiapan ", "Daftar"]
    assert wb.find_sheet("Identitas") == "IDENTITAS"
    assert wb.find_sheet("data program") == "Data_Program"
    assert wb.find_sheet("kesiapan") == "Kesiapan "
    assert wb.find_sheet("Indeks") is None
    with pytest.raises(KeyError):
        wb.rows("Indeks")


def test_formulas_give_their_cached_values():
    sheet = hostile.sheet_xml(
        [
            ["a", "b", "a*b", "a+1", "teks"],
            [
                6,
                7,
                '<c r="{ref}"><f>A2*B2</f><v>42</v></c>',
                '<c r="{ref}"><f>A2+1</f></c>',  # never calculated: no cached value
                '<c r="{ref}" t="str"><f>"ok"</f><v>ok</v></c>',
            ],
        ]
    )
    wb = open_workbook(hostile.raw_xlsx({"Data": sheet}))
    assert wb.rows("Data")[1] == [6.0, 7.0, 42.0, "", "ok"]


def test_leading_empty_rows_and_columns_keep_sheet_positions():
    sheet = hostile.sheet_xml([[None], [None], [None, None, "kode_program"], [None, None, "P01"]])
    rows = open_workbook(hostile.raw_xlsx({"Data": sheet})).rows("Data")
    assert rows[0] == ["", "", ""]
    assert rows[2][2] == "kode_program" and rows[3][2] == "P01"


def test_percent_formatted_cells_are_found():
    values = [["kode_program", "progres_persen", "catatan"]]
    values += [[f"P{i}", 0.75, 0.5] for i in range(1, 8)]
    formats = {
        ("Data", "B2"): "0%",  # built-in 9
        ("Data", "B3"): "0.00%",  # built-in 10
        ("Data", "B4"): "0.0%",  # custom
        ("Data", "B5"): '0.0"%"',  # a literal % sign: no scaling
        ("Data", "B6"): "General",
        ("Data", "B7"): "#,##0.00",
        ("Data", "C2"): "0%",
        ("Data", "C8"): "0%",
    }
    wb = open_workbook(hostile.small_xlsx({"Data": values}, number_formats=formats))
    assert wb.rows("Data")[1][1] == 0.75
    assert wb.percent_cells("Data", 1) == {1, 2, 3}
    assert wb.percent_cells("Data", 2) == {1, 7}
    assert wb.percent_cells("Data", 0) == set()
    with pytest.raises(KeyError):
        wb.percent_cells("Nope", 1)


def test_percent_cells_without_cell_references():
    styles = hostile.styles_xml([9, "0.0%", "0.00"])  # s=1, s=2 percent; s=3 not
    sheet = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{hostile.MAIN_NS}"><x:sheetData>'
        '<x:row r="1"><x:c t="inlineStr"><x:is><x:t>kode</x:t></x:is></x:c></x:row>'
        '<x:row r="3"><x:c><x:v>1</x:v></x:c><x:c s="1"><x:v>0.5</x:v></x:c></x:row>'
        '<x:row><x:c><x:v>2</x:v></x:c><x:c s="3"><x:v>0.5</x:v></x:c></x:row>'
        '<x:row><x:c><x:v>3</x:v></x:c><x:c s="2"><x:v>0.25</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    wb = open_workbook(hostile.raw_xlsx({"Data": sheet}, styles=styles))
    rows = wb.rows("Data")
    assert [r[1] for r in rows[2:5]] == [0.5, 0.5, 0.25]
    assert wb.percent_cells("Data", 1) == {2, 4}


def test_macro_enabled_workbook_is_read_and_its_macros_ignored():
    wb = open_workbook(hostile.xlsm_with_macro())
    assert wb.has_macros
    assert wb.rows("Data") == [["kode_program"], ["P01"]]


def test_chart_sheet_has_no_rows():
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    for i in range(3):
        ws.append([i, i * 2])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3))
    book.create_chartsheet("Grafik").add_chart(chart)
    out = io.BytesIO()
    book.save(out)
    wb = open_workbook(out.getvalue())
    assert wb.sheet_names == ["Data", "Grafik"]
    assert wb.rows("Grafik") == []
    assert wb.percent_cells("Grafik", 0) == set()


def test_unusual_but_harmless_sheets_are_accepted():
    # the same rows written canonically, with a namespace prefix, and without cell references
    expected = [[float(r)] for r in range(1, 2001)]
    for kwargs in ({}, {"prefix": "x"}, {"refs": False}):
        assert open_workbook(hostile.many_rows(2000, **kwargs)).rows("Data") == expected, kwargs
    # 40 columns (past the fast path's box): exact pass, accepted
    wide = [[f"{hostile.col_letter(c)}{r}" for c in range(40)] for r in range(1, 51)]
    rows = open_workbook(hostile.raw_xlsx({"Data": hostile.sheet_xml(wide)})).rows("Data")
    assert len(rows) == 50 and rows[49][39] == "AN50"
    # a formatted but empty cell far away holds nothing: calamine skips it, so do the limits
    far_style = hostile.sheet_xml([["a"]]).replace(
        "</row></sheetData>", '</row><row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
    )
    assert open_workbook(hostile.raw_xlsx({"Data": far_style})).rows("Data") == [["a"]]


# -- Speed ------------------------------------------------------------------------------------


def test_plain_cells_beside_text_with_equals_take_the_quick_scan(monkeypatch):
    """Instruction texts and data validation messages hold '=' ("Selesai = 100"): with every
    cell tag plain, the sheet needs no exact XML pass (it cost a third of the parse phase)."""
    import smartprov.ingest.workbook as workbook

    def exact_pass(*_args):
        raise AssertionError("exact pass taken")

    monkeypatch.setattr(workbook, "_exact_sheet_scan", exact_pass)
    xml = hostile.sheet_xml([["Status", "Nilai"], ["Selesai = 100", 1.0]]).replace(
        "</sheetData>",
        '</sheetData><dataValidations count="1"><dataValidation type="whole" operator="between" '
        'error="Isi 0-100; Selesai = 100" sqref="B2:B9"><formula1>0</formula1><formula2>100</formula2>'
        "</dataValidation></dataValidations>",
    )
    assert open_workbook(hostile.raw_xlsx({"Data": xml})).rows("Data") == [
        ["Status", "Nilai"],
        ["Selesai = 100", 1.0],
    ]


def test_a_large_declared_dimension_alone_is_not_refused():
    """Excel declares formatted-but-empty rows in <dimension>: only real cells count."""
    wb = open_workbook(hostile.declared_dimension())
    assert [r[0] for r in wb.rows("Data")] == ["a", "b", "c"]
