"""The machine-readable results: three UTF-8 CSVs (with BOM) whose columns are a contract.

The column names and codes below are fixed by `outputs.md`; other systems read
these files, so they change only with the spec.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.assess import Assessment
from pipeline.files import replace_atomically

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


def write(result: Assessment, problems: pd.DataFrame, year: int, folder: Path) -> list[Path]:
    results = result.results[RESULT_COLUMNS].copy()
    results["gia_tri"] = results["gia_tri"].round(6)
    communes = result.communes.sort_values("ma_xa")[COMMUNE_COLUMNS]
    return [
        _write(results, folder / f"ket-qua-{year}.csv"),
        _write(communes, folder / f"xa-{year}.csv"),
        *write_problems(problems, folder / "loi-du-lieu.csv"),
    ]


def write_problems(problems: pd.DataFrame, path: Path) -> list[Path]:
    return [_write(problems[PROBLEM_COLUMNS], path)]


def _write(df: pd.DataFrame, path: Path) -> Path:
    with replace_atomically(path) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g")
    return path
