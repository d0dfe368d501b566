"""Regency feedback: one e-mail per regency contact and cycle, covering its rejected or warned files.

It lists every finding (sheet, row, column, the value found, the message, what to do),
Indonesian first and English second, and attaches the same list as an .xlsx. Every text
cell of that spreadsheet that a spreadsheet program could read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with an apostrophe and stored as
text: workbook values are the regency's, never trusted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from smartprov.alerts.channels import Attachment, Email
from smartprov.alerts.render import esc, html_page, kind_label, status_label
from smartprov.contract.names import printable_name
from smartprov.contract.rules import advice
from smartprov.contract.spreadsheet import neutralise

SHEET_COLUMNS = (
    ("No", "No"),
    ("Tingkat", "Severity"),
    ("Aturan", "Rule"),
    ("Lembar", "Sheet"),
    ("Baris", "Row"),
    ("Kolom", "Column"),
    ("Nilai ditemukan", "Value found"),
    ("Pesan", "Message (Indonesian)"),
    ("Message (English)", "Message (English)"),  # an English column needs no Indonesian twin
    ("Yang harus dilakukan", "What to do (Indonesian)"),
    ("What to do (English)", "What to do (English)"),
)


def remedy(rule: str) -> tuple[str, str]:
    """What to do about a finding of `rule`: the rule catalogue's advice (Indonesian, English)."""
    return advice(rule)


def needs_feedback(sub: dict[str, Any], on_warnings: bool = True) -> bool:
    if sub.get("status") == "duplicate" or not sub.get("findings"):
        return False
    if sub.get("status") == "rejected":
        return True
    return on_warnings and any(f.get("severity") == "WARNING" for f in sub["findings"])


def findings_xlsx(sub: dict[str, Any], report: dict[str, Any]) -> bytes:
    """The findings as a workbook, streamed row by row (smartprov.alerts.xlsx_table): time
    and memory grow linearly with the findings, up to the sheet's row limit."""
    from smartprov.alerts.xlsx_table import Table, workbook_bytes

    def finding_rows():
        for no, f in enumerate(sub.get("findings") or [], start=1):
            todo_id, todo_en = remedy(str(f.get("rule")))
            yield [
                neutralise(v)
                for v in (
                    no,
                    f.get("severity"),
                    f.get("rule"),
                    f.get("sheet"),
                    f.get("row"),
                    f.get("column"),
                    None if f.get("value") is None else str(f.get("value")),
                    f.get("message"),
                    f.get("message_en"),
                    todo_id,
                    todo_en,
                )
            ]

    region = " ".join(x for x in (sub.get("region_code"), sub.get("region_name")) if x)
    info = [
        [label, None if value is None else neutralise(str(value))]
        for label, value in (
            ("Berkas / File", sub.get("path")),
            ("SHA-256", sub.get("sha256")),
            ("ID pengiriman / Submission ID", sub.get("submission_id")),
            ("Wilayah / Regency", region or None),
            ("Jenis / Kind", sub.get("kind")),
            ("Periode / Period", sub.get("period")),
            ("Status", sub.get("status")),
            ("Run", report.get("run_id")),
            ("Diperiksa / Checked", report.get("finished_at") or report.get("started_at")),
        )
    ]
    return workbook_bytes(
        [
            Table(
                "Temuan",
                [f"{a} / {b}" if a != b else a for a, b in SHEET_COLUMNS],
                finding_rows(),
                widths=(5, 10, 16, 14, 7, 22, 30, 60, 60, 50, 50),
                wrap_from=7,
            ),
            Table("Info", ["Keterangan / Item", "Nilai / Value"], info, widths=(30, 70), autofilter=False),
        ]
    )


def attachment_name(sub: dict[str, Any]) -> str:
    parts = [
        "temuan",
        sub.get("region_code") or "wilayah",
        sub.get("kind") or "dokumen",
        sub.get("period") or "",
    ]
    parts.append(str(sub.get("submission_id") or "")[:8])
    safe = "-".join("".join(c if c.isalnum() or c in "._" else "_" for c in str(p)) for p in parts if p)
    return f"{safe}.xlsx"


def build_feedback(
    sub: dict[str, Any],
    report: dict[str, Any],
    *,
    to: list[str],
    cc: list[str],
    max_in_body: int = 500,
) -> Email:
    findings = list(sub.get("findings") or [])
    errors = sum(1 for f in findings if f.get("severity") == "ERROR")
    warnings = len(findings) - errors
    rejected = sub.get("status") == "rejected"
    who = sub.get("region_name") or sub.get("region_code") or "kabupaten/kota"
    doc = " ".join(x for x in (kind_label(sub.get("kind")), sub.get("period")) if x) or "dokumen"
    filename = printable_name(str(sub.get("path") or "").rsplit("/", 1)[-1])  # names are data, not lines
    if rejected:
        subject = (
            f"[Smart City] Dokumen {doc} {who} DITOLAK: {errors} kesalahan perlu diperbaiki"
            f" / {doc} REJECTED: {errors} error(s) to fix"
        )
    else:
        subject = (
            f"[Smart City] Dokumen {doc} {who} diterima dengan {warnings} catatan"
            f" / {doc} accepted with {warnings} warning(s)"
        )
    subject = " ".join(subject.split())  # no line breaks from names in a header

    if rejected:
        intro_id = (
            f'Dokumen {doc} dari {who} (berkas "{filename}") DITOLAK: ada {errors} kesalahan (ERROR)'
            f" dan {warnings} catatan (WARNING). Tidak ada data dari berkas ini yang masuk ke gudang data."
            " Perbaiki setiap kesalahan di bawah, lalu unggah kembali seluruh workbook ke folder wilayah Anda."
        )
        intro_en = (
            f'The {doc} document from {who} (file "{filename}") was REJECTED: {errors} error(s) and'
            f" {warnings} warning(s). Nothing from this file reached the warehouse. Fix every error below"
            " and upload the whole workbook again into your regency's folder."
        )
    else:
        intro_id = (
            f'Dokumen {doc} dari {who} (berkas "{filename}") DITERIMA dengan {warnings} catatan (WARNING).'
            " Catatan tidak menghalangi penerimaan; mohon periksa dan perbaiki pada pengiriman berikutnya bila perlu."
        )
        intro_en = (
            f'The {doc} document from {who} (file "{filename}") was ACCEPTED with {warnings} warning(s).'
            " Warnings do not block acceptance; please check them and correct them in your next submission if needed."
        )
    shown = findings[:max_in_body]
    more = len(findings) - len(shown)
    more_id = f"… dan {more} temuan lain: lihat lampiran." if more > 0 else ""
    more_en = f"… and {more} more finding(s): see the attachment." if more > 0 else ""
    attach = attachment_name(sub)
    counts = Counter(str(f.get("rule")) for f in findings)
    rules = ", ".join(f"{r} ×{n}" for r, n in counts.most_common())

    # plain text
    lines = [intro_id, "", f"Lampiran {attach} memuat semua temuan ({len(findings)}): {rules}.", ""]
    for no, f in enumerate(shown, start=1):
        todo_id, todo_en = remedy(str(f.get("rule")))
        lines += [
            f"{no}. [{f.get('severity')} {f.get('rule')}] {location_text(f)}",
            f"   Nilai ditemukan / value found: {value_text(f.get('value'))}",
            f"   {f.get('message')}",
            f"   Yang harus dilakukan: {todo_id}",
            f"   ({f.get('message_en')} What to do: {todo_en})",
        ]
    if more_id:
        lines += [more_id, more_en]
    lines += [
        "",
        "--- English ---",
        intro_en,
        f"The attachment {attach} lists every finding ({len(findings)}), with the same numbers as above.",
        "",
        _footer_text(sub, report),
    ]
    text = "\n".join(lines)

    # HTML
    rows = []
    for no, f in enumerate(shown, start=1):
        todo_id, todo_en = remedy(str(f.get("rule")))
        rows.append(
            "<tr>"
            f"<td>{no}</td><td>{esc(f.get('severity'))}<br><small>{esc(f.get('rule'))}</small></td>"
            f"<td>{esc(f.get('sheet') or '')}</td><td>{esc('' if f.get('row') is None else f.get('row'))}</td>"
            f"<td>{esc(f.get('column') or '')}</td><td><code>{esc(value_text(f.get('value')))}</code></td>"
            f'<td>{esc(f.get("message"))}<br><i lang="en">{esc(f.get("message_en"))}</i></td>'
            f'<td>{esc(todo_id)}<br><i lang="en">{esc(todo_en)}</i></td>'
            "</tr>"
        )
    table = (
        '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
        "<tr><th>No</th><th>Tingkat<br><small>Severity</small></th><th>Lembar<br><small>Sheet</small></th>"
        "<th>Baris<br><small>Row</small></th><th>Kolom<br><small>Column</small></th>"
        "<th>Nilai ditemukan<br><small>Value found</small></th><th>Pesan<br><small>Message</small></th>"
        "<th>Yang harus dilakukan<br><small>What to do</small></th></tr>" + "".join(rows) + "</table>"
    )
    body = (
        f'<div lang="id"><p>{esc(intro_id)}</p>'
        f"<p>Lampiran <b>{esc(attach)}</b> memuat semua temuan ({len(findings)}): {esc(rules)}.</p></div>"
        f"{table}"
        + (f"<p>{esc(more_id)}<br><i>{esc(more_en)}</i></p>" if more_id else "")
        + f'<hr><div lang="en"><h3>English</h3><p>{esc(intro_en)}</p>'
        f"<p>The attachment <b>{esc(attach)}</b> lists every finding ({len(findings)}), "
        "with the same numbers as the table above.</p></div>"
        f"<hr><p><small>{esc(_footer_text(sub, report))}</small></p>"
    )
    return Email(
        to=to,
        cc=cc,
        subject=subject,
        text=text,
        html=html_page(subject, body),
        attachments=[Attachment(attach, findings_xlsx(sub, report))],
        headers={"X-Smartprov-Submission": str(sub.get("submission_id") or "")},
    )


def location_text(f: dict[str, Any]) -> str:
    parts = [f"lembar/sheet {f['sheet']}" if f.get("sheet") else "berkas/file"]
    if f.get("row") is not None:
        parts.append(f"baris/row {f['row']}")
    if f.get("column"):
        parts.append(f"kolom/column {f['column']}")
    return ", ".join(parts)


def value_text(value: Any) -> str:
    return "(kosong / empty)" if value is None or value == "" else str(value)


def _footer_text(sub: dict[str, Any], report: dict[str, Any]) -> str:
    return (
        f"Status: {status_label(sub.get('status'))}. ID pengiriman / submission ID {sub.get('submission_id')},"
        f" SHA-256 {sub.get('sha256')}, run {report.get('run_id')}. Pesan otomatis dari smartprov;"
        " balas ke Diskominfo provinsi bila ada pertanyaan. / Automatic message from smartprov;"
        " reply to the provincial Diskominfo with any question."
    )


def build_feedback_bundle(
    subs: list[dict[str, Any]],
    report: dict[str, Any],
    *,
    to: list[str],
    cc: list[str],
    max_in_body: int = 500,
) -> Email:
    """One mail for a regency's several new files: each file's section as its own mail would
    show it, one attachment per file."""
    parts = [build_feedback(sub, report, to=to, cc=cc, max_in_body=max_in_body) for sub in subs]
    rejected = sum(1 for s in subs if s.get("status") == "rejected")
    warned = len(subs) - rejected
    first = subs[0]
    who = first.get("region_name") or first.get("region_code") or "kabupaten/kota"
    subject = " ".join(
        (
            f"[Smart City] Umpan balik {who}: {len(subs)} dokumen ({rejected} DITOLAK, {warned} diterima dengan catatan)"
            f" / Feedback on {len(subs)} documents ({rejected} REJECTED, {warned} accepted with warnings)"
        ).split()
    )
    intro_id = (
        f"Ada {len(subs)} dokumen baru dari {who} yang perlu Anda perhatikan; setiap dokumen dijelaskan di bawah"
        " dan temuannya terlampir per berkas."
    )
    intro_en = (
        f"{len(subs)} new documents from {who} need your attention; each is described below and its"
        " findings are attached, one spreadsheet per file."
    )
    text = "\n\n==========\n\n".join([f"{intro_id}\n{intro_en}", *(p.text for p in parts)])
    bodies = [p.html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0] for p in parts]
    body = f'<p>{esc(intro_id)}<br><i lang="en">{esc(intro_en)}</i></p><hr>' + "<hr>".join(bodies)
    return Email(
        to=to,
        cc=cc,
        subject=subject,
        text=text,
        html=html_page(subject, body),
        attachments=[a for p in parts for a in p.attachments],
        headers={"X-Smartprov-Submission": ", ".join(str(s.get("submission_id") or "") for s in subs)},
    )
