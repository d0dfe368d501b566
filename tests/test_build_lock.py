"""dbt builds on a real PostgreSQL server: two at once are serialised by an advisory lock and
the second skips; the password never enters the worker's environment; dbt's `grants` let
the analyst group read every mart whoever ran dbt.

Reproduced before the lock (two `dbt build` processes 2 s apart on one database): both
failed, with `relation "province_submission_status" already exists` and `relation
"intermediate.int_readiness_current" does not exist`.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from smartprov.warehouse import pg_roles
from smartprov.warehouse.connection import PG_BUILD_LOCK_KEY, Warehouse

try:
    from .pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)
except ImportError:
    from pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "pw-" + secrets.token_hex(8)  # trust auth on the test server ignores it
LOCK_SESSION = "smartprov dbt build lock"  # application_name of build_lock's own session

BUILDER = r"""
import json, os, sys
from smartprov.warehouse.dbt_runner import build_if_needed
url, password = sys.argv[1], sys.argv[2]
result = build_if_needed(url, docs=False)
leaks = sorted(k for k, v in os.environ.items() if password in v)
print(json.dumps({"result": result, "leaks": leaks, "pid": os.getpid()}))
"""


@pytest.fixture(scope="module")
def two_builds(pg_admin_dsn, tmp_path_factory):  # noqa: F811
    """Roles set up by pg-setup, then two builds as the superuser (not the loader), in two
    processes with their own var/ folders (two hosts), meeting at the build lock."""
    tag = secrets.token_hex(4)
    loader, analyst = f"smartprov_loader_{tag}", f"smartprov_analyst_{tag}"
    try:
        with fresh_database("smartprov_build_", pg_admin_dsn) as db:
            pg_roles.setup_roles(pg_admin_dsn, db.name, loader_role=loader, analyst_role=analyst)
            url = db.url_as("postgres", PASSWORD)
            with Warehouse(url) as wh:
                wh.ensure_schema()
            procs = []
            # The test holds the build lock until both builders are waiting at it (their lock
            # sessions are on the server), so they meet there whatever each one's start-up
            # takes: one builds, the other waits for that build.
            with psycopg.connect(db.dsn, autocommit=True) as holder:
                holder.execute("SELECT pg_advisory_lock(%s)", (PG_BUILD_LOCK_KEY,))
                for n in range(2):
                    var = tmp_path_factory.mktemp(f"host{n}")
                    env = {
                        **os.environ,
                        "SMARTPROV_VAR_DIR": str(var),
                        "SMARTPROV_PG_ANALYST_ROLE": analyst,
                        "PYTHONPATH": os.pathsep.join(
                            [str(REPO / "plugins"), os.environ.get("PYTHONPATH", "")]
                        ),
                    }
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-c", BUILDER, url, PASSWORD],
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            text=True,
                        )
                    )
                _until_both_wait_at_the_lock(holder, db.name, procs)
                holder.execute("SELECT pg_advisory_unlock(%s)", (PG_BUILD_LOCK_KEY,))
            outcomes = []
            for proc in procs:
                out, err = proc.communicate(timeout=900)
                outcomes.append({"code": proc.returncode, "out": out, "err": err})
            yield db, analyst, outcomes
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            for role in (analyst, loader):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _until_both_wait_at_the_lock(holder, database: str, procs, timeout: float = 600) -> None:
    """Return once both builders have a lock session on `database` (or one has exited: its
    outcome tells why)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = holder.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (database, LOCK_SESSION),
        ).fetchone()[0]
        if waiting == 2 or any(p.poll() is not None for p in procs):
            return
        time.sleep(0.05)
    raise AssertionError(f"the builders did not reach the build lock in {timeout:g} s")


def _results(outcomes) -> list[dict]:
    for o in outcomes:
        assert o["code"] == 0, o["err"][-3000:]
    return [json.loads(o["out"].strip().splitlines()[-1]) for o in outcomes]


def test_both_builds_finish_and_the_second_skips(two_builds):
    _, _, outcomes = two_builds
    results = [r["result"] for r in _results(outcomes)]
    built = [r for r in results if r["built"]]
    skipped = [r for r in results if not r["built"]]
    assert len(built) == 1 and len(skipped) == 1, results
    assert skipped[0]["reason"] == "inputs unchanged since the last build"
    # The second one waited for the first instead of racing it.
    assert skipped[0]["waited_seconds"] > 0


def test_password_never_enters_the_environment(two_builds):
    _, _, outcomes = two_builds
    for r in _results(outcomes):
        assert r["leaks"] == [], f"password found in os.environ[{r['leaks']}]"


def test_analyst_reads_every_mart_built_by_another_owner(two_builds):
    db, analyst, _ = two_builds
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        marts = [
            (name, owner)
            for name, owner in conn.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        assert len(marts) >= 5, marts
        assert {owner for _, owner in marts} == {"postgres"}  # not the loader: grants did it
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(analyst)))
        for name, _ in marts:
            conn.execute(sql.SQL("SELECT count(*) FROM marts.{}").format(sql.Identifier(name))).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM audit.submissions")


def test_profile_is_private_and_removed(tmp_path, monkeypatch):
    """The generated profile holds the password, readable by its owner only, and is gone after."""
    from smartprov.warehouse.connection import WarehouseUrl
    from smartprov.warehouse.dbt_runner import private_profile

    url = WarehouseUrl.parse(f"postgresql://loader:{PASSWORD}{{{{x}}}}@db.internal:6543/wh")
    with private_profile(url) as folder:
        profile = folder / "profiles.yml"
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        assert oct(profile.stat().st_mode & 0o777) == "0o600"
        text = profile.read_text()
        assert PASSWORD in text and "{% raw %}" in text  # Jinja markers in a password stay literal
    assert not folder.exists()
    assert not any(PASSWORD in v for v in os.environ.values())
