"""
### smartprov_nightly — the regencies' Smart City submissions, every night

**What it does.** At 01:00 Asia/Jakarta it lists the landing zone (one folder or prefix
per regency), validates every workbook it has not seen before against the submission
contract, loads the accepted ones into the warehouse, quarantines the rejected ones with
their findings, rebuilds the dbt marts when their inputs changed, and writes the run
report under `var/reports/<run_id>/`.

**When it fails.**
- `discover` / `validate_and_load`: usually the warehouse or the landing zone is
  unreachable; these retry with back-off. A bad workbook never fails the run: it is
  rejected and reported. Loads are one transaction per file, so a rerun is safe.
- `build_marts`: a dbt model or data test failed; it does not retry. Read the task log
  (it names the failing node), fix the model or the data, then clear the task.
- Everything is keyed by file content (SHA-256): clearing and rerunning any task never
  loads a file twice.

**Whom to call.** The provincial Diskominfo data team (owner `diskominfo-data`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

from smartprov.alerts import failure_notifiers

MARTS = Asset("smartprov_marts", uri="x-smartprov://warehouse/marts")


@dag(
    dag_id="smartprov_nightly",
    schedule="0 1 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    tags=["smartprov", "nightly"],
    doc_md=__doc__,
    default_args={
        "owner": "diskominfo-data",
        "retries": 3,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
    },
    on_failure_callback=failure_notifiers(),
)
def smartprov_nightly():
    @task
    def discover(run_id=None) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.discover(run_id)

    @task
    def validate_and_load(discovery: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.validate_and_load(discovery)

    @task(retries=0)
    def build_marts(summary: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.build_marts(summary)

    @task(outlets=[MARTS])  # emitted once the run has stopped writing, so consumers never race it
    def finish(discovery: dict, summary: dict, dbt: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.finish(discovery, summary, dbt)

    found = discover()
    loaded = validate_and_load(found)
    finish(found, loaded, build_marts(loaded))


smartprov_nightly()
