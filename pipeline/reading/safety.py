"""Refuse, before the parser sees it, an untrusted workbook that would crash it, exhaust memory or hang.

Workbooks come from outside the department. The defence against such a file is
not here: every file is parsed in a worker process with its own memory and time
limits (`isolate`). The checks here are cheap first filters, each linear in the
size of the file, that turn the common cases into a clear message instead of a
crashed worker:

- MAX_FILE_BYTES: size of the file on disk (the caller checks it by `stat`
  before anything is read).
- MAX_UNCOMPRESSED_BYTES / MAX_COMPRESSION_RATIO: the sizes the zip declares
  (a zip bomb declares them honestly or fails to inflate past them).
- MAX_CELLS: rows x columns of the grid a sheet would need, from the cell
  addresses of an xlsx sheet (however the attribute is quoted) or from the
  repeated cells of an ods sheet. A spelling this misses is caught by the
  worker's memory limit.
- XML with a DOCTYPE is refused: workbooks never need one, entity bombs do.
  Of an xlsx only the parts the parser parses are looked at (`_BOOK` and the
  sheets the caller reads): the others it never opens.

`inspect` is the one look at a workbook's bytes before parsing: it inflates the
parts once, checks them, and hands the same parts to `hidden_cells`, which finds
the cells the parser would read as empty. No regular expression here runs a lazy
or unbounded repeat over text an attacker controls from more than one start
position: every scan is linear (`xml_scan`).
"""

from __future__ import annotations

import html
import io
import re
import string
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.problems import detail
from pipeline.reading import hidden_cells
from pipeline.reading.containers import member
from pipeline.reading.hidden_cells import Mark
from pipeline.reading.xml_scan import PREFIX, REL, column_number, pairs, values

MAX_FILE_BYTES = 50 * 2**20
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 200
MAX_CELLS = 10_000_000
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}
XML_SUFFIXES = {".xlsx", ".xlsm", ".ods"}  # .xlsb sheets are binary: only the zip sizes are checked

# The parts python-calamine parses when it opens a zip, whichever of its readers (xlsx, xlsb, ods) takes it;
# of an xlsx it then parses only the sheets it is asked for (tests/test_isolation.py checks the list).
_BOOK = (
    "_rels/.rels",
    "xl/_rels/workbook.xml.rels",
    "xl/workbook.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/_rels/workbook.bin.rels",
    "content.xml",
    "META-INF/manifest.xml",
)
_SLICE = 4 * 2**20  # bytes of XML scanned at a time for cell addresses
# letters -> a, digits and $ -> 0, quotes and white space -> q: an address of three letters reads "aaa0", one of
# five digits "00000q"; without either, no grid passes column ZZ x row 9,999 = 7,019,298 cells (under MAX_CELLS)
_CLASSES = bytes.maketrans(
    string.ascii_letters.encode() + b"0123456789$" + b"\"' \t\n\r\f\v", b"a" * 52 + b"0" * 11 + b"q" * 8
)
# a cell's address attribute, quoted either way: in a sheet only <c> has an attribute `r` holding letters and digits
# (it starts with the letter, so the engine jumps from one `r` to the next rather than trying every position)
_CELL_REF = re.compile(rb"r(?<=\sr)\s*=\s*[\"']\s*\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\s*[\"']")
_SHEET = re.compile(rb"<" + PREFIX + rb"sheet(?=[\s/>])([^<>]*)>")


@dataclass
class Inspection:
    unsafe: str = ""  # why the file must not be parsed, in Vietnamese; "" when it is safe
    sheet: str = ""  # the sheet that made it unsafe, where one did
    unreadable: str = ""  # why the file cannot be a workbook at all (damaged archive), in Vietnamese
    marks: dict[str, list[Mark]] = field(default_factory=dict)  # sheet name -> cells to put back (`hidden_cells`)


def inspect(data: bytes, suffix: str, wanted: Callable[[str], bool] | None = None) -> Inspection:
    """What the parser must not be given, and the cells to put back, for a workbook's bytes.

    `wanted` says by name which sheets of an xlsx the caller will read (None: all of them): the
    parser never opens the others, so they are neither inflated nor scanned here.
    """
    if len(data) > MAX_FILE_BYTES:
        return Inspection(too_big(len(data)))
    if suffix == ".xls":
        return Inspection(marks=hidden_cells.xls_marks(data))
    if suffix not in ZIP_SUFFIXES:
        return Inspection()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
                return Inspection(detail("unzipped-size", size=total / 2**20))
            if suffix in (".xlsx", ".xlsm"):
                xmls, sheets = _xlsx_parts(z, data, wanted)
            else:
                ends = (".xml", ".rels") if suffix in XML_SUFFIXES else (".rels", ".bin")
                parts = {i.filename: member(z, data, i) for i in infos if i.filename.endswith(ends)}
                xmls, sheets = list(parts.values()), {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        return Inspection()  # not a zip at all: the parser says the file is unreadable, in its words
    except (zlib.error, OSError, RuntimeError, ValueError, NotImplementedError) as e:
        return Inspection(unreadable=detail("broken-zip", text=str(e)[:120] or type(e).__name__))
    if any(b"<!DOCTYPE" in xml or b"<!ENTITY" in xml for xml in xmls):
        return Inspection(detail("doctype"))
    if suffix == ".ods":
        return _inspect_ods(parts.get("content.xml", b""))
    if suffix == ".xlsb":
        return Inspection(marks=hidden_cells.xlsb_marks(parts))
    for name, found in sheets.items():
        for xml in found:
            extent = _xlsx_extent(xml, name)
            if extent:
                return Inspection(extent, sheet=name)
    marks = {name: hidden_cells.xlsx_marks(found[0]) for name, found in sheets.items()}
    return Inspection(marks={name: cells for name, cells in marks.items() if cells})


def too_big(size: int) -> str:
    return detail("file-size", size=size / 2**20, most=MAX_FILE_BYTES // 2**20)


def _xlsx_parts(
    z: zipfile.ZipFile, data: bytes, wanted: Callable[[str], bool] | None
) -> tuple[list[bytes], dict[str, list[bytes]]]:
    """Every part the parser may open, and the XML of each sheet to read, by name (first the one it reads).

    The parser opens the parts of `_BOOK` (whichever of its readers takes the file) and the sheets
    it is asked for, each found by a path compared without regard to ASCII case. Every member that
    may be one of those is read, so that the DOCTYPE refusal covers all the parser parses; a sheet
    is left out only when every name it is given, as written, is certainly not a wanted one.
    """
    members: dict[str, list[zipfile.ZipInfo]] = {}
    for info in z.infolist():
        members.setdefault(info.filename.lower(), []).append(info)
    done: dict[str, list[bytes]] = {}

    def read(path: str) -> list[bytes]:
        if path not in done:
            done[path] = [member(z, data, i) for i in members.get(path, [])]
        return done[path]

    book = {path: read(path.lower()) for path in _BOOK}
    targets: dict[bytes, list[str]] = {}
    for found in (pairs(t) for xml in book["xl/_rels/workbook.xml.rels"] for t in REL.findall(xml)):
        for rid in values(found, b"Id"):
            targets.setdefault(rid, []).extend(t.decode("utf-8", "replace") for t in values(found, b"Target"))
    sheets: dict[str, list[bytes]] = {}
    for found in (pairs(t) for xml in book["xl/workbook.xml"] for t in _SHEET.findall(xml)):
        if wanted is not None and all(_plain(n) and not wanted(n.decode()) for n in values(found, b"name")):
            continue
        name = html.unescape(dict(found).get(b"name", b"").decode("utf-8", "replace"))
        for target in (t for rid in values(found, b"id") for t in targets.get(rid, [])):
            bare = target.lstrip("/")  # the parser's reading of the target is one of these, likely the first
            paths = (bare, f"xl/{bare}", target, f"xl/{target}") if bare != target else (f"xl/{target}", target)
            for path in dict.fromkeys(p.lower() for p in paths):
                sheets.setdefault(name, []).extend(read(path))
    return [xml for found in done.values() for xml in found], sheets


def _plain(raw: bytes) -> bool:
    """Whether an attribute reads the same to any XML reader: UTF-8 with no character or entity reference."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"&" not in raw


def _xlsx_extent(xml: bytes, name: str) -> str:
    """The grid the sheet's farthest cell addresses would make the parser build, if over MAX_CELLS.

    The addresses are collected a slice at a time (cut after a `>`, so no tag is split): the
    scan runs in C and holds at most one slice's worth of addresses. A slice whose bytes, as
    classes (`_CLASSES`), hold no three letters before a digit and no five digits before a quote
    or space has no address past column ZZ or row 9,999: its addresses are not collected.
    """
    rows, far, at = 0, b"", 0
    while at < len(xml):
        end = xml.find(b">", at + _SLICE)
        end = len(xml) if end < 0 else end + 1
        chunk = xml[at:end].translate(_CLASSES)
        refs = _CELL_REF.findall(xml, at, end) if b"aaa0" in chunk or b"00000q" in chunk else []
        if refs:
            letters, numbers = map(set, zip(*refs, strict=True))  # each distinct spelling once
            rows = max(rows, *map(int, numbers))
            far = max({c.upper() for c in letters} | {far}, key=lambda c: (len(c), c))
        at = end
    cols = column_number(far)
    if rows * cols > MAX_CELLS:
        return detail("far-cells", name=name, rows=rows, cols=cols, most=MAX_CELLS)
    return ""


def _inspect_ods(xml: bytes) -> Inspection:
    """Count the value cells repeated rows and columns expand to, and find the error cells, in one pass."""
    marks: dict[str, list[Mark]] = {}
    cells = 0
    for sheet, count in hidden_cells.ods_cells(xml, marks):
        cells += count
        if cells > MAX_CELLS:
            return Inspection(detail("many-cells", most=MAX_CELLS), sheet=sheet)
    return Inspection(marks=marks)
