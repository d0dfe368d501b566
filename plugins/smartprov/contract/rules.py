"""The rule catalogue: for every rule code of the contract (§5), where it is checked, what it
tells the regency (Indonesian first, English second) and what the regency should do.

Start here to find a rule: `CATALOGUE["ENUM"]` names its severity, each of its checks with
the one stage that makes it (`reader`, `gx` or `cross`), its messages and its advice.

How to read "one home per rule": a rule code may be checked for different things (REQUIRED
is an empty cell, a Program sheet without programs, a readiness pillar without rows); each
such check is one `Check` with one message id, and each message id is reported from exactly
one home. `tests/test_contract_rules.py` holds the catalogue to that, against the code and
the GX suites.

- `reader` (`smartprov.ingest`: workbook safety, value readers, parse; the run's file
  guards): what must hold before values exist: the file, the region, the sheets and
  columns, and each cell's type.
- `gx` (the suites in `expectations/*.json`, run by `smartprov.validation.gx`): rules over
  the typed values of one row or one column: required cells, ranges, allowed values from
  the reference data, duplicate keys. Every expectation's `meta.rule` / `meta.message_id`
  names its entry here.
- `cross` (`smartprov.validation.cross_rules`): rules across sheets, rows and submissions.

Messages are `str.format` templates; `smartprov.contract.findings.finding` fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CATALOGUE", "CROSS", "GX", "HOMES", "READER", "Check", "Rule", "advice", "messages"]

READER = "reader"
GX = "gx"
CROSS = "cross"
HOMES = (READER, GX, CROSS)

ERROR = "ERROR"
WARNING = "WARNING"


@dataclass(frozen=True)
class Check:
    """One thing a rule checks, in one home, reported with one message id."""

    home: str
    message_id: str
    what: str  # in words, for whoever maintains the rule


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    checks: tuple[Check, ...]
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)  # message id -> (id, en)
    advice: tuple[str, str] = ("", "")  # what to do, (Indonesian, English)


# Shared by the reader's and the suites' ENUM: the allowed values, then the closest one.
_ENUM_ID = (
    "Nilai '{value}' pada '{column}' tidak termasuk pilihan yang diizinkan ({allowed_id}).{suggestion_id}"
)
_ENUM_EN = "Value '{value}' in '{column}' is not one of the allowed values ({allowed_en}).{suggestion_en}"

_RULES: tuple[Rule, ...] = (
    Rule(
        "FILE_UNREADABLE",
        ERROR,
        checks=(
            Check(
                READER,
                "FILE_UNREADABLE",
                "not an .xlsx/.xlsm file, not a workbook, encrypted, or broken (ingest.workbook, "
                "ingest.parse); a reader that crashed on the file (ingest.isolated)",
            ),
            Check(
                READER,
                "FILE_UNPROCESSABLE",
                "a file whose validation or load raised an unexpected error: that file alone is rolled "
                "back and rejected, the run goes on (run.load_path, warehouse.loader)",
            ),
        ),
        messages={
            "FILE_UNREADABLE": (
                "Berkas tidak dapat dibaca sebagai workbook .xlsx: {detail_id}. Simpan ulang dari Excel sebagai "
                "'Excel Workbook (*.xlsx)' tanpa kata sandi.",
                "The file cannot be read as an .xlsx workbook: {detail_en}. Save it again from Excel as "
                "'Excel Workbook (*.xlsx)' without a password.",
            ),
            "FILE_UNPROCESSABLE": (
                "Berkas tidak dapat diproses: {detail_id}. Periksa nilai yang sangat besar atau tidak wajar, "
                "perbaiki, lalu unggah ulang.",
                "The file could not be processed: {detail_en}. Check for very large or implausible values, "
                "fix them and upload the file again.",
            ),
        },
        advice=(
            "Buka berkas di Excel, simpan sebagai 'Excel Workbook (*.xlsx)' tanpa kata sandi, lalu unggah ulang.",
            "Open the file in Excel, save it as 'Excel Workbook (*.xlsx)' without a password, and upload it "
            "again.",
        ),
    ),
    Rule(
        "FILE_TOO_LARGE",
        ERROR,
        checks=(
            Check(
                READER,
                "FILE_TOO_LARGE",
                "file size before reading (ingest.isolated); unpacked size and sheet rows (ingest.workbook)",
            ),
        ),
        messages={
            "FILE_TOO_LARGE": (
                "Berkas terlalu besar: {detail_id}. Hapus lembar atau baris yang tidak diperlukan.",
                "The file is too large: {detail_en}. Remove sheets or rows that are not needed.",
            ),
        },
        advice=(
            "Hapus lembar, baris atau gambar yang tidak diperlukan, lalu unggah ulang.",
            "Remove sheets, rows or pictures that are not needed, and upload again.",
        ),
    ),
    Rule(
        "UNKNOWN_REGION",
        ERROR,
        checks=(
            Check(READER, "UNKNOWN_REGION", "kode_wilayah unreadable or not a Kemendagri regency code"),
            Check(READER, "UNKNOWN_REGION_FOLDER", "the landing folder is not a regency code"),
        ),
        messages={
            "UNKNOWN_REGION": (
                "Kode wilayah '{value}' tidak dikenal sebagai kode kabupaten/kota Kemendagri. Isi kode Kemendagri "
                "kabupaten/kota Anda, mis. 32.04.",
                "Region code '{value}' is not a known Kemendagri regency code. Fill in your regency's Kemendagri "
                "code, e.g. 32.04.",
            ),
            "UNKNOWN_REGION_FOLDER": (
                "Berkas berada di luar folder kabupaten/kota yang dikenal ('{value}'). Unggah ke folder "
                "dengan kode wilayah Anda, mis. 32.04/.",
                "The file is outside a known regency folder ('{value}'). Upload it into the folder named by "
                "your region code, e.g. 32.04/.",
            ),
        },
        advice=(
            "Isi kode_wilayah dengan kode Kemendagri kabupaten/kota Anda (format PP.RR) dan unggah ke folder "
            "dengan kode itu.",
            "Fill kode_wilayah with your regency's Kemendagri code (PP.RR) and upload into the folder of that "
            "code.",
        ),
    ),
    Rule(
        "REGION_MISMATCH",
        ERROR,
        checks=(Check(READER, "REGION_MISMATCH", "kode_wilayah differs from the sender's folder"),),
        messages={
            "REGION_MISMATCH": (
                "kode_wilayah '{value}' berbeda dengan folder pengirim '{expected}'. Kabupaten/kota hanya dapat "
                "mengirim dokumennya sendiri: perbaiki kode_wilayah, atau bila berkas ini milik {value}, "
                "kirimkan dari folder {value}/.",
                "kode_wilayah '{value}' differs from the sender's folder '{expected}'. A regency can only "
                "submit its own documents: correct kode_wilayah, or if the file is {value}'s, send it from "
                "folder {value}/.",
            ),
        },
        advice=(
            "Pastikan kode_wilayah sama dengan kode folder tempat berkas diunggah.",
            "Make kode_wilayah the same as the code of the folder you upload into.",
        ),
    ),
    Rule(
        "TEMPLATE_VERSION",
        ERROR,
        checks=(Check(READER, "TEMPLATE_VERSION", "jenis_dokumen or versi_template not known"),),
        messages={
            "TEMPLATE_VERSION": (
                "{field} '{value}' tidak dikenal; yang diterima: {expected}. Gunakan template terbaru.",
                "{field} '{value}' is not known; accepted: {expected}. Use the current template.",
            ),
        },
        advice=(
            "Salin data Anda ke template terbaru dari provinsi dan isi jenis_dokumen serta versi_template.",
            "Copy your data into the province's current template and fill jenis_dokumen and versi_template.",
        ),
    ),
    Rule(
        "MISSING_SHEET",
        ERROR,
        checks=(Check(READER, "MISSING_SHEET", "a required sheet of the kind is absent"),),
        messages={
            "MISSING_SHEET": (
                "Lembar '{sheet}' wajib ada tetapi tidak ditemukan. Gunakan template terbaru dan jangan mengganti nama lembar.",
                "Required sheet '{sheet}' was not found. Use the current template and do not rename its sheets.",
            ),
        },
        advice=(
            "Tambahkan lembar yang diminta dengan nama persis seperti di template.",
            "Add the required sheet, named exactly as in the template.",
        ),
    ),
    Rule(
        "MISSING_COLUMN",
        ERROR,
        checks=(Check(READER, "MISSING_COLUMN", "a required column is absent from the header row"),),
        messages={
            "MISSING_COLUMN": (
                "Kolom wajib '{column}' tidak ditemukan di lembar '{sheet}' (baris judul dicari di 10 baris "
                "pertama). Kembalikan judul kolom seperti di template.",
                "Required column '{column}' was not found in sheet '{sheet}' (the header row is searched in "
                "the first 10 rows). Restore the column header as in the template.",
            ),
        },
        advice=(
            "Tambahkan kolom yang diminta pada baris judul (10 baris pertama), dengan nama seperti di template.",
            "Add the required column to the header row (within the first 10 rows), named as in the template.",
        ),
    ),
    Rule(
        "REQUIRED",
        ERROR,
        checks=(
            Check(
                READER,
                "REQUIRED_REGION",
                "kode_wilayah empty: without it nothing else can be checked (ingest.parse)",
            ),
            Check(GX, "REQUIRED", "an empty required cell (expect_column_values_to_not_be_null)"),
            Check(CROSS, "REQUIRED_NO_PROGRAM", "a Program sheet without any program"),
            Check(CROSS, "REQUIRED_NO_QUICK_WIN", "no program marked as a quick win"),
            Check(CROSS, "REQUIRED_PILLAR", "a readiness pillar without any row on Kesiapan"),
        ),
        messages={
            "REQUIRED_REGION": (
                "kode_wilayah wajib diisi: tanpa kode wilayah, isi workbook tidak dapat diperiksa. Isi kode "
                "Kemendagri kabupaten/kota Anda, mis. 32.04.",
                "kode_wilayah is required: without the region code the workbook cannot be checked. Fill in "
                "your regency's Kemendagri code, e.g. 32.04.",
            ),
            "REQUIRED": (
                "Nilai '{column}' wajib diisi{subject_id}.{todo_id}",
                "'{column}' is required{subject_en}.{todo_en}",
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
            "REQUIRED_PILLAR": (
                "Pilar kesiapan '{pillar}' belum memiliki baris di lembar Kesiapan. Isi minimal satu indikator "
                "untuk pilar ini.",
                "Readiness pillar '{pillar}' has no row on the Kesiapan sheet. Enter at least one indicator "
                "for this pillar.",
            ),
        },
        advice=(
            "Isi nilai yang kosong (atau tambahkan baris yang diminta); hapus baris yang bukan data.",
            "Fill in the empty value (or add the required rows); remove rows that are not data.",
        ),
    ),
    Rule(
        "TYPE",
        ERROR,
        checks=(
            Check(
                READER,
                "TYPE",
                "a cell that cannot be read as its contract type: number, year, money, percent, date, "
                "e-mail (the one e-mail check), region code (ingest.values)",
            ),
        ),
        messages={
            "TYPE": (
                "Nilai '{value}' pada '{column}' tidak dapat dibaca sebagai {expected_id}. Tulis ulang dalam bentuk itu.",
                "Value '{value}' in '{column}' cannot be read as {expected_en}. Write it again in that form.",
            ),
        },
        advice=(
            "Tulis nilai dalam format yang benar: angka, tahun empat digit, tanggal, atau alamat e-mail.",
            "Write the value in the right form: a number, a four-digit year, a date or an e-mail address.",
        ),
    ),
    Rule(
        "RANGE",
        ERROR,
        checks=(
            Check(
                GX,
                "RANGE",
                "a number, year or percentage outside its bounds (expect_column_values_to_be_between)",
            ),
            Check(
                GX, "RANGE_LENGTH", "a text longer than allowed (expect_column_value_lengths_to_be_between)"
            ),
            Check(
                GX,
                "RANGE_YEAR_BUDGET_OUTSIDE",
                "version 2: an anggaran_<YYYY> amount other than 0 outside the program's years "
                "(suite program_anggaran_tahunan)",
            ),
        ),
        messages={
            "RANGE": (
                "Nilai '{value}' pada '{column}' di luar rentang yang diizinkan ({expected}). Isi nilai di dalam "
                "rentang itu.",
                "Value '{value}' in '{column}' is outside the allowed range ({expected}). Enter a value within that "
                "range.",
            ),
            "RANGE_LENGTH": (
                "Nilai pada '{column}' terlalu panjang ({length} karakter; maksimum {expected}). Persingkat teksnya.",
                "The value in '{column}' is too long ({length} characters; at most {expected}). Shorten the text.",
            ),
            "RANGE_YEAR_BUDGET_OUTSIDE": (
                "Program '{code}': anggaran Rp {value} pada '{column}' berada di luar tahun pelaksanaan program "
                "({expected}). Kosongkan atau isi 0, atau perbaiki tahun_mulai/tahun_selesai.",
                "Program '{code}': amount Rp {value} in '{column}' lies outside the program's years "
                "({expected}). Leave it empty or 0, or correct tahun_mulai/tahun_selesai.",
            ),
        },
        advice=(
            "Perbaiki nilai agar berada dalam rentang yang diizinkan.",
            "Correct the value so that it is within the allowed range.",
        ),
    ),
    Rule(
        "ENUM",
        ERROR,
        checks=(
            Check(
                READER,
                "ENUM_LIST",
                "a word the reader translates: Ya/Tidak (quick_win), funding sources (sumber_dana)",
            ),
            Check(
                GX,
                "ENUM",
                "a value outside the reference data: dimension, element (and the element of its "
                "dimension), status, pillar, aspect (expect_column_values_to_be_in_set)",
            ),
        ),
        messages={
            "ENUM_LIST": (_ENUM_ID, _ENUM_EN),
            "ENUM": (_ENUM_ID, _ENUM_EN),
        },
        advice=(
            "Pilih salah satu nilai yang diizinkan (lihat daftar dan saran pada pesan, atau daftar pilihan di "
            "template).",
            "Use one of the allowed values (see the list and the suggestion in the message, or the drop-down "
            "in the template).",
        ),
    ),
    Rule(
        "DUPLICATE",
        ERROR,
        checks=(
            Check(
                GX, "DUPLICATE", "a key repeated within one workbook (expect_compound_columns_to_be_unique)"
            ),
        ),
        messages={
            "DUPLICATE": (
                "'{value}' pada '{column}' muncul lebih dari sekali di workbook ini; salinan pertama ada di "
                "baris {first_row}. Gabungkan kedua baris, atau beri kode yang berbeda.",
                "'{value}' in '{column}' appears more than once in this workbook; the first copy is on row "
                "{first_row}. Merge the two rows, or give them different codes.",
            ),
        },
        advice=(
            "Pastikan setiap kode hanya muncul sekali; gabungkan atau beri kode berbeda.",
            "Make each key appear once: merge the rows or give them different codes.",
        ),
    ),
    Rule(
        "REFERENCE",
        ERROR,
        checks=(
            Check(CROSS, "REFERENCE_PROGRAM", "a realisation's program is not in the current masterplan"),
            Check(CROSS, "REFERENCE_MASTERPLAN", "an evaluation of a regency without an accepted masterplan"),
        ),
        messages={
            "REFERENCE_PROGRAM": (
                "kode_program '{value}' tidak ada di masterplan yang berlaku untuk wilayah ini.{suggestion_id} "
                "Gunakan kode program dari masterplan; bila program ini baru, kirim revisi masterplan terlebih "
                "dahulu, atau hapus baris ini.",
                "kode_program '{value}' is not a program of this regency's current masterplan.{suggestion_en} "
                "Use a program code of the masterplan; if the program is new, send the revised masterplan "
                "first, or remove the row.",
            ),
            "REFERENCE_MASTERPLAN": (
                "Belum ada masterplan yang diterima untuk wilayah ini; kirim masterplan terlebih dahulu, lalu "
                "kirim ulang evaluasi ini.",
                "This regency has no accepted masterplan yet; send the masterplan first, then send this "
                "evaluation again.",
            ),
        },
        advice=(
            "Gunakan kode_program dari masterplan yang sudah diterima; kirim revisi masterplan terlebih dahulu "
            "untuk program baru, atau hapus barisnya.",
            "Use a kode_program of the accepted masterplan; send the revised masterplan first for a new "
            "program, or remove the row.",
        ),
    ),
    Rule(
        "PERIOD",
        ERROR,
        checks=(
            Check(CROSS, "PERIOD_IDENTITY_ORDER", "periode_mulai after periode_selesai"),
            Check(CROSS, "PERIOD_PROGRAM_ORDER", "a program's tahun_mulai after its tahun_selesai"),
            Check(CROSS, "PERIOD_PROGRAM_OUTSIDE", "a program's year outside the masterplan period"),
        ),
        messages={
            "PERIOD_IDENTITY_ORDER": (
                "periode_mulai ({start}) lebih besar dari periode_selesai ({end}). Perbaiki kedua tahun di "
                "lembar Identitas.",
                "periode_mulai ({start}) is after periode_selesai ({end}). Correct both years on the "
                "Identitas sheet.",
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
        },
        advice=(
            "Perbaiki tahun agar berurutan dan berada dalam periode masterplan.",
            "Correct the years so that they are in order and inside the masterplan period.",
        ),
    ),
    Rule(
        "CONSISTENCY",
        WARNING,
        checks=(
            Check(
                READER, "CONSISTENCY", "nama_wilayah does not name the region of kode_wilayah (ingest.parse)"
            ),
            Check(CROSS, "CONSISTENCY_PERIOD_SPAN", "a masterplan period outside 5-20 years"),
            Check(CROSS, "CONSISTENCY_QUICK_WIN", "not exactly one quick win per dimension"),
            Check(CROSS, "CONSISTENCY_STATUS_PROGRESS", "status Selesai/Belum Dimulai with another progress"),
            Check(CROSS, "CONSISTENCY_BUDGET_OVERRUN", "realised budget over 150% of the masterplan's plan"),
            Check(
                CROSS,
                "CONSISTENCY_BUDGET_OVERRUN_YEAR",
                "version 2: realised budget over 150% of the plan for tahun_evaluasi",
            ),
            Check(
                CROSS,
                "CONSISTENCY_YEAR_BUDGET_SUM",
                "version 2: the anggaran_<YYYY> amounts more than 1% away from anggaran_rp",
            ),
        ),
        messages={
            "CONSISTENCY": (
                "{detail_id}",
                "{detail_en}",
            ),
            "CONSISTENCY_PERIOD_SPAN": (
                "Periode masterplan {start}-{end} mencakup {span} tahun; yang wajar 5 sampai 20 tahun "
                "(masterplan smart city umumnya 10 tahun). Periksa periode_mulai dan periode_selesai.",
                "The masterplan period {start}-{end} covers {span} years; 5 to 20 years is expected "
                "(a smart city masterplan usually covers 10). Check periode_mulai and periode_selesai.",
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
        },
        advice=(
            "Periksa kembali nilai-nilai yang saling bertentangan; perbaiki bila keliru (tidak menghalangi "
            "penerimaan).",
            "Check the values that disagree and correct them if wrong (this does not block acceptance).",
        ),
    ),
    Rule(
        "COVERAGE",
        WARNING,
        checks=(
            Check(CROSS, "COVERAGE_DIMENSION", "a dimension without any program"),
            Check(
                CROSS, "COVERAGE_REALISATION", "masterplan programs running in the year without a realisation"
            ),
        ),
        messages={
            "COVERAGE_DIMENSION": (
                "Dimensi '{dimension}' belum memiliki program. Setiap dimensi diharapkan memiliki minimal "
                "satu program: tambahkan program untuk dimensi ini.",
                "Dimension '{dimension}' has no program. Every dimension is expected to have at least one "
                "program: add one for this dimension.",
            ),
            "COVERAGE_REALISATION": (
                "{count} program masterplan yang berjalan pada tahun {year} belum memiliki baris di lembar "
                "Realisasi: {codes}. Tambahkan satu baris per program.",
                "{count} masterplan programs running in {year} have no row on the Realisasi sheet: {codes}. "
                "Add one row per program.",
            ),
        },
        advice=(
            "Lengkapi data yang belum ada bila memang ada (tidak menghalangi penerimaan).",
            "Complete what is missing, if it exists (this does not block acceptance).",
        ),
    ),
    Rule(
        "EXTRA",
        WARNING,
        checks=(
            Check(READER, "EXTRA_SHEET", "a sheet that is not part of the template"),
            Check(READER, "EXTRA_COLUMN", "a column that is not part of the template"),
            Check(READER, "EXTRA_TOTAL_ROW", "a total row below the data"),
            Check(
                READER,
                "EXTRA_BUDGET_YEAR",
                "version 2: an anggaran_<YYYY> column outside the masterplan period",
            ),
        ),
        messages={
            "EXTRA_SHEET": (
                "Lembar '{sheet}' tidak dikenal dan diabaikan; tidak perlu diperbaiki.",
                "Sheet '{sheet}' is not part of the template and was ignored; nothing to fix.",
            ),
            "EXTRA_COLUMN": (
                "Kolom '{column}' di lembar '{sheet}' tidak dikenal dan diabaikan; tidak perlu diperbaiki.",
                "Column '{column}' in sheet '{sheet}' is not part of the template and was ignored; nothing to fix.",
            ),
            "EXTRA_TOTAL_ROW": (
                "Baris total ('{value}') dilewati; tidak perlu diperbaiki.",
                "A total row ('{value}') was skipped; nothing to fix.",
            ),
            "EXTRA_BUDGET_YEAR": (
                "Kolom '{column}' (tahun {year}) di luar periode masterplan {start}–{end} dan diabaikan; hapus kolomnya atau perbaiki periode.",
                "Column '{column}' (year {year}) is outside the masterplan period {start}–{end} and was ignored; remove the column or correct the period.",
            ),
        },
        advice=(
            "Tidak perlu tindakan; lembar/kolom/baris tambahan diabaikan.",
            "No action needed; extra sheets, columns or rows were ignored.",
        ),
    ),
)

CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def messages() -> dict[str, tuple[str, str]]:
    """Every message id of every rule -> (Indonesian, English)."""
    return {mid: text for rule in _RULES for mid, text in rule.messages.items()}


def advice(code: str) -> tuple[str, str]:
    """What a regency should do about a finding of rule `code` (Indonesian, English)."""
    rule = CATALOGUE.get(code)
    return rule.advice if rule else ("Perbaiki sesuai pesan.", "Correct it as the message says.")
