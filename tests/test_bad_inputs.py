"""Workbooks as communes really send them: a generated corpus of bad and odd inputs.

Each case builds an input folder (mostly one good commune file plus the odd or
bad thing), runs `assess` through the CLI and checks the exact outcome: the exit
status, the (file, sheet, cell, code) of every row of the summary's problems
sheet, the severity and commune code of the key rows of loi-du-lieu.csv, and the
results of the communes concerned in xa-2024.csv / ket-qua-2024.csv.

Crafted files (zip and entity bombs, a cell at XFD1048576) are assessed in a
subprocess with a 2 GiB address-space limit and a 60 s timeout, so that a reader
which blows up fails its case instead of taking the test run down.

The .xls, .ods and password-protected fixtures in tests/fixtures/ were made once
by `PYTHONPATH=.:tests python tests/test_bad_inputs.py` (see `make_fixtures`): no maintained Python
library writes .xls, the encrypted .xlsx needs msoffcrypto-tool (not a project dependency), and the
tests should not need LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import resource
import shutil
import struct
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from conftest import REPO, Run, passing_commune, passing_village, read_csv, summary_problems, write_workbook
from xlsxwriter.utility import xl_col_to_name

from pipeline.catalog import load_columns
from pipeline.presenting.messages import PROBLEMS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COLUMNS = load_columns()
LABELS = {sheet: COLUMNS.of(sheet)["label"].to_dict() for sheet in ("Xa", "Thon")}
XA_KEYS = list(passing_commune())  # the column order write_workbook gives the Xa sheet
THON_KEYS = list(passing_village())
ISOLATED_MEMORY = 2 * 2**30
ISOLATED_TIMEOUT = 60
MESSAGES = {code: text["vi"] for code, text in PROBLEMS.items()}  # what a problem's message starts with


# --- building inputs -------------------------------------------------------------------------------------------------


def cell(key: str, row: int = 4, keys: list[str] = XA_KEYS) -> str:
    """The cell of `key` in data row `row` when the header is `keys` from column A (default: write_workbook's)."""
    return f"{xl_col_to_name(keys.index(key))}{row}"


def villages(ma_xa="00001", n=3) -> list[dict]:
    return [passing_village(ma_xa, f"thôn {i}", smart=False) for i in range(1, n + 1)]


def good(path: Path, ma_xa="00001", **overrides) -> Path:
    """One passing commune and its villages, as write_workbook writes them (header row 3, data from row 4)."""
    return write_workbook(path, [passing_commune(ma_xa, **overrides)], villages(ma_xa))


def table(rows: list[dict], header: Callable[[str, str], object] | None = None, sheet="Xa", keys=None, titles=2):
    """A sheet as a list of rows: `titles` title rows, a header (keys, or header(sheet, key)), the data rows."""
    keys = keys or list(dict.fromkeys(k for r in rows for k in r))
    out = ([[f"Biểu số liệu {sheet}"]] + [[] for _ in range(titles - 1)]) if titles else []
    out.append([header(sheet, k) if header else k for k in keys])
    out += [[r.get(k) for k in keys] for r in rows]
    return out


def write_rows(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write sheets cell by cell with xlsxwriter; None leaves the cell empty, a (formula, value) pair is a formula."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, tuple):
                    ws.write_formula(i, j, value[0], None, value[1])
                elif value is not None:
                    ws.write(i, j, value)
    wb.close()
    return path


def write_openpyxl(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write sheets with openpyxl, which saves a formula ("=…") with no cached value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(i, j, value)
    wb.save(path)
    return path


def rezip(path: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    """Rewrite every member of a zip archive through edit(name, data)."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, edit(info.filename, data))
    return path


def both_sheets(ma_xa="00001", header=None, keys=None, titles=2, **overrides) -> dict[str, list[list]]:
    return {
        "Xa": table([passing_commune(ma_xa, **overrides)], header, "Xa", keys, titles),
        "Thon": table(villages(ma_xa), header, "Thon", None, titles),
    }


def label(sheet: str, key: str) -> str:
    return LABELS[sheet][key]


def bare_upper(sheet: str, key: str) -> str:
    """A label in capitals without accents, as typed on a keyboard without Vietnamese input ("MA XA")."""
    text = unicodedata.normalize("NFD", label(sheet, key))
    return re.sub(r"[\u0300-\u036f]", "", text).replace("đ", "d").replace("Đ", "D").upper()


def untidy(sheet: str, key: str) -> str:
    """A label as people retype it: a line break, doubled spaces, a required-mark and a colon."""
    first, _, rest = label(sheet, key).partition(" ")
    return f"{first}\n{rest.replace(' ', '  ')} (*):"


# TCVN3 (ABC) code points, typed with the .VnTime fonts, of the letters used below; read as Latin-1 by a
# spreadsheet they look like this (checked against glibc's TCVN5712-1 decoder for the lower-case letters).
TCVN3 = {"à": "µ", "â": "©", "ã": "·", "ệ": "Ö", "ử": "ö"}


def tcvn3(text: str) -> str:
    return "".join(TCVN3.get(c, c) for c in text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def xlsm(path: Path) -> Path:
    """An xlsx generated as usual, declared macro-enabled as Excel saves a .xlsm."""
    good(path.with_suffix(".tmp.xlsx"), "00001").rename(path)
    macro = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    plain = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    return rezip(path, lambda name, data: data.replace(plain, macro) if name == "[Content_Types].xml" else data)


def sheet_xml_edit(path: Path, member: str, edit: Callable[[bytes], bytes]) -> Path:
    return rezip(path, lambda name, data: edit(data) if name == member else data)


BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]>"
)


def entity_bomb_in_strings(path: Path) -> Path:
    """Billion laughs in sharedStrings.xml; the commune name refers to the outermost entity."""
    write_workbook(path, [passing_commune("00001", ten_xa="Xã Bom")], villages("00001"))

    def edit(data: bytes) -> bytes:
        data = data.replace(b"?>", b"?>" + BILLION_LAUGHS, 1)
        return data.replace("Xã Bom".encode(), b"&lol9;", 1)

    return sheet_xml_edit(path, "xl/sharedStrings.xml", edit)


def entity_bomb_in_sheet(path: Path) -> Path:
    """Billion laughs in the Xa sheet's XML, used by an inline-string cell."""
    good(path, "00001")

    def edit(data: bytes) -> bytes:
        data = data.replace(b"?>", b"?>" + BILLION_LAUGHS, 1)
        bomb = b'<c r="AZ4" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        return re.sub(rb'(<row r="4"[^>]*>.*?)</row>', lambda m: m.group(1) + bomb, data, count=1, flags=re.S)

    return sheet_xml_edit(path, "xl/worksheets/sheet1.xml", edit)


def far_cell(path: Path) -> Path:
    """A good commune sheet with one stray value in the very last cell of the grid."""
    good(path, "00001")
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    return sheet_xml_edit(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"</sheetData>", far, 1))


BOMB_BYTES = 300 * 2**20


def zip_bomb(path: Path, lie: bool = False) -> Path:
    """A workbook whose Xa sheet XML is 300 MB of spaces, deflated to about 1 MB.

    With lie=True the archive's headers declare 1000 bytes instead, so a reader that trusts
    the declared sizes alone is fooled.
    """
    good(path, "00001")
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    chunk = b" " * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in members:
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with z.open(name, "w") as f:
                f.write(head + b"<sheetData>")
                for _ in range(BOMB_BYTES // len(chunk)):
                    f.write(chunk)
                f.write(tail)
    if lie:
        raw = bytearray(path.read_bytes())
        name = b"xl/worksheets/sheet1.xml"
        for sig, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
            for m in re.finditer(re.escape(sig), raw):
                start = m.start()
                if raw[start + name_at : start + name_at + len(name)] == name:
                    raw[start + size_at : start + size_at + 4] = (1000).to_bytes(4, "little")
        path.write_bytes(bytes(raw))
    return path


def truncated(path: Path) -> Path:
    good(path, "00001")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def copy_fixture(name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, dest)
    return dest


# --- the cases -------------------------------------------------------------------------------------------------------


def either(*options):
    """An expected value that may be any of these (only where the spec leaves the outcome open)."""
    return frozenset(options)


@dataclass
class Case:
    """One odd input and its exact outcome.

    problems: every (file, sheet, cell, code) of the summary's problems sheet; an element may be
        either(...) of several accepted values.
    rows: fields of key rows of loi-du-lieu.csv; each must match some row exactly on the given fields.
    communes: ma_xa -> ket_qua, or a dict of xa-2024.csv fields, or None when the commune must be absent.
    besides: codes of problems that follow from this case's in other ways than its subject (left out of the
        comparison, for example what a commune with no village sheet gets).
    indicators: (ma_xa, indicator) -> ket_qua, or a dict of ket-qua-2024.csv fields.
    """

    id: str
    build: Callable[[Path], object]
    problems: list[tuple] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    communes: dict = field(default_factory=lambda: {"00001": "dat"})
    indicators: dict = field(default_factory=dict)
    exit_code: int = 0
    isolated: bool = False
    besides: frozenset = frozenset()


def bad_cell_case(id, key, value, code, unaffected, indicator, **extra):
    """A single bad Xa cell in an otherwise passing commune: one problem, one indicator not assessable."""
    found = extra.pop("found", str(value))
    return Case(
        id,
        lambda d: good(d / "xa.xlsx", "00001", **{key: value}),
        problems=[("xa.xlsx", "Xa", cell(key), code)],
        rows=[dict(tep="xa.xlsx", trang="Xa", o=cell(key), cot=key, gia_tri=found, muc_do="loi", ma_xa="00001")],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", indicator): "khong_danh_gia_duoc", ("00001", unaffected): "dat"},
        exit_code=3,
        **extra,
    )


def build_sub_folders(d: Path):
    good(d / "huyen-a" / "xa-1.xlsx", "00001")
    good(d / "huyen-b" / "2024" / "xa-2.xlsx", "00002", dan_so_lao_dong_smartphone="80%")


def build_lock_file(d: Path):
    good(d / "xa.xlsx", "00001")
    (d / "~$xa.xlsx").write_bytes(b"\x0bNguyen Van A" + b"\x20" * 40 + b"\x0bNguyen Van A" + b"\x00" * 100)
    (d / ".~lock.xa.xlsx#").write_text("Nguyen Van A,may-1,/tmp,29.11.2024 09:00,file:///x;")


def build_hidden_and_temp(d: Path):
    good(d / "xa.xlsx", "00001")
    (d / ".hidden.xlsx").write_bytes(b"not a workbook")
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (d / "~WRL0001.tmp").write_bytes(b"\x00" * 64)
    (d / "xa.xlsx.tmp").write_bytes(b"half-written")
    (d / ".Trash-0" / "files").mkdir(parents=True)
    (d / ".Trash-0" / "files" / "cu.xlsx").write_bytes(b"deleted, half-written")


def build_windows_hidden_files(d: Path):
    """Files Windows keeps hidden in every folder, copied along with it (the hidden attribute does not travel)."""
    good(d / "xa.xlsx", "00001")
    (d / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (d / "huyen-a").mkdir()
    (d / "huyen-a" / "desktop.ini").write_text("[.ShellClassInfo]\r\n")


def build_other_files(d: Path):
    good(d / "xa.xlsx", "00001")
    (d / "notes.txt").write_text("Gửi kèm số liệu xã\n", encoding="utf-8")
    (d / "huyen-a").mkdir()
    (d / "huyen-a" / "cong-van.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")


def build_formats(fixture: str, name: str):
    def build(d: Path):
        good(d / "xa.xlsx", "00001")
        copy_fixture(fixture, d / name)

    return build


def build_title_rows(d: Path):
    sheets = both_sheets("00001", titles=6, dan_so_lao_dong_smartphone="80%")
    sheets["Xa"][1] = ["UBND huyện Thử"]
    sheets["Xa"][3] = ["Đơn vị báo cáo: xã 00001", None, None, "Kỳ báo cáo: năm 2024"]
    write_rows(d / "xa.xlsx", sheets)


SHUFFLED = XA_KEYS.copy()
random.Random(2024).shuffle(SHUFFLED)


def build_missing_ma_xa(d: Path):
    keys = [k for k in XA_KEYS if k != "ma_xa"]
    write_rows(d / "a.xlsx", {"Xa": table([passing_commune("00001")], keys=keys)})
    good(d / "b.xlsx", "00002")


def build_unknown_column(d: Path):
    row = passing_commune("00001") | {"Ghi chú": "đã rà soát"}
    write_rows(d / "xa.xlsx", {"Xa": table([row]), "Thon": table(villages(), sheet="Thon")})


YES = {
    "co_diem_buu_chinh": ("x", "8.1"),
    "co_dai_truyen_thanh": (1, "8.3"),
    "ung_dung_cntt_dieu_hanh": (True, "8.4"),
    "bc_may_tinh": ("Đạt", "8.1.a"),
    "bc_may_quet": ("yes", "8.1.b"),
    "bc_nhan_vien_dao_tao": ("CÓ", "8.1.c"),
    "bc_tiep_nhan_tra_kq": ("1", "8.1.d"),
    "co_diem_xuat_ban_pham": ("TRUE", "8.3.d"),
    "mc_may_tinh": (" có ", "15.2.a"),
    "mc_camera": ("X", "15.2.b"),
    "mc_man_hinh_cam_ung": ("Yes", "15.2.c"),
    "mc_may_quet": ("ĐẠT", "15.2.d"),
}
NO = {
    "co_diem_buu_chinh": ("KHÔNG", "8.1"),
    "ung_dung_cntt_dieu_hanh": (False, "8.4"),
    "bc_may_tinh": (0, "8.1.a"),
    "bc_may_quet": ("0", "8.1.b"),
    "bc_nhan_vien_dao_tao": ("Không đạt", "8.1.c"),
    "bc_tiep_nhan_tra_kq": ("no", "8.1.d"),
    "mc_may_tinh": ("khong", "15.2.a"),
    "mc_camera": ("FALSE", "15.2.b"),
}
COUNTS = {
    "dan_so_lao_dong": "10.000",
    "dan_so_lao_dong_smartphone": "8,500",
    "tong_so_ho": " 3 000 ",
    "so_ho_xem_truyen_hinh": 2900.0,
    "van_ban_tong": "1\u00a0000",
    "van_ban_ky_so": "800",
    "ho_so_tong": "1.234.567",
    "ho_so_cap_nhat": "1,234,567",
    "ho_so_truc_tuyen": 1000000.0,
}


def build_numeric_code(d: Path):
    write_workbook(d / "xa.xlsx", [passing_commune(1234)], [v | {"ma_xa": 1234} for v in villages("01234")])


def build_nfd(d: Path):
    row = passing_commune("00001", ten_xa=nfd("  Xã Hòa Bình\u00a0 "), huyen=nfd("huyện Thử "))
    write_workbook(d / "xa.xlsx", [row], villages("00001"))


def build_formula_without_value(d: Path):
    sheets = both_sheets("00001", dan_so_lao_dong_smartphone="=4000+4500")
    write_openpyxl(d / "xa.xlsx", sheets)


def build_formula_with_value(d: Path):
    sheets = both_sheets("00001", dan_so_lao_dong_smartphone=("=4000+4500", 8500))
    write_rows(d / "xa.xlsx", sheets)


def build_no_xa_sheet(d: Path):
    good(d / "xa.xlsx", "00002")
    write_rows(d / "khong-co-trang-xa.xlsx", {"Sheet1": table([passing_commune("00001")])})


def build_conflict(d: Path):
    good(d / "a.xlsx", "00001")
    write_workbook(
        d / "b.xlsx", [passing_commune("00002"), passing_commune("00001", ten_xa="Xã Một")], villages("00002")
    )


def build_unknown_commune(d: Path, code="09999"):
    thon = villages("00001") + [passing_village(code, "thôn 9", co_loa_hoat_dong="Không")]
    write_workbook(d / "xa.xlsx", [passing_commune("00001")], thon)


def build_villages_apart(d: Path):
    """The commune sheet in one workbook, its villages in another that holds only a `Thon` sheet; a second
    commune sends both sheets."""
    write_workbook(d / "xa.xlsx", [passing_commune("00001")])
    write_rows(d / "thon.xlsx", {"Thon": table(villages("00001"), sheet="Thon")})
    good(d / "xa-2.xlsx", "00002")


def build_districts_not_names(d: Path):
    """District cells as Excel saves a date (with its date format), TRUE, 3.5 and 12: no district's name."""
    values = [dt.date(2024, 1, 5), True, 3.5, 12]
    rows = [passing_commune(f"0000{i}", huyen=v) for i, v in enumerate(values, start=1)]
    thon = [v for i in range(1, 5) for v in villages(f"0000{i}")]
    write_openpyxl(d / "xa.xlsx", {"Xa": table(rows, keys=XA_KEYS), "Thon": table(thon, sheet="Thon")})


def build_duplicate_village(d: Path, second="thôn 2"):
    thon = villages("00001") + [passing_village("00001", second, smart=False)]
    write_workbook(d / "xa.xlsx", [passing_commune("00001")], thon)


def with_good_commune(make: Callable[[Path], object], name: str) -> Callable[[Path], None]:
    """The crafted file holds commune 00001; commune 00002 in another file must still be assessed."""

    def build(d: Path):
        good(d / "xa.xlsx", "00002")
        make(d / name)

    return build


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    return with_good_commune(lambda p: p.write_bytes(data), name)


UNREADABLE = either("khong-doc-duoc", "qua-lon")
BOTH = {"00001": None, "00002": "dat"}  # the crafted file's commune is not read, the other one is assessed


# --- files that used to crash, exhaust or hang the reader (issue 12): each is read in an isolated worker -------------


def far_cell_single_quoted(path: Path) -> Path:
    """The cell at XFD1048576 with its address in single quotes, which a pre-check looking for r="…" missed."""
    good(path, "00001")
    far = b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row></sheetData>"
    return sheet_xml_edit(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"</sheetData>", far, 1))


def crafted_ods(path: Path) -> Path:
    """hai-xa.ods with 5,000 repeated rows of 16,000 empty cells and a value: a grid of 80 million cells.

    The repeated empty cells hold no value, so a count of value cells sees 5,000; the parser builds the
    whole grid (about 3 GiB) and aborts when its allocation fails.
    """
    copy_fixture("hai-xa.ods", path)
    row = (
        b'<table:table-row table:number-rows-repeated="5000"><table:table-cell table:number-columns-repeated="16000"/>'
        b'<table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
    )
    repeated = rb'<table:table-row[^>]*number-rows-repeated="[0-9]+"[^>]*>.*?</table:table-row>'
    return sheet_xml_edit(path, "content.xml", lambda d: re.sub(repeated, lambda m: row, d, count=1, flags=re.S))


def flipped_xls(path: Path, seed: int = 19, flips: int = 8) -> Path:
    """hai-xa.xls with a few bytes changed at random (seeded): this seed makes python-calamine abort."""
    data = bytearray((FIXTURES / "hai-xa.xls").read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path.write_bytes(bytes(data))
    return path


def damaged_deflate(path: Path) -> Path:
    """A workbook whose Xa sheet's compressed data is overwritten in the middle (the zip's headers intact)."""
    good(path, "00001")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(path.read_bytes())
    name_len, extra_len = (
        int.from_bytes(raw[info.header_offset + k : info.header_offset + k + 2], "little") for k in (26, 28)
    )
    start = info.header_offset + 30 + name_len + extra_len
    raw[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    return path


def non_utf8_name(d: Path) -> None:
    """A file whose name holds the byte 0xE9 (é in Windows-1252), as a Windows zip unpacks on Linux."""
    good(d / "xa.xlsx", "00002")
    good(Path(os.fsdecode(os.fsencode(d) + b"/x\xe9.xlsx")), "00001")


def huge_sparse(d: Path) -> None:
    """A 5 GiB file (sparse: it costs no disk) next to a good one: its size must stop it before it is read."""
    good(d / "xa.xlsx", "00002")
    with (d / "lon.xlsx").open("wb") as f:
        f.truncate(5 * 2**30)


def quadratic_comment(path: Path) -> Path:
    """88 KB of cell and formula tags inside an XML comment: a lazy regex scan of cell bodies took minutes on it."""
    good(path, "00001")
    comment = b"<!--" + b'<c r="A1"><f>1' * 6300 + b"-->"
    return sheet_xml_edit(
        path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"<sheetData>", b"<sheetData>" + comment, 1)
    )


def build_formula_empty_result(d: Path):
    """`=IF(…,"",…)` in nam_dat_nang_cao, filled down ten rows past the data.

    Saved as Excel saves a formula whose result is empty text: t="str" and an empty <v>.
    """
    formula = ('=IF(E4="kieu_mau",2022,"")', "")
    sheets = both_sheets("00001", nam_dat_nang_cao=formula)
    col = XA_KEYS.index("nam_dat_nang_cao")
    sheets["Xa"] += [[None] * col + [formula] for _ in range(10)]
    write_rows(d / "xa.xlsx", sheets)
    as_text = rb'\1 t="str"\2'
    sheet_xml_edit(
        d / "xa.xlsx", "xl/worksheets/sheet1.xml", lambda x: re.sub(rb'(<c r="[A-Z]+[0-9]+")(><f>)', as_text, x)
    )


ERRORS = {
    "dan_so_lao_dong_smartphone": ("#DIV/0!", "8.2.a"),
    "so_ho_xem_truyen_hinh": ("#N/A", "8.3.c"),
    "tthc_truc_tuyen": ("#VALUE!", "15.2.e"),
    "van_ban_ky_so": ("#REF!", "15.2.f"),
    "ho_so_cap_nhat": ("#NAME?", "15.2.h"),
    "ho_so_truc_tuyen": ("#NUM!", "15.2.i"),
    "can_bo_boi_duong": ("#NULL!", "15.2.j"),
}
ERROR_CELL = either("o-loi", "sai-kieu")  # o-loi once validate reports the marker; never read as an empty cell


def build_error_cells(d: Path):
    """Each of Excel's seven error values as the cached result of a formula (xlsxwriter writes them t="e")."""
    write_rows(d / "xa.xlsx", both_sheets("00001", **{k: ("=1/0", v) for k, (v, _) in ERRORS.items()}))


def build_error_cell_ods(d: Path):
    """hai-xa.ods with H5 (00003's smartphone count) an error cell as LibreOffice saves one (text in <text:p>)."""
    good(d / "xa.xlsx", "00001")
    copy_fixture("hai-xa.ods", d / "hai-xa.ods")
    error = (
        b'<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
        b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
    )
    typed = (
        b'<table:table-cell office:value-type="string" calcext:value-type="string">'
        b"<text:p>80%</text:p></table:table-cell>"
    )
    sheet_xml_edit(d / "hai-xa.ods", "content.xml", lambda x: x.replace(typed, error, 1))


def build_error_cell_xls(d: Path):
    """hai-xa.xls with H5 (00003's smartphone count, a LABELSST record) turned into a BOOLERR record holding #DIV/0!.

    The record keeps its length (10 bytes; BOOLERR needs 8), so the file's container is unchanged.
    """
    good(d / "xa.xlsx", "00001")
    data = bytearray((FIXTURES / "hai-xa.xls").read_bytes())
    at = data.index(b"\xfd\x00\x0a\x00\x04\x00\x07\x00")  # LABELSST, 10 bytes, row 4 (Excel 5), column 7 (H)
    data[at : at + 2] = b"\x05\x02"  # BOOLERR
    data[at + 10 : at + 12] = b"\x07\x01"  # error code 0x07 (#DIV/0!), flag: an error, not a boolean
    (d / "hai-xa.xls").write_bytes(bytes(data))


class BinaryError(int):
    """An error value for write_xlsb, by its code: 0x07 #DIV/0!, 0x2A #N/A."""


def _record(kind: int, payload: bytes = b"") -> bytes:
    """One BIFF12 record: type and size as 7-bit variable-length integers, then the payload."""
    out = bytearray()
    for n in (kind, len(payload)):
        while True:
            out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
            n >>= 7
            if not n:
                break
    return bytes(out) + payload


def _wide(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def write_xlsb(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A minimal Excel binary workbook (MS-XLSB): text, numbers and BinaryError cells; no styles, no shared strings.

    No program here writes .xlsb (LibreOffice reads it only), so the records are written by hand.
    """
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    rels, book, parts = [], _record(0x83) + _record(0x8F), {}
    for i, (name, rows) in enumerate(sheets.items(), start=1):
        rels.append(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.bin"/>')
        book += _record(0x9C, struct.pack("<II", 0, i) + _wide(f"rId{i}") + _wide(name))  # BrtBundleSh
        width = max((len(r) for r in rows), default=1)
        body = _record(0x81) + _record(0x94, struct.pack("<IIII", 0, max(len(rows) - 1, 0), 0, width - 1))
        body += _record(0x91)  # BrtBeginSheetData
        for r, row in enumerate(rows):
            body += _record(0x00, struct.pack("<IIHBBB", r, 0, 300, 0, 0, 0))  # BrtRowHdr
            for c, value in enumerate(row):
                if isinstance(value, BinaryError):
                    body += _record(0x03, struct.pack("<IIB", c, 0, value))  # BrtCellError
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    body += _record(0x05, struct.pack("<IId", c, 0, float(value)))  # BrtCellReal
                elif value is not None:
                    body += _record(0x06, struct.pack("<II", c, 0) + _wide(str(value)))  # BrtCellSt
        parts[f"xl/worksheets/sheet{i}.bin"] = body + _record(0x92) + _record(0x82)
    book += _record(0x90) + _record(0x84)
    binary = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    types = (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{pkg}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="bin" ContentType="{binary}"/></Types>'
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}/relationships">'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr(
            "_rels/.rels",
            f'{head}<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/_rels/workbook.bin.rels", head + "".join(rels) + "</Relationships>")
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def build_xlsb(d: Path):
    """Two communes in an .xlsb: 00002 passing, 00003 with #N/A as its smartphone count (H5)."""
    good(d / "xa.xlsx", "00001")
    rows = [passing_commune("00002"), passing_commune("00003", dan_so_lao_dong_smartphone=BinaryError(0x2A))]
    sheets = {"Xa": table(rows, keys=XA_KEYS), "Thon": table(villages("00002") + villages("00003"), sheet="Thon")}
    write_xlsb(d / "hai-xa.xlsb", sheets)


def build_sheets_folding_alike(d: Path):
    sheets = both_sheets("00001")
    sheets["XÃ"] = table([passing_commune("00009")], sheet="XÃ")
    write_rows(d / "xa.xlsx", sheets)


def build_repeated_header(d: Path, keys: list[str] = XA_KEYS, **second_overrides):
    """Two blocks pasted one under the other, each with its header row (the second in `keys` order)."""
    second = passing_commune("00002", **second_overrides)
    rows = table([passing_commune("00001")]) + [keys, [second.get(k) for k in keys]]
    thon = villages("00001") + villages("00002")
    write_rows(d / "xa.xlsx", {"Xa": rows, "Thon": table(thon, sheet="Thon")})


def build_keys_above_labels(d: Path):
    sheets = both_sheets("00001", header=label)
    sheets["Xa"].insert(2, XA_KEYS)
    write_rows(d / "xa.xlsx", sheets)


def build_sheet_over_max_rows(d: Path):
    """A village sheet with one stray value below row MAX_ROWS + 1: the sheet is refused whole."""
    from pipeline.reading.read import MAX_ROWS

    good(d / "xa.xlsx", "00001")
    far = f'<row r="{MAX_ROWS + 2}"><c r="A{MAX_ROWS + 2}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    sheet_xml_edit(d / "xa.xlsx", "xl/worksheets/sheet2.xml", lambda x: x.replace(b"</sheetData>", far.encode(), 1))


def build_dangling_link(d: Path):
    good(d / "xa.xlsx", "00002")
    (d / "lien-ket.xlsx").symlink_to(d / "da-xoa.xlsx")


CASES = [
    # Files: every format, sub-folders, ignored and skipped files
    Case("xlsm", lambda d: xlsm(d / "xa.xlsm")),
    Case(
        "xls-fixture",
        build_formats("hai-xa.xls", "hai-xa.xls"),
        problems=[("hai-xa.xls", "Xa", "H5", "sai-kieu")],
        rows=[
            dict(tep="hai-xa.xls", o="H5", cot="dan_so_lao_dong_smartphone", gia_tri="80%", muc_do="loi", ma_xa="00003")
        ],
        communes={"00001": "dat", "00002": "dat", "00003": "khong_danh_gia_duoc"},
        indicators={("00003", "8.2.a"): "khong_danh_gia_duoc", ("00003", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "ods-fixture",
        build_formats("hai-xa.ods", "huyen-a/hai-xa.ods"),
        problems=[("huyen-a/hai-xa.ods", "Xa", "H5", "sai-kieu")],
        rows=[dict(tep="huyen-a/hai-xa.ods", o="H5", gia_tri="80%", muc_do="loi", ma_xa="00003")],
        communes={"00001": "dat", "00002": "dat", "00003": "khong_danh_gia_duoc"},
        indicators={("00003", "8.2.a"): "khong_danh_gia_duoc", ("00003", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "sub-folders",
        build_sub_folders,
        problems=[("huyen-b/2024/xa-2.xlsx", "Xa", cell("dan_so_lao_dong_smartphone"), "sai-kieu")],
        rows=[dict(tep="huyen-b/2024/xa-2.xlsx", o="H4", muc_do="loi", ma_xa="00002")],
        communes={"00001": "dat", "00002": "khong_danh_gia_duoc"},
        exit_code=3,
    ),
    Case("lock-files-ignored", build_lock_file),
    Case("hidden-and-temporary-files-ignored", build_hidden_and_temp),
    Case("windows-hidden-files-ignored", build_windows_hidden_files),
    Case(
        "other-files-skipped",
        build_other_files,
        problems=[("huyen-a/cong-van.pdf", "", "", "bo-qua-tep")],  # notes.txt is a note: not a word about it
        rows=[dict(tep="huyen-a/cong-van.pdf", o="", muc_do="canh_bao", ma_xa="")],
    ),
    # Headers as people write them
    Case(
        "title-rows-above-header",
        build_title_rows,
        problems=[("xa.xlsx", "Xa", cell("dan_so_lao_dong_smartphone", row=8), "sai-kieu")],
        rows=[dict(tep="xa.xlsx", trang="Xa", o="H8", cot="dan_so_lao_dong_smartphone", muc_do="loi", ma_xa="00001")],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", "8.2.a"): "khong_danh_gia_duoc", ("00001", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case("vietnamese-labels", lambda d: write_rows(d / "xa.xlsx", both_sheets(header=label))),
    Case("labels-upper-case-no-accents", lambda d: write_rows(d / "xa.xlsx", both_sheets(header=bare_upper))),
    Case("labels-with-line-breaks-and-marks", lambda d: write_rows(d / "xa.xlsx", both_sheets(header=untidy))),
    Case(
        "shuffled-columns",
        lambda d: write_rows(d / "xa.xlsx", both_sheets(keys=SHUFFLED, header=label, mc_camera="Chưa có")),
        problems=[("xa.xlsx", "Xa", cell("mc_camera", keys=SHUFFLED), "sai-kieu")],
        rows=[
            dict(o=cell("mc_camera", keys=SHUFFLED), cot="mc_camera", gia_tri="Chưa có", muc_do="loi", ma_xa="00001")
        ],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", "15.2.b"): "khong_danh_gia_duoc", ("00001", "15.2.c"): "dat"},
        exit_code=3,
    ),
    Case(
        "missing-ma_xa-column",
        build_missing_ma_xa,
        problems=[("a.xlsx", "Xa", "", "thieu-cot"), ("a.xlsx", "Thon", "", "thieu-trang-thon")],
        rows=[dict(tep="a.xlsx", trang="Xa", o="", cot="ma_xa", muc_do="loi", ma_xa="")],
        communes={"00001": None, "00002": "dat"},
        exit_code=3,
    ),
    Case(
        "missing-ten_xa-column",
        lambda d: write_rows(d / "xa.xlsx", both_sheets(keys=[k for k in XA_KEYS if k != "ten_xa"])),
        problems=[("xa.xlsx", "Xa", "", "thieu-cot")],
        rows=[dict(tep="xa.xlsx", trang="Xa", o="", cot="ten_xa", muc_do="loi")],
        communes={"00001": {"ket_qua": "dat", "ten_xa": ""}},
        exit_code=3,
    ),
    Case(
        "unknown-column-warned",
        build_unknown_column,
        problems=[("xa.xlsx", "Xa", f"{xl_col_to_name(len(XA_KEYS))}3", "cot-la")],
        rows=[dict(tep="xa.xlsx", trang="Xa", o=f"{xl_col_to_name(len(XA_KEYS))}3", muc_do="canh_bao")],
    ),
    # Values as people type them
    Case(
        "yes-spellings",
        lambda d: good(d / "xa.xlsx", "00001", **{k: v for k, (v, _) in YES.items()}),
        indicators={("00001", ind): "dat" for _, ind in YES.values()},
    ),
    Case(
        "no-spellings",
        lambda d: good(d / "xa.xlsx", "00001", **{k: v for k, (v, _) in NO.items()}),
        communes={"00001": "khong_dat"},
        indicators={("00001", ind): "khong_dat" for _, ind in NO.values()} | {("00001", "15.2.c"): "dat"},
    ),
    bad_cell_case("yes-no-unknown-spelling", "mc_camera", "Chưa có", "sai-kieu", "15.2.c", "15.2.b"),
    Case(
        "counts-as-typed",
        lambda d: good(d / "xa.xlsx", "00001", **COUNTS),
        indicators={
            ("00001", "8.2.a"): {"tu_so": "8500", "mau_so": "10000", "ket_qua": "dat"},
            ("00001", "8.3.c"): {"tu_so": "2900", "mau_so": "3000", "ket_qua": "dat"},
            ("00001", "15.2.f"): {"tu_so": "800", "mau_so": "1000", "ket_qua": "dat"},
            ("00001", "15.2.h"): {"tu_so": "1234567", "mau_so": "1234567", "ket_qua": "dat"},
            ("00001", "15.2.i"): {"tu_so": "1000000", "mau_so": "1234567", "ket_qua": "dat"},
        },
    ),
    bad_cell_case("count-percentage", "dan_so_lao_dong_smartphone", "80%", "sai-kieu", "15.2.k", "8.2.a"),
    bad_cell_case("count-decimal-comma", "so_ho_xem_truyen_hinh", "1.234,5", "sai-kieu", "8.3.d", "8.3.c"),
    bad_cell_case("count-fraction", "can_bo_boi_duong", 12.5, "sai-kieu", "15.2.f", "15.2.j"),
    # loi-du-lieu.csv writes a value starting with "-" as '-5, so a spreadsheet keeps it as text (csv_out.neutralise)
    bad_cell_case("count-negative", "tthc_truc_tuyen", -5, "ngoai-khoang", "15.2.g", "15.2.e", found="'-5"),
    Case(
        "numeric-commune-code",
        build_numeric_code,
        # its zeros are put back, and every cell that lost them is named (Excel keeps 01234 only as text)
        problems=[("xa.xlsx", "Xa", "A4", "ma-xa-thieu-so-0")]
        + [("xa.xlsx", "Thon", f"A{row}", "ma-xa-thieu-so-0") for row in (4, 5, 6)],
        rows=[
            dict(tep="xa.xlsx", trang="Xa", o="A4", cot="ma_xa", gia_tri="1234", muc_do="canh_bao", ma_xa="01234"),
            dict(o="A6", trang="Thon", mo_ta=f"{MESSAGES['ma-xa-thieu-so-0']}: Mã xã — đã đọc thành 01234"),
        ],
        communes={"01234": {"ket_qua": "dat", "ma_xa": "01234"}},
        indicators={("01234", "8.3.a"): "dat"},
    ),
    Case(
        "text-nfc-and-trimmed",
        build_nfd,
        communes={"00001": {"ket_qua": "dat", "ten_xa": "Xã Hòa Bình", "huyen": "huyện Thử"}},
    ),
    Case(
        "tcvn3-text",
        lambda d: good(d / "xa.xlsx", "00001", ten_xa=tcvn3("Xã Hoàng Tây"), huyen=tcvn3("huyện Thử")),
        problems=[("xa.xlsx", "Xa", "B4", "tcvn3"), ("xa.xlsx", "Xa", "C4", "tcvn3")],
        rows=[
            dict(tep="xa.xlsx", o="B4", cot="ten_xa", gia_tri="X· Hoµng T©y", muc_do="canh_bao", ma_xa="00001"),
            dict(tep="xa.xlsx", o="C4", cot="huyen", muc_do="canh_bao", ma_xa="00001"),
        ],
        communes={"00001": {"ket_qua": "dat", "ten_xa": "Xã Hoàng Tây", "huyen": "huyện Thử"}},
    ),
    Case(
        "formula-without-cached-value",
        build_formula_without_value,
        problems=[("xa.xlsx", "Xa", "H4", "cong-thuc")],
        rows=[dict(tep="xa.xlsx", trang="Xa", o="H4", cot="dan_so_lao_dong_smartphone", muc_do="loi", ma_xa="00001")],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", "8.2.a"): "khong_danh_gia_duoc", ("00001", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "formula-with-cached-value",
        build_formula_with_value,
        indicators={("00001", "8.2.a"): {"tu_so": "8500", "ket_qua": "dat"}},
    ),
    # Files that cannot be read: one line each, the other file still assessed
    Case(
        "truncated-zip",
        with_good_commune(truncated, "hong.xlsx"),
        problems=[("hong.xlsx", "", "", "khong-doc-duoc")],
        rows=[dict(tep="hong.xlsx", trang="", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "text-renamed-xlsx",
        write_bytes("so-lieu.xlsx", "ma_xa;ten_xa\n00001;Xã Một\n".encode()),
        problems=[("so-lieu.xlsx", "", "", "khong-doc-duoc")],
        rows=[dict(tep="so-lieu.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "html-saved-as-xls",
        write_bytes("xuat-tu-web.xls", b"<html><body><table><tr><td>ma_xa</td></tr></table></body></html>"),
        problems=[("xuat-tu-web.xls", "", "", "khong-doc-duoc")],
        rows=[dict(tep="xuat-tu-web.xls", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "password-protected",
        with_good_commune(lambda p: copy_fixture("mat-khau.xlsx", p), "mat-khau.xlsx"),
        problems=[("mat-khau.xlsx", "", "", "khong-doc-duoc")],
        rows=[dict(tep="mat-khau.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "empty-file",
        write_bytes("rong.xlsx", b""),
        problems=[("rong.xlsx", "", "", "khong-doc-duoc")],
        rows=[dict(tep="rong.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "no-xa-sheet",
        build_no_xa_sheet,
        problems=[("khong-co-trang-xa.xlsx", "Xa", "", "thieu-trang")],
        rows=[dict(tep="khong-co-trang-xa.xlsx", trang="Xa", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    # Conflicts and the links between sheets
    Case(
        "same-commune-in-two-files",
        build_conflict,
        problems=[("a.xlsx", "Xa", "A4", "trung-ma-xa"), ("b.xlsx", "Xa", "A5", "trung-ma-xa")],
        rows=[
            dict(tep="a.xlsx", trang="Xa", o="A4", cot="ma_xa", gia_tri="00001", muc_do="loi", ma_xa="00001"),
            dict(tep="b.xlsx", trang="Xa", o="A5", cot="ma_xa", gia_tri="00001", muc_do="loi", ma_xa="00001"),
        ],
        communes={"00001": "khong_danh_gia_duoc", "00002": "dat"},
        exit_code=3,
    ),
    Case(
        "village-of-unknown-commune",
        build_unknown_commune,
        # a well-formed code that names no commune is reported; the file's commune is not held up by it
        problems=[("xa.xlsx", "Thon", "A7", "khong-co-xa")],
        rows=[dict(tep="xa.xlsx", trang="Thon", o="A7", cot="ma_xa", gia_tri="09999", muc_do="loi", ma_xa="09999")],
        communes={"00001": "dat"},
        indicators={("00001", "8.3.a"): {"mau_so": "3", "ket_qua": "dat"}},
        exit_code=3,
    ),
    Case(
        "village-with-a-malformed-code",
        lambda d: build_unknown_commune(d, code="0000x"),
        # a village whose commune cannot be told may belong to the file's commune: its village list waits
        problems=[("xa.xlsx", "Thon", "A7", "sai-kieu"), ("xa.xlsx", "Xa", "A4", "thon-chua-du")],
        rows=[
            dict(tep="xa.xlsx", trang="Thon", o="A7", cot="ma_xa", gia_tri="0000x", muc_do="loi", ma_xa="0000x"),
            dict(tep="xa.xlsx", trang="Xa", o="A4", cot="ma_xa", muc_do="canh_bao", ma_xa="00001"),
        ],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", "8.3.a"): "khong_danh_gia_duoc", ("00001", "8.1"): "dat"},
        exit_code=3,
    ),
    Case(
        "villages-in-a-workbook-of-their-own",
        build_villages_apart,
        problems=[("xa.xlsx", "Thon", "", "thieu-trang-thon")],
        rows=[dict(tep="xa.xlsx", trang="Thon", o="", muc_do="canh_bao", ma_xa="")],
        communes={"00001": "dat", "00002": "dat"},
        indicators={("00001", "8.3.a"): {"mau_so": "3", "ket_qua": "dat"}},
    ),
    Case(
        "commune-with-no-village-row",
        lambda d: write_workbook(d / "xa.xlsx", [passing_commune("00001")], None),
        problems=[("xa.xlsx", "Thon", "", "thieu-trang-thon"), ("xa.xlsx", "Xa", "A4", "khong-co-thon")],
        rows=[
            dict(
                o="A4",
                cot="ma_xa",
                muc_do="loi",
                ma_xa="00001",
                mo_ta=f"{MESSAGES['khong-co-thon']}: Mã xã — năm 2024; "
                "chưa đánh giá được các chỉ tiêu 8.2, 8.3, 8.3.a, 8.3.b",
            )
        ],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", "8.2"): "khong_danh_gia_duoc", ("00001", "8.1"): "dat"},
        exit_code=3,
    ),
    Case(
        "district-cells-holding-a-date-true-a-decimal-a-number",
        build_districts_not_names,
        problems=[("xa.xlsx", "Xa", f"C{row}", "sai-kieu") for row in (4, 5, 6)]
        + [("xa.xlsx", "Xa", "C7", "ten-la-so")],
        rows=[
            dict(o="C4", cot="huyen", gia_tri="05/01/2024", muc_do="loi", ma_xa="00001"),
            dict(o="C5", cot="huyen", gia_tri="TRUE", muc_do="loi", ma_xa="00002"),
            dict(o="C6", cot="huyen", gia_tri="3.5", muc_do="loi", ma_xa="00003"),
            dict(o="C7", cot="huyen", gia_tri="12", muc_do="canh_bao", ma_xa="00004"),
        ],
        communes={
            "00001": {"ket_qua": "dat", "huyen": ""},
            "00002": {"ket_qua": "dat", "huyen": ""},
            "00003": {"ket_qua": "dat", "huyen": ""},
            "00004": {"ket_qua": "dat", "huyen": "12"},
        },
        exit_code=3,
    ),
    Case(
        "duplicate-village-name",
        build_duplicate_village,
        problems=[("xa.xlsx", "Thon", cell("ten_thon", 7, THON_KEYS), "trung-ten-thon")],
        rows=[dict(tep="xa.xlsx", trang="Thon", o="B7", cot="ten_thon", muc_do="loi", ma_xa="00001")],
        indicators={("00001", "8.3.b"): {"tu_so": "3", "mau_so": "3", "ket_qua": "dat"}},
        exit_code=3,
    ),
    Case(
        "duplicate-village-name-other-unicode-form",
        lambda d: build_duplicate_village(d, second=nfd("thôn 2 ")),
        problems=[("xa.xlsx", "Thon", "B7", "trung-ten-thon")],
        rows=[dict(tep="xa.xlsx", trang="Thon", o="B7", muc_do="loi", ma_xa="00001")],
        indicators={("00001", "8.3.b"): {"tu_so": "3", "mau_so": "3", "ket_qua": "dat"}},
        exit_code=3,
    ),
    # Safe to read: crafted files fail cleanly, within bounded time and memory
    Case(
        "zip-bomb",
        with_good_commune(zip_bomb, "bom.xlsx"),
        problems=[("bom.xlsx", "", "", "qua-lon")],
        rows=[dict(tep="bom.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    Case(
        "zip-bomb-declaring-small-sizes",
        with_good_commune(lambda p: zip_bomb(p, lie=True), "bom.xlsx"),
        problems=[("bom.xlsx", "", "", UNREADABLE)],
        rows=[dict(tep="bom.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    Case(
        "cell-at-XFD1048576",
        with_good_commune(far_cell, "o-xa.xlsx"),
        problems=[("o-xa.xlsx", "Xa", either("", "XFD1048576"), "qua-lon")],
        rows=[dict(tep="o-xa.xlsx", trang="Xa", muc_do="loi")],
        communes={"00001": either(None, "dat"), "00002": "dat"},
        exit_code=3,
        isolated=True,
    ),
    Case(
        "entity-bomb-in-shared-strings",
        with_good_commune(entity_bomb_in_strings, "thu.xlsx"),
        problems=[("thu.xlsx", "", "", UNREADABLE)],
        rows=[dict(tep="thu.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    Case(
        "entity-bomb-in-sheet",
        with_good_commune(entity_bomb_in_sheet, "thu.xlsx"),
        problems=[("thu.xlsx", "", "", UNREADABLE)],
        rows=[dict(tep="thu.xlsx", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    # Issue 12: no file crashes, exhausts or hangs the batch (each is read in a worker with its own limits)
    Case(
        "cell-at-XFD1048576-single-quoted",
        with_good_commune(far_cell_single_quoted, "o-xa.xlsx"),
        problems=[("o-xa.xlsx", "Xa", "", "qua-lon")],
        rows=[dict(tep="o-xa.xlsx", trang="Xa", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    Case(
        "crafted-ods-grid",
        with_good_commune(crafted_ods, "bom.ods"),
        problems=[("bom.ods", "", "", "tep-lam-hong-trinh-doc")],
        rows=[dict(tep="bom.ods", trang="", o="", muc_do="loi", ma_xa="")],
        communes={"00002": "dat", "00003": None},
        exit_code=3,
        isolated=True,
    ),
    Case(
        "xls-random-bytes-changed",
        with_good_commune(flipped_xls, "hong.xls"),
        problems=[("hong.xls", "", "", "tep-lam-hong-trinh-doc")],
        rows=[dict(tep="hong.xls", trang="", o="", muc_do="loi", ma_xa="")],
        communes={"00002": "dat", "00003": None},
        exit_code=3,
        isolated=True,
    ),
    Case(
        "damaged-deflate-stream",
        with_good_commune(damaged_deflate, "hong.xlsx"),
        problems=[("hong.xlsx", "", "", "khong-doc-duoc")],
        rows=[dict(tep="hong.xlsx", trang="", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
        isolated=True,
    ),
    Case(
        "file-name-not-utf8",
        non_utf8_name,
        problems=[("x\\xe9.xlsx", "", "", "ten-tep-khong-hop-le")],
        rows=[dict(tep="x\\xe9.xlsx", trang="", o="", muc_do="canh_bao", ma_xa="")],
        communes={"00001": "dat", "00002": "dat"},
        isolated=True,
    ),
    Case(
        "five-gib-file",
        huge_sparse,
        problems=[("lon.xlsx", "", "", "qua-lon")],
        rows=[dict(tep="lon.xlsx", trang="", o="", muc_do="loi", ma_xa="")],
        communes={"00002": "dat"},
        exit_code=3,
        isolated=True,
    ),
    Case("comment-full-of-cell-tags", lambda d: quadratic_comment(d / "xa.xlsx"), isolated=True),
    Case("formula-with-empty-text-result-filled-down", build_formula_empty_result),
    Case(
        "error-values-in-cells",
        build_error_cells,
        problems=[("xa.xlsx", "Xa", cell(k), ERROR_CELL) for k in ERRORS],
        rows=[
            dict(tep="xa.xlsx", trang="Xa", o=cell(k), cot=k, gia_tri=v, muc_do="loi", ma_xa="00001")
            for k, (v, _) in ERRORS.items()
        ],
        communes={"00001": "khong_danh_gia_duoc"},
        indicators={("00001", ind): "khong_danh_gia_duoc" for _, ind in ERRORS.values()} | {("00001", "8.1"): "dat"},
        exit_code=3,
    ),
    Case(
        "error-value-in-ods",
        build_error_cell_ods,
        problems=[("hai-xa.ods", "Xa", "H5", ERROR_CELL)],
        rows=[dict(tep="hai-xa.ods", o="H5", gia_tri="#DIV/0!", muc_do="loi", ma_xa="00003")],
        communes={"00001": "dat", "00002": "dat", "00003": "khong_danh_gia_duoc"},
        indicators={("00003", "8.2.a"): "khong_danh_gia_duoc", ("00003", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "error-value-in-xls",
        build_error_cell_xls,
        problems=[("hai-xa.xls", "Xa", "H5", ERROR_CELL)],
        rows=[dict(tep="hai-xa.xls", o="H5", gia_tri="#DIV/0!", muc_do="loi", ma_xa="00003")],
        communes={"00001": "dat", "00002": "dat", "00003": "khong_danh_gia_duoc"},
        indicators={("00003", "8.2.a"): "khong_danh_gia_duoc", ("00003", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "xlsb",
        build_xlsb,
        problems=[("hai-xa.xlsb", "Xa", "H5", ERROR_CELL)],
        rows=[dict(tep="hai-xa.xlsb", o="H5", gia_tri="#N/A", muc_do="loi", ma_xa="00003")],
        communes={"00001": "dat", "00002": "dat", "00003": "khong_danh_gia_duoc"},
        indicators={("00003", "8.2.a"): "khong_danh_gia_duoc", ("00003", "15.2.k"): "dat"},
        exit_code=3,
    ),
    Case(
        "xlsb-that-is-not-a-workbook",
        write_bytes("so-lieu.xlsb", "ma_xa;ten_xa\n00001;Xã Một\n".encode()),
        problems=[("so-lieu.xlsb", "", "", "khong-doc-duoc")],
        rows=[dict(tep="so-lieu.xlsb", o="", muc_do="loi", ma_xa="")],
        communes=BOTH,
        exit_code=3,
    ),
    Case(
        "dangling-link",
        build_dangling_link,
        problems=[("lien-ket.xlsx", "", "", "lien-ket-hong")],
        rows=[dict(tep="lien-ket.xlsx", trang="", o="", muc_do="loi", ma_xa="")],
        communes={"00002": "dat"},
        exit_code=3,
    ),
    # Sheets and headers laid out twice
    Case(
        "two-sheets-whose-names-fold-alike",
        build_sheets_folding_alike,
        problems=[("xa.xlsx", "XÃ", "", "trang-trung")],
        rows=[dict(tep="xa.xlsx", trang="XÃ", o="", muc_do="loi", ma_xa="")],
        communes={"00001": "dat", "00009": None},
        exit_code=3,
    ),
    Case(
        "header-repeated-inside-the-data",
        build_repeated_header,
        problems=[("xa.xlsx", "Xa", "A5", "dong-tieu-de-lap")],
        rows=[dict(tep="xa.xlsx", trang="Xa", o="A5", muc_do="canh_bao", ma_xa="")],
        communes={"00001": "dat", "00002": "dat"},
    ),
    Case(
        "header-repeated-in-another-column-order",
        # the second block is read by its own header, and its bad cell is named with that header's letter
        lambda d: build_repeated_header(d, SHUFFLED, dan_so_lao_dong_smartphone="80%"),
        problems=[
            ("xa.xlsx", "Xa", "A5", "tieu-de-lap-khac-cot"),
            ("xa.xlsx", "Xa", cell("dan_so_lao_dong_smartphone", 6, SHUFFLED), "sai-kieu"),
        ],
        rows=[
            dict(tep="xa.xlsx", trang="Xa", o="A5", muc_do="canh_bao", ma_xa=""),
            dict(tep="xa.xlsx", o=cell("dan_so_lao_dong_smartphone", 6, SHUFFLED), gia_tri="80%", ma_xa="00002"),
        ],
        communes={"00001": "dat", "00002": "khong_danh_gia_duoc"},
        indicators={("00002", "8.2.a"): "khong_danh_gia_duoc", ("00002", "8.1"): "dat"},
        exit_code=3,
    ),
    Case("keys-row-above-labels-row", build_keys_above_labels),
    Case(
        "sheet-longer-than-max-rows",
        build_sheet_over_max_rows,
        problems=[("xa.xlsx", "Thon", "", "qua-lon")],
        rows=[dict(tep="xa.xlsx", trang="Thon", o="", muc_do="loi", ma_xa="")],
        communes={"00001": either("khong_danh_gia_duoc", "khong_dat")},
        exit_code=3,
        besides=frozenset({"thon-chua-du"}),
    ),
]


# --- running and checking --------------------------------------------------------------------------------------------


def _limit_memory():  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))


class IsolatedRun(Run):
    """`assess` in a child process with bounded memory and time; same accessors as Run."""

    def __init__(self, input_dir: Path, output_dir: Path):
        env = os.environ | {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "pipeline", "assess", "--input", str(input_dir), "--output", str(output_dir)]
        try:
            done = subprocess.run(
                cmd,
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=ISOLATED_TIMEOUT,
                preexec_fn=_limit_memory,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"assess did not finish within {ISOLATED_TIMEOUT} s")
        self.output = output_dir
        self.exit_code = done.returncode
        self.stdout, self.stderr = done.stdout, done.stderr


def _same(actual, expected) -> bool:
    return actual in expected if isinstance(expected, frozenset) else actual == expected


def _matched(actual: list[tuple], expected: list[tuple]) -> bool:
    """Every actual row matches a distinct expected pattern and none is left over."""
    left = list(expected)
    for row in sorted(actual, key=str):
        hit = next((p for p in left if len(p) == len(row) and all(map(_same, row, p))), None)
        if hit is None:
            return False
        left.remove(hit)
    return not left


def assess_case(case: Case, tmp_path: Path) -> Run:
    folder = tmp_path / "input"
    folder.mkdir()
    case.build(folder)
    if case.isolated:
        run = IsolatedRun(folder, tmp_path / "output")
        assert "Traceback" not in run.stderr, run.stderr[-3000:]
        assert run.exit_code == case.exit_code, (run.stdout + run.stderr)[-3000:]
    else:
        run = Run(folder, tmp_path / "output")
        assert run.result.exception is None or isinstance(run.result.exception, SystemExit), run.result.exc_info
        assert "Traceback" not in run.result.output
        assert run.exit_code == case.exit_code, run.result.output
    return run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path):
    run = assess_case(case, tmp_path)

    found = [f for f in summary_problems(run) if f[3] not in case.besides]
    assert _matched(found, case.problems), f"summary problems {sorted(found, key=str)} != {case.problems}"

    # loi-du-lieu.csv holds the same problems as the summary, each with a severity and, for a column, its label
    rows = [r for r in run.problems() if not _besides(r, case)]
    assert sorted((r["tep"], r["trang"], r["o"]) for r in rows) == sorted(f[:3] for f in found)
    for r in rows:
        assert r["muc_do"] in ("loi", "canh_bao"), r
        if r["cot"] in LABELS.get(r["trang"], {}):
            assert LABELS[r["trang"]][r["cot"]] in r["mo_ta"], r
    for want in case.rows:
        assert any(all(r.get(k) == v for k, v in want.items()) for r in rows), f"no row {want} in {rows}"

    communes = run.communes()
    for ma_xa, want in case.communes.items():
        got = communes.get(ma_xa)
        options = want if isinstance(want, frozenset) else [want]
        assert any(_commune_is(got, w) for w in options), f"{ma_xa}: {got} is not {want}"
    results = run.results()
    for key, want in case.indicators.items():
        want = {"ket_qua": want} if isinstance(want, str) else want
        got = results.get(key, {})
        assert {k: got.get(k) for k in want} == want, key


def _besides(row: dict, case: Case) -> bool:
    """Whether a row of loi-du-lieu.csv (which has no code column) is one of the case's `besides` problems."""
    return any(code in MESSAGES and row["mo_ta"].startswith(MESSAGES[code]) for code in case.besides)


def _commune_is(got: dict | None, want) -> bool:
    if want is None:
        return got is None
    want = {"ket_qua": want} if isinstance(want, str) else want
    return got is not None and {k: got.get(k) for k in want} == want


def test_corpus_covers_enough_cases():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


# --- exit status of runs that cannot finish --------------------------------------------------------------------------


def test_missing_input_folder_is_a_failed_run_without_traceback(tmp_path):
    run = Run(tmp_path / "nowhere", tmp_path / "output")
    assert run.exit_code == 1
    assert run.result.exception is None or isinstance(run.result.exception, SystemExit), run.result.exc_info
    assert "nowhere" in run.result.output


def test_unwritable_output_is_a_failed_run_without_traceback(tmp_path):
    good(tmp_path / "input" / "xa.xlsx", "00001")
    (tmp_path / "o-dia").write_text("a file where a folder of the output path goes")
    run = Run(tmp_path / "input", tmp_path / "o-dia" / "output")
    assert run.exit_code == 1, run.result.output
    assert run.result.exception is None or isinstance(run.result.exception, SystemExit), run.result.exc_info
    assert "o-dia" in run.result.output and "Traceback" not in run.result.output


def test_only_unreadable_files_still_writes_the_problems(tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "rong.xlsx").write_bytes(b"")
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3, run.result.output
    assert run.result.exception is None or isinstance(run.result.exception, SystemExit), run.result.exc_info
    rows = read_csv(tmp_path / "output" / "loi-du-lieu.csv")
    assert [(r["tep"], r["muc_do"]) for r in rows] == [("rong.xlsx", "loi")]


# --- fixtures --------------------------------------------------------------------------------------------------------


def make_fixtures(folder: Path = FIXTURES) -> None:  # pragma: no cover - run by hand
    """Write tests/fixtures/: hai-xa.xls and hai-xa.ods (00002 passing; 00003 with "80%" at H5), mat-khau.xlsx.

    The .xls and .ods are converted by LibreOffice (soffice) from a generated .xlsx; mat-khau.xlsx is a
    commune workbook encrypted with the password "x" by the msoffcrypto-tool command (pip install
    msoffcrypto-tool), which must be on PATH.
    """
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "hai-xa.xlsx"
        rows = [passing_commune("00002"), passing_commune("00003", dan_so_lao_dong_smartphone="80%")]
        write_workbook(src, rows, villages("00002") + villages("00003"))
        for fmt in ("xls", "ods"):
            subprocess.run(
                ["soffice", "--headless", "--convert-to", fmt, "--outdir", str(folder), str(src)], check=True
            )
        plain = good(Path(tmp) / "mat-khau.xlsx", "00001")
        subprocess.run(["msoffcrypto-tool", "-e", "-p", "x", str(plain), str(folder / "mat-khau.xlsx")], check=True)


if __name__ == "__main__":  # pragma: no cover - PYTHONPATH=.:tests python tests/test_bad_inputs.py
    make_fixtures()
