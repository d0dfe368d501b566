"""The landing zone on object storage (S3, MinIO): `s3://bucket/prefix`.

Same interface as `smartprov.ingest.landing.LocalLanding`: a `url`, `list_files()` and
`read_bytes(file)`. Access goes through Airflow 3's `airflow.sdk.ObjectStoragePath`
with an Airflow connection of type `aws`:

- conn_id: the `conn_id=` argument, else the URL's user part (`s3://my_conn@bucket/prefix`,
  ObjectStoragePath's own convention), else env `SMARTPROV_LANDING_CONN_ID`, else
  `smartprov_landing`;
- login / password: access key id / secret access key; extra `endpoint_url` for MinIO or
  any S3-compatible store, extra `region_name` as needed.

Connection lookup outside a running task (the `smartprov` CLI, tests) works in Airflow 3.3:
with no task supervisor, the Task SDK searches the environment variables
(`AIRFLOW_CONN_<ID>`, JSON or URI form) and any secrets backend configured in
`[secrets] backend` - but NOT the metadata database. A connection created with
`airflow connections add` is therefore visible to tasks, not to the CLI: give the CLI an
`AIRFLOW_CONN_SMARTPROV_LANDING` variable. When no connection of that id exists at all, the
Amazon provider falls back to boto3's default credential chain (standard `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`,
instance roles), and logs a warning.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smartprov.ingest.landing_file import LandingFile, LandingFileChanged, is_litter

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath
    from fsspec import AbstractFileSystem

DEFAULT_LANDING_CONN_ID = "smartprov_landing"
SUPPORTED_SCHEMES = frozenset({"s3", "s3a"})


# Read-ahead of a streaming reader (ObjectLanding.open): one ranged GET per block.
STREAM_BLOCK_BYTES = 8 * 1024 * 1024


__all__ = ["LandingFileChanged", "ObjectLanding", "landing_conn_id"]


def landing_conn_id() -> str:
    return os.environ.get("SMARTPROV_LANDING_CONN_ID") or DEFAULT_LANDING_CONN_ID


class ObjectLanding:
    """A landing zone under `s3://bucket/prefix`; paths are relative to the prefix."""

    def __init__(self, url: str, conn_id: str | None = None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(f"Unsupported landing URL {url!r}: use s3://bucket/prefix")
        userinfo, _, bucket = parts.netloc.rpartition("@")
        if not bucket:
            raise ValueError(f"Landing URL needs a bucket: {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"Landing URL takes no query or fragment: {url!r}")
        self.url = url
        self.bucket = bucket
        self.prefix = parts.path.strip("/")  # "" = the whole bucket
        self.conn_id = conn_id or userinfo or landing_conn_id()
        self._root_path: ObjectStoragePath | None = None
        # path -> (ETag, LastModified) as the last list_files() saw them (ingest.listing_cache)
        self.listed_versions: dict[str, tuple[str, str]] = {}

    def __repr__(self) -> str:
        return f"ObjectLanding({self.url!r}, conn_id={self.conn_id!r})"

    # -- plumbing ------------------------------------------------------------------
    @property
    def root(self) -> ObjectStoragePath:
        """The prefix as an ObjectStoragePath bound to the connection (built on first use)."""
        if self._root_path is None:
            from airflow.sdk import ObjectStoragePath

            key = f"/{self.prefix}" if self.prefix else "/"
            self._root_path = ObjectStoragePath(f"s3://{self.bucket}{key}", conn_id=self.conn_id)
        return self._root_path

    @property
    def _fs(self) -> AbstractFileSystem:
        return self.root.fs

    @property
    def _base(self) -> str:
        """The fsspec path of the prefix: "bucket" or "bucket/prefix"."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    # -- the LocalLanding interface ------------------------------------------------
    def list_files(self) -> list[LandingFile]:
        """Every object under the prefix but litter, sorted by path, sizes from the listing.

        One paginated ListObjectsV2 walk; no object is opened. Raises FileNotFoundError when
        the bucket does not exist (an empty prefix is an empty landing zone, as S3 has no
        folders).
        """
        fs = self._fs
        fs.invalidate_cache(self._base)  # s3fs caches listings per process: always list afresh
        missing = f"Landing zone not found: no bucket {self.bucket!r} ({self.url})"
        try:
            listing = fs.find(self._base, detail=True, withdirs=False)
        except FileNotFoundError as exc:
            raise FileNotFoundError(missing) from exc
        if not listing and not fs.exists(self.bucket):
            raise FileNotFoundError(missing)
        found: list[LandingFile] = []
        versions: dict[str, tuple[str, str]] = {}
        lead = self._base + "/"
        for name, info in listing.items():
            if info.get("type") == "directory" or name.endswith("/") or not name.startswith(lead):
                continue  # folder markers ("3201/", made by consoles), or the prefix itself
            rel = name[len(lead) :]
            *dirs, base = rel.split("/")
            if is_litter(base) or any(not d or d.startswith(".") for d in dirs):
                continue  # same rules as LocalLanding: litter files, hidden folders
            size = info.get("size", info.get("Size"))
            found.append(LandingFile(rel, int(size), _utc(info.get("LastModified"))))
            versions[rel] = (str(info.get("ETag") or ""), str(info.get("LastModified") or ""))
        found.sort(key=lambda f: f.path)
        self.listed_versions = versions
        return found

    def open(self, file: LandingFile, block_size: int = STREAM_BLOCK_BYTES) -> _ObjectReader:
        """A binary reader over the object, for streaming (hashing): memory ~ `block_size`.

        Same guarantees as read_bytes: the size is checked against the listing before any
        byte is read, every ranged GET is conditional on the opening ETag, and the reader
        ends at the listed size. A replaced object raises LandingFileChanged, at open or
        at the read that meets the change.
        """
        from s3fs.utils import FileExpired

        where = f"{self.url.rstrip('/')}/{file.path}"
        try:
            handle = (self.root / file.path).open("rb", cache_type="readahead", block_size=block_size)
        except FileExpired as exc:
            raise LandingFileChanged(f"{where}: replaced after listing (ETag changed)") from exc
        if handle.size != file.size:
            handle.close()
            raise LandingFileChanged(
                f"{where}: listed at {file.size} bytes, now {handle.size}; replaced after listing"
            )
        return _ObjectReader(handle, where)

    def read_bytes(self, file: LandingFile) -> bytes:
        """The object's bytes, never more than the listed `file.size`.

        Opening takes the object's size and ETag from the listing just made (s3fs's listing
        cache) or from a HEAD, and the size is compared with `file.size` before any byte is
        read. The GET is a ranged read of at most `file.size` bytes, conditional on that ETag
        (If-Match): an object replaced after listing raises LandingFileChanged, whatever
        its new size, and a deleted one FileNotFoundError.
        """
        from s3fs.utils import FileExpired

        where = f"{self.url.rstrip('/')}/{file.path}"
        path = self.root / file.path
        try:
            with path.open("rb", cache_type="none") as handle:
                current = handle.size
                if current != file.size:
                    raise LandingFileChanged(
                        f"{where}: listed at {file.size} bytes, now {current}; replaced after listing"
                    )
                data = handle.read(file.size) if file.size else b""
        except FileExpired as exc:
            raise LandingFileChanged(f"{where}: replaced after listing (ETag changed)") from exc
        if len(data) != file.size:
            raise LandingFileChanged(f"{where}: read {len(data)} of {file.size} bytes")
        return data


def _utc(value) -> dt.datetime | None:
    """S3's LastModified (an aware datetime from botocore) as naive UTC, like the ledger's times."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


class _ObjectReader:
    """A read-only binary file over one object; s3fs's ETag mismatch becomes LandingFileChanged."""

    def __init__(self, handle, where: str):
        self._handle = handle
        self._where = where
        self.size: int = handle.size

    def read(self, size: int = -1) -> bytes:
        from s3fs.utils import FileExpired

        try:
            return self._handle.read(size)
        except FileExpired as exc:
            raise LandingFileChanged(f"{self._where}: replaced while being read (ETag changed)") from exc

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
