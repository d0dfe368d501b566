"""docker/smoke.py's parts that run without the stack: the workbook it uploads is new, valid
content for the test regency, it lands in that regency's folder of a real S3 API (moto
server on loopback) where the pipeline's landing zone finds it, and the report link is the
one the reports server serves. (The REST API part needs the running stack: `make smoke`.)"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from smartprov.ingest.landing import open_landing
from smartprov.ingest.parse import parse_submission
from smartprov.validation.batch import BatchValidator, check_submissions

ROOT = Path(__file__).resolve().parents[1]
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("smoke", ROOT / "docker" / "smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_workbook_is_new_and_accepted(smoke):
    name, data = smoke.smoke_workbook("32.01", seed=123)
    other = smoke.smoke_workbook("32.01", seed=124)[1]
    assert name.endswith(".xlsx") and data != other  # each smoke run uploads new content
    sub = parse_submission(f"32.01/{name}", data, hashlib.sha256(data).hexdigest(), "32.01")
    check_submissions([sub], BatchValidator(), lambda region: None)
    assert (sub.region_code, sub.kind) == ("32.01", "MASTERPLAN")
    assert not sub.has_errors, [f.as_dict() for f in sub.findings]
    assert smoke.default_region().startswith("32.")


def test_upload_lands_in_the_regency_folder_of_s3(smoke, monkeypatch):
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("SMARTPROV_LANDING_CONN_ID", "smoke_landing")
        monkeypatch.setenv(
            "AIRFLOW_CONN_SMOKE_LANDING",
            json.dumps(
                {
                    "conn_type": "aws",
                    "login": "reader",
                    "password": "reader-secret",
                    "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
                }
            ),
        )
        monkeypatch.setenv("SMARTPROV_SMOKE_ACCESS_KEY", "uploader")
        monkeypatch.setenv("SMARTPROV_SMOKE_SECRET_KEY", "uploader-secret")
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        ).create_bucket(Bucket="smoke-landing")
        where = smoke.upload("s3://smoke-landing/prov/", "32.01", "smoke-test-1.xlsx", b"PK\x03\x04 bytes")
        assert where == "s3://smoke-landing/prov/32.01/smoke-test-1.xlsx"
        files = open_landing("s3://smoke-landing/prov").list_files()
        assert [(f.path, f.folder) for f in files] == [("32.01/smoke-test-1.xlsx", "32.01")]
    finally:
        server.stop()


def test_upload_to_a_folder_landing(smoke, tmp_path):
    smoke.upload(str(tmp_path), "32.73", "smoke-test-2.xlsx", b"data")
    assert (tmp_path / "32.73" / "smoke-test-2.xlsx").read_bytes() == b"data"


def test_report_link_uses_the_reports_server(smoke, monkeypatch):
    monkeypatch.setenv("SMARTPROV_ALERTS_REPORT_URL", "http://reports.example/{run_dir}/report.json")
    path, url = smoke.report_link("manual__2026-11-29T22:00:00+00:00")
    assert url == "http://reports.example/manual__2026-11-29T22_00_00+00_00/report.json"
    assert path.parent.name == "manual__2026-11-29T22_00_00+00_00" and path.name == "report.json"
