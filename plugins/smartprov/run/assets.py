"""The Assets the DAGs share, defined once. Light: DAG files import it while they are parsed."""

from __future__ import annotations

from airflow.sdk import Asset

# Emitted by smartprov_nightly only when the marts were rebuilt (or a new masterplan may
# let quarantined evaluations pass); smartprov_replay is scheduled on it.
MARTS = Asset("smartprov_marts", uri="x-smartprov://warehouse/marts")

# The one-slot pool every task that runs dbt takes: two dbt builds on one warehouse fail.
BUILD_POOL = "smartprov_build"
