"""Source freshness on a real DuckDB file and a real PostgreSQL database: every raw and audit
source the marts read is watched. A warehouse the pipeline has just loaded is fresh (raw rows
and findings have no time of their own and follow the ledger, so an optional sheet nobody sent
lately does not look stale); one whose last arrival is four days old warns. (That every source
has freshness, and none is unused, is `make lint`'s: the dbt project evaluator.)
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from smartprov.warehouse import dbt_runner
from smartprov.warehouse.connection import Warehouse

try:
    from .dbt_fixture import create_fixture
    from .pg import fresh_database
except ImportError:
    from dbt_fixture import create_fixture
    from pg import fresh_database

SOURCES = {
    "audit.submissions",
    "audit.findings",
    "raw.masterplan_programs",
    "raw.masterplan_program_agencies",
    "raw.masterplan_program_budgets",
    "raw.masterplan_milestones",
    "raw.evaluation_realisations",
    "raw.evaluation_readiness",
    "raw.evaluation_index",
}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    if request.param == "duckdb":
        database = tmp_path / "warehouse.duckdb"
        create_fixture(database)
        yield f"duckdb:///{database}"
        return
    with fresh_database("smartprov_freshness_") as db:
        create_fixture(db.dsn)
        yield db.url


def _freshness(url: str, last_arrival: dt.datetime) -> dict[str, str]:
    """Status of each source once the ledger's latest arrival is `last_arrival` (UTC, as the
    pipeline writes received_at)."""
    with Warehouse(url) as wh, wh.transaction():
        wh.execute(
            "UPDATE audit.submissions SET received_at = ? WHERE submission_id = "
            "(SELECT max(submission_id) FROM audit.submissions)",
            (last_arrival,),
        )
        wh.execute(
            "UPDATE audit.submissions SET received_at = ? WHERE received_at > ?", (last_arrival, last_arrival)
        )
    engine = "duckdb" if url.startswith("duckdb") else "postgres"
    dbt_runner.invoke(["source", "freshness"], url)
    target, _ = dbt_runner.dbt_paths(engine)
    results = json.loads((target / "sources.json").read_text())["results"]
    return {r["unique_id"].split(".", 2)[2]: r["status"] for r in results}


def test_just_loaded_is_fresh_and_four_quiet_days_warn(warehouse_url: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert _freshness(warehouse_url, now) == dict.fromkeys(SOURCES, "pass")
    assert _freshness(warehouse_url, now - dt.timedelta(days=4)) == dict.fromkeys(SOURCES, "warn")
