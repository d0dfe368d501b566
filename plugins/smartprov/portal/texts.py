"""What the portal's pages say, Indonesian first, English by the switch (cookie `lang`)."""

from __future__ import annotations

LANGS = ("id", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Portal smartprov", "smartprov portal"),
    "tagline": (
        "Periksa, kirim, dan pantau dokumen Smart City kabupaten/kota Anda",
        "Check, send and follow your regency's Smart City documents",
    ),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "email": ("E-mail", "E-mail"),
    "password": ("Kata sandi", "Password"),
    "password_again": ("Ulangi kata sandi", "Password again"),
    "login_failed": ("E-mail atau kata sandi salah.", "Wrong e-mail or password."),
    "login_limited": (
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.",
        "Too many failed logins. Try again in 15 minutes.",
    ),
    "check": ("Periksa", "Check"),
    "send": ("Kirim", "Send"),
    "status": ("Status", "Status"),
    "province": ("Provinsi", "Province"),
    "check_intro": (
        "Pilih workbook (masterplan atau evaluasi, versi 1 atau 2). Periksa menjalankan aturan yang sama "
        "dengan proses malam hari dan tidak menyimpan apa pun. Kirim memeriksa lagi lalu menyerahkan berkas "
        "yang tanpa kesalahan ke zona pendaratan.",
        "Choose a workbook (masterplan or evaluation, version 1 or 2). Check applies the same rules as the "
        "nightly run and stores nothing. Send checks again, then hands a workbook without errors to the "
        "landing zone.",
    ),
    "workbook": ("Workbook (.xlsx)", "Workbook (.xlsx)"),
    "max_size": ("Ukuran maksimum", "Maximum size"),
    "accepted": ("Akan DITERIMA", "Would be ACCEPTED"),
    "rejected": ("Akan DITOLAK", "Would be REJECTED"),
    "no_findings": ("Tidak ada temuan.", "No findings."),
    "findings": ("Temuan", "Findings"),
    "severity": ("Tingkat", "Severity"),
    "rule": ("Aturan", "Rule"),
    "sheet": ("Lembar", "Sheet"),
    "row": ("Baris", "Row"),
    "column": ("Kolom", "Column"),
    "value": ("Nilai", "Value"),
    "message": ("Pesan", "Message"),
    "todo": ("Cara memperbaiki", "How to fix"),
    "download_findings": ("Unduh temuan (.xlsx)", "Download findings (.xlsx)"),
    "fix_then_send": (
        "Perbaiki kesalahan (ERROR) lalu periksa lagi; workbook dengan kesalahan tidak dapat dikirim.",
        "Fix the errors (ERROR) and check again; a workbook with errors cannot be sent.",
    ),
    "may_send": (
        "Workbook ini dapat dikirim: pilih berkas yang sama lalu tekan Kirim.",
        "This workbook can be sent: choose the same file and press Send.",
    ),
    "sent": ("Terkirim", "Sent"),
    "sent_text": (
        "Workbook telah disimpan di zona pendaratan sebagai {path}. Intake terjadwal (setiap lima menit) "
        "akan memvalidasi dan memuatnya; hasilnya tampil di Status dan dikirim lewat e-mail.",
        "The workbook was stored in the landing zone as {path}. The scheduled intake (every five minutes) "
        "validates and loads it; the result shows in Status and is mailed to you.",
    ),
    "not_sent": (
        "Tidak dikirim: workbook masih memiliki kesalahan.",
        "Not sent: the workbook still has errors.",
    ),
    "waiting": ("terkirim, menunggu intake", "sent, waiting for intake"),
    "submissions": ("Pengiriman", "Submissions"),
    "file": ("Berkas", "File"),
    "kind": ("Jenis", "Kind"),
    "period": ("Periode", "Period"),
    "received": ("Diterima sistem", "Received"),
    "outcome": ("Hasil", "Outcome"),
    "errors_warnings": ("Kesalahan / peringatan", "Errors / warnings"),
    "deadlines": ("Tenggat", "Deadlines"),
    "due": ("Jatuh tempo", "Due"),
    "days_late": ("Hari terlambat", "Days late"),
    "overdue": ("Lewat tenggat", "Overdue"),
    "templates": ("Templat", "Templates"),
    "template_mp": ("Templat masterplan", "Masterplan template"),
    "template_ev": (
        "Templat evaluasi {year} (terisi dari gudang data)",
        "Evaluation template {year} (prefilled from the warehouse)",
    ),
    "nothing_yet": ("Belum ada data.", "Nothing yet."),
    "regencies": ("Kabupaten/kota", "Regencies"),
    "region": ("Wilayah", "Region"),
    "last_received": ("Terakhir diterima", "Last received"),
    "reports": ("Laporan provinsi", "Province reports"),
    "data_docs": ("Data Docs (hasil validasi)", "Data Docs (validation results)"),
    "outbox": ("Kotak keluar (outbox)", "Outbox"),
    "outbox_when": ("Waktu (WIB)", "Time (WIB)"),
    "outbox_state": ("Keadaan", "State"),
    "outbox_kind": ("Jenis", "Kind"),
    "outbox_to": ("Penerima", "Recipients"),
    "outbox_subject": ("Subjek", "Subject"),
    "outbox_sent": ("terkirim", "sent"),
    "outbox_waiting": ("menunggu, percobaan", "waiting, attempts"),
    "outbox_next": ("berikutnya", "next"),
    "forbidden": ("Anda tidak berhak membuka halaman ini.", "You may not open this page."),
    "set_password": ("Tetapkan kata sandi", "Set your password"),
    "password_rules": ("Minimal 10 karakter.", "At least 10 characters."),
    "password_mismatch": ("Kedua kata sandi tidak sama.", "The two passwords differ."),
    "password_short": (
        "Kata sandi terlalu pendek (minimal 10 karakter).",
        "Password too short (at least 10 characters).",
    ),
    "link_dead": ("Tautan ini sudah dipakai atau kedaluwarsa.", "This link was used or has expired."),
    "password_set": ("Kata sandi tersimpan. Silakan masuk.", "Password saved. Please log in."),
    "csrf_failed": (
        "Formulir kedaluwarsa; muat ulang halaman lalu coba lagi.",
        "The form expired; reload the page and try again.",
    ),
    "province_cannot_send": (
        "Akun provinsi hanya dapat melihat; pemeriksaan dan pengiriman dilakukan oleh kabupaten/kota.",
        "Province accounts only view; regencies check and send.",
    ),
    "times_wib": ("Semua waktu dalam WIB.", "All times in WIB."),
    "language": ("English", "Bahasa Indonesia"),
}


def translator(lang: str):
    index = 1 if lang == "en" else 0

    def t(key: str, **params) -> str:
        text = TEXTS[key][index]
        return text.format(**params) if params else text

    return t
