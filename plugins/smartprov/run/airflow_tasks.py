"""The DAGs' thin adapters: each task runs a step of run/steps.py with settings resolved the Airflow way.

Credentials come from Airflow Connections when their ids are set
(`SMARTPROV_WAREHOUSE_CONN_ID`), else from the same environment the CLI reads. Errors a
retry cannot fix fail the task at once instead of retrying. Tasks exchange only small
JSON (XCom); the rest goes through the warehouse, so each task may run on any worker.
"""

from __future__ import annotations

from typing import Any

from smartprov import settings
from smartprov.connections import warehouse_url
from smartprov.run import steps


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
    """One intake cycle. A landing zone that cannot be reached is an incident, not a failure
    every 5 minutes: the incident opens (one mail), the run is skipped while it lasts, and
    the first run that reaches the landing zone again closes it (one "recovered" mail)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from smartprov.warehouse.connection import WarehouseUnavailable

    try:
        # The prefix marks intake runs: the nightly digest lists what they handled.
        return steps.intake(landing_url(), warehouse_url(), run_id=steps.INTAKE_PREFIX + run_id)
    except OSError as exc:
        if isinstance(exc, WarehouseUnavailable):  # pragma: no cover - not an OSError today
            raise
        _landing_incident(exc)
        raise AirflowSkipException(
            f"landing zone unreachable, run skipped; the incident stays open until it answers: {exc}"
        ) from exc


def _landing_incident(exc: Exception) -> None:
    from airflow.sdk import get_current_context

    from smartprov.alerts import AlertConfig, incidents

    context = dict(get_current_context())
    context["exception"] = exc
    outcome = incidents.failure_event(context, AlertConfig.load(), event="failure")
    if outcome["mail"] == "direct":
        from smartprov.alerts import channels

        config = AlertConfig.load()
        subject, text, html, _ = outcome["message"]
        channels.send_email(
            channels.Email(to=config.failure_recipients(), subject=subject, text=text, html=html),
            smtp_conn_id=config.smtp_conn_id,
            from_email=config.from_email,
        )


def replay(region: str | None) -> dict[str, Any]:
    from smartprov.run.replay import replay_quarantine

    return replay_quarantine(warehouse_url(), region=region or None)
