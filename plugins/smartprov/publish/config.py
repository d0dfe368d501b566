"""Which marts become open datasets, and the metadata that goes with them: `config/publish.yml`.

The file is optional: without it nothing is published (the nightly step is off). Every
mistake in it is reported with the dataset and key it concerns. See config/publish.example.yml
and docs/open-data.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartprov import settings

CONFIG_FILE = "publish.yml"
MEASURE_TYPES = ("integer", "number")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")  # CKAN's package-name rule, and a safe folder name
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PublishConfigError(ValueError):
    """config/publish.yml says something that cannot be published."""


@dataclass(frozen=True)
class Dataset:
    name: str  # slug: folder, file and CKAN package name
    title: str  # "… berdasarkan Kabupaten/Kota di Jawa Barat"
    mart: str  # marts.<mart>
    column: str  # the mart column published
    measure: str  # its name in the open dataset (e.g. jumlah_program)
    measure_type: str  # integer / number
    unit: str  # satuan
    description: str
    indicator_code: str = ""
    year_column: str | None = None  # mart column holding the year; None = the publication year
    where: dict[str, str] = field(default_factory=dict)  # equality filters on mart columns
    frequency: str = "Tahunan"
    measurement: str = "Tahun"  # Pengukuran Dataset: the time unit of one row
    created: str | None = None  # Dataset Dibuat (YYYY-MM-DD); default the first publication


@dataclass(frozen=True)
class CkanTarget:
    url: str
    api_key_env: str  # name of the environment variable holding the API token
    owner_org: str


@dataclass(frozen=True)
class PublishConfig:
    province: str
    producer: str
    contact: str
    datasets: tuple[Dataset, ...]
    license_id: str = "CC-BY-4.0"
    external_source: str = "Tidak"  # Sumber Eksternal
    ckan: CkanTarget | None = None
    source: Path | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.datasets)


def config_path() -> Path:
    return settings.config_dir() / CONFIG_FILE


def load(path: Path | str | None = None) -> PublishConfig | None:
    """The publish config, or None when the file does not exist (publishing is off)."""
    path = Path(path) if path else config_path()
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PublishConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse(data, source=path)


def parse(data: dict[str, Any], source: Path | None = None) -> PublishConfig:
    where = str(source or "publish config")
    if not isinstance(data, dict):
        raise PublishConfigError(f"{where}: expected a mapping at the top level")
    _known(data, {"province", "producer", "contact", "license", "external_source", "ckan", "datasets"}, where)
    province = str(_required(data, "province", where))
    from smartprov.contract import catalogue

    if province not in catalogue.provinces():
        raise PublishConfigError(f"{where}: province {province!r} is not a province code of ref_provinces")
    datasets = data.get("datasets") or []
    if not isinstance(datasets, list):
        raise PublishConfigError(f"{where}: datasets must be a list")
    parsed = tuple(_dataset(d, f"{where}: datasets[{i}]") for i, d in enumerate(datasets))
    names = [d.name for d in parsed]
    if len(set(names)) != len(names):
        raise PublishConfigError(
            f"{where}: dataset names repeat: {sorted(n for n in names if names.count(n) > 1)}"
        )
    return PublishConfig(
        province=province,
        producer=str(_required(data, "producer", where)),
        contact=str(_required(data, "contact", where)),
        datasets=parsed,
        license_id=str(data.get("license") or "CC-BY-4.0"),
        external_source=str(data.get("external_source") or "Tidak"),
        ckan=_ckan(data.get("ckan"), f"{where}: ckan") if data.get("ckan") else None,
        source=source,
    )


def _dataset(d: Any, where: str) -> Dataset:
    if not isinstance(d, dict):
        raise PublishConfigError(f"{where}: expected a mapping")
    _known(
        d,
        {"name", "title", "mart", "column", "measure", "type", "unit", "description", "indicator_code",
         "year_column", "where", "frequency", "measurement", "created"},
        where,
    )  # fmt: skip
    name = str(_required(d, "name", where))
    where = f"{where} ({name})"
    if not SLUG.match(name):
        raise PublishConfigError(f"{where}: name must be lower-case letters, digits, '-' or '_' (2-100)")
    for key in ("mart", "column", "measure"):
        if not IDENTIFIER.match(str(_required(d, key, where))):
            raise PublishConfigError(f"{where}: {key} {d[key]!r} is not a snake_case identifier")
    if d.get("year_column") and not IDENTIFIER.match(str(d["year_column"])):
        raise PublishConfigError(f"{where}: year_column {d['year_column']!r} is not a snake_case identifier")
    measure_type = str(d.get("type") or "number")
    if measure_type not in MEASURE_TYPES:
        raise PublishConfigError(f"{where}: type must be one of {MEASURE_TYPES}, not {measure_type!r}")
    filters = d.get("where") or {}
    if not isinstance(filters, dict) or not all(IDENTIFIER.match(str(k)) for k in filters):
        raise PublishConfigError(f"{where}: where must map mart columns to values")
    title = str(_required(d, "title", where))
    if "berdasarkan Kabupaten/Kota" not in title:
        raise PublishConfigError(f"{where}: title should read '… berdasarkan Kabupaten/Kota di <provinsi>'")
    return Dataset(
        name=name,
        title=title,
        mart=str(d["mart"]),
        column=str(d["column"]),
        measure=str(d["measure"]),
        measure_type=measure_type,
        unit=str(_required(d, "unit", where)),
        description=str(_required(d, "description", where)).strip(),
        indicator_code=str(d.get("indicator_code") or ""),
        year_column=str(d["year_column"]) if d.get("year_column") else None,
        where={str(k): str(v) for k, v in filters.items()},
        frequency=str(d.get("frequency") or "Tahunan"),
        measurement=str(d.get("measurement") or "Tahun"),
        created=str(d["created"]) if d.get("created") else None,
    )


def _ckan(d: Any, where: str) -> CkanTarget:
    if not isinstance(d, dict):
        raise PublishConfigError(f"{where}: expected a mapping")
    _known(d, {"url", "api_key_env", "owner_org"}, where)
    url = str(_required(d, "url", where)).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise PublishConfigError(f"{where}: url must start with http:// or https://")
    return CkanTarget(url, str(d.get("api_key_env") or "CKAN_API_KEY"), str(_required(d, "owner_org", where)))


def _required(d: dict, key: str, where: str) -> Any:
    value = d.get(key)
    if value in (None, ""):
        raise PublishConfigError(f"{where}: {key} is required")
    return value


def _known(d: dict, keys: set[str], where: str) -> None:
    unknown = sorted(set(d) - keys)
    if unknown:
        raise PublishConfigError(f"{where}: unknown keys {unknown} (known: {sorted(keys)})")
