"""What the DAGs' tasks call: pipeline steps with their settings resolved the Airflow way.

Credentials come from Airflow Connections when their ids are set
(`SMARTPROV_WAREHOUSE_CONN_ID`), else from the same environment the CLI reads. Errors a
retry cannot fix fail the task at once instead of retrying.
"""

from __future__ import annotations

import os
from typing import Any

from smartprov import settings
from smartprov.run import pipeline


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
    return pipeline.discover(landing_url(), warehouse_url(), run_id)


def validate_and_load(discovery: dict[str, Any]) -> dict[str, Any]:
    return pipeline.validate_and_load(discovery, warehouse_url())


def build_marts(summary: dict[str, Any]) -> dict[str, Any]:
    from smartprov.warehouse.dbt_runner import DbtBuildFailed

    try:
        return pipeline.build_marts(warehouse_url())
    except DbtBuildFailed as exc:  # a failing model or data test is not transient
        raise _fail_fast(exc) from exc


def finish(discovery: dict[str, Any], summary: dict[str, Any], dbt: dict[str, Any] | None) -> dict[str, Any]:
    report = pipeline.finish_run(
        summary,
        warehouse_url(),
        landing_url=discovery["landing"],
        started_at=discovery["started_at"],
        dbt=dbt,
    )
    return {
        "report_path": report["report_path"],
        "counts": report["counts"],
        "outputs": report.get("outputs"),
    }


def replay(region: str | None) -> dict[str, Any]:
    from smartprov.run.replay import replay_quarantine

    return replay_quarantine(warehouse_url(), region=region or None)
