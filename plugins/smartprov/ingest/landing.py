"""The landing zone: where regencies drop their workbooks, one folder per region code.

A local folder by default; `s3://bucket/prefix` in production (see `open_landing`).
Every regular file is a submission attempt, whatever its extension, except the litter that
operating systems and Excel leave behind. Anything else met while listing a local folder is
reported, never opened: a symbolic link (never followed, so nothing outside the landing root
is read), a FIFO, socket or device, a name that is not UTF-8. Each comes back as a
`LandingFile` whose `refused` says why (Indonesian / English), so that the sender is told.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path

from smartprov.ingest.landing_file import (
    IGNORED_NAMES,
    NAME_REFUSED,
    LandingFile,
    LandingFileChanged,
    escaped_name,
    is_litter,
)

__all__ = [
    "IGNORED_NAMES",
    "LandingFile",
    "LandingFileChanged",
    "LocalLanding",
    "NAME_REFUSED",
    "escaped_name",
    "is_litter",
    "open_landing",
    "sha256_of",
]


def utc_from_timestamp(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None, microsecond=0)


SYMLINK_REFUSED = (
    "tautan simbolik (symlink) tidak diikuti; unggah berkas .xlsx itu sendiri / "
    "a symbolic link, never followed; upload the .xlsx file itself"
)
SPECIAL_REFUSED = (
    "bukan berkas biasa (FIFO, soket atau perangkat) / not a regular file (FIFO, socket or device)"
)


class LocalLanding:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.url = str(self.root)

    def list_files(self) -> list[LandingFile]:
        """Regular files under the root (symbolic links never followed), and the entries refused."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"Landing zone not found: {self.root}")
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            links = [d for d in dirnames if os.path.islink(here / d)]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in links)
            for name in sorted([*filenames, *links]):
                if is_litter(name):
                    continue
                full = here / name
                rel = full.relative_to(self.root).as_posix()
                shown = escaped_name(rel)
                try:
                    st = os.lstat(full)
                except OSError:  # gone since the walk listed it: the next run sees what is there
                    continue
                when = utc_from_timestamp(st.st_mtime)
                if stat.S_ISLNK(st.st_mode):
                    found.append(LandingFile(shown, 0, when, SYMLINK_REFUSED))
                elif not stat.S_ISREG(st.st_mode):
                    found.append(LandingFile(shown, 0, when, SPECIAL_REFUSED))
                elif shown != rel:
                    found.append(LandingFile(shown, st.st_size, when, NAME_REFUSED))
                else:
                    found.append(LandingFile(rel, st.st_size, when))
        return found

    def open(self, file: LandingFile):
        """The file for reading, only if it is still the regular file that was listed.

        O_NOFOLLOW and O_NONBLOCK: a symbolic link swapped in is refused, a FIFO swapped in
        does not block; the opened descriptor is then checked to be a regular file."""
        if file.refused:
            raise LandingFileChanged(f"{file.path}: {file.refused}")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        flags |= getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.root / file.path, flags)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise LandingFileChanged(f"{file.path}: now a symbolic link") from exc
            raise
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise LandingFileChanged(f"{file.path}: no longer a regular file")
        return os.fdopen(fd, "rb")

    def read_bytes(self, file: LandingFile) -> bytes:
        """The file's bytes; LandingFileChanged when its size is not the listed one."""
        with self.open(file) as fh:
            data = fh.read(file.size + 1)
        if len(data) != file.size:
            raise LandingFileChanged(f"{file.path}: listed at {file.size} bytes, now {len(data)}")
        return data


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


# errno -> its words in Indonesian; English is the OS's own (strerror).
OS_ERRORS_ID = {
    errno.EACCES: "akses ditolak",
    errno.EPERM: "operasi tidak diizinkan",
    errno.EIO: "galat masukan/keluaran pada media penyimpanan",
    errno.EISDIR: "sebuah folder, bukan berkas",
    errno.ENXIO: "perangkat tidak tersedia",
    errno.ESTALE: "berkas jaringan kedaluwarsa",
}


def unreadable_reason(exc: OSError) -> str:
    """Why a landing file cannot be read, in words ("Indonesian / English"), for its finding:
    the OS error named, so that whoever keeps the landing zone knows what to fix."""
    words_en = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno or 0, "")
    words_id = OS_ERRORS_ID.get(exc.errno or 0, words_en)
    code = f", {name}" if name else ""
    return (
        f"berkas tidak dapat dibuka atau dibaca di zona unggah ({words_id}{code}); "
        f"minta pengelola zona unggah memeriksa izin berkas ini / "
        f"the file cannot be opened or read in the landing zone ({words_en}{code}); "
        f"ask whoever keeps the landing zone to check this file's permissions"
    )


def refused_sha256(file: LandingFile) -> str:
    """A stable key for an entry that is never opened (its content is not read): its kind
    and name, so the ledger records it once and a renamed or replaced entry is seen anew."""
    import hashlib

    return hashlib.sha256(f"refused\0{file.refused}\0{file.path}".encode()).hexdigest()
