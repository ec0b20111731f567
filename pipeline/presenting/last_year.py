"""Last year's results (`xa-<year>.csv` in the output folder), for the year-over-year sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.parse import FORMULA_START, parse_code
from pipeline.problems import detail, problem
from pipeline.reading import text_files
from pipeline.roles import ROLES

# ---- last year -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastYear:
    """Last year's results for the year-over-year section: its communes, or why they could not be read.

    `unread` is the few words the report prints in place of the comparison (never a
    file name: the report is signed and sent on); `problems` the warning naming the file
    and what to do, for the run's problem list.
    """

    communes: pd.DataFrame | None = None
    unread: str = ""
    problems: tuple[dict, ...] = ()


NEEDED = (ROLES.code, "hang_cao_nhat_dat")  # what the comparison reads of last year's rows (`summary.lost_since`)
NUMBERS = (ROLES.year, "so_chi_tieu_dat", "so_chi_tieu")  # whole numbers Excel may save back as 2024.0
_WHOLE = re.compile(r"^(\d+)\.0+$")  # 2024.0, as a whole number saved by Excel


def previous_results(output_dir: Path, year: int) -> LastYear:
    """Last year's commune rows (`<output_dir>/<year-1>/xa-<year-1>.csv`); none when there is no such file.

    The file may have been opened and saved again with Excel or Notepad: any encoding and
    delimiter `text_files` reads, empty rows, whole numbers as `2024.0`, codes that lost
    their leading zeros (`640` for `00640`, restored as `parse.parse_code` restores a
    workbook's). A file that still cannot be read costs only the comparison, never the run.
    Text the CSV writer neutralised (a leading `'` before `=`, `+`, `-`, `@`) is read back as written.
    """
    path = Path(output_dir) / str(year - 1) / f"xa-{year - 1}.csv"
    if not path.is_file():
        return LastYear()
    try:
        rows = text_files.csv_rows(text_files.decode(path.read_bytes(), text_files.SAVE_CSV))
    except text_files.UnreadableText as e:
        return _unread(path, "không nhận ra bảng mã chữ", detail("last-year-encoding", text=str(e), year=year - 1))
    except OSError as e:
        return _unread(path, "không mở được tệp", detail("last-year-unopened", text=f"{e.strerror or e}"))
    rows = [[cell.strip() for cell in row] for row in rows if any(cell.strip() for cell in row)]
    header = rows[0] if rows else []
    missing = [k for k in NEEDED if k not in header]
    if missing:
        why = detail("last-year-columns", missing=", ".join(missing), year=year - 1)
        return _unread(path, "không có cột mã xã hoặc hạng cao nhất đạt", why)
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in rows[1:]], columns=header, dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    starts = tuple(FORMULA_START)
    for column in frame.columns:
        values = frame[column]
        quoted = values.str.startswith("'") & values.str[1:2].isin(starts)
        frame[column] = values.where(~quoted, values.str[1:])
    for column in (c for c in (ROLES.code, *NUMBERS) if c in frame):
        frame[column] = frame[column].str.replace(_WHOLE, r"\1", regex=True)
    frame[ROLES.code] = parse_code(frame[ROLES.code])[0]
    return LastYear(frame.replace("", pd.NA))


def _unread(path: Path, why: str, chi_tiet: str) -> LastYear:
    """Last year's file is there but cannot be read: the report says so in few words, the problem list in full."""
    said = f"tệp kết quả năm {path.parent.name} không đọc được ({why})"
    return LastYear(unread=said, problems=(problem("ket-qua-nam-truoc", str(path), chi_tiet),))
