"""The one-slot Airflow pool of the dbt-building tasks: one name in the core, created by
`make run` / `make airflow` (before Airflow runs anything) and by the compose stack's
airflow-init."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from smartprov.warehouse.dbt_runner import BUILD_POOL

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "AIRFLOW_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _make(*args: str, home: Path) -> str:
    """`make ARGS` in the project with AIRFLOW_HOME set on make's command line (the Makefile's
    own AIRFLOW_HOME, var/airflow, is left alone)."""
    return subprocess.run(
        ["make", "-C", str(ROOT), "--no-print-directory", *args, f"AIRFLOW_HOME={home}"],
        env=_env(home), capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip


def _pools(home: Path) -> dict[str, int]:
    """Pool name -> slots, read from the metadata database (SQLite under AIRFLOW_HOME) itself:
    an `airflow pools list` would cost an Airflow start for each look."""
    with contextlib.closing(sqlite3.connect(home / "airflow.db")) as con:
        return dict(con.execute("SELECT pool, slots FROM slot_pool").fetchall())


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow")
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env={**_env(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"},
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    return home


def test_make_build_pool_creates_the_one_slot_pool(airflow_home: Path) -> None:
    assert BUILD_POOL not in _pools(airflow_home)
    _make("build-pool", home=airflow_home)
    assert _pools(airflow_home)[BUILD_POOL] == 1
    # idempotent, and a pool someone widened by hand is set back to one slot
    with contextlib.closing(sqlite3.connect(airflow_home / "airflow.db")) as con, con:
        con.execute("UPDATE slot_pool SET slots = 3 WHERE pool = ?", (BUILD_POOL,))
    assert _pools(airflow_home)[BUILD_POOL] == 3
    _make("build-pool", home=airflow_home)
    assert _pools(airflow_home)[BUILD_POOL] == 1


@pytest.mark.parametrize(
    ("target", "starts_airflow"), [("run", "airflow dags test"), ("airflow", "airflow standalone")]
)
def test_run_and_airflow_create_the_pool_before_airflow_runs(
    target: str, starts_airflow: str, tmp_path: Path
) -> None:
    """What make would execute (`make -n`, which still expands the recursive build-pool): the
    pool is set right after the metadata database is migrated and before Airflow starts."""
    plan = _make("-n", target, home=tmp_path)
    migrate = plan.index("airflow db migrate")
    pool = plan.index(f"airflow pools set {BUILD_POOL} 1 ")
    assert migrate < pool < plan.index(starts_airflow), plan


def test_airflow_init_creates_the_pool() -> None:
    # docker/airflow-init.sh runs only inside the compose stack; its command is the same.
    assert f"airflow pools set {BUILD_POOL} 1 " in (ROOT / "docker" / "airflow-init.sh").read_text()


def test_pool_name_is_importable_without_heavy_libraries():
    code = (
        "import sys\nfrom smartprov.warehouse.dbt_runner import BUILD_POOL\n"
        "heavy = [m for m in ('dbt', 'duckdb', 'psycopg', 'pandas', 'airflow') if m in sys.modules]\n"
        "print(BUILD_POOL, heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert out.strip() == f"{BUILD_POOL} []"
