"""What a department changes is TOML only: a new indicator, a period with commune groups, a province's additions.

Each test copies the shipped catalogs, writes the change a department would
write, and assesses generated communes with it: no code changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import passing_commune, passing_village, write_workbook

from pipeline.catalog import SCHEMAS, CatalogError, load_catalogs
from pipeline.run import run

LAO_CAI = """
province = "Lào Cai"
period = "2021-2025"
title = "Điều kiện thôn thông minh bổ sung của tỉnh (ví dụ kiểm thử)"
source = "Hướng dẫn của Sở KH&CN tỉnh (số hiệu do Sở ghi)"

[[columns]]
key = "wifi_nha_van_hoa"
sheet = "Thon"
label = "Nhà văn hóa thôn có Wi-Fi miễn phí"
label_en = "Free Wi-Fi at the village cultural house"
type = "yesno"

[[indicators]]
id = "KM.1.e"
tier = "kieu_mau"
kind = "village_condition"
column = "wifi_nha_van_hoa"
part_of = "KM.1"
label = "Nhà văn hóa thôn có Wi-Fi miễn phí"
label_en = "Free Wi-Fi at the village cultural house"

[[tighten]]
id = "8.2.a"
threshold = 0.85
"""

GROUPS_2026 = """
period = "2026-2030"
years = [2026, 2030]
title = "Ví dụ kiểm thử: không phải chỉ tiêu thật của Quyết định 51/2025/QĐ-TTg"

[[tiers]]
key = "xa_ntm"
label = "Xã NTM"
label_en = "New-rural commune"
sheet = "Xã NTM"

[[indicators]]
id = "T.1"
tier = "xa_ntm"
kind = "ratio"
numerator = "dan_so_lao_dong_smartphone"
denominator = "dan_so_lao_dong"
threshold_by = "nhom_xa"
thresholds = { "1" = 0.9, "2" = 0.8, "3" = 0.6 }
label = "Tỷ lệ ví dụ theo nhóm xã"
label_en = "Example share by commune group"
"""

NEW_INDICATOR = """
[[indicators]]
id = "8.5"
tier = "ntm"
kind = "flag"
column = "co_diem_xuat_ban_pham"
label = "Chỉ tiêu ví dụ thêm vào bộ quốc gia"
label_en = "Example indicator added"
"""


@pytest.fixture
def schemas(tmp_path) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    return folder


def smart_commune(ma_xa: str, wifi: str | None, smartphone: int = 8500) -> tuple[dict, list[dict]]:
    xa = passing_commune(ma_xa, tier="kieu_mau", dan_so_lao_dong_smartphone=smartphone)
    thon = [
        passing_village(ma_xa, "thôn 1", wifi_nha_van_hoa=wifi),
        passing_village(ma_xa, "thôn 2", wifi_nha_van_hoa="Không", to_cong_nghe_so="Không"),
    ]
    return xa, thon


def test_a_province_file_adds_a_smart_village_condition_and_tightens_a_threshold(schemas, tmp_path):
    (schemas / "tinh-lao-cai.toml").write_text(LAO_CAI, encoding="utf-8")
    a, thon_a = smart_commune("00001", "Có")
    b, thon_b = smart_commune("00002", "Không")
    c, thon_c = smart_commune("00003", "Có", smartphone=8200)  # 82 %: met nationally, not at 85 %
    write_workbook(tmp_path / "input" / "a.xlsx", [a, b, c], thon_a + thon_b + thon_c)
    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas, quiet=True)
    results = outcome.years[2024].results.set_index(["ma_xa", "chi_tieu"])["ket_qua"]
    assert results[("00001", "KM.1.e")] == "dat"
    assert results[("00001", "KM.1")] == "dat"
    assert results[("00002", "KM.1.e")] == "khong_dat"
    assert results[("00002", "KM.1")] == "khong_dat"
    assert results[("00003", "8.2.a")] == "khong_dat"
    communes = outcome.years[2024].communes.set_index("ma_xa")["ket_qua"]
    assert communes.to_dict() == {"00001": "dat", "00002": "khong_dat", "00003": "khong_dat"}
    book = openpyxl.load_workbook(tmp_path / "output" / "2024" / "tong-hop-2024.xlsx", read_only=True)
    sources = [r[:2] for r in book["Nguồn"].iter_rows(values_only=True)]
    assert (
        "Chỉ tiêu bổ sung của tỉnh",
        "Điều kiện thôn thông minh bổ sung của tỉnh (ví dụ kiểm thử) (Hướng dẫn của Sở KH&CN tỉnh (số hiệu do Sở ghi))",
    ) in sources
    assert "ví dụ kiểm thử" in book["NTM kiểu mẫu"]["A2"].value
    # the national file is untouched: without the province file the same communes meet the model tier
    shutil.copy(SCHEMAS / "criteria-2021-2025.toml", schemas / "criteria-2021-2025.toml")
    (schemas / "tinh-lao-cai.toml").unlink()
    plain = run(tmp_path / "input", tmp_path / "plain", schemas=schemas, quiet=True)
    assert set(plain.years[2024].communes["ket_qua"]) == {"dat"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"threshold = 0.85": "threshold = 0.75"}, "thấp hơn ngưỡng quốc gia"),
        ({'period = "2021-2025"': 'period = "2031-2035"'}, "không phải giai đoạn nào"),
        ({'part_of = "KM.1"': 'part_of = "KM.9"'}, "part_of"),
        ({'column = "wifi_nha_van_hoa"': 'column = "wifi"'}, 'column "wifi" không có'),
        ({'province = "Lào Cai"\n': ""}, "thiếu province"),
    ],
)
def test_a_province_file_in_error_names_the_file_and_key(schemas, change, message):
    text = LAO_CAI
    for old, new in change.items():
        text = text.replace(old, new)
    (schemas / "tinh-lao-cai.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as raised:
        load_catalogs(schemas)
    assert "tinh-lao-cai.toml" in str(raised.value)


def test_a_new_indicator_of_an_existing_kind_is_toml_only(schemas, tmp_path):
    path = schemas / "criteria-2021-2025.toml"
    path.write_text(path.read_text(encoding="utf-8") + NEW_INDICATOR, encoding="utf-8")
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001", tier="ntm"), passing_commune("00002", tier="ntm", co_diem_xuat_ban_pham="Không")],
        [passing_village("00001", smart=False), passing_village("00002", smart=False)],
    )
    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas, quiet=True)
    results = outcome.years[2024].results.set_index(["ma_xa", "chi_tieu"])["ket_qua"]
    assert (results[("00001", "8.5")], results[("00002", "8.5")]) == ("dat", "khong_dat")


def test_a_period_with_its_own_tiers_and_thresholds_by_commune_group(schemas, tmp_path):
    (schemas / "criteria-2026-2030.toml").write_text(GROUPS_2026, encoding="utf-8")
    xa = [
        passing_commune(code, nam=2026, hang_dang_ky="Xã NTM", nhom_xa=group, dan_so_lao_dong_smartphone=n)
        for code, group, n in (("13456", "1", 8500), ("13474", "2", 8500), ("13483", "3", 6500), ("13489", None, 9900))
    ]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village(c["ma_xa"], smart=False) for c in xa])
    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas, quiet=True)
    results = outcome.years[2026].results.set_index("ma_xa")
    assert results["ket_qua"].to_dict() == {
        "13456": "khong_dat",  # 85 % < 90 % (group 1)
        "13474": "dat",  # 85 % >= 80 % (group 2)
        "13483": "dat",  # 65 % >= 60 % (group 3)
        "13489": "khong_danh_gia_duoc",  # no group: no threshold
    }
    missing = outcome.problems[(outcome.problems["ma_xa"] == "13489") & (outcome.problems["cot"] == "nhom_xa")]
    assert missing["muc_do"].tolist() == ["loi"]


def test_catalogs_without_any_period_stop_the_run_with_one_line(schemas):
    """A department's folder adds to the shipped catalogs: only shipped catalogs without a period have none."""
    (schemas / "criteria-2021-2025.toml").unlink()
    with pytest.raises(CatalogError, match="không có bộ chỉ tiêu nào"):
        load_catalogs(None, shipped=schemas)
