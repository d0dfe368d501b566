"""
### smartprov_nightly — the regencies' Smart City submissions, every night

**What it does.** At 01:00 WIB (Asia/Jakarta) it lists the landing zone (one folder or
prefix per regency), validates every workbook it has not seen before against the
submission contract, loads the accepted ones into the warehouse, quarantines the rejected
ones with their findings, rebuilds the dbt marts when their inputs changed, writes the run
report, then mails each regency its feedback and the province its digest. The steps are
the ones `smartprov run` runs (`smartprov.run.steps`), one task each.

**Time limits.** The national night (514 regencies, 1,542 workbooks) takes under a minute
end to end on two cores (BENCHMARKS.md), so the limits are generous but bounded: a hung
read from object storage or a stuck SMTP server fails its task instead of blocking the
next nights (`max_active_runs=1`). Per try: discover 15 min, validate_and_load 60 min,
build_marts 30 min, report 20 min, notify 20 min, marts_updated 5 min. The whole run:
4 hours (01:00 to 05:00 WIB, before office hours), retries included.

**When it fails.** A failed task opens an incident: one mail to the failure recipients
(naming the task, with the exception, the exact time of the next try in WIB and a link to
its log), no mail per retry while the same cause persists (a reminder every few hours), and
one "pulih / recovered" mail when the task succeeds again (docs/alerts.md).
- `discover` / `validate_and_load`: usually the warehouse or the landing zone is
  unreachable; these retry with back-off. A bad workbook never fails the run: it is
  rejected and reported. Loads are one transaction per file, so a rerun is safe.
- `build_marts`: a dbt model or data test failed; it does not retry. Read the task log
  (it names the failing node), fix the model or the data, then clear the task.
- `notify`: mail that a relay refuses waits in the outbox (`audit.outbox`) and goes out
  with the next sender (an intake, `smartprov notify`); a retry never sends anything twice.
- Everything is keyed by file content (SHA-256): clearing and rerunning any task never
  loads a file twice.

**Whom to call.** The provincial Diskominfo data team (owner `diskominfo-data`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from smartprov.alerts import failure_notifiers, recovery_notifiers
from smartprov.run.assets import BUILD_POOL, MARTS

MINUTES = timedelta(minutes=1)


@dag(
    dag_id="smartprov_nightly",
    schedule="0 1 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    tags=["smartprov", "nightly"],
    doc_md=__doc__,
    default_args={
        "owner": "diskominfo-data",
        "retries": 3,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(minutes=20),
        "on_failure_callback": failure_notifiers(),
        "on_retry_callback": failure_notifiers(event="retry"),
        "on_success_callback": recovery_notifiers(),
    },
    on_failure_callback=failure_notifiers(),
    on_success_callback=recovery_notifiers(),
)
def smartprov_nightly():
    @task(
        execution_timeout=15 * MINUTES,
        doc_md="Lists the landing zone; tells new files from ones already loaded (SHA-256).",
    )
    def discover(run_id=None) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.discover(run_id)

    @task(
        execution_timeout=60 * MINUTES,
        doc_md="Validates new workbooks against the contract; loads accepted ones, quarantines rejected ones.",
    )
    def validate_and_load(discovery: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.validate_and_load(discovery)

    @task(
        retries=0,
        pool=BUILD_POOL,
        execution_timeout=30 * MINUTES,
        doc_md="Builds the dbt marts when their inputs changed (one build at a time: pool smartprov_build).",
    )
    def build_marts(summary: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.build_marts(summary)

    @task(
        doc_md="Writes the run report and the analysts' Excel/HTML outputs; keeps the report in the warehouse."
    )
    def report(discovery: dict, summary: dict, dbt: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.report(discovery, summary, dbt)

    @task(
        retries=1,
        execution_timeout=30 * MINUTES,
        doc_md="Writes the open-data bundles (CSV, xlsx, datapackage.json) of the marts named in config/publish.yml; off without it, skipped when the marts did not change.",
    )
    def publish(dbt: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.publish(dbt)

    @task(
        retries=4,
        retry_delay=timedelta(minutes=5),
        doc_md="Mails each regency its feedback and the province its daily digest through the outbox: refused mail waits there for the next sender, nothing is sent twice.",
    )
    def notify(report_ref: dict) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.notify(report_ref)

    @task(
        outlets=[MARTS],
        retries=0,
        execution_timeout=5 * MINUTES,
        doc_md="Announces the smartprov_marts Asset (smartprov_replay) only when marts were rebuilt or a masterplan arrived; skipped otherwise.",
    )
    def marts_updated(summary: dict, dbt: dict) -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        from smartprov.run import airflow_tasks

        why = airflow_tasks.marts_changed(summary, dbt)
        if why is None:  # a skipped task emits no Asset event
            raise AirflowSkipException(
                "no mart rebuilt and no new masterplan: smartprov_replay not triggered"
            )
        return why

    found = discover()
    loaded = validate_and_load(found)
    built = build_marts(loaded)
    reported = report(found, loaded, built)
    published = publish(built)
    reported >> published  # one writer at a time on the embedded warehouse
    sent = notify(reported)
    published >> sent
    # Emitted once the run has stopped writing, so smartprov_replay never races it.
    sent >> marts_updated(loaded, built)


smartprov_nightly()
