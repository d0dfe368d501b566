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
    "quick_wins": "Jumlah Quick Win",
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
    # version 2 and the marts of issue 13
    "programs_not_started": "Program Belum Dimulai",
    "programs_running": "Program Berjalan",
    "programs_delayed": "Program Tertunda",
    "programs_cancelled": "Program Dibatalkan",
    "programs_with_year_budget": "Program dengan Anggaran Tahun Ini",
    "budget_realized_planned_idr": "Realisasi Program Beranggaran Tahun Ini (Rp)",
    "days_late": "Hari Terlambat",
    "uploaded_at": "Waktu Unggah",
    "submissions_misfiled": "Berkas Salah Folder",
    "unreadable_files": "Berkas Tak Terbaca",
    "misfiled_folder": "Folder Berkas Salah Kirim",
    "misfiled_claimed_region_code": "Wilayah yang Diklaim",
    "program_code": "Kode Program",
    "program_name": "Nama Program",
    "lead_agency": "OPD Penanggung Jawab Utama",
    "year_start": "Tahun Mulai",
    "year_end": "Tahun Selesai",
    "funding_sources": "Sumber Dana",
    "latest_evaluation_year": "Tahun Evaluasi Terakhir",
    "latest_status": "Status Terakhir",
    "latest_progress_pct": "Progres Terakhir",
    "years_evaluated": "Jumlah Tahun Dievaluasi",
    "budget_realized_total_idr": "Total Realisasi (Rp)",
    "progress_by_year": "Progres per Tahun",
    "funding_source": "Sumber Dana",
    "funding_source_order": "Urutan Sumber Dana",
    "programs_shared": "Program Sumber Dana Bersama",
    "programs_without_year_budget": "Program Tanpa Anggaran Tahun Ini",
    "threshold_pct": "Ambang (%)",
    "regencies_required": "Kab/Kota yang Diperlukan",
    "regencies_needed": "Kekurangan Kab/Kota",
    "closeness_rank": "Urutan Kedekatan",
    "has_rejected_file": "Ada Berkas Ditolak",
    "latest_rejected_submission_id": "ID Berkas Ditolak Terakhir",
    "latest_rejected_path": "Berkas Ditolak Terakhir",
    "latest_rejected_at": "Waktu Berkas Ditolak",
    "latest_rejected_errors": "Kesalahan Berkas Ditolak",
    "first_error_rule": "Aturan Kesalahan Pertama",
    "first_error_sheet": "Lembar Kesalahan Pertama",
    "first_error_row": "Baris Kesalahan Pertama",
    "first_error_column": "Kolom Kesalahan Pertama",
    "first_error_message": "Kesalahan Pertama",
    "first_error_message_en": "First Error (English)",
    "contact_email": "E-mail Kontak",
    "template_version": "Versi Template",
    "adoption_date": "Tanggal Penetapan",
    "legal_basis": "Dasar Hukum",
    "bimtek_stage": "Tahap Bimtek",
    "mou_date": "Tanggal Nota Kesepakatan",
    "masterplan_end_year": "Tahun Akhir Masterplan",
    "expires_within_two_years": "Berakhir dalam 2 Tahun",
}

# The same column name meaning different things in two marts gets two names.
MART_COLUMN_LABELS: dict[tuple[str, str], str] = {
    ("province_implementation_progress", "avg_progress_pct"): "Rata-rata Progres Program",
    ("province_scorecard", "avg_progress_pct"): "Rata-rata Progres Kab/Kota",
    ("province_implementation_progress", "budget_planned_idr"): "Anggaran Rencana Tahun Ini (Rp)",
    # a count in the portfolio, the agencies' names ('; '-separated) among the quick wins
    ("province_quick_wins", "agencies"): "OPD Pelaksana",
}

# Values shown in Indonesian (the mart keeps the English codes).
STATUS_LABELS = {
    "accepted": "diterima",
    "on_time": "tepat waktu",
    "late": "terlambat",
    "rejected": "ditolak",
    "misfiled": "salah folder",
    "missing": "belum ada",
    "not_applicable": "belum wajib",
}
STATUS_LABELS_EN = {
    "accepted": "accepted",
    "on_time": "on time",
    "late": "late",
    "rejected": "rejected",
    "misfiled": "misfiled",
    "missing": "missing",
    "not_applicable": "not applicable",
}
ACCEPTED_STATUSES = frozenset({"accepted", "on_time", "late"})
BOOL_LABELS = {True: "Ya", False: "Tidak"}

# Scores on a 0-5 / 1-5 scale: two decimals, no unit.
SCORE_COLUMNS = frozenset({"avg_score", "score", "avg_readiness", "avg_index"})
# Whole numbers that are years or codes: no thousands separator.
YEAR_COLUMNS = frozenset({"year", "evaluation_year", "period_start", "period_end"})
ORDER_COLUMNS = frozenset({"dimension_order", "element_order", "aspect_order", "rank_in_province"})

PILLAR_ORDER = {"Struktur": 1, "Infrastruktur": 2, "Suprastruktur": 3}
KIND_ORDER = {"MASTERPLAN": 1, "EVALUASI": 2}


def column_label(column: str, mart: str | None = None) -> str:
    return MART_COLUMN_LABELS.get((mart or "", column)) or COLUMN_LABELS.get(column, column)


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
