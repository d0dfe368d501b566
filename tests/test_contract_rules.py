"""Every rule code of the submission contract, through the public path (`smartprov validate --json`).

For each rule code of docs/submission-contract.md (section 5) there are workbooks that break
it, each checked for the rule code, its severity, the sheet, the Excel row and the column the
contract names, and for a message in Indonesian and English; and for each a near miss (the
same workbook changed just enough to be right) that must be accepted without that rule.

All the workbooks go through ONE `smartprov validate --json` call, as a batch: each case lives
in its own regency folder (with its own masterplan for evaluations), so the test also checks
that bulk validation attributes every finding to the right file. Workbooks are built by
`tests/workbooks.py` with openpyxl, not by the project's own writer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import hostile
from smartprov import cli
from smartprov.contract import catalogue as contract
from smartprov.contract.findings import MESSAGES
from workbooks import (
    IDENTITY,
    INDEKS,
    KESIAPAN,
    PROGRAM,
    REALISASI,
    Book,
    evaluasi,
    masterplan,
)

CONTRACT_DOC = Path(__file__).resolve().parents[1] / "docs" / "submission-contract.md"
OTHER_REGION = ("32.04", "Kabupaten Bandung")  # a real regency that is not the sender
THIS_YEAR = dt.date.today().year

Where = tuple  # (sheet, row, column) or (sheet, row, column, value shown)


def contract_rule_table() -> dict[str, str]:
    """Rule code -> severity, read from the contract document's section 5 table."""
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    section = text.split("## 5.", 1)[1]
    return dict(re.findall(r"^\|\s*`([A-Z_]+)`\s*\|\s*(ERROR|WARNING)\s*\|", section, re.M))


@dataclass
class Ctx:
    """One workbook of a case: its book (or raw bytes), folder and file name, and for an
    evaluation the masterplan sent beside it (None: the regency has no masterplan)."""

    book: Book
    region: str
    folder: str
    name: str
    content: bytes | None = None
    masterplan: Book | None = None


@dataclass(frozen=True)
class Case:
    rule: str
    id: str
    kind: str  # "MP" or "EV"
    broken: Callable[[Ctx], Where]
    near: Callable[[Ctx], Any]
    says: str | None = None  # text the English message must contain (e.g. a suggestion)


# -- helpers for mutators -------------------------------------------------------------------------
def cell(sheet: str, key: Any, column: str, value: Any) -> Callable[[Ctx], Where]:
    """Set one data cell of the row whose key is `key`; the finding is expected there."""

    def mutate(ctx: Ctx) -> Where:
        row = ctx.book.row_of(sheet, key)
        ctx.book.set(sheet, row, column, value)
        return (sheet, row, column)

    return mutate


def ident(label: str, value: Any, column: str | None = None) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        ctx.book.set_identity(label, value)
        return (IDENTITY, ctx.book.identity_row(label), column or label)

    return mutate


def with_value(mutate: Callable[[Ctx], Where], shown: str) -> Callable[[Ctx], Where]:
    def wrapped(ctx: Ctx) -> Where:
        return (*mutate(ctx), shown)

    return wrapped


def pad_zip(data: bytes, total: int) -> bytes:
    """Add a stored, incompressible picture so that the file is `total` bytes (about)."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as zf:
        size = max(0, total - len(data))
        zf.writestr("xl/media/image1.png", random.Random(1).randbytes(size), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def stray_cell_sheet(ctx: Ctx, row: int) -> None:
    """An extra sheet (notes) with one value far down, at Excel row `row`."""
    ctx.book.add_sheet("Catatan", [[]] * (row - 1) + [["catatan akhir"]])


# -- the mutators, case by case ---------------------------------------------------------------------
def _csv(ctx: Ctx) -> Where:
    ctx.content = hostile.csv_renamed()
    return (None, None, None)


def _encrypted(ctx: Ctx) -> Where:
    ctx.content = hostile.encrypted_xlsx()
    return (None, None, None)


def _legacy_xls(ctx: Ctx) -> Where:
    ctx.content = hostile.legacy_xls()
    ctx.name = ctx.name.replace(".xlsx", ".xls")
    return (None, None, None)


def _upper_extension(ctx: Ctx) -> None:
    ctx.name = ctx.name.replace(".xlsx", ".XLSX")


def _too_many_rows(ctx: Ctx) -> Where:
    stray_cell_sheet(ctx, 100_001)
    return (None, None, None)


def _many_rows_ok(ctx: Ctx) -> None:
    stray_cell_sheet(ctx, 100_000)


def _too_big(ctx: Ctx) -> Where:
    ctx.content = pad_zip(ctx.book.to_bytes(), 21 * 1024 * 1024)
    return (None, None, None)


def _big_but_ok(ctx: Ctx) -> None:
    ctx.content = pad_zip(ctx.book.to_bytes(), 19 * 1024 * 1024)


def _folder_unknown(ctx: Ctx) -> Where:
    ctx.folder = "99.99"
    return (None, None, None, "99.99")


def _mismatch(ctx: Ctx) -> Where:
    ctx.book.set_identity("kode_wilayah", OTHER_REGION[0])
    ctx.book.set_identity("nama_wilayah", OTHER_REGION[1])
    return (IDENTITY, ctx.book.identity_row("kode_wilayah"), "kode_wilayah", OTHER_REGION[0])


def _code_as_digits_number(ctx: Ctx) -> None:
    ctx.book.set_identity("kode_wilayah", int(ctx.region.replace(".", "")))


def _code_as_float(ctx: Ctx) -> None:
    ctx.book.set_identity("kode_wilayah", float(ctx.region))


def _code_spaced_text(ctx: Ctx) -> None:
    ctx.book.set_identity("kode_wilayah", f"  {ctx.region} ")


def _no_kind_label(ctx: Ctx) -> Where:
    ctx.book.remove_identity("jenis_dokumen")
    return (IDENTITY, None, "jenis_dokumen")


def _kind_label_typed(ctx: Ctx) -> None:
    grid = ctx.book.sheet(IDENTITY).grid
    grid[ctx.book.identity_row("jenis_dokumen") - 1][0] = "Jenis Dokumen"


def _drop_sheet(name: str) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        ctx.book.drop_sheet(name)
        return (name, None, None)

    return mutate


def _rename_sheet(name: str, new: str) -> Callable[[Ctx], None]:
    def mutate(ctx: Ctx) -> None:
        ctx.book.rename_sheet(name, new)

    return mutate


def _drop_column(sheet: str, column: str) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        ctx.book.drop_column(sheet, column)
        return (sheet, None, column)

    return mutate


def _rename_column(sheet: str, column: str, new: str) -> Callable[[Ctx], None]:
    def mutate(ctx: Ctx) -> None:
        ctx.book.rename_column(sheet, column, new)

    return mutate


def _title_rows(n: int) -> Callable[[Ctx], Where]:
    """`n` title rows above the Program header: the header is on row n+1."""

    def mutate(ctx: Ctx) -> Where:
        ctx.book.insert_rows(PROGRAM, 1, [["RENCANA INDUK SMART CITY"]] + [[] for _ in range(n - 1)])
        return (PROGRAM, None, "kode_program")

    return mutate


def _numbered_row(with_name: bool) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        n = len(ctx.book.data_rows(PROGRAM))
        ctx.book.insert_column(PROGRAM, 0, "No", range(1, n + 1))
        row = ctx.book.add_row(PROGRAM, [n + 1, None, "Program tanpa kode" if with_name else None])
        return (PROGRAM, row, "kode_program")

    return mutate


def _no_programs(ctx: Ctx) -> Where:
    ctx.book.clear_data(PROGRAM)
    return (PROGRAM, None, "kode_program")


def _one_program(ctx: Ctx) -> None:
    s = ctx.book.sheet(PROGRAM)
    del s.grid[s.header_row + 1 :]  # the first program (a quick win) only


def _no_quick_win(ctx: Ctx) -> Where:
    for row in ctx.book.data_rows(PROGRAM):
        ctx.book.set(PROGRAM, row, "quick_win", "Tidak")
    return (PROGRAM, None, "quick_win")


def _one_quick_win(ctx: Ctx) -> None:
    for row in ctx.book.data_rows(PROGRAM)[1:]:
        ctx.book.set(PROGRAM, row, "quick_win", None)  # empty = Tidak


def _pillar_without_row(ctx: Ctx) -> Where:
    for row in reversed(ctx.book.data_rows(KESIAPAN)):
        if ctx.book.get(KESIAPAN, row, "pilar") == "Suprastruktur":
            ctx.book.delete_row(KESIAPAN, row)
    return (KESIAPAN, None, "pilar")


def _pillar_with_one_row(ctx: Ctx) -> None:
    ctx.book.delete_row(KESIAPAN, ctx.book.row_of(KESIAPAN, "Kelembagaan dewan smart city"))


def _formula_without_cache(ctx: Ctx) -> Where:
    row = ctx.book.row_of(PROGRAM, "ECO-01")
    ctx.book.formula(PROGRAM, row, "tahun_mulai", "2022+1")
    return (PROGRAM, row, "tahun_mulai")


def _formula_with_cache(ctx: Ctx) -> None:
    row = ctx.book.row_of(PROGRAM, "ECO-01")
    ctx.book.formula(PROGRAM, row, "tahun_mulai", "2022+1", cached=2023)


def _duplicate(sheet: str, key: Any, column: str, **changes: Any) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        row = ctx.book.copy_row(sheet, ctx.book.row_of(sheet, key), **changes)
        return (sheet, row, column)

    return mutate


def _copy(sheet: str, key: Any, **changes: Any) -> Callable[[Ctx], None]:
    def mutate(ctx: Ctx) -> None:
        ctx.book.copy_row(sheet, ctx.book.row_of(sheet, key), **changes)

    return mutate


def _no_masterplan(ctx: Ctx) -> Where:
    ctx.masterplan = None
    return (REALISASI, None, None)


def _nothing(ctx: Ctx) -> None:
    return None


def _period_outside(ctx: Ctx) -> Where:
    row = ctx.book.row_of(PROGRAM, "GOV-01")
    ctx.book.set(PROGRAM, row, "tahun_mulai", 2021)
    return (PROGRAM, row, "tahun_mulai", "2021")


def _period_outside_end(ctx: Ctx) -> Where:
    row = ctx.book.row_of(PROGRAM, "LIV-01")
    ctx.book.set(PROGRAM, row, "tahun_selesai", 2032)
    return (PROGRAM, row, "tahun_selesai", "2032")


def _period_edges(ctx: Ctx) -> None:
    row = ctx.book.row_of(PROGRAM, "GOV-01")
    ctx.book.set(PROGRAM, row, "tahun_mulai", 2022)
    ctx.book.set(PROGRAM, row, "tahun_selesai", 2031)


def _program_years_reversed(ctx: Ctx) -> Where:
    row = ctx.book.row_of(PROGRAM, "GOV-02")
    ctx.book.set(PROGRAM, row, "tahun_mulai", 2026)
    ctx.book.set(PROGRAM, row, "tahun_selesai", 2024)
    return (PROGRAM, row, "tahun_selesai")


def _program_one_year(ctx: Ctx) -> None:
    row = ctx.book.row_of(PROGRAM, "GOV-02")
    ctx.book.set(PROGRAM, row, "tahun_mulai", 2025)
    ctx.book.set(PROGRAM, row, "tahun_selesai", 2025)


def _identity_period_reversed(ctx: Ctx) -> Where:
    ctx.book.set_identity("periode_mulai", 2032)
    return (IDENTITY, ctx.book.identity_row("periode_mulai"), "periode_mulai")


def _period_span_long(ctx: Ctx) -> Where:
    ctx.book.set_identity("periode_selesai", 2045)  # 24 years, inside the 2017-2045 bounds
    return (IDENTITY, ctx.book.identity_row("periode_selesai"), "periode_selesai")


def _period_span_twenty(ctx: Ctx) -> None:
    ctx.book.set_identity("periode_selesai", 2041)


def _two_quick_wins(ctx: Ctx) -> Where:
    ctx.book.set(PROGRAM, ctx.book.row_of(PROGRAM, "GOV-02"), "quick_win", "Ya")
    return (PROGRAM, None, "quick_win")


def _quick_wins_as_ticks(ctx: Ctx) -> None:
    for row in ctx.book.data_rows(PROGRAM):
        if ctx.book.get(PROGRAM, row, "quick_win") == "Ya":
            ctx.book.set(PROGRAM, row, "quick_win", "✓")
        else:
            ctx.book.set(PROGRAM, row, "quick_win", "")


def _budget_overrun(ctx: Ctx) -> Where:
    row = ctx.book.row_of(REALISASI, "GOV-01")  # planned 2.500.000.000
    ctx.book.set(REALISASI, row, "realisasi_anggaran_rp", 3_800_000_000)
    return (REALISASI, row, "realisasi_anggaran_rp")


def _budget_at_150(ctx: Ctx) -> None:
    ctx.book.set(REALISASI, ctx.book.row_of(REALISASI, "GOV-01"), "realisasi_anggaran_rp", "Rp 3,75 M")


def _drop_dimension(ctx: Ctx) -> Where:
    for code in ("ENV-02", "ENV-01"):
        ctx.book.delete_row(PROGRAM, ctx.book.row_of(PROGRAM, code))
    return (PROGRAM, None, "dimensi")


def _one_program_in_dimension(ctx: Ctx) -> None:
    ctx.book.delete_row(PROGRAM, ctx.book.row_of(PROGRAM, "ENV-02"))


def _realisation_missing(ctx: Ctx) -> Where:
    ctx.book.delete_row(REALISASI, ctx.book.row_of(REALISASI, "GOV-02"))  # runs 2023-2025
    return (REALISASI, None, "kode_program")


def _finished_program_not_reported(ctx: Ctx) -> None:
    ctx.masterplan.set(PROGRAM, ctx.masterplan.row_of(PROGRAM, "GOV-02"), "tahun_selesai", 2023)
    ctx.book.delete_row(REALISASI, ctx.book.row_of(REALISASI, "GOV-02"))


def _extra_sheet(ctx: Ctx) -> Where:
    ctx.book.add_sheet("Catatan", [["Catatan tim penyusun"], ["Versi akhir setelah rapat"]])
    return ("Catatan", None, None)


def _extra_column(ctx: Ctx) -> Where:
    n = len(ctx.book.data_rows(PROGRAM))
    ctx.book.insert_column(PROGRAM, 0, "No", range(1, n + 1))
    return (PROGRAM, None, "No")


def _typed_headers(ctx: Ctx) -> None:
    ctx.book.rename_column(PROGRAM, "kode_program", "Kode Program")
    ctx.book.rename_column(PROGRAM, "opd_penanggung_jawab", "OPD Penanggung-Jawab")


def _total_row(ctx: Ctx) -> Where:
    row = ctx.book.add_row(PROGRAM, {"nama_program": "Jumlah"})
    first, last = ctx.book.first_data_row(PROGRAM), row - 1
    letter = "ABCDEFGHIJKLM"[ctx.book.col(PROGRAM, "anggaran_rp")]
    ctx.book.formula(PROGRAM, row, "anggaran_rp", f"SUM({letter}{first}:{letter}{last})", 28_200_000_000)
    return (PROGRAM, row, None, "Jumlah")


def _program_named_total(ctx: Ctx) -> None:
    ctx.book.copy_row(
        PROGRAM,
        ctx.book.row_of(PROGRAM, "GOV-02"),
        kode_program="GOV-03",
        nama_program="Total Layanan Digital",
    )


def _region_name_wrong(ctx: Ctx) -> Where:
    ctx.book.set_identity("nama_wilayah", "Kota Antah Berantah")
    return (IDENTITY, ctx.book.identity_row("nama_wilayah"), "nama_wilayah", "Kota Antah Berantah")


def _region_name_variant(ctx: Ctx) -> None:
    kind, _, base = contract.regions()[ctx.region].name.partition(" ")
    short = {"Kabupaten": "KAB.", "Kota": "KOTA"}[kind]
    ctx.book.set_identity("nama_wilayah", f"{short} {base.upper()}")


# -- template version 2 (contract section 6) --------------------------------------------------------
def _v2(book: Book, **milestones: Any) -> Book:
    book.set_identity("versi_template", 2)
    for label, value in milestones.items():
        book.add_identity(label, value)
    return book


def _year_column(book: Book, header: str, amounts: dict[str, Any]) -> int:
    """Add a money-per-year column (at the end) with amounts for some programs; its 0-based index."""
    position = len(book.columns(PROGRAM))
    book.insert_column(PROGRAM, position, header)
    for code, amount in amounts.items():
        book.set(PROGRAM, book.row_of(PROGRAM, code), header, amount)
    return position


def _v2_milestone(label: str, bad: Any, good: Any) -> tuple[Callable[[Ctx], Where], Callable[[Ctx], None]]:
    def broken(ctx: Ctx) -> Where:
        _v2(ctx.book, **{label: bad})
        return (IDENTITY, ctx.book.identity_row(label), label)

    def near(ctx: Ctx) -> None:
        _v2(ctx.book, **{label: good})

    return broken, near


def _v2_year_outside_program(amount: Any) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        _v2(ctx.book)
        _year_column(ctx.book, "Anggaran 2027", {"GOV-02": amount})  # GOV-02 runs 2023-2025
        return (PROGRAM, ctx.book.row_of(PROGRAM, "GOV-02"), "anggaran_2027")

    return mutate


def _v2_year_amount(amount: Any) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        _v2(ctx.book)
        _year_column(ctx.book, "Pagu 2024", {"GOV-01": amount})
        return (PROGRAM, ctx.book.row_of(PROGRAM, "GOV-01"), "anggaran_2024")

    return mutate


def _v2_year_sum(last: int) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        _v2(ctx.book)  # GOV-02: anggaran_rp 1.200.000.000, runs 2023-2025
        for year, amount in ((2023, 400_000_000), (2024, 400_000_000), (2025, last)):
            _year_column(ctx.book, f"anggaran_{year}", {"GOV-02": amount})
        return (PROGRAM, ctx.book.row_of(PROGRAM, "GOV-02"), "anggaran_rp")

    return mutate


def _v2_year_outside_period(year: int) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        _v2(ctx.book)  # period 2022-2031
        _year_column(ctx.book, f"anggaran_{year}", {})
        return (PROGRAM, None, f"anggaran_{year}")

    return mutate


def _v2_masterplan_with_years(book: Book) -> None:
    """GOV-01 (2.500.000.000 over 2022-2026) planned evenly: 500.000.000 a year."""
    _v2(book)
    for year in range(2022, 2027):
        _year_column(book, f"Anggaran {year}", {"GOV-01": 500_000_000})


def _v2_overrun_year(realised: Any) -> Callable[[Ctx], Where]:
    def mutate(ctx: Ctx) -> Where:
        _v2_masterplan_with_years(ctx.masterplan)
        row = ctx.book.row_of(REALISASI, "GOV-01")  # 2024: 1.400.000.000 of the whole budget's 150 % is fine
        ctx.book.set(REALISASI, row, "realisasi_anggaran_rp", realised)
        return (REALISASI, row, "realisasi_anggaran_rp")

    return mutate


_PENETAPAN = _v2_milestone("tanggal_penetapan", dt.date(2016, 12, 31), dt.date(2017, 1, 1))
_MOU_FUTURE = _v2_milestone(
    "tanggal_nota_kesepakatan",
    dt.date.today() + dt.timedelta(days=40),
    dt.date.today() + dt.timedelta(days=29),
)
_DASAR_HUKUM = _v2_milestone("dasar_hukum", "P" * 251, "Perbup No. 45 Tahun 2022 " + "x" * 225)
_BIMTEK = _v2_milestone("tahap_bimtek", "V", 3)


# -- the cases ----------------------------------------------------------------------------------------
CASES: list[Case] = [
    # FILE_UNREADABLE
    Case("FILE_UNREADABLE", "csv-renamed", "MP", _csv, _upper_extension),
    Case("FILE_UNREADABLE", "encrypted", "MP", _encrypted, _nothing, says="encrypted"),
    Case("FILE_UNREADABLE", "legacy-xls", "MP", _legacy_xls, _nothing),
    # FILE_TOO_LARGE
    Case("FILE_TOO_LARGE", "rows", "MP", _too_many_rows, _many_rows_ok),
    Case("FILE_TOO_LARGE", "size", "MP", _too_big, _big_but_ok),
    # UNKNOWN_REGION
    Case("UNKNOWN_REGION", "folder", "MP", _folder_unknown, _nothing),
    Case(
        "UNKNOWN_REGION",
        "kode-wilayah",
        "MP",
        with_value(ident("kode_wilayah", "32.99"), "32.99"),
        _code_as_digits_number,
    ),
    # REGION_MISMATCH
    Case("REGION_MISMATCH", "other-regency", "MP", _mismatch, _code_as_float),
    Case("REGION_MISMATCH", "other-regency-ev", "EV", _mismatch, _code_spaced_text),
    # TEMPLATE_VERSION
    Case("TEMPLATE_VERSION", "versi", "MP", with_value(ident("versi_template", 3), "3"), lambda c: c.book.set_identity("versi_template", "2")),
    Case(
        "TEMPLATE_VERSION",
        "jenis",
        "MP",
        with_value(ident("jenis_dokumen", "RENCANA INDUK"), "RENCANA INDUK"),
        lambda c: c.book.set_identity("jenis_dokumen", " Masterplan "),
    ),
    Case("TEMPLATE_VERSION", "jenis-missing", "EV", _no_kind_label, _kind_label_typed),
    # MISSING_SHEET
    Case("MISSING_SHEET", "program", "MP", _drop_sheet(PROGRAM), _rename_sheet(PROGRAM, "PROGRAM")),
    Case("MISSING_SHEET", "kesiapan", "EV", _drop_sheet(KESIAPAN), _drop_sheet(INDEKS)),
    Case("MISSING_SHEET", "identitas", "EV", _drop_sheet(IDENTITY), _rename_sheet(IDENTITY, "identitas")),
    # MISSING_COLUMN
    Case("MISSING_COLUMN", "dimensi", "MP", _drop_column(PROGRAM, "dimensi"), _rename_column(PROGRAM, "dimensi", " DIMENSI ")),
    Case("MISSING_COLUMN", "header-on-row-11", "MP", _title_rows(10), _title_rows(9)),
    Case("MISSING_COLUMN", "progres", "EV", _drop_column(REALISASI, "progres_persen"), _drop_column(REALISASI, "keterangan")),
    Case("MISSING_COLUMN", "skor", "EV", _drop_column(KESIAPAN, "skor"), _drop_column(KESIAPAN, "bukti")),
    # REQUIRED (a template's pre-numbered `No` column does not make an empty row a program)
    Case("REQUIRED", "numbered-row-with-a-name", "MP", _numbered_row(with_name=True), _numbered_row(with_name=False)),
    Case("REQUIRED", "nama-program", "MP", cell(PROGRAM, "SOC-01", "nama_program", None), cell(PROGRAM, "SOC-01", "indikator_kinerja", None)),
    Case("REQUIRED", "opd-dash", "MP", cell(PROGRAM, "ECO-02", "opd_penanggung_jawab", "-"), cell(PROGRAM, "ECO-02", "target", "-")),
    Case("REQUIRED", "email", "MP", ident("email_kontak", None), lambda c: c.book.set_identity("nomor_dokumen", None)),
    Case("REQUIRED", "kode-wilayah", "MP", ident("kode_wilayah", None), lambda c: c.book.set_identity("kode_wilayah", c.region.replace(".", ""))),
    Case("REQUIRED", "tahun-evaluasi", "EV", ident("tahun_evaluasi", "n/a"), lambda c: c.book.set_identity("nomor_dokumen", "N/A")),
    Case("REQUIRED", "no-program", "MP", _no_programs, _one_program),
    Case("REQUIRED", "no-quick-win", "MP", _no_quick_win, _one_quick_win),
    Case("REQUIRED", "pillar", "EV", _pillar_without_row, _pillar_with_one_row),
    Case("REQUIRED", "skor", "EV", cell(KESIAPAN, "Pusat data", "skor", None), cell(KESIAPAN, "Pusat data", "bukti", None)),
    Case("REQUIRED", "formula-no-cache", "MP", _formula_without_cache, _formula_with_cache),
    # TYPE
    Case("TYPE", "year", "MP", with_value(cell(PROGRAM, "ECO-01", "tahun_mulai", "2023/2024"), "2023/2024"), cell(PROGRAM, "ECO-01", "tahun_mulai", "2023")),
    Case("TYPE", "money", "MP", with_value(cell(PROGRAM, "GOV-01", "anggaran_rp", "dua miliar"), "dua miliar"), cell(PROGRAM, "GOV-01", "anggaran_rp", "Rp 2,5 M")),
    Case("TYPE", "date", "MP", with_value(ident("tanggal_dokumen", "kemarin"), "kemarin"), lambda c: c.book.set_identity("tanggal_dokumen", "20 Agt 2022")),
    Case("TYPE", "email", "EV", ident("email_kontak", "diskominfo at bandung.go.id"), lambda c: c.book.set_identity("email_kontak", " Diskominfo@Bandung.GO.ID ")),
    Case("TYPE", "score", "EV", cell(KESIAPAN, "SDM TIK", "skor", "tiga"), cell(KESIAPAN, "SDM TIK", "skor", "3,5")),
    Case("TYPE", "percent", "EV", cell(REALISASI, "GOV-01", "progres_persen", "setengah"), cell(REALISASI, "GOV-01", "progres_persen", "60%")),
    Case("TYPE", "target", "MP", cell(PROGRAM, "BRD-01", "target", "banyak"), cell(PROGRAM, "BRD-01", "target", "100.000")),
    # RANGE
    Case("RANGE", "progres", "EV", with_value(cell(REALISASI, "GOV-01", "progres_persen", 120), "120"), cell(REALISASI, "GOV-01", "progres_persen", "100%")),
    Case("RANGE", "skor", "EV", cell(KESIAPAN, "Pusat data", "skor", 6), cell(KESIAPAN, "Pusat data", "skor", 5)),
    Case("RANGE", "skor-low", "EV", cell(KESIAPAN, "Pusat data", "skor", "0,5"), cell(KESIAPAN, "Pusat data", "skor", "1")),
    Case("RANGE", "nilai", "EV", cell(INDEKS, "Output", "nilai", "5,5"), cell(INDEKS, "Output", "nilai", "3,31")),
    Case("RANGE", "anggaran-negative", "MP", cell(PROGRAM, "GOV-02", "anggaran_rp", -5_000_000), cell(PROGRAM, "GOV-02", "anggaran_rp", 0)),
    Case("RANGE", "kode-length", "MP", cell(PROGRAM, "GOV-02", "kode_program", "GOV-02-" + "X" * 14), cell(PROGRAM, "GOV-02", "kode_program", "GOV-02-" + "X" * 13)),
    Case("RANGE", "nama-length", "MP", cell(PROGRAM, "GOV-02", "nama_program", "N" * 251), cell(PROGRAM, "GOV-02", "nama_program", "N" * 250)),
    Case("RANGE", "tahun-evaluasi-future", "EV", ident("tahun_evaluasi", THIS_YEAR + 1), lambda c: c.book.set_identity("tahun_evaluasi", 2017)),
    Case("RANGE", "tahun-evaluasi-old", "EV", ident("tahun_evaluasi", 2016), lambda c: c.book.set_identity("tahun_evaluasi", "2017")),
    Case("RANGE", "realisasi-negative", "EV", cell(REALISASI, "GOV-02", "realisasi_anggaran_rp", "-Rp 5.000.000"), cell(REALISASI, "GOV-02", "realisasi_anggaran_rp", "Rp -")),
    Case("RANGE", "capaian-negative", "EV", cell(REALISASI, "GOV-02", "capaian", -1), cell(REALISASI, "GOV-02", "capaian", "0")),
    # bounds of both versions (section 6): rupiah <= 10^14 per row, dates 2017-01-01 .. arrival + 31 days, years 2017..2045
    Case("RANGE", "anggaran-1e18", "MP", cell(PROGRAM, "GOV-02", "anggaran_rp", 10**18), cell(PROGRAM, "GOV-02", "anggaran_rp", 10**14)),
    Case("RANGE", "realisasi-over-1e14", "EV", cell(REALISASI, "GOV-02", "realisasi_anggaran_rp", "100.000.000.000.001"), cell(REALISASI, "GOV-02", "realisasi_anggaran_rp", "1.000.000.000")),
    Case("RANGE", "tanggal-9999", "MP", with_value(ident("tanggal_dokumen", dt.date(9999, 12, 31)), "9999-12-31"), lambda c: c.book.set_identity("tanggal_dokumen", dt.date(2017, 1, 1))),
    Case("RANGE", "tanggal-2016", "EV", ident("tanggal_dokumen", "31/12/2016"), lambda c: c.book.set_identity("tanggal_dokumen", dt.date.today() + dt.timedelta(days=30))),
    Case("RANGE", "periode-2016", "MP", ident("periode_mulai", 2016), lambda c: c.book.set_identity("periode_mulai", 2017)),
    Case("RANGE", "tahun-2046", "MP", cell(PROGRAM, "LIV-02", "tahun_selesai", 2046), cell(PROGRAM, "LIV-02", "tahun_selesai", 2031)),
    # version 2
    Case("RANGE", "v2-year-outside-program", "MP", _v2_year_outside_program("Rp 100 jt"), _v2_year_outside_program(0)),
    Case("RANGE", "v2-year-over-1e14", "MP", _v2_year_amount(10**15), _v2_year_amount(10**14)),
    Case("RANGE", "v2-tanggal-penetapan", "MP", *_PENETAPAN),
    Case("RANGE", "v2-mou-future", "MP", *_MOU_FUTURE),
    Case("RANGE", "v2-dasar-hukum-length", "MP", *_DASAR_HUKUM),
    # ENUM
    Case("ENUM", "v2-tahap-bimtek", "MP", *_BIMTEK),
    Case("ENUM", "dimensi", "MP", with_value(cell(PROGRAM, "ENV-01", "dimensi", "Smart People"), "Smart People"), cell(PROGRAM, "ENV-01", "dimensi", "  smart ENVIRONMENT ")),
    Case("ENUM", "dimensi-typo", "MP", cell(PROGRAM, "ENV-01", "dimensi", "Smart Enviroment"), cell(PROGRAM, "ENV-01", "dimensi", "Lingkungan"), says="Smart Environment"),
    Case("ENUM", "elemen-of-other-dimension", "MP", cell(PROGRAM, "GOV-01", "elemen", "Kesehatan"), cell(PROGRAM, "GOV-01", "elemen", "pelayanan")),
    Case("ENUM", "status", "EV", cell(REALISASI, "GOV-02", "status", "Sudah Jalan"), cell(REALISASI, "GOV-02", "status", " berjalan ")),
    Case("ENUM", "pilar", "EV", cell(KESIAPAN, "Pusat data", "pilar", "Kultur"), cell(KESIAPAN, "Pusat data", "pilar", "INFRASTRUKTUR")),
    Case("ENUM", "quick-win", "MP", cell(PROGRAM, "GOV-02", "quick_win", "Mungkin"), cell(PROGRAM, "GOV-02", "quick_win", "N")),
    Case("ENUM", "sumber-dana", "MP", cell(PROGRAM, "GOV-02", "sumber_dana", "Dana Desa"), cell(PROGRAM, "GOV-02", "sumber_dana", "APBN / CSR")),
    Case("ENUM", "aspek", "EV", cell(INDEKS, "Outcome", "aspek", "Kualitas"), cell(INDEKS, "Outcome", "aspek", "Tata Kelola Pemerintahan")),
    # DUPLICATE
    Case("DUPLICATE", "kode-program", "MP", _duplicate(PROGRAM, "GOV-02", "kode_program", nama_program="E-Office Tahap 2"), _copy(PROGRAM, "GOV-02", kode_program="GOV-03")),
    Case("DUPLICATE", "kode-program-as-typed", "MP", _duplicate(PROGRAM, "GOV-02", "kode_program", kode_program=" gov-02", nama_program="E-Office Tahap 2"), _copy(PROGRAM, "GOV-02", kode_program="GOV-02A")),
    Case("DUPLICATE", "realisasi", "EV", _duplicate(REALISASI, "GOV-02", "kode_program"), _nothing),
    Case("DUPLICATE", "realisasi-as-typed", "EV", _duplicate(REALISASI, "GOV-02", "kode_program", kode_program="Gov-02"), _nothing),
    Case("DUPLICATE", "indikator", "EV", _duplicate(KESIAPAN, "Pusat data", "indikator"), _copy(KESIAPAN, "Pusat data", pilar="Struktur")),
    Case("DUPLICATE", "aspek", "EV", _duplicate(INDEKS, "Output", "aspek", nilai=3.0), _copy(INDEKS, "Output", aspek="Smart Governance")),
    # REFERENCE
    Case("REFERENCE", "program", "EV", with_value(cell(REALISASI, "GOV-02", "kode_program", "GOV-99"), "GOV-99"), cell(REALISASI, "GOV-02", "kode_program", " GOV-02 ")),
    Case("REFERENCE", "no-masterplan", "EV", _no_masterplan, _nothing),
    # PERIOD
    Case("PERIOD", "program-before-period", "MP", _period_outside, _period_edges),
    Case("PERIOD", "program-after-period", "MP", _period_outside_end, _period_edges),
    Case("PERIOD", "program-years-reversed", "MP", _program_years_reversed, _program_one_year),
    Case("PERIOD", "identity-reversed", "MP", _identity_period_reversed, lambda c: c.book.set_identity("periode_mulai", 2022)),
    # CONSISTENCY (warnings)
    Case("CONSISTENCY", "selesai-not-100", "EV", cell(REALISASI, "BRD-01", "progres_persen", 90), cell(REALISASI, "BRD-01", "progres_persen", "100%")),
    Case("CONSISTENCY", "belum-not-0", "EV", cell(REALISASI, "ENV-02", "progres_persen", 5), cell(REALISASI, "ENV-02", "progres_persen", "0%")),
    Case("CONSISTENCY", "budget-overrun", "EV", _budget_overrun, _budget_at_150),
    Case("CONSISTENCY", "v2-year-sum", "MP", _v2_year_sum(500_000_000), _v2_year_sum(405_000_000)),
    Case("CONSISTENCY", "v2-overrun-year", "EV", _v2_overrun_year(760_000_000), _v2_overrun_year("Rp 750 jt"), says="2024"),
    Case("CONSISTENCY", "quick-win-spread", "MP", _two_quick_wins, _quick_wins_as_ticks),
    Case("CONSISTENCY", "region-name", "MP", _region_name_wrong, _region_name_variant),
    Case("CONSISTENCY", "period-span", "MP", _period_span_long, _period_span_twenty),
    # COVERAGE (warnings)
    Case("COVERAGE", "dimension", "MP", _drop_dimension, _one_program_in_dimension),
    Case("COVERAGE", "realisation", "EV", _realisation_missing, _finished_program_not_reported),
    # EXTRA (warnings)
    Case("EXTRA", "sheet", "MP", _extra_sheet, _rename_sheet(PROGRAM, "program")),
    Case("EXTRA", "column", "MP", _extra_column, _typed_headers),
    Case("EXTRA", "total-row", "MP", _total_row, _program_named_total),
    Case("EXTRA", "v2-year-outside-period", "MP", _v2_year_outside_period(2035), _v2_year_outside_period(2031)),
]  # fmt: skip


# -- one batch through the CLI ---------------------------------------------------------------------
def _regions_for_cases() -> list[tuple[str, str]]:
    """Distinct real regencies, one per workbook of the batch (not the ones cases refer to)."""
    reserved = {OTHER_REGION[0], "32.99", "99.99"}
    return [(r.code, r.name) for r in contract.regions().values() if r.code not in reserved]


def _build(case: Case, variant: str, region: tuple[str, str]) -> tuple[Ctx, Where | None]:
    code, name = region
    book = masterplan(code, name) if case.kind == "MP" else evaluasi(code, name)
    ctx = Ctx(
        book=book,
        region=code,
        folder=code,
        name=f"{case.rule.lower()}-{case.id}-{variant}.xlsx",
        masterplan=masterplan(code, name) if case.kind == "EV" else None,
    )
    where = (case.broken if variant == "broken" else case.near)(ctx)
    return ctx, where if variant == "broken" else None


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict[tuple[str, str, str], dict]:
    """(rule, case id, 'broken' | 'near') -> {'item': the CLI's JSON for the file, 'where': expected}."""
    root = tmp_path_factory.mktemp("contract")
    regions = iter(_regions_for_cases())
    files: dict[str, tuple[str, str, str]] = {}
    expected: dict[tuple[str, str, str], Any] = {}
    paths: list[Path] = []
    for case in CASES:
        for variant in ("broken", "near"):
            ctx, where = _build(case, variant, next(regions))
            path = root / ctx.folder / ctx.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(ctx.content if ctx.content is not None else ctx.book.to_bytes())
            if ctx.masterplan is not None:
                mp = root / ctx.region / f"{case.rule.lower()}-{case.id}-{variant}-masterplan.xlsx"
                ctx.masterplan.save(mp)
                paths.append(mp)
            paths.append(path)
            files[str(path)] = (case.rule, case.id, variant)
            expected[(case.rule, case.id, variant)] = where
    out = root / "validate.json"
    missing_warehouse = f"duckdb:///{root / 'no-warehouse.duckdb'}"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli.main(["validate", *map(str, paths), "--json", "--warehouse", missing_warehouse])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    assert code == 1  # some files are rejected
    items = json.loads(buffer.getvalue())
    got = {}
    for item in items:
        if item["file"] in files:
            got[files[item["file"]]] = {"item": item, "where": expected[files[item["file"]]]}
        else:  # a supporting masterplan: always the valid baseline
            assert item["status"] == "accepted" and not item["findings"], item
    assert len(got) == 2 * len(CASES)
    return got


# -- the tests ------------------------------------------------------------------------------------
def test_the_contract_lists_the_rules_the_code_knows():
    table = contract_rule_table()
    assert len(table) == 17
    assert table == contract.RULES


def test_every_rule_of_the_contract_has_a_case():
    """A rule added to the contract without a test case fails here."""
    assert {c.rule for c in CASES} == set(contract_rule_table())
    ids = [(c.rule, c.id) for c in CASES]
    assert len(set(ids)) == len(ids)


def test_baselines_have_no_finding(tmp_path):
    mp = masterplan().save(tmp_path / "32.73" / "masterplan.xlsx")
    ev = evaluasi().save(tmp_path / "32.73" / "evaluasi.xlsx")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli.main(
            ["validate", str(mp), str(ev), "--json", "--warehouse", f"duckdb:///{tmp_path / 'x.duckdb'}"]
        )
    items = json.loads(buffer.getvalue())
    assert code == 0
    assert [(i["status"], i["findings"]) for i in items] == [("accepted", []), ("accepted", [])]
    assert [(i["kind"], i["period"], i["region_code"]) for i in items] == [
        ("MASTERPLAN", "2022-2031", "32.73"),
        ("EVALUASI", "2024", "32.73"),
    ]


def _located(finding: dict) -> tuple:
    return (finding["sheet"], finding["row"], finding["column"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_broken_workbook_gets_the_rule_at_its_location(batch, case):
    entry = batch[(case.rule, case.id, "broken")]
    item, where = entry["item"], entry["where"]
    severity = contract_rule_table()[case.rule]
    of_rule = [f for f in item["findings"] if f["rule"] == case.rule]
    assert of_rule, f"no {case.rule} finding; got {[(f['rule'], _located(f)) for f in item['findings']]}"
    matching = [f for f in of_rule if _located(f) == tuple(where[:3])]
    assert matching, f"{case.rule} expected at {where[:3]}, found at {[_located(f) for f in of_rule]}"
    f = matching[0]
    assert f["severity"] == severity
    if len(where) > 3:
        assert f["value"] == where[3]
    elif f["row"] is not None and case.rule != "REQUIRED":
        assert f["value"], "a finding on a cell shows the value found"
    assert item["status"] == ("rejected" if severity == "ERROR" else "accepted")
    # bilingual messages from the catalogue, Indonesian first
    assert f["message_id"] in MESSAGES and f["message_id"].startswith(case.rule)
    assert f["message"] and f["message_en"] and f["message"] != f["message_en"]
    for text in (f["message"], f["message_en"]):
        assert "{" not in text and "}" not in text, text
    if case.says:
        assert case.says in f["message_en"], f["message_en"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_near_miss_is_accepted_without_the_rule(batch, case):
    item = batch[(case.rule, case.id, "near")]["item"]
    errors = [(f["rule"], _located(f), f["value"]) for f in item["findings"] if f["severity"] == "ERROR"]
    assert item["status"] == "accepted", errors
    assert not errors
    assert case.rule not in {f["rule"] for f in item["findings"]}, item["findings"]


# -- the rule catalogue: one home per check -------------------------------------------------------
# Reading: a rule code may be checked for several things; each thing is one `Check` of the
# catalogue, reported with its own message id, from exactly one home (reader, gx or cross).

from smartprov.contract.rules import CATALOGUE, CROSS, GX, HOMES, READER  # noqa: E402

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins" / "smartprov"
EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"
# The modules that make each home's findings (the run's guards around reading count as reading).
HOME_MODULES = {
    READER: sorted([*(PLUGIN_DIR / "ingest").glob("*.py"), *(PLUGIN_DIR / "run").glob("*.py")]),
    CROSS: [PLUGIN_DIR / "validation" / "cross_rules.py"],
}
FINDING_FUNCTIONS = {"finding", "_finding"}


def _declared(home: str) -> set[tuple[str, str]]:
    return {(r.code, c.message_id) for r in CATALOGUE.values() for c in r.checks if c.home == home}


def _made_in(paths: list[Path]) -> set[tuple[str, str]]:
    """(rule, message id) of every finding(...) call with literal arguments in these files."""
    import ast

    out = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in FINDING_FUNCTIONS):
                continue
            literals = [
                a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if literals:
                out.add((literals[0], literals[1] if len(literals) > 1 else literals[0]))
    return out


def _expectations() -> list[tuple[str, int, dict]]:
    out = []
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        out += [(spec["name"], i, exp) for i, exp in enumerate(spec["expectations"])]
    return out


def test_every_rule_is_in_the_catalogue_with_checks_messages_and_advice():
    assert set(CATALOGUE) == set(contract.RULES)
    for code, rule in CATALOGUE.items():
        assert rule.checks, code
        assert all(c.home in HOMES for c in rule.checks), code
        ids = [c.message_id for c in rule.checks]
        assert len(ids) == len(set(ids)), f"{code}: a message id with two homes"
        assert set(ids) == set(rule.messages), f"{code}: every message belongs to one check"
        assert all(text_id and text_en and text_id != text_en for text_id, text_en in rule.messages.values())
        assert all(rule.advice) and rule.advice[0] != rule.advice[1], code
        assert set(rule.messages) <= set(MESSAGES)


# What a sentence that says how to fix something starts with (English; the Indonesian is checked
# to change along: it differs from the English and ends with its own instruction).
FIX_WORDS = (
    "Add", "add", "Check", "Choose", "Correct", "correct", "Enter", "Fill", "Leave", "Make", "Merge",
    "Remove", "remove", "Restore", "Save", "Set", "Shorten", "Upload", "Use", "Write", "send", "nothing to fix",
    "is not one of the allowed values (",  # ENUM: the allowed values listed, and the closest one
)  # fmt: skip


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_every_message_says_how_to_fix(message_id):
    """A message is read alone (feedback, `smartprov validate`): it says what to do, not only
    what is wrong. Messages completed at run time ({detail_en}, {todo_en}) say it there."""
    text_id, text_en = MESSAGES[message_id]
    if "{detail_en}" in text_en or "{todo_en}" in text_en:
        return
    assert any(word in text_en for word in FIX_WORDS), (message_id, text_en)
    assert text_id.rstrip().endswith((".", "}")), (message_id, text_id)


@pytest.mark.parametrize("home", [READER, CROSS])
def test_reader_and_cross_checks_are_made_where_the_catalogue_says(home):
    assert _made_in(HOME_MODULES[home]) == _declared(home)


def test_gx_checks_are_the_expectations_of_the_suites():
    used = {
        (e["meta"]["rule"], e["meta"].get("message_id") or e["meta"]["rule"]) for _, _, e in _expectations()
    }
    assert used == _declared(GX)


def test_no_column_is_checked_for_one_rule_by_the_reader_and_a_suite():
    """ENUM on a column whose reader knows its words (Ya/Tidak, funding sources), or TYPE on
    any column, would be a second home: the reader has already rejected what the suite tests."""
    types = {c.name: c.type for s in contract.DATA_SHEETS for c in s.columns} | {
        f.label: f.type for f in contract.IDENTITY_FIELDS
    }
    for suite, i, exp in _expectations():
        rule, column = exp["meta"]["rule"], exp["kwargs"].get("column")
        assert rule != "TYPE", f"{suite}[{i}]: TYPE is the reader's"
        if rule == "ENUM" and column in types:
            assert types[column] == "enum", f"{suite}[{i}]: {column} is read as {types[column]}"
        if rule == "REQUIRED":
            assert column not in ("kode_wilayah", "jenis_dokumen", "versi_template"), f"{suite}[{i}]"


# Every expectation must fail on some workbook, read by the real reader: a witness per
# expectation type, made with the workbook builder, never a hand-made frame.
# suite -> (workbook kind, sheet its findings are on, the frame validation/batch.py builds for it)
SUITE_BOOKS = {
    "identitas_masterplan": ("MP", IDENTITY, "identity"),
    "identitas_evaluasi": ("EV", IDENTITY, "identity"),
    "program": ("MP", PROGRAM, "sheet"),
    "program_anggaran_tahunan": ("MP", PROGRAM, "year_budgets"),
    "realisasi": ("EV", REALISASI, "sheet"),
    "kesiapan": ("EV", KESIAPAN, "sheet"),
    "indeks": ("EV", INDEKS, "sheet"),
}
WITNESS_YEAR = 2026
WITNESS_TODAY = dt.date(WITNESS_YEAR, 6, 30)  # the run's day: `current_year`, `latest_date`
# Identitas labels a version-1 workbook has; the others (section 6) are only read in version 2.
V1_LABELS = {f.label for f in contract.identity_fields("1")}
# The year-budget frame's column outside the program's own years (what its RANGE check bounds).
OUTSIDE_PROGRAM_YEARS = "anggaran_luar_tahun_program"


def _witness_parameters() -> dict[str, Any]:
    """The suite parameters a validation run on WITNESS_TODAY really uses (reference data, then
    the run's own), as `BatchValidator` passes them to the runner."""
    from smartprov.validation.batch import BatchValidator

    return BatchValidator(today=WITNESS_TODAY).suite_parameters()


def _bound(value: Any, params: dict[str, Any]) -> Any:
    """An expectation's min/max value, with a `{"$PARAMETER": name}` resolved."""
    return params[value["$PARAMETER"]] if isinstance(value, dict) else value


def _beyond(bound: Any, step: int) -> Any:
    """Just outside a bound: one below (step -1) or above (+1); a day for a date bound."""
    if isinstance(bound, dt.date):  # pandas Timestamps too: a cell gets a plain date
        out = bound + dt.timedelta(days=step)
        return out.date() if isinstance(out, dt.datetime) else out
    return bound + step


def _witness(suite: str, exp: dict, params: dict[str, Any]) -> Book:
    kind, sheet, frame = SUITE_BOOKS[suite]
    book = masterplan() if kind == "MP" else evaluasi()
    kwargs, kind_of = exp["kwargs"], exp["type"]
    column = kwargs.get("column")

    def put(value: Any) -> None:
        if frame == "year_budgets":
            # One `Anggaran <YYYY>` cell of the first program, in a version-2 workbook: a year
            # of the program's own, or (for the column that holds amounts outside them) the
            # year after its last one; both inside the masterplan period (2022-2031).
            row = book.data_rows(PROGRAM)[0]
            first, last = book.get(PROGRAM, row, "tahun_mulai"), book.get(PROGRAM, row, "tahun_selesai")
            year = last + 1 if column == OUTSIDE_PROGRAM_YEARS else first
            _v2(book)
            _year_column(book, f"Anggaran {year}", {book.get(PROGRAM, row, "kode_program"): value})
        elif sheet == IDENTITY and column not in V1_LABELS:
            _v2(book, **{column: value})  # a version-2 label: a version-2 workbook
        elif sheet == IDENTITY:
            book.set_identity(column, value)
        else:
            book.set(sheet, book.data_rows(sheet)[0], column, value)

    if kind_of == "expect_column_values_to_not_be_null":
        put(None)
    elif kind_of == "expect_column_value_lengths_to_be_between":
        put("X" * (int(kwargs["max_value"]) + 1))
    elif kind_of == "expect_column_values_to_be_in_set" and column == "dimensi_elemen":
        put_row = book.data_rows(sheet)[0]
        book.set(sheet, put_row, "dimensi", "Smart Economy")
        book.set(sheet, put_row, "elemen", "Kesehatan")  # an element of Smart Living
    elif kind_of == "expect_column_values_to_be_in_set":
        put("Nilai Yang Tidak Dikenal")
    elif kind_of == "expect_column_values_to_be_between":
        low, high = _bound(kwargs.get("min_value"), params), _bound(kwargs.get("max_value"), params)
        put(_beyond(low, -1) if low is not None else _beyond(high, +1))
    elif kind_of == "expect_compound_columns_to_be_unique":
        book.copy_row(sheet, book.data_rows(sheet)[0])
    else:
        pytest.fail(f"no witness for {kind_of}: add one to _witness")
    return book


@pytest.fixture(scope="module")
def single_expectation_runner(tmp_path_factory):
    """A runner holding one suite per expectation (`<suite>__<index>`)."""
    from smartprov.validation.gx import SuiteRunner

    folder = tmp_path_factory.mktemp("one-expectation-suites")
    for suite, i, exp in _expectations():
        name = f"{suite}__{i}"
        (folder / f"{name}.json").write_text(
            json.dumps({"name": name, "expectations": [exp]}), encoding="utf-8"
        )
    return SuiteRunner(suites_dir=folder, run_name="witness")


@pytest.mark.parametrize(("suite", "index"), [(s, i) for s, i, _ in _expectations()], ids=lambda v: str(v))
def test_every_expectation_can_fail_on_what_the_reader_produces(suite, index, single_expectation_runner):
    import hashlib

    from smartprov.ingest.parse import parse_submission
    from smartprov.validation.batch import identity_frame, sheet_frame, year_budget_frame
    from smartprov.validation.gx import reference_parameters

    exp = next(e for s, i, e in _expectations() if (s, i) == (suite, index))
    _, sheet, frame_of = SUITE_BOOKS[suite]
    params = _witness_parameters()
    data = _witness(suite, exp, reference_parameters() | params).to_bytes()
    sub = parse_submission("32.73/witness.xlsx", data, hashlib.sha256(data).hexdigest(), "32.73")
    assert sub.readable, [f.message_en for f in sub.findings]  # the reader let the value through
    if frame_of == "identity":
        frame = identity_frame([sub])
    elif frame_of == "year_budgets":
        frame = year_budget_frame([sub])
    else:
        frame = sheet_frame([sub], next(s for s in contract.DATA_SHEETS if s.name == sheet))
    got = single_expectation_runner.validate(f"{suite}__{index}", frame, sheet, params)
    assert [f.rule for _, f in got] and {f.rule for _, f in got} == {exp["meta"]["rule"]}, exp


def test_every_check_of_the_catalogue_fires_on_some_workbook(batch):
    """Each (rule, message id) of the catalogue is produced by some broken workbook of the cases
    above, through the public path: a declared check that nothing makes would be a dead entry."""
    seen = {(f["rule"], f["message_id"]) for v in batch.values() for f in v["item"]["findings"]}
    declared = {(r.code, c.message_id) for r in CATALOGUE.values() for c in r.checks}
    # No workbook breaks the run's own guard on purpose: it is made to fire by a validation and a
    # load that raise, in tests/test_landing_ledger.py, which must keep asserting that message id.
    guard = ("FILE_UNREADABLE", "FILE_UNPROCESSABLE")
    ledger_tests = (Path(__file__).parent / "test_landing_ledger.py").read_text(encoding="utf-8")
    assert ledger_tests.count('message_id == "FILE_UNPROCESSABLE"') >= 2
    assert declared - seen == {guard}
