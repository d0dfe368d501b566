"""pg_roles on a real PostgreSQL: the loader writes everywhere, analysts only read marts.

Each run uses a fresh database `smartprov_prod_<hex>` and roles `smartprov_*_<hex>`, dropped
at the end, so it can run beside other tests on the same server.
"""

from __future__ import annotations

import secrets

import psycopg
import pytest
from psycopg import errors, sql

from smartprov.warehouse import pg_roles

try:  # tests/ as a package (tests/__init__.py) or as plain rootdir modules
    from .pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)
except ImportError:
    from pg import fresh_database, pg_admin_dsn  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres

DENIED = (errors.InsufficientPrivilege,)


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn):  # noqa: F811
    """A fresh database set up by setup_roles (twice: it must be idempotent), and its roles."""
    tag = secrets.token_hex(4)
    roles = {
        "loader": f"smartprov_loader_{tag}",
        "analyst": f"smartprov_analyst_{tag}",
        "alice": f"smartprov_alice_{tag}",
        "outsider": f"smartprov_outsider_{tag}",
    }
    passwords = {key: secrets.token_urlsafe(12) for key in roles}
    try:
        with fresh_database("smartprov_prod_", pg_admin_dsn) as db:
            for _ in range(2):
                pg_roles.setup_roles(
                    pg_admin_dsn,
                    db.name,
                    loader_role=roles["loader"],
                    analyst_role=roles["analyst"],
                    loader_password=passwords["loader"],
                )
            assert pg_roles.create_analyst_login(
                pg_admin_dsn, roles["alice"], passwords["alice"], roles["analyst"]
            )
            assert not pg_roles.create_analyst_login(
                pg_admin_dsn, roles["alice"], passwords["alice"], roles["analyst"]
            )
            with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
                pg_roles.ensure_role(conn, roles["outsider"], login=True, password=passwords["outsider"])
            yield db, roles, passwords
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            for role in reversed(list(roles.values())):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def connect_as(warehouse, who: str) -> psycopg.Connection:
    db, roles, passwords = warehouse
    return psycopg.connect(db.dsn_as(roles[who], passwords[who]), autocommit=True)


@pytest.fixture(scope="module")
def loaded(warehouse):
    """As the loader: the pipeline's own tables, then dbt-like relations in every schema."""
    from smartprov.warehouse.connection import Warehouse

    db, roles, passwords = warehouse
    # The pipeline's own DDL (CREATE SCHEMA IF NOT EXISTS audit/raw + tables) runs as the loader.
    with Warehouse(db.url_as(roles["loader"], passwords["loader"])) as wh:
        wh.ensure_schema()
        wh.ensure_schema()
    with connect_as(warehouse, "loader") as conn:
        for stmt in [
            "CREATE TABLE raw.secret_rows (id int, value text)",
            "INSERT INTO raw.secret_rows VALUES (1, 'raw')",
            "CREATE VIEW staging.stg_rows AS SELECT id, value FROM raw.secret_rows",
            "CREATE TABLE intermediate.int_rows AS SELECT * FROM staging.stg_rows",
            "CREATE TABLE reference.ref_regencies (code text)",
            "CREATE TABLE marts.province_scorecard AS SELECT 1 AS version, 'first'::text AS note",
            "CREATE VIEW marts.scorecard_view AS SELECT * FROM marts.province_scorecard",
            # A temporary table: the loader's COPY-then-merge pattern needs TEMPORARY.
            "CREATE TEMP TABLE copy_buffer (id int)",
        ]:
            conn.execute(stmt)
    return warehouse


def rebuild_mart_like_dbt(warehouse, version: int) -> None:
    """dbt's table materialisation on PostgreSQL: build __dbt_tmp, swap by rename, drop the old."""
    with connect_as(warehouse, "loader") as conn, conn.transaction():
        conn.execute(
            "CREATE TABLE marts.province_scorecard__dbt_tmp AS "
            f"SELECT {version} AS version, 'rebuilt'::text AS note, 42 AS new_column"
        )
        conn.execute("ALTER TABLE marts.province_scorecard RENAME TO province_scorecard__dbt_backup")
        conn.execute("ALTER TABLE marts.province_scorecard__dbt_tmp RENAME TO province_scorecard")
        conn.execute("DROP TABLE marts.province_scorecard__dbt_backup CASCADE")
        conn.execute("CREATE VIEW marts.scorecard_view AS SELECT * FROM marts.province_scorecard")


def test_schemas_owned_by_loader(loaded):
    db, roles, _ = loaded
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        owners = dict(
            conn.execute(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY(%s)",
                (list(pg_roles.SCHEMAS),),
            ).fetchall()
        )
        analyst_can_login = conn.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (roles["analyst"],)
        ).fetchone()[0]
    assert owners == dict.fromkeys(pg_roles.SCHEMAS, roles["loader"])
    assert analyst_can_login is False


def test_analyst_member_reads_marts_even_after_dbt_rebuilds(loaded):
    with connect_as(loaded, "alice") as conn:
        assert conn.execute("SELECT version, note FROM marts.province_scorecard").fetchall() == [(1, "first")]
        # search_path = marts: Excel/DBeaver users need no schema prefix.
        assert conn.execute("SELECT count(*) FROM scorecard_view").fetchone() == (1,)

    rebuild_mart_like_dbt(loaded, version=2)
    with connect_as(loaded, "alice") as conn:
        assert conn.execute("SELECT version, note, new_column FROM marts.province_scorecard").fetchall() == [
            (2, "rebuilt", 42)
        ]
        assert conn.execute("SELECT version FROM marts.scorecard_view").fetchall() == [(2,)]

    # The plain form: DROP + CREATE.
    with connect_as(loaded, "loader") as conn:
        conn.execute("DROP TABLE marts.province_scorecard CASCADE")
        conn.execute("CREATE TABLE marts.province_scorecard AS SELECT 3 AS version")
    with connect_as(loaded, "alice") as conn:
        assert conn.execute("SELECT version FROM marts.province_scorecard").fetchall() == [(3,)]


@pytest.mark.parametrize(
    "relation",
    [
        "raw.secret_rows",
        "raw.masterplan_programs",
        "audit.submissions",
        "audit.findings",
        "staging.stg_rows",
        "intermediate.int_rows",
        "reference.ref_regencies",
    ],
)
def test_analyst_cannot_read_outside_marts(loaded, relation):
    with connect_as(loaded, "alice") as conn, pytest.raises(DENIED):
        conn.execute(f"SELECT * FROM {relation}")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO marts.province_scorecard (version) VALUES (99)",
        "UPDATE marts.province_scorecard SET version = 99",
        "DELETE FROM marts.province_scorecard",
        "TRUNCATE marts.province_scorecard",
        "DROP TABLE marts.province_scorecard",
        "ALTER TABLE marts.province_scorecard ADD COLUMN x int",
        "CREATE TABLE marts.mine (x int)",
        "CREATE VIEW marts.mine AS SELECT 1",
        "CREATE TABLE public.mine (x int)",
        "CREATE TABLE raw.mine (x int)",
        "CREATE TABLE audit.mine (x int)",
        "CREATE TABLE staging.mine (x int)",
        "CREATE SCHEMA mine",
        "CREATE TEMP TABLE mine (x int)",
        "INSERT INTO raw.secret_rows VALUES (2, 'x')",
        "DELETE FROM audit.submissions",
        "UPDATE audit.findings SET message = ''",
    ],
)
def test_analyst_cannot_write_or_create_anywhere(loaded, statement):
    with connect_as(loaded, "alice") as conn, pytest.raises(DENIED):
        conn.execute(statement)
    with psycopg.connect(loaded[0].dsn, autocommit=True) as conn:  # and nothing changed
        assert conn.execute("SELECT count(*) FROM marts.province_scorecard").fetchone() == (1,)


def test_analyst_cannot_become_loader(loaded):
    _, roles, _ = loaded
    with connect_as(loaded, "alice") as conn, pytest.raises(DENIED):
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(roles["loader"])))


def test_other_logins_cannot_connect(loaded):
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect_as(loaded, "outsider").close()


def test_rerun_after_objects_exist_keeps_access(loaded, pg_admin_dsn):  # noqa: F811
    db, roles, _ = loaded
    # A grant someone made by hand outside marts is taken back by the next run.
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA raw TO {}").format(sql.Identifier(roles["analyst"])))
        conn.execute(
            sql.SQL("GRANT SELECT ON raw.secret_rows TO {}").format(sql.Identifier(roles["analyst"]))
        )
    pg_roles.setup_roles(pg_admin_dsn, db.name, loader_role=roles["loader"], analyst_role=roles["analyst"])
    with connect_as(loaded, "alice") as conn:
        assert conn.execute("SELECT count(*) FROM marts.province_scorecard").fetchone() == (1,)
        with pytest.raises(DENIED):
            conn.execute("SELECT * FROM raw.secret_rows")
    # The loader's password was left alone (None), and it still logs in and writes.
    with connect_as(loaded, "loader") as conn:
        conn.execute("INSERT INTO raw.secret_rows VALUES (3, 'still the loader')")


def test_cli_main(loaded, pg_admin_dsn, monkeypatch, capsys):  # noqa: F811
    db, roles, _ = loaded
    bob = roles["alice"].replace("alice", "bob")
    monkeypatch.setenv(pg_roles.ENV_ADMIN_URL, pg_admin_dsn)
    monkeypatch.setenv(pg_roles.ENV_LOADER_PASSWORD, loaded[2]["loader"])
    monkeypatch.setenv(pg_roles.ENV_ANALYST_PASSWORD_PREFIX + bob.upper(), "bob-password")
    try:
        argv = ["--database", db.name, "--loader-role", roles["loader"], "--analyst-role", roles["analyst"]]
        assert pg_roles.main([*argv, "--analyst-login", bob]) == 0
        assert "pg-setup: database" in capsys.readouterr().out
        with psycopg.connect(db.dsn_as(bob, "bob-password"), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM province_scorecard").fetchone() == (1,)
        # A login without its password variable is refused before touching the server.
        assert pg_roles.main([*argv, "--analyst-login", "smartprov_nopass"]) == 2
        assert "SMARTPROV_ANALYST_PASSWORD_SMARTPROV_NOPASS" in capsys.readouterr().err
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(bob)))


def test_cli_needs_admin_url(monkeypatch, capsys):
    monkeypatch.delenv(pg_roles.ENV_ADMIN_URL, raising=False)
    assert pg_roles.main([]) == 2
    assert "--admin-url" in capsys.readouterr().err


def test_rejects_unsafe_names():
    unused = "postgresql://nobody@127.0.0.1:1/none"  # validation comes before any connection
    with pytest.raises(ValueError):
        pg_roles.setup_roles(unused, "smartprov_prod_x; DROP DATABASE postgres")
    with pytest.raises(ValueError):
        pg_roles.setup_roles(unused, "smartprov_prod_x", loader_role='Robert"); --')
