"""The landing zone: where regencies drop their workbooks, one folder per region code.

A local folder by default; `s3://bucket/prefix` in production (see `open_landing`).
Every file is a submission attempt, whatever its extension, except the litter that
operating systems and Excel leave behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to the landing zone, "/"-separated
    size: int

    @property
    def folder(self) -> str | None:
        """The first path component: the sender's region code (None at the top level)."""
        head, sep, _ = self.path.partition("/")
        return head if sep else None


def is_litter(name: str) -> bool:
    return name.startswith((".", "~$")) or name.lower() in IGNORED_NAMES


class LocalLanding:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.url = str(self.root)

    def list_files(self) -> list[LandingFile]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"Landing zone not found: {self.root}")
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if is_litter(name):
                    continue
                full = Path(dirpath) / name
                rel = full.relative_to(self.root).as_posix()
                found.append(LandingFile(rel, full.stat().st_size))
        return found

    def read_bytes(self, file: LandingFile) -> bytes:
        return (self.root / file.path).read_bytes()

    def open(self, file: LandingFile):
        return open(self.root / file.path, "rb")


def modified_at(landing, file: LandingFile):
    """When the file was written to the landing zone (UTC, naive), or None when unknown.

    A submission's time for deadlines (contract section 6: `uploaded_at`)."""
    import datetime as dt

    if not isinstance(landing, LocalLanding):
        return None
    try:
        mtime = (landing.root / file.path).stat().st_mtime
    except OSError:
        return None
    return dt.datetime.fromtimestamp(mtime, dt.UTC).replace(tzinfo=None)


def open_landing(url: str):
    """A landing zone by URL: a local path, or s3://bucket/prefix (see smartprov.ingest.object_landing)."""
    if "://" in url and not url.startswith("file://"):
        from smartprov.ingest.object_landing import ObjectLanding

        return ObjectLanding(url)
    return LocalLanding(url.removeprefix("file://"))


def sha256_of(landing, file: LandingFile, chunk: int = 1 << 20) -> str:
    """SHA-256 of a landing file, streamed so that an oversized file costs no memory."""
    import hashlib

    digest = hashlib.sha256()
    with landing.open(file) as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
