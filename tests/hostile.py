"""Builders of hostile and broken "workbooks" (each returns bytes), and of small valid ones.

Everything is generated in memory, quickly (the largest, 21 MB, takes well under a second),
and deterministically. Raw XML is written by hand where openpyxl cannot express the case
(cached formula values, 100,001 rows streamed, DTDs, cells without references).
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

MB = 1 << 20
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# -- Valid workbooks ------------------------------------------------------------------------


def small_xlsx(
    sheets: Mapping[str, list[list[Any]]] | None = None,
    *,
    number_formats: Mapping[tuple[str, str], str] | None = None,
    merges: Mapping[str, list[str]] | None = None,
) -> bytes:
    """A valid .xlsx written by openpyxl. `number_formats`: (sheet, 'B3') -> format code;
    `merges`: sheet -> ['A1:F1', ...]."""
    import openpyxl

    sheets = sheets if sheets is not None else {"Data": [["kode_program", "nama_program"], ["P01", "Satu"]]}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    for (name, ref), fmt in (number_formats or {}).items():
        wb[name][ref].number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_xml(ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def col_letter(index: int) -> str:
    letters, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_xml(rows: Iterable[Iterable[Any]], *, dimension: str | None = None, head: str = "") -> str:
    """Worksheet XML for rows of plain values (str -> inline string). A value that is already
    a `<c ...>` fragment is written as is (e.g. a formula with its cached value)."""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{col_letter(c)}{r}"
            if isinstance(value, str) and value.startswith("<c"):
                cells.append(value.replace("{ref}", ref))
            else:
                cells.append(_cell_xml(ref, value))
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{XML_DECL}{head}<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'


def raw_xlsx(
    sheets: Mapping[str, str | bytes | Iterable[bytes]],
    *,
    shared_strings: str | bytes | Iterable[bytes] | None = None,
    styles: str | bytes | None = None,
    extra: Mapping[str, bytes | str] | None = None,
    stored: Iterable[str] = (),
    workbook_head: str = "",
) -> bytes:
    """A hand-written .xlsx: sheet name -> worksheet XML (a str, bytes, or an iterable of byte
    chunks streamed into the zip). `extra` adds entries; `stored` names entries kept uncompressed."""
    overrides = [
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    ]
    rels = []
    sheet_els = []
    for i, name in enumerate(sheets, start=1):
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        rels.append(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        sheet_els.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
    n = len(sheets)
    if shared_strings is not None:
        rels.append(
            f'<Relationship Id="rId{n + 1}" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        overrides.append(
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    if styles is not None:
        rels.append(f'<Relationship Id="rId{n + 2}" Type="{REL_NS}/styles" Target="styles.xml"/>')
        overrides.append(
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        )
    content_types = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f"{''.join(overrides)}</Types>"
    )
    root_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{XML_DECL}{workbook_head}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{"".join(sheet_els)}'
        "</sheets></workbook>"
    )
    wb_rels = f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>'
    entries: list[tuple[str, Any]] = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", wb_rels),
    ]
    entries += [(f"xl/worksheets/sheet{i}.xml", xml) for i, xml in enumerate(sheets.values(), start=1)]
    if shared_strings is not None:
        entries.append(("xl/sharedStrings.xml", shared_strings))
    if styles is not None:
        entries.append(("xl/styles.xml", styles))
    entries += list((extra or {}).items())
    stored = set(stored)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            if isinstance(content, str | bytes):
                zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content, compress_type=method)
                continue
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            with zf.open(info, "w", force_zip64=True) as dest:
                for chunk in content:
                    dest.write(chunk)
    return out.getvalue()


def styles_xml(number_formats: list[str | int]) -> str:
    """styles.xml whose cellXfs are: 0 = General, then one xf per entry (a built-in numFmtId or a
    custom format code), so cell style s=i+1 has number_formats[i]."""
    custom = [f for f in number_formats if isinstance(f, str)]
    ids: list[int] = []
    num_fmts = []
    next_id = 164
    for fmt in number_formats:
        if isinstance(fmt, int):
            ids.append(fmt)
        else:
            code = fmt.replace("&", "&amp;").replace('"', "&quot;")
            num_fmts.append(f'<numFmt numFmtId="{next_id}" formatCode="{code}"/>')
            ids.append(next_id)
            next_id += 1
    xfs = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' + "".join(
        f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' for i in ids
    )
    nf = f'<numFmts count="{len(custom)}">{"".join(num_fmts)}</numFmts>' if custom else ""
    return (
        f'{XML_DECL}<styleSheet xmlns="{MAIN_NS}">{nf}'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(ids) + 1}">{xfs}</cellXfs></styleSheet>'
    )


def xlsm_with_macro() -> bytes:
    """A macro-enabled workbook (xl/vbaProject.bin present): readable, macros ignored."""
    return raw_xlsx(
        {"Data": sheet_xml([["kode_program"], ["P01"]])},
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)},
    )


# -- Too large ------------------------------------------------------------------------------


def oversized(total_bytes: int = 21 * MB) -> bytes:
    """A valid workbook over the 20 MB limit: padded with a stored, incompressible picture."""
    pad = random.Random(20).randbytes(total_bytes)
    return raw_xlsx(
        {"Data": sheet_xml([["kode_program"], ["P01"]])},
        extra={"xl/media/image1.png": pad},
        stored=["xl/media/image1.png"],
    )


def _repeat(chunk: bytes, total: int) -> Iterable[bytes]:
    block = chunk * (MB // len(chunk))
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


def zip_bomb(unpacked_bytes: int = 150 * MB) -> bytes:
    """sharedStrings.xml declaring 150 MB of one repeated letter (deflates ~1000:1, ~150 KB)."""
    head = f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    tail = b"</t></si></sst>"

    def chunks() -> Iterable[bytes]:
        yield head
        yield from _repeat(b"a", unpacked_bytes - len(head) - len(tail))
        yield tail

    sheet = sheet_xml([['<c r="{ref}" t="s"><v>0</v></c>']])
    return raw_xlsx({"Data": sheet}, shared_strings=chunks())


def ratio_bomb(unpacked_bytes: int = 60 * MB) -> bytes:
    """Under the 100 MB unpacked limit, but one entry inflates at an absurd ratio."""
    return zip_bomb(unpacked_bytes)


def _rows_xml(n_rows: int, *, prefix: str = "", refs: bool = True) -> Iterable[bytes]:
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    yield f"{XML_DECL}<{p}worksheet{ns}><{p}sheetData>".encode()
    batch = []
    for r in range(1, n_rows + 1):
        if refs:
            batch.append(f'<{p}row r="{r}"><{p}c r="A{r}"><{p}v>{r}</{p}v></{p}c></{p}row>')
        else:
            batch.append(f"<{p}row><{p}c><{p}v>{r}</{p}v></{p}c></{p}row>")
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + f"</{p}sheetData></{p}worksheet>").encode()


def many_rows(n_rows: int = 100_001, *, prefix: str = "", refs: bool = True) -> bytes:
    """One sheet of `n_rows` numbered rows, streamed straight into the zip (no openpyxl).
    `prefix`/`refs=False` write the XML unusually (x:c elements, cells without r) to exercise
    the exact, streaming check."""
    return raw_xlsx({"Data": _rows_xml(n_rows, prefix=prefix, refs=refs)})


def far_cell(ref: str = "XFD1048576") -> bytes:
    """A 1 KB workbook with A1 and one cell far away: calamine alone would allocate the dense
    grid (100 GB for XFD1048576) and abort the process."""
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    xml = (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        f'<row r="{row}"><c r="{ref}"><v>2</v></c></row></sheetData></worksheet>'
    )
    return raw_xlsx({"Data": xml})


def second_cell_ref(*, glued: bool) -> bytes:
    """A cell with a harmless first r and a second r far away (`r="A2"r="XFD1048576"`, or with a
    space between): not XML, but calamine reads the last r and would allocate the grid up to
    XFD1048576 (found by `make fuzz`, 2026-11-30)."""
    sep = "" if glued else " "
    xml = (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        f'<row r="1048576"><c r="A2"{sep}r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>'
    )
    return raw_xlsx({"Data": xml})


def second_cell_ref_beside_text(cell: str) -> bytes:
    """A cell tag hiding a second r far away (`cell`, e.g. `<c r="A2" x="a>b" r='XFD1048576'>`)
    in a sheet whose texts hold '=' ("Selesai = 100"), as real instruction sheets do: the '='
    of the text must not let the hidden r through the quick scan."""
    xml = (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>Selesai = 100, Belum Dimulai = 0</t></is></c></row>'
        f'<row r="2">{cell}<v>2</v></c></row></sheetData></worksheet>'
    )
    return raw_xlsx({"Data": xml})


def wide_sheet(columns: int = 16_384, rows: int = 200) -> bytes:
    """Few cells, but a grid of rows x columns (3.3 million cells): too large."""
    last = f"{col_letter(columns - 1)}{rows}"
    return far_cell(last)


def declared_dimension(rows: int = 200_000) -> bytes:
    """Three real rows under a <dimension> that declares 200,000."""
    return raw_xlsx({"Data": sheet_xml([["a"], ["b"], ["c"]], dimension=f"A1:C{rows}")})


def shared_string_bomb(cells: int = 20_000, string_bytes: int = 1 * MB, *, prefix: str = "") -> bytes:
    """A ~0.8 MB file: one 1 MB shared string referred to by 20,000 cells. calamine copies the
    string into every cell (and Python again): 20 GB twice. `prefix` writes the sheet as x:c
    elements (the exact, streaming check)."""
    text = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz", k=string_bytes))
    sst = f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="{cells}" uniqueCount="1"><si><t>{text}</t></si></sst>'
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    rows = "".join(
        f'<{p}row r="{r}"><{p}c r="A{r}" t="s"><{p}v>0</{p}v></{p}c></{p}row>' for r in range(1, cells + 1)
    )
    sheet = f"{XML_DECL}<{p}worksheet{ns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>"
    return raw_xlsx({"Data": sheet}, shared_strings=sst)


def shared_strings_workbook(lengths: list[int], refs: list[int], *, prefix: str = "") -> bytes:
    """Shared strings of the given lengths; column A's cells refer to them by index, in order."""
    strings = "".join(f"<si><t>{'x' * n}</t></si>" for n in lengths)
    sst = f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="{len(refs)}" uniqueCount="{len(lengths)}">{strings}</sst>'
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    rows = "".join(
        f'<{p}row r="{r}"><{p}c r="A{r}" s="0" t="s"><{p}v>{i}</{p}v></{p}c></{p}row>'
        for r, i in enumerate(refs, 1)
    )
    sheet = f"{XML_DECL}<{p}worksheet{ns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>"
    return raw_xlsx({"Data": sheet}, shared_strings=sst)


# -- XML attacks -----------------------------------------------------------------------------


def billion_laughs() -> bytes:
    """sharedStrings.xml with the classic nested-entity expansion (10^9 'lol')."""
    ents = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    sst = (
        f'<?xml version="1.0"?>\n<!DOCTYPE sst [{"".join(ents)}]>'
        f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    return raw_xlsx({"Data": sheet_xml([['<c r="{ref}" t="s"><v>0</v></c>']])}, shared_strings=sst)


def external_entity() -> bytes:
    """A worksheet with an external entity (XXE) reading /etc/passwd."""
    head = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    xml = sheet_xml([["kode_program"], ["&xxe;"]], head=head).replace("&amp;xxe;", "&xxe;")
    return raw_xlsx({"Data": xml})


def utf16_sheet() -> bytes:
    xml = sheet_xml([["kode_program"], ["P01"]]).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return raw_xlsx({"Data": xml.encode("utf-16")})


# -- Not an .xlsx ---------------------------------------------------------------------------


def _cfb(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors): entries are
    (name, type 1=storage / 2=stream, content). Streams are padded to >= 4096 bytes so that they
    live in regular sectors (no mini stream needed)."""
    sector = 512
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    streams = [(n, t, c.ljust(4096, b"\0") if t == 2 else b"") for n, t, c in entries]
    n_dir_entries = 1 + len(streams)
    dir_sectors = -(-n_dir_entries * 128 // sector)
    fat = [fat_sect] + [end if i == dir_sectors - 1 else 1 + i + 1 for i in range(dir_sectors)]
    starts = []
    body = b""
    next_sector = 1 + dir_sectors
    for _name, typ, content in streams:
        if typ != 2:
            starts.append(end)
            continue
        count = -(-len(content) // sector)
        starts.append(next_sector)
        fat += [next_sector + i + 1 if i < count - 1 else end for i in range(count)]
        body += content.ljust(count * sector, b"\0")
        next_sector += count
    if len(fat) > sector // 4:
        raise ValueError("too much content for a one-sector FAT")
    fat += [free] * (sector // 4 - len(fat))

    order = sorted(range(len(streams)), key=lambda i: (len(streams[i][0]), streams[i][0].upper()))

    def dir_entry(name: str, typ: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), typ, 1, free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    directory = dir_entry("Root Entry", 5, 1 + order[0] if order else free, free, end, 0)
    for i, (name, typ, content) in enumerate(streams):
        pos = order.index(i)
        right = 1 + order[pos + 1] if pos + 1 < len(order) else free
        directory += dir_entry(name, typ, free, right, starts[i], len(content))
    directory = directory.ljust(dir_sectors * sector, b"\0")

    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    return bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + directory + body


def encrypted_xlsx() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE2 file holding EncryptionInfo
    (agile encryption descriptor) and EncryptedPackage."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
        b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
        b"</encryption>"
    )
    package = struct.pack("<Q", 2048) + random.Random(7).randbytes(2048)
    return _cfb(
        [
            ("\x06DataSpaces", 1, b""),
            ("EncryptionInfo", 2, info),
            ("EncryptedPackage", 2, package),
        ]
    )


def legacy_xls() -> bytes:
    """An Excel 97-2003 file: OLE2 with a 'Workbook' stream starting with a BIFF8 BOF record."""
    bof = struct.pack("<HHHHII", 0x0809, 16, 0x0600, 0x0005, 0, 0)
    return _cfb([("Workbook", 2, bof + struct.pack("<HH", 0x000A, 0))])


def ods_renamed() -> bytes:
    """A LibreOffice Calc .ods renamed .xlsx."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        zf.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"><office:body>'
            "<office:spreadsheet/></office:body></office:document-content>",
        )
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    return out.getvalue()


def csv_renamed() -> bytes:
    """A CSV (semicolon-separated, as Indonesian-locale Excel writes it) renamed .xlsx."""
    return (
        b"kode_program;nama_program;dimensi;anggaran_rp\r\n"
        b"P01;Layanan Satu Pintu;Smart Governance;1.500.000.000\r\n"
        b"P02;Bank Sampah Digital;Smart Environment;750.000.000\r\n"
    )


def html_renamed() -> bytes:
    """A web application's 'Excel export' (an HTML table) renamed .xlsx."""
    return b"<html><head><meta charset='utf-8'></head><body><table><tr><td>kode_program</td></tr></table></body></html>"


def pdf_renamed() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"


def empty_file() -> bytes:
    return b""


def plain_zip() -> bytes:
    """A zip archive of a text file and a photo: not a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("laporan/README.txt", "Dokumen masterplan terlampir.")
        zf.writestr("laporan/foto.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    return out.getvalue()


def truncated_xlsx() -> bytes:
    """A valid workbook cut in half (an interrupted upload): no central directory."""
    data = small_xlsx()
    return data[: len(data) // 2]


def corrupt_entry_xlsx() -> bytes:
    """Intact zip directory, but the worksheet's compressed bytes are damaged."""
    data = bytearray(raw_xlsx({"Data": sheet_xml([[f"baris {i}", i] for i in range(200)])}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 20, start + min(info.compress_size, 220)):
        data[i] ^= 0x5A
    return bytes(data)


# -- Parts the pre-checks and the reader might resolve differently ---------------------------
# python-calamine takes a sheet's part as the workbook folder + the relationship target as
# written ("xl/" + "../xl/worksheets/sheet1.xml"), shared strings always from
# "xl/sharedStrings.xml", and looks names up case-insensitively with "\" read as "/".


def zip_parts(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A zip of exactly these entries, in this order (names written as given, twins too)."""
    import warnings

    warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def _package(sheet_target: str, parts: list[tuple[str, bytes | str]], *, extra_rels: str = "") -> bytes:
    content_types = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        "</Types>"
    )
    root_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wb_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/worksheet" '
        f'Target="{sheet_target}"/>{extra_rels}</Relationships>'
    )
    return zip_parts(
        [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", root_rels),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", wb_rels),
            *parts,
        ]
    )


def _far_sheet(ref: str = "XFD1048576") -> str:
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        f'<row r="{row}"><c r="{ref}"><v>2</v></c></row></sheetData></worksheet>'
    )


BENIGN_SHEET = sheet_xml([["kode_program"], ["P01"]])

# target as written in the relationship -> the entry calamine reads for it
TARGET_SPELLINGS = {
    "dotdot": ("../xl/worksheets/sheet1.xml", "xl/../xl/worksheets/sheet1.xml"),
    "dot": ("./worksheets/sheet1.xml", "xl/./worksheets/sheet1.xml"),
    "double-slash": ("worksheets//sheet1.xml", "xl/worksheets//sheet1.xml"),
    "absolute-dotdot": ("/xl/../xl/worksheets/sheet1.xml", "xl/../xl/worksheets/sheet1.xml"),
}


def far_cell_behind_target(spelling: str) -> bytes:
    """A benign sheet where the normalised target points, and the far cell (XFD1048576: 549 GB
    of dense grid, an abort) in the entry the reader takes for the target as written."""
    target, read_by_calamine = TARGET_SPELLINGS[spelling]
    return _package(target, [("xl/worksheets/sheet1.xml", BENIGN_SHEET), (read_by_calamine, _far_sheet())])


def far_cell_backslash_twin() -> bytes:
    """Two entries one reader cannot tell apart ("xl/worksheets/sheet1.xml" and
    "xl\\worksheets\\sheet1.xml"): which one calamine reads depends on its lookup."""
    return _package(
        "worksheets/sheet1.xml",
        [("xl/worksheets/sheet1.xml", BENIGN_SHEET), ("xl\\worksheets\\sheet1.xml", _far_sheet())],
    )


def far_cell_uppercase_name() -> bytes:
    """The sheet stored as XL/WORKSHEETS/SHEET1.XML: calamine finds it case-insensitively."""
    return _package("worksheets/sheet1.xml", [("XL/WORKSHEETS/SHEET1.XML", _far_sheet())])


def shared_strings_decoy(cells: int = 4_000, string_bytes: int = 1 * MB) -> bytes:
    """The workbook's relationships point sharedStrings at a tiny decoy part; the reader takes
    xl/sharedStrings.xml regardless: one 1 MB string copied into 4,000 cells (4 GB)."""
    text = "".join(random.Random(5).choices("abcdefghijklmnopqrstuvwxyz", k=string_bytes))
    sst = f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="{cells}" uniqueCount="1"><si><t>{text}</t></si></sst>'
    decoy = f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>x</t></si></sst>'
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, cells + 1))
    sheet = f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData>{rows}</sheetData></worksheet>'
    rel = f'<Relationship Id="rId9" Type="{REL_NS}/sharedStrings" Target="decoy.xml"/>'
    return _package(
        "worksheets/sheet1.xml",
        [("xl/worksheets/sheet1.xml", sheet), ("xl/decoy.xml", decoy), ("xl/sharedStrings.xml", sst)],
        extra_rels=rel,
    )


VBA_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def as_xlsm(xlsx: bytes) -> bytes:
    """The workbook as Excel saves it macro-enabled: xl/vbaProject.bin (an OLE2 file) referenced
    from xl/_rels/workbook.xml.rels, and the macro-enabled content type."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    entries: list[tuple[str, bytes | str]] = []
    for info in src.infolist():
        data = src.read(info)
        if info.filename == "[Content_Types].xml":
            data = data.replace(XLSX_MAIN.encode(), XLSM_MAIN.encode()).replace(
                b"</Types>",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        elif info.filename == "xl/_rels/workbook.xml.rels":
            data = data.replace(
                b"</Relationships>",
                f'<Relationship Id="rIdVba" Type="{VBA_REL_TYPE}" Target="vbaProject.bin"/></Relationships>'.encode(),
            )
        entries.append((info.filename, data))
    vba = _cfb(
        [("VBA", 1, b""), ("dir", 2, b"\x01" * 600), ("PROJECT", 2, b'ID="{0}"\r\nName="VBAProject"\r\n')]
    )
    entries.append(("xl/vbaProject.bin", vba))
    return zip_parts(entries)


def duplicate_entry_twin() -> bytes:
    """Two entries with exactly the same name: the benign sheet first, the far cell second."""
    return _package(
        "worksheets/sheet1.xml",
        [("xl/worksheets/sheet1.xml", BENIGN_SHEET), ("xl/worksheets/sheet1.xml", _far_sheet())],
    )


# -- Many findings from one small file (issue 23) -------------------------------------------------
# Program columns by letter (tests/workbooks.py's PROGRAM_COLUMNS order).
PROGRAM_LETTERS = {
    "kode_program": "A", "nama_program": "B", "dimensi": "C", "elemen": "D", "tahun_mulai": "F",
    "tahun_selesai": "G", "quick_win": "H", "anggaran_rp": "I", "target": "L",
}  # fmt: skip
# One cell each that breaks a rule: TYPE (years, money, number), ENUM (Ya/Tidak), and the
# row's other required cells empty (REQUIRED).
MANY_RULES_ROW = {
    "tahun_mulai": 12345, "tahun_selesai": 1.5, "anggaran_rp": "banyak", "quick_win": "mungkin", "target": "x",
}  # fmt: skip


def with_program_rows(
    xlsx: bytes, n_rows: int, cells: dict[str, Any], *, sheet: str = "xl/worksheets/sheet2.xml"
) -> bytes:
    """A workbook (openpyxl-made: Program is `sheet`) with `n_rows` more Program rows after
    its own, each holding only `cells` (column name -> value). Streamed: a few hundred kB."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    head, tail = src.read(sheet).decode().split("</sheetData>", 1)
    last = max(int(r) for r in re.findall(r'<row r="(\d+)"', head))
    head = re.sub(r'<dimension ref="[^"]*"/>', "", head)

    def cell(ref: str, value: Any) -> str:
        if isinstance(value, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'

    order = sorted(cells, key=lambda name: PROGRAM_LETTERS[name])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != sheet:
                dst.writestr(info.filename, src.read(info.filename))
                continue
            part = zipfile.ZipInfo(sheet, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(part, "w", force_zip64=True) as fh:
                fh.write(head.encode())
                batch = []
                for r in range(last + 1, last + 1 + n_rows):
                    row = "".join(cell(f"{PROGRAM_LETTERS[c]}{r}", cells[c]) for c in order)
                    batch.append(f'<row r="{r}">{row}</row>')
                    if len(batch) == 5000:
                        fh.write("".join(batch).encode())
                        batch = []
                fh.write(("".join(batch) + "</sheetData>" + tail).encode())
    return out.getvalue()
