"""Find the workbooks under the input folder and read their `Xa` and `Thon` sheets.

Every value keeps where it came from: the frames carry the file (relative to
the input folder), the sheet and the Excel row, and `letters` maps each column
key to its letter in that file, so a problem can name the cell (`Xa!K7`).
Reading only collects raw values; typing them is `parse`'s job.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from pipeline.catalog import SHEETS, Columns
from pipeline.parse import fold, fold_series, is_empty
from pipeline.problems import problem

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".ods"}

# Safety bounds for untrusted workbooks. A zip's declared uncompressed sizes are
# checked before calamine parses anything (calamine itself sets no limit), and
# no sheet is read past MAX_ROWS rows, whatever its dimension claims.
MAX_FILE_BYTES = 50 * 2**20
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 30

META = ["_tep", "_trang", "_dong"]


@dataclass
class FileRead:
    """What one file gave: raw rows per sheet, column letters, stats and problems."""

    tep: str
    size: int = 0
    sha256: str = ""
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    letters: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


@dataclass
class Batch:
    """All files of one run, concatenated: one raw frame per sheet."""

    xa: pd.DataFrame
    thon: pd.DataFrame
    letters: pd.DataFrame  # tep, trang, cot, chu
    sources: pd.DataFrame  # one row per file
    problems: list[dict]


def is_ignored(path: Path) -> bool:
    """Lock files, hidden and temporary files are skipped without a word."""
    name = path.name
    return name.startswith(("~$", ".", "~")) or name.endswith(("~", ".tmp", ".bak")) or name == "Thumbs.db"


def discover(root: Path) -> tuple[list[Path], list[dict]]:
    """Workbooks below root, in a stable order, and a problem for every other file."""
    books, skipped = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(is_ignored(Path(part)) for part in rel.parts):
            continue
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            books.append(path)
        else:
            skipped.append(problem("bo-qua-tep", rel.as_posix()))
    return books, skipped


def read_batch(root: Path, columns: Columns) -> Batch:
    books, problems = discover(root)
    reads = [read_file(root, path, columns) for path in books]
    return combine(reads, columns, problems)


def combine(reads: list[FileRead], columns: Columns, problems: list[dict]) -> Batch:
    """Concatenate the files' frames once, sheet by sheet."""
    frames = {}
    for sheet in SHEETS:
        keys = list(columns.of(sheet).index)
        parts = [r.frames[sheet] for r in reads if sheet in r.frames]
        empty = pd.DataFrame(columns=META + keys, dtype=object)
        frames[sheet] = pd.concat([empty, *parts], ignore_index=True).astype(object) if parts else empty
        frames[sheet]["_dong"] = frames[sheet]["_dong"].astype("Int64")
    sources = pd.DataFrame(
        [
            {
                "tep": r.tep,
                "kich_thuoc": r.size,
                "sha256": r.sha256,
                "dong_xa": len(r.frames.get("Xa", ())),
                "dong_thon": len(r.frames.get("Thon", ())),
            }
            for r in reads
        ],
        columns=["tep", "kich_thuoc", "sha256", "dong_xa", "dong_thon"],
    )
    letters = pd.DataFrame([x for r in reads for x in r.letters], columns=["tep", "trang", "cot", "chu"])
    problems = problems + [p for r in reads for p in r.problems]
    return Batch(frames["Xa"], frames["Thon"], letters, sources, problems)


def read_file(root: Path, path: Path, columns: Columns) -> FileRead:
    """Read one workbook; any failure becomes a problem row, never an exception."""
    out = FileRead(tep=path.relative_to(root).as_posix())
    try:
        data = path.read_bytes()
    except OSError as e:
        out.problems.append(problem("khong-doc-duoc", out.tep, str(e)))
        return out
    out.size, out.sha256 = len(data), hashlib.sha256(data).hexdigest()
    too_big = _unsafe(data, path.suffix.lower())
    if too_big:
        out.problems.append(problem("qua-lon", out.tep, too_big))
        return out
    try:
        sheets = _sheet_rows(CalamineWorkbook.from_filelike(io.BytesIO(data)))
    except Exception as e:  # noqa: BLE001 - calamine raises many kinds; each is the file's fault
        out.problems.append(problem("khong-doc-duoc", out.tep, _reason(e)))
        return out
    for sheet in SHEETS:
        if sheet in sheets:
            _take_sheet(out, sheet, sheets[sheet], columns)
        else:
            code = "thieu-trang" if sheet == "Xa" else "thieu-trang-thon"
            out.problems.append(problem(code, out.tep, sheet, trang=sheet))
    return out


def _sheet_rows(book: CalamineWorkbook) -> dict[str, list[list]]:
    """The cells of the sheets we read, matched by name ignoring case and accents."""
    names = {fold(n): n for n in book.sheet_names}
    return {
        sheet: book.get_sheet_by_name(names[fold(sheet)]).to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
        for sheet in SHEETS
        if fold(sheet) in names
    }


def _unsafe(data: bytes, suffix: str) -> str:
    """Why a file is too large to parse safely, or "" when it is not."""
    if len(data) > MAX_FILE_BYTES:
        return f"tệp {len(data) / 2**20:.0f} MiB, tối đa {MAX_FILE_BYTES // 2**20} MiB"
    if suffix not in ZIP_SUFFIXES:
        return ""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        return ""  # not a zip at all: calamine will say the file is unreadable
    if total > MAX_UNCOMPRESSED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
        return f"nội dung giải nén khai báo {total / 2**20:.0f} MiB"
    return ""


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "password" in text.lower() or type(e).__name__ == "PasswordError":
        return "tệp có mật khẩu; hãy gỡ mật khẩu rồi gửi lại"
    return f"không phải bảng tính hợp lệ hoặc tệp bị hỏng ({text[:200]})"


def _take_sheet(out: FileRead, sheet: str, rows: list[list], columns: Columns) -> None:
    """Locate the header row, map its cells to column keys, keep the data rows."""
    catalog = columns.of(sheet)
    names = {fold(k): k for k in catalog.index} | {fold(v): k for k, v in catalog["label"].items()}
    head = pd.DataFrame(rows[:HEADER_SEARCH_ROWS], dtype=object)
    if head.empty:
        out.problems.append(problem("khong-thay-tieu-de", out.tep, "trang trống", trang=sheet))
        return
    matched = head.apply(lambda col: fold_series(col).map(names))
    hits = matched.notna().sum(axis=1)
    if hits.max() < 2:
        out.problems.append(problem("khong-thay-tieu-de", out.tep, trang=sheet))
        return
    header_at = int(hits.idxmax())
    keys = matched.iloc[header_at]
    labels = head.iloc[header_at]
    first = keys.dropna().drop_duplicates()
    for pos in keys.dropna().index.difference(first.index):
        out.problems.append(
            problem("cot-trung", out.tep, str(labels[pos]), trang=sheet, o=f"{xl_col_to_name(pos)}{header_at + 1}")
        )
    unknown = labels[keys.isna() & fold_series(labels).fillna("").ne("")]
    for pos, label in unknown.items():
        out.problems.append(
            problem("cot-la", out.tep, str(label), trang=sheet, o=f"{xl_col_to_name(pos)}{header_at + 1}")
        )
    for key in catalog.index[catalog["required"]].difference(first.values, sort=False):
        out.problems.append(problem("thieu-cot", out.tep, catalog.at[key, "label"], trang=sheet, cot=key))
    body = pd.DataFrame(rows[header_at + 1 : MAX_ROWS + 1], dtype=object)
    body = body.reindex(columns=first.index).set_axis(first.values, axis=1)
    body.index = body.index + header_at + 2  # Excel row numbers
    body = body[~body.apply(is_empty).all(axis=1)].reset_index(names="_dong")
    if len(rows) > MAX_ROWS:
        out.problems.append(problem("qua-lon", out.tep, f"chỉ đọc {MAX_ROWS} dòng đầu", trang=sheet))
    body.insert(0, "_trang", sheet)
    body.insert(0, "_tep", out.tep)
    out.frames[sheet] = body
    out.letters += [{"tep": out.tep, "trang": sheet, "cot": k, "chu": xl_col_to_name(p)} for p, k in first.items()]
