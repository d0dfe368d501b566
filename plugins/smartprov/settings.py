"""Where things live, from the environment, with defaults for a checkout.

The ground floor of the package: it imports nothing of smartprov. Every project
directory (dbt project, GX suites, config) can be moved by an environment variable, so
the package also runs from an installed wheel (the compose image sets them).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

# plugins/smartprov/settings.py -> the checkout's root
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def _dir(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable) or default)


def project_dir() -> Path:
    """The folder holding dbt/, expectations/ and config/ (SMARTPROV_PROJECT_DIR)."""
    return _dir("SMARTPROV_PROJECT_DIR", _CHECKOUT_ROOT)


def dbt_dir() -> Path:
    return _dir("SMARTPROV_DBT_DIR", project_dir() / "dbt")


def seeds_dir() -> Path:
    """Reference data: the dbt seeds, read by the validator and the warehouse alike."""
    return dbt_dir() / "seeds"


def expectations_dir() -> Path:
    return _dir("SMARTPROV_EXPECTATIONS_DIR", project_dir() / "expectations")


def config_dir() -> Path:
    return _dir("SMARTPROV_CONFIG_DIR", project_dir() / "config")


def var_dir() -> Path:
    return _dir("SMARTPROV_VAR_DIR", project_dir() / "var")


def warehouse_url() -> str:
    return os.environ.get("SMARTPROV_WAREHOUSE_URL") or f"duckdb:///{var_dir() / 'warehouse.duckdb'}"


def landing_url() -> str:
    return os.environ.get("SMARTPROV_LANDING_URL") or str(var_dir() / "landing")


def reports_dir() -> Path:
    return _dir("SMARTPROV_REPORTS_DIR", var_dir() / "reports")


def quarantine_dir() -> Path:
    return _dir("SMARTPROV_QUARANTINE_DIR", var_dir() / "quarantine")


TIMEZONE = "Asia/Jakarta"


def timezone() -> str:
    """The province's time zone: Asia/Jakarta (the house's time zone for schedules and dates)."""
    return TIMEZONE


def today(zone: str | None = None) -> dt.date:
    """The one clock of the package: today's date in the province's time zone.

    Validation (the current year of the suites), the dbt build (SMARTPROV_AS_OF_DATE, set by
    `warehouse.dbt_runner.reporting_date`) and the alerts all ask here. `SMARTPROV_TODAY=YYYY-MM-DD` pins it, for tests and for replaying a
    past day.
    """
    pinned = os.environ.get("SMARTPROV_TODAY")
    if pinned:
        try:
            return dt.date.fromisoformat(pinned.strip())
        except ValueError:
            raise ValueError(f"SMARTPROV_TODAY must be a date YYYY-MM-DD, got {pinned!r}") from None
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone or timezone())).date()


def utcnow() -> dt.datetime:
    """Now as the warehouse and the ledgers store it: naive UTC, whole seconds."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def local(moment: dt.datetime | str | None = None) -> dt.datetime:
    """A moment (now when None) in the province's time zone, aware. Naive times (and ISO
    text without an offset) are UTC, as the warehouse and the ledgers keep them."""
    from zoneinfo import ZoneInfo

    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone()))


def wib(moment: dt.datetime | str | None = None) -> str:
    """A time as people here read it: '2026-11-29 08:05:12 WIB' (now when None)."""
    return local(moment).strftime("%Y-%m-%d %H:%M:%S WIB")


def quiet_tools() -> None:
    """Keep third-party tools offline and quiet (no telemetry, no progress bars)."""
    for key, value in {
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    }.items():
        os.environ.setdefault(key, value)
