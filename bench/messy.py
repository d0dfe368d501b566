"""A landing zone of workbooks made the way people make them, beside the generator's own.

The generator writes every workbook through the project's writer (XlsxWriter: one style set,
its own XML). People open a template or last year's file in LibreOffice or Excel,
or fill it with a script, and save: shared strings, their writer's styles and XML, an extra
column of their own notes, formatted blank rows left under the table. This takes every
`step`-th regency of the national landing zone (its masterplan and evaluations, whose
values already carry Indonesian number and date text, blank rows and homemade layouts for a
third of the regencies) and re-makes each file:

- odd regencies: opened and saved by openpyxl (normal mode: shared strings), with a column
  "Catatan petugas" of free text added right of every table, and styled blank rows below;
- even regencies: the same edit, then saved again by LibreOffice (`soffice --convert-to xlsx`),
  as a Calc user would; skipped (openpyxl only) when LibreOffice is not installed.

Cached under the bench's work folder like the national landing zone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

NOTES = (
    "sudah dikonfirmasi ke OPD",
    "angka sementara, menunggu BPKAD",
    "lihat lampiran = dokumen RPJMD",
    "revisi 2; Rp 1.250.000 belum termasuk",
    "",
)


def _edit(src: Path, dest: Path) -> None:
    """openpyxl, normal mode: a notes column right of each sheet's table, blank styled rows."""
    import copy

    from openpyxl import load_workbook

    book = load_workbook(src)
    for i, sheet in enumerate(book.worksheets):
        if sheet.max_row < 3 or sheet.title.lower() in ("petunjuk", "daftar"):
            continue
        col = sheet.max_column + 1
        header = None
        for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 12)):
            if sum(1 for c in row if c.value not in (None, "")) >= 3:
                header = row[0].row
                break
        if header is None:
            continue
        sheet.cell(row=header, column=col, value="Catatan petugas")
        for r in range(header + 1, sheet.max_row + 1):
            note = NOTES[(r + i) % len(NOTES)]
            if note and sheet.cell(row=r, column=1).value not in (None, ""):
                sheet.cell(row=r, column=col, value=note)
        last = sheet.max_row
        style = copy.copy(sheet.cell(row=last, column=1)._style)
        for r in range(last + 1, last + 6):  # formatted but empty: what a deleted block leaves
            for c in range(1, min(col, 6) + 1):
                sheet.cell(row=r, column=c)._style = copy.copy(style)
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)


def _libreoffice(files: list[Path], soffice: str) -> None:
    """Save each file again with LibreOffice Calc, in place (one soffice process per folder)."""
    by_folder: dict[Path, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent, []).append(f)
    with tempfile.TemporaryDirectory(prefix="smartprov-lo-") as profile:
        for group in by_folder.values():
            with tempfile.TemporaryDirectory(prefix="smartprov-lo-out-") as out:
                subprocess.run(
                    [
                        soffice,
                        f"-env:UserInstallation=file://{profile}",
                        "--headless",
                        "--convert-to",
                        "xlsx:Calc MS Excel 2007 XML",
                        "--outdir",
                        out,
                        *map(str, group),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
                for f in group:
                    shutil.move(str(Path(out) / f.name), f)


def messy_landing(national: Path, out: Path, step: int = 5) -> Path:
    folder = out / f"landing-messy-{national.name}-step{step}"
    manifest = folder / ".bench-manifest.json"
    soffice = shutil.which("soffice")
    params = {"national": national.name, "step": step, "libreoffice": bool(soffice)}
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("params") == params and len(list(folder.rglob("*.xlsx"))) == saved.get("files"):
            print(f"messy landing: reusing {folder} ({saved['files']} workbooks)", flush=True)
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    clock = time.perf_counter()
    regencies = sorted(p for p in national.iterdir() if p.is_dir())[::step]
    to_calc: list[Path] = []
    files = 0
    for n, regency in enumerate(regencies):
        for src in sorted(regency.glob("*.xlsx")):
            dest = folder / regency.name / src.name
            _edit(src, dest)
            files += 1
            if n % 2 == 0 and soffice:
                to_calc.append(dest)
    if to_calc:
        _libreoffice(to_calc, soffice)
    manifest.write_text(
        json.dumps(
            {
                "params": params,
                "files": files,
                "libreoffice_files": len(to_calc),
                "seconds": round(time.perf_counter() - clock, 1),
            }
        )
    )
    print(
        f"messy landing: wrote {files} workbooks ({len(to_calc)} through LibreOffice) under {folder}",
        flush=True,
    )
    return folder


def describe(folder: Path) -> dict:
    saved = json.loads((folder / ".bench-manifest.json").read_text())
    return {k: saved[k] for k in ("files", "libreoffice_files")}
