"""Find the workbooks under the input folder and read their `Xa` and `Thon` sheets.

Every value keeps where it came from: the frames carry the file (relative to
the input folder), the sheet and the Excel row, and `letters` maps each column
key to its letter in that file, so a problem can name the cell (`Xa!K7`).
Reading only collects raw values; typing them is `parse`'s job.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from pipeline import safety
from pipeline.catalog import SHEETS, Columns
from pipeline.parse import fold, is_empty
from pipeline.problems import problem

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}

# No sheet is read past MAX_ROWS rows; the other bounds are in `safety`.
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 30

META = ["_tep", "_trang", "_dong"]


@dataclass
class FileRead:
    """What one file gave: raw cells per sheet, column letters, stats and problems.

    A block is plain numpy (no pandas per file: a national batch has thousands
    of files): `cells` has one column per catalog key of the sheet, in catalog
    order, None where the file has no such column; `rows` the Excel row numbers.
    """

    tep: str
    size: int = 0
    sha256: str = ""
    cells: dict[str, np.ndarray] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
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
    system = name.lower() in ("thumbs.db", "desktop.ini")  # Windows' hidden files, once copied
    return name.startswith(("~$", ".", "~")) or name.endswith(("~", ".tmp", ".bak")) or system


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


def read_batch(root: Path, columns: Columns, workers: int | None = None, progress: bool = False) -> Batch:
    """Read every workbook below root, in parallel worker processes when there are many.

    `workers` defaults to one process per core; with `workers=1`, or a handful
    of files, everything is read in this process. Results keep discovery order
    either way, so the batch is the same. `progress` draws a bar on a terminal.
    """
    import functools
    import os
    from concurrent.futures import ProcessPoolExecutor

    from pipeline.progress import bar

    books, problems = discover(root)
    read_one = functools.partial(read_file, root, columns=columns)
    workers = min(workers or os.cpu_count() or 1, len(books))
    reads: list[FileRead] = []
    with bar(len(books), "Đọc bảng tính", quiet=not progress) as shown:
        if workers <= 1 or len(books) <= 8:
            for path in books:
                reads.append(read_one(path))
                shown.update(1)
        else:
            chunk = max(1, min(64, len(books) // (workers * 8)))
            with ProcessPoolExecutor(workers) as pool:
                for read in pool.map(read_one, books, chunksize=chunk):
                    reads.append(read)
                    shown.update(1)
    return combine(reads, columns, problems)


def combine(reads: list[FileRead], columns: Columns, problems: list[dict]) -> Batch:
    """Concatenate the files' blocks once, sheet by sheet, and drop the rows with nothing in them."""
    frames = {}
    for sheet in SHEETS:
        keys = list(columns.of(sheet).index)
        mine = [r for r in reads if sheet in r.cells]
        cells = np.concatenate([r.cells[sheet] for r in mine]) if mine else np.empty((0, len(keys)), dtype=object)
        frame = pd.DataFrame(cells, columns=keys, dtype=object)
        frame.insert(0, "_dong", np.concatenate([r.rows[sheet] for r in mine]) if mine else np.empty(0, int))
        frame.insert(0, "_trang", sheet)
        frame.insert(0, "_tep", np.repeat([r.tep for r in mine], [len(r.rows[sheet]) for r in mine]))
        frame["_dong"] = frame["_dong"].astype("Int64")
        frames[sheet] = frame[~_cellwise(frame[keys], is_empty).all(axis=1)].reset_index(drop=True)
    sources = pd.DataFrame(
        {
            "tep": [r.tep for r in reads],
            "kich_thuoc": [r.size for r in reads],
            "sha256": [r.sha256 for r in reads],
        },
        columns=["tep", "kich_thuoc", "sha256"],
    )
    for sheet, name in (("Xa", "dong_xa"), ("Thon", "dong_thon")):
        sources[name] = sources["tep"].map(frames[sheet].groupby("_tep").size()).fillna(0).astype(int)
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
    look = safety.inspect(data, path.suffix.lower())
    if look.unsafe:
        out.problems.append(problem("qua-lon", out.tep, look.unsafe, trang=look.sheet))
        return out
    try:
        sheets = _sheet_rows(CalamineWorkbook.from_filelike(io.BytesIO(data)), look.formulas)
    except Exception as e:  # noqa: BLE001 - calamine raises many kinds; each is the file's fault
        out.problems.append(problem("khong-doc-duoc", out.tep, _reason(e)))
        return out
    if "Xa" not in sheets:  # nothing in this file can be assessed: one line says so
        out.problems.append(problem("thieu-trang", out.tep, "Xa", trang="Xa"))
        return out
    for sheet in SHEETS:
        if sheet in sheets:
            _take_sheet(out, sheet, sheets[sheet], columns)
        else:
            out.problems.append(problem("thieu-trang-thon", out.tep, sheet, trang=sheet))
    return out


def _sheet_rows(book: CalamineWorkbook, formulas: dict) -> dict[str, list[list]]:
    """The cells of the sheets we read, matched by name ignoring case and accents.

    A formula stored without its value is put back in its cell as a `Formula`,
    so that it is reported rather than read as an empty cell.
    """
    names = {fold(n): n for n in book.sheet_names}
    out = {}
    for sheet in SHEETS:
        if fold(sheet) not in names:
            continue
        name = names[fold(sheet)]
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
        for ref, formula in formulas.get(name, {}).items():
            row, col = xl_cell_to_rowcol(ref)
            if row > MAX_ROWS:
                continue
            rows += [[] for _ in range(row + 1 - len(rows))]
            rows[row] += [""] * (col + 1 - len(rows[row]))
            rows[row][col] = formula
        if formulas.get(name):  # keep the grid rectangular after putting formulas back
            width = max(map(len, rows), default=0)
            for r in rows:
                r += [""] * (width - len(r))
        out[sheet] = rows
    return out


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "password" in text.lower() or type(e).__name__ == "PasswordError":
        return "tệp có mật khẩu; hãy gỡ mật khẩu rồi gửi lại"
    return f"không phải bảng tính hợp lệ hoặc tệp bị hỏng ({text[:200]})"


def _take_sheet(out: FileRead, sheet: str, rows: list[list], columns: Columns) -> None:
    """Locate the header row, map its cells to column keys, keep the cells below it."""
    keys, names, labels = _catalog_names(columns, sheet)
    matches = [[names.get(fold(c)) if isinstance(c, str) else None for c in row] for row in rows[:HEADER_SEARCH_ROWS]]
    hits = [sum(m is not None for m in row) for row in matches]
    if not hits or max(hits) < 2:
        detail = "trang trống" if not any(any(c != "" for c in r) for r in rows[:HEADER_SEARCH_ROWS]) else ""
        out.problems.append(problem("khong-thay-tieu-de", out.tep, detail, trang=sheet))
        return
    header_at = len(hits) - 1 - hits[::-1].index(max(hits))  # keys above labels: the labels row wins
    position: dict[str, int] = {}
    for pos, (key, cell) in enumerate(zip(matches[header_at], rows[header_at], strict=True)):
        if key is not None and key not in position:
            position[key] = pos
        elif key is not None or (isinstance(cell, str) and fold(cell)):
            code = "cot-trung" if key is not None else "cot-la"
            out.problems.append(problem(code, out.tep, cell, trang=sheet, o=f"{xl_col_to_name(pos)}{header_at + 1}"))
    for key in keys:
        if key not in position and labels[key][1]:
            out.problems.append(problem("thieu-cot", out.tep, labels[key][0], trang=sheet, cot=key))
    body = rows[header_at + 1 : MAX_ROWS + 1]
    cells = np.full((len(body), len(keys)), None, dtype=object)
    if body:
        grid = np.array(body, dtype=object)
        for j, key in enumerate(keys):
            if key in position:
                cells[:, j] = grid[:, position[key]]
    if len(rows) > MAX_ROWS:
        out.problems.append(problem("qua-lon", out.tep, f"chỉ đọc {MAX_ROWS} dòng đầu", trang=sheet))
    out.cells[sheet] = cells
    out.rows[sheet] = np.arange(header_at + 2, header_at + 2 + len(body))
    out.letters += [{"tep": out.tep, "trang": sheet, "cot": k, "chu": xl_col_to_name(p)} for k, p in position.items()]


@functools.cache
def _catalog_names(columns: Columns, sheet: str) -> tuple[list[str], dict[str, str], dict[str, tuple[str, bool]]]:
    """The sheet's keys in catalog order, folded key/label -> key, and key -> (label, required)."""
    catalog = columns.of(sheet)
    names = {fold(k): k for k in catalog.index} | {fold(v): k for k, v in catalog["label"].items()}
    labels = {k: (row["label"], bool(row["required"])) for k, row in catalog.iterrows()}
    return list(catalog.index), names, labels


def _cellwise(frame: pd.DataFrame, func) -> pd.DataFrame:
    """Apply a column function to every cell of a frame in one call (one column is cheaper than many)."""
    flat = func(pd.Series(frame.to_numpy(dtype=object).ravel(), dtype=object))
    return pd.DataFrame(flat.to_numpy(dtype=object).reshape(frame.shape), index=frame.index, columns=frame.columns)
