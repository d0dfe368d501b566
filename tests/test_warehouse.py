"""The warehouse layer on a real DuckDB file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest

from pg import fresh_database
from smartprov.warehouse import schema
from smartprov.warehouse.connection import Warehouse, WarehouseUrl


def test_urls_parse_and_hide_passwords():
    pg = WarehouseUrl.parse("postgresql+psycopg://loader:s3cr%40t@db.internal:6543/warehouse")
    assert (pg.engine, pg.host, pg.port, pg.user, pg.password, pg.database) == (
        "postgres",
        "db.internal",
        6543,
        "loader",
        "s3cr@t",
        "warehouse",
    )
    assert "s3cr" not in pg.display()
    assert pg.dbt_env()["SMARTPROV_PG_PASSWORD"] == "s3cr@t"
    duck = WarehouseUrl.parse("duckdb:///var/warehouse.duckdb")
    assert (duck.engine, duck.database) == ("duckdb", "var/warehouse.duckdb")
    assert WarehouseUrl.parse("duckdb:////abs/w.duckdb").database == "/abs/w.duckdb"
    with pytest.raises(ValueError, match="Unsupported warehouse URL"):
        WarehouseUrl.parse("mysql://x/y")


def _submission_row(sid: str) -> dict:
    return {
        "submission_id": sid,
        "file_sha256": sid * 4,
        "path": "32.04/a.xlsx",
        "folder_region_code": "32.04",
        "region_code": "32.04",
        "kind": "MASTERPLAN",
        "period": "2022-2031",
        "period_start": 2022,
        "period_end": 2031,
        "evaluation_year": None,
        "document_date": dt.date(2022, 9, 20),
        "document_number": None,
        "region_name_given": "Kabupaten Bandung",
        "email_kontak": "a@b.go.id",
        "template_version": "1",
        "framework": "kominfo-2017",
        "status": "accepted",
        "errors": 0,
        "warnings": 0,
        "size_bytes": 10,
        "received_at": dt.datetime(2026, 11, 1, 1, 0),
        "run_id": "r1",
        "quarantine_path": None,
    }


def _known_hashes(wh: Warehouse) -> set[str]:
    return {r[0] for r in wh.fetchall("SELECT file_sha256 FROM audit.submissions")}


def _exercise(url: str) -> None:
    with Warehouse(url) as wh:
        wh.ensure_schema()
        wh.ensure_schema()  # idempotent
        with wh.transaction():
            wh.insert_rows("audit.submissions", [_submission_row("a" * 16)])
        with pytest.raises(RuntimeError), wh.transaction():
            wh.insert_rows("audit.submissions", [_submission_row("b" * 16)])
            raise RuntimeError("boom in the middle of a load")
        assert _known_hashes(wh) == {"a" * 64}
        got = wh.fetchall("SELECT region_code, document_date, period_start FROM audit.submissions")
        assert got == [("32.04", dt.date(2022, 9, 20), 2022)]
        assert wh.current_masterplan_programs("32.04").empty
        assert wh.current_masterplan_programs("32.73") is None
        for table in schema.TABLES:
            assert wh.table_exists(table), table


def test_duckdb_warehouse_is_transactional_and_reopens(duckdb_url):
    _exercise(duckdb_url)
    with Warehouse(duckdb_url) as wh:  # a second process-lifetime on the same file
        wh.ensure_schema()
        assert len(_known_hashes(wh)) == 1


@pytest.mark.postgres
def test_postgres_warehouse_is_transactional():
    with fresh_database("smartprov_wh_") as url:
        _exercise(url)
