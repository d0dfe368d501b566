"""
### smartprov_replay — re-validate quarantined workbooks

Runs when the nightly DAG announces the `smartprov_marts` Asset (marts rebuilt, or a new
masterplan arrived), and on demand with the `region` parameter: evaluations rejected
because their masterplan had not arrived are validated again and loaded if they now pass.
Quarantined files are never deleted. Created unpaused, so it follows the nightly run
without anyone switching it on. Time limit: 60 min per try, 3 hours per run.
Owner: the provincial Diskominfo data team.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from smartprov.alerts import failure_notifiers, recovery_notifiers
from smartprov.run.assets import BUILD_POOL, MARTS


@dag(
    dag_id="smartprov_replay",
    schedule=[MARTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    dagrun_timeout=timedelta(hours=3),
    tags=["smartprov", "maintenance"],
    doc_md=__doc__,
    params={"region": Param(None, type=["null", "string"], description="region code, e.g. 32.04")},
    default_args={
        "owner": "diskominfo-data",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=60),
        "on_failure_callback": failure_notifiers(),
        "on_retry_callback": failure_notifiers(event="retry"),
        "on_success_callback": recovery_notifiers(),
    },
    on_failure_callback=failure_notifiers(),
    on_success_callback=recovery_notifiers(),
)
def smartprov_replay():
    @task(
        pool=BUILD_POOL,
        doc_md="Re-validates quarantined workbooks, loads those that now pass, rebuilds the marts if any did.",
    )
    def replay(params=None) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.replay((params or {}).get("region"))

    replay()


smartprov_replay()
