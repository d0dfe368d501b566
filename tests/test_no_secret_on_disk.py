"""Issue 23: no secret in any file the project writes.

`smartprov run --warehouse postgresql+psycopg://…:PASSWORD@…` (the URL form README shows) on a
real PostgreSQL warehouse, dbt included: afterwards no file under the run's var folder, its
temporary folder or its report holds the password (dbt copies the command line into
run_results.json and dbt.log), and the per-invocation dbt profile (which does hold it) is
gone, as is one left by a run killed before (a process that no longer exists). A file the run
may not read (mode 000; the run without the capabilities that bypass it) reaches the ledger
and the status mart as FILE_UNREADABLE.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)
from smartprov.warehouse.connection import Warehouse
from workbooks import masterplan

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

PASSWORD = "Rahasia-" + secrets.token_hex(8)
DEAD_PID = 4_194_304 + 7  # above Linux's largest pid_max: no such process


def _files(root: Path):
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


@pytest.fixture(scope="module")
def run(tmp_path_factory, pg_admin_dsn):  # noqa: F811
    base = tmp_path_factory.mktemp("secret")
    landing, var, tmp = base / "landing", base / "var", base / "tmp"
    (landing / "32.73").mkdir(parents=True)
    tmp.mkdir()
    (landing / "32.73" / "masterplan.xlsx").write_bytes(masterplan().to_bytes())
    # ... and a file the run may not read: its FILE_UNREADABLE finding reaches the status mart
    (landing / "32.04").mkdir()
    (landing / "32.04" / "tanpa-izin.xlsx").write_bytes(masterplan("32.04", "Kabupaten Bandung").to_bytes())
    (landing / "32.04" / "tanpa-izin.xlsx").chmod(0)
    # a profile folder left by a run killed while dbt ran (its process is gone)
    left = tmp / f"smartprov-dbt-profiles-{os.getuid()}" / f"{DEAD_PID}-abc"
    left.mkdir(parents=True)
    left.parent.chmod(0o700)
    (left / "profiles.yml").write_text(f"password: {PASSWORD}\n")
    # ... and one of an earlier version (no PID in its name), a day old
    legacy = tmp / "smartprov-dbt-profile-k1ll3d"
    legacy.mkdir(mode=0o700)
    (legacy / "profiles.yml").write_text(f"password: {PASSWORD}\n")
    os.utime(legacy, (time.time() - 2 * 86_400, time.time() - 2 * 86_400))
    with fresh_database("smartprov_secret_", pg_admin_dsn) as db:
        # trust authentication ignores the password; it is in the URL all the same
        from psycopg.conninfo import conninfo_to_dict

        url = db.url_as(conninfo_to_dict(db.admin_dsn).get("user") or "postgres", PASSWORD)
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        assert PASSWORD in url
        env = dict(
            os.environ, SMARTPROV_VAR_DIR=str(var), TMPDIR=str(tmp), SMARTPROV_ALERTS_EMAIL_ENABLED="false"
        )
        env.pop("SMARTPROV_WAREHOUSE_URL", None)
        cmd = [sys.executable, "-m", "smartprov.cli", "run", "--landing", str(landing), "--warehouse", url,
               "--report", str(base / "report.json"), "--no-alerts"]  # fmt: skip
        proc = subprocess.run(_unprivileged(cmd), env=env, capture_output=True, timeout=840)
        with Warehouse(db.url) as wh:
            status = wh.fetchall(
                "SELECT kind, status, unreadable_files FROM marts.province_submission_status "
                "WHERE region_code = '32.04' AND kind = 'MASTERPLAN'"
            )
            ledger = wh.fetchall(
                "SELECT f.rule, f.message_en FROM audit.findings f JOIN audit.submissions s USING (submission_id) "
                "WHERE s.path = '32.04/tanpa-izin.xlsx'"
            )
        yield {
            "proc": proc,
            "base": base,
            "var": var,
            "tmp": tmp,
            "left": left,
            "status": status,
            "ledger": ledger,
        }


def _unprivileged(cmd: list[str]) -> list[str]:
    """As root, file modes do not stop reading: run without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return cmd
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *cmd]


def test_an_unreadable_file_is_in_the_ledger_and_the_status_mart(run):
    assert run["ledger"] and run["ledger"][0][0] == "FILE_UNREADABLE"
    assert "Permission denied" in run["ledger"][0][1]
    assert len(run["status"]) == 1, run["status"]
    kind, status, unreadable = run["status"][0]
    assert unreadable == 1 and status == "rejected"


def test_the_run_with_dbt_succeeds(run):
    proc = run["proc"]
    assert proc.returncode == 0, (proc.stdout[-3000:] + proc.stderr[-3000:]).decode("utf-8", "replace")
    assert (run["var"] / "dbt").is_dir()
    assert any(p.name == "run_results.json" for p in _files(run["var"]))


def test_no_file_the_run_wrote_holds_the_password(run):
    written = [*_files(run["var"]), *_files(run["tmp"]), run["base"] / "report.json"]
    assert len(written) > 10
    holding = [str(p) for p in written if PASSWORD.encode() in p.read_bytes()]
    assert holding == []
    # what dbt recorded of the command line, with the password masked
    results = next(p for p in _files(run["var"]) if p.name == "run_results.json").read_text()
    assert "invocation_command" in results and ":***@" in results


def test_profile_folders_are_private_and_gone_even_a_killed_runs(run):
    home = run["left"].parent
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert list(home.iterdir()) == []
    assert not (run["tmp"] / "smartprov-dbt-profile-k1ll3d").exists()


def test_console_output_does_not_show_the_password(run):
    assert PASSWORD.encode() not in run["proc"].stdout + run["proc"].stderr
