"""Look inside an untrusted workbook before the parser sees it, and find what the parser would hide.

Workbooks come from outside the department. The defence against a file that
would crash the parser, exhaust memory or hang is not here: every file is
parsed in a worker process with its own memory and time limits (`isolate`).
The checks here are cheap first filters, each linear in the size of the file,
that turn the common cases into a clear message instead of a crashed worker:

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

The same look finds what python-calamine would hand over as an empty cell:
a formula stored without its cached value (`Formula`, xlsx) and a cell whose
value is an error such as #DIV/0! (`CellError`, xlsx and ods). A formula whose
cached value is the empty string (`=IF(A5="","",A5)` filled down a column) is
an empty cell, as Excel shows it.

No regular expression here runs a lazy or unbounded repeat over text an
attacker controls from more than one start position: every scan is linear.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import string
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.reading import text_files

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
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"  # an element may carry any namespace prefix (<x:c …>)
# A cell's start or end tag; the attributes stop at the first < or >, so a failed match costs at most
# the distance to the next tag and the whole scan stays linear.
_CELL_TAG = re.compile(rb"<(/?)" + _PREFIX + rb"c(?=[\s/>])([^<>]*)>")
_ATTR = re.compile(rb"(?<![\w:.-])([\w:.-]+)\s*=\s*(?:\"([^\"<>]*)\"|'([^'<>]*)')")
_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
# a cell's address attribute, quoted either way: in a sheet only <c> has an attribute `r` holding letters and digits
# (it starts with the letter, so the engine jumps from one `r` to the next rather than trying every position)
_CELL_REF = re.compile(rb"r(?<=\sr)\s*=\s*[\"']\s*\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\s*[\"']")
_FORMULA_TAG = re.compile(rb"<" + _PREFIX + rb"f(?=[\s/>])([^<>]*)>")
_VALUE = re.compile(rb"<" + _PREFIX + rb"v(?=[\s/>])([^<>]*)>([^<]*)")
_END_F = re.compile(rb"</" + _PREFIX + rb"f\s*>")
_TAG = re.compile(rb"<[^<>]*>")
_SHEET = re.compile(rb"<" + _PREFIX + rb"sheet(?=[\s/>])([^<>]*)>")
_REL = re.compile(rb"<" + _PREFIX + rb"Relationship(?=[\s/>])([^<>]*)>")
# a hint that a sheet has something to mark: a formula, or an attribute valued "e" (t="e")
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of a compound file
_FORMULA_HINT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_ERROR_HINT = re.compile(rb"=\s*[\"']e[\"']")
_ODS_TAG = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^<>]*)>")
_ODS_ERROR_HINT = re.compile(rb"value-type\s*=\s*[\"']error[\"']")


class Formula(str):
    """A formula cell the file stores without its computed value ("=SUM(K4:K9)")."""


class CellError(str):
    """A cell whose (cached) value is a spreadsheet error: "#DIV/0!", "#N/A", "#VALUE!", "#REF!", …

    python-calamine reads such a cell as an empty string (and .ods files store
    the error's text in the language of the program that saved them), so the
    reader puts this marker back in the cell.
    """


# (row, column, rows, columns, marker): 0-based, a block of `rows` x `columns` cells holding marker
Mark = tuple[int, int, int, int, str]


@dataclass
class Inspection:
    unsafe: str = ""  # why the file must not be parsed, in Vietnamese; "" when it is safe
    sheet: str = ""  # the sheet that made it unsafe, where one did
    unreadable: str = ""  # why the file cannot be a workbook at all (damaged archive), in Vietnamese
    marks: dict[str, list[Mark]] = field(default_factory=dict)  # sheet name -> cells to put back


def inspect(data: bytes, suffix: str, wanted: Callable[[str], bool] | None = None) -> Inspection:
    """What the parser must not be given, and the cells to put back, for a workbook's bytes.

    `wanted` says by name which sheets of an xlsx the caller will read (None: all of them): the
    parser never opens the others, so they are neither inflated nor scanned here.
    """
    if len(data) > MAX_FILE_BYTES:
        return Inspection(too_big(len(data)))
    if suffix == ".xls":
        return Inspection(marks=_xls_marks(data))
    if suffix not in ZIP_SUFFIXES:
        return Inspection()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
                return Inspection(f"nội dung giải nén khai báo {total / 2**20:.0f} MiB")
            if suffix in (".xlsx", ".xlsm"):
                xmls, sheets = _xlsx_parts(z, data, wanted)
            else:
                ends = (".xml", ".rels") if suffix in XML_SUFFIXES else (".rels", ".bin")
                parts = {i.filename: _member(z, data, i) for i in infos if i.filename.endswith(ends)}
                xmls, sheets = list(parts.values()), {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        return Inspection()  # not a zip at all: the parser says the file is unreadable, in its words
    except (zlib.error, OSError, RuntimeError, ValueError, NotImplementedError) as e:
        return Inspection(unreadable=f"tệp nén bị hỏng ({str(e)[:120] or type(e).__name__})")
    if any(b"<!DOCTYPE" in xml or b"<!ENTITY" in xml for xml in xmls):
        return Inspection("tệp chứa khai báo DOCTYPE/ENTITY, không phải bảng tính thông thường")
    if suffix == ".ods":
        return _inspect_ods(parts.get("content.xml", b""))
    if suffix == ".xlsb":
        return Inspection(marks=_xlsb_marks(parts))
    for name, found in sheets.items():
        for xml in found:
            extent = _xlsx_extent(xml, name)
            if extent:
                return Inspection(extent, sheet=name)
    return Inspection(marks={name: marks for name, found in sheets.items() if (marks := _xlsx_marks(found[0]))})


def too_big(size: int) -> str:
    return f"tệp {size / 2**20:.0f} MiB, tối đa {MAX_FILE_BYTES // 2**20} MiB"


def why_unreadable(data: bytes, suffix: str) -> str:
    """Why the parser refused a file, from its bytes, in the officer's words: what it really is ("tệp Word (.docx)
    đổi tên thành .xlsx — đề nghị xã gửi lại bảng tính theo biểu mẫu"), or a password; "" when the bytes do not
    say (a damaged workbook).

    A commune that sends a report, a scan or a CSV under a workbook's name needs to be asked for the workbook;
    the parser's own words ("Cannot detect file format") tell the officer nothing.
    """
    if not data:
        return f"tệp rỗng (0 byte) — {RESEND}"
    if _has_stream(data, "encryptedpackage"):  # Excel saves a workbook with a password as a compound file
        return LOCKED
    kind = _real_kind(data)
    return f"{kind} đổi tên thành {suffix} — {RESEND}" if kind else ""


RESEND = "đề nghị xã gửi lại bảng tính theo biểu mẫu"
LOCKED = "tệp có mật khẩu; hãy gỡ mật khẩu rồi gửi lại"
_TEXT_SAMPLE = 64 * 2**10  # bytes looked at to tell a text file


def _real_kind(data: bytes) -> str:
    """The kind of a file that is not a workbook, by its signature; "" for a workbook or a kind not known here."""
    if data.startswith(b"%PDF"):
        return "tệp PDF"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "ảnh PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "ảnh JPEG"
    if data.startswith(b"PK"):
        return _zip_kind(data)
    if data.startswith(_CFB):  # a workbook of Excel 97-2003 is one too: the parser's reason stands
        return "tệp Word (.doc)" if _has_stream(data, "worddocument") else ""
    text = _text(data).lstrip().lower()
    if text.startswith(("<!doctype html", "<html", "<table")) or "<html" in text[:1000]:
        return "trang web (HTML)"
    if text.startswith("<?xml"):
        return "tệp XML"
    return "tệp văn bản (.csv, .txt)" if text else ""


def _has_stream(data: bytes, name: str) -> bool:
    """Whether `data` is a compound file (Office 97-2003, or a file with a password) holding the stream `name`."""
    try:
        return _cfb_stream(data, name) is not None
    except (ValueError, struct.error):
        return False


def _zip_kind(data: bytes) -> str:
    """Word and PowerPoint by their main part; a zip that holds no office document is a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return ""  # a damaged workbook as often as anything else
    if "word/document.xml" in names:
        return "tệp Word (.docx)"
    if "ppt/presentation.xml" in names:
        return "tệp PowerPoint (.pptx)"
    if "[Content_Types].xml" in names or "mimetype" in names:
        return ""  # a workbook (xlsx, ods) the parser could not read, or an office document of another kind
    return "tệp nén (.zip)"


def _text(data: bytes) -> str:
    """The start of the file as text, "" if it is not text (a control character, or no encoding a Windows tool
    saves). The sample may end inside a character: up to three bytes are let go."""
    sample = data[:_TEXT_SAMPLE]
    for end in range(len(sample), max(len(sample) - 4, 0), -1):
        try:
            text = text_files.decode(sample[:end])
        except text_files.UnreadableText:
            continue
        return text if all(c.isprintable() or c in "\t\r\n" for c in text) else ""
    return ""


def _attrs(tag: bytes, local: bool = True) -> dict[bytes, bytes]:
    """Attributes of a tag, quoted either way, by name (without its namespace prefix when `local`)."""
    return {
        (m[1].rpartition(b":")[2] if local else m[1]): m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(tag)
    }


def _pairs(tag: bytes) -> list[tuple[bytes, bytes]]:
    """Every attribute of a tag, as written (name with its prefix, value), repeated names too."""
    return [(m[1], m[2] if m[2] is not None else m[3]) for m in _ATTR.finditer(tag)]


def _values(pairs: list[tuple[bytes, bytes]], local: bytes) -> list[bytes]:
    """The values of the attributes whose name, without its prefix, is `local`."""
    return [value for name, value in pairs if name.rpartition(b":")[2] == local]


def _member(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, exactly as `z.read(info)` gives them.

    The common member (stored or deflated, not encrypted, its local header agreeing with the
    directory) is inflated here straight from `data`, a few times quicker than zipfile's reader
    for the small parts of a workbook, and never past the size the directory declares. Anything
    else, or anything that does not come out at the declared size and CRC, is read by zipfile,
    which raises what it always raised.
    """
    at = info.header_offset
    head = data[at : at + 30]
    simple = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x61
    if not simple or len(head) < 30 or head[:4] != b"PK\x03\x04":
        return z.read(info)
    flags, name_len, extra_len = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
    start = at + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    with contextlib.suppress(zlib.error, UnicodeDecodeError):
        raw_name = data[at + 30 : at + 30 + name_len]  # ASCII reads the same in both, and quicker than cp437's codec
        name = raw_name.decode("ascii" if raw_name.isascii() else "utf-8" if flags & 0x800 else "cp437")
        out = raw if info.compress_type == zipfile.ZIP_STORED else _inflate(raw, info.file_size)
        if name == info.orig_filename and len(out) == info.file_size and zlib.crc32(out) == info.CRC:
            return out
    return z.read(info)


def _inflate(raw: bytes, size: int) -> bytes:
    """Raw deflate data, inflated to at most one byte more than `size`."""
    return zlib.decompressobj(-15).decompress(raw, size + 1)


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
            done[path] = [_member(z, data, i) for i in members.get(path, [])]
        return done[path]

    book = {path: read(path.lower()) for path in _BOOK}
    targets: dict[bytes, list[str]] = {}
    for pairs in (_pairs(t) for xml in book["xl/_rels/workbook.xml.rels"] for t in _REL.findall(xml)):
        for rid in _values(pairs, b"Id"):
            targets.setdefault(rid, []).extend(t.decode("utf-8", "replace") for t in _values(pairs, b"Target"))
    sheets: dict[str, list[bytes]] = {}
    for pairs in (_pairs(t) for xml in book["xl/workbook.xml"] for t in _SHEET.findall(xml)):
        if wanted is not None and all(_plain(n) and not wanted(n.decode()) for n in _values(pairs, b"name")):
            continue
        name = html.unescape(dict(pairs).get(b"name", b"").decode("utf-8", "replace"))
        for target in (t for rid in _values(pairs, b"id") for t in targets.get(rid, [])):
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
    cols = _column_number(far)
    if rows * cols > MAX_CELLS:
        return f"trang {name} có ô ở dòng {rows}, cột {cols}: vượt {MAX_CELLS:,} ô"
    return ""


def _xlsx_marks(xml: bytes) -> list[Mark]:
    """Cells holding a formula but no usable cached value, and cells holding an error value."""
    # each hint is first looked for as plain bytes, several times quicker than the pattern
    formula = (b"<f" in xml or b":f" in xml) and _FORMULA_HINT.search(xml)
    error = (b'"e"' in xml or b"'e'" in xml) and _ERROR_HINT.search(xml)
    if not formula and not error:
        return []
    xml = _without_comments(xml)
    out: list[Mark] = []
    start = None  # (attributes, end of the start tag) of the cell being read
    for m in _CELL_TAG.finditer(xml):
        if start is not None:
            mark = _xlsx_cell(start[0], xml[start[1] : m.start()])
            if mark:
                out.append(mark)
            start = None
        if not m[1] and not m[2].rstrip().endswith(b"/"):
            start = (m[2], m.end())
    if start is not None:
        mark = _xlsx_cell(start[0], xml[start[1] :])
        if mark:
            out.append(mark)
    return out


def _xlsx_cell(tag: bytes, body: bytes) -> Mark | None:
    attrs = _attrs(tag)
    ref = _REF.fullmatch(attrs.get(b"r", b"").strip())
    if not ref:
        return None
    kind = attrs.get(b"t", b"n").strip()
    value = _VALUE.search(body)
    cached = None if value is None or value[1].rstrip().endswith(b"/") else value[2]
    formula = _FORMULA_TAG.search(body)
    row, col = int(ref[2]) - 1, _column_number(ref[1]) - 1
    if kind == b"e":
        error = html.unescape((cached or b"").decode("utf-8", "replace")).strip()
        return row, col, 1, 1, CellError(error or "#N/A")
    if formula is None:
        return None
    if kind in (b"str", b"inlineStr") and (cached is not None or value is not None):
        return None  # a formula whose result is text, possibly empty: calamine has it right
    if cached is not None and cached.strip():
        return None
    text = b""
    if not formula[1].rstrip().endswith(b"/"):
        end = _END_F.search(body, formula.end())
        text = body[formula.end() : end.start() if end else len(body)]
    shown = html.unescape(_TAG.sub(b"", text).decode("utf-8", "replace")).strip()
    return row, col, 1, 1, Formula(f"={shown}" if shown else "=(công thức chép từ ô khác)")


def _without_comments(xml: bytes) -> bytes:
    """The XML with its comments and CDATA sections blanked out, in one pass (a comment may hide tags)."""
    if b"<!--" not in xml and b"<![CDATA[" not in xml:
        return xml
    pieces, at = [], 0
    while True:
        comment, cdata = xml.find(b"<!--", at), xml.find(b"<![CDATA[", at)
        starts = [s for s in (comment, cdata) if s >= 0]
        if not starts:
            break
        begin = min(starts)
        closer = b"-->" if begin == comment else b"]]>"
        end = xml.find(closer, begin + 4)
        pieces.append(xml[at:begin])
        if end < 0:
            at = len(xml)
            break
        at = end + len(closer)
    pieces.append(xml[at:])
    return b"".join(pieces)


def _inspect_ods(xml: bytes) -> Inspection:
    """Count the value cells repeated rows and columns expand to, and find the error cells, in one pass."""
    xml = _without_comments(xml)
    errors = _ODS_ERROR_HINT.search(xml) is not None
    marks: dict[str, list[Mark]] = {}
    sheet, cells = "", 0
    row = col = 0
    row_repeat = 1
    cell = None  # (column, repeat, end of start tag) of an error cell being read
    for m in _ODS_TAG.finditer(xml):
        closing, name, attrs = m[1], m[2], m[3]
        if cell is not None:
            text = html.unescape(_TAG.sub(b"", xml[cell[2] : m.start()]).decode("utf-8", "replace")).strip()
            marks.setdefault(sheet, []).append((row, cell[0], row_repeat, cell[1], CellError(text or "#N/A")))
            cell = None
        if name == b"table":
            if not closing:
                sheet = html.unescape(_attrs(attrs, local=False).get(b"table:name", b"").decode("utf-8", "replace"))
                row = 0
            continue
        if name == b"table-row":
            if closing:
                row += row_repeat
            else:
                row_repeat, col = _repeat(attrs, b"table:number-rows-repeated"), 0
                if attrs.rstrip().endswith(b"/"):
                    row += row_repeat
            continue
        if closing:
            continue
        found = _attrs(attrs, local=False)
        repeat = _repeat(attrs, b"table:number-columns-repeated", found)
        if b"office:value-type" in found or b"table:formula" in found:
            cells += row_repeat * repeat
            if cells > MAX_CELLS:
                return Inspection(f"trang tính khai báo hơn {MAX_CELLS:,} ô có giá trị", sheet=sheet)
        if errors and any(k.endswith(b"value-type") and v.strip() == b"error" for k, v in found.items()):
            if attrs.rstrip().endswith(b"/"):
                marks.setdefault(sheet, []).append((row, col, row_repeat, repeat, CellError("#N/A")))
            else:
                cell = (col, repeat, m.end())
        col += repeat
    return Inspection(marks=marks)


def _repeat(attrs: bytes, name: bytes, found: dict | None = None) -> int:
    value = (found if found is not None else _attrs(attrs, local=False)).get(name, b"1").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else 1


# --- .xlsb: a zip of binary record streams (MS-XLSB) -----------------------------------------------------------------


def _records(data: bytes):
    """(type, payload) of each record of a BIFF12 stream; stops at the first truncated record."""
    at = 0
    while at < len(data):
        kind = size = 0
        for target, width in ((0, 2), (1, 4)):
            value = shift = 0
            for _ in range(width):
                if at >= len(data):
                    return
                byte = data[at]
                at += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            if target == 0:
                kind = value
            else:
                size = value
        yield kind, data[at : at + size]
        at += size


def _wide(data: bytes, at: int) -> tuple[str, int]:
    """An XLWideString at `at`: the text and the offset after it."""
    count = struct.unpack_from("<I", data, at)[0]
    end = at + 4 + 2 * count
    return data[at + 4 : end].decode("utf-16-le", "replace"), end


def _xlsb_marks(parts: dict[str, bytes]) -> dict[str, list[Mark]]:
    """Cells of an .xlsb sheet whose value is an error (BrtCellError, BrtFmlaError): calamine reads them as empty."""
    targets = {}
    for tag in _REL.findall(parts.get("xl/_rels/workbook.bin.rels", b"")):
        attrs = _attrs(tag)
        targets[attrs.get(b"Id", b"").decode("utf-8", "replace")] = attrs.get(b"Target", b"").decode("utf-8", "replace")
    out: dict[str, list[Mark]] = {}
    try:
        for kind, body in _records(parts.get("xl/workbook.bin", b"")):
            if kind != 0x009C:  # BrtBundleSh: state, tab id, relationship id, name
                continue
            rel, after = _wide(body, 8)
            name = _wide(body, after)[0]
            sheet = parts.get("xl/" + targets.get(rel, "").lstrip("/").removeprefix("xl/"), b"")
            row = 0
            for cell_kind, cell in _records(sheet):
                if cell_kind == 0x0000 and len(cell) >= 4:  # BrtRowHdr
                    row = struct.unpack_from("<I", cell)[0]
                elif cell_kind in (0x0003, 0x000B) and len(cell) >= 9:
                    col = struct.unpack_from("<I", cell)[0]
                    error = CellError(_XLS_ERRORS.get(cell[8], "#N/A"))
                    out.setdefault(name, []).append((row, col, 1, 1, error))
    except struct.error:
        return out
    return out


# --- .xls: an OLE2 (compound file) container holding a BIFF8 "Workbook" stream --------------------------------------

_XLS_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}
_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def _xls_marks(data: bytes) -> dict[str, list[Mark]]:
    """Cells of an .xls whose value is an error (a BOOLERR record, or a FORMULA record's cached error).

    A damaged container or stream gives no marks: the parser then says what it
    makes of the file. Every loop is bounded by the size of the file.
    """
    try:
        stream = _cfb_stream(data, "workbook")
    except (ValueError, IndexError, KeyError, struct.error):
        return {}
    if stream is None:
        return {}
    sheets: dict[int, str] = {}  # offset of the sheet's BOF record -> name
    out: dict[str, list[Mark]] = {}
    sheet = None
    at = 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + size]
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET: where a sheet starts, and its name
            count, high = body[6], body[7] & 1
            raw = body[8 : 8 + count * (2 if high else 1)]
            sheets[struct.unpack_from("<I", body)[0]] = raw.decode("utf-16-le" if high else "latin-1", "replace")
        elif kind == 0x0809:  # BOF: a sheet's records follow, up to its EOF
            sheet = sheets.get(at)
        elif kind == 0x000A:
            sheet = None
        elif sheet is not None and kind == 0x0205 and len(body) >= 8 and body[7] == 1:  # BOOLERR holding an error
            row, col = struct.unpack_from("<HH", body)
            out.setdefault(sheet, []).append((row, col, 1, 1, CellError(_XLS_ERRORS.get(body[6], "#N/A"))))
        elif sheet is not None and kind == 0x0006 and len(body) >= 14 and body[6] == 2 and body[12:14] == b"\xff\xff":
            row, col = struct.unpack_from("<HH", body)  # FORMULA whose cached result is an error
            out.setdefault(sheet, []).append((row, col, 1, 1, CellError(_XLS_ERRORS.get(body[8], "#N/A"))))
        at += 4 + size
    return out


def _cfb_stream(data: bytes, name: str) -> bytes | None:
    """The stream `name` (case-insensitive) of a compound file, or None; ValueError when the container is damaged."""
    if not data.startswith(_CFB):
        return None
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    mini = 1 << struct.unpack_from("<H", data, 32)[0]
    if sector not in (512, 4096) or mini != 64:
        raise ValueError("sector size")
    fat_sectors, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_minifat, minifat_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 56)
    total = (len(data) - 512) // sector + 1

    def at(n: int) -> int:
        if n >= total:
            raise ValueError("sector out of the file")
        return 512 + n * sector

    difat = list(struct.unpack_from("<109I", data, 76))
    n, seen = first_difat, 0
    while n not in (_FREE, _END_OF_CHAIN) and seen <= difat_count:
        entries = struct.unpack_from(f"<{sector // 4}I", data, at(n))
        difat += entries[:-1]
        n, seen = entries[-1], seen + 1
    fat: list[int] = []
    for n in difat[: min(fat_sectors, total)]:
        fat += struct.unpack_from(f"<{sector // 4}I", data, at(n))

    def chain(start: int, table: list[int]) -> list[int]:
        out: list[int] = []
        n = start
        while n not in (_FREE, _END_OF_CHAIN):
            if n >= len(table) or len(out) > len(table):
                raise ValueError("broken chain")
            out.append(n)
            n = table[n]
        return out

    def read(start: int) -> bytes:
        return b"".join(data[at(n) : at(n) + sector] for n in chain(start, fat))

    directory = read(first_dir)
    root_start, found = None, None
    for k in range(0, len(directory) - 127, 128):
        entry = directory[k : k + 128]
        length, kind = struct.unpack_from("<HB", entry, 64)
        start, size = struct.unpack_from("<II", entry, 116)
        if kind == 5:
            root_start = start
        elif kind == 2 and entry[: max(0, length - 2)].decode("utf-16-le", "replace").lower() == name:
            found = (start, size)
    if found is None:
        return None
    start, size = found
    if size >= cutoff:
        return read(start)[:size]
    minifat: list[int] = []
    for n in chain(first_minifat, fat)[:minifat_count]:
        minifat += struct.unpack_from(f"<{sector // 4}I", data, at(n))
    ministream = read(root_start) if root_start is not None else b""
    return b"".join(ministream[n * mini : (n + 1) * mini] for n in chain(start, minifat))[:size]


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n
