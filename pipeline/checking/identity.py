"""Which commune a row is: codes, stand-ins, duplicates, and which commune of which year a village belongs to.

A commune is its code within the code list of its year (`units`). A row whose code is
missing or malformed is still a commune of the run: it gets a stand-in key
(`UNKNOWN_CODE` + file and row) so that it is listed, and is never assessed. Two rows
claiming one code and year are one commune that is not assessed until one is removed.
Villages join the commune of their year; one listed twice is one village.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import parse
from pipeline.catalog import Columns, Criteria
from pipeline.checking import units
from pipeline.problems import ERROR, SEVERITY, cell_hits, detail, details
from pipeline.reading.read import Batch
from pipeline.roles import ROLES

UNKNOWN_CODE = "?"  # prefix of the stand-in key of a commune row whose code is missing or malformed


def is_stand_in(codes: pd.Series) -> pd.Series:
    """Which commune keys are stand-ins for a row with no valid code (an absent key counts as one)."""
    return codes.astype("string").str.startswith(UNKNOWN_CODE).fillna(True).astype(bool)


def shown_code(codes: pd.Series) -> pd.Series:
    """Commune codes as people read them: the stand-in key of a row with no valid code shows as empty."""
    return codes.where(~is_stand_in(codes))


def identify(xa: pd.DataFrame, real: pd.Series, province: int | None, hits: list) -> pd.DataFrame:
    """One row per commune of a year: rows claiming the same code and year are reported and kept as one,
    blocked (`_chan`); so are rows with no valid code, under a stand-in key; from 2025 the national list's
    questions (`units.questions`) are hits, and its errors block the commune too."""
    identified = real & xa[ROLES.year].notna()
    key = xa.loc[identified, [ROLES.code, ROLES.year]]
    dup = key.duplicated(keep=False).reindex(xa.index, fill_value=False)
    claims = xa[dup]
    places = pd.Series(list(zip(claims["_tep"], claims["_dong"].astype(object), strict=True)), index=claims.index)
    each = places.groupby([claims[ROLES.code], claims[ROLES.year]]).agg(list)
    keys = zip(claims[ROLES.code], claims[ROLES.year], strict=True)
    others = pd.Series([each[key] for key in keys], index=claims.index)
    hits.append(cell_hits(claims, ROLES.code, "trung-ma-xa", details("declared-at", claims.index, places=others)))
    xa["_chan"] = dup | ~real
    for rows, column, code, said in units.questions(xa, province):
        hits.append(cell_hits(xa.loc[rows], column, code, said.reindex(rows).to_numpy()))
        if SEVERITY[code] == ERROR:  # kept in the ledger under its code, never assessed as a commune
            xa.loc[rows, "_chan"] = True
    xa = xa.drop(index=key.index[key.duplicated()])  # one commune, however many rows claim it
    row = xa["_tep"].astype("string") + ":" + xa["_dong"].astype("string")
    xa[ROLES.code] = xa[ROLES.code].fillna(UNKNOWN_CODE + row)
    return xa


def tie_villages(
    batch: Batch, xa: pd.DataFrame, thon: pd.DataFrame, columns: Columns, criteria: list[Criteria], xa_hits, thon_hits
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The villages tied to their commune of a year, once each; `_thon_thieu` marks a commune whose village
    list may be incomplete, with one line saying why, and a commune with no village gets its line."""
    # a village whose commune cannot be told (code empty or malformed) may belong to any commune of its file;
    # one with a well-formed code that names no commune is reported, and belongs to none of them
    told = parse.parse_code(batch.thon[ROLES.code])[0].str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    orphaned = set(thon.loc[thon[ROLES.code].isna() & ~told, "_tep"])
    thon = thon.dropna(subset=[ROLES.code])
    thon, tied_hits, incomplete = _village_years(thon, xa)
    thon_hits += tied_hits
    thon, twice_hits = _one_row_per_village(thon, columns.of("Thon").index)
    thon_hits += twice_hits
    refused = {p["tep"] for p in batch.problems if p.get("ma_loi") == "qua-lon" and p.get("trang") == "Thon"}
    pairs = pd.MultiIndex.from_frame(xa[[ROLES.code, ROLES.year]].astype(object))
    reasons = {
        "villages-of-no-year": pairs.isin(incomplete),
        "village-sheet-unread": xa["_tep"].isin(refused),
        "villages-of-no-commune": xa["_tep"].isin(orphaned),
    }
    xa["_thon_thieu"] = np.logical_or.reduce(list(reasons.values()))
    for reason, flagged in reasons.items():
        xa_hits.append(cell_hits(xa[flagged], ROLES.code, "thon-chua-du", detail(reason)))
    xa_hits.append(_no_villages(xa, thon, criteria, columns))
    return xa, thon


def _village_years(thon: pd.DataFrame, xa: pd.DataFrame):
    """Tie each village to a commune of a year; return the villages tied, problems, and the
    (code, year) pairs whose village list is incomplete.

    A village's year is, in this order: its own `nam` cell; the year of the
    communes of its file, when they all have one year; the year of its
    commune, when the batch holds that commune for one year only. A village
    whose year still cannot be told is never pooled across years: it is a
    problem row, and every year of its commune has an incomplete village list.
    """
    known = xa[xa[ROLES.year].notna() & ~is_stand_in(xa[ROLES.code])]

    def single(key: str) -> pd.Series:
        years = known.groupby(key)[ROLES.year]
        return years.first().where(years.nunique() == 1)

    by_file, by_code = single("_tep"), single(ROLES.code)
    years = thon[ROLES.year].fillna(thon["_tep"].map(by_file).astype("Int64"))
    years = years.fillna(thon[ROLES.code].map(by_code).astype("Int64"))
    codes = set(known[ROLES.code])
    unsure = years.isna() & thon[ROLES.code].isin(codes)
    hits = [cell_hits(thon[unsure], ROLES.code, "thon-chua-ro-nam", detail("many-years"))]
    thon = thon.assign(**{ROLES.year: years})
    pairs = set(zip(known[ROLES.code], known[ROLES.year], strict=True))
    of_thon = zip(thon[ROLES.code], thon[ROLES.year], strict=True)
    tied = pd.Series([p in pairs for p in of_thon], index=thon.index, dtype=bool)
    elsewhere = ~tied & thon[ROLES.year].notna() & thon[ROLES.code].isin(codes)
    where = details("not-in-year", thon.index[elsewhere], year=thon.loc[elsewhere, ROLES.year])
    hits.append(cell_hits(thon[elsewhere], ROLES.code, "khong-co-xa", where))
    years_of = known.groupby(ROLES.code)[ROLES.year].agg(list)
    incomplete = {(code, year) for code in set(thon.loc[unsure, ROLES.code]) for year in years_of[code]}
    return thon[tied], hits, incomplete


def _one_row_per_village(thon: pd.DataFrame, keys: pd.Index) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """A village listed twice in its commune of a year is one village, never first-row-wins.

    Names match after case and spacing are folded ("Thôn 2 " is "thôn 2"). Every later row is
    reported; a cell on which the rows disagree ("Có", then "Không"; a value, then a blank) is
    reported on the later row and left blank on the row kept, so the indicators that use it are
    not assessable for the commune until the village is listed once.
    """
    name = thon[ROLES.village].str.casefold().str.split().str.join(" ")
    commune = [ROLES.code, ROLES.year]
    group = thon[commune].assign(_ten=name).groupby([*commune, "_ten"], sort=False).ngroup()
    group = group.where(name.notna(), -1 - np.arange(len(thon)))  # an unnamed village is its own
    listed_twice = group.duplicated(keep=False).to_numpy()
    later = group.duplicated().to_numpy()
    hits = [cell_hits(thon[later], ROLES.village, "trung-ten-thon")]
    if not later.any():
        return thon, hits
    twice, by = thon[listed_twice], group[listed_twice]
    first = details("differs-from-row", twice.index, row=twice.groupby(by)["_dong"].transform("first"))
    kept = thon.copy()
    for key in (k for k in keys if k not in (ROLES.code, ROLES.year, ROLES.village) and k in thon.columns):
        differs = twice[key].groupby(by).transform(lambda s: s.nunique(dropna=False) > 1).astype(bool)
        on_later = differs & by.duplicated()
        hits.append(cell_hits(twice[on_later], key, "thon-khai-khac-nhau", first[on_later]))
        kept.loc[differs.index[differs], key] = pd.NA
    return kept[~later], hits


def _no_villages(xa: pd.DataFrame, thon: pd.DataFrame, criteria: list[Criteria], columns: Columns) -> pd.DataFrame:
    """A commune whose tier has village indicators and to which no village row is tied: its village indicators
    are not assessable, and one line on its code cell says why. Not for a commune already blocked, nor for one
    whose village list already waits on a problem (`_thon_thieu`): those have their line."""
    village_keys = set(columns.of("Thon").index) - set(columns.of("Xa").index)
    blocked = pd.Series("", index=xa.index)  # the village indicators of each commune's tier, named in its line
    for c in criteria:
        uses = c.indicators["columns"].map(lambda cols: bool(village_keys.intersection(cols))).astype(bool)
        rank = xa[ROLES.tier].map(c.tiers["rank"]).where(xa[ROLES.year].between(*c.years).fillna(False).astype(bool))
        ids = {r: ", ".join(c.indicators.index[uses & (c.indicators["tier_rank"] <= r)]) for r in c.tiers["rank"]}
        blocked = blocked.where(rank.isna(), rank.map(ids).fillna(""))
    tied = pd.MultiIndex.from_frame(thon[[ROLES.code, ROLES.year]].astype(object))
    has = pd.MultiIndex.from_frame(xa[[ROLES.code, ROLES.year]].astype(object)).isin(tied)
    lonely = xa[blocked.ne("") & ~has & ~xa["_chan"] & ~xa["_thon_thieu"]]
    said = details("blocks", lonely.index, year=lonely[ROLES.year], ids=blocked[lonely.index])
    return cell_hits(lonely, ROLES.code, "khong-co-thon", said)
