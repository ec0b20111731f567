"""The rule above all: a commune never passes on a cell that is in error.

A model-tier commune that meets every indicator, with one smart village, is
checked and assessed on frames (no workbook, no writers). Then one cell that
its result rests on is spoiled in a way a clerk spoils it: text in a number,
a share in a count, a negative, a blank, a numerator over its denominator (3 of
0 OCOP products too), a yes/no that is neither, a village listed twice with
another answer. Whatever the kind of indicator the cell feeds, the problem is
reported as an error and the commune does not pass.
"""

from __future__ import annotations

from conftest import passing_commune, passing_village, said
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.utility import xl_col_to_name

from pipeline import catalog
from pipeline.assessing.assess import assess
from pipeline.checking.validate import validate
from pipeline.reading.read import FileRead, combine

COLUMNS, PERIODS = catalog.load_catalogs(catalog.SCHEMAS)
CRITERIA = PERIODS[0]
KEYS = {sheet: list(COLUMNS.of(sheet).index) for sheet in ("Xa", "Thon")}
TYPES = {sheet: COLUMNS.of(sheet)["type"].to_dict() for sheet in ("Xa", "Thon")}


def cell(sheet: str, key: str, row: int) -> str:
    return f"{xl_col_to_name(KEYS[sheet].index(key))}{row}"


NOT_SMART = {"to_cong_nghe_so": "Không", "kenh_mang_xa_hoi": "Không", "truy_xuat_tmdt": "Không"}


def baseline() -> tuple[dict, list[dict]]:
    """A model-tier commune meeting every indicator; only its first village is a smart village."""
    xa = passing_commune("00001", tier="kieu_mau")
    thon = [passing_village("00001", "thôn 1")] + [
        passing_village("00001", f"thôn {i}", **NOT_SMART, so_nguoi_smartphone=100, so_nguoi_vneid=10) for i in (2, 3)
    ]
    return xa, thon


def checked_and_assessed(xa: dict, thon: list[dict]):
    """Read -> validate -> assess on frames, as `run` does after reading."""
    cells = {
        sheet: [[r.get(k, "") for k in KEYS[sheet]] for r in rows] for sheet, rows in (("Xa", [xa]), ("Thon", thon))
    }
    read = FileRead(
        tep="xa.xlsx",
        cells=cells,
        rows={"Xa": [4], "Thon": list(range(4, 4 + len(thon)))},
        layouts=[(sheet, 0, {k: i for i, k in enumerate(KEYS[sheet])}) for sheet in ("Xa", "Thon")],
    )
    checked = validate(combine([read], COLUMNS, []), COLUMNS, PERIODS)
    return checked, assess(checked.xa, checked.thon, CRITERIA)


def _bad(kind: str) -> st.SearchStrategy:
    return {
        "count": st.sampled_from(["", "mười", "85%", -5, 12.5, "1.234,5", "0,85"]),
        "yesno": st.sampled_from(["", "chưa rõ", 5, "Có/Không", "?"]),
        "year": st.sampled_from(["", "năm ngoái", 1800, 2022.5]),
    }[kind]


def _used(sheet: str) -> list[str]:
    used = CRITERIA.indicators["columns"].explode().dropna()
    return sorted(k for k in set(used) if TYPES[sheet].get(k))


@st.composite
def spoiled(draw):
    """The passing commune with one cell its result rests on spoiled, and what was spoiled."""
    xa, thon = baseline()
    how = draw(st.sampled_from(["xa-cell", "thon-cell", "over-denominator", "of-zero", "village-twice"]))
    ratios = CRITERIA.indicators.dropna(subset=["numerator"])
    if how == "xa-cell":
        key = draw(st.sampled_from(_used("Xa")))
        xa[key] = draw(_bad(TYPES["Xa"][key]))
    elif how == "thon-cell":
        key = draw(st.sampled_from(_used("Thon")))
        per_village = CRITERIA.indicators.loc[CRITERIA.indicators["kind"].eq("village_condition"), "columns"]
        only_smart = key in set(per_village.explode())  # the other villages do not decide a smart-village condition
        village = 0 if only_smart else draw(st.integers(0, len(thon) - 1))
        thon[village][key] = draw(_bad(TYPES["Thon"][key]))
    elif how == "over-denominator":
        n, d = draw(st.sampled_from(list(ratios[["numerator", "denominator"]].itertuples(index=False))))
        rows = [xa] if n in xa else [thon[0]]
        rows[0][n] = (rows[0][d] or 0) + draw(st.integers(1, 1000))
    elif how == "of-zero":
        n, d = draw(st.sampled_from(list(ratios[["numerator", "denominator"]].itertuples(index=False))))
        row = xa if n in xa else thon[0]
        row[d], row[n] = 0, draw(st.integers(1, 50))
    else:
        key = draw(st.sampled_from(["co_vien_thong_internet", "co_loa_hoat_dong", "co_ho_xem_truyen_hinh"]))
        thon.append(thon[draw(st.integers(0, len(thon) - 1))] | {key: "Không"})
        thon[-1]["ten_thon"] = draw(st.sampled_from(["", " ", "  "])) + thon[-1]["ten_thon"].upper()
    return how, xa, thon


def test_the_baseline_passes_without_a_problem():
    checked, result = checked_and_assessed(*baseline())
    assert checked.problems.empty
    assert result.communes["ket_qua"].tolist() == ["dat"]


@settings(max_examples=60, deadline=None)
@given(spoiled())
def test_a_commune_never_passes_on_a_cell_in_error(case):
    how, xa, thon = case
    checked, result = checked_and_assessed(xa, thon)
    assert checked.problems["muc_do"].eq("loi").any(), how
    assert result.communes["ket_qua"].tolist() != ["dat"], how


def test_three_of_zero_ocop_products_is_not_assessable_never_not_applicable():
    xa, thon = baseline()
    checked, result = checked_and_assessed(xa | {"ocop_tong": 0, "ocop_san_tmdt": 3}, thon)
    row = result.results.set_index("chi_tieu").loc["15.2.l"]
    assert row["ket_qua"] == "khong_danh_gia_duoc"
    assert checked.problems[["o", "ma_loi"]].values.tolist() == [[cell("Xa", "ocop_san_tmdt", 4), "vuot-mau-so"]]
    assert result.communes["ket_qua"].tolist() == ["khong_danh_gia_duoc"]


def test_no_ocop_product_is_still_not_applicable():
    xa, thon = baseline()
    _, result = checked_and_assessed(xa | {"ocop_tong": 0, "ocop_san_tmdt": 0}, thon)
    assert result.results.set_index("chi_tieu").loc["15.2.l", "ket_qua"] == "khong_ap_dung"
    assert result.communes["ket_qua"].tolist() == ["dat"]


def test_a_village_listed_twice_with_another_answer_is_undecided_not_first_row_wins():
    xa, thon = baseline()
    thon.append(thon[1] | {"ten_thon": "Thôn 2 ", "co_loa_hoat_dong": "Không"})
    checked, result = checked_and_assessed(xa, thon)
    found = checked.problems[["trang", "o", "cot", "ma_loi", "muc_do"]].values.tolist()
    assert found == [
        ["Thon", cell("Thon", "ten_thon", 7), "ten_thon", "trung-ten-thon", "loi"],
        ["Thon", cell("Thon", "co_loa_hoat_dong", 7), "co_loa_hoat_dong", "thon-khai-khac-nhau", "loi"],
    ]
    assert "khác dòng 5" in said(checked.problems)[1]
    codes = result.results.set_index("chi_tieu")["ket_qua"]
    assert (codes["8.3"], codes["8.3.a"], codes["8.2"]) == ("khong_danh_gia_duoc", "khong_danh_gia_duoc", "dat")
    assert len(checked.thon) == 3  # one village, counted once
    assert result.communes["ket_qua"].tolist() == ["khong_danh_gia_duoc"]


def test_a_village_listed_twice_alike_counts_once():
    xa, thon = baseline()
    thon.append(dict(thon[1]))
    checked, result = checked_and_assessed(xa, thon)
    assert checked.problems[["o", "ma_loi"]].values.tolist() == [[cell("Thon", "ten_thon", 7), "trung-ten-thon"]]
    assert result.results.set_index("chi_tieu").loc["8.3.b", ["tu_so", "mau_so"]].tolist() == [3, 3]
