"""One file of a landing zone, and the litter that is not a submission.

Shared by every landing backend (a local folder, object storage), so that the backends
depend on it and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass

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
