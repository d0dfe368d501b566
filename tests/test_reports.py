"""The end-of-run reports (smartprov.reports): Excel workbook and self-contained HTML.

The marts are created here with plain SQL in a DuckDB file (no dbt run), with a hostile
regency name for formula injection and one for HTML injection.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pytest

from smartprov.reports import write_reports

RUN_ID = "manual__20250301T010203"
FORMULA_NAME = "=cmd|' /C calc'!A0"
HTML_NAME = "<script>alert(1)</script> & Co"
GENERATED_AT = dt.datetime(2025, 3, 1, 1, 2, 3)

MART_SHEETS = [
    "Cakupan Masterplan",
    "Portofolio Dimensi",
    "Progres Implementasi",
    "Kesiapan",
    "Indeks Evaluasi",
    "Ringkasan Provinsi",
    "Status Pengiriman",
    "Jalan ke Ambang",
    "Quick Win",
    "Sumber Dana",
]
CHARTS = {"coverage", "dimensions", "progress", "readiness", "index"}
# a province's page also plots its coverage against the threshold line
PROVINCE_CHARTS = CHARTS | {"coverage-threshold"}

BASE = "province_code VARCHAR, province_name VARCHAR, region_code VARCHAR, region_name VARCHAR"
P32 = "'32', 'Jawa Barat'"
P35 = "'35', 'Jawa Timur'"

MARTS_SQL = [
    "CREATE SCHEMA marts",
    f"""CREATE TABLE marts.province_masterplan_coverage ({BASE}, region_type VARCHAR,
        has_masterplan BOOLEAN, masterplan_submission_id VARCHAR, period_start INTEGER,
        period_end INTEGER, document_date DATE, programs INTEGER, quick_wins INTEGER,
        programs_without_budget INTEGER, budget_total_idr DECIMAL(20, 2), last_submitted_at TIMESTAMP)""",
    f"""INSERT INTO marts.province_masterplan_coverage VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 'kabupaten', true, 'mp-3201', 2023, 2027, DATE '2023-01-10',
         10, 3, 0, 1500000000, TIMESTAMP '2024-02-01 08:30:00'),
        ({P32}, '32.02', $${FORMULA_NAME}$$, 'kabupaten', true, 'mp-3202', 2023, 2027, DATE '2023-02-01',
         4, 1, 1, 250000000, TIMESTAMP '2024-02-02 09:00:00'),
        ({P32}, '32.03', '{HTML_NAME}', 'kota', true, 'mp-3203', 2024, 2028, DATE '2024-01-05',
         6, 2, 0, 750000000, TIMESTAMP '2024-03-01 10:00:00'),
        ({P32}, '32.04', 'Kota Bandung', 'kota', false, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL),
        ({P32}, '32.05', 'Kabupaten Garut', 'kabupaten', false, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL),
        ({P35}, '35.01', 'Kabupaten Pacitan', 'kabupaten', true, 'mp-3501', 2023, 2027, DATE '2023-05-05',
         8, 2, 0, 400000000, TIMESTAMP '2024-01-15 07:00:00'),
        ({P35}, '35.73', 'Kota Malang', 'kota', true, 'mp-3573', 2023, 2027, DATE '2023-06-06',
         5, 0, 0, 100000000, TIMESTAMP '2024-01-16 07:00:00')""",
    f"""CREATE TABLE marts.province_dimension_portfolio ({BASE}, masterplan_submission_id VARCHAR,
        framework VARCHAR, dimension VARCHAR, dimension_order INTEGER, element VARCHAR,
        element_order INTEGER, programs INTEGER, quick_wins INTEGER, budget_total_idr DECIMAL(20, 2),
        agencies INTEGER, agency_names VARCHAR)""",
    f"""INSERT INTO marts.province_dimension_portfolio VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 'mp-3201', 'kominfo-2017', 'Smart Governance', 1, 'Layanan Publik', 1,
         6, 2, 900000000, 2, 'Diskominfo; Disdukcapil'),
        ({P32}, '32.01', 'Kabupaten Bogor', 'mp-3201', 'kominfo-2017', 'Smart Economy', 3, 'Ekosistem Industri', 1,
         4, 1, 600000000, 1, '+SUM(A1)'),
        ({P32}, '32.02', $${FORMULA_NAME}$$, 'mp-3202', 'kominfo-2017', 'Smart Governance', 1, 'Layanan Publik', 1,
         4, 1, 250000000, 1, 'Bappeda'),
        ({P32}, '32.03', '{HTML_NAME}', 'mp-3203', 'kominfo-2017', 'Smart Living', 4, 'Kesehatan', 2,
         6, 2, 750000000, 1, 'Dinkes'),
        ({P35}, '35.01', 'Kabupaten Pacitan', 'mp-3501', 'kominfo-2017', 'Smart Economy', 3, 'Ekosistem Industri', 1,
         8, 2, 400000000, 1, 'Disperindag')""",
    f"""CREATE TABLE marts.province_implementation_progress ({BASE}, year INTEGER, dimension VARCHAR,
        dimension_order INTEGER, masterplan_submission_id VARCHAR, evaluation_submission_id VARCHAR,
        has_evaluation BOOLEAN, programs_planned INTEGER, programs_reported INTEGER, programs_done INTEGER,
        avg_progress_pct DECIMAL(7, 2), budget_planned_idr DECIMAL(20, 2), budget_realized_idr DECIMAL(20, 2),
        realization_ratio DECIMAL(12, 4), programs_delayed INTEGER, programs_cancelled INTEGER,
        budget_realized_planned_idr DECIMAL(20, 2))""",
    f"""INSERT INTO marts.province_implementation_progress VALUES
        ({P32}, '32.02', $${FORMULA_NAME}$$, 2022, 'Smart Governance', 1, 'mp-3202', NULL, false,
         0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, NULL),
        ({P32}, '32.01', 'Kabupaten Bogor', 2023, 'Smart Governance', 1, 'mp-3201', 'ev-3201-23', true,
         6, 4, 1, 40.00, 900000000, 300000000, 0.3333, 1, 0, 300000000),
        ({P32}, '32.01', 'Kabupaten Bogor', 2023, 'Smart Economy', 3, 'mp-3201', 'ev-3201-23', true,
         4, 2, 0, 25.50, 600000000, 130000000, 0.2000, 0, 1, 120000000),
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'Smart Governance', 1, 'mp-3201', 'ev-3201-24', true,
         6, 6, 3, 72.25, 900000000, 411000000, 0.4567, 0, 0, 411000000),
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'Smart Economy', 3, 'mp-3201', 'ev-3201-24', true,
         4, 0, 0, NULL, 600000000, NULL, NULL, 0, 0, NULL),
        ({P32}, '32.01', 'Kabupaten Bogor', 2025, 'Smart Economy', 3, 'mp-3201', NULL, false,
         4, 0, 0, NULL, NULL, NULL, NULL, 0, 0, NULL),
        ({P35}, '35.01', 'Kabupaten Pacitan', 2024, 'Smart Economy', 3, 'mp-3501', NULL, false,
         8, 0, 0, NULL, 400000000, NULL, NULL, 0, 0, NULL)""",
    f"""CREATE TABLE marts.province_readiness ({BASE}, evaluation_year INTEGER,
        evaluation_submission_id VARCHAR, pillar VARCHAR, indicators INTEGER, avg_score DECIMAL(5, 2))""",
    f"""INSERT INTO marts.province_readiness VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'ev-3201-24', 'Suprastruktur', 4, 3.25),
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'ev-3201-24', 'Struktur', 5, 3.80),
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'ev-3201-24', 'Infrastruktur', 6, 2.50),
        ({P32}, '32.03', '{HTML_NAME}', 2024, 'ev-3203-24', 'Struktur', 5, 2.20),
        ({P32}, '32.03', '{HTML_NAME}', 2024, 'ev-3203-24', 'Infrastruktur', 6, 3.50),
        ({P32}, '32.03', '{HTML_NAME}', 2024, 'ev-3203-24', 'Suprastruktur', 4, 4.75)""",
    f"""CREATE TABLE marts.province_evaluation_index ({BASE}, evaluation_year INTEGER,
        evaluation_submission_id VARCHAR, aspect VARCHAR, aspect_group VARCHAR, aspect_order INTEGER,
        score DECIMAL(5, 2), rank_in_province INTEGER, regencies_ranked INTEGER)""",
    f"""INSERT INTO marts.province_evaluation_index VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'ev-3201-24', 'Baseline', 'component', 1, 3.10, NULL, NULL),
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'ev-3201-24', 'Total', 'total', 12, 3.45, 2, 2),
        ({P32}, '32.03', '{HTML_NAME}', 2024, 'ev-3203-24', 'Total', 'total', 12, 3.95, 1, 2),
        ({P35}, '35.01', 'Kabupaten Pacitan', 2024, 'ev-3501-24', 'Total', 'total', 12, 4.20, 1, 1)""",
    """CREATE TABLE marts.province_scorecard (province_code VARCHAR, province_name VARCHAR, year INTEGER,
        regencies_total INTEGER, regencies_with_masterplan INTEGER, masterplan_coverage_pct DECIMAL(5, 2),
        meets_smart_province_threshold BOOLEAN, regencies_evaluated INTEGER, avg_progress_pct DECIMAL(7, 2),
        avg_readiness DECIMAL(5, 2), avg_index DECIMAL(5, 2))""",
    f"""INSERT INTO marts.province_scorecard VALUES
        ({P32}, 2023, 5, 2, 40.00, false, 1, 35.17, NULL, NULL),
        ({P32}, 2024, 5, 3, 60.00, false, 2, 72.25, 3.33, 3.70),
        ({P35}, 2024, 2, 2, 100.00, true, 1, NULL, NULL, 4.20)""",
    f"""CREATE TABLE marts.province_submission_status ({BASE}, kind VARCHAR, period VARCHAR,
        evaluation_year INTEGER, due_date DATE, status VARCHAR, is_overdue BOOLEAN,
        submissions_received INTEGER, submissions_accepted INTEGER, submissions_rejected INTEGER,
        last_received_at TIMESTAMP, deciding_submission_id VARCHAR, errors INTEGER, warnings INTEGER,
        days_late INTEGER, misfiled_folder VARCHAR, misfiled_claimed_region_code VARCHAR, unreadable_files INTEGER)""",
    f"""INSERT INTO marts.province_submission_status VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 'MASTERPLAN', 'masterplan', NULL, DATE '2023-12-31', 'late', false,
         1, 1, 0, TIMESTAMP '2024-02-01 08:30:00', 'mp-3201', 0, 2, 32, NULL, NULL, 0),
        ({P32}, '32.04', 'Kota Bandung', 'MASTERPLAN', 'masterplan', NULL, DATE '2023-12-31', 'rejected', true,
         2, 0, 2, TIMESTAMP '2024-04-01 12:00:00', 'mp-3204-b', 3, 1, 400, NULL, NULL, 1),
        ({P32}, '32.05', 'Kabupaten Garut', 'MASTERPLAN', 'masterplan', NULL, DATE '2023-12-31', 'misfiled', true,
         1, 0, 0, TIMESTAMP '2024-03-01 12:00:00', 'mp-x', 1, 0, 400, '32.05', '32.10', 0),
        ({P32}, '32.01', 'Kabupaten Bogor', 'EVALUASI', '2024', 2024, DATE '2025-01-31', 'on_time', false,
         1, 1, 0, TIMESTAMP '2025-01-20 10:00:00', 'ev-3201-24', 0, 0, 0, NULL, NULL, 0),
        ({P32}, '32.05', 'Kabupaten Garut', 'EVALUASI', '2024', 2024, DATE '2025-01-31', 'not_applicable', false,
         0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0),
        ({P35}, '35.73', 'Kota Malang', 'EVALUASI', '2024', 2024, DATE '2025-01-31', 'missing', true,
         0, 0, 0, NULL, NULL, NULL, NULL, 500, NULL, NULL, 0)""",
    """CREATE TABLE marts.province_threshold_path (province_code VARCHAR, province_name VARCHAR,
        regencies_total INTEGER, regencies_with_masterplan INTEGER, regencies_needed INTEGER, region_code VARCHAR,
        region_name VARCHAR, closeness_rank INTEGER, has_rejected_file BOOLEAN, latest_rejected_errors INTEGER,
        first_error_message VARCHAR, contact_email VARCHAR)""",
    f"""INSERT INTO marts.province_threshold_path VALUES
        ({P32}, 5, 3, 1, '32.04', 'Kota Bandung', 1, true, 1, 'Nilai ''Smart People'' pada ''dimensi'' tidak dikenal.',
         'kominfo@bandung.go.id'),
        ({P32}, 5, 3, 1, '32.05', 'Kabupaten Garut', 2, false, NULL, NULL, NULL)""",
    f"""CREATE TABLE marts.province_quick_wins ({BASE}, program_code VARCHAR, program_name VARCHAR,
        dimension VARCHAR, lead_agency VARCHAR, budget_planned_idr DECIMAL(20, 2), latest_status VARCHAR,
        latest_progress_pct DECIMAL(9, 2), progress_by_year VARCHAR)""",
    f"""INSERT INTO marts.province_quick_wins VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 'GOV-01', 'Mal Pelayanan Publik', 'Smart Governance', 'DPMPTSP',
         500000000, 'Tertunda', 40.00, '2023: Berjalan 40%; 2024: Tertunda 40%')""",
    f"""CREATE TABLE marts.province_funding_sources ({BASE}, year INTEGER, funding_source VARCHAR,
        funding_source_order INTEGER, programs INTEGER, programs_shared INTEGER,
        programs_without_year_budget INTEGER, budget_planned_idr DECIMAL(20, 2))""",
    f"""INSERT INTO marts.province_funding_sources VALUES
        ({P32}, '32.01', 'Kabupaten Bogor', 2024, 'APBD Provinsi', 2, 3, 1, 0, 150000000),
        ({P32}, '32.03', '{HTML_NAME}', 2024, 'APBD Provinsi', 2, 1, 0, 1, NULL)""",
]


def _build(path: Path, drop: tuple[str, ...] = ()) -> str:
    con = duckdb.connect(str(path))
    try:
        for stmt in MARTS_SQL:
            con.execute(stmt)
        for name in drop:
            con.execute(f"DROP TABLE marts.{name}")
    finally:
        con.close()
    return f"duckdb:///{path}"


@pytest.fixture
def warehouse(tmp_path) -> str:
    return _build(tmp_path / "warehouse.duckdb")


def _reports(url: str, out: Path, **kw) -> dict[str, str]:
    kw.setdefault("run_id", RUN_ID)
    kw.setdefault("generated_at", GENERATED_AT)
    return write_reports(url, out, **kw)


# -- Excel ----------------------------------------------------------------------------------
def _columns(ws) -> dict[str, int]:
    """technical column name (row 1) -> column index."""
    return {c.value: c.column for c in ws[1] if c.value}


def _data_rows(ws) -> list[dict[str, object]]:
    cols = _columns(ws)
    return [
        {name: ws.cell(row=r, column=i).value for name, i in cols.items()} for r in range(3, ws.max_row + 1)
    ]


def _summary_value(ws, label_start: str):
    for row in ws.iter_rows(min_col=1, max_col=2):
        if isinstance(row[0].value, str) and row[0].value.startswith(label_start):
            return row[1]
    raise AssertionError(f"no summary row {label_start!r}")


def test_workbook_sheets_headers_layout(warehouse, tmp_path):
    out = _reports(warehouse, tmp_path / "out", province="32")
    assert set(out) == {"excel", "html"}
    assert Path(out["excel"]).name == "laporan-smart-province-provinsi-32.xlsx"
    wb = openpyxl.load_workbook(out["excel"])
    assert wb.sheetnames == ["Ringkasan", *MART_SHEETS]

    ws = wb["Cakupan Masterplan"]
    technical = [c.value for c in ws[1]]
    indonesian = [c.value for c in ws[2]]
    assert technical[:6] == [
        "province_code",
        "province_name",
        "region_code",
        "region_name",
        "region_type",
        "has_masterplan",
    ]
    assert indonesian[technical.index("budget_total_idr")] == "Total Anggaran (Rp)"
    assert indonesian[technical.index("region_name")] == "Kabupaten/Kota"
    header = ws.cell(row=2, column=1)
    assert header.font.b and header.fill.fgColor.rgb.endswith("1F4E79")
    assert "province_code" in header.comment.text

    for title in MART_SHEETS:
        sheet = wb[title]
        assert sheet.freeze_panes == "A3", title
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert sheet.auto_filter.ref == f"A2:{last}{sheet.max_row}", title
        assert sheet.column_dimensions["B"].width >= 8, title

    rows = _data_rows(ws)
    # only the province asked for
    assert [r["region_code"] for r in rows] == ["32.01", "32.02", "32.03", "32.04", "32.05"]
    bogor = rows[0]
    assert bogor["has_masterplan"] == "Ya" and rows[3]["has_masterplan"] == "Tidak"
    assert bogor["budget_total_idr"] == 1_500_000_000
    assert rows[3]["budget_total_idr"] is None  # no masterplan is not a zero budget


def test_workbook_number_formats(warehouse, tmp_path):
    wb = openpyxl.load_workbook(_reports(warehouse, tmp_path / "out", province="32")["excel"])

    def cell(sheet: str, column: str, row: int = 3):
        ws = wb[sheet]
        return ws.cell(row=row, column=_columns(ws)[column])

    assert cell("Cakupan Masterplan", "budget_total_idr").number_format == '"Rp" #,##0'
    assert cell("Cakupan Masterplan", "programs").number_format == "#,##0"
    assert cell("Cakupan Masterplan", "period_start").number_format == "0"
    last = cell("Cakupan Masterplan", "last_submitted_at")
    assert last.is_date and last.value == dt.datetime(2024, 2, 1, 15, 30)  # 08:30 UTC in WIB
    header = wb["Cakupan Masterplan"].cell(row=2, column=last.column)
    assert header.value.endswith("(WIB)") and "Shown here in WIB" in header.comment.text
    assert cell("Cakupan Masterplan", "document_date").number_format == "yyyy-mm-dd"

    # percent: mart 0-100 -> fraction shown with %, ratio kept as a fraction
    progress = cell("Progres Implementasi", "avg_progress_pct")
    assert progress.number_format == "0.00%" and progress.value == pytest.approx(0.40)
    ratio = cell("Progres Implementasi", "realization_ratio")
    assert ratio.number_format == "0.00%" and ratio.value == pytest.approx(0.3333)
    assert cell("Progres Implementasi", "budget_realized_idr").value == 300_000_000
    coverage = [c for c in wb["Ringkasan Provinsi"].iter_rows(min_row=3) if c[2].value == 2024][0]
    cov_cell = coverage[_columns(wb["Ringkasan Provinsi"])["masterplan_coverage_pct"] - 1]
    assert cov_cell.value == pytest.approx(0.60) and cov_cell.number_format == "0.00%"
    assert cell("Kesiapan", "avg_score").number_format == "0.00"
    # readiness pillars in their natural order, not alphabetical
    assert [r["pillar"] for r in _data_rows(wb["Kesiapan"])][:3] == [
        "Struktur",
        "Infrastruktur",
        "Suprastruktur",
    ]
    assert cell("Status Pengiriman", "status").value == "terlambat"  # the mart says late: shown in Indonesian
    statuses = {(r["region_code"], r["kind"]): r["status"] for r in _data_rows(wb["Status Pengiriman"])}
    assert (
        statuses[("32.04", "MASTERPLAN")] == "ditolak" and statuses[("32.05", "MASTERPLAN")] == "salah folder"
    )
    assert statuses[("32.05", "EVALUASI")] == "belum wajib"


def test_workbook_neutralises_formulas(warehouse, tmp_path):
    wb = openpyxl.load_workbook(_reports(warehouse, tmp_path / "out")["excel"])
    names = [r["region_name"] for r in _data_rows(wb["Cakupan Masterplan"])]
    assert "'" + FORMULA_NAME in names
    agencies = [r["agency_names"] for r in _data_rows(wb["Portofolio Dimensi"])]
    assert "'+SUM(A1)" in agencies
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(("=", "+", "-", "@")), (ws.title, c.coordinate, c.value)


def test_workbook_summary_figures(warehouse, tmp_path):
    wb = openpyxl.load_workbook(_reports(warehouse, tmp_path / "out", province="32")["excel"])
    ws = wb["Ringkasan"]
    assert "Jawa Barat" in ws["A1"].value
    assert _summary_value(ws, "ID run").value == RUN_ID
    assert _summary_value(ws, "Jumlah kabupaten/kota").value == 5
    assert _summary_value(ws, "Dengan masterplan").value == 3
    cov = _summary_value(ws, "Cakupan masterplan")
    assert cov.value == pytest.approx(0.60) and cov.number_format == "0.00%"
    assert _summary_value(ws, "Ambang Smart Province").value == pytest.approx(0.80)
    assert _summary_value(ws, "Status ambang").value.startswith("Belum memenuhi")
    assert _summary_value(ws, "Quick win").value == 6
    budget = _summary_value(ws, "Total anggaran rencana")
    assert budget.value == 2_500_000_000 and budget.number_format == '"Rp" #,##0'


def test_national_scope_has_every_province(warehouse, tmp_path):
    out = _reports(warehouse, tmp_path / "out")
    assert Path(out["excel"]).name == "laporan-smart-province-nasional.xlsx"
    wb = openpyxl.load_workbook(out["excel"])
    codes = {r["province_code"] for r in _data_rows(wb["Cakupan Masterplan"])}
    assert codes == {"32", "35"}
    ws = wb["Ringkasan"]
    assert _summary_value(ws, "Jumlah kabupaten/kota").value == 7
    assert _summary_value(ws, "Provinsi memenuhi ambang").value.startswith("1 dari")
    per_province = {
        row[0].value: row[4].value for row in ws.iter_rows() if row[0].value in ("Jawa Barat", "Jawa Timur")
    }
    assert per_province == {"Jawa Barat": pytest.approx(0.6), "Jawa Timur": pytest.approx(1.0)}


# -- HTML -----------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.charts: dict[str, str] = {}  # data-chart -> tag
        self.cards: dict[str, list[str]] = {}
        self._card: str | None = None
        self._depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "data-chart" in a:
            self.charts[a["data-chart"]] = tag
        if "data-card" in a:
            self._card, self._depth = a["data-card"], 0
            self.cards[self._card] = []
        if self._card and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag):
        if self._card and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._card = None

    def handle_data(self, data):
        self.text.append(data)
        if self._card and data.strip():
            self.cards[self._card].append(data.strip())


def _page(path: str) -> tuple[str, _Page]:
    text = Path(path).read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return text, page


def _chart(text: str, chart_id: str) -> str:
    start = text.index(f'data-chart="{chart_id}"')
    return text[start : text.index("</svg>", start)]


def test_html_charts_cards_offline(warehouse, tmp_path):
    out = _reports(warehouse, tmp_path / "out", province="32")
    text, page = _page(out["html"])
    assert page.charts == dict.fromkeys(PROVINCE_CHARTS, "svg")
    assert text.count("<svg") == 6
    # headline cards: regencies, with masterplan, coverage vs threshold, quick wins, budget
    assert page.cards["regencies"][-1] == "5"
    assert page.cards["with_masterplan"][-1] == "3"
    assert "60,0%" in page.cards["coverage"]
    assert any("80%" in t for t in page.cards["coverage"])
    assert any("belum memenuhi" in t for t in page.cards["coverage"])
    assert page.cards["quick_wins"][-1] == "6"
    assert "Rp 2.500.000.000" in page.cards["budget"]
    assert RUN_ID in text and "Dibuat (WIB) 2025-03-01 08:02 WIB" in text and "UTC" not in text
    # one self-contained file: nothing fetched from anywhere
    assert "http://" not in text and "https://" not in text
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        for key in ("src", "href", "xlink:href", "action"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)
    # chart content: bars with values, the ranking in order, the threshold
    assert 'data-value="10.0"' in text  # Bogor's 10 programs
    ranking = _chart(text, "index")
    assert ranking.index("&lt;script&gt;") < ranking.index("Kabupaten Bogor")  # 3.95 before 3.45
    dims = _chart(text, "dimensions")
    assert "Governance" in dims and 'data-value="10.0"' in dims  # 6 + 4 Smart Governance programs


def test_html_escapes_text(warehouse, tmp_path):
    text, page = _page(_reports(warehouse, tmp_path / "out", province="32")["html"])
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text
    assert HTML_NAME in "".join(page.text)  # shown to the reader as typed
    assert not [t for t, _ in page.tags if t == "script"]


def test_html_national_coverage_per_province(warehouse, tmp_path):
    text, page = _page(_reports(warehouse, tmp_path / "out")["html"])
    assert set(page.charts) == CHARTS
    coverage = _chart(text, "coverage")
    assert "Jawa Barat" in coverage and "Jawa Timur" in coverage
    assert 'class="threshold"' in coverage
    assert page.cards["regencies"][-1] == "7"
    assert page.cards["provinces_meeting"][-1] == "1 / 2"


# -- tolerance ------------------------------------------------------------------------------
def test_missing_marts_do_not_crash(tmp_path):
    url = _build(tmp_path / "partial.duckdb", drop=("province_readiness", "province_evaluation_index"))
    out = _reports(url, tmp_path / "out", province="32")
    wb = openpyxl.load_workbook(out["excel"])
    assert wb.sheetnames == ["Ringkasan", *MART_SHEETS]
    notes = " ".join(str(c.value) for row in wb["Kesiapan"].iter_rows() for c in row if c.value)
    assert "tidak tersedia" in notes and "marts.province_readiness" in notes
    assert wb["Cakupan Masterplan"].max_row == 7  # the others are still complete
    text, page = _page(out["html"])
    assert page.charts == {
        "coverage-threshold": "svg",
        "coverage": "svg",
        "dimensions": "svg",
        "progress": "svg",
        "readiness": "div",
        "index": "div",
    }
    assert "marts.province_evaluation_index belum tersedia" in text


def test_no_marts_at_all(tmp_path):
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    out = _reports(url, tmp_path / "out", province="32")
    wb = openpyxl.load_workbook(out["excel"])
    assert wb.sheetnames == ["Ringkasan", *MART_SHEETS]
    assert "tidak tersedia" in _summary_value(wb["Ringkasan"], "Jumlah kabupaten/kota").value
    _, page = _page(out["html"])
    assert page.charts == dict.fromkeys(CHARTS, "div")


def test_unreadable_mart_and_new_columns(tmp_path):
    url = _build(tmp_path / "odd.duckdb")
    con = duckdb.connect(url.split(":///", 1)[1])
    # a mart without province_code cannot be filtered: its sheet says so
    con.execute("CREATE OR REPLACE TABLE marts.province_readiness AS SELECT 1 AS pillar_count")
    # a column the dbt project adds later shows up under its technical name
    con.execute("ALTER TABLE marts.province_scorecard ADD COLUMN regencies_late INTEGER DEFAULT 2")
    con.close()
    out = _reports(url, tmp_path / "out", province="32")
    wb = openpyxl.load_workbook(out["excel"])
    notes = " ".join(str(c.value) for row in wb["Kesiapan"].iter_rows() for c in row if c.value)
    assert "tidak dapat dibaca" in notes
    ws = wb["Ringkasan Provinsi"]
    assert "regencies_late" in _columns(ws)
    assert ws.cell(row=3, column=_columns(ws)["regencies_late"]).value == 2
    _, page = _page(out["html"])
    assert page.charts["readiness"] == "div" and page.charts["index"] == "svg"


def test_rewrites_in_place(warehouse, tmp_path):
    out_dir = tmp_path / "out"
    first = _reports(warehouse, out_dir, province="32")
    second = _reports(warehouse, out_dir, province="32", run_id="manual__second")
    assert first == second
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(Path(p).name for p in first.values())
    assert "manual__second" in Path(second["html"]).read_text(encoding="utf-8")


@pytest.mark.postgres
def test_same_reports_from_postgres(tmp_path):
    """PostgreSQL hands back Decimal / date / datetime objects: same workbook, same page."""
    try:
        from pg import fresh_database
    except ImportError:  # tests/ imported as a package
        from .pg import fresh_database
    import psycopg

    with fresh_database("smartprov_reports_") as db:
        with psycopg.connect(db.dsn, autocommit=True) as con:
            for stmt in MARTS_SQL:
                con.execute(stmt)
        out = _reports(db.url, tmp_path / "out", province="32")
        wb = openpyxl.load_workbook(out["excel"])
        ws = wb["Ringkasan"]
        assert _summary_value(ws, "Dengan masterplan").value == 3
        assert _summary_value(ws, "Total anggaran rencana").value == 2_500_000_000
        rows = _data_rows(wb["Progres Implementasi"])
        assert rows[0]["avg_progress_pct"] == pytest.approx(0.40)
        assert rows[0]["realization_ratio"] == pytest.approx(0.3333)
        assert _data_rows(wb["Cakupan Masterplan"])[0]["last_submitted_at"] == dt.datetime(2024, 2, 1, 15, 30)
        text, page = _page(out["html"])
        assert page.charts == dict.fromkeys(PROVINCE_CHARTS, "svg")
        assert "Rp 2.500.000.000" in page.cards["budget"]
        assert _progress_rows(text) == _progress_rows(
            _page(_reports(_build(tmp_path / "d.duckdb"), tmp_path / "d", province="32")["html"])[0]
        )


# -- what the analysts asked for (issue 13) -----------------------------------------------------
def _section(text: str, section_id: str) -> str:
    start = text.index(f'<section id="{section_id}">')
    return text[start : text.index("</section>", start)]


def _table_rows(html_part: str, caption_start: str) -> list[list[str]]:
    """The body rows of the table whose <summary> starts with caption_start, as cell texts."""
    import html
    import re

    at = html_part.index(f"<summary>{caption_start}")
    table = html_part[at : html_part.index("</table>", at)]
    body = table[table.index("<tbody>") :]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def _rp(text: str) -> int:
    return int(text.replace("Rp", "").replace(".", "").strip())


def _progress_rows(text: str) -> list[list[str]]:
    return _table_rows(_section(text, "progres"), "Tabel per tahun")


def test_html_ratio_equals_the_columns_beside_it_and_empty_years_are_left_out(warehouse, tmp_path):
    text, _ = _page(_reports(warehouse, tmp_path / "out", province="32")["html"])
    rows = _progress_rows(text)
    # 2022 has no plan and no report: left out; 2025 has a plan (programs) but no report: kept
    assert [r[0] for r in rows] == ["2023", "2024", "2025"]
    by_year = {r[0]: r for r in rows}
    for year in ("2023", "2024"):
        planned, realised_planned, ratio = by_year[year][7], by_year[year][8], by_year[year][9]
        expected = 100 * _rp(realised_planned) / _rp(planned)
        assert ratio == f"{expected:.1f}%".replace(".", ","), (year, planned, realised_planned, ratio)
    assert by_year["2023"][7:13] == [
        "Rp 1.500.000.000",
        "Rp 420.000.000",
        "28,0%",
        "1 dari 1 kabupaten/kota melapor",
        "Rp 430.000.000",
        "0",
    ]
    assert (by_year["2023"][4], by_year["2023"][5]) == ("1", "1")  # Tertunda, Dibatalkan
    assert by_year["2025"][9] == "-"
    progress_chart = _chart(text, "progress")
    assert "2022" not in progress_chart and "2025" not in progress_chart  # years without a report
    # two different progress figures, two different names
    assert "Rata-rata progres program" in _section(text, "progres")
    assert "Rata-rata progres kab/kota" in _section(text, "ringkasan-provinsi")


def test_html_coverage_against_threshold_lists_who_closes_the_gap(warehouse, tmp_path):
    text, _ = _page(_reports(warehouse, tmp_path / "out", province="32")["html"])
    chart = _chart(text, "coverage-threshold")
    assert 'class="threshold"' in chart and 'data-value="60.0"' in chart
    coverage = _section(text, "cakupan")
    assert 'data-gap="1"' in coverage
    gap = _table_rows(coverage, "Yang dapat menutup")
    # every regency without a masterplan, the ones without a file of their own too
    assert gap == [
        [
            "Kota Bandung",
            "32.04",
            "1",
            "Nilai 'Smart People' pada 'dimensi' tidak dikenal.",
            "kominfo@bandung.go.id",
        ],
        ["Kabupaten Garut", "32.05", "-", "Belum mengirim masterplan (no masterplan sent yet)", ""],
    ]


def test_html_ratio_is_over_the_reporting_regencies_and_marks_version_1(tmp_path):
    """A regency with a plan for the year but no evaluation is not in the ratio's denominator;
    one without money per year (template version 1) is counted aside, not as a zero plan."""
    url = _build(tmp_path / "w.duckdb")
    con = duckdb.connect(url.split(":///", 1)[1])
    con.execute(
        f"""INSERT INTO marts.province_implementation_progress VALUES
        ({P32}, '32.03', 'Kota X', 2024, 'Smart Governance', 1, 'mp-3203', NULL, false,
         5, 0, 0, NULL, 2000000000, NULL, NULL, 0, 0, NULL),
        ({P32}, '32.02', 'Kab Y', 2024, 'Smart Governance', 1, 'mp-3202', 'ev-3202-24', true,
         3, 3, 1, 50.00, NULL, 70000000, NULL, 0, 0, NULL)"""
    )
    con.close()
    text, _ = _page(_reports(url, tmp_path / "out", province="32")["html"])
    by_year = {r[0]: r for r in _progress_rows(text)}
    planned, realised_planned, ratio, population = by_year["2024"][7:11]
    assert (planned, realised_planned) == ("Rp 1.500.000.000", "Rp 411.000.000")  # 32.01's plan only
    assert ratio == "27,4%"
    assert population == "2 dari 3 kabupaten/kota melapor"
    assert by_year["2024"][12] == "1"  # 32.02: no money per year


def test_html_index_every_year_and_status_states(warehouse, tmp_path):
    text, _ = _page(_reports(warehouse, tmp_path / "out", province="32")["html"])
    per_year = _table_rows(_section(text, "indeks"), "Indeks per tahun")
    assert per_year == [["2024", "2", "2", "3,70", HTML_NAME]]
    status = _section(text, "status")
    counts = _table_rows(status, "Rekap status")
    assert counts[0][:2] == ["MASTERPLAN", "masterplan"]
    pending = _table_rows(status, "Belum diterima")
    assert [r[4] for r in pending] == [
        "ditolak",
        "salah folder",
    ]  # late / on time / not applicable are not listed
    assert "folder 32.05 mengaku wilayah 32.10" in pending[1][8]
    assert "1 berkas tak terbaca" in pending[0][8]
    quick = _table_rows(_section(text, "progres"), "Program quick win")
    assert quick[0][6] == "Tertunda" and quick[0][8] == "2023: Berjalan 40%; 2024: Tertunda 40%"
    funding = _table_rows(_section(text, "progres"), "Anggaran per sumber dana")
    assert funding == [["2024", "APBD Provinsi", "4", "1", "Rp 150.000.000"]]


def test_html_run_id_in_the_footer_and_tables_fold_on_a_phone(warehouse, tmp_path):
    text, _ = _page(_reports(warehouse, tmp_path / "out", province="32")["html"])
    footer = text[text.index("<footer>") :]
    header = text[text.index("<header>") : text.index("</header>")]
    assert RUN_ID in footer and RUN_ID not in header
    assert "@media (max-width:640px)" in text and "td::before{content:attr(data-label)" in text
    assert '<td data-label="Tahun">2023</td>' in _section(text, "progres")


def _printed_width_pt(ws) -> float:
    """The sheet's columns in points as Excel lays them out (Calibri 11: 7 px a width unit;
    the file stores the width with its 5 px of padding included)."""
    total = 0.0
    for dim in ws.column_dimensions.values():
        if dim.hidden:  # not printed
            continue
        span = (dim.max or dim.min or 1) - (dim.min or 1) + 1
        total += span * int((dim.width or 9.14) * 7 + 0.5) * 0.75
    return total


def test_workbook_prints_landscape_readable_with_headers(warehouse, tmp_path):
    """Every sheet prints A4 landscape with no text under 8 pt: shrunk to one page wide when
    that is enough, else at 80 % across pages with the regency's columns repeated."""
    wb = openpyxl.load_workbook(_reports(warehouse, tmp_path / "out", province="32")["excel"])
    printable = (11.69 - 0.8) * 72 * 0.95  # what the writer uses of the page (LibreOffice is wider)
    wide = []
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == "9", ws.title
        scale = int(setup.scale or 100) / 100  # 100 % is the default, left out of the file
        smallest = min(
            c.font.sz or 11
            for row in ws.iter_rows(max_row=min(ws.max_row, 40))
            for c in row
            if c.value is not None
        )
        assert smallest * scale >= 8, (ws.title, smallest, scale)
        natural = printable / _printed_width_pt(ws)
        if natural >= 0.8:  # one page wide in Excel
            assert scale == pytest.approx(min(1.0, natural), abs=0.011), ws.title
        else:
            wide.append(ws.title)
            assert scale == 0.8, ws.title
            cols = _columns(ws)
            first, last = (
                ("region_code", "region_name")
                if "region_code" in cols
                else ("province_code", "province_name")
            )
            letters = [openpyxl.utils.get_column_letter(cols[c]) for c in (first, last)]
            assert ws.print_title_cols == f"${letters[0]}:${letters[1]}", ws.title
    assert wide  # the fixture has sheets too wide for one page
    progress = wb["Progres Implementasi"]
    # printed from the Indonesian header down (the technical names are for the screen)
    assert progress.print_title_rows == "$2:$2" and progress.print_area.startswith(
        "'Progres Implementasi'!$A$2:"
    )
    assert progress.row_dimensions[2].height >= 30  # wrapped headers: the row grows
    # sort helpers and, on a one-province report, the province are hidden (and not printed)
    cols = _columns(progress)
    for hidden in ("dimension_order", "province_code", "province_name"):
        assert progress.column_dimensions[openpyxl.utils.get_column_letter(cols[hidden])].hidden, hidden
    labels = {c.value for c in wb["Progres Implementasi"][2]} | {c.value for c in wb["Ringkasan Provinsi"][2]}
    assert {"Rata-rata Progres Program", "Rata-rata Progres Kab/Kota"} <= labels


def test_workbook_pdf_has_no_text_under_8_points(warehouse, tmp_path):
    """The workbook as LibreOffice prints it: every word of every page at 8 pt or more."""
    from printing import MIN_BOX_FOR_8PT, to_pdf, words

    pdf = to_pdf(Path(_reports(warehouse, tmp_path / "out", province="32")["excel"]), tmp_path / "pdf")
    found = words(pdf)
    texts = {w.text for w in found}
    assert {"Kabupaten", "Wilayah"} <= texts and "region_code" not in texts  # technical names: screen only
    small = [w for w in found if w.height < MIN_BOX_FOR_8PT]
    assert not small, small[:5]
    pages = max(w.page for w in found)
    print(f"{pages} pages")


def test_workbook_header_styles_comments_and_sheet_setup(warehouse, tmp_path):
    wb = openpyxl.load_workbook(_reports(warehouse, tmp_path / "out", province="32")["excel"])
    ws = wb["Progres Implementasi"]
    cols = _columns(ws)
    technical = ws.cell(row=1, column=cols["avg_progress_pct"])
    assert technical.font.i and technical.fill.fgColor.rgb.endswith("DDEBF7")
    header = ws.cell(row=2, column=cols["avg_progress_pct"])
    assert header.font.b and header.font.color.rgb.endswith("FFFFFF")
    assert header.alignment.wrap_text and header.alignment.vertical == "center"
    assert header.border.bottom.style == "thin"
    # the dbt description, and for a percent column how the cell relates to the mart value
    assert header.comment.author == "smartprov"
    assert header.comment.text.startswith("Kolom / column: avg_progress_pct\nMean progres_persen")
    assert "nilai mart (0-100) / 100" in header.comment.text
    assert all(ws.cell(row=2, column=i).comment for i in cols.values())  # every header has one
    assert ws.cell(row=3, column=1).comment is None

    for sheet in wb.worksheets:
        assert sheet.page_setup.paperSize in ("9", 9), sheet.title  # A4
        assert not sheet.print_options.gridLines, sheet.title
    for title in MART_SHEETS:
        sheet = wb[title]
        assert sheet.print_title_rows == "$2:$2", title
        assert sheet.sheet_view.zoomScale == 90, title
    # widths fitted to the content: a rupiah column is wider than a year column
    year, budget = (openpyxl.utils.get_column_letter(cols[c]) for c in ("year", "budget_planned_idr"))
    assert ws.column_dimensions[budget].width > ws.column_dimensions[year].width >= 8
    summary = wb["Ringkasan"]
    assert summary.column_dimensions["A"].width >= 44
    assert _summary_value(summary, "Dibuat (WIB)").value == GENERATED_AT + dt.timedelta(hours=7)
    assert _summary_value(summary, "Dibuat").number_format == "yyyy-mm-dd hh:mm:ss"


def test_workbook_writes_markup_and_links_as_plain_text(tmp_path):
    """A regency's text is a cell's text whatever it looks like: not a link, not a formula,
    and not spreadsheet XML (XlsxWriter's streaming mode copies text shaped like its own
    rich-text runs into the sheet unescaped; the writer keeps such text escaped)."""
    markup = '<r><t>a</t></r></is></c><c r="Z3"><f>1+1</f></c><c r="Z4" t="inlineStr"><is><r><t>b</t></r>'
    url = _build(tmp_path / "odd.duckdb")
    con = duckdb.connect(url.split(":///", 1)[1])
    con.execute(
        "UPDATE marts.province_masterplan_coverage SET region_name = ? WHERE region_code = '32.04'", [markup]
    )
    con.execute(
        "UPDATE marts.province_masterplan_coverage SET region_name = 'https://example.org/x' "
        "WHERE region_code = '32.05'"
    )
    # Excel has no infinite number: shown as text, not as a formula nor a broken file
    con.execute("ALTER TABLE marts.province_masterplan_coverage ADD COLUMN spread_ratio DOUBLE DEFAULT 'inf'")
    con.close()
    wb = openpyxl.load_workbook(_reports(url, tmp_path / "out", province="32")["excel"])
    ws = wb["Cakupan Masterplan"]
    names = {r["region_code"]: r["region_name"] for r in _data_rows(ws)}
    assert names["32.04"] == markup
    assert names["32.05"] == "https://example.org/x"
    assert {r["spread_ratio"] for r in _data_rows(ws)} == {"inf"}
    assert not ws._hyperlinks
    assert ws.max_column == len(_columns(ws))  # no cell beyond the mart's columns
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", (c.coordinate, c.value)


PHONE_CHECK = """() => {
  const out = {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
               charts: {}, nav: [], chartBoxes: []};
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    let smallest = Infinity;
    for (const t of svg.querySelectorAll('text')) {
      smallest = Math.min(smallest, parseFloat(t.getAttribute('font-size')) * box.width / vb.width);
    }
    out.charts[svg.dataset.chart] = smallest;
    const holder = svg.closest('.chart').getBoundingClientRect();
    out.chartBoxes.push([holder.left, holder.right]);
  }
  for (const a of document.querySelectorAll('nav a')) {
    const r = a.getBoundingClientRect();
    out.nav.push([a.textContent, r.left, r.right]);
  }
  return out;
}"""


@pytest.mark.slow
def test_html_reads_on_a_phone(warehouse, tmp_path):
    """At 390 px: the page never scrolls sideways (a wide chart scrolls inside its own box),
    chart text stays >= 9 px, and every section link is on screen (the links wrap)."""
    import os
    import shutil

    if not shutil.which("chromium") and os.environ.get("CI") != "true":
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    html = _reports(warehouse, tmp_path / "out", province="32")["html"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(Path(html).resolve().as_uri())
            seen = page.evaluate(PHONE_CHECK)
            page.screenshot(path=str(tmp_path / "phone.png"))
        finally:
            browser.close()
    assert seen["scrollWidth"] <= seen["width"] == 390
    assert set(seen["charts"]) == PROVINCE_CHARTS
    assert all(size >= 9 for size in seen["charts"].values()), seen["charts"]
    assert all(0 <= left and right <= 390 for left, right in seen["chartBoxes"])
    assert len(seen["nav"]) == 7 and all(0 <= left and right <= 390 for _, left, right in seen["nav"]), seen[
        "nav"
    ]
