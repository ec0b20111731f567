"""Find the cells python-calamine would hand over as empty although they are not.

The parser reads a formula stored without its cached value, and a cell whose value
is an error such as #DIV/0!, as an empty cell; an empty cell makes an indicator
*not assessable*, which is not what the commune wrote. So the reader puts a marker
back in each such cell (`Formula`, `CellError`), and checking reports it with its
cell. The marks come from the parts the safety pass (`safety.inspect`) has already
inflated and checked, so no part is read twice: the sheets' XML of an .xlsx, an
.ods's `content.xml`, the record streams of an .xlsb, the BIFF8 stream of an .xls.

A formula whose cached value is the empty string (`=IF(A5="","",A5)` filled down a
column) is an empty cell, as Excel shows it. Every scan is linear in the size of
the file (`xml_scan`); every loop over a binary stream is bounded by its size.
"""

from __future__ import annotations

import html
import re
import struct
from collections.abc import Iterator

from pipeline.reading.containers import cfb_stream
from pipeline.reading.xml_scan import PREFIX, REL, TAG, attrs, column_number, without_comments

# A cell's start or end tag; the attributes stop at the first < or >, so a failed match costs at most
# the distance to the next tag and the whole scan stays linear.
_CELL_TAG = re.compile(rb"<(/?)" + PREFIX + rb"c(?=[\s/>])([^<>]*)>")
_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_FORMULA_TAG = re.compile(rb"<" + PREFIX + rb"f(?=[\s/>])([^<>]*)>")
_VALUE = re.compile(rb"<" + PREFIX + rb"v(?=[\s/>])([^<>]*)>([^<]*)")
_END_F = re.compile(rb"</" + PREFIX + rb"f\s*>")
# a hint that a sheet has something to mark: a formula, or an attribute valued "e" (t="e")
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

# The error values of the binary formats, by code: .xls (BIFF8) and .xlsb (BIFF12) share them.
_BINARY_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}


# --- .xlsx, .xlsm: the sheets' XML ------------------------------------------------------------------------------------


def xlsx_marks(xml: bytes) -> list[Mark]:
    """Cells holding a formula but no usable cached value, and cells holding an error value."""
    # each hint is first looked for as plain bytes, several times quicker than the pattern
    formula = (b"<f" in xml or b":f" in xml) and _FORMULA_HINT.search(xml)
    error = (b'"e"' in xml or b"'e'" in xml) and _ERROR_HINT.search(xml)
    if not formula and not error:
        return []
    xml = without_comments(xml)
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
    found = attrs(tag)
    ref = _REF.fullmatch(found.get(b"r", b"").strip())
    if not ref:
        return None
    kind = found.get(b"t", b"n").strip()
    value = _VALUE.search(body)
    cached = None if value is None or value[1].rstrip().endswith(b"/") else value[2]
    formula = _FORMULA_TAG.search(body)
    row, col = int(ref[2]) - 1, column_number(ref[1]) - 1
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
    shown = html.unescape(TAG.sub(b"", text).decode("utf-8", "replace")).strip()
    return row, col, 1, 1, Formula(f"={shown}" if shown else "=(công thức chép từ ô khác)")


# --- .ods: content.xml, rows and columns repeated --------------------------------------------------------------------


def ods_cells(xml: bytes, marks: dict[str, list[Mark]]) -> Iterator[tuple[str, int]]:
    """Walk the cells of an .ods `content.xml` once, for the safety check and for the error cells alike.

    Yields (sheet, cells) for each cell holding a value or a formula, `cells` the number it stands for once
    its repeated rows and columns are expanded (what the parser would build), and puts each error cell,
    with its repeats, in `marks` on the way: a caller that stops early has the marks of the cells before.
    """
    xml = without_comments(xml)
    errors = _ODS_ERROR_HINT.search(xml) is not None
    sheet = ""
    row = col = 0
    row_repeat = 1
    cell = None  # (column, repeat, end of start tag) of an error cell being read
    for m in _ODS_TAG.finditer(xml):
        closing, name, tag = m[1], m[2], m[3]
        if cell is not None:
            text = html.unescape(TAG.sub(b"", xml[cell[2] : m.start()]).decode("utf-8", "replace")).strip()
            marks.setdefault(sheet, []).append((row, cell[0], row_repeat, cell[1], CellError(text or "#N/A")))
            cell = None
        if name == b"table":
            if not closing:
                sheet = html.unescape(attrs(tag, local=False).get(b"table:name", b"").decode("utf-8", "replace"))
                row = 0
            continue
        if name == b"table-row":
            if closing:
                row += row_repeat
            else:
                row_repeat, col = _repeat(tag, b"table:number-rows-repeated"), 0
                if tag.rstrip().endswith(b"/"):
                    row += row_repeat
            continue
        if closing:
            continue
        found = attrs(tag, local=False)
        repeat = _repeat(tag, b"table:number-columns-repeated", found)
        if b"office:value-type" in found or b"table:formula" in found:
            yield sheet, row_repeat * repeat
        if errors and any(k.endswith(b"value-type") and v.strip() == b"error" for k, v in found.items()):
            if tag.rstrip().endswith(b"/"):
                marks.setdefault(sheet, []).append((row, col, row_repeat, repeat, CellError("#N/A")))
            else:
                cell = (col, repeat, m.end())
        col += repeat


def _repeat(tag: bytes, name: bytes, found: dict | None = None) -> int:
    value = (found if found is not None else attrs(tag, local=False)).get(name, b"1").strip()
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


def xlsb_marks(parts: dict[str, bytes]) -> dict[str, list[Mark]]:
    """Cells of an .xlsb sheet whose value is an error (BrtCellError, BrtFmlaError): calamine reads them as empty."""
    targets = {}
    for tag in REL.findall(parts.get("xl/_rels/workbook.bin.rels", b"")):
        found = attrs(tag)
        targets[found.get(b"Id", b"").decode("utf-8", "replace")] = found.get(b"Target", b"").decode("utf-8", "replace")
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
                    error = CellError(_BINARY_ERRORS.get(cell[8], "#N/A"))
                    out.setdefault(name, []).append((row, col, 1, 1, error))
    except struct.error:
        return out
    return out


# --- .xls: an OLE2 (compound file) container holding a BIFF8 "Workbook" stream --------------------------------------


def xls_marks(data: bytes) -> dict[str, list[Mark]]:
    """Cells of an .xls whose value is an error (a BOOLERR record, or a FORMULA record's cached error).

    A damaged container or stream gives no marks: the parser then says what it
    makes of the file. Every loop is bounded by the size of the file.
    """
    try:
        stream = cfb_stream(data, "workbook")
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
            out.setdefault(sheet, []).append((row, col, 1, 1, CellError(_BINARY_ERRORS.get(body[6], "#N/A"))))
        elif sheet is not None and kind == 0x0006 and len(body) >= 14 and body[6] == 2 and body[12:14] == b"\xff\xff":
            row, col = struct.unpack_from("<HH", body)  # FORMULA whose cached result is an error
            out.setdefault(sheet, []).append((row, col, 1, 1, CellError(_BINARY_ERRORS.get(body[8], "#N/A"))))
        at += 4 + size
    return out
