"""What the DAGs' tasks call: the steps of run/steps.py with settings resolved the Airflow way.

Credentials come from Airflow Connections when their ids are set
(`SMARTPROV_WAREHOUSE_CONN_ID`), else from the same environment the CLI reads. Errors a
retry cannot fix fail the task at once instead of retrying. Tasks exchange only small
JSON (XCom); the rest goes through the warehouse, so each task may run on any worker.
"""

from __future__ import annotations

import os
from typing import Any

from smartprov import settings
from smartprov.run import steps


def warehouse_url() -> str:
    conn_id = os.environ.get("SMARTPROV_WAREHOUSE_CONN_ID")
    if not conn_id:
        return settings.warehouse_url()
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if conn.conn_type in ("duckdb",):
        return f"duckdb:///{conn.host or conn.schema}"
    from urllib.parse import quote

    auth = quote(conn.login or "", safe="")
    if conn.password:
        auth += ":" + quote(conn.password, safe="")
    return f"postgresql+psycopg://{auth}@{conn.host}:{conn.port or 5432}/{conn.schema}"


def landing_url() -> str:
    return settings.landing_url()


def _fail_fast(exc: Exception) -> Exception:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


def discover(run_id: str) -> dict[str, Any]:
    return steps.discover(landing_url(), warehouse_url(), run_id)


def validate_and_load(discovery: dict[str, Any]) -> dict[str, Any]:
    return steps.validate_and_load(discovery, warehouse_url())


def build_marts(summary: dict[str, Any]) -> dict[str, Any]:
    from smartprov.warehouse.dbt_runner import DbtBuildFailed

    try:
        return steps.build_marts(summary, warehouse_url())
    except DbtBuildFailed as exc:  # a failing model or data test is not transient
        raise _fail_fast(exc) from exc


def report(discovery: dict[str, Any], summary: dict[str, Any], dbt: dict[str, Any] | None) -> dict[str, Any]:
    return steps.report(discovery, summary, dbt, warehouse_url())


def publish(dbt: dict[str, Any] | None) -> dict[str, Any]:
    return steps.publish(dbt, warehouse_url())


def notify(report_ref: dict[str, Any]) -> dict[str, Any]:
    return steps.notify(report_ref, warehouse_url())


def marts_changed(summary: dict[str, Any], dbt: dict[str, Any] | None) -> str | None:
    """Why smartprov_replay should run, or None (then the Asset is not emitted)."""
    if dbt and dbt.get("built"):
        return "marts rebuilt"
    if summary.get("accepted_masterplans"):
        return f"{summary['accepted_masterplans']} new masterplan(s): quarantined evaluations may now pass"
    return None


def intake(run_id: str) -> dict[str, Any]:
    # The prefix marks intake runs: the nightly digest lists what they handled.
    return steps.intake(landing_url(), warehouse_url(), run_id=steps.INTAKE_PREFIX + run_id)


def replay(region: str | None) -> dict[str, Any]:
    from smartprov.run.replay import replay_quarantine

    return replay_quarantine(warehouse_url(), region=region or None)
