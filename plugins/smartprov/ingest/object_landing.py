"""The landing zone on object storage (S3, MinIO): `s3://bucket/prefix`.

Same interface as `smartprov.ingest.landing.LocalLanding`: a `url`, `list_files()`,
`open(file)` and `read_bytes(file)`. Requests go straight through botocore (the engine of
boto3), with the settings of an Airflow Connection of type `aws`:

- conn_id: the `conn_id=` argument, else the URL's user part (`s3://my_conn@bucket/prefix`,
  the convention of Airflow's ObjectStoragePath), else env `SMARTPROV_LANDING_CONN_ID`, else
  `smartprov_landing`;
- login / password: access key id / secret access key (else extra `aws_access_key_id` /
  `aws_secret_access_key`), extra `aws_session_token`; extra `endpoint_url` (or
  `service_config.s3.endpoint_url`) for MinIO or any S3-compatible store, `region_name`,
  `profile_name`, `verify`, `config_kwargs` (botocore Config), `service_config.s3.proxy-uri`,
  as the Amazon provider reads them.

The Connection is read by `smartprov.connections`: from `AIRFLOW_CONN_<ID>` without
importing Airflow (a no-change night then imports no Airflow at all), else through Airflow's
lookup (secrets backend; outside a task Airflow 3 does not read the metadata database, so a
connection made with `airflow connections add` is visible to tasks, not to the CLI). A
Connection that assumes a role (`role_arn`) or signs through a signer service gets its
session from the Amazon provider (which imports Airflow). When no connection of that id
exists at all, boto3's default credential chain applies (standard `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`,
instance roles), with a warning; with no credentials anywhere, requests go unsigned, as the
Amazon provider's filesystem does.

Every read is checked against the listing: the size before any byte is read, and every GET
is conditional on the ETag the listing (or, in a process that did not list, a HEAD) saw.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from smartprov import connections
from smartprov.ingest.landing_file import (
    NAME_REFUSED,
    LandingFile,
    LandingFileChanged,
    escaped_name,
    is_litter,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient

log = logging.getLogger(__name__)

DEFAULT_LANDING_CONN_ID = "smartprov_landing"
SUPPORTED_SCHEMES = frozenset({"s3", "s3a"})


# Read-ahead of a streaming reader (ObjectLanding.open): one ranged GET per block.
STREAM_BLOCK_BYTES = 8 * 1024 * 1024
# Extras whose credentials only the Amazon provider knows how to obtain.
PROVIDER_EXTRAS = ("role_arn",)


__all__ = ["LandingFileChanged", "ObjectLanding", "landing_conn_id", "s3_client"]


def landing_conn_id() -> str:
    return os.environ.get("SMARTPROV_LANDING_CONN_ID") or DEFAULT_LANDING_CONN_ID


# -- the client --------------------------------------------------------------------------
_sessions: dict[str | None, Any] = {}
_sessions_lock = threading.Lock()


def _botocore_session(profile: str | None):
    """One botocore session per profile and process: it keeps the S3 service model loaded."""
    import botocore.session

    with _sessions_lock:
        if profile not in _sessions:
            _sessions[profile] = botocore.session.Session(profile=profile)
        return _sessions[profile]


def _client_options(extra: dict[str, Any]) -> dict[str, Any]:
    """endpoint_url, config and verify for the S3 client, as the Amazon provider reads the extra."""
    from botocore import UNSIGNED
    from botocore.config import Config

    service = (extra.get("service_config") or {}).get("s3") or {}
    config_kwargs = dict(extra.get("config_kwargs") or {})
    if config_kwargs.get("signature_version") == "unsigned":
        config_kwargs["signature_version"] = UNSIGNED
    if proxy := service.get("proxy-uri"):
        config_kwargs["proxies"] = {"http": proxy, "https": proxy}
    options: dict[str, Any] = {
        "endpoint_url": service.get("endpoint_url", extra.get("endpoint_url")) or None,
        "config": Config(**config_kwargs) if config_kwargs else None,
    }
    if extra.get("verify") is not None:
        options["verify"] = extra["verify"]
    return options


def _credentials(conn: connections.Connection, extra: dict[str, Any]) -> dict[str, str]:
    """Access key, secret and token: login/password, else the extra, else extra.session_kwargs."""
    session_kwargs = extra.get("session_kwargs") or {}
    key, secret = extra.get("aws_access_key_id"), extra.get("aws_secret_access_key")
    if conn.login and conn.password:
        key, secret = conn.login, conn.password
    elif not (key and secret):
        key, secret = session_kwargs.get("aws_access_key_id"), session_kwargs.get("aws_secret_access_key")
    token = extra.get("aws_session_token") or session_kwargs.get("aws_session_token")
    found = {"aws_access_key_id": key, "aws_secret_access_key": secret, "aws_session_token": token}
    return {k: v for k, v in found.items() if v}


def s3_client(conn_id: str) -> BaseClient:
    """An S3 client with the settings of the `aws` Connection `conn_id` (see the module's notes)."""
    try:
        conn: connections.Connection | None = connections.get_connection(conn_id)
    except connections.ConnectionNotFound:
        log.warning("Connection %r not defined: S3 through boto3's default credential chain", conn_id)
        conn = None
    extra = conn.extra_dejson if conn else {}
    extra = extra if isinstance(extra, dict) else {}
    options = _client_options(extra)
    region = extra.get("region_name") or None
    signer = ((extra.get("service_config") or {}).get("s3") or {}).get("signer")
    if conn is not None and (signer or any(extra.get(k) for k in PROVIDER_EXTRAS)):
        return _provider_client(conn_id, options, signer)
    creds = _credentials(conn, extra) if conn else {}
    session = _botocore_session(extra.get("profile_name") or None)
    if len(creds) < 2 and session.get_credentials() is None:
        options = _unsigned(options)  # no credentials anywhere: anonymous, as the provider's filesystem
        creds = {}
    return session.create_client("s3", region_name=region, **creds, **options)


def _unsigned(options: dict[str, Any]) -> dict[str, Any]:
    from botocore import UNSIGNED
    from botocore.config import Config

    unsigned = Config(signature_version=UNSIGNED)
    config = options.get("config")
    return {**options, "config": config.merge(unsigned) if config else unsigned}


def _provider_client(conn_id: str, options: dict[str, Any], signer: str | None) -> BaseClient:
    """The client on the Amazon provider's session (role assumption, signer services)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    hook = S3Hook(aws_conn_id=conn_id)
    session = hook.get_session()
    if not signer:
        return session.client("s3", **options)
    from functools import partial

    from airflow.providers.amazon.aws.fs.s3 import SIGNERS
    from botocore import UNSIGNED
    from botocore.config import Config

    service = hook.service_config
    if signer not in SIGNERS:
        raise ValueError(f"Signer not available: {signer}")
    uri, token = service.get("signer_uri"), service.get("signer_token")
    if not uri or not token:
        raise ValueError(f"Signer {signer} requires uri and token")
    config = options.get("config")
    unsigned = Config(signature_version=UNSIGNED)  # the signer service signs instead
    client = session.client("s3", **{**options, "config": config.merge(unsigned) if config else unsigned})
    # The properties exactly as the provider's filesystem builds them.
    client.meta.events.register_last(
        "before-sign.s3", partial(SIGNERS[signer], {"uri": uri, "token": uri}), unique_id=1925
    )
    return client


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return str(error.get("Code") or status or "")


def _os_error(exc: Exception, where: str) -> OSError:
    """A botocore ClientError as the OSError the landing interface promises."""
    code = _error_code(exc)
    if code in ("NoSuchKey", "NoSuchBucket", "404", "NotFound"):
        return FileNotFoundError(errno.ENOENT, f"{where}: not found")
    if code in ("PreconditionFailed", "412"):
        return LandingFileChanged(f"{where}: replaced after listing (ETag changed)")
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return PermissionError(errno.EACCES, f"{where}: access denied ({code})")
    return OSError(errno.EIO, f"{where}: {code or type(exc).__name__}: {exc}")


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
        self._client: BaseClient | None = None
        # path -> (ETag, LastModified) as the last list_files() saw them (ingest.listing_cache)
        self.listed_versions: dict[str, tuple[str, str]] = {}
        # path -> (size, ETag) of the last listing: what reads are checked against
        self._listed: dict[str, tuple[int, str]] = {}

    def __repr__(self) -> str:
        return f"ObjectLanding({self.url!r}, conn_id={self.conn_id!r})"

    # -- plumbing ------------------------------------------------------------------
    @property
    def client(self) -> BaseClient:
        """The S3 client of the landing's connection (built on first use)."""
        if self._client is None:
            self._client = s3_client(self.conn_id)
        return self._client

    @property
    def _lead(self) -> str:
        """The key prefix of the landing zone's objects: "prefix/", or "" for the whole bucket."""
        return f"{self.prefix}/" if self.prefix else ""

    def _where(self, file: LandingFile) -> str:
        return f"{self.url.rstrip('/')}/{file.path}"

    # -- the LocalLanding interface ------------------------------------------------
    def list_files(self) -> list[LandingFile]:
        """Every object under the prefix but litter, sorted by path, sizes from the listing.

        One paginated ListObjectsV2 walk; no object is opened. Raises FileNotFoundError when
        the bucket does not exist (an empty prefix is an empty landing zone, as S3 has no
        folders). Each listing replaces what reads are checked against.
        """
        from botocore.exceptions import ClientError

        missing = f"Landing zone not found: no bucket {self.bucket!r} ({self.url})"
        lead = self._lead
        found: list[LandingFile] = []
        versions: dict[str, tuple[str, str]] = {}
        listed: dict[str, tuple[int, str]] = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=lead)
            for page in pages:
                for obj in page.get("Contents") or ():
                    key = obj["Key"]
                    if key.endswith("/") or not key.startswith(lead) or key == lead:
                        continue  # folder markers ("3201/", made by consoles), or the prefix itself
                    rel = key[len(lead) :]
                    *dirs, base = rel.split("/")
                    if is_litter(base) or any(not d or d.startswith(".") for d in dirs):
                        continue  # same rules as LocalLanding: litter files, hidden folders
                    size, etag = int(obj.get("Size") or 0), str(obj.get("ETag") or "")
                    shown = escaped_name(rel)
                    if shown != rel:  # a key with a line break in it: named safely, never read
                        found.append(LandingFile(shown, size, _utc(obj.get("LastModified")), NAME_REFUSED))
                        continue
                    found.append(LandingFile(rel, size, _utc(obj.get("LastModified"))))
                    versions[rel] = (etag, str(obj.get("LastModified") or ""))
                    listed[rel] = (size, etag)
        except ClientError as exc:
            error = _os_error(exc, self.url)
            if isinstance(error, FileNotFoundError):
                raise FileNotFoundError(missing) from exc
            raise error from exc
        found.sort(key=lambda f: f.path)
        self.listed_versions = versions
        self._listed = listed
        return found

    def _current(self, file: LandingFile) -> tuple[int, str]:
        """(size, ETag) to read `file` against: the last listing's, else a HEAD's.

        LandingFileChanged when the size is not the one `file` was listed with."""
        from botocore.exceptions import ClientError

        where = self._where(file)
        if file.refused:
            raise LandingFileChanged(f"{where}: {file.refused}")
        if file.path in self._listed:
            size, etag = self._listed[file.path]
        else:
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._lead + file.path)
            except ClientError as exc:
                raise _os_error(exc, where) from exc
            size, etag = int(head.get("ContentLength") or 0), str(head.get("ETag") or "")
        if size != file.size:
            raise LandingFileChanged(
                f"{where}: listed at {file.size} bytes, now {size}; replaced after listing"
            )
        return size, etag

    def _get_range(
        self, file: LandingFile, etag: str, start: int, end: int, *, midway: bool = False
    ) -> bytes:
        """Bytes [start, end) of the object, only if its ETag is still `etag` (If-Match)."""
        from botocore.exceptions import ClientError

        where = self._where(file)
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._lead + file.path,
            "Range": f"bytes={start}-{end - 1}",
        }
        if etag:
            kwargs["IfMatch"] = etag
        try:
            response = self.client.get_object(**kwargs)
            with response["Body"] as body:
                data = body.read()
        except ClientError as exc:
            error = _os_error(exc, where)
            if midway and isinstance(error, LandingFileChanged):
                error = LandingFileChanged(f"{where}: replaced while being read (ETag changed)")
            raise error from exc
        return data

    def open(self, file: LandingFile, block_size: int = STREAM_BLOCK_BYTES) -> _ObjectReader:
        """A binary reader over the object, for streaming (hashing): memory ~ `block_size`.

        Same guarantees as read_bytes: the size is checked against the listing before any
        byte is read, every ranged GET is conditional on the opening ETag, and the reader
        ends at the listed size. A replaced object raises LandingFileChanged, at open or
        at the read that meets the change.
        """
        _, etag = self._current(file)
        return _ObjectReader(self, file, etag, block_size)

    def read_bytes(self, file: LandingFile) -> bytes:
        """The object's bytes, never more than the listed `file.size`.

        The object's size and ETag come from the last listing of this landing or from a HEAD,
        and the size is compared with `file.size` before any byte is read. The GET is a ranged
        read of at most `file.size` bytes, conditional on that ETag (If-Match): an object
        replaced after listing raises LandingFileChanged, whatever its new size, and a deleted
        one FileNotFoundError.
        """
        _, etag = self._current(file)
        data = self._get_range(file, etag, 0, file.size) if file.size else b""
        if len(data) != file.size:
            raise LandingFileChanged(f"{self._where(file)}: read {len(data)} of {file.size} bytes")
        return data


def _utc(value) -> dt.datetime | None:
    """S3's LastModified (an aware datetime from botocore) as naive UTC, like the ledger's times."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


class _ObjectReader:
    """A read-only binary file over one object: ranged GETs of `block_size`, each conditional
    on the ETag seen at opening, ending at the listed size."""

    def __init__(self, landing: ObjectLanding, file: LandingFile, etag: str, block_size: int):
        self._landing = landing
        self._file = file
        self.etag = etag  # the version this reader reads (ingest.listing_cache records it)
        self.size: int = file.size
        self._block = max(1, block_size)
        self._pos = 0  # next byte to fetch
        self._buffer = b""  # the block fetched last
        self._offset = 0  # what of it was returned

    def _fetch(self) -> None:
        end = min(self.size, self._pos + self._block)
        data = self._landing._get_range(self._file, self.etag, self._pos, end, midway=self._pos > 0)
        if len(data) != end - self._pos:
            raise LandingFileChanged(
                f"{self._landing._where(self._file)}: read {self._pos + len(data)} of {self.size} bytes"
            )
        self._pos = end
        self._buffer, self._offset = data, 0

    def read(self, size: int = -1) -> bytes:
        want = self.size if size is None or size < 0 else size
        chunks: list[bytes] = []
        while want > 0:
            if self._offset >= len(self._buffer):
                if self._pos >= self.size:
                    break
                self._fetch()
            chunk = self._buffer[self._offset : self._offset + want]
            self._offset += len(chunk)
            want -= len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._buffer, self._offset = b"", 0

    def __enter__(self) -> _ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
