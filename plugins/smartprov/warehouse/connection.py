"""The warehouse connection: DuckDB (embedded default) or PostgreSQL (production).

Both engines get the same tables (`smartprov.warehouse.schema`) and the same operations. A
submission is written in one transaction: its ledger row, its findings and its raw rows
arrive together or not at all. DuckDB is driven through its native API and PostgreSQL
through psycopg's COPY (see shared/notes/stack-facts.md for why not SQLAlchemy).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from smartprov.warehouse import schema

DEFAULT_WAREHOUSE_URL = "duckdb:///var/warehouse.duckdb"
# Arbitrary but fixed: every smartprov loader takes this PostgreSQL advisory lock.
PG_LOAD_LOCK_KEY = 0x5_3A_57_0F
PG_DDL_LOCK_KEY = PG_LOAD_LOCK_KEY + 1


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


def warehouse_url_from_env() -> str:
    return os.environ.get("SMARTPROV_WAREHOUSE_URL") or DEFAULT_WAREHOUSE_URL


class Warehouse:
    """One open connection to the warehouse. Not thread-safe; one per process."""

    def __init__(self, url: str):
        self.url = WarehouseUrl.parse(url)
        self.engine = self.url.engine
        if self.engine == "duckdb":
            import duckdb

            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(self.url.database)
        else:
            import psycopg

            self._con = psycopg.connect(
                host=self.url.host,
                port=self.url.port,
                user=self.url.user,
                password=self.url.password,
                dbname=self.url.database,
                autocommit=True,
            )

    # -- plumbing ------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

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
        self.execute("SELECT pg_advisory_lock(?)", (PG_LOAD_LOCK_KEY,))
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (PG_LOAD_LOCK_KEY,))

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
    def known_hashes(self) -> set[str]:
        return {r[0] for r in self.fetchall("SELECT file_sha256 FROM audit.submissions")}

    def stored_submission_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these submission ids the ledger already holds."""
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self.fetchall(
            f"SELECT submission_id FROM audit.submissions WHERE submission_id IN ({marks})", ids
        )
        return {r[0] for r in rows}

    def current_masterplan_codes(self) -> dict[str, list[str]]:
        """Program codes of every regency's current accepted masterplan (region -> codes), in
        one query: the ordering of `current_masterplan_programs`."""
        rows = self.fetchall(
            """
            WITH ranked AS (
                SELECT region_code, submission_id, row_number() OVER (
                    PARTITION BY region_code
                    ORDER BY document_date DESC, received_at DESC, submission_id DESC) AS n
                FROM audit.submissions
                WHERE kind = 'MASTERPLAN' AND status = 'accepted' AND region_code IS NOT NULL)
            SELECT r.region_code, p.program_code
            FROM ranked r JOIN raw.masterplan_programs p ON p.submission_id = r.submission_id
            WHERE r.n = 1"""
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
        """Programs of the regency's current accepted masterplan, or None when it has none.

        "Current" = latest tanggal_dokumen, then latest arrival: the same ordering as the
        dbt model int_masterplans_current.
        """
        rows = self.fetchall(
            """
            SELECT submission_id FROM audit.submissions
            WHERE region_code = ? AND kind = 'MASTERPLAN' AND status = 'accepted'
            ORDER BY document_date DESC, received_at DESC, submission_id DESC
            LIMIT 1""",
            (region_code,),
        )
        if not rows:
            return None
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
