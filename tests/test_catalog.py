"""The catalogs are data: a new period, its tiers and a threshold per group of communes need no code."""

import json
import shutil
import subprocess
from fractions import Fraction

import click
import pytest
from click.testing import CliRunner
from conftest import REPO, passing_commune, passing_village, read_csv, write_workbook

from pipeline.catalog import (
    COLUMN_KEYS,
    KIND_KEYS,
    KINDS,
    SCHEMAS,
    CatalogError,
    criteria_files,
    load_catalogs,
    load_columns,
    load_criteria,
)
from pipeline.cli import main
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
    shutil.copytree(REPO / "pipeline" / "schemas", schemas)
    (schemas / "criteria-2026-2030.toml").write_text(NEW_PERIOD, encoding="utf-8")
    with (schemas / "columns.toml").open("a", encoding="utf-8") as f:
        f.write(GROUP_COLUMN)
    base = {"nam": 2026, "hang_dang_ky": "Xã NTM", "dan_so_lao_dong": 1000, "dan_so_lao_dong_smartphone": 850}
    xa = [
        passing_commune("13456", **base, nhom="Gần đô thị"),  # 85 % < 90 %
        passing_commune("13474", **base | {"dan_so_lao_dong_smartphone": 650}, nhom="miền núi"),  # 65 % >= 60 %
        passing_commune("13483", **base),  # no group: the default 80 %
        passing_commune("13489"),  # 2024: still the 2021-2025 catalog
    ]
    thon = [passing_village(code) for code in ("13456", "13474", "13483", "13489")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, thon)
    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas)
    results = {(r["ma_xa"], r["chi_tieu"]): r for r in read_csv(tmp_path / "output" / "2026" / "ket-qua-2026.csv")}
    assert [(k, v["nguong"], v["ket_qua"]) for k, v in sorted(results.items())] == [
        (("13456", "7.1"), "0.9", "khong_dat"),
        (("13474", "7.1"), "0.6", "dat"),
        (("13483", "7.1"), "0.8", "dat"),
    ]
    communes = {r["ma_xa"]: r for r in read_csv(tmp_path / "output" / "2026" / "xa-2026.csv")}
    assert communes["13474"]["hang_dang_ky"] == "xa_ntm"
    assert communes["13474"]["hang_cao_nhat_dat"] == "hien_dai"  # a tier with no indicators of its own yet
    assert sorted(outcome.years) == [2024, 2026]
    assert read_csv(tmp_path / "output" / "2024" / "xa-2024.csv")[0]["ket_qua"] == "dat"


# ---- faults a department may write: each one stops at load, naming the file and the key ----------------------

CRITERIA = "schemas/criteria-2026-2030.toml"
HEAD = 'period = "2026-2030"\nyears = [2026, 2030]\n'
TIER = '[[tiers]]\nkey = "xa_ntm"\nlabel = "Xã NTM"\nlabel_en = "New-rural"\nsheet = "Xã NTM"\n'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def ind(key, kind, /, **fields) -> str:
    """One [[indicators]] entry of the first tier; a field set to None is left out."""
    entry = {"id": key, "tier": "xa_ntm", "kind": kind, "label": f"Chỉ tiêu {key}", "label_en": f"Indicator {key}"}
    entry |= fields
    return "[[indicators]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items() if v is not None)


FLAG = ind("7.0", "flag", column="co_diem_buu_chinh")
RATIO = {"numerator": "dan_so_lao_dong_smartphone", "denominator": "dan_so_lao_dong", "threshold": 0.8}
SMART = ind("7.5", "smart_village", threshold=1)
CONDITION = ind("7.5.a", "village_condition", column="to_cong_nghe_so", part_of="7.5")


def catalog(*indicators: str, head: str = HEAD, tiers: str = TIER) -> str:
    return "\n".join([head, tiers, FLAG, *indicators])


FAULTS = {
    # kinds and the keys each needs
    "unknown kind": (catalog(ind("7.1", "tile", column="co_diem_buu_chinh")), 'chỉ tiêu "7.1"', 'kind "tile" không có'),
    "no kind": (catalog(ind("7.1", None, column="co_diem_buu_chinh")), 'chỉ tiêu "7.1"', "thiếu kind"),
    "flag without column": (catalog(ind("7.1", "flag")), 'chỉ tiêu "7.1"', "thiếu column"),
    "ratio without denominator": (
        catalog(ind("7.1", "ratio", **RATIO | {"denominator": None})),
        'chỉ tiêu "7.1"',
        "thiếu denominator",
    ),
    "ratio without threshold": (
        catalog(ind("7.1", "ratio", **RATIO | {"threshold": None})),
        'chỉ tiêu "7.1"',
        "thiếu threshold",
    ),
    "ratio with threshold_by but no thresholds": (
        catalog(ind("7.1", "ratio", **RATIO, threshold_by="huyen")),
        'chỉ tiêu "7.1"',
        "thiếu thresholds",
    ),
    "all_villages without threshold": (
        catalog(ind("7.1", "all_villages", column="co_loa_hoat_dong")),
        'chỉ tiêu "7.1"',
        "thiếu threshold",
    ),
    "village_condition without column or ratio": (
        catalog(SMART, ind("7.5.a", "village_condition", part_of="7.5")),
        'chỉ tiêu "7.5.a"',
        "thiếu column",
    ),
    "village_condition ratio without threshold": (
        catalog(
            SMART,
            ind(
                "7.5.a",
                "village_condition",
                part_of="7.5",
                numerator="so_nguoi_vneid",
                denominator="so_nguoi_smartphone",
            ),
        ),
        'chỉ tiêu "7.5.a"',
        "thiếu threshold",
    ),
    "village_condition with both forms": (
        catalog(
            SMART,
            ind(
                "7.5.a",
                "village_condition",
                part_of="7.5",
                column="to_cong_nghe_so",
                numerator="so_nguoi_vneid",
                denominator="so_nguoi_smartphone",
                threshold=0.7,
            ),
        ),
        'chỉ tiêu "7.5.a"',
        "column không dùng cùng numerator",
    ),
    "smart_village without threshold": (
        catalog(ind("7.5", "smart_village"), CONDITION),
        'chỉ tiêu "7.5"',
        "thiếu threshold",
    ),
    "earlier_year without column": (catalog(ind("7.1", "earlier_year")), 'chỉ tiêu "7.1"', "thiếu column"),
    "a key the kind does not use": (
        catalog(ind("7.1", "flag", column="co_diem_buu_chinh", threshold=1)),
        'chỉ tiêu "7.1"',
        "kind flag không dùng threshold",
    ),
    # column references: in the column catalog, on the kind's sheet, of the kind's type
    "column not in the column catalog": (
        catalog(ind("7.1", "flag", column="co_wifi")),
        'chỉ tiêu "7.1"',
        'column "co_wifi" không có trong danh mục cột schemas/columns.toml',
    ),
    "numerator not in the column catalog": (
        catalog(ind("7.1", "ratio", **RATIO | {"numerator": "so_thue_bao"})),
        'chỉ tiêu "7.1"',
        'numerator "so_thue_bao" không có',
    ),
    "threshold_by not in the column catalog": (
        catalog(ind("7.1", "ratio", **RATIO, threshold_by="nhom", thresholds={"miền núi": 0.6})),
        'chỉ tiêu "7.1"',
        'threshold_by "nhom" không có',
    ),
    "ratio on a village column": (
        catalog(ind("7.1", "ratio", **RATIO | {"denominator": "so_nguoi_smartphone"})),
        'chỉ tiêu "7.1"',
        'denominator "so_nguoi_smartphone" là cột trang Thon; kind ratio cần cột trang Xa',
    ),
    "all_villages on a commune column": (
        catalog(ind("7.1", "all_villages", column="co_diem_buu_chinh", threshold=1)),
        'chỉ tiêu "7.1"',
        'column "co_diem_buu_chinh" là cột trang Xa; kind all_villages cần cột trang Thon',
    ),
    "village_condition on a commune column": (
        catalog(SMART, ind("7.5.a", "village_condition", column="co_diem_buu_chinh", part_of="7.5")),
        'chỉ tiêu "7.5.a"',
        "kind village_condition cần cột trang Thon",
    ),
    "requires on a village column": (
        catalog(ind("7.1", "all_villages", column="co_loa_hoat_dong", threshold=1, requires="co_loa_hoat_dong")),
        'chỉ tiêu "7.1"',
        'requires "co_loa_hoat_dong" là cột trang Thon',
    ),
    "flag on a count": (
        catalog(ind("7.1", "flag", column="tong_so_ho")),
        'chỉ tiêu "7.1"',
        'column "tong_so_ho" là cột kiểu count; kind flag cần cột kiểu yesno',
    ),
    "requires a count": (
        catalog(ind("7.1", "all_villages", column="co_loa_hoat_dong", threshold=1, requires="tong_so_ho")),
        'chỉ tiêu "7.1"',
        'requires "tong_so_ho" là cột kiểu count; kind all_villages cần cột kiểu yesno',
    ),
    "ratio of yes/no columns": (
        catalog(ind("7.1", "ratio", **RATIO | {"numerator": "co_diem_buu_chinh"})),
        'chỉ tiêu "7.1"',
        'numerator "co_diem_buu_chinh" là cột kiểu yesno; kind ratio cần cột kiểu count',
    ),
    "earlier_year on a count": (
        catalog(ind("7.1", "earlier_year", column="tong_so_ho")),
        'chỉ tiêu "7.1"',
        "kind earlier_year cần cột kiểu year",
    ),
    # thresholds
    "threshold written as a percentage": (
        catalog(ind("7.1", "ratio", **RATIO | {"threshold": 80})),
        'chỉ tiêu "7.1"',
        "threshold = 80: cần tỷ lệ từ 0 đến 1",
    ),
    "negative threshold": (
        catalog(ind("7.1", "all_villages", column="co_loa_hoat_dong", threshold=-0.1)),
        'chỉ tiêu "7.1"',
        "threshold = -0.1",
    ),
    "threshold as text": (
        catalog(ind("7.1", "ratio", **RATIO | {"threshold": "80%"})),
        'chỉ tiêu "7.1"',
        'threshold = "80%"',
    ),
    "a group threshold outside 0-1": (
        catalog(ind("7.1", "ratio", **RATIO, threshold_by="huyen", thresholds={"miền núi": 1.5})),
        'chỉ tiêu "7.1"',
        'thresholds."miền núi" = 1.5',
    ),
    "two groups spelled alike": (
        catalog(ind("7.1", "ratio", **RATIO, threshold_by="huyen", thresholds={"miền núi": 0.6, "Mien nui": 0.5})),
        'chỉ tiêu "7.1"',
        'nhóm "Mien nui" trùng với "miền núi"',
    ),
    "smart_village threshold as a share": (
        catalog(ind("7.5", "smart_village", threshold=0.5), CONDITION),
        'chỉ tiêu "7.5"',
        "threshold = 0.5: cần số thôn tối thiểu",
    ),
    "not_applicable_when_zero as text": (
        catalog(ind("7.1", "ratio", **RATIO, not_applicable_when_zero="có")),
        'chỉ tiêu "7.1"',
        "not_applicable_when_zero",
    ),
    # ids, tiers, part_of
    "duplicate indicator id": (
        catalog(ind("7.0", "flag", column="mc_camera")),
        'chỉ tiêu "7.0" ([[indicators]] thứ 2)',
        "id trùng với [[indicators]] thứ 1",
    ),
    "id as a number": (catalog(ind(7.1, "flag", column="mc_camera")), "[[indicators]] thứ 2", "id 7.1: cần mã"),
    "indicator without label": (catalog(ind("7.1", "flag", column="mc_camera", label=None)), '"7.1"', "thiếu label"),
    "tier not in [[tiers]]": (
        catalog(ind("7.1", "flag", column="mc_camera", tier="hien_dai")),
        'chỉ tiêu "7.1"',
        'tier "hien_dai" không có trong [[tiers]]',
    ),
    "duplicate tier key": (
        catalog(tiers=TIER + TIER.replace('"Xã NTM"', '"Xã NTM hiện đại"')),
        'hạng "xa_ntm" ([[tiers]] thứ 2)',
        "key trùng với [[tiers]] thứ 1",
    ),
    "duplicate tier sheet": (
        catalog(
            tiers=TIER
            + TIER.replace("xa_ntm", "hien_dai")
            .replace("New-rural", "Modern")
            .replace('label = "Xã NTM"', 'label = "Hiện đại"')
        ),
        'hạng "hien_dai" ([[tiers]] thứ 2)',
        'sheet "Xã NTM" trùng',
    ),
    "two tiers written alike": (
        catalog(
            tiers=TIER
            + TIER.replace('key = "xa_ntm"', 'key = "hien_dai"').replace('label = "Xã NTM"', 'label = "XA NTM"')
        ),
        'hạng "hien_dai" ([[tiers]] thứ 2)',
        'label "XA NTM" viết giống hạng ở [[tiers]] thứ 1',
    ),
    "no tiers": (catalog(tiers=""), "[[tiers]]", "không có hạng nào"),
    "no indicators": (HEAD + TIER, "[[indicators]]", "không có chỉ tiêu nào"),
    "part_of an unknown indicator": (
        catalog(SMART, ind("7.5.a", "village_condition", column="to_cong_nghe_so", part_of="7.9")),
        'chỉ tiêu "7.5.a"',
        'part_of "7.9" không phải id',
    ),
    "part_of an indicator that is not a smart village": (
        catalog(SMART, CONDITION, ind("7.5.b", "village_condition", column="kenh_mang_xa_hoi", part_of="7.0")),
        'chỉ tiêu "7.5.b"',
        "cần một chỉ tiêu kind smart_village",
    ),
    "smart village without conditions": (
        catalog(SMART),
        'chỉ tiêu "7.5"',
        "cần ít nhất một chỉ tiêu village_condition",
    ),
    # period and years
    "no period": (catalog(head="years = [2026, 2030]\n"), "period", "thiếu tên giai đoạn"),
    "no years": (catalog(head='period = "2026-2030"\n'), "years", "thiếu years"),
    "one year": (catalog(head='period = "2026-2030"\nyears = [2026]\n'), "years", "[2026]: cần hai năm"),
    "years as text": (catalog(head='period = "x"\nyears = ["2026", "2030"]\n'), "years", "cần hai năm"),
    "years reversed": (catalog(head='period = "x"\nyears = [2030, 2026]\n'), "years", "năm đầu lớn hơn năm cuối"),
    "not TOML": (HEAD + "[[tiers]\n", "lỗi cú pháp TOML ở dòng 3, cột 8", "dấu nháy kép thẳng"),
}


@pytest.fixture
def schemas(tmp_path, monkeypatch):
    """A schemas/ folder with the shipped column catalog and no criteria file; paths shown relative to it."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "schemas"
    folder.mkdir()
    shutil.copy(REPO / "pipeline" / "schemas" / "columns.toml", folder)
    return folder


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_criteria_file_is_refused_naming_file_and_key(schemas, fault):
    text, where, what = FAULTS[fault]
    (schemas / "criteria-2026-2030.toml").write_text(text, encoding="utf-8")
    for load in (lambda: load_criteria(schemas / "criteria-2026-2030.toml"), lambda: criteria_files(schemas)):
        with pytest.raises(CatalogError) as caught:
            load()
        message = str(caught.value)
        assert message.startswith(f"{CRITERIA}: "), message
        assert where in message and what in message, message
        assert "\n" not in message


def test_every_kind_written_right_loads(schemas):
    text = catalog(
        ind("7.1", "ratio", **RATIO, threshold_by="huyen", thresholds={"miền núi": 0.6}, not_applicable_when_zero=True),
        ind("7.2", "all_villages", column="co_loa_hoat_dong", requires="co_dai_truyen_thanh", threshold=1),
        ind("7.3", "earlier_year", column="nam_dat_nang_cao"),
        SMART,
        CONDITION,
        ind("7.5.b", "village_condition", numerator="so_nguoi_vneid", denominator="so_nguoi_smartphone", threshold=0.7),
    )
    (schemas / "criteria-2026-2030.toml").write_text(text, encoding="utf-8")
    (criteria,) = criteria_files(schemas)
    assert set(criteria.indicators["kind"]) == set(KINDS)
    assert criteria.indicators.at["7.1", "thresholds"] == {"miền núi": Fraction(3, 5)}


def test_every_kind_declares_its_keys_and_columns():
    for kind in KINDS.values():
        for form in kind.forms:
            assert set(form.needs + form.may) <= set(KIND_KEYS)
            assert set(form.needs + form.may) & set(COLUMN_KEYS) <= set(kind.columns)
        assert set(kind.columns) <= set(COLUMN_KEYS)


def test_the_column_catalog_may_be_given(tmp_path):
    path = tmp_path / "criteria-2026-2030.toml"
    path.write_text(catalog(ind("7.1", "flag", column="co_wifi")), encoding="utf-8")
    columns = tmp_path / "cot.toml"
    columns.write_text(
        (REPO / "pipeline" / "schemas" / "columns.toml").read_text(encoding="utf-8") + WIFI, encoding="utf-8"
    )
    assert len(load_criteria(path, columns).indicators) == 2
    assert len(load_criteria(path, load_columns(columns)).indicators) == 2
    with pytest.raises(CatalogError, match='column "co_wifi" không có'):
        load_criteria(path)  # no columns.toml beside it: the shipped one


WIFI = """
[[columns]]
key = "co_wifi"
sheet = "Xa"
label = "Có Wi-Fi miễn phí"
label_en = "Free Wi-Fi"
type = "yesno"
"""


def test_two_periods_may_not_share_a_year(schemas):
    (schemas / "criteria-2021-2025.toml").write_text(catalog(head='period = "a"\nyears = [2021, 2025]\n'), "utf-8")
    (schemas / "criteria-2025-2030.toml").write_text(catalog(head='period = "b"\nyears = [2025, 2030]\n'), "utf-8")
    with pytest.raises(CatalogError) as caught:
        criteria_files(schemas)
    assert str(caught.value) == (
        "schemas/criteria-2025-2030.toml: years: 2025–2030 trùng với 2021–2025 của schemas/criteria-2021-2025.toml; "
        "mỗi năm chỉ thuộc một bộ chỉ tiêu, hãy sửa years của một trong hai tệp"
    )
    (schemas / "criteria-2025-2030.toml").write_text(catalog(head='period = "a"\nyears = [2026, 2030]\n'), "utf-8")
    with pytest.raises(CatalogError, match=r"criteria-2025-2030.toml: period: \"a\" trùng với"):
        criteria_files(schemas)


# ---- columns.toml ------------------------------------------------------------------------------------------------

COLUMN_FAULTS = {
    "duplicate key on a sheet": (
        '[[columns]]\nkey = "tong_so_ho"\nsheet = "Xa"\nlabel = "Hộ"\nlabel_en = "Households"\ntype = "count"\n',
        'cột "tong_so_ho"',
        "key trùng với [[columns]] thứ",
    ),
    "unknown type": (
        '[[columns]]\nkey = "so_tram"\nsheet = "Xa"\nlabel = "Số trạm"\nlabel_en = "Stations"\ntype = "number"\n',
        'cột "so_tram"',
        'type "number" không có; các kiểu hợp lệ: ma, text, year, count, yesno, tier',
    ),
    "unknown sheet": (
        '[[columns]]\nkey = "so_tram"\nsheet = "Huyen"\nlabel = "Số trạm"\nlabel_en = "Stations"\ntype = "count"\n',
        'cột "so_tram"',
        'sheet "Huyen" không có; các trang hợp lệ: Xa, Thon',
    ),
    "year without max": (
        '[[columns]]\nkey = "nam_lap"\nsheet = "Xa"\nlabel = "Năm"\nlabel_en = "Year"\ntype = "year"\nmin = 2000\n',
        'cột "nam_lap"',
        "kiểu year cần max",
    ),
    "year range reversed": (
        '[[columns]]\nkey = "nam_lap"\nsheet = "Xa"\nlabel = "Năm"\nlabel_en = "Year"\ntype = "year"\n'
        "min = 2030\nmax = 2000\n",
        'cột "nam_lap"',
        "min = 2030 lớn hơn max = 2000",
    ),
    "no label_en": (
        '[[columns]]\nkey = "so_tram"\nsheet = "Xa"\nlabel = "Số trạm"\ntype = "count"\n',
        'cột "so_tram"',
        "thiếu label_en",
    ),
    "not TOML": ("[[columns]\n", "lỗi cú pháp TOML ở dòng", ", cột 10; hãy kiểm tra"),
}


@pytest.mark.parametrize("fault", sorted(COLUMN_FAULTS))
def test_a_faulty_column_catalog_is_refused_naming_file_and_key(schemas, fault):
    text, where, what = COLUMN_FAULTS[fault]
    path = schemas / "columns.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_columns(path)
    message = str(caught.value)
    assert message.startswith("schemas/columns.toml: "), message
    assert where in message and what in message, message


ROLE_FAULTS = {  # (what is written in place of the shipped entry's lines, the message)
    "no column of a role": (
        ('key = "hang_dang_ky"\nsheet = "Xa"\nrole = "tier"', 'key = "hang"\nsheet = "Xa"'),
        '[[columns]]: thiếu cột role = "tier" (hạng đăng ký: key = "hang_dang_ky", trang Xa, kiểu tier); '
        "chương trình cần nó",
    ),
    "the column without its role": (
        ('role = "tier"\n', ""),
        'cột "hang_dang_ky" ([[columns]] thứ 5): thiếu role = "tier": chương trình đọc cột này làm hạng đăng ký; '
        'hãy thêm dòng role = "tier"',
    ),
    "a role on another key": (
        ('key = "hang_dang_ky"', 'key = "hang"'),
        'cột "hang" ([[columns]] thứ 5): role "tier": chương trình và các tệp kết quả đọc hạng đăng ký '
        'ở key = "hang_dang_ky"; hãy để key này',
    ),
    "a role of another type": (
        (
            'role = "tier"\nlabel = "Hạng đăng ký"\nlabel_en = "Registered tier"\ntype = "tier"',
            'role = "tier"\nlabel = "Hạng đăng ký"\nlabel_en = "Registered tier"\ntype = "text"',
        ),
        'cột "hang_dang_ky" ([[columns]] thứ 5): type "text": chương trình đọc cột này như kiểu tier; '
        'hãy để type = "tier"',
    ),
    "a role on the wrong sheet": (
        ('key = "ten_thon"\nsheet = "Thon"\nrole = "village"', 'key = "ten_thon"\nsheet = "Thon"\nrole = "name"'),
        'cột "ten_thon" ([[columns]] thứ 39): role "name" (tên xã) chỉ dùng ở trang Xa, không ở trang Thon',
    ),
    "a role twice": (
        ('key = "huyen"\nsheet = "Xa"\nrole = "area"', 'key = "huyen"\nsheet = "Xa"\nrole = "name"'),
        'cột "huyen" ([[columns]] thứ 3): role "name" trùng với [[columns]] thứ 2 trên trang Xa; mỗi vai trò một cột',
    ),
    "an unknown role": (
        ('role = "area"', 'role = "district"'),
        'cột "huyen" ([[columns]] thứ 3): role "district" không có; các vai trò hợp lệ: '
        "code, name, area, year, tier, group, village",
    ),
}


@pytest.mark.parametrize("fault", sorted(ROLE_FAULTS))
def test_the_column_catalog_declares_the_roles_the_code_reads(schemas, fault):
    (shipped, written), message = ROLE_FAULTS[fault]
    path = schemas / "columns.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(shipped) == 1
    path.write_text(text.replace(shipped, written), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_columns(path)
    assert str(caught.value) == f"schemas/columns.toml: {message}"


def test_the_group_role_may_be_left_out(schemas):
    path = schemas / "columns.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('role = "group"\n', ""), encoding="utf-8")
    assert "nhom_xa" in set(load_columns(path).table["key"])


def test_a_run_checks_the_department_s_column_catalog(schemas):
    path = schemas / "columns.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('role = "code"\n', "", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=r'^schemas/columns.toml: cột "ma_xa" \(\[\[columns\]\] thứ 1\): thiếu role'):
        load_catalogs(schemas)


def test_the_column_catalog_keeps_its_yes_and_no_apart(schemas):
    path = schemas / "columns.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('yes = ["có"', 'yes = ["không", "có"'), encoding="utf-8")
    with pytest.raises(CatalogError, match=r'columns.toml: \[values\]: "không" có ở cả yes và no'):
        load_columns(path)


# ---- `catalog check`, `make catalog`, and a run that stops before reading ----------------------------------------


def test_the_shipped_catalogs_pass_catalog_check(monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["catalog", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Thư mục danh mục của Sở: schemas"  # the project's schemas/ holds only its README
    assert lines[1] == "Danh mục kèm chương trình: pipeline/schemas"
    assert lines[2].startswith("  pipeline/schemas/columns.toml: hợp lệ — ")
    assert (
        "  pipeline/schemas/criteria-2021-2025.toml: hợp lệ — 31 chỉ tiêu, "
        "các hạng: NTM, NTM nâng cao, NTM kiểu mẫu, năm 2021–2025" in lines
    )
    (criteria,) = criteria_files()
    assert criteria.title == "Bộ tiêu chí xã NTM giai đoạn 2021–2025 (QĐ 318/QĐ-TTg, QĐ 319/QĐ-TTg)"


def test_catalog_check_says_which_files_are_valid(schemas):
    shutil.copy(REPO / "pipeline" / "schemas" / "criteria-2021-2025.toml", schemas)
    good, bad = schemas / "criteria-2026-2030.toml", schemas / "criteria-2031-2035.toml"
    good.write_text(catalog(), encoding="utf-8")
    bad.write_text(catalog(ind("7.1", "tile"), head='period = "2031-2035"\nyears = [2031, 2035]\n'), "utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["catalog", "check", str(good)])
    assert result.exit_code == 0
    assert result.output == f"{CRITERIA}: hợp lệ — 1 chỉ tiêu, các hạng: Xã NTM, năm 2026–2030\n"
    result = runner.invoke(main, ["catalog", "check", "schemas/columns.toml", str(good), str(bad)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith(CRITERIA)
    assert result.stderr.startswith(
        'schemas/criteria-2031-2035.toml: chỉ tiêu "7.1" ([[indicators]] thứ 2): kind "tile"'
    )
    overlapping = schemas / "criteria-2025-2026.toml"
    overlapping.write_text(catalog(head='period = "p"\nyears = [2025, 2026]\n'), encoding="utf-8")
    result = runner.invoke(main, ["catalog", "check", str(overlapping)])
    assert result.exit_code == 1
    assert "criteria-2025-2026.toml: years: 2025–2026 trùng với 2021–2025 của schemas/criteria-2021-2025.toml" in (
        result.stderr
    )
    result = runner.invoke(main, ["catalog", "check", "schemas/khong-co.toml"])
    assert result.exit_code == 1
    assert result.stderr.startswith("schemas/khong-co.toml: không đọc được tệp danh mục")


def test_catalog_check_takes_a_column_catalog(schemas, tmp_path):
    path = schemas / "criteria-2026-2030.toml"
    path.write_text(catalog(ind("7.1", "flag", column="co_wifi")), encoding="utf-8")
    (tmp_path / "cot.toml").write_text((schemas / "columns.toml").read_text(encoding="utf-8") + WIFI, "utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["catalog", "check", str(path)]).exit_code == 1
    result = runner.invoke(main, ["catalog", "check", "--columns", "cot.toml", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 chỉ tiêu" in result.output


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_catalog_checks_the_files_given():
    listed = subprocess.run(["make", "-s", "-C", str(REPO)], capture_output=True, text=True, check=True).stdout
    assert "make catalog" in listed
    planned = subprocess.run(
        ["make", "-n", "-C", str(REPO), "catalog", "FILE=x.toml"], capture_output=True, text=True, check=True
    ).stdout
    assert "-m pipeline catalog check x.toml" in planned


def test_a_faulty_catalog_stops_the_run_before_any_file_is_read(schemas, tmp_path, monkeypatch):
    (schemas / "criteria-2026-2030.toml").write_text(catalog(ind("7.1", "flag", column="co_wifi")), "utf-8")
    write_workbook(tmp_path / "input" / "xa.xlsx", [passing_commune()], [passing_village()])

    def read_batch(*args, **kwargs):
        raise AssertionError("read a workbook with a faulty catalog")

    monkeypatch.setattr("pipeline.run.read_batch", read_batch)
    with pytest.raises(CatalogError, match=r'^schemas/criteria-2026-2030.toml: chỉ tiêu "7.1".*column "co_wifi"'):
        run(tmp_path / "input", tmp_path / "output", schemas=schemas)
    assert not (tmp_path / "output").exists()


ODD_VALUES = ([], ["co_diem_buu_chinh"], {}, {"a": 1}, 0, 2, 0.5, True, "", "x")


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_any_value_in_any_key_gives_a_catalog_error_or_loads(schemas, value):
    keys = ["id", "tier", "kind", "label", "column", "numerator", "threshold", "threshold_by", "thresholds", "part_of"]
    for key in keys:
        for text in (
            catalog(ind("7.1", "ratio", **RATIO | {key: value})),
            catalog(
                SMART,
                ind("7.5.a", "village_condition", column="to_cong_nghe_so", part_of="7.5") + "\n",
                ind("7.5.b", "village_condition", **{"column": "kenh_mang_xa_hoi", key: value}),
            ),
        ):
            (schemas / "criteria-2026-2030.toml").write_text(text, encoding="utf-8")
            try:
                criteria_files(schemas)
            except CatalogError as e:
                assert str(e).startswith(f"{CRITERIA}: ") and "\n" not in str(e)
    for key in ("period", "years", "title"):
        (schemas / "criteria-2026-2030.toml").write_text(
            catalog(head=HEAD.replace(f"{key} =", "_ =") + f"{key} = {toml_value(value)}\n"), encoding="utf-8"
        )
        try:
            criteria_files(schemas)
        except CatalogError as e:
            assert str(e).startswith(f"{CRITERIA}: ")
    columns = schemas / "columns.toml"
    shipped = columns.read_text(encoding="utf-8")
    for key in ("key", "sheet", "type", "label", "required", "min", "role"):
        entry = {"key": "so_tram", "sheet": "Xa", "label": "Trạm", "label_en": "Stations", "type": "year", "min": 1}
        entry |= {"max": 2030, key: value}
        columns.write_text(
            shipped + "\n[[columns]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items()), "utf-8"
        )
        try:
            load_columns(columns)
        except CatalogError as e:
            assert str(e).startswith("schemas/columns.toml: ")
    columns.write_text(shipped, encoding="utf-8")


def test_catalog_check_has_help_with_an_example():
    group = main.commands["catalog"]
    for command, name in ((group, "catalog"), (group.commands["check"], "catalog check")):
        assert "Ví dụ: python -m pipeline " + name in command.help
        assert CliRunner().invoke(main, [*name.split(), "--help"]).exit_code == 0
    assert all(option.help for option in group.commands["check"].params if isinstance(option, click.Option))


def test_the_sector_s_words_come_from_the_period(tmp_path):
    """[sector] of a criteria file is what the documents call the sector: nothing of it is in the code."""
    from docx import Document

    shipped = (SCHEMAS / "criteria-2021-2025.toml").read_text(encoding="utf-8")
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "columns.toml").write_bytes((SCHEMAS / "columns.toml").read_bytes())
    sector = 'name = "thông tin và truyền thông"\nshort = "TT&TT"'
    own = shipped.replace(sector, 'name = "chuyển đổi số"\nshort = "CĐS"')
    (folder / "criteria-2021-2025.toml").write_text(own, encoding="utf-8")
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], [passing_village("00001")])
    run(tmp_path / "input", tmp_path / "output", schemas=folder, workers=1, quiet=True)
    report = [p.text for p in Document(str(tmp_path / "output" / "2024" / "bao-cao-tham-dinh-2024.docx")).paragraphs]
    assert "Kết quả thẩm định các chỉ tiêu ngành chuyển đổi số đối với các xã đăng ký đạt chuẩn" in " ".join(report)
    assert any("các chỉ tiêu ngành chuyển đổi số (CĐS) năm 2024 như sau:" in line for line in report)
    assert not any("TT&TT" in line or "truyền thông" in line for line in report)
    sheets = [p.text for p in Document(str(tmp_path / "output" / "2024" / "phieu-tham-dinh-2024.docx")).paragraphs]
    assert "PHIẾU THẨM ĐỊNH CÁC CHỈ TIÊU NGÀNH CHUYỂN ĐỔI SỐ" in sheets
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "output" / "2024" / "tong-hop-2024.xlsx")
    assert book["Tổng hợp"]["A1"].value == "TỔNG HỢP KẾT QUẢ THẨM ĐỊNH CHỈ TIÊU NGÀNH CHUYỂN ĐỔI SỐ"
    assert book["NTM nâng cao"]["A1"].value.startswith("KẾT QUẢ THẨM ĐỊNH CHỈ TIÊU NGÀNH CHUYỂN ĐỔI SỐ — XÃ ĐĂNG KÝ")
    cells = [c for row in book["Tổng hợp"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(c.startswith("Viết tắt: CĐS: chuyển đổi số; NTM: nông thôn mới;") for c in cells)
    assert not any("TT&TT" in c or "TRUYỀN THÔNG" in c for c in cells)
    (folder / "criteria-2021-2025.toml").write_text(
        own.replace(
            sector.replace("thông tin và truyền thông", "chuyển đổi số").replace("TT&TT", "CĐS"), 'short = "CĐS"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match=r"\[sector\]: thiếu tên ngành in trong văn bản"):
        load_catalogs(folder)
    (folder / "criteria-2021-2025.toml").write_text(shipped.replace("[sector]\n" + sector, ""), encoding="utf-8")
    assert load_catalogs(folder)[1][0].sector_words() == ""  # without [sector], no sector is named
