"""The figures and the paragraph of the overview, as frames and text (no formatting here)."""

from __future__ import annotations

import pandas as pd

from pipeline.assessing.kinds import KINDS
from pipeline.catalog import Criteria
from pipeline.checking.identity import is_stand_in
from pipeline.presenting.words import INTRO, MORE_NAMED, NO_DISTRICT, NO_TIER_LABEL, NO_TIER_SENTENCE, count
from pipeline.roles import ROLES

OUTCOMES = ["dat", "khong_dat", "khong_danh_gia_duoc"]
NO_TIER = ""  # the tier key counted for communes whose registered tier is missing or invalid
# Communes the paragraph names for each tier and outcome; the rest are counted and left to the tier's sheet.
# A paragraph naming hundreds would be unreadable, pass Excel's 32,767 characters a cell, and not print.
NAMED_AT_MOST = 5


def tier_label(keys: pd.Series, criteria: Criteria, lang: str = "vi") -> pd.Series:
    """A tier key as officers read it; the missing tier has a label of its own."""
    labels = criteria.tiers["label" if lang == "vi" else "label_en"]
    return keys.map(labels).fillna(NO_TIER_LABEL[lang])


def count_by(communes: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Registered, met, not met and not assessable communes per group, with "15/15".

    Every commune counts: one with no valid tier is counted under `NO_TIER`;
    `da_nhan` counts those whose workbook was received (all, without a registration list).
    """
    communes = communes.assign(**{ROLES.tier: communes[ROLES.tier].fillna(NO_TIER)})
    table = pd.crosstab([communes[k] for k in keys], communes["ket_qua"]).reindex(columns=OUTCOMES, fill_value=0)
    table.insert(0, "dang_ky", table.sum(axis=1))
    received = communes["_da_nhan"] if "_da_nhan" in communes else pd.Series(True, index=communes.index)
    table.insert(1, "da_nhan", received.astype(int).groupby([communes[k] for k in keys]).sum().reindex(table.index))
    table["ti_so"] = table["dat"].map(count) + "/" + table["dang_ky"].map(count)
    return table.reset_index()


def per_tier(communes: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    table = count_by(communes, [ROLES.tier])
    order = table[ROLES.tier].map(criteria.tiers["rank"]).fillna(len(criteria.tiers))
    return table.assign(_o=order).sort_values("_o").drop(columns="_o").reset_index(drop=True)


def with_total(table: pd.DataFrame, label_column: str, label: str) -> pd.DataFrame:
    """A count table (from `count_by`) ending with its total row."""
    counts = ["dang_ky", "da_nhan", *OUTCOMES]
    total: dict = {label_column: label} | {c: int(table[c].sum()) for c in counts}
    total["ti_so"] = f"{count(total['dat'])}/{count(total['dang_ky'])}"
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def lost_since(communes: pd.DataFrame, previous: pd.DataFrame, criteria: Criteria) -> tuple[pd.DataFrame, int]:
    """The communes that met a tier last year and meet no tier as high now, matched on their code, and how
    many communes have results in both years. Rows keep this year's columns; `hang_cao_nhat_dat_truoc` is
    last year's highest tier. The programme asks communes to maintain the criteria they met."""
    rank = criteria.tiers["rank"]
    before = _coded(previous)
    before = before[before["hang_cao_nhat_dat"].isin(rank.index)]
    now = _coded(communes)
    now = now.assign(row_label=now.index)
    both = before[[ROLES.code, "hang_cao_nhat_dat"]].merge(now, on=ROLES.code, suffixes=("_truoc", ""))
    lost = both[both["hang_cao_nhat_dat"].map(rank).fillna(-1) < both["hang_cao_nhat_dat_truoc"].map(rank)]
    return lost.reset_index(drop=True), len(both)


def _coded(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with a code (no stand-in), the code as text: last year's rows and this year's are matched on it."""
    rows = rows[~is_stand_in(rows[ROLES.code])]
    return rows.assign(**{ROLES.code: rows[ROLES.code].astype("string")})


def district_order(communes: pd.DataFrame) -> pd.Series:
    """Per commune, its district's place in the official order: the smallest commune code of the district
    (codes follow the administrative order). Communes with no district come last."""
    return communes.groupby(ROLES.area)[ROLES.code].transform("min").fillna("~")


def named_districts(communes: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """The communes with their district's name, "(không có huyện)" where they have none, and its place in the
    official order (`_d`): what the counts per district are grouped by."""
    areas = communes[ROLES.area].fillna(NO_DISTRICT[lang])
    return communes.assign(**{ROLES.area: areas}, _d=district_order(communes))


def per_district(communes: pd.DataFrame, criteria: Criteria, lang: str = "vi") -> pd.DataFrame:
    table = count_by(named_districts(communes, lang), ["_d", ROLES.area, ROLES.tier])
    order = table[ROLES.tier].map(criteria.tiers["rank"]).fillna(len(criteria.tiers))
    return table.assign(_o=order).sort_values(["_d", "_o"]).drop(columns=["_o", "_d"]).reset_index(drop=True)


def ratio_totals(results: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Province-wide ratios from summed numerators and denominators, never averaged percentages.

    Only communes that gave both the numerator and the denominator count
    (`so_xa`); `bo_qua` says how many were left out. With none, the share is blank.
    """
    ind = criteria.indicators
    summed = ind.index[ind["kind"].map(lambda k: KINDS[k].summed).astype(bool)]
    ratios = results[results["chi_tieu"].isin(summed)]
    both = ratios["tu_so"].notna() & ratios["mau_so"].notna()
    grouped = ratios[both].groupby("chi_tieu", sort=False)[["tu_so", "mau_so"]]
    sums = grouped.sum().reindex(ratios["chi_tieu"].unique())
    sums["so_xa"] = both.groupby(ratios["chi_tieu"], sort=False).sum().astype(int)
    sums["bo_qua"] = (~both).groupby(ratios["chi_tieu"], sort=False).sum().astype(int)
    sums["ti_le"] = (sums["tu_so"] / sums["mau_so"].where(sums["mau_so"] > 0)).astype("Float64")
    sums["nguong"] = ind["threshold"].reindex(sums.index).map(lambda t: None if t is None else float(t))
    sums.index.name = "chi_tieu"
    return sums.reindex([i for i in ind.index if i in sums.index]).reset_index()


def paragraph(
    communes: pd.DataFrame,
    results: pd.DataFrame,
    criteria: Criteria,
    year: int,
    lang: str = "vi",
    counts: pd.DataFrame | None = None,
) -> str:
    """The overview's paragraph, in the register of an appraisal report; `counts`: the counts per tier
    (`per_tier`) when the caller has them."""
    label = "label" if lang == "vi" else "label_en"
    sentences = []
    # each tier names its communes that fell short from these rows, taken once (at the nation 43,712 results)
    short = {outcome: results[results["ket_qua"].eq(outcome)] for outcome in ("khong_dat", "khong_danh_gia_duoc")}
    for _, row in (counts if counts is not None else per_tier(communes, criteria)).iterrows():
        if row[ROLES.tier] not in criteria.tiers.index:
            sentences.append(NO_TIER_SENTENCE[lang].format(n=count(row["dang_ky"], lang)))
            continue
        tier = criteria.tiers.loc[row[ROLES.tier]]
        mine = communes[communes[ROLES.tier] == row[ROLES.tier]]
        if lang == "vi":
            all_met = " đều" if row["dat"] == row["dang_ky"] else ""
            rest = [
                f"{count(row[k])} xã {w}"
                for k, w in (("khong_dat", "không đạt"), ("khong_danh_gia_duoc", "chưa đánh giá được"))
                if row[k]
            ]
            sentences.append(
                f"{row['ti_so']} xã đăng ký đạt chuẩn {tier['label']} năm {year}{all_met} đạt chuẩn "
                f"các chỉ tiêu {criteria.sector_words(short=True)}".rstrip()
                + "".join(f", {r}" for r in rest)
                + "."
            )
        else:
            rest = [
                f"{count(row[k], lang)} {w}"
                for k, w in (("khong_dat", "not met"), ("khong_danh_gia_duoc", "not assessable"))
                if row[k]
            ]
            sentences.append(
                f"{row['ti_so']} communes registered for the {tier['label_en']} tier in {year} meet "
                "every ICT indicator of that tier" + "".join(f", {r}" for r in rest) + "."
            )
        for outcome, intro in (("khong_dat", INTRO[lang][0]), ("khong_danh_gia_duoc", INTRO[lang][1])):
            failing = mine[mine["ket_qua"] == outcome]
            named = _named_failures(failing.head(NAMED_AT_MOST), short[outcome], criteria, label, lang)
            if named:
                more = len(failing) - len(named)
                sheet = tier["sheet"] if lang == "vi" else tier["label_en"]
                others = MORE_NAMED[lang].format(n=count(more, lang), sheet=sheet) if more else ""
                sentences.append(f"{intro}: {'; '.join(named)}{others}.")
    if not sentences:
        return INTRO[lang][2]
    return " ".join(sentences)


def _named_failures(communes, results, criteria, label, lang) -> list[str]:
    """ "xã A (8.2.a – wording, 75,3%)" for each commune, from `results`, the rows of the outcome it has."""
    if communes.empty:
        return []
    rows = results[results[ROLES.code].isin(communes[ROLES.code])]
    ind = criteria.indicators
    # a share is shown when it is what fell short: 8.3 failing on its radio-station flag keeps its 100 % unsaid
    share = rows["chi_tieu"].map(ind["kind"]).map(lambda k: KINDS[k].shown).eq("pct")
    shown = rows["gia_tri"].where(share & (rows["gia_tri"] < rows["nguong"]).fillna(True))
    pct = shown.map(lambda v: "" if pd.isna(v) else f", {percent(v, lang)}")
    parts = rows["chi_tieu"] + " – " + rows["chi_tieu"].map(ind[label]) + pct
    per_commune = parts.groupby(rows[ROLES.code], sort=False).agg("; ".join)
    names = communes.set_index(ROLES.code)[ROLES.name].map(lambda n: commune_name(n, lang))
    return [f"{names[code]} ({per_commune.get(code, '')})" for code in communes[ROLES.code]]


def shortfalls(results: pd.DataFrame, lang: str = "vi") -> pd.Series:
    """Per commune: "Không đạt: 8.2.a, 15.2.f. Chưa đánh giá được: 8.3.c" (empty when all met)."""
    heads = {"vi": ("Không đạt", "Chưa đánh giá được"), "en": ("Not met", "Not assessable")}[lang]
    texts = []
    for outcome, head in zip(("khong_dat", "khong_danh_gia_duoc"), heads, strict=True):
        rows = results[results["ket_qua"] == outcome]
        texts.append(head + ": " + rows.groupby(ROLES.code, sort=False)["chi_tieu"].agg(", ".join) + ".")
    both = pd.concat(texts, axis=1)
    if both.empty:
        return pd.Series(dtype="string")
    joined = [" ".join(t for t in pair if isinstance(t, str)) for pair in both.itertuples(index=False)]
    return pd.Series(joined, index=both.index)


def percent(value: float, lang: str = "vi") -> str:
    """80,5% as Vietnamese officers write it (80.5% in English)."""
    text = f"{value * 100:.1f}%"
    return text.replace(".", ",") if lang == "vi" else text


def commune_name(name, lang: str = "vi") -> str:
    """ "xã Ngọc Lũ" unless the name already says what kind of unit it is."""
    name = "" if pd.isna(name) else str(name)
    if lang != "vi" or name.lower().startswith(("xã ", "phường ", "thị trấn ")):
        return name
    return f"xã {name}"
