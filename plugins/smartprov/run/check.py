"""Checking workbooks without loading them: the one path `smartprov validate` and the portal share.

Each workbook is read by the isolated reader child (`ingest.isolated`), exactly as the
night reads it, then goes through the GX suites and the cross-rules (`validation.batch`),
an evaluation against its regency's current masterplan in the warehouse when there is one.
Nothing is written: not the warehouse, not the landing zone, not quarantine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Workbook:
    """One workbook to check: its name as the sender sees it, its bytes, the sender's region."""

    name: str
    data: bytes
    folder: str | None


def check_workbooks(workbooks: list[Workbook], warehouse_url: str | None, *, stored_programs=None) -> list:
    """The parsed submissions of `workbooks`, with every finding the night would give them.

    `stored_programs(region)` looks up a regency's current masterplan programs; by default
    `stored_programs_in(warehouse_url)` (a caller that shares the warehouse between threads
    passes its own, guarded, lookup)."""
    from smartprov.contract import catalogue as contract
    from smartprov.contract.findings import finding
    from smartprov.ingest.isolated import parse_isolated, rejected_submission
    from smartprov.run.load_path import validate_isolated
    from smartprov.validation.batch import BatchValidator

    subs = []
    for wb in workbooks:
        sha = hashlib.sha256(wb.data).hexdigest()
        path = f"{wb.folder}/{wb.name}" if wb.folder else wb.name
        if len(wb.data) > contract.MAX_FILE_BYTES:
            mb = contract.MAX_FILE_BYTES // (1024 * 1024)
            too_large = finding("FILE_TOO_LARGE", detail=f"{len(wb.data) / 1048576:.1f} MB > {mb} MB")
            subs.append(rejected_submission(path, wb.folder, sha, len(wb.data), too_large))
            continue
        subs.append(parse_isolated(path, wb.folder, sha, wb.data))
    validate_isolated(subs, BatchValidator(), stored_programs or stored_programs_in(warehouse_url))
    return subs


def stored_programs_in(warehouse_url: str | None):
    """region -> programs of its current masterplan in the warehouse (None: none, or no warehouse)."""

    def stored_programs(region: str):
        if not warehouse_url:
            return None
        from smartprov.warehouse.connection import Warehouse, WarehouseUrl

        url = WarehouseUrl.parse(warehouse_url)
        if url.engine == "duckdb" and not Path(url.database).exists():
            return None
        with Warehouse(warehouse_url) as wh:
            return wh.current_masterplan_programs(region) if wh.table_exists("audit.submissions") else None

    return stored_programs


def verdict(sub) -> dict[str, Any]:
    """A checked submission as the CLI's `--json` and the portal's API give it."""
    return {
        "region_code": sub.region_code,
        "kind": sub.kind,
        "period": sub.period,
        "status": "rejected" if sub.has_errors else "accepted",
        "findings": [f.as_dict() for f in sub.findings],
    }
