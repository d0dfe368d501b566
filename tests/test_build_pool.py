"""The one-slot Airflow pool of the dbt-building tasks: one name in the core, created by
`make run` / `make airflow` and by the compose stack's airflow-init."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from smartprov.warehouse.dbt_runner import BUILD_POOL

ROOT = Path(__file__).resolve().parents[1]


def test_pool_is_created_with_one_slot_where_airflow_starts():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^BUILD_POOL := {BUILD_POOL}$", makefile, re.M)
    assert 'airflow pools set $(BUILD_POOL) 1 ' in makefile
    for target in ("run", "airflow"):
        body = re.search(rf"^{target}:.*?(?=^\S)", makefile, re.M | re.S).group(0)
        assert "build-pool" in body, target
    assert f"airflow pools set {BUILD_POOL} 1 " in (ROOT / "docker" / "airflow-init.sh").read_text()


def test_pool_name_is_importable_without_heavy_libraries():
    code = (
        "import sys\nfrom smartprov.warehouse.dbt_runner import BUILD_POOL\n"
        "heavy = [m for m in ('dbt', 'duckdb', 'psycopg', 'pandas', 'airflow') if m in sys.modules]\n"
        "print(BUILD_POOL, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == f"{BUILD_POOL} []"
