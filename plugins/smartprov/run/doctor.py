"""`smartprov doctor`: is this deployment's configuration sound? One line per check, saying what
is wrong and how to fix it; exit 0 only when every check holds.

Each check reads the settings the pipeline itself reads (the environment, config/, the Airflow
Connections) and touches the real service: the warehouse (roles, the loader's rights), the
landing zone (a one-key listing), the mail relay (a session opened as a mail would be), then
what only files say: the public base URL of links, the deadline table, the publish config and
the time zone. Nothing is written anywhere, but for one probe object put into the shared store
(`SMARTPROV_SHARED_URL`), read back and deleted.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from smartprov import settings

# config/deadlines.yml as shipped: a date no province chose (every regency without a
# masterplan would be overdue since then).
PLACEHOLDER_MASTERPLAN_DUE = dt.date(2023, 12, 31)
PUBLIC_BASE_URL_ENV = "SMARTPROV_PUBLIC_BASE_URL"
PG_SETUP_FIX = (
    "run `smartprov pg-setup` as the superuser (compose: `docker compose up -d --force-recreate "
    "warehouse-init`); after a pg_restore it must run again"
)


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.check}: {self.detail}"
        return f"FAIL  {self.check}: {self.detail} -> {self.fix}"


def _passed(check: str, detail: str) -> Finding:
    return Finding(check, True, detail)


def _failed(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, False, detail, fix)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- the warehouse ----------------------------------------------------------------------
def _pg_connect(url: str):
    import psycopg

    from smartprov.warehouse import pg_roles

    return psycopg.connect(pg_roles.libpq_dsn(url), connect_timeout=10, autocommit=True)


def _connect_failed(check: str, exc: BaseException, fix: str) -> Finding:
    text = _first_line(exc)
    if "permission denied for database" in text:  # the role exists but has no CONNECT there
        database = text.rsplit("database", 1)[-1].strip(' "')
        return _failed(check, f"the login may not connect to database {database}", PG_SETUP_FIX)
    return _failed(check, f"cannot connect: {text}", fix)


def _engine(url: str) -> str:
    from smartprov.warehouse.connection import WarehouseUrl

    return WarehouseUrl.parse(url).engine


def check_warehouse(url: str | None = None) -> Finding:
    """Reachable, and (PostgreSQL) the loader and analyst roles exist."""
    url = url or settings.warehouse_url()
    name = "warehouse"
    try:
        engine = _engine(url)
    except ValueError as exc:
        return _failed(name, _first_line(exc), "set SMARTPROV_WAREHOUSE_URL to postgresql://… or duckdb:///…")
    if engine == "duckdb":
        folder = Path(url.split(":///", 1)[-1]).parent
        if not os.access(folder if folder.exists() else folder.parent, os.W_OK):
            return _failed(
                name, f"DuckDB folder {folder} is not writable", "give the pipeline's user that folder"
            )
        return _passed(name, f"DuckDB file under {folder}")
    from smartprov.warehouse import pg_roles

    wanted = [pg_roles.LOADER_ROLE, pg_roles.analyst_role()]
    try:
        with _pg_connect(url) as conn:
            rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (wanted,)).fetchall()
            where = conn.execute("SELECT current_database(), current_user").fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return _connect_failed(
            name,
            exc,
            "check SMARTPROV_WAREHOUSE_URL (host, port, database) and the loader's password (PGPASSFILE)",
        )
    missing = [role for role in wanted if role not in {r[0] for r in rows}]
    if missing:
        return _failed(name, f"role(s) {', '.join(missing)} missing in {where[0]}", PG_SETUP_FIX)
    return _passed(name, f"PostgreSQL database {where[0]} as {where[1]}; roles {', '.join(wanted)} in place")


def check_loader_rights(url: str | None = None) -> Finding:
    """The pipeline's login may connect, create and make temporary tables in the database,
    and owns every schema it writes (what pg-setup grants; a restore into a new database
    loses the database-level grants)."""
    url = url or settings.warehouse_url()
    name = "loader rights"
    try:
        if _engine(url) == "duckdb":
            return _passed(name, "DuckDB: no roles")
    except ValueError:
        return _failed(name, "no warehouse URL to check", "fix the warehouse check first")
    from smartprov.warehouse import pg_roles

    try:
        with _pg_connect(url) as conn:
            user, database = conn.execute("SELECT current_user, current_database()").fetchone()
            lacking = [
                right
                for right in ("CONNECT", "CREATE", "TEMPORARY")
                if not conn.execute(
                    "SELECT has_database_privilege(current_database(), %s)", (right,)
                ).fetchone()[0]
            ]
            owners = dict(
                conn.execute(
                    "SELECT n.nspname, r.rolname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner"
                    " WHERE n.nspname = ANY(%s)",
                    (list(pg_roles.SCHEMAS),),
                ).fetchall()
            )
    except Exception as exc:  # noqa: BLE001
        return _connect_failed(name, exc, "fix the warehouse check first")
    problems = []
    if lacking:
        problems.append(f"{user} lacks {', '.join(lacking)} on database {database}")
    missing = [s for s in pg_roles.SCHEMAS if s not in owners]
    if missing:
        problems.append(f"schema(s) {', '.join(missing)} missing")
    foreign = [f"{s} ({owner})" for s, owner in owners.items() if owner != user]
    if foreign:
        problems.append(f"schema(s) not owned by {user}: {', '.join(sorted(foreign))}")
    if problems:
        return _failed(name, "; ".join(problems), PG_SETUP_FIX)
    return _passed(name, f"{user} connects, creates and owns {', '.join(pg_roles.SCHEMAS)} in {database}")


# -- the landing zone ---------------------------------------------------------------------
def check_landing(url: str | None = None) -> Finding:
    """The landing zone can be listed with the pipeline's own credential."""
    url = url or settings.landing_url()
    name = "landing zone"
    if "://" not in url or url.startswith("file://"):
        folder = Path(url.removeprefix("file://"))
        if not folder.is_dir():
            return _failed(name, f"folder {folder} does not exist", "create it or set SMARTPROV_LANDING_URL")
        if not os.access(folder, os.R_OK | os.X_OK):
            return _failed(name, f"folder {folder} is not readable", "give the pipeline's user read access")
        return _passed(name, f"folder {folder} readable")
    from smartprov.ingest.object_landing import ObjectLanding

    try:
        landing = ObjectLanding(url)
        lead = landing.prefix + "/" if landing.prefix else ""
        landing.client.list_objects_v2(Bucket=landing.bucket, Prefix=lead, MaxKeys=1)
    except Exception as exc:  # noqa: BLE001 - a bad URL, a missing Connection, a refused key
        return _failed(
            name,
            f"{url} cannot be listed: {_first_line(exc)}",
            "check the bucket (LANDING_BUCKET) and the smartprov_landing Connection's key and endpoint",
        )
    return _passed(name, f"{url} listed with connection {landing.conn_id}")


# -- this host's folders -------------------------------------------------------------------
def _writable(folder: Path) -> bool:
    """The folder, or the nearest existing parent it would be made in, is writable."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def check_folders(folders: dict[str, Path] | None = None) -> Finding:
    """The folders runs write (var, quarantine, run reports) are writable by this user: a
    fresh volume owned by root makes every run fail at its first report."""
    name = "folders"
    folders = folders or {
        "SMARTPROV_VAR_DIR": settings.var_dir(),
        "SMARTPROV_QUARANTINE_DIR": settings.quarantine_dir(),
        "SMARTPROV_REPORTS_DIR": settings.reports_dir(),
    }
    closed = [f"{variable} {folder}" for variable, folder in folders.items() if not _writable(Path(folder))]
    if closed:
        return _failed(
            name,
            f"not writable by uid {os.getuid()}: {', '.join(closed)}",
            "give the pipeline's user those folders (compose: `docker compose up -d --force-recreate airflow-init`)",
        )
    return _passed(name, ", ".join(str(folder) for folder in folders.values()) + " writable")


# -- shared storage -------------------------------------------------------------------------
def check_shared_store() -> Finding:
    """With SMARTPROV_SHARED_URL set, quarantine and reports can be written, read back and
    listed there (a probe object, deleted again); unset, this host's folders serve."""
    import socket

    from smartprov.ingest import shared_store

    name = "shared store"
    url = shared_store.shared_url()
    if url is None:
        return _passed(
            name,
            f"{shared_store.SHARED_URL_ENV} not set: quarantine and reports stay in this host's folders"
            " (one worker; set it when tasks run on several)",
        )
    fix = (
        f"check {shared_store.SHARED_URL_ENV} (s3://bucket/prefix or a mounted folder) and, for S3, the"
        f" {shared_store.SHARED_CONN_ID} Connection (else smartprov_landing): key, endpoint, write rights"
    )
    key = f"_doctor/probe-{socket.gethostname()}-{os.getpid()}.txt"
    body = f"smartprov doctor {settings.wib()}".encode()
    try:
        stores = [shared_store.quarantine_store(), shared_store.reports_store()]
        for store in stores:
            store.put_bytes(key, body)
            try:
                if store.get_bytes(key) != body:
                    return _failed(name, f"{store.location(key)} read back other bytes", fix)
                if key not in {o.key for o in store.list("_doctor")}:
                    return _failed(name, f"{store.location(key)} written but not listed", fix)
            finally:
                store.delete(key)
    except Exception as exc:  # noqa: BLE001 - a bad URL, a missing Connection, a refused key
        return _failed(name, f"{url} cannot be written: {_first_line(exc)}", fix)
    where = ", ".join(s.url for s in stores)
    via = f" with connection {stores[0].conn_id}" if getattr(stores[0], "conn_id", None) else ""
    return _passed(name, f"{where} written, read and listed{via}")


# -- mail and links -------------------------------------------------------------------------
def _alert_config():
    from smartprov.alerts import AlertConfig

    return AlertConfig.load()


def check_smtp() -> Finding:
    """A session to the relay opens as a mail's would (TLS, login), and there is a sender."""
    name = "mail relay"
    try:
        cfg = _alert_config()
    except Exception as exc:  # noqa: BLE001 - a malformed alerts config
        return _failed(
            name, f"alerts config: {_first_line(exc)}", "fix config/alerts.yml or SMARTPROV_ALERTS_*"
        )
    if not (cfg.enabled and cfg.email_enabled):
        return _passed(name, "e-mail is off (SMARTPROV_ALERTS_EMAIL_ENABLED=false): nothing to check")
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from smartprov import connections
    from smartprov.contract.email import is_email

    conn_id = cfg.smtp_conn_id
    if not connections.connection_defined(conn_id):
        return _failed(
            name, f"connection {conn_id} is not defined", f"set AIRFLOW_CONN_{conn_id.upper()} (site.env)"
        )
    hook = SmtpHook(smtp_conn_id=conn_id)
    try:
        hook.smtp_connection = hook.get_connection(conn_id)
        with hook as session:
            session._smtp_client.noop()
        relay = f"{hook.smtp_connection.host}:{hook.smtp_connection.port}"
    except Exception as exc:  # noqa: BLE001 - refused, TLS, login: all say the same
        return _failed(
            name,
            f"relay of {conn_id} refused the session: {_first_line(exc)}",
            f"check host, port, TLS and login of AIRFLOW_CONN_{conn_id.upper()}",
        )
    sender = cfg.from_email or hook.from_email
    if not sender or not is_email(sender):
        return _failed(
            name,
            f"relay {relay} answers, but the sender {sender!r} is not an address",
            "set SMARTPROV_ALERTS_FROM (site.env) to the province's sending address",
        )
    return _passed(name, f"relay {relay} answers; sender {sender}")


def check_public_base_url(env: dict[str, str] | None = None) -> Finding:
    """The address links in mails start with: absolute http(s), reachable by their readers
    (not this host's loopback)."""
    env = dict(os.environ) if env is None else env
    name = "public base URL"
    value = (env.get(PUBLIC_BASE_URL_ENV) or "").strip()
    fix = f"set {PUBLIC_BASE_URL_ENV} to the https:// address regencies and analysts open"
    if not value:
        return _failed(name, f"{PUBLIC_BASE_URL_ENV} is not set: links in mails would point nowhere", fix)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _failed(name, f"{value!r} is not an http(s) URL", fix)
    if parts.hostname in ("localhost", "::1") or parts.hostname.startswith("127."):
        return _failed(name, f"{value} is this host's loopback: readers elsewhere cannot open it", fix)
    return _passed(name, value)


# -- files ---------------------------------------------------------------------------------
def check_deadlines(path: str | Path | None = None) -> Finding:
    """The deadline table loads and its masterplan date is the province's, not the placeholder."""
    from smartprov.contract import deadlines

    name = "deadlines"
    where = Path(path or settings.config_dir() / deadlines.DEADLINES_FILE)
    try:
        table = deadlines.load_deadlines(where)
    except Exception as exc:  # noqa: BLE001
        return _failed(name, _first_line(exc), f"fix {where}")
    due = table["MASTERPLAN"].date
    if due == PLACEHOLDER_MASTERPLAN_DUE:
        return _failed(
            name,
            f"MASTERPLAN due {due} is the shipped placeholder: every regency without a masterplan is overdue",
            f"put the province's masterplan due date in {where} (MASTERPLAN: {{date: YYYY-MM-DD}})",
        )
    return _passed(name, f"masterplan due {due}; evaluations yearly ({where})")


def check_publish(path: str | Path | None = None) -> Finding:
    """The open-data publish config, when there is one, is valid."""
    from smartprov.publish import config as publish_config

    name = "publish config"
    try:
        cfg = publish_config.load(path)
    except Exception as exc:  # noqa: BLE001
        return _failed(name, _first_line(exc), "fix config/publish.yml (docs/open-data.md)")
    if cfg is None:
        return _passed(name, "no config/publish.yml: publishing is off")
    target = f", to CKAN {cfg.ckan.url}" if cfg.ckan else ""
    return _passed(name, f"{len(cfg.datasets)} dataset(s) for province {cfg.province}{target}")


def check_timezone(airflow_timezone: str | None = None) -> Finding:
    """Asia/Jakarta everywhere: the package's clock and Airflow's default time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = "time zone"
    zone = settings.timezone()
    try:
        ZoneInfo(zone)
    except ZoneInfoNotFoundError:
        return _failed(name, f"no time zone data for {zone}", "install tzdata (apt or pip)")
    if airflow_timezone is None:
        airflow_timezone = os.environ.get("AIRFLOW__CORE__DEFAULT_TIMEZONE")
    if airflow_timezone is None:
        try:
            from airflow.configuration import conf

            airflow_timezone = conf.get("core", "default_timezone")
        except Exception:  # noqa: BLE001 - Airflow's configuration unreadable
            airflow_timezone = "utc"
    if airflow_timezone.strip().lower() != zone.lower():
        return _failed(
            name,
            f"Airflow's default time zone is {airflow_timezone}, not {zone}: schedules would drift",
            f"set AIRFLOW__CORE__DEFAULT_TIMEZONE={zone}",
        )
    return _passed(name, f"{zone} (today {settings.today()})")


CHECKS: tuple[Callable[[], Finding], ...] = (
    check_warehouse,
    check_loader_rights,
    check_landing,
    check_folders,
    check_shared_store,
    check_smtp,
    check_public_base_url,
    check_deadlines,
    check_publish,
    check_timezone,
)


def run_checks(checks: tuple[Callable[[], Finding], ...] = CHECKS) -> list[Finding]:
    return [check() for check in checks]


def main(print_line: Callable[[str], None] = print) -> int:
    findings = run_checks()
    for finding in findings:
        print_line(finding.line())
    failed = sum(not f.ok for f in findings)
    print_line(
        f"doctor: {len(findings) - failed} of {len(findings)} checks hold" + ("" if failed else ": ready")
    )
    return 1 if failed else 0
