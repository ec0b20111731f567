"""Figures worked out on frames, without a run: the province's summed ratios, a village share, a commune's name,
the counts per tier, the communes that lost their tier, the overview's paragraph, and what a commune lacks.

Each test pins a rule a whole run did not: break it in the code and the test fails.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from pipeline.assessing import kinds
from pipeline.catalog import load_catalogs
from pipeline.presenting import messages, summary
from pipeline.presenting.findings import Finding, findings
from pipeline.presenting.summary import commune_name, ratio_totals
from pipeline.problems import frame, problem
from pipeline.roles import ROLES

COLUMNS, PERIODS = load_catalogs(None)
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
    none_short = pd.DataFrame(columns=[ROLES.code, "chi_tieu", "ket_qua", "gia_tri", "nguong"])
    every = summary.paragraph(communes(["nang_cao"] * 2, ["dat"] * 2), none_short, CRITERIA, 2024)
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


# ---- what a commune lacks (findings) -------------------------------------------------------------------------------

SAY = messages.sayer("vi", COLUMNS, CRITERIA.tiers)
_ADVANCED = CRITERIA.indicators_of("nang_cao")
FLAGS = _ADVANCED.loc[_ADVANCED["kind"] == "flag", "column"].to_dict()  # the advanced tier's yes/no indicators
BLANK = {"ma_xa": "00001", "trang": "Xa"}  # a blank cell of commune 00001's row 4 of xa.xlsx (`blank`)


def blank(chi_tieu: str, cell: str = "T4") -> dict:
    return problem("thieu-gia-tri", "xa.xlsx", o=cell, cot=FLAGS[chi_tieu], chi_tieu=chi_tieu, **BLANK)


def renamed() -> dict:
    """A warning on commune 00001's row: its name is not the national list's."""
    return problem("ten-khac-danh-muc", "xa.xlsx", o="B4", cot="ten_xa", gia_tri="Xa Mot", **BLANK)


def lacks(outcome: str, rows: list[dict], problems: list[dict], **commune) -> Finding:
    """What commune 00001 (nâng cao, row 4 of xa.xlsx) lacks, given its indicator rows that are not met."""
    row = {ROLES.code: "00001", ROLES.year: 2024, ROLES.tier: "nang_cao", "tep_xa": "xa.xlsx", "dong_xa": 4}
    communes = pd.DataFrame([row | {"ket_qua": outcome} | commune])
    columns = ["chi_tieu", "ket_qua", "tu_so", "mau_so", "gia_tri", "nguong"]
    results = pd.DataFrame(rows, columns=columns).assign(**{ROLES.code: "00001", ROLES.year: 2024})
    return findings(communes, results, CRITERIA, frame(problems), SAY)[0]


def undecided(*ids: str, mau_so=None) -> list[dict]:
    return [{"chi_tieu": i, "ket_qua": "khong_danh_gia_duoc", "mau_so": mau_so} for i in ids]


def label(chi_tieu: str) -> str:
    return f"{chi_tieu} – {CRITERIA.indicators.at[chi_tieu, 'label']}"


def test_a_problem_explains_only_the_indicators_it_concerns():
    found = lacks("khong_danh_gia_duoc", undecided("15.2.b") + undecided("8.2.a", mau_so=0), [blank("15.2.b")])
    assert found.why == {"15.2.b": "chưa có số liệu một cửa: camera", "8.2.a": "mẫu số bằng 0"}
    assert found.long == [
        f"Chưa đánh giá được chỉ tiêu {label('15.2.b')}: chưa có số liệu một cửa: camera.",
        f"Chưa đánh giá được chỉ tiêu {label('8.2.a')}: mẫu số bằng 0.",
    ]


def test_a_warning_is_said_only_without_an_error_and_while_an_indicator_is_undecided():
    with_error = lacks("khong_danh_gia_duoc", undecided("15.2.b"), [blank("15.2.b"), renamed()])
    assert with_error.long == [f"Chưa đánh giá được chỉ tiêu {label('15.2.b')}: chưa có số liệu một cửa: camera."]
    alone = lacks("khong_danh_gia_duoc", undecided("8.2.a", mau_so=0), [renamed()])
    assert alone.long[0].startswith("Tên xã ghi “Xa Mot”: tên xã khác tên trong danh mục đơn vị hành chính")
    failing = [
        {"chi_tieu": "8.2.a", "ket_qua": "khong_dat", "tu_so": 75, "mau_so": 100, "gia_tri": 0.75, "nguong": 0.8}
    ]
    decided = lacks("khong_dat", failing, [renamed()])
    assert decided.long == [f"Không đạt chỉ tiêu {label('8.2.a')}: 75,0% < 80%."]


def test_a_registered_commune_that_sent_nothing_is_said_so_whatever_else_is_wrong_with_its_code():
    listed = {"o": "A3", "ma_xa": "00001"}
    problems = [problem("chua-nop-ho-so", "dang-ky.csv", **listed), problem("trung-ma-xa", "dang-ky.csv", **listed)]
    found = lacks("khong_danh_gia_duoc", [], problems, tep_xa="", dong_xa=pd.NA)
    assert (found.short, found.long, found.cause, found.sent) == (
        ["Chưa nộp hồ sơ"],
        ["Chưa nộp hồ sơ; đề nghị xã gửi hồ sơ."],
        "chưa nộp hồ sơ",
        False,
    )


@pytest.mark.parametrize("many", [False, True])
def test_up_to_five_indicators_missing_figures_are_said_one_by_one_and_more_in_one_line(many):
    ids = list(FLAGS)[: 6 if many else 5]
    long = lacks("khong_danh_gia_duoc", undecided(*ids), []).long
    if many:
        assert long == [f"Chưa đánh giá được 06 chỉ tiêu ({', '.join(ids)}) do thiếu số liệu."]
    else:
        assert long == [f"Chưa đánh giá được chỉ tiêu {label(i)}: thiếu số liệu." for i in ids]


@pytest.mark.parametrize("many", [False, True])
def test_up_to_three_undecided_indicators_have_a_line_each_on_the_tier_table_and_more_one_line(many):
    ids = list(FLAGS)[: 4 if many else 3]
    short = lacks("khong_danh_gia_duoc", undecided(*ids), []).short
    if many:
        assert short == [f"Chưa đánh giá được 04 chỉ tiêu: {', '.join(ids)}"]
    else:
        assert short == [f"{label(i)}: chưa đánh giá được" for i in ids]


@pytest.mark.parametrize("many", [False, True])
def test_eight_sentences_on_a_commune_s_data_at_most_and_the_rest_counted(many):
    ids = list(FLAGS)[: 9 if many else 8]
    problems = [blank(i, cell=f"{chr(ord('K') + n)}4") for n, i in enumerate(ids)]
    long = lacks("khong_danh_gia_duoc", undecided(*ids), problems).long
    said = [f"Chưa đánh giá được chỉ tiêu {label(i)}: chưa có số liệu" for i in ids]
    kept = 7 if many else 8
    assert [sentence[: len(start)] for sentence, start in zip(long, said[:kept], strict=False)] == said[:kept]
    assert long[kept:] == (["Và 02 vấn đề khác về số liệu."] if many else [])
