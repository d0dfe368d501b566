"""The e-mail address form of the contract: the one e-mail check of the package.

`email_kontak` is read with it (`read_email`: the forms people paste, such as
`mailto:a@x.id` or `<a@x.id>`, give the plain address), and every address the alerts
configuration names is checked with it (`is_email`: exactly one plain address).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_LENGTH", "is_email", "read_email"]

MAX_LENGTH = 254
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = re.compile(
    rf"({_ATOM}(?:\.{_ATOM})*)"  # local part: dot-separated atoms, no leading/trailing/double dot
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"  # host name, letters TLD
)


def read_email(text: Any) -> str | None:
    """The plain address in `text` (domain lower-cased), or None when it is not one address."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].strip()
    if s.startswith("<") and s.endswith(">"):
        s = s[1:-1].strip()
    m = _ADDRESS.fullmatch(s)
    if m is None or len(s) > MAX_LENGTH:
        return None
    return f"{m.group(1)}@{m.group(2).lower()}"


def is_email(value: Any) -> bool:
    """A single plain address (no display name, no separators, no line breaks)."""
    return isinstance(value, str) and len(value) <= MAX_LENGTH and _ADDRESS.fullmatch(value) is not None
