"""Discovery on object storage reuses the recorded hash of an unchanged object (moto server).

Every request goes over HTTP to a real S3 API server; the only thing wrapped is the
landing's `open`, to count which objects were downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="smartprov-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

from loopback import s3_landing_server, s3_test_client  # noqa: E402
from smartprov.ingest.landing import open_landing  # noqa: E402
from smartprov.ingest.listing_cache import ListingHashCache, cache_path  # noqa: E402

BUCKET = "hashes"
ACCESS_KEY, SECRET_KEY = "listing-cache-key", "listing-cache-secret"
BODIES = {
    "3201/a.xlsx": b"PK\x03\x04 first body",
    "3201/b.xlsx": b"PK\x03\x04 second body",
    "3273/c.xlsx": b"PK\x03\x04 third body!",
}


@pytest.fixture(scope="module")
def s3():
    with s3_landing_server(ACCESS_KEY, SECRET_KEY) as endpoint:
        client = s3_test_client(endpoint, ACCESS_KEY, SECRET_KEY, BUCKET)
        yield client


def _fill(client, prefix: str) -> None:
    for key, body in BODIES.items():
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=body)


def _counting_landing(url: str):
    landing = open_landing(url)
    opened: list[str] = []
    real_open = landing.open

    def counting_open(file, *args, **kwargs):
        opened.append(file.path)
        return real_open(file, *args, **kwargs)

    landing.open = counting_open
    return landing, opened


def _discover(url: str) -> tuple[dict[str, str], list[str]]:
    landing, opened = _counting_landing(url)
    files = landing.list_files()
    cache = ListingHashCache(landing)  # after the listing: it reads the listed versions
    hashes = {f.path: cache.sha256(f) for f in files}
    cache.save()
    return hashes, opened


def test_unchanged_objects_reuse_their_hash_and_changed_ones_are_hashed(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    _fill(s3, "night")
    url = f"s3://{BUCKET}/night"
    truth = {k: hashlib.sha256(v).hexdigest() for k, v in BODIES.items()}

    first, opened = _discover(url)
    assert first == truth and sorted(opened) == sorted(BODIES)
    assert cache_path(url).exists()

    again, opened = _discover(url)
    assert again == truth and opened == []  # nothing downloaded

    # Same key and same size, other bytes: the new ETag forces a download.
    replaced = b"PK\x03\x04 SECOND body"
    assert len(replaced) == len(BODIES["3201/b.xlsx"])
    s3.put_object(Bucket=BUCKET, Key="night/3201/b.xlsx", Body=replaced)
    s3.put_object(Bucket=BUCKET, Key="night/3273/new.xlsx", Body=b"brand new")
    s3.delete_object(Bucket=BUCKET, Key="night/3201/a.xlsx")
    third, opened = _discover(url)
    assert sorted(opened) == ["3201/b.xlsx", "3273/new.xlsx"]
    assert third == {
        "3201/b.xlsx": hashlib.sha256(replaced).hexdigest(),
        "3273/c.xlsx": truth["3273/c.xlsx"],
        "3273/new.xlsx": hashlib.sha256(b"brand new").hexdigest(),
    }
    recorded = json.loads(cache_path(url).read_text())["objects"]
    assert sorted(recorded) == sorted(third)  # the deleted object dropped out

    # A damaged record is no record: everything is hashed again, correctly.
    cache_path(url).write_text("{not json")
    fourth, opened = _discover(url)
    assert fourth == third and sorted(opened) == sorted(third)


def test_a_rerun_over_object_storage_downloads_nothing(s3, tmp_path, monkeypatch):
    """The pipeline's discovery step: the second night finds every object known, unread."""
    from smartprov.run import steps as pipeline

    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    _fill(s3, "pipeline")
    url, warehouse = f"s3://{BUCKET}/pipeline", f"duckdb:///{tmp_path / 'w.duckdb'}"
    first = pipeline.discover(url, warehouse, "run_1")
    assert {e["path"]: e["sha256"] for e in first["files"]} == {
        k: hashlib.sha256(v).hexdigest() for k, v in BODIES.items()
    }

    real_open_landing = pipeline.open_landing
    opened_lists: list[list[str]] = []

    def open_counting(landing_url):
        landing, seen = _counting_landing(landing_url)
        opened_lists.append(seen)
        return landing

    monkeypatch.setattr(pipeline, "open_landing", open_counting)
    second = pipeline.discover(url, warehouse, "run_2")
    monkeypatch.setattr(pipeline, "open_landing", real_open_landing)
    opened = [p for seen in opened_lists for p in seen]
    assert opened == []
    assert [(e["path"], e["sha256"]) for e in second["files"]] == [
        (e["path"], e["sha256"]) for e in first["files"]
    ]


def test_local_folder_reuses_hashes_until_a_file_is_rewritten(tmp_path, monkeypatch):
    """A local file keeps its hash while (inode, size, mtime, ctime) hold; rewriting it with
    the same size and its old mtime put back still changes its ctime, so it is hashed again."""
    monkeypatch.setenv("SMARTPROV_VAR_DIR", str(tmp_path / "var"))
    root = tmp_path / "landing"
    for key, body in BODIES.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(body)
    truth = {k: hashlib.sha256(v).hexdigest() for k, v in BODIES.items()}

    def night() -> tuple[dict[str, str], list[str]]:
        landing, opened = _counting_landing(str(root))
        files = landing.list_files()
        cache = ListingHashCache(landing)
        hashes = {f.path: cache.sha256(f) for f in files}
        cache.save()
        return hashes, opened

    first, opened = night()
    assert first == truth and sorted(opened) == sorted(BODIES)
    again, opened = night()
    assert again == truth and opened == []

    target = root / "3201" / "b.xlsx"
    stat = target.stat()
    replaced = b"PK\x03\x04 SECOND body"
    target.write_bytes(replaced)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `cp -p` would leave it
    third, opened = night()
    assert opened == ["3201/b.xlsx"]
    assert third == {**truth, "3201/b.xlsx": hashlib.sha256(replaced).hexdigest()}
