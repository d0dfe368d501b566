"""One file of a landing zone, and the litter that is not a submission.

Shared by every landing backend (a local folder, object storage), so that the backends
depend on it and not on each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from smartprov.contract.names import printable_name

IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


class LandingFileChanged(OSError):
    """The file is not what the listing saw (replaced, grown, shrunk, or no longer a regular
    file). Nothing of it is used: the run skips it and the next run takes it."""


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to the landing zone, "/"-separated (an escaped name when not UTF-8)
    size: int
    # When the object was written (LastModified / mtime, naive UTC); not part of its identity.
    uploaded_at: dt.datetime | None = field(default=None, compare=False)
    refused: str | None = None  # why it is not read at all ("Indonesian / English"), else None

    @property
    def folder(self) -> str | None:
        """The first path component: the sender's region code (None at the top level)."""
        head, sep, _ = self.path.partition("/")
        return head if sep else None


def is_litter(name: str) -> bool:
    return name.startswith((".", "~$")) or name.lower() in IGNORED_NAMES


NAME_REFUSED = (
    "nama berkas bukan UTF-8 atau memuat karakter kendali (mis. baris baru); ganti nama berkas "
    "lalu unggah ulang / the file name is not UTF-8 or holds control characters (such as a line "
    "break); rename the file and upload it again"
)


def escaped_name(name: str) -> str:
    """A name as text that can always be written (JSON, UTF-8 files, the ledger, a mail):
    bytes that are not UTF-8 become \\xNN, control characters (a line break) \\xNN too
    (`smartprov.contract.names.printable_name`)."""
    return printable_name(name)
