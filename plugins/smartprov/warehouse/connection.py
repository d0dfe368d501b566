"""The warehouse connection: DuckDB (embedded default) or PostgreSQL (production).

Both engines get the same tables (`smartprov.warehouse.schema`) and the same operations. A
submission is written in one transaction: its ledger row, its findings and its raw rows
arrive together or not at all. DuckDB is driven through its native API and PostgreSQL
through psycopg's COPY: SQLAlchemy's duckdb dialect cannot reflect existing tables (a
second `to_sql` on one file fails), and COPY loads PostgreSQL about ten times faster.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from smartprov.warehouse import schema

log = logging.getLogger(__name__)

# Arbitrary but fixed: every smartprov loader takes this PostgreSQL advisory lock.
PG_LOAD_LOCK_KEY = 0x5_3A_57_0F
PG_DDL_LOCK_KEY = PG_LOAD_LOCK_KEY + 1
PG_BUILD_LOCK_KEY = PG_LOAD_LOCK_KEY + 2

# How long a writer waits for the DuckDB warehouse (another run, a dbt build, a tool that
# opened the loader's file) before giving up with WarehouseBusy. The CLI's --wait sets it
# through the environment, so the DAG's tasks and every child process read the same limit.
ENV_LOCK_WAIT = "SMARTPROV_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 300.0


def current_masterplan_sql(region_code: str | None = None) -> str:
    """(region_code, submission_id, email_kontak) of each regency's current accepted
    masterplan in the ledger (one `?` parameter, the region, when `region_code` is given)."""
    one = " AND region_code = ?" if region_code else ""
    return f"""SELECT region_code, submission_id, email_kontak FROM (
        SELECT region_code, submission_id, email_kontak, row_number() OVER (
            PARTITION BY region_code
            ORDER BY document_date DESC, received_at DESC, submission_id DESC) AS n
        FROM audit.submissions
        WHERE kind = 'MASTERPLAN' AND status = 'accepted' AND region_code IS NOT NULL{one}) ranked
    WHERE n = 1"""


class WarehouseUnavailable(RuntimeError):
    """An expected condition that stops a run: the message is one line, for people."""


class WarehouseBusy(WarehouseUnavailable):
    """Another process holds the DuckDB warehouse's write lock beyond the wait limit."""


def lock_wait_seconds() -> float:
    raw = os.environ.get(ENV_LOCK_WAIT, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        return DEFAULT_LOCK_WAIT_SECONDS


def set_lock_wait(seconds: float) -> None:
    os.environ[ENV_LOCK_WAIT] = str(max(0.0, float(seconds)))


def snapshot_path(database: str | Path) -> Path:
    """The analysts' read-only copy of a DuckDB warehouse's marts, next to the loader's file:
    var/warehouse.duckdb -> var/warehouse.snapshot.duckdb."""
    path = Path(database)
    return path.with_name(f"{path.stem}.snapshot{path.suffix or '.duckdb'}")


def pg_lock_holder(fetchall, key: int) -> str:
    """`server PID 123 from 10.0.0.5 (smartprov …)` for PostgreSQL advisory lock `key`;
    `fetchall(sql, params)` runs a query with %s parameters."""
    rows = fetchall(
        """SELECT l.pid, a.client_addr::text, a.application_name FROM pg_locks l
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
                 SELECT oid FROM pg_database WHERE datname = current_database())
             AND ((l.classid::bigint << 32) | l.objid::bigint) = %s""",
        (key,),
    )
    if not rows:
        return "holder unknown"
    pid, addr, app = rows[0]
    where = f" from {addr}" if addr else ""
    return f"server PID {pid}{where}" + (f", {app}" if app else "")


# -- the DuckDB writer lock ---------------------------------------------------------------
# DuckDB lets one process write a file; a second writer fails at once. Every smartprov writer
# (loader connections, dbt builds) first takes an flock on `<file>.lock` and waits for it;
# the holder writes its PID and command line into it, so a waiter can say who holds it.
# Re-entrant within a process (a run opens the warehouse again while it builds).
_held_locks: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth)


def _holder_of(lock_path: Path) -> str:
    try:
        text = lock_path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0] if text else "another process"


def _duckdb_holder(message: str) -> str:
    """`… Conflicting lock is held in /usr/bin/python3 (PID 1234) …` -> `PID 1234 (/usr/bin/python3)`."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    if found:
        return f"PID {found.group(2)} ({found.group(1)})"
    found = re.search(r"PID (\d+)", message)
    return f"PID {found.group(1)}" if found else "another process"


def _deadline(wait: float | None) -> float:
    return time.monotonic() + (lock_wait_seconds() if wait is None else max(0.0, wait))


def _sleep_until_retry(deadline: float, attempt: int) -> bool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    time.sleep(min(remaining, 0.05 * 2 ** min(attempt, 5)))
    return True


@contextlib.contextmanager
def duckdb_writer_lock(database: str | Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock (waiting up to `wait`, default lock_wait_seconds())."""
    import fcntl

    lock_path = Path(str(Path(database).resolve()) + ".lock")
    key = str(lock_path)
    if key in _held_locks:
        fd, depth = _held_locks[key]
        _held_locks[key] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _held_locks[key]
            _held_locks[key] = (fd, depth - 1)
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, attempt, told = _deadline(wait), 0, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    log.warning("warehouse %s is busy (%s): waiting", database, _holder_of(lock_path))
                    told = True
                if not _sleep_until_retry(deadline, attempt):
                    raise WarehouseBusy(
                        f"warehouse {database} is locked by {_holder_of(lock_path)}; "
                        f"gave up after {lock_wait_seconds() if wait is None else wait:g} s (--wait)"
                    ) from None
                attempt += 1
        os.ftruncate(fd, 0)
        # PID and program only: a command line can carry URLs with credentials.
        program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
        os.pwrite(fd, f"PID {os.getpid()} ({program} on {socket.gethostname()})\n".encode(), 0)
        _held_locks[key] = (fd, 1)
        try:
            yield
        finally:
            del _held_locks[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# DuckDB files this process keeps open for a whole run (`held_open`): resolved path -> connection.
_held_databases: dict[str, Any] = {}


def connect_duckdb(database: str | Path, *, read_only: bool = False, wait: float | None = None):
    """duckdb.connect, waiting while another process holds the file's lock. A file this process
    holds open (`held_open`) gets a new connection to the open database, read-only asked or not
    (DuckDB refuses a second, differently configured open of one file in one process)."""
    held = _held_databases.get(str(Path(database).resolve())) if _held_databases else None
    if held is not None:
        return held.cursor()
    import duckdb

    deadline, attempt, told = _deadline(wait), 0, False
    while True:
        try:
            return duckdb.connect(str(database), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
                raise WarehouseUnavailable(f"cannot open warehouse {database}: {first}") from None
            if not told:
                log.warning("warehouse %s is held by %s: waiting", database, _duckdb_holder(message))
                told = True
            if not _sleep_until_retry(deadline, attempt):
                raise WarehouseBusy(
                    f"warehouse {database} is locked by {_duckdb_holder(message)}; "
                    f"gave up after {lock_wait_seconds() if wait is None else wait:g} s (--wait)"
                ) from None
            attempt += 1


@contextlib.contextmanager
def held_open(warehouse_url: str) -> Iterator[None]:
    """Keep an embedded (DuckDB) warehouse open while a whole run uses it.

    Every step opens the warehouse several times; opening a DuckDB file reads its catalogue
    and closing the last connection checkpoints it: ~35 ms each on a province's warehouse,
    most of a one-second night with nothing new. Held open, each later open is a new
    connection to the open database. The writer lock is held for as long: another writer
    waits (up to --wait) for the run rather than for its next step. PostgreSQL: nothing to do."""
    url = WarehouseUrl.parse(warehouse_url)
    key = str(Path(url.database).resolve()) if url.engine == "duckdb" else ""
    if url.engine != "duckdb" or key in _held_databases:
        yield
        return
    with Warehouse(warehouse_url) as keeper:
        _held_databases[key] = keeper._con
        try:
            yield
        finally:
            _held_databases.pop(key, None)


@dataclass(frozen=True)
class WarehouseUrl:
    engine: str  # "duckdb" | "postgres"
    database: str  # DuckDB file path, or PostgreSQL database name
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> WarehouseUrl:
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme == "duckdb":
            # duckdb:///relative/path and duckdb:////absolute/path, as SQLAlchemy reads them.
            path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
            if not path:
                raise ValueError(f"DuckDB warehouse URL needs a file path: {url!r}")
            return cls("duckdb", path)
        if scheme in ("postgresql", "postgres"):
            return cls(
                "postgres",
                database=unquote(parts.path.lstrip("/")) or "postgres",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
            )
        raise ValueError(
            f"Unsupported warehouse URL {url!r}: use duckdb:///path/file.duckdb or postgresql+psycopg://…"
        )

    def display(self) -> str:
        """The URL without its password, for reports and logs."""
        if self.engine == "duckdb":
            return f"duckdb:///{self.database}"
        user = f"{self.user}@" if self.user else ""
        return f"postgresql+psycopg://{user}{self.host}:{self.port}/{self.database}"

    def dbt_env(self) -> dict[str, str]:
        """Environment for the dbt profile (dbt/profiles.yml) pointing at this warehouse."""
        if self.engine == "duckdb":
            return {"SMARTPROV_DUCKDB_PATH": str(Path(self.database).resolve())}
        return {
            "SMARTPROV_PG_HOST": self.host or "127.0.0.1",
            "SMARTPROV_PG_PORT": str(self.port or 5432),
            "SMARTPROV_PG_USER": self.user or "postgres",
            "SMARTPROV_PG_PASSWORD": self.password or "",
            "SMARTPROV_PG_DBNAME": self.database,
        }

    @property
    def dbt_target(self) -> str:
        return self.engine


class Warehouse:
    """One open connection to the warehouse. Not thread-safe; one per process.

    On DuckDB a writing connection holds the writer lock for its lifetime, waiting for it up
    to lock_wait_seconds(); `read_only=True` opens the file as a reader (the snapshot).
    """

    def __init__(self, url: str, *, read_only: bool = False):
        self.url = WarehouseUrl.parse(url)
        self.engine = self.url.engine
        self._lock: contextlib.ExitStack | None = None
        if self.engine == "duckdb":
            if read_only:
                if not Path(self.url.database).exists():
                    raise WarehouseUnavailable(f"warehouse {self.url.database} does not exist yet")
                self._con = connect_duckdb(self.url.database, read_only=True)
                return
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self._lock = contextlib.ExitStack()
            self._lock.enter_context(duckdb_writer_lock(self.url.database))
            try:
                self._con = connect_duckdb(self.url.database)
            except BaseException:
                self._lock.close()
                raise
        else:
            import psycopg

            try:
                self._con = psycopg.connect(
                    host=self.url.host,
                    port=self.url.port,
                    user=self.url.user,
                    password=self.url.password,
                    dbname=self.url.database,
                    autocommit=True,
                    connect_timeout=10,
                )
            except psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise WarehouseUnavailable(
                    f"warehouse {self.url.display()} is unreachable: {first}"
                ) from None

    # -- plumbing ------------------------------------------------------------------
    def close(self) -> None:
        try:
            self._con.close()
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.engine == "duckdb":
            self._con.execute(sql, list(params))
        else:
            with self._con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a query; `?` marks parameters on both engines."""
        if self.engine == "duckdb":
            return self._con.execute(sql, list(params)).fetchall()
        with self._con.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchall()

    def query_df(self, sql: str, params: Sequence[Any] = ()):
        import pandas as pd

        if self.engine == "duckdb":
            return self._con.execute(sql, list(params)).df()
        with self._con.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            cols = [d.name for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.engine == "duckdb":
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")
        else:
            with self._con.transaction():
                yield

    @contextlib.contextmanager
    def load_lock(self) -> Iterator[None]:
        """Serialise loaders: two runs at once never load the same file twice.

        DuckDB allows one writing process per file, so the file itself is the lock.
        """
        if self.engine == "duckdb":
            yield
            return
        # Tried, not waited for in the server: --wait (lock_wait_seconds) bounds the wait, and
        # the message names who holds it.
        limit = lock_wait_seconds()
        deadline, attempt, told = time.monotonic() + limit, 0, False
        while not self.fetchall("SELECT pg_try_advisory_lock(?)", (PG_LOAD_LOCK_KEY,))[0][0]:
            if not told:
                log.warning(
                    "warehouse %s is loading in another run (%s): waiting",
                    self.url.display(),
                    self.lock_holder(PG_LOAD_LOCK_KEY),
                )
                told = True
            if not _sleep_until_retry(deadline, attempt):
                raise WarehouseBusy(
                    f"another run is loading warehouse {self.url.display()} ({self.lock_holder(PG_LOAD_LOCK_KEY)}); "
                    f"gave up after {limit:g} s (--wait)"
                )
            attempt += 1
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (PG_LOAD_LOCK_KEY,))

    def lock_holder(self, key: int) -> str:
        """Who holds PostgreSQL advisory lock `key` in this database, in words."""
        return pg_lock_holder(lambda sql, params: self.fetchall(sql.replace("%s", "?"), params), key)

    def table_exists(self, qualified: str) -> bool:
        sch, name = qualified.split(".")
        rows = self.fetchall(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            (sch, name),
        )
        return rows[0][0] > 0

    def ensure_schema(self) -> None:
        if self.engine == "duckdb":
            for stmt in schema.ddl_statements():
                self.execute(stmt)
            return
        # Concurrent CREATE … IF NOT EXISTS can still collide in PostgreSQL's catalogs.
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (PG_DDL_LOCK_KEY,))
            for stmt in schema.ddl_statements():
                self.execute(stmt)

    def analyze(self) -> None:
        """Refresh the planner's statistics of the loaded tables (PostgreSQL). A night's load
        can multiply a table's size before autovacuum looks at it, and the dbt models' joins
        over views planned on empty-table estimates run for minutes instead of milliseconds."""
        if self.engine == "postgres":
            for table in schema.TABLES:
                self.execute(f"ANALYZE {table}")

    # -- bulk insert ---------------------------------------------------------------
    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows (dicts keyed by column) into `table`, inside the caller's transaction."""
        if not rows:
            return
        columns = schema.columns_of(table)
        if self.engine == "duckdb":
            import pandas as pd

            frame = pd.DataFrame.from_records(rows, columns=columns)
            self._con.register("_smartprov_rows", frame)
            try:
                self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _smartprov_rows")
            finally:
                self._con.unregister("_smartprov_rows")
            return
        col_list = ", ".join(columns)
        with self._con.cursor() as cur, cur.copy(f"COPY {table} ({col_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(c) for c in columns])

    # -- ledger --------------------------------------------------------------------
    def stored_submission_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these submission ids the ledger already holds."""
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self.fetchall(
            f"SELECT submission_id FROM audit.submissions WHERE submission_id IN ({marks})", ids
        )
        return {r[0] for r in rows}

    def current_masterplans(self, region_code: str | None = None) -> dict[str, tuple[str, str | None]]:
        """region -> (submission id, email_kontak) of each regency's current accepted masterplan
        (of one regency when `region_code` is given), from the ledger, so that a load sees the
        masterplans written earlier in the same run. "Current" = latest tanggal_dokumen, then
        latest arrival: the ordering of the dbt model int_masterplans_current."""
        return {
            region: (sid, contact)
            for region, sid, contact in self.fetchall(
                current_masterplan_sql(region_code), (region_code,) if region_code else ()
            )
        }

    def current_masterplan_codes(self) -> dict[str, list[str]]:
        """Program codes of every regency's current accepted masterplan (region -> codes), in
        one query."""
        rows = self.fetchall(
            f"""SELECT c.region_code, p.program_code
                FROM ({current_masterplan_sql()}) c
                JOIN raw.masterplan_programs p ON p.submission_id = c.submission_id"""
        )
        out: dict[str, list[str]] = {}
        for region, code in rows:
            out.setdefault(region, []).append(code)
        return out

    def known_arrivals(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.fetchall("SELECT file_sha256, path FROM audit.file_arrivals")}

    def record_arrivals(self, arrivals: list[tuple[str, str]], run_id: str, seen_at: dt.datetime) -> None:
        rows = [
            {"file_sha256": sha, "path": path, "first_seen_at": seen_at, "run_id": run_id}
            for sha, path in arrivals
        ]
        with self.transaction():
            self.insert_rows("audit.file_arrivals", rows)

    def current_masterplan_programs(self, region_code: str):
        """Programs of the regency's current accepted masterplan (`current_masterplans`), or
        None when it has none."""
        current = self.current_masterplans(region_code).get(region_code)
        if current is None:
            return None
        rows = [current]
        programs = self.query_df(
            """SELECT program_code, year_start, year_end, budget_idr
               FROM raw.masterplan_programs WHERE submission_id = ?""",
            (rows[0][0],),
        )
        # Version 2: the masterplan's money per year, {year: rupiah} per program ({} for version 1).
        by_code: dict[str, dict[int, float]] = {}
        budgets = (
            self.fetchall(
                """SELECT program_code, budget_year, budget_idr
                   FROM raw.masterplan_program_budgets WHERE submission_id = ?""",
                (rows[0][0],),
            )
            if self.table_exists("raw.masterplan_program_budgets")  # a warehouse older than version 2
            else []
        )
        for code, year, amount in budgets:
            by_code.setdefault(code, {})[int(year)] = float(amount)
        programs["year_budgets"] = [by_code.get(c, {}) for c in programs["program_code"]]
        return programs
