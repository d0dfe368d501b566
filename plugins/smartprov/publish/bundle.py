"""One open-data bundle per configured dataset: long-format CSV, Excel workbook, datapackage.json.

The rows follow the long format of Open Data Jabar and Satu Data Indonesia: one row per
regency (and year), region codes and upper-case names first, then the measure, its unit and
the year. Both regency code systems stand side by side: `bps_kode_kabupaten_kota` (from the
seed `ref_regency_bps_codes`, empty where BPS's code is not known) and
`kemendagri_kode_kabupaten_kota` ("32.04"). One is never derived from the other.

A bundle is written into a new folder and swapped in whole, so a reader never sees half of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.contract import catalogue
from smartprov.publish.config import Dataset, PublishConfig

BPS_SEED = "ref_regency_bps_codes"
# Column order of the long format (the measure goes between the names and `satuan`).
REGION_COLUMNS = (
    "id",
    "kode_provinsi",
    "nama_provinsi",
    "bps_kode_kabupaten_kota",
    "kemendagri_kode_kabupaten_kota",
    "nama_kabupaten_kota",
)
METADATA_KEYS = (
    "Dataset Dibuat",
    "Dataset Diperbarui",
    "Pengukuran Dataset",
    "Tingkat Penyajian Dataset",
    "Cakupan Dataset",
    "Produsen",
    "Kontak Produsen",
    "Kode Indikator",
    "Satuan Dataset",
    "Frekuensi Dataset",
    "Sumber Eksternal",
    "Dimensi Dataset Awal",
    "Dimensi Dataset Akhir",
    "Deskripsi",
)


class PublishError(RuntimeError):
    """A dataset cannot be published from the warehouse as configured."""


@dataclass(frozen=True)
class Bundle:
    dataset: str
    folder: Path
    csv: Path
    xlsx: Path
    datapackage: Path
    rows: int
    years: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "folder": str(self.folder),
            "csv": str(self.csv),
            "xlsx": str(self.xlsx),
            "datapackage": str(self.datapackage),
            "rows": self.rows,
            "years": list(self.years),
        }


def bps_codes() -> dict[str, str]:
    """Kemendagri regency code -> BPS code, only where the seed knows it."""
    return {r["code"]: r["bps_code"] for r in catalogue.read_seed(BPS_SEED) if r.get("bps_code")}


def long_rows(wh, cfg: PublishConfig, ds: Dataset, today: dt.date) -> list[dict[str, Any]]:
    """The dataset's rows in long format, ordered by year then Kemendagri code."""
    table = f"marts.{ds.mart}"
    if not wh.table_exists(table):
        raise PublishError(f"{ds.name}: {table} does not exist; build the marts first (smartprov run)")
    have = {str(c) for c in wh.query_df(f"SELECT * FROM {table} WHERE 1 = 0").columns}
    needed = [
        "province_code",
        "region_code",
        ds.column,
        *([ds.year_column] if ds.year_column else []),
        *ds.where,
    ]
    missing = [c for c in needed if c not in have]
    if missing:
        raise PublishError(f"{ds.name}: {table} has no column(s) {missing} (it has {sorted(have)})")
    year = ds.year_column or "NULL"
    filters = "".join(f" AND CAST({c} AS VARCHAR(200)) = ?" for c in ds.where)
    records = wh.fetchall(
        f"SELECT region_code, {ds.column}, {year} FROM {table} WHERE province_code = ?{filters}",  # noqa: S608
        [cfg.province, *ds.where.values()],
    )
    regions = catalogue.regions()
    province_name = catalogue.provinces()[cfg.province].upper()
    bps = bps_codes()
    rows = []
    for region_code, value, row_year in records:
        region = regions.get(region_code)
        if region is None:
            raise PublishError(f"{ds.name}: {table} names regency {region_code!r}, which ref_regencies lacks")
        rows.append(
            {
                "kode_provinsi": cfg.province,
                "nama_provinsi": province_name,
                "bps_kode_kabupaten_kota": bps.get(region_code, ""),
                "kemendagri_kode_kabupaten_kota": region_code,
                "nama_kabupaten_kota": region.name.upper(),
                ds.measure: _measure(value, ds),
                "satuan": ds.unit,
                "tahun": int(row_year) if row_year is not None else today.year,
            }
        )
    rows.sort(key=lambda r: (r["tahun"], r["kemendagri_kode_kabupaten_kota"]))
    keys = [(r["tahun"], r["kemendagri_kode_kabupaten_kota"]) for r in rows]
    if len(set(keys)) != len(keys):
        raise PublishError(
            f"{ds.name}: several {table} rows per regency and year; narrow them with `where` in the config"
        )
    return [{"id": i, **r} for i, r in enumerate(rows, start=1)]


def _measure(value: Any, ds: Dataset) -> int | Decimal | None:
    if value is None:
        return None
    if ds.measure_type == "integer":
        return int(value)
    return Decimal(str(value))


def columns(ds: Dataset) -> list[str]:
    return [*REGION_COLUMNS, ds.measure, "satuan", "tahun"]


def metadata(cfg: PublishConfig, ds: Dataset, rows: list[dict], created: str, updated: str) -> dict[str, str]:
    years = sorted({r["tahun"] for r in rows})
    return {
        "Judul": ds.title,
        "Dataset Dibuat": created,
        "Dataset Diperbarui": updated,
        "Pengukuran Dataset": ds.measurement,
        "Tingkat Penyajian Dataset": "Kabupaten/Kota",
        "Cakupan Dataset": "Provinsi",
        "Produsen": cfg.producer,
        "Kontak Produsen": cfg.contact,
        "Kode Indikator": ds.indicator_code,
        "Satuan Dataset": ds.unit,
        "Frekuensi Dataset": ds.frequency,
        "Sumber Eksternal": cfg.external_source,
        "Dimensi Dataset Awal": str(years[0]) if years else "",
        "Dimensi Dataset Akhir": str(years[-1]) if years else "",
        "Deskripsi": ds.description,
    }


def write_bundle(
    wh, cfg: PublishConfig, ds: Dataset, out_dir: Path, *, today: dt.date | None = None
) -> Bundle:
    today = today or settings.today()
    rows = long_rows(wh, cfg, ds, today)
    final = Path(out_dir) / ds.name
    created = ds.created or _previous_created(final) or today.isoformat()
    meta = metadata(cfg, ds, rows, created, today.isoformat())
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{ds.name}-", dir=out_dir))
    try:
        _write_csv(work / f"{ds.name}.csv", ds, rows)
        _write_xlsx(work / f"{ds.name}.xlsx", ds, rows, meta)
        package = datapackage(cfg, ds, meta)
        (work / "datapackage.json").write_text(
            json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _swap_in(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Bundle(
        dataset=ds.name,
        folder=final,
        csv=final / f"{ds.name}.csv",
        xlsx=final / f"{ds.name}.xlsx",
        datapackage=final / "datapackage.json",
        rows=len(rows),
        years=tuple(sorted({r["tahun"] for r in rows})),
    )


def _previous_created(folder: Path) -> str | None:
    try:
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        return package["metadata"]["Dataset Dibuat"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _swap_in(work: Path, final: Path) -> None:
    os.chmod(work, 0o755)  # mkdtemp makes it private; the bundle is for everyone
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}-old-{os.getpid()}")
        os.replace(final, old)
    os.replace(work, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def _write_csv(path: Path, ds: Dataset, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns(ds))
        for r in rows:
            writer.writerow([_text(r[c]) for c in columns(ds)])


def _write_xlsx(path: Path, ds: Dataset, rows: list[dict], meta: dict[str, str]) -> None:
    """Metadata and Dataset sheets, with XlsxWriter like the province's reports: text stays
    text (never a formula or a link), numbers stay numbers."""
    import xlsxwriter

    from smartprov.contract.xlsx import OPTIONS, write_value

    def write_row(ws: Any, row: int, values: list[Any], fmt: Any = None) -> None:
        # write_value, not XlsxWriter's write_row: in constant_memory mode a text such as
        # "<r>...</r>" would otherwise go into the sheet XML unescaped
        for col, value in enumerate(values):
            write_value(ws, row, col, value, fmt)

    with xlsxwriter.Workbook(str(path), {**OPTIONS, "constant_memory": True}) as wb:
        bold = wb.add_format({"bold": True})
        info = wb.add_worksheet("Metadata")
        info.set_column(0, 0, 28)
        info.set_column(1, 1, 80)
        write_row(info, 0, ["Metadata", "Nilai"], bold)
        for i, (key, value) in enumerate(meta.items(), start=1):
            write_row(info, i, [key, value])
        data = wb.add_worksheet("Dataset")
        write_row(data, 0, columns(ds), bold)
        for i, r in enumerate(rows, start=1):
            write_row(data, i, [_cell(r[c]) for c in columns(ds)])
        for sheet in (info, data):
            sheet.freeze_panes(1, 0)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return value


def datapackage(cfg: PublishConfig, ds: Dataset, meta: dict[str, str]) -> dict[str, Any]:
    """A Frictionless (Data Package v1) descriptor for the CSV: types, units, keys, metadata."""
    fields = [
        {"name": "id", "type": "integer", "title": "ID baris", "constraints": {"required": True, "unique": True}},
        {"name": "kode_provinsi", "type": "string", "title": "Kode provinsi (BPS = Kemendagri)",
         "constraints": {"required": True, "pattern": r"\d{2}"}},
        {"name": "nama_provinsi", "type": "string", "title": "Nama provinsi", "constraints": {"required": True}},
        {"name": "bps_kode_kabupaten_kota", "type": "string", "title": "Kode kabupaten/kota BPS",
         "description": "Kode BPS empat digit; kosong bila tidak diketahui (tidak diturunkan dari kode Kemendagri).",
         "constraints": {"pattern": r"\d{4}"}},
        {"name": "kemendagri_kode_kabupaten_kota", "type": "string", "title": "Kode kabupaten/kota Kemendagri",
         "constraints": {"required": True, "pattern": r"\d{2}\.\d{2}"}},
        {"name": "nama_kabupaten_kota", "type": "string", "title": "Nama kabupaten/kota",
         "constraints": {"required": True}},
        {"name": ds.measure, "type": ds.measure_type, "title": ds.title.split(" berdasarkan ")[0],
         "description": ds.description, "unit": ds.unit},
        {"name": "satuan", "type": "string", "title": "Satuan", "constraints": {"required": True, "enum": [ds.unit]}},
        {"name": "tahun", "type": "integer", "title": "Tahun", "constraints": {"required": True}},
    ]  # fmt: skip
    return {
        "profile": "tabular-data-package",
        "name": ds.name,
        "title": ds.title,
        "description": ds.description,
        "created": f"{meta['Dataset Dibuat']}T00:00:00+07:00",  # the spec wants an RFC 3339 datetime
        "keywords": [ds.mart, "smart city", "kabupaten/kota"],
        "licenses": [{"name": cfg.license_id}],
        "contributors": [{"title": cfg.producer, "email": cfg.contact, "role": "publisher"}],
        "metadata": meta,
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": ds.name,
                "path": f"{ds.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": ds.title,
                "schema": {
                    "fields": fields,
                    "primaryKey": ["kemendagri_kode_kabupaten_kota", "tahun"],
                    "missingValues": [""],
                },
            }
        ],
    }
