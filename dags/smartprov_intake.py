"""
### smartprov_intake — feedback to regencies within minutes of an upload

Every 5 minutes it looks for workbooks not seen before in the landing zone, validates
them, loads the accepted ones, quarantines the rejected ones, and mails each sender its
feedback (Indonesian first, then English). It builds no marts and sends no province
digest: `smartprov_nightly` does those at 01:00 WIB (its digest lists what intake handled).
A run with nothing new finishes in seconds without importing the validator.

**Time limits.** 10 minutes per try, 15 per run; one run at a time.
**When it fails.** Same as the nightly: one incident mail naming the task, none per run
while the cause persists, one "pulih / recovered" mail when it succeeds again. A landing
zone that cannot be reached does not fail the run every 5 minutes: the run is skipped and
the incident stays open until the landing zone answers. The next run picks up whatever is
still new (files are keyed by SHA-256); mail that the relay refused waits in the outbox.
Owner: the provincial Diskominfo data team.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from smartprov.alerts import failure_notifiers, recovery_notifiers


def _schedule(value: str) -> str | timedelta:
    """SMARTPROV_INTAKE_SCHEDULE: a cron expression (default every 5 minutes) or "<N>s"."""
    value = value.strip()
    return timedelta(seconds=int(value[:-1])) if value.endswith("s") and value[:-1].isdigit() else value


@dag(
    dag_id="smartprov_intake",
    schedule=_schedule(os.environ.get("SMARTPROV_INTAKE_SCHEDULE") or "*/5 * * * *"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=15),
    tags=["smartprov", "intake"],
    doc_md=__doc__,
    default_args={
        "owner": "diskominfo-data",
        "retries": 1,
        "retry_delay": timedelta(minutes=1),
        "execution_timeout": timedelta(minutes=10),
        "on_failure_callback": failure_notifiers(),
        "on_retry_callback": failure_notifiers(event="retry"),
        "on_success_callback": recovery_notifiers(),
    },
    on_failure_callback=failure_notifiers(),
    on_success_callback=recovery_notifiers(),
)
def smartprov_intake():
    @task(doc_md="Validates and loads only new workbooks, then mails their senders the feedback.")
    def intake(run_id=None) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.intake(run_id)

    intake()


smartprov_intake()
