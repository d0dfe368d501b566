"""Validation of a batch of parsed submissions of one kind, in bulk.

All rows of one sheet type in the batch (a chunk of the run's workbooks: see
`smartprov.run.load_path`) go through their GX suite together (one GX context per run); each failure is attributed back to its submission, sheet, row and
column. Cross-sheet and cross-submission rules follow (`cross_rules`), then findings are
reduced to one per cell. Each file's findings are capped as they are made (its
`ParsedSubmission.cap`: the first of each rule on each sheet, then one summary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import ALL_IDENTITY_FIELDS, EVALUASI, IDENTITY_SHEET, MASTERPLAN
from smartprov.contract.findings import Finding
from smartprov.ingest.parse import ParsedSubmission
from smartprov.validation import cross_rules

IDENTITY_SUITES = {MASTERPLAN: "identitas_masterplan", EVALUASI: "identitas_evaluasi"}
SHEET_SUITES = {"Program": "program", "Realisasi": "realisasi", "Kesiapan": "kesiapan", "Indeks": "indeks"}
YEAR_BUDGET_SUITE = "program_anggaran_tahunan"  # version 2: one row per (program, anggaran_<YYYY>)

# How a typed column is held in a frame (pandas nullable dtypes keep ints as ints).
FRAME_DTYPES = {
    "year": "Int64",
    "number": "float64",
    "money": "float64",
    "percent": "float64",
    "boolean": "boolean",
}


class BatchValidator:
    """Validates batches of submissions; holds the run's single GX runner."""

    def __init__(self, today: dt.date | None = None, run_name: str | None = None):
        self.today = today or settings.today()
        self.run_name = run_name
        self._runner = None

    @property
    def runner(self):
        # Made on first use, in the caller's thread. Importing GX in a thread while the files
        # are read was tried: under the GIL it took as long as the reading it was to overlap.
        if self._runner is None:
            from smartprov.validation.gx import SuiteRunner

            self._runner = SuiteRunner(run_name=self.run_name)
        return self._runner

    def suite_parameters(self) -> dict[str, Any]:
        import pandas as pd

        latest = self.today + dt.timedelta(days=contract.LATEST_DATE_AFTER_ARRIVAL_DAYS)
        # A Timestamp, not a date string: GX compares datetime columns with it.
        return {"current_year": self.today.year, "latest_date": pd.Timestamp(latest)}

    def validate(
        self,
        subs: list[ParsedSubmission],
        kind: str,
        masterplan_programs: Callable[[str], Any] | None = None,
    ) -> None:
        """Add findings to each readable submission of `kind` in `subs`."""
        batch = [s for s in subs if s.readable and s.kind == kind]
        if not batch:
            return
        by_id = {s.submission_id: s for s in batch}
        params = self.suite_parameters()

        def admits(sid: str, rule: str, sheet: str, row: int | None, message_id: str) -> bool:
            return by_id[sid].admits(rule, sheet, row, message_id)

        ident = identity_frame(batch)
        for sid, f in self.runner.validate(IDENTITY_SUITES[kind], ident, IDENTITY_SHEET, params, admits):
            by_id[sid].keep(f)
        batch_frames = {}
        for sheet in contract.sheets_for(kind):
            frame = sheet_frame(batch, sheet)
            if frame is None:
                continue
            batch_frames[sheet.name] = frame
            for sid, f in self.runner.validate(SHEET_SUITES[sheet.name], frame, sheet.name, params, admits):
                by_id[sid].keep(f)
        if kind == MASTERPLAN:
            years = year_budget_frame(batch)
            if years is not None:
                for sid, f in self.runner.validate(
                    YEAR_BUDGET_SUITE, years, contract.PROGRAM.name, params, admits
                ):
                    by_id[sid].keep(f)

        # The cross-sheet rules look at one submission at a time: cut the batch frames up
        # rather than building a frame per sheet per submission again (half the phase, once).
        parts = {name: split_by_submission(frame) for name, frame in batch_frames.items()}
        for sub in batch:
            frames = {s.name: _part_of(parts, sub, s) for s in contract.sheets_for(kind)}
            identity = {k: v for k, v in sub.identity.items() if not k.startswith("_")} | {
                "_rows": sub.identity.get("_rows", {})
            }
            with cross_rules.capped(sub.admits):  # the same cap, asked before each finding is built
                if kind == MASTERPLAN:
                    extra = cross_rules.check_masterplan(identity, frames["Program"])
                else:
                    programs = masterplan_programs(sub.region_code) if masterplan_programs else None
                    extra = cross_rules.check_evaluation(
                        identity, frames["Realisasi"], frames["Kesiapan"], frames.get("Indeks"), programs
                    )
            for f in extra:
                sub.keep(f)

    def write_data_docs(self, out_dir) -> str | None:
        if self._runner is None:
            return None
        return str(self._runner.write_data_docs(out_dir))


def check_submissions(
    subs: list[ParsedSubmission],
    validator: BatchValidator,
    stored_programs: Callable[[str], Any],
) -> None:
    """Validate masterplans, then evaluations against the current masterplan of their regency:
    an accepted masterplan of this same batch when there is one (the latest), else the stored one.
    Leaves each submission with one finding per cell."""
    validator.validate(subs, MASTERPLAN)
    for sub in subs:
        sub.findings = one_finding_per_cell(sub.findings)
    batch_masterplans: dict[str, ParsedSubmission] = {}
    for sub in sorted(
        (s for s in subs if s.readable and s.kind == MASTERPLAN and not s.has_errors),
        key=lambda s: (str(s.identity.get("tanggal_dokumen") or ""), s.path),
    ):
        batch_masterplans[sub.region_code] = sub

    def programs_of(region: str):
        if region in batch_masterplans:
            return masterplan_programs_frame(batch_masterplans[region])
        return stored_programs(region)

    validator.validate(subs, EVALUASI, masterplan_programs=programs_of)
    for sub in subs:
        sub.findings = one_finding_per_cell(sub.findings)
        sub.settle_findings()  # what the cap turned away, one summary per rule and sheet


def masterplan_programs_frame(sub: ParsedSubmission):
    """A parsed masterplan's programs in the shape the warehouse returns them."""
    import pandas as pd

    rows = sub.rows.get("Program", [])
    by_row: dict[int, dict[int, float]] = {}
    for y in sub.year_budgets:
        by_row.setdefault(y["source_row"], {})[y["tahun"]] = y["anggaran"]
    return pd.DataFrame(
        {
            "program_code": [r["kode_program"] for r in rows],
            "year_start": [r["tahun_mulai"] for r in rows],
            "year_end": [r["tahun_selesai"] for r in rows],
            "budget_idr": [
                r["anggaran_rp"] if r["anggaran_rp"] is not None else r.get("anggaran_tahunan_total")
                for r in rows
            ],
            "year_budgets": [by_row.get(r["source_row"], {}) for r in rows],
        }
    )


def year_budget_frame(batch: list[ParsedSubmission]):
    """Version 2's money per year, one row per (program row, year): None when the batch has none."""
    import pandas as pd

    records = [{"submission_id": s.submission_id, **y} for s in batch for y in s.year_budgets]
    if not records:
        return None
    frame = pd.DataFrame.from_records(records)
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["anggaran"] = frame["anggaran"].astype("float64")
    start = frame["tahun_mulai"].astype("Int64")
    end = frame["tahun_selesai"].astype("Int64")
    outside = (frame["tahun"] < start) | (frame["tahun"] > end)
    # An amount other than 0 outside the program's own years is RANGE; unknown years say nothing.
    frame["anggaran_luar_tahun_program"] = frame["anggaran"].where(outside.fillna(False).astype(bool))
    frame["tahun_program"] = [
        None if pd.isna(a) or pd.isna(b) else f"{a}–{b}" for a, b in zip(start, end, strict=True)
    ]
    frame["kode_program"] = frame["kode_program"].astype("object").where(frame["kode_program"].notna(), None)
    return frame


def one_finding_per_cell(findings: list[Finding]) -> list[Finding]:
    """Keep the first finding for each located cell (reading's TYPE before a suite's REQUIRED)."""
    seen: set[tuple] = set()
    out = []
    for f in findings:
        if f.row is not None and f.column:
            key = (f.sheet, f.row, f.column)
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


def identity_frame(batch: list[ParsedSubmission]):

    records = []
    for sub in batch:
        rows = sub.identity.get("_rows", {})
        raw = sub.identity.get("_raw", {})
        rec: dict[str, Any] = {"submission_id": sub.submission_id, "source_row": 0}
        for f in ALL_IDENTITY_FIELDS:
            rec[f.label] = sub.identity.get(f.label)
            rec[f"{f.label}__row"] = rows.get(f.label)
            rec[f"{f.label}__raw"] = raw.get(f.label, "")
        records.append(rec)
    return identity_records_frame(records)


def identity_records_frame(records: list[dict[str, Any]]):
    """One row per submission: each field's value, its label's row and the text as typed."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    for f in ALL_IDENTITY_FIELDS:
        for column in (f.label, f"{f.label}__row", f"{f.label}__raw"):
            if column not in frame.columns:  # records built before version 2's labels
                frame[column] = "" if column.endswith("__raw") else None
        frame[f"{f.label}__row"] = frame[f"{f.label}__row"].astype("Int64")
        if f.type == "year":
            frame[f.label] = frame[f.label].astype("Int64")
        elif f.type == "date":
            frame[f.label] = pd.to_datetime(frame[f.label])
    return frame


def records_frame(records: list[dict[str, Any]], sheet: contract.Sheet):
    import pandas as pd

    columns = ["submission_id", "source_row"] + [
        c for col in sheet.columns for c in (col.name, f"{col.name}__raw")
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["source_row"] = frame["source_row"].astype("int64")
    for col in sheet.columns:
        dtype = FRAME_DTYPES.get(col.type)
        if dtype:
            frame[col.name] = frame[col.name].astype(dtype)
        else:
            frame[col.name] = frame[col.name].astype("object").where(frame[col.name].notna(), None)
    if "kode_program" in frame.columns:
        # Codes repeat as people read them: `gov-02 ` is `GOV-02` again (evaluations match
        # their masterplan's codes the same way).
        frame["kode_program_key"] = [
            None if code is None else cross_rules.code_key(code) for code in frame["kode_program"]
        ]
    if sheet.name == "Program":
        # Version 2: the sum of the program's `anggaran_<YYYY>` cells (None when it has none).
        frame["anggaran_tahunan_total"] = pd.Series(
            [r.get("anggaran_tahunan_total") for r in records], dtype="float64", index=frame.index
        )
        tax = contract.taxonomy()
        dims, elements = set(tax.dimensions), set(contract.allowed_values("element"))
        frame["dimensi_elemen"] = [
            f"{d} | {e}" if d in dims and e in elements else None
            for d, e in zip(frame["dimensi"], frame["elemen"], strict=True)
        ]
    return frame


def sheet_frame(batch: list[ParsedSubmission], sheet: contract.Sheet):
    records = [{"submission_id": s.submission_id, **rec} for s in batch for rec in s.rows.get(sheet.name, ())]
    if not records and not any(sheet.name in s.rows for s in batch):
        return None
    return records_frame(records, sheet)


def split_by_submission(frame) -> dict[str, Any]:
    """The batch frame's rows per submission id, each part indexed from 0 like a frame of its own."""
    return {sid: part.reset_index(drop=True) for sid, part in frame.groupby("submission_id", sort=False)}


def _part_of(parts: dict[str, dict[str, Any]], sub: ParsedSubmission, sheet: contract.Sheet):
    if sheet.name not in sub.rows:
        return None  # the sheet is missing from the workbook
    part = parts[sheet.name].get(sub.submission_id)
    return part if part is not None else records_frame([], sheet)  # the sheet has no rows
