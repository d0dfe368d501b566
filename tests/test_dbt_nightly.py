"""A night's dbt build on a real DuckDB file and a real PostgreSQL database: complete when the
project changed, only what depends on the rows otherwise; the reporting date reaches the
marts every night without a full re-parse of the project.

The fixture warehouse (tests/dbt_fixture.py) is built three times in one var/ folder (dbt's
partial-parse state kept, as on a deployed host): on day one (complete), on day two with a
new submission (selector nightly_data), and after a change to the project's vars (complete).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

from smartprov.warehouse import dbt_runner
from smartprov.warehouse.connection import Warehouse
from smartprov.warehouse.schema import columns_of

try:
    from .dbt_fixture import create_fixture
    from .pg import fresh_database
except ImportError:
    from dbt_fixture import create_fixture
    from pg import fresh_database

REPO = Path(__file__).resolve().parents[1]
DAY_ONE = dt.date(2026, 6, 30)
DAY_TWO = dt.date(2026, 7, 1)


def _scalar(url: str, sql: str):
    with Warehouse(url) as wh:
        return wh.fetchall(sql)[0][0]


def _last_run(var: Path, engine: str) -> dict[str, str]:
    """unique_id -> resource type of every node the last dbt invocation ran."""
    results = json.loads((var / "dbt" / f"target-{engine}" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["unique_id"].split(".", 1)[0] for r in results}


# A submission that arrives on day two: a copy of a rejected one under a new id and content.
_NEW_SUBMISSION_COLUMNS = {
    "submission_id": "'late-' || submission_id",
    "file_sha256": "'late' || substr(file_sha256, 5)",
    "received_at": "received_at + INTERVAL '1 day'",
}


def _parse_log(var: Path) -> str:
    return (var / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def nights(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f"nightly-{request.param}")
    if request.param == "duckdb":
        database = base / "warehouse.duckdb"
        create_fixture(database)
        yield from _three_nights(base, f"duckdb:///{database}", "duckdb")
        return
    with fresh_database("smartprov_nightly_") as db:
        create_fixture(db.dsn)
        yield from _three_nights(base, db.url, "postgres")


def _three_nights(base: Path, url: str, engine: str):
    var, config = base / "var", base / "config"
    config.mkdir()
    table = yaml.safe_load((REPO / "config" / "deadlines.yml").read_text(encoding="utf-8"))
    table["EVALUASI"]["first_year"] = 2023
    (config / "deadlines.yml").write_text(yaml.safe_dump(table), encoding="utf-8")
    out: dict = {"url": url, "var": var}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARTPROV_VAR_DIR", str(var))
        patch.setenv("SMARTPROV_CONFIG_DIR", str(config))
        patch.delenv(dbt_runner.AS_OF_DATE_ENV, raising=False)

        patch.setenv("SMARTPROV_TODAY", DAY_ONE.isoformat())
        out["one"] = dbt_runner.build_if_needed(url, docs=False)
        out["one_ran"] = _last_run(var, engine)
        out["one_as_of"] = _scalar(url, "SELECT max(as_of_date) FROM intermediate.int_reporting_years")
        log_before = len(_parse_log(var))

        # Day two: a new submission arrives (the inputs change, the project does not).
        columns = columns_of("audit.submissions")
        values = ", ".join(_NEW_SUBMISSION_COLUMNS.get(c, c) for c in columns)
        with Warehouse(url) as wh, wh.transaction():
            wh.execute(
                f"INSERT INTO audit.submissions ({', '.join(columns)}) SELECT {values} "
                "FROM audit.submissions WHERE submission_id = "
                "(SELECT min(submission_id) FROM audit.submissions WHERE status = 'rejected')"
            )
        patch.setenv("SMARTPROV_TODAY", DAY_TWO.isoformat())
        out["two"] = dbt_runner.build_if_needed(url, docs=False)
        out["two_ran"] = _last_run(var, engine)
        out["two_as_of"] = _scalar(url, "SELECT max(as_of_date) FROM intermediate.int_reporting_years")
        out["two_status_as_of"] = _scalar(url, "SELECT count(*) FROM marts.province_submission_status")
        out["two_log"] = _parse_log(var)[log_before:]

        # The project's vars change (a later first year): a complete build again.
        table["EVALUASI"]["first_year"] = 2024
        (config / "deadlines.yml").write_text(yaml.safe_dump(table), encoding="utf-8")
        out["three"] = dbt_runner.build_if_needed(url, docs=False)
        out["three_ran"] = _last_run(var, engine)
        out["three_first_scorecard_year"] = _scalar(
            url, "SELECT min(year) FROM intermediate.int_reporting_years WHERE is_scorecard_year"
        )
        # Nothing changed at all: no build.
        out["four"] = dbt_runner.build_if_needed(url, docs=False)
    yield out


def test_first_build_is_complete(nights):
    assert nights["one"]["built"] and nights["one"]["complete"]
    kinds = set(nights["one_ran"].values())
    assert {"model", "seed", "test", "unit_test"} <= kinds
    assert nights["one_as_of"] == DAY_ONE


def test_a_night_with_new_rows_rebuilds_tables_and_runs_data_tests_only(nights):
    two = nights["two"]
    assert two["built"] and not two["complete"]
    ran = nights["two_ran"]
    kinds = set(ran.values())
    assert kinds == {"model", "test"}  # no seed, no unit test
    assert "model.smartprov.province_masterplan_coverage" in ran
    assert "model.smartprov.int_reporting_years" in ran  # the calendar follows the date
    assert not any(uid.startswith("model.smartprov.stg_") for uid in ran)  # views kept
    # tests on the night's rows still run (a view's too); tests on seeds do not
    assert any("stg_raw__masterplan_programs" in uid for uid in ran if uid.startswith("test."))
    assert not any(uid.startswith("test.smartprov.primary_key_ref_provinces_code.") for uid in ran)
    # a mart's test against a seed is a test of the mart: it runs
    assert any(uid.startswith("test.smartprov.relationships_province_scorecard_province_code") for uid in ran)
    assert len(ran) < len(nights["one_ran"])


def test_the_new_date_reaches_the_marts_without_a_full_parse(nights):
    assert nights["two_as_of"] == DAY_TWO
    assert nights["two_status_as_of"] > 0
    assert "Unable to do partial parsing" not in nights["two_log"]
    assert "Partial parsing enabled, no changes found, skipping parsing" in nights["two_log"]


def test_a_changed_project_gets_a_complete_build(nights):
    assert nights["three"]["built"] and nights["three"]["complete"]
    assert "unit_test" in set(nights["three_ran"].values())
    assert nights["three_first_scorecard_year"] == 2024


def test_unchanged_inputs_build_nothing(nights):
    assert nights["four"]["built"] is False


def test_only_tables_depend_on_the_date_or_the_vars():
    """Views are not rebuilt on a night whose project is unchanged, so a view must not embed
    what changes without the project changing: the reporting date (or a var)."""
    marts = REPO / "dbt" / "models" / "marts"
    for path in (REPO / "dbt" / "models").rglob("*.sql"):
        code = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        if not re.search(r"as_of_date\(\)|\bvar\(", code):
            continue
        table = marts in path.parents or re.search(r"config\(\s*materialized\s*=\s*'table'", code)
        assert table, f"{path.relative_to(REPO)} reads the date or a var but is not a table"
