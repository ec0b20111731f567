"""Figures worked out on frames, without a run: the province's summed ratios, a village share, a commune's name,
the counts per tier, the communes that lost their tier, and the overview's paragraph.

Each test pins a rule a whole run did not: break it in the code and the test fails.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from pipeline.assessing import kinds
from pipeline.catalog import load_catalogs
from pipeline.presenting import summary
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
    row = ratio_totals(results([(3, 4), (1, 2), (4, 4), (None, 10), (2, None)]), CRITERIA).iloc[0]
    assert (row["tu_so"], row["mau_so"], row["so_xa"], row["bo_qua"]) == (8, 10, 3, 2)
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


# ---- counts per tier, communes that lost their tier ----------------------------------------------------------------


def communes(tiers: list, outcomes: list[str], **columns) -> pd.DataFrame:
    """Assessed communes 00000, 00001 … (named An 0, An 1 …) with these registered tiers and results."""
    codes = [f"{i:05d}" for i in range(len(tiers))]
    return pd.DataFrame(
        {ROLES.code: codes, ROLES.name: [f"An {i}" for i in range(len(tiers))], ROLES.tier: tiers, "ket_qua": outcomes}
        | columns
    )


def test_counts_per_tier_in_the_tiers_order_with_the_unknown_tier_last_and_their_total():
    rows = communes(
        [None, "kieu_mau", "ntm", "ntm", "ntm"],
        ["khong_danh_gia_duoc", "dat", "dat", "khong_dat", "dat"],
        _da_nhan=[True, True, True, True, False],
    )
    table = summary.with_total(summary.per_tier(rows, CRITERIA), ROLES.tier, "Tổng")
    got = table[[ROLES.tier, "dang_ky", "da_nhan", "dat", "khong_dat", "khong_danh_gia_duoc", "ti_so"]]
    assert got.values.tolist() == [
        ["ntm", 3, 2, 2, 1, 0, "02/03"],
        ["kieu_mau", 1, 1, 1, 0, 0, "01/01"],
        [summary.NO_TIER, 1, 1, 0, 0, 1, "0/01"],
        ["Tổng", 5, 4, 3, 1, 1, "03/05"],
    ]


def test_a_commune_that_met_a_tier_last_year_and_meets_none_now_has_lost_it():
    now = communes(["nang_cao"] * 3, ["khong_dat", "dat", "khong_dat"], hang_cao_nhat_dat=[None, "nang_cao", "ntm"])
    before = communes(["nang_cao"] * 3, ["dat"] * 3, hang_cao_nhat_dat=["nang_cao"] * 3)
    lost, both = summary.lost_since(now, before, CRITERIA)
    assert lost[ROLES.code].tolist() == ["00000", "00002"]
    assert lost["hang_cao_nhat_dat_truoc"].tolist() == ["nang_cao", "nang_cao"]
    assert both == 3


# ---- the overview's paragraph --------------------------------------------------------------------------------------


def test_the_paragraph_says_all_met_only_when_every_commune_met():
    every = summary.paragraph(communes(["nang_cao"] * 2, ["dat"] * 2), pd.DataFrame(), CRITERIA, 2024)
    assert every == "02/02 xã đăng ký đạt chuẩn NTM nâng cao năm 2024 đều đạt chuẩn các chỉ tiêu ngành TT&TT."
    failing = communes(["nang_cao"] * 2, ["dat", "khong_dat"])
    rows = pd.DataFrame(
        {
            ROLES.code: "00001",
            "chi_tieu": ["8.3", "8.2.a"],
            "ket_qua": "khong_dat",
            "gia_tri": [1.0, 0.75],
            "nguong": [1.0, 0.8],
        }
    )
    assert summary.paragraph(failing, rows, CRITERIA, 2024) == (
        "01/02 xã đăng ký đạt chuẩn NTM nâng cao năm 2024 đạt chuẩn các chỉ tiêu ngành TT&TT, 01 xã không đạt. "
        "Các xã chưa đạt: xã An 1 (8.3 – Có đài truyền thanh và hệ thống loa đến các thôn; "  # a flag fell short
        "8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông minh, 75,0%)."
    )


def test_the_paragraph_names_five_communes_of_an_outcome_and_counts_the_rest():
    rows = communes(["nang_cao"] * 6, ["khong_danh_gia_duoc"] * 6)
    undecided = pd.DataFrame(
        {ROLES.code: rows[ROLES.code], "chi_tieu": "15.2.b", "ket_qua": "khong_danh_gia_duoc", "gia_tri": None}
    ).assign(nguong=1.0)
    text = summary.paragraph(rows, undecided, CRITERIA, 2024)
    camera = CRITERIA.indicators.at["15.2.b", "label"]
    named = "; ".join(f"xã An {i} (15.2.b – {camera})" for i in range(5))
    assert text.endswith(f"Các xã chưa đủ số liệu để đánh giá: {named}; và 01 xã khác (xem trang “NTM nâng cao”).")
