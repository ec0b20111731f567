"""The catalogs are data: a new period, its tiers and a threshold per group of communes need no code."""

import shutil

from conftest import REPO, passing_commune, passing_village, read_csv, write_workbook

from pipeline.catalog import criteria_files, load_columns
from pipeline.run import run

NEW_PERIOD = """
period = "2026-2030"
years = [2026, 2030]
title = "Thử: bộ tiêu chí 2026-2030"

[[tiers]]
key = "xa_ntm"
label = "Xã NTM"
label_en = "New-rural"
sheet = "Xã NTM"

[[tiers]]
key = "hien_dai"
label = "Xã NTM hiện đại"
label_en = "Modern"
sheet = "Xã NTM hiện đại"

[[indicators]]
id = "7.1"
tier = "xa_ntm"
kind = "ratio"
numerator = "dan_so_lao_dong_smartphone"
denominator = "dan_so_lao_dong"
threshold = 0.8
threshold_by = "nhom"
thresholds = { "gần đô thị" = 0.9, mien_nui = 0.6 }
label = "Tỷ lệ người dùng điện thoại thông minh"
label_en = "Smartphone users"
"""

GROUP_COLUMN = """
[[columns]]
key = "nhom"
sheet = "Xa"
label = "Nhóm xã"
label_en = "Commune group"
type = "text"
"""


def test_shipped_catalog_matches_criteria_md():
    (criteria,) = criteria_files()
    assert criteria.period == "2021-2025"
    ind = criteria.indicators
    assert list(criteria.tiers.index) == ["ntm", "nang_cao", "kieu_mau"]
    assert {t: len(criteria.indicators_of(t)) for t in criteria.tiers.index} == {
        "ntm": 4,
        "nang_cao": 25,
        "kieu_mau": 31,
    }
    assert {i: float(ind.at[i, "threshold"]) for i in ("8.2.a", "8.3.c", "15.2.e", "15.2.f", "15.2.k", "KM.1.d")} == {
        "8.2.a": 0.8,
        "8.3.c": 0.9,
        "15.2.e": 1.0,
        "15.2.f": 0.7,
        "15.2.k": 0.7,
        "KM.1.d": 0.7,
    }
    assert ind.loc[ind["not_applicable_when_zero"]].index.tolist() == ["15.2.l"]
    columns = load_columns()
    used = {c for cols in ind["columns"] for c in cols}
    assert used <= set(columns.table["key"])


def test_a_new_period_is_a_new_catalog_file(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", schemas)
    (schemas / "criteria-2026-2030.toml").write_text(NEW_PERIOD, encoding="utf-8")
    with (schemas / "columns.toml").open("a", encoding="utf-8") as f:
        f.write(GROUP_COLUMN)
    base = {"nam": 2026, "hang_dang_ky": "Xã NTM", "dan_so_lao_dong": 1000, "dan_so_lao_dong_smartphone": 850}
    xa = [
        passing_commune("00001", **base, nhom="Gần đô thị"),  # 85 % < 90 %
        passing_commune("00002", **base | {"dan_so_lao_dong_smartphone": 650}, nhom="miền núi"),  # 65 % >= 60 %
        passing_commune("00003", **base),  # no group: the default 80 %
        passing_commune("00004"),  # 2024: still the 2021-2025 catalog
    ]
    thon = [passing_village(code) for code in ("00001", "00002", "00003", "00004")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, thon)
    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas)
    results = {(r["ma_xa"], r["chi_tieu"]): r for r in read_csv(tmp_path / "output" / "2026" / "ket-qua-2026.csv")}
    assert [(k, v["nguong"], v["ket_qua"]) for k, v in sorted(results.items())] == [
        (("00001", "7.1"), "0.9", "khong_dat"),
        (("00002", "7.1"), "0.6", "dat"),
        (("00003", "7.1"), "0.8", "dat"),
    ]
    communes = {r["ma_xa"]: r for r in read_csv(tmp_path / "output" / "2026" / "xa-2026.csv")}
    assert communes["00002"]["hang_dang_ky"] == "xa_ntm"
    assert communes["00002"]["hang_cao_nhat_dat"] == "hien_dai"  # a tier with no indicators of its own yet
    assert sorted(outcome.years) == [2024, 2026]
    assert read_csv(tmp_path / "output" / "2024" / "xa-2024.csv")[0]["ket_qua"] == "dat"
