"""Contract-shaped workbooks from Python data, written as real .xlsx files with openpyxl.

Independent of `smartprov` (nothing is imported from it, not even the contract): the files
are made the way a regency's Diskominfo makes them in Excel, so that tests do not merely
round-trip the project's own generator. A `Book` is a list of sheets, each a grid of Python
values (row i of the grid = the sheet's Excel row i+1); data sheets remember their header
row so that helpers address cells by Excel row number and contract column name.

    book = masterplan()                      # valid: Kota Bandung (32.73), 12 programs
    row = book.row_of("Program", "GOV-01")   # Excel row of a program
    book.set("Program", row, "dimensi", "Smart People")
    book.save(tmp_path / "32.73" / "masterplan.xlsx")

Formula cells keep a cached value (`book.formula(...)`): openpyxl cannot write one, so the
saved zip is post-processed to `<c r="J5"><f>SUM(..)</f><v>123</v></c>`, as Excel writes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

REGION = "32.73"
REGION_NAME = "Kota Bandung"
PERIOD = (2022, 2031)
EVALUATION_YEAR = 2024

IDENTITY = "Identitas"
PROGRAM = "Program"
REALISASI = "Realisasi"
KESIAPAN = "Kesiapan"
INDEKS = "Indeks"

PROGRAM_COLUMNS = [
    "kode_program",
    "nama_program",
    "dimensi",
    "elemen",
    "opd_penanggung_jawab",
    "tahun_mulai",
    "tahun_selesai",
    "quick_win",
    "anggaran_rp",
    "sumber_dana",
    "indikator_kinerja",
    "target",
    "satuan",
]
REALISASI_COLUMNS = [
    "kode_program",
    "status",
    "progres_persen",
    "realisasi_anggaran_rp",
    "capaian",
    "keterangan",
]
KESIAPAN_COLUMNS = ["pilar", "indikator", "skor", "bukti"]
INDEKS_COLUMNS = ["aspek", "nilai"]

# code, name, dimension, element, agencies, start, end, quick win, budget, funding, indicator, target, unit
PROGRAMS: list[tuple] = [
    ("GOV-01", "Mal Pelayanan Publik Digital", "Smart Governance", "Layanan Publik", "Diskominfo; DPMPTSP",
     2022, 2026, "Ya", 2_500_000_000, "APBD Kab/Kota", "Layanan daring", 120, "layanan"),
    ("GOV-02", "E-Office Terpadu", "Smart Governance", "Tata Kelola Birokrasi", "Diskominfo",
     2023, 2025, "Tidak", 1_200_000_000, "APBD Kab/Kota", "Perangkat daerah terhubung", 50, "OPD"),
    ("BRD-01", "Portal Wisata Bandung", "Smart Branding", "Pariwisata", "Disbudpar",
     2022, 2024, "Ya", 800_000_000, "APBD Kab/Kota, CSR", "Kunjungan portal", 100_000, "kunjungan"),
    ("BRD-02", "Penataan Wajah Kota Braga", "Smart Branding", "Wajah Kota", "Dinas Cipta Karya",
     2027, 2030, "Tidak", 5_000_000_000, "APBD Provinsi", None, None, None),
    ("ECO-01", "Pasar Digital UMKM", "Smart Economy", "Industri", "Dinas KUKM",
     2023, 2027, "Ya", 1_000_000_000, "APBN", "UMKM daring", 2000, "UMKM"),
    ("ECO-02", "Retribusi Non Tunai", "Smart Economy", "Transaksi Keuangan", "Bapenda",
     2022, 2025, "Tidak", 600_000_000, "APBD Kab/Kota", "Transaksi non tunai", 75, "persen"),
    ("LIV-01", "Puskesmas Terintegrasi", "Smart Living", "Kesehatan", "Dinas Kesehatan",
     2022, 2031, "Ya", 3_000_000_000, "APBD Kab/Kota / APBN", "Puskesmas terhubung", 80, "puskesmas"),
    ("LIV-02", "Bus Rapid Transit", "Smart Living", "Mobilitas", "Dinas Perhubungan",
     2028, 2031, "Tidak", 9_000_000_000, "KPBU", None, None, None),
    ("SOC-01", "Sekolah Digital", "Smart Society", "Ekosistem Belajar", "Dinas Pendidikan",
     2023, 2026, "Ya", 1_500_000_000, "APBD Kab/Kota", "Sekolah terhubung", 300, "sekolah"),
    ("SOC-02", "Command Center Keamanan", "Smart Society", "Keamanan", "Satpol PP; Diskominfo",
     2022, 2024, "Tidak", 2_000_000_000, "Hibah", "Titik CCTV", 500, "titik"),
    ("ENV-01", "Bank Sampah Digital", "Smart Environment", "Pengelolaan Sampah", "DLH",
     2022, 2025, "Ya", 700_000_000, "CSR", "Bank sampah aktif", 150, "unit"),
    ("ENV-02", "Sensor Kualitas Udara", "Smart Environment", "Proteksi Lingkungan", "DLH",
     2024, 2028, "Tidak", 900_000_000, "APBD Kab/Kota", "Sensor terpasang", 30, "sensor"),
]  # fmt: skip

# Realisasi for EVALUATION_YEAR: every program running in 2024 (BRD-02 and LIV-02 start later).
REALISATIONS: list[tuple] = [
    ("GOV-01", "Berjalan", 60, 1_400_000_000, 70, None),
    ("GOV-02", "Berjalan", 45, 500_000_000, 20, "Tahap integrasi"),
    ("BRD-01", "Selesai", 100, 790_000_000, 120_000, None),
    ("ECO-01", "Berjalan", 30, 250_000_000, 600, None),
    ("ECO-02", "Tertunda", 10, 50_000_000, None, "Menunggu regulasi"),
    ("LIV-01", "Berjalan", 25, 700_000_000, 20, None),
    ("SOC-01", "Berjalan", 50, 600_000_000, 140, None),
    ("SOC-02", "Selesai", 100, 1_950_000_000, 500, None),
    ("ENV-01", "Berjalan", 70, 400_000_000, 90, None),
    ("ENV-02", "Belum Dimulai", 0, None, None, "Pengadaan 2025"),
]
READINESS: list[tuple] = [
    ("Struktur", "SDM TIK", 3, "SK Tim Smart City 2023"),
    ("Struktur", "Anggaran TIK", 3.5, None),
    ("Infrastruktur", "Jaringan fiber optik", 4, "https://diskominfo.bandung.go.id/jaringan"),
    ("Infrastruktur", "Pusat data", 3, None),
    ("Suprastruktur", "Perwal Smart City", 4, "Perwal No. 12 Tahun 2022"),
    ("Suprastruktur", "Kelembagaan dewan smart city", 2, None),
]
INDEX: list[tuple] = [
    ("Baseline", 3.5),
    ("Output", 3.2),
    ("Outcome", 3.0),
    ("Impact", 2.8),
    ("Quick Win", 3.4),
    ("Total", 3.31),
]


def _norm(text: Any) -> str:
    """Header matching as the contract says: case, spaces, underscores, punctuation ignored."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


@dataclass
class SheetData:
    name: str
    grid: list[list[Any]]
    header_row: int | None = None  # Excel row of the header (data sheets)
    hidden_rows: set[int] = field(default_factory=set)
    merges: list[str] = field(default_factory=list)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col 1-based)
    formulas: dict[tuple[int, int], tuple[str, Any]] = field(default_factory=dict)  # -> (formula, cached)


class Book:
    """A workbook being built: sheets in order, each a grid of values."""

    def __init__(self) -> None:
        self.sheets: list[SheetData] = []

    def copy(self) -> Book:
        return copy.deepcopy(self)

    # -- sheets ---------------------------------------------------------------------------
    def sheet(self, name: str) -> SheetData:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)

    def add_sheet(self, name: str, rows: Iterable[Sequence[Any]] = (), *, header_row: int | None = None):
        self.sheets.append(SheetData(name, [list(r) for r in rows], header_row))
        return self

    def drop_sheet(self, name: str) -> Book:
        self.sheets.remove(self.sheet(name))
        return self

    def rename_sheet(self, name: str, new: str) -> Book:
        self.sheet(name).name = new
        return self

    def move_sheet_last(self, name: str) -> Book:
        s = self.sheet(name)
        self.sheets.remove(s)
        self.sheets.append(s)
        return self

    # -- Identitas --------------------------------------------------------------------------
    def identity_row(self, label: str) -> int:
        for i, row in enumerate(self.sheet(IDENTITY).grid):
            if row and isinstance(row[0], str) and _norm(row[0]) == _norm(label):
                return i + 1
        raise KeyError(label)

    def set_identity(self, label: str, value: Any) -> Book:
        row = self.sheet(IDENTITY).grid[self.identity_row(label) - 1]
        while len(row) < 2:
            row.append(None)
        row[1] = value
        return self

    def add_identity(self, label: str, value: Any) -> Book:
        """Append a label row below the last one (e.g. a version-2 milestone)."""
        self.sheet(IDENTITY).grid.append([label, value])
        return self

    def remove_identity(self, label: str) -> Book:
        del self.sheet(IDENTITY).grid[self.identity_row(label) - 1]
        return self

    # -- cells of data sheets -----------------------------------------------------------------
    def col(self, sheet: str, column: str) -> int:
        """0-based index of a column, found by its (normalised) header text."""
        s = self.sheet(sheet)
        if s.header_row is None:
            raise ValueError(f"{sheet} has no header row")
        header = s.grid[s.header_row - 1]
        for i, text in enumerate(header):
            if text is not None and _norm(text) == _norm(column):
                return i
        raise KeyError(f"{sheet}!{column}")

    def columns(self, sheet: str) -> list[Any]:
        s = self.sheet(sheet)
        return list(s.grid[s.header_row - 1])

    def first_data_row(self, sheet: str) -> int:
        return self.sheet(sheet).header_row + 1

    def data_rows(self, sheet: str) -> list[int]:
        """Excel rows below the header that hold something."""
        s = self.sheet(sheet)
        return [
            i + 1 for i in range(s.header_row, len(s.grid)) if any(v not in (None, "") for v in s.grid[i])
        ]

    def row_of(self, sheet: str, key: Any, column: str | None = None) -> int:
        """Excel row whose key column (first column of the contract: kode_program, pilar+indikator
        use `column=`) holds `key`."""
        s = self.sheet(sheet)
        c = self.col(sheet, column or {KESIAPAN: "indikator", INDEKS: "aspek"}.get(sheet, "kode_program"))
        for i in range(s.header_row, len(s.grid)):
            row = s.grid[i]
            if c < len(row) and row[c] == key:
                return i + 1
        raise KeyError(f"{sheet}: {key!r}")

    def get(self, sheet: str, row: int, column: str) -> Any:
        r = self.sheet(sheet).grid[row - 1]
        c = self.col(sheet, column)
        return r[c] if c < len(r) else None

    def set(self, sheet: str, row: int, column: str, value: Any) -> Book:
        s = self.sheet(sheet)
        c = self.col(sheet, column)
        while len(s.grid) < row:
            s.grid.append([])
        r = s.grid[row - 1]
        while len(r) <= c:
            r.append(None)
        r[c] = value
        return self

    def add_row(self, sheet: str, values: Mapping[str, Any] | Sequence[Any]) -> int:
        """Append a data row (by column name, or in header order); returns its Excel row."""
        s = self.sheet(sheet)
        if isinstance(values, Mapping):
            row: list[Any] = [None] * len(s.grid[s.header_row - 1])
            for name, value in values.items():
                row[self.col(sheet, name)] = value
        else:
            row = list(values)
        s.grid.append(row)
        return len(s.grid)

    def copy_row(self, sheet: str, row: int, **changes: Any) -> int:
        new = self.add_row(sheet, list(self.sheet(sheet).grid[row - 1]))
        for name, value in changes.items():
            self.set(sheet, new, name, value)
        return new

    def delete_row(self, sheet: str, row: int) -> Book:
        del self.sheet(sheet).grid[row - 1]
        return self

    def clear_data(self, sheet: str) -> Book:
        s = self.sheet(sheet)
        del s.grid[s.header_row :]
        return self

    def drop_column(self, sheet: str, column: str) -> Book:
        c = self.col(sheet, column)
        s = self.sheet(sheet)
        for r in s.grid[s.header_row - 1 :]:
            if c < len(r):
                del r[c]
        return self

    def rename_column(self, sheet: str, column: str, new: str) -> Book:
        s = self.sheet(sheet)
        s.grid[s.header_row - 1][self.col(sheet, column)] = new
        return self

    def reorder_columns(self, sheet: str, order: Sequence[str]) -> Book:
        """Put the columns in `order` (header texts; the others follow in their order)."""
        s = self.sheet(sheet)
        header = s.grid[s.header_row - 1]
        first = [self.col(sheet, name) for name in order]
        idx = first + [i for i in range(len(header)) if i not in first]
        for n in range(s.header_row - 1, len(s.grid)):
            r = s.grid[n] + [None] * (len(header) - len(s.grid[n]))
            s.grid[n] = [r[i] for i in idx]
        return self

    def insert_column(self, sheet: str, position: int, header: Any, values: Iterable[Any] = ()) -> Book:
        """Insert a column at 0-based `position`, from the header row down."""
        s = self.sheet(sheet)
        vals = iter(values)
        for n in range(s.header_row - 1, len(s.grid)):
            r = s.grid[n]
            while len(r) < position:
                r.append(None)
            r.insert(position, header if n == s.header_row - 1 else next(vals, None))
        return self

    def insert_rows(self, sheet: str, before: int, rows: Iterable[Sequence[Any]]) -> Book:
        """Insert rows before Excel row `before` (title rows above the header, empty rows …);
        the header row, hidden rows and formulas below move down with the data."""
        s = self.sheet(sheet)
        new = [list(r) for r in rows]
        n = len(new)
        s.grid[before - 1 : before - 1] = new
        if s.header_row is not None and s.header_row >= before:
            s.header_row += n
        s.hidden_rows = {r + n if r >= before else r for r in s.hidden_rows}
        s.formulas = {((r + n if r >= before else r), c): v for (r, c), v in s.formulas.items()}
        s.number_formats = {((r + n if r >= before else r), c): v for (r, c), v in s.number_formats.items()}
        return self

    # -- presentation -------------------------------------------------------------------------
    def hide_row(self, sheet: str, row: int) -> Book:
        self.sheet(sheet).hidden_rows.add(row)
        return self

    def merge(self, sheet: str, cell_range: str) -> Book:
        self.sheet(sheet).merges.append(cell_range)
        return self

    def number_format(self, sheet: str, row: int, column: str, fmt: str) -> Book:
        self.sheet(sheet).number_formats[(row, self.col(sheet, column) + 1)] = fmt
        return self

    def formula(self, sheet: str, row: int, column: str, formula: str, cached: Any = None) -> Book:
        """A formula cell; `cached` is the value Excel computed and saved (None: never computed)."""
        self.set(sheet, row, column, None)
        self.sheet(sheet).formulas[(row, self.col(sheet, column) + 1)] = (formula.lstrip("="), cached)
        return self

    # -- writing --------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for s in self.sheets:
            ws = wb.create_sheet(s.name)
            for r, row in enumerate(s.grid, start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        cell = ws.cell(row=r, column=c, value=value)
                        if isinstance(value, str) and value.startswith("="):
                            cell.data_type = "s"  # typed text, not a formula
                        if isinstance(value, dt.date):
                            cell.number_format = "dd/mm/yyyy"
            for (r, c), (f, _cached) in s.formulas.items():
                ws.cell(row=r, column=c, value=f"={f}")
            for (r, c), fmt in s.number_formats.items():
                ws.cell(row=r, column=c).number_format = fmt
            for r in s.hidden_rows:
                ws.row_dimensions[r].hidden = True
            for rng in s.merges:
                ws.merge_cells(rng)
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        cached = {
            (i, f"{get_column_letter(c)}{r}"): (f, v)
            for i, s in enumerate(self.sheets, start=1)
            for (r, c), (f, v) in s.formulas.items()
            if v is not None
        }
        return _with_cached_values(data, cached) if cached else data

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_bytes())
        return path


def _xml_text(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_cached_values(data: bytes, cached: Mapping[tuple[int, str], tuple[str, Any]]) -> bytes:
    """Rewrite openpyxl's `<c r="X"><f>..</f><v></v></c>` with the cached value Excel would save."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if m:
                xml = content.decode("utf-8")
                for (index, ref), (formula, value) in cached.items():
                    if index != int(m.group(1)):
                        continue
                    pattern = re.compile(rf'<c r="{ref}"([^>]*)>.*?</c>', re.S)
                    found = pattern.search(xml)
                    assert found, f"formula cell {ref} not found in sheet{index}"
                    attrs = re.sub(r'\s+t="[^"]*"', "", found.group(1))
                    if isinstance(value, bool):
                        cell = f'<c r="{ref}"{attrs} t="b"><f>{_xml_text(formula)}</f><v>{int(value)}</v></c>'
                    elif isinstance(value, int | float):
                        cell = f'<c r="{ref}"{attrs}><f>{_xml_text(formula)}</f><v>{value!r}</v></c>'
                    else:
                        cell = (
                            f'<c r="{ref}"{attrs} t="str"><f>{_xml_text(formula)}</f>'
                            f"<v>{_xml_text(value)}</v></c>"
                        )
                    xml = xml[: found.start()] + cell + xml[found.end() :]
                content = xml.encode("utf-8")
            dst.writestr(info, content)
    return out.getvalue()


# -- baselines ----------------------------------------------------------------------------------
def _identity_rows(kind: str, region: str, name: str, extra: list[tuple[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Isian", "Nilai"],
        ["jenis_dokumen", kind],
        ["versi_template", 1],
        ["kode_wilayah", region],
        ["nama_wilayah", name],
    ]
    rows += [[label, value] for label, value in extra]
    return rows


def masterplan(
    region: str = REGION,
    name: str = REGION_NAME,
    *,
    programs: Sequence[tuple] = PROGRAMS,
    email: str = "diskominfo@bandung.go.id",
) -> Book:
    """A valid MASTERPLAN (no finding at all): Identitas, then Program with its header on row 1."""
    book = Book()
    book.add_sheet(
        IDENTITY,
        _identity_rows(
            "MASTERPLAN",
            region,
            name,
            [
                ("periode_mulai", PERIOD[0]),
                ("periode_selesai", PERIOD[1]),
                ("tanggal_dokumen", dt.date(2022, 9, 20)),
                ("nomor_dokumen", "Perwal 12/2022"),
                ("email_kontak", email),
            ],
        ),
    )
    book.add_sheet(PROGRAM, [PROGRAM_COLUMNS, *map(list, programs)], header_row=1)
    return book


def evaluasi(
    region: str = REGION,
    name: str = REGION_NAME,
    *,
    year: int = EVALUATION_YEAR,
    realisations: Sequence[tuple] = REALISATIONS,
    email: str = "diskominfo@bandung.go.id",
    with_index: bool = True,
) -> Book:
    """A valid EVALUASI of `masterplan()` for `year` (no finding at all)."""
    book = Book()
    book.add_sheet(
        IDENTITY,
        _identity_rows(
            "EVALUASI",
            region,
            name,
            [
                ("tahun_evaluasi", year),
                ("tanggal_dokumen", dt.date(year + 1, 2, 10)),
                ("nomor_dokumen", None),
                ("email_kontak", email),
            ],
        ),
    )
    book.add_sheet(REALISASI, [REALISASI_COLUMNS, *map(list, realisations)], header_row=1)
    book.add_sheet(KESIAPAN, [KESIAPAN_COLUMNS, *map(list, READINESS)], header_row=1)
    if with_index:
        book.add_sheet(INDEKS, [INDEKS_COLUMNS, *map(list, INDEX)], header_row=1)
    return book
