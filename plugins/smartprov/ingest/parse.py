"""One workbook -> its identity, its typed rows per sheet, and the findings of reading it.

This is the part of validation that belongs to reading: finding sheets, header rows and
columns, and reading each cell as its contract type (TYPE findings). Rules over the
typed values live in the GX suites (`expectations/`) and in `cross_rules`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import ALL_IDENTITY_FIELDS, EVALUASI, IDENTITY_SHEET, MASTERPLAN
from smartprov.contract.findings import Finding, FindingCap, finding, settle
from smartprov.ingest import values
from smartprov.ingest.workbook import FileRejected, Workbook, find_header_row, normalize_header, open_workbook

# Sheets that the project's own template adds: never reported as EXTRA.
TEMPLATE_HELPER_SHEETS = frozenset({"petunjuk", "daftar"})
IDENTITY_LABELS = {normalize_header(f.label): f for f in ALL_IDENTITY_FIELDS}
IDENTITY_ENUMS = {"tahap_bimtek": "bimtek_stage"}
YEAR_BUDGET_HEADER = re.compile(contract.YEAR_BUDGET_HEADER)


@dataclass
class ParsedSubmission:
    path: str
    sha256: str
    size: int
    folder: str | None
    submission_id: str
    findings: list[Finding] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)  # label -> parsed value, "_rows", "_raw"
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sheet -> typed records
    # Version 2 `Program` money per year: one record per (program row, year column) read.
    year_budgets: list[dict[str, Any]] = field(default_factory=list)
    uploaded_at: dt.datetime | None = None  # when the object was written to the landing zone
    readable: bool = False  # identity and sheets could be read far enough to validate rows
    # The file's finding budget: the first findings of a rule on a sheet are kept, the rest
    # counted into one summary finding (`smartprov.contract.findings.FindingCap`).
    cap: FindingCap = field(default_factory=FindingCap)

    @property
    def kind(self) -> str | None:
        return self.identity.get("jenis_dokumen")

    @property
    def region_code(self) -> str | None:
        """The regency the submission counts for: its kode_wilayah, but the sender's folder
        when the two differ (REGION_MISMATCH is reported under the sender)."""
        folder = self.folder if self.folder in contract.regions() else None
        return folder or self.identity.get("kode_wilayah")

    @property
    def period(self) -> str | None:
        ident = self.identity
        if self.kind == MASTERPLAN and ident.get("periode_mulai") and ident.get("periode_selesai"):
            return f"{ident['periode_mulai']}-{ident['periode_selesai']}"
        if self.kind == EVALUASI and ident.get("tahun_evaluasi"):
            return str(ident["tahun_evaluasi"])
        return None

    @property
    def template_version(self) -> str | None:
        return self.identity.get("versi_template")

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "ERROR" for f in self.findings)

    def add(self, f: Finding) -> None:
        if self.cap.admits(f.rule, f.sheet, f.row, f.message_id):
            self.findings.append(f)

    def admits(self, rule: str, sheet: str | None, row: int | None, message_id: str | None = None) -> bool:
        """Ask before building a finding that may be one of thousands: True to build and
        `keep` it, False when the cap has counted it into its rule's summary instead."""
        return self.cap.admits(rule, sheet, row, message_id)

    def keep(self, f: Finding) -> None:
        """A finding `admits` said yes to."""
        self.findings.append(f)

    def settle_findings(self) -> None:
        """Put the cap's summary findings (how many more, on which rows) in the list, as of now."""
        if self.cap.more:
            self.findings = settle(self.findings, self.cap)


def submission_id_for(sha256: str, folder: str | None = None) -> str:
    """A submission is its content AND its sender (the landing folder): the same bytes in two
    folders are two submissions, so a copy in the wrong folder never shelves the right one."""
    import hashlib

    return hashlib.sha256(f"{folder or ''}\0{sha256}".encode()).hexdigest()[:16]


def unprocessable(what_id: str, what_en: str, exc: BaseException, *, with_message: bool = False) -> Finding:
    """FILE_UNPROCESSABLE, the one builder: a later step could not process a file that was
    read (validation could not run on it, the warehouse refused its content). Named by the
    step and the error's type; `with_message` adds the error's words (the warehouse's name
    the offending value)."""
    kind = type(exc).__name__
    if with_message:
        kind += ": " + " ".join(str(exc).split())[:160]
    return finding("FILE_UNREADABLE", "FILE_UNPROCESSABLE", detail=f"{what_id} ({kind}) / {what_en} ({kind})")


def parse_submission(path: str, data: bytes, sha256: str, folder: str | None) -> ParsedSubmission:
    sub = ParsedSubmission(
        path=path,
        sha256=sha256,
        size=len(data),
        folder=folder,
        submission_id=submission_id_for(sha256, folder),
    )
    if folder not in contract.regions():
        sub.add(finding("UNKNOWN_REGION", "UNKNOWN_REGION_FOLDER", value=folder or "/"))
        return sub
    if not path.lower().endswith((".xlsx", ".xlsm")):
        extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
        sub.add(
            finding(
                "FILE_UNREADABLE",
                value=path.rsplit("/", 1)[-1],
                detail=f"bukan berkas .xlsx / not an .xlsx file (.{extension})"
                if extension
                else "bukan berkas .xlsx / not an .xlsx file",
            )
        )
        return sub
    try:
        wb = open_workbook(data)
    except FileRejected as rejected:
        sub.add(rejected.finding)
        return sub
    if not _read_identity(sub, wb):
        return sub
    _read_data_sheets(sub, wb)
    sub.settle_findings()
    return sub


# -- Identitas -------------------------------------------------------------------------
def _read_identity(sub: ParsedSubmission, wb: Workbook) -> bool:
    """Read `Identitas`; False when the rest of the workbook cannot be validated."""
    sheet = wb.find_sheet(IDENTITY_SHEET)
    if sheet is None:
        sub.add(finding("MISSING_SHEET", sheet=IDENTITY_SHEET))
        return False
    raw: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for index, row in enumerate(wb.rows(sheet)):
        if not row:
            continue
        field_ = IDENTITY_LABELS.get(normalize_header(row[0])) if isinstance(row[0], str) else None
        if field_ is None or field_.label in rows:
            continue
        rows[field_.label] = index + 1
        raw[field_.label] = row[1] if len(row) > 1 else None
    ident = sub.identity
    ident["_rows"] = rows
    ident["_raw"] = {k: _raw_text(v) for k, v in raw.items()}

    def at(label: str) -> dict[str, Any]:
        return {"sheet": IDENTITY_SHEET, "row": rows.get(label), "column": label}

    kind_raw = raw.get("jenis_dokumen")
    kind = str(kind_raw).strip().upper() if not values.is_empty(kind_raw) else ""
    if kind not in contract.KINDS:
        sub.add(
            finding(
                "TEMPLATE_VERSION",
                **at("jenis_dokumen"),
                value=_raw_text(kind_raw),
                field="jenis_dokumen",
                expected="MASTERPLAN, EVALUASI",
            )
        )
        return False
    ident["jenis_dokumen"] = kind
    version = _raw_text(raw.get("versi_template"))
    if version.endswith(".0"):
        version = version[:-2]
    if version not in contract.TEMPLATE_VERSIONS:
        sub.add(
            finding(
                "TEMPLATE_VERSION",
                **at("versi_template"),
                value=version,
                field="versi_template",
                expected=", ".join(contract.TEMPLATE_VERSIONS),
            )
        )
        return False
    ident["versi_template"] = version

    for f in contract.identity_fields(version, kind):
        if f.label in ("jenis_dokumen", "versi_template"):
            continue
        value = raw.get(f.label)
        if values.is_empty(value):
            ident[f.label] = None
            continue
        try:
            ident[f.label] = values.read_cell(f.type, value, enum=IDENTITY_ENUMS.get(f.label))
        except values.CellError as err:
            ident[f.label] = None
            if f.type == "region_code":
                sub.add(finding("UNKNOWN_REGION", **at(f.label), value=_raw_text(value)))
            else:
                sub.add(_cell_finding(err, value, **at(f.label)))

    code = ident.get("kode_wilayah")
    if code is None and values.is_empty(raw.get("kode_wilayah")):
        sub.add(finding("REQUIRED", "REQUIRED_REGION", **at("kode_wilayah")))
        return False
    if code is None:
        return False  # unreadable code: already reported
    region = contract.regions().get(code)
    if region is None:
        sub.add(finding("UNKNOWN_REGION", **at("kode_wilayah"), value=_raw_text(raw["kode_wilayah"])))
        return False
    if code != sub.folder:
        sub.add(finding("REGION_MISMATCH", **at("kode_wilayah"), value=code, expected=sub.folder or ""))
        return False
    given_name = ident.get("nama_wilayah")
    if given_name and not values.region_name_matches(str(given_name), region.name, region.type):
        sub.add(
            finding(
                "CONSISTENCY",
                **at("nama_wilayah"),
                value=given_name,
                detail_id=f"nama_wilayah '{given_name}' tidak sesuai dengan nama resmi kode {code}: "
                f"'{region.name}'. Periksa kode_wilayah dan nama_wilayah.",
                detail_en=f"nama_wilayah '{given_name}' does not match the official name of code {code}: "
                f"'{region.name}'. Check kode_wilayah and nama_wilayah.",
            )
        )
    return True


# -- data sheets -----------------------------------------------------------------------
def _read_data_sheets(sub: ParsedSubmission, wb: Workbook) -> None:
    kind = sub.kind
    expected = contract.sheets_for(kind)
    used = {wb.find_sheet(IDENTITY_SHEET)}
    readable = True
    for spec in expected:
        name = wb.find_sheet(spec.name)
        if name is None:
            if spec.required:
                sub.add(finding("MISSING_SHEET", sheet=spec.name))
                readable = False
            continue
        used.add(name)
        if not _read_sheet(sub, wb, name, spec):
            readable = False
    for name in wb.sheet_names:
        if name not in used and normalize_header(name) not in TEMPLATE_HELPER_SHEETS:
            sub.add(finding("EXTRA", "EXTRA_SHEET", sheet=name))
    sub.readable = readable


def _read_sheet(sub: ParsedSubmission, wb: Workbook, name: str, spec: contract.Sheet) -> bool:
    grid = wb.rows(name)
    header_index, columns, extras = find_header_row(grid, spec.column_names, contract.HEADER_SEARCH_ROWS)
    missing = [c.name for c in spec.columns if c.required and c.name not in columns]
    if header_index is None or missing:
        for col in missing or [c.name for c in spec.columns if c.required]:
            sub.add(finding("MISSING_COLUMN", sheet=spec.name, column=col))
        return False
    year_columns: dict[int, tuple[int, str]] = {}  # year -> (column index, header as typed)
    if spec.name == contract.PROGRAM.name and sub.template_version == "2":
        extras, year_columns = _year_budget_columns(sub, extras)
    reference = {normalize_header(c) for c in contract.REFERENCE_COLUMNS.get(spec.name, ())}
    for _, text in extras:
        if normalize_header(text) not in reference:  # a prefilled template's own reading aids
            sub.add(finding("EXTRA", "EXTRA_COLUMN", sheet=spec.name, column=str(text)))

    percent_rows: dict[str, set[int]] = {}
    for col in spec.columns:
        if col.type == "percent" and col.name in columns:
            idx = columns[col.name]
            if any(_is_fraction(r[idx]) for r in grid[header_index + 1 :] if idx < len(r)):
                percent_rows[col.name] = wb.percent_cells(name, idx)

    key_col = spec.key[0]
    key_index = columns.get(key_col)
    contract_indexes = sorted(columns.values())
    plan = _column_plan(spec, columns, percent_rows)
    records: list[dict[str, Any]] = []
    for index in range(header_index + 1, len(grid)):
        row = grid[index]
        if _all_empty(row):
            continue
        sheet_row = index + 1
        width = len(row)
        key_raw = row[key_index] if key_index is not None and key_index < width else None
        if isinstance(key_raw, str) and key_raw.strip().upper() == contract.EXAMPLE_ROW_MARKER:
            continue  # the template's greyed example row
        if values.is_empty(key_raw):
            first_text = next((v for v in row if isinstance(v, str) and v.strip()), None)
            if first_text is not None and first_text.strip().lower() in contract.TOTAL_ROW_LABELS:
                sub.add(
                    finding(
                        "EXTRA", "EXTRA_TOTAL_ROW", sheet=spec.name, row=sheet_row, value=first_text.strip()
                    )
                )
                continue
        if _all_empty([row[i] for i in contract_indexes if i < width]):
            # Only ignored (extra) columns hold something, e.g. a template's pre-numbered `No`
            # column below the last filled row: empty as far as the contract goes.
            continue
        record: dict[str, Any] = {"source_row": sheet_row}
        for name, raw_key, idx, kind, col, percent, aliases in plan:
            raw = row[idx] if idx is not None and idx < width else None
            t = type(raw)
            # The common cells, read here as `_raw_text` and `_read_value` would (no call per
            # cell); anything else takes those two.
            if raw is None:
                record[raw_key] = ""
                record[name] = None
                continue
            if t is str:
                text = raw.strip()
                record[raw_key] = text
                if text.lower() in _EMPTY_MARKERS:
                    record[name] = None
                elif kind is _TEXT:
                    record[name] = text
                elif kind is _ENUM:
                    text = " ".join(text.split())
                    record[name] = aliases.get(text.lower(), text)
                else:
                    value = _read_cached(col.type, col.enum, index in percent, raw)
                    if type(value) is values.CellError:
                        value = _refused(sub, spec, col, value, raw, sheet_row)
                    record[name] = value
                continue
            if t is float and raw - raw == 0:  # finite (NaN and inf are not)
                whole = raw.is_integer()
                if kind is _NUMBER:
                    value = raw
                elif kind is _YEAR and whole and 1000 <= raw <= 9999:
                    value = int(raw)
                elif kind is _PERCENT:  # a percent-formatted cell holds the fraction
                    value = round(raw * 100.0, 10) if index in percent else raw
                else:
                    value = _NOT_READ
                if value is not _NOT_READ:
                    record[raw_key] = str(int(raw)) if whole else repr(raw)
                    record[name] = value
                    continue
            record[raw_key] = _raw_text(raw)
            record[name] = _read_value(sub, spec, col, raw, sheet_row, index in percent)
        if year_columns:
            _read_year_budgets(sub, spec, row, sheet_row, record, year_columns)
        records.append(record)
    sub.rows[spec.name] = records
    return True


_EMPTY_MARKERS = contract.EMPTY_MARKERS
_TEXT, _NUMBER, _ENUM, _YEAR, _PERCENT, _OTHER = "text", "number", "enum", "year", "percent", "other"
_NOT_READ = object()
_NO_ROWS: frozenset[int] = frozenset()


def _column_plan(
    spec: contract.Sheet, columns: dict[str, int], percent_rows: dict[str, set[int]]
) -> list[tuple[str, str, int | None, str, contract.Column, Any, dict[str, str] | None]]:
    """Per contract column, what the row loop needs, looked up once per sheet: the record's
    keys, the cell's index, how its common cells are read, its percent-formatted rows and
    its enum's spellings."""
    plan = []
    for col in spec.columns:
        if col.type in ("text", "code"):
            kind = _TEXT
        elif col.type in ("number", "money", "score"):
            kind = _NUMBER
        elif col.type == "enum":
            kind = _ENUM
        elif col.type == "year":
            kind = _YEAR
        elif col.type == "percent":
            kind = _PERCENT
        else:
            kind = _OTHER
        aliases = contract.alias_map(col.enum) if kind is _ENUM else None
        percent = percent_rows.get(col.name, _NO_ROWS)
        plan.append((col.name, f"{col.name}__raw", columns.get(col.name), kind, col, percent, aliases))
    return plan


def _all_empty(cells: list[Any]) -> bool:
    """`all(values.is_empty(v) for v in cells)`, without a call per cell for the usual ones."""
    for v in cells:
        if v is None:
            continue
        t = type(v)
        if t is str:
            if not v or v.strip().lower() in _EMPTY_MARKERS:
                continue
            return False
        if t is float:
            if v != v:
                continue
            return False
        if t is int or t is bool:
            return False
        if not values.is_empty(v):
            return False
    return True


def _year_budget_columns(
    sub: ParsedSubmission, extras: list[tuple[int, str]]
) -> tuple[list[tuple[int, str]], dict[int, tuple[int, str]]]:
    """Version 2: the `anggaran_<YYYY>` columns among the header's extra cells.

    Returns the extras that are still extra, and year -> (column index, header). A year
    outside the masterplan period is an EXTRA column (contract section 6)."""
    start, end = sub.identity.get("periode_mulai"), sub.identity.get("periode_selesai")
    still_extra: list[tuple[int, str]] = []
    years: dict[int, tuple[int, str]] = {}
    for index, text in extras:
        m = YEAR_BUDGET_HEADER.fullmatch(normalize_header(text))
        if m is None or int(m.group(1)) in years:
            still_extra.append((index, text))
            continue
        year = int(m.group(1))
        if start is not None and end is not None and not int(start) <= year <= int(end):
            sub.add(
                finding(
                    "EXTRA",
                    "EXTRA_BUDGET_YEAR",
                    sheet=contract.PROGRAM.name,
                    column=str(text),
                    year=year,
                    start=int(start),
                    end=int(end),
                )
            )
            continue
        years[year] = (index, str(text))
    return still_extra, dict(sorted(years.items()))


def _read_year_budgets(
    sub: ParsedSubmission,
    spec: contract.Sheet,
    row: list[Any],
    sheet_row: int,
    record: dict[str, Any],
    year_columns: dict[int, tuple[int, str]],
) -> None:
    total = None
    for year, (index, _header) in year_columns.items():
        raw = _cell(row, index)
        column = f"anggaran_{year}"
        if type(raw) is float and raw - raw == 0:  # finite: read_cell gives it back as is
            amount = raw
        else:
            if values.is_empty(raw):
                continue
            try:
                amount = values.read_cell("money", raw)
            except values.CellError as err:
                if sub.admits(err.rule, spec.name, sheet_row, _cell_message_id(err)):
                    sub.keep(_cell_finding(err, raw, sheet=spec.name, row=sheet_row, column=column))
                continue
        sub.year_budgets.append(
            {
                "source_row": sheet_row,
                "kode_program": record.get("kode_program"),
                "tahun_mulai": record.get("tahun_mulai"),
                "tahun_selesai": record.get("tahun_selesai"),
                "tahun": year,
                "kolom": column,
                "anggaran": amount,
                "anggaran__raw": _raw_text(raw),
            }
        )
        total = amount if total is None else total + amount
    record["anggaran_tahunan_total"] = total


def _read_value(
    sub: ParsedSubmission, spec: contract.Sheet, col: contract.Column, raw: Any, row: int, percent: bool
) -> Any:
    if values.is_empty(raw):
        return None
    if col.type == "enum":
        # Unknown values stay as typed: the suite's in-set expectation reports them (ENUM).
        text = " ".join(str(raw).split())
        return contract.alias_map(col.enum).get(text.lower(), text)
    value = (
        _read_cached(col.type, col.enum, percent, raw) if type(raw) is str else _read_plain(col, raw, percent)
    )
    if type(value) is values.CellError:
        return _refused(sub, spec, col, value, raw, row)
    return value


def _refused(
    sub: ParsedSubmission,
    spec: contract.Sheet,
    col: contract.Column,
    err: values.CellError,
    raw: Any,
    row: int,
) -> None:
    """The cell's TYPE/ENUM finding (when the file's finding budget admits it); its value is None."""
    if sub.admits(err.rule, spec.name, row, _cell_message_id(err)):
        sub.keep(_cell_finding(err, raw, sheet=spec.name, row=row, column=col.name))
    return None


def _read_plain(col: contract.Column, raw: Any, percent: bool) -> Any:
    """`values.read_cell`, lists joined; a CellError is returned, not raised."""
    try:
        value = values.read_cell(col.type, raw, enum=col.enum, percent_formatted=percent)
    except values.CellError as err:
        return err
    if isinstance(value, list):
        return "; ".join(value)
    return value


# Text cells repeat within and across files ("Ya", "APBD Kab/Kota", "Diskominfo; Bappeda"):
# each distinct (type, enum, percent format, text) is read once per process. The readers
# are pure, and what is kept is immutable (str, float, int, bool, date) or an error.
_TEXT_READS: dict[tuple[str, str | None, bool, str], Any] = {}
_TEXT_READS_MAX = 50_000


def _read_cached(type_name: str, enum: str | None, percent: bool, raw: str) -> Any:
    key = (type_name, enum, percent, raw)
    found = _TEXT_READS.get(key, _TEXT_READS)
    if found is not _TEXT_READS:
        return found
    try:
        value = values.read_cell(type_name, raw, enum=enum, percent_formatted=percent)
    except values.CellError as err:
        value = err.with_traceback(None)  # kept: no frames kept alive with it
    if isinstance(value, list):
        value = "; ".join(value)
    if len(_TEXT_READS) >= _TEXT_READS_MAX:
        _TEXT_READS.clear()
    if len(raw) <= 200:  # a long text is no repeated value: not kept
        _TEXT_READS[key] = value
    return value


def _cell_message_id(err: values.CellError) -> str:
    return "ENUM_LIST" if err.rule == "ENUM" else "TYPE"


def _cell_finding(err: values.CellError, raw: Any, **where: Any) -> Finding:
    if err.rule == "ENUM":
        suggestion = err.suggestion
        return finding(
            "ENUM",
            "ENUM_LIST",
            **where,
            value=_raw_text(raw),
            allowed_id=err.expected_id,
            allowed_en=err.expected_en,
            suggestion_id=f" Mungkin maksud Anda '{suggestion}'?" if suggestion else "",
            suggestion_en=f" Did you mean '{suggestion}'?" if suggestion else "",
        )
    return finding(
        "TYPE", **where, value=_raw_text(raw), expected_id=err.expected_id, expected_en=err.expected_en
    )


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _is_fraction(value: Any) -> bool:
    return isinstance(value, float) and 0 < value <= 1


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value).strip()
