"""Cell readers (smartprov.ingest.values): every accepted form, near misses, and errors."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from smartprov.contract import catalogue as contract
from smartprov.ingest.values import (
    CellError,
    canonical_region_name,
    is_empty,
    neutralise,
    read_cell,
    region_name_matches,
    split_region_name,
    suggest,
)


def type_error(type_name, raw, **kw) -> CellError:
    with pytest.raises(CellError) as info:
        read_cell(type_name, raw, **kw)
    assert info.value.rule == "TYPE"
    return info.value


def enum_error(type_name, raw, **kw) -> CellError:
    with pytest.raises(CellError) as info:
        read_cell(type_name, raw, **kw)
    assert info.value.rule == "ENUM"
    return info.value


# -- empty ------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n", "-", " - ", "N/A", "n/a", " N/a ", float("nan")])
def test_empty_markers(raw):
    assert is_empty(raw) is True


@pytest.mark.parametrize("raw", ["0", 0, 0.0, False, "--", "NA", "n.a.", "x", "-5", dt.date(2022, 1, 1)])
def test_not_empty(raw):
    assert is_empty(raw) is False


def test_pandas_missing_values_are_empty():
    pd = pytest.importorskip("pandas")
    assert is_empty(pd.NA) and is_empty(pd.NaT)


@pytest.mark.parametrize(
    "type_name",
    [
        "text",
        "code",
        "year",
        "number",
        "money",
        "percent",
        "score",
        "boolean",
        "date",
        "email",
        "region_code",
        "agencies",
    ],
)
@pytest.mark.parametrize("raw", [None, "", "  ", "-", "N/A", "n/a"])
def test_every_type_reads_empty_as_none(type_name, raw):
    assert read_cell(type_name, raw) is None


def test_enum_and_funding_read_empty_as_none():
    assert read_cell("enum", "-", enum="dimension") is None
    assert read_cell("funding_sources", " n/a ", enum="funding_source") is None


def test_unknown_type_name_is_a_programming_error():
    with pytest.raises(ValueError):
        read_cell("colour", "red")


# -- text and code ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Dinas Kominfo  ", "Dinas Kominfo"),
        ("a  b", "a  b"),  # inner spacing is the author's
        (2022.0, "2022"),
        (2022, "2022"),
        (3.5, "3.5"),
        (0.1, "0.1"),
        (True, "TRUE"),
        (dt.datetime(2022, 9, 20), "2022-09-20"),
        (dt.datetime(2022, 9, 20, 8, 30), "2022-09-20 08:30:00"),
        (dt.date(2022, 9, 20), "2022-09-20"),
        ("=SUM(A1)", "=SUM(A1)"),  # stored as text; neutralised only when written out
    ],
)
def test_text(raw, expected):
    assert read_cell("text", raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [(" SG-01 ", "SG-01"), ("sg-01", "sg-01"), (101.0, "101"), (101, "101"), (1.5, "1.5"), ("P 01", "P 01")],
)
def test_code(raw, expected):
    assert read_cell("code", raw) == expected


# -- year -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        (2022, 2022),
        (2022.0, 2022),
        ("2022", 2022),
        (" 2022 ", 2022),
        ("2022.0", 2022),
        ("2022,00", 2022),
        (1999, 1999),
    ],
)
def test_year(raw, expected):
    value = read_cell("year", raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    "raw",
    [
        "2022.5",
        2022.5,
        "dua ribu",
        "22",
        22,
        "20222",
        20222,
        "2.022",
        "2022/2023",
        True,
        -2022,
        "2022a",
        dt.date(2022, 1, 1),
        float("inf"),
    ],
)
def test_year_rejects(raw):
    err = type_error("year", raw)
    assert err.expected_id.startswith("tahun (4 digit")
    assert err.expected_en.startswith("a year (4 digits")
    assert err.suggestion is None


# -- numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1.500.000,00", 1_500_000.0),
        ("1,500,000.00", 1_500_000.0),
        ("1,500,000", 1_500_000.0),
        ("1.500", 1500.0),  # ambiguous: the Indonesian way
        ("1,500", 1.5),  # ambiguous: the Indonesian way (decimal comma)
        ("12.345.678", 12_345_678.0),
        ("3,31", 3.31),
        ("1,5", 1.5),
        ("3.31", 3.31),
        ("1.5", 1.5),
        ("0.750", 0.75),  # "0.750" cannot be Indonesian thousands
        ("1500.25", 1500.25),
        ("1.500,5", 1500.5),
        ("1,500.5", 1500.5),
        (",5", 0.5),
        ("1 500 000", 1_500_000.0),
        ("1\u00a0500\u00a0000,50", 1_500_000.5),
        ("-1.500", -1500.0),
        ("+2,5", 2.5),
        ("\u22122,5", -2.5),
        ("(1.500)", -1500.0),
        ("1e6", 1_000_000.0),
        (" 42 ", 42.0),
        (42, 42.0),
        (4.25, 4.25),
        (0, 0.0),
    ],
)
def test_number(raw, expected):
    value = read_cell("number", raw)
    assert value == pytest.approx(expected, rel=0, abs=1e-9) and type(value) is float


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "1.5.5",
        "1,5,5",
        "1.234.5678",
        "1.500.00",
        "12,34,567",
        "75%",
        "Rp 1.000",
        "1,5 M",
        "1..5",
        ".",
        ",",
        "+",
        "1 5",
        True,
        False,
        dt.date(2022, 3, 31),
        dt.time(3, 31),
        float("inf"),
    ],
)
def test_number_rejects(raw):
    err = type_error("number", raw)
    assert err.expected_id.startswith("angka")
    assert err.expected_en.startswith("a number")


def test_number_nan_is_empty():
    assert read_cell("number", float("nan")) is None


def test_score_is_a_number():
    assert read_cell("score", "3,5") == 3.5
    assert read_cell("score", 4) == 4.0
    assert type_error("score", "tinggi").expected_en.startswith("a number")


def test_numpy_scalars():
    np = pytest.importorskip("numpy")
    assert read_cell("number", np.float64(2.5)) == 2.5
    assert read_cell("number", np.int64(7)) == 7.0
    assert read_cell("year", np.int64(2023)) == 2023
    assert read_cell("boolean", np.bool_(True)) is True


# -- money ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Rp 1.500.000.000", 1_500_000_000.0),
        ("Rp1.500.000.000,-", 1_500_000_000.0),
        ("Rp. 1.500.000.000,00", 1_500_000_000.0),
        ("1.500.000.000,00", 1_500_000_000.0),
        ("1.500.000.000", 1_500_000_000.0),
        ("1,500,000,000.00", 1_500_000_000.0),
        ("IDR 1,500,000", 1_500_000.0),
        ("1,5 M", 1_500_000_000.0),
        ("1,5M", 1_500_000_000.0),
        ("1.5 M", 1_500_000_000.0),
        ("1,5 m", 1_500_000_000.0),  # M is never million, whatever the case
        ("Rp 1,5 M", 1_500_000_000.0),
        ("1,5 miliar", 1_500_000_000.0),
        ("2 Milyar", 2_000_000_000.0),
        ("1,23 M", 1_230_000_000.0),
        ("750 jt", 750_000_000.0),
        ("750jt.", 750_000_000.0),
        ("750 juta", 750_000_000.0),
        ("Rp 750 Juta", 750_000_000.0),
        ("2,5 jt", 2_500_000.0),
        ("250 rb", 250_000.0),
        ("2 ribu", 2_000.0),
        ("1,2 T", 1_200_000_000_000.0),
        ("1.500.000 rupiah", 1_500_000.0),
        ("-Rp 1.000", -1000.0),  # the sign is checked by RANGE, not here
        ("Rp -", 0.0),  # accounting format's zero
        ("Rp 0", 0.0),
        (1_500_000_000, 1_500_000_000.0),
        (1500000000.5, 1500000000.5),
        (0, 0.0),
    ],
)
def test_money(raw, expected):
    value = read_cell("money", raw)
    assert value == expected and type(value) is float


@pytest.mark.parametrize(
    "raw",
    [
        "Rp",
        "satu juta",
        "1,5 million",
        "1,5 mn",
        "1.5 B",
        "M",
        "jt",
        "Rp 1.5.5",
        "USD 100",
        "$100",
        True,
        dt.date(2022, 1, 1),
    ],
)
def test_money_rejects(raw):
    err = type_error("money", raw)
    assert err.expected_id.startswith("nilai rupiah")
    assert err.expected_en.startswith("an amount in rupiah")


# -- percent ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, formatted, expected",
    [
        ("75%", False, 75.0),
        ("75 %", False, 75.0),
        ("75", False, 75.0),
        (75, False, 75.0),
        (75.0, False, 75.0),
        ("75,5%", False, 75.5),
        ("75.5%", False, 75.5),
        (0.75, True, 75.0),  # percent-formatted cell: Excel holds the fraction
        (1, True, 100.0),
        (0.755, True, 75.5),
        (0.75, False, 0.75),  # unformatted 0.75 stays 0.75 (RANGE/CONSISTENCY decide)
        ("0,75", False, 0.75),
        ("75%", True, 75.0),  # text is text, whatever the format
        (0, True, 0.0),
        ("100%", False, 100.0),
    ],
)
def test_percent(raw, formatted, expected):
    value = read_cell("percent", raw, percent_formatted=formatted)
    assert value == expected and type(value) is float


@pytest.mark.parametrize("raw", ["tujuh puluh", "75%%", "%75", "selesai", True, dt.date(2022, 1, 1)])
def test_percent_rejects(raw):
    assert type_error("percent", raw).expected_en.startswith("a percentage")


# -- boolean ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw", ["Ya", "ya", " YA ", "Y", "y", "1", 1, 1.0, "TRUE", "true", True, "✓", "✔", "v", "V", "yes"]
)
def test_boolean_true(raw):
    assert read_cell("boolean", raw) is True


@pytest.mark.parametrize(
    "raw", ["Tidak", "tidak", "T", "N", "n", "0", 0, 0.0, "FALSE", False, "x", "X", "no"]
)
def test_boolean_false(raw):
    assert read_cell("boolean", raw) is False


def test_boolean_empty_is_none():
    assert read_cell("boolean", None) is None
    assert read_cell("boolean", "") is None


@pytest.mark.parametrize(
    "raw, suggestion",
    [("Yaa", "Ya"), ("Tdk", "Tidak"), ("Tidakk", "Tidak"), ("mungkin", None), (2, None), ("quick win", None)],
)
def test_boolean_rejects_with_suggestion(raw, suggestion):
    err = enum_error("boolean", raw)
    assert err.suggestion == suggestion
    assert err.expected_id == "Ya atau Tidak"


def test_boolean_words_come_from_the_contract():
    for word in contract.TRUE_WORDS:
        assert read_cell("boolean", word) is True
    for word in contract.FALSE_WORDS:
        assert read_cell("boolean", word.upper()) is False


# -- enums ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "enum, raw, expected",
    [
        ("dimension", "Smart Governance", "Smart Governance"),
        ("dimension", "  smart   GOVERNANCE ", "Smart Governance"),
        ("dimension", "Smart Government", "Smart Governance"),
        ("dimension", "tata kelola pemerintahan", "Smart Governance"),
        ("dimension", "Lingkungan", "Smart Environment"),
        ("dimension", "BRANDING", "Smart Branding"),
        ("element", "Pelayanan", "Layanan Publik"),
        ("element", "public  service", "Layanan Publik"),
        ("element", "Transportasi", "Mobilitas"),
        ("element", "Sampah", "Pengelolaan Sampah"),
        ("status", "selesai", "Selesai"),
        ("status", "BELUM DIMULAI", "Belum Dimulai"),
        ("status", "belum  dimulai", "Belum Dimulai"),
        ("pillar", " suprastruktur ", "Suprastruktur"),
        ("aspect", "quick win", "Quick Win"),
        ("aspect", "QuickWin", "Quick Win"),
        ("aspect", "Indeks Pencapaian", "Total"),
        ("aspect", "Ekonomi", "Smart Economy"),
        ("kind", "masterplan", "MASTERPLAN"),
        ("funding_source", "apbn", "APBN"),
    ],
)
def test_enum(enum, raw, expected):
    assert read_cell("enum", raw, enum=enum) == expected


@pytest.mark.parametrize(
    "enum, raw, suggestion",
    [
        ("dimension", "Smart Enviroment", "Smart Environment"),
        ("dimension", "Smart Govermance", "Smart Governance"),
        ("dimension", "Goverment", "Smart Governance"),
        ("dimension", "Lingkungn", "Smart Environment"),
        ("dimension", "Smart Env", "Smart Environment"),  # a beginning
        ("dimension", "Smart People", "Smart Society"),  # the smart-city wheel's name for it (issue 13)
        ("dimension", "Smart City", None),
        ("dimension", "Smart", None),  # begins all six: ambiguous
        ("dimension", "xyz", None),
        ("status", "Selesei", "Selesai"),
        ("status", "Sudah Selesai", "Selesai"),
        ("pillar", "Infrastuktur", "Infrastruktur"),
        ("pillar", "Struktural", "Struktur"),
        ("element", "Kesehatan Masyarakat", "Kesehatan"),
        ("element", "Sampah Organik", "Pengelolaan Sampah"),  # via the alias "Sampah"
    ],
)
def test_enum_unknown_suggests(enum, raw, suggestion):
    err = enum_error("enum", raw, enum=enum)
    assert err.suggestion == suggestion
    assert err.expected_en.startswith("one of: ")
    assert suggest(enum, raw) == suggestion


def test_enum_expected_lists_the_canonical_values():
    err = enum_error("enum", "Dalam Proses", enum="status")
    assert err.expected_id == "salah satu dari: Belum Dimulai, Berjalan, Selesai, Tertunda, Dibatalkan"
    assert err.expected_en == "one of: Belum Dimulai, Berjalan, Selesai, Tertunda, Dibatalkan"


def test_enum_suggestion_is_always_canonical():
    # aliases take part in the search but the answer is the stored value
    assert suggest("element", "Transportasii") == "Mobilitas"
    assert suggest("dimension", "Ekonomy") == "Smart Economy"


def test_suggest_empty_is_none():
    assert suggest("dimension", "") is None
    assert suggest("dimension", None) is None


def test_enum_without_set_is_a_programming_error():
    with pytest.raises(ValueError):
        read_cell("enum", "Selesai")


def test_every_canonical_value_reads_as_itself():
    for enum in ("dimension", "element", "status", "pillar", "aspect", "funding_source", "kind"):
        for value in contract.allowed_values(enum):
            assert read_cell("enum", value.upper(), enum=enum) == value


# -- funding sources --------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("APBD Kab/Kota", ["APBD Kab/Kota"]),
        ("apbd kab/kota", ["APBD Kab/Kota"]),
        ("APBD Kab / Kota", ["APBD Kab/Kota"]),
        ("APBD Kab/Kota, APBN", ["APBD Kab/Kota"] + ["APBN"]),
        ("APBN/APBD Kab/Kota", ["APBN", "APBD Kab/Kota"]),
        ("APBD Kab/Kota/APBD Provinsi", ["APBD Kab/Kota", "APBD Provinsi"]),
        ("APBN / CSR ; Hibah", ["APBN", "CSR", "Hibah"]),
        ("KPBU,Lainnya", ["KPBU", "Lainnya"]),
        ("APBN, APBN", ["APBN"]),
        ("APBN, -", ["APBN"]),
        (" CSR ", ["CSR"]),
        ("APBN,", ["APBN"]),
    ],
)
def test_funding_sources(raw, expected):
    assert read_cell("funding_sources", raw, enum="funding_source") == expected


def test_funding_sources_default_enum():
    assert read_cell("funding_sources", "APBN/CSR") == ["APBN", "CSR"]


@pytest.mark.parametrize(
    "raw, suggestion",
    [
        ("APBN, Swasta", None),
        ("APBN/Lainya", "Lainnya"),
        ("Dana CSR", "CSR"),
        ("APBD", None),  # APBD Kab/Kota or APBD Provinsi: ambiguous
        ("APBD Kab", "APBD Kab/Kota"),  # a beginning of one value
        ("APBD Kabupaten", None),
        ("APBNN", "APBN"),
    ],
)
def test_funding_sources_unknown_part(raw, suggestion):
    err = enum_error("funding_sources", raw, enum="funding_source")
    assert err.suggestion == suggestion


def test_funding_sources_number_is_enum_error():
    enum_error("funding_sources", 5, enum="funding_source")


# -- agencies ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Diskominfo", ["Diskominfo"]),
        ("Diskominfo; Bappeda", ["Diskominfo", "Bappeda"]),
        ("Diskominfo, Bappeda ,Dinkes", ["Diskominfo", "Bappeda", "Dinkes"]),
        ("Diskominfo;; Bappeda;", ["Diskominfo", "Bappeda"]),
        ("Dinas  Komunikasi dan\nInformatika; Bappeda", ["Dinas Komunikasi dan Informatika", "Bappeda"]),
        ("Diskominfo; diskominfo; Bappeda", ["Diskominfo", "Bappeda"]),
        ("Diskominfo; -", ["Diskominfo"]),
    ],
)
def test_agencies(raw, expected):
    value = read_cell("agencies", raw)
    assert value == expected
    assert value[0] == expected[0]  # the lead comes first


def test_agencies_only_separators_is_none():
    assert read_cell("agencies", " ; , ") is None


# -- dates ------------------------------------------------------------------------------
D = dt.date(2022, 9, 20)


@pytest.mark.parametrize(
    "raw",
    [
        D,
        dt.datetime(2022, 9, 20),
        dt.datetime(2022, 9, 20, 14, 5),
        44824,  # Excel serial, 1900 date system
        44824.0,
        44824.75,  # the fraction is the time of day
        "2022-09-20",
        "2022/09/20",
        "2022-09-20 00:00:00",
        "2022-09-20T10:00",
        "20/09/2022",
        "20-09-2022",
        "20.09.2022",
        "20/9/2022",
        "20/09/22",
        "20/09/2022 10:30",
        "20 September 2022",
        "20 september 2022",
        "20 SEPTEMBER 2022",
        "20 Sep 2022",
        "20 Sept 2022",
        "20 Sept. 2022",
        "20-Sep-2022",
        "20-Sep-22",
        "Selasa, 20 September 2022",
        "September 20, 2022",
        "Sep 20 2022",
        "  20   September   2022 ",
    ],
)
def test_date_forms(raw):
    assert read_cell("date", raw) == D


@pytest.mark.parametrize(
    "text, month",
    [
        ("Januari", 1), ("Jan", 1), ("Februari", 2), ("Pebruari", 2), ("Feb", 2), ("Peb", 2), ("Maret", 3),
        ("Mar", 3), ("April", 4), ("Apr", 4), ("Mei", 5), ("Juni", 6), ("Jun", 6), ("Juli", 7), ("Jul", 7),
        ("Agustus", 8), ("Agu", 8), ("Agt", 8), ("Ags", 8), ("September", 9), ("Sep", 9), ("Sept", 9),
        ("Oktober", 10), ("Okt", 10), ("November", 11), ("Nopember", 11), ("Nov", 11), ("Nop", 11),
        ("Desember", 12), ("Des", 12),
        ("January", 1), ("February", 2), ("March", 3), ("May", 5), ("June", 6), ("July", 7), ("August", 8),
        ("Aug", 8), ("October", 10), ("Oct", 10), ("December", 12), ("Dec", 12),
    ],
)  # fmt: skip
def test_date_month_names(text, month):
    assert read_cell("date", f"5 {text} 2023") == dt.date(2023, month, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2022",  # no such day
        "09/20/2022",  # month-first is not read: day first, and month 20 does not exist
        "2022-13-01",
        "20 Foo 2022",
        "September 2022",
        "2022",
        2022,  # a year typed into a date cell is not 14 July 1905
        1,
        -5,
        "kemarin",
        "20-09",
        dt.time(10, 30),
        dt.timedelta(days=3),
        True,
        float("inf"),
    ],
)
def test_date_rejects(raw):
    err = type_error("date", raw)
    assert err.expected_id.startswith("tanggal")
    assert err.expected_en.startswith("a date")


def test_date_day_first_when_ambiguous():
    assert read_cell("date", "03/04/2022") == dt.date(2022, 4, 3)


def test_excel_serial_epoch():
    assert read_cell("date", 18264) == dt.date(1950, 1, 1)
    assert read_cell("date", 45292) == dt.date(2024, 1, 1)


# -- e-mail -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("diskominfo@bandungkab.go.id", "diskominfo@bandungkab.go.id"),
        ("  Diskominfo@BandungKab.GO.ID ", "Diskominfo@bandungkab.go.id"),
        ("first.last+smart@sub.example.co.id", "first.last+smart@sub.example.co.id"),
        ("mailto:info@kominfo.go.id", "info@kominfo.go.id"),
        ("<info@kominfo.go.id>", "info@kominfo.go.id"),
        ("a_b-c@x-y.id", "a_b-c@x-y.id"),
    ],
)
def test_email(raw, expected):
    assert read_cell("email", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "diskominfo",
        "diskominfo@",
        "@bandungkab.go.id",
        "a@b",
        "a@b.c",
        "a b@x.id",
        "a@@x.id",
        "a@x..id",
        ".a@x.id",
        "a.@x.id",
        "a..b@x.id",
        "a@-x.id",
        "a@x.id; b@y.id",
        "a@x.id,",
        12345,
    ],
)
def test_email_rejects(raw):
    assert type_error("email", raw).expected_en.startswith("an e-mail address")


# -- region codes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("32.04", "32.04"),
        (" 32.04 ", "32.04"),
        ("3204", "32.04"),
        (3204, "32.04"),
        (3204.0, "32.04"),
        (32.04, "32.04"),  # "32.04" typed into a number cell
        (32.1, "32.10"),  # Excel turns a typed "32.10" into 32.1
        ("32,04", "32.04"),
        ("99.99", "99.99"),  # existence is checked elsewhere
        ("31.71", "31.71"),
    ],
)
def test_region_code(raw, expected):
    assert read_cell("region_code", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "32.4",
        "3.204",
        "32",
        "320",
        "32045",
        "32.004",
        "32-04",
        "32 04",
        "KAB BANDUNG",
        32,
        320,
        32045,
        3.204,
        True,
        "32.04.01",
    ],
)
def test_region_code_rejects(raw):
    err = type_error("region_code", raw)
    assert "32.04" in err.expected_id and "PP.RR" in err.expected_en


# -- region names -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, kind, base",
    [
        ("Kabupaten Bandung", "kabupaten", "bandung"),
        ("Kab. Bandung", "kabupaten", "bandung"),
        ("Kab.Bandung", "kabupaten", "bandung"),
        ("KAB BANDUNG", "kabupaten", "bandung"),
        ("Pemerintah Kabupaten Bandung", "kabupaten", "bandung"),
        ("Pemkab Bandung", "kabupaten", "bandung"),
        ("Kota Bandung", "kota", "bandung"),
        ("Kot. Bandung", "kota", "bandung"),
        ("Kotamadya Bandung", "kota", "bandung"),
        ("Pemkot Bandung", "kota", "bandung"),
        ("Kota Administrasi Jakarta Pusat", "kota", "jakarta pusat"),
        ("Kabupaten Administrasi Kepulauan Seribu", "kabupaten", "kepulauan seribu"),
        ("Bandung", None, "bandung"),
        ("Kotabaru", None, "kotabaru"),  # a name, not "Kota" + "baru"
        ("Kabupaten Toli-Toli", "kabupaten", "toli toli"),
        ("Kota", None, "kota"),
    ],
)
def test_split_region_name(raw, kind, base):
    assert split_region_name(raw) == (kind, base)


def test_canonical_region_name():
    assert canonical_region_name("KAB. BANDUNG BARAT") == "kabupaten bandung barat"
    assert canonical_region_name("Kota Adm. Jakarta Pusat") == "kota jakarta pusat"
    assert canonical_region_name(" Garut ") == "garut"


@pytest.mark.parametrize(
    "given, official, kind, expected",
    [
        ("Kab. Bandung", "Kabupaten Bandung", "kabupaten", True),
        ("Kabupaten Bandung", "Kabupaten Bandung", "kabupaten", True),
        ("KAB BANDUNG", "Kabupaten Bandung", "kabupaten", True),
        ("kab bandung", "Kabupaten Bandung", "kabupaten", True),
        ("Kota Bandung", "Kabupaten Bandung", "kabupaten", False),
        ("Kabupaten Bandung", "Kota Bandung", "kota", False),
        ("Kota Bandung", "Kota Bandung", "kota", True),
        ("Bandung", "Kabupaten Bandung", "kabupaten", False),  # kabupaten and kota exist
        ("Bandung", "Kota Bandung", "kota", False),
        ("Bogor", "Kabupaten Bogor", "kabupaten", False),
        ("Garut", "Kabupaten Garut", "kabupaten", True),  # unique in the country
        ("Kab. Bandung Barat", "Kabupaten Bandung", "kabupaten", False),
        ("Kab. Garut", "Kabupaten Bandung", "kabupaten", False),
        ("Kabupaten Tolitoli", "Kabupaten Toli-Toli", "kabupaten", True),
        ("Jakarta Pusat", "Kota Administrasi Jakarta Pusat", "kota", True),
        ("Kota Jakarta Pusat", "Kota Administrasi Jakarta Pusat", "kota", True),
        ("Banjar", "Kota Banjar", "kota", False),  # Kabupaten Banjar is in Kalimantan Selatan
        ("", "Kabupaten Garut", "kabupaten", False),
        ("Kabupaten", "Kabupaten Garut", "kabupaten", False),
    ],
)
def test_region_name_matches(given, official, kind, expected):
    assert region_name_matches(given, official, kind) is expected


def test_region_name_matches_every_official_name():
    for region in contract.regions().values():
        assert region_name_matches(region.name.upper(), region.name, region.type), region.name


# -- neutralise -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+62 22 1234", "'+62 22 1234"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Diskominfo", "Diskominfo"),
        (" =1", " =1"),
        ("", ""),
        (5, 5),
        (-5, -5),
        (None, None),
        (D, D),
    ],
)
def test_neutralise(raw, expected):
    assert neutralise(raw) == expected


# -- CellError --------------------------------------------------------------------------
def test_cell_error_attributes():
    err = CellError("ENUM", "salah satu dari: A", "one of: A", suggestion="A")
    assert (err.rule, err.expected_id, err.expected_en, err.suggestion) == (
        "ENUM",
        "salah satu dari: A",
        "one of: A",
        "A",
    )
    assert "A" in str(err)
    assert CellError("TYPE", "angka", "a number").suggestion is None


# -- the common path (its speed is measured by `make bench`'s parse phase, not here) ------
def test_common_path_reads_every_cell():
    cells = [float(i) for i in range(80_000)]
    assert [read_cell("number", c) for c in cells] == cells
    assert [read_cell("money", c) for c in cells] == cells
    assert all(type(read_cell("money", i)) is float for i in range(0, 80_000, 997))  # ints too
    texts = ["Rp 1.500.000.000", "1,5 M", "750 jt", "1.500.000,00", "2.500"]
    expected = [1_500_000_000.0, 1_500_000_000.0, 750_000_000.0, 1_500_000.0, 2_500.0]
    assert [read_cell("money", t) for t in texts * 4_000] == expected * 4_000
    assert {read_cell("enum", e, enum="dimension") for e in ("smart living", " SMART  Living ")} == {
        "Smart Living"
    }
    assert not math.isnan(read_cell("percent", 0.5, percent_formatted=True))
