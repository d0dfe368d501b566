"""Blank submission templates, generated from the contract (`smartprov.contract.catalogue`).

`write_template("32.04", "MASTERPLAN", out)` writes the workbook a regency fills in:

* `Petunjuk`  - instructions, Indonesian first and English second (not read by the pipeline);
* `Identitas` - labels in column A, values in column B (jenis_dokumen, versi_template,
  kode_wilayah and nama_wilayah prefilled), guidance in column C;
* the kind's data sheets (`Program`; or `Realisasi`, `Kesiapan`, `Indeks`): a merged title
  in row 1, the contract's column names in row 2 (styled, frozen, each with a note giving
  its Indonesian description), a greyed example row (key `CONTOH`, never read) in row 3,
  empty data rows below with drop-down lists (`elemen` depends on `dimensi`);
* `Daftar`    - hidden; the allowed values the drop-down lists point to (a list written
  into the validation itself is limited to 255 characters).

`template_sheets()` builds the same sheets with data in them; `smartprov.authoring.sample` uses it to
produce realistic filled-in submissions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.authoring.xlsx_writer import (
    Cell,
    SheetSpec,
    Validation,
    column_letter,
    column_range,
    list_source,
    write_workbook,
)
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import IDENTITY_SHEET, Region, Sheet

INSTRUCTIONS_SHEET = "Petunjuk"
LISTS_SHEET = "Daftar"
# Sheets the template adds that are not part of the contract (the validator may ignore them).
HELPER_SHEETS = (INSTRUCTIONS_SHEET, LISTS_SHEET)

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
VALIDATION_ROWS = 1000  # data rows covered by drop-down lists and number checks

# Column C of Identitas: guidance per label, Indonesian / English.
IDENTITY_GUIDANCE: dict[str, tuple[str, str]] = {
    "jenis_dokumen": ("Jangan diubah.", "Do not change."),
    "versi_template": ("Jangan diubah.", "Do not change."),
    "kode_wilayah": (
        "Kode wilayah Kemendagri kabupaten/kota Anda, mis. 32.04. Jangan diubah.",
        "Your Kemendagri regency code, e.g. 32.04. Do not change.",
    ),
    "nama_wilayah": ("Nama resmi kabupaten/kota.", "Official regency name."),
    "periode_mulai": ("Tahun pertama periode masterplan, mis. 2022.", "First year of the masterplan period."),
    "periode_selesai": (
        "Tahun terakhir periode masterplan, mis. 2031 (rentang lazim 5-20 tahun).",
        "Last year of the masterplan period (usually 5 to 20 years).",
    ),
    "tahun_evaluasi": (
        "Tahun yang dievaluasi (2017 s.d. tahun berjalan), mis. 2024.",
        "The year being evaluated (2017 to the current year).",
    ),
    "tanggal_dokumen": (
        "Tanggal dokumen, mis. 20 September 2022, 20/09/2022 atau 2022-09-20.",
        "Document date, e.g. 20 September 2022.",
    ),
    "nomor_dokumen": (
        "Opsional: nomor Perbup/Perwal atau nomor surat.",
        "Optional: regulation or letter number.",
    ),
    "email_kontak": (
        "E-mail yang menerima umpan balik kualitas data.",
        "E-mail address that receives data-quality feedback.",
    ),
    # version 2: the masterplan's milestones (optional)
    "tanggal_penetapan": (
        "Opsional: tanggal penetapan masterplan, mis. 15 Desember 2022.",
        "Optional: date the masterplan was adopted.",
    ),
    "dasar_hukum": (
        "Opsional: dasar hukum penetapan, mis. Perbup No. 45 Tahun 2022 (maks. 250 karakter).",
        "Optional: the act that adopted it, e.g. Perbup No. 45 Tahun 2022 (at most 250 characters).",
    ),
    "tahap_bimtek": (
        "Opsional: tahap Bimtek yang sudah dicapai: I, II, III, IV atau Selesai.",
        "Optional: Bimtek stage reached: I, II, III, IV or Selesai.",
    ),
    "tanggal_nota_kesepakatan": (
        "Opsional: tanggal nota kesepakatan (MoU) dengan kementerian.",
        "Optional: date of the MoU with the ministry.",
    ),
}
# One greyed example row per data sheet, right under the header. Its key cell says CONTOH:
# the reader skips such a row (contract.EXAMPLE_ROW_MARKER), so it may stay in the file.
EXAMPLE_ROWS: dict[str, list[Any]] = {
    "Program": [
        contract.EXAMPLE_ROW_MARKER, "Contoh: Mal Pelayanan Publik Digital", "Smart Governance",
        "Layanan Publik", "Diskominfo; DPMPTSP", None, None, "Ya", "1,5 M", "APBD Kab/Kota",
        "Layanan daring", 120, "layanan",
    ],
    "Realisasi": [
        contract.EXAMPLE_ROW_MARKER, "Berjalan", "60%", "Rp 750.000.000", 70,
        "Contoh: baris abu-abu ini tidak dibaca / this grey example row is not read",
    ],
    "Kesiapan": [contract.EXAMPLE_ROW_MARKER, "Contoh: Sumber Daya Manusia TIK", 3, "SK Dewan Smart City"],
    "Indeks": [contract.EXAMPLE_ROW_MARKER, "3,31"],
}  # fmt: skip
EXAMPLE_NOTE = (
    "Baris contoh (abu-abu): tidak dibaca karena kode/kunci 'CONTOH'. Boleh dibiarkan atau dihapus.\n\n"
    "Example row (grey): not read, because its key says 'CONTOH'. Keep it or delete it."
)
REFERENCE_NOTE = (
    "Hanya untuk dibaca: dari masterplan yang berlaku; tidak diperiksa dan tidak disimpan.\n\n"
    "For reading only: from the current masterplan; not validated, not stored."
)
YEAR_BUDGET_NOTE = (
    "Anggaran tahun {year} (opsional, rupiah). Bila diisi, anggaran_rp boleh dikosongkan (dihitung "
    "dari jumlah per tahun); isi hanya tahun pelaksanaan program.\n\nanggaran_{year} (optional): the "
    "program's planned rupiah for {year}; anggaran_rp may then be left empty (it is their sum)."
)

# Per sheet and column: (Indonesian detail, English description).
COLUMN_HELP: dict[str, dict[str, tuple[str, str]]] = {
    "Program": {
        "kode_program": (
            "Kode unik program, maks. 20 karakter, mis. SG-01.",
            "Unique program code, at most 20 characters.",
        ),
        "nama_program": (
            "Nama program/inovasi, maks. 250 karakter.",
            "Program name, at most 250 characters.",
        ),
        "dimensi": (
            "Salah satu dari enam dimensi; pilih dari daftar.",
            "One of the six dimensions; choose from the list.",
        ),
        "elemen": (
            "Salah satu dari tiga elemen dimensi tersebut; pilih dari daftar.",
            "One of that dimension's three elements.",
        ),
        "opd_penanggung_jawab": (
            "OPD penanggung jawab; beberapa OPD dipisahkan dengan ; (OPD pertama = OPD utama).",
            "Responsible agency (OPD); several separated by ; (the first one leads).",
        ),
        "tahun_mulai": (
            "Tahun mulai, di dalam periode masterplan.",
            "Start year, within the masterplan period.",
        ),
        "tahun_selesai": (
            "Tahun selesai, di dalam periode masterplan dan tidak sebelum tahun mulai.",
            "End year, within the masterplan period and not before the start year.",
        ),
        "quick_win": (
            "Ya/Tidak; kosong = Tidak. Tepat satu quick win per dimensi.",
            "Yes/No; exactly one quick win per dimension.",
        ),
        "anggaran_rp": (
            "Rencana anggaran dalam rupiah, mis. 1500000000, Rp 1.500.000.000, 1,5 M atau 750 jt.",
            "Planned budget in rupiah (M = miliar = 10^9, jt = juta = 10^6).",
        ),
        "sumber_dana": (
            "APBD Kab/Kota, APBD Provinsi, APBN, CSR, KPBU, Hibah atau Lainnya; beberapa dipisahkan koma.",
            "Funding sources; several separated by commas.",
        ),
        "indikator_kinerja": ("Indikator keluaran (opsional).", "Output indicator (optional)."),
        "target": ("Nilai target, angka >= 0 (opsional).", "Target value, a number >= 0 (optional)."),
        "satuan": ("Satuan target, mis. layanan, unit, titik (opsional).", "Unit of the target (optional)."),
    },
    "Realisasi": {
        "kode_program": (
            "Kode program sesuai masterplan yang berlaku; satu baris per program.",
            "Program code as in the current masterplan; one row per program.",
        ),
        "status": (
            "Belum Dimulai, Berjalan, Selesai, Tertunda atau Dibatalkan.",
            "Status: not started, running, completed, delayed or cancelled.",
        ),
        "progres_persen": (
            "Progres 0-100 (%); Selesai = 100, Belum Dimulai = 0.",
            "Progress 0-100 %; completed = 100, not started = 0.",
        ),
        "realisasi_anggaran_rp": (
            "Anggaran yang terealisasi pada tahun evaluasi, dalam rupiah (opsional).",
            "Budget spent in the evaluated year, in rupiah (optional).",
        ),
        "capaian": (
            "Capaian terhadap target program, angka >= 0 (opsional).",
            "Achieved value of the program's target (optional).",
        ),
        "keterangan": ("Keterangan (opsional).", "Remarks (optional)."),
    },
    "Kesiapan": {
        "pilar": (
            "Struktur, Infrastruktur atau Suprastruktur; setiap pilar minimal satu baris.",
            "Readiness pillar; each pillar needs at least one row.",
        ),
        "indikator": ("Indikator penilaian, unik di dalam pilarnya.", "Indicator, unique within its pillar."),
        "skor": ("Skor tingkat kematangan 1-5.", "Maturity score from 1 to 5."),
        "bukti": (
            "Tautan atau nama dokumen bukti (opsional).",
            "Evidence: a link or document name (optional).",
        ),
    },
    "Indeks": {
        "aspek": (
            "Baseline, Output, Outcome, Impact, Quick Win, salah satu dimensi, atau Total; masing-masing sekali.",
            "Aspect as in the ministry's result letter; each at most once.",
        ),
        "nilai": ("Nilai 0-5 (dua desimal), mis. 3,31.", "Score from 0 to 5 (two decimals)."),
    },
}

COLUMN_WIDTHS: dict[str, float] = {
    "no": 5,
    "kode_program": 14,
    "nama_program": 44,
    "dimensi": 20,
    "elemen": 26,
    "opd_penanggung_jawab": 40,
    "tahun_mulai": 12,
    "tahun_selesai": 13,
    "quick_win": 11,
    "anggaran_rp": 20,
    "sumber_dana": 24,
    "indikator_kinerja": 40,
    "target": 10,
    "satuan": 12,
    "status": 16,
    "progres_persen": 15,
    "realisasi_anggaran_rp": 22,
    "capaian": 11,
    "keterangan": 40,
    "pilar": 16,
    "indikator": 46,
    "skor": 8,
    "bukti": 44,
    "aspek": 22,
    "nilai": 10,
    # read-only reference beside a prefilled Realisasi: the program's name in full
    "referensi_nama_program": 44,
    "referensi_dimensi": 20,
}

SHEET_TITLES: dict[str, str] = {
    "Program": "Daftar Program Inovasi Smart City",
    "Realisasi": "Realisasi Program Smart City",
    "Kesiapan": "Penilaian Mandiri Kesiapan Smart City",
    "Indeks": "Hasil Evaluasi Smart City dari Kementerian (Indeks)",
}

# Drop-down lists kept on the hidden Daftar sheet: (header, enum name of contract.allowed_values).
LISTS: tuple[tuple[str, str], ...] = (
    ("Dimensi", "dimension"),
    ("Elemen", "element"),
    ("Quick Win", "yes_no"),
    ("Status", "status"),
    ("Pilar", "pillar"),
    ("Aspek", "aspect"),
    ("Sumber Dana", "funding_source"),
    ("Jenis Dokumen", "kind"),
)
# Data column -> list it draws from.
COLUMN_LISTS: dict[str, str] = {
    "dimensi": "dimension",
    "elemen": "element",
    "quick_win": "yes_no",
    "status": "status",
    "pilar": "pillar",
    "aspek": "aspect",
    "sumber_dana": "funding_source",
}
# Lists where other spellings are legitimate (several sources "APBN, CSR"): warn, don't block.
SOFT_LISTS = frozenset({"funding_source"})

# Numeric checks Excel can do while typing: column -> (type, operator, formula1, formula2).
NUMBER_CHECKS: dict[str, tuple[str, str, str, str | None]] = {
    "tahun_mulai": ("whole", "between", str(contract.MIN_YEAR), str(contract.MAX_YEAR)),
    "tahun_selesai": ("whole", "between", str(contract.MIN_YEAR), str(contract.MAX_YEAR)),
    "progres_persen": ("decimal", "between", "0", "100"),
    "skor": ("decimal", "between", "1", "5"),
    "nilai": ("decimal", "between", "0", "5"),
    "target": ("decimal", "greaterThanOrEqual", "0", None),
    "capaian": ("decimal", "greaterThanOrEqual", "0", None),
}


def normalize_kind(kind: str) -> str:
    k = str(kind).strip().upper()
    if k not in contract.KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(contract.KINDS)}")
    return k


def resolve_region(region_code: str) -> Region:
    """The regency of a Kemendagri code (`32.04`; `3204` is read as `32.04`)."""
    code = str(region_code).strip()
    if code.isdigit() and len(code) == 4:
        code = f"{code[:2]}.{code[2:]}"
    region = contract.regions().get(code)
    if region is None:
        raise ValueError(f"unknown regency code {region_code!r}")
    return region


def identity_labels(kind: str, version: str = contract.TEMPLATE_VERSION) -> list[str]:
    """The Identitas labels of a kind, in contract order (required ones and optional ones)."""
    kind = normalize_kind(kind)
    return [f.label for f in _identity_fields(kind, version)]


def _plain_guidance(label: str, label_id: str) -> tuple[str, str]:
    """A field's guidance without its own "Opsional:" / "Optional:" (the caller says which)."""
    gid, gen = IDENTITY_GUIDANCE.get(label, (label_id, ""))
    return gid.removeprefix("Opsional: "), gen.removeprefix("Optional: ")


def _identity_fields(kind: str, version: str) -> list[contract.IdentityField]:
    return [
        f for f in contract.identity_fields(version, kind) if kind in f.required_for or not f.required_for
    ]


def default_period(today: dt.date | None = None) -> tuple[int, int]:
    """A ten-year masterplan period from next year: what a new masterplan usually covers."""
    year = (today or settings.today()).year + 1
    return year, min(year + 9, contract.MAX_YEAR)


def template_filename(region_code: str, kind: str) -> str:
    region = resolve_region(region_code)
    name = region.name.replace(" ", "_")
    return f"Template_{normalize_kind(kind)}_{region.code}_{name}.xlsx"


# ---------------------------------------------------------------------------------------
# sheet builders


def lists_sheet() -> tuple[SheetSpec, dict[str, str]]:
    """The hidden Daftar sheet and, per list name, the reference a list validation uses."""
    columns = [(header, contract.allowed_values(enum)) for header, enum in LISTS]
    # then one column per dimension with its own elements: the `elemen` list follows `dimensi`
    elements = contract.taxonomy().elements_by_dimension
    columns += [(dimension, values) for dimension, values in elements.items()]
    keys = [enum for _, enum in LISTS] + [element_list_name(d) for d in elements]
    height = max(len(values) for _, values in columns)
    rows: list[list[Any]] = [[Cell(header, "bold") for header, _ in columns]]
    for i in range(height):
        rows.append([values[i] if i < len(values) else None for _, values in columns])
    refs = {
        key: list_source(LISTS_SHEET, col, 2, len(values))
        for col, (key, (_, values)) in enumerate(zip(keys, columns, strict=True), 1)
    }
    refs.update(alias_element_lists(refs))
    widths = {col: 28.0 for col in range(1, len(columns) + 1)}
    sheet = SheetSpec(LISTS_SHEET, rows=rows, widths=widths, hidden=True, defined_names=list_names(refs))
    return sheet, refs


def element_list_name(dimension: str) -> str:
    """The defined name of a dimension's element list: `elemen_Smart_Governance`."""
    return "elemen_" + "".join(ch if ch.isalnum() else "_" for ch in dimension)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def alias_element_lists(refs: Mapping[str, str]) -> dict[str, str]:
    """One more name per accepted spelling of a dimension ("Masyarakat", "smart society"):
    the `elemen` list is INDIRECT("elemen_" & the cell with spaces as "_"), so every spelling
    the validator accepts gets its canonical dimension's list instead of #REF!. Excel names
    are case-insensitive; spellings that cannot be a name (a "-" or "/") are left out."""
    taken = {key.lower() for key in refs}
    out: dict[str, str] = {}
    for alias, canonical in sorted(contract.taxonomy().dimension_aliases.items()):
        name = "elemen_" + alias.strip().replace(" ", "_")
        target = refs.get(element_list_name(canonical))
        if target is None or name.lower() in taken or not _NAME.fullmatch(name):
            continue
        taken.add(name.lower())
        out[name] = target
    return out


def list_names(refs: Mapping[str, str]) -> dict[str, str]:
    """Workbook defined names for the per-dimension element lists (INDIRECT needs names)."""
    return {key: ref for key, ref in refs.items() if key.startswith("elemen_")}


def header_note(sheet: Sheet, column: contract.Column) -> str:
    detail_id, detail_en = COLUMN_HELP.get(sheet.name, {}).get(column.name, ("", ""))
    wajib = "wajib diisi" if column.required else "opsional"
    required = "required" if column.required else "optional"
    return f"{column.label_id} ({wajib}). {detail_id}\n\n{column.name} ({required}): {detail_en}"


def data_validations(
    sheet: Sheet,
    columns: Sequence[str],
    refs: Mapping[str, str],
    *,
    first_row: int = FIRST_DATA_ROW,
    period_cells: tuple[str, str] | None = None,
) -> list[Validation]:
    """Drop-down lists and number checks for the contract columns among `columns`.

    `period_cells`: the Identitas cells of periode_mulai / periode_selesai; program years
    are then checked against the masterplan period."""
    last_row = first_row + VALIDATION_ROWS - 1
    out: list[Validation] = []
    for col_index, name in enumerate(columns, 1):
        sqref = column_range(col_index, first_row, last_row)
        label = next((c.label_id for c in sheet.columns if c.name == name), name)
        enum = COLUMN_LISTS.get(name)
        if name == "elemen" and "dimensi" in columns and list_names(refs):
            # Dependent list: the elements of the dimension chosen in the same row.
            dim = column_letter(columns.index("dimensi") + 1)
            out.append(
                Validation(
                    sqref,
                    "list",
                    f'INDIRECT("elemen_"&SUBSTITUTE(${dim}{first_row}," ","_"))',
                    error_style="warning",
                    prompt_title=label[:32],
                    prompt="Pilih dimensi dulu, lalu elemennya / choose the dimension first, then its element",
                    error_title="Elemen salah / wrong element",
                    error="Pilih elemen dari daftar dimensi yang dipilih. / Choose an element of the chosen dimension.",
                )
            )
        elif name in ("tahun_mulai", "tahun_selesai") and period_cells:
            start, end = period_cells
            out.append(
                Validation(
                    sqref,
                    "whole",
                    f"{IDENTITY_SHEET}!{start}",
                    f"{IDENTITY_SHEET}!{end}",
                    operator="between",
                    error_style="warning",
                    error_title="Di luar periode / out of period",
                    error="Isi tahun di dalam periode masterplan (lembar Identitas). / Enter a year within "
                    "the masterplan period (sheet Identitas).",
                )
            )
        elif name.startswith("anggaran_") and name[9:].isdigit():
            out.append(
                Validation(
                    sqref,
                    "decimal",
                    "0",
                    str(contract.MAX_RUPIAH),
                    operator="between",
                    error_style="warning",
                    error_title="Di luar rentang / out of range",
                    error="Isi rupiah 0 s.d. 10^14. / Enter rupiah from 0 to 10^14.",
                )
            )
        elif enum and enum in refs:
            soft = enum in SOFT_LISTS
            out.append(
                Validation(
                    sqref,
                    "list",
                    refs[enum],
                    error_style="information" if soft else "stop",
                    prompt_title=label[:32],
                    prompt="Pilih dari daftar / choose from the list"
                    + ("; beberapa nilai dipisahkan koma / several separated by commas" if soft else ""),
                    error_title="Tidak dikenal / unknown value",
                    error="Pilih nilai dari daftar. / Choose a value from the list.",
                )
            )
        elif name in NUMBER_CHECKS:
            vtype, operator, f1, f2 = NUMBER_CHECKS[name]
            bounds = f"{f1}-{f2}" if f2 else f">= {f1}"
            out.append(
                Validation(
                    sqref,
                    vtype,
                    f1,
                    f2,
                    operator=operator,
                    error_style="warning",
                    error_title="Di luar rentang / out of range",
                    error=f"Isi angka {bounds}. / Enter a number {bounds}.",
                )
            )
        elif name == "kode_program":
            out.append(
                Validation(
                    sqref,
                    "textLength",
                    "20",
                    operator="lessThanOrEqual",
                    error_title="Kode terlalu panjang / too long",
                    error="Maksimal 20 karakter. / At most 20 characters.",
                )
            )
        elif name == "nama_program":
            out.append(
                Validation(
                    sqref,
                    "textLength",
                    "250",
                    operator="lessThanOrEqual",
                    error_title="Nama terlalu panjang / too long",
                    error="Maksimal 250 karakter. / At most 250 characters.",
                )
            )
    return out


def data_sheet(
    sheet: Sheet,
    region: Region,
    refs: Mapping[str, str],
    rows: Sequence[Sequence[Any]] = (),
    *,
    year: int | None = None,
    notes: bool = True,
    budget_years: Sequence[int] = (),
    period_cells: tuple[str, str] | None = None,
    reference_columns: Sequence[str] = (),
) -> SheetSpec:
    """A contract data sheet in template layout: title row 1, header row 2, data from row 3.

    `rows` are in contract column order (`sheet.column_names`), followed, on `Program`, by
    one amount per `budget_years` (version 2's `anggaran_<YYYY>` columns).
    """
    names = sheet.column_names
    year_names = [f"anggaran_{y}" for y in budget_years] if sheet.name == contract.PROGRAM.name else []
    ncol = len(names) + len(year_names)
    title = SHEET_TITLES[sheet.name]
    if year is not None:
        title += f" Tahun {year}"
    title += f" — {region.name}"
    header = (
        [
            Cell(name, "header", note=header_note(sheet, sheet.column(name)) if notes else None)
            for name in names
        ]
        + [
            Cell(name, "header", note=YEAR_BUDGET_NOTE.format(year=y) if notes else None)
            for name, y in zip(year_names, budget_years, strict=False)
        ]
        + [Cell(name, "prefilled", note=REFERENCE_NOTE if notes else None) for name in reference_columns]
    )
    all_names = names + year_names + list(reference_columns)
    example = example_row(sheet, budget_years, len(reference_columns), notes=notes)
    spec = SheetSpec(
        sheet.name,
        rows=[[Cell(title, "title")], header, *([example] if example else []), *[list(r) for r in rows]],
        widths={i: COLUMN_WIDTHS.get(n, 15 if n in year_names else 14) for i, n in enumerate(all_names, 1)},
        merges=[f"A{TITLE_ROW}:{column_letter(ncol)}{TITLE_ROW}"],
        freeze=f"A{FIRST_DATA_ROW}",
        validations=data_validations(sheet, all_names, refs, period_cells=period_cells),
        row_heights={TITLE_ROW: 24, HEADER_ROW: 30},
        print_title_rows=f"{TITLE_ROW}:{HEADER_ROW}",
        # the program's code (and name) on every page across of a wide sheet
        print_title_columns="A:B" if all_names[:2] == ["kode_program", "nama_program"] else "A:A",
    )
    return spec


def example_row(
    sheet: Sheet, budget_years: Sequence[int] = (), extra: int = 0, *, notes: bool = True
) -> list[Any] | None:
    """The sheet's greyed example row (key cell CONTOH), or None for a sheet without one."""
    values = list(EXAMPLE_ROWS.get(sheet.name, ()))
    if not values:
        return None
    if sheet.name == contract.PROGRAM.name and budget_years:
        start = budget_years[0]
        values[5], values[6] = start, min(start + 2, budget_years[-1])
        values += ["500 jt" if start <= y <= values[6] else None for y in budget_years]
    values += [None] * extra
    return [Cell(v, "example", note=EXAMPLE_NOTE if notes and i == 0 else None) for i, v in enumerate(values)]


def identity_sheet(
    kind: str,
    values: Mapping[str, Any],
    *,
    guidance: bool = True,
    refs: Mapping[str, str] | None = None,
    version: str | None = None,
) -> SheetSpec:
    """Identitas: label (A), value (B) and, in the template, guidance (C); one row per label.

    `version` defaults to the workbook's own `versi_template` value."""
    kind = normalize_kind(kind)
    version = str(version or values.get("versi_template") or contract.TEMPLATE_VERSION)
    if isinstance(values.get("versi_template"), Cell):
        version = str(values["versi_template"].value)
    fixed = {"jenis_dokumen", "versi_template", "kode_wilayah", "nama_wilayah"}
    rows: list[list[Any]] = []
    validations: list[Validation] = []
    for row_index, f in enumerate(_identity_fields(kind, version), 1):
        value = values.get(f.label)
        if guidance and not isinstance(value, Cell):
            fmt = "@" if f.label in ("kode_wilayah", "versi_template", "nomor_dokumen") else None
            value = Cell(value, "prefilled" if f.label in fixed else "input", number_format=fmt)
        row: list[Any] = [Cell(f.label, "label") if guidance else f.label, value]
        if guidance:
            gid, gen = _plain_guidance(f.label, f.label_id)
            wajib = "Wajib" if kind in f.required_for else "Opsional"
            required = "required" if kind in f.required_for else "optional"
            row.append(Cell(f"{wajib}. {gid} / {required.capitalize()}. {gen}", "guidance"))
            cell = f"B{row_index}"
            if f.type == "year":
                # an evaluation reports a year that has happened: up to the current year
                last = settings.today().year if f.label == "tahun_evaluasi" else contract.MAX_YEAR
                validations.append(
                    Validation(
                        cell,
                        "whole",
                        str(contract.MIN_YEAR),
                        str(last),
                        operator="between",
                        error_style="warning",
                        error="Isi tahun, mis. 2024. / Enter a year.",
                    )
                )
            elif f.label == "jenis_dokumen" and refs and "kind" in refs:
                validations.append(Validation(cell, "list", refs["kind"]))
            elif f.label == "tahap_bimtek":
                validations.append(Validation(cell, "list", '"' + ",".join(contract.BIMTEK_STAGES) + '"'))
        rows.append(row)
    widths = {1: 27.0, 2: 34.0, 3: 76.0} if guidance else {1: 27.0, 2: 34.0}
    return SheetSpec(IDENTITY_SHEET, rows=rows, widths=widths, validations=validations)


def instructions_sheet(kind: str, region: Region) -> SheetSpec:
    """Petunjuk: how to fill in the workbook, Indonesian first, English second."""
    kind = normalize_kind(kind)
    sheets = contract.sheets_for(kind)
    doc_id = (
        "Masterplan (Rencana Induk) Smart City"
        if kind == contract.MASTERPLAN
        else "Evaluasi Tahunan Smart City"
    )
    doc_en = "Smart City masterplan" if kind == contract.MASTERPLAN else "annual Smart City evaluation"
    rows: list[list[Any]] = [
        [Cell(f"Petunjuk Pengisian {doc_id} — {region.name}", "title")],
        [
            Cell(
                f"Instructions: {doc_en} — {region.name} (template versi {contract.TEMPLATE_VERSION})",
                "subtitle",
            )
        ],
        [],
        [Cell("Langkah pengisian", "heading"), None, Cell("Steps", "heading")],
    ]
    steps_id = [
        "Isi kolom B lembar Identitas. jenis_dokumen, versi_template, kode_wilayah dan nama_wilayah sudah terisi; "
        "jangan diubah.",
        "Jangan mengubah nama lembar maupun judul kolom (baris 2). Kolom tambahan boleh, tetapi diabaikan.",
    ]
    steps_en = [
        "Fill in column B of sheet Identitas. jenis_dokumen, versi_template, kode_wilayah and nama_wilayah are "
        "prefilled; do not change them.",
        "Do not rename the sheets or the column headers (row 2). Extra columns are allowed but ignored.",
    ]
    if kind == contract.MASTERPLAN:
        steps_id += [
            "Lembar Program: satu baris per program inovasi, dengan kode_program unik (maks. 20 karakter).",
            "Pilih dimensi dan elemen dari daftar. Setiap dimensi sebaiknya memiliki program dan tepat satu quick win.",
            "Tahun mulai dan selesai program harus berada di dalam periode masterplan.",
            "Anggaran dalam rupiah: 1500000000, Rp 1.500.000.000, 1,5 M (miliar) atau 750 jt (juta).",
            "Kolom anggaran_<tahun> (mis. anggaran_2025), satu per tahun periode: anggaran program pada tahun "
            "itu (opsional). Isi hanya tahun pelaksanaan program; bila diisi, anggaran_rp boleh dikosongkan "
            "(dihitung dari jumlahnya). Tanpa kolom ini rencana per tahun tidak dapat dihitung.",
            "Tonggak di lembar Identitas (opsional): tanggal_penetapan, dasar_hukum (mis. Perbup No. 45 Tahun "
            "2022), tahap_bimtek (I, II, III, IV atau Selesai) dan tanggal_nota_kesepakatan.",
        ]
        steps_en += [
            "Sheet Program: one row per innovation program, with a unique kode_program (at most 20 characters).",
            "Choose dimension and element from the lists. Every dimension should have programs and exactly one "
            "quick win.",
            "Program start and end years must lie within the masterplan period.",
            "Budgets in rupiah: 1500000000, Rp 1.500.000.000, 1,5 M (billion) or 750 jt (million).",
            "Columns anggaran_<year> (e.g. anggaran_2025), one per year of the period: the program's planned "
            "rupiah for that year (optional). Fill only the program's own years; anggaran_rp may then be left "
            "empty (it is their sum). Without them no per-year plan can be computed.",
            "Milestones in sheet Identitas (optional): tanggal_penetapan, dasar_hukum (e.g. Perbup No. 45 "
            "Tahun 2022), tahap_bimtek (I, II, III, IV or Selesai) and tanggal_nota_kesepakatan.",
        ]
    else:
        steps_id += [
            "Lembar Realisasi: satu baris per program masterplan yang berjalan pada tahun evaluasi; kode_program "
            "harus sesuai masterplan yang berlaku.",
            "Lembar Kesiapan: penilaian mandiri; setiap pilar (Struktur, Infrastruktur, Suprastruktur) minimal satu "
            "indikator dengan skor 1-5.",
            "Lembar Indeks (opsional): salin nilai dari surat hasil evaluasi kementerian bila sudah diterima.",
        ]
        steps_en += [
            "Sheet Realisasi: one row per masterplan program running in the evaluated year; kode_program must be "
            "a program of the current masterplan.",
            "Sheet Kesiapan: the readiness self-assessment; each pillar needs at least one indicator scored 1-5.",
            "Sheet Indeks (optional): copy the scores of the ministry's result letter once received.",
        ]
    steps_id.append(
        "Baris abu-abu di bawah judul kolom yang kodenya CONTOH adalah contoh: tidak dibaca, boleh "
        "dibiarkan atau dihapus. Mulai isi di baris berikutnya."
    )
    steps_en.append(
        "The grey row under the headers whose key says CONTOH is an example: it is not read; keep it or "
        "delete it. Start filling in the row below it."
    )
    steps_id.append(
        f"Simpan sebagai Excel Workbook (.xlsx) tanpa kata sandi dan unggah ke folder {region.code}/. "
        "Umpan balik dikirim ke email_kontak."
    )
    steps_en.append(
        f"Save as Excel Workbook (.xlsx) without a password and upload it into folder {region.code}/. "
        "Feedback goes to email_kontak."
    )
    for i, (sid, sen) in enumerate(zip(steps_id, steps_en, strict=True), 1):
        rows.append([Cell(i, "wrap"), Cell(sid, "wrap"), Cell(sen, "wrap")])
    rows += [[], [Cell("Kolom per lembar / Columns per sheet", "heading")]]
    rows.append(
        [Cell(h, "table_header") for h in ("Lembar / Sheet", "Kolom / Column", "Keterangan", "Description")]
    )
    for f in _identity_fields(kind, contract.TEMPLATE_VERSION):
        gid, gen = _plain_guidance(f.label, f.label_id)
        wajib, required = ("wajib", "required") if kind in f.required_for else ("opsional", "optional")
        rows.append(
            [
                Cell(IDENTITY_SHEET, "wrap"),
                Cell(f.label, "wrap"),
                Cell(f"({wajib}) {gid}", "wrap"),
                Cell(f"({required}) {gen}", "wrap"),
            ]
        )
    for sheet in sheets:
        if sheet.name == "Program" and kind == contract.MASTERPLAN:
            rows.append(
                [
                    Cell(sheet.name, "wrap"),
                    Cell("anggaran_<tahun>", "wrap"),
                    Cell(
                        "(opsional) " + YEAR_BUDGET_NOTE.split("\n\n")[0].replace("{year}", "<tahun>"), "wrap"
                    ),
                    Cell(
                        "(optional) " + YEAR_BUDGET_NOTE.split("\n\n")[1].replace("{year}", "<year>"), "wrap"
                    ),
                ]
            )
        for col in sheet.columns:
            detail_id, detail_en = COLUMN_HELP.get(sheet.name, {}).get(col.name, ("", ""))
            wajib = "wajib" if col.required else "opsional"
            required = "required" if col.required else "optional"
            rows.append(
                [
                    Cell(sheet.name, "wrap"),
                    Cell(col.name, "wrap"),
                    Cell(f"{col.label_id} ({wajib}). {detail_id}", "wrap"),
                    Cell(f"({required}) {detail_en}", "wrap"),
                ]
            )
    if kind == contract.MASTERPLAN:
        rows += [[], [Cell("Dimensi dan elemen / Dimensions and elements", "heading")]]
        rows.append([Cell("Dimensi / Dimension", "table_header"), Cell("Elemen / Elements", "table_header")])
        for dim, elements in contract.taxonomy().elements_by_dimension.items():
            rows.append([dim, "; ".join(elements)])
    widths = {1: 18.0, 2: 56.0, 3: 56.0, 4: 36.0}  # one A4 page wide at 80 % or more
    return SheetSpec(INSTRUCTIONS_SHEET, rows=rows, widths=widths, tab_color="1F4E78")


def template_sheets(
    region_code: str,
    kind: str,
    *,
    identity: Mapping[str, Any] | None = None,
    data: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    year: int | None = None,
    instructions: bool = True,
    notes: bool = True,
    version: str = contract.TEMPLATE_VERSION,
    budget_years: Sequence[int] = (),
    reference_columns: Mapping[str, Sequence[str]] | None = None,
) -> list[SheetSpec]:
    """The template's sheets, optionally filled in: `identity` label -> value (merged over
    the prefilled ones), `data` sheet name -> rows in contract column order (then, on
    `Program` in version 2, one amount per `budget_years`)."""
    kind = normalize_kind(kind)
    region = resolve_region(region_code)
    lists, refs = lists_sheet()
    if version != "2":
        budget_years = ()
    values: dict[str, Any] = {
        "jenis_dokumen": kind,
        "versi_template": version,
        "kode_wilayah": region.code,
        "nama_wilayah": region.name,
    }
    values.update(identity or {})
    out: list[SheetSpec] = []
    if instructions:
        out.append(instructions_sheet(kind, region))
    out.append(identity_sheet(kind, values, refs=refs, version=version))
    labels = identity_labels(kind, version)
    period_cells = (
        (f"$B${labels.index('periode_mulai') + 1}", f"$B${labels.index('periode_selesai') + 1}")
        if "periode_mulai" in labels
        else None
    )
    for sheet in contract.sheets_for(kind):
        out.append(
            data_sheet(
                sheet,
                region,
                refs,
                (data or {}).get(sheet.name, ()),
                year=year,
                notes=notes,
                budget_years=budget_years,
                period_cells=period_cells,
                reference_columns=(reference_columns or {}).get(sheet.name, ()),
            )
        )
    out.append(lists)
    return out


REFERENCE_COLUMNS = contract.REFERENCE_COLUMNS["Realisasi"]  # (name, dimension) beside each code


PROGRAMS_MART = "marts.masterplan_programs_current"  # what the analysts' snapshot holds


def current_programs(warehouse_url: str, region_code: str) -> list[dict[str, Any]] | None:
    """Programs of the regency's current accepted masterplan in the warehouse (sheet order), or
    None when it has none. "Current" is the validator's ordering (latest document date, then
    arrival). Reads the ledger where there is one (the loader's warehouse), else the mart
    `masterplan_programs_current` (the analysts' snapshot holds marts only)."""
    return _current_masterplan(warehouse_url, region_code)[0]


def current_contact(warehouse_url: str, region_code: str) -> str | None:
    """email_kontak of the regency's current accepted masterplan, or None."""
    return _current_masterplan(warehouse_url, region_code)[1]


def _current_masterplan(
    warehouse_url: str, region_code: str
) -> tuple[list[dict[str, Any]] | None, str | None]:
    from smartprov.warehouse.connection import Warehouse, WarehouseUnavailable

    keys = ("program_code", "program_name", "dimension", "year_start", "year_end")
    try:
        warehouse = Warehouse(warehouse_url, read_only=True)  # reading only: never the writer's lock
    except WarehouseUnavailable as err:
        raise ValueError(str(err)) from err
    with warehouse as wh:
        if not wh.table_exists("audit.submissions"):
            if not wh.table_exists(PROGRAMS_MART):
                raise ValueError(
                    f"{warehouse_url} holds neither the ledger nor {PROGRAMS_MART}: use the warehouse "
                    "(SMARTPROV_WAREHOUSE_URL) or an analysts' snapshot published by this version"
                )
            rows = wh.fetchall(
                f"""SELECT {", ".join(keys)}, contact_email FROM {PROGRAMS_MART}
                    WHERE region_code = ? ORDER BY source_row, program_code""",
                (region_code,),
            )
            if not rows:
                return None, None
            return [dict(zip(keys, r[:-1], strict=True)) for r in rows], rows[0][-1]
        current = wh.current_masterplans(region_code).get(region_code)
        if current is None:
            return None, None
        found = [current]
        rows = wh.fetchall(
            f"""SELECT {", ".join(keys)}
               FROM raw.masterplan_programs WHERE submission_id = ? ORDER BY source_row""",
            (found[0][0],),
        )
    return [dict(zip(keys, r, strict=True)) for r in rows], found[0][1]


def evaluation_prefill(
    region_code: str, year: int | None, warehouse_url: str
) -> tuple[dict[str, Any], dict[str, list[list[Any]]]]:
    """Identity values and rows of a prefilled EVALUASI template: Realisasi lists the current
    masterplan's programs running in `year` (all of them without a year), with their names and
    dimensions beside them for reading; Kesiapan lists the standard indicators of each pillar."""
    programs, contact = _current_masterplan(warehouse_url, region_code)
    if programs is None:
        raise ValueError(
            f"no accepted masterplan of {region_code} in the warehouse: an evaluation needs one first"
        )
    if year is not None:
        programs = [p for p in programs if p["year_start"] <= year <= p["year_end"]]
    width = len(contract.REALISASI.columns)
    realisasi = [
        [p["program_code"], *([None] * (width - 1)), p["program_name"], p["dimension"]] for p in programs
    ]
    kesiapan = [
        [pillar, indicator, None, None]
        for pillar, indicators in contract.READINESS_INDICATORS.items()
        for indicator in indicators
    ]
    identity: dict[str, Any] = {"tahun_evaluasi": year} if year is not None else {}
    if contact:
        identity["email_kontak"] = contact
    return identity, {"Realisasi": realisasi, "Kesiapan": kesiapan}


def write_template(
    region_code: str,
    kind: str,
    out: Path,
    *,
    period: tuple[int, int] | None = None,
    year: int | None = None,
    warehouse_url: str | None = None,
) -> Path:
    """Write the blank template of `kind` (version 2) for a regency.

    `out` is the file to write, or an existing directory (or a path without a suffix) to
    write `template_filename(region_code, kind)` into. A MASTERPLAN template has one
    `anggaran_<YYYY>` column per year of `period` (default: `default_period()`), whose years
    it prefills. Returns the written file.
    """
    kind = normalize_kind(kind)
    region = resolve_region(region_code)
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out = out / template_filename(region.code, kind)
    identity: dict[str, Any] = {}
    years: Sequence[int] = ()
    data: dict[str, list[list[Any]]] = {}
    reference: dict[str, Sequence[str]] = {}
    if kind == contract.EVALUASI:
        if year is not None:
            identity["tahun_evaluasi"] = year
        if warehouse_url:
            identity, data = evaluation_prefill(region.code, year, warehouse_url)
            reference = {"Realisasi": REFERENCE_COLUMNS}
    if kind == contract.MASTERPLAN:
        start, end = period or default_period()
        if not contract.MIN_YEAR <= start <= end <= contract.MAX_YEAR:
            raise ValueError(f"period {start}-{end} must lie within {contract.MIN_YEAR}-{contract.MAX_YEAR}")
        identity = {"periode_mulai": start, "periode_selesai": end}
        years = range(start, end + 1)
    title = f"Template {kind} Smart City — {region.name} (versi {contract.TEMPLATE_VERSION})"
    sheets = template_sheets(
        region.code,
        kind,
        identity=identity,
        data=data,
        year=year,
        budget_years=years,
        reference_columns=reference,
    )
    return write_workbook(out, sheets, title=title, active=0)
