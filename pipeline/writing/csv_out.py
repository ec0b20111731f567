"""The machine-readable results: three UTF-8 CSVs (with BOM) whose columns are a contract.

The column names and codes below are fixed by `outputs.md`; other systems read
these files, so they change only with the spec.

Every text cell that a spreadsheet would take for a formula (first character
`=`, `+`, `-`, `@`, tab or carriage return) is written with a leading `'`, as the
OWASP CSV-injection guidance says, and a carriage return inside a cell is written
as a line feed (`neutralise`); numbers are written as numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.checking.identity import shown_code
from pipeline.parse import FORMULA_START
from pipeline.writing.files import replace_atomically

if TYPE_CHECKING:  # the view imports the writers' helpers: named for the annotations only
    from pipeline.presenting.view import YearView

RESULT_COLUMNS = [
    "nam",
    "ma_xa",
    "ten_xa",
    "huyen",
    "hang",
    "chi_tieu",
    "tu_so",
    "mau_so",
    "gia_tri",
    "nguong",
    "ket_qua",
]
COMMUNE_COLUMNS = [
    "nam",
    "ma_xa",
    "ten_xa",
    "huyen",
    "hang_dang_ky",
    "ket_qua",
    "so_chi_tieu_dat",
    "so_chi_tieu",
    "hang_cao_nhat_dat",
]
PROBLEM_COLUMNS = ["tep", "trang", "o", "cot", "gia_tri", "mo_ta", "muc_do", "ma_xa"]


def write_results(view: YearView, folder: Path, pool=None, done=None) -> list[Path]:
    """`ket-qua-<year>.csv`: one row per commune x indicator of its registered tier."""
    results = view.result.results[RESULT_COLUMNS].copy()
    results["gia_tri"] = results["gia_tri"].round(6)
    results["ma_xa"] = shown_code(results["ma_xa"])
    return [_write(results, folder / f"ket-qua-{view.year}.csv")]


def write_communes(view: YearView, folder: Path, pool=None, done=None) -> list[Path]:
    """`xa-<year>.csv`: one row per commune, in the order of their codes."""
    communes = view.result.communes.sort_values("ma_xa")[COMMUNE_COLUMNS]  # the district column as sent
    communes["ma_xa"] = shown_code(communes["ma_xa"])
    return [_write(communes, folder / f"xa-{view.year}.csv")]


def write_year_problems(view: YearView, folder: Path, pool=None, done=None) -> list[Path]:
    """`loi-du-lieu.csv`: every problem of the run."""
    return write_problems(view.run.listed, folder / "loi-du-lieu.csv")


def write_problems(problems: pd.DataFrame, path: Path) -> list[Path]:
    return [_write(problems[PROBLEM_COLUMNS], path)]


def write_undated(communes: pd.DataFrame, path: Path) -> list[Path]:
    """`xa-chua-ro-nam.csv`: the communes whose year is unknown, in the columns of `xa-<year>.csv`, `nam` empty."""
    ledger = communes.reindex(columns=COMMUNE_COLUMNS).assign(nam=None, ma_xa=shown_code(communes["ma_xa"]))
    return [_write(ledger.sort_values("ma_xa", na_position="last", kind="stable"), path)]


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """`df` made safe to open in a spreadsheet, for every text column at once.

    - A string cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`
      (OWASP CSV injection), so it stays text: `=SUM(A1)` is written `'=SUM(A1)`.
    - A carriage return inside a string cell becomes a line feed: the CSV writer,
      ending lines with "\n", quotes a cell holding "\n" but not one holding a bare
      "\r", which readers take for the end of the row.

    Only cells holding text change: numbers, dates and empty cells stay as they are,
    even in a column that mixes them with text. Returns a new frame; `df` is untouched.
    """
    out = df.copy(deep=False)
    for column in out.columns:
        values = out[column]
        categorical = isinstance(values.dtype, pd.CategoricalDtype)
        if not (categorical or pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        # each distinct value is checked once; a string never equals a number, so the cells found are exact
        codes, uniques = pd.factorize(values)  # empty cells: code -1
        fixed = {i: _safe(u) for i, u in enumerate(uniques) if isinstance(u, str) and _UNSAFE.search(u)}
        if not fixed:
            continue
        replacement = np.empty(len(uniques) + 1, dtype=object)  # the extra last slot is for code -1
        replacement[list(fixed)] = list(fixed.values())
        where = np.flatnonzero(np.isin(codes, list(fixed)))
        values = values.astype(object) if categorical else values.copy()
        values.iloc[where] = replacement[codes[where]]
        out[column] = values
    return out


_UNSAFE = re.compile(r"\A[=+\-@\t\r]|\r")


def _safe(text: str) -> str:
    text = f"'{text}" if text.startswith(FORMULA_START) else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _write(df: pd.DataFrame, path: Path) -> Path:
    with replace_atomically(path) as tmp:
        neutralise(df).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g")
    return path
