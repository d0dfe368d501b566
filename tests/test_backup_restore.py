"""The restore drill of docs/operations.md, on the loopback PostgreSQL.

A warehouse built by the real pipeline (ledger, raw rows, dbt marts) in a throw-away
database is dumped with `pg_dump -Fc` and restored with `pg_restore` into another
throw-away database, with the runbook's flags; every table's row count and every mart's
content must be identical, and the restored warehouse must carry on: a run over the same
landing zone finds every file already known.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pg import fresh_database, require_pg_admin_dsn
from smartprov.authoring.sample import write_sample_landing
from smartprov.run import steps
from smartprov.warehouse.connection import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SCHEMAS = ("audit", "raw", "reference", "staging", "intermediate", "marts")


def pg_tool(name: str, server_major: int) -> str:
    """The server's own binary when installed (Debian: /usr/lib/postgresql/NN/bin), else one
    on PATH at least as new as the server (pg_dump refuses older clients... the other way)."""
    own = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    if own.is_file():
        return str(own)
    found = shutil.which(name)
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
        major = int(re.search(r"(\d+)(?:\.\d+)?", version.split(")")[-1]).group(1))
        if major >= server_major:
            return found
        problem = f"{found} is version {major}, older than the server ({server_major})"
    else:
        problem = f"{name} not found (Debian: apt-get install postgresql-client-{server_major})"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{problem}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(problem)


def table_counts(url: str) -> dict[str, int]:
    with Warehouse(url) as wh:
        tables = wh.fetchall(
            f"""SELECT table_schema, table_name FROM information_schema.tables
                WHERE table_schema IN ({", ".join("?" for _ in SCHEMAS)}) AND table_type = 'BASE TABLE'
                ORDER BY 1, 2""",
            SCHEMAS,
        )
        return {f"{s}.{t}": wh.fetchall(f'SELECT count(*) FROM "{s}"."{t}"')[0][0] for s, t in tables}


def mart_digests(url: str) -> dict[str, str]:
    """Every relation of `marts` (tables and views) as a digest of its sorted rows."""
    with Warehouse(url) as wh:
        names = [
            r[0]
            for r in wh.fetchall(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            )
        ]
        out = {}
        for name in names:
            rows = sorted(repr(r) for r in wh.fetchall(f'SELECT * FROM marts."{name}"'))
            out[name] = f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def test_dump_and_restore_reproduce_the_warehouse(tmp_path, monkeypatch):
    admin = require_pg_admin_dsn()
    import psycopg

    with psycopg.connect(admin) as conn:
        server_major = conn.info.server_version // 10000
    pg_dump, pg_restore = pg_tool("pg_dump", server_major), pg_tool("pg_restore", server_major)

    landing = tmp_path / "landing"
    write_sample_landing(landing, province="32", seed=0)
    # three regencies are enough for every table and mart to hold rows
    for folder in sorted(p for p in landing.iterdir() if p.is_dir())[3:]:
        shutil.rmtree(folder)
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))

    with fresh_database("smartprov_backup_") as source, fresh_database("smartprov_restore_") as target:
        report = steps.run_once(str(landing), str(source), notify=False)
        assert not report["errors"], report["errors"]
        assert report["counts"]["accepted"] >= 1
        counts, marts = table_counts(str(source)), mart_digests(str(source))
        assert counts["audit.submissions"] >= 3 and any(
            v > 0 for k, v in counts.items() if k.startswith("raw.")
        )
        assert marts and all(not d.startswith("0:") for d in marts.values()), marts

        dump = tmp_path / "smartprov.dump"
        # the runbook: pg_dump -Fc (custom format: compressed, selective restore possible)
        subprocess.run([pg_dump, "-Fc", "-f", str(dump), "-d", str(source)], check=True)
        assert dump.stat().st_size > 0
        listing = subprocess.run(
            [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=True
        )
        assert "TABLE DATA audit submissions" in listing.stdout
        # the runbook: into an empty database, all or nothing
        subprocess.run(
            [
                pg_restore,
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "-d",
                str(target),
                str(dump),
            ],
            check=True,
        )

        assert table_counts(str(target)) == counts
        assert mart_digests(str(target)) == marts
        # the restored warehouse carries on: nothing in the landing zone is new to it
        again = steps.run_once(str(landing), str(target), build=False, notify=False)
        assert again["counts"]["accepted"] == again["counts"]["rejected"] == 0
        assert again["counts"]["duplicate"] == len([s for s in report["submissions"]])
