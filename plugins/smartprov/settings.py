"""Where things live, from the environment, with defaults for the embedded setup."""

from __future__ import annotations

import os
from pathlib import Path

from smartprov.contract import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt"


def var_dir() -> Path:
    return Path(os.environ.get("SMARTPROV_VAR_DIR") or PROJECT_ROOT / "var")


def warehouse_url() -> str:
    return os.environ.get("SMARTPROV_WAREHOUSE_URL") or f"duckdb:///{var_dir() / 'warehouse.duckdb'}"


def landing_url() -> str:
    return os.environ.get("SMARTPROV_LANDING_URL") or str(var_dir() / "landing")


def reports_dir() -> Path:
    return Path(os.environ.get("SMARTPROV_REPORTS_DIR") or var_dir() / "reports")


def quarantine_dir() -> Path:
    return Path(os.environ.get("SMARTPROV_QUARANTINE_DIR") or var_dir() / "quarantine")


def quiet_tools() -> None:
    """Keep third-party tools offline and quiet (no telemetry, no progress bars)."""
    for key, value in {
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    }.items():
        os.environ.setdefault(key, value)
