"""The kinds of indicator, each declared once: what its catalog entry holds, how it computes, how it shows.

An indicator's `kind` in a criteria catalog names an entry of `KINDS`. The entry
says which keys the catalog entry needs (`forms`, checked by `catalog`), which
sheet and type its columns must have, how the commune-level result is computed
(`compute`), and how writers show it (`shown`, `figure`, `summed`). A new kind
is one new entry here; no module tests a kind's name.

Results are ranked so that one `max` applies the rule of `criteria.md`: a
commune fails if any applicable indicator fails, else it is not assessable if
any could not be assessed, else it meets the tier. Thresholds compare exact
fractions with integer arithmetic: n/d >= p/q  <=>  n*q >= p*d.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.parse import fold, fold_series
from pipeline.roles import ROLES

NOT_APPLICABLE, MET, NOT_ASSESSABLE, NOT_MET = 0, 1, 2, 3
RESULTS = {NOT_APPLICABLE: "khong_ap_dung", MET: "dat", NOT_ASSESSABLE: "khong_danh_gia_duoc", NOT_MET: "khong_dat"}


@dataclass
class Villages:
    """What the village-level kinds share: the villages of the communes assessed, keyed like them (`_k`),
    and each village's result on each per-village indicator (columns: indicator ids)."""

    thon: pd.DataFrame
    codes: pd.DataFrame
    parts: dict[str, list[str]] = field(default_factory=dict)  # smart-village indicator -> its conditions


def _incomplete(codes: pd.Series, xa: pd.DataFrame, decided: int) -> pd.Series:
    """Where a commune's village list may be incomplete, only a result the missing villages
    cannot change stands (`decided`); any other becomes not assessable."""
    open_ = xa["_thon_thieu"].to_numpy(dtype=bool) & (codes.to_numpy() != decided)
    return pd.Series(np.where(open_, NOT_ASSESSABLE, codes), index=codes.index)


def ratio_codes(n: pd.Series, d: pd.Series, t: Fraction | tuple, zero=NOT_ASSESSABLE) -> pd.Series:
    """n/d against threshold t = p/q on the exact fraction; a zero denominator gives `zero`.

    t is one Fraction, or a pair of columns (p, q) when the threshold depends on the commune.
    A value missing or in error is never overridden by the zero rule: 3 of 0 OCOP products
    (a numerator blanked as bad input) is not assessable, not "not applicable".
    """
    p, q = (t.numerator, t.denominator) if isinstance(t, Fraction) else t
    met = (n * q >= d * p).fillna(False).astype(bool)
    codes = pd.Series(np.where(met, MET, NOT_MET), index=n.index)
    codes[d.eq(0).fillna(False).to_numpy()] = zero
    unknown = n.isna() | d.isna() | (p.isna() if isinstance(p, pd.Series) else False)
    codes[unknown.to_numpy()] = NOT_ASSESSABLE
    return codes


def flag_codes(v: pd.Series) -> pd.Series:
    return pd.Series(
        np.select([v.eq(True).fillna(False), v.eq(False).fillna(False)], [MET, NOT_MET], NOT_ASSESSABLE), index=v.index
    )


def _flag(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    v = xa[row["column"]]
    return pd.DataFrame(
        {"tu_so": pd.NA, "mau_so": pd.NA, "gia_tri": v.astype("Float64"), "nguong": 1.0, "code": flag_codes(v)}
    )


def _ratio(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    n, d, t = xa[row["numerator"]], xa[row["denominator"]], _threshold(xa, row)
    zero = NOT_APPLICABLE if row["not_applicable_when_zero"] else NOT_ASSESSABLE
    value = (n / d.where(d > 0)).astype("Float64")
    shown = float(t) if isinstance(t, Fraction) else (t[0] / t[1]).astype("Float64")
    return pd.DataFrame(
        {"tu_so": n, "mau_so": d, "gia_tri": value, "nguong": shown, "code": ratio_codes(n, d, t, zero)}
    )


def _threshold(xa: pd.DataFrame, row: pd.Series) -> Fraction | tuple[pd.Series, pd.Series]:
    """The indicator's threshold, or per commune when the catalog sets it by a column (`threshold_by`).

    A commune whose group has no threshold (and no default) is not assessable on it.
    """
    if not isinstance(row["threshold_by"], str):
        return row["threshold"]
    table = {fold(str(k)): v for k, v in row["thresholds"].items()}
    group = fold_series(xa[row["threshold_by"]].astype(object))
    default = row["threshold"]
    p = group.map({k: v.numerator for k, v in table.items()})
    q = group.map({k: v.denominator for k, v in table.items()})
    if default is not None:
        p, q = p.fillna(default.numerator), q.fillna(default.denominator)
    return p.astype("Int64"), q.astype("Int64")


def _all_villages(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    """Share of the commune's villages where the flag holds, against the threshold.

    Unknown villages are resolved both ways: met if met even when they all say
    no, not met if not met even when they all say yes, otherwise not assessable.
    """
    thon = villages.thon
    v = thon[row["column"]]
    by = thon["_k"]
    yes = v.eq(True).fillna(False).groupby(by).sum()
    unknown = v.isna().groupby(by).sum()
    total = v.groupby(by).size()
    t = row["threshold"]
    yes, unknown, total = (
        s.reindex(xa["_k"], fill_value=0).set_axis(xa.index).astype("Int64") for s in (yes, unknown, total)
    )
    low, high = ratio_codes(yes, total, t), ratio_codes(yes + unknown, total, t)
    # a commune without villages has a zero denominator both ways: not assessable
    codes = pd.Series(np.select([low.eq(MET), high.eq(NOT_MET)], [MET, NOT_MET], NOT_ASSESSABLE), index=xa.index)
    # when every village must say yes, one that says no decides it; anything else waits for the full list
    codes = _incomplete(codes, xa, NOT_MET if t == 1 else -1)
    if isinstance(row["requires"], str):
        codes = np.maximum(codes, flag_codes(xa[row["requires"]]))
    value = (yes / total.where(total > 0)).astype("Float64")
    return pd.DataFrame({"tu_so": yes, "mau_so": total, "gia_tri": value, "nguong": float(t), "code": codes})


def _earlier_year(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    y = xa[row["column"]]
    before = y < xa[ROLES.year]
    return pd.DataFrame(
        {"tu_so": y, "mau_so": pd.NA, "gia_tri": before.astype("Float64"), "nguong": pd.NA, "code": flag_codes(before)}
    )


def village_condition_codes(thon: pd.DataFrame, row: pd.Series) -> pd.Series:
    """Each village's result on a condition: a yes/no column, or a ratio against the threshold."""
    if isinstance(row["column"], str):
        return flag_codes(thon[row["column"]])
    return ratio_codes(thon[row["numerator"]], thon[row["denominator"]], row["threshold"])


def _village_condition(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    """At the commune level a condition is met when at least one village meets it."""
    return _any_village(villages.codes[row.name], villages.thon, xa, Fraction(1))


def _smart_village(xa: pd.DataFrame, villages: Villages, row: pd.Series) -> pd.DataFrame:
    """At least `threshold` villages meet every condition that is part of this indicator."""
    conditions = villages.codes[villages.parts.get(row.name, list(villages.codes.columns))]
    every = conditions.max(axis=1) if conditions.shape[1] else pd.Series(NOT_ASSESSABLE, index=villages.thon.index)
    return _any_village(every, villages.thon, xa, row["threshold"])


def _any_village(codes: pd.Series, thon: pd.DataFrame, xa: pd.DataFrame, least: Fraction) -> pd.DataFrame:
    """At least `least` villages meet the condition; undecided villages may still tip it."""
    by = thon["_k"]
    met = codes.eq(MET).groupby(by).sum().reindex(xa["_k"], fill_value=0).set_axis(xa.index)
    maybe = codes.eq(NOT_ASSESSABLE).groupby(by).sum().reindex(xa["_k"], fill_value=0).set_axis(xa.index)
    total = by.groupby(by).size().reindex(xa["_k"], fill_value=0).set_axis(xa.index)
    need = float(least)
    result = np.select([met >= need, met + maybe >= need], [MET, NOT_ASSESSABLE], NOT_MET)
    result = np.where(total.eq(0), NOT_ASSESSABLE, result)
    result = _incomplete(pd.Series(result, index=xa.index), xa, MET)  # a missing village can only add
    return pd.DataFrame(
        {
            "tu_so": met.astype("Int64"),
            "mau_so": total.astype("Int64"),
            "gia_tri": met.astype("Float64"),
            "nguong": need,
            "code": result,
        }
    )


@dataclass(frozen=True)
class Form:
    """One way of writing an indicator of a kind: the keys it needs, and the keys it may add."""

    needs: tuple[str, ...]
    may: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """One kind of indicator.

    forms:     the ways of writing it in a catalog; an indicator must match one of them
    columns:   key -> (sheet, column type) for each key naming a column; type None = any type
    threshold: "fraction" (a share, 0 to 1), "count" (a whole number of villages, >= 1) or None
    compute:   (communes, villages, catalog row) -> tu_so, mau_so, gia_tri, nguong, code per commune
    shown:     how its value prints: "flag" (Có/Không), "pct", "int" or "year"
    figure:    the figure a tier sheet shows: "gia_tri" (the value) or "tu_so" (a count, a year)
    per_village: computed on each village first (`village_codes`), as a smart-village condition
    summed:    has a province figure from summed numerators and denominators
    share_of:  what a share threshold counts, when not the value itself: "số thôn" ("100% số thôn")
    """

    forms: tuple[Form, ...]
    columns: dict[str, tuple[str, str | None]]
    compute: Callable[[pd.DataFrame, Villages, pd.Series], pd.DataFrame]
    shown: str
    threshold: str | None = None
    figure: str = "gia_tri"
    per_village: bool = False
    summed: bool = False
    share_of: str = ""


KINDS: dict[str, Kind] = {
    "flag": Kind(
        forms=(Form(("column",)),),
        columns={"column": ("Xa", "yesno")},
        compute=_flag,
        shown="flag",
    ),
    "ratio": Kind(
        forms=(
            Form(("numerator", "denominator", "threshold"), ("not_applicable_when_zero",)),
            Form(("numerator", "denominator", "threshold_by", "thresholds"), ("threshold", "not_applicable_when_zero")),
        ),
        columns={"numerator": ("Xa", "count"), "denominator": ("Xa", "count"), "threshold_by": ("Xa", None)},
        compute=_ratio,
        shown="pct",
        threshold="fraction",
        summed=True,
    ),
    "all_villages": Kind(
        forms=(Form(("column", "threshold"), ("requires",)),),
        columns={"column": ("Thon", "yesno"), "requires": ("Xa", "yesno")},
        compute=_all_villages,
        shown="pct",
        threshold="fraction",
        share_of="số thôn",
    ),
    "village_condition": Kind(
        forms=(Form(("column",), ("part_of",)), Form(("numerator", "denominator", "threshold"), ("part_of",))),
        columns={"column": ("Thon", "yesno"), "numerator": ("Thon", "count"), "denominator": ("Thon", "count")},
        compute=_village_condition,
        shown="int",
        threshold="fraction",
        figure="tu_so",
        per_village=True,
    ),
    "smart_village": Kind(
        forms=(Form(("threshold",)),),
        columns={},
        compute=_smart_village,
        shown="int",
        threshold="count",
        figure="tu_so",
    ),
    "earlier_year": Kind(
        forms=(Form(("column",)),),
        columns={"column": ("Xa", "year")},
        compute=_earlier_year,
        shown="year",
        figure="tu_so",
    ),
}


def threshold_text(kind: str, threshold) -> str:
    """A threshold as a header or a report prints it: "≥ 80%", "≥ 1 thôn", "100% số thôn" (every village: a share
    cannot pass 100%, so "≥ 100%" would only puzzle); "" when the kind has none."""
    if threshold is None or (isinstance(threshold, float) and pd.isna(threshold)) or not KINDS[kind].threshold:
        return ""
    if KINDS[kind].threshold == "count":
        return f"≥ {threshold} thôn"
    pct = f"{float(threshold) * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{'' if float(threshold) == 1 else '≥ '}{pct}% {KINDS[kind].share_of}".rstrip()
