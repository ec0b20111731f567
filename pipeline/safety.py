"""Look inside an untrusted workbook before any parser sees it.

Workbooks come from outside the department, so a file is checked as a zip
archive first: python-calamine sets no limit of its own and builds each sheet
as a dense grid of rows x columns, so a tiny file can ask for gigabytes. The
bounds are all here:

- MAX_FILE_BYTES: size of the file on disk.
- MAX_UNCOMPRESSED_BYTES / MAX_COMPRESSION_RATIO: the sizes the zip declares
  (a zip bomb declares them honestly or fails to inflate past them).
- MAX_CELLS: rows x columns of the grid a sheet would need, from the
  addresses of its cells that hold a value (xlsx) or from repeated value
  cells (ods). `.xls` is bounded by its format (65,536 x 256).
- XML with a DOCTYPE is refused: workbooks never need one, entity bombs do.

The same look finds formulas stored without a cached value (xlsx), which
calamine would hand over as empty cells.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

MAX_FILE_BYTES = 50 * 2**20
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 200
MAX_CELLS = 4_000_000
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".ods"}

_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
_CELL_BODY = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*(?<!/)>(.*?)</c>', re.S)
_FORMULA = re.compile(rb"<f[^>]*>(.*?)</f>", re.S)
_SHEET = re.compile(rb"<sheet\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_REL = re.compile(rb"<Relationship\b[^>]*>")
_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*)>(.*?)</table:table-row>", re.S)
_ODS_VALUE_CELL = re.compile(rb"<table:table-cell\b[^>]*office:value-type[^>]*>")
_REPEATED = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]+)"')


class Formula(str):
    """A formula cell the file stores without its computed value ("=SUM(K4:K9)")."""


@dataclass
class Inspection:
    unsafe: str = ""  # why the file must not be parsed, in Vietnamese; "" when it is safe
    sheet: str = ""  # the sheet that made it unsafe, where one did
    formulas: dict[str, dict[str, Formula]] = field(default_factory=dict)  # sheet name -> cell -> formula


def inspect(data: bytes, suffix: str) -> Inspection:
    if len(data) > MAX_FILE_BYTES:
        return Inspection(f"tệp {len(data) / 2**20:.0f} MiB, tối đa {MAX_FILE_BYTES // 2**20} MiB")
    if suffix not in ZIP_SUFFIXES:
        return Inspection()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
                return Inspection(f"nội dung giải nén khai báo {total / 2**20:.0f} MiB")
            parts = {i.filename: z.read(i) for i in infos if i.filename.endswith((".xml", ".rels"))}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError):
        return Inspection()  # not a readable zip: calamine will say the file is unreadable
    if any(b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml[:65536] for xml in parts.values()):
        return Inspection("tệp chứa khai báo DOCTYPE/ENTITY, không phải bảng tính thông thường")
    if suffix == ".ods":
        return Inspection(_ods_extent(parts.get("content.xml", b"")))
    sheets = _xlsx_sheets(parts)
    for name, xml in sheets.items():
        too_big = _xlsx_extent(xml, name)
        if too_big:
            return Inspection(too_big, sheet=name)
    return Inspection(formulas={name: _uncomputed(xml) for name, xml in sheets.items() if b"<f" in xml})


def _xlsx_sheets(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Sheet name -> its XML, through xl/workbook.xml and its relationships."""
    targets = {}
    for tag in _REL.findall(parts.get("xl/_rels/workbook.xml.rels", b"")):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get(b"Target", b"").decode("utf-8", "replace").lstrip("/")
        targets[attrs.get(b"Id")] = target if target.startswith("xl/") else f"xl/{target}"
    out = {}
    for tag in _SHEET.findall(parts.get("xl/workbook.xml", b"")):
        attrs = dict(_ATTR.findall(tag))
        name = html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        path = targets.get(attrs.get(b"r:id"))
        if path in parts:
            out[name] = parts[path]
    return out


def _xlsx_extent(xml: bytes, name: str) -> str:
    cells = _VALUE_CELL.findall(xml)
    if not cells:
        return ""
    rows = max(int(r) for r in {r for _, r in cells})
    cols = max(_column_number(c) for c in {c for c, _ in cells})
    if rows * cols > MAX_CELLS:
        return f"trang {name} có ô ở dòng {rows}, cột {cols}: vượt {MAX_CELLS:,} ô"
    return ""


def _ods_extent(xml: bytes) -> str:
    """Repeated rows and cells that hold a value expand to real cells: count them."""
    cells = 0
    for attrs, body in _ODS_ROW.findall(xml):
        tags = _ODS_VALUE_CELL.findall(body)
        if not tags:
            continue
        repeat_row = int((_REPEATED.findall(attrs) or [b"1"])[0])
        width = sum(int((_REPEATED.findall(t) or [b"1"])[0]) for t in tags)
        cells += repeat_row * width
        if cells > MAX_CELLS:
            return f"trang tính khai báo hơn {MAX_CELLS:,} ô có giá trị"
    return ""


def _uncomputed(xml: bytes) -> dict[str, Formula]:
    """Cells holding a formula but no cached <v> value."""
    out = {}
    for ref, body in _CELL_BODY.findall(xml):
        formula = _FORMULA.search(body)
        if formula and not re.search(rb"<v>[^<]+</v>", body):
            text = html.unescape(formula.group(1).decode("utf-8", "replace"))
            out[ref.decode()] = Formula(f"={text}")
    return out


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n
