"""Findings: what a regency is told about its workbook, in Indonesian first, English second.

Every message has a stable `message_id` (the rule code plus a variant) so that alerts can
be deduplicated and translated without parsing text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from smartprov.contract.catalogue import RULES

# message_id -> (Indonesian, English). Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "FILE_UNREADABLE": (
        "Berkas tidak dapat dibaca sebagai workbook .xlsx: {detail_id}. Simpan ulang dari Excel sebagai "
        "'Excel Workbook (*.xlsx)' tanpa kata sandi.",
        "The file cannot be read as an .xlsx workbook: {detail_en}. Save it again from Excel as "
        "'Excel Workbook (*.xlsx)' without a password.",
    ),
    "FILE_TOO_LARGE": (
        "Berkas terlalu besar: {detail_id}. Hapus lembar atau baris yang tidak diperlukan.",
        "The file is too large: {detail_en}. Remove sheets or rows that are not needed.",
    ),
    "UNKNOWN_REGION": (
        "Kode wilayah '{value}' tidak dikenal sebagai kode kabupaten/kota Kemendagri.",
        "Region code '{value}' is not a known Kemendagri regency code.",
    ),
    "UNKNOWN_REGION_FOLDER": (
        "Berkas berada di luar folder kabupaten/kota yang dikenal ('{value}'). Unggah ke folder "
        "dengan kode wilayah Anda, mis. 32.04/.",
        "The file is outside a known regency folder ('{value}'). Upload it into the folder named by "
        "your region code, e.g. 32.04/.",
    ),
    "REGION_MISMATCH": (
        "kode_wilayah '{value}' berbeda dengan folder pengirim '{expected}'. Kabupaten/kota hanya dapat "
        "mengirim dokumennya sendiri.",
        "kode_wilayah '{value}' differs from the sender's folder '{expected}'. A regency can only "
        "submit its own documents.",
    ),
    "TEMPLATE_VERSION": (
        "{field} '{value}' tidak dikenal; yang diterima: {expected}. Gunakan template terbaru.",
        "{field} '{value}' is not known; accepted: {expected}. Use the current template.",
    ),
    "MISSING_SHEET": (
        "Lembar '{sheet}' wajib ada tetapi tidak ditemukan.",
        "Required sheet '{sheet}' was not found.",
    ),
    "MISSING_COLUMN": (
        "Kolom wajib '{column}' tidak ditemukan di lembar '{sheet}' (baris judul dicari di 10 baris "
        "pertama).",
        "Required column '{column}' was not found in sheet '{sheet}' (the header row is searched in "
        "the first 10 rows).",
    ),
    "REQUIRED": (
        "Nilai '{column}' wajib diisi.",
        "'{column}' is required.",
    ),
    "REQUIRED_ROWS": (
        "{detail_id}",
        "{detail_en}",
    ),
    "TYPE": (
        "Nilai '{value}' pada '{column}' tidak dapat dibaca sebagai {expected_id}.",
        "Value '{value}' in '{column}' cannot be read as {expected_en}.",
    ),
    "RANGE": (
        "Nilai '{value}' pada '{column}' di luar rentang yang diizinkan ({expected}).",
        "Value '{value}' in '{column}' is outside the allowed range ({expected}).",
    ),
    "RANGE_LENGTH": (
        "Nilai pada '{column}' terlalu panjang ({length} karakter; maksimum {expected}).",
        "The value in '{column}' is too long ({length} characters; at most {expected}).",
    ),
    "ENUM": (
        "Nilai '{value}' pada '{column}' tidak termasuk pilihan yang diizinkan.{suggestion_id}",
        "Value '{value}' in '{column}' is not one of the allowed values.{suggestion_en}",
    ),
    "DUPLICATE": (
        "'{value}' pada '{column}' muncul lebih dari sekali di workbook ini.",
        "'{value}' in '{column}' appears more than once in this workbook.",
    ),
    "REFERENCE_PROGRAM": (
        "kode_program '{value}' tidak ada di masterplan yang berlaku untuk wilayah ini.",
        "kode_program '{value}' is not a program of this regency's current masterplan.",
    ),
    "REFERENCE_MASTERPLAN": (
        "Belum ada masterplan yang diterima untuk wilayah ini; kirim masterplan sebelum evaluasi.",
        "This regency has no accepted masterplan yet; submit the masterplan before an evaluation.",
    ),
    "PERIOD": (
        "{detail_id}",
        "{detail_en}",
    ),
    "CONSISTENCY": (
        "{detail_id}",
        "{detail_en}",
    ),
    "COVERAGE": (
        "{detail_id}",
        "{detail_en}",
    ),
    # Cross-sheet rules (smartprov.validation.cross_rules)
    "PERIOD_IDENTITY_ORDER": (
        "periode_mulai ({start}) lebih besar dari periode_selesai ({end}). Perbaiki kedua tahun di "
        "lembar Identitas.",
        "periode_mulai ({start}) is after periode_selesai ({end}). Correct both years on the "
        "Identitas sheet.",
    ),
    "CONSISTENCY_PERIOD_SPAN": (
        "Periode masterplan {start}-{end} mencakup {span} tahun; yang wajar 5 sampai 20 tahun "
        "(masterplan smart city umumnya 10 tahun). Periksa periode_mulai dan periode_selesai.",
        "The masterplan period {start}-{end} covers {span} years; 5 to 20 years is expected "
        "(a smart city masterplan usually covers 10). Check periode_mulai and periode_selesai.",
    ),
    "PERIOD_PROGRAM_ORDER": (
        "Program '{code}': tahun_mulai ({start}) lebih besar dari tahun_selesai ({end}). Perbaiki "
        "urutan tahunnya.",
        "Program '{code}': tahun_mulai ({start}) is after tahun_selesai ({end}). Correct the years.",
    ),
    "PERIOD_PROGRAM_OUTSIDE": (
        "Program '{code}': {column} {year} berada di luar periode masterplan {start}-{end}. Isi tahun "
        "di dalam periode, atau perbaiki periode di lembar Identitas.",
        "Program '{code}': {column} {year} is outside the masterplan period {start}-{end}. Use a year "
        "inside the period, or correct the period on the Identitas sheet.",
    ),
    "REQUIRED_NO_PROGRAM": (
        "Lembar Program tidak berisi satu pun program. Isi minimal satu program inovasi, satu baris "
        "per program.",
        "The Program sheet holds no program. Enter at least one innovation program, one row per program.",
    ),
    "REQUIRED_NO_QUICK_WIN": (
        "Tidak ada program yang ditandai quick win. Isi quick_win = Ya pada minimal satu program "
        "(sebaiknya satu program per dimensi).",
        "No program is marked as a quick win. Set quick_win = Ya on at least one program (ideally "
        "one program per dimension).",
    ),
    "COVERAGE_DIMENSION": (
        "Dimensi '{dimension}' belum memiliki program. Setiap dimensi diharapkan memiliki minimal "
        "satu program.",
        "Dimension '{dimension}' has no program. Every dimension is expected to have at least one program.",
    ),
    "CONSISTENCY_QUICK_WIN": (
        "Dimensi '{dimension}' memiliki {count} quick win{codes_id}; program smart city meminta tepat "
        "satu quick win per dimensi. Periksa kolom quick_win.",
        "Dimension '{dimension}' has {count} quick wins{codes_en}; the smart city programme asks for "
        "exactly one quick win per dimension. Check the quick_win column.",
    ),
    "CONSISTENCY_STATUS_PROGRESS": (
        "Program '{code}' berstatus '{status}' tetapi progres_persen {progress}; status '{status}' "
        "berarti progres {expected}. Perbaiki status atau progresnya.",
        "Program '{code}' has status '{status}' but progres_persen {progress}; status '{status}' "
        "means {expected} progress. Correct the status or the progress.",
    ),
    "CONSISTENCY_BUDGET_OVERRUN": (
        "Program '{code}': realisasi anggaran Rp {realised} melebihi 150% dari rencana anggaran di "
        "masterplan (Rp {planned}). Periksa nilainya (satuan rupiah, bukan ribu/juta), atau jelaskan "
        "di kolom keterangan.",
        "Program '{code}': realised budget Rp {realised} is over 150% of the masterplan's planned "
        "budget (Rp {planned}). Check the amount (in rupiah, not thousands/millions), or explain it "
        "in the keterangan column.",
    ),
    "COVERAGE_REALISATION": (
        "{count} program masterplan yang berjalan pada tahun {year} belum memiliki baris di lembar "
        "Realisasi: {codes}. Tambahkan satu baris per program.",
        "{count} masterplan programs running in {year} have no row on the Realisasi sheet: {codes}. "
        "Add one row per program.",
    ),
    "REQUIRED_PILLAR": (
        "Pilar kesiapan '{pillar}' belum memiliki baris di lembar Kesiapan. Isi minimal satu indikator "
        "untuk pilar ini.",
        "Readiness pillar '{pillar}' has no row on the Kesiapan sheet. Enter at least one indicator "
        "for this pillar.",
    ),
    "EXTRA_SHEET": (
        "Lembar '{sheet}' tidak dikenal dan diabaikan.",
        "Sheet '{sheet}' is not part of the template and was ignored.",
    ),
    "EXTRA_COLUMN": (
        "Kolom '{column}' di lembar '{sheet}' tidak dikenal dan diabaikan.",
        "Column '{column}' in sheet '{sheet}' is not part of the template and was ignored.",
    ),
    # -- template version 2 (contract section 6) --
    "EXTRA_BUDGET_YEAR": (
        "Kolom '{column}' (tahun {year}) di luar periode masterplan {start}–{end} dan diabaikan.",
        "Column '{column}' (year {year}) is outside the masterplan period {start}–{end} and was ignored.",
    ),
    "RANGE_YEAR_BUDGET_OUTSIDE": (
        "Program '{code}': anggaran Rp {value} pada '{column}' berada di luar tahun pelaksanaan program "
        "({expected}). Kosongkan atau isi 0, atau perbaiki tahun_mulai/tahun_selesai.",
        "Program '{code}': amount Rp {value} in '{column}' lies outside the program's years "
        "({expected}). Leave it empty or 0, or correct tahun_mulai/tahun_selesai.",
    ),
    "CONSISTENCY_YEAR_BUDGET_SUM": (
        "Program '{code}': jumlah anggaran per tahun (Rp {total}) berbeda lebih dari 1% dari "
        "anggaran_rp (Rp {planned}). Samakan keduanya, atau kosongkan anggaran_rp (dihitung dari "
        "jumlah per tahun).",
        "Program '{code}': the yearly amounts add up to Rp {total}, more than 1% away from anggaran_rp "
        "(Rp {planned}). Make them agree, or leave anggaran_rp empty (it is then their sum).",
    ),
    "CONSISTENCY_BUDGET_OVERRUN_YEAR": (
        "Program '{code}': realisasi anggaran Rp {realised} melebihi 150% dari anggaran tahun {year} "
        "di masterplan (Rp {planned}). Periksa nilainya (satuan rupiah, bukan ribu/juta), atau jelaskan "
        "di kolom keterangan.",
        "Program '{code}': realised budget Rp {realised} is over 150% of the masterplan's amount for "
        "{year} (Rp {planned}). Check the amount (in rupiah, not thousands/millions), or explain it "
        "in the keterangan column.",
    ),
    "EXTRA_TOTAL_ROW": (
        "Baris total ('{value}') dilewati.",
        "A total row ('{value}') was skipped.",
    ),
}


@dataclass
class Finding:
    rule: str
    message_id: str
    message: str  # Indonesian
    message_en: str
    sheet: str | None = None
    row: int | None = None  # the sheet's own 1-based row number
    column: str | None = None
    value: str | None = None
    severity: str = field(init=False)

    def __post_init__(self) -> None:
        self.severity = RULES[self.rule]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def location(self) -> str:
        parts = [self.sheet or ""]
        if self.row is not None:
            parts.append(f"baris/row {self.row}")
        if self.column:
            parts.append(f"kolom/column {self.column}")
        return ", ".join(p for p in parts if p)


def finding(
    rule: str,
    message_id: str | None = None,
    *,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    **params: Any,
) -> Finding:
    """Build a finding from the catalogue; `params` fill the message placeholders."""
    mid = message_id or rule
    text_id, text_en = MESSAGES[mid]
    shown = "" if value is None else display_value(value)
    fields = {"sheet": sheet or "", "column": column or "", "value": shown, **params}
    fields.setdefault("suggestion_id", "")
    fields.setdefault("suggestion_en", "")
    if "detail" in params and "detail_id" not in params:
        # A reader's detail is written "Indonesian / English": each message gets its own half.
        detail_id, sep, detail_en = str(params["detail"]).partition(" / ")
        fields["detail_id"], fields["detail_en"] = (detail_id, detail_en) if sep else (detail_id, detail_id)
    return Finding(
        rule=rule,
        message_id=mid,
        message=text_id.format(**fields),
        message_en=text_en.format(**fields),
        sheet=sheet,
        row=row,
        column=column,
        value=None if value is None else shown,
    )


def display_value(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "ERROR" for f in findings)
