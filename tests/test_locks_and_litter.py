"""Issue 23: every lock honours --wait, expected warehouse conditions are one line naming the
fix, and the next run cleans what a killed run left.

- The PostgreSQL load lock (held here by another session) makes `smartprov run --wait 2`
  give up with one line naming the holder, exit 3.
- A loader role without its privileges (a restored database before `smartprov pg-setup`)
  gets one line naming `smartprov pg-setup --database <db>`, exit 3.
- A full disk under dbt's folders is one line; nothing of dbt's logging on the console.
- Half-written snapshots of a killed publish (`.warehouse.snapshot.duckdb.<pid>.tmp` and
  its `.wal`) are removed by the next publish.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)
from smartprov.warehouse.connection import PG_LOAD_LOCK_KEY, Warehouse, snapshot_path
from workbooks import masterplan

REPO = Path(__file__).resolve().parents[1]


def _env(var: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SMARTPROV_VAR_DIR": str(var),
        "SMARTPROV_ALERTS_EMAIL_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("SMARTPROV_WAREHOUSE_URL", None)
    return env


def smartprov(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smartprov.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line(done: subprocess.CompletedProcess, *, waited: bool = False) -> str:
    """The one line saying what stopped the run (after a line saying it waits, when it did)."""
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in (done.stdout + done.stderr).strip().splitlines() if line.strip()]
    assert len(lines) == (2 if waited else 1), lines[:20]
    if waited:
        assert "waiting" in lines[0], lines
    return lines[-1]


@pytest.mark.postgres
def test_the_postgres_load_lock_honours_wait(tmp_path, pg_admin_dsn):  # noqa: F811
    import psycopg

    (tmp_path / "landing").mkdir()
    with fresh_database("smartprov_lock_", pg_admin_dsn) as db:
        Warehouse(db.url).close()
        with psycopg.connect(db.dsn, autocommit=True, application_name="another smartprov run") as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (PG_LOAD_LOCK_KEY,))
            pid = holder.info.backend_pid
            done = smartprov("run", "--landing", str(tmp_path / "landing"), "--warehouse", db.url,
                             "--no-alerts", "--no-dbt", "--wait", "2", env=_env(tmp_path / "var"), timeout=120)  # fmt: skip
    assert done.returncode == 3, done.stderr[-3000:]
    line = _one_line(done, waited=True)
    assert line.startswith("smartprov run: another run is loading warehouse"), line
    assert f"server PID {pid}" in line and "another smartprov run" in line and "--wait" in line


@pytest.mark.postgres
def test_a_loader_without_privileges_is_told_to_run_pg_setup(tmp_path, pg_admin_dsn):  # noqa: F811
    import psycopg
    from psycopg import sql

    role = "smartprov_restored_" + secrets.token_hex(4)
    (tmp_path / "landing").mkdir()
    with fresh_database("smartprov_restored_", pg_admin_dsn) as db:
        with psycopg.connect(db.dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        try:
            done = smartprov("run", "--landing", str(tmp_path / "landing"), "--warehouse", db.url_as(role),
                             "--no-alerts", "--no-dbt", env=_env(tmp_path / "var"), timeout=120)  # fmt: skip
        finally:
            with psycopg.connect(db.dsn, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert done.returncode == 3, done.stderr[-3000:]
    line = _one_line(done)
    assert "permission denied" in line and f"smartprov pg-setup --database {db.name}" in line, line


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_under_dbt_is_one_line(tmp_path):
    var = tmp_path / "var"
    dbt_folder = var / "dbt"  # dbt's target and log folders (dbt_runner.dbt_paths)
    if not _mount_tmpfs(dbt_folder, "256k"):
        pytest.skip("cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN) to fill a disk")
    try:
        landing = tmp_path / "landing" / "32.73"
        landing.mkdir(parents=True)
        (landing / "masterplan.xlsx").write_bytes(masterplan().to_bytes())
        done = smartprov("run", "--landing", str(landing.parent), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}",
                         "--no-alerts", env=_env(var))  # fmt: skip
    finally:
        subprocess.run(["umount", str(dbt_folder)], check=False)
    assert done.returncode != 0
    line = _one_line(done)
    assert line.startswith("smartprov run: dbt build failed:") and "No space left on device" in line, line
    assert str(dbt_folder / "logs" / "dbt.log") in line


def test_the_next_publish_removes_half_written_snapshots(tmp_path):
    from smartprov.warehouse.snapshot import publish

    db = tmp_path / "warehouse.duckdb"
    with Warehouse(f"duckdb:///{db}") as wh:
        wh.execute("CREATE SCHEMA marts")
        wh.execute("CREATE TABLE marts.x AS SELECT 1 AS a")
    final = snapshot_path(db)
    left = [final.with_name(f".{final.name}.4194311.tmp"), final.with_name(f".{final.name}.4194311.tmp.wal")]
    for path in left:
        path.write_bytes(b"half a snapshot")
    unrelated = final.with_name(f".{final.name}.notes")
    unrelated.write_bytes(b"keep")
    assert publish(db) == final.resolve()
    assert not any(p.exists() for p in left)
    assert unrelated.exists() and final.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".tmp.wal"))] == []
