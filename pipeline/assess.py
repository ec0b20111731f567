"""Compute every indicator for every commune at once, then decide per tier.

Results are ranked so that one `max` applies the rule of `criteria.md`: a
commune fails if any applicable indicator fails, else it is not assessable if
any could not be assessed, else it meets the tier. Thresholds compare exact
fractions with integer arithmetic: n/d >= p/q  <=>  n*q >= p*d.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.catalog import Criteria
from pipeline.parse import fold, fold_series

NOT_APPLICABLE, MET, NOT_ASSESSABLE, NOT_MET = 0, 1, 2, 3
RESULTS = {NOT_APPLICABLE: "khong_ap_dung", MET: "dat", NOT_ASSESSABLE: "khong_danh_gia_duoc", NOT_MET: "khong_dat"}


@dataclass
class Assessment:
    communes: pd.DataFrame  # one row per commune: identity, overall result, counts, highest tier
    results: pd.DataFrame  # one row per commune x indicator of its registered tier
    villages: pd.DataFrame  # one row per village: village-level results, smart village flag


def assess(xa: pd.DataFrame, thon: pd.DataFrame, criteria: Criteria) -> Assessment:
    """Assess the communes of one period (rows of `xa` whose year the criteria cover).

    Villages count for the commune *of their year*: `thon` rows are matched on
    code and year, so a batch holding two years of a commune never pools them.
    """
    xa = xa.reset_index(drop=True)
    xa["_k"] = _commune_key(xa)
    thon = thon.assign(_k=_commune_key(thon))
    thon = thon[thon["_k"].isin(xa["_k"])].reset_index(drop=True)
    ind = criteria.indicators
    village_codes = _village_conditions(thon, ind[ind["kind"] == "village_condition"])
    smart = village_codes.max(axis=1).eq(MET) if village_codes.shape[1] else pd.Series(False, index=thon.index)
    parts = {}
    for key, row in ind.iterrows():
        if row["kind"] == "smart_village":
            parts[key] = _any_village(village_codes.max(axis=1), thon, xa, row["threshold"])
        elif row["kind"] == "village_condition":
            parts[key] = _any_village(village_codes[key], thon, xa, Fraction(1))
        else:
            parts[key] = KINDS[row["kind"]](xa, thon, row)
    long = pd.concat(parts, names=["chi_tieu", "row"]).reset_index()
    long = long.astype({"tu_so": "Int64", "mau_so": "Int64", "gia_tri": "Float64", "nguong": "Float64"})
    blocked = xa.index[xa["_chan"].to_numpy(dtype=bool)]
    long.loc[long["row"].isin(blocked), "code"] = NOT_ASSESSABLE
    codes = long.pivot(index="row", columns="chi_tieu", values="code").reindex(columns=ind.index)
    communes = _decide(xa, codes, criteria).drop(columns="_k")
    results = _registered_results(long, xa, communes, criteria)
    villages = thon.assign(**{f"_{k}": v.map(RESULTS) for k, v in village_codes.items()}, thon_thong_minh=smart)
    return Assessment(communes, results, villages.drop(columns="_k"))


def _commune_key(rows: pd.DataFrame) -> pd.Series:
    """A commune of a year, as one value: villages join their commune on it."""
    return rows["ma_xa"].astype("string") + "|" + rows["nam"].astype("string")


def _incomplete(codes: pd.Series, xa: pd.DataFrame, decided: int) -> pd.Series:
    """Where a commune's village list may be incomplete, only a result the missing villages
    cannot change stands (`decided`); any other becomes not assessable."""
    open_ = xa["_thon_thieu"].to_numpy(dtype=bool) & (codes.to_numpy() != decided)
    return pd.Series(np.where(open_, NOT_ASSESSABLE, codes), index=codes.index)


def ratio_codes(n: pd.Series, d: pd.Series, t: Fraction | tuple, zero=NOT_ASSESSABLE) -> pd.Series:
    """n/d against threshold t = p/q on the exact fraction; a zero denominator gives `zero`.

    t is one Fraction, or a pair of columns (p, q) when the threshold depends on the commune.
    """
    p, q = (t.numerator, t.denominator) if isinstance(t, Fraction) else t
    met = (n * q >= d * p).fillna(False).astype(bool)
    codes = pd.Series(np.where(met, MET, NOT_MET), index=n.index)
    unknown = n.isna() | d.isna() | (p.isna() if isinstance(p, pd.Series) else False)
    codes[unknown.to_numpy()] = NOT_ASSESSABLE
    codes[d.eq(0).fillna(False).to_numpy()] = zero
    return codes


def flag_codes(v: pd.Series) -> pd.Series:
    return pd.Series(
        np.select([v.eq(True).fillna(False), v.eq(False).fillna(False)], [MET, NOT_MET], NOT_ASSESSABLE), index=v.index
    )


def _flag(xa, thon, row) -> pd.DataFrame:
    v = xa[row["column"]]
    return pd.DataFrame(
        {"tu_so": pd.NA, "mau_so": pd.NA, "gia_tri": v.astype("Float64"), "nguong": 1.0, "code": flag_codes(v)}
    )


def _ratio(xa, thon, row) -> pd.DataFrame:
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


def _all_villages(xa, thon, row) -> pd.DataFrame:
    """Share of the commune's villages where the flag holds, against the threshold.

    Unknown villages are resolved both ways: met if met even when they all say
    no, not met if not met even when they all say yes, otherwise not assessable.
    """
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
    codes = pd.Series(
        np.where(low.eq(MET) | high.eq(NOT_MET), np.where(low.eq(MET), MET, NOT_MET), NOT_ASSESSABLE), index=xa.index
    )
    codes[total.eq(0).to_numpy()] = NOT_ASSESSABLE
    # when every village must say yes, one that says no decides it; anything else waits for the full list
    codes = _incomplete(codes, xa, NOT_MET if t == 1 else -1)
    if isinstance(row["requires"], str):
        codes = np.maximum(codes, flag_codes(xa[row["requires"]]))
    value = (yes / total.where(total > 0)).astype("Float64")
    return pd.DataFrame({"tu_so": yes, "mau_so": total, "gia_tri": value, "nguong": float(t), "code": codes})


def _earlier_year(xa, thon, row) -> pd.DataFrame:
    y = xa[row["column"]]
    before = y < xa["nam"]
    return pd.DataFrame(
        {"tu_so": y, "mau_so": pd.NA, "gia_tri": before.astype("Float64"), "nguong": pd.NA, "code": flag_codes(before)}
    )


KINDS = {"flag": _flag, "ratio": _ratio, "all_villages": _all_villages, "earlier_year": _earlier_year}


def _village_conditions(thon: pd.DataFrame, conditions: pd.DataFrame) -> pd.DataFrame:
    """Each village's result on each smart-village condition (columns: indicator ids)."""
    out = pd.DataFrame(index=thon.index)
    for key, row in conditions.iterrows():
        if isinstance(row["column"], str):
            out[key] = flag_codes(thon[row["column"]])
        else:
            out[key] = ratio_codes(thon[row["numerator"]], thon[row["denominator"]], row["threshold"])
    return out


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


def _decide(xa: pd.DataFrame, codes: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Overall result at every tier, the registered tier's result and the highest tier met."""
    tiers = criteria.tiers
    per_tier = {t: codes[criteria.indicators_of(t).index] for t in tiers.index}
    overall = pd.DataFrame({t: c.max(axis=1).clip(lower=MET) for t, c in per_tier.items()})
    met_tiers = overall.eq(MET)
    highest = met_tiers.iloc[:, ::-1].idxmax(axis=1).where(met_tiers.any(axis=1))
    rows, own = np.arange(len(xa)), tiers.index.get_indexer(xa["hang_dang_ky"])

    registered = own >= 0  # a commune with no valid tier is listed, with no result at a tier

    def at_registered(table: dict) -> pd.Series:
        picked = pd.DataFrame(table).to_numpy()[rows, own]
        return pd.Series(picked, index=xa.index).where(registered)

    return xa.assign(
        ket_qua=at_registered(overall).map(RESULTS).fillna(RESULTS[NOT_ASSESSABLE]),
        so_chi_tieu_dat=at_registered({t: c.eq(MET).sum(axis=1) for t, c in per_tier.items()}).astype("Int64"),
        so_chi_tieu=at_registered({t: c.ne(NOT_APPLICABLE).sum(axis=1) for t, c in per_tier.items()}).astype("Int64"),
        hang_cao_nhat_dat=highest.astype("string"),
    )


def _registered_results(
    long: pd.DataFrame, xa: pd.DataFrame, communes: pd.DataFrame, criteria: Criteria
) -> pd.DataFrame:
    """The indicator rows of each commune's registered tier, in catalog order."""
    ind = criteria.indicators
    long = long.assign(
        tier_rank=long["chi_tieu"].map(ind["tier_rank"]),
        order=long["chi_tieu"].map(pd.Series(range(len(ind)), index=ind.index)),
        ket_qua=long["code"].map(RESULTS),
    )
    own_rank = xa["hang_dang_ky"].map(criteria.tiers["rank"])
    long = long[long["tier_rank"].to_numpy() <= own_rank.to_numpy()[long["row"].to_numpy()]]
    ident = xa[["nam", "ma_xa", "ten_xa", "huyen", "hang_dang_ky"]].rename(columns={"hang_dang_ky": "hang"})
    return ident.join(long.set_index("row"), how="inner").sort_values(["ma_xa", "order"]).reset_index(drop=True)
