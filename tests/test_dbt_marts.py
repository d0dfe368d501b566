"""The dbt project on both engines: build it on the hand-made fixture and check the marts.

One `dbt seed` + `dbt build` per engine per session (module-scoped fixtures), against a
DuckDB file in a temporary directory and a fresh PostgreSQL database
`smartprov_dbt_<random>` (created and dropped here). Figures are checked against values
computed by hand from tests/dbt_fixture.py, and both engines must give identical marts.

PostgreSQL: a fresh database through tests/pg.py (SMARTPROV_TEST_PG_DSN). Unreachable:
skipped, or failed when CI=true.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dbt_fixture import AS_OF_DATE, FIRST_YEAR, create_fixture
from pg import fresh_database

pytestmark = pytest.mark.slow

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
DBT_VARS = json.dumps({"as_of_date": AS_OF_DATE, "first_year": FIRST_YEAR})

# mart -> its grain (ordering for comparisons)
MARTS: dict[str, list[str]] = {
    "province_masterplan_coverage": ["region_code"],
    "province_dimension_portfolio": ["region_code", "dimension", "element"],
    "province_implementation_progress": ["region_code", "year", "dimension"],
    "province_readiness": ["region_code", "evaluation_year", "pillar"],
    "province_evaluation_index": ["region_code", "evaluation_year", "aspect"],
    "province_scorecard": ["province_code", "year"],
    "province_submission_status": ["region_code", "kind", "period"],
    "province_quick_wins": ["region_code", "program_code"],
    "province_funding_sources": ["region_code", "year", "funding_source"],
    "province_threshold_path": ["region_code"],
    "submission_history": ["submission_id"],
    "submission_findings": ["submission_id", "finding_no"],
    "masterplan_programs_current": ["region_code", "source_row"],
}

M = 1_000_000


def _quiet_env(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    mp.setenv("DO_NOT_TRACK", "1")


def _dbt(command: list[str], target: str, work: Path) -> tuple[Any, float]:
    """Run one dbt command in-process; fail the test with dbt's failures if it fails."""
    from dbt.cli.main import dbtRunner

    from smartprov import settings

    args = [
        *command,
        "--project-dir",
        str(settings.dbt_dir()),  # the test process's copy (tests/conftest.py)
        "--profiles-dir",
        str(settings.dbt_dir()),
        "--target",
        target,
        "--target-path",
        str(work / f"target-{target}"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        DBT_VARS,
    ]
    started = time.perf_counter()
    res = dbtRunner().invoke(args)
    seconds = time.perf_counter() - started
    if not res.success:
        failures = [
            f"{r.node.unique_id}: {r.status}: {r.message}"
            for r in (getattr(res.result, "results", None) or [])
            if str(r.status).lower() in ("error", "fail")
        ]
        pytest.fail(f"dbt {command[0]} on {target} failed: {failures or res.exception}")
    return res, seconds


def _seed_and_build(target: str, work: Path) -> dict[str, Any]:
    from smartprov.contract.deadlines import sync_seed

    sync_seed()  # the deadline seed is generated (from config/deadlines.yml), as a run does first
    _, seed_s = _dbt(["seed", "--full-refresh"], target, work)
    build, build_s = _dbt(["build", "--exclude-resource-type", "seed"], target, work)
    statuses = {r.node.unique_id: str(r.status) for r in build.result.results}
    return {"seed_seconds": seed_s, "build_seconds": build_s, "statuses": statuses}


def _read_marts(cursor: Any) -> dict[str, dict[str, Any]]:
    marts = {}
    for name, grain in MARTS.items():
        cursor.execute(f"SELECT * FROM marts.{name} ORDER BY {', '.join(grain)}")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        marts[name] = {"columns": columns, "rows": rows}
    return marts


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import duckdb

    work = tmp_path_factory.mktemp("dbt_duckdb")
    path = work / "warehouse.duckdb"
    create_fixture(path)
    with pytest.MonkeyPatch.context() as mp:
        _quiet_env(mp)
        mp.setenv("SMARTPROV_DUCKDB_PATH", str(path))
        built = _seed_and_build("duckdb", work)
        con = duckdb.connect(str(path))
        try:
            built["marts"] = _read_marts(con.cursor())
        finally:
            con.close()
        built.update(work=work, path=path)
        yield built


@pytest.fixture(scope="module")
def postgres_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import psycopg

    from smartprov.warehouse.connection import WarehouseUrl

    with fresh_database("smartprov_dbt_") as db:
        create_fixture(db.dsn)
        work = tmp_path_factory.mktemp("dbt_postgres")
        with pytest.MonkeyPatch.context() as mp:
            _quiet_env(mp)
            for key, value in WarehouseUrl.parse(db.url).dbt_env().items():
                mp.setenv(key, value)
            built = _seed_and_build("postgres", work)
        with psycopg.connect(db.dsn) as conn, conn.cursor() as cur:
            built["marts"] = _read_marts(cur)
        built.update(work=work, dbname=db.name, url=db.url)
        yield built


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue(f"{request.param}_build")


def rows(built: dict[str, Any], mart: str, **where: Any) -> list[dict[str, Any]]:
    return [r for r in built["marts"][mart]["rows"] if all(r[k] == v for k, v in where.items())]


def one(built: dict[str, Any], mart: str, **where: Any) -> dict[str, Any]:
    found = rows(built, mart, **where)
    assert len(found) == 1, f"{mart} {where}: {len(found)} rows"
    return found[0]


# --- the build itself -------------------------------------------------------------------


def test_build_runs_every_node_including_unit_tests(built: dict[str, Any]) -> None:
    statuses = built["statuses"]
    assert all(s in ("pass", "success", "no-op") for s in statuses.values()), statuses
    unit_tests = [uid for uid in statuses if uid.startswith("unit_test.")]
    assert len(unit_tests) >= 5
    models = {uid.split(".")[-1] for uid in statuses if uid.startswith("model.")}
    assert set(MARTS) <= models
    assert sum(uid.startswith("test.") for uid in statuses) > 50
    print(f"seed {built['seed_seconds']:.1f}s, build {built['build_seconds']:.1f}s")


# --- coverage ---------------------------------------------------------------------------


def test_coverage_lists_every_regency_of_every_province(built: dict[str, Any]) -> None:
    all_rows = built["marts"]["province_masterplan_coverage"]["rows"]
    assert len(all_rows) == 514
    jabar = rows(built, "province_masterplan_coverage", province_code="32")
    assert len(jabar) == 27
    assert {r["province_name"] for r in jabar} == {"Jawa Barat"}
    assert sum(r["has_masterplan"] for r in jabar) == 3
    assert len(rows(built, "province_masterplan_coverage", province_code="34")) == 5


def test_coverage_uses_the_current_masterplan_only(built: dict[str, Any]) -> None:
    bandung = one(built, "province_masterplan_coverage", region_code="32.04")
    assert bandung["region_name"] == "Kabupaten Bandung"
    assert bandung["region_type"] == "kabupaten"
    assert bandung["has_masterplan"] is True
    assert bandung["masterplan_submission_id"] == "MP2-3204"  # the revision, not MP1
    assert (bandung["period_start"], bandung["period_end"]) == (2023, 2032)
    assert bandung["programs"] == 7
    assert bandung["quick_wins"] == 4
    assert bandung["programs_without_budget"] == 1
    assert bandung["budget_total_idr"] == Decimal(9_800 * M)  # 1500+800+2000+0+5000+300+200
    assert bandung["last_submitted_at"] == dt.datetime(2023, 7, 1, 9, 30)

    kota_bandung = one(built, "province_masterplan_coverage", region_code="32.73")
    assert (kota_bandung["programs"], kota_bandung["quick_wins"]) == (3, 2)
    assert kota_bandung["budget_total_idr"] == Decimal(5_500 * M)


@pytest.mark.parametrize("region", ["32.77", "32.01"])  # only rejected / nothing at all
def test_coverage_of_regencies_without_masterplan(built: dict[str, Any], region: str) -> None:
    row = one(built, "province_masterplan_coverage", region_code=region)
    assert row["has_masterplan"] is False
    assert (row["programs"], row["quick_wins"]) == (0, 0)
    assert row["budget_total_idr"] is None
    assert row["last_submitted_at"] is None
    assert row["period_start"] is None


# --- supersession and history -----------------------------------------------------------


def test_submission_history_keeps_every_version(built: dict[str, Any]) -> None:
    history = {r["submission_id"]: r for r in built["marts"]["submission_history"]["rows"]}
    assert len(history) == 16
    assert history["MP1-3204"]["is_current"] is False
    assert history["MP1-3204"]["superseded_by"] == "MP2-3204"
    assert history["MP1-3204"]["current_submission_id"] == "MP2-3204"
    assert history["MP2-3204"]["is_current"] is True
    assert history["MP2-3204"]["superseded_by"] is None
    assert history["EV24a-3204"]["superseded_by"] == "EV24b-3204"
    assert history["EV24b-3204"]["is_current"] is True
    assert history["EV25-3204"]["is_current"] is True  # another year: not superseded by 2024
    for rejected in ("MP-3277-rejected", "EV23-3204-rejected", "unreadable-9999"):
        assert history[rejected]["status"] == "rejected"
        assert history[rejected]["is_current"] is False
        assert history[rejected]["superseded_by"] is None
    unknown = history["unreadable-9999"]
    assert (unknown["region_code"], unknown["province_code"], unknown["kind"]) == ("99.99", None, None)
    assert history["MP-3277-rejected"]["errors"] == 3
    # a misfiled file: the sender's folder, and the code its workbook claims
    misfiled = history["MP-3277-misfiled"]
    assert (misfiled["region_code"], misfiled["stated_region_code"]) == ("32.77", "32.12")


# --- dimension portfolio ----------------------------------------------------------------


def test_portfolio_has_all_18_combinations_for_regencies_with_a_masterplan(built: dict[str, Any]) -> None:
    portfolio = built["marts"]["province_dimension_portfolio"]["rows"]
    assert len(portfolio) == 4 * 18
    assert {r["region_code"] for r in portfolio} == {"32.04", "32.73", "32.79", "34.04"}
    bandung = rows(built, "province_dimension_portfolio", region_code="32.04")
    assert sum(r["programs"] for r in bandung) == 7
    assert sum(r["budget_total_idr"] for r in bandung) == Decimal(9_800 * M)

    service = one(
        built,
        "province_dimension_portfolio",
        region_code="32.04",
        dimension="Smart Governance",
        element="Layanan Publik",
    )
    assert (service["programs"], service["quick_wins"]) == (2, 1)
    assert service["budget_total_idr"] == Decimal(1_700 * M)
    assert service["agencies"] == 2  # Diskominfo and DISKOMINFO are one agency, plus DPMPTSP

    learning = one(
        built,
        "province_dimension_portfolio",
        region_code="32.04",
        dimension="Smart Society",
        element="Ekosistem Belajar",
    )
    assert learning["agencies"] == 2
    assert learning["agency_names"] == "Disdik; diskominfo"

    # P09 belonged to the superseded MP1 only
    old = one(
        built,
        "province_dimension_portfolio",
        region_code="32.04",
        dimension="Smart Economy",
        element="Transaksi Keuangan",
    )
    assert (old["programs"], old["budget_total_idr"], old["agencies"]) == (0, Decimal(0), 0)
    assert old["agency_names"] is None


# --- implementation progress ------------------------------------------------------------


def test_progress_years_and_grid(built: dict[str, Any]) -> None:
    progress = built["marts"]["province_implementation_progress"]["rows"]
    years = {}
    for r in progress:
        years.setdefault(r["region_code"], set()).add(r["year"])
    # masterplan period up to the reporting year (2026), all six dimensions
    assert years == {
        "32.04": set(range(2023, 2027)),
        "32.73": set(range(2021, 2027)),
        "32.79": set(range(2024, 2027)),
        "34.04": set(range(2020, 2027)),
    }
    assert len(progress) == (4 + 6 + 3 + 7) * 6


def test_progress_figures_from_current_masterplan_and_evaluation(built: dict[str, Any]) -> None:
    def at(year: int, dimension: str) -> dict[str, Any]:
        return one(
            built, "province_implementation_progress", region_code="32.04", year=year, dimension=dimension
        )

    # MP2 is template version 2: the year's own plan (anggaran_<YYYY>), see dbt_fixture.YEAR_BUDGETS
    gov24 = at(2024, "Smart Governance")  # P01 60 %, P02 0 %: EV24b, not the superseded EV24a
    assert gov24["evaluation_submission_id"] == "EV24b-3204"
    assert (gov24["programs_planned"], gov24["programs_reported"], gov24["programs_done"]) == (2, 2, 0)
    assert (gov24["programs_running"], gov24["programs_not_started"]) == (1, 1)
    assert gov24["avg_progress_pct"] == Decimal("30.00")
    assert gov24["programs_with_year_budget"] == 2
    assert gov24["budget_planned_idr"] == Decimal(700 * M)  # P01 500 + P02 200 in 2024
    assert gov24["budget_realized_idr"] == Decimal(700 * M)
    assert gov24["budget_realized_planned_idr"] == Decimal(700 * M)
    assert gov24["realization_ratio"] == Decimal("1.0000")

    eco24 = at(2024, "Smart Economy")  # P03: 1900 realised of 1000 planned for 2024
    assert (eco24["programs_planned"], eco24["programs_reported"], eco24["programs_done"]) == (1, 1, 1)
    assert eco24["avg_progress_pct"] == Decimal("100.00")
    assert eco24["budget_planned_idr"] == Decimal(1_000 * M)
    assert eco24["realization_ratio"] == Decimal("1.9000")

    gov25 = at(2025, "Smart Governance")
    assert (gov25["programs_planned"], gov25["programs_done"]) == (2, 1)
    assert gov25["avg_progress_pct"] == Decimal("75.00")
    assert gov25["budget_planned_idr"] == Decimal(800 * M)  # P01 500 + P02 300
    assert gov25["realization_ratio"] == Decimal("2.3750")  # 1900 / 800

    living25 = at(2025, "Smart Living")  # P04 has no budget, no year amounts, no realised amount
    assert (living25["programs_planned"], living25["programs_reported"]) == (1, 1)
    assert living25["programs_with_year_budget"] == 0
    assert living25["budget_planned_idr"] is None  # not guessed
    assert living25["budget_realized_idr"] == Decimal(0)
    assert living25["realization_ratio"] is None

    env24 = at(2024, "Smart Environment")  # P05 has amounts for 2024 and 2025 only
    assert env24["budget_planned_idr"] == Decimal(1_000 * M)
    assert env24["realization_ratio"] == Decimal("1.0000")
    assert at(2026, "Smart Environment")["budget_planned_idr"] is None

    gov23 = at(2023, "Smart Governance")  # no accepted evaluation for 2023 (it was rejected)
    assert gov23["has_evaluation"] is False
    assert (gov23["programs_planned"], gov23["programs_reported"]) == (1, 0)
    assert gov23["budget_planned_idr"] == Decimal(500 * M)  # P01's 2023 amount
    assert gov23["budget_realized_idr"] is None
    assert gov23["avg_progress_pct"] is None
    assert gov23["realization_ratio"] is None

    gov26 = at(2026, "Smart Governance")  # P02 and P07: their 2026 amounts
    assert gov26["programs_planned"] == 2
    assert gov26["budget_planned_idr"] == Decimal(400 * M)

    branding = at(2024, "Smart Branding")
    assert (branding["programs_planned"], branding["programs_reported"]) == (0, 0)
    assert branding["budget_planned_idr"] is None  # no program, no plan


# --- readiness and index ----------------------------------------------------------------


def test_readiness_per_pillar(built: dict[str, Any]) -> None:
    assert len(built["marts"]["province_readiness"]["rows"]) == 12
    struktur = one(built, "province_readiness", region_code="32.04", evaluation_year=2024, pillar="Struktur")
    assert struktur["evaluation_submission_id"] == "EV24b-3204"
    assert (struktur["indicators"], struktur["avg_score"]) == (2, Decimal("3.50"))
    supra = one(
        built, "province_readiness", region_code="32.04", evaluation_year=2024, pillar="Suprastruktur"
    )
    assert supra["avg_score"] == Decimal("5.00")


def test_index_ranks_within_province(built: dict[str, Any]) -> None:
    index = built["marts"]["province_evaluation_index"]["rows"]
    assert len(index) == 8
    totals_2025 = {
        r["region_code"]: r
        for r in rows(built, "province_evaluation_index", evaluation_year=2025, aspect="Total")
    }
    assert {k: (r["score"], r["rank_in_province"]) for k, r in totals_2025.items()} == {
        "32.04": (Decimal("3.31"), 1),
        "32.73": (Decimal("3.31"), 1),  # tie shares the rank
        "32.79": (Decimal("2.90"), 3),
    }
    assert {r["regencies_ranked"] for r in totals_2025.values()} == {3}
    total_2024 = one(
        built, "province_evaluation_index", region_code="32.04", evaluation_year=2024, aspect="Total"
    )
    assert (total_2024["score"], total_2024["rank_in_province"]) == (Decimal("3.10"), 1)
    gov = one(
        built,
        "province_evaluation_index",
        region_code="32.04",
        evaluation_year=2024,
        aspect="Smart Governance",
    )
    assert gov["rank_in_province"] is None
    assert gov["aspect_group"] == "dimension"


# --- scorecard --------------------------------------------------------------------------


def test_scorecard_covers_every_province_and_year(built: dict[str, Any]) -> None:
    scorecard = built["marts"]["province_scorecard"]["rows"]
    assert len(scorecard) == 38 * 4  # 2023 .. 2026 (as-of year)
    assert {r["year"] for r in scorecard} == {2023, 2024, 2025, 2026}
    assert not any(r["meets_smart_province_threshold"] for r in scorecard)
    jatim = one(built, "province_scorecard", province_code="35", year=2025)
    assert (jatim["regencies_with_masterplan"], jatim["masterplan_coverage_pct"]) == (0, Decimal("0.00"))


@pytest.mark.parametrize(
    ("year", "with_mp", "pct", "evaluated", "progress", "readiness", "index"),
    [
        # 32.73's masterplan is dated 2021 though received in 2024; 32.79's dated 2024-12
        (2023, 2, "7.41", 0, None, None, None),
        (2024, 3, "11.11", 1, "46.00", "3.50", "3.10"),
        # regencies weigh the same: progress (64 + 62.5 + 35) / 3, readiness (3.75 + 2.667 + 2) / 3
        (2025, 3, "11.11", 3, "53.83", "2.81", "3.17"),
        (2026, 3, "11.11", 0, None, None, None),
    ],
)
def test_scorecard_jawa_barat(
    built: dict[str, Any],
    year: int,
    with_mp: int,
    pct: str,
    evaluated: int,
    progress: str | None,
    readiness: str | None,
    index: str | None,
) -> None:
    row = one(built, "province_scorecard", province_code="32", year=year)
    assert row["province_name"] == "Jawa Barat"
    assert row["regencies_total"] == 27
    assert row["regencies_with_masterplan"] == with_mp  # point in time: dated or received by then
    assert row["masterplan_coverage_pct"] == Decimal(pct)
    assert row["meets_smart_province_threshold"] is False
    assert row["regencies_evaluated"] == evaluated

    def dec(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    assert (row["avg_progress_pct"], row["avg_readiness"], row["avg_index"]) == (
        dec(progress),
        dec(readiness),
        dec(index),
    )


def test_scorecard_yogyakarta(built: dict[str, Any]) -> None:
    for year in (2023, 2024, 2025, 2026):
        row = one(built, "province_scorecard", province_code="34", year=year)
        assert (row["regencies_total"], row["regencies_with_masterplan"]) == (5, 1)
        assert row["masterplan_coverage_pct"] == Decimal("20.00")


# --- submission status ------------------------------------------------------------------


def test_submission_status_grid(built: dict[str, Any]) -> None:
    status = built["marts"]["province_submission_status"]["rows"]
    # MASTERPLAN once + EVALUASI 2023, 2024, 2025 (2026's is due 31 January 2027)
    assert len(status) == 514 * 4
    assert {r["period"] for r in status} == {"masterplan", "2023", "2024", "2025"}
    assert {r["status"] for r in status} == {
        "on_time",
        "late",
        "rejected",
        "misfiled",
        "missing",
        "not_applicable",
    }


@pytest.mark.parametrize(
    ("region", "kind", "period", "expected", "errors", "warnings", "last_received"),
    [
        ("32.04", "MASTERPLAN", "masterplan", "on_time", 0, 1, dt.datetime(2023, 7, 1, 9, 30)),
        ("32.04", "EVALUASI", "2023", "rejected", 2, 0, dt.datetime(2024, 2, 10, 10, 0)),
        ("32.04", "EVALUASI", "2024", "on_time", 0, 0, dt.datetime(2025, 1, 22, 7, 0)),
        ("32.04", "EVALUASI", "2025", "on_time", 0, 0, dt.datetime(2026, 1, 16, 7, 0)),
        ("32.73", "MASTERPLAN", "masterplan", "late", 0, 0, dt.datetime(2024, 3, 1, 12, 0)),
        ("32.73", "EVALUASI", "2024", "missing", None, None, None),
        ("32.73", "EVALUASI", "2025", "on_time", 0, 0, dt.datetime(2026, 1, 21, 12, 0)),
        ("32.79", "EVALUASI", "2025", "late", 0, 0, dt.datetime(2026, 2, 6, 12, 0)),
        # Cimahi's own rejected file decides; Indramayu's misfiled one (later) does not
        ("32.77", "MASTERPLAN", "masterplan", "rejected", 3, 1, dt.datetime(2024, 6, 1, 9, 0)),
        ("32.77", "EVALUASI", "2024", "not_applicable", None, None, None),
        ("32.01", "MASTERPLAN", "masterplan", "missing", None, None, None),
        ("32.01", "EVALUASI", "2023", "not_applicable", None, None, None),
        ("32.02", "MASTERPLAN", "masterplan", "misfiled", 1, 0, dt.datetime(2024, 2, 10, 8, 0)),
        ("32.03", "MASTERPLAN", "masterplan", "rejected", None, None, None),
    ],
)
def test_submission_status(
    built: dict[str, Any],
    region: str,
    kind: str,
    period: str,
    expected: str,
    errors: int | None,
    warnings: int | None,
    last_received: dt.datetime | None,
) -> None:
    row = one(built, "province_submission_status", region_code=region, kind=kind, period=period)
    assert row["status"] == expected
    assert (row["errors"], row["warnings"]) == (errors, warnings)
    assert row["last_received_at"] == last_received
    assert row["is_overdue"] is (expected in ("rejected", "misfiled", "missing"))


@pytest.mark.parametrize(
    ("region", "kind", "period", "uploaded_at", "days_late"),
    [
        # uploaded_at when the ledger has it (5 Feb 03:00 UTC = 10:00 in Jakarta), else received_at
        ("32.79", "EVALUASI", "2025", dt.datetime(2026, 2, 5, 3, 0), 5),
        ("32.73", "MASTERPLAN", "masterplan", dt.datetime(2024, 3, 1, 12, 0), 61),  # 2024 is a leap year
        ("32.73", "EVALUASI", "2025", dt.datetime(2026, 1, 21, 12, 0), 0),
        ("32.73", "EVALUASI", "2024", None, 515),  # missing: 31 Jan 2025 .. 30 Jun 2026
        ("32.77", "EVALUASI", "2024", None, None),  # not applicable
    ],
)
def test_submission_lateness(
    built: dict[str, Any], region: str, kind: str, period: str, uploaded_at: Any, days_late: Any
) -> None:
    row = one(built, "province_submission_status", region_code=region, kind=kind, period=period)
    assert (row["uploaded_at"], row["days_late"]) == (uploaded_at, days_late)
    assert row["due_date"] is not None


def test_submission_status_names_the_misfiled_file_and_counts_unreadable_ones(built: dict[str, Any]) -> None:
    misfiled = one(
        built, "province_submission_status", region_code="32.02", kind="MASTERPLAN", period="masterplan"
    )
    assert (misfiled["misfiled_folder"], misfiled["misfiled_claimed_region_code"]) == ("32.02", "32.04")
    assert (misfiled["submissions_misfiled"], misfiled["submissions_rejected"]) == (1, 0)
    # the misfiled file is not Kabupaten Bandung's: its masterplan row counts only its own files
    bandung = one(
        built, "province_submission_status", region_code="32.04", kind="MASTERPLAN", period="masterplan"
    )
    assert (bandung["submissions_received"], bandung["submissions_misfiled"]) == (2, 0)
    # Kota Cimahi: its own rejection plus Indramayu's masterplan in its folder
    cimahi = one(
        built, "province_submission_status", region_code="32.77", kind="MASTERPLAN", period="masterplan"
    )
    assert (cimahi["status"], cimahi["deciding_submission_id"]) == ("rejected", "MP-3277-rejected")
    assert (cimahi["submissions_rejected"], cimahi["submissions_misfiled"]) == (1, 1)
    assert (cimahi["misfiled_folder"], cimahi["misfiled_claimed_region_code"]) == ("32.77", "32.12")
    # Indramayu itself received nothing: the misfiled file is not its submission either
    indramayu = one(
        built, "province_submission_status", region_code="32.12", kind="MASTERPLAN", period="masterplan"
    )
    assert (indramayu["status"], indramayu["submissions_received"]) == ("missing", 0)
    unreadable = one(
        built, "province_submission_status", region_code="32.03", kind="MASTERPLAN", period="masterplan"
    )
    assert (unreadable["unreadable_files"], unreadable["submissions_received"]) == (1, 0)
    assert unreadable["days_late"] == 912  # 31 Dec 2023 .. 30 Jun 2026
    # evaluations of regencies without a masterplan are not "missing"
    jabar_ev = rows(built, "province_submission_status", province_code="32", kind="EVALUASI")
    not_applicable = [r for r in jabar_ev if r["status"] == "not_applicable"]
    assert len(not_applicable) == 24 * 3  # 24 regencies without a masterplan x 2023..2025
    assert all(r["is_overdue"] is False for r in not_applicable)


def test_submission_status_counts_every_version(built: dict[str, Any]) -> None:
    row = one(built, "province_submission_status", region_code="32.04", kind="EVALUASI", period="2024")
    assert (row["submissions_received"], row["submissions_accepted"]) == (2, 2)
    assert row["deciding_submission_id"] == "EV24b-3204"
    mp = one(built, "province_submission_status", region_code="32.04", kind="MASTERPLAN", period="masterplan")
    assert mp["due_date"] == dt.date(2023, 12, 31)
    ev = one(built, "province_submission_status", region_code="32.04", kind="EVALUASI", period="2023")
    assert ev["due_date"] == dt.date(2024, 1, 31)


# --- quick wins, funding, threshold path, milestones ------------------------------------


def test_quick_wins_with_latest_status_and_history(built: dict[str, Any]) -> None:
    bandung = rows(built, "province_quick_wins", region_code="32.04")
    assert [r["program_code"] for r in bandung] == ["P01", "P03", "P04", "P06"]  # MP2's, not MP1's P09
    p01 = one(built, "province_quick_wins", region_code="32.04", program_code="P01")
    assert (p01["program_name"], p01["dimension"], p01["lead_agency"]) == (
        "Mal Pelayanan Publik Digital",
        "Smart Governance",
        "Diskominfo",
    )
    assert p01["budget_planned_idr"] == Decimal(1_500 * M)
    assert (p01["latest_evaluation_year"], p01["latest_status"], p01["latest_progress_pct"]) == (
        2025,
        "Selesai",
        Decimal("100.00"),
    )
    assert p01["years_evaluated"] == 2
    assert p01["budget_realized_total_idr"] == Decimal(2_200 * M)  # 700 (2024) + 1500 (2025)
    assert p01["progress_by_year"] == "2024: Berjalan 60%; 2025: Selesai 100%"
    p04 = one(built, "province_quick_wins", region_code="32.04", program_code="P04")
    assert (p04["latest_status"], p04["budget_realized_total_idr"], p04["budget_planned_idr"]) == (
        "Berjalan",
        None,
        None,
    )
    sleman = one(built, "province_quick_wins", region_code="34.04", program_code="S01")
    assert (sleman["latest_status"], sleman["years_evaluated"], sleman["progress_by_year"]) == (None, 0, None)
    assert len(built["marts"]["province_quick_wins"]["rows"]) == 4 + 2 + 1 + 1


def test_funding_sources_split_evenly_and_leave_version_1_money_empty(built: dict[str, Any]) -> None:
    def at(region: str, year: int, source: str) -> dict[str, Any]:
        return one(built, "province_funding_sources", region_code=region, year=year, funding_source=source)

    kab_2025 = at("32.79", 2025, "APBD Kab/Kota")  # B01 100 + half of B02's 100
    assert (kab_2025["programs"], kab_2025["programs_shared"], kab_2025["programs_without_year_budget"]) == (
        2,
        1,
        0,
    )
    assert kab_2025["budget_planned_idr"] == Decimal(150 * M)
    prov_2025 = at("32.79", 2025, "APBD Provinsi")
    assert (prov_2025["programs"], prov_2025["budget_planned_idr"]) == (1, Decimal(50 * M))
    assert at("32.79", 2024, "APBD Kab/Kota")["budget_planned_idr"] == Decimal(50 * M)
    # the split keeps the total: 2025's sources add up to the year's plan of 32.79 (200)
    assert sum(
        r["budget_planned_idr"]
        for r in rows(built, "province_funding_sources", region_code="32.79", year=2025)
    ) == Decimal(200 * M)
    kota_bandung = at("32.73", 2025, "APBD Kab/Kota")  # version 1: counted, no money
    assert (kota_bandung["programs"], kota_bandung["programs_without_year_budget"]) == (2, 2)
    assert kota_bandung["budget_planned_idr"] is None
    bandung_2024 = at("32.04", 2024, "APBD Kab/Kota")  # P01, P02, P03, P05, P06 run in 2024
    assert (bandung_2024["programs"], bandung_2024["programs_without_year_budget"]) == (5, 0)
    assert bandung_2024["budget_planned_idr"] == Decimal(2_800 * M)  # 500+200+1000+1000+100


def test_progress_counts_delayed_programs_against_the_years_plan(built: dict[str, Any]) -> None:
    eco = one(
        built, "province_implementation_progress", region_code="32.79", year=2025, dimension="Smart Economy"
    )
    assert (eco["programs_delayed"], eco["programs_reported"]) == (1, 1)
    assert (eco["budget_planned_idr"], eco["budget_realized_planned_idr"], eco["realization_ratio"]) == (
        Decimal(100 * M),
        Decimal(0),
        Decimal("0.0000"),
    )
    gov = one(
        built,
        "province_implementation_progress",
        region_code="32.79",
        year=2025,
        dimension="Smart Governance",
    )
    assert gov["realization_ratio"] == Decimal("1.0000")
    kota = one(
        built,
        "province_implementation_progress",
        region_code="32.73",
        year=2025,
        dimension="Smart Governance",
    )
    assert (kota["budget_planned_idr"], kota["realization_ratio"]) == (None, None)  # version 1


def test_threshold_path_lists_regencies_closest_first(built: dict[str, Any]) -> None:
    jabar = rows(built, "province_threshold_path", province_code="32")
    assert len(jabar) == 27 - 3
    first = jabar[0]
    assert (first["regencies_total"], first["regencies_with_masterplan"], first["regencies_required"]) == (
        27,
        3,
        22,
    )
    assert first["regencies_needed"] == 19
    assert first["masterplan_coverage_pct"] == Decimal("11.11")
    ranked = sorted(jabar, key=lambda r: r["closeness_rank"])
    # own rejected files first (fewest errors first); a misfiled file is not the folder's own
    assert [r["region_code"] for r in ranked[:2]] == ["32.03", "32.77"]
    cimahi = one(built, "province_threshold_path", region_code="32.77")
    assert cimahi["latest_rejected_submission_id"] == "MP-3277-rejected"  # not Indramayu's, though later
    assert (cimahi["first_error_rule"], cimahi["first_error_message"], cimahi["first_error_message_en"]) == (
        "REQUIRED",
        "Temuan REQUIRED",
        "Finding REQUIRED",
    )
    # Cimahi's own contact, never Indramayu's (smartcity@indramayukab.go.id, in the misfiled file)
    assert (cimahi["latest_rejected_errors"], cimahi["contact_email"]) == (3, "diskominfo.3277@example.go.id")
    assert cimahi["misfiled_claimed_region_code"] == "32.12"
    sukabumi = one(built, "province_threshold_path", region_code="32.02")  # only a misfiled file
    assert (sukabumi["contact_email"], sukabumi["has_rejected_file"]) == (None, False)
    assert (sukabumi["latest_rejected_submission_id"], sukabumi["misfiled_claimed_region_code"]) == (
        None,
        "32.04",
    )
    indramayu = one(built, "province_threshold_path", region_code="32.12")
    assert (indramayu["contact_email"], indramayu["has_rejected_file"]) == (None, False)
    bogor = one(built, "province_threshold_path", region_code="32.01")
    assert (bogor["has_rejected_file"], bogor["first_error_message"]) == (False, None)
    diy = rows(built, "province_threshold_path", province_code="34")
    assert len(diy) == 4 and diy[0]["regencies_needed"] == 3  # ceil(0.8 x 5) = 4, 1 has one


def test_coverage_milestones_and_expiry(built: dict[str, Any]) -> None:
    banjar = one(built, "province_masterplan_coverage", region_code="32.79")
    assert (banjar["template_version"], banjar["adoption_date"], banjar["legal_basis"]) == (
        "2",
        dt.date(2024, 12, 10),
        "Perwal No. 12 Tahun 2024",
    )
    assert (banjar["bimtek_stage"], banjar["mou_date"]) == ("III", dt.date(2023, 8, 1))
    assert (banjar["masterplan_end_year"], banjar["expires_within_two_years"]) == (2033, False)
    sleman = one(built, "province_masterplan_coverage", region_code="34.04")  # ends 2027, as of 2026
    assert (sleman["masterplan_end_year"], sleman["expires_within_two_years"], sleman["adoption_date"]) == (
        2027,
        True,
        None,
    )
    assert (
        one(built, "province_masterplan_coverage", region_code="32.01")["expires_within_two_years"] is False
    )


# --- analysts' snapshot marts ------------------------------------------------------------


def test_submission_findings_give_every_reason_in_both_languages(built: dict[str, Any]) -> None:
    findings = built["marts"]["submission_findings"]["rows"]
    assert len(findings) == 11
    cimahi = rows(built, "submission_findings", submission_id="MP-3277-rejected")
    assert [(f["finding_no"], f["rule"], f["severity"]) for f in cimahi] == [
        (1, "REQUIRED", "ERROR"),
        (2, "ENUM", "ERROR"),
        (3, "PERIOD", "ERROR"),
        (4, "EXTRA", "WARNING"),
    ]
    enum = cimahi[1]
    assert (enum["region_code"], enum["region_name"], enum["kind"], enum["submission_status"]) == (
        "32.77",
        "Kota Cimahi",
        "MASTERPLAN",
        "rejected",
    )
    assert (enum["sheet_name"], enum["source_row"], enum["column_name"], enum["value_found"]) == (
        "Program",
        7,
        "dimensi",
        "Smart People",
    )
    assert (enum["message"], enum["message_en"]) == ("Temuan ENUM", "Finding ENUM")
    misfiled = one(built, "submission_findings", submission_id="MP-3277-misfiled")
    assert (misfiled["region_code"], misfiled["stated_region_code"], misfiled["rule"]) == (
        "32.77",
        "32.12",
        "REGION_MISMATCH",
    )
    warning = one(built, "submission_findings", submission_id="MP2-3204")  # accepted with a warning
    assert (warning["submission_status"], warning["severity"]) == ("accepted", "WARNING")


def test_masterplan_programs_current_in_sheet_order_with_contact(built: dict[str, Any]) -> None:
    bandung = rows(built, "masterplan_programs_current", region_code="32.04")
    assert [r["program_code"] for r in bandung] == ["P01", "P02", "P03", "P04", "P05", "P06", "P07"]
    assert {r["masterplan_submission_id"] for r in bandung} == {"MP2-3204"}  # the revision, not MP1
    assert {r["contact_email"] for r in bandung} == {"diskominfo.3204@example.go.id"}
    assert (bandung[3]["program_name"], bandung[3]["year_start"], bandung[3]["year_end"]) == (
        "Telemedisin Puskesmas",
        2025,
        2027,
    )
    assert not rows(built, "masterplan_programs_current", region_code="32.77")  # rejected only
    assert {r["region_code"] for r in built["marts"]["masterplan_programs_current"]["rows"]} == {
        "32.04",
        "32.73",
        "32.79",
        "34.04",
    }


def test_report_headers_name_their_columns_content(built: dict[str, Any]) -> None:
    """Every header the reports print for a mart column fits what the built column holds:
    a text or yes/no column is never headed "Jumlah …" (a count), a count never a name."""
    from smartprov.reports.data import MARTS as REPORT_MARTS
    from smartprov.reports.labels import column_label

    checked = 0
    for spec in REPORT_MARTS:
        mart = built["marts"][spec.name]
        for column in mart["columns"]:
            values = [r[column] for r in mart["rows"] if r[column] is not None]
            if not values:
                continue
            label = column_label(column, spec.name)
            if all(isinstance(v, str) for v in values):
                assert not label.startswith("Jumlah"), (spec.name, column, label)
                checked += 1
            elif all(isinstance(v, bool) for v in values):
                assert not label.startswith("Jumlah"), (spec.name, column, label)
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in values) and (
                label.startswith("Jumlah")
            ):
                checked += 1
    assert column_label("agencies", "province_quick_wins") == "OPD Pelaksana"
    assert column_label("agencies", "province_dimension_portfolio") == "Jumlah OPD"
    assert checked > 40


BANDUNG_2025 = ["P01", "P02", "P04", "P05", "P06"]  # MP2-3204's programs running in 2025


def test_prefilled_evaluation_from_the_analysts_snapshot(
    duckdb_build: dict[str, Any], tmp_path: Path
) -> None:
    """`smartprov template --kind evaluasi --warehouse duckdb:///…snapshot.duckdb`: the snapshot
    holds marts only, and the prefill reads the current masterplan's programs from one."""
    import duckdb
    import openpyxl

    from smartprov.authoring.template import evaluation_prefill, write_template
    from smartprov.warehouse.snapshot import publish

    snapshot = publish(duckdb_build["path"], tmp_path / "warehouse.snapshot.duckdb")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        assert {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()} == {
            "marts"
        }
    finally:
        con.close()
    # the loader's file is held open by dbt in this process: read the ledger from a copy
    loader_copy = tmp_path / "warehouse-copy.duckdb"
    shutil.copyfile(duckdb_build["path"], loader_copy)
    for url in (f"duckdb:///{snapshot}", f"duckdb:///{loader_copy}"):  # the snapshot, then the ledger
        identity, data = evaluation_prefill("32.04", 2025, url)
        assert [row[0] for row in data["Realisasi"]] == BANDUNG_2025, url
        assert identity == {"tahun_evaluasi": 2025, "email_kontak": "diskominfo.3204@example.go.id"}, url
    with pytest.raises(ValueError, match="no accepted masterplan of 32.77"):
        evaluation_prefill("32.77", 2025, f"duckdb:///{snapshot}")
    out = write_template("32.04", "EVALUASI", tmp_path, year=2025, warehouse_url=f"duckdb:///{snapshot}")
    wb = openpyxl.load_workbook(out)
    values = [c.value for row in wb["Identitas"].iter_rows() for c in row]
    assert "diskominfo.3204@example.go.id" in values


@pytest.mark.postgres
def test_prefilled_evaluation_on_postgres(postgres_build: dict[str, Any]) -> None:
    from smartprov.authoring.template import evaluation_prefill

    identity, data = evaluation_prefill("32.04", 2025, postgres_build["url"])
    assert [row[0] for row in data["Realisasi"]] == BANDUNG_2025
    assert identity["email_kontak"] == "diskominfo.3204@example.go.id"


# --- both engines -----------------------------------------------------------------------


@pytest.mark.postgres
def test_duckdb_and_postgres_give_identical_marts(
    duckdb_build: dict[str, Any], postgres_build: dict[str, Any]
) -> None:
    for mart in MARTS:
        duck, pg = duckdb_build["marts"][mart], postgres_build["marts"][mart]
        assert duck["columns"] == pg["columns"], mart
        assert len(duck["rows"]) == len(pg["rows"]), mart
        for d_row, p_row in zip(duck["rows"], pg["rows"], strict=True):
            assert d_row == p_row, mart


def test_docs_generate(duckdb_build: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        _quiet_env(mp)
        mp.setenv("SMARTPROV_DUCKDB_PATH", str(duckdb_build["path"]))
        _, seconds = _dbt(["docs", "generate", "--static"], "duckdb", duckdb_build["work"])
    catalog = json.loads((duckdb_build["work"] / "target-duckdb" / "catalog.json").read_text())
    manifest = json.loads((duckdb_build["work"] / "target-duckdb" / "manifest.json").read_text())
    assert "model.smartprov.province_scorecard" in catalog["nodes"]
    # --static: one page with the manifest and catalog inside, readable from disk
    static = (duckdb_build["work"] / "target-duckdb" / "static_index.html").read_text(encoding="utf-8")
    assert "province_threshold_path" in static
    undocumented = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and not node.get("description")
    ]
    undocumented += [uid for uid, src in manifest["sources"].items() if not src.get("description")]
    assert not undocumented
    assert len(manifest["exposures"]) == 3
    # the docs' overview names every mart
    overview = (DBT_DIR / "models" / "overview.md").read_text(encoding="utf-8")
    marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "/marts/" in "/" + node["original_file_path"]
    }
    assert set(MARTS) <= marts
    assert not [m for m in sorted(marts) if f"`{m}`" not in overview]
    print(f"docs generate {seconds:.1f}s")
