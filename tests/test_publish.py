"""Open-data bundles from the marts: long-format CSV, xlsx (Metadata + Dataset), datapackage.json.

The marts are built by dbt on the hand-made fixture warehouse (tests/dbt_fixture.py) once per
module; `frictionless validate` (the real CLI) must accept every bundle, and BPS codes come from
the seed only (empty where it has none, never derived from the Kemendagri code).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from dbt_fixture import create_fixture
from smartprov import settings
from smartprov.publish import PublishConfigError, PublishError, config, publish_all
from smartprov.publish.bundle import METADATA_KEYS
from smartprov.run.steps import publish as publish_marts
from smartprov.warehouse.connection import Warehouse

EXAMPLE = settings.config_dir() / "publish.example.yml"
HEADER_START = ["id", "kode_provinsi", "nama_provinsi", "bps_kode_kabupaten_kota",
                "kemendagri_kode_kabupaten_kota", "nama_kabupaten_kota"]  # fmt: skip
FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> str:
    base = tmp_path_factory.mktemp("publish")
    path = base / "warehouse.duckdb"
    create_fixture(path)
    url = f"duckdb:///{path}"
    # in a child process: dbt-duckdb keeps its connection (and the file lock) for the process
    build = (
        "import json, sys; from smartprov.warehouse import dbt_runner; "
        "print(json.dumps(dbt_runner.build_if_needed(sys.argv[1], docs=False), default=str))"
    )
    env = dict(os.environ, SMARTPROV_VAR_DIR=str(base / "var"))
    proc = subprocess.run(
        [sys.executable, "-c", build, url], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]).get("built"), proc.stdout[-2000:]
    return url


@pytest.fixture(scope="module")
def published(marts, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bundles")
    return publish_all(marts, config.load(EXAMPLE), out)


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def bundle(published, name) -> dict:
    return next(b for b in published["bundles"] if b["dataset"] == name)


def frictionless_validate(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FRICTIONLESS, "validate", "--json", str(path)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_one_bundle_per_configured_dataset(published):
    names = [d.name for d in config.load(EXAMPLE).datasets]
    assert [b["dataset"] for b in published["bundles"]] == names
    for b in published["bundles"]:
        assert {p.name for p in Path(b["folder"]).iterdir()} == {
            f"{b['dataset']}.csv",
            f"{b['dataset']}.xlsx",
            "datapackage.json",
        }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["jumlah-program-masterplan-smart-city", "indeks-smart-city"])
def test_frictionless_accepts_every_bundle(published, name):
    proc = frictionless_validate(bundle(published, name)["datapackage"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert json.loads(proc.stdout)["valid"] is True


@pytest.mark.slow
def test_frictionless_rejects_a_broken_bundle(published, tmp_path):
    """The check can fail: a repeated regency-year key and a letter in a number are caught."""
    folder = Path(
        shutil.copytree(bundle(published, "jumlah-program-masterplan-smart-city")["folder"], tmp_path / "b")
    )
    path = folder / "jumlah-program-masterplan-smart-city.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])  # the first regency again
    lines[2] = lines[2].replace(",PROGRAM,", "x,PROGRAM,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = frictionless_validate(folder / "datapackage.json")
    assert proc.returncode != 0
    errors = {e["type"] for t in json.loads(proc.stdout)["tasks"] for e in t["errors"]}
    assert {"primary-key", "type-error"} <= errors, errors


@pytest.mark.slow
def test_long_format_rows_and_codes(published, marts):
    rows = read_csv(bundle(published, "jumlah-program-masterplan-smart-city")["csv"])
    with open(bundle(published, "jumlah-program-masterplan-smart-city")["csv"], encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == [*HEADER_START, "jumlah_program", "satuan", "tahun"]
    assert len(rows) == 27  # every regency of Jawa Barat
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 28)]
    by_code = {r["kemendagri_kode_kabupaten_kota"]: r for r in rows}
    bandung = by_code["32.04"]
    assert bandung["kode_provinsi"] == "32" and bandung["nama_provinsi"] == "JAWA BARAT"
    assert bandung["bps_kode_kabupaten_kota"] == "3204"  # from the seed (same digits in Jawa Barat)
    assert bandung["nama_kabupaten_kota"] == "KABUPATEN BANDUNG"
    assert by_code["32.73"]["nama_kabupaten_kota"] == "KOTA BANDUNG"
    assert {r["satuan"] for r in rows} == {"PROGRAM"}
    with Warehouse(marts) as wh:
        expected = dict(wh.fetchall("SELECT region_code, programs FROM marts.province_masterplan_coverage "
                                    "WHERE province_code = '32'"))  # fmt: skip
    assert {c: int(r["jumlah_program"]) for c, r in by_code.items()} == expected
    assert int(bandung["jumlah_program"]) > 0


@pytest.mark.slow
def test_yearly_dataset_takes_years_and_filter_from_the_mart(published, marts):
    rows = read_csv(bundle(published, "indeks-smart-city")["csv"])
    with Warehouse(marts) as wh:
        expected = {
            (str(code), int(year)): score
            for code, year, score in wh.fetchall(
                "SELECT region_code, evaluation_year, score FROM marts.province_evaluation_index "
                "WHERE province_code = '32' AND aspect = 'Total'"
            )
        }
    assert expected, "the fixture has evaluations"
    got = {(r["kemendagri_kode_kabupaten_kota"], int(r["tahun"])): r["indeks_smart_city"] for r in rows}
    assert set(got) == set(expected)
    assert all(float(got[k]) == float(v) for k, v in expected.items())
    assert [(int(r["tahun"]), r["kemendagri_kode_kabupaten_kota"]) for r in rows] == sorted(
        (int(r["tahun"]), r["kemendagri_kode_kabupaten_kota"]) for r in rows
    )


@pytest.mark.slow
def test_xlsx_has_metadata_and_dataset_sheets(published):
    b = bundle(published, "indeks-smart-city")
    wb = openpyxl.load_workbook(b["xlsx"], read_only=True)
    assert wb.sheetnames == ["Metadata", "Dataset"]
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(min_row=2, values_only=True)}
    assert set(METADATA_KEYS) <= set(meta)
    assert meta["Satuan Dataset"] == "INDEKS" and meta["Tingkat Penyajian Dataset"] == "Kabupaten/Kota"
    assert meta["Produsen"].startswith("Dinas Komunikasi") and "@" in meta["Kontak Produsen"]
    rows = read_csv(b["csv"])
    years = sorted(int(r["tahun"]) for r in rows)
    assert (meta["Dimensi Dataset Awal"], meta["Dimensi Dataset Akhir"]) == (str(years[0]), str(years[-1]))
    sheet = list(wb["Dataset"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(rows[0].keys())
    assert len(sheet) - 1 == len(rows)
    assert [str(v) for v in sheet[1][:6]] == [rows[0][k] for k in HEADER_START]


@pytest.mark.slow
def test_datapackage_declares_types_units_and_keys(published):
    package = json.loads(Path(bundle(published, "anggaran-masterplan-smart-city")["datapackage"]).read_text())
    schema = package["resources"][0]["schema"]
    fields = {f["name"]: f for f in schema["fields"]}
    assert schema["primaryKey"] == ["kemendagri_kode_kabupaten_kota", "tahun"]
    assert fields["jumlah_anggaran"]["type"] == "number" and fields["jumlah_anggaran"]["unit"] == "RUPIAH"
    assert fields["bps_kode_kabupaten_kota"]["type"] == "string"
    assert package["title"] == "Anggaran Masterplan Smart City berdasarkan Kabupaten/Kota di Jawa Barat"
    assert set(METADATA_KEYS) <= set(package["metadata"])


@pytest.mark.parametrize(
    ("province", "expected"),
    [
        # DKI Jakarta: BPS and Kemendagri codes of the cities differ; the seed's, never the digits
        ("31", {"31.71": "3173", "31.74": "3171", "31.01": "3101"}),
        # Papua Selatan (2022): no BPS code is known, so none is published
        ("93", {"93.01": "", "93.02": "", "93.03": "", "93.04": ""}),
    ],
)
@pytest.mark.slow
def test_bps_codes_only_where_the_seed_knows_them(marts, tmp_path, province, expected):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["province"] = province
    data["datasets"] = data["datasets"][:1]
    result = publish_all(marts, config.parse(data), tmp_path)
    rows = read_csv(result["bundles"][0]["csv"])
    assert {r["kemendagri_kode_kabupaten_kota"]: r["bps_kode_kabupaten_kota"] for r in rows if
            r["kemendagri_kode_kabupaten_kota"] in expected} == expected  # fmt: skip
    proc = frictionless_validate(result["bundles"][0]["datapackage"])
    assert proc.returncode == 0, proc.stdout[-2000:]


@pytest.mark.slow
def test_republishing_keeps_the_creation_date(marts, tmp_path):
    cfg = config.load(EXAMPLE)
    first = publish_all(marts, cfg, tmp_path, datasets=["indeks-smart-city"])
    path = Path(first["bundles"][0]["datapackage"])
    package = json.loads(path.read_text())
    package["metadata"]["Dataset Dibuat"] = "2025-01-02"
    path.write_text(json.dumps(package))
    publish_all(marts, cfg, tmp_path, datasets=["indeks-smart-city"])
    again = json.loads(path.read_text())
    assert again["metadata"]["Dataset Dibuat"] == "2025-01-02"
    assert again["created"].startswith("2025-01-02T")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indeks-smart-city"]  # no leftovers


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("producer"), "producer is required"),
        (lambda d: d.update(province="99"), "province '99'"),
        (lambda d: d["datasets"][0].update(type="text"), "type must be one of"),
        (lambda d: d["datasets"][0].update(title="Jumlah program"), "berdasarkan Kabupaten/Kota"),
        (lambda d: d["datasets"][0].update(column="programs; DROP TABLE x"), "snake_case"),
        (lambda d: d["datasets"][0].update(colour="blue"), "unknown keys ['colour']"),
        (lambda d: d["datasets"].append(dict(d["datasets"][0])), "names repeat"),
    ],
)
def test_config_mistakes_are_named(change, message):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(PublishConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        config.parse(data)


@pytest.mark.slow
def test_a_mart_column_that_does_not_exist_is_named(marts, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["datasets"][0]["column"] = "programmes"
    with pytest.raises(PublishError, match="programmes"):
        publish_all(marts, config.parse(data), tmp_path)


@pytest.mark.slow
def test_cli_publish(marts, tmp_path):
    env = dict(os.environ, SMARTPROV_CONFIG_DIR=str(tmp_path / "no-config"))
    cmd = [
        sys.executable,
        "-m",
        "smartprov.cli",
        "publish",
        "--warehouse",
        marts,
        "--out",
        str(tmp_path / "o"),
    ]
    off = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert off.returncode == 2 and "Nothing to publish" in off.stderr and "Traceback" not in off.stderr
    on = subprocess.run([*cmd, "--config", str(EXAMPLE), "--dataset", "indeks-smart-city"],
                        env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert on.returncode == 0, on.stderr
    assert "indeks-smart-city:" in on.stdout
    assert (tmp_path / "o" / "indeks-smart-city" / "datapackage.json").is_file()


@pytest.mark.slow
def test_nightly_step_is_off_unless_configured_and_json_in_out(marts, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPROV_CONFIG_DIR", str(tmp_path / "no-config"))
    off = publish_marts({"built": True}, warehouse_url=marts, out_dir=str(tmp_path / "o"))
    assert off["enabled"] is False and not (tmp_path / "o").exists()
    (tmp_path / "config").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "config" / "publish.yml")
    monkeypatch.setenv("SMARTPROV_CONFIG_DIR", str(tmp_path / "config"))
    first = publish_marts({"built": False}, warehouse_url=marts, out_dir=str(tmp_path / "o"))
    assert first["enabled"] and not first["skipped"], "missing bundles are written even when nothing changed"
    assert len(first["bundles"]) == 3
    assert json.loads(json.dumps(first)) == first
    unchanged = publish_marts({"built": False}, warehouse_url=marts, out_dir=str(tmp_path / "o"))
    assert unchanged["skipped"] is True
    rebuilt = publish_marts({"built": True}, warehouse_url=marts, out_dir=str(tmp_path / "o"))
    assert rebuilt["skipped"] is False


# -- CKAN push, against a CKAN-shaped action API on loopback --------------------------------------


class FakeCkan:
    """The part of CKAN's action API the push uses; it checks every request it receives."""

    TOKEN = "token-for-tests"

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.packages: dict[str, dict] = {}
        self.uploads: dict[str, bytes] = {}  # resource id -> the file's bytes
        self.calls: list[tuple[str, dict]] = []
        self.problems: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = self.path.rsplit("/", 1)[-1]
                if self.headers.get("Authorization") != fake.TOKEN:
                    fake.problems.append(f"{action}: no API token")
                status, result = fake.handle(action, self.headers.get("Content-Type", ""), body)
                data = json.dumps({"success": status == 200, "result": result} if status == 200 else
                                  {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def parse(content_type: str, body: bytes) -> dict:
        if content_type.startswith("application/json"):
            return json.loads(body or b"{}")
        from email.parser import BytesParser
        from email.policy import HTTP

        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[name] = (
                {"filename": part.get_filename(), "bytes": payload}
                if part.get_filename()
                else payload.decode()
            )
        return fields

    def handle(self, action: str, content_type: str, body: bytes) -> tuple[int, dict | None]:
        data = self.parse(content_type, body)
        self.calls.append((action, data))
        if action == "package_show":
            package = self.packages.get(data["id"]) or next(
                (p for p in self.packages.values() if p["id"] == data["id"]), None
            )
            return (200, package) if package else (404, None)
        if action in ("package_create", "package_patch"):
            if action == "package_create":
                if not data.get("owner_org") or data["name"] in self.packages:
                    self.problems.append(f"package_create: bad {data.get('name')}")
                package = {"id": f"pkg-{data['name']}", "name": data["name"], "resources": []}
                self.packages[data["name"]] = package
            else:
                package = next(p for p in self.packages.values() if p["id"] == data["id"])
            package.update({k: v for k, v in data.items() if k not in ("id", "name")})
            return 200, package
        if action in ("resource_create", "resource_update"):
            upload = data.get("upload")
            if not isinstance(upload, dict) or not upload["bytes"]:
                self.problems.append(f"{action}: no file uploaded")
            if action == "resource_create":
                package = next(p for p in self.packages.values() if p["id"] == data["package_id"])
                resource = {"id": f"res-{len(self.calls)}", "name": data["name"]}
                package["resources"].append(resource)
            else:
                resource = next(
                    r for p in self.packages.values() for r in p["resources"] if r["id"] == data["id"]
                )
            resource.update(format=data.get("format"), size=len(upload["bytes"]))
            self.uploads[resource["id"]] = upload["bytes"]
            return 200, resource
        self.problems.append(f"unexpected action {action}")
        return 404, None


@pytest.fixture
def ckan():
    fake = FakeCkan()
    yield fake
    fake.server.shutdown()


@pytest.mark.slow
def test_push_to_a_ckan_portal_creates_then_updates(marts, tmp_path, monkeypatch, ckan):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["ckan"] = {"url": ckan.url, "api_key_env": "CKAN_TEST_TOKEN", "owner_org": "diskominfo"}
    cfg = config.parse(data)
    monkeypatch.delenv("CKAN_TEST_TOKEN", raising=False)
    with pytest.raises(PublishConfigError, match="CKAN_TEST_TOKEN"):
        publish_all(marts, cfg, tmp_path, datasets=["indeks-smart-city"], push=True)
    monkeypatch.setenv("CKAN_TEST_TOKEN", FakeCkan.TOKEN)

    first = publish_all(marts, cfg, tmp_path, datasets=["indeks-smart-city"], push=True)
    assert first["ckan"] == {"indeks-smart-city": f"{ckan.url}/dataset/indeks-smart-city"}
    assert [a for a, _ in ckan.calls] == ["package_show", "package_create"] + ["resource_create"] * 3
    package = ckan.packages["indeks-smart-city"]
    assert package["title"] == "Indeks Evaluasi Smart City berdasarkan Kabupaten/Kota di Jawa Barat"
    assert package["owner_org"] == "diskominfo"
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert set(METADATA_KEYS) <= set(extras)
    bundle_dir = tmp_path / "indeks-smart-city"
    uploaded = {r["name"]: r for r in package["resources"]}
    assert set(uploaded) == {"indeks-smart-city.csv", "indeks-smart-city.xlsx", "datapackage.json"}
    csv_bytes = (bundle_dir / "indeks-smart-city.csv").read_bytes()
    assert ckan.uploads[uploaded["indeks-smart-city.csv"]["id"]] == csv_bytes
    assert uploaded["indeks-smart-city.csv"]["format"] == "CSV"

    ckan.calls.clear()
    publish_all(marts, cfg, tmp_path, datasets=["indeks-smart-city"], push=True)
    actions = [a for a, _ in ckan.calls]
    assert "package_create" not in actions and "resource_create" not in actions
    assert actions.count("resource_update") == 3
    assert len(ckan.packages["indeks-smart-city"]["resources"]) == 3
    assert [ckan.uploads[r["id"]] for r in package["resources"] if r["name"].endswith(".csv")] == [csv_bytes]
    assert ckan.problems == []


@pytest.mark.slow
@pytest.mark.postgres
def test_the_same_bundle_from_a_postgresql_warehouse(published, tmp_path):
    """The publishing SQL runs on both engines and gives the same rows."""
    from pg import fresh_database

    with fresh_database("smartprov_publish_") as db:
        create_fixture(db.dsn)
        build = "import json, sys; from smartprov.warehouse import dbt_runner; " \
                "print(json.dumps(dbt_runner.build_if_needed(sys.argv[1], docs=False), default=str))"  # fmt: skip
        env = dict(os.environ, SMARTPROV_VAR_DIR=str(tmp_path / "var"))
        proc = subprocess.run([sys.executable, "-c", build, db.url], env=env, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = publish_all(db.url, config.load(EXAMPLE), tmp_path / "out")
    from decimal import Decimal

    measures = {d.name: d.measure for d in config.load(EXAMPLE).datasets}
    for duck, pg in zip(published["bundles"], result["bundles"], strict=True):
        measure = measures[duck["dataset"]]
        duck_rows, pg_rows = read_csv(duck["csv"]), read_csv(pg["csv"])
        assert len(pg_rows) == len(duck_rows) > 0
        for a, b in zip(pg_rows, duck_rows, strict=True):
            assert {**a, measure: None} == {**b, measure: None}
            assert Decimal(a[measure] or "0") == Decimal(b[measure] or "0"), (a, b)
        proc = frictionless_validate(pg["datapackage"])
        assert proc.returncode == 0, proc.stdout[-2000:]


def test_xlsx_keeps_markup_like_names_as_text(tmp_path):
    """XlsxWriter's constant_memory mode copies a text "<r>...</r>" into the sheet XML as its
    own rich-text runs: a regency-supplied name shaped like that must stay text, adding no cell."""
    import zipfile

    from smartprov.publish.bundle import REGION_COLUMNS, _write_xlsx, columns
    from smartprov.publish.config import Dataset

    ds = Dataset("uji", "Uji", "m", "c", "jumlah", "integer", "program", "d")
    hostile = '<r><t>a</t></r><c r="Z9"><f>1+1</f></c><r><t>b</t></r>'
    row = {c: hostile for c in REGION_COLUMNS} | {"jumlah": 3, "satuan": "program", "tahun": 2025}
    path = tmp_path / "uji.xlsx"
    _write_xlsx(path, ds, [row], {"Judul": hostile})
    sheet = list(openpyxl.load_workbook(path, read_only=True)["Dataset"].iter_rows(values_only=True))
    assert list(sheet[1]) == [row[c] for c in columns(ds)]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in xml and '<c r="Z9"' not in xml
