"""The "did you mean …?" suggestion: the one suggestion function of the package.

The reader (an unknown Ya/Tidak or funding source), the GX suites (an unknown dimension,
element, status, pillar or aspect) and the cross-sheet rules (a program code that is not in
the masterplan) all suggest through `closest`, over the canonical values and their aliases.
A suggestion is only a hint: nothing is accepted because it is close to an allowed value.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable

from smartprov.contract import catalogue as contract

__all__ = ["SUGGEST_CUTOFF", "choices", "closest", "enum_key", "suggest"]

# SequenceMatcher ratio a suggestion needs: typos ("Smart Enviroment", "lingkungn") pass; other
# words do not ("Pertanian" vs the alias "Pemerintahan" is 0.67).
SUGGEST_CUTOFF = 0.75
_SMART = "smart "

# Names that are not aliases (they are not accepted) but point to one value: the six
# dimensions of the international "smart city wheel" that the Kominfo framework names otherwise.
HINTS: dict[str, dict[str, str]] = {
    "dimension": {
        "smart people": "Smart Society",
        "people": "Smart Society",
        "smart mobility": "Smart Living",
    },
}


def enum_key(text: str) -> str:
    """Case, surrounding and repeated spaces do not count."""
    return " ".join(str(text).split()).lower()


@functools.cache
def _table(enum: str) -> dict[str, str]:
    if enum == "yes_no":
        words = {w: "Ya" for w in contract.TRUE_WORDS} | {w: "Tidak" for w in contract.FALSE_WORDS}
    else:
        words = {enum_key(k): v for k, v in contract.alias_map(enum).items()}
    return words | HINTS.get(enum, {})


def choices(enum: str) -> dict[str, str]:
    """What `suggest` compares against: key (spelling, alias or hint) -> canonical value."""
    return dict(_table(enum))


def _similarity(a: str, b: str) -> float:
    # "Smart People" is not close to "Smart Society" just because both start with "Smart",
    # and "Goverment" is close to "Smart Governance": the prefix is left out of the comparison.
    return difflib.SequenceMatcher(None, a.removeprefix(_SMART), b.removeprefix(_SMART)).ratio()


def closest(text: str, table: dict[str, str]) -> str | None:
    """The value of `table` (key -> value) that `text` most likely means, or None."""
    key = enum_key(text)
    if not key:
        return None
    if key in table:
        return table[key]
    if len(key) >= 3:
        # A beginning ("lingk", "smart env", "apbd") points to what it begins; when it
        # begins several different values it is ambiguous: no suggestion.
        starts = {v for k, v in table.items() if k.startswith(key)}
        if len(starts) == 1:
            return next(iter(starts))
        if len(starts) > 1:
            return None
    # A known value inside a longer text ("Kesehatan Masyarakat", "Sampah Organik",
    # "Dana CSR"), when it points to one value only.
    words = set(key.split())
    inside = {v for k, v in table.items() if len(k) >= 3 and set(k.split()) <= words}
    if len(inside) == 1:
        return next(iter(inside))
    best, best_score = None, SUGGEST_CUTOFF
    for k, v in table.items():
        score = _similarity(key, k)
        if score > best_score or (score == best_score and best is None):
            best, best_score = v, score
    return best


def suggest(enum: str, text: str, among: Iterable[str] | None = None) -> str | None:
    """The canonical value of the named set `enum` closest to `text`; with `among`, only
    those values are considered (an element of the row's own dimension)."""
    table = _table(enum)
    if among is not None:
        allowed = set(among)
        table = {k: v for k, v in table.items() if v in allowed}
    return closest(text, table)
