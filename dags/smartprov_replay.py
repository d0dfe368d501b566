"""
### smartprov_replay — re-validate quarantined workbooks

Runs when the nightly DAG has rebuilt the marts (an Asset event), and on demand with the
`region` parameter: evaluations rejected because their masterplan had not arrived are
validated again and loaded if they now pass. Quarantined files are never deleted.
Owner: the provincial Diskominfo data team.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, task

from smartprov.alerts import failure_notifiers


@dag(
    dag_id="smartprov_replay",
    schedule=[Asset("smartprov_marts", uri="x-smartprov://warehouse/marts")],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    tags=["smartprov", "maintenance"],
    doc_md=__doc__,
    params={"region": Param(None, type=["null", "string"], description="region code, e.g. 32.04")},
    default_args={"owner": "diskominfo-data", "retries": 2, "retry_delay": timedelta(minutes=5)},
    on_failure_callback=failure_notifiers(),
)
def smartprov_replay():
    @task
    def replay(params=None) -> dict:
        from smartprov.run import airflow_tasks

        return airflow_tasks.replay((params or {}).get("region"))

    replay()


smartprov_replay()
