"""Names are data, never text structure: a file, sheet or column name as it may be shown.

A name comes from whoever uploads (a landing file name, an object key, a sheet name typed in
Excel). Written into a mail body, a report, a log line or a CSV, a line break in it would
start a new line that looks like the project's own (a fake `Bcc:` in a mail body, a fake log
entry), and a right-to-left override would show the name backwards. `printable_name` is the
one helper that makes such a name safe to render: bytes that are not UTF-8 (kept by the OS
as surrogate escapes) become `\\xNN`, and control and layout characters become `\\xNN` or
`\\uNNNN`; every other character, Indonesian or not, is kept as typed.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, line and paragraph separators, and the bidirectional
# embedding / override / isolate marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_name(name: str) -> str:
    """`name` with what is not safe to render escaped; unchanged when it is already safe."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escaped, name)


__all__ = ["printable_name"]
