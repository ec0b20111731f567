"""The registration list: the communes that registered, so that one that sent nothing is still counted.

The list is the department's own file (`--registered`, `make assess REGISTERED=…`):
a CSV or the first sheet of a workbook with `ma_xa, ten_xa, huyen, hang_dang_ky,
nam`, headed by key or label like the commune sheet. A commune on the list with
no workbook is in the results as not assessable (`chua-nop-ho-so`); a commune
sent but not on the list is assessed and gets a warning (`khong-co-trong-danh-sach`).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from pipeline.catalog import Columns, Criteria
from pipeline.checking.identity import is_stand_in
from pipeline.checking.validate import Checked, one_spelling, parse_sheet
from pipeline.parse import fold, name_key, per_unique
from pipeline.problems import detail, problem
from pipeline.reading import text_files
from pipeline.reading.read import META
from pipeline.roles import ROLES

KEYS = [ROLES.code, ROLES.name, ROLES.area, ROLES.tier, ROLES.year]
MAX_BYTES = 20 * 2**20  # a province's list is a few hundred rows


class RegistrationError(Exception):
    """The registration list cannot be used (a fault of the set-up, not of a commune's data)."""


def load(path: Path, columns: Columns, periods: list[Criteria]) -> pd.DataFrame:
    """The list as a frame (KEYS, `_tep`, `_dong`), one row per commune and year; rows without a code or a
    year are refused with one message, since the department can fix its own list at once."""
    rows = _rows(path)
    catalog = columns.of("Xa").loc[KEYS]
    names = {fold(k): k for k in KEYS} | {fold(v): k for k, v in catalog["label"].items()}
    at = next((i for i, r in enumerate(rows[:30]) if sum(fold(str(c)) in names for c in r) >= 2), None)
    if at is None:
        raise RegistrationError(f"{path}: không thấy dòng tiêu đề (cần các cột {', '.join(KEYS)})")
    header = [names.get(fold(str(c))) for c in rows[at]]
    missing = [k for k in (ROLES.code, ROLES.year) if k not in header]
    if missing:
        raise RegistrationError(f"{path}: thiếu cột {', '.join(missing)}")
    # the row as Excel (or a text editor) numbers it: empty rows are left out, never renumbered
    excel_rows = [n for n, r in enumerate(rows[at + 1 :], start=at + 2) if any(str(c).strip() for c in r)]
    body = [rows[n - 1] + [""] * (len(header) - len(rows[n - 1])) for n in excel_rows]
    raw = pd.DataFrame(
        {k: [r[header.index(k)] for r in body] if k in header else [None] * len(body) for k in KEYS}, dtype=object
    )
    raw[META] = [path.name, "", 0]
    raw["_dong"] = np.array(excel_rows, dtype=int)
    typed, _ = parse_sheet(raw, catalog, columns, pd.concat([c.tiers for c in periods]))
    code = typed[ROLES.code]
    bad = typed[code.isna() | ~code.str.fullmatch(r"\d{5}").fillna(False) | typed[ROLES.year].isna()]
    if len(bad):
        lines = ", ".join(map(str, bad["_dong"].head(5)))
        raise RegistrationError(f"{path}: dòng {lines} thiếu hoặc sai mã xã (5 chữ số) hay năm; hãy sửa danh sách")
    twice = typed[typed.duplicated([ROLES.code, ROLES.year], keep=False)]
    if len(twice):
        raise RegistrationError(
            f"{path}: mã xã {twice[ROLES.code].iat[0]} ghi hai lần cho năm {twice[ROLES.year].iat[0]}"
        )
    return typed


def reconcile(checked: Checked, listed: pd.DataFrame) -> tuple[Checked, list[dict]]:
    """Add the registered communes that sent nothing, and warn of communes sent but not registered.

    `_da_nhan` says whether a commune's workbook was received.
    """
    xa = checked.xa.assign(_da_nhan=True)
    sent = xa[~is_stand_in(xa[ROLES.code]) & xa[ROLES.year].notna()]
    sent_keys = set(zip(sent[ROLES.code], sent[ROLES.year], strict=True))
    listed_keys = set(zip(listed[ROLES.code], listed[ROLES.year], strict=True))
    absent = listed[[k not in sent_keys for k in zip(listed[ROLES.code], listed[ROLES.year], strict=True)]]
    problems = [
        problem("chua-nop-ho-so", r["_tep"], _commune(r), o=f"A{r['_dong']}", **{ROLES.code: r[ROLES.code]})
        for _, r in absent.iterrows()
    ]
    years = set(listed[ROLES.year])
    pairs = zip(sent[ROLES.code], sent[ROLES.year], strict=True)
    unlisted = sent[[k not in listed_keys and k[1] in years for k in pairs]]
    problems += [
        problem(
            "khong-co-trong-danh-sach",
            r["_tep"],
            detail("year", year=r[ROLES.year]),
            trang="Xa",
            o=f"dòng {r['_dong']}",
            **{ROLES.code: r[ROLES.code]},
        )
        for _, r in unlisted.iterrows()
    ]
    missing = absent[KEYS].assign(_tep="", _dong=pd.NA, _chan=True, _thon_thieu=False, _da_nhan=False)
    missing[ROLES.area] = _spelled_as_sent(missing[ROLES.area], xa[ROLES.area])
    xa = pd.concat([xa, missing.astype({ROLES.year: "Int64"})], ignore_index=True)
    return Checked(xa, checked.thon, checked.problems), problems


def _commune(row: pd.Series) -> str:
    return detail("commune", name=row[ROLES.name] or row[ROLES.code])


def _spelled_as_sent(names: pd.Series, sent: pd.Series) -> pd.Series:
    """The list's district names in the spelling the workbooks give each district (`validate.one_spelling`
    made it one per district), so that a commune that sent nothing is listed with its district, not beside it."""
    sent = sent.dropna()
    known = sent.groupby(per_unique(sent, name_key).to_numpy()).first()
    return per_unique(names, name_key).map(known).astype("string").fillna(one_spelling(names)[0])


def _rows(path: Path) -> list[list]:
    """The cells of the list, as text, from a CSV (as Excel or Notepad saved it: `text_files`) or the first
    sheet of a workbook."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise RegistrationError(f"{path}: tệp quá lớn cho một danh sách đăng ký")
        data = path.read_bytes()
    except OSError as e:
        raise RegistrationError(f"Không đọc được danh sách đăng ký {path}: {e.strerror or e}") from e
    if path.suffix.lower() in (".csv", ".txt"):
        try:
            return text_files.csv_rows(text_files.decode(data, text_files.SAVE_CSV))
        except text_files.UnreadableText as e:
            raise RegistrationError(f"Không đọc được danh sách đăng ký {path}: {e}") from e
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
    except Exception as e:  # noqa: BLE001 - calamine raises many kinds; each means the list is unreadable
        raise RegistrationError(f"Không đọc được danh sách đăng ký {path}: {e}") from e
