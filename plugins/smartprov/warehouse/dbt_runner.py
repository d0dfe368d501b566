"""Running the dbt project in-process, once per change of its inputs, one build at a time.

One target path per engine keeps dbt's partial parsing (switching targets in one
`target/` forces a full parse). The inputs are fingerprinted: the ledger's size and last
arrival, the dbt project's files, and today's date (submission status depends on
deadlines); a run whose fingerprint matches the last successful build skips dbt. Today is
`settings.today()`, passed to dbt in the environment variable SMARTPROV_AS_OF_DATE, not as a
`--vars` value: dbt re-parses the whole project whenever a var changes, which a new date
every night would cost; a changed environment variable re-parses only the files that read it.

A build is complete (every node) when the project's definition - its files and the vars
other than the date - differs from the last complete build's, or the marts are missing.
Otherwise the night only needs what depends on the rows: selector `nightly_data`
(dbt/selectors.yml) rebuilds the tables and runs the data tests, and leaves views, seeds,
their tests and the unit tests as the last complete build made and checked them.

Builds are serialised across processes and hosts: a session-level PostgreSQL advisory lock
held around the dbt invocation, the warehouse's writer lock on DuckDB. The fingerprint is
compared *after* taking the lock, against the last successful build recorded in the
warehouse itself (audit.dbt_builds), so a build that waited for another one skips when that
one already built the same inputs. In Airflow the building tasks also share the one-slot
pool BUILD_POOL (created by `airflow pools set`, see the Makefile and docker-compose.yml).

The warehouse password never enters os.environ: each invocation reads a profile generated
from dbt/profiles.yml with literal connection values, in a private temporary folder (0700,
file 0600) under PROFILES_HOME removed when dbt returns; a folder a killed run left (its
process is gone) is removed by the next invocation. Nor does it reach dbt's artifacts: dbt
copies this process's command line into run_results.json and dbt.log (`invocation_command`),
and `smartprov run --warehouse postgresql://loader:PW@…` would put the password there, so the
command line dbt sees has every URL password replaced by `***` while it runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.contract import deadlines
from smartprov.warehouse.connection import (
    PG_BUILD_LOCK_KEY,
    Warehouse,
    WarehouseBusy,
    WarehouseUrl,
    duckdb_writer_lock,
    lock_wait_seconds,
)

# The Airflow pool (one slot) every task that runs dbt is assigned to.
BUILD_POOL = "smartprov_build"
BUILDS_TABLE = "audit.dbt_builds"


class DbtBuildFailed(RuntimeError):
    pass


def dbt_paths(engine: str) -> tuple[Path, Path]:
    base = settings.var_dir() / "dbt"
    return base / f"target-{engine}", base / "logs"


def project_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(settings.dbt_dir().rglob("*")):
        rel = path.relative_to(settings.dbt_dir()).as_posix()
        if path.is_file() and not rel.startswith(("target", "logs", "dbt_packages", ".")):
            digest.update(rel.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _inputs_and_builds(
    warehouse_url: str, definition: str, today: dt.date | None = None
) -> tuple[str, bool, dict[str, Any]]:
    """(inputs fingerprint, whether the marts exist, the last build's fingerprint and the
    definition of the last complete build). The inputs: the ledger, the date and the project's
    `definition` (`definition_fingerprint`: its files and vars)."""
    with Warehouse(warehouse_url) as wh:
        wh.ensure_schema()
        wh.execute(
            f"CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} (fingerprint VARCHAR(64) NOT NULL, "
            "built_at TIMESTAMP NOT NULL, seconds DOUBLE PRECISION, host VARCHAR(255))"
        )
        # Added after the first release: the definition (project files and vars) of the last
        # complete build, which tells a night whether views, seeds and unit tests are current.
        wh.execute(f"ALTER TABLE {BUILDS_TABLE} ADD COLUMN IF NOT EXISTS definition VARCHAR(64)")
        count, last = wh.fetchall("SELECT count(*), max(received_at) FROM audit.submissions")[0]
        marts_exist = wh.table_exists("marts.province_masterplan_coverage")
        built = wh.fetchall(
            f"SELECT fingerprint, definition FROM {BUILDS_TABLE} ORDER BY built_at DESC LIMIT 1"
        )
    parts = [str(count), str(last), str(today or settings.today()), definition]
    fingerprint = hashlib.sha256("|".join(parts).encode()).hexdigest()
    previous = {"fingerprint": built[0][0] if built else None, "definition": built[0][1] if built else None}
    return fingerprint, marts_exist, previous


def definition_fingerprint(variables: dict[str, Any]) -> str:
    """What the views, seeds and unit tests depend on: the project's files and the vars
    (the reporting date is not a var: see the module docstring)."""
    text = project_fingerprint() + "|" + json.dumps(variables, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _record_build(
    warehouse_url: str, fingerprint: str, definition: str | None, started: dt.datetime, seconds: float
) -> None:
    with Warehouse(warehouse_url) as wh, wh.transaction():
        wh.execute(f"DELETE FROM {BUILDS_TABLE}")
        wh.execute(
            f"INSERT INTO {BUILDS_TABLE} (fingerprint, definition, built_at, seconds, host) VALUES (?, ?, ?, ?, ?)",
            (fingerprint, definition, started, seconds, socket.gethostname()[:255]),
        )


def _state_file(url: WarehouseUrl) -> Path:
    """This host's record of the dbt docs it generated (the docs are files on this host)."""
    key = hashlib.sha256(url.display().encode()).hexdigest()[:12]
    return settings.var_dir() / "dbt" / f"last-build-{url.engine}-{key}.json"


# -- the build lock ----------------------------------------------------------------------
@contextlib.contextmanager
def build_lock(warehouse_url: str, *, wait: float | None = None) -> Iterator[None]:
    """One dbt build at a time per warehouse, across processes and hosts; waits up to `wait`
    (default lock_wait_seconds()), then raises WarehouseBusy naming the holder."""
    url = WarehouseUrl.parse(warehouse_url)
    if url.engine == "duckdb":
        with duckdb_writer_lock(url.database, wait=wait):
            yield
        return
    import psycopg

    limit = lock_wait_seconds() if wait is None else max(0.0, wait)
    # A session of its own: the lock lives exactly as long as this connection, whatever dbt
    # does with its own connections, and dies with the process if the host goes down.
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        dbname=url.database,
        autocommit=True,
        application_name="smartprov dbt build lock",
        connect_timeout=10,
    ) as conn:
        deadline = time.monotonic() + limit
        attempt = 0
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (PG_BUILD_LOCK_KEY,)).fetchone()[0]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseBusy(
                    f"another dbt build holds warehouse {url.display()} ({_pg_lock_holder(conn)}); "
                    f"gave up after {limit:g} s (--wait)"
                )
            time.sleep(min(remaining, 0.1 * 2 ** min(attempt, 4)))
            attempt += 1
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (PG_BUILD_LOCK_KEY,))


def _pg_lock_holder(conn) -> str:
    row = conn.execute(
        """SELECT l.pid, a.client_addr::text, a.application_name FROM pg_locks l
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
                 SELECT oid FROM pg_database WHERE datname = current_database())
             AND ((l.classid::bigint << 32) | l.objid::bigint) = %s""",
        (PG_BUILD_LOCK_KEY,),
    ).fetchone()
    if not row:
        return "holder unknown"
    where = f" from {row[1]}" if row[1] else ""
    return f"server PID {row[0]}{where}"


# -- the per-invocation profile ----------------------------------------------------------
_ENV_VAR = re.compile(r"env_var\(\s*['\"](\w+)['\"]")


def _literal(value: str) -> str:
    """A value dbt's Jinja rendering leaves as it is."""
    if any(mark in value for mark in ("{{", "{%", "{#")):
        return "{% raw %}" + value + "{% endraw %}"
    return value


def profiles_home() -> Path:
    """The private folder (0700, this user's) holding the per-invocation profile folders."""
    home = Path(tempfile.gettempdir()) / f"smartprov-dbt-profiles-{os.getuid()}"
    home.mkdir(mode=0o700, exist_ok=True)
    st = home.lstat()
    if not home.is_dir() or home.is_symlink() or st.st_uid != os.getuid():
        raise PermissionError(f"{home} is not a private folder of this user: remove it")
    if st.st_mode & 0o077:
        home.chmod(0o700)
    return home


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_left_profiles(home: Path | None = None) -> list[str]:
    """Remove the profile folders of processes that are gone (a run killed while dbt ran)."""
    home = home or profiles_home()
    removed = []
    for entry in home.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    # Folders of versions before PROFILES_HOME (`$TMPDIR/smartprov-dbt-profile-*`, no PID in
    # the name): this user's, untouched for a day, are a killed run's.
    day_ago = time.time() - 86_400
    for entry in home.parent.glob("smartprov-dbt-profile-*"):
        try:
            st = entry.lstat()
        except OSError:
            continue
        if entry.is_dir() and not entry.is_symlink() and st.st_uid == os.getuid() and st.st_mtime < day_ago:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@/\s]+@")


def redacted_argv(argv: list[str], secrets: tuple[str, ...] = ()) -> list[str]:
    """`argv` with every URL password (and each of `secrets`, as typed or URL-quoted) as `***`."""
    from urllib.parse import quote

    out = []
    for arg in argv:
        arg = _URL_PASSWORD.sub(r"\1***@", arg)
        for secret in secrets:
            if secret:
                arg = arg.replace(secret, "***").replace(quote(secret, safe=""), "***")
        out.append(arg)
    return out


@contextlib.contextmanager
def _argv_without_secrets(url: WarehouseUrl) -> Iterator[None]:
    """dbt writes `sys.argv` into its artifacts and log: no password while it runs."""
    before = sys.argv
    sys.argv = redacted_argv(list(sys.argv), (url.password or "",))
    try:
        yield
    finally:
        sys.argv = before


@contextlib.contextmanager
def private_profile(url: WarehouseUrl) -> Iterator[Path]:
    """A profiles dir holding dbt/profiles.yml's target for `url`, with the connection
    values (password included) written literally: readable by this user only, removed after."""
    import yaml

    source = yaml.safe_load((settings.dbt_dir() / "profiles.yml").read_text(encoding="utf-8"))
    ((name, profile),) = ((k, v) for k, v in source.items() if k != "config")
    output = dict(profile["outputs"][url.dbt_target])
    values = url.dbt_env()
    for key, raw in list(output.items()):
        found = _ENV_VAR.search(raw) if isinstance(raw, str) else None
        if found and found.group(1) in values:
            value = values[found.group(1)]
            output[key] = int(value) if key == "port" else _literal(value)
    generated = {name: {"target": url.dbt_target, "outputs": {url.dbt_target: output}}}
    home = profiles_home()
    clean_left_profiles(home)
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=home))  # mode 0700
    try:
        path = folder / "profiles.yml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(generated, fh, sort_keys=False)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _analyst_role(url: WarehouseUrl) -> str:
    """The role the marts are granted to (dbt `grants`): PostgreSQL only, and only when it
    exists (a warehouse set up without `smartprov pg-setup` has none)."""
    if url.engine != "postgres":
        return ""
    from smartprov.warehouse.pg_roles import analyst_role

    role = analyst_role()
    with Warehouse(url_string(url)) as wh:
        exists = wh.fetchall("SELECT count(*) FROM pg_roles WHERE rolname = ?", (role,))[0][0]
    return role if exists else ""


def url_string(url: WarehouseUrl) -> str:
    from urllib.parse import quote

    if url.engine == "duckdb":
        return f"duckdb:///{url.database}"
    auth = quote(url.user or "", safe="")
    if url.password:
        auth += ":" + quote(url.password, safe="")
    return f"postgresql://{auth}@{url.host}:{url.port}/{quote(url.database, safe='')}"


# dbt commands that compile models, and so need the reporting date.
COMPILING_COMMANDS = frozenset({"build", "run", "test", "compile", "docs", "seed", "show", "parse"})


# The reporting date, as dbt's macro as_of_date() reads it when no `as_of_date` var is given.
AS_OF_DATE_ENV = "SMARTPROV_AS_OF_DATE"


def dbt_vars(today: dt.date | None = None) -> dict[str, Any]:
    """The vars every compiling command gets (the reporting date is not one of them: it goes
    in AS_OF_DATE_ENV, see `reporting_date`)."""
    out: dict[str, Any] = {}
    first_year = deadlines.load_deadlines()["EVALUASI"].first_year
    if first_year is not None:  # evaluations are expected from that year on
        out["first_year"] = first_year
    return out


def build_vars(url: WarehouseUrl, today: dt.date | None = None) -> dict[str, Any]:
    """The `--vars` of a compiling command: `dbt_vars` and the analysts' role."""
    return {"analyst_role": _analyst_role(url), **dbt_vars(today)}


@contextlib.contextmanager
def reporting_date(today: dt.date | None = None) -> Iterator[str]:
    """The reporting date from the package's one clock, in AS_OF_DATE_ENV while dbt runs, so
    that the marts never ask the database for `current_date`."""
    value = (today or settings.today()).isoformat()
    before = os.environ.get(AS_OF_DATE_ENV)
    os.environ[AS_OF_DATE_ENV] = value
    try:
        yield value
    finally:
        if before is None:
            os.environ.pop(AS_OF_DATE_ENV, None)
        else:
            os.environ[AS_OF_DATE_ENV] = before


def _first_line(exc: BaseException | None) -> str:
    text = str(exc or "").strip()
    return text.splitlines()[0] if text else ""


@contextlib.contextmanager
def _log_errors_quiet() -> Iterator[None]:
    """A log file dbt cannot write (a full disk) must not print a traceback per log line to
    the console: the failure itself is dbt's result, reported in one line."""
    import logging

    before = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        yield
    finally:
        logging.raiseExceptions = before


def invoke(
    args: list[str],
    warehouse_url: str,
    *,
    today: dt.date | None = None,
    variables: dict[str, Any] | None = None,
) -> Any:
    """Run one dbt command against the warehouse; raises DbtBuildFailed on failure.

    Compiling commands get `--vars` (`build_vars`, or `variables` when given) unless `args`
    pass their own, and the reporting date in AS_OF_DATE_ENV."""
    settings.quiet_tools()
    url = WarehouseUrl.parse(warehouse_url)
    target_path, log_path = dbt_paths(url.engine)
    from dbt.cli.main import dbtRunner

    extra: list[str] = []
    # Every command parses the project, whose staging refs the generated seed: a fresh
    # checkout has none yet (`source freshness` first failed with "node ... not found").
    deadlines.sync_seed()
    if "--vars" not in args:
        if variables is None:
            compiling = bool(args) and args[0] in COMPILING_COMMANDS
            variables = build_vars(url, today) if compiling else {"analyst_role": _analyst_role(url)}
        extra = ["--vars", json.dumps(variables, sort_keys=True)]
    with private_profile(url) as profiles_dir, reporting_date(today), _argv_without_secrets(url):
        full = [
            *args,
            *extra,
            # Nothing on the console: everything goes to the log file under --log-path, and a
            # failure is DbtBuildFailed's one line (a full disk printed 32,432 lines before).
            "--log-level",
            "none",
            "--log-level-file",  # given, or it would follow --log-level
            "debug",
            "--project-dir",
            str(settings.dbt_dir()),
            "--profiles-dir",
            str(profiles_dir),
            "--target",
            url.dbt_target,
            "--target-path",
            str(target_path),
            "--log-path",
            str(log_path),
        ]
        with _log_errors_quiet():
            result = dbtRunner().invoke(full)
    if not result.success:
        failures = []
        for r in getattr(result.result, "results", None) or []:
            if str(getattr(r, "status", "")).lower() in ("error", "fail"):
                failures.append(f"{r.node.unique_id}: {r.message}")
        detail = "; ".join(failures[:10]) or _first_line(result.exception) or "see its log"
        raise DbtBuildFailed(f"dbt {args[0]} failed: {detail} (dbt's log: {log_path / 'dbt.log'})")
    return result


def build_if_needed(warehouse_url: str, *, docs: bool = True, wait: float | None = None) -> dict[str, Any]:
    """Build the marts unless the last build (by any process or host) had the same inputs.
    On DuckDB, then publish the analysts' snapshot."""
    url = WarehouseUrl.parse(warehouse_url)
    waited = time.perf_counter()
    with build_lock(warehouse_url, wait=wait):
        waited = round(time.perf_counter() - waited, 1)
        today = settings.today()  # one date for the fingerprint and the build
        deadlines.sync_seed()  # the seed follows config/deadlines.yml (and changes the fingerprint)
        variables = build_vars(url, today)
        definition = definition_fingerprint(variables)
        fingerprint, marts_exist, previous = _inputs_and_builds(warehouse_url, definition, today)
        if marts_exist and previous["fingerprint"] == fingerprint:
            result: dict[str, Any] = {
                "built": False,
                "reason": "inputs unchanged since the last build",
                "waited_seconds": waited,
            }
            if url.engine == "duckdb" and not snapshot_path_for(url).exists():
                result["snapshot"] = publish_snapshot(url.database)
            return result
        complete = not marts_exist or previous["definition"] != definition
        result = _build(
            warehouse_url, url, fingerprint, docs=docs, today=today, variables=variables,
            definition=definition, complete=complete,
        )  # fmt: skip
        result["waited_seconds"] = waited
        if url.engine == "duckdb":
            result["snapshot"] = publish_snapshot(url.database)
        return result


def _build(
    warehouse_url: str,
    url: WarehouseUrl,
    fingerprint: str,
    *,
    docs: bool,
    today: dt.date,
    variables: dict[str, Any],
    definition: str,
    complete: bool,
) -> dict[str, Any]:
    state = _state_file(url)
    previous = json.loads(state.read_text()) if state.exists() else {}
    started = dt.datetime.now()
    with Warehouse(warehouse_url) as wh:
        wh.analyze()
    selection = [] if complete else ["--selector", "nightly_data"]
    invoke(["build", *selection], warehouse_url, today=today, variables=variables)
    target_path, _ = dbt_paths(url.engine)
    docs_index = None
    docs_for = previous.get("docs_project")
    if docs:
        index = target_path / "static_index.html"  # --static: opens from disk, no HTTP server
        # The docs describe the models and their columns, not the rows: regenerate them only
        # when the project changed (a `docs generate` costs a second dbt invocation).
        project = project_fingerprint()
        if docs_for != project or not index.exists() or not (target_path / "catalog.json").exists():
            invoke(["docs", "generate", "--static"], warehouse_url, today=today, variables=variables)
            docs_for = project
        docs_index = str(index)
    seconds = round((dt.datetime.now() - started).total_seconds(), 1)
    _record_build(warehouse_url, fingerprint, definition, started, seconds)
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps({"fingerprint": fingerprint, "built_at": started.isoformat(), "docs_project": docs_for})
    )
    return {
        "built": True,
        "complete": complete,  # False: selector nightly_data (the project is the last complete build's)
        "seconds": seconds,
        "docs": docs_index,
        "target": url.dbt_target,
    }


# -- the analysts' snapshot (DuckDB) -------------------------------------------------------
def snapshot_path_for(url: WarehouseUrl) -> Path:
    from smartprov.warehouse.connection import snapshot_path

    return snapshot_path(url.database)


def publish_snapshot(database: str | Path) -> str:
    from smartprov.warehouse.snapshot import publish

    return str(publish(database))
