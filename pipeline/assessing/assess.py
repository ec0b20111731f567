"""Compute every indicator for every commune at once, then decide per tier.

Each indicator is computed by its kind (`kinds.KINDS`); the results are ranked
(`kinds.RESULTS`) so that one `max` per tier applies the rule of `criteria.md`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.assessing.kinds import (
    KINDS,
    MET,
    NOT_APPLICABLE,
    NOT_ASSESSABLE,
    RESULTS,
    Villages,
    village_condition_codes,
)
from pipeline.catalog import Criteria
from pipeline.roles import ROLES


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
    per_village = ind[ind["kind"].map(lambda k: KINDS[k].per_village)]
    village_codes = pd.DataFrame(
        {key: village_condition_codes(thon, row) for key, row in per_village.iterrows()}, index=thon.index
    )
    named = per_village["part_of"].dropna()
    villages = Villages(thon, village_codes, {part: list(group.index) for part, group in named.groupby(named)})
    parts = {key: KINDS[row["kind"]].compute(xa, villages, row) for key, row in ind.iterrows()}
    long = pd.concat(parts, names=["chi_tieu", "row"]).reset_index()
    long = long.astype({"tu_so": "Int64", "mau_so": "Int64", "gia_tri": "Float64", "nguong": "Float64"})
    blocked = xa.index[xa["_chan"].to_numpy(dtype=bool)]
    long.loc[long["row"].isin(blocked), "code"] = NOT_ASSESSABLE
    codes = long.pivot(index="row", columns="chi_tieu", values="code").reindex(columns=ind.index)
    communes = _decide(xa, codes, criteria).drop(columns="_k")
    results = _registered_results(long, xa, communes, criteria)
    smart = village_codes.max(axis=1).eq(MET) if village_codes.shape[1] else pd.Series(False, index=thon.index)
    shown = thon.assign(**{f"_{k}": v.map(RESULTS) for k, v in village_codes.items()}, thon_thong_minh=smart)
    return Assessment(communes, results, shown.drop(columns="_k"))


def _commune_key(rows: pd.DataFrame) -> pd.Series:
    """A commune of a year, as one value: villages join their commune on it."""
    return rows[ROLES.code].astype("string") + "|" + rows[ROLES.year].astype("string")


def _decide(xa: pd.DataFrame, codes: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Overall result at every tier, the registered tier's result and the highest tier met."""
    tiers = criteria.tiers
    per_tier = {t: codes[criteria.indicators_of(t).index] for t in tiers.index}
    overall = pd.DataFrame({t: c.max(axis=1).clip(lower=MET) for t, c in per_tier.items()})
    met_tiers = overall.eq(MET)
    highest = met_tiers.iloc[:, ::-1].idxmax(axis=1).where(met_tiers.any(axis=1))
    rows, own = np.arange(len(xa)), tiers.index.get_indexer(xa[ROLES.tier])

    registered = own >= 0  # a commune with no valid tier is listed, with no result at a tier

    def at_registered(table: dict) -> pd.Series:
        picked = pd.DataFrame(table).to_numpy()[rows, own]
        return pd.Series(picked, index=xa.index).where(registered)

    blocked = xa["_chan"].to_numpy(dtype=bool)  # not sent, or claimed twice: no count of indicators to show

    def counted(table: dict) -> pd.Series:
        return at_registered(table).mask(blocked).astype("Int64")

    return xa.assign(
        ket_qua=at_registered(overall).map(RESULTS).fillna(RESULTS[NOT_ASSESSABLE]),
        so_chi_tieu_dat=counted({t: c.eq(MET).sum(axis=1) for t, c in per_tier.items()}),
        so_chi_tieu=counted({t: c.ne(NOT_APPLICABLE).sum(axis=1) for t, c in per_tier.items()}),
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
    own_rank = xa[ROLES.tier].map(criteria.tiers["rank"])
    long = long[long["tier_rank"].to_numpy() <= own_rank.to_numpy()[long["row"].to_numpy()]]
    ident = xa[[ROLES.year, ROLES.code, ROLES.name, ROLES.area, ROLES.tier]].rename(columns={ROLES.tier: "hang"})
    return ident.join(long.set_index("row"), how="inner").sort_values([ROLES.code, "order"]).reset_index(drop=True)
