"""ObjectLanding against a real S3 API: moto's standalone server over loopback.

Nothing is patched: the Airflow connection comes from AIRFLOW_CONN_* environment variables,
read by smartprov.connections as Airflow reads them (as in the `smartprov` CLI), and every
request goes over HTTP to the moto server.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="smartprov-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

from loopback import s3_landing_server, s3_test_client  # noqa: E402
from smartprov.ingest.landing import LandingFile, open_landing  # noqa: E402
from smartprov.ingest.object_landing import LandingFileChanged, ObjectLanding  # noqa: E402

BUCKET = "landing-objects"  # its own bucket: moto keeps one in-process state for every server
ACCESS_KEY = "smartprov-test-key"
SECRET_KEY = "smartprov-test-secret"

# Key -> body. Per-regency prefixes under "submissions/", litter, and things that look alike.
OBJECTS: dict[str, bytes] = {
    "submissions/3201/masterplan_2025.xlsx": b"PK\x03\x04 bogor masterplan",
    "submissions/3201/~$masterplan_2025.xlsx": b"excel lock file",
    "submissions/3201/.DS_Store": b"mac litter",
    "submissions/3273/evaluasi 2025 (final).xlsx": b"PK\x03\x04 bandung evaluation",
    "submissions/3273/Thumbs.db": b"windows litter",
    "submissions/3273/": b"",  # a "folder" made by a web console
    "submissions/3578/arsip/lama.xlsx": b"older copy, nested folder",
    "submissions/3578/kosong.xlsx": b"",
    "submissions/.hidden/secret.xlsx": b"hidden folder",
    "submissions/readme.txt": b"top-level file",
    "submissions-old/3201/x.xlsx": b"sibling prefix: not part of the landing zone",
    "other/3201/y.xlsx": b"another prefix",
}

EXPECTED = [
    LandingFile("3201/masterplan_2025.xlsx", len(OBJECTS["submissions/3201/masterplan_2025.xlsx"])),
    LandingFile(
        "3273/evaluasi 2025 (final).xlsx", len(OBJECTS["submissions/3273/evaluasi 2025 (final).xlsx"])
    ),
    LandingFile("3578/arsip/lama.xlsx", len(OBJECTS["submissions/3578/arsip/lama.xlsx"])),
    LandingFile("3578/kosong.xlsx", 0),
    LandingFile("readme.txt", len(OBJECTS["submissions/readme.txt"])),
]


@pytest.fixture(scope="session")
def s3_endpoint():
    with s3_landing_server(ACCESS_KEY, SECRET_KEY) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    client = s3_test_client(s3_endpoint, ACCESS_KEY, SECRET_KEY, BUCKET)
    for key, body in OBJECTS.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return client


@pytest.fixture
def landing(s3_client) -> ObjectLanding:
    found = open_landing(f"s3://{BUCKET}/submissions")
    assert isinstance(found, ObjectLanding)
    return found


def test_lists_regency_files_relative_to_prefix_without_litter(landing):
    assert landing.url == f"s3://{BUCKET}/submissions"
    assert landing.conn_id == "smartprov_landing"
    files = landing.list_files()
    assert files == EXPECTED
    assert [f.folder for f in files] == ["3201", "3273", "3578", "3578", None]


def test_listing_carries_each_object_s_upload_time(landing, s3_client):
    import datetime as dt

    for file in landing.list_files():
        head = s3_client.head_object(Bucket=BUCKET, Key=f"submissions/{file.path}")
        expected = head["LastModified"].astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        assert file.uploaded_at == expected


def test_connection_endpoint_is_used(landing, s3_endpoint):
    landing.list_files()
    assert landing.conn_id == "smartprov_landing"
    assert landing.client.meta.endpoint_url == s3_endpoint
    assert landing.client.meta.region_name == "us-east-1"


def test_read_bytes_returns_exact_content(landing):
    for file in landing.list_files():
        assert landing.read_bytes(file) == OBJECTS[f"submissions/{file.path}"]


def test_trailing_slash_and_bucket_root(s3_client):
    assert open_landing(f"s3://{BUCKET}/submissions/").list_files() == EXPECTED
    whole = ObjectLanding(f"s3://{BUCKET}")
    paths = [f.path for f in whole.list_files()]
    assert paths == [
        "other/3201/y.xlsx",
        "submissions-old/3201/x.xlsx",
        *(f"submissions/{f.path}" for f in EXPECTED),
    ]


def test_new_objects_appear_in_the_next_listing(landing, s3_client):
    before = landing.list_files()
    key = "submissions/3204/baru.xlsx"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"new arrival")
    try:
        after = landing.list_files()
        assert [f for f in after if f not in before] == [LandingFile("3204/baru.xlsx", 11)]
        assert landing.read_bytes(LandingFile("3204/baru.xlsx", 11)) == b"new arrival"
    finally:
        s3_client.delete_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize("new_body", [b"x" * 200_000, b"FIRST"], ids=["grown", "same-size"])
def test_object_replaced_after_listing_is_not_read(landing, s3_client, new_body):
    key = "submissions/3205/ganti.xlsx"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"first")
    try:
        (listed,) = [f for f in landing.list_files() if f.path == "3205/ganti.xlsx"]
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=new_body)
        # With the listing's details: the conditional GET (If-Match ETag) refuses.
        with pytest.raises(LandingFileChanged):
            landing.read_bytes(listed)
        # In a process that did not list (a fresh landing): the HEAD's size refuses, or,
        # when the size happens to match, the read is of the version the HEAD saw.
        unlisted = ObjectLanding(landing.url)
        if len(new_body) != listed.size:
            with pytest.raises(LandingFileChanged, match="listed at"):
                unlisted.read_bytes(listed)
        else:
            assert unlisted.read_bytes(listed) == new_body  # same size, fresh details: new content
        # A new listing is what reads are checked against from then on.
        (relisted,) = [f for f in landing.list_files() if f.path == "3205/ganti.xlsx"]
        if len(new_body) != listed.size:
            with pytest.raises(LandingFileChanged, match="listed at"):
                landing.read_bytes(listed)
        assert landing.read_bytes(relisted) == new_body
    finally:
        s3_client.delete_object(Bucket=BUCKET, Key=key)


def test_open_streams_for_hashing(landing):
    import hashlib

    from smartprov.ingest.landing import sha256_of

    for file in landing.list_files():
        body = OBJECTS[f"submissions/{file.path}"]
        assert sha256_of(landing, file) == hashlib.sha256(body).hexdigest()
        with landing.open(file) as fh:
            assert fh.size == file.size
            assert fh.read() == body
            assert fh.read() == b""


def test_stream_meets_a_replacement_midway(landing, s3_client):
    key = "submissions/3207/besar.xlsx"
    first = bytes(range(256)) * 1000  # 256 kB
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=first)
    try:
        (listed,) = [f for f in landing.list_files() if f.path == "3207/besar.xlsx"]
        with landing.open(listed, block_size=64 * 1024) as fh:
            assert fh.read(1000) == first[:1000]
            s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"y" * len(first))  # same size
            with pytest.raises(LandingFileChanged, match="while being read"):
                fh.read()
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"z" * 10)
        with pytest.raises(LandingFileChanged, match="listed at"):
            ObjectLanding(landing.url).open(listed)
    finally:
        s3_client.delete_object(Bucket=BUCKET, Key=key)


def test_deleted_object_raises_file_not_found(landing, s3_client):
    key = "submissions/3206/hapus.xlsx"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"soon gone")
    (listed,) = [f for f in landing.list_files() if f.path == "3206/hapus.xlsx"]
    s3_client.delete_object(Bucket=BUCKET, Key=key)
    with pytest.raises(FileNotFoundError):
        landing.read_bytes(listed)  # the listing's ETag: the conditional GET finds nothing
    with pytest.raises(FileNotFoundError):
        ObjectLanding(landing.url).read_bytes(listed)  # a process that did not list: the HEAD


def test_empty_prefix_is_empty_and_missing_bucket_is_an_error(s3_client):
    assert ObjectLanding(f"s3://{BUCKET}/nothing-here").list_files() == []
    with pytest.raises(FileNotFoundError, match="no-such-bucket"):
        ObjectLanding("s3://no-such-bucket/submissions").list_files()


def test_uri_form_connection_named_by_env(s3_client, s3_endpoint, monkeypatch):
    uri = (
        f"aws://{quote(ACCESS_KEY, safe='')}:{quote(SECRET_KEY, safe='')}@/"
        f"?endpoint_url={quote(s3_endpoint, safe='')}&region_name=us-east-1"
    )
    monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_LANDING_URI", uri)
    monkeypatch.setenv("SMARTPROV_LANDING_CONN_ID", "smartprov_landing_uri")
    via_env = ObjectLanding(f"s3://{BUCKET}/submissions")
    assert via_env.conn_id == "smartprov_landing_uri"
    assert via_env.list_files() == EXPECTED
    # ObjectStoragePath's convention, conn_id in the URL, wins over the environment.
    in_url = ObjectLanding(f"s3://smartprov_landing@{BUCKET}/submissions")
    assert in_url.conn_id == "smartprov_landing"
    assert in_url.list_files() == EXPECTED


@pytest.mark.parametrize("url", ["gs://bucket/x", "s3:///no-bucket", "s3://b/p?versionId=1"])
def test_rejects_urls_it_cannot_serve(url):
    with pytest.raises(ValueError):
        ObjectLanding(url)


def test_a_nightly_run_reads_its_landing_zone_from_object_storage(s3_client, tmp_path, monkeypatch):
    """The whole run over s3://…, with parsing spread over worker processes."""
    from smartprov.authoring.sample import sample_expectations, write_sample_landing
    from smartprov.run import steps

    local = tmp_path / "sample"
    write_sample_landing(local, province="32", seed=0)
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        s3_client.put_object(
            Bucket=BUCKET, Key=f"nightly/{path.relative_to(local).as_posix()}", Body=path.read_bytes()
        )
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SMARTPROV_WORKERS", "2")
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"

    report = steps.run_once(f"s3://{BUCKET}/nightly", url, build=False, notify=False)

    expected = sample_expectations("32", 0)
    got = {s["path"]: s["status"] for s in report["submissions"]}
    assert got == {p: ("accepted" if e.accepted else "rejected") for p, e in expected.items()}
    rejected = next(s for s in report["submissions"] if s["status"] == "rejected" and s["quarantine_path"])
    assert Path(rejected["quarantine_path"]).read_bytes() == (local / rejected["path"]).read_bytes()
    again = steps.run_once(f"s3://{BUCKET}/nightly", url, build=False, notify=False)
    assert {s["status"] for s in again["submissions"]} == {"duplicate"}


def test_a_no_change_night_imports_no_airflow(s3_client, tmp_path):
    """`smartprov run` twice over the S3 landing, the connection in the environment: the
    second night (nothing new; alerts on, no SMTP connection anywhere) imports no airflow."""
    import json
    import subprocess
    import sys

    from smartprov.authoring.sample import write_sample_landing

    local = tmp_path / "sample"
    write_sample_landing(local, province="32", seed=0)
    for path in sorted(p for p in local.rglob("*") if p.is_file())[:4]:
        s3_client.put_object(
            Bucket=BUCKET, Key=f"quiet/{path.relative_to(local).as_posix()}", Body=path.read_bytes()
        )
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root / "plugins"), str(root)]),
        "SMARTPROV_VAR_DIR": str(tmp_path / "var"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
    }
    env.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
    night = (
        "import json, sys\n"
        "from smartprov.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] == 'airflow')]))\n"
    )
    args = [
        "run",
        "--landing",
        f"s3://{BUCKET}/quiet",
        "--warehouse",
        f"duckdb:///{tmp_path / 'w.duckdb'}",
        "--no-dbt",
    ]

    def run(*extra: str) -> list:
        proc = subprocess.run(
            [sys.executable, "-c", night, *args, *extra],
            env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    assert run("--no-alerts")[0] == 0
    assert run() == [0, []]


def test_a_key_with_control_characters_is_listed_escaped_and_never_read(landing, s3_client):
    """(A right-to-left override here: the S3 test server refuses keys with a line break.)"""
    from smartprov.ingest.landing import NAME_REFUSED

    key = "submissions/3204/laporan\u202exslx.exe"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"not read")
    try:
        (found,) = [f for f in landing.list_files() if f.path.startswith("3204/")]
        assert found.path == "3204/laporan\\u202exslx.exe"
        assert found.refused == NAME_REFUSED and found.folder == "3204"
    finally:
        s3_client.delete_object(Bucket=BUCKET, Key=key)
