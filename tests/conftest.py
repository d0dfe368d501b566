"""Test-wide environment: nothing touches ~/airflow, the network, or the real var/ folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="smartprov-tests-"))
os.environ["AIRFLOW_HOME"] = str(_SESSION_HOME / "airflow")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["SMARTPROV_VAR_DIR"] = str(_SESSION_HOME / "var")
for key in (
    "SMARTPROV_WAREHOUSE_URL",
    "SMARTPROV_LANDING_URL",
    "SMARTPROV_WAREHOUSE_CONN_ID",
    "SMARTPROV_SHARED_URL",
):
    os.environ.pop(key, None)

REPO = Path(__file__).resolve().parents[1]

# Each test process builds a private copy of the dbt project: a build first rewrites the
# project's generated seed (seeds_generated/, from the deadline table of the config it runs
# with), tests run with deadline tables of their own, and xdist workers build at the same time.
_DBT_COPY = _SESSION_HOME / "dbt"
shutil.copytree(
    REPO / "dbt",
    _DBT_COPY,
    ignore=shutil.ignore_patterns("target*", "logs", "dbt_packages", "seeds_generated", ".user.yml"),
)
os.environ["SMARTPROV_DBT_DIR"] = str(_DBT_COPY)

# Loopback SMTP and webhook servers (tests/loopback.py) as fixtures for every test module, and
# the one nightly DAG run that tests only read (tests/nightly_run.py).
pytest_plugins = ["loopback", "nightly_run"]


# `make test` runs the suite on pytest-xdist workers, each test module whole on one worker
# (pyproject: --dist loadfile --no-loadscope-reorder), in the order collected. The modules
# that take minutes go first, slowest first, so that no worker is left starting one of them
# when the other has run out of work. Each worker is its own process: its own session home
# above (AIRFLOW_HOME, var/), its own throw-away PostgreSQL databases (tests/pg.py).
SLOWEST_MODULES = (  # measured: wall per module over a whole run on three workers (2026-12-06)
    "test_bench.py",
    "test_scheduler.py",
    "test_two_faces.py",  # runs the shared nightly DAG run (tests/nightly_run.py) early
    "test_done_when_hostile_landing.py",
    "test_celery_workers.py",
    "test_incident_scheduler.py",
    "test_end_to_end.py",
    "test_portal.py",
    "test_dbt_nightly.py",
    "test_shared_store.py",  # three CLI runs (one with dbt) and a replay over moto S3
    "test_snapshot_and_wait.py",
    "test_publish.py",
    "test_alerts.py",
    "test_lineage.py",
    "test_outbox.py",
    "test_dbt_marts.py",
    "test_data_docs.py",
    "test_no_secret_on_disk.py",
    "test_backup_restore.py",
    "test_build_lock.py",
    "test_feedback_workbook.py",
    "test_reprocess.py",
    "test_reports.py",
    "test_sample_template.py",
    "test_object_landing.py",
    "test_portal_browser.py",
    "test_dbt_freshness.py",
    "test_build_pool.py",
)


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the files' own (alphabetical) order
    rank = {name: place for place, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: in-module order kept


# The DAG files refuse to import while e-mail alerts are on without a sender and a recipient
# (smartprov.alerts.AlertConfigError): a test that parses them gives them a site's settings.
DAG_ALERT_ENV = {
    "SMARTPROV_ALERTS_FROM": "smartprov@diskominfo.example.go.id",
    "SMARTPROV_ALERTS_FAILURE_TO": "oncall@diskominfo.example.go.id",
}


@pytest.fixture(scope="module")
def dag_alert_env():
    """DAG_ALERT_ENV set for one test module (e.g. around a DagBag), restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DAG_ALERT_ENV.items():
            patch.setenv(name, value)
        yield dict(DAG_ALERT_ENV)


@pytest.fixture
def var_dir(tmp_path, monkeypatch) -> Path:
    """A private var/ folder (reports, quarantine, dbt state) for one test."""
    path = tmp_path / "var"
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(path))
    return path


@pytest.fixture
def duckdb_url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


def bare_config_dir(folder: Path) -> Path:
    """A config folder as a fresh install has it: the deadline table, no alerts.yml or
    publish.yml (the site's own files), so that only the environment configures alerts."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "deadlines.yml", folder / "deadlines.yml")
    return folder
