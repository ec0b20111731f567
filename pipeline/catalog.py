"""Load the column and criteria catalogs of `schemas/` into frames.

Everything a department may change from one period to the next (columns,
labels, indicators, thresholds, tiers) is read from there; the code only knows
the *kinds* of column and of indicator.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pandas as pd

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
SHEETS = ("Xa", "Thon")


class CatalogError(Exception):
    """A catalog file is missing or inconsistent (a fault of the set-up, not of the data)."""


@dataclass(frozen=True, eq=False)  # hashed by identity: per-sheet lookups are cached on it
class Columns:
    """The column catalog: one row per (sheet, key), plus the yes/no spellings."""

    table: pd.DataFrame
    yes: tuple[str, ...]
    no: tuple[str, ...]

    def of(self, sheet: str) -> pd.DataFrame:
        """The columns of one sheet, indexed by key."""
        return self.table[self.table["sheet"] == sheet].set_index("key")


@dataclass(frozen=True)
class Criteria:
    """One period's indicators and tiers."""

    period: str
    years: tuple[int, int]
    title: str
    source: Path
    tiers: pd.DataFrame  # index: tier key; columns label, label_en, sheet, rank
    indicators: pd.DataFrame  # index: id; one row per indicator, in catalog order

    def covers(self, year: int) -> bool:
        return self.years[0] <= year <= self.years[1]

    def indicators_of(self, tier: str) -> pd.DataFrame:
        """Indicators assessed at a tier: its own and those of every lower tier."""
        rank = self.tiers.at[tier, "rank"]
        return self.indicators[self.indicators["tier_rank"] <= rank]


def load_columns(path: Path = SCHEMAS / "columns.toml") -> Columns:
    data = _load_toml(path)
    table = pd.DataFrame(data["columns"])
    for field, default in (("required", False), ("help", ""), ("unit", "")):
        table[field] = table.get(field, pd.Series(dtype=object)).fillna(default)
    table["required"] = table["required"].astype(bool)
    bad = set(table["sheet"]) - set(SHEETS)
    if bad:
        raise CatalogError(f"{path}: trang không hợp lệ {sorted(bad)}")
    values = data.get("values", {})
    return Columns(table, tuple(values.get("yes", ())), tuple(values.get("no", ())))


def load_criteria(path: Path) -> Criteria:
    data = _load_toml(path)
    tiers = pd.DataFrame(data["tiers"]).set_index("key")
    tiers["rank"] = range(len(tiers))
    ind = pd.DataFrame(data["indicators"]).set_index("id")
    for field in ("column", "numerator", "denominator", "requires", "part_of", "threshold_by", "thresholds"):
        if field not in ind:
            ind[field] = None
    ind["threshold"] = [fraction(t) for t in ind.get("threshold", [None] * len(ind))]
    ind["thresholds"] = [
        {k: fraction(v) for k, v in t.items()} if isinstance(t, dict) else None for t in ind["thresholds"]
    ]
    flag = ind.get("not_applicable_when_zero", pd.Series(False, index=ind.index))
    ind["not_applicable_when_zero"] = flag.fillna(False).astype(bool)
    unknown = set(ind["tier"]) - set(tiers.index)
    if unknown:
        raise CatalogError(f"{path}: hạng không có trong [[tiers]]: {sorted(unknown)}")
    ind["tier_rank"] = ind["tier"].map(tiers["rank"])
    ind["columns"] = [
        tuple(c for c in row if isinstance(c, str))
        for row in ind[["column", "numerator", "denominator", "requires", "threshold_by"]].itertuples(index=False)
    ]
    return Criteria(
        period=data["period"],
        years=tuple(data["years"]),
        title=data.get("title", data["period"]),
        source=path,
        tiers=tiers,
        indicators=ind,
    )


def criteria_files(folder: Path = SCHEMAS) -> list[Criteria]:
    """Every period catalog in the folder (files named criteria-*.toml)."""
    return [load_criteria(p) for p in sorted(folder.glob("criteria-*.toml"))]


def criteria_for(year: int, folder: Path = SCHEMAS) -> Criteria | None:
    return next((c for c in criteria_files(folder) if c.covers(year)), None)


def fraction(value) -> Fraction | None:
    """Thresholds are compared as exact fractions: 0.8 means 4/5, not 0.80000000001."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return Fraction(str(value))


def _load_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise CatalogError(f"Không đọc được danh mục {path}: {e}") from e
