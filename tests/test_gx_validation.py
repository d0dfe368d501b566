"""The GX suites in expectations/ and the runner that turns their failures into located findings.

Frames are built by hand in the format the reader produces: one frame per sheet type holding
the rows of every submission of a run, parsed values plus `<column>__raw` text.
"""

from __future__ import annotations

import datetime as dt
import json
import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

import pandas as pd
import pytest

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import EVALUASI, IDENTITY_FIELDS, MASTERPLAN
from smartprov.validation.batch import identity_records_frame, records_frame
from smartprov.validation.gx import SuiteRunner, load_suite_specs, reference_parameters

CURRENT_YEAR = 2026
PARAMS = {"current_year": CURRENT_YEAR, "latest_date": pd.Timestamp(CURRENT_YEAR, 12, 31)}
SUITE_OF_SHEET = {"Program": "program", "Realisasi": "realisasi", "Kesiapan": "kesiapan", "Indeks": "indeks"}


@pytest.fixture(scope="module")
def runner() -> SuiteRunner:
    return SuiteRunner(run_name="test-run")


# -- building frames ----------------------------------------------------------------------------


def _raw(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    return str(value)


def _distinct_key(sheet: contract.Sheet, source_row: int) -> dict:
    """Unless a test says otherwise, every row has its own key."""
    if sheet is contract.INDEKS:
        aspects = contract.allowed_values("aspect")
        return {"aspek": aspects[source_row % len(aspects)]}
    if sheet is contract.KESIAPAN:
        return {"indikator": f"Indikator {source_row}"}
    return {"kode_program": f"P{source_row:02d}"}


def sheet_frame(sheet: contract.Sheet, rows: list[dict], defaults: dict) -> pd.DataFrame:
    """rows: dicts with submission_id, source_row and any column to override; `raw` overrides texts."""
    records = []
    for r in rows:
        rec = {"submission_id": r["submission_id"], "source_row": r["source_row"]}
        raws = r.get("raw", {})
        row_defaults = defaults | _distinct_key(sheet, r["source_row"])
        for col in sheet.columns:
            value = r.get(col.name, row_defaults.get(col.name))
            rec[col.name] = value
            rec[f"{col.name}__raw"] = raws.get(col.name, _raw(value))
        records.append(rec)
    return records_frame(records, sheet)  # the pipeline's own frame shape


PROGRAM_OK = {
    "kode_program": "P01",
    "nama_program": "Aplikasi layanan terpadu",
    "dimensi": "Smart Governance",
    "elemen": "Layanan Publik",
    "opd_penanggung_jawab": "Dinas Komunikasi dan Informatika",
    "tahun_mulai": 2023,
    "tahun_selesai": 2025,
    "quick_win": True,
    "anggaran_rp": 1_500_000_000.0,
    "sumber_dana": "APBD Kab/Kota; APBN",
    "indikator_kinerja": "Layanan daring",
    "target": 12.0,
    "satuan": "layanan",
}
REALISASI_OK = {
    "kode_program": "P01",
    "status": "Berjalan",
    "progres_persen": 50.0,
    "realisasi_anggaran_rp": 1e8,
    "capaian": 3.0,
}
KESIAPAN_OK = {
    "pilar": "Struktur",
    "indikator": "Tim pelaksana smart city",
    "skor": 3.0,
    "bukti": "SK Bupati",
}
INDEKS_OK = {"aspek": "Total", "nilai": 3.31}


def program(*rows: dict) -> pd.DataFrame:
    return sheet_frame(contract.PROGRAM, list(rows), PROGRAM_OK)


def realisasi(*rows: dict) -> pd.DataFrame:
    return sheet_frame(contract.REALISASI, list(rows), REALISASI_OK)


def kesiapan(*rows: dict) -> pd.DataFrame:
    return sheet_frame(contract.KESIAPAN, list(rows), KESIAPAN_OK)


def indeks(*rows: dict) -> pd.DataFrame:
    return sheet_frame(contract.INDEKS, list(rows), INDEKS_OK)


IDENTITY_OK = {
    "versi_template": "1",
    "kode_wilayah": "32.04",
    "nama_wilayah": "Kabupaten Bandung",
    "periode_mulai": 2022,
    "periode_selesai": 2031,
    "tahun_evaluasi": 2024,
    "tanggal_dokumen": dt.datetime(2024, 9, 20),
    "nomor_dokumen": "Perbup 12/2022",
    "email_kontak": "diskominfo@bandungkab.go.id",
}


def identity(kind: str, *subs: dict) -> pd.DataFrame:
    """One row per submission; labels on rows 2.. in IDENTITY_FIELDS order unless `rows` says otherwise."""
    records = []
    for s in subs:
        rec = {"submission_id": s["submission_id"], "source_row": 0, "jenis_dokumen": kind}
        label_rows = {f.label: i + 2 for i, f in enumerate(IDENTITY_FIELDS)} | s.get("rows", {})
        for f in IDENTITY_FIELDS:
            if f.label == "jenis_dokumen":
                value = kind
            else:
                value = s.get(f.label, IDENTITY_OK[f.label])
            rec[f.label] = value
            rec[f"{f.label}__row"] = label_rows.get(f.label)
            rec[f"{f.label}__raw"] = s.get("raw", {}).get(f.label, _raw(value))
        records.append(rec)
    return identity_records_frame(records)  # the pipeline's own frame shape


def located(results) -> list[tuple]:
    return [(sid, f.rule, f.sheet, f.row, f.column, f.value) for sid, f in results]


# -- the suites themselves ----------------------------------------------------------------------


def test_suites_load_with_rule_and_column_on_every_expectation():
    specs = load_suite_specs()
    assert set(specs) == {
        "program",
        "realisasi",
        "kesiapan",
        "indeks",
        "identitas_masterplan",
        "identitas_evaluasi",
        "program_anggaran_tahunan",
    }
    for spec in specs.values():
        for exp in spec["expectations"]:
            assert exp["meta"]["rule"] in contract.RULES
            assert exp["meta"]["column"]


def _required_columns(spec) -> set[str]:
    return {
        e["kwargs"]["column"]
        for e in spec["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
    }


def test_required_expectations_match_the_contract():
    specs = load_suite_specs()
    for sheet in contract.DATA_SHEETS:
        wanted = {c.name for c in sheet.columns if c.required}
        assert _required_columns(specs[SUITE_OF_SHEET[sheet.name]]) == wanted, sheet.name
    # jenis_dokumen / versi_template are TEMPLATE_VERSION's business, checked while reading;
    # so is an empty kode_wilayah (the reader stops there: REQUIRED_REGION, see the catalogue).
    reader_fields = {"jenis_dokumen", "versi_template", "kode_wilayah"}
    for kind, suite in ((MASTERPLAN, "identitas_masterplan"), (EVALUASI, "identitas_evaluasi")):
        wanted = {f.label for f in IDENTITY_FIELDS if kind in f.required_for} - reader_fields
        assert _required_columns(specs[suite]) == wanted, kind


def _parameters_used(value) -> set[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return {value["$PARAMETER"]}
        return set().union(*(_parameters_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameters_used(v) for v in value)) if value else set()
    return set()


def test_value_sets_are_the_contracts_allowed_values():
    params = reference_parameters()
    in_set = 0
    for spec in load_suite_specs().values():
        for exp in spec["expectations"]:
            if exp["type"] != "expect_column_values_to_be_in_set":
                continue
            in_set += 1
            enum = exp["meta"]["enum"]
            ref = exp["kwargs"]["value_set"]
            assert ref == {"$PARAMETER": f"{enum}_values"}, (
                "value lists come from reference data, not the JSON"
            )
            assert params[ref["$PARAMETER"]] == list(contract.allowed_values(enum))
    assert in_set == 6  # dimensi, elemen, dimensi_elemen, status, pilar, aspek
    assert len(params["dimension_element_values"]) == 18
    assert "Smart Environment | Pengelolaan Sampah" in params["dimension_element_values"]
    assert params["aspect_values"][-1] == "Total"


def test_every_suite_parameter_is_supplied():
    supplied = set(reference_parameters()) | set(PARAMS)
    for name, spec in load_suite_specs().items():
        assert _parameters_used(spec["expectations"]) <= supplied, name


def test_identity_year_range_is_from_the_first_evaluation_year():
    spec = load_suite_specs()["identitas_evaluasi"]
    between = [e for e in spec["expectations"] if e["type"] == "expect_column_values_to_be_between"]
    assert [e["kwargs"] for e in between if e["kwargs"]["column"] == "tahun_evaluasi"] == [
        {
            "column": "tahun_evaluasi",
            "min_value": contract.FIRST_EVALUATION_YEAR,
            "max_value": {"$PARAMETER": "current_year"},
        }
    ]


# -- a clean run, and near misses -----------------------------------------------------------------


def test_near_misses_pass(runner):
    ok = program(
        {
            "submission_id": "A",
            "source_row": 3,
            "kode_program": "K" * 20,
            "nama_program": "N" * 250,
            "anggaran_rp": 0.0,
            "target": 0.0,
        },
        {
            "submission_id": "A",
            "source_row": 4,
            "kode_program": "P02",
            "dimensi": "Smart Environment",
            "elemen": "Pengelolaan Sampah",
            "quick_win": None,
            "anggaran_rp": None,
            "sumber_dana": None,
            "target": None,
            "indikator_kinerja": None,
            "satuan": None,
        },
        {"submission_id": "B", "source_row": 3, "kode_program": "K" * 20},  # same code, other submission
    )
    assert runner.validate("program", ok, "Program", PARAMS) == []
    assert (
        runner.validate(
            "realisasi",
            realisasi(
                {
                    "submission_id": "A",
                    "source_row": 2,
                    "progres_persen": 0.0,
                    "status": "Belum Dimulai",
                    "realisasi_anggaran_rp": 0.0,
                    "capaian": 0.0,
                },
                {"submission_id": "A", "source_row": 3, "progres_persen": 100.0, "status": "Selesai"},
                {"submission_id": "A", "source_row": 4, "realisasi_anggaran_rp": None, "capaian": None},
            ),
            "Realisasi",
            PARAMS,
        )
        == []
    )
    assert (
        runner.validate(
            "kesiapan",
            kesiapan(
                {"submission_id": "A", "source_row": 2, "skor": 1.0},
                {
                    "submission_id": "A",
                    "source_row": 3,
                    "skor": 5.0,
                    "pilar": "Infrastruktur",
                },  # same indikator, other pillar
                {"submission_id": "A", "source_row": 4, "skor": 2.5, "pilar": "Suprastruktur", "bukti": None},
            ),
            "Kesiapan",
            PARAMS,
        )
        == []
    )
    assert (
        runner.validate(
            "indeks",
            indeks(
                {"submission_id": "A", "source_row": 2, "aspek": "Baseline", "nilai": 0.0},
                {"submission_id": "A", "source_row": 3, "aspek": "Smart Living", "nilai": 5.0},
                {"submission_id": "B", "source_row": 2, "aspek": "Baseline", "nilai": 2.0},
            ),
            "Indeks",
            PARAMS,
        )
        == []
    )
    assert (
        runner.validate(
            "identitas_masterplan",
            identity(MASTERPLAN, {"submission_id": "A", "tahun_evaluasi": None}),
            "Identitas",
            PARAMS,
        )
        == []
    )
    assert (
        runner.validate(
            "identitas_evaluasi",
            identity(
                EVALUASI,
                {
                    "submission_id": "A",
                    "tahun_evaluasi": contract.FIRST_EVALUATION_YEAR,
                    "periode_mulai": None,
                    "periode_selesai": None,
                },
                {
                    "submission_id": "B",
                    "tahun_evaluasi": CURRENT_YEAR,
                    "nomor_dokumen": None,
                    "email_kontak": "a.b-c@x.co.id",
                },
            ),
            "Identitas",
            PARAMS,
        )
        == []
    )


# -- REQUIRED ---------------------------------------------------------------------------------------


def test_required_is_located(runner):
    frame = program(
        {"submission_id": "A", "source_row": 3},
        {"submission_id": "A", "source_row": 7, "nama_program": None, "raw": {"nama_program": "-"}},
        {"submission_id": "A", "source_row": 8, "tahun_selesai": None},
    )
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [
        ("A", "REQUIRED", "Program", 7, "nama_program", "-"),
        ("A", "REQUIRED", "Program", 8, "tahun_selesai", None),
    ]
    f = got[0][1]
    assert f.severity == "ERROR" and f.message_id == "REQUIRED"
    # the message names the program and says what to do (issue 13)
    assert f.message == (
        "Nilai 'nama_program' wajib diisi untuk program 'P07'. Isi nilainya, atau hapus baris ini bila bukan data."
    )
    assert (
        f.message_en
        == "'nama_program' is required for program 'P07'. Fill it in, or remove the row if it is not data."
    )


def test_many_failures_are_not_truncated(runner):
    rows = [
        {"submission_id": "A", "source_row": r, "kode_program": f"P{r}", "opd_penanggung_jawab": None}
        for r in range(2, 62)
    ]
    got = runner.validate("program", program(*rows), "Program", PARAMS)
    assert [f.row for _, f in got] == list(range(2, 62))
    assert {(f.rule, f.column) for _, f in got} == {("REQUIRED", "opd_penanggung_jawab")}


def test_identity_required_uses_the_label_row(runner):
    frame = identity(
        MASTERPLAN,
        {"submission_id": "A", "periode_selesai": None, "raw": {"periode_selesai": ""}},
        {"submission_id": "B", "email_kontak": None, "rows": {"email_kontak": None}},  # label row absent
    )
    got = runner.validate("identitas_masterplan", frame, "Identitas", PARAMS)
    label_row = {f.label: i + 2 for i, f in enumerate(IDENTITY_FIELDS)}
    assert located(got) == [
        ("A", "REQUIRED", "Identitas", label_row["periode_selesai"], "periode_selesai", None),
        ("B", "REQUIRED", "Identitas", None, "email_kontak", None),
    ]


def test_identity_required_depends_on_the_kind(runner):
    ev = identity(EVALUASI, {"submission_id": "A", "tahun_evaluasi": None, "periode_mulai": None})
    assert located(runner.validate("identitas_evaluasi", ev, "Identitas", PARAMS)) == [
        ("A", "REQUIRED", "Identitas", 8, "tahun_evaluasi", None)
    ]


# -- ENUM -------------------------------------------------------------------------------------------


def test_enum_dimension_with_suggestion(runner):
    frame = program(
        {
            "submission_id": "A",
            "source_row": 3,
            "dimensi": "Smart Enviroment",
            "elemen": "Pengelolaan Sampah",
        },
        {
            "submission_id": "A",
            "source_row": 4,
            "dimensi": "Smart Environment",
            "elemen": "Pengelolaan Sampah",
        },
    )
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [("A", "ENUM", "Program", 3, "dimensi", "Smart Enviroment")]
    f = got[0][1]
    assert f.message == (
        "Nilai 'Smart Enviroment' pada 'dimensi' tidak termasuk pilihan yang diizinkan (pilihan: Smart "
        "Governance, Smart Branding, Smart Economy, Smart Living, Smart Society, Smart Environment). "
        "Mungkin maksud Anda 'Smart Environment'?"
    )
    assert f.message_en.endswith("Smart Environment). Did you mean 'Smart Environment'?")


def test_enum_suggestion_goes_through_aliases_and_shows_the_raw_text(runner):
    frame = program(
        {"submission_id": "A", "source_row": 5, "dimensi": "lingkungn", "raw": {"dimensi": " lingkungn "}}
    )
    ((sid, f),) = runner.validate("program", frame, "Program", PARAMS)
    assert (f.rule, f.row, f.column, f.value) == ("ENUM", 5, "dimensi", " lingkungn ")
    assert f.message_en.endswith("Did you mean 'Smart Environment'?")


def test_enum_element_not_of_its_dimension_is_reported_on_elemen(runner):
    frame = program(
        {"submission_id": "A", "source_row": 3, "dimensi": "Smart Economy", "elemen": "Kesehatan"},
        {"submission_id": "A", "source_row": 4, "dimensi": "Smart Living", "elemen": "Kesehatan"},
    )
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [("A", "ENUM", "Program", 3, "elemen", "Kesehatan")]
    assert "Industri, Kesejahteraan Rakyat, Transaksi Keuangan" in got[0][1].message_en


def test_enum_unknown_element_suggests_within_its_dimension(runner):
    frame = program({"submission_id": "A", "source_row": 9, "dimensi": "Smart Living", "elemen": "Kesehatn"})
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [("A", "ENUM", "Program", 9, "elemen", "Kesehatn")]
    assert got[0][1].message_en.endswith("Did you mean 'Kesehatan'?")


def test_enum_without_a_close_value_has_no_suggestion(runner):
    frame = program({"submission_id": "A", "source_row": 3, "dimensi": "Pertanian"})
    ((_, f),) = runner.validate("program", frame, "Program", PARAMS)
    assert (f.rule, f.column) == ("ENUM", "dimensi")
    assert f.message_en == (
        "Value 'Pertanian' in 'dimensi' is not one of the allowed values (one of: Smart Governance, "
        "Smart Branding, Smart Economy, Smart Living, Smart Society, Smart Environment)."
    )


@pytest.mark.parametrize(
    ("suite", "sheet", "frame", "column", "typed", "suggested"),
    [
        ("realisasi", "Realisasi", realisasi, "status", "Selesaii", "Selesai"),
        ("kesiapan", "Kesiapan", kesiapan, "pilar", "Infrastuktur", "Infrastruktur"),
        ("indeks", "Indeks", indeks, "aspek", "Quick Wins", "Quick Win"),
    ],
)
def test_enum_on_evaluation_sheets(runner, suite, sheet, frame, column, typed, suggested):
    rows = frame(
        {"submission_id": "A", "source_row": 4, column: typed},
        {"submission_id": "A", "source_row": 5, column: suggested, "kode_program": "P02"},
    )
    got = runner.validate(suite, rows, sheet, PARAMS)
    assert located(got) == [("A", "ENUM", sheet, 4, column, typed)]
    assert got[0][1].message_en.endswith(f"Did you mean '{suggested}'?")


# -- RANGE ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suite", "sheet", "frame", "column", "bad", "good", "expected"),
    [
        ("realisasi", "Realisasi", realisasi, "progres_persen", 100.5, 100.0, "0–100"),
        ("realisasi", "Realisasi", realisasi, "progres_persen", -1.0, 0.0, "0–100"),
        ("realisasi", "Realisasi", realisasi, "realisasi_anggaran_rp", -1.0, 0.0, "0–100.000.000.000.000"),
        ("realisasi", "Realisasi", realisasi, "capaian", -0.5, 0.0, ">= 0"),
        ("kesiapan", "Kesiapan", kesiapan, "skor", 0.0, 1.0, "1–5"),
        ("kesiapan", "Kesiapan", kesiapan, "skor", 5.5, 5.0, "1–5"),
        ("indeks", "Indeks", indeks, "nilai", 5.01, 5.0, "0–5"),
        ("program", "Program", program, "anggaran_rp", -1.0, 0.0, "0–100.000.000.000.000"),
        ("program", "Program", program, "target", -2.0, 0.0, ">= 0"),
    ],
)
def test_range(runner, suite, sheet, frame, column, bad, good, expected):
    rows = frame(
        {"submission_id": "A", "source_row": 6, column: bad, "raw": {column: f"{bad}".replace(".", ",")}},
        {
            "submission_id": "A",
            "source_row": 7,
            column: good,
            "kode_program": "P02",
            "indikator": "lain",
            "aspek": "Output",
        },
    )
    got = runner.validate(suite, rows, sheet, PARAMS)
    assert located(got) == [("A", "RANGE", sheet, 6, column, f"{bad}".replace(".", ","))]
    assert f"({expected})" in got[0][1].message


def test_range_length(runner):
    frame = program(
        {"submission_id": "A", "source_row": 3, "kode_program": "K" * 21},
        {"submission_id": "A", "source_row": 4, "kode_program": "P02", "nama_program": "N" * 251},
    )
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [
        ("A", "RANGE", "Program", 3, "kode_program", "K" * 21),
        ("A", "RANGE", "Program", 4, "nama_program", "N" * 119 + "…"),
    ]
    assert got[0][1].message_id == "RANGE_LENGTH"
    assert got[0][1].message_en == (
        "The value in 'kode_program' is too long (21 characters; at most 20). Shorten the text."
    )
    assert "(251 characters; at most 250)" in got[1][1].message_en


def test_evaluation_year_range_uses_the_current_year_parameter(runner):
    frame = identity(
        EVALUASI,
        {"submission_id": "A", "tahun_evaluasi": 2016},
        {"submission_id": "B", "tahun_evaluasi": CURRENT_YEAR + 1},
        {"submission_id": "C", "tahun_evaluasi": CURRENT_YEAR},
    )
    got = runner.validate("identitas_evaluasi", frame, "Identitas", PARAMS)
    assert located(got) == [
        ("A", "RANGE", "Identitas", 8, "tahun_evaluasi", "2016"),
        ("B", "RANGE", "Identitas", 8, "tahun_evaluasi", str(CURRENT_YEAR + 1)),
    ]
    assert f"(2017–{CURRENT_YEAR})" in got[0][1].message
    # next year, the same suite accepts it
    assert (
        runner.validate(
            "identitas_evaluasi", frame.iloc[1:], "Identitas", PARAMS | {"current_year": CURRENT_YEAR + 1}
        )
        == []
    )


# -- DUPLICATE ----------------------------------------------------------------------------------------


def test_duplicate_reports_each_repeat_after_the_first(runner):
    frame = program(
        {"submission_id": "A", "source_row": 9, "kode_program": "P01"},
        {"submission_id": "A", "source_row": 3, "kode_program": "P01"},
        {"submission_id": "A", "source_row": 5, "kode_program": "P01"},
        {"submission_id": "A", "source_row": 4, "kode_program": "P02"},
        {"submission_id": "B", "source_row": 3, "kode_program": "P02"},
        {"submission_id": "A", "source_row": 6, "kode_program": None},
        {"submission_id": "A", "source_row": 7, "kode_program": None},
    )
    got = runner.validate("program", frame, "Program", PARAMS)
    assert [x for x in located(got) if x[1] == "DUPLICATE"] == [
        ("A", "DUPLICATE", "Program", 5, "kode_program", "P01"),
        ("A", "DUPLICATE", "Program", 9, "kode_program", "P01"),
    ]
    assert got[0][1].message_en == (
        "'P01' in 'kode_program' appears more than once in this workbook; the first copy is on row 3. "
        "Merge the two rows, or give them different codes."
    )
    # empty codes are REQUIRED, never DUPLICATE
    assert [x for x in located(got) if x[1] != "DUPLICATE"] == [
        ("A", "REQUIRED", "Program", 6, "kode_program", None),
        ("A", "REQUIRED", "Program", 7, "kode_program", None),
    ]


def test_duplicate_readiness_indicator_within_its_pillar(runner):
    frame = kesiapan(
        {"submission_id": "A", "source_row": 2, "pilar": "Struktur", "indikator": "Tim"},
        {"submission_id": "A", "source_row": 3, "pilar": "Infrastruktur", "indikator": "Tim"},
        {"submission_id": "A", "source_row": 4, "pilar": "Struktur", "indikator": "Tim"},
    )
    assert located(runner.validate("kesiapan", frame, "Kesiapan", PARAMS)) == [
        ("A", "DUPLICATE", "Kesiapan", 4, "indikator", "Struktur / Tim")
    ]


def test_duplicate_realisasi_and_indeks(runner):
    rea = realisasi(
        {"submission_id": "A", "source_row": 2, "kode_program": "P01"},
        {"submission_id": "A", "source_row": 3, "kode_program": "P01"},
    )
    assert located(runner.validate("realisasi", rea, "Realisasi", PARAMS)) == [
        ("A", "DUPLICATE", "Realisasi", 3, "kode_program", "P01")
    ]
    ind = indeks(
        {"submission_id": "A", "source_row": 2, "aspek": "Total"},
        {"submission_id": "A", "source_row": 4, "aspek": "Total"},
    )
    assert located(runner.validate("indeks", ind, "Indeks", PARAMS)) == [
        ("A", "DUPLICATE", "Indeks", 4, "aspek", "Total")
    ]


# -- several submissions in one frame -------------------------------------------------------------------


def test_failures_are_attributed_to_their_submission(runner):
    frame = program(
        {"submission_id": "A", "source_row": 3, "kode_program": "P01"},
        {"submission_id": "B", "source_row": 3, "kode_program": "P01", "dimensi": "Smart Enviroment"},
        {"submission_id": "A", "source_row": 4, "kode_program": "P02", "anggaran_rp": -5.0},
        {"submission_id": "B", "source_row": 4, "kode_program": "P02"},
        {"submission_id": "B", "source_row": 5, "kode_program": "P02"},
        {"submission_id": "C", "source_row": 3, "kode_program": "P01"},
    )
    frame.index = [10, 10, 11, 11, 12, 12]  # whatever index the caller's frame has
    got = runner.validate("program", frame, "Program", PARAMS)
    assert located(got) == [
        ("A", "RANGE", "Program", 4, "anggaran_rp", "-5"),
        ("B", "ENUM", "Program", 3, "dimensi", "Smart Enviroment"),
        ("B", "DUPLICATE", "Program", 5, "kode_program", "P02"),
    ]


def test_each_year_cell_of_one_program_row_gets_its_own_finding(runner):
    """Template version 2's money per year is one frame row per (program row, year): rows that
    share a submission and a sheet row are still told apart, each finding in its own column."""
    from smartprov.ingest.parse import ParsedSubmission
    from smartprov.validation.batch import YEAR_BUDGET_SUITE, year_budget_frame

    sub = ParsedSubmission.__new__(ParsedSubmission)
    sub.submission_id = "A"
    years = {2024: 100.0, 2025: -5.0, 2026: -7.0, 2030: 9.0}  # the program runs 2024-2026
    sub.year_budgets = [
        {"source_row": 3, "kode_program": "P01", "tahun_mulai": 2024, "tahun_selesai": 2026, "tahun": year,
         "kolom": f"anggaran_{year}", "anggaran": amount, "anggaran__raw": str(amount)}
        for year, amount in years.items()
    ]  # fmt: skip
    got = runner.validate(YEAR_BUDGET_SUITE, year_budget_frame([sub]), "Program", PARAMS)
    assert sorted((f.rule, f.row, f.column) for _, f in got) == [
        ("RANGE", 3, "anggaran_2025"),
        ("RANGE", 3, "anggaran_2026"),
        ("RANGE", 3, "anggaran_2030"),
    ]


def test_empty_frame_and_unknown_suite(runner):
    assert runner.validate("program", program(), "Program", PARAMS) == []
    with pytest.raises(KeyError):
        runner.validate("nope", program({"submission_id": "A", "source_row": 3}), "Program", PARAMS)


def test_a_missing_column_is_an_error_not_a_pass(runner):
    frame = program({"submission_id": "A", "source_row": 3}).drop(columns=["dimensi_elemen"])
    with pytest.raises(RuntimeError, match="dimensi_elemen"):
        runner.validate("program", frame, "Program", PARAMS)


# -- Data Docs --------------------------------------------------------------------------------------------


def test_data_docs_are_written_for_the_run(tmp_path):
    docs_runner = SuiteRunner(run_name="docs-run")
    frame = program({"submission_id": "A", "source_row": 3, "dimensi": "Smart Enviroment"})
    docs_runner.validate("program", frame, "Program", PARAMS)
    docs_runner.validate("indeks", indeks({"submission_id": "A", "source_row": 2}), "Indeks", PARAMS)
    index = docs_runner.write_data_docs(tmp_path)
    assert index == (tmp_path / "docs-run" / "index.html").resolve()
    assert index.is_file()
    text = index.read_text(encoding="utf-8")
    assert "program" in text and "indeks" in text
    pages = list((index.parent / "validations" / "program").rglob("*.html"))
    assert len(pages) == 1
    assert "Smart Enviroment" in pages[0].read_text(encoding="utf-8")
    # a second build in the same run keeps one site with everything so far
    docs_runner.validate("kesiapan", kesiapan({"submission_id": "A", "source_row": 2}), "Kesiapan", PARAMS)
    assert docs_runner.write_data_docs(tmp_path) == index
    assert list((index.parent / "validations" / "kesiapan").rglob("*.html"))


def test_suite_json_is_what_the_runner_holds(runner):
    on_disk = json.loads((settings.expectations_dir() / "program.json").read_text(encoding="utf-8"))
    assert runner.specs["program"] == on_disk


def test_gx_is_imported_without_the_modules_of_an_expectation_we_never_use():
    """altair and scipy.stats (half of GX's import) stand in until first used; then they work."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from smartprov.validation.gx import _import_gx\n"
        "gx = _import_gx()\n"
        "print(gx.ExpectationSuite.__name__, 'altair.vegalite' in sys.modules, 'scipy.stats._stats_py' in sys.modules)\n"
        "from scipy import stats\n"
        "print(round(float(stats.entropy([0.5, 0.5], [0.5, 0.5])), 3), 'scipy.stats._stats_py' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["ExpectationSuite False False", "0.0 True"]
