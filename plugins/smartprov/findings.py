"""Findings: what a regency is told about its workbook, in Indonesian first, English second.

Every message has a stable `message_id` (the rule code plus a variant) so that alerts can
be deduplicated and translated without parsing text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from smartprov.contract import RULES

# message_id -> (Indonesian, English). Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "FILE_UNREADABLE": (
        "Berkas tidak dapat dibaca sebagai workbook .xlsx: {detail}. Simpan ulang dari Excel sebagai "
        "'Excel Workbook (*.xlsx)' tanpa kata sandi.",
        "The file cannot be read as an .xlsx workbook: {detail}. Save it again from Excel as "
        "'Excel Workbook (*.xlsx)' without a password.",
    ),
    "FILE_TOO_LARGE": (
        "Berkas terlalu besar: {detail}. Hapus lembar atau baris yang tidak diperlukan.",
        "The file is too large: {detail}. Remove sheets or rows that are not needed.",
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
    "EXTRA_SHEET": (
        "Lembar '{sheet}' tidak dikenal dan diabaikan.",
        "Sheet '{sheet}' is not part of the template and was ignored.",
    ),
    "EXTRA_COLUMN": (
        "Kolom '{column}' di lembar '{sheet}' tidak dikenal dan diabaikan.",
        "Column '{column}' in sheet '{sheet}' is not part of the template and was ignored.",
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
