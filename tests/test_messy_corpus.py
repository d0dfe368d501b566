"""A corpus of messy but valid workbooks, as regencies really fill them in: each must be accepted
(no ERROR) and read as what it means.

Merged title rows above the header, the header on row 10, shuffled and retyped headers, a `No`
column, Indonesian numbers and money text, dates with Indonesian month names, percent forms,
formula cells with cached values, extra and hidden sheets, hidden rows, empty rows between
data, total rows, `3273`-style region codes, `✓` quick wins, several OPDs in a cell, aliases.

Every workbook goes through the same core path as `smartprov validate` (parse_submission, then
check_submissions on the whole batch), each in its own regency folder; then one `run_once`
loads the whole corpus into a DuckDB warehouse and the values are checked there too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from smartprov.contract import catalogue as contract
from smartprov.ingest.parse import ParsedSubmission, parse_submission
from smartprov.run import steps
from smartprov.validation.batch import BatchValidator, check_submissions, masterplan_programs_frame
from smartprov.warehouse.connection import Warehouse
from workbooks import (
    IDENTITY,
    INDEKS,
    KESIAPAN,
    PROGRAM,
    PROGRAM_COLUMNS,
    REALISASI,
    Book,
    evaluasi,
    masterplan,
)


# -- helpers --------------------------------------------------------------------------------------
def record(sub: ParsedSubmission, sheet: str, key: str, column: str = "kode_program") -> dict[str, Any]:
    found = [r for r in sub.rows[sheet] if r[column] == key]
    assert len(found) == 1, (key, [r[column] for r in sub.rows[sheet]])
    return found[0]


def title_rows(book: Book, sheet: str, n: int, title: str) -> Book:
    """`n` rows above the header: a merged title, a subtitle, blank rows."""
    width = len(book.columns(sheet))
    rows: list[list[Any]] = [[title], ["Lampiran Peraturan Wali Kota"]] + [[] for _ in range(n - 2)]
    book.insert_rows(sheet, 1, rows[:n])
    book.merge(sheet, f"A1:{get_column_letter(width)}1")
    return book


# -- the corpus -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Messy:
    id: str
    kind: str  # MP / EV
    build: Callable[[Book, Book | None], None]  # mutates the target (and, for EV, its masterplan)
    check: Callable[[ParsedSubmission], None]
    warnings: frozenset[str] = frozenset()  # rule codes of the warnings it may get (EXTRA …)


def _titles(book: Book, _mp: Book | None) -> None:
    title_rows(book, PROGRAM, 3, "RENCANA INDUK SMART CITY 2022-2031")
    book.insert_rows(IDENTITY, 1, [["IDENTITAS DOKUMEN"], []])
    book.merge(IDENTITY, "A1:B1")


def _check_titles(sub: ParsedSubmission) -> None:
    assert len(sub.rows["Program"]) == 12
    assert record(sub, "Program", "GOV-01")["source_row"] == 5  # header on row 4
    assert sub.identity["_rows"]["kode_wilayah"] == 6
    assert sub.identity["periode_mulai"] == 2022


def _header_on_row_10(book: Book, _mp: Book | None) -> None:
    title_rows(book, PROGRAM, 9, "RENCANA INDUK")


def _check_row_10(sub: ParsedSubmission) -> None:
    assert record(sub, "Program", "GOV-01")["source_row"] == 11


def _shuffled_typed_headers(book: Book, _mp: Book | None) -> None:
    typed = {
        "kode_program": "Kode Program",
        "nama_program": "NAMA PROGRAM",
        "dimensi": "Dimensi",
        "elemen": " Elemen ",
        "opd_penanggung_jawab": "OPD Penanggung-Jawab",
        "tahun_mulai": "Tahun Mulai",
        "tahun_selesai": "Tahun_Selesai",
        "quick_win": "Quick Win?",
        "anggaran_rp": "Anggaran (Rp)",
        "sumber_dana": "Sumber Dana",
        "indikator_kinerja": "Indikator Kinerja",
        "target": "TARGET",
        "satuan": "Satuan.",
    }
    book.reorder_columns(PROGRAM, list(reversed(PROGRAM_COLUMNS)))
    for name, text in typed.items():
        book.rename_column(PROGRAM, name, text)
    n = len(book.data_rows(PROGRAM))
    book.insert_column(PROGRAM, 0, "No", range(1, n + 1))


def _check_shuffled(sub: ParsedSubmission) -> None:
    gov = record(sub, "Program", "GOV-01")
    assert gov["nama_program"] == "Mal Pelayanan Publik Digital"
    assert gov["dimensi"] == "Smart Governance" and gov["elemen"] == "Layanan Publik"
    assert gov["tahun_mulai"] == 2022 and gov["tahun_selesai"] == 2026
    assert gov["anggaran_rp"] == 2_500_000_000 and gov["quick_win"] is True
    assert gov["target"] == 120 and gov["satuan"] == "layanan"
    assert gov["source_row"] == 2
    assert {f.column for f in sub.findings if f.rule == "EXTRA"} == {"No"}


MONEY = {  # code -> (typed, rupiah)
    "GOV-01": ("Rp 1.500.000.000", 1_500_000_000),
    "GOV-02": ("1,5 M", 1_500_000_000),
    "BRD-01": ("750 jt", 750_000_000),
    "BRD-02": ("1.500.000.000,00", 1_500_000_000),
    "ECO-01": ("Rp 2,5 miliar", 2_500_000_000),
    "ECO-02": ("Rp. 800 juta", 800_000_000),
    "LIV-01": ("Rp 1.500.000,-", 1_500_000),
    "LIV-02": ("250 rb", 250_000),
    "SOC-01": ("1.500", 1_500),  # read the Indonesian way
    "SOC-02": ("Rp1,5M", 1_500_000_000),
    "ENV-01": ("2.000.000", 2_000_000),
    "ENV-02": ("-", None),  # empty
}
TARGETS = {
    "GOV-01": ("1.500", 1500.0),
    "GOV-02": ("1,5", 1.5),
    "BRD-01": ("1.234,5", 1234.5),
    "ECO-01": ("12,5", 12.5),
}


def _numbers(book: Book, _mp: Book | None) -> None:
    for code, (typed, _) in MONEY.items():
        book.set(PROGRAM, book.row_of(PROGRAM, code), "anggaran_rp", typed)
    for code, (typed, _) in TARGETS.items():
        book.set(PROGRAM, book.row_of(PROGRAM, code), "target", typed)
    book.set(PROGRAM, book.row_of(PROGRAM, "SOC-02"), "target", "N/A")
    book.set(PROGRAM, book.row_of(PROGRAM, "ECO-02"), "tahun_mulai", "2022")  # a year as text


def _check_numbers(sub: ParsedSubmission) -> None:
    for code, (_, rupiah) in MONEY.items():
        assert record(sub, "Program", code)["anggaran_rp"] == rupiah, code
    for code, (_, value) in TARGETS.items():
        assert record(sub, "Program", code)["target"] == value, code
    assert record(sub, "Program", "SOC-02")["target"] is None
    assert record(sub, "Program", "ECO-02")["tahun_mulai"] == 2022


def _date(text: Any, expected: dt.date) -> tuple[Callable, Callable]:
    def build(book: Book, _mp: Book | None) -> None:
        book.set_identity("tanggal_dokumen", text)

    def check(sub: ParsedSubmission) -> None:
        assert sub.identity["tanggal_dokumen"] == expected

    return build, check


DATES = [
    ("20 September 2022", dt.date(2022, 9, 20)),
    ("20 Agt 2022", dt.date(2022, 8, 20)),
    ("3 Agu 2022", dt.date(2022, 8, 3)),
    ("3 Ags 2022", dt.date(2022, 8, 3)),
    ("17 Nopember 2022", dt.date(2022, 11, 17)),
    ("5 Pebruari 2023", dt.date(2023, 2, 5)),
    ("1 Des 2022", dt.date(2022, 12, 1)),
    ("12 Okt 2022", dt.date(2022, 10, 12)),
    ("31 Mei 2022", dt.date(2022, 5, 31)),
    ("20/09/2022", dt.date(2022, 9, 20)),
    ("03/04/2022", dt.date(2022, 4, 3)),  # day first
    ("2022-09-20", dt.date(2022, 9, 20)),
    (dt.datetime(2022, 9, 20), dt.date(2022, 9, 20)),  # an Excel date
]


def _identity_typed(book: Book, _mp: Book | None) -> None:
    grid = book.sheet(IDENTITY).grid
    labels = {
        "kode_wilayah": "Kode Wilayah",
        "tanggal_dokumen": "Tanggal Dokumen:",
        "email_kontak": "E-mail Kontak",
    }
    for label, typed in labels.items():
        grid[book.identity_row(label) - 1][0] = typed
    book.set_identity(
        "kode_wilayah", book.sheet(IDENTITY).grid[book.identity_row("kode_wilayah") - 1][1].replace(".", "")
    )
    book.set_identity("versi_template", "1")
    book.set_identity("jenis_dokumen", "masterplan")
    book.set_identity("periode_mulai", "2022")
    book.set_identity("email_kontak", "mailto:Smartcity@Example.GO.ID")


def _check_identity_typed(sub: ParsedSubmission) -> None:
    assert sub.kind == "MASTERPLAN"
    assert sub.identity["kode_wilayah"] == sub.folder
    assert sub.identity["periode_mulai"] == 2022
    assert sub.identity["email_kontak"] == "Smartcity@example.go.id"


def _code_number(book: Book, _mp: Book | None) -> None:
    code = book.sheet(IDENTITY).grid[book.identity_row("kode_wilayah") - 1][1]
    book.set_identity("kode_wilayah", int(code.replace(".", "")))


def _check_code(sub: ParsedSubmission) -> None:
    assert sub.identity["kode_wilayah"] == sub.folder


QUICK = {"GOV-01": "✓", "BRD-01": "v", "ECO-01": "Y", "LIV-01": True, "SOC-01": 1, "ENV-01": "YA"}
NOT_QUICK = {"GOV-02": "", "BRD-02": "N", "ECO-02": 0, "LIV-02": False, "SOC-02": "tidak", "ENV-02": "-"}


def _choices(book: Book, _mp: Book | None) -> None:
    for code, typed in {**QUICK, **NOT_QUICK}.items():
        book.set(PROGRAM, book.row_of(PROGRAM, code), "quick_win", typed)
    aliases = {
        "GOV-01": ("Tata Kelola Pemerintahan", "pelayanan"),
        "BRD-01": ("branding daerah", "Tourism Branding"),
        "ECO-01": ("EKONOMI", "Ekosistem Industri"),
        "LIV-02": ("Kehidupan", "Transportasi"),
        "SOC-01": ("Masyarakat", "Pendidikan"),
        "ENV-01": (" Lingkungan ", "sampah"),
    }
    for code, (dim, el) in aliases.items():
        row = book.row_of(PROGRAM, code)
        book.set(PROGRAM, row, "dimensi", dim)
        book.set(PROGRAM, row, "elemen", el)
    row = book.row_of(PROGRAM, "GOV-01")
    book.set(PROGRAM, row, "opd_penanggung_jawab", "Diskominfo;  DPMPTSP, Bappeda")
    book.set(PROGRAM, row, "sumber_dana", "APBD Kab / Kota, CSR/APBN")


def _check_choices(sub: ParsedSubmission) -> None:
    for code in QUICK:
        assert record(sub, "Program", code)["quick_win"] is True, code
    for code in NOT_QUICK:
        assert record(sub, "Program", code)["quick_win"] in (False, None), code
    gov = record(sub, "Program", "GOV-01")
    assert (gov["dimensi"], gov["elemen"]) == ("Smart Governance", "Layanan Publik")
    assert gov["opd_penanggung_jawab"] == "Diskominfo; DPMPTSP; Bappeda"
    assert gov["sumber_dana"] == "APBD Kab/Kota; CSR; APBN"
    assert (record(sub, "Program", "BRD-01")["dimensi"], record(sub, "Program", "BRD-01")["elemen"]) == (
        "Smart Branding",
        "Pariwisata",
    )
    assert record(sub, "Program", "LIV-02")["elemen"] == "Mobilitas"
    assert record(sub, "Program", "SOC-01")["elemen"] == "Ekosistem Belajar"
    env = record(sub, "Program", "ENV-01")
    assert (env["dimensi"], env["elemen"]) == ("Smart Environment", "Pengelolaan Sampah")


def _formulas(book: Book, _mp: Book | None) -> None:
    row = book.row_of(PROGRAM, "GOV-01")
    book.formula(PROGRAM, row, "anggaran_rp", "1000000000+500000000", 1_500_000_000)
    book.formula(PROGRAM, row, "tahun_selesai", "F2+3", 2025)
    book.formula(PROGRAM, row, "nama_program", 'CONCATENATE("Mal ","Pelayanan")', "Mal Pelayanan")
    # a total row whose sum is a formula: skipped with an EXTRA warning
    last = book.data_rows(PROGRAM)[-1]
    total = book.add_row(PROGRAM, {"nama_program": "TOTAL"})
    book.formula(PROGRAM, total, "anggaran_rp", f"SUM(I2:I{last})", 27_200_000_000)


def _check_formulas(sub: ParsedSubmission) -> None:
    gov = record(sub, "Program", "GOV-01")
    assert gov["anggaran_rp"] == 1_500_000_000
    assert gov["tahun_selesai"] == 2025
    assert gov["nama_program"] == "Mal Pelayanan"
    assert len(sub.rows["Program"]) == 12
    assert [f.value for f in sub.findings if f.message_id == "EXTRA_TOTAL_ROW"] == ["TOTAL"]


def _extra_and_hidden(book: Book, _mp: Book | None) -> None:
    book.add_sheet("Petunjuk Pengisian", [["Isi sesuai template provinsi"]])
    book.move_sheet_last(PROGRAM)
    book.add_sheet("Rekap", [["Dimensi", "Jumlah"], ["Smart Governance", 2]])
    # an empty row and a hidden (valid) program between the programs, a hidden empty row at the end
    first = book.first_data_row(PROGRAM)
    book.insert_rows(PROGRAM, first + 3, [[], [None, None, None]])
    hidden = book.copy_row(PROGRAM, book.row_of(PROGRAM, "GOV-02"), kode_program="GOV-03", quick_win="Tidak")
    book.hide_row(PROGRAM, hidden)
    book.insert_rows(PROGRAM, hidden, [[]])
    book.hide_row(PROGRAM, hidden)


def _check_extra_and_hidden(sub: ParsedSubmission) -> None:
    assert len(sub.rows["Program"]) == 13
    assert record(sub, "Program", "BRD-01")["source_row"] == 4
    assert record(sub, "Program", "BRD-02")["source_row"] == 7  # after the two empty rows
    assert record(sub, "Program", "GOV-03")["source_row"] == 17  # hidden, still a program
    assert {f.sheet for f in sub.findings if f.message_id == "EXTRA_SHEET"} == {"Petunjuk Pengisian", "Rekap"}


def _numbered_template_rows(book: Book, _mp: Book | None) -> None:
    """The template came with a pre-numbered `No` column for 30 rows; 12 were filled in."""
    n = len(book.data_rows(PROGRAM))
    book.insert_column(PROGRAM, 0, "No", range(1, n + 1))
    for k in range(n + 1, 31):
        book.add_row(PROGRAM, [k])


def _check_numbered_template_rows(sub: ParsedSubmission) -> None:
    assert len(sub.rows["Program"]) == 12
    assert [(f.rule, f.column) for f in sub.findings] == [("EXTRA", "No")]


def _margin_column(book: Book, _mp: Book | None) -> None:
    book.insert_column(PROGRAM, 0, None)  # the table starts in column B
    title_rows(book, PROGRAM, 2, "DAFTAR PROGRAM")


def _check_margin_column(sub: ParsedSubmission) -> None:
    gov = record(sub, "Program", "GOV-01")
    assert gov["source_row"] == 4 and gov["anggaran_rp"] == 2_500_000_000


def _percents(book: Book, _mp: Book | None) -> None:
    forms = {"GOV-01": "60%", "GOV-02": 45, "ECO-01": "30 %", "LIV-01": "25,5", "BRD-01": "100%"}
    for code, typed in forms.items():
        book.set(REALISASI, book.row_of(REALISASI, code), "progres_persen", typed)
    for code, fraction in {"SOC-01": 0.5, "ENV-01": 0.7, "SOC-02": 1}.items():
        row = book.row_of(REALISASI, code)
        book.set(REALISASI, row, "progres_persen", fraction)
        book.number_format(REALISASI, row, "progres_persen", "0%")
    row = book.row_of(REALISASI, "ECO-02")
    book.formula(REALISASI, row, "progres_persen", "5+5", 10)
    book.set(REALISASI, book.row_of(REALISASI, "GOV-01"), "realisasi_anggaran_rp", "Rp 1,4 M")
    book.set(REALISASI, book.row_of(REALISASI, "GOV-02"), "realisasi_anggaran_rp", "500 jt")
    book.set(REALISASI, book.row_of(REALISASI, "BRD-01"), "capaian", "120.000")
    book.set(REALISASI, book.row_of(REALISASI, "ENV-02"), "keterangan", "=belum ada anggaran")


def _check_percents(sub: ParsedSubmission) -> None:
    expected = {
        "GOV-01": 60, "GOV-02": 45, "ECO-01": 30, "LIV-01": 25.5, "BRD-01": 100,
        "SOC-01": 50, "ENV-01": 70, "SOC-02": 100, "ECO-02": 10, "ENV-02": 0,
    }  # fmt: skip
    for code, pct in expected.items():
        assert record(sub, "Realisasi", code)["progres_persen"] == pytest.approx(pct), code
    assert record(sub, "Realisasi", "GOV-01")["realisasi_anggaran_rp"] == 1_400_000_000
    assert record(sub, "Realisasi", "GOV-02")["realisasi_anggaran_rp"] == 500_000_000
    assert record(sub, "Realisasi", "BRD-01")["capaian"] == 120_000
    assert record(sub, "Realisasi", "ENV-02")["keterangan"] == "=belum ada anggaran"  # kept as text


def _evaluation_messy(book: Book, _mp: Book | None) -> None:
    title_rows(book, REALISASI, 2, "REALISASI PROGRAM TAHUN 2024")
    title_rows(book, KESIAPAN, 3, "PENILAIAN KESIAPAN")
    book.reorder_columns(KESIAPAN, ["skor", "indikator", "bukti", "pilar"])
    book.rename_column(KESIAPAN, "pilar", "Pilar Kesiapan".replace(" Kesiapan", ""))
    book.set(KESIAPAN, book.row_of(KESIAPAN, "SDM TIK"), "skor", "3,5")
    book.set(KESIAPAN, book.row_of(KESIAPAN, "Pusat data"), "pilar", "infrastruktur ")
    book.set(INDEKS, book.row_of(INDEKS, "Total"), "aspek", "Indeks Pencapaian")
    book.set(INDEKS, book.row_of(INDEKS, "Indeks Pencapaian"), "nilai", "3,31")
    book.set(INDEKS, book.row_of(INDEKS, "Quick Win"), "aspek", "quick win")
    book.add_row(INDEKS, {"aspek": "Lingkungan", "nilai": "2,75"})
    book.set_identity("tahun_evaluasi", "2024")
    book.set_identity("tanggal_dokumen", "10 Pebruari 2025")
    book.rename_sheet(KESIAPAN, "KESIAPAN")


def _check_evaluation_messy(sub: ParsedSubmission) -> None:
    assert sub.identity["tahun_evaluasi"] == 2024
    assert sub.identity["tanggal_dokumen"] == dt.date(2025, 2, 10)
    assert record(sub, "Realisasi", "GOV-01")["source_row"] == 4
    assert record(sub, "Kesiapan", "SDM TIK", "indikator")["skor"] == 3.5
    assert record(sub, "Kesiapan", "Pusat data", "indikator")["pilar"] == "Infrastruktur"
    assert record(sub, "Indeks", "Total", "aspek")["nilai"] == pytest.approx(3.31)
    assert record(sub, "Indeks", "Smart Environment", "aspek")["nilai"] == pytest.approx(2.75)
    assert record(sub, "Indeks", "Quick Win", "aspek")["nilai"] == pytest.approx(3.4)


def _date_id(text: Any) -> str:
    return "date-" + re.sub(r"\W+", "-", str(text)).strip("-")


CORPUS: list[Messy] = [
    Messy("title-rows", "MP", _titles, _check_titles),
    Messy("header-on-row-10", "MP", _header_on_row_10, _check_row_10),
    Messy("shuffled-typed-headers", "MP", _shuffled_typed_headers, _check_shuffled, frozenset({"EXTRA"})),
    Messy("numbers-and-money", "MP", _numbers, _check_numbers),
    Messy("identity-as-typed", "MP", _identity_typed, _check_identity_typed),
    Messy("region-code-number", "MP", _code_number, _check_code),
    Messy("choices-aliases-lists", "MP", _choices, _check_choices),
    Messy("formulas-cached", "MP", _formulas, _check_formulas, frozenset({"EXTRA"})),
    Messy("extra-sheets-hidden-empty-rows", "MP", _extra_and_hidden, _check_extra_and_hidden, frozenset({"EXTRA"})),
    Messy("numbered-template-rows", "MP", _numbered_template_rows, _check_numbered_template_rows, frozenset({"EXTRA"})),
    Messy("margin-column", "MP", _margin_column, _check_margin_column),
    Messy("percents-and-realisation", "EV", _percents, _check_percents),
    Messy("evaluation-titles-aliases", "EV", _evaluation_messy, _check_evaluation_messy),
    *(Messy(_date_id(text), "MP", *_date(text, when)) for text, when in DATES),
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Any]:
    """Each messy workbook in its own regency folder (evaluations with a valid masterplan),
    parsed and validated as one batch, as `smartprov validate` does."""
    root = tmp_path_factory.mktemp("messy")
    regions = iter(r for r in contract.regions().values() if r.province_code in ("32", "33", "35"))
    paths: dict[str, Path] = {}
    for messy in CORPUS:
        region = next(regions)
        if messy.kind == "MP":
            book, mp = masterplan(region.code, region.name), None
        else:
            book, mp = evaluasi(region.code, region.name), masterplan(region.code, region.name)
        messy.build(book, mp)
        if mp is not None:
            mp.save(root / region.code / "masterplan.xlsx")
        paths[messy.id] = book.save(root / region.code / f"{messy.id}.xlsx")
    subs: dict[str, ParsedSubmission] = {}
    for path in sorted(root.glob("*/*.xlsx")):
        data = path.read_bytes()
        folder = path.parent.name
        subs[str(path)] = parse_submission(
            f"{folder}/{path.name}", data, hashlib.sha256(data).hexdigest(), folder
        )
    check_submissions(list(subs.values()), BatchValidator(), lambda region: None)
    return {"root": root, "subs": {m.id: subs[str(paths[m.id])] for m in CORPUS}, "all": subs}


@pytest.mark.parametrize("messy", CORPUS, ids=lambda m: m.id)
def test_messy_workbook_is_accepted_and_read_as_meant(corpus, messy):
    sub = corpus["subs"][messy.id]
    errors = [(f.rule, f.sheet, f.row, f.column, f.value) for f in sub.findings if f.severity == "ERROR"]
    assert not errors
    assert sub.readable and not sub.has_errors
    assert {f.rule for f in sub.findings} <= messy.warnings, [(f.rule, f.message_en) for f in sub.findings]
    messy.check(sub)


def test_messy_masterplans_feed_evaluations(corpus):
    """The programs an evaluation is checked against come from its regency's masterplan."""
    sub = corpus["subs"]["percents-and-realisation"]
    mp = next(
        s for s in corpus["all"].values() if s.kind == "MASTERPLAN" and s.region_code == sub.region_code
    )
    frame = masterplan_programs_frame(mp)
    assert len(frame) == 12 and frame["budget_idr"].sum() == pytest.approx(28_200_000_000)


@pytest.mark.timeout(600)
def test_messy_corpus_loads_with_the_right_values_in_the_warehouse(corpus, tmp_path, var_dir):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    report = steps.run_once(str(corpus["root"]), url, build=False, notify=False)
    statuses = {s["path"]: s["status"] for s in report["submissions"]}
    assert set(statuses.values()) == {"accepted"}, statuses
    assert len(statuses) == len(corpus["all"])
    by_id = {m.id: corpus["subs"][m.id] for m in CORPUS}
    with Warehouse(url) as wh:
        budgets = dict(
            wh.fetchall(
                "SELECT program_code, budget_idr FROM raw.masterplan_programs WHERE submission_id = ?",
                (by_id["numbers-and-money"].submission_id,),
            )
        )
        agencies = wh.fetchall(
            "SELECT agency_no, agency_name, is_lead FROM raw.masterplan_program_agencies "
            "WHERE submission_id = ? AND program_code = 'GOV-01' ORDER BY agency_no",
            (by_id["choices-aliases-lists"].submission_id,),
        )
        quick = dict(
            wh.fetchall(
                "SELECT program_code, is_quick_win FROM raw.masterplan_programs WHERE submission_id = ?",
                (by_id["choices-aliases-lists"].submission_id,),
            )
        )
        progress = dict(
            wh.fetchall(
                "SELECT program_code, progress_pct FROM raw.evaluation_realisations WHERE submission_id = ?",
                (by_id["percents-and-realisation"].submission_id,),
            )
        )
        rows = dict(
            wh.fetchall(
                "SELECT program_code, source_row FROM raw.masterplan_programs WHERE submission_id = ?",
                (by_id["extra-sheets-hidden-empty-rows"].submission_id,),
            )
        )
        dates = dict(
            wh.fetchall(
                "SELECT submission_id, document_date FROM audit.submissions WHERE submission_id = ?",
                (by_id["date-17-Nopember-2022"].submission_id,),
            )
        )
    assert {k: (None if v is None else float(v)) for k, v in budgets.items()} == {
        code: rupiah for code, (_, rupiah) in MONEY.items()
    }
    assert agencies == [(1, "Diskominfo", True), (2, "DPMPTSP", False), (3, "Bappeda", False)]
    assert {c for c, q in quick.items() if q} == set(QUICK)
    assert progress["SOC-01"] == pytest.approx(50) and progress["LIV-01"] == pytest.approx(25.5)
    assert rows["GOV-03"] == 17 and rows["BRD-02"] == 7
    assert list(dates.values()) == [dt.date(2022, 11, 17)]
