"""Find the workbooks under the input folder and read their `Xa` and `Thon` sheets.

Every value keeps where it came from: the frames carry the file (relative to
the input folder), the sheet and the Excel row, and `letters` maps each column
key to its letter in that file, so a problem can name the cell (`Xa!K7`).
Reading only collects raw values; typing them is `parse`'s job.

No file is parsed in this process. `read_batch` checks each file's size by
`stat` (nothing is read from a file over `safety.MAX_FILE_BYTES`), then hands
the files to long-lived worker processes (`isolate`) with their own memory and
time limits: a file that crashes the parser, exhausts its memory or hangs costs
one problem row for that file, and every other file is still read.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from pipeline.catalog import SHEETS, Columns
from pipeline.parse import fold, is_blank
from pipeline.problems import ERROR, detail, problem
from pipeline.reading import file_kind, hidden_cells, isolate, safety
from pipeline.roles import ROLES

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}

# A sheet with more rows than this (a national file of villages has about 80,000) is not read at all,
# rather than read in part: the worker's memory limit is the real bound, this one gives a clear message.
# The template's validations reach the same row (Excel row MAX_ROWS + 1, counting the title rows).
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 30

META = ["_tep", "_trang", "_dong"]
LETTER_COLUMNS = ["tep", "trang", "cot", "chu", "tu_dong"]  # `Batch.letters`: where each column key is, per file


@dataclass
class FileRead:
    """What one file gave: raw cells per sheet, where its columns are, stats and problems.

    A block is plain lists, the cheapest to send back from a worker (a national
    batch has thousands of files): `cells` has one value per catalog key of the
    sheet, in catalog order, None where the file has no such column, and no row
    with nothing in it; `rows` the Excel row numbers. `layouts` holds, per block
    of rows under a header, (sheet, Excel row from which it holds or 0, column
    key -> 0-based column), not a record per column.
    """

    tep: str
    size: int = 0
    sha256: str = ""
    cells: dict[str, list[list]] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    layouts: list[tuple[str, int, dict[str, int]]] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)

    def letter_rows(self) -> list[tuple]:
        """The column letter of each column key: (tep, trang, cot, chu, tu_dong), a `Batch.letters` row."""
        return [
            (self.tep, sheet, key, _letter(pos), first)
            for sheet, first, layout in self.layouts
            for key, pos in layout.items()
        ]


@dataclass
class Batch:
    """All files of one run, concatenated: one raw frame per sheet."""

    xa: pd.DataFrame
    thon: pd.DataFrame
    letters: pd.DataFrame  # LETTER_COLUMNS: tep, trang, cot, chu, tu_dong
    sources: pd.DataFrame  # one row per file
    problems: list[dict]


NOTE_SUFFIXES = {".md", ".txt"}  # notes an officer keeps beside the workbooks (input/README.md)


def is_ignored(path: Path) -> bool:
    """Lock files, hidden and temporary files, and plain-text notes are skipped without a word.

    Any other file that is not a workbook (a .docx or .pdf a commune sent
    instead of its workbook) is reported, since it may be a submission.
    """
    name = path.name
    system = name.lower() in ("thumbs.db", "desktop.ini")  # Windows' hidden files, once copied
    note = path.suffix.lower() in NOTE_SUFFIXES
    return name.startswith(("~$", ".", "~")) or name.endswith(("~", ".tmp", ".bak")) or system or note


def shown_name(rel: Path | str) -> tuple[str, bool]:
    """A path as the reports print it, and whether it could be printed as it is.

    A name that is not UTF-8 (a Windows zip unpacked on Linux: bytes like 0xE9)
    arrives as lone surrogates, which no CSV or workbook can hold; those bytes
    become `\\xe9`, and so do control characters.
    """
    text = Path(rel).as_posix() if not isinstance(rel, str) else rel
    raw = os.fsencode(text)
    decoded = raw.decode("utf-8", "backslashreplace")
    if decoded.isprintable():  # nearly every name: no character to look at one by one
        return decoded, decoded == text
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in decoded)
    return safe, safe == text


def discover(root: Path, exclude=()) -> tuple[list[Path], list[dict]]:
    """Workbooks below root, in a stable order, and a problem for every other file.

    A sub-folder that cannot be opened, a link to nothing and anything that is
    not a regular file get a problem row; a file name that is not valid UTF-8
    gets a warning and a printable form (`shown_name`). Folders in `exclude`
    (for example the output folder when it lies inside the input folder) are
    not entered. Symbolic links to folders are followed, each folder once.
    """
    root = Path(root)
    skip = {os.path.realpath(p) for p in exclude}
    books, files, problems = [], [], []
    seen: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in skip or real in seen:
            continue
        seen.add(real)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            shown = shown_name(folder.relative_to(root))[0] if folder != root else ""
            problems.append(problem("thu-muc-khong-doc-duoc", f"{shown}/" if shown else "", _os_reason(e)))
            continue
        below = []
        for entry in entries:
            path = folder / entry.name
            if is_ignored(path):
                continue
            try:
                if entry.is_dir():
                    below.append(path)
                    continue
                regular = entry.is_file()
            except OSError:
                regular = False
            link = entry.is_symlink()  # only a link needs resolving: the folder's real path is known
            files.append((path, regular, link, os.path.realpath(path) if link else os.path.join(real, entry.name)))
        stack += reversed(below)  # depth first in name order: the same folder reached twice keeps its first path
    for path, regular, link, resolved in sorted(files):
        rel = path.relative_to(root)
        tep, printable = shown_name(rel)
        if resolved in skip:
            continue
        if not printable:
            problems.append(problem("ten-tep-khong-hop-le", tep))
        if not regular:
            code = "lien-ket-hong" if link and not path.exists() else "khong-doc-duoc"
            problems.append(problem(code, tep, "" if code == "lien-ket-hong" else detail("not-a-file")))
        elif path.suffix.lower() in WORKBOOK_SUFFIXES:
            books.append(path)
        else:
            problems.append(problem("bo-qua-tep", tep))
    return books, problems


def read_batch(
    root: Path,
    columns: Columns,
    workers: int | None = None,
    progress: str | None = None,
    exclude=(),
    timeout: float = isolate.FILE_TIMEOUT,
) -> Batch:
    """Read every workbook below root (but not below the folders in `exclude`) in worker processes.

    `workers` defaults to one process per core; `workers=1` still reads in one
    worker process, never in this one. Results keep discovery order, so the
    batch is the same however many workers read it. `progress`: the label of a
    bar drawn on a terminal; `timeout` is each file's time limit in seconds.
    """
    from pipeline.progress import bar

    books, problems = discover(root, exclude)
    workers = workers or os.cpu_count() or 1
    with _collector_paused():
        with bar(len(books), progress or "", quiet=progress is None) as shown:
            reads = read_paths(root, books, columns, workers, timeout, done=lambda: shown.update(1))
        return combine(reads, columns, problems)


@contextlib.contextmanager
def _collector_paused():
    """No garbage collection while the files' cells come in and are put together.

    The cells arrive as hundreds of thousands of small lists, none in a reference
    cycle, and every collection the allocations trigger walks all of them and all
    the run holds: at 2,621 files about 0.16 s of this process's time (0.13 s of it
    while `combine` builds the frames, alone on the run's critical path). What is
    freed is freed by its reference count meanwhile; the collector resumes after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_file(root: Path, path: Path, columns: Columns, timeout: float = isolate.FILE_TIMEOUT) -> FileRead:
    """Read one workbook, in a worker process; any failure becomes a problem row, never an exception."""
    return read_paths(root, [path], columns, 1, timeout)[0]


def read_paths(root: Path, paths: list[Path], columns: Columns, workers: int, timeout: float, done=None) -> list:
    """FileRead of each path, in order: sizes checked here by `stat`, files parsed in workers."""
    reads: list[FileRead | None] = [None] * len(paths)
    tasks, where = [], []
    for k, path in enumerate(paths):
        tep = shown_name(Path(path).relative_to(root))[0]
        try:
            size = os.stat(path).st_size
        except OSError as e:
            reads[k] = FileRead(tep, problems=[problem("khong-doc-duoc", tep, _os_reason(e))])
            continue
        if size > safety.MAX_FILE_BYTES:  # not a byte is read
            reads[k] = FileRead(tep, size=size, problems=[problem("qua-lon", tep, safety.too_big(size))])
            continue
        tasks.append((os.fspath(path), tep, Path(path).suffix.lower()))
        where.append(k)
    for k in range(len(paths)):
        if reads[k] is not None and done:
            done()

    def finished(i: int) -> None:
        if done:
            done()

    results = isolate.run(_read_here, columns, tasks, min(workers, len(tasks)), timeout, done=finished) if tasks else []
    for k, (name, tep, _), result in zip(where, tasks, results, strict=True):
        reads[k] = result if isinstance(result, FileRead) else _failed(name, tep, result, timeout)
    return reads


def _failed(path: str, tep: str, failure: isolate.Failure, timeout: float) -> FileRead:
    """The one problem row of a file whose worker crashed, ran out of memory or out of time."""
    out = FileRead(tep)
    try:  # the size and checksum still go to the Sources sheet: hashing is safe, parsing was not
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(2**20):
                digest.update(chunk)
                out.size += len(chunk)
        out.sha256 = digest.hexdigest()
    except OSError:
        pass
    if failure.kind == "timeout":
        out.problems.append(problem("qua-thoi-gian", tep, detail("timeout", seconds=f"{timeout:g}")))
    elif failure.kind == "error":
        out.problems.append(problem("khong-doc-duoc", tep, detail("read-error", text=failure.detail)))
    else:
        limit = detail("memory", gib=f"{isolate.WORKER_MEMORY / 2**30:g}") if failure.kind == "memory" else ""
        out.problems.append(problem("tep-lam-hong-trinh-doc", tep, limit or detail("said", text=failure.detail)))
    return out


def _os_reason(e: OSError) -> str:
    return detail("said", text=e.strerror or type(e).__name__)


def combine(reads: list[FileRead], columns: Columns, problems: list[dict]) -> Batch:
    """Concatenate the files' blocks once, sheet by sheet (the workers left out the rows with nothing in them)."""
    frames = {}
    for sheet in SHEETS:
        keys = list(columns.of(sheet).index)
        mine = [r for r in reads if sheet in r.cells]
        frame = pd.DataFrame([row for r in mine for row in r.cells[sheet]], columns=keys, dtype=object)
        frame.insert(0, "_dong", np.array([n for r in mine for n in r.rows[sheet]], dtype=int))
        frame.insert(0, "_trang", sheet)
        frame.insert(0, "_tep", np.repeat([r.tep for r in mine], [len(r.rows[sheet]) for r in mine]))
        frame["_dong"] = frame["_dong"].astype("Int64")
        frames[sheet] = frame
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
    letters = pd.DataFrame([row for r in reads for row in r.letter_rows()], columns=LETTER_COLUMNS)
    problems = problems + [p for r in reads for p in r.problems]
    return Batch(frames["Xa"], frames["Thon"], letters, sources, problems)


def _read_here(columns: Columns, path: str, tep: str, suffix: str) -> FileRead:
    """Read one workbook in this process: the workers' task. Failures are problem rows; MemoryError propagates."""
    out = FileRead(tep=tep)
    try:
        with open(path, "rb") as f:  # read(MAX_FILE_BYTES + 1) would first allocate that much, for every file
            size = os.fstat(f.fileno()).st_size
            data = f.read(min(size, safety.MAX_FILE_BYTES) + 1)
            if len(data) > size:  # it grew since: read on, to the same bound
                data += f.read(safety.MAX_FILE_BYTES + 1 - len(data))
    except OSError as e:
        out.problems.append(problem("khong-doc-duoc", tep, _os_reason(e)))
        return out
    out.size, out.sha256 = len(data), hashlib.sha256(data).hexdigest()
    look = safety.inspect(data, suffix, _wanted)
    if look.unsafe:
        out.problems.append(problem("qua-lon", tep, look.unsafe, trang=look.sheet))
        return out
    if look.unreadable:
        out.problems.append(problem("khong-doc-duoc", tep, look.unreadable))
        return out
    try:
        sheets = _sheet_rows(CalamineWorkbook.from_filelike(io.BytesIO(data)), look, out)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - calamine raises many kinds; each is the file's fault
        out.problems.append(problem("khong-doc-duoc", tep, file_kind.why_unreadable(data, suffix) or _reason(e)))
        return out
    refused = {p.get("trang") for p in out.problems if p["ma_loi"] == "qua-lon"}
    if not sheets:  # nothing in this file can be assessed: one line says so
        if "Xa" not in refused:
            out.problems.append(problem("thieu-trang", tep, detail("sheet-use-template", sheet="Xa"), trang="Xa"))
        return out
    for sheet in SHEETS:
        if sheet in sheets:
            _take_sheet(out, sheet, sheets[sheet], columns)
        elif sheet == "Thon" and sheet not in refused:
            out.problems.append(problem("thieu-trang-thon", tep, trang=sheet))
    if not any(out.cells.values()) and not any(p["muc_do"] == ERROR for p in out.problems):  # the blank template
        out.problems.append(problem("chua-co-so-lieu", tep, detail("use-template")))
    return out


def _sheet_rows(book: CalamineWorkbook, look: safety.Inspection, out: FileRead) -> dict[str, list[list]]:
    """The cells of the sheets we read, matched by name ignoring case and accents.

    Two sheets whose names fold to the same (`Xa` and `XÃ`): the first in the
    workbook's order is read, the other is reported (`trang-trung`, an error:
    its rows are not assessed) and not read. A sheet of more than MAX_ROWS + 1
    rows is not read at all (`qua-lon` naming the sheet), never cut in part.

    What calamine reads as an empty cell but is not is put back in its cell: a
    formula stored without its value as a `hidden_cells.Formula`, an error value
    (#DIV/0!, #N/A, …) as a `hidden_cells.CellError`, so that both are reported.
    """
    chosen: dict[str, str] = {}
    for name in book.sheet_names:
        sheet = _SHEET_OF.get(fold(name))
        if sheet is None:
            continue
        if sheet in chosen:
            same = detail("same-sheet", name=name, chosen=chosen[sheet])
            out.problems.append(problem("trang-trung", out.tep, same, trang=name))
            continue
        chosen[sheet] = name
    result = {}
    for sheet, name in chosen.items():
        ws = book.get_sheet_by_name(name)
        height = ws.end[0] + 1 if ws.end else 0  # rows from row 1 (`total_height` is one short)
        if height > MAX_ROWS + 1:
            too_long = detail("sheet-rows", rows=height, most=MAX_ROWS + 1)
            out.problems.append(problem("qua-lon", out.tep, too_long, trang=sheet))
            continue
        rows = ws.to_python(skip_empty_area=False)
        _put_back(rows, look.marks.get(name, []))
        result[sheet] = rows
    return result


_SHEET_OF = {fold(s): s for s in SHEETS}


def _wanted(name: str) -> bool:
    """Whether `_sheet_rows` may read a sheet of this name: the rest are not inspected either."""
    return fold(name) in _SHEET_OF


def _put_back(rows: list[list], marks: list[hidden_cells.Mark]) -> None:
    """Write the markers into the grid: within its columns, and on rows below it up to MAX_ROWS + 1."""
    if not marks:
        return
    width = max(map(len, rows), default=0)
    height = min(MAX_ROWS + 1, max(len(rows), max(r + 1 for r, _, _, _, _ in marks)))
    for row, col, nrows, ncols, marker in marks:
        for r in range(row, min(row + nrows, height)):
            if r >= len(rows):
                rows += [[""] * width for _ in range(r + 1 - len(rows))]
            line = rows[r]
            line += [""] * (width - len(line))
            for c in range(col, min(col + ncols, width)):
                line[c] = marker


def _reason(e: Exception) -> str:
    """Why the parser refused a workbook, in the officer's words (the parser's own are English and technical)."""
    if "password" in str(e).lower() or type(e).__name__ == "PasswordError":
        return detail("locked")
    return detail("damaged")


def _take_sheet(out: FileRead, sheet: str, rows: list[list], columns: Columns) -> None:
    """Locate the header row, map its cells to column keys, keep the cells below it.

    The header is the first row with the most catalog names among the first
    HEADER_SEARCH_ROWS rows; when the row right below it matches as many (a row
    of keys above a row of labels), that lower row is the header. Further down,
    a row that matches at least half as many names (and at least two) is a
    header repeated inside the data (two pasted blocks): it is skipped with a
    warning (`dong-tieu-de-lap`) and the rows below it are read with the first
    header's columns. If its columns stand in a different order, the rows below
    it are read by its own columns (`tieu-de-lap-khac-cot`, a warning), and
    their cells are named with its letters (`letters` says from which row).
    """
    keys, names, labels, seen = _catalog_names(columns, sheet)
    matches = [_match(row, names, seen) for row in rows[:HEADER_SEARCH_ROWS]]
    hits = [len(m) - m.count(None) for m in matches]
    if not hits or max(hits) < 2:
        empty = not any(any(c != "" for c in r) for r in rows[:HEADER_SEARCH_ROWS])
        advice = detail("empty-sheet" if empty else "use-template")
        out.problems.append(problem("khong-thay-tieu-de", out.tep, advice, trang=sheet))
        return
    header_at = hits.index(max(hits))
    if header_at + 1 < len(hits) and hits[header_at + 1] == hits[header_at]:  # keys above labels: labels win
        header_at += 1
    position: dict[str, int] = {}
    for pos, (key, cell) in enumerate(zip(matches[header_at], rows[header_at], strict=True)):
        if key is not None and key not in position:
            position[key] = pos
        elif key is not None or (isinstance(cell, str) and fold(cell)):
            code = "cot-trung" if key is not None else "cot-la"
            said = detail("said", text=cell)
            out.problems.append(problem(code, out.tep, said, trang=sheet, o=f"{xl_col_to_name(pos)}{header_at + 1}"))
    for key in keys:
        if key not in position and labels[key][1]:
            out.problems.append(problem("thieu-cot", out.tep, trang=sheet, cot=key))
    keep, blocks = _data_rows(out, sheet, rows, header_at, max(hits), names, seen, position)
    cells, numbers = [], []
    for n, (start, layout) in enumerate(blocks):  # each block of rows with the columns of the header above it
        end = blocks[n + 1][0] if n + 1 < len(blocks) else len(keep)
        where = [layout.get(key, -1) for key in keys]  # -1: the file has no such column
        for i in keep[start:end]:
            row = rows[i]
            width = len(row)
            values = [row[p] if 0 <= p < width else None for p in where]
            if not all(map(is_blank, values)):
                cells.append(values)
                numbers.append(i + 1)
        first_row = keep[start] + 1 if n and start < len(keep) else 0  # the Excel row from which these letters hold
        out.layouts.append((sheet, first_row, layout))
    out.cells[sheet] = cells
    out.rows[sheet] = numbers


def _match(row: list, names: dict[str, str], seen: dict) -> list[str | None]:
    """The column key each cell of a row names, or None."""
    return [seen[c] if c in seen else _learn(c, names, seen) for c in row]


def _learn(cell, names: dict[str, str], seen: dict) -> str | None:
    """The key a cell names, remembered in `seen` (cleared now and then, so it stays small)."""
    if len(seen) > 2**16:
        seen.clear()
    seen[cell] = key = names.get(fold(cell)) if isinstance(cell, str) else None
    return key


_letter = functools.cache(xl_col_to_name)


def _data_rows(
    out: FileRead, sheet: str, rows: list[list], header_at: int, best: int, names, seen, position
) -> tuple[list[int], list[tuple[int, dict[str, int]]]]:
    """Indices of the rows below the header to read, leaving out repeated header rows (and reporting them),
    and the blocks they form: (index in the kept rows where a block starts, its columns: key -> position)."""
    threshold = max(2, (best + 1) // 2)

    def name_of(cell) -> str | None:
        if type(cell) is not str:
            return None
        return seen[cell] if cell in seen else _learn(cell, names, seen)

    # A header row has names in most of the header's columns: a row is looked at whole only when one of a few
    # probe columns holds a name. The probes avoid the place names (every village name would be folded).
    def probes_of(layout: dict[str, int]) -> list[int]:
        return [pos for key, pos in layout.items() if key not in ROLES.places][:3] or [0]

    probes = probes_of(position)
    keep: list[int] = []
    blocks: list[tuple[int, dict[str, int]]] = [(0, position)]
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        probed = any(name_of(row[pos]) is not None for pos in probes if pos < len(row))
        if not probed or sum(1 for c in row if type(c) is str and name_of(c) is not None) < threshold:
            keep.append(i)
            continue
        found = [(pos, key) for pos, c in enumerate(row) if (key := name_of(c)) is not None]
        first = xl_col_to_name(found[0][0])
        layout = blocks[-1][1]
        if all(layout.get(key, pos) == pos for pos, key in found):
            out.problems.append(
                problem("dong-tieu-de-lap", out.tep, detail("row", row=i + 1), trang=sheet, o=f"{first}{i + 1}")
            )
            continue
        # another block pasted with its own column order: its rows are read by this header's columns
        layout = {}
        for pos, key in found:
            layout.setdefault(key, pos)
        blocks.append((len(keep), layout))
        probes = probes_of(layout)
        moved = detail("header-moved", row=i + 1, header=header_at + 1)
        out.problems.append(problem("tieu-de-lap-khac-cot", out.tep, moved, trang=sheet, o=f"{first}{i + 1}"))
    return keep, blocks


@functools.cache
def _catalog_names(columns: Columns, sheet: str) -> tuple[list[str], dict[str, str], dict[str, tuple[str, bool]], dict]:
    """The sheet's keys in catalog order, folded key/label -> key, key -> (label, required), and a memo
    cell -> the key it names or None, kept across the files of this process (headers repeat from file to file)."""
    catalog = columns.of(sheet)
    names = {fold(k): k for k in catalog.index} | {fold(v): k for k, v in catalog["label"].items()}
    labels = {k: (row["label"], bool(row["required"])) for k, row in catalog.iterrows()}
    return list(catalog.index), names, labels, {}
