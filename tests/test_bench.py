"""The benchmark's own measures: the cells it counts in written workbooks, the write floor, and its corpora."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from pipeline.checking import units

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench.py as a module (a script, not a package); registered so its workers can unpickle tasks."""
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench"]


def test_the_cell_counter_counts_cells_with_a_value_in_every_sheet_of_every_workbook(bench, tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "tong-hop.xlsx"))
    sheet = book.add_worksheet("Xa")
    sheet.write_string(0, 0, "Xã Mường Lát")
    sheet.write_number(0, 1, 12)
    sheet.write_formula(0, 2, "=B1*2")
    sheet.write_blank(0, 3, None, book.add_format({"border": 1}))  # a format, no value: not a cell written
    sheet.conditional_format("A1:D9", {"type": "blanks", "format": book.add_format({"bold": True})})
    book.add_worksheet("Thon").write_row(4, 0, [1, "thôn 1", 3.5])
    book.close()
    (tmp_path / "huyen").mkdir()
    inline = xlsxwriter.Workbook(str(tmp_path / "huyen" / "a.xlsx"), {"constant_memory": True})  # <is> strings
    inline.add_worksheet().write_row(0, 0, ["Đạt", "Không đạt"])
    inline.close()
    (tmp_path / "xa-2025.csv").write_text("ma_xa\n14845\n", encoding="utf-8")

    assert bench.count_cells(tmp_path) == (3 + 3 + 2, 2)


def test_the_write_floor_writes_as_many_cells_as_asked_one_workbook_per_process(bench, tmp_path):
    bench.write_floor(1001, tmp_path, 2)
    assert bench.count_cells(tmp_path) == (1001, 2)


def _listed(plan) -> list[tuple[str, str, str]]:
    """(folder, code, name) of every commune of a corpus plan."""
    return [(folder, code, name) for folder, district, communes in plan for _, code, name in communes]


def test_the_province_shape_is_the_largest_province_s_communes_under_their_real_codes(bench):
    plan = bench.reform_plan("province")
    communes = _listed(plan)
    listed = units.national_list().loc[[code for _, code, _ in communes]]
    assert len(communes) == 147  # Thanh Hóa's: no province has 150 communes since 1 July 2025
    assert [name for _, _, name in communes] == listed["ten"].tolist()
    assert set(listed["loai"]) == {"xã"} and set(listed["ten_tinh"]) == {"Thanh Hóa"}
    assert [(folder, district) for folder, district, _ in plan] == [("38-thanh-hoa", None)]
    assert len(_listed(bench.reform_plan("province", limit=3))) == 3


def test_the_nation_shape_is_every_commune_of_the_34_provinces_a_folder_each(bench):
    plan = bench.reform_plan("nation")
    communes = _listed(plan)
    listed = units.national_list().loc[[code for _, code, _ in communes]]
    assert len(communes) == len({code for _, code, _ in communes}) == 2621
    assert [name for _, _, name in communes] == listed["ten"].tolist()
    assert set(listed["loai"]) == {"xã"}
    assert len(plan) == 34 and {district for _, district, _ in plan} == {None}
    folders = {folder: set(listed["ma_tinh"][[f == folder for f, _, _ in communes]]) for folder, _, _ in plan}
    assert all(len(provinces) == 1 for provinces in folders.values())


def test_a_tiny_nation_is_written_one_workbook_per_commune_of_2025_without_district(bench, tmp_path):
    corpus = bench.Corpus("nation", "nation", 2025, bench.reform_plan("nation", limit=1))
    villages = bench.generate(tmp_path, corpus)
    files = sorted(tmp_path.rglob("*.xlsx"))
    assert len(files) == 34 and villages == bench.villages_of(corpus)
    keys = [key for key, _, _ in bench._columns()["Xa"]]
    folder, _, [(_, code, name)] = corpus.groups[0]
    row = CalamineWorkbook.from_path(str(tmp_path / folder / f"xa-{code}.xlsx")).get_sheet_by_name("Xa").to_python()[3]
    assert (row[keys.index("ma_xa")], row[keys.index("ten_xa")]) == ("00376", "Xã Sóc Sơn") == (code, name)
    assert (row[keys.index("huyen")], row[keys.index("nam")]) == ("", 2025)


def test_sizes_are_numbers_of_communes_or_shapes_by_name_shapes_first(bench):
    assert bench.ordered(["3000", "nation", "300", "province"]) == ["province", "nation", "300", "3000"]
    assert [c.communes for c in map(bench.corpus, ["300", "province"])] == [300, 147]
    with pytest.raises(Exception, match="provinces"):
        bench.size_arg("provinces")
