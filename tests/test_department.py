"""The department's own catalog folder, and the 2026–2030 frame started from what is verified (issue 22, items 6-7).

A department keeps its catalogs in `schemas/` where it runs the tool (or `--schemas DIR`),
read over the defaults shipped in the package; `catalog new 2026-2030` writes there a
starter holding only what is verified of the period, which `catalog check` refuses,
naming what is missing, until the department has added the indicators of Annex I.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import textwrap
import tomllib
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import REPO, Run, passing_commune, passing_village, write_workbook

from pipeline import catalog
from pipeline.catalog import (
    SCHEMAS,
    CatalogError,
    catalog_files,
    check_files,
    criteria_files,
    department_folder,
    load_catalogs,
    load_columns,
    new_catalog,
)
from pipeline.cli import main
from pipeline.roles import ROLES
from pipeline.writing.template import TemplateError, generate

STARTER = "schemas/criteria-2026-2030.toml"
TODO = (
    '; hãy thêm các mục [[indicators]] theo {where}: id bắt đầu bằng số tiêu chí (ví dụ "7.1"), '
    "tier là một trong {tiers}; mục [[criteria]] hay [[tiers]] nào Sở không thẩm định thì xóa đi"
)
MISSING = (
    'chưa có chỉ tiêu nào của tiêu chí 7 "Khoa học, công nghệ và chuyển đổi số", tiêu chí 9 "Hành chính công", '
    'hạng "NTM", hạng "NTM hiện đại"'
    + TODO.format(
        where="Phụ lục I Quyết định 51/2025/QĐ-TTg (tiêu chí 7, tiêu chí 9, hạng NTM), "
        "Phụ lục II Quyết định 51/2025/QĐ-TTg (hạng NTM hiện đại)",
        tiers='"ntm", "hien_dai"',
    )
)
REFUSED = f"{STARTER}: [[indicators]]: {MISSING}"

INDICATOR = """
[[indicators]]
id = "7.1"
tier = "ntm"
kind = "ratio"
numerator = "dan_so_lao_dong_smartphone"
denominator = "dan_so_lao_dong"
threshold_by = "nhom_xa"
thresholds = {thresholds}
label = "Tỷ lệ thử theo nhóm xã"
label_en = "Test share by commune group"
"""

NINH_BINH = """
province = "Ninh Bình"
period = "{period}"
title = "Ngưỡng của tỉnh (ví dụ kiểm thử)"
source = "Hướng dẫn của Sở KH&CN tỉnh (số hiệu do Sở ghi)"

[[tighten]]
id = "{id}"
threshold = 0.85
"""


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """The folder the department runs the tool from; paths are shown relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def without(text: str, *entries: str) -> str:
    """The file with these entries deleted (each from its header to the blank line after it), as a department would."""
    for entry in entries:
        text, found = re.subn(re.escape(entry) + r"\n(?:.+\n)*", "", text)
        assert found == 1, entry
    return text


def finished(path: Path, thresholds: str = "{ 1 = 0.9, 2 = 0.8, 3 = 0.6 }") -> Path:
    """The starter with one indicator of criterion 7, criterion 9 and the pilot tier deleted."""
    text = without(path.read_text(encoding="utf-8"), '[[criteria]]\nid = "9"', '[[tiers]]\nkey = "hien_dai"')
    path.write_text(text + INDICATOR.replace("{thresholds}", thresholds), encoding="utf-8")
    return path


# ---- item 6: the 2026–2030 frame, with nothing invented -----------------------------------------------------------


def test_the_starter_holds_what_is_verified_and_no_indicator(here):
    path = new_catalog("2026-2030")
    assert path == Path(STARTER)
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert (data["period"], data["years"]) == ("2026-2030", [2026, 2030])
    (basis,) = data["legal_bases"]
    assert (basis["number"], basis["date"], basis["issuer"]) == (
        "51/2025/QĐ-TTg",
        dt.date(2025, 12, 29),
        "Thủ tướng Chính phủ",
    )
    assert "hiệu lực từ\n# 15/02/2026" in text
    tiers = [(t["key"], t["label"], t["basis"], t["source"]) for t in data["tiers"]]
    assert tiers == [
        ("ntm", "NTM", ["51/2025/QĐ-TTg"], "Phụ lục I Quyết định 51/2025/QĐ-TTg"),
        ("hien_dai", "NTM hiện đại", ["51/2025/QĐ-TTg"], "Phụ lục II Quyết định 51/2025/QĐ-TTg"),
    ]
    assert data["commune_groups"] == {
        "1": "xã liền kề đô thị hiện hữu, hoặc có tỷ trọng nông nghiệp dưới 10 % trong cơ cấu kinh tế, "
        "hoặc là đô thị mới",
        "2": "xã không thuộc nhóm 1 và nhóm 3",
        "3": "xã khu vực II, III thuộc vùng đồng bào dân tộc thiểu số và miền núi",
    }
    assert "các dự thảo năm 2025 đánh số nhóm theo thứ tự ngược lại" in text
    assert [(c["id"], c["name"]) for c in data["criteria"]] == [
        ("7", "Khoa học, công nghệ và chuyển đổi số"),
        ("9", "Hành chính công"),
    ]
    assert "indicators" not in data
    # the commented example writes thresholds by group on the commune-group column of the column catalog
    assert '# threshold_by = "nhom_xa"' in text
    assert "# thresholds = { 1 = ???, 2 = ???, 3 = ??? }" in text
    group = load_columns().of("Xa").loc[ROLES.group]
    assert (group["label"], group["type"], group["required"]) == ("Nhóm xã", "text", False)
    assert catalog.starter_periods() == ["2026-2030"]


def test_catalog_check_names_what_is_missing_until_the_readme_steps_are_done(here):
    path = new_catalog("2026-2030")
    assert check_files([path]) == [(path, False, REFUSED)]
    # step 2 of the README: its example indicator
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n( *\[\[indicators\]\]\n.*?)```", readme, re.S)
    assert example, "the README lost its example indicator"
    path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(example.group(1)), encoding="utf-8")
    left = 'chưa có chỉ tiêu nào của tiêu chí 9 "Hành chính công", hạng "NTM hiện đại"' + TODO.format(
        where="Phụ lục I Quyết định 51/2025/QĐ-TTg (tiêu chí 9), "
        "Phụ lục II Quyết định 51/2025/QĐ-TTg (hạng NTM hiện đại)",
        tiers='"ntm", "hien_dai"',
    )
    assert check_files([path]) == [(path, False, f"{STARTER}: [[indicators]]: {left}")]
    # ... and what the department does not appraise deleted
    text = without(path.read_text(encoding="utf-8"), '[[criteria]]\nid = "9"', '[[tiers]]\nkey = "hien_dai"')
    path.write_text(text, encoding="utf-8")
    assert check_files([path]) == [(path, True, f"{STARTER}: hợp lệ — 1 chỉ tiêu, các hạng: NTM, năm 2026–2030")]
    notes: list[str] = []
    _, periods = load_catalogs(department_folder(), unfinished=notes)
    assert (notes, [c.period for c in periods]) == ([], ["2021-2025", "2026-2030"])
    by_group = periods[1].indicators.at["7.1", "thresholds"]
    assert by_group == {"1": Fraction(9, 10), "2": Fraction(4, 5), "3": Fraction(3, 5)}


@pytest.mark.parametrize(
    ("thresholds", "fault"),
    [
        ("{ 1 = 0.9, 2 = 0.8, 4 = 0.6 }", 'thresholds: nhóm "4" không có trong [commune_groups] (1, 2, 3)'),
        (
            "{ 1 = 0.9, 2 = 0.8 }",
            "thresholds thiếu nhóm 3; hãy ghi ngưỡng cho mọi nhóm của [commune_groups] (1, 2, 3)",
        ),
    ],
)
def test_thresholds_by_commune_group_name_every_group_of_the_period(here, thresholds, fault):
    path = finished(new_catalog("2026-2030"), thresholds)
    assert check_files([path]) == [(path, False, f'{STARTER}: chỉ tiêu "7.1" ([[indicators]] thứ 1): {fault}')]
    # with a default threshold, a group left out takes it
    text = path.read_text(encoding="utf-8").replace("\nthresholds =", "\nthreshold = 0.7\nthresholds =")
    path.write_text(text, encoding="utf-8")
    assert check_files([path])[0][1] is (thresholds == "{ 1 = 0.9, 2 = 0.8 }")


def test_catalog_new_never_writes_over_a_file(here):
    path = new_catalog("2026-2030")
    edited = path.read_text(encoding="utf-8") + "# Sở đã sửa\n"
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        new_catalog("2026-2030")
    assert str(caught.value) == (
        f"{STARTER}: đã có tệp này, không ghi đè; hãy sửa tiếp tệp đó rồi chạy catalog check "
        "(muốn bắt đầu lại thì đổi tên hoặc xóa nó trước)"
    )
    assert path.read_text(encoding="utf-8") == edited
    with pytest.raises(CatalogError, match=r'^Không có tệp khởi đầu cho giai đoạn "2031-2035" \(có: 2026-2030\)'):
        new_catalog("2031-2035")
    assert new_catalog("2026-2030", Path("so")) == Path("so/criteria-2026-2030.toml")  # --schemas DIR, created


def test_a_2026_batch_before_the_starter_is_completed_still_has_no_catalog(here):
    """One run through the CLI, with --schemas: 2024 is assessed, 2026 keeps "no catalog for this year"."""
    made = CliRunner().invoke(main, ["catalog", "new", "2026-2030", "--schemas", "so"])
    assert made.exit_code == 0, made.output
    assert made.output.splitlines() == [
        "đã ghi so/criteria-2026-2030.toml",
        "Việc còn lại — " + REFUSED.replace("schemas/", "so/"),
        "Sửa tệp, rồi kiểm tra: python -m pipeline catalog check so/criteria-2026-2030.toml",
    ]
    xa = [
        passing_commune("00001", tier="ntm"),
        passing_commune("13456", tier="ntm", ten_xa="Xã Liêm Hà", huyen=None, nam=2026, nhom_xa="1"),
    ]
    write_workbook(here / "input" / "a.xlsx", xa, [passing_village(c["ma_xa"], smart=False) for c in xa])
    run = Run(here / "input", here / "output", "--schemas", "so")
    assert run.exit_code == 3, run.result.output
    assert run.result.stderr.splitlines()[0] == (
        "Lưu ý: bỏ qua so/criteria-2026-2030.toml: bộ chỉ tiêu 2026-2030 chưa hoàn thành, "
        f"các năm 2026–2030 chưa được đánh giá ({MISSING})"
    )
    assert "Năm 2026: chưa có bộ chỉ tiêu, các xã chưa được đánh giá" in run.result.stdout
    assert [(r["ma_xa"], r["ket_qua"]) for r in run.communes(2026).values()] == [("13456", "khong_danh_gia_duoc")]
    rows = [(p["trang"], p["o"], p["muc_do"], p["mo_ta"]) for p in run.problems(2026) if p["ma_xa"] == "13456"]
    assert [row[:3] for row in rows] == [("Xa", "D5", "loi")]
    assert rows[0][3].startswith("Không có bộ chỉ tiêu cho năm đánh giá này")
    assert [(r["ma_xa"], r["ket_qua"]) for r in run.communes(2024).values()] == [("00001", "dat")]
    sources = openpyxl.load_workbook(here / "output" / "2026" / "tong-hop-2026.xlsx", read_only=True)["Nguồn"]
    facts = [value for row in sources.iter_rows(values_only=True) for value in row if isinstance(value, str)]
    assert "Chưa có bộ chỉ tiêu cho năm 2026: các xã được liệt kê, chưa được đánh giá" in facts


def test_an_unfinished_period_is_left_out_with_its_province_files(here):
    new_catalog("2026-2030")
    (here / "schemas" / "tinh-ninh-binh.toml").write_text(NINH_BINH.format(period="2026-2030", id="7.1"), "utf-8")
    notes: list[str] = []
    _, periods = load_catalogs(department_folder(), unfinished=notes)
    assert [c.period for c in periods] == ["2021-2025"]
    assert notes == [
        f"bỏ qua {STARTER}: bộ chỉ tiêu 2026-2030 chưa hoàn thành, các năm 2026–2030 chưa được đánh giá ({MISSING})",
        "bỏ qua schemas/tinh-ninh-binh.toml: tệp của giai đoạn 2026-2030, giai đoạn chưa hoàn thành",
    ]
    assert check_files([Path("schemas/tinh-ninh-binh.toml")]) == [
        (
            Path("schemas/tinh-ninh-binh.toml"),
            False,
            "schemas/tinh-ninh-binh.toml: chưa kiểm tra được vì bộ chỉ tiêu 2026-2030 chưa hoàn thành",
        )
    ]
    with pytest.raises(TemplateError) as caught:  # the template of such a year is refused, and says why
        generate(2026, here / "output", schemas=department_folder())
    assert str(caught.value).splitlines()[1:] == notes
    assert not (here / "output").exists()


# ---- item 7: the department's own folder --------------------------------------------------------------------------


def test_the_department_folder_is_schemas_where_the_tool_runs(here):
    assert department_folder() is None  # an installed tool run from any folder: the shipped catalogs alone
    assert department_folder(Path("khac")) == Path("khac")
    (here / "schemas").mkdir()
    assert department_folder() == Path("schemas")
    assert load_catalogs(department_folder())[1][0].source == SCHEMAS / "criteria-2021-2025.toml"


def test_a_department_file_replaces_the_shipped_one_and_a_province_file_adds_to_it(here):
    own = here / "schemas"
    own.mkdir()
    shipped = (SCHEMAS / "criteria-2021-2025.toml").read_text(encoding="utf-8")
    title = 'title = "Bộ tiêu chí xã NTM giai đoạn 2021–2025 (QĐ 318/QĐ-TTg, QĐ 319/QĐ-TTg)"'
    assert title in shipped
    (own / "criteria-2021-2025.toml").write_text(shipped.replace(title, 'title = "Bản của Sở"'), encoding="utf-8")
    (own / "tinh-ninh-binh.toml").write_text(NINH_BINH.format(period="2021-2025", id="8.2.a"), encoding="utf-8")
    files = catalog_files(department_folder())
    assert files == {
        "columns.toml": SCHEMAS / "columns.toml",
        "criteria-2021-2025.toml": Path("schemas/criteria-2021-2025.toml"),
        "tinh-ninh-binh.toml": Path("schemas/tinh-ninh-binh.toml"),
    }
    _, (period,) = load_catalogs(department_folder())
    assert period.title == "Bản của Sở"
    assert period.indicators.at["8.2.a", "threshold"] == Fraction(17, 20)
    assert period.overlays == ("Ngưỡng của tỉnh (ví dụ kiểm thử) (Hướng dẫn của Sở KH&CN tỉnh (số hiệu do Sở ghi))",)
    (national,) = criteria_files()  # the shipped file is untouched
    assert (national.title, national.indicators.at["8.2.a", "threshold"]) == (title[9:-1], Fraction(4, 5))


def test_catalog_check_lists_both_folders_and_which_file_is_whose(here):
    new_catalog("2026-2030")
    own = here / "schemas"
    shutil.copy(SCHEMAS / "columns.toml", own)
    (own / "tinh-ninh-binh.toml").write_text(NINH_BINH.format(period="2021-2025", id="8.2.a"), encoding="utf-8")
    (own / "criteria_2027.toml").write_text("", encoding="utf-8")  # a misspelt name: a run never reads it
    result = CliRunner().invoke(main, ["catalog", "check"])
    assert result.exit_code == 1
    shipped = str(SCHEMAS)  # outside the working folder: shown in full
    lines = result.output.splitlines()
    assert lines[0] == "Thư mục danh mục của Sở: schemas"
    assert lines[1].startswith("  schemas/columns.toml: hợp lệ — ")
    assert lines[2:6] == [
        f"  {REFUSED}",
        "  schemas/tinh-ninh-binh.toml: hợp lệ — tỉnh Ninh Bình, giai đoạn 2021-2025: thêm 0 chỉ tiêu, nâng 1 ngưỡng",
        "  schemas/criteria_2027.toml: không phải tệp danh mục (columns.toml, criteria-*.toml, tinh-*.toml), "
        "chương trình không đọc",
        f"Danh mục kèm chương trình: {shipped}",
    ]
    assert lines[6:] == [
        f"  {shipped}/criteria-2021-2025.toml: hợp lệ — 31 chỉ tiêu, các hạng: NTM, NTM nâng cao, NTM kiểu mẫu, "
        "năm 2021–2025",
        f"  {shipped}/columns.toml: không dùng, thay bằng schemas/columns.toml của Sở",
    ]
    assert f"  {REFUSED}\n" in result.stderr  # the refusal is an error line
    other = CliRunner().invoke(main, ["catalog", "check", "--schemas", str(here / "input")])
    assert other.exit_code == 2  # --schemas names a folder that exists
    (here / "khac").mkdir()
    other = CliRunner().invoke(main, ["catalog", "check", "--schemas", "khac"])
    assert other.exit_code == 0, other.output
    assert other.output.splitlines()[:2] == ["Thư mục danh mục của Sở: khac", f"Danh mục kèm chương trình: {shipped}"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_catalog_new_writes_the_starter_of_the_period_given():
    planned = subprocess.run(
        ["make", "-n", "-C", str(REPO), "catalog-new", "PERIOD=2026-2030", "SCHEMAS=so"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m pipeline catalog new 2026-2030 --schemas so" in planned
