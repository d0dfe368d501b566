"""PostgreSQL for tests: the admin DSN, and throw-away databases.

    from pg import fresh_database, pg_admin_dsn   # or `from .pg import …` once tests/ is a package

    def test_something(pg_admin_dsn):
        with fresh_database("smartprov_prod_") as db:   # a superuser URL (str) to the new database
            Warehouse(db)                                # db.name, db.dsn, db.dsn_as(), db.url_as()

Settings: env SMARTPROV_TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/postgres),
a superuser's DSN to a maintenance database. When the server cannot be reached the test is
skipped with the reason, or fails when CI=true (CI must not silently skip the PostgreSQL path).
Mark modules that use it with `pytestmark = pytest.mark.postgres`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
from collections.abc import Iterator

import pytest

DEFAULT_TEST_PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def admin_dsn_from_env() -> str:
    return os.environ.get("SMARTPROV_TEST_PG_DSN") or DEFAULT_TEST_PG_DSN


def _redacted(dsn: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@functools.cache
def _probe(dsn: str) -> str | None:
    """None when a superuser session opens on `dsn`, else why not (cached per process)."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a project requirement
        return f"psycopg not importable: {exc}"
    try:
        with psycopg.connect(dsn, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL unreachable at {_redacted(dsn)}: {first}"
    if not row or not row[0]:
        return f"{_redacted(dsn)} is not a superuser connection (needed to create databases and roles)"
    return None


def require_pg_admin_dsn() -> str:
    """The admin DSN, or skip (fail when CI=true) with the reason PostgreSQL is unusable."""
    dsn = admin_dsn_from_env()
    problem = _probe(dsn)
    if problem:
        hint = " (set SMARTPROV_TEST_PG_DSN to a superuser DSN)"
        if _in_ci():
            pytest.fail(f"{problem}{hint}; CI=true, so this is a failure, not a skip", pytrace=False)
        pytest.skip(f"{problem}{hint}")
    return dsn


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    return require_pg_admin_dsn()


class PgDatabase(str):
    """A throw-away database. The string itself is a superuser URL to it, ready for
    `Warehouse(url)` / SMARTPROV_WAREHOUSE_URL / psycopg.connect; `name`, `dsn_as(user, pw)`
    and `url_as(user, pw)` give the rest."""

    name: str
    admin_dsn: str  # the maintenance database's DSN

    def __new__(cls, name: str, admin_dsn: str) -> PgDatabase:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(admin_dsn)
        self = super().__new__(cls, _url(info, name, info.get("user"), info.get("password")))
        self.name = name
        self.admin_dsn = admin_dsn
        return self

    @property
    def url(self) -> str:
        return str(self)

    @property
    def dsn(self) -> str:
        """Superuser libpq connection string to this database."""
        return self.dsn_as()

    def dsn_as(self, user: str | None = None, password: str | None = None) -> str:
        from psycopg.conninfo import make_conninfo

        extra = {"dbname": self.name}
        if user is not None:
            extra["user"] = user
        if password is not None:
            extra["password"] = password
        return make_conninfo(self.admin_dsn, **extra)

    def url_as(self, user: str, password: str | None = None) -> str:
        """A `postgresql://` URL to this database as another role."""
        from psycopg.conninfo import conninfo_to_dict

        return _url(conninfo_to_dict(self.admin_dsn), self.name, user, password)


def _url(info: dict, dbname: str, user: str | None, password: str | None) -> str:
    from urllib.parse import quote

    auth = ""
    if user:
        auth = quote(str(user), safe="") + (f":{quote(str(password), safe='')}" if password else "") + "@"
    host = info.get("host") or "127.0.0.1"
    port = info.get("port") or "5432"
    return f"postgresql://{auth}{host}:{port}/{dbname}"


@contextlib.contextmanager
def fresh_database(prefix: str = "smartprov_prod_", admin_dsn: str | None = None) -> Iterator[PgDatabase]:
    """Create a database named `<prefix><random hex>`, yield it, drop it (closing sessions left)."""
    import psycopg
    from psycopg import sql

    if not _IDENT.match(prefix) or len(prefix) > 50:
        raise ValueError(f"Bad database prefix {prefix!r}: lower-case letters, digits, _; at most 50")
    admin = admin_dsn or require_pg_admin_dsn()
    name = f"{prefix}{secrets.token_hex(6)}"
    ident = sql.Identifier(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield PgDatabase(name=name, admin_dsn=admin)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
