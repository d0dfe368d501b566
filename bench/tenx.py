"""Ten times the country: the national corpus x10, and the ledger digest for kill-and-resume.

Every regency sends ten editions of what it sends in the national corpus (ten years of
submissions): edition k re-renders its masterplan as revision k (same programs, a document
date k weeks later, another file name, so other bytes) and sends an evaluation revision for
each evaluation year, with other figures. 514 regencies x 10 x (1 + 2) = 15,420 distinct,
valid workbooks: the same kind mix as the national corpus, so the per-workbook cost at 10x
compares with 1x. Generated once per parameter set (cached), in parallel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

EDITIONS = 10


def _regency_editions(args: tuple[str, str, int, tuple[int, int], tuple[int, ...]]) -> int:
    from smartprov.authoring import sample as s
    from smartprov.contract import catalogue as contract
    from smartprov.contract.catalogue import EVALUASI, MASTERPLAN

    out, code, seed, programs, years = args
    region = contract.regions()[code]
    profile, mp = s._regency_masterplan(region, seed, years, programs, tag="national")
    written = 0
    for k in range(EDITIONS):
        suffix = f"edisi {k + 1:02d}"
        rev = replace(mp, date=min(mp.date + dt.timedelta(weeks=k), dt.date(min(years), 12, 31)))
        name = s._file_name(region, profile, MASTERPLAN, f"{mp.start}-{mp.end}", suffix)
        planned = [s._mp_file(code, name, rev, profile, seed, accepted=True)]
        for year in years:
            r = s._rng(seed, "tenx-evaluation", k, code, year)
            ev = s.make_evaluation(mp, profile, r, year=year, seed=seed, with_index=r.random() < 0.3)
            ev_name = s._file_name(region, profile, EVALUASI, str(year), suffix)
            planned.append(s._ev_file(code, ev_name, ev, profile, seed, accepted=True))
        for p in planned:
            path = Path(out) / p.expected.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(p.build())
            written += 1
    return written


def tenx_landing(
    out: Path, programs: tuple[int, int], seed: int = 0, provinces: list[str] | None = None
) -> Path:
    """The 10x landing zone, generated once per parameter set and reused."""
    import multiprocessing

    from smartprov.contract import catalogue as contract

    key = f"s{seed}-p{programs[0]}-{programs[1]}" + (f"-prov{'_'.join(provinces)}" if provinces else "")
    folder = out / f"landing-tenx-{key}"
    manifest = folder / ".bench-manifest.json"
    codes = sorted(
        r.code for r in contract.regions().values() if provinces is None or r.province_code in provinces
    )
    years = (2024, 2025)
    params = {
        "seed": seed,
        "programs": list(programs),
        "years": list(years),
        "editions": EDITIONS,
        "regencies": len(codes),
    }
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("params") == params:
            print(f"tenx landing: reusing {folder} ({saved['files']} workbooks)", flush=True)
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    clock = time.perf_counter()
    tasks = [(str(folder), code, seed, programs, years) for code in codes]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        files = sum(pool.map(_regency_editions, tasks, chunksize=4))
    seconds = round(time.perf_counter() - clock, 1)
    manifest.write_text(json.dumps({"params": params, "files": files, "seconds": seconds}))
    print(f"tenx landing: wrote {files} workbooks under {folder} in {seconds} s", flush=True)
    return folder


# What identifies the ledger's content: everything but when and by which run it was written.
LEDGER_TABLES = {
    "audit.submissions": ("received_at", "run_id"),
    "audit.file_arrivals": ("first_seen_at", "run_id"),
    "audit.findings": (),
    "raw.masterplan_programs": (),
    "raw.masterplan_program_agencies": (),
    "raw.evaluation_realisations": (),
    "raw.evaluation_readiness": (),
    "raw.evaluation_index": (),
}


def ledger_digest(duckdb_file: Path) -> dict[str, Any]:
    """Row count and an order-free digest of every ledger and raw table (run ids and times left
    out): two warehouses holding the same submissions, findings and rows digest the same."""
    import duckdb

    out: dict[str, Any] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        for table, volatile in LEDGER_TABLES.items():
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
                    " ORDER BY ordinal_position",
                    table.split("."),
                ).fetchall()
                if r[0] not in volatile
            ]
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            rows = con.execute(f"SELECT {select} FROM {table}").fetchall()
            digest = hashlib.sha256()
            for line in sorted("\x1f".join("" if v is None else v for v in r) for r in rows):
                digest.update(line.encode())
                digest.update(b"\n")
            out[table] = {"rows": len(rows), "sha256": digest.hexdigest()}
    return out
