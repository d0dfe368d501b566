"""Words the reports show: Indonesian titles and column headers, with the English beside them.

One place for both outputs (Excel and HTML) so a column is called the same everywhere.
Columns not listed here (a mart may grow) keep their technical name as their header.
"""

from __future__ import annotations

# Indonesian header of every known mart column. The technical (English) name is always
# shown next to it: a second header row in Excel, a tooltip / subtitle in HTML.
COLUMN_LABELS: dict[str, str] = {
    "province_code": "Kode Provinsi",
    "province_name": "Provinsi",
    "region_code": "Kode Wilayah",
    "region_name": "Kabupaten/Kota",
    "region_type": "Jenis Wilayah",
    "has_masterplan": "Memiliki Masterplan",
    "masterplan_submission_id": "ID Kiriman Masterplan",
    "period_start": "Awal Periode",
    "period_end": "Akhir Periode",
    "document_date": "Tanggal Dokumen",
    "programs": "Jumlah Program",
    "quick_wins": "Quick Win",
    "programs_without_budget": "Program Tanpa Anggaran",
    "budget_total_idr": "Total Anggaran (Rp)",
    "last_submitted_at": "Terakhir Dikirim",
    "framework": "Kerangka Acuan",
    "dimension": "Dimensi",
    "dimension_order": "Urutan Dimensi",
    "element": "Elemen",
    "element_order": "Urutan Elemen",
    "agencies": "Jumlah OPD",
    "agency_names": "Nama OPD",
    "year": "Tahun",
    "evaluation_submission_id": "ID Kiriman Evaluasi",
    "has_evaluation": "Ada Evaluasi",
    "programs_planned": "Program Direncanakan",
    "programs_reported": "Program Dilaporkan",
    "programs_done": "Program Selesai",
    "avg_progress_pct": "Rata-rata Progres",
    "budget_planned_idr": "Anggaran Rencana (Rp)",
    "budget_realized_idr": "Realisasi Anggaran (Rp)",
    "realization_ratio": "Rasio Realisasi",
    "evaluation_year": "Tahun Evaluasi",
    "pillar": "Pilar",
    "indicators": "Jumlah Indikator",
    "avg_score": "Skor Rata-rata",
    "aspect": "Aspek",
    "aspect_group": "Kelompok Aspek",
    "aspect_order": "Urutan Aspek",
    "score": "Skor",
    "rank_in_province": "Peringkat di Provinsi",
    "regencies_ranked": "Kab/Kota Diperingkat",
    "regencies_total": "Jumlah Kab/Kota",
    "regencies_with_masterplan": "Kab/Kota dengan Masterplan",
    "masterplan_coverage_pct": "Cakupan Masterplan",
    "meets_smart_province_threshold": "Memenuhi Ambang Smart Province",
    "regencies_evaluated": "Kab/Kota Dievaluasi",
    "avg_readiness": "Rata-rata Kesiapan",
    "avg_index": "Rata-rata Indeks",
    "kind": "Jenis Dokumen",
    "period": "Periode",
    "due_date": "Tenggat",
    "status": "Status",
    "is_overdue": "Lewat Tenggat",
    "submissions_received": "Berkas Masuk",
    "submissions_accepted": "Berkas Diterima",
    "submissions_rejected": "Berkas Ditolak",
    "last_received_at": "Terakhir Masuk",
    "deciding_submission_id": "ID Kiriman Penentu",
    "errors": "Jumlah Kesalahan",
    "warnings": "Jumlah Catatan",
}

# Values shown in Indonesian (the mart keeps the English codes).
STATUS_LABELS = {"accepted": "diterima", "rejected": "ditolak", "missing": "belum ada"}
STATUS_LABELS_EN = {"accepted": "accepted", "rejected": "rejected", "missing": "missing"}
BOOL_LABELS = {True: "Ya", False: "Tidak"}

# Scores on a 0-5 / 1-5 scale: two decimals, no unit.
SCORE_COLUMNS = frozenset({"avg_score", "score", "avg_readiness", "avg_index"})
# Whole numbers that are years or codes: no thousands separator.
YEAR_COLUMNS = frozenset({"year", "evaluation_year", "period_start", "period_end"})
ORDER_COLUMNS = frozenset({"dimension_order", "element_order", "aspect_order", "rank_in_province"})

PILLAR_ORDER = {"Struktur": 1, "Infrastruktur": 2, "Suprastruktur": 3}
KIND_ORDER = {"MASTERPLAN": 1, "EVALUASI": 2}


def column_label(column: str) -> str:
    return COLUMN_LABELS.get(column, column)


def column_kind(column: str) -> str:
    """How a column is formatted: idr / pct / ratio / score / year / int / datetime / date / text.

    By name, the marts' naming convention: *_idr rupiah, *_pct percent 0-100, *_ratio a
    fraction, *_at a timestamp, *_date a date.
    """
    if column.endswith("_idr"):
        return "idr"
    if column.endswith("_pct"):
        return "pct"
    if column.endswith("_ratio"):
        return "ratio"
    if column in SCORE_COLUMNS:
        return "score"
    if column in YEAR_COLUMNS:
        return "year"
    if column in ORDER_COLUMNS:
        return "order"
    if column.endswith("_at"):
        return "datetime"
    if column.endswith("_date") or column.endswith("_on"):
        return "date"
    return "auto"
