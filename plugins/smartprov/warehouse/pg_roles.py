"""PostgreSQL warehouse roles and privileges (production). Idempotent: run it at every deploy.

Two roles:

- the **loader** (`smartprov_loader`, LOGIN): the pipeline and dbt connect as it. It owns
  the schemas raw, audit, staging, intermediate, marts and reference, and so every relation
  in them. It may create schemas and temporary tables in the database.
- the **analyst** group (`smartprov_analyst`, NOLOGIN): USAGE on `marts` and SELECT on its
  tables and views, nothing else. People log in as their own users, members of the group
  (`create_analyst_login`, or `smartprov pg-setup --analyst-login NAME`).

dbt rebuilds a mart by creating a new table and dropping the old one: grants made on the old
table vanish with it. Two things keep the marts readable: the dbt project's `grants` config
(SELECT to the analyst group on every mart, applied by dbt after each rebuild whoever runs it;
the dbt runner passes the group's name when it exists), and default privileges: `ALTER
DEFAULT PRIVILEGES FOR ROLE <loader> IN SCHEMA marts GRANT SELECT ON TABLES TO <analyst>`
makes every relation the loader creates in marts readable by analysts (this second one covers
only objects the loader role itself creates; the grants cover dbt run by any owner).

Database hardening: PUBLIC loses CONNECT and TEMPORARY on the warehouse database and CREATE on
its `public` schema; only the two roles (and superusers) connect.

The admin must be a superuser (the compose file uses the warehouse container's `postgres`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence

log = logging.getLogger(__name__)

LOADER_ROLE = "smartprov_loader"
ANALYST_ROLE = "smartprov_analyst"
DEFAULT_DATABASE = "smartprov"
# Schemas the loader owns. Analysts see only ANALYST_SCHEMAS.
SCHEMAS: tuple[str, ...] = ("raw", "audit", "staging", "intermediate", "marts", "reference")
ANALYST_SCHEMAS: tuple[str, ...] = ("marts",)

# Environment read by main() (see docs/production.md and docker-compose.yml).
ENV_ADMIN_URL = "SMARTPROV_PG_ADMIN_URL"
ENV_DATABASE = "SMARTPROV_PG_DATABASE"
ENV_LOADER_PASSWORD = "SMARTPROV_LOADER_PASSWORD"
ENV_ANALYST_PASSWORD_PREFIX = "SMARTPROV_ANALYST_PASSWORD_"  # + login name, upper-cased
# The group dbt grants SELECT on the marts to (dbt `grants`), read by the dbt runner.
ENV_ANALYST_ROLE = "SMARTPROV_PG_ANALYST_ROLE"


def analyst_role() -> str:
    return os.environ.get(ENV_ANALYST_ROLE) or ANALYST_ROLE


_NAME = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")
# Serialises concurrent setup runs (advisory locks are per database: one key, two places).
_SETUP_LOCK_KEY = 0x5_3A_57_0E


def _check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"Invalid {kind} name {name!r}: lower-case letters, digits and _ only")
    return name


def libpq_dsn(url: str) -> str:
    """A libpq connection string from a URL; SQLAlchemy's `postgresql+psycopg://` is accepted."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def _connect(dsn: str, **overrides: str):
    import psycopg
    from psycopg.conninfo import make_conninfo

    return psycopg.connect(make_conninfo(libpq_dsn(dsn), **overrides), autocommit=True)


def _password_sql(conn, role: str, password: str):
    """`PASSWORD '<scram verifier>'`: the clear-text password never reaches the server's logs."""
    from psycopg import sql

    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    return sql.SQL("PASSWORD {}").format(sql.Literal(verifier.decode()))


def _role_exists(conn, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def ensure_role(
    conn, role: str, *, login: bool, password: str | None = None, member_of: Iterable[str] = ()
) -> bool:
    """Create `role` if missing, else align its LOGIN flag; set the password when given.

    Returns True when the role was created. Runs in the caller's transaction.
    """
    from psycopg import sql

    _check_name("role", role)
    ident = sql.Identifier(role)
    flags = sql.SQL("LOGIN" if login else "NOLOGIN")
    created = False
    if not _role_exists(conn, role):
        conn.execute(sql.SQL("CREATE ROLE {} {}").format(ident, flags))
        created = True
        log.info("created role %s (%s)", role, "login" if login else "group, no login")
    else:
        conn.execute(sql.SQL("ALTER ROLE {} {}").format(ident, flags))
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} ").format(ident) + _password_sql(conn, role, password))
    elif created and login:
        log.warning("login role %s has no password: it can only log in where pg_hba trusts it", role)
    for group in member_of:
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(_check_name("role", group)), ident))
    return created


def _ensure_database(conn, database: str) -> bool:
    import psycopg
    from psycopg import sql

    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
        return False
    try:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    except psycopg.errors.DuplicateDatabase:
        return False  # created concurrently
    log.info("created database %s", database)
    return True


def database_statements(database: str, loader_role: str, analyst_role: str) -> list:
    """The privilege statements run inside the warehouse database, in order."""
    from psycopg import sql

    db = sql.Identifier(database)
    loader = sql.Identifier(loader_role)
    analyst = sql.Identifier(analyst_role)
    stmts = [
        # Only our roles connect; only the loader makes temporary tables (COPY staging, dbt).
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db),
        sql.SQL("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {} TO {}").format(db, loader),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, analyst),
        sql.SQL("REVOKE TEMPORARY, CREATE ON DATABASE {} FROM {}").format(db, analyst),
        # PostgreSQL < 15 let everyone create in public; 15+ does not: say it anyway.
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
    ]
    for name in SCHEMAS:
        schema = sql.Identifier(name)
        stmts += [
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema, loader),
            sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, loader),
            sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema),
        ]
        if name in ANALYST_SCHEMAS:
            stmts += [
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, analyst),
                sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema, analyst),
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, analyst),
                sql.SQL(
                    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
                    " ON ALL TABLES IN SCHEMA {} FROM {}"
                ).format(schema, analyst),
                # Relations dbt (re)creates as the loader stay readable.
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
                ).format(loader, schema, analyst),
            ]
        else:
            # Undo any grant made by hand: analysts see marts only.
            stmts += [
                sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, analyst),
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, analyst),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} REVOKE ALL ON TABLES FROM {}"
                ).format(loader, schema, analyst),
            ]
    return stmts


def setup_roles(
    admin_dsn: str,
    database: str = DEFAULT_DATABASE,
    loader_role: str = LOADER_ROLE,
    analyst_role: str = ANALYST_ROLE,
    *,
    loader_password: str | None = None,
    create_database: bool = True,
) -> None:
    """Create or align the roles, the database, its schemas and privileges. Idempotent.

    `admin_dsn`: a superuser's URL or libpq string; its database is the maintenance database
    (usually `postgres`) where roles and the warehouse database are created. `loader_password`
    None leaves an existing password alone.
    """
    _check_name("database", database)
    _check_name("role", loader_role)
    _check_name("role", analyst_role)
    with _connect(admin_dsn) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK_KEY,))
            ensure_role(conn, loader_role, login=True, password=loader_password)
            ensure_role(conn, analyst_role, login=False)
            # The analyst group must not inherit the loader's rights, whoever granted what.
            if _is_member(conn, analyst_role, loader_role):
                _revoke_membership(conn, loader_role, analyst_role)
        if create_database:
            _ensure_database(conn, database)
    with _connect(admin_dsn, dbname=database) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK_KEY,))
        for stmt in database_statements(database, loader_role, analyst_role):
            conn.execute(stmt)
    log.info(
        "warehouse %s: schemas %s owned by %s; %s reads %s",
        database,
        ", ".join(SCHEMAS),
        loader_role,
        analyst_role,
        ", ".join(ANALYST_SCHEMAS),
    )


def _is_member(conn, member: str, group: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = %s AND r.rolname = %s",
        (group, member),
    ).fetchone()
    return row is not None


def _revoke_membership(conn, group: str, member: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(member)))


def create_analyst_login(
    admin_dsn: str,
    user: str,
    password: str | None,
    analyst_role: str = ANALYST_ROLE,
    *,
    search_path: Sequence[str] = ANALYST_SCHEMAS,
) -> bool:
    """Create (or update) a person's login, a member of the analyst group. Idempotent.

    Its search_path is set to marts, so Excel/DBeaver list the marts without a schema prefix.
    Returns True when the login was created.
    """
    from psycopg import sql

    with _connect(admin_dsn) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK_KEY,))
        if not _role_exists(conn, analyst_role):
            raise LookupError(f"Role {analyst_role!r} does not exist: run setup_roles first")
        created = ensure_role(conn, user, login=True, password=password, member_of=[analyst_role])
        path = sql.SQL(", ").join(sql.Identifier(_check_name("schema", s)) for s in search_path)
        conn.execute(sql.SQL("ALTER ROLE {} SET search_path = ").format(sql.Identifier(user)) + path)
    return created


# -- command line (wired as `smartprov pg-setup`) --------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(ENV_ADMIN_URL),
        help=f"superuser URL to the maintenance database, e.g. postgresql://postgres:…@host:5432/postgres "
        f"(default: ${ENV_ADMIN_URL})",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE,
        help=f"warehouse database (default: ${ENV_DATABASE} or {DEFAULT_DATABASE})",
    )
    parser.add_argument("--loader-role", default=LOADER_ROLE)
    parser.add_argument(
        "--analyst-role", default=analyst_role(), help=f"(default ${ENV_ANALYST_ROLE} or {ANALYST_ROLE})"
    )
    parser.add_argument(
        "--analyst-login",
        action="append",
        default=[],
        metavar="NAME",
        help=f"create/update a person's login in the analyst group; password from "
        f"${ENV_ANALYST_PASSWORD_PREFIX}<NAME> (repeatable)",
    )
    parser.add_argument(
        "--no-create-database", action="store_true", help="fail instead of creating a missing database"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if not args.admin_url:
        print(f"pg-setup: give --admin-url or set {ENV_ADMIN_URL}", file=sys.stderr)
        return 2
    loader_password = os.environ.get(ENV_LOADER_PASSWORD) or None
    if loader_password is None:
        print(
            f"pg-setup: {ENV_LOADER_PASSWORD} unset: the loader's password is left as it is", file=sys.stderr
        )
    logins: list[tuple[str, str]] = []
    for name in args.analyst_login:
        var = ENV_ANALYST_PASSWORD_PREFIX + name.upper()
        if not os.environ.get(var):
            print(f"pg-setup: set {var} to give {name!r} a password", file=sys.stderr)
            return 2
        logins.append((name, os.environ[var]))
    try:
        setup_roles(
            args.admin_url,
            args.database,
            args.loader_role,
            args.analyst_role,
            loader_password=loader_password,
            create_database=not args.no_create_database,
        )
        for name, password in logins:
            create_analyst_login(args.admin_url, name, password, args.analyst_role)
    except ValueError as exc:
        print(f"pg-setup: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # psycopg errors: report, no traceback with a DSN in it
        print(f"pg-setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"pg-setup: database {args.database}: schemas {', '.join(SCHEMAS)} owned by {args.loader_role}; "
        f"{args.analyst_role} reads {', '.join(ANALYST_SCHEMAS)}"
        + (f"; logins: {', '.join(n for n, _ in logins)}" if logins else "")
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="smartprov pg-setup",
            description="Create the PostgreSQL warehouse roles, schemas and privileges (idempotent).",
        )
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
