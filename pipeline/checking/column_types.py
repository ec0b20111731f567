"""The types of column, each declared once: how its cells are read and checked, and how the template offers it.

A column's `type` in columns.toml names an entry of `TYPES`, as an indicator's
`kind` names an entry of `kinds.KINDS`. The entry says how a cell is read
(`parse`), the typed column's dtype, the checks every typed cell must pass
(`rules`; what a cell that cannot be read should have held is said per language
in `messages.EXPECTS`), and how the
blank template lays the column out and helps whoever fills it in (`hint`,
`entry`, `cell_format`, `width`). `catalog.COLUMN_TYPES` is its keys; a new type
is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from pipeline import parse
from pipeline.problems import detail

CODE_DIGITS = 5  # a `ma` cell holds exactly this many digits


@dataclass(frozen=True, eq=False)
class Reading:
    """What reading a cell needs besides its column: the tiers a tier cell may name, the yes/no spellings."""

    tiers: pd.DataFrame  # index: tier key; label, label_en
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()

    @cached_property
    def aliases(self) -> dict[str, str]:
        return tier_aliases(self.tiers)

    @property
    def labels(self) -> list[str]:
        """The tiers as a person writes them, each once (two periods may share one)."""
        return list(self.tiers["label"].drop_duplicates())

    @property
    def yes_word(self) -> str:
        """Yes as the template offers it: the first spelling of the catalog ("Có")."""
        return self.yes[0].capitalize() if self.yes else "Có"

    @property
    def no_word(self) -> str:
        return self.no[0].capitalize() if self.no else "Không"


def tier_aliases(tiers: pd.DataFrame) -> dict[str, str]:
    """Every way a tier may be written, folded: key, label, "xã " + label, English label."""
    out = {}
    for key, row in tiers.iterrows():
        for text in (key, row["label"], "xã " + row["label"], row.get("label_en", key)):
            out[parse.fold(str(text))] = key
    return out


@dataclass(frozen=True)
class Rule:
    """A check every typed cell of a column must pass, with the problem code and detail of a cell that fails."""

    code: str
    detail: str  # `problems.detail`
    holds: Callable[[pd.Series], pd.Series]


@dataclass(frozen=True)
class ColumnType:
    """One type of column.

    parse:       (raw cells, reading) -> (typed values, cells present but unreadable)
    dtype:       the typed column's dtype
    rules:       (catalog row, reading) -> the checks of the typed cells (`Rule`)
    hint:        (catalog row, reading) -> how to type it, in the template's instructions and input message
    entry:       (catalog row, reading) -> the template's data validation (xlsxwriter) and the sentence its error
                 message ends with; None for free input
    cell_format: the template's format of the input cells, beyond unlocked
    width:       the template's column width, before the label widens it
    prefilled:   copied into a pre-filled template from the commune list (codes, names, tiers)
    bounded:     the column needs `min` and `max` in columns.toml
    """

    parse: Callable[[pd.Series, Reading], tuple[pd.Series, pd.Series]]
    dtype: str
    hint: Callable[[pd.Series, Reading], str]
    rules: Callable[[pd.Series, Reading], list[Rule]] = lambda row, reading: []
    entry: Callable[[pd.Series, Reading], tuple[dict, str] | None] = lambda row, reading: None
    cell_format: dict = field(default_factory=dict)
    width: int = 24
    prefilled: bool = False
    bounded: bool = False


def _bounds(row: pd.Series) -> tuple[int, int]:
    return int(row["min"]), int(row["max"])


def _in_range(row: pd.Series, reading: Reading) -> list[Rule]:
    lo, hi = _bounds(row)
    return [Rule("ngoai-khoang", detail("between", low=lo, high=hi), lambda s: s.between(lo, hi))]


def _year_hint(row: pd.Series, reading: Reading) -> str:
    lo, hi = _bounds(row)
    return f"Năm: số nguyên từ {lo} đến {hi}"


def _year_entry(row: pd.Series, reading: Reading) -> tuple[dict, str]:
    lo, hi = _bounds(row)
    return {"validate": "integer", "criteria": "between", "minimum": lo, "maximum": hi}, f"cần năm từ {lo} đến {hi}."


TYPES: dict[str, ColumnType] = {
    "ma": ColumnType(  # a commune's code: leading zeros kept
        parse=lambda s, reading: parse.parse_code(s),
        dtype="string",
        rules=lambda row, reading: [
            Rule("sai-kieu", detail("expected", type="ma"), lambda s: s.str.fullmatch(rf"\d{{{CODE_DIGITS}}}"))
        ],
        hint=lambda row, reading: f"Mã gồm {CODE_DIGITS} chữ số (ô kiểu văn bản, giữ số 0 ở đầu)",
        entry=lambda row, reading: (
            {"validate": "length", "criteria": "==", "value": CODE_DIGITS},
            f"cần mã gồm đúng {CODE_DIGITS} chữ số, ví dụ 01234.",
        ),
        cell_format={"num_format": "@"},
        width=9,
        prefilled=True,
    ),
    "text": ColumnType(
        parse=lambda s, reading: parse.parse_text(s),
        dtype="string",
        hint=lambda row, reading: "Chữ (văn bản)",
        prefilled=True,
    ),
    "year": ColumnType(  # a year between the column's min and max
        parse=lambda s, reading: parse.parse_count(s),
        dtype="Int64",
        rules=_in_range,
        hint=_year_hint,
        entry=_year_entry,
        cell_format={"num_format": "0", "align": "center"},
        width=10,
        bounded=True,
    ),
    "count": ColumnType(  # a whole number >= 0
        parse=lambda s, reading: parse.parse_count(s),
        dtype="Int64",
        rules=lambda row, reading: [Rule("ngoai-khoang", detail("non-negative"), lambda s: s >= 0)],
        hint=lambda row, reading: "Số nguyên ≥ 0 (không nhập tỷ lệ %)",
        entry=lambda row, reading: (
            {"validate": "integer", "criteria": ">=", "value": 0},
            "cần số nguyên không âm (0, 1, 2, …); không nhập tỷ lệ %.",
        ),
        cell_format={"num_format": "#,##0"},
        width=12,
    ),
    "yesno": ColumnType(  # yes or no, in the spellings of the column catalog's [values]
        parse=lambda s, reading: parse.parse_yesno(s, reading.yes, reading.no),
        dtype="boolean",
        hint=lambda row, reading: (
            f"{reading.yes_word}/{reading.no_word} (chọn trong danh sách); để trống = chưa có số liệu"
        ),
        entry=lambda row, reading: (
            {"validate": "list", "source": [reading.yes_word, reading.no_word]},
            f"chọn {reading.yes_word} hoặc {reading.no_word} trong danh sách; để trống nếu chưa có số liệu.",
        ),
        cell_format={"align": "center"},
        width=11,
    ),
    "tier": ColumnType(  # a tier of the criteria catalog, by key or label
        parse=lambda s, reading: parse.parse_tier(s, reading.aliases),
        dtype="string",
        rules=lambda row, reading: [
            Rule("sai-kieu", detail("expected", type="tier"), lambda s: s.isin(reading.tiers.index))
        ],
        hint=lambda row, reading: "Chọn một trong: " + ", ".join(reading.labels),
        entry=lambda row, reading: (
            {"validate": "list", "source": reading.labels},
            "chọn một trong: " + ", ".join(reading.labels) + ".",
        ),
        width=15,
        prefilled=True,
    ),
}
