"""Every rule of criteria.md pinned end to end: break the code of a rule and a test here fails.

Each test assesses generated workbooks through the CLI (or through `run` with an edited copy of the
catalog) and checks what a user sees: xa-<year>.csv, ket-qua-<year>.csv and the cells of the summary
workbook. `test_rules.py` holds the first cases of several rules; this file adds what they left open.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import openpyxl
import pytest
from conftest import Run, passing_commune, passing_village, read_csv, summary_problems, write_workbook

from pipeline.catalog import SCHEMAS
from pipeline.run import run
from pipeline.writing import template

# A village that is certainly not smart: every condition answered, KM.1.a-c "no", KM.1.d 10 %.
NOT_SMART = {
    "to_cong_nghe_so": "Không",
    "kenh_mang_xa_hoi": "Không",
    "truy_xuat_tmdt": "Không",
    "so_nguoi_smartphone": 100,
    "so_nguoi_vneid": 10,
}
# The smart-village conditions left empty: the village may or may not be smart.
UNKNOWN_SMART = dict.fromkeys(NOT_SMART)


def smart(ma_xa: str, name: str, **overrides) -> dict:
    return passing_village(ma_xa, name, smart=True, **overrides)


def plain(ma_xa: str, name: str, **overrides) -> dict:
    return passing_village(ma_xa, name, smart=False, **NOT_SMART | overrides)


def unknown(ma_xa: str, name: str, **overrides) -> dict:
    return passing_village(ma_xa, name, smart=False, **UNKNOWN_SMART | overrides)


def model(ma_xa: str, **overrides) -> dict:
    return passing_commune(ma_xa, tier="kieu_mau", **overrides)


def outcome(run: Run, ma_xa: str, year: int = 2024) -> str:
    return run.communes(year)[ma_xa]["ket_qua"]


def result(run: Run, ma_xa: str, chi_tieu: str, year: int = 2024) -> str:
    return run.results(year)[(ma_xa, chi_tieu)]["ket_qua"]


def summary_book(output: Path, year: int = 2024) -> openpyxl.Workbook:
    return openpyxl.load_workbook(output / str(year) / f"tong-hop-{year}.xlsx")


# What the workbooks show for each result: the words of the overall result and the symbols beside each value.
SHOWN = {
    "Đạt": "dat",
    "Đ": "dat",
    "Không đạt": "khong_dat",
    "KĐ": "khong_dat",
    "Chưa đánh giá được": "khong_danh_gia_duoc",
    "Không đánh giá được": "khong_danh_gia_duoc",
    "?": "khong_danh_gia_duoc",
    "Không áp dụng": "khong_ap_dung",
    "–": "khong_ap_dung",
}


def shown(text):
    """The result a workbook cell shows (an unknown text stays as it is, and fails the comparison)."""
    return SHOWN.get(text, text)


def table(rows: list[tuple], first: set[str], key) -> dict:
    """The row whose first cell is `key` under the first heading row starting with one of `first`, by heading."""
    at = next(i for i, r in enumerate(rows) if r[0] in first)
    row = next(r for r in rows[at + 1 :] if key(r[0]))
    return {head: value for head, value in zip(rows[at], row, strict=True) if head}


def overview_ratio(output: Path, chi_tieu: str, year: int = 2024) -> dict:
    """The row of one indicator in the overview's table of ratios, keyed by the table's headings."""
    rows = list(summary_book(output, year)["Tổng hợp"].iter_rows(values_only=True))
    return table(rows, {"Chỉ tiêu"}, lambda c: isinstance(c, str) and c.startswith(f"{chi_tieu}. "))


def overview_tier(output: Path, tier_label: str, year: int = 2024) -> tuple:
    """Registered, met, not met, not assessable and "met/registered" of one tier on the overview."""
    rows = list(summary_book(output, year)["Tổng hợp"].iter_rows(values_only=True))
    row = table(rows, {"Hạng", "Hạng đăng ký", "Mức đạt chuẩn"}, lambda c: c == tier_label)
    undecided = row.get("Chưa đánh giá được", row.get("Không đánh giá được"))
    return row["Đăng ký"], row["Đạt"], row["Không đạt"], undecided, row["Kết quả"]


def tier_row(output: Path, sheet: str, ma_xa: str, year: int = 2024) -> dict:
    """One commune's row of a tier sheet (a small tier prints in bands: its row in each, under the band's header).

    "value": {indicator: the value cell}, "result": {indicator: result shown beside it}, and every other
    column by its heading ("Kết quả chung" as a result code).
    """
    ws = summary_book(output, year)[sheet]
    out: dict = {"value": {}, "result": {}}
    heads: dict[str, int] = {}
    for row in ws.iter_rows():
        if row[1].value == "Mã xã":
            heads = {str(c.value).split("\n")[0]: i for i, c in enumerate(row) if c.value}
        elif heads and row[1].value == ma_xa:
            ids = [h for h in heads if re.fullmatch(r"(\d+(\.\d+)*|KM)(\.[0-9a-z]+)*", h)]
            out |= {h: row[i].value for h, i in heads.items() if h not in ids}
            out["value"] |= {i: row[heads[i]] for i in ids}
            out["result"] |= {i: shown(row[heads[i] + 1].value) for i in ids}
    out["Kết quả chung"] = shown(out["Kết quả chung"])
    out["highest"] = out.get("Mức đạt chuẩn cao nhất", out.get("Hạng cao nhất đạt"))
    return out


def village_rows(output: Path, year: int = 2024) -> list[dict]:
    """The summary's village sheet, one dict per village, keyed by the column headings."""
    rows = list(summary_book(output, year)["Thôn"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "STT")
    return [dict(zip(rows[at], r, strict=True)) for r in rows[at + 1 :] if isinstance(r[0], int)]


def catalog_copy(tmp_path: Path, indicator: str, field: str, value) -> Path:
    """schemas/ copied, with one field of one indicator changed (the edit a department makes)."""
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    path = schemas / "criteria-2021-2025.toml"
    text = path.read_text(encoding="utf-8")
    block = re.compile(rf'(\[\[indicators\]\]\nid = "{re.escape(indicator)}"\n(?:(?!\[\[).*\n)*?){field} = [^\n]*')
    text, n = block.subn(rf"\g<1>{field} = {value}", text)
    assert n == 1, f"{indicator}.{field} not found in the catalog"
    path.write_text(text, encoding="utf-8")
    return schemas


def run_with(schemas: Path, tmp_path: Path, xa: list[dict], thon: list[dict]) -> dict:
    """Assess with another catalog; the commune rows and the indicator rows of 2024."""
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, thon)
    run(tmp_path / "input", tmp_path / "output", schemas=schemas, workers=1, quiet=True)
    folder = tmp_path / "output" / "2024"
    return {
        "communes": {r["ma_xa"]: r for r in read_csv(folder / "xa-2024.csv")},
        "results": {(r["ma_xa"], r["chi_tieu"]): r for r in read_csv(folder / "ket-qua-2024.csv")},
    }


# ---- tiers and the overall result ------------------------------------------------------------------------


def test_each_tier_includes_the_indicators_of_the_tiers_below(assess_rows):
    with (SCHEMAS / "criteria-2021-2025.toml").open("rb") as f:
        catalog = tomllib.load(f)
    order = [t["key"] for t in catalog["tiers"]]
    upto = {t: [i["id"] for i in catalog["indicators"] if order.index(i["tier"]) <= order.index(t)] for t in order}
    run = assess_rows(
        [
            passing_commune("00001", tier="ntm"),
            passing_commune("00002", tier="nang_cao", co_diem_buu_chinh="Không"),  # basic 8.1 fails
            model("00003", dan_so_lao_dong_smartphone=7000),  # advanced 8.2.a fails
            model("00004"),
        ],
        [smart(code, "thôn 1") for code in ("00001", "00002", "00003", "00004")],
    )
    rows = run.csv("ket-qua-2024.csv")
    for code, tier in (("00001", "ntm"), ("00002", "nang_cao"), ("00003", "kieu_mau"), ("00004", "kieu_mau")):
        assert [r["chi_tieu"] for r in rows if r["ma_xa"] == code] == upto[tier], code
    assert (len(upto["ntm"]), len(upto["nang_cao"]), len(upto["kieu_mau"])) == (4, 25, 31)
    communes = run.communes()
    assert [communes[c]["ket_qua"] for c in ("00001", "00002", "00003", "00004")] == [
        "dat",
        "khong_dat",
        "khong_dat",
        "dat",
    ]
    assert [communes[c]["so_chi_tieu"] for c in ("00001", "00002", "00003", "00004")] == ["4", "25", "31", "31"]


def test_result_order_not_met_then_not_assessable_then_met(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", dan_so_lao_dong_smartphone=7000, mc_camera=None),  # fails one, one unknown
            passing_commune("00002", mc_camera=None),  # one unknown, the rest met
            passing_commune("00003", ocop_tong=0, ocop_san_tmdt=0),  # met, one not applicable
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002", "00003")],
    )
    assert result(run, "00001", "8.2.a") == "khong_dat"
    assert result(run, "00001", "15.2.b") == "khong_danh_gia_duoc"
    assert [outcome(run, c) for c in ("00001", "00002", "00003")] == ["khong_dat", "khong_danh_gia_duoc", "dat"]
    first = tier_row(run.output, "NTM nâng cao", "00001")
    assert first["Kết quả chung"] == "khong_dat"
    assert (first["result"]["8.2.a"], first["result"]["15.2.b"], first["result"]["8.1"]) == (
        "khong_dat",
        "khong_danh_gia_duoc",
        "dat",
    )
    assert first["Chỉ tiêu chưa đạt / chưa đánh giá được"] == "Không đạt: 8.2.a. Chưa đánh giá được: 15.2.b."
    assert tier_row(run.output, "NTM nâng cao", "00002")["Kết quả chung"] == "khong_danh_gia_duoc"
    assert tier_row(run.output, "NTM nâng cao", "00003")["Kết quả chung"] == "dat"
    assert overview_tier(run.output, "NTM nâng cao") == (3, 1, 1, 1, "01/03")


def test_registered_tier_is_assessed_and_the_highest_tier_met_is_reported(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", tier="ntm", dan_so_lao_dong_smartphone=7000),  # 8.2.a is not its tier's
            passing_commune("00002", dan_so_lao_dong_smartphone=7000),  # advanced fails, basic met
            passing_commune("00003", nam_dat_nang_cao=2022),  # registered advanced, meets the model tier too
            model("00004", co_diem_buu_chinh="Không"),  # meets no tier
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002", "00003", "00004")],
    )
    communes = run.communes()
    got = {c: (r["hang_dang_ky"], r["ket_qua"], r["hang_cao_nhat_dat"]) for c, r in communes.items()}
    assert got == {
        "00001": ("ntm", "dat", "ntm"),
        "00002": ("nang_cao", "khong_dat", "ntm"),
        "00003": ("nang_cao", "dat", "kieu_mau"),
        "00004": ("kieu_mau", "khong_dat", ""),
    }
    assert ("00001", "8.2.a") not in run.results()
    assert ("00003", "KM.1") not in run.results()  # rows are those of the registered tier only
    assert tier_row(run.output, "NTM nâng cao", "00003")["highest"] == "NTM kiểu mẫu"
    assert tier_row(run.output, "NTM nâng cao", "00002")["highest"] == "NTM"


# ---- ratios ------------------------------------------------------------------------------------------------


def test_zero_denominator_and_not_applicable_as_the_summary_shows_them(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", van_ban_tong=0, van_ban_ky_so=0),
            passing_commune("00002", ocop_tong=0, ocop_san_tmdt=0),
            passing_commune("00003", ocop_tong=None, ocop_san_tmdt=None),  # not given is not "none"
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002", "00003")],
    )
    assert result(run, "00003", "15.2.l") == "khong_danh_gia_duoc"
    assert [outcome(run, c) for c in ("00001", "00002", "00003")] == [
        "khong_danh_gia_duoc",
        "dat",
        "khong_danh_gia_duoc",
    ]
    zero = tier_row(run.output, "NTM nâng cao", "00001")
    assert (zero["value"]["15.2.f"].value, zero["result"]["15.2.f"]) == (None, "khong_danh_gia_duoc")
    assert zero["Chỉ tiêu chưa đạt / chưa đánh giá được"] == "Chưa đánh giá được: 15.2.f."
    none = tier_row(run.output, "NTM nâng cao", "00002")
    assert (none["value"]["15.2.l"].value, none["result"]["15.2.l"]) == (None, "khong_ap_dung")
    assert (none["Số chỉ tiêu đạt"], none["Kết quả chung"]) == ("24/24", "dat")
    empty = tier_row(run.output, "NTM nâng cao", "00003")
    assert empty["result"]["15.2.l"] == "khong_danh_gia_duoc"


def test_an_empty_numerator_is_not_assessable_never_zero(assess_rows):
    run = assess_rows([passing_commune(dan_so_lao_dong_smartphone=None)], [smart("00001", "thôn 1")])
    row = run.results()[("00001", "8.2.a")]
    assert (row["tu_so"], row["mau_so"], row["gia_tri"], row["ket_qua"]) == ("", "10000", "", "khong_danh_gia_duoc")
    assert outcome(run, "00001") == "khong_danh_gia_duoc"
    assert run.exit_code == 3


def test_numerator_above_denominator_in_a_village_is_bad_input(assess_rows):
    run = assess_rows([model("00001")], [smart("00001", "thôn 1", so_nguoi_smartphone=1000, so_nguoi_vneid=1200)])
    problems = [(p["trang"], p["cot"], p["gia_tri"], p["muc_do"], p["ma_xa"]) for p in run.problems()]
    assert problems == [("Thon", "so_nguoi_vneid", "1200", "loi", "00001")]
    assert run.problems()[0]["mo_ta"] == (
        "Số ghi lớn hơn số tổng tương ứng: Số người cài VNeID mức 2, kích hoạt sổ sức khỏe điện tử"
        " — lớn hơn cột Số người dùng điện thoại thông minh"
    )
    assert result(run, "00001", "KM.1.d") == "khong_danh_gia_duoc"  # not 120 %
    assert result(run, "00001", "KM.1") == "khong_danh_gia_duoc"
    assert outcome(run, "00001") == "khong_danh_gia_duoc"


def test_numerator_above_a_full_threshold_is_not_a_pass(assess_rows):
    run = assess_rows([passing_commune(can_bo_tong=20, can_bo_boi_duong=25)], [smart("00001", "thôn 1")])
    assert result(run, "00001", "15.2.j") == "khong_danh_gia_duoc"  # 125 % would have met 100 %
    assert outcome(run, "00001") == "khong_danh_gia_duoc"
    assert [p["cot"] for p in run.problems()] == ["can_bo_boi_duong"]


def test_threshold_is_the_exact_fraction_not_the_shown_percentage(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", dan_so_lao_dong=10000, dan_so_lao_dong_smartphone=7996),  # shows 80.0 %
            passing_commune("00002", tong_so_ho=70, so_ho_xem_truyen_hinh=63),  # exactly 90 %
            passing_commune("00003", van_ban_tong=3, van_ban_ky_so=2),  # 66.7 % < 70 %
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002", "00003")],
    )
    results = run.results()
    assert (results[("00001", "8.2.a")]["gia_tri"], results[("00001", "8.2.a")]["ket_qua"]) == ("0.7996", "khong_dat")
    assert results[("00002", "8.3.c")]["ket_qua"] == "dat"
    assert results[("00003", "15.2.f")]["ket_qua"] == "khong_dat"
    assert [outcome(run, c) for c in ("00001", "00002", "00003")] == ["khong_dat", "dat", "khong_dat"]
    cell = tier_row(run.output, "NTM nâng cao", "00001")["value"]["8.2.a"]
    assert (cell.value, cell.number_format) == (0.7996, "0.0%")  # shown as 80.0 %, still not met


# ---- the model tier ----------------------------------------------------------------------------------------


def test_recognised_advanced_strictly_before_the_assessment_year(assess_rows):
    codes = ("00001", "00002", "00003", "00004")
    run = assess_rows(
        [model(c, nam_dat_nang_cao=y) for c, y in zip(codes, (2023, 2024, 2025, None), strict=True)],
        [smart(c, "thôn 1") for c in codes],
    )
    assert [result(run, c, "KM.0") for c in codes] == ["dat", "khong_dat", "khong_dat", "khong_danh_gia_duoc"]
    assert [outcome(run, c) for c in codes] == ["dat", "khong_dat", "khong_dat", "khong_danh_gia_duoc"]
    assert run.communes()["00001"]["hang_cao_nhat_dat"] == "kieu_mau"


def test_smart_villages_are_counted_one_by_one(assess_rows):
    run = assess_rows(
        [model("00001")],
        [
            smart("00001", "thôn 1"),
            smart("00001", "thôn 2"),
            smart("00001", "thôn 3", so_nguoi_smartphone=100, so_nguoi_vneid=69),  # KM.1.a-c, not d
        ],
    )
    row = run.results()[("00001", "KM.1")]
    assert (row["tu_so"], row["mau_so"], row["ket_qua"]) == ("2", "3", "dat")
    shown = {v["Tên thôn"]: v["Thôn thông minh"] for v in village_rows(run.output)}
    assert shown == {"thôn 1": "Có", "thôn 2": "Có", "thôn 3": "Không"}


def test_two_smart_villages_when_the_catalog_asks_for_two(tmp_path):
    schemas = catalog_copy(tmp_path, "KM.1", "threshold", 2)
    got = run_with(
        schemas,
        tmp_path,
        [model("00001"), model("00002"), model("00003")],
        [smart("00001", "thôn 1"), smart("00001", "thôn 2"), plain("00001", "thôn 3")]
        + [smart("00002", "thôn 1"), plain("00002", "thôn 2"), plain("00002", "thôn 3")]
        + [smart("00003", "thôn 1"), unknown("00003", "thôn 2")],
    )
    km1 = {c: (got["results"][(c, "KM.1")]["tu_so"], got["results"][(c, "KM.1")]["ket_qua"]) for c in got["communes"]}
    assert km1 == {"00001": ("2", "dat"), "00002": ("1", "khong_dat"), "00003": ("1", "khong_danh_gia_duoc")}
    assert got["results"][("00001", "KM.1")]["nguong"] == "2"
    assert {c: r["ket_qua"] for c, r in got["communes"].items()} == {
        "00001": "dat",
        "00002": "khong_dat",
        "00003": "khong_danh_gia_duoc",
    }


def test_one_smart_village_is_enough(assess_rows):
    run = assess_rows(
        [model("00001"), model("00002"), model("00003")],
        [smart("00001", "thôn 1")]
        + [plain("00002", "thôn 1"), smart("00002", "thôn 2"), plain("00002", "thôn 3")]
        + [smart("00003", "thôn 1"), unknown("00003", "thôn 2"), unknown("00003", "thôn 3")],
    )
    for code in ("00001", "00002", "00003"):
        assert result(run, code, "KM.1") == "dat", code
        commune = run.communes()[code]
        assert (commune["ket_qua"], commune["hang_cao_nhat_dat"]) == ("dat", "kieu_mau"), code


def test_a_smart_village_meets_every_condition_itself(assess_rows):
    run = assess_rows(
        [model("00001")],
        [
            smart("00001", "thôn 1", so_nguoi_smartphone=100, so_nguoi_vneid=60),  # a-c, not d
            plain("00001", "thôn 2", so_nguoi_smartphone=100, so_nguoi_vneid=90),  # d only
        ],
    )
    assert [result(run, "00001", k) for k in ("KM.1.a", "KM.1.b", "KM.1.c", "KM.1.d")] == ["dat"] * 4
    row = run.results()[("00001", "KM.1")]
    assert (row["tu_so"], row["ket_qua"]) == ("0", "khong_dat")
    assert outcome(run, "00001") == "khong_dat"


def test_undecided_villages_leave_a_smart_village_open(assess_rows):
    run = assess_rows([model("00001")], [plain("00001", "thôn 1"), unknown("00001", "thôn 2")])
    assert result(run, "00001", "KM.1") == "khong_danh_gia_duoc"
    assert outcome(run, "00001") == "khong_danh_gia_duoc"


def test_a_commune_without_villages_is_not_assessable(assess_rows):
    run = assess_rows(
        [model("00001"), passing_commune("00002"), model("00003")],
        [smart("00003", "thôn 1")],  # 00001 and 00002 list no village
    )
    for key in ("8.2", "8.3", "8.3.a", "8.3.b", "KM.1"):
        row = run.results()[("00001", key)]
        assert (row["mau_so"], row["ket_qua"]) == ("0", "khong_danh_gia_duoc"), key
    assert outcome(run, "00001") == "khong_danh_gia_duoc"  # not "khong_dat"
    assert outcome(run, "00002") == "khong_danh_gia_duoc"
    assert outcome(run, "00003") == "dat"


# ---- all villages ------------------------------------------------------------------------------------------


def test_an_unknown_village_is_resolved_both_ways(assess_rows):
    run = assess_rows(
        [passing_commune("00001"), passing_commune("00002")],
        [smart("00001", "thôn 1"), plain("00001", "thôn 2"), plain("00001", "thôn 3", co_vien_thong_internet=None)]
        + [
            smart("00002", "thôn 1"),
            plain("00002", "thôn 2", co_vien_thong_internet="Không"),
            plain("00002", "thôn 3", co_vien_thong_internet=None),
        ],
    )
    first, second = run.results()[("00001", "8.2")], run.results()[("00002", "8.2")]
    assert (first["tu_so"], first["mau_so"], first["ket_qua"]) == ("2", "3", "khong_danh_gia_duoc")
    assert (second["tu_so"], second["mau_so"], second["ket_qua"]) == ("1", "3", "khong_dat")
    assert (outcome(run, "00001"), outcome(run, "00002")) == ("khong_danh_gia_duoc", "khong_dat")


def test_an_unknown_village_below_a_lower_threshold(tmp_path):
    schemas = catalog_copy(tmp_path, "8.2", "threshold", 0.5)
    no, maybe = {"co_vien_thong_internet": "Không"}, {"co_vien_thong_internet": None}
    got = run_with(
        schemas,
        tmp_path,
        [passing_commune("00001"), passing_commune("00002"), passing_commune("00003")],
        [smart("00001", "thôn 1"), plain("00001", "thôn 2"), plain("00001", "thôn 3", **maybe)]  # met even if no
        + [smart("00002", "thôn 1"), plain("00002", "thôn 2", **no), plain("00002", "thôn 3", **maybe)]  # open
        + [smart("00003", "thôn 1", **no), plain("00003", "thôn 2", **no), plain("00003", "thôn 3", **maybe)],
    )
    assert {c: got["results"][(c, "8.2")]["ket_qua"] for c in ("00001", "00002", "00003")} == {
        "00001": "dat",
        "00002": "khong_danh_gia_duoc",
        "00003": "khong_dat",
    }
    assert {c: r["ket_qua"] for c, r in got["communes"].items()} == {
        "00001": "dat",
        "00002": "khong_danh_gia_duoc",
        "00003": "khong_dat",
    }


def test_8_3_needs_the_radio_station_and_every_village(assess_rows):
    villages = {
        "00001": {"thôn 2": "Không"},  # station yes, one village without loudspeakers
        "00002": {},  # station unknown, every village yes
        "00003": {"thôn 2": "Không"},  # station unknown, one village no
        "00004": {"thôn 2": None},  # station yes, one village unknown
        "00005": {"thôn 2": None},  # station no, one village unknown
    }
    xa = [
        passing_commune("00001"),
        passing_commune("00002", co_dai_truyen_thanh=None),
        passing_commune("00003", co_dai_truyen_thanh=None),
        passing_commune("00004"),
        passing_commune("00005", co_dai_truyen_thanh="Không"),
    ]
    thon = [
        (smart if name == "thôn 1" else plain)(code, name, co_loa_hoat_dong=loud.get(name, "Có"))
        for code, loud in villages.items()
        for name in ("thôn 1", "thôn 2")
    ]
    run = assess_rows(xa, thon)
    assert {c: result(run, c, "8.3") for c in villages} == {
        "00001": "khong_dat",
        "00002": "khong_danh_gia_duoc",
        "00003": "khong_dat",
        "00004": "khong_danh_gia_duoc",
        "00005": "khong_dat",
    }
    assert {c: outcome(run, c) for c in villages} == {
        "00001": "khong_dat",
        "00002": "khong_danh_gia_duoc",
        "00003": "khong_dat",
        "00004": "khong_danh_gia_duoc",
        "00005": "khong_dat",
    }


# ---- villages, years and communes ---------------------------------------------------------------------------


def test_each_year_lists_only_its_own_communes_villages(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001")],
        [smart("00001", "thôn A1"), plain("00001", "thôn A2")],
    )
    write_workbook(
        tmp_path / "input" / "b.xlsx",
        [passing_commune("13474", nam=2025)],
        [smart("13474", "thôn B1")],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 0, run.result.output
    assert [(v["Mã xã"], v["Tên thôn"]) for v in village_rows(run.output, 2024)] == [
        ("00001", "thôn A1"),
        ("00001", "thôn A2"),
    ]
    assert [(v["Mã xã"], v["Tên thôn"]) for v in village_rows(run.output, 2025)] == [("13474", "thôn B1")]


def test_a_commune_code_is_an_identity_within_its_year(tmp_path):
    write_workbook(tmp_path / "input" / "2024.xlsx", [passing_commune("13456")], [smart("13456", "thôn 1")])
    write_workbook(
        tmp_path / "input" / "2025.xlsx",
        [passing_commune("13456", nam=2025, dan_so_lao_dong_smartphone=7000)],
        [smart("13456", "thôn 9")],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert (outcome(run, "13456", 2024), outcome(run, "13456", 2025)) == ("dat", "khong_dat")
    assert "trung-ma-xa" not in {code for *_, code in summary_problems(run)}


def test_a_commune_assessed_in_two_years_has_each_years_villages(tmp_path):
    write_workbook(
        tmp_path / "input" / "2024.xlsx",
        [passing_commune("13456")],
        [smart("13456", "thôn 1"), plain("13456", "thôn 2", co_vien_thong_internet="Không")],
    )
    write_workbook(
        tmp_path / "input" / "2025.xlsx",
        [passing_commune("13456", nam=2025)],
        [smart("13456", "thôn 1"), plain("13456", "thôn 2"), plain("13456", "thôn 3")],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    first, second = run.results(2024)[("13456", "8.2")], run.results(2025)[("13456", "8.2")]
    assert (first["tu_so"], first["mau_so"], first["ket_qua"]) == ("1", "2", "khong_dat")
    assert (second["tu_so"], second["mau_so"], second["ket_qua"]) == ("3", "3", "dat")
    assert summary_problems(run) == []


def test_a_year_without_a_catalog_is_not_assessed(assess_rows):
    run = assess_rows([passing_commune("00001"), passing_commune("13474", nam=2026)], [smart("00001", "thôn 1")])
    assert list(run.communes()) == ["00001"]
    if (run.output / "2026").exists():  # listed for that year, never assessed with another period's indicators
        assert {c: r["ket_qua"] for c, r in run.communes(2026).items()} == {"13474": "khong_danh_gia_duoc"}
        assert run.csv("ket-qua-2026.csv", 2026) == []
    assert [(p["ma_xa"], p["cot"], p["gia_tri"]) for p in run.problems()] == [("13474", "nam", "2026")]
    assert [code for *_, code in summary_problems(run)] == ["khong-co-bo-chi-tieu"]


def test_a_batch_without_districts_gets_every_output(assess_rows):
    run = assess_rows(
        [passing_commune("00001", huyen=None), passing_commune("00002", huyen=None, dan_so_lao_dong_smartphone=7000)],
        [smart(c, "thôn 1") for c in ("00001", "00002")],
    )
    assert {c: r["ket_qua"] for c, r in run.communes().items()} == {"00001": "dat", "00002": "khong_dat"}
    assert len(run.csv("ket-qua-2024.csv")) == 50
    assert tier_row(run.output, "NTM nâng cao", "00001")["Kết quả chung"] == "dat"
    assert tier_row(run.output, "NTM nâng cao", "00002")["Kết quả chung"] == "khong_dat"
    assert overview_tier(run.output, "NTM nâng cao") == (2, 1, 1, 0, "01/02")
    assert [v["Mã xã"] for v in village_rows(run.output)] == ["00001", "00002"]


def test_a_batch_without_districts_has_no_district_file_or_heading(assess_rows):
    run = assess_rows([passing_commune("00001", huyen=None)], [smart("00001", "thôn 1")])
    assert not list((run.output / "2024").glob("huyen/*.xlsx"))
    book = summary_book(run.output)
    texts = {c for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)}
    assert "(không có huyện)" not in texts


# ---- province-wide ratios on the overview -----------------------------------------------------------------


def test_province_ratio_of_an_empty_numerator_column_is_blank(assess_rows):
    run = assess_rows(
        [passing_commune(c, dan_so_lao_dong_smartphone=None) for c in ("00001", "00002")],
        [smart(c, "thôn 1") for c in ("00001", "00002")],
    )
    row = overview_ratio(run.output, "8.2.a")
    assert (row["Tử số"], row["Tỷ lệ"]) == (None, None)  # blank, not 0 %
    assert row["Ngưỡng"] in (0.8, "≥ 80%")


def test_province_ratio_sums_numerators_and_denominators(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", dan_so_lao_dong=100, dan_so_lao_dong_smartphone=90, dan_so_lao_dong_ky_nang_so=70),
            passing_commune("00002", dan_so_lao_dong=10000, dan_so_lao_dong_smartphone=7000),
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002")],
    )
    row = overview_ratio(run.output, "8.2.a")
    assert (row["Tử số"], row["Mẫu số"]) == (7090, 10100)
    assert row["Tỷ lệ"] == pytest.approx(7090 / 10100)  # not the mean of 90 % and 70 %


def test_province_ratio_leaves_out_a_commune_without_its_numerator(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", dan_so_lao_dong=1000, dan_so_lao_dong_smartphone=800),
            passing_commune("00002", dan_so_lao_dong=1000, dan_so_lao_dong_smartphone=None),
        ],
        [smart(c, "thôn 1") for c in ("00001", "00002")],
    )
    assert overview_ratio(run.output, "8.2.a")["Tỷ lệ"] == pytest.approx(0.8)


def test_a_long_wording_in_the_catalog_never_makes_a_row_taller_than_excel_allows(tmp_path):
    """A department may write a long wording; the rows sized from it stop at Excel's 409 points."""
    wording = "Tỷ lệ người dùng điện thoại thông minh " * 60  # about 2,300 characters
    schemas = catalog_copy(tmp_path, "8.2.a", "label", f'"{wording.strip()}"')
    run_with(schemas, tmp_path, [passing_commune("00001")], [passing_village("00001")])
    book = summary_book(tmp_path / "output")
    tallest = {ws.title: max([0, *(d.height or 0 for d in ws.row_dimensions.values())]) for ws in book.worksheets}
    # 409 points, as Excel stores it (408.75); uncapped they would be hundreds of points more
    assert tallest["Tổng hợp"] == tallest["NTM nâng cao"] == pytest.approx(409, abs=0.5)
    made = template.generate(2024, tmp_path / "template", schemas=schemas)
    blank = openpyxl.load_workbook(made.written[0])
    assert max(d.height or 0 for ws in blank.worksheets for d in ws.row_dimensions.values()) == pytest.approx(
        409, abs=0.5
    )
