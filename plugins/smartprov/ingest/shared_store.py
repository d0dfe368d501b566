"""Shared storage: what any worker must find again, whichever host wrote it.

Quarantined files (with their findings) and the run reports (report.json, the province's
Excel and HTML, each run's Data Docs site) live here, so that replay, the digest's links and
the portal work from any worker. One setting, `SMARTPROV_SHARED_URL`:

- unset: this host's folders, as on one machine: quarantine in `settings.quarantine_dir()`
  (var/quarantine), reports in `settings.reports_dir()` (var/reports);
- a local path (a share mounted on every worker): `<path>/quarantine` and `<path>/reports`;
- `s3://bucket/prefix`: keys `<prefix>/quarantine/…` and `<prefix>/reports/…`, through the
  Airflow Connection `smartprov_shared` when it is defined, else the landing zone's
  (`SMARTPROV_LANDING_CONN_ID`, default `smartprov_landing`); `s3://conn_id@bucket/prefix`
  names one. Connections are read by `smartprov.connections` (see `ingest.object_landing`).

A store is a place with `put_bytes`, `put_stream`, `put_file`, `get_bytes`, `exists`, `list`
and `delete` over relative keys (`3201/abc__x.xlsx`); a key that would climb out of the store
(`..`, an absolute path, a backslash) is refused with FileNotFoundError.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from smartprov import connections, settings

if TYPE_CHECKING:
    from botocore.client import BaseClient

SHARED_URL_ENV = "SMARTPROV_SHARED_URL"
SHARED_CONN_ID = "smartprov_shared"
QUARANTINE = "quarantine"
REPORTS = "reports"
# A streamed copy (a file too large to have been read) waits on disk, not in memory, for its PUT.
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float  # seconds since the epoch


def safe_key(key: str) -> str:
    """`key` as a relative path inside the store ("" for the whole store); FileNotFoundError
    when it would climb out."""
    if "\\" in key or "\0" in key:
        raise FileNotFoundError(errno.ENOENT, f"not a key of the store: {key!r}")
    parts = [p for p in key.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise FileNotFoundError(errno.ENOENT, f"not a key of the store: {key!r}")
    return "/".join(parts)


class LocalStore:
    """A folder: this host's own, or a share every worker mounts."""

    remote = False

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.url = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.url!r})"

    def path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def location(self, key: str) -> str:
        """Where the object is, as people and the ledger name it."""
        return str(self.path(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.part")  # a reader never sees half of it
        try:
            tmp.write_bytes(data)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
        try:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        if target.exists() and target.resolve() == Path(source).resolve():
            return  # the store is the folder it was written in
        with open(source, "rb") as stream:
            self.put_stream(key, stream)

    def get_bytes(self, key: str) -> bytes:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, f"{path}: not found")
        return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "", depth: int | None = None) -> list[StoredObject]:
        """Every object under `prefix` (a folder: "province"), sorted by key; the half-written
        (`….part`, `.…`) left out. `depth`: only objects at most that many folders below
        `prefix` (0: its own files)."""
        base = self.root / safe_key(prefix)
        if not base.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            below = len(Path(dirpath).relative_to(base).parts)
            keep = depth is None or below < depth
            dirnames[:] = [d for d in dirnames if keep and not d.startswith(".")]
            for name in filenames:
                if name.startswith(".") or name.endswith(".part"):
                    continue
                full = Path(dirpath) / name
                try:
                    st = full.stat()
                except OSError:  # gone since the walk listed it
                    continue
                found.append(StoredObject(full.relative_to(self.root).as_posix(), st.st_size, st.st_mtime))
        return sorted(found, key=lambda o: o.key)

    def landing(self):
        """The store as a landing zone (replay reads quarantined files through the load path)."""
        from smartprov.ingest.landing import LocalLanding

        return LocalLanding(self.root)

    def same_folder(self, folder: Path) -> bool:
        return self.root.resolve() == Path(folder).resolve()


class ObjectStore:
    """A prefix of an S3 (MinIO, any S3-compatible) bucket."""

    remote = True

    def __init__(self, url: str, conn_id: str | None = None):
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("s3", "s3a"):
            raise ValueError(f"Unsupported shared store URL {url!r}: use s3://bucket/prefix or a folder")
        userinfo, _, bucket = parts.netloc.rpartition("@")
        if not bucket:
            raise ValueError(f"Shared store URL needs a bucket: {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"Shared store URL takes no query or fragment: {url!r}")
        self.bucket = bucket
        self.prefix = parts.path.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.conn_id = conn_id or userinfo or shared_conn_id()
        self._client: BaseClient | None = None

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r}, conn_id={self.conn_id!r})"

    @property
    def client(self) -> BaseClient:
        if self._client is None:
            from smartprov.ingest.object_landing import s3_client

            self._client = s3_client(self.conn_id)
        return self._client

    def _key(self, key: str) -> str:
        rel = safe_key(key)
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _call(self, where: str, method: str, **kwargs) -> Any:
        from botocore.exceptions import ClientError

        from smartprov.ingest.object_landing import _os_error

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            raise _os_error(exc, where) from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        self._call(self.location(key), "put_object", Key=self._key(key), Body=data)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        # A PUT needs its length first: spool the stream (to disk past SPOOL_BYTES).
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=_spool_dir()) as spool:
            shutil.copyfileobj(stream, spool, 1 << 20)
            spool.seek(0)
            self._call(self.location(key), "put_object", Key=self._key(key), Body=spool)

    def put_file(self, key: str, source: Path) -> None:
        with open(source, "rb") as body:
            self._call(self.location(key), "put_object", Key=self._key(key), Body=body)

    def get_bytes(self, key: str) -> bytes:
        response = self._call(self.location(key), "get_object", Key=self._key(key))
        with response["Body"] as body:
            return body.read()

    def exists(self, key: str) -> bool:
        try:
            self._call(self.location(key), "head_object", Key=self._key(key))
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call(self.location(key), "delete_object", Key=self._key(key))

    def list(self, prefix: str = "", depth: int | None = None) -> list[StoredObject]:
        """Every object under `prefix`, sorted by key (one paginated ListObjectsV2 walk);
        `depth` as for LocalStore (S3 has no folders to stop at: the walk is filtered)."""
        from botocore.exceptions import ClientError

        from smartprov.ingest.object_landing import _os_error

        lead = f"{self.prefix}/" if self.prefix else ""
        rel = safe_key(prefix)
        wanted = lead + (rel + "/" if rel else "")
        found = []
        # One level only: S3 stops at "/" itself (a folder's own files in one request).
        level = {"Delimiter": "/"} if depth == 0 else {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=wanted, **level
            )
            for page in pages:
                for obj in page.get("Contents") or ():
                    key = obj["Key"]
                    if key.endswith("/"):
                        continue  # folder markers made by consoles
                    if depth is not None and key[len(wanted) :].count("/") > depth:
                        continue
                    modified = obj.get("LastModified")
                    found.append(
                        StoredObject(
                            key[len(lead) :],
                            int(obj.get("Size") or 0),
                            modified.timestamp() if modified is not None else 0.0,
                        )
                    )
        except ClientError as exc:
            raise _os_error(exc, self.url) from exc
        return sorted(found, key=lambda o: o.key)

    def landing(self):
        from smartprov.ingest.object_landing import ObjectLanding

        return ObjectLanding(f"s3://{self.bucket}/{self.prefix}", conn_id=self.conn_id)

    def same_folder(self, folder: Path) -> bool:
        return False

    def child(self, name: str) -> ObjectStore:
        inner = f"{self.prefix}/{name}" if self.prefix else name
        return ObjectStore(f"s3://{self.bucket}/{inner}", conn_id=self.conn_id)


Store = LocalStore | ObjectStore


def _spool_dir() -> Path:
    where = settings.var_dir()  # beside the warehouse, not a /tmp that may live in memory
    where.mkdir(parents=True, exist_ok=True)
    return where


def shared_url() -> str | None:
    """SMARTPROV_SHARED_URL, or None: this host's folders."""
    return (os.environ.get(SHARED_URL_ENV) or "").strip() or None


def shared_conn_id() -> str:
    """`smartprov_shared` when that Connection is defined, else the landing zone's."""
    from smartprov.ingest.object_landing import landing_conn_id

    return SHARED_CONN_ID if connections.connection_defined(SHARED_CONN_ID) else landing_conn_id()


def _store(area: str, local_default: Path) -> Store:
    url = shared_url()
    if url is None:
        return LocalStore(local_default)
    if "://" in url and not url.startswith("file://"):
        return ObjectStore(url).child(area)
    return LocalStore(Path(url.removeprefix("file://")) / area)


def quarantine_store() -> Store:
    """Where rejected files are kept with their findings."""
    return _store(QUARANTINE, settings.quarantine_dir())


def reports_store() -> Store:
    """Where the run reports, the province's outputs and the Data Docs are read from."""
    return _store(REPORTS, settings.reports_dir())


def shared_reports() -> Store | None:
    """The reports store when it is not this host's reports folder (what a run uploads to)."""
    store = reports_store()
    return None if store.same_folder(settings.reports_dir()) else store


# The newest run's report and Data Docs, named by one small object each (written by the run
# that uploads them): finding them in S3 would otherwise mean listing every run's files.
LATEST = "_latest"


def mark_latest(store: Store, name: str, key: str) -> None:
    store.put_bytes(f"{LATEST}/{name}.key", key.encode("utf-8"))


def latest_marked(store: Store, name: str) -> str | None:
    """The key `mark_latest` last recorded under `name`, or None."""
    try:
        return safe_key(store.get_bytes(f"{LATEST}/{name}.key").decode("utf-8").strip()) or None
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def upload_tree(store: Store, folder: Path, prefix: str) -> int:
    """Every file under `folder` into `store` under `prefix/`; the number of files."""
    count = 0
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            store.put_file(f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}", path)
            count += 1
    return count
