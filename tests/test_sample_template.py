"""Templates and sample landing zones follow the submission contract.

The pipeline's validator is not used here: `ContractCheck` below is an independent,
deliberately small reading of the contract (spec section 3), so that a generator bug
and a validator bug cannot hide each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from smartprov.authoring.sample import (
    plan_sample,
    sample_expectations,
    sample_summary,
    write_national_landing,
    write_sample_landing,
)
from smartprov.authoring.template import (
    HEADER_ROW,
    HELPER_SHEETS,
    default_period,
    identity_labels,
    template_filename,
    write_template,
)
from smartprov.authoring.xlsx_writer import Cell, SheetSpec, workbook_bytes, write_workbook
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import EVALUASI, MASTERPLAN

BROKEN_RULES = {
    "REGION_MISMATCH",
    "ENUM",
    "DUPLICATE",
    "REQUIRED",
    "PERIOD",
    "REFERENCE",
    "UNKNOWN_REGION",
    "FILE_UNREADABLE",
}
MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("januari", "jan"),
            ("februari", "pebruari", "feb", "peb"),
            ("maret", "mar"),
            ("april", "apr"),
            ("mei",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("agustus", "agu", "agt", "ags", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct"),
            ("november", "nopember", "nov", "nop"),
            ("desember", "des", "dec"),
        ],
        1,
    )
    for m in names
}


# ---------------------------------------------------------------------------------------
# an independent, minimal reading of the contract


def _norm(value: Any) -> str:
    return re.sub(r"[\W_]+", "", str(value).lower())


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in contract.EMPTY_MARKERS)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip().replace(" ", "")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        s = s.replace(".", "")
    return float(s)


def _money(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip()
    s = re.sub(r"^rp\.?\s*", "", s, flags=re.I)
    factor = 1
    m = re.fullmatch(r"(.*?)\s*(m|miliar|jt|juta|rb|ribu)", s, flags=re.I)
    if m:
        s = m.group(1)
        factor = {"m": 10**9, "miliar": 10**9, "jt": 10**6, "juta": 10**6, "rb": 10**3, "ribu": 10**3}[
            m.group(2).lower()
        ]
    return _number(s) * factor


def _year(value: Any) -> int:
    number = _number(value)
    if not number.is_integer() or not 1900 <= number <= 2100:
        raise ValueError(value)
    return int(number)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    if m := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})", s):
        return dt.date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    raise ValueError(value)


def _region_code(value: Any) -> str:
    s = str(int(value)) if isinstance(value, int | float) else str(value).strip()
    if re.fullmatch(r"\d{4}", s):
        s = f"{s[:2]}.{s[2:]}"
    return s


def _yes(value: Any) -> bool:
    if _empty(value):
        return False
    s = str(value).strip().lower()
    if s in contract.TRUE_WORDS:
        return True
    if s in contract.FALSE_WORDS:
        return False
    raise ValueError(value)


def _sources(value: Any) -> list[str]:
    allowed = {v.lower(): v for v in contract.FUNDING_SOURCES}
    s = re.sub("apbd kab/kota", "APBD_KABKOTA", str(value), flags=re.I)
    out = []
    for part in re.split(r"[,/]", s):
        part = part.strip().replace("APBD_KABKOTA", "APBD Kab/Kota")
        if part.lower() not in allowed:
            raise ValueError(part)
        out.append(allowed[part.lower()])
    return out


class ContractCheck:
    """Reads one submission and collects the ERROR rules (and a few WARNING rules) it breaks."""

    def __init__(self, path: Path, folder: str, masterplan_codes: dict[str, set[str]]):
        self.path, self.folder, self.codes = path, folder, masterplan_codes
        self.errors: set[str] = set()
        self.warnings: set[str] = set()
        self.kind: str | None = None
        self.identity: dict[str, Any] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.header_rows: dict[str, int] = {}
        self.extra_sheets: list[str] = []
        self.extra_columns: dict[str, list[str]] = {}
        self.total_rows = 0
        self.version = 1
        self._run()

    def _run(self) -> None:
        if self.folder not in contract.regions():
            self.errors.add("UNKNOWN_REGION")
            return
        try:
            wb = openpyxl.load_workbook(self.path, data_only=True)
        except Exception:
            self.errors.add("FILE_UNREADABLE")
            return
        if contract.IDENTITY_SHEET not in wb.sheetnames:
            self.errors.add("MISSING_SHEET")
            return
        for a, b, *_ in wb[contract.IDENTITY_SHEET].iter_rows(max_col=2, values_only=True):
            if a is not None:
                self.identity[str(a).strip()] = b
        ident = self.identity
        self.kind = str(ident.get("jenis_dokumen", "")).strip().upper()
        version = ident.get("versi_template")
        if self.kind not in contract.KINDS or _empty(version) or _number(version) not in (1, 2):
            self.errors.add("TEMPLATE_VERSION")
            return
        self.version = int(_number(version))
        for f in contract.IDENTITY_FIELDS:
            if self.kind in f.required_for and _empty(ident.get(f.label)):
                self.errors.add("REQUIRED")
        code = _region_code(ident.get("kode_wilayah"))
        if code not in contract.regions():
            self.errors.add("UNKNOWN_REGION")
        elif code != self.folder:
            self.errors.add("REGION_MISMATCH")
        _date(ident["tanggal_dokumen"])
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", str(ident["email_kontak"]))
        if self.kind == MASTERPLAN:
            self.period = (_year(ident["periode_mulai"]), _year(ident["periode_selesai"]))
            assert self.period[0] <= self.period[1]
        else:
            assert 2017 <= _year(ident["tahun_evaluasi"]) <= dt.date.today().year
        known = {contract.IDENTITY_SHEET} | {s.name for s in contract.sheets_for(self.kind)}
        self.extra_sheets = [n for n in wb.sheetnames if n not in known]
        for sheet in contract.sheets_for(self.kind):
            if sheet.name not in wb.sheetnames:
                if sheet.required:
                    self.errors.add("MISSING_SHEET")
                continue
            self._read_sheet(wb[sheet.name], sheet)
        getattr(self, f"_check_{self.kind.lower()}")()

    def _read_sheet(self, ws: Any, sheet: contract.Sheet) -> None:
        rows = list(ws.iter_rows())
        wanted = {_norm(c.name): c.name for c in sheet.columns}
        required = {_norm(c.name) for c in sheet.columns if c.required}
        found = [
            (i, row, names)
            for i, row in enumerate(rows[: contract.HEADER_SEARCH_ROWS])
            if required
            <= set(names := {_norm(c.value): j for j, c in enumerate(row) if isinstance(c.value, str)})
        ]
        if not found:
            self.errors.add("MISSING_COLUMN")
            return
        index, row, names = found[0]
        self.header_rows[sheet.name] = index + 1
        columns = {wanted[n]: i for n, i in names.items() if n in wanted}
        year_columns = {}  # version 2: anggaran_<YYYY> / Anggaran 2024 / Pagu 2024 -> year
        if sheet.name == "Program" and self.version == 2:
            for j, c in enumerate(row):
                m = isinstance(c.value, str) and re.fullmatch(r"(?:anggaran|pagu)(\d{4})", _norm(c.value))
                if m and self.period[0] <= int(m[1]) <= self.period[1]:
                    year_columns[j] = int(m[1])
        self.extra_columns[sheet.name] = [
            str(c.value)
            for j, c in enumerate(row)
            if isinstance(c.value, str) and _norm(c.value) not in wanted and j not in year_columns
        ]
        out = []
        key = sheet.key[0]
        for row in rows[index + 1 :]:
            values = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            if all(c is None or c.value is None for c in row):
                continue
            if values[key] is not None and str(values[key].value).strip().upper() == "CONTOH":
                continue  # the template's example row
            first_text = next((c.value for c in row if isinstance(c.value, str)), None)
            if (
                _empty(values[key] and values[key].value)
                and str(first_text).strip().lower() in contract.TOTAL_ROW_LABELS
            ):
                self.total_rows += 1
                continue
            record = {
                name: (None if cell is None or _empty(cell.value) else cell.value)
                for name, cell in values.items()
            }
            record["_formats"] = {
                name: cell.number_format for name, cell in values.items() if cell is not None
            }
            record["_years"] = {
                year: _money(row[j].value)
                for j, year in year_columns.items()
                if j < len(row) and not _empty(row[j].value)
            }
            out.append(record)
        self.rows[sheet.name] = out

    def _enum(self, enum: str, value: Any) -> str | None:
        canonical = contract.alias_map(enum).get(str(value).strip().lower())
        if canonical is None:
            self.errors.add("ENUM")
        return canonical

    def _required(self, record: dict[str, Any], sheet: contract.Sheet) -> None:
        for c in sheet.columns:
            if c.required and record.get(c.name) is None:
                self.errors.add("REQUIRED")

    def _check_masterplan(self) -> None:
        programs = self.rows.get("Program", [])
        if not programs:
            self.errors.add("REQUIRED")
        tax = contract.taxonomy()
        seen: set[str] = set()
        quick: Counter[str] = Counter()
        dims: set[str] = set()
        for p in programs:
            self._required(p, contract.PROGRAM)
            code = str(p["kode_program"]).strip() if p["kode_program"] is not None else None
            if code in seen:
                self.errors.add("DUPLICATE")
            seen.add(code)
            assert code is None or len(code) <= 20
            assert p["nama_program"] is None or len(str(p["nama_program"])) <= 250
            dim = self._enum("dimension", p["dimensi"]) if p["dimensi"] is not None else None
            el = self._enum("element", p["elemen"]) if p["elemen"] is not None else None
            if dim and el and el not in tax.elements_by_dimension[dim]:
                self.errors.add("ENUM")
            start, end = _year(p["tahun_mulai"]), _year(p["tahun_selesai"])
            if start > end or start < self.period[0] or end > self.period[1]:
                self.errors.add("PERIOD")
            assert [a for a in re.split(r"[;,]", str(p["opd_penanggung_jawab"])) if a.strip()]
            if p.get("anggaran_rp") is not None:
                assert _money(p["anggaran_rp"]) >= 0
            years = p.get("_years") or {}
            if any(amount and not start <= year <= end for year, amount in years.items()):
                self.errors.add("RANGE")
            if years and p.get("anggaran_rp") is not None:
                planned = _money(p["anggaran_rp"])
                if abs(sum(years.values()) - planned) > 0.01 * planned:
                    self.warnings.add("CONSISTENCY")
            if p.get("sumber_dana") is not None:
                _sources(p["sumber_dana"])
            if p.get("target") is not None:
                assert _number(p["target"]) >= 0
            if dim:
                dims.add(dim)
                quick[dim] += _yes(p.get("quick_win"))
        if not sum(quick.values()):
            self.errors.add("REQUIRED")
        if dims != set(tax.dimensions):
            self.warnings.add("COVERAGE")
        if any(quick[d] != 1 for d in tax.dimensions):
            self.warnings.add("CONSISTENCY")

    def _check_evaluasi(self) -> None:
        codes = self.codes.get(self.folder)
        seen: set[str] = set()
        for r in self.rows.get("Realisasi", []):
            self._required(r, contract.REALISASI)
            code = str(r["kode_program"]).strip()
            if code in seen:
                self.errors.add("DUPLICATE")
            seen.add(code)
            if codes is None or code not in codes:
                self.errors.add("REFERENCE")
            status = self._enum("status", r["status"])
            raw = r["progres_persen"]
            if isinstance(raw, str) and raw.strip().endswith("%"):
                progress = _number(raw.strip()[:-1])
            else:
                progress = _number(raw) * (100 if "%" in r["_formats"].get("progres_persen", "") else 1)
            assert 0 <= progress <= 100
            if (status == "Selesai" and progress != 100) or (status == "Belum Dimulai" and progress != 0):
                self.warnings.add("CONSISTENCY")
            if r.get("realisasi_anggaran_rp") is not None:
                assert _money(r["realisasi_anggaran_rp"]) >= 0
        pillars: set[str] = set()
        keys: set[tuple[str, str]] = set()
        for k in self.rows.get("Kesiapan", []):
            self._required(k, contract.KESIAPAN)
            pillar = self._enum("pillar", k["pilar"])
            pillars.add(pillar)
            if (pillar, str(k["indikator"]).strip().lower()) in keys:
                self.errors.add("DUPLICATE")
            keys.add((pillar, str(k["indikator"]).strip().lower()))
            if not 1 <= _number(k["skor"]) <= 5:
                self.errors.add("RANGE")
        if pillars != set(contract.PILLARS):
            self.errors.add("REQUIRED")
        aspects: set[str] = set()
        for i in self.rows.get("Indeks", []):
            aspect = self._enum("aspect", i["aspek"])
            if aspect in aspects:
                self.errors.add("DUPLICATE")
            aspects.add(aspect)
            if not 0 <= _number(i["nilai"]) <= 5:
                self.errors.add("RANGE")


def check_zone(root: Path, expectations: dict[str, Any]) -> dict[str, ContractCheck]:
    """Check every file, masterplans first (evaluations refer to the accepted ones)."""
    order = sorted(expectations.values(), key=lambda e: (e.kind != MASTERPLAN, e.path))
    codes: dict[str, set[str]] = defaultdict(set)
    out = {}
    for e in order:
        check = ContractCheck(root / e.path, e.folder, codes)
        out[e.path] = check
        if e.kind == MASTERPLAN and not check.errors:
            codes[e.folder] |= {str(p["kode_program"]).strip() for p in check.rows["Program"]}
    return out


# ---------------------------------------------------------------------------------------
# xlsx_writer


def test_formula_like_text_is_stored_as_text(tmp_path: Path) -> None:
    texts = ["=SUM(A1:A3)", "+62 812 3456", "-", "- catatan", "@diskominfo", "#N/A", "=1+1"]
    path = write_workbook(
        tmp_path / "t.xlsx",
        [SheetSpec("S", rows=[texts, [Cell(t, "bold") for t in texts]])],
    )
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ws = openpyxl.load_workbook(path)["S"]
    for row in ws.iter_rows():
        assert [c.value for c in row] == texts
        assert {c.data_type for c in row} == {"s"}
    assert ws["A1"].quotePrefix


def test_control_characters_and_markup_like_text_stay_readable_text(tmp_path: Path) -> None:
    texts = ["a\x01b\x00c", "<r><t>x</t></r>", "tab\tand\nline"]
    path = write_workbook(tmp_path / "c.xlsx", [SheetSpec("S", rows=[texts])])
    row = next(openpyxl.load_workbook(path)["S"].iter_rows(values_only=True))
    assert list(row) == ["a\ufffdb\ufffdc", "<r><t>x</t></r>", "tab\tand\nline"]


def test_workbook_bytes_are_deterministic() -> None:
    spec = [SheetSpec("A", rows=[["x", 1, dt.date(2024, 1, 2)], [Cell("y", "header", note="n")]])]
    assert workbook_bytes(spec) == workbook_bytes(spec)
    assert workbook_bytes(spec) != workbook_bytes([SheetSpec("A", rows=[["x", 2]])])


# ---------------------------------------------------------------------------------------
# template


def test_masterplan_template_structure(tmp_path: Path) -> None:
    path = write_template("3204", "masterplan", tmp_path)
    assert (
        path.name
        == template_filename("32.04", "MASTERPLAN")
        == "Template_MASTERPLAN_32.04_Kabupaten_Bandung.xlsx"
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Petunjuk", "Identitas", "Program", "Daftar"]
    assert set(wb.sheetnames) - {"Identitas", "Program"} == set(HELPER_SHEETS)
    assert wb["Daftar"].sheet_state == "hidden" and wb["Program"].sheet_state == "visible"

    ident = wb["Identitas"]
    rows = list(ident.iter_rows(values_only=True))
    assert [r[0] for r in rows] == identity_labels(MASTERPLAN)
    assert "periode_mulai" in identity_labels(MASTERPLAN) and "tahun_evaluasi" not in identity_labels(
        MASTERPLAN
    )
    values = {r[0]: r[1] for r in rows}
    assert values["jenis_dokumen"] == "MASTERPLAN"
    assert values["versi_template"] == contract.TEMPLATE_VERSION
    assert values["kode_wilayah"] == "32.04"
    assert values["nama_wilayah"] == "Kabupaten Bandung"
    start, end = default_period()
    assert (values["periode_mulai"], values["periode_selesai"]) == (start, end) and end - start == 9
    assert values["email_kontak"] is None
    # version 2: the masterplan's milestones, optional
    for label in ("tanggal_penetapan", "dasar_hukum", "tahap_bimtek", "tanggal_nota_kesepakatan"):
        assert label in values and values[label] is None
    assert all(r[2] and " / " in r[2] for r in rows), "column C guidance, Indonesian / English"

    ws = wb["Program"]
    assert ws.cell(1, 1).value == "Daftar Program Inovasi Smart City — Kabupaten Bandung"
    header = [c.value for c in ws[HEADER_ROW]]
    years = [f"anggaran_{y}" for y in range(start, end + 1)]
    assert header == contract.PROGRAM.column_names + years  # version 2: money per year
    assert f"A1:{openpyxl.utils.get_column_letter(len(header))}1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A3"
    # one greyed example row, recognisable by its key CONTOH, and nothing else
    assert ws.max_row == HEADER_ROW + 1, "data sheets hold only their example row"
    example = ws[HEADER_ROW + 1]
    assert example[0].value == "CONTOH" and example[0].fill.fgColor.rgb.endswith("D9D9D9")
    assert example[0].comment is not None and "CONTOH" in example[0].comment.text
    example_years = {h: c.value for h, c in zip(header, example, strict=False) if h[9:].isdigit()}
    assert sum(v is not None for v in example_years.values()) == 3  # 500 jt in three program years
    for col in contract.PROGRAM.columns:
        cell = ws.cell(HEADER_ROW, contract.PROGRAM.column_names.index(col.name) + 1)
        assert cell.font.b and cell.fill.fgColor.rgb.endswith("1F4E78")
        assert cell.comment is not None and cell.comment.text.startswith(col.label_id)
        assert ws.column_dimensions[cell.column_letter].width >= 8

    lists = wb["Daftar"]
    columns = {c[0].value: [x.value for x in c[1:] if x.value is not None] for c in lists.iter_cols()}
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            by_column[ref.split(":")[0].rstrip("0123456789")] = dv
    letters = {n: openpyxl.utils.get_column_letter(i) for i, n in enumerate(header, 1)}
    for name, enum in [
        ("dimensi", "dimension"),
        ("quick_win", "yes_no"),
        ("sumber_dana", "funding_source"),
    ]:
        dv = by_column[letters[name]]
        assert dv.type == "list" and dv.formula1.startswith("'Daftar'!")
        m = re.fullmatch(r"'Daftar'!\$([A-Z])\$(\d+):\$([A-Z])\$(\d+)", dv.formula1)
        assert m, dv.formula1
        col_values = list(
            lists.iter_cols(
                min_col=ord(m[1]) - 64,
                max_col=ord(m[1]) - 64,
                min_row=int(m[2]),
                max_row=int(m[4]),
                values_only=True,
            )
        )[0]
        assert list(col_values) == list(contract.allowed_values(enum))
        assert str(dv.sqref).startswith(f"{letters[name]}3:")
    assert columns["Dimensi"] == list(contract.allowed_values("dimension"))
    assert by_column[letters["quick_win"]].errorStyle in (None, "stop")

    # elemen depends on dimensi: INDIRECT over one named range per dimension
    dv = by_column[letters["elemen"]]
    assert dv.type == "list"
    assert dv.formula1 == f'INDIRECT("elemen_"&SUBSTITUTE(${letters["dimensi"]}3," ","_"))'
    for dimension, elements in contract.taxonomy().elements_by_dimension.items():
        name = "elemen_" + dimension.replace(" ", "_")
        sheet, ref = next(wb.defined_names[name].destinations)
        assert sheet == "Daftar"
        assert [c.value for row in lists[ref.replace("$", "")] for c in row] == list(elements)

    # program years are limited to the masterplan period of sheet Identitas
    labels = identity_labels(MASTERPLAN)
    for column in ("tahun_mulai", "tahun_selesai"):
        years = by_column[letters[column]]
        # "between" is the schema's default operator: XlsxWriter leaves it out
        assert (years.type, years.operator or "between") == ("whole", "between")
        assert (years.formula1, years.formula2) == (
            f"Identitas!$B${labels.index('periode_mulai') + 1}",
            f"Identitas!$B${labels.index('periode_selesai') + 1}",
        )
    # printing: landscape, title and header rows on every page; the wide Program sheet at
    # 80 % across pages with its code and name repeated, Petunjuk one page wide, text >= 8 pt
    assert (ws.page_setup.orientation, ws.page_setup.scale) == ("landscape", 80)
    assert (ws.print_title_rows, ws.print_title_cols) == ("$1:$2", "$A:$B")
    petunjuk = wb["Petunjuk"]
    assert petunjuk.page_setup.orientation == "landscape"
    assert 80 <= (petunjuk.page_setup.scale or 100) <= 100 and petunjuk.print_title_cols is None
    for sheet in wb.worksheets:
        if sheet.sheet_state == "hidden":
            continue
        smallest = min(c.font.sz or 11 for row in sheet.iter_rows() for c in row if c.value is not None)
        assert smallest * (sheet.page_setup.scale or 100) / 100 >= 8, sheet.title  # none written: 100 %


def test_evaluation_template_structure(tmp_path: Path) -> None:
    path = write_template("32.73", "EVALUASI", tmp_path / "ev.xlsx")
    assert path == tmp_path / "ev.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Petunjuk", "Identitas", "Realisasi", "Kesiapan", "Indeks", "Daftar"]
    values = {r[0]: r[1] for r in wb["Identitas"].iter_rows(values_only=True)}
    assert list(values) == identity_labels(EVALUASI)
    assert "tahun_evaluasi" in values and "periode_mulai" not in values
    assert (values["jenis_dokumen"], values["kode_wilayah"], values["nama_wilayah"]) == (
        "EVALUASI",
        "32.73",
        "Kota Bandung",
    )
    for sheet in contract.sheets_for(EVALUASI):
        ws = wb[sheet.name]
        assert [c.value for c in ws[HEADER_ROW]] == sheet.column_names
        assert ws.max_row == HEADER_ROW + 1 and ws.cell(HEADER_ROW + 1, 1).value == "CONTOH"
        assert "Kota Bandung" in ws.cell(1, 1).value
    formulas = {
        sheet: {dv.formula1 for dv in wb[sheet].data_validations.dataValidation if dv.type == "list"}
        for sheet in ("Realisasi", "Kesiapan", "Indeks")
    }
    assert all(len(f) == 1 and next(iter(f)).startswith("'Daftar'!") for f in formulas.values())
    instructions = [
        c for row in wb["Petunjuk"].iter_rows(values_only=True) for c in row if isinstance(c, str)
    ]
    assert any("Lembar Realisasi" in t for t in instructions) and any(
        "Sheet Realisasi" in t for t in instructions
    )


def test_template_rejects_unknown_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_template("32.99", "MASTERPLAN", tmp_path)
    with pytest.raises(ValueError):
        write_template("32.04", "LAPORAN", tmp_path)


def test_filled_in_template_is_valid_input(tmp_path: Path) -> None:
    """Fill the blank template the way a regency would, in Excel terms, and read it back."""
    path = write_template("32.04", "MASTERPLAN", tmp_path)
    wb = openpyxl.load_workbook(path)
    ident = wb["Identitas"]
    fill = {
        "periode_mulai": 2022,
        "periode_selesai": 2031,
        "tanggal_dokumen": "20 September 2022",
        "email_kontak": "diskominfo@bandungkab.go.id",
    }
    for row in ident.iter_rows():
        if row[0].value in fill:
            row[1].value = fill[row[0].value]
    ws = wb["Program"]
    tax = contract.taxonomy()
    n = 0
    for dim in tax.dimensions:
        for j, el in enumerate(tax.elements_by_dimension[dim]):
            n += 1
            ws.append(
                [
                    f"P-{n:02d}",
                    f"Program {n}",
                    dim,
                    el,
                    "Dinas Komunikasi dan Informatika",
                    2022,
                    2024,
                    "Ya" if j == 0 else "Tidak",
                    "Rp 1.500.000.000",
                    "APBD Kab/Kota",
                    None,
                    None,
                    None,
                ]
            )
    wb.save(path)
    check = ContractCheck(path, "32.04", {})
    assert check.errors == set() and check.warnings == set()
    assert check.header_rows == {"Program": HEADER_ROW}
    assert len(check.rows["Program"]) == 18
    assert check.extra_sheets == list(HELPER_SHEETS)

    # and the same check does see mistakes (the checker can fail)
    ws.cell(HEADER_ROW + 2, 3).value = "Smart People"  # the first program (row 3 is the example)
    wb.save(path)
    assert ContractCheck(path, "32.04", {}).errors == {"ENUM"}


# ---------------------------------------------------------------------------------------
# sample landing zone


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("landing")
    return root, write_sample_landing(root, "32", seed=0)


@pytest.fixture(scope="module")
def checks(zone: tuple[Path, list[Path]]) -> dict[str, ContractCheck]:
    return check_zone(zone[0], sample_expectations("32", 0))


def test_sample_zone_layout(zone: tuple[Path, list[Path]]) -> None:
    root, written = zone
    regions = {r.code for r in contract.regions().values() if r.province_code == "32"}
    folders = {p.name for p in root.iterdir() if p.is_dir()}
    assert len(regions) == 27 and regions <= folders
    assert len(folders - regions) == 1, "one folder that is not a region code"
    expected = sample_expectations("32", 0)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == set(expected) == {p.relative_to(root).as_posix() for p in written}
    assert all(p.suffix == ".xlsx" for p in written)
    assert max(p.stat().st_size for p in written) < 100_000


def test_sample_summary_and_broken_files() -> None:
    summary = sample_summary("32", 0)
    assert (summary.regencies, summary.with_masterplan) == (27, 21)
    assert summary.rules == dict.fromkeys(BROKEN_RULES, 1)
    assert summary.rejected == len(BROKEN_RULES)
    expected = sample_expectations("32", 0).values()
    accepted_mp = {e.region_code for e in expected if e.accepted and e.kind == MASTERPLAN}
    assert len(accepted_mp) == 21
    for e in expected:
        if not e.accepted and e.kind == MASTERPLAN and e.region_code:
            assert e.region_code not in accepted_mp, "broken masterplans go to regencies without one"
    by_rule = {e.rule: e for e in expected if e.rule}
    assert by_rule["REFERENCE"].kind == EVALUASI and by_rule["REFERENCE"].region_code in accepted_mp
    assert by_rule["UNKNOWN_REGION"].folder not in contract.regions()
    assert by_rule["FILE_UNREADABLE"].path.endswith(".xlsx")
    # evaluations only from regencies with an accepted masterplan
    assert {e.region_code for e in expected if e.kind == EVALUASI} <= accepted_mp


def test_every_sample_file_gets_the_expected_outcome(checks: dict[str, ContractCheck]) -> None:
    expected = sample_expectations("32", 0)
    for path, e in expected.items():
        errors = checks[path].errors
        if e.accepted:
            assert errors == set(), (path, errors)
            assert checks[path].warnings == set(), (path, checks[path].warnings)
        else:
            assert errors == {e.rule}, (path, e.rule, errors)


def test_sample_masterplans_are_realistic(
    zone: tuple[Path, list[Path]], checks: dict[str, ContractCheck]
) -> None:
    expected = sample_expectations("32", 0)
    tax = contract.taxonomy()
    masterplans = [checks[p] for p, e in expected.items() if e.accepted and e.kind == MASTERPLAN]
    assert len(masterplans) == 22  # 21 regencies, one of them revised
    for check in masterplans:
        programs = check.rows["Program"]
        assert 30 <= len(programs) <= 48
        assert {contract.alias_map("element")[str(p["elemen"]).lower()] for p in programs} == {
            e for els in tax.elements_by_dimension.values() for e in els
        }
        assert check.header_rows["Program"] <= contract.HEADER_SEARCH_ROWS
    programs = [p for c in masterplans for p in c.rows["Program"]]
    names = Counter(p["nama_program"] for p in programs)
    assert {
        "Bank Sampah Digital",
        "Smart Parking",
        "Puskesmas Online",
        "Aplikasi Layanan Perizinan Online",
    } & set(names)
    budgets = [p["anggaran_rp"] for p in programs if p["anggaran_rp"] is not None]
    assert any(isinstance(b, int) for b in budgets)
    assert any(isinstance(b, str) and b.startswith("Rp ") for b in budgets)
    assert any(isinstance(b, str) and b.endswith((" jt", " M")) for b in budgets)
    assert any(";" in str(p["opd_penanggung_jawab"]) for p in programs)
    assert any(str(p["quick_win"]) == "✓" for p in programs)
    # the variety the contract allows
    idents = [c.identity for c in masterplans]
    assert any(re.fullmatch(r"\d{4}", str(i["kode_wilayah"])) for i in idents)
    assert any(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", str(i["tanggal_dokumen"])) for i in idents)
    assert any(c.header_rows["Program"] > 2 for c in masterplans), "title rows above the header"
    assert any("No" in c.extra_columns["Program"] for c in masterplans), "a No column"
    assert any(c.total_rows for c in masterplans), "a Jumlah row"
    assert any(set(c.extra_sheets) == set(HELPER_SHEETS) for c in masterplans)


def test_sample_revision_and_evaluations(checks: dict[str, ContractCheck]) -> None:
    expected = sample_expectations("32", 0)
    by_region: dict[str, list] = defaultdict(list)
    for e in expected.values():
        if e.accepted and e.kind == MASTERPLAN:
            by_region[e.region_code].append(e)
    revised = [r for r, es in by_region.items() if len(es) == 2]
    assert len(revised) == 1
    first, second = sorted(
        by_region[revised[0]], key=lambda e: _date(checks[e.path].identity["tanggal_dokumen"])
    )
    assert first.superseded and not second.superseded
    assert first.period == second.period
    old = {p["kode_program"] for p in checks[first.path].rows["Program"]}
    new = {p["kode_program"] for p in checks[second.path].rows["Program"]}
    assert old < new, "a revision keeps the program codes evaluations refer to"

    evaluations = [e for e in expected.values() if e.kind == EVALUASI and e.accepted]
    years = Counter(e.period for e in evaluations)
    assert set(years) == {"2023", "2024", "2025"} and min(years.values()) >= 14
    assert len({e.region_code for e in evaluations}) >= 18
    assert sum(e.superseded for e in evaluations) == 1
    statuses = Counter()
    for e in evaluations:
        check = checks[e.path]
        assert str(_year(check.identity["tahun_evaluasi"])) == e.period
        assert check.rows["Realisasi"]
        statuses.update(contract.alias_map("status")[r["status"].lower()] for r in check.rows["Realisasi"])
    assert set(statuses) == set(contract.STATUSES)
    assert sum(bool(checks[e.path].rows.get("Indeks")) for e in evaluations) >= 5


def test_sample_is_deterministic(zone: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root = zone[0]
    again = write_sample_landing(tmp_path / "again", "32", seed=0)

    def digests(base: Path, files: list[Path]) -> dict[str, str]:
        return {p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    seed0 = digests(root, zone[1])
    assert digests(tmp_path / "again", again) == seed0
    assert len(set(seed0.values())) == len(seed0), "no two submissions share their bytes (SHA-256)"
    assert sample_expectations("32", 1) != sample_expectations("32", 0)
    other = [f for f in plan_sample("32", 1) if f.expected.accepted][:3]
    assert all(hashlib.sha256(f.build()).hexdigest() not in seed0.values() for f in other)


def test_sample_other_province(tmp_path: Path) -> None:
    summary = sample_summary("34", 3)  # DI Yogyakarta: 5 regencies
    assert summary.regencies == 5 and summary.with_masterplan == round(5 * 0.78)
    assert summary.rules == dict.fromkeys(BROKEN_RULES, 1)
    written = write_sample_landing(tmp_path, "34", seed=3)
    checks = check_zone(tmp_path, sample_expectations("34", 3))
    assert len(checks) == len(written)
    for path, e in sample_expectations("34", 3).items():
        assert checks[path].errors == ({e.rule} if e.rule else set()), path


def test_national_landing_small(tmp_path: Path) -> None:
    written = write_national_landing(
        tmp_path / "a",
        seed=0,
        provinces=["34", "31"],
        programs=(30, 60),
        evaluation_years=(2024, 2025),
        processes=2,
    )
    assert len(written) == 11 * 3
    # every regency of the two provinces (Yogyakarta 5, Jakarta 6), a masterplan and two years each
    regencies = {r.code for r in contract.regions().values() if r.province_code in ("34", "31")}
    assert Counter(p.relative_to(tmp_path / "a").parts[0] for p in written) == dict.fromkeys(regencies, 3)
    serial = write_national_landing(tmp_path / "b", seed=0, provinces=["34", "31"], processes=1)
    assert sorted(p.read_bytes() for p in written) == sorted(p.read_bytes() for p in serial)
    expectations = {}
    from smartprov.authoring.sample import Expected

    for p in written:
        rel = p.relative_to(tmp_path / "a").as_posix()
        kind = MASTERPLAN if ("masterplan" in rel.lower() or "rencana" in rel.lower()) else EVALUASI
        expectations[rel] = Expected(rel, rel.split("/")[0], rel.split("/")[0], kind, None, True)
    checks = check_zone(tmp_path / "a", expectations)
    for rel, check in checks.items():
        assert check.errors == set() and check.warnings == set(), (rel, check.errors, check.warnings)
    sizes = [len(c.rows["Program"]) for c in checks.values() if c.kind == MASTERPLAN]
    assert len(sizes) == 11 and min(sizes) >= 30 and max(sizes) <= 60
    years = Counter(_year(c.identity["tahun_evaluasi"]) for c in checks.values() if c.kind == EVALUASI)
    assert years == {2024: 11, 2025: 11}


def test_prefilled_evaluation_template_validates_without_reference(tmp_path: Path, monkeypatch) -> None:
    """`smartprov template --kind evaluasi --region R --year Y --warehouse URL` lists the regency's
    current programs running in Y (names and dimensions beside them) and the standard readiness
    indicators; once the officer fills status, progress and scores it validates with no REFERENCE
    finding, and the reading aids are not reported as extra columns."""
    from smartprov import cli
    from workbooks import PROGRAMS, masterplan

    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    landing = tmp_path / "landing"
    masterplan("32.04", "Kabupaten Bandung").save(landing / "32.04" / "masterplan.xlsx")
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert cli.main(["run", "--landing", str(landing), "--warehouse", url, "--no-dbt", "--no-alerts"]) == 0

    out = tmp_path / "filled" / "32.04" / "evaluasi-2024.xlsx"
    args = ["template", "--region", "32.04", "--kind", "evaluasi", "--year", "2024", "--warehouse", url]
    assert cli.main([*args, "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert {r[0]: r[1] for r in wb["Identitas"].iter_rows(values_only=True)}["tahun_evaluasi"] == 2024
    ws = wb["Realisasi"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == contract.REALISASI.column_names + list(contract.REFERENCE_COLUMNS["Realisasi"])
    assert ws.cell(HEADER_ROW + 1, 1).value == "CONTOH"  # the example row stays: it is never read
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 2, values_only=True))
    running = [p for p in PROGRAMS if p[5] <= 2024 <= p[6]]
    assert [r[0] for r in rows] == [p[0] for p in running]
    assert [(r[-2], r[-1]) for r in rows] == [(p[1], p[2]) for p in running]
    status, progress = header.index("status") + 1, header.index("progres_persen") + 1
    for n in range(HEADER_ROW + 2, HEADER_ROW + 2 + len(rows)):
        ws.cell(n, status).value = "Berjalan"
        ws.cell(n, progress).value = 50
    ready = wb["Kesiapan"]
    indicators = list(ready.iter_rows(min_row=HEADER_ROW + 2, values_only=True))
    assert len(indicators) == sum(len(v) for v in contract.READINESS_INDICATORS.values())
    for n in range(HEADER_ROW + 2, HEADER_ROW + 2 + len(indicators)):
        ready.cell(n, 3).value = 3
    wb["Identitas"]["B" + str(identity_labels("EVALUASI").index("tanggal_dokumen") + 1)] = "20 Januari 2025"
    wb["Identitas"]["B" + str(identity_labels("EVALUASI").index("email_kontak") + 1)] = (
        "diskominfo@bandung.go.id"
    )
    wb.save(out)

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = cli.main(["validate", str(out), "--json", "--warehouse", url])
    (item,) = json.loads(buffer.getvalue())
    rules = [(f["rule"], f["column"]) for f in item["findings"]]
    assert not [r for r in rules if r[0] == "REFERENCE"], rules
    assert not [r for r in rules if r[0] == "EXTRA"], rules  # the reading aids are the template's own
    assert (code, item["status"]) == (0, "accepted"), rules


def test_template_guides_every_column_group_and_spelling(tmp_path: Path, monkeypatch) -> None:
    """Petunjuk explains anggaran_<tahun>, the milestones and the CONTOH row; every accepted
    dimension spelling has an element list (no #REF! after "Masyarakat"); tahun_evaluasi goes
    up to the current year; wrapped help texts get row heights (LibreOffice keeps defaults)."""
    from smartprov.authoring.template import element_list_name

    monkeypatch.setenv("SMARTPROV_TODAY", "2026-03-01")
    wb = openpyxl.load_workbook(write_template("32.73", "MASTERPLAN", tmp_path / "mp.xlsx"))
    text = " ".join(
        c for row in wb["Petunjuk"].iter_rows(values_only=True) for c in row if isinstance(c, str)
    )
    for needle in ("anggaran_<tahun>", "anggaran_<year>", "CONTOH", "tanggal_penetapan", "tahap_bimtek"):
        assert needle in text, needle
    names = {name.lower(): dn.attr_text for name, dn in wb.defined_names.items()}
    for alias, canonical in contract.taxonomy().dimension_aliases.items():
        name = "elemen_" + alias.strip().replace(" ", "_")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
            assert names.get(name.lower()) == names[element_list_name(canonical).lower()], alias
    assert names["elemen_masyarakat"] == names["elemen_smart_society"]
    petunjuk = wb["Petunjuk"]
    long_rows = [
        r
        for r in range(1, petunjuk.max_row + 1)
        if isinstance(petunjuk.cell(r, 2).value, str) and len(petunjuk.cell(r, 2).value) > 150
    ]
    assert long_rows and all((petunjuk.row_dimensions[r].height or 0) >= 30 for r in long_rows)
    ev = openpyxl.load_workbook(write_template("32.73", "EVALUASI", tmp_path / "ev.xlsx"))
    year_rows = {r[0].value: r[0].row for r in ev["Identitas"].iter_rows() if r[0].value}
    cell = f"B{year_rows['tahun_evaluasi']}"
    rule = next(dv for dv in ev["Identitas"].data_validations.dataValidation if cell in str(dv.sqref))
    assert (rule.formula1, rule.formula2) == (str(contract.MIN_YEAR), "2026")


@pytest.mark.parametrize("kind", [MASTERPLAN, EVALUASI])
def test_templates_print_readable_without_text_over_text(tmp_path: Path, kind: str) -> None:
    """The template as LibreOffice prints it: help texts wrap inside their rows (no line over
    another), no word under 8 pt, and the Petunjuk fits one page wide (its English column
    is on the same page as the Indonesian)."""
    from printing import MIN_BOX_FOR_8PT, overlapping, to_pdf, words

    pdf = to_pdf(write_template("32.73", kind, tmp_path / f"{kind.lower()}.xlsx"), tmp_path / "pdf")
    found = words(pdf)
    assert not overlapping(found), overlapping(found)[:5]
    small = [w for w in found if w.height < MIN_BOX_FOR_8PT]
    assert not small, small[:5]
    first_page = {w.text for w in found if w.page == 1}
    assert {"Langkah", "Steps"} <= first_page
