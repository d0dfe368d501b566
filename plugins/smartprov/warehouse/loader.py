"""Writing a validated submission: its ledger row and findings, and, when accepted, its rows.

All of one submission goes in one transaction, so a load is all-or-nothing. Reloading a
submission (a replay of a quarantined file) replaces what the ledger held for it. The ledger
is keyed by content AND sender: a submission is (file SHA-256, landing folder), so the same
bytes in another regency's folder never make the right folder's copy a duplicate.

A submission whose write fails (a value the warehouse column cannot hold, say) costs only
itself: `save_or_reject` rolls it back and records it as rejected with a finding saying so.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import MASTERPLAN
from smartprov.contract.findings import Finding
from smartprov.ingest.parse import ParsedSubmission
from smartprov.warehouse.connection import Warehouse

# contract column -> raw table column, per sheet
COLUMN_MAP: dict[str, dict[str, str]] = {
    "Program": {
        "kode_program": "program_code",
        "nama_program": "program_name",
        "dimensi": "dimension",
        "elemen": "element",
        "opd_penanggung_jawab": "agencies",
        "tahun_mulai": "year_start",
        "tahun_selesai": "year_end",
        "quick_win": "is_quick_win",
        "anggaran_rp": "budget_idr",
        "sumber_dana": "funding_sources",
        "indikator_kinerja": "indicator",
        "target": "target_value",
        "satuan": "target_unit",
    },
    "Realisasi": {
        "kode_program": "program_code",
        "status": "status",
        "progres_persen": "progress_pct",
        "realisasi_anggaran_rp": "budget_realized_idr",
        "capaian": "achievement_value",
        "keterangan": "notes",
    },
    "Kesiapan": {"pilar": "pillar", "indikator": "indicator", "skor": "score", "bukti": "evidence"},
    "Indeks": {"aspek": "aspect", "nilai": "score"},
}
SHEET_TABLES = {s.name: f"raw.{s.table}" for s in contract.DATA_SHEETS}
RAW_TABLES = [
    *SHEET_TABLES.values(),
    "raw.masterplan_program_agencies",
    "raw.masterplan_program_budgets",
    "raw.masterplan_milestones",
]
# Version 2's optional Identitas milestones -> raw.masterplan_milestones columns
MILESTONE_COLUMNS = {
    "tanggal_penetapan": "adoption_date",
    "dasar_hukum": "legal_basis",
    "tahap_bimtek": "bimtek_stage",
    "tanggal_nota_kesepakatan": "mou_date",
}


def status_of(findings: list[Finding]) -> str:
    return "rejected" if any(f.severity == "ERROR" for f in findings) else "accepted"


def ledger_row(
    sub: ParsedSubmission, status: str, run_id: str, received_at: dt.datetime, quarantine_path: str | None
) -> dict[str, Any]:
    """The submission's ledger row; `sub.uploaded_at` is when the landing object was written."""
    ident = sub.identity
    document_date = ident.get("tanggal_dokumen")
    return {
        "submission_id": sub.submission_id,
        "file_sha256": sub.sha256,
        "path": sub.path,
        "folder_region_code": sub.folder,
        "region_code": sub.region_code,
        "kind": sub.kind,
        "period": sub.period,
        "period_start": ident.get("periode_mulai"),
        "period_end": ident.get("periode_selesai"),
        "evaluation_year": ident.get("tahun_evaluasi"),
        "document_date": document_date,
        "document_number": _text(ident.get("nomor_dokumen")),
        "region_name_given": _text(ident.get("nama_wilayah")),
        "email_kontak": ident.get("email_kontak"),
        "template_version": sub.template_version if sub.kind else None,
        "framework": contract.FRAMEWORK if sub.kind else None,
        "status": status,
        "errors": sum(f.severity == "ERROR" for f in sub.findings),
        "warnings": sum(f.severity == "WARNING" for f in sub.findings),
        "size_bytes": sub.size,
        "received_at": received_at,
        "uploaded_at": getattr(sub, "uploaded_at", None),
        "run_id": run_id,
        "quarantine_path": quarantine_path,
    }


def finding_rows(sub: ParsedSubmission) -> list[dict[str, Any]]:
    return [
        {
            "submission_id": sub.submission_id,
            "finding_no": n,
            "rule": f.rule,
            "severity": f.severity,
            "sheet_name": f.sheet,
            "source_row": f.row,
            "column_name": f.column,
            "value": f.value,
            "message_id": f.message_id,
            "message": f.message,
            "message_en": f.message_en,
        }
        for n, f in enumerate(sub.findings, start=1)
    ]


def raw_rows(sub: ParsedSubmission, program_codes: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """Rows for the raw tables. `program_codes` maps upper-case code -> the masterplan's spelling,
    so that an evaluation's rows join to the masterplan whatever case the regency typed."""
    out: dict[str, list[dict]] = {t: [] for t in RAW_TABLES}
    for sheet, records in sub.rows.items():
        mapping = COLUMN_MAP[sheet]
        table = SHEET_TABLES[sheet]
        for rec in records:
            row = {
                "submission_id": sub.submission_id,
                "file_sha256": sub.sha256,
                "sheet_name": sheet,
                "source_row": rec["source_row"],
            }
            for src, dst in mapping.items():
                row[dst] = _clean(rec.get(src))
            if sheet == "Program":
                if row["budget_idr"] is None:  # version 2: anggaran_rp left empty is the years' sum
                    row["budget_idr"] = _clean(rec.get("anggaran_tahunan_total"))
                agencies = [a.strip() for a in (row["agencies"] or "").split(";") if a.strip()]
                row["lead_agency"] = agencies[0] if agencies else ""
                row["is_quick_win"] = bool(row["is_quick_win"])
                out["raw.masterplan_program_agencies"].extend(
                    {
                        "submission_id": sub.submission_id,
                        "file_sha256": sub.sha256,
                        "sheet_name": sheet,
                        "source_row": rec["source_row"],
                        "program_code": row["program_code"],
                        "agency_no": n,
                        "agency_name": name,
                        "is_lead": n == 1,
                    }
                    for n, name in enumerate(dict.fromkeys(agencies), start=1)
                )
            elif sheet == "Realisasi" and program_codes:
                code = str(row["program_code"]).strip()
                row["program_code"] = program_codes.get(code.upper(), code)
            out[table].append(row)
    codes_by_row = {rec["source_row"]: rec.get("kode_program") for rec in sub.rows.get("Program", ())}
    out["raw.masterplan_program_budgets"] = [
        {
            "submission_id": sub.submission_id,
            "file_sha256": sub.sha256,
            "sheet_name": "Program",
            "source_row": y["source_row"],
            "program_code": codes_by_row.get(y["source_row"]),
            "budget_year": y["tahun"],
            "budget_idr": y["anggaran"],
        }
        for y in sub.year_budgets
    ]
    milestones = {dst: sub.identity.get(src) for src, dst in MILESTONE_COLUMNS.items()}
    if sub.kind == MASTERPLAN and any(v is not None for v in milestones.values()):
        label_rows = sub.identity.get("_rows") or {}
        rows_given = [label_rows[src] for src in MILESTONE_COLUMNS if src in label_rows]
        out["raw.masterplan_milestones"].append(
            {
                "submission_id": sub.submission_id,
                "file_sha256": sub.sha256,
                "sheet_name": contract.IDENTITY_SHEET,
                "source_row": min(rows_given) if rows_given else 0,
                **milestones,
            }
        )
    return out


def save_submission(
    wh: Warehouse,
    sub: ParsedSubmission,
    *,
    run_id: str,
    received_at: dt.datetime,
    quarantine_path: str | None,
    program_codes: dict[str, str] | None = None,
) -> str:
    """Write one submission in one transaction; returns its status."""
    status = status_of(sub.findings)
    with wh.transaction():
        _delete_submission(wh, sub.submission_id)
        wh.insert_rows("audit.submissions", [ledger_row(sub, status, run_id, received_at, quarantine_path)])
        wh.insert_rows("audit.findings", finding_rows(sub))
        if status == "accepted":
            for table, rows in raw_rows(sub, program_codes).items():
                wh.insert_rows(table, rows)
    return status


def save_submissions(
    wh: Warehouse,
    items: list[tuple[ParsedSubmission, str | None, dict[str, str] | None]],
    *,
    run_id: str,
    received_at: dt.datetime,
) -> list[str]:
    """Write several submissions — (submission, quarantine path, program codes) — in one
    transaction, one bulk insert per table; returns their statuses in order.

    Each submission stays all-or-nothing (the group is). If the group fails, its
    submissions are written again one transaction each, so that one bad submission costs
    only itself, exactly as `save_submission` one by one would."""
    if len(items) <= 1:
        return [
            save_or_reject(
                wh, sub, run_id=run_id, received_at=received_at, quarantine_path=q, program_codes=codes
            )
            for sub, q, codes in items
        ]
    statuses = [status_of(sub.findings) for sub, _, _ in items]
    tables: dict[str, list[dict[str, Any]]] = {"audit.submissions": [], "audit.findings": []}
    tables.update({t: [] for t in RAW_TABLES})
    for (sub, qpath, codes), status in zip(items, statuses, strict=True):
        tables["audit.submissions"].append(ledger_row(sub, status, run_id, received_at, qpath))
        tables["audit.findings"].extend(finding_rows(sub))
        if status == "accepted":
            for table, rows in raw_rows(sub, codes).items():
                tables[table].extend(rows)
    ids = [sub.submission_id for sub, _, _ in items]
    try:
        with wh.transaction():
            for sid in wh.stored_submission_ids(ids):  # a reload replaces what the ledger held
                _delete_submission(wh, sid)
            for table, rows in tables.items():
                wh.insert_rows(table, rows)
    except Exception:
        return [
            save_or_reject(
                wh, sub, run_id=run_id, received_at=received_at, quarantine_path=q, program_codes=codes
            )
            for sub, q, codes in items
        ]
    return statuses


def save_or_reject(
    wh: Warehouse,
    sub: ParsedSubmission,
    *,
    run_id: str,
    received_at: dt.datetime,
    quarantine_path: str | None,
    program_codes: dict[str, str] | None = None,
) -> str:
    """`save_submission`, and when writing it fails, the submission alone is rolled back and
    recorded as rejected with a finding naming the failure; the caller quarantines it.
    Only a failure to write even that (the warehouse itself is failing) is raised."""
    try:
        return save_submission(
            wh, sub, run_id=run_id, received_at=received_at,
            quarantine_path=quarantine_path, program_codes=program_codes,
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's rejection
        sub.add(load_failure_finding(exc))
        save_submission(wh, sub, run_id=run_id, received_at=received_at, quarantine_path=quarantine_path)
        return "rejected"


def load_failure_finding(exc: BaseException) -> Finding:
    from smartprov.ingest.parse import unprocessable

    return unprocessable(
        "gudang data menolak isinya", "the warehouse refused its content", exc, with_message=True
    )


def upgrade_ledger(wh: Warehouse) -> None:
    """Ledgers made before submissions were keyed by content AND sender hold file_sha256
    UNIQUE: lift it (PostgreSQL drops the constraint; DuckDB, which cannot, rebuilds the
    table with its rows). Idempotent and cheap once done."""
    if wh.engine == "postgres":
        wh.execute("ALTER TABLE audit.submissions DROP CONSTRAINT IF EXISTS submissions_file_sha256_key")
        return
    (unique,) = wh.fetchall(
        """SELECT count(*) FROM duckdb_constraints()
           WHERE schema_name = 'audit' AND table_name = 'submissions' AND constraint_type = 'UNIQUE'"""
    )[0]
    if not unique:
        return
    from smartprov.warehouse import schema

    columns = ", ".join(schema.columns_of("audit.submissions"))
    with wh.transaction():
        wh.execute(f"CREATE TABLE audit.submissions_keyed ({schema.TABLES['audit.submissions']}\n)")
        wh.execute(f"INSERT INTO audit.submissions_keyed ({columns}) SELECT {columns} FROM audit.submissions")
        wh.execute("DROP TABLE audit.submissions")
        wh.execute("ALTER TABLE audit.submissions_keyed RENAME TO submissions")


def known_submission_keys(wh: Warehouse) -> set[tuple[str, str | None]]:
    """(file SHA-256, landing folder) of every submission in the ledger."""
    return {(sha, folder) for sha, folder in wh.fetchall(
        "SELECT file_sha256, folder_region_code FROM audit.submissions"
    )}  # fmt: skip


def region_contacts(wh: Warehouse, regions: set[str]) -> dict[str, str]:
    """Each region's contact address: the email_kontak of its latest accepted submission."""
    if not regions:
        return {}
    marks = ", ".join("?" for _ in regions)
    rows = wh.fetchall(
        f"""SELECT region_code, email_kontak FROM audit.submissions
            WHERE status = 'accepted' AND email_kontak IS NOT NULL AND region_code IN ({marks})
            ORDER BY received_at, submission_id""",
        sorted(regions),
    )
    return {region: email for region, email in rows}  # the latest wins


def _delete_submission(wh: Warehouse, submission_id: str) -> None:
    for table in [*RAW_TABLES, "audit.findings", "audit.submissions"]:
        wh.execute(f"DELETE FROM {table} WHERE submission_id = ?", (submission_id,))


def masterplan_program_codes(programs) -> dict[str, str] | None:
    if programs is None:
        return None
    return {str(c).strip().upper(): str(c) for c in programs["program_code"]}


def _clean(value: Any) -> Any:
    """pandas/numpy missing markers -> None, so both engines store NULL."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "MASTERPLAN",
    "known_submission_keys",
    "save_or_reject",
    "save_submission",
    "save_submissions",
    "status_of",
]
