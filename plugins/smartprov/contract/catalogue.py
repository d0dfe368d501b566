"""The submission contract (template version 1) as data.

`docs/submission-contract.md` is the human text; this module is its machine
form. Reference data (regions, the dimension taxonomy and its aliases) lives in the dbt
seeds so that the warehouse and the validator read the very same rows.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field

from smartprov import settings
from smartprov.contract.rules import CATALOGUE

TEMPLATE_VERSION = "2"  # the version `smartprov template` writes
TEMPLATE_VERSIONS = ("1", "2")  # versions accepted (contract section 6: version 1 stays accepted)
FRAMEWORK = "kominfo-2017"
MASTERPLAN = "MASTERPLAN"
EVALUASI = "EVALUASI"
KINDS = (MASTERPLAN, EVALUASI)

ERROR = "ERROR"
WARNING = "WARNING"

# Rule code -> severity, exactly the table of section 5 (checks, messages, advice: `rules`).
RULES: dict[str, str] = {code: rule.severity for code, rule in CATALOGUE.items()}

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_SHEET_ROWS = 100_000
HEADER_SEARCH_ROWS = 10
FIRST_EVALUATION_YEAR = 2017

# Bounds of contract section 6 (both versions), checked before anything is loaded.
MAX_RUPIAH = 10**14  # per row, any rupiah amount
EARLIEST_DATE = "2017-01-01"  # the programme's first year
LATEST_DATE_AFTER_ARRIVAL_DAYS = 31
MIN_YEAR = 2017
MAX_YEAR = 2045
# Version 2: `anggaran_<YYYY>` / `Anggaran 2024` / `Pagu 2024`, compared after normalize_header.
YEAR_BUDGET_HEADER = r"(?:anggaran|pagu)(\d{4})"
YEAR_BUDGET_SUM_TOLERANCE = 0.01  # CONSISTENCY when the years' sum differs from anggaran_rp by more
BIMTEK_STAGES = ("I", "II", "III", "IV", "Selesai")
BIMTEK_ALIASES = {"1": "I", "2": "II", "3": "III", "4": "IV"}

EMPTY_MARKERS = frozenset({"", "-", "n/a"})  # compared after strip().lower()
# A template's example row: its key cell (the sheet's first key column) says CONTOH. Never read.
EXAMPLE_ROW_MARKER = "CONTOH"
TOTAL_ROW_LABELS = frozenset({"jumlah", "total", "sub total", "subtotal"})


@dataclass(frozen=True)
class Column:
    """One column of a data sheet.

    `type` names a reader in `smartprov.ingest.values`: text, code, year, number, money,
    percent, score, boolean, enum, funding_sources, agencies.
    """

    name: str
    type: str
    required: bool = False
    max_length: int | None = None
    enum: str | None = None  # name of an allowed-value set, see `allowed_values`
    label_id: str = ""  # Indonesian description shown in templates and feedback


@dataclass(frozen=True)
class Sheet:
    name: str
    kinds: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    table: str = ""  # raw table the accepted rows go to

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class IdentityField:
    label: str
    type: str
    required_for: tuple[str, ...] = field(default=KINDS)
    label_id: str = ""


IDENTITY_SHEET = "Identitas"

IDENTITY_FIELDS: tuple[IdentityField, ...] = (
    IdentityField("jenis_dokumen", "enum", KINDS, "Jenis dokumen: MASTERPLAN atau EVALUASI"),
    IdentityField("versi_template", "text", KINDS, "Versi template (1)"),
    IdentityField("kode_wilayah", "region_code", KINDS, "Kode wilayah Kemendagri, mis. 32.04"),
    IdentityField("nama_wilayah", "text", KINDS, "Nama kabupaten/kota"),
    IdentityField("periode_mulai", "year", (MASTERPLAN,), "Tahun mulai masterplan"),
    IdentityField("periode_selesai", "year", (MASTERPLAN,), "Tahun selesai masterplan"),
    IdentityField("tahun_evaluasi", "year", (EVALUASI,), "Tahun yang dievaluasi"),
    IdentityField("tanggal_dokumen", "date", KINDS, "Tanggal dokumen"),
    IdentityField("nomor_dokumen", "text", (), "Nomor dokumen (mis. nomor Perbup/Perwali)"),
    IdentityField("email_kontak", "email", KINDS, "E-mail untuk umpan balik kualitas data"),
)

# Version 2 only: optional MASTERPLAN milestones (contract section 6).
IDENTITY_FIELDS_V2: tuple[IdentityField, ...] = (
    IdentityField("tanggal_penetapan", "date", (), "Tanggal penetapan masterplan"),
    IdentityField("dasar_hukum", "text", (), "Dasar hukum penetapan, mis. Perbup No. 45 Tahun 2022"),
    IdentityField("tahap_bimtek", "enum", (), "Tahap Bimtek yang sudah dicapai: I, II, III, IV atau Selesai"),
    IdentityField(
        "tanggal_nota_kesepakatan", "date", (), "Tanggal nota kesepakatan (MoU) dengan kementerian"
    ),
)
ALL_IDENTITY_FIELDS = IDENTITY_FIELDS + IDENTITY_FIELDS_V2


def identity_fields(version: str, kind: str | None = None) -> tuple[IdentityField, ...]:
    """The Identitas labels of a template version (version 2 adds the masterplan milestones)."""
    if version == "2" and kind in (None, MASTERPLAN):
        return ALL_IDENTITY_FIELDS
    return IDENTITY_FIELDS


PROGRAM = Sheet(
    name="Program",
    kinds=(MASTERPLAN,),
    table="masterplan_programs",
    key=("kode_program",),
    columns=(
        Column("kode_program", "code", True, 20, label_id="Kode program"),
        Column("nama_program", "text", True, 250, label_id="Nama program"),
        Column("dimensi", "enum", True, enum="dimension", label_id="Dimensi smart city"),
        Column("elemen", "enum", True, enum="element", label_id="Elemen dimensi"),
        Column(
            "opd_penanggung_jawab", "agencies", True, label_id="OPD penanggung jawab (pisahkan dengan ; )"
        ),
        Column("tahun_mulai", "year", True, label_id="Tahun mulai"),
        Column("tahun_selesai", "year", True, label_id="Tahun selesai"),
        Column("quick_win", "boolean", False, enum="yes_no", label_id="Quick win (Ya/Tidak)"),
        Column("anggaran_rp", "money", False, label_id="Rencana anggaran (Rp)"),
        Column("sumber_dana", "funding_sources", False, enum="funding_source", label_id="Sumber dana"),
        Column("indikator_kinerja", "text", False, label_id="Indikator kinerja"),
        Column("target", "number", False, label_id="Target"),
        Column("satuan", "text", False, label_id="Satuan target"),
    ),
)

REALISASI = Sheet(
    name="Realisasi",
    kinds=(EVALUASI,),
    table="evaluation_realisations",
    key=("kode_program",),
    columns=(
        Column("kode_program", "code", True, 20, label_id="Kode program (sesuai masterplan)"),
        Column("status", "enum", True, enum="status", label_id="Status pelaksanaan"),
        Column("progres_persen", "percent", True, label_id="Progres (%)"),
        Column("realisasi_anggaran_rp", "money", False, label_id="Realisasi anggaran (Rp)"),
        Column("capaian", "number", False, label_id="Capaian target"),
        Column("keterangan", "text", False, label_id="Keterangan"),
    ),
)

KESIAPAN = Sheet(
    name="Kesiapan",
    kinds=(EVALUASI,),
    table="evaluation_readiness",
    key=("pilar", "indikator"),
    columns=(
        Column("pilar", "enum", True, enum="pillar", label_id="Pilar kesiapan"),
        Column("indikator", "text", True, label_id="Indikator"),
        Column("skor", "number", True, label_id="Skor (1-5)"),
        Column("bukti", "text", False, label_id="Bukti (tautan atau nama dokumen)"),
    ),
)

INDEKS = Sheet(
    name="Indeks",
    kinds=(EVALUASI,),
    table="evaluation_index",
    key=("aspek",),
    required=False,
    columns=(
        Column("aspek", "enum", True, enum="aspect", label_id="Aspek penilaian"),
        Column("nilai", "number", True, label_id="Nilai (0-5)"),
    ),
)

DATA_SHEETS: tuple[Sheet, ...] = (PROGRAM, REALISASI, KESIAPAN, INDEKS)


def sheets_for(kind: str) -> tuple[Sheet, ...]:
    return tuple(s for s in DATA_SHEETS if kind in s.kinds)


# The readiness indicators a template lists (Kominfo's pillars); regencies may add their own.
READINESS_INDICATORS: dict[str, tuple[str, ...]] = {
    "Struktur": (
        "Sumber Daya Manusia TIK",
        "Anggaran Smart City",
        "Tata Kelola dan Dewan Smart City",
        "Kepemimpinan dan Komitmen Kepala Daerah",
    ),
    "Infrastruktur": (
        "Infrastruktur Fisik",
        "Infrastruktur Digital (Jaringan dan Pusat Data)",
        "Infrastruktur Sosial",
        "Command Center",
    ),
    "Suprastruktur": (
        "Regulasi Smart City",
        "Kelembagaan Pelaksana",
        "Implementasi Program",
        "Standar Operasional Prosedur",
    ),
}
# Columns a prefilled template adds for reading only (never validated, never reported EXTRA).
REFERENCE_COLUMNS: dict[str, tuple[str, ...]] = {"Realisasi": ("referensi_nama_program", "referensi_dimensi")}

STATUSES = ("Belum Dimulai", "Berjalan", "Selesai", "Tertunda", "Dibatalkan")
PILLARS = ("Struktur", "Infrastruktur", "Suprastruktur")
FUNDING_SOURCES = ("APBD Kab/Kota", "APBD Provinsi", "APBN", "CSR", "KPBU", "Hibah", "Lainnya")
YES_NO = ("Ya", "Tidak")
TRUE_WORDS = frozenset({"ya", "y", "1", "true", "✓", "✔", "v", "yes"})
FALSE_WORDS = frozenset({"tidak", "t", "n", "0", "false", "no", "x", "✗"})


def read_seed(name: str) -> list[dict[str, str]]:
    with open(settings.seeds_dir() / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Taxonomy:
    framework: str
    dimensions: tuple[str, ...]
    elements_by_dimension: dict[str, tuple[str, ...]]
    dimension_aliases: dict[str, str]  # lower-case alias or canonical -> canonical
    element_aliases: dict[str, str]


@functools.cache
def taxonomy(framework: str = FRAMEWORK) -> Taxonomy:
    rows = [r for r in read_seed("ref_dimension_elements") if r["framework"] == framework]
    rows.sort(key=lambda r: (int(r["dimension_order"]), int(r["element_order"])))
    dims: dict[str, list[str]] = {}
    for r in rows:
        dims.setdefault(r["dimension"], []).append(r["element"])
    dim_alias = {d.lower(): d for d in dims}
    el_alias = {e.lower(): e for els in dims.values() for e in els}
    for r in read_seed("ref_taxonomy_aliases"):
        if r["framework"] != framework:
            continue
        target = dim_alias if r["kind"] == "dimension" else el_alias
        target[r["alias"].strip().lower()] = r["canonical"]
    return Taxonomy(
        framework=framework,
        dimensions=tuple(dims),
        elements_by_dimension={d: tuple(e) for d, e in dims.items()},
        dimension_aliases=dim_alias,
        element_aliases=el_alias,
    )


@functools.cache
def evaluation_aspects() -> tuple[str, ...]:
    rows = sorted(read_seed("ref_evaluation_aspects"), key=lambda r: int(r["aspect_order"]))
    return tuple(r["aspect"] for r in rows)


def allowed_values(enum: str) -> tuple[str, ...]:
    """Canonical allowed values of a named set (what is stored in the warehouse)."""
    tax = taxonomy()
    if enum == "dimension":
        return tax.dimensions
    if enum == "element":
        return tuple(e for els in tax.elements_by_dimension.values() for e in els)
    if enum == "dimension_element":
        return tuple(f"{d} | {e}" for d, els in tax.elements_by_dimension.items() for e in els)
    if enum == "aspect":
        return evaluation_aspects()
    return {
        "status": STATUSES,
        "pillar": PILLARS,
        "funding_source": FUNDING_SOURCES,
        "yes_no": YES_NO,
        "kind": KINDS,
        "bimtek_stage": BIMTEK_STAGES,
    }[enum]


def alias_map(enum: str) -> dict[str, str]:
    """lower-case spelling -> canonical value, aliases included."""
    tax = taxonomy()
    if enum == "dimension":
        return dict(tax.dimension_aliases)
    if enum == "element":
        return dict(tax.element_aliases)
    if enum == "aspect":
        out = {a.lower(): a for a in evaluation_aspects()}
        out.update(tax.dimension_aliases)
        out["quickwin"] = "Quick Win"
        out["indeks pencapaian"] = "Total"
        return out
    out = {v.lower(): v for v in allowed_values(enum)}
    if enum == "bimtek_stage":
        out.update({k: v for k, v in BIMTEK_ALIASES.items()})
    return out


@dataclass(frozen=True)
class Region:
    code: str
    province_code: str
    name: str
    type: str


@functools.cache
def regions() -> dict[str, Region]:
    return {
        r["code"]: Region(r["code"], r["province_code"], r["name"], r["type"])
        for r in read_seed("ref_regencies")
    }


@functools.cache
def provinces() -> dict[str, str]:
    return {r["code"]: r["name"] for r in read_seed("ref_provinces")}
