"""The embedded (DuckDB) warehouse beside its readers and other writers.

- Analysts read the published snapshot: a reader kept open on it through a whole
  `smartprov run` neither stops the run nor loses its view.
- A busy warehouse makes the CLI wait up to --wait, then say in one line who holds it.
- Expected conditions (busy, unreachable, missing landing zone) end in one line and a
  non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from smartprov.authoring.sample import write_sample_landing
from smartprov.warehouse.connection import Warehouse, WarehouseBusy, duckdb_writer_lock, snapshot_path

REPO = Path(__file__).resolve().parents[1]
PROVINCE = "65"  # Kalimantan Utara: five regencies, a quick run


def _env(var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SMARTPROV_VAR_DIR": str(var),
        "SMARTPROV_ALERTS_EMAIL_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), os.environ.get("PYTHONPATH", "")]),
    }


def smartprov(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smartprov.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


READER = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def count():
    return con.execute("SELECT count(*) FROM marts.submission_history").fetchone()[0]
print(count(), flush=True)
sys.stdin.readline()          # the test runs `smartprov run` meanwhile
print(count(), flush=True)
"""


@pytest.mark.slow
def test_a_reader_on_the_snapshot_never_stops_a_run(tmp_path):
    full = tmp_path / "landing-full"
    write_sample_landing(full, province=PROVINCE, seed=0)
    part = tmp_path / "landing"
    folders = sorted(p for p in full.iterdir() if p.is_dir())
    for folder in folders[:2]:
        shutil.copytree(folder, part / folder.name)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    env = _env(tmp_path / "var")

    first = smartprov("run", "--landing", str(part), "--warehouse", url, "--no-alerts", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    snap = snapshot_path(tmp_path / "warehouse.duckdb")
    assert snap.exists() and snap.stat().st_mode & 0o222 == 0  # published read-only
    assert f"Analysts:  duckdb:///{snap}" in first.stdout

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(snap)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        before = int(reader.stdout.readline())
        for folder in folders[2:]:
            shutil.copytree(folder, part / folder.name)
        second = smartprov("run", "--landing", str(part), "--warehouse", url, "--no-alerts", env=env)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "Traceback" not in second.stderr
        reader.stdin.write("\n")
        reader.stdin.flush()
        still = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    assert still == before  # the open reader keeps its consistent (old) snapshot
    with duckdb.connect(str(snap), read_only=True) as con:
        after = con.execute("SELECT count(*) FROM marts.submission_history").fetchone()[0]
        schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    assert after > before  # the new snapshot has the second run's submissions
    assert schemas == {"marts"}  # analysts see marts only, as on PostgreSQL
    with Warehouse(url) as wh:
        assert wh.fetchall("SELECT count(*) FROM marts.submission_history")[0][0] == after

    # dbt `grants` are PostgreSQL's: on DuckDB the config is empty, not a warning per mart.
    dbt_log = (tmp_path / "var" / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    assert "province_scorecard" in dbt_log and "Grants for relations are not supported" not in dbt_log

    summary = smartprov("summary", "--province", PROVINCE, "--warehouse", url, env=env)
    assert summary.returncode == 0, summary.stderr
    assert "read-only snapshot" in summary.stdout and "regencies" in summary.stdout


HOLD_DUCKDB = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _hold(path: Path, mode: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_cli_gives_up_on_a_busy_warehouse_with_one_line_naming_the_holder(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    Warehouse(f"duckdb:///{db}").close()
    (tmp_path / "landing").mkdir()
    holder = _hold(db, "ro", 60)  # e.g. DBeaver on the loader's file
    try:
        started = time.monotonic()
        done = smartprov(
            "run",
            "--landing",
            str(tmp_path / "landing"),
            "--warehouse",
            f"duckdb:///{db}",
            "--no-alerts",
            "--wait",
            "2",
            env=_env(tmp_path / "var"),
        )
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert lines[-1].startswith("smartprov run: warehouse ") and f"PID {holder.pid}" in lines[-1], done.stderr
    assert "--wait" in lines[-1]
    assert waited >= 2


def test_cli_waits_for_a_writer_that_finishes(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    (tmp_path / "landing").mkdir()
    holder = _hold(db, "rw", 2)
    try:
        done = smartprov(
            "run",
            "--landing",
            str(tmp_path / "landing"),
            "--warehouse",
            f"duckdb:///{db}",
            "--no-alerts",
            "--no-dbt",
            "--wait",
            "60",
            env=_env(tmp_path / "var"),
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 accepted" in done.stdout


def test_writer_lock_waits_then_names_the_smartprov_holder(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    code = (
        "import sys, time\n"
        "from smartprov.warehouse.connection import duckdb_writer_lock\n"
        "with duckdb_writer_lock(sys.argv[1]):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True, env=_env(tmp_path / "var")
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match=f"PID {holder.pid}"), duckdb_writer_lock(db, wait=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
    with duckdb_writer_lock(db, wait=5), duckdb_writer_lock(db, wait=0):  # re-entrant in one process
        pass


@pytest.mark.parametrize(
    "args, code, words",
    [
        (
            ["run", "--landing", "{tmp}/nowhere", "--warehouse", "duckdb:///{tmp}/w.duckdb"],
            2,
            "Landing zone not found",
        ),
        (
            ["run", "--landing", "{tmp}", "--warehouse", "postgresql://nobody@127.0.0.1:1/none"],
            3,
            "unreachable",
        ),
        (["summary", "--warehouse", "mysql://x/y"], 2, "Unsupported warehouse URL"),
    ],
)
def test_expected_failures_are_one_line(tmp_path, args, code, words):
    done = smartprov(
        *[a.replace("{tmp}", str(tmp_path)) for a in args],
        "--no-alerts" if args[0] == "run" else "--wait",
        *([] if args[0] == "run" else ["1"]),
        env=_env(tmp_path / "var"),
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if line.startswith("smartprov ")]
    assert len(lines) == 1 and words in lines[0], done.stderr
