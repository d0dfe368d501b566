"""The reports people open, written at the end of each run from the dbt marts.

    write_reports(warehouse_url, out_dir, province=None | "32", run_id=...)
        -> {"excel": ".../laporan-smart-province-<scope>.xlsx",
            "html":  ".../laporan-smart-province-<scope>.html"}

- Excel (`smartprov.reports.excel`): "Ringkasan" (headline figures, coverage vs the Smart
  Province threshold, coverage per province, the sheet list), then one sheet per mart with
  Indonesian titles and headers, technical names above them, frozen headers, autofilter,
  rupiah / percent / score / date formats.
- HTML (`smartprov.reports.html`): one self-contained page (inline CSS and SVG charts, no
  external URL) with headline cards, five charts and compact tables.

`province=None` reports every province present in the marts (the national case); a code
reports that province only. A mart that is missing or unreadable makes its sheet / chart say
so; the other outputs are still written. Files are written next to their final name and
then renamed, so a reader never opens a half-written report.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from smartprov.reports.data import MARTS, ReportData, load_report_data, safe_slug
from smartprov.warehouse.snapshot import open_for_analysts

__all__ = ["MARTS", "ReportData", "report_paths", "write_reports"]


def report_paths(out_dir: Path, province: str | None = None) -> dict[str, Path]:
    scope = "nasional" if province is None else f"provinsi-{safe_slug(province)}"
    stem = f"laporan-smart-province-{scope}"
    return {"excel": Path(out_dir) / f"{stem}.xlsx", "html": Path(out_dir) / f"{stem}.html"}


def write_reports(
    warehouse_url: str,
    out_dir: Path,
    *,
    province: str | None = None,
    run_id: str | None = None,
    threshold_pct: float | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, str]:
    """Write the Excel workbook and the HTML report; return their paths.

    threshold_pct defaults to the dbt project's var smart_province_threshold_pct (80).
    """
    from smartprov.reports.excel import write_excel
    from smartprov.reports.html import write_html

    province = None if province in (None, "") else str(province).strip()
    # Analysts' view: on DuckDB the published snapshot, never the loader's file.
    with open_for_analysts(warehouse_url) as wh:
        data = load_report_data(
            wh, province=province, run_id=run_id, threshold_pct=threshold_pct, generated_at=generated_at
        )
    paths = report_paths(Path(out_dir), province)
    out: dict[str, str] = {}
    for key, writer in (("excel", write_excel), ("html", write_html)):
        final = paths[key]
        final.parent.mkdir(parents=True, exist_ok=True)
        # Same folder (so the rename is atomic), same suffix (a leftover still opens as what it
        # is), default permissions (mkstemp's 0600 would hide the report from the web server /
        # analysts).
        tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp{final.suffix}")
        try:
            writer(data, tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        out[key] = str(final)
    return out
