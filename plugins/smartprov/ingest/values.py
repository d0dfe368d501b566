"""Cell readers: one raw spreadsheet cell -> its contract type. Pure functions, no I/O.

Raw cells are what python-calamine returns: str, int, float, bool, datetime.date,
datetime.datetime, datetime.time, datetime.timedelta, or None / "" for an empty cell
(numpy scalars and pandas timestamps are accepted too). `read_cell` returns the parsed
value, None for an empty cell, or raises `CellError` telling what was expected.

The forms accepted are those of the submission contract (section 3): Indonesian and
English number forms (an ambiguous `1.500` is read the Indonesian way: 1500), rupiah
amounts such as `Rp 1.500.000.000,-`, `1,5 M` or `750 jt` (`M` is always miliar, never
million), percentages, Ya/Tidak, dates with Indonesian month names, region codes.

Speed matters (tens of thousands of rows per run): the common path (a cell that is
already a number) does no string work, and every pattern is compiled once.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from smartprov.contract import catalogue as contract
from smartprov.contract.email import read_email
from smartprov.contract.spreadsheet import neutralise
from smartprov.contract.suggest import enum_key
from smartprov.contract.suggest import suggest as closest_value

__all__ = [
    "CellError",
    "canonical_region_name",
    "is_empty",
    "neutralise",
    "read_cell",
    "region_name_matches",
    "split_region_name",
    "suggest",
]


class CellError(Exception):
    """A cell that cannot be read as its type.

    `rule` is "TYPE" or "ENUM"; `expected_id` / `expected_en` describe what was expected
    (they complete "cannot be read as …"); `suggestion` is the closest allowed value for
    an ENUM error, or None.
    """

    def __init__(self, rule: str, expected_id: str, expected_en: str, suggestion: str | None = None):
        super().__init__(
            f"{rule}: expected {expected_en}" + (f" (did you mean {suggestion}?)" if suggestion else "")
        )
        self.rule = rule
        self.expected_id = expected_id
        self.expected_en = expected_en
        self.suggestion = suggestion


# What each type expects, (Indonesian, English); these complete the TYPE message
# "… tidak dapat dibaca sebagai {expected_id}" / "… cannot be read as {expected_en}".
EXPECTED: dict[str, tuple[str, str]] = {
    "text": ("teks", "text"),
    "code": ("kode (teks)", "a code (text)"),
    "year": ("tahun (4 digit, mis. 2022)", "a year (4 digits, e.g. 2022)"),
    "number": ("angka (mis. 1.500 atau 3,31)", "a number (e.g. 1.500 or 3,31)"),
    "score": ("angka (mis. 3 atau 3,5)", "a number (e.g. 3 or 3,5)"),
    "money": (
        "nilai rupiah (mis. 1.500.000.000, Rp 1,5 M atau 750 jt)",
        "an amount in rupiah (e.g. 1.500.000.000, Rp 1,5 M or 750 jt)",
    ),
    "percent": ("persentase (mis. 75 atau 75%)", "a percentage (e.g. 75 or 75%)"),
    "boolean": ("Ya atau Tidak", "Ya or Tidak"),
    "date": (
        "tanggal (mis. 20/09/2022, 2022-09-20 atau 20 September 2022)",
        "a date (e.g. 20/09/2022, 2022-09-20 or 20 September 2022)",
    ),
    "email": (
        "alamat e-mail (mis. diskominfo@bandungkab.go.id)",
        "an e-mail address (e.g. diskominfo@bandungkab.go.id)",
    ),
    "region_code": (
        "kode wilayah Kemendagri PP.RR (mis. 32.04)",
        "a Kemendagri region code PP.RR (e.g. 32.04)",
    ),
}


def _type_error(type_name: str) -> CellError:
    expected_id, expected_en = EXPECTED[type_name]
    return CellError("TYPE", expected_id, expected_en)


# -- empty -------------------------------------------------------------------------------
_EMPTY_STRINGS = contract.EMPTY_MARKERS  # compared after strip().lower(): "", "-", "n/a"


def is_empty(raw: Any) -> bool:
    """None, "", whitespace, "-", "N/A"/"n/a" (and NaN / NaT / pd.NA) are empty."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip().lower() in _EMPTY_STRINGS
    t = type(raw)
    if t is int or t is bool:
        return False
    if t is float:
        return raw != raw  # NaN
    try:
        return bool(raw != raw)  # NaT; pd.NA's comparison raises below
    except TypeError:
        return True  # pd.NA: "boolean value of NA is ambiguous"


# -- plain scalars -----------------------------------------------------------------------
def _unbox(raw: Any) -> Any:
    """numpy scalars -> Python scalars; anything else unchanged."""
    item = getattr(raw, "item", None)
    if item is not None and not isinstance(raw, (str, dt.date, dt.time, dt.timedelta)):
        try:
            return item()
        except (TypeError, ValueError):
            return raw
    return raw


def _as_real(raw: Any) -> float | None:
    """A numeric cell as float (bool excluded); None when the cell is not numeric."""
    t = type(raw)
    if t is float or t is int:
        return float(raw)
    if t is bool or isinstance(raw, (str, dt.date, dt.time, dt.timedelta)):
        return None
    raw = _unbox(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    return None


def _fmt_float(x: float) -> str:
    """2022.0 -> "2022", 0.1 -> "0.1" (shortest round-trip form)."""
    if x.is_integer():
        return str(int(x))
    return repr(x)


# -- numbers ----------------------------------------------------------------------------
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_SPACED_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d*)?")
_INT = re.compile(r"\d+")
# 1.500 / 1.500.000,00 / 1.500, : Indonesian thousands dots (leading group 1-9..)
_ID_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,(\d*))?")
# 1,500,000 / 1,500.00 / 1,500,000.00 : English (a single ",ddd" group without a
# decimal part is ambiguous and read the Indonesian way, as a decimal comma)
_EN_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:(?:,\d{3}){2,}(?:\.\d*)?|,\d{3}\.\d*)")
_DECIMAL_COMMA = re.compile(r"\d*,\d+|\d+,")
_DECIMAL_DOT = re.compile(r"\d*\.\d+|\d+\.")
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")


def _parse_number_text(text: str) -> float | None:
    """Indonesian or English number text -> float; None when it is not a number."""
    s = text.strip()
    if not s:
        return None
    sign = 1.0
    if s[0] in "+-\u2212":
        if s[0] != "+":
            sign = -1.0
        s = s[1:].lstrip()
    elif s[0] == "(" and s[-1] == ")":  # accounting negative: (1.500)
        sign = -1.0
        s = s[1:-1].strip()
    if not s:
        return None
    if _INT.fullmatch(s):
        return sign * float(s)
    if _SPACED_THOUSANDS.fullmatch(s):
        s = _SPACES.sub("", s)
        if _INT.fullmatch(s):
            return sign * float(s)
    if _ID_THOUSANDS.fullmatch(s):
        whole, _, frac = s.partition(",")
        return sign * float(whole.replace(".", "") + "." + (frac or "0"))
    if _EN_THOUSANDS.fullmatch(s):
        return sign * float(s.replace(",", "") + ("0" if s.endswith(".") else ""))
    if _DECIMAL_COMMA.fullmatch(s):
        whole, _, frac = s.partition(",")
        return sign * float((whole or "0") + "." + (frac or "0"))
    if _DECIMAL_DOT.fullmatch(s):
        whole, _, frac = s.partition(".")
        return sign * float((whole or "0") + "." + (frac or "0"))
    if _SCIENTIFIC.fullmatch(s):
        return sign * float(s.replace(",", "."))
    return None


def _read_number(raw: Any, type_name: str = "number") -> float:
    x = _as_real(raw)
    if x is None:
        if not isinstance(raw, str):
            raise _type_error(type_name)
        x = _parse_number_text(raw)
        if x is None:
            raise _type_error(type_name)
    if not math.isfinite(x):
        raise _type_error(type_name)
    return x


def _read_score(raw: Any) -> float:
    return _read_number(raw, "score")


# -- money ------------------------------------------------------------------------------
_MONEY_PREFIX = re.compile(r"^(?:[-+\u2212]\s*)?(?:rp\.?|idr)\s*", re.IGNORECASE)
_MONEY_DASH_ZERO = re.compile(r"\s*[.,]?\s*-+\s*")
_MONEY_UNIT = re.compile(
    r"^(.*?\d[.,]?)\s*(triliun|trilyun|t|miliar|milyar|m|juta|jt|ribu|rb)\.?$", re.IGNORECASE
)
_UNITS = {
    "t": 1e12,
    "triliun": 1e12,
    "trilyun": 1e12,
    "m": 1e9,  # miliar: "M" is never "million"
    "miliar": 1e9,
    "milyar": 1e9,
    "jt": 1e6,
    "juta": 1e6,
    "rb": 1e3,
    "ribu": 1e3,
}


def _strip_money_tail(s: str) -> str:
    """Drop a trailing "rupiah" and the ",-" / ".-" / "-" of "Rp 1.500.000,-"."""
    s = s.rstrip()
    if s[-6:].lower() == "rupiah":
        s = s[:-6].rstrip()
    if s.endswith("-"):
        s = s.rstrip("-").rstrip()
        if s.endswith((",", ".")):
            s = s[:-1].rstrip()
    return s


def _read_money(raw: Any) -> float:
    x = _as_real(raw)
    if x is not None:
        if not math.isfinite(x):
            raise _type_error("money")
        return x
    if not isinstance(raw, str):
        raise _type_error("money")
    s = raw.strip()
    prefix = _MONEY_PREFIX.match(s)
    negative = prefix is not None and s[:1] in ("-", "\u2212")  # "-Rp 1.000"
    if prefix is not None:
        s = s[prefix.end() :]
        if _MONEY_DASH_ZERO.fullmatch(s):
            return 0.0  # "Rp -": the accounting format's zero
    s = _strip_money_tail(s)
    if not s:
        raise _type_error("money")
    factor = 1.0
    if s[-1].isalpha() or s[-1] == ".":  # "1,5 M", "750 jt."
        unit = _MONEY_UNIT.match(s)
        if unit is not None:
            s, factor = unit.group(1), _UNITS[unit.group(2).lower()]
    x = _parse_number_text(s)
    if x is None or not math.isfinite(x):
        raise _type_error("money")
    x *= factor
    if negative:
        x = -x
    return round(x, 2) if factor != 1.0 else x


# -- percent ----------------------------------------------------------------------------
def _read_percent(raw: Any, percent_formatted: bool = False) -> float:
    x = _as_real(raw)
    if x is not None:
        if not math.isfinite(x):
            raise _type_error("percent")
        # A percent-formatted cell holds the fraction: 0.75 shown as 75%.
        return round(x * 100.0, 10) if percent_formatted else x
    if not isinstance(raw, str):
        raise _type_error("percent")
    s = raw.strip()
    if s.endswith("%"):
        s = s[:-1]
    x = _parse_number_text(s)
    if x is None or not math.isfinite(x):
        raise _type_error("percent")
    return x


# -- year -------------------------------------------------------------------------------
_YEAR_TEXT = re.compile(r"(\d{4})(?:[.,]0+)?")


def _read_year(raw: Any) -> int:
    x = _as_real(raw)
    if x is None:
        if not isinstance(raw, str):
            raise _type_error("year")
        m = _YEAR_TEXT.fullmatch(raw.strip())
        if m is None:
            raise _type_error("year")
        x = float(m.group(1))
    if not math.isfinite(x) or not x.is_integer() or not 1000 <= x <= 9999:
        raise _type_error("year")
    return int(x)


# -- text, code -------------------------------------------------------------------------
def _to_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    t = type(raw)
    if t is float:
        return _fmt_float(raw)
    if t is int:
        return str(raw)
    if t is bool:
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    raw = _unbox(raw)
    if isinstance(raw, float):
        return _fmt_float(raw)
    return str(raw).strip()


def _read_text(raw: Any) -> str:
    return _to_text(raw)


# -- boolean ----------------------------------------------------------------------------
_TRUE = contract.TRUE_WORDS
_FALSE = contract.FALSE_WORDS
_BOOL_WORDS = {w: "Ya" for w in _TRUE} | {w: "Tidak" for w in _FALSE}


def _read_boolean(raw: Any) -> bool:
    if type(raw) is bool:
        return raw
    x = _as_real(raw)
    if x is not None:
        if x == 1:
            return True
        if x == 0:
            return False
        raise CellError("ENUM", *EXPECTED["boolean"], suggestion=None)
    if type(raw).__name__ == "bool_":  # numpy bool
        return bool(raw)
    key = _to_text(raw).lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError("ENUM", *EXPECTED["boolean"], suggestion=closest_value("yes_no", key))


# -- enums ------------------------------------------------------------------------------
_enum_key = enum_key  # case, surrounding and repeated spaces do not count


@functools.cache
def _enum_table(enum: str) -> dict[str, str]:
    """enum key -> canonical value, canonical values and aliases (contract.alias_map)."""
    if enum == "yes_no":
        return dict(_BOOL_WORDS)
    return {_enum_key(k): v for k, v in contract.alias_map(enum).items()}


def _enum_expected(enum: str) -> tuple[str, str]:
    allowed = ", ".join(contract.allowed_values(enum))
    return f"salah satu dari: {allowed}", f"one of: {allowed}"


def suggest(enum: str, raw: Any) -> str | None:
    """The allowed (canonical) value closest to `raw`, or None when nothing is close."""
    if is_empty(raw):
        return None
    return closest_value(enum, _to_text(raw))


def _read_enum(raw: Any, enum: str | None) -> str:
    if enum is None:
        raise ValueError("read_cell('enum', …) needs enum=")
    table = _enum_table(enum)
    key = _enum_key(_to_text(raw))
    value = table.get(key)
    if value is None:
        raise CellError("ENUM", *_enum_expected(enum), suggestion=closest_value(enum, key))
    return value


# -- lists: funding sources, agencies ---------------------------------------------------
_LIST_SEPARATORS = ",/;"


@functools.cache
def _funding_matcher(enum: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Known values first (so "APBD Kab/Kota" is not split at its slash), longest first."""
    table = _enum_table(enum)
    alternatives = []
    for key in sorted(table, key=len, reverse=True):
        words = re.split(r"\s+", key)
        pattern = r"\s+".join(re.escape(w) for w in words)
        pattern = pattern.replace(r"/", r"\s*/\s*")  # "APBD Kab / Kota"
        alternatives.append(pattern)
    sep = re.escape(_LIST_SEPARATORS)
    regex = re.compile(rf"(?:{'|'.join(alternatives)})(?=\s*(?:[{sep}]|$))", re.IGNORECASE)
    return regex, table


_LIST_PART_END = re.compile(r"[,/;]")


def _read_funding_sources(raw: Any, enum: str | None) -> list[str] | None:
    enum = enum or "funding_source"
    if not isinstance(raw, str):
        raise CellError("ENUM", *_enum_expected(enum), suggestion=None)
    regex, table = _funding_matcher(enum)
    text, pos, out = raw, 0, []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch.isspace() or ch in _LIST_SEPARATORS:
            pos += 1
            continue
        m = regex.match(text, pos)
        if m is not None:
            value = table[_enum_key(m.group(0).replace("/", " / ")).replace(" / ", "/")]
            if value not in out:
                out.append(value)
            pos = m.end()
            continue
        end = _LIST_PART_END.search(text, pos)
        part = text[pos : end.start() if end else n]
        if is_empty(part):  # "APBN, -"
            pos = end.end() if end else n
            continue
        raise CellError("ENUM", *_enum_expected(enum), suggestion=closest_value(enum, part))
    return out or None


_AGENCY_SPLIT = re.compile(r"[;,]")


def _read_agencies(raw: Any) -> list[str] | None:
    out: list[str] = []
    seen: set[str] = set()
    for part in _AGENCY_SPLIT.split(_to_text(raw)):
        name = " ".join(part.split())
        if is_empty(name) or name.lower() in seen:
            continue
        seen.add(name.lower())
        out.append(name)
    return out or None


# -- dates ------------------------------------------------------------------------------
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Numbers read as dates only in a plausible window (1 Jan 1950 .. 31 Dec 9999): a year
# typed into a date cell (2022) must not silently become 14 July 1905.
_SERIAL_MIN = (dt.date(1950, 1, 1) - _EXCEL_EPOCH).days
_SERIAL_MAX = (dt.date(9999, 12, 31) - _EXCEL_EPOCH).days

MONTHS: dict[str, int] = {
    # Indonesian, with the usual short and old spellings
    "januari": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2,
    "maret": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agust": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12,
    # English
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "aug": 8, "october": 10, "oct": 10, "december": 12, "dec": 12,
}  # fmt: skip

_WEEKDAY = (
    r"(?:(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tue|wed|thu|fri|sat|sun)\.?\s*,?\s+)?"
)
_TIME = r"(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?"
_DATE_ISO = re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}")
_DATE_DMY = re.compile(rf"(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}")
_DATE_D_MON_Y = re.compile(
    rf"{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+|\s*[-/.]\s*)([a-z]+)\.?(?:\s+|\s*[-/.,]\s*)(\d{{4}}|\d{{2}})",
    re.IGNORECASE,
)
_DATE_MON_D_Y = re.compile(
    rf"{_WEEKDAY}([a-z]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})", re.IGNORECASE
)


def _year4(text: str) -> int:
    y = int(text)
    return 2000 + y if len(text) == 2 else y


def _make_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _type_error("date") from None


def _parse_date_text(text: str) -> dt.date:
    s = " ".join(text.split())
    m = _DATE_ISO.fullmatch(s)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_DMY.fullmatch(s)
    if m:  # always day first: 03/04/2022 is 3 April
        return _make_date(_year4(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _DATE_D_MON_Y.fullmatch(s)
    if m:
        month = MONTHS.get(m.group(2).lower())
        if month:
            return _make_date(_year4(m.group(3)), month, int(m.group(1)))
    m = _DATE_MON_D_Y.fullmatch(s)
    if m:
        month = MONTHS.get(m.group(1).lower())
        if month:
            return _make_date(int(m.group(3)), month, int(m.group(2)))
    raise _type_error("date")


def _read_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        return _parse_date_text(raw)
    x = _as_real(raw)
    if x is None or not math.isfinite(x) or not _SERIAL_MIN <= x < _SERIAL_MAX + 1:
        raise _type_error("date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(x))  # the fraction is the time of day


# -- e-mail -----------------------------------------------------------------------------
def _read_email(raw: Any) -> str:
    address = read_email(raw)
    if address is None:
        raise _type_error("email")
    return address


# -- region codes -----------------------------------------------------------------------
_REGION_DOTTED = re.compile(r"(\d{2})[.,](\d{2})")
_REGION_DIGITS = re.compile(r"\d{4}")


def _read_region_code(raw: Any) -> str:
    """ "32.04", "3204", 3204 -> "32.04". Existence is not checked here.

    A number cell 32.04 is read as "32.04"; so is 32.1, because Excel turns a typed
    "32.10" into the number 32.1. The text "32.4" is not a code.
    """
    x = _as_real(raw)
    if x is not None:
        if not math.isfinite(x):
            raise _type_error("region_code")
        if x.is_integer():
            if not 1000 <= x <= 9999:
                raise _type_error("region_code")
            digits = str(int(x))
            return f"{digits[:2]}.{digits[2:]}"
        hundredths = round(x * 100)
        if 1000 <= hundredths <= 9999 and abs(x * 100 - hundredths) < 1e-6:
            return f"{x:.2f}"
        raise _type_error("region_code")
    if not isinstance(raw, str):
        raise _type_error("region_code")
    s = raw.strip()
    m = _REGION_DOTTED.fullmatch(s)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    if _REGION_DIGITS.fullmatch(s):
        return f"{s[:2]}.{s[2:]}"
    raise _type_error("region_code")


# -- dispatch ---------------------------------------------------------------------------
_SIMPLE_READERS: dict[str, Callable[[Any], Any]] = {
    "text": _read_text,
    "code": _read_text,
    "year": _read_year,
    "number": _read_number,
    "score": _read_score,
    "money": _read_money,
    "boolean": _read_boolean,
    "agencies": _read_agencies,
    "date": _read_date,
    "email": _read_email,
    "region_code": _read_region_code,
}


def read_cell(type_name: str, raw: Any, *, enum: str | None = None, percent_formatted: bool = False) -> Any:
    """Read one raw cell as `type_name`; None when empty; raises CellError.

    Returns: text/code -> str; year -> int; number/score/money/percent -> float (percent
    on the 0-100 scale); boolean -> bool; enum -> canonical str; funding_sources and
    agencies -> list[str]; date -> datetime.date; email, region_code -> str.
    """
    t = type(raw)
    # fast path: a plain number in a numeric column
    if t is float or t is int:
        if type_name == "number" or type_name == "money" or type_name == "score":
            if t is float and not math.isfinite(raw):
                if raw != raw:
                    return None
                raise _type_error(type_name)
            return float(raw)
        if type_name == "percent":
            if raw != raw:
                return None
            return _read_percent(raw, percent_formatted)
    if is_empty(raw):
        return None
    reader = _SIMPLE_READERS.get(type_name)
    if reader is not None:
        return reader(raw)
    if type_name == "percent":
        return _read_percent(raw, percent_formatted)
    if type_name == "enum":
        return _read_enum(raw, enum)
    if type_name == "funding_sources":
        return _read_funding_sources(raw, enum)
    raise ValueError(f"unknown cell type {type_name!r}")


# -- region names -----------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Leading words (after punctuation became spaces) -> region type. Longest first.
_NAME_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("pemerintah", "kabupaten"), "kabupaten"),
    (("pemerintah", "kab"), "kabupaten"),
    (("pemerintah", "kota"), "kota"),
    (("pemkab",), "kabupaten"),
    (("kabupaten",), "kabupaten"),
    (("kab",), "kabupaten"),
    (("pemkot",), "kota"),
    (("kotamadya",), "kota"),
    (("kotamadia",), "kota"),
    (("kodya",), "kota"),
    (("kota",), "kota"),
    (("kot",), "kota"),
)
_ADMINISTRATIVE = frozenset({"administrasi", "adm"})


def split_region_name(name: str) -> tuple[str | None, str]:
    """ "Kab. Bandung" -> ("kabupaten", "bandung"); "Bandung" -> (None, "bandung")."""
    words = _NON_ALNUM.sub(" ", str(name).lower()).split()
    kind = None
    for prefix, prefix_kind in _NAME_PREFIXES:
        if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
            kind, words = prefix_kind, words[len(prefix) :]
            break
    if kind is not None and len(words) > 1 and words[0] in _ADMINISTRATIVE:
        words = words[1:]  # "Kota Administrasi Jakarta Pusat"
    return kind, " ".join(words)


def canonical_region_name(name: str) -> str:
    """Comparable form of a regency name: "KAB. BANDUNG" -> "kabupaten bandung",
    "Kota Adm. Jakarta Pusat" -> "kota jakarta pusat", "Bandung" -> "bandung"."""
    kind, base = split_region_name(name)
    return f"{kind} {base}" if kind else base


def _base_key(base: str) -> str:
    return base.replace(" ", "")  # "Toli-Toli" == "Tolitoli"


@functools.cache
def _base_name_counts() -> Counter[str]:
    return Counter(_base_key(split_region_name(r.name)[1]) for r in contract.regions().values())


def region_name_matches(given: str, official_name: str, official_type: str) -> bool:
    """Whether a typed regency name names the official one.

    "Kab. Bandung", "Kabupaten Bandung", "KAB BANDUNG" match Kabupaten Bandung; "Kota
    Bandung" does not. A bare base name matches only when no other regency in the
    country has that base name ("Garut" matches; "Bandung" is kabupaten and kota).
    """
    kind, base = split_region_name(given)
    _, official_base = split_region_name(official_name)
    key = _base_key(base)
    if not key or key != _base_key(official_base):
        return False
    if kind is not None:
        return kind == official_type.strip().lower()
    return _base_name_counts()[key] == 1
