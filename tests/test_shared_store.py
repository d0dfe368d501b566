"""Many workers, no shared disk: quarantine, reports and Data Docs in shared storage.

A real moto S3 server on loopback (this module's own bucket), reached through the
`smartprov_landing` / `smartprov_shared` Connections as the CLI reads them. The scenario: a
worker with var folder A runs the nightly through the CLI (quarantining the sample's 8
rejected files and a regency's evaluations sent before their masterplan), then a worker with
an empty var folder B replays the quarantine, finds the latest report, and its portal serves
the report and Data Docs links the digest names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from loopback import s3_landing_server, s3_test_client  # noqa: E402
from smartprov.ingest import shared_store  # noqa: E402
from smartprov.ingest.shared_store import LocalStore, ObjectStore  # noqa: E402

BUCKET = "shared-store-tests"  # this module's own bucket: moto keeps one state for every server
ACCESS_KEY = "shared-key"
SECRET_KEY = "shared-secret"
PROVINCE = "32"
BASE_URL = "https://smartprov.jabarprov.go.id"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_landing_server(ACCESS_KEY, SECRET_KEY) as endpoint:
        client = s3_test_client(endpoint, ACCESS_KEY, SECRET_KEY, BUCKET)
        yield client


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents") or ())


# -- the store itself, over a folder and over S3 -----------------------------------------------
@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    if request.param == "folder":
        return LocalStore(tmp_path / "share")
    request.getfixturevalue("s3")
    return ObjectStore(f"s3://{BUCKET}/unit-{os.urandom(4).hex()}")


def test_put_get_list_exists_delete(store):
    import io

    store.put_bytes("32.04/a.txt", b"alpha")
    store.put_stream("32.04/deep/b.bin", io.BytesIO(b"\0" * 1000))
    store.put_bytes("top.json", b"{}")
    assert store.get_bytes("32.04/a.txt") == b"alpha"
    assert store.exists("32.04/deep/b.bin") and not store.exists("32.04/nope.txt")
    assert [(o.key, o.size) for o in store.list()] == [
        ("32.04/a.txt", 5),
        ("32.04/deep/b.bin", 1000),
        ("top.json", 2),
    ]
    assert [o.key for o in store.list(depth=0)] == ["top.json"]
    assert [o.key for o in store.list("32.04", depth=0)] == ["32.04/a.txt"]
    assert [o.key for o in store.list(depth=1)] == ["32.04/a.txt", "top.json"]
    store.delete("32.04/a.txt")
    assert not store.exists("32.04/a.txt")
    with pytest.raises(FileNotFoundError):
        store.get_bytes("32.04/a.txt")
    assert store.list("nothing-here") == []


@pytest.mark.parametrize("key", ["../secret.txt", "a/../../b", "a\\b", "x/..", ".."])
def test_a_key_never_climbs_out_of_the_store(store, key):
    with pytest.raises(FileNotFoundError):
        store.get_bytes(key)
    with pytest.raises(FileNotFoundError):
        store.put_bytes(key, b"x")


def test_latest_marker_names_a_key_inside_the_store(store):
    assert shared_store.latest_marked(store, "report") is None
    shared_store.mark_latest(store, "report", "run-1/report.json")
    assert shared_store.latest_marked(store, "report") == "run-1/report.json"
    store.put_bytes("_latest/report.key", b"../../etc/passwd")
    assert shared_store.latest_marked(store, "report") is None


def test_settings_pick_the_store(tmp_path, monkeypatch, s3):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SMARTPROV_SHARED_URL", raising=False)
    assert shared_store.quarantine_store().root == tmp_path / "var" / "quarantine"
    assert shared_store.reports_store().root == tmp_path / "var" / "reports"
    assert shared_store.shared_reports() is None  # unset: the reports stay where runs write them
    monkeypatch.setenv("SMARTPROV_SHARED_URL", str(tmp_path / "mnt"))
    assert shared_store.quarantine_store().root == tmp_path / "mnt" / "quarantine"
    assert shared_store.shared_reports().root == tmp_path / "mnt" / "reports"
    monkeypatch.setenv("SMARTPROV_SHARED_URL", f"s3://{BUCKET}/site/")
    found = shared_store.quarantine_store()
    assert found.url == f"s3://{BUCKET}/site/quarantine" and found.conn_id == "smartprov_landing"
    assert (
        shared_store.reports_store().location("r/report.json") == f"s3://{BUCKET}/site/reports/r/report.json"
    )


def test_the_smartprov_shared_connection_comes_first(monkeypatch, s3):
    endpoint = s3.meta.endpoint_url
    shared = {"conn_type": "aws", "login": ACCESS_KEY, "password": SECRET_KEY,
              "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"}}  # fmt: skip
    # The landing's Connection points at a closed loopback port: only smartprov_shared can work.
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMARTPROV_LANDING",
        json.dumps({"conn_type": "aws", "extra": {"endpoint_url": "http://127.0.0.1:9"}}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_SHARED", json.dumps(shared))
    monkeypatch.setenv("SMARTPROV_SHARED_URL", f"s3://{BUCKET}/own-connection")
    store = shared_store.quarantine_store()
    assert store.conn_id == "smartprov_shared"
    store.put_bytes("probe.txt", b"ok")
    assert s3.get_object(Bucket=BUCKET, Key="own-connection/quarantine/probe.txt")["Body"].read() == b"ok"


# -- the default: unset behaves as before -----------------------------------------------------
def test_unset_keeps_quarantine_and_reports_in_this_host_s_folders(
    tmp_path, var_dir, duckdb_url, monkeypatch
):
    from smartprov.run import steps
    from smartprov.run.replay import replay_entries
    from workbooks import masterplan

    monkeypatch.delenv("SMARTPROV_SHARED_URL", raising=False)
    landing = tmp_path / "landing"
    masterplan().save(landing / "32.73" / "masterplan.xlsx")
    masterplan().save(landing / "32.04" / "salah-folder.xlsx")  # 32.73's workbook in 32.04's folder
    report = steps.run_once(str(landing), duckdb_url, build=False, notify=False)
    (rejected,) = [s for s in report["submissions"] if s["status"] == "rejected"]
    kept = Path(rejected["quarantine_path"])
    assert kept.parent == var_dir / "quarantine" / "32.04"
    assert kept.read_bytes() == (landing / "32.04" / "salah-folder.xlsx").read_bytes()
    assert (
        json.loads(kept.with_name(kept.name + ".findings.json").read_text())["sha256"] == rejected["sha256"]
    )
    assert kept.with_name(kept.name + ".findings.txt").read_text().startswith("Berkas / File: 32.04/")
    run_dir = var_dir / "reports" / steps.run_dir_for(report["run_id"]).name
    assert Path(report["report_path"]) == run_dir / "report.json" and (run_dir / "report.json").is_file()
    assert (run_dir / "data_docs").is_dir()
    assert steps.latest_report()["run_id"] == report["run_id"]
    assert [e["source"] for e in replay_entries()] == [kept.relative_to(var_dir / "quarantine").as_posix()]


def test_a_mounted_share_serves_a_worker_with_another_var_folder(tmp_path, duckdb_url, monkeypatch):
    from smartprov.run import steps
    from smartprov.run.replay import replay_quarantine
    from workbooks import masterplan

    share = tmp_path / "mnt" / "smartprov"
    monkeypatch.setenv("SMARTPROV_SHARED_URL", str(share))
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "a"))
    landing = tmp_path / "landing"
    masterplan().save(landing / "32.73" / "masterplan.xlsx")  # validated: the run has Data Docs
    masterplan().save(landing / "32.04" / "salah-folder.xlsx")
    report = steps.run_once(str(landing), duckdb_url, build=False, notify=False)
    folder = steps.run_dir_for(report["run_id"]).name
    assert (share / "reports" / folder / "report.json").is_file()
    assert (share / "reports" / folder / "data_docs" / folder / "index.html").is_file()
    (rejected,) = [s for s in report["submissions"] if s["status"] == "rejected"]
    assert Path(rejected["quarantine_path"]).parent == share / "quarantine" / "32.04"
    assert not (tmp_path / "a" / "quarantine").exists()

    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "b"))
    assert steps.latest_report()["run_id"] == report["run_id"]
    replayed = replay_quarantine(duckdb_url, build=False)
    assert [f["path"] for f in replayed["files"]] == ["32.04/salah-folder.xlsx"]


# -- two workers, one S3 store, through the CLI -------------------------------------------------
@pytest.fixture(scope="module")
def two_workers(s3, tmp_path_factory):
    """Worker A runs the nightly (with dbt) over evaluations that came before their
    masterplan and the sample's rejected files, then a run without dbt over the masterplans;
    worker B, with an empty var folder, replays the quarantine. Each is a `smartprov` process."""
    from smartprov.authoring.sample import sample_expectations, write_sample_landing

    base = tmp_path_factory.mktemp("workers")
    sample = base / "sample"
    write_sample_landing(sample, province=PROVINCE, seed=0)
    expected = sample_expectations(PROVINCE, 0)
    region = next(e.region_code for e in expected.values() if e.kind == "EVALUASI" and e.accepted)
    early = {p for p, e in expected.items() if not e.accepted}
    early |= {
        p for p, e in expected.items() if e.region_code == region and e.accepted and e.kind == "EVALUASI"
    }
    late = {
        p for p, e in expected.items() if e.region_code == region and e.accepted and e.kind == "MASTERPLAN"
    }
    for prefix, paths in (("landing-early", early), ("landing-late", late)):
        for path in sorted(paths):
            s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path}", Body=(sample / path).read_bytes())

    url = f"duckdb:///{base / 'warehouse.duckdb'}"
    shared = f"s3://{BUCKET}/site"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTPROV_")}
    env |= {
        "SMARTPROV_SHARED_URL": shared,
        "SMARTPROV_ALERTS_EMAIL_ENABLED": "false",
        "SMARTPROV_DBT_DIR": os.environ["SMARTPROV_DBT_DIR"],
        "SMARTPROV_PROVINCE": PROVINCE,
    }

    def cli(var: Path, *args: str) -> str:
        command = [sys.executable, "-m", "smartprov.cli", *args, "--warehouse", url]
        proc = subprocess.run(
            command, env=env | {"SMARTPROV_VAR_DIR": str(var)}, capture_output=True, text=True, timeout=900
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    a, b = base / "var-a", base / "var-b"
    cli(
        a,
        "run",
        "--landing",
        f"s3://{BUCKET}/landing-early",
        "--no-alerts",
        "--report",
        str(base / "first.json"),
    )
    cli(a, "run", "--landing", f"s3://{BUCKET}/landing-late", "--no-alerts", "--no-dbt",
        "--report", str(base / "second.json"))  # fmt: skip
    b.mkdir()
    replay_out = cli(b, "replay", "--no-dbt")
    return {
        "a": a, "b": b, "url": url, "shared": shared, "early": early, "region": region,
        "evaluations": len(early) - sum(not e.accepted for e in expected.values()),
        "first": json.loads((base / "first.json").read_text(encoding="utf-8")),
        "second": json.loads((base / "second.json").read_text(encoding="utf-8")),
        "replay": replay_out,
    }  # fmt: skip


@pytest.fixture
def worker_b(two_workers, monkeypatch):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(two_workers["b"]))
    monkeypatch.setenv("SMARTPROV_SHARED_URL", two_workers["shared"])
    return two_workers


@pytest.mark.slow
def test_worker_a_quarantined_into_the_bucket(two_workers, s3):
    first = two_workers["first"]
    rejected = [s for s in first["submissions"] if s["status"] == "rejected"]
    assert len(rejected) == len(two_workers["early"]) == 8 + two_workers["evaluations"]
    assert two_workers["evaluations"] >= 1
    keys = set(_keys(s3, "site/quarantine/"))
    for sub in rejected:
        assert sub["quarantine_path"].startswith(f"s3://{BUCKET}/site/quarantine/"), sub
        key = sub["quarantine_path"].removeprefix(f"s3://{BUCKET}/")
        assert {key, key + ".findings.json", key + ".findings.txt"} <= keys
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        original = s3.get_object(Bucket=BUCKET, Key=f"landing-early/{sub['path']}")["Body"].read()
        assert body == original
    assert not (two_workers["a"] / "quarantine").exists()  # nothing kept on the worker's disk


@pytest.mark.slow
def test_worker_a_uploaded_reports_outputs_and_data_docs(two_workers, s3):
    from smartprov.run.steps import run_dir_for

    keys = set(_keys(s3, "site/reports/"))
    for report in (two_workers["first"], two_workers["second"]):
        folder = run_dir_for(report["run_id"]).name
        assert f"site/reports/{folder}/report.json" in keys
        assert f"site/reports/{folder}/data_docs/{folder}/index.html" in keys
        stored = json.loads(
            s3.get_object(Bucket=BUCKET, Key=f"site/reports/{folder}/report.json")["Body"].read()
        )
        assert stored["run_id"] == report["run_id"]
    # The newest report and site are named by a marker each: no listing of every run's files.
    second = run_dir_for(two_workers["second"]["run_id"]).name
    marked = {k: s3.get_object(Bucket=BUCKET, Key=f"site/reports/_latest/{k}.key")["Body"].read().decode()
              for k in ("report", "data_docs")}  # fmt: skip
    assert marked == {"report": f"{second}/report.json", "data_docs": f"{second}/data_docs/{second}"}
    outputs = two_workers["first"]["outputs"]
    assert set(outputs) == {"excel", "html"}
    for path in outputs.values():
        local = Path(path)
        key = f"site/reports/province/{local.name}"
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == local.read_bytes()


@pytest.mark.slow
def test_worker_b_replays_what_worker_a_quarantined(two_workers):
    evaluations = two_workers["evaluations"]
    found = len(two_workers["early"])
    assert f"Replayed {found} quarantined file(s): {evaluations} now accepted" in two_workers["replay"]
    from smartprov.warehouse.connection import Warehouse

    with Warehouse(two_workers["url"]) as wh:
        rows = wh.fetchall(
            "SELECT count(*) FROM audit.submissions WHERE kind = 'EVALUASI' AND status = 'accepted'"
            " AND region_code = ?",
            (two_workers["region"],),
        )
    assert rows[0][0] == evaluations
    assert not (two_workers["b"] / "quarantine").exists()


@pytest.mark.slow
def test_worker_b_finds_the_latest_report_and_the_province_outputs(worker_b):
    from smartprov.run import steps

    assert steps.latest_report()["run_id"] == worker_b["second"]["run_id"]
    # Not rebuilt, and the outputs are in the store: B writes none of its own.
    kept = steps.write_outputs(worker_b["url"], rebuilt=False, run_id="manual__b")
    assert sorted(kept.values()) == sorted(
        f"{worker_b['shared']}/reports/province/{Path(p).name}" for p in worker_b["first"]["outputs"].values()
    )
    assert not (worker_b["b"] / "reports" / "province").exists()


@pytest.mark.slow
def test_worker_b_portal_serves_the_links_the_digest_names(worker_b, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from portal_helpers import PROVINCE as PROVINCE_USER
    from portal_helpers import login, make_portal
    from smartprov.alerts.config import AlertConfig
    from smartprov.alerts.digest import links, run_docs_link
    from smartprov.portal.app import create_app
    from smartprov.run.steps import run_dir_for

    monkeypatch.setenv("SMARTPROV_ALERTS_FROM", "smartprov@diskominfo.jabarprov.go.id")
    portal = make_portal(tmp_path)
    config = AlertConfig(public_base_url=BASE_URL)
    first = worker_b["first"]
    report_link, docs_link = links(first, config)
    assert report_link and docs_link and docs_link == run_docs_link(config, first["run_id"])
    with TestClient(create_app(portal.config), follow_redirects=True) as client:
        assert login(client, PROVINCE_USER).status_code == 200
        got = client.get(report_link.removeprefix(BASE_URL))
        assert got.status_code == 200 and got.json()["run_id"] == first["run_id"]
        docs = client.get(docs_link.removeprefix(BASE_URL))
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert "<html" in docs.text.lower()
        page = client.get("/province")
        html_name = Path(first["outputs"]["html"]).name
        assert f"province/{html_name}" in page.text
        report_page = client.get(f"/reports/province/{html_name}")
        assert (
            report_page.status_code == 200
            and report_page.content == Path(first["outputs"]["html"]).read_bytes()
        )
        latest = client.get("/data-docs/index.html")  # the newest run's site: the second run's
        folder = run_dir_for(worker_b["second"]["run_id"]).name
        assert latest.status_code == 200 and folder in latest.text
        assert client.get("/reports/../quarantine/x").status_code == 404
        assert client.get("/reports/no-such-run/report.json").status_code == 404
    assert not (worker_b["b"] / "reports" / run_dir_for(first["run_id"]).name).exists()
