"""The findings workbook attached to regency feedback, at a size that used to take minutes
(openpyxl's max_row was asked once per row: quadratic). The time itself is measured by
`python -m bench.run --only feedback_workbook`, not asserted here."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from smartprov.alerts.feedback import findings_xlsx

N = 50_000
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+62 812", "-5", "@SUM(1+1)", "#N/A", "\tTAB", "ok"]


def _findings(n: int) -> list[dict]:
    return [
        {
            "severity": "ERROR" if i % 3 else "WARNING",
            "rule": "VALUE_REQUIRED",
            "sheet": "Program",
            "row": i + 2,
            "column": "anggaran_rp",
            "value": HOSTILE[i % len(HOSTILE)] + f" {i}",
            "message": f"Nilai kosong {i}",
            "message_en": f"Missing value {i}",
        }
        for i in range(n)
    ]


def test_fifty_thousand_findings_all_present_and_neutralised():
    sub = {"path": "32.04/a.xlsx", "sha256": "a" * 64, "findings": _findings(N), "status": "rejected"}
    data = findings_xlsx(sub, {"run_id": "r1", "finished_at": "2026-11-29T00:00:00"})
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["Temuan", "Info"]
    rows = list(wb["Temuan"].iter_rows(values_only=True))
    assert len(rows) == N + 1
    assert rows[0][0] == "No" or rows[0][0]  # header row
    body = rows[1:]
    assert [r[0] for r in body] == list(range(1, N + 1))
    assert [r[4] for r in body] == [i + 2 for i in range(N)]
    for i, r in enumerate(body):
        raw = HOSTILE[i % len(HOSTILE)] + f" {i}"
        expected = "'" + raw if raw.startswith(("=", "+", "-", "@", "\t")) else raw
        assert r[6] == expected, (i, r[6])
        assert r[7] == f"Nilai kosong {i}" and r[8] == f"Missing value {i}"
    wb.close()
    # Cell types straight from the sheet XML: not one formula or error cell.
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="e"' not in sheet_xml
    assert '<autoFilter ref="A1:K50001"' in sheet_xml and 'topLeftCell="A2"' in sheet_xml


def test_feedback_workbook_prints_one_page_wide_with_its_header_on_every_page():
    sub = {"path": "32.04/a.xlsx", "sha256": "a" * 64, "findings": _findings(300), "status": "rejected"}
    wb = load_workbook(io.BytesIO(findings_xlsx(sub, {"run_id": "r1"})))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9"), ws.title
        # one page wide is the schema's default (fitToWidth 1): XlsxWriter leaves it out
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
    assert wb["Temuan"].print_title_rows == "$1:$1"
    assert wb["Temuan"].auto_filter.ref == "A1:K301"  # the filter survives the print names


def test_feedback_workbook_pdf_is_one_page_wide_readable_and_without_text_over_text(tmp_path):
    """As LibreOffice prints it: every word inside one page's width, none under 8 pt, long
    messages wrapped inside rows tall enough for them, headers wrapped, not run together."""
    from printing import MIN_BOX_FOR_8PT, overlapping, to_pdf, words

    findings = _findings(40)
    for f in findings[:5]:
        f["message"] = "Nilai pada kolom anggaran_rp kosong; isi anggaran dalam rupiah, mis. 1,5 M. " * 3
    sub = {"path": "32.04/a.xlsx", "sha256": "a" * 64, "findings": findings, "status": "rejected"}
    book = tmp_path / "temuan.xlsx"
    book.write_bytes(findings_xlsx(sub, {"run_id": "r1"}))
    found = words(to_pdf(book, tmp_path / "pdf"))
    page_width = 841.9
    assert max(w.x1 for w in found) <= page_width - 20
    assert min(w.height for w in found) >= MIN_BOX_FOR_8PT
    assert not overlapping(found), overlapping(found)[:5]
    assert {"Missing", "Perbaiki"} <= {w.text for w in found}


def test_feedback_headers_say_each_column_once():
    """An English-only column is headed once ("Message (English)"), never doubled as
    "Message / Message (English)"; a bilingual header names the Indonesian first."""
    sub = {"path": "32.04/a.xlsx", "sha256": "a" * 64, "findings": _findings(1), "status": "rejected"}
    wb = load_workbook(io.BytesIO(findings_xlsx(sub, {"run_id": "r1"})), read_only=True)
    header = next(wb["Temuan"].iter_rows(values_only=True))
    wb.close()
    assert "Message (English)" in header and "What to do (English)" in header
    assert header[7] == "Pesan / Message (Indonesian)"
    for title in header:
        first, _, second = str(title).partition(" / ")
        assert not second or not second.startswith(first), title


def test_feedback_texts_that_look_like_markup_or_carry_control_characters_stay_text():
    """Written with XlsxWriter in constant_memory mode: a text shaped like its own rich-text
    runs ("<r>...</r>") is escaped like any other, characters XML cannot carry become U+FFFD,
    and an "_x0041_" stays those seven characters."""
    import zipfile

    values = [
        '<r><t>a</t></r><c r="Z9"><f>1+1</f></c><r><t>b</t></r>',
        "bell\x07 and \x00 nul and \ufffe",
        "_x0041_ literal",
    ]
    findings = [dict(_findings(1)[0], value=v) for v in values]
    sub = {"path": "32.04/a.xlsx", "sha256": "a" * 64, "findings": findings, "status": "rejected"}
    data = findings_xlsx(sub, {"run_id": "r1"})
    # calamine (what ingest reads with) decodes Excel's _xHHHH_ escapes; openpyxl does not
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Temuan").to_python()
    assert [r[6] for r in rows[1:]] == [values[0], "bell\ufffd and \ufffd nul and \ufffd", values[2]]
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and '<c r="Z9"' not in sheet_xml
