"""Safe reading of one submitted workbook (.xlsx) from its bytes.

`open_workbook` refuses hostile or broken files *before* python-calamine sees them, with a
`FileRejected` carrying a FILE_UNREADABLE or FILE_TOO_LARGE finding whose detail says what the
file looks like ("file terenkripsi (dilindungi kata sandi) / encrypted (password-protected)").
The checks are cheap (about a millisecond for a small workbook) and bounded in memory:

* size, then the magic bytes: OLE2/CFB (an encrypted .xlsx or a legacy .xls), PDF, HTML,
  CSV/text and other non-zip formats are named;
* the zip's central directory: ODS and other zips that are not a workbook, encrypted or
  exotic entries, the declared unpacked size and absurd compression ratios (zip bombs);
* every XML part, streamed: a `<!DOCTYPE`/`<!ENTITY` anywhere is refused (no DTD, no entity
  expansion), as is non-UTF-8 XML;
* every worksheet part, streamed: the cells themselves, not the declared `<dimension>` (row
  and column of every cell that holds something, and their number), because calamine builds a
  dense grid from the extreme cell references: one cell at XFD1048576 in a 2 KB file would
  otherwise ask for 100 GB and abort the process; and the text the cells referring to shared
  strings expand into (calamine copies the string into each: a 1 MB string used 20,000 times
  would ask for 20 GB). Canonical sheets (every cell written as
  `<c r="..."`, as Excel, LibreOffice, openpyxl and Google Sheets do) are checked with
  C-speed byte counts (a piece whose every cell tag is plain, `<c r="B7" s="3" t="s">`, and
  lies in A1:Z99999 is vouched for by one regular expression; a part without any cell element
  needs only the DTD/UTF-8 checks); anything else goes through a streaming expat pass that
  computes the cells' positions as calamine does and stops at the first limit crossed.

Only then does calamine read the sheets (formulas give their cached value; a formula without
one gives ""). Macros (xl/vbaProject.bin) are never run nor read: `Workbook.has_macros` only
says they were there. Calamine does not expose number formats, so `Workbook.percent_cells`
reads `xl/styles.xml` and streams the sheet part itself.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from python_calamine import CalamineWorkbook, SheetTypeEnum

from smartprov.contract import catalogue as contract
from smartprov.contract.findings import Finding, finding

__all__ = [
    "MAX_SHEET_CELLS",
    "FileRejected",
    "Workbook",
    "column_letter",
    "find_header_row",
    "normalize_header",
    "open_workbook",
]

# Cells of the grid a sheet (and the whole workbook) may unfold into: 100,000 rows x 30 columns.
# The contract's widest sheet has 13 columns; this bounds calamine's dense grid and the Python
# lists built from it.
MAX_SHEET_CELLS = 3_000_000
# Text the shared strings expand into: calamine copies a shared string into every cell that
# refers to it (and Python copies it again), so a 1 MB string used by 20,000 cells in a 1 MB
# file would ask for 20 GB. A real 100,000 x 13 sheet of 30-character texts expands to ~40 MB.
MAX_SHARED_TEXT_BYTES = 100 << 20
MAX_ZIP_ENTRIES = 10_000
# workbook.xml and its rels are parsed whole (defusedxml); styles.xml too, for percent formats.
MAX_WORKBOOK_PART_BYTES = 10 << 20
MAX_STYLES_BYTES = 20 << 20
# An entry unpacking to more than 1 MB at more than 200:1 is a bomb, not a spreadsheet
# (real sheet XML deflates 5-20:1; a run of zeros 1000:1).
MAX_COMPRESSION_RATIO = 200
RATIO_MIN_BYTES = 1 << 20
MAX_COLUMNS = 16_384  # XFD
_CHUNK = 1 << 20
_CARRY_MAX = 1 << 20

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XMLISH = (".xml", ".rels", ".vml")

_REL_NS_SUFFIX = "}id"
_SHEET_REL_TYPES = ("/worksheet", "/chartsheet", "/dialogsheet", "/macrosheet")


# -- Rejection ----------------------------------------------------------------------------
class FileRejected(Exception):
    """The whole file is refused; `.finding` says why (FILE_UNREADABLE or FILE_TOO_LARGE)."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.message_en)
        self.finding = found


def _unreadable(detail: str) -> FileRejected:
    return FileRejected(finding("FILE_UNREADABLE", detail=detail))


def _too_large(detail: str) -> FileRejected:
    return FileRejected(finding("FILE_TOO_LARGE", detail=detail))


def _n_id(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _mb(n: int) -> tuple[str, str]:
    en = f"{n / 2**20:.1f}"
    return en.replace(".", ","), en


def _limit_mb(n: int) -> str:
    return f"{n / 2**20:g}"


def _short(exc: BaseException, limit: int = 100) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Header and sheet-name matching --------------------------------------------------------
def normalize_header(text: Any) -> str:
    """Lower-case, without spaces, underscores or punctuation: 'Kode Program*' -> 'kodeprogram'."""
    if isinstance(text, str) and len(text) > 200:  # a long text is no label: not kept in the cache
        return _normalized_header.__wrapped__(text)
    try:
        return _normalized_header(text)
    except TypeError:  # unhashable: not a cell value calamine gives, but still text to fold
        return _normalized_header.__wrapped__(text)


@functools.lru_cache(maxsize=4096, typed=True)  # header search folds the same labels file after file
def _normalized_header(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA' (for messages)."""
    if index < 0:
        raise ValueError(f"column index must be >= 0, got {index}")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_header_row(
    rows: Sequence[Sequence[Any]],
    expected_columns: Sequence[str],
    search_rows: int = contract.HEADER_SEARCH_ROWS,
) -> tuple[int | None, dict[str, int], list[tuple[int, str]]]:
    """Find the header row among the first `search_rows` rows.

    Returns (0-based index of the row matching the most expected columns - the first such row
    on a tie - or None when no row matches any; contract column name -> 0-based column index;
    the header row's other non-empty cells as (column index, text), a repeated header included).
    """
    wanted = {normalize_header(name): name for name in expected_columns}
    best_index: int | None = None
    best: dict[str, int] = {}
    for index, row in enumerate(rows[:search_rows]):
        found: dict[str, int] = {}
        for col, cell in enumerate(row):
            t = type(cell)
            if t is str:
                if not cell:  # an empty cell: most of a wide sheet's first rows
                    continue
            elif t is not float and t is not int and (not isinstance(cell, str | int | float) or t is bool):
                continue
            name = wanted.get(normalize_header(cell))
            if name is not None and name not in found:
                found[name] = col
        if len(found) > len(best):
            best_index, best = index, found
    if best_index is None:
        return None, {}, []
    used = set(best.values())
    extras = []
    for col, cell in enumerate(rows[best_index]):
        if col in used or cell is None:
            continue
        text = _header_text(cell)
        if text:
            extras.append((col, text))
    return best_index, best, extras


# -- The workbook ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _SheetPart:
    name: str
    part: str | None  # zip entry name of the sheet's XML, None when not found
    kind: str  # worksheet, chartsheet, dialogsheet, macrosheet


class Workbook:
    """One workbook that passed the checks; its sheets are read (calamine) at open time."""

    def __init__(
        self,
        archive: _Archive,
        names: list[str],
        grids: dict[str, list[list[Any]]],
        parts: dict[str, _SheetPart],
        styles_part: str | None,
        has_macros: bool,
    ) -> None:
        self._archive = archive
        self.sheet_names: list[str] = names
        self._grids = grids
        self._parts = parts
        self._styles_part = styles_part
        self.has_macros = has_macros  # xl/vbaProject.bin present: ignored, never run
        self._percent_styles: frozenset[int] | None = None
        self._percent_by_sheet: dict[str, dict[int, set[int]]] = {}

    def rows(self, sheet_name: str) -> list[list[Any]]:
        """The sheet's cells as calamine's Python values, row i = the sheet's row i+1, column j =
        column_letter(j) (leading empty rows and columns kept). Chart sheets give []. Do not mutate."""
        if sheet_name not in self._grids:
            raise KeyError(sheet_name)
        return self._grids[sheet_name]

    def find_sheet(self, wanted: str) -> str | None:
        """The sheet named `wanted`, matched like headers (case, spaces, punctuation ignored)."""
        if wanted in self._grids:
            return wanted
        key = normalize_header(wanted)
        return next((name for name in self.sheet_names if normalize_header(name) == key), None)

    def percent_cells(self, sheet_name: str, column_index: int) -> set[int]:
        """0-based row indexes whose cell in `column_index` has a percent number format."""
        if sheet_name not in self._grids:
            raise KeyError(sheet_name)
        if sheet_name not in self._percent_by_sheet:
            self._percent_by_sheet[sheet_name] = self._scan_percent(sheet_name)
        return set(self._percent_by_sheet[sheet_name].get(column_index, ()))

    # percent formats ------------------------------------------------------------------
    def _percent_style_ids(self) -> frozenset[int]:
        if self._percent_styles is None:
            self._percent_styles = frozenset()
            if self._styles_part is not None:
                try:
                    if self._archive.infos[self._styles_part].file_size <= MAX_STYLES_BYTES:
                        self._percent_styles = _percent_style_ids(self._archive.read(self._styles_part))
                except Exception:  # noqa: BLE001 - a broken styles part means no known percent cells
                    self._percent_styles = frozenset()
        return self._percent_styles

    def _scan_percent(self, sheet_name: str) -> dict[int, set[int]]:
        styles = self._percent_style_ids()
        info = self._parts.get(sheet_name)
        if not styles or info is None or info.part is None or info.kind != "worksheet":
            return {}
        found: dict[int, set[int]] = {}
        walker = _CellWalker()

        def start(name: str, attrs: dict[str, str]) -> None:
            local = name.rpartition(":")[2]
            if local == "row":
                walker.row(attrs.get("r"))
            elif local == "c":
                row, col = walker.cell(attrs.get("r"))
                if int(attrs.get("s") or 0) in styles:
                    found.setdefault(col, set()).add(row)

        try:
            _expat_stream(self._archive.chunks(self._archive.infos[info.part]), start)
        except Exception:  # noqa: BLE001 - the part was checked at open; keep what was found
            pass
        return found


def _percent_style_ids(styles_xml: bytes) -> frozenset[int]:
    """Indexes of cellXfs whose number format is a percentage (built-in 9, 10 or a code with %)."""
    root = SafeET.fromstring(styles_xml, forbid_dtd=True)
    codes: dict[int, str] = {9: "0%", 10: "0.00%"}
    xfs: list[Any] = []
    for el in root:
        local = el.tag.rpartition("}")[2]
        if local == "numFmts":
            for fmt in el:
                try:
                    codes[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif local == "cellXfs":
            xfs = [xf for xf in el if xf.tag.rpartition("}")[2] == "xf"]
    ids = set()
    for index, xf in enumerate(xfs):
        try:
            fmt_id = int(xf.get("numFmtId", "0"))
        except ValueError:
            continue
        if _is_percent_code(codes.get(fmt_id, "")):
            ids.add(index)
    return frozenset(ids)


_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _is_percent_code(code: str) -> bool:
    """A % outside quoted text, escapes and [brackets] scales by 100."""
    return "%" in _LITERALS.sub("", code)


# -- Positions as calamine computes them -------------------------------------------------
_REF = re.compile(r"([A-Za-z]{1,3})([1-9][0-9]{0,6})\Z")


def _parse_ref(ref: str) -> tuple[int, int]:
    """'B7' -> (6, 1), 0-based (row, column); ValueError when not a cell reference."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"invalid cell reference {ref[:20]!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


class _CellWalker:
    """Row/column of each <c>: its r attribute, else the next position (pre-2007 files)."""

    __slots__ = ("cur_col", "cur_row")

    def __init__(self) -> None:
        self.cur_row = -1
        self.cur_col = -1

    def row(self, r: str | None) -> None:
        self.cur_row = int(r) - 1 if r else self.cur_row + 1
        self.cur_col = -1

    def cell(self, r: str | None) -> tuple[int, int]:
        if r:
            row, col = _parse_ref(r)
        else:
            row, col = max(self.cur_row, 0), self.cur_col + 1
        self.cur_col = col
        return row, col


def _refuse_dtd(*_args: Any) -> None:
    raise ValueError("DTD")


def _expat_stream(chunks: Iterable[bytes], start: Any, end: Any = None, chars: Any = None) -> None:
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    for block in chunks:
        parser.Parse(block, False)
    parser.Parse(b"", True)


# -- Pre-checks: not a zip ----------------------------------------------------------------
def _cfb_entry_names(data: bytes) -> set[str]:
    """Names of the storages and streams of an OLE2 compound file (bounded, best effort)."""
    names: set[str] = set()
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector shift")
    size = 1 << shift
    n_sectors = max(0, len(data) // size - 1)

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise ValueError("sector out of range")
        off = (i + 1) * size
        return data[off : off + size]

    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", data, 0x44)
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < 0xFFFFFFFA]
    nxt, hops = first_difat, 0
    while nxt < 0xFFFFFFFA and hops < min(n_difat, n_sectors):
        words = struct.unpack(f"<{size // 4}I", sector(nxt))
        fat_sectors.extend(s for s in words[:-1] if s < 0xFFFFFFFA)
        nxt, hops = words[-1], hops + 1
    fat: list[int] = []
    for s in fat_sectors[: max(n_fat, 1)]:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))
    cur, hops = first_dir, 0
    while cur < 0xFFFFFFFA and hops <= n_sectors:
        block = sector(cur)
        for off in range(0, size, 128):
            entry = block[off : off + 128]
            length = struct.unpack_from("<H", entry, 64)[0]
            if entry[66] in (1, 2) and 2 <= length <= 64:
                names.add(entry[: length - 2].decode("utf-16-le", "replace"))
        cur = fat[cur] if cur < len(fat) else 0xFFFFFFFE
        hops += 1
    return names


def _cfb_detail(data: bytes) -> str:
    try:
        names = {n.lower() for n in _cfb_entry_names(data)}
    except Exception:  # noqa: BLE001 - fall back on the UTF-16 names in the raw bytes
        names = {
            n.lower()
            for n in ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument")
            if n.encode("utf-16-le") in data
        }
    if names & {"encryptioninfo", "encryptedpackage"}:
        return "file terenkripsi (dilindungi kata sandi) / encrypted (password-protected)"
    if names & {"workbook", "book"}:
        return "format Excel 97-2003 (.xls), bukan .xlsx / legacy Excel 97-2003 (.xls) format, not .xlsx"
    if "worddocument" in names:
        return "dokumen Word lama (.doc), bukan workbook / a legacy Word document (.doc), not a workbook"
    return "dokumen Office lama (OLE2), bukan .xlsx / a legacy Office (OLE2) document, not .xlsx"


def _sniff_detail(data: bytes) -> str:
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "berkas PDF, bukan workbook / a PDF file, not a workbook"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "berkas gambar, bukan workbook / an image file, not a workbook"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh")):
        return "arsip .rar/.7z/.gz, bukan .xlsx / a .rar/.7z/.gz archive, not .xlsx"
    if head.startswith(b"{\\rtf"):
        return "dokumen RTF, bukan workbook / an RTF document, not a workbook"
    text = _as_text(head)
    if text is None:
        return "format tidak dikenal, bukan arsip .xlsx / unknown format, not an .xlsx archive"
    start = text.lstrip().lower()
    if start.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "XML Spreadsheet 2003, bukan .xlsx / XML Spreadsheet 2003, not .xlsx"
        if start.startswith(("<!doctype html", "<html", "<table", "<meta")) or "<html" in start[:1024]:
            return (
                "halaman HTML (mis. ekspor .xls aplikasi web), bukan .xlsx / "
                "an HTML page (e.g. a web app's .xls export), not .xlsx"
            )
        return "berkas XML/teks, bukan .xlsx / an XML/text file, not .xlsx"
    if _looks_delimited(text):
        return "berkas teks/CSV, bukan .xlsx / a text/CSV file, not .xlsx"
    return "berkas teks, bukan .xlsx / a text file, not .xlsx"


def _as_text(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "replace")
    else:
        text = head.decode("utf-8", "replace")
        if text[-1:] == "\ufffd":  # a character cut by the 4 KB window
            text = text[:-1]
    if not text:
        return None
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n\f"))
    return text if bad <= len(text) // 50 else None


def _looks_delimited(text: str) -> bool:
    lines = [line for line in text.splitlines()[:10] if line.strip()]
    if not lines:
        return False
    return any(all(line.count(sep) >= 1 for line in lines[:5]) for sep in (",", ";", "\t", "|"))


# -- Pre-checks: the zip ------------------------------------------------------------------
def _eocd_entry_count(data: bytes) -> int | None:
    pos = data.rfind(_EMPTY_ZIP_MAGIC, max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, pos + 10)[0]
    return None if count == 0xFFFF else count  # 0xFFFF: see the zip64 record


def _zip_detail(names: set[str], zf: zipfile.ZipFile) -> str | None:
    """Why a zip is not an .xlsx workbook, or None when it looks like one."""
    if "mimetype" in names:
        info = zf.getinfo("mimetype")
        mime = zf.read(info)[:100] if info.file_size <= 100 else b""
        if b"opendocument.spreadsheet" in mime:
            return "format OpenDocument (.ods), bukan .xlsx / an OpenDocument spreadsheet (.ods), not .xlsx"
        if b"opendocument" in mime:
            return "dokumen OpenDocument, bukan workbook / an OpenDocument file, not a workbook"
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            return "format Excel Binary (.xlsb), bukan .xlsx / Excel Binary (.xlsb), not .xlsx"
        if "word/document.xml" in names:
            return "dokumen Word (.docx), bukan workbook / a Word document (.docx), not a workbook"
        if "ppt/presentation.xml" in names:
            return "presentasi (.pptx), bukan workbook / a presentation (.pptx), not a workbook"
        return "arsip zip, bukan workbook (tanpa xl/workbook.xml) / a zip archive, not a workbook (no xl/workbook.xml)"
    if "[Content_Types].xml" not in names:
        return "arsip zip, bukan workbook (tanpa [Content_Types].xml) / a zip archive, not a workbook (no [Content_Types].xml)"
    return None


def _check_entries(infos: list[zipfile.ZipInfo], max_unpacked: int) -> None:
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _unreadable("arsip zip terenkripsi / encrypted zip archive")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(
                f"metode kompresi zip {info.compress_type} tidak didukung / unsupported zip compression method {info.compress_type}"
            )
        total += info.file_size
    if total > max_unpacked:
        mb_id, mb_en = _mb(total)
        limit = _limit_mb(max_unpacked)
        raise _too_large(
            f"isi terurai {mb_id} MB melebihi batas {limit} MB (zip bomb?) / "
            f"unpacks to {mb_en} MB, over the {limit} MB limit (zip bomb?)"
        )
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise _too_large(
                f"rasio kompresi {_n_id(ratio)}:1 pada '{info.filename[:60]}' tidak wajar (zip bomb) / "
                f"absurd compression ratio {ratio:,}:1 in '{info.filename[:60]}' (zip bomb)"
            )


def _read_small(arc: _Archive, name: str) -> bytes:
    size = arc.infos[name].file_size
    if size > MAX_WORKBOOK_PART_BYTES:
        mb_id, mb_en = _mb(size)
        raise _too_large(f"{name} berukuran {mb_id} MB / {name} is {mb_en} MB")
    data = arc.read(name)
    _check_xml_segment(name, data, first=True)
    return data


@dataclass
class _Layout:
    sheets: list[_SheetPart]
    styles: str | None
    shared_strings: set[str]  # every part calamine or the relationships may take as shared strings
    sheet_candidates: set[str]  # every part a sheet may be read from, by either resolution rule


class _PartNames:
    """Zip entry lookup as python-calamine does it: entry names are compared case-insensitively
    with backslashes read as slashes; a path that matches no entry is looked up as written."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.folded: dict[str, str] = {}
        for name in names:
            key = name.replace("\\", "/").lower()
            if key in self.folded:  # two entries one reader cannot tell apart: refuse, never guess
                raise _unreadable(
                    f"nama bagian ganda dalam arsip ('{name[:60]}') / "
                    f"two archive entries with the same name ('{name[:60]}')"
                )
            self.folded[key] = name

    def find(self, path: str) -> str | None:
        found = self.folded.get(path.lower())
        if found is not None:
            return found
        return path if path in self.names else None

    def candidates(self, base: str, target: str) -> set[str]:
        """The parts a relationship target may name: calamine's rule (a leading '/' is from the
        root, anything else is appended to the workbook's folder as written, '../' and './'
        included) and the normalised path OPC defines; each looked up both ways."""
        target = target.replace("\\", "/")
        raw = target[1:] if target.startswith("/") else base + target
        norm = posixpath.normpath("/" + raw).lstrip("/") if raw else ""
        if not target.startswith("/"):
            norm_rel = posixpath.normpath(posixpath.join(base or ".", target))
        else:
            norm_rel = norm
        found = set()
        for path in {raw, norm, norm_rel, target.lstrip("/")}:
            part = self.find(path) if path else None
            if part is not None:
                found.add(part)
        return found


def _xl_folder(arc: _Archive, parts: _PartNames) -> str:
    """The workbook's folder, from the package's officeDocument relationship (calamine's rule)."""
    rels = parts.find("_rels/.rels")
    if rels is None:
        raise _unreadable("tanpa _rels/.rels / no _rels/.rels in the package")
    try:
        root = _elements(_read_small(arc, rels))
    except FileRejected:
        raise
    except Exception as exc:
        raise _unreadable(f"_rels/.rels rusak / _rels/.rels is corrupt ({_short(exc, 60)})") from exc
    for depth, tag, rel in root:
        if (
            depth == 1
            and tag == "Relationship"
            and rel.get("Type", "").endswith("/relationships/officeDocument")
        ):
            target = rel.get("Target", "")
            folder = target[: target.rfind("/") + 1] if "/" in target else ""
            return folder.lstrip("/")
    raise _unreadable("tanpa relasi officeDocument / no officeDocument relationship")


def _elements(xml: bytes) -> list[tuple[int, str, dict[str, str]]]:
    """A small XML part's elements in document order: (depth, the root being 0; local name;
    attributes, a namespaced one keyed `uri}name`). Expat with namespaces, as ElementTree
    parses, but without building a tree; a DTD or entity declaration is refused."""
    out: list[tuple[int, str, dict[str, str]]] = []
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        out.append((depth, name.rpartition("}")[2], attrs))
        depth += 1

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.Parse(xml, True)
    return out


def _sheet_parts(arc: _Archive, names: set[str]) -> _Layout:
    """workbook.xml + its rels: each sheet's name, XML part and kind; styles; shared strings.

    Resolved by the reader's own rules (see `_PartNames`): what is checked is what calamine
    reads. Where the rules could disagree, every part either could take is checked."""
    parts = _PartNames(names)
    base = _xl_folder(arc, parts)
    if base.lower() != "xl/":
        raise _unreadable(
            f"workbook di folder tidak baku '{base[:40]}' / the workbook is in a non-standard folder '{base[:40]}'"
        )
    workbook_part = parts.find(base + "workbook.xml")
    rels_part = parts.find(base + "_rels/workbook.xml.rels")
    if workbook_part is None:
        raise _unreadable(
            "arsip zip, bukan workbook (tanpa xl/workbook.xml) / a zip archive, not a workbook (no xl/workbook.xml)"
        )
    try:
        wb_root = _elements(_read_small(arc, workbook_part))
        rels_xml = _read_small(arc, rels_part) if rels_part is not None else b""
        rels_root = [el[2] for el in _elements(rels_xml) if el[0] == 1] if rels_xml else None
    except FileRejected:
        raise
    except Exception as exc:
        raise _unreadable(f"xl/workbook.xml rusak / xl/workbook.xml is corrupt ({_short(exc, 60)})") from exc

    targets: dict[str, tuple[str, str | None]] = {}
    styles = parts.find(base + "styles.xml")
    shared: set[str] = set()
    found = parts.find(base + "sharedStrings.xml")
    if found is not None:
        shared.add(found)
    sheet_candidates: set[str] = set()
    for rel in rels_root if rels_root is not None else ():
        if rel.get("TargetMode") == "External":
            continue
        rtype = rel.get("Type", "")
        resolved = parts.candidates(base, rel.get("Target", ""))
        kind = next((t[1:] for t in _SHEET_REL_TYPES if rtype.endswith(t)), None)
        if kind:
            sheet_candidates |= resolved
            calamine_path = rel.get("Target", "")
            calamine_path = calamine_path[1:] if calamine_path.startswith("/") else base + calamine_path
            targets[rel.get("Id", "")] = (
                kind,
                parts.find(calamine_path) or next(iter(sorted(resolved)), None),
            )
        elif rtype.endswith("/sharedStrings"):
            shared |= resolved
    sheets: list[_SheetPart] = []
    for _depth, tag, el in wb_root:
        if tag != "sheet":
            continue
        rid = next((v for k, v in el.items() if k.endswith(_REL_NS_SUFFIX)), "")
        kind, part = targets.get(rid, ("worksheet", None))
        sheets.append(_SheetPart(el.get("name", ""), part, kind))
    return _Layout(sheets, styles, shared, sheet_candidates)


class _Archive:
    """The zip's entries inflated straight from the bytes, in chunks of at most 1 MB.

    Cheaper than zipfile's per-entry readers, and strict: an entry that inflates beyond its
    declared size is refused at once (zip bomb with lying headers); a short, damaged or
    CRC-mismatched entry raises zipfile.BadZipFile.
    """

    def __init__(self, data: bytes, infos: list[zipfile.ZipInfo]) -> None:
        self.data = data
        self.infos = {i.filename: i for i in infos}

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(self.infos[name]))

    def raw(self, info: zipfile.ZipInfo) -> memoryview:
        """The entry's bytes as stored in the zip (compressed or not), after its local header."""
        data, off = self.data, info.header_offset
        if data[off : off + 4] != _ZIP_MAGIC:
            raise zipfile.BadZipFile(f"bad local header for {info.filename[:60]}")
        name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
        start = off + 30 + name_len + extra_len
        raw = memoryview(data)[start : start + info.compress_size]
        if len(raw) != info.compress_size:
            raise zipfile.BadZipFile(f"{info.filename[:60]} is truncated")
        return raw

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        raw = self.raw(info)
        crc = total = 0
        if info.compress_type == zipfile.ZIP_STORED:
            for pos in range(0, len(raw), _CHUNK):
                piece = bytes(raw[pos : pos + _CHUNK])
                crc = zlib.crc32(piece, crc)
                total += len(piece)
                yield piece
        else:
            inflater = zlib.decompressobj(-15)
            pos = 0
            while not inflater.eof:
                if inflater.unconsumed_tail:
                    feed: bytes | memoryview = inflater.unconsumed_tail
                elif pos < len(raw):
                    feed = raw[pos : pos + _CHUNK]
                    pos += len(feed)
                else:
                    raise zipfile.BadZipFile(f"{info.filename[:60]}: deflate stream ends early")
                room = min(_CHUNK, info.file_size - total + 1)  # +1: an overflow shows
                piece = inflater.decompress(feed, room)
                total += len(piece)
                if total > info.file_size:
                    part = info.filename[:60]
                    raise _too_large(
                        f"'{part}' terurai melebihi ukuran yang dinyatakan (zip bomb) / "
                        f"'{part}' inflates beyond its declared size (zip bomb)"
                    )
                crc = zlib.crc32(piece, crc)
                if piece:
                    yield piece
        if total != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(f"{info.filename[:60]}: size or CRC mismatch")


# -- Pre-checks: XML parts ------------------------------------------------------------------
_DTD = re.compile(rb"<!(?:[Dd][Oo][Cc][Tt][Yy][Pp][Ee]|[Ee][Nn][Tt][Ii][Tt][Yy])")


def _check_xml_segment(part: str, segment: bytes, first: bool) -> None:
    if (first and segment.startswith((b"\xff\xfe", b"\xfe\xff"))) or b"\x00" in segment:
        raise _unreadable(f"XML '{part[:60]}' bukan UTF-8 / XML part '{part[:60]}' is not UTF-8")
    if _DTD.search(segment):
        raise _unreadable(
            f"XML '{part[:60]}' memuat DTD/ENTITY (ditolak) / "
            f"XML part '{part[:60]}' declares a DTD/ENTITY (refused)"
        )


def _segments(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The decompressed part in pieces that never split a tag: each ends before a '<'."""
    carry = b""
    for block in chunks:
        buf = carry + block if carry else block
        cut = buf.rfind(b"<")
        if cut > 0:
            yield buf[:cut]
            carry = buf[cut:]
        elif len(buf) > _CARRY_MAX:  # one long text run: any tag in it starts at 0
            yield buf
            carry = b""
        else:
            carry = buf
    if carry:
        yield carry


def _scan_xml_part(arc: _Archive, info: zipfile.ZipInfo) -> None:
    for i, seg in enumerate(_segments(arc.chunks(info))):
        _check_xml_segment(info.filename, seg, first=i == 0)


# Canonical cells: `<c r="..."`. Outside the fast class (one letter, up to 5 digits: A1..Z99999)
# a cell is looked at one by one; a self-closing cell holds nothing (calamine skips it).
_C_OPEN = b"<c "
_C_OTHER_OPEN = re.compile(rb"<c[\t\r\n>/]")
_C_CANON = b'<c r="'
_FAST_ROWS, _FAST_COLS = 99_999, 26
_C_UNUSUAL = re.compile(rb'<c r="(?![A-Z][0-9]{1,5}")([^"<>]*)"[^<>]*?(/?)>')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # <x:c ...>: a namespace prefix
# An attribute named exactly r: one per <c r="..."> and <row r="...">. Any other (a second r on
# one cell, or r glued to the previous value: not XML, yet calamine reads the last r) is for
# the exact pass, which refuses what is not XML.
_WHOLE_R_ATTR = re.compile(rb'[\s"]r="')
_ROW_CANON = b'<row r="'
_T_SHARED = b' t="s"'
_S_VALUE = re.compile(rb' t="s"[^<>]*><v>([0-9]{1,10})</v>')
# A cell tag as writers write it, every character known: no second r, no other attribute, no
# value that could hold a '>' can hide in it. A segment whose every "<c " starts one of these
# (or that has no cell at all: a theme, comments) needs no attribute-spelling checks, which
# an '=' in an instruction text or a data validation message would otherwise fail.
_PLAIN_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,5}")?(?: t="[a-zA-Z]{1,9}")?/?>')
# A cell tag that is not both plain and inside the fast box (A..Z, rows up to 99,999): a
# segment without one needs neither the spelling checks nor a look at single cells.
_ODD_CELL = re.compile(rb'<c r="(?![A-Z][0-9]{1,5}"(?: s="[0-9]{1,5}")?(?: t="[a-zA-Z]{1,9}")?/?>)')
_TEXT_ESTIMATE_BYTES = 1 << 20


class _TextBudget:
    """Upper bounds of each shared string's length (its <si> element's bytes less the markup every
    <si><t>..</t></si> has), and the running total of what the cells expand into."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lengths = array("L")
        self.longest = 0
        self.total = 0

    def add(self, n_bytes: int) -> None:
        self.total += n_bytes
        if self.total > self.limit:
            limit = _limit_mb(self.limit)
            raise _too_large(
                f"teks sel (shared strings) terurai melebihi {limit} MB / "
                f"cell text (shared strings) expands beyond {limit} MB"
            )

    def merge(self, other: _TextBudget) -> None:
        """Take each string at the longer of the two lengths known for it."""
        mine, theirs = self.lengths, other.lengths
        for i, n in enumerate(theirs):
            if i < len(mine):
                if n > mine[i]:
                    mine[i] = n
            else:
                mine.append(n)
        self.longest = max(self.longest, other.longest)
        if other.longest and not theirs:  # prefixed strings: only the worst case is known
            del mine[:]

    def add_indexes(self, found: list[bytes]) -> None:
        lengths, n, worst = self.lengths, len(self.lengths), self.longest
        total = 0
        for raw in found:
            i = int(raw)
            total += lengths[i] if i < n else worst  # an index past the known strings: the worst case
        self.add(total)


def _scan_shared_strings(arc: _Archive, info: zipfile.ZipInfo, text: _TextBudget) -> None:
    """DTD/UTF-8 checks, and every shared string's length bound (split at each '<si')."""
    lengths = text.lengths
    started = prefixed = False
    for i, seg in enumerate(_segments(arc.chunks(info))):
        _check_xml_segment(info.filename, seg, first=i == 0)
        pieces = seg.split(b"<si")
        if started:
            lengths[-1] += len(pieces[0])
        if len(pieces) > 1:
            lengths.extend(map(len, pieces[1:]))
            started = True
        prefixed = prefixed or b":si" in seg
    if prefixed:  # <x:si>: the split above does not see them; assume the worst for every string
        del lengths[:]
        text.longest = info.file_size
    else:
        text.longest = max(lengths, default=0)


@dataclass
class _SheetScan:
    name: str
    max_rows: int
    max_cells: int
    text: _TextBudget
    value_cells: int = 0
    max_row: int = -1  # 0-based, over cells that hold something
    max_col: int = -1

    def see(self, row: int, col: int) -> None:
        if row >= self.max_rows:
            raise _too_large(
                f"lembar '{self.name}' berisi data sampai baris {_n_id(row + 1)} (batas {_n_id(self.max_rows)} baris) / "
                f"sheet '{self.name}' has data down to row {row + 1:,} (limit {self.max_rows:,} rows)"
            )
        if col >= MAX_COLUMNS:
            raise _unreadable(
                f"lembar '{self.name}': kolom di luar XFD / sheet '{self.name}': a column beyond XFD"
            )
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        self.check_area()

    def check_area(self) -> None:
        area = (self.max_row + 1) * (self.max_col + 1)
        if area > self.max_cells:
            ref = f"{column_letter(self.max_col)}{self.max_row + 1}"
            raise _too_large(
                f"lembar '{self.name}' terlalu luas: data sampai sel {ref} ({_n_id(area)} sel, batas {_n_id(self.max_cells)}) / "
                f"sheet '{self.name}' too large: data reaches cell {ref} ({area:,} cells, limit {self.max_cells:,})"
            )

    def text_fast(self, seg: bytes, shared: int) -> None:
        """Shared-string cells of a canonical segment: a cheap bound, else their exact lengths."""
        text = self.text
        if shared * text.longest <= _TEXT_ESTIMATE_BYTES:
            text.add(shared * text.longest)
            return
        found = _S_VALUE.findall(seg)
        text.add((shared - len(found)) * text.longest)  # unusual spellings: the worst case
        text.add_indexes(found)

    def count(self, n: int) -> None:
        self.value_cells += n
        if self.value_cells > self.max_cells:
            raise _too_large(
                f"lembar '{self.name}' berisi lebih dari {_n_id(self.max_cells)} sel / "
                f"sheet '{self.name}' has more than {self.max_cells:,} cells"
            )


def _scan_sheet(arc: _Archive, info: zipfile.ZipInfo, scan: _SheetScan) -> None:
    """Refuse the sheet before calamine unfolds it: rows, grid area and cell count.

    Fast path (canonical XML, every cell `<c r="`): cells matching the fast class lie in A..Z,
    rows 1..99,999, a box that fits the limits; the others are parsed one by one. Anything the
    fast path cannot vouch for (other spellings, prefixes, wide sheets, many cells) gets the
    exact streaming pass.
    """
    fast_cols = scan.max_cells // max(scan.max_rows, 1)
    exact_needed = scan.max_rows < _FAST_ROWS or fast_cols < _FAST_COLS  # tight custom limits
    for i, seg in enumerate(_segments(arc.chunks(info))):
        _check_xml_segment(info.filename, seg, first=i == 0)
        if exact_needed:
            continue  # keep checking DTD/UTF-8 to the end; cells are counted by the exact pass
        canonical = seg.count(_C_CANON)
        if seg.count(_C_OPEN) != canonical or _C_OTHER_OPEN.search(seg) or _PREFIXED_CELL.search(seg):
            exact_needed = True
            continue
        if not canonical:
            continue  # no cell element in any spelling: nothing here a reader could unfold
        shared = seg.count(_T_SHARED[1:])
        if shared and seg.count(_T_SHARED) != shared:  # every t="s" after a plain space
            exact_needed = True
            continue
        if _ODD_CELL.search(seg) is None:
            # The usual segment, in one pass: every cell a plain tag inside the fast box.
            if shared:
                scan.text_fast(seg, shared)
            scan.value_cells += canonical  # an upper bound: self-closing cells hold nothing
            if scan.value_cells > scan.max_cells:
                exact_needed = True
            continue
        if len(_PLAIN_CELL.findall(seg)) != canonical and (
            seg.count(b"=") != seg.count(b'="')  # every attribute written a="..."
            or len(_WHOLE_R_ATTR.findall(seg)) != canonical + seg.count(_ROW_CANON)
        ):
            exact_needed = True
            continue
        if shared:
            scan.text_fast(seg, shared)
        scan.value_cells += canonical  # an upper bound: self-closing cells hold nothing
        if scan.value_cells > scan.max_cells:
            exact_needed = True
            continue
        for m in _C_UNUSUAL.finditer(seg):
            if m.group(2):  # <c .../> holds nothing: calamine skips it
                continue
            try:
                row, col = _parse_ref(m.group(1).decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                exact_needed = True
                break
            scan.see(row, col)
            if col >= fast_cols:
                exact_needed = True  # a wide sheet: its true last row matters
    if exact_needed:
        _exact_sheet_scan(arc, info, scan)


def _exact_sheet_scan(arc: _Archive, info: zipfile.ZipInfo, scan: _SheetScan) -> None:
    """Streaming expat pass: every cell's position as calamine derives it (its r, else the next
    position; cell r over row r); a cell counts once a <v>, <f> or <is> shows it holds something;
    a t="s" cell adds its shared string's length. Stops at the first limit crossed."""
    scan.value_cells, scan.max_row, scan.max_col = 0, -1, -1
    max_cells = scan.max_cells
    cur_row = cur_col = -1
    pending: tuple[int, int] | None = None  # the current <c>, until it shows a value
    shared_cell = False  # the current <c> has t="s"
    index_text: list[str] | None = None  # the text of a t="s" cell's <v>, until the next tag

    def end_index() -> None:
        nonlocal index_text
        raw = "".join(index_text or ()).strip()
        index_text = None
        if raw.isascii() and raw.isdigit() and len(raw) <= 10:
            scan.text.add_indexes([raw.encode()])
        else:
            scan.text.add(scan.text.longest)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal cur_row, cur_col, pending, shared_cell, index_text
        if index_text is not None:
            end_index()
        local = name[name.find(":") + 1 :]
        if local == "c":
            ref = attrs.get("r")
            pending = _parse_ref(ref) if ref else (max(cur_row, 0), cur_col + 1)
            cur_col = pending[1]
            shared_cell = attrs.get("t") == "s"
        elif local == "v" or local == "f" or local == "is":
            if local == "v" and shared_cell:
                shared_cell = False
                index_text = []
            if pending is not None:
                row, col = pending
                pending = None
                scan.value_cells += 1
                if scan.value_cells > max_cells:
                    scan.count(0)
                if row > scan.max_row or col > scan.max_col:
                    scan.see(row, col)
        elif local == "row":
            ref = attrs.get("r")
            cur_row = int(ref) - 1 if ref else cur_row + 1
            cur_col = -1

    def chars(data: str) -> None:
        if index_text is not None:
            index_text.append(data)

    try:
        _expat_stream(arc.chunks(info), start, chars=chars)
        if index_text is not None:
            end_index()
    except FileRejected:
        raise
    except (ValueError, expat.ExpatError) as exc:
        raise _unreadable(
            f"XML lembar '{scan.name}' rusak / sheet '{scan.name}' XML is corrupt ({_short(exc, 60)})"
        ) from exc


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _guarded(scan: Any, arc: _Archive, info: zipfile.ZipInfo, *args: Any) -> None:
    """Run a part scan; a damaged entry (bad deflate data, CRC, truncation) is unreadable."""
    try:
        scan(arc, info, *args)
    except _ZIP_ERRORS as exc:
        part = info.filename[:60]
        raise _unreadable(f"bagian '{part}' rusak / part '{part}' is corrupt ({_short(exc, 60)})") from exc


# -- Open -----------------------------------------------------------------------------------
def open_workbook(
    data: bytes,
    *,
    max_bytes: int = contract.MAX_FILE_BYTES,
    max_unpacked: int = contract.MAX_UNPACKED_BYTES,
    max_rows: int = contract.MAX_SHEET_ROWS,
    max_cells: int = MAX_SHEET_CELLS,
    max_text: int = MAX_SHARED_TEXT_BYTES,
) -> Workbook:
    """Check then read one workbook; raises FileRejected (and nothing else) for bad input.

    Limits: the file's size, its unpacked size, rows per sheet, cells of the grid a sheet and
    the workbook unfold into, and the text that shared strings expand into (each cell that
    refers to a shared string gets its own copy)."""
    try:
        return _open(bytes(data), max_bytes, max_unpacked, max_rows, max_cells, max_text)
    except FileRejected:
        raise
    except MemoryError as exc:
        raise _too_large("kehabisan memori saat membaca / ran out of memory while reading") from exc
    except Exception as exc:  # noqa: BLE001 - any other failure on bad input is "unreadable"
        raise _unreadable(f"berkas rusak / corrupt file ({type(exc).__name__}: {_short(exc, 60)})") from exc


def _open(
    data: bytes, max_bytes: int, max_unpacked: int, max_rows: int, max_cells: int, max_text: int
) -> Workbook:
    size = len(data)
    if size == 0:
        raise _unreadable("berkas kosong (0 byte) / empty file (0 bytes)")
    if size > max_bytes:
        mb_id, mb_en = _mb(size)
        limit = _limit_mb(max_bytes)
        raise _too_large(
            f"ukuran {mb_id} MB melebihi batas {limit} MB / size {mb_en} MB exceeds the {limit} MB limit"
        )
    if data.startswith(_CFB_MAGIC):
        raise _unreadable(_cfb_detail(data))
    if data.startswith(_EMPTY_ZIP_MAGIC):
        raise _unreadable("arsip zip kosong / empty zip archive")
    if not data.startswith(_ZIP_MAGIC):
        raise _unreadable(_sniff_detail(data))
    entries = _eocd_entry_count(data)
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        raise _too_large(
            f"arsip berisi {_n_id(entries)} entri (batas {_n_id(MAX_ZIP_ENTRIES)}) / "
            f"the archive has {entries:,} entries (limit {MAX_ZIP_ENTRIES:,})"
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _unreadable("arsip zip rusak atau terpotong / corrupt or truncated zip archive") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _too_large(
                f"arsip berisi {_n_id(len(infos))} entri (batas {_n_id(MAX_ZIP_ENTRIES)}) / "
                f"the archive has {len(infos):,} entries (limit {MAX_ZIP_ENTRIES:,})"
            )
        names = {i.filename for i in infos}
        if len(names) != len(infos):  # which twin a reader takes is its own business: refuse
            raise _unreadable("nama bagian ganda dalam arsip / two archive entries with the same name")
        _check_entries(infos, max_unpacked)
        why = _zip_detail(names, zf)
        if why:
            raise _unreadable(why)
        arc = _Archive(data, infos)
        try:
            layout = _sheet_parts(arc, names)
            shared_parts = layout.shared_strings
            text = _TextBudget(max_text)
            # Shared strings first: the sheets' scans need their lengths. Should several parts
            # qualify, each string counts at its longest in any of them.
            for info in infos:
                if info.filename in shared_parts:
                    own = _TextBudget(max_text)
                    _guarded(_scan_shared_strings, arc, info, own)
                    text.merge(own)
            names_of_sheets = {s.part: s.name for s in layout.sheets if s.part}
            for info in infos:
                name = info.filename
                if name in shared_parts:
                    continue
                if name in layout.sheet_candidates or name.lower().endswith(".xml"):
                    # Any XML part is scanned as a sheet could be: whatever a reader resolves
                    # a relationship to, it cannot unfold more than the limits allow.
                    label = names_of_sheets.get(name) or name.rsplit("/", 1)[-1][:40]
                    _guarded(_scan_sheet, arc, info, _SheetScan(label, max_rows, max_cells, text))
                elif name.lower().endswith(_XMLISH):  # .rels, .vml: no DTD, UTF-8
                    _guarded(_scan_xml_part, arc, info)
        except FileRejected:
            raise
        except _ZIP_ERRORS as exc:
            raise _unreadable(f"isi arsip zip rusak / corrupt zip content ({_short(exc, 60)})") from exc
    parts = {s.name: s for s in layout.sheets}
    styles = layout.styles
    names_out, grids = _read_with_calamine(data, max_cells)
    return Workbook(
        archive=arc,
        names=names_out,
        grids=grids,
        parts=parts,
        styles_part=styles,
        has_macros=any(n.lower().endswith("vbaproject.bin") for n in names),
    )


def _read_with_calamine(data: bytes, max_cells: int) -> tuple[list[str], dict[str, list[list[Any]]]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise _unreadable(f"isi workbook rusak / corrupt workbook content: {_short(exc, 80)}") from exc
    names: list[str] = []
    grids: dict[str, list[list[Any]]] = {}
    total = 0
    with book:
        for meta in book.sheets_metadata:
            names.append(meta.name)
            if meta.typ != SheetTypeEnum.WorkSheet:
                grids[meta.name] = []
                continue
            try:
                sheet = book.get_sheet_by_name(meta.name)
                end = sheet.end
                area = 0 if end is None else (end[0] + 1) * (end[1] + 1)
                total += area
                if total > max_cells:
                    raise _too_large(
                        f"workbook berisi lebih dari {_n_id(max_cells)} sel / "
                        f"the workbook has more than {max_cells:,} cells"
                    )
                grids[meta.name] = sheet.to_python(skip_empty_area=False) if area else []
                del sheet
            except FileRejected:
                raise
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                    raise
                raise _unreadable(
                    f"lembar '{meta.name}' rusak / sheet '{meta.name}' is corrupt: {_short(exc, 80)}"
                ) from exc
    return names, grids
