"""The department's own catalog folder (issue 22, item 7).

A department keeps its catalogs in `schemas/` where it runs the tool (or `--schemas DIR`),
read over the defaults shipped in the package.
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.catalog import SCHEMAS, catalog_files, criteria_files, department_folder, load_catalogs
from pipeline.cli import main

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
    own = here / "schemas"
    own.mkdir()
    shutil.copy(SCHEMAS / "columns.toml", own)
    (own / "tinh-ninh-binh.toml").write_text(NINH_BINH.format(period="2021-2025", id="8.2.a"), encoding="utf-8")
    (own / "criteria_2027.toml").write_text("", encoding="utf-8")  # a misspelt name: a run never reads it
    (own / "criteria-2026-2030.toml").write_text('period = "2026-2030"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["catalog", "check"])
    assert result.exit_code == 1
    shipped = str(SCHEMAS)  # outside the working folder: shown in full
    lines = result.output.splitlines()
    assert lines[0] == "Thư mục danh mục của Sở: schemas"
    assert lines[1].startswith("  schemas/columns.toml: hợp lệ — ")
    assert lines[2:6] == [
        "  schemas/criteria-2026-2030.toml: years: thiếu years; ví dụ years = [2026, 2030]",
        "  schemas/tinh-ninh-binh.toml: chưa kiểm tra được vì lỗi ở tệp khác — "
        "schemas/criteria-2026-2030.toml: years: thiếu years; ví dụ years = [2026, 2030]",
        "  schemas/criteria_2027.toml: không phải tệp danh mục (columns.toml, criteria-*.toml, tinh-*.toml), "
        "chương trình không đọc",
        f"Danh mục kèm chương trình: {shipped}",
    ]
    assert lines[6:] == [
        f"  {shipped}/criteria-2021-2025.toml: hợp lệ — 31 chỉ tiêu, các hạng: NTM, NTM nâng cao, NTM kiểu mẫu, "
        "năm 2021–2025",
        f"  {shipped}/columns.toml: không dùng, thay bằng schemas/columns.toml của Sở",
    ]
    assert "  schemas/criteria-2026-2030.toml: years: thiếu years" in result.stderr  # a refusal is an error line
    other = CliRunner().invoke(main, ["catalog", "check", "--schemas", str(here / "input")])
    assert other.exit_code == 2  # --schemas names a folder that exists
    (here / "khac").mkdir()
    other = CliRunner().invoke(main, ["catalog", "check", "--schemas", "khac"])
    assert other.exit_code == 0, other.output
    assert other.output.splitlines()[:2] == ["Thư mục danh mục của Sở: khac", f"Danh mục kèm chương trình: {shipped}"]
