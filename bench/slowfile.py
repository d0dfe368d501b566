"""One big, valid masterplan: the "slow file" of the benchmark.

A regency's national masterplan, revised (a later document date, so it supersedes the
original) with its programs repeated under new codes until the workbook is just under the
contract's 20 MB limit (and under its 100,000-row sheet limit). Its evaluations still match:
every original program is kept with its code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

from smartprov.authoring.sample import _file_name, _mp_file, _regency_masterplan
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import MASTERPLAN

MAX_ROWS = contract.MAX_SHEET_ROWS - 1_000  # header rows and margin


def big_masterplan_bytes(region_code: str, n_programs: int, seed: int = 0, years=(2024, 2025)) -> bytes:
    region = contract.regions()[region_code]
    profile, mp = _regency_masterplan(region, seed, tuple(years), (30, 60), tag="national")
    base = list(mp.programs)
    programs = list(base)
    n = 0
    while len(programs) < n_programs:
        p = base[n % len(base)]
        n += 1
        # Unique, little-compressible text, as long free text in a real workbook would be.
        tag = hashlib.sha512(f"{region_code}/{n}".encode()).hexdigest()
        tag += hashlib.sha512(f"{n}/{region_code}".encode()).hexdigest()
        programs.append(
            dataclasses.replace(
                p,
                code=f"BIG-{n:06d}",
                name=f"{(p.name or 'Program')[:120]} - paket {n} ref {tag[:64]}",
                indicator=f"{(p.indicator or 'Indikator')[:80]} ({tag[64:]})",
                quick_win=False,
            )
        )
    revised = dataclasses.replace(
        mp, programs=programs, date=mp.date + dt.timedelta(days=30), number=f"{mp.number or 'MP'}/REV-BENCH"
    )
    name = _file_name(region, profile, MASTERPLAN, f"{mp.start}-{mp.end}", "-revisi-besar")
    planned = _mp_file(region.code, name, revised, profile, seed, accepted=True)
    return planned.build()


def write_big_masterplan(
    out: Path, region_code: str, target_bytes: int = contract.MAX_FILE_BYTES - (512 << 10), seed: int = 0
) -> tuple[Path, int, int]:
    """Write it under out/<region>/; returns (path, programs, bytes). Sized by a probe."""
    probe = 5_000
    per_row = len(big_masterplan_bytes(region_code, probe, seed)) / probe
    rows = min(MAX_ROWS, int(target_bytes / per_row))
    data = big_masterplan_bytes(region_code, rows, seed)
    while len(data) > target_bytes and rows > 1_000:
        rows = int(rows * target_bytes / len(data) * 0.99)
        data = big_masterplan_bytes(region_code, rows, seed)
    path = out / region_code / "masterplan-revisi-besar.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path, rows, len(data)


FINDINGS_ROWS = 95_000  # programs asked for; fewer when the layout needs more sheet rows
FINDING_YEAR = 12_345  # not a year the contract reads: a finding (TYPE) on every row


def findings_masterplan_bytes(
    region_code: str, rows: int = FINDINGS_ROWS, seed: int = 0
) -> tuple[bytes, int]:
    """A masterplan (a few MB: its rows repeat the regency's own programs) whose every program
    starts in year 12345: a finding on each row. Issue 23's hostile file, made the way the
    sample's workbooks are. Returns (bytes, programs): as many as `rows`, or as fit under the
    sheet-row limit in the regency's layout (some layouts add rows between the programs)."""
    while True:
        data = _findings_masterplan(region_code, rows, seed)
        last_row = _last_sheet_row(data)
        if last_row <= contract.MAX_SHEET_ROWS - 100:
            return data, rows
        rows = int(rows * (contract.MAX_SHEET_ROWS - 1_000) / last_row)


def _findings_masterplan(region_code: str, rows: int, seed: int) -> bytes:
    region = contract.regions()[region_code]
    profile, mp = _regency_masterplan(region, seed, (2024, 2025), (30, 60), tag="national")
    base = list(mp.programs)
    programs = [
        dataclasses.replace(base[n % len(base)], code=f"T{n:06d}", start=FINDING_YEAR, quick_win=False)
        for n in range(rows)
    ]
    revised = dataclasses.replace(
        mp, programs=programs, date=mp.date + dt.timedelta(days=30), number=f"{mp.number or 'MP'}/REV-TEMUAN"
    )
    name = _file_name(region, profile, MASTERPLAN, f"{mp.start}-{mp.end}", "-temuan-tiap-baris")
    return _mp_file(region.code, name, revised, profile, seed, accepted=False).build()


def _last_sheet_row(xlsx: bytes) -> int:
    """The largest row of any sheet's <dimension> (XlsxWriter writes one per sheet)."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        heads = [
            z.open(n).read(4096).decode("utf-8", "replace")
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
        ]
    rows = [int(m) for head in heads for m in re.findall(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)]
    return max(rows, default=0)
