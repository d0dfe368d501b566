"""The naive stack the issue compares us with: `python -m bench.naive LANDING DB_FILE`.

What a first, straightforward pipeline over the same landing zone does: openpyxl reads
every workbook (read-only mode), every data sheet becomes a DataFrame (header on its second
row, under the title), the file's main sheet (Program or Realisasi) is validated with its
real GX suite in one GX validation per file, and every sheet is appended with
`DataFrame.to_sql` (SQLite file: duckdb-engine cannot `to_sql` twice into one DuckDB file).
No dbt, no reports, no alerts. Prints one JSON line (files, rows, seconds).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAIN_SHEET = {"Program": "program", "Realisasi": "realisasi"}
COLUMNS = {  # the template's columns; a naive loader keeps these, in this order
    "Program": (
        "kode_program nama_program dimensi elemen opd_penanggung_jawab tahun_mulai tahun_selesai "
        "quick_win anggaran_rp sumber_dana indikator_kinerja target satuan"
    ).split(),
    "Realisasi": "kode_program status progres_persen realisasi_anggaran_rp capaian keterangan".split(),
    "Kesiapan": "pilar indikator skor bukti".split(),
    "Indeks": "aspek nilai".split(),
}


def _name(cell) -> str:
    return str(cell or "").strip().lower().replace(" ", "_")


def main(landing: str, db_file: str) -> dict:
    clock = time.perf_counter()
    import great_expectations as gx
    import openpyxl
    import pandas as pd

    from smartprov.validation.gx import reference_parameters  # the suites' value sets

    parameters = reference_parameters()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    # Progress bars off, as in the pipeline: the comparison is of the work, not of terminal output.
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suites = {}
    for sheet, name in MAIN_SHEET.items():
        spec = json.loads((REPO / "expectations" / f"{name}.json").read_text(encoding="utf-8"))
        suites[sheet] = ctx.suites.add(gx.ExpectationSuite(**spec))
    batch_def = (
        ctx.data_sources.add_pandas("naive")
        .add_dataframe_asset("sheet")
        .add_batch_definition_whole_dataframe("all")
    )
    conn = sqlite3.connect(db_file)
    files = rows = validations = failed = 0
    for path in sorted(p for p in Path(landing).rglob("*") if p.is_file() and not p.name.startswith(".")):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        frames = {}
        for ws in book.worksheets:
            values = list(ws.values)
            if ws.title == "Identitas":
                frames[ws.title] = pd.DataFrame(
                    [
                        {"key": r[0], "value": None if len(r) < 2 or r[1] is None else str(r[1])}
                        for r in values
                        if r and r[0]
                    ]
                )
            elif ws.title in COLUMNS:
                wanted = COLUMNS[ws.title]
                # The header is the first row naming the sheet's first column (under the title).
                at = next((i for i, r in enumerate(values[:10]) if wanted[0] in map(_name, r)), None)
                if at is None:
                    continue
                where = {_name(h): j for j, h in enumerate(values[at])}
                body = [r for r in values[at + 1 :] if any(v is not None for v in r)]
                frames[ws.title] = pd.DataFrame(
                    [
                        [r[where[c]] if c in where and where[c] < len(r) else None for c in wanted]
                        for r in body
                    ],
                    columns=wanted,
                )
        book.close()
        for sheet, suite in suites.items():
            if sheet in frames:
                batch = batch_def.get_batch(batch_parameters={"dataframe": frames[sheet]})
                result = batch.validate(suite, expectation_parameters=parameters)
                validations += 1
                failed += not result.success
        for sheet, frame in frames.items():
            frame = frame.astype(object).where(frame.notna(), None).astype(str)
            frame.insert(0, "source_file", str(path.relative_to(landing)))
            frame.to_sql(sheet.lower(), conn, if_exists="append", index=False)
            rows += len(frame)
        conn.commit()
        files += 1
    conn.close()
    return {
        "files": files,
        "rows": rows,
        "gx_validations": validations,
        "gx_failed": failed,
        "seconds": round(time.perf_counter() - clock, 3),
    }


if __name__ == "__main__":
    out = main(sys.argv[1], sys.argv[2])
    print("\n" + json.dumps(out))
