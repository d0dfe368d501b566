"""Cross-sheet and cross-submission rules (smartprov.validation.cross_rules)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from smartprov.contract import catalogue as contract
from smartprov.contract.findings import MESSAGES
from smartprov.validation.batch import records_frame
from smartprov.validation.cross_rules import check_evaluation, check_masterplan

DIMENSIONS = contract.taxonomy().dimensions  # Governance, Branding, Economy, Living, Society, Environment


def mid(rule: str, specific: str) -> str:
    """The message id a finding carries: its own, which the catalogue must hold."""
    assert specific in MESSAGES, specific
    return specific


def only(findings, rule):
    return [f for f in findings if f.rule == rule]


# -- frames shaped like validate.split_by_submission's parts -----------------------------------
def program_frame(rows: list[dict]) -> pd.DataFrame:
    return records_frame(rows, contract.PROGRAM)  # the pipeline's own frame shape


def program(row, code, dim, y0=2022, y1=2026, quick=False, budget=1e9, **extra):
    return {
        "source_row": row,
        "kode_program": code,
        "nama_program": f"Program {code}",
        "dimensi": dim,
        "elemen": contract.taxonomy().elements_by_dimension.get(dim, ("?",))[0],
        "tahun_mulai": y0,
        "tahun_selesai": y1,
        "quick_win": quick,
        "anggaran_rp": budget,
        **extra,
    }


def full_masterplan() -> list[dict]:
    """One program per dimension, each a quick win: no finding at all."""
    rows = [program(5 + i, f"P{i + 1:02d}", dim, quick=True) for i, dim in enumerate(DIMENSIONS)]
    return rows


def identity_mp(start=2022, end=2031) -> dict:
    return {
        "jenis_dokumen": "MASTERPLAN",
        "kode_wilayah": "32.04",
        "periode_mulai": start,
        "periode_selesai": end,
        "_rows": {"jenis_dokumen": 2, "kode_wilayah": 4, "periode_mulai": 6, "periode_selesai": 7},
    }


# -- MASTERPLAN -------------------------------------------------------------------------
def test_complete_masterplan_has_no_findings():
    assert check_masterplan(identity_mp(), program_frame(full_masterplan())) == []


def test_period_reversed_is_an_error_at_identitas():
    found = check_masterplan(identity_mp(2031, 2022), program_frame(full_masterplan()))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id) == ("PERIOD", "ERROR", mid("PERIOD", "PERIOD_IDENTITY_ORDER"))
    assert (f.sheet, f.row, f.column, f.value) == ("Identitas", 6, "periode_mulai", "2031")
    assert "periode_mulai (2031) lebih besar dari periode_selesai (2022)" in f.message
    assert "periode_mulai (2031) is after periode_selesai (2022)" in f.message_en
    # no span warning and no "outside the period" errors on a reversed period


@pytest.mark.parametrize("start, end, span", [(2022, 2025, 4), (2022, 2022, 1), (2022, 2042, 21)])
def test_period_span_outside_5_to_20_is_a_warning(start, end, span):
    rows = [program(5 + i, f"P{i}", d, start, start, quick=True) for i, d in enumerate(DIMENSIONS)]
    found = check_masterplan(identity_mp(start, end), program_frame(rows))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id) == (
        "CONSISTENCY",
        "WARNING",
        mid("CONSISTENCY", "CONSISTENCY_PERIOD_SPAN"),
    )
    assert (f.sheet, f.row, f.column, f.value) == ("Identitas", 7, "periode_selesai", str(end))
    assert f"{start}-{end} mencakup {span} tahun" in f.message
    assert f"covers {span} years" in f.message_en


@pytest.mark.parametrize("start, end", [(2022, 2026), (2022, 2041), (2022, 2031)])
def test_period_span_5_to_20_is_fine(start, end):
    rows = [program(5 + i, f"P{i}", d, start, end, quick=True) for i, d in enumerate(DIMENSIONS)]
    assert check_masterplan(identity_mp(start, end), program_frame(rows)) == []


def test_missing_period_skips_period_rules():
    ident = identity_mp()
    ident["periode_mulai"] = None
    rows = full_masterplan()
    rows[0]["tahun_mulai"] = 1990
    assert check_masterplan(ident, program_frame(rows)) == []


def test_program_years_reversed():
    rows = full_masterplan()
    rows[2].update(tahun_mulai=2027, tahun_selesai=2024)
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.message_id) == ("PERIOD", mid("PERIOD", "PERIOD_PROGRAM_ORDER"))
    assert (f.sheet, f.row, f.column, f.value) == ("Program", 7, "tahun_selesai", "2024")
    assert "Program 'P03': tahun_mulai (2027) lebih besar dari tahun_selesai (2024)" in f.message
    assert "Program 'P03': tahun_mulai (2027) is after tahun_selesai (2024)" in f.message_en


def test_program_years_outside_period_per_column():
    rows = full_masterplan()
    rows[0].update(tahun_mulai=2020, tahun_selesai=2023)  # starts before 2022
    rows[1].update(tahun_mulai=2030, tahun_selesai=2033)  # ends after 2031
    rows[2].update(tahun_mulai=2019, tahun_selesai=2035)  # both
    found = check_masterplan(identity_mp(2022, 2031), program_frame(rows))
    assert all(f.rule == "PERIOD" and f.message_id == mid("PERIOD", "PERIOD_PROGRAM_OUTSIDE") for f in found)
    assert sorted((f.row, f.column, f.value) for f in found) == [
        (5, "tahun_mulai", "2020"),
        (6, "tahun_selesai", "2033"),
        (7, "tahun_mulai", "2019"),
        (7, "tahun_selesai", "2035"),
    ]
    first = next(f for f in found if f.row == 5)
    assert first.sheet == "Program"
    assert "Program 'P01': tahun_mulai 2020 berada di luar periode masterplan 2022-2031" in first.message
    assert "Program 'P01': tahun_mulai 2020 is outside the masterplan period 2022-2031" in first.message_en


def test_program_years_on_the_period_bounds_are_inside():
    rows = full_masterplan()
    rows[0].update(tahun_mulai=2022, tahun_selesai=2031)
    assert check_masterplan(identity_mp(2022, 2031), program_frame(rows)) == []


def test_rows_with_empty_years_are_skipped():
    rows = full_masterplan()
    rows[0].update(tahun_mulai=None, tahun_selesai=2040)  # tahun_mulai is REQUIRED elsewhere
    rows[1].update(tahun_selesai=None)
    found = check_masterplan(identity_mp(2022, 2031), program_frame(rows))
    assert [(f.row, f.column) for f in found] == [(5, "tahun_selesai")]  # only the value that is there


def test_no_program_rows_is_required():
    found = check_masterplan(identity_mp(), program_frame([]))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id) == ("REQUIRED", "ERROR", mid("REQUIRED", "REQUIRED_NO_PROGRAM"))
    assert (f.sheet, f.row, f.column) == ("Program", None, "kode_program")
    assert f.message.startswith("Lembar Program tidak berisi satu pun program")
    assert f.message_en.startswith("The Program sheet holds no program")


def test_missing_program_sheet_only_checks_identity():
    assert check_masterplan(identity_mp(), None) == []
    assert [f.rule for f in check_masterplan(identity_mp(2031, 2022), None)] == ["PERIOD"]


def test_no_quick_win_is_required_without_per_dimension_noise():
    rows = [program(5 + i, f"P{i}", d, quick=False) for i, d in enumerate(DIMENSIONS)]
    rows[0]["quick_win"] = None  # empty = Tidak
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.message_id, f.sheet, f.column) == (
        "REQUIRED",
        mid("REQUIRED", "REQUIRED_NO_QUICK_WIN"),
        "Program",
        "quick_win",
    )
    assert "quick_win = Ya" in f.message and "quick_win = Ya" in f.message_en


def test_dimension_without_program_is_coverage():
    rows = [r for r in full_masterplan() if r["dimensi"] not in ("Smart Branding", "Smart Society")]
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert [(f.rule, f.severity, f.sheet, f.column) for f in found] == [
        ("COVERAGE", "WARNING", "Program", "dimensi")
    ] * 2
    assert [f.message_id for f in found] == [mid("COVERAGE", "COVERAGE_DIMENSION")] * 2
    assert "Dimensi 'Smart Branding' belum memiliki program" in found[0].message
    assert "Dimension 'Smart Society' has no program" in found[1].message_en


def test_quick_win_spread_is_consistency():
    rows = full_masterplan()
    rows.append(program(20, "P07", "Smart Governance", quick=True))  # Governance: 2 quick wins
    rows[1]["quick_win"] = False  # Branding: 0 quick wins (but has a program)
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert [(f.rule, f.column) for f in found] == [("CONSISTENCY", "quick_win")] * 2
    governance, branding = found
    assert governance.message_id == mid("CONSISTENCY", "CONSISTENCY_QUICK_WIN")
    assert "Dimensi 'Smart Governance' memiliki 2 quick win (P01, P07)" in governance.message
    assert "Dimension 'Smart Governance' has 2 quick wins (P01, P07)" in governance.message_en
    assert "Dimensi 'Smart Branding' memiliki 0 quick win;" in branding.message
    assert "exactly one quick win per dimension" in branding.message_en


def test_dimension_without_program_gets_coverage_not_quick_win_warning():
    rows = [r for r in full_masterplan() if r["dimensi"] != "Smart Living"]
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert [f.rule for f in found] == ["COVERAGE"]


def test_unknown_dimensions_and_empty_dimensions_are_ignored_by_coverage():
    rows = full_masterplan()
    rows.append(program(30, "PX", "Smart People"))  # ENUM elsewhere
    rows.append(program(31, "PY", None))  # REQUIRED elsewhere
    assert check_masterplan(identity_mp(), program_frame(rows)) == []


def test_plain_object_frames_work_too():
    # NaN / None rather than pandas' nullable dtypes
    rows = full_masterplan()
    rows[0].update(quick_win=None, tahun_mulai=float("nan"))
    frame = pd.DataFrame.from_records(rows)
    assert frame["quick_win"].dtype == object
    found = check_masterplan(identity_mp(), frame)
    assert [(f.rule, f.message_id) for f in found] == [
        ("CONSISTENCY", mid("CONSISTENCY", "CONSISTENCY_QUICK_WIN"))
    ]
    assert "Smart Governance" in found[0].message


# -- EVALUASI ---------------------------------------------------------------------------
def identity_ev(year=2024) -> dict:
    return {
        "jenis_dokumen": "EVALUASI",
        "kode_wilayah": "32.04",
        "tahun_evaluasi": year,
        "_rows": {"tahun_evaluasi": 6},
    }


def realisation_frame(rows: list[dict]) -> pd.DataFrame:
    return records_frame(rows, contract.REALISASI)


def realisation(row, code, status="Berjalan", progress=50.0, spent=None):
    return {
        "source_row": row,
        "kode_program": code,
        "status": status,
        "progres_persen": progress,
        "realisasi_anggaran_rp": spent,
        "capaian": None,
        "keterangan": None,
    }


def readiness_frame(pillars=contract.PILLARS) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {"source_row": 5 + i, "pilar": p, "indikator": f"Indikator {i}", "skor": 3.0, "bukti": None}
            for i, p in enumerate(pillars)
        ],
        columns=["source_row", "pilar", "indikator", "skor", "bukti"],
    )


def plan_frame(rows=None) -> pd.DataFrame:
    rows = (
        rows
        if rows is not None
        else [
            ("P01", 2022, 2026, 1_000_000_000),
            ("P02", 2023, 2024, 500_000_000),
            ("P03", 2025, 2027, None),
        ]
    )
    return pd.DataFrame.from_records(rows, columns=["program_code", "year_start", "year_end", "budget_idr"])


def test_complete_evaluation_has_no_findings():
    real = realisation_frame([realisation(5, "P01"), realisation(6, "P02")])
    assert check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame()) == []


def test_no_masterplan_is_one_reference_finding():
    real = realisation_frame([realisation(5, "P01"), realisation(6, "X9")])
    found = check_evaluation(identity_ev(), real, readiness_frame(), None, None)
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id, f.sheet, f.row) == (
        "REFERENCE",
        "ERROR",
        "REFERENCE_MASTERPLAN",
        "Realisasi",
        None,
    )
    assert f.message == MESSAGES["REFERENCE_MASTERPLAN"][0]


def test_no_masterplan_still_checks_status_and_pillars():
    real = realisation_frame([realisation(5, "P01", "Selesai", 80.0)])
    found = check_evaluation(identity_ev(), real, readiness_frame(["Struktur"]), None, None)
    assert sorted(f.rule for f in found) == ["CONSISTENCY", "REFERENCE", "REQUIRED", "REQUIRED"]


def test_program_not_in_masterplan_is_reference_per_row():
    real = realisation_frame(
        [realisation(5, "P01"), realisation(6, " p02 "), realisation(7, "P99"), realisation(8, "P98")]
    )
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame())
    assert [(f.rule, f.message_id, f.sheet, f.row, f.column, f.value) for f in found] == [
        ("REFERENCE", "REFERENCE_PROGRAM", "Realisasi", 7, "kode_program", "P99"),
        ("REFERENCE", "REFERENCE_PROGRAM", "Realisasi", 8, "kode_program", "P98"),
    ]
    assert "kode_program 'P99' tidak ada di masterplan" in found[0].message


def test_program_codes_match_ignoring_case_and_spaces_both_ways():
    plan = plan_frame([(" sg-01 ", 2022, 2026, None)])
    real = realisation_frame([realisation(5, "SG-01")])
    assert check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan) == []


@pytest.mark.parametrize(
    "status, progress, warned, expected",
    [
        ("Selesai", 100.0, False, None),
        ("Selesai", 99.5, True, "100%"),
        ("Selesai", 0.0, True, "100%"),
        ("Belum Dimulai", 0.0, False, None),
        ("Belum Dimulai", 10.0, True, "0%"),
        ("Berjalan", 0.0, False, None),
        ("Berjalan", 100.0, False, None),
        ("Tertunda", 40.0, False, None),
        ("Dibatalkan", 100.0, False, None),
    ],
)
def test_status_versus_progress(status, progress, warned, expected):
    real = realisation_frame([realisation(5, "P01", status, progress), realisation(6, "P02")])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame())
    if not warned:
        assert found == []
        return
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id) == (
        "CONSISTENCY",
        "WARNING",
        mid("CONSISTENCY", "CONSISTENCY_STATUS_PROGRESS"),
    )
    shown = f"{progress:g}"
    assert (f.sheet, f.row, f.column, f.value) == ("Realisasi", 5, "progres_persen", shown)
    assert f"Program 'P01' berstatus '{status}' tetapi progres_persen {shown}" in f.message
    assert f"berarti progres {expected}" in f.message
    assert f"means {expected} progress" in f.message_en


def test_status_rule_skips_empty_progress_and_unknown_status():
    real = realisation_frame([realisation(5, "P01", "Selesai", None), realisation(6, "P02", "Done", 10.0)])
    assert check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame()) == []


@pytest.mark.parametrize(
    "spent, warned",
    [(1_500_000_000, False), (1_500_000_001, True), (2_000_000_000, True), (0, False), (None, False)],
)
def test_budget_overrun_above_150_percent(spent, warned):
    real = realisation_frame([realisation(5, "P01", spent=spent), realisation(6, "P02")])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame())
    if not warned:
        assert found == []
        return
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.message_id, f.sheet, f.row, f.column) == (
        "CONSISTENCY",
        mid("CONSISTENCY", "CONSISTENCY_BUDGET_OVERRUN"),
        "Realisasi",
        5,
        "realisasi_anggaran_rp",
    )
    shown = f"{spent:,}".replace(",", ".")
    assert f.value == shown
    assert (
        f"realisasi anggaran Rp {shown} melebihi 150% dari rencana anggaran di masterplan (Rp 1.000.000.000)"
        in f.message
    )
    assert (
        f"realised budget Rp {shown} is over 150% of the masterplan's planned budget (Rp 1.000.000.000)"
        in f.message_en
    )


def test_budget_rule_accepts_decimal_budgets_and_skips_unplanned():
    plan = plan_frame([("P01", 2022, 2026, Decimal("100000000.00")), ("P02", 2022, 2026, None)])
    real = realisation_frame([realisation(5, "P01", spent=150_000_001), realisation(6, "P02", spent=9e12)])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan)
    assert [(f.row, f.column) for f in found] == [(5, "realisasi_anggaran_rp")]


def test_budget_planned_zero_and_spent_is_a_warning():
    plan = plan_frame([("P01", 2022, 2026, 0)])
    real = realisation_frame([realisation(5, "P01", spent=1_000_000)])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan)
    assert [f.column for f in found] == ["realisasi_anggaran_rp"]


def test_running_programs_without_row_are_one_coverage_warning():
    plan = plan_frame(
        [
            ("P01", 2022, 2026, None),
            ("P02", 2023, 2024, None),  # running in 2024, no row
            ("P03", 2025, 2027, None),  # not yet running
            ("P04", 2020, 2023, None),  # finished
            ("P05", 2024, 2024, None),  # running, no row
            ("P06", None, 2030, None),  # unknown start: skipped
        ]
    )
    real = realisation_frame([realisation(5, "p01")])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan)
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.message_id, f.sheet, f.row, f.column) == (
        "COVERAGE",
        "WARNING",
        mid("COVERAGE", "COVERAGE_REALISATION"),
        "Realisasi",
        None,
        "kode_program",
    )
    assert (
        "2 program masterplan yang berjalan pada tahun 2024 belum memiliki baris di lembar Realisasi: P02, P05"
        in f.message
    )
    assert (
        "2 masterplan programs running in 2024 have no row on the Realisasi sheet: P02, P05" in f.message_en
    )


def test_coverage_list_is_cut_short():
    plan = plan_frame([(f"P{i:03d}", 2020, 2030, None) for i in range(45)])
    found = check_evaluation(identity_ev(2024), realisation_frame([]), readiness_frame(), None, plan)
    assert len(found) == 1
    assert "45 program masterplan" in found[0].message
    assert "P029 … (+15)" in found[0].message
    assert "P030" not in found[0].message


def test_coverage_needs_the_evaluation_year():
    found = check_evaluation(identity_ev(None), realisation_frame([]), readiness_frame(), None, plan_frame())
    assert found == []


@pytest.mark.parametrize(
    "present, missing", [(["Struktur", "Infrastruktur"], ["Suprastruktur"]), ([], list(contract.PILLARS))]
)
def test_readiness_pillar_without_row_is_required(present, missing):
    real = realisation_frame([realisation(5, "P01"), realisation(6, "P02")])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(present), None, plan_frame())
    assert [(f.rule, f.severity, f.message_id, f.sheet, f.row, f.column) for f in found] == [
        ("REQUIRED", "ERROR", mid("REQUIRED", "REQUIRED_PILLAR"), "Kesiapan", None, "pilar")
    ] * len(missing)
    for f, pillar in zip(found, missing, strict=True):
        assert f"Pilar kesiapan '{pillar}' belum memiliki baris di lembar Kesiapan" in f.message
        assert f"Readiness pillar '{pillar}' has no row on the Kesiapan sheet" in f.message_en


def test_readiness_rows_with_empty_or_unknown_pillar_do_not_count():
    frame = readiness_frame()
    frame.loc[0, "pilar"] = None
    frame.loc[1, "pilar"] = "Infra"
    real = realisation_frame([realisation(5, "P01"), realisation(6, "P02")])
    found = check_evaluation(identity_ev(2024), real, frame, None, plan_frame())
    assert ["Struktur" in f.message for f in found] == [True, False]
    assert ["Infrastruktur" in f.message for f in found] == [False, True]


def test_missing_sheets_are_not_rules_of_this_module():
    assert check_evaluation(identity_ev(2024), None, None, None, plan_frame()) == []


def test_empty_realisation_rows_are_skipped():
    real = realisation_frame(
        [realisation(5, None, "Selesai", 20.0), realisation(6, "P01"), realisation(7, "P02")]
    )
    found = check_evaluation(identity_ev(2024), real, readiness_frame(), None, plan_frame())
    assert found == []  # no code: REQUIRED elsewhere; no rule here looks at the row


def test_findings_are_bilingual_and_located():
    real = realisation_frame([realisation(5, "P01", "Selesai", 50.0, 9e9), realisation(6, "ZZ")])
    found = check_evaluation(identity_ev(2024), real, readiness_frame(["Struktur"]), None, plan_frame())
    assert {f.rule for f in found} == {"REFERENCE", "CONSISTENCY", "COVERAGE", "REQUIRED"}
    for f in found:
        assert f.message and f.message_en and f.message != f.message_en
        assert f.sheet in ("Realisasi", "Kesiapan")
        assert f.severity == contract.RULES[f.rule]


def test_a_misspelt_dimension_gives_no_knock_on_warning():
    """The ENUM error on 'Smart Enviroment' is the finding; the Environment quick win (and
    program) it hides is not reported again as 0 quick wins or a dimension without programs."""
    rows = full_masterplan()
    environment = next(r for r in rows if r["dimensi"] == "Smart Environment")
    environment["dimensi"] = "Smart Enviroment"  # ENUM elsewhere; it was that dimension's quick win
    rows.append(program(40, "PE2", "Smart Environment", quick=False))
    assert check_masterplan(identity_mp(), program_frame(rows)) == []
    # without a misspelt row, the same workbook does get the warning
    environment["dimensi"] = "Smart Environment"
    environment["quick_win"] = False
    found = check_masterplan(identity_mp(), program_frame(rows))
    assert [(f.message_id, f.column) for f in found] == [
        (mid("CONSISTENCY", "CONSISTENCY_QUICK_WIN"), "quick_win")
    ]
