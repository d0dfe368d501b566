"""Content hashes of landing objects, reused while the object is unchanged.

Discovery keys every file by its SHA-256. On object storage, hashing means downloading, so
a night that hashed every object would cost as much as the landing zone's whole history
however little is new. An object whose key, size and version (ETag and LastModified, from
the listing discovery makes anyway) are those recorded when it was last hashed has the same
bytes: S3 gives an overwritten key a new ETag and LastModified. Its recorded hash is reused
and nothing is downloaded; any difference, or an object listed without an ETag, is hashed
again.

A hash is recorded only when the reader that computed it opened the very version the
listing named (its ETag), so a replacement racing discovery is never paired with the old
bytes' hash. The record is a small JSON file per landing URL under the var folder: a
cache, not the ledger; losing it costs one night of downloads.

A local folder's version of a file is its (inode, size, mtime_ns, ctime_ns): copy tools can
preserve an mtime, but any write or rename gives the file a new ctime, which no user call
can set back. It is taken before and after hashing, and recorded only when both agree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.ingest.landing import LandingFile, LocalLanding, sha256_of

log = logging.getLogger(__name__)

FORMAT = 1


def cache_path(landing_url: str) -> Path:
    key = hashlib.sha256(landing_url.rstrip("/").encode()).hexdigest()[:16]
    return settings.var_dir() / "landing-hashes" / f"{key}.json"


class ListingHashCache:
    """Recorded hashes of one landing zone's objects: path -> (size, etag, last_modified, sha256)."""

    def __init__(self, landing: Any):
        self.landing = landing
        self.path = cache_path(landing.url)
        self.local = isinstance(landing, LocalLanding)
        self.versions: dict[str, tuple[str, str]] = getattr(landing, "listed_versions", None) or {}
        self.recorded: dict[str, list] = {}
        self.reused = self.hashed = 0
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT and data.get("url") == landing.url:
                self.recorded = data.get("objects") or {}
        except (OSError, ValueError):
            pass  # no record yet, or unreadable: hash everything this night
        self.current: dict[str, list] = {}

    def _local_version(self, file: LandingFile) -> tuple[str, str] | None:
        try:
            st = os.stat(self.landing.root / file.path)
        except OSError:
            return None
        if st.st_size != file.size:
            return None
        return (f"{st.st_ino}:{st.st_size}", f"{st.st_mtime_ns}:{st.st_ctime_ns}")

    def sha256(self, file: LandingFile) -> str:
        """The object's SHA-256: recorded when its key, size and version are unchanged, else hashed."""
        if self.local:
            return self._local_sha256(file)
        version = self.versions.get(file.path)
        entry = self.recorded.get(file.path)
        if version and version[0] and entry and entry[:3] == [file.size, *version]:
            self.reused += 1
            self.current[file.path] = entry
            return entry[3]
        sha, opened_etag = self._hash(file)
        self.hashed += 1
        if version and version[0] and opened_etag == version[0]:
            self.current[file.path] = [file.size, version[0], version[1], sha]
        return sha

    def _local_sha256(self, file: LandingFile) -> str:
        before = self._local_version(file)
        entry = self.recorded.get(file.path)
        if before and entry and entry[:3] == [file.size, *before]:
            self.reused += 1
            self.current[file.path] = entry
            return entry[3]
        sha = sha256_of(self.landing, file)
        self.hashed += 1
        if before and self._local_version(file) == before:
            self.current[file.path] = [file.size, *before, sha]
        return sha

    def _hash(self, file: LandingFile) -> tuple[str, str | None]:
        digest = hashlib.sha256()
        with self.landing.open(file) as reader:
            while block := reader.read(1 << 20):
                digest.update(block)
            # The ETag every ranged GET of this reader was conditional on (ObjectLanding.open).
            return digest.hexdigest(), getattr(reader, "etag", None)

    def save(self) -> None:
        """Write what this listing holds (objects gone from the landing zone drop out)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"format": FORMAT, "url": self.landing.url, "objects": self.current}), encoding="utf-8"
        )
        os.replace(tmp, self.path)
        log.info("landing hashes: %d reused, %d downloaded and hashed", self.reused, self.hashed)


def hasher_for(landing: Any):
    """A `file -> sha256` function for discovery, and a `finish()` to call once all are hashed."""
    if not hasattr(landing, "listed_versions") and not isinstance(landing, LocalLanding):
        return (lambda f: sha256_of(landing, f)), (lambda: None)
    cache = ListingHashCache(landing)

    def finish() -> None:
        try:
            cache.save()
        except OSError:  # a read-only var folder costs the next night downloads, not this run
            log.warning("could not record landing hashes in %s", cache.path, exc_info=True)

    return cache.sha256, finish
