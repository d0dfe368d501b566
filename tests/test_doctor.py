"""`smartprov doctor`: each check against the real thing it checks (PostgreSQL, a moto S3
server, an SMTP server on loopback, files), failing where a site's setting is wrong and saying
how to fix it; the command exits 0 only when every check holds."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import bare_config_dir
from loopback import free_port, s3_landing_server, smtp_conn_json
from pg import fresh_database, pg_admin_dsn  # noqa: F401 - the fixture, by name
from smartprov.run import doctor
from smartprov.warehouse import pg_roles
from test_backup_restore import pg_tool

ROOT = Path(__file__).resolve().parents[1]


def _setup(db) -> None:
    pg_roles.setup_roles(db.admin_dsn, db.name)


# -- warehouse and the loader's rights (PostgreSQL) ------------------------------------------
@pytest.mark.postgres
@pytest.mark.usefixtures("pg_admin_dsn")
def test_warehouse_reachable_with_its_roles(monkeypatch):
    with fresh_database("smartprov_doctor_") as db:
        _setup(db)
        found = doctor.check_warehouse(db.url_as(pg_roles.LOADER_ROLE))
        assert found.ok, found.line()
        assert pg_roles.LOADER_ROLE in found.detail and db.name in found.detail
        monkeypatch.setenv(pg_roles.ENV_ANALYST_ROLE, "smartprov_nobody_" + secrets.token_hex(4))
        missing = doctor.check_warehouse(db.url_as(pg_roles.LOADER_ROLE))
        assert not missing.ok and "smartprov_nobody_" in missing.detail and "pg-setup" in missing.fix
    closed = doctor.check_warehouse(f"postgresql://smartprov_loader@127.0.0.1:{free_port()}/smartprov")
    assert not closed.ok and "cannot connect" in closed.detail and "SMARTPROV_WAREHOUSE_URL" in closed.fix


@pytest.mark.postgres
@pytest.mark.usefixtures("pg_admin_dsn")
def test_loader_rights_after_a_restore_need_pg_setup_again():
    """The restore drill as the loader: a pg_restore into a new database keeps the schemas but
    not the database's grants, so the loader could not create there until pg-setup runs again."""
    with fresh_database("smartprov_doctor_") as source, fresh_database("smartprov_doctor_") as restored:
        _setup(source)
        loader = source.url_as(pg_roles.LOADER_ROLE)
        assert doctor.check_loader_rights(loader).ok, doctor.check_loader_rights(loader).line()
        with pg_roles._connect(source.dsn) as conn:
            server_major = conn.info.server_version // 10000
        pg_dump, pg_restore = pg_tool("pg_dump", server_major), pg_tool("pg_restore", server_major)
        dump = subprocess.run([pg_dump, "-Fc", "-d", source.dsn], capture_output=True, check=True).stdout
        subprocess.run(
            [pg_restore, "--exit-on-error", "--single-transaction", "-d", restored.dsn],
            input=dump,
            capture_output=True,
            check=True,
        )
        # restored as operations.md says (as the superuser); the site then runs as the loader
        as_loader = restored.url_as(pg_roles.LOADER_ROLE)
        before = doctor.check_loader_rights(as_loader)
        assert not before.ok and "lacks CREATE on database" in before.detail, before.line()
        assert "pg-setup" in before.fix and "pg_restore" in before.fix
        # a server whose new databases admit nobody by default (as pg-setup leaves its own)
        with pg_roles._connect(restored.dsn) as conn:
            conn.execute(f'REVOKE ALL ON DATABASE "{restored.name}" FROM PUBLIC')
        for check in (doctor.check_warehouse, doctor.check_loader_rights):
            refused = check(as_loader)
            assert not refused.ok and f"may not connect to database {restored.name}" in refused.detail
            assert "pg-setup" in refused.fix
        _setup(restored)
        after = doctor.check_loader_rights(restored.url_as(pg_roles.LOADER_ROLE))
        assert after.ok, after.line()


@pytest.mark.postgres
@pytest.mark.usefixtures("pg_admin_dsn")
def test_loader_rights_name_a_schema_it_does_not_own():
    with fresh_database("smartprov_doctor_") as db:
        _setup(db)
        with pg_roles._connect(db.dsn) as conn:
            conn.execute("ALTER SCHEMA audit OWNER TO postgres")
        found = doctor.check_loader_rights(db.url_as(pg_roles.LOADER_ROLE))
        assert not found.ok and "audit (postgres)" in found.detail


def test_duckdb_warehouse_has_no_roles(tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert doctor.check_warehouse(url).ok
    assert doctor.check_loader_rights(url).ok


# -- landing zone ------------------------------------------------------------------------------
def test_landing_folder(tmp_path):
    assert doctor.check_landing(str(tmp_path)).ok
    missing = doctor.check_landing(str(tmp_path / "nope"))
    assert not missing.ok and "does not exist" in missing.detail


def test_landing_bucket_listed_with_the_pipeline_key():
    import boto3

    with s3_landing_server("pipeline", "pipeline-secret") as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
        s3.create_bucket(Bucket="doctor-landing")
        found = doctor.check_landing("s3://doctor-landing/")
        assert found.ok, found.line()
        missing = doctor.check_landing("s3://no-such-bucket/")
        assert not missing.ok and "NoSuchBucket" in missing.detail
        assert "LANDING_BUCKET" in missing.fix


# -- folders ------------------------------------------------------------------------------------
def test_folders_runs_write_must_be_writable(tmp_path):
    fine = {"SMARTPROV_VAR_DIR": tmp_path / "var", "SMARTPROV_REPORTS_DIR": tmp_path / "reports" / "new"}
    assert doctor.check_folders(fine).ok  # made on first use
    blocked = tmp_path / "a-file"  # a file where the folder should be: nobody can write there
    blocked.write_text("")
    found = doctor.check_folders({**fine, "SMARTPROV_REPORTS_DIR": blocked / "reports"})
    assert not found.ok and f"SMARTPROV_REPORTS_DIR {blocked / 'reports'}" in found.detail
    assert "airflow-init" in found.fix


# -- shared store ---------------------------------------------------------------------------------
def test_shared_store_unset_is_this_host_s_folders(monkeypatch):
    monkeypatch.delenv("SMARTPROV_SHARED_URL", raising=False)
    found = doctor.check_shared_store()
    assert found.ok and "SMARTPROV_SHARED_URL not set" in found.detail


def test_shared_store_folder_written_and_left_clean(tmp_path, monkeypatch):
    share = tmp_path / "share"
    monkeypatch.setenv("SMARTPROV_SHARED_URL", str(share))
    found = doctor.check_shared_store()
    assert found.ok, found.line()
    assert [p for p in share.rglob("*") if p.is_file()] == []  # the probe is deleted again
    blocked = tmp_path / "a-file"  # a file where the share should be: nothing can be written
    blocked.write_text("")
    monkeypatch.setenv("SMARTPROV_SHARED_URL", str(blocked / "share"))
    failed = doctor.check_shared_store()
    assert not failed.ok and "cannot be written" in failed.detail and "SMARTPROV_SHARED_URL" in failed.fix


def test_shared_store_bucket_written_with_the_pipeline_key(monkeypatch):
    import boto3

    with s3_landing_server("pipeline", "pipeline-secret") as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
        s3.create_bucket(Bucket="doctor-shared")  # this module's own bucket for the store
        monkeypatch.setenv("SMARTPROV_SHARED_URL", "s3://doctor-shared/smartprov")
        found = doctor.check_shared_store()
        assert found.ok, found.line()
        assert "connection smartprov_landing" in found.detail
        assert s3.list_objects_v2(Bucket="doctor-shared").get("KeyCount") == 0  # probe deleted
        monkeypatch.setenv("SMARTPROV_SHARED_URL", "s3://no-such-shared-bucket/smartprov")
        missing = doctor.check_shared_store()
        assert not missing.ok and "cannot be written" in missing.detail
        assert "smartprov_shared" in missing.fix


# -- mail ----------------------------------------------------------------------------------------
@pytest.fixture
def alert_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("SMARTPROV_ALERTS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMARTPROV_CONFIG_DIR", str(bare_config_dir(tmp_path / "config")))
    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "smartprov@diskominfo.example.go.id")


def test_smtp_relay_answers_and_a_sender_is_set(smtp, alert_env, monkeypatch):
    found = doctor.check_smtp()
    assert found.ok, found.line()
    assert f"127.0.0.1:{smtp.port}" in found.detail and "smartprov@diskominfo.example.go.id" in found.detail
    assert smtp.take() == [], "the check sends nothing"
    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(smtp.port))  # no from_email extra
    nobody = doctor.check_smtp()
    assert not nobody.ok and "SMARTPROV_ALERTS_FROM" in nobody.fix


def test_smtp_relay_refusing_is_named(alert_env, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn_json(free_port()))
    found = doctor.check_smtp()
    assert not found.ok and "refused" in found.detail and "AIRFLOW_CONN_SMTP_DEFAULT" in found.fix
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT")
    undefined = doctor.check_smtp()
    assert not undefined.ok and "not defined" in undefined.detail
    monkeypatch.setenv("SMARTPROV_ALERTS_EMAIL_ENABLED", "false")
    assert doctor.check_smtp().ok


# -- links, deadlines, publish, time zone ---------------------------------------------------------
def test_public_base_url():
    key = doctor.PUBLIC_BASE_URL_ENV
    assert doctor.check_public_base_url({key: "https://smartprov.jabarprov.go.id"}).ok
    for bad, says in (
        ("", "not set"),
        ("smartprov.jabarprov.go.id", "not an http(s) URL"),
        ("http://localhost:8081", "loopback"),
        ("http://127.0.0.1:8081", "loopback"),
    ):
        found = doctor.check_public_base_url({key: bad})
        assert not found.ok and says in found.detail, bad
        assert key in found.fix


def test_the_shipped_deadline_placeholder_is_flagged(tmp_path):
    shipped = doctor.check_deadlines(ROOT / "config" / "deadlines.yml")
    assert not shipped.ok and "placeholder" in shipped.detail and "MASTERPLAN" in shipped.fix
    own = tmp_path / "deadlines.yml"
    own.write_text(
        (ROOT / "config" / "deadlines.yml").read_text().replace("date: 2023-12-31", "date: 2026-06-30")
    )
    found = doctor.check_deadlines(own)
    assert found.ok and "2026-06-30" in found.detail
    own.write_text("EVALUASI: {month: 1, day: 31, year_offset: 1}\n")
    broken = doctor.check_deadlines(own)
    assert not broken.ok and "MASTERPLAN" in broken.detail


def test_publish_config(tmp_path):
    assert doctor.check_publish(tmp_path / "publish.yml").ok  # none: publishing is off
    bad = tmp_path / "publish.yml"
    bad.write_text("province: [unclosed\n")
    found = doctor.check_publish(bad)
    assert not found.ok and "not valid YAML" in found.detail


def test_time_zone():
    assert doctor.check_timezone("Asia/Jakarta").ok
    found = doctor.check_timezone("UTC")
    assert not found.ok and "AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Jakarta" in found.fix


# -- the command ----------------------------------------------------------------------------------
def test_doctor_exits_zero_only_when_every_check_holds(tmp_path):
    config = bare_config_dir(tmp_path / "config")
    deadlines = config / "deadlines.yml"
    deadlines.write_text(deadlines.read_text().replace("date: 2023-12-31", "date: 2026-06-30"))
    (tmp_path / "landing").mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMARTPROV_", "AIRFLOW_CONN_", "AIRFLOW__CORE__DEFAULT_TIMEZONE"))
    }
    env |= {
        "PYTHONPATH": str(ROOT / "plugins"),
        "SMARTPROV_CONFIG_DIR": str(config),
        "SMARTPROV_VAR_DIR": str(tmp_path / "var"),
        "SMARTPROV_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "SMARTPROV_LANDING_URL": str(tmp_path / "landing"),
        "SMARTPROV_ALERTS_EMAIL_ENABLED": "false",
        "SMARTPROV_PUBLIC_BASE_URL": "https://smartprov.jabarprov.go.id",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
    }
    command = [sys.executable, "-m", "smartprov.cli", "doctor"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert len(lines) == len(doctor.CHECKS) + 1 and all(line.startswith("ok ") for line in lines[:-1])
    assert lines[-1].endswith("ready")
    shutil.rmtree(tmp_path / "landing")
    bad = subprocess.run(command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    failed = [line for line in bad.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [line for line in failed if "landing zone" in line] and len(failed) == 1
    assert "->" in failed[0]  # what to do about it, on the same line
