"""The kinds of indicator and the assessment, on frames: each test calls `kinds.KINDS[...].compute` or `assess`
directly on a few communes and checks the results a user reads (`dat`, `khong_dat`, …), the shares and counts.

Each test pins a rule that a mutant of the code survived in the rule tests that run the whole command: break the
rule and a test here fails.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pandas as pd
from conftest import passing_commune, passing_village

from pipeline.assessing import kinds
from pipeline.assessing.assess import assess
from pipeline.catalog import load_catalogs
from pipeline.roles import ROLES

COLUMNS, PERIODS = load_catalogs(None)
CRITERIA = next(c for c in PERIODS if c.period == "2021-2025")


NO_VILLAGES = kinds.Villages(pd.DataFrame(), pd.DataFrame())  # what a commune-level kind is given of the villages


def catalog_row(name: str = "X", **fields) -> pd.Series:
    """A catalog entry of an indicator, as `compute` receives it: the keys its kind reads, None where unset."""
    keys = ("column", "numerator", "denominator", "threshold", "requires", "threshold_by", "thresholds")
    return pd.Series({k: None for k in keys} | {"not_applicable_when_zero": False} | fields, name=name)


def shown(codes) -> list[str]:
    return [kinds.RESULTS[c] for c in codes]


def communes(size: int, incomplete: bool = False, **columns) -> pd.DataFrame:
    """`size` communes keyed 0, 1, …; `incomplete`: their village lists may be incomplete."""
    return pd.DataFrame({"_k": range(size), "_thon_thieu": incomplete} | columns)


def listed(values: pd.Series) -> list:
    """The values as a user reads them: a blank (NA) as None."""
    return [None if pd.isna(v) else v for v in values]


def counts(values: list) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Int64"))


# ---- ratio ---------------------------------------------------------------------------------------------------------


def test_a_ratio_over_a_denominator_of_one_has_its_share():
    xa = communes(5, n=counts([1, 0, 4, 0, None]), d=counts([1, 1, 5, 0, 3]))
    got = kinds.KINDS["ratio"].compute(
        xa, NO_VILLAGES, catalog_row(numerator="n", denominator="d", threshold=Fraction(4, 5))
    )
    assert listed(got["gia_tri"]) == [1.0, 0.0, 0.8, None, None]
    assert shown(got["code"]) == ["dat", "khong_dat", "dat", "khong_danh_gia_duoc", "khong_danh_gia_duoc"]


def _by_group(default: Fraction | None) -> pd.DataFrame:
    """65 of 100 for communes of the groups "Miền núi" (as written in the catalog, and in capitals without
    accents), "đồng bằng", a group the catalog does not name, and none."""
    groups = pd.Series(["Miền núi", "MIEN NUI", "đồng bằng", "hải đảo", None], dtype=object)
    xa = communes(5, nhom=groups, n=counts([65] * 5), d=counts([100] * 5))
    row = catalog_row(
        numerator="n",
        denominator="d",
        threshold=default,
        threshold_by="nhom",
        thresholds={"miền núi": Fraction(3, 5), "Đồng bằng": Fraction(4, 5)},
    )
    return kinds.KINDS["ratio"].compute(xa, NO_VILLAGES, row)


def test_a_threshold_by_group_is_the_commune_s_group_s_however_written():
    got = _by_group(default=Fraction(7, 10))
    assert got["nguong"].tolist() == [0.6, 0.6, 0.8, 0.7, 0.7]
    assert shown(got["code"]) == ["dat", "dat", "khong_dat", "khong_dat", "khong_dat"]


def test_a_group_without_a_threshold_nor_a_default_is_not_assessable():
    got = _by_group(default=None)
    assert shown(got["code"]) == ["dat", "dat", "khong_dat", "khong_danh_gia_duoc", "khong_danh_gia_duoc"]


# ---- villages ------------------------------------------------------------------------------------------------------


def _all_villages(answers: list[list], threshold: Fraction, incomplete: bool) -> pd.DataFrame:
    """Each commune's villages answering the flag (True, False, None)."""
    keys = [k for k, villages in enumerate(answers) for _ in villages]
    flags = pd.array([a for villages in answers for a in villages], dtype="boolean")
    thon = pd.DataFrame({"_k": keys, "co": flags})
    row = catalog_row(column="co", threshold=threshold)
    return kinds.KINDS["all_villages"].compute(
        communes(len(answers), incomplete), kinds.Villages(thon, pd.DataFrame()), row
    )


def test_every_village_of_an_incomplete_list_saying_yes_is_not_yet_every_village():
    got = _all_villages([[True, True], [True, False]], Fraction(1), incomplete=True)
    assert shown(got["code"]) == ["khong_danh_gia_duoc", "khong_dat"]  # one village saying no decides 100 %
    assert got["gia_tri"].tolist() == [1.0, 0.5]


def test_below_every_village_an_incomplete_list_decides_nothing():
    got = _all_villages([[True, True, False], [True, False, False]], Fraction(1, 2), incomplete=True)
    assert shown(got["code"]) == ["khong_danh_gia_duoc", "khong_danh_gia_duoc"]
    complete = _all_villages([[True, True, False], [True, False, False]], Fraction(1, 2), incomplete=False)
    assert shown(complete["code"]) == ["dat", "khong_dat"]


def test_a_smart_village_stands_on_an_incomplete_list_and_none_yet_is_undecided():
    thon = pd.DataFrame({"_k": [0, 0, 1, 1]})
    codes = pd.DataFrame({"a": [kinds.MET, kinds.NOT_MET, kinds.NOT_MET, kinds.NOT_MET]})
    villages = kinds.Villages(thon, codes, {"KM": ["a"]})
    got = kinds.KINDS["smart_village"].compute(communes(2, incomplete=True), villages, catalog_row("KM", threshold=1))
    assert shown(got["code"]) == ["dat", "khong_danh_gia_duoc"]
    assert got["tu_so"].tolist() == [1, 0]
    condition = kinds.KINDS["village_condition"].compute(communes(2, incomplete=True), villages, catalog_row("a"))
    assert shown(condition["code"]) == ["dat", "khong_danh_gia_duoc"]


# ---- assess --------------------------------------------------------------------------------------------------------

TYPES = {sheet: COLUMNS.of(sheet)["type"] for sheet in ("Xa", "Thon")}
YES_NO = {"Có": True, "Không": False}


def typed(rows: list[dict], sheet: str) -> pd.DataFrame:
    """Rows as `validate` hands them to `assess`: yes/no as booleans, counts and years as integers, text as text."""
    frame = pd.DataFrame(rows)
    for key, kind in TYPES[sheet].items():
        if key not in frame:
            continue
        if kind == "yesno":
            frame[key] = frame[key].map(YES_NO).astype("boolean")
        elif kind in ("count", "year"):
            frame[key] = frame[key].astype("Int64")
        else:
            frame[key] = frame[key].astype("string")
    return frame


def assessed(xa: list[dict], thon: list[dict], criteria=CRITERIA, blocked=()):
    """`assess` on communes that nothing blocks but the codes in `blocked` (not sent, or claimed twice)."""
    frame = typed(xa, "Xa")
    frame = frame.assign(_chan=frame[ROLES.code].isin(blocked), _thon_thieu=False)
    return assess(frame, typed(thon, "Thon"), criteria)


def villages(code: str, year: int = 2024, n: int = 2) -> list[dict]:
    return [passing_village(code, f"thôn {i}", smart=i == 1, nam=year) for i in range(1, n + 1)]


def test_a_blocked_commune_is_not_assessable_on_every_indicator_and_shows_no_count():
    got = assessed(
        [passing_commune("00001"), passing_commune("00002")], villages("00001") + villages("00002"), blocked=["00002"]
    )
    rows = got.communes.set_index(ROLES.code)
    assert rows.loc["00001", ["ket_qua", "so_chi_tieu_dat", "so_chi_tieu"]].tolist() == ["dat", 25, 25]
    assert rows.loc["00002", "ket_qua"] == "khong_danh_gia_duoc"
    assert rows.loc["00002", ["so_chi_tieu_dat", "so_chi_tieu"]].isna().all()
    results = got.results[got.results[ROLES.code] == "00002"]
    assert set(results["ket_qua"]) == {"khong_danh_gia_duoc"} and len(results) == 25


def test_a_commune_with_no_valid_tier_is_listed_as_not_assessable_with_no_count():
    got = assessed([passing_commune("00001") | {ROLES.tier: None}], villages("00001"))
    row = got.communes.iloc[0]
    assert row["ket_qua"] == "khong_danh_gia_duoc"
    assert pd.isna(row["so_chi_tieu_dat"]) and pd.isna(row["so_chi_tieu"])
    assert got.results.empty  # no tier, no indicator rows


def test_a_tier_whose_every_indicator_is_not_applicable_is_met():
    """A province's tier holding only the OCOP ratio, for a commune with no OCOP product."""
    ocop = CRITERIA.indicators.loc[["15.2.l"]].assign(tier="ntm", tier_rank=0)
    criteria = replace(CRITERIA, indicators=ocop)
    got = assessed([passing_commune("00001", tier="ntm", ocop_tong=0, ocop_san_tmdt=0)], villages("00001"), criteria)
    assert got.results["ket_qua"].tolist() == ["khong_ap_dung"]
    row = got.communes.iloc[0]
    assert (row["ket_qua"], row["so_chi_tieu_dat"], row["so_chi_tieu"]) == ("dat", 0, 0)


def test_the_same_commune_in_two_years_counts_each_year_s_villages():
    xa = [passing_commune("13456", nam=2023), passing_commune("13456", nam=2024)]
    thon = villages("13456", 2023, n=2) + villages("13456", 2024, n=3)
    thon[1]["co_vien_thong_internet"] = "Không"
    got = assessed(xa, thon).results.set_index([ROLES.year, "chi_tieu"])
    assert got.loc[(2023, "8.2"), ["tu_so", "mau_so", "ket_qua"]].tolist() == [1, 2, "khong_dat"]
    assert got.loc[(2024, "8.2"), ["tu_so", "mau_so", "ket_qua"]].tolist() == [3, 3, "dat"]
