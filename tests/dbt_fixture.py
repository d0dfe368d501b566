"""A small hand-made warehouse for the dbt project's tests.

`create_fixture(target)` creates the pipeline's `raw` and `audit` tables with the DDL of
`smartprov.warehouse.schema.ddl_statements()` in a DuckDB file (a path) or a PostgreSQL database (a
`postgresql://` URL or libpq conninfo) and inserts the rows below. The regencies themselves
come from the dbt seeds. Pin the dbt var `as_of_date` to `AS_OF_DATE` when building on it.

What it holds (province 32 = Jawa Barat, 34 = DI Yogyakarta):

- 32.04 Kabupaten Bandung: MASTERPLAN 2022-2031 (MP1) superseded by a revision with another
  period, 2023-2032 (MP2, later document date); EVALUASI 2024 twice (EV24a superseded by
  EV24b), EVALUASI 2025; a rejected EVALUASI 2023.
- 32.73 Kota Bandung: MASTERPLAN 2021-2030 received late (2024); EVALUASI 2025 whose Total
  index ties with 32.04's.
- 32.79 Kota Banjar: MASTERPLAN 2024-2033 received 2025 (template version 2: money per
  year, milestones, one program with two funding sources); EVALUASI 2025 uploaded after
  its due date (late).
- 32.04's revision MP2 is template version 2 too (money per year for most programs).
- 32.02 Kabupaten Sukabumi: a misfiled masterplan (claims 32.04) only.
- 32.03 Kabupaten Cianjur: one unreadable file only.
- 32.77 Kota Cimahi: one rejected MASTERPLAN, then (later) Indramayu's masterplan (claims
  32.12, Indramayu's contact e-mail) misfiled in Cimahi's folder.
Misfiled rows are stored as the loader stores them: `region_code` is the sender's folder,
the claimed code is only in the REGION_MISMATCH finding's value.
- 32.01 Kabupaten Bogor (and every other regency): nothing.
- 34.04 Kabupaten Sleman: MASTERPLAN 2020-2027 (expires within two years), no evaluation.
- a rejected file from an unknown folder (99.99) that could not be read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartprov.warehouse.schema import columns_of, ddl_statements

AS_OF_DATE = "2026-06-30"
FIRST_YEAR = 2023

M = 1_000_000  # rupiah

# (code, name, dimension, element, agencies, year_start, year_end, quick_win, budget_idr)
# fmt: off
PROGRAMS: dict[str, list[tuple]] = {
    "MP1-3204": [
        ("P01", "Mal Pelayanan Publik Digital", "Smart Governance", "Layanan Publik",
         ["Diskominfo"], 2022, 2024, True, 1_000 * M),
        ("P02", "Satu Data Kabupaten", "Smart Governance", "Kebijakan Publik",
         ["Bappeda"], 2023, 2026, False, 800 * M),
        ("P09", "Pasar Digital", "Smart Economy", "Transaksi Keuangan",
         ["Disperindag"], 2022, 2023, True, 400 * M),
    ],
    "MP2-3204": [
        ("P01", "Mal Pelayanan Publik Digital", "Smart Governance", "Layanan Publik",
         ["Diskominfo", "DPMPTSP"], 2023, 2025, True, 1_500 * M),
        ("P02", "Satu Data Kabupaten", "Smart Governance", "Kebijakan Publik",
         ["Bappeda"], 2024, 2026, False, 800 * M),
        ("P03", "Sentra Industri Kreatif", "Smart Economy", "Industri",
         ["Disperindag", "Diskominfo"], 2023, 2024, True, 2_000 * M),
        ("P04", "Telemedisin Puskesmas", "Smart Living", "Kesehatan",
         ["Dinkes"], 2025, 2027, True, None),
        ("P05", "Bank Sampah Digital", "Smart Environment", "Pengelolaan Sampah",
         ["DLH"], 2023, 2032, False, 5_000 * M),
        ("P06", "Sekolah Digital", "Smart Society", "Ekosistem Belajar",
         ["Disdik", " diskominfo "], 2024, 2025, True, 300 * M),
        ("P07", "Layanan Kependudukan Online", "Smart Governance", "Layanan Publik",
         ["DISKOMINFO"], 2026, 2027, False, 200 * M),
    ],
    "MP-3273": [
        ("K01", "Bandung Command Center", "Smart Governance", "Layanan Publik",
         ["Diskominfo"], 2021, 2025, True, 1_000 * M),
        ("K02", "Bandung Tourism Branding", "Smart Branding", "Pariwisata",
         ["Disbudpar"], 2022, 2024, True, 500 * M),
        ("K03", "Transportasi Terintegrasi", "Smart Living", "Mobilitas",
         ["Dishub", "Diskominfo"], 2025, 2030, False, 4_000 * M),
    ],
    "MP-3279": [
        ("B01", "E-Kinerja ASN", "Smart Governance", "Tata Kelola Birokrasi",
         ["BKPSDM"], 2024, 2026, True, 250 * M),
        ("B02", "Pajak Daerah Online", "Smart Economy", "Transaksi Keuangan",
         ["Bapenda"], 2025, 2025, False, 100 * M),
    ],
    "MP-3404": [
        ("S01", "Sleman Smart Service", "Smart Governance", "Layanan Publik",
         ["Diskominfo"], 2020, 2029, True, 750 * M),
    ],
}
# fmt: on

# Template version 2: planned rupiah per program and year (anggaran_<YYYY>)
YEAR_BUDGETS: dict[str, dict[str, dict[int, int]]] = {
    "MP2-3204": {
        "P01": {2023: 500 * M, 2024: 500 * M, 2025: 500 * M},
        "P02": {2024: 200 * M, 2025: 300 * M, 2026: 300 * M},
        "P03": {2023: 1_000 * M, 2024: 1_000 * M},
        # P04: no budget, no years
        "P05": {2024: 1_000 * M, 2025: 1_000 * M},  # only two of its years given
        "P06": {2024: 100 * M, 2025: 200 * M},
        "P07": {2026: 100 * M, 2027: 100 * M},
    },
    "MP-3279": {
        "B01": {2024: 50 * M, 2025: 100 * M, 2026: 100 * M},
        "B02": {2025: 100 * M},
    },
}
FUNDING: dict[tuple[str, str], str] = {("MP-3279", "B02"): "APBD Kab/Kota; APBD Provinsi"}
# (adoption_date, legal_basis, bimtek_stage, mou_date)
MILESTONES: dict[str, tuple] = {
    "MP-3279": (dt.date(2024, 12, 10), "Perwal No. 12 Tahun 2024", "III", dt.date(2023, 8, 1)),
}
VERSION_2 = {"MP2-3204", "MP-3279"}

# (program_code, status, progress_pct, budget_realized_idr)
REALISATIONS: dict[str, list[tuple]] = {
    "EV24a-3204": [
        ("P01", "Berjalan", 50.0, 500 * M),
        ("P03", "Berjalan", 40.0, 800 * M),
    ],
    "EV24b-3204": [
        ("P01", "Berjalan", 60.0, 700 * M),
        ("P02", "Belum Dimulai", 0.0, None),
        ("P03", "Selesai", 100.0, 1_900 * M),
        ("P05", "Berjalan", 20.0, 1_000 * M),
        ("P06", "Berjalan", 50.0, 100 * M),
    ],
    "EV25-3204": [
        ("P01", "Selesai", 100.0, 1_500 * M),
        ("P02", "Berjalan", 50.0, 400 * M),
        ("P04", "Berjalan", 30.0, None),
        ("P05", "Berjalan", 40.0, 1_000 * M),
        ("P06", "Selesai", 100.0, 300 * M),
    ],
    "EV25-3273": [
        ("K01", "Selesai", 100.0, 1_000 * M),
        ("K03", "Berjalan", 25.0, 500 * M),
    ],
    "EV25-3279": [
        ("B01", "Berjalan", 70.0, 100 * M),
        ("B02", "Tertunda", 0.0, None),
    ],
}

# (pillar, indicator, score)
READINESS: dict[str, list[tuple]] = {
    "EV24a-3204": [
        ("Struktur", "Tim pelaksana", 2.0),
        ("Infrastruktur", "Jaringan", 2.0),
        ("Suprastruktur", "Perbup", 2.0),
    ],
    "EV24b-3204": [
        ("Struktur", "Tim pelaksana", 3.0),
        ("Struktur", "Anggaran", 4.0),
        ("Infrastruktur", "Jaringan", 2.0),
        ("Suprastruktur", "Perbup", 5.0),
    ],
    "EV25-3204": [
        ("Struktur", "Tim pelaksana", 4.0),
        ("Struktur", "Anggaran", 4.0),
        ("Infrastruktur", "Jaringan", 3.0),
        ("Suprastruktur", "Perbup", 4.0),
    ],
    "EV25-3273": [
        ("Struktur", "Tim pelaksana", 3.0),
        ("Infrastruktur", "Jaringan", 3.0),
        ("Suprastruktur", "Perwal", 2.0),
    ],
    "EV25-3279": [
        ("Struktur", "Tim pelaksana", 2.0),
        ("Infrastruktur", "Jaringan", 2.0),
        ("Suprastruktur", "Perwal", 2.0),
    ],
}

# (aspect, score)
INDEX: dict[str, list[tuple]] = {
    "EV24a-3204": [("Total", 2.50)],
    "EV24b-3204": [("Total", 3.10), ("Smart Governance", 3.50), ("Baseline", 2.80)],
    "EV25-3204": [("Total", 3.31), ("Smart Governance", 3.60)],
    "EV25-3273": [("Total", 3.31), ("Smart Governance", 3.00)],
    "EV25-3279": [("Total", 2.90)],
}


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _sha(submission_id: str) -> str:
    return hashlib.sha256(submission_id.encode()).hexdigest()


def _submission(
    submission_id: str,
    region: str | None,
    kind: str | None,
    *,
    received: str,
    document_date: str | None = None,
    period: tuple[int, int] | None = None,
    year: int | None = None,
    status: str = "accepted",
    errors: int = 0,
    warnings: int = 0,
    folder: str | None = None,
    uploaded: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    folder = folder or region
    if kind == "MASTERPLAN" and period:
        period_text = f"{period[0]}-{period[1]}"
    elif kind == "EVALUASI" and year:
        period_text = str(year)
    else:
        period_text = None
    return {
        "submission_id": submission_id,
        "file_sha256": _sha(submission_id),
        "path": f"{folder}/{submission_id}.xlsx",
        "folder_region_code": folder,
        "region_code": region,
        "kind": kind,
        "period": period_text,
        "period_start": period[0] if period else None,
        "period_end": period[1] if period else None,
        "evaluation_year": year,
        "document_date": dt.date.fromisoformat(document_date) if document_date else None,
        "document_number": None,
        "region_name_given": None,
        "email_kontak": email or (f"diskominfo.{region.replace('.', '')}@example.go.id" if region else None),
        "template_version": ("2" if submission_id in VERSION_2 else "1") if kind else None,
        "framework": "kominfo-2017" if kind else None,
        "status": status,
        "errors": errors,
        "warnings": warnings,
        "size_bytes": 20_480,
        "received_at": _ts(received),
        "uploaded_at": _ts(uploaded) if uploaded else None,
        "run_id": "fixture-" + received[:10],
        "quarantine_path": f"quarantine/{submission_id}.xlsx" if status == "rejected" else None,
    }


SUBMISSIONS: list[dict[str, Any]] = [
    _submission(
        "MP1-3204",
        "32.04",
        "MASTERPLAN",
        period=(2022, 2031),
        document_date="2022-09-20",
        received="2023-01-10 08:00:00",
    ),
    _submission(
        "MP2-3204",
        "32.04",
        "MASTERPLAN",
        period=(2023, 2032),
        document_date="2023-06-01",
        received="2023-07-01 09:30:00",
        warnings=1,
    ),
    _submission(
        "EV23-3204-rejected",
        "32.04",
        "EVALUASI",
        year=2023,
        document_date="2024-01-20",
        received="2024-02-10 10:00:00",
        status="rejected",
        errors=2,
    ),
    _submission(
        "EV24a-3204",
        "32.04",
        "EVALUASI",
        year=2024,
        document_date="2025-01-10",
        received="2025-01-12 07:00:00",
    ),
    _submission(
        "EV24b-3204",
        "32.04",
        "EVALUASI",
        year=2024,
        document_date="2025-01-20",
        received="2025-01-22 07:00:00",
    ),
    _submission(
        "EV25-3204",
        "32.04",
        "EVALUASI",
        year=2025,
        document_date="2026-01-15",
        received="2026-01-16 07:00:00",
    ),
    _submission(
        "MP-3273",
        "32.73",
        "MASTERPLAN",
        period=(2021, 2030),
        document_date="2021-11-01",
        received="2024-03-01 12:00:00",
    ),
    _submission(
        "EV25-3273",
        "32.73",
        "EVALUASI",
        year=2025,
        document_date="2026-01-20",
        received="2026-01-21 12:00:00",
    ),
    _submission(
        "MP-3279",
        "32.79",
        "MASTERPLAN",
        period=(2024, 2033),
        document_date="2024-12-01",
        received="2025-02-01 12:00:00",
    ),
    _submission(
        "EV25-3279",
        "32.79",
        "EVALUASI",
        year=2025,
        document_date="2026-01-25",
        received="2026-02-06 12:00:00",
        uploaded="2026-02-05 03:00:00",  # 10:00 in Jakarta, 5 days after 31 January
    ),
    _submission(
        "MP-3277-rejected",
        "32.77",
        "MASTERPLAN",
        period=(2024, 2033),
        document_date="2024-04-15",
        received="2024-05-01 08:00:00",
        status="rejected",
        errors=3,
        warnings=1,
    ),
    _submission(
        "MP-3404",
        "34.04",
        "MASTERPLAN",
        period=(2020, 2027),
        document_date="2020-05-05",
        received="2023-05-05 08:00:00",
    ),
    _submission(
        "MP-3277-misfiled",
        "32.77",  # the loader records the sender's folder; the file claims 32.12 (Indramayu)
        "MASTERPLAN",
        period=(2024, 2033),
        document_date="2024-05-20",
        received="2024-06-01 09:00:00",
        status="rejected",
        errors=1,
        email="smartcity@indramayukab.go.id",
    ),
    _submission(
        "MP-3202-misfiled",
        "32.02",  # the loader records the sender's folder; the file claims 32.04 (Kab. Bandung)
        "MASTERPLAN",
        folder="32.02",  # sent by Kabupaten Sukabumi
        email="diskominfo.3204@example.go.id",
        period=(2024, 2033),
        document_date="2024-02-01",
        received="2024-02-10 08:00:00",
        status="rejected",
        errors=1,
    ),
    _submission(
        "unreadable-3203",
        None,
        None,
        folder="32.03",
        received="2024-06-02 08:00:00",
        status="rejected",
        errors=1,
    ),
    _submission(
        "unreadable-9999",
        None,
        None,
        folder="99.99",
        received="2024-06-01 08:00:00",
        status="rejected",
        errors=1,
    ),
]

# (rule, severity, sheet, row, column, value)
FINDINGS: dict[str, list[tuple]] = {
    "MP2-3204": [("COVERAGE", "WARNING", "Program", None, "dimensi", "Smart Branding")],
    "EV23-3204-rejected": [
        ("REFERENCE", "ERROR", "Realisasi", 5, "kode_program", "P77"),
        ("RANGE", "ERROR", "Realisasi", 6, "progres_persen", "140"),
    ],
    "MP-3277-rejected": [
        ("REQUIRED", "ERROR", "Identitas", 4, "kode_wilayah", ""),
        ("ENUM", "ERROR", "Program", 7, "dimensi", "Smart People"),
        ("PERIOD", "ERROR", "Program", 9, "tahun_mulai", "2019"),
        ("EXTRA", "WARNING", "Catatan", None, None, None),
    ],
    "unreadable-9999": [("FILE_UNREADABLE", "ERROR", None, None, None, None)],
    "MP-3202-misfiled": [("REGION_MISMATCH", "ERROR", "Identitas", 4, "kode_wilayah", "32.04")],
    "MP-3277-misfiled": [("REGION_MISMATCH", "ERROR", "Identitas", 4, "kode_wilayah", "32.12")],
    "unreadable-3203": [("FILE_UNREADABLE", "ERROR", None, None, None, None)],
}


def fixture_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows per warehouse table (`schema.table`), as dicts of column values."""
    tables: dict[str, list[dict[str, Any]]] = {
        "audit.submissions": SUBMISSIONS,
        "audit.file_arrivals": [
            {
                "file_sha256": s["file_sha256"],
                "path": s["path"],
                "first_seen_at": s["received_at"],
                "run_id": s["run_id"],
            }
            for s in SUBMISSIONS
        ],
        "audit.findings": [],
        "raw.masterplan_programs": [],
        "raw.masterplan_program_agencies": [],
        "raw.evaluation_realisations": [],
        "raw.evaluation_readiness": [],
        "raw.evaluation_index": [],
        "raw.masterplan_program_budgets": [],
        "raw.masterplan_milestones": [],
    }
    for sid, findings in FINDINGS.items():
        for no, (rule, severity, sheet, row, column, value) in enumerate(findings, start=1):
            tables["audit.findings"].append(
                {
                    "submission_id": sid,
                    "finding_no": no,
                    "rule": rule,
                    "severity": severity,
                    "sheet_name": sheet,
                    "source_row": row,
                    "column_name": column,
                    "value": value,
                    "message_id": rule.lower(),
                    "message": f"Temuan {rule}",
                    "message_en": f"Finding {rule}",
                }
            )

    def provenance(sid: str, sheet: str, row: int) -> dict[str, Any]:
        return {"submission_id": sid, "file_sha256": _sha(sid), "sheet_name": sheet, "source_row": row}

    for sid, programs in PROGRAMS.items():
        for row, (code, name, dim, elem, agencies, y0, y1, qw, budget) in enumerate(programs, start=5):
            tables["raw.masterplan_programs"].append(
                {
                    **provenance(sid, "Program", row),
                    "program_code": code,
                    "program_name": name,
                    "dimension": dim,
                    "element": elem,
                    "agencies": "; ".join(a.strip() for a in agencies),
                    "lead_agency": agencies[0].strip(),
                    "year_start": y0,
                    "year_end": y1,
                    "is_quick_win": qw,
                    "budget_idr": None if budget is None else Decimal(budget),
                    "funding_sources": FUNDING.get((sid, code), "APBD Kab/Kota"),
                    "indicator": None,
                    "target_value": None,
                    "target_unit": None,
                }
            )
            for year, amount in YEAR_BUDGETS.get(sid, {}).get(code, {}).items():
                tables["raw.masterplan_program_budgets"].append(
                    {
                        **provenance(sid, "Program", row),
                        "program_code": code,
                        "budget_year": year,
                        "budget_idr": Decimal(amount),
                    }
                )
            for no, agency in enumerate(agencies, start=1):
                tables["raw.masterplan_program_agencies"].append(
                    {
                        **provenance(sid, "Program", row),
                        "program_code": code,
                        "agency_no": no,
                        "agency_name": agency,
                        "is_lead": no == 1,
                    }
                )
    for sid, (adopted, basis, stage, mou) in MILESTONES.items():
        tables["raw.masterplan_milestones"].append(
            {
                **provenance(sid, "Identitas", 10),
                "adoption_date": adopted,
                "legal_basis": basis,
                "bimtek_stage": stage,
                "mou_date": mou,
            }
        )
    for sid, rows in REALISATIONS.items():
        for row, (code, status, pct, realized) in enumerate(rows, start=5):
            tables["raw.evaluation_realisations"].append(
                {
                    **provenance(sid, "Realisasi", row),
                    "program_code": code,
                    "status": status,
                    "progress_pct": pct,
                    "budget_realized_idr": None if realized is None else Decimal(realized),
                    "achievement_value": None,
                    "notes": None,
                }
            )
    for sid, rows in READINESS.items():
        for row, (pillar, indicator, score) in enumerate(rows, start=5):
            tables["raw.evaluation_readiness"].append(
                {
                    **provenance(sid, "Kesiapan", row),
                    "pillar": pillar,
                    "indicator": indicator,
                    "score": score,
                    "evidence": None,
                }
            )
    for sid, rows in INDEX.items():
        for row, (aspect, score) in enumerate(rows, start=5):
            tables["raw.evaluation_index"].append(
                {
                    **provenance(sid, "Indeks", row),
                    "aspect": aspect,
                    "score": score,
                }
            )
    return tables


def _insert_all(cursor: Any, placeholder: str) -> None:
    for stmt in ddl_statements():
        cursor.execute(stmt)
    for table, rows in fixture_rows().items():
        if not rows:
            continue
        columns = columns_of(table)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([placeholder] * len(columns))})"
        cursor.executemany(sql, [tuple(r.get(c) for c in columns) for r in rows])


def create_fixture(target: str | Path) -> None:
    """Create the raw/audit tables in `target` and fill them with the fixture.

    `target` is a DuckDB file path, or a PostgreSQL URL (`postgresql://...`) / conninfo
    (`dbname=... host=...`). The database must not hold the tables already.
    """
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")) or "dbname=" in text:
        import psycopg

        with psycopg.connect(text) as conn, conn.cursor() as cur:
            _insert_all(cur, "%s")
        return
    import duckdb

    con = duckdb.connect(text)
    try:
        con.execute("BEGIN")
        _insert_all(con, "?")
        con.execute("COMMIT")
    finally:
        con.close()
