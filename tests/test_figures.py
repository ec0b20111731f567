"""Figures worked out on frames, without a run: the province's summed ratios, a village share, a commune's name.

Each test pins a rule a whole run did not: break it in the code and the test fails.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from pipeline.assessing import kinds
from pipeline.catalog import load_catalogs
from pipeline.presenting.summary import commune_name, ratio_totals
from pipeline.roles import ROLES

_, PERIODS = load_catalogs(None)
CRITERIA = next(c for c in PERIODS if c.period == "2021-2025")
SUMMED = next(i for i, k in CRITERIA.indicators["kind"].items() if kinds.KINDS[k].summed)


def results(pairs: list[tuple]) -> pd.DataFrame:
    """One summed ratio's results for communes with these (numerator, denominator)."""
    return pd.DataFrame(
        {
            ROLES.code: [f"{i:05d}" for i in range(len(pairs))],
            "chi_tieu": SUMMED,
            "tu_so": pd.array([n for n, _ in pairs], dtype="Int64"),
            "mau_so": pd.array([d for _, d in pairs], dtype="Int64"),
        }
    )


def test_the_province_ratio_sums_the_communes_that_gave_both_figures():
    row = ratio_totals(results([(3, 4), (5, 6), (None, 10), (2, None)]), CRITERIA).iloc[0]
    assert (row["tu_so"], row["mau_so"], row["so_xa"], row["bo_qua"]) == (8, 10, 2, 2)
    assert row["ti_le"] == pytest.approx(0.8)


@pytest.mark.parametrize(("pairs", "share"), [([(1, 1)], 1.0), ([(0, 1)], 0.0), ([(0, 0)], None)])
def test_a_province_denominator_of_one_is_a_share_and_of_zero_is_none(pairs, share):
    got = ratio_totals(results(pairs), CRITERIA).iloc[0]["ti_le"]
    assert (None if pd.isna(got) else float(got)) == share


def test_a_commune_with_one_village_has_the_share_of_that_village():
    xa = pd.DataFrame({"_k": [0, 1, 2], "_thon_thieu": [False, False, False]})
    thon = pd.DataFrame({"_k": [0, 1, 2, 2], "co_loa": pd.array([True, False, True, None], dtype="boolean")})
    row = pd.Series({"column": "co_loa", "threshold": Fraction(1), "requires": None})
    got = kinds.KINDS["all_villages"].compute(xa, kinds.Villages(thon, pd.DataFrame()), row)
    assert got["gia_tri"].tolist() == [1.0, 0.0, 0.5]
    assert got["mau_so"].tolist() == [1, 1, 2]
    assert [kinds.RESULTS[c] for c in got["code"]] == ["dat", "khong_dat", "khong_danh_gia_duoc"]


def test_a_commune_is_named_as_officers_write_it_in_either_language():
    assert commune_name("Ngọc Lũ") == "xã Ngọc Lũ"
    assert commune_name("Xã An Bình") == "Xã An Bình"
    assert commune_name("Ngọc Lũ", "en") == "Ngọc Lũ"
