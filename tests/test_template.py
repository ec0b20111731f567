"""The blank template: generated from the catalogs, filled as a clerk would, read back by `assess`."""

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import Run, passing_commune, passing_village, write_workbook
from openpyxl.utils import get_column_letter

from pipeline.catalog import SHEETS, criteria_for, load_columns
from pipeline.cli import main
from pipeline.reading.read import MAX_ROWS, read_file
from pipeline.writing.template import FIRST_ROW, HEADER_ROW, INSTRUCTIONS

COLUMNS = load_columns()
CRITERIA = criteria_for(2024)
HEADER = HEADER_ROW + 1  # Excel row of the labels
FIRST = FIRST_ROW + 1  # Excel row of the first input row


def make(tmp_path: Path, *args: str, year: int = 2024):
    result = CliRunner().invoke(main, ["template", "--year", str(year), "--output", str(tmp_path / "out"), *args])
    assert result.exit_code == 0, result.output
    return result


def blank(tmp_path: Path) -> Path:
    make(tmp_path)
    path = tmp_path / "out" / "mau-nhap-lieu-2024.xlsx"
    assert path.is_file()
    return path


def as_typed(row: dict) -> dict:
    """What a clerk types: the tier's label from the drop-down, nothing in empty cells."""
    tiers = CRITERIA.tiers["label"]
    return {k: tiers.get(v, v) if k == "hang_dang_ky" else v for k, v in row.items() if v is not None}


def fill(ws, rows: list[dict], match: tuple[str, ...] = ()) -> None:
    """Type rows under the header, finding each column by its Vietnamese label as a clerk does.

    A row whose `match` columns equal a pre-filled row completes that row; others go below the last row.
    """
    key_of = {label: key for key, label in COLUMNS.of(ws.title)["label"].items()}
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if {c.value for c in r} >= set(key_of))
    col = {key_of[c.value]: c.column for c in header if c.value in key_of}
    below = range(header[0].row + 1, ws.max_row + 1)
    last = max([r for r in below if any(ws.cell(r, c).value is not None for c in col.values())], default=header[0].row)
    for row in rows:
        same = [r for r in below if match and all(ws.cell(r, col[k]).value == row[k] for k in match)]
        if same:
            at = same[0]
        else:
            last += 1
            at = last
        for key, value in as_typed(row).items():
            ws.cell(at, col[key], value)


def test_header_row_holds_the_labels_and_data_starts_below(tmp_path):
    path = blank(tmp_path)
    wb = openpyxl.load_workbook(path)
    for sheet in SHEETS:
        ws = wb[sheet]
        catalog = COLUMNS.of(sheet)
        assert [c.value for c in ws[HEADER]][: len(catalog)] == list(catalog["label"])
        assert [ws.cell(HEADER, i + 1).comment.text.splitlines()[0] for i in range(len(catalog))] == [
            f"Mã cột: {k}" for k in catalog.index
        ]
        assert ws["A1"].value and ws.cell(FIRST, 1).value is None
    fill(wb["Xa"], [passing_commune()])
    fill(wb["Thon"], [passing_village()])
    wb.save(path)
    read = read_file(path.parent, path, COLUMNS)
    assert read.problems == []
    assert list(read.rows["Xa"]) == [FIRST]
    assert list(read.rows["Thon"]) == [FIRST]
    letters = {(trang, cot): chu for _, trang, cot, chu, _ in read.letter_rows()}
    assert letters[("Xa", "ma_xa")] == "A"
    assert len(letters) == len(COLUMNS.table)


@pytest.mark.parametrize("tier", ["nang_cao", "kieu_mau"])
def test_filled_template_assesses_as_met(tmp_path, tier):
    path = blank(tmp_path)
    wb = openpyxl.load_workbook(path)
    fill(wb["Xa"], [passing_commune("01234", tier=tier)])
    fill(wb["Thon"], [passing_village("01234", "thôn 1"), passing_village("01234", "thôn 2", to_cong_nghe_so="Không")])
    folder = tmp_path / "input"
    folder.mkdir()
    wb.save(folder / "xa.xlsx")
    run = Run(folder, tmp_path / "result")
    assert run.exit_code == 0, run.result.output
    assert run.problems() == []
    commune = run.communes()["01234"]
    assert (commune["ket_qua"], commune["hang_dang_ky"], commune["hang_cao_nhat_dat"]) == ("dat", tier, tier)


def validation(ws, cell: str):
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, cell
    return found[0]


def first_of(sheet: str, kind: str) -> tuple[str, str, str]:
    """(key, label, column letter) of the sheet's first column of a kind."""
    catalog = COLUMNS.of(sheet)
    key = catalog.index[catalog["type"] == kind][0]
    return key, catalog.at[key, "label"], get_column_letter(list(catalog.index).index(key) + 1)


def test_validations_follow_the_catalog(tmp_path):
    wb = openpyxl.load_workbook(blank(tmp_path))
    xa = wb["Xa"]
    yes, no = (COLUMNS.yes[0].capitalize(), COLUMNS.no[0].capitalize())

    key, label, col = first_of("Xa", "yesno")
    dv = validation(xa, f"{col}{FIRST}")
    assert (dv.type, dv.formula1) == ("list", f'"{yes},{no}"')
    assert str(dv.sqref) == f"{col}{FIRST}:{col}{MAX_ROWS + 1}"
    assert dv.promptTitle == label[:32] and dv.prompt and dv.showInputMessage
    assert dv.error.startswith(label) and "Có hoặc Không" in dv.error and dv.showErrorMessage

    key, label, col = first_of("Xa", "count")
    dv = validation(xa, f"{col}{FIRST + 10}")
    assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert "số nguyên không âm" in dv.error
    unit = COLUMNS.of("Xa").at[key, "unit"]
    assert f"Đơn vị: {unit}" in dv.prompt

    key, label, col = first_of("Xa", "tier")
    dv = validation(xa, f"{col}{FIRST}")
    assert (dv.type, dv.formula1) == ("list", '"' + ",".join(CRITERIA.tiers["label"]) + '"')

    key, label, col = first_of("Xa", "year")
    row = COLUMNS.of("Xa").loc[key]
    dv = validation(xa, f"{col}{FIRST}")
    assert (dv.type, dv.operator or "between") == ("whole", "between")
    assert (dv.formula1, dv.formula2) == (str(int(row["min"])), str(int(row["max"])))
    assert f"từ {int(row['min'])} đến {int(row['max'])}" in dv.error

    key, label, col = first_of("Xa", "ma")
    dv = validation(xa, f"{col}{FIRST}")
    assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "5")
    assert column_style(xa, list(COLUMNS.of("Xa").index).index(key) + 1).number_format == "@"

    # the village sheet gets the same kinds of rules
    _, _, col = first_of("Thon", "yesno")
    assert validation(wb["Thon"], f"{col}{FIRST}").formula1 == f'"{yes},{no}"'
    _, _, col = first_of("Thon", "count")
    assert validation(wb["Thon"], f"{col}{FIRST}").type == "whole"
    # the header row itself carries no validation
    assert not [dv for dv in xa.data_validations.dataValidation if f"A{HEADER}" in dv.sqref]


def column_style(ws, i: int):
    """The format of column i (1-based) for cells not yet typed; openpyxl groups equal adjacent columns."""
    return next(d for d in ws.column_dimensions.values() if d.min <= i <= d.max)


def test_header_locked_input_unlocked_header_frozen(tmp_path):
    wb = openpyxl.load_workbook(blank(tmp_path))
    for sheet in SHEETS:
        ws = wb[sheet]
        catalog = COLUMNS.of(sheet)
        assert ws.protection.sheet is True
        assert not ws.protection.password
        assert ws.protection.formatColumns is False  # False means "allowed" in the file format
        last = get_column_letter(len(catalog))
        assert ws[f"A{HEADER}"].protection.locked and ws[f"{last}{HEADER}"].protection.locked
        assert ws["A1"].protection.locked
        for i in range(1, len(catalog) + 1):
            assert column_style(ws, i).protection.locked is False
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(FIRST))
        assert ws.row_dimensions[HEADER].height > 15  # wrapped labels stay readable
    assert wb[INSTRUCTIONS].protection.sheet is True


def test_instructions_document_every_column(tmp_path):
    ws = openpyxl.load_workbook(blank(tmp_path))[INSTRUCTIONS]
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if "Mã cột" in r)
    head = rows[at]
    table = []
    for r in rows[at + 1 :]:
        if r[0] is None:
            break
        table.append(dict(zip(head, r, strict=True)))
    assert [(r["Trang"], r["Mã cột"]) for r in table] == list(
        COLUMNS.table[["sheet", "key"]].itertuples(index=False, name=None)
    )
    for r, (_, c) in zip(table, COLUMNS.table.iterrows(), strict=True):
        assert r["Tên cột (tiêu đề trong biểu)"] == c["label"]
        assert r["Ý nghĩa"] and r["Kiểu dữ liệu, cách nhập"]
        assert (r["Đơn vị"] or "") == c["unit"]
    uses = {r["Mã cột"]: r["Chỉ tiêu sử dụng"] or "" for r in table}
    for ind_id, ind in CRITERIA.indicators.iterrows():
        for key in ind["columns"]:
            assert ind_id in uses[key].replace(" ", "").split(",") or any(
                part.startswith(f"{ind_id}(") for part in uses[key].replace(" ", "").split(",")
            ), (key, ind_id)
    indicators = {r[1] for r in rows[at + len(table) + 1 :] if r[1]}
    assert set(CRITERIA.indicators.index) <= indicators


def test_prefill_three_communes_from_a_csv(tmp_path):
    listing = tmp_path / "ds-xa.csv"
    listing.write_text(
        "ma_xa,ten_xa,huyen,hang_dang_ky\n"
        "01234,Xã Một,huyện Thử,NTM nâng cao\n"
        "1235,Xã Hai,huyện Thử,kieu_mau\n"
        "00777,Xã Ba,huyện Khác,NTM\n",
        encoding="utf-8-sig",
    )
    make(tmp_path, "--communes", str(listing))
    folder = tmp_path / "out" / "mau-nhap-lieu-2024"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["00777-xa-ba.xlsx", "01234-xa-mot.xlsx", "01235-xa-hai.xlsx"]
    expected = {
        "01234-xa-mot.xlsx": ("01234", "Xã Một", "huyện Thử", 2024, "NTM nâng cao"),
        "01235-xa-hai.xlsx": ("01235", "Xã Hai", "huyện Thử", 2024, "NTM kiểu mẫu"),
        "00777-xa-ba.xlsx": ("00777", "Xã Ba", "huyện Khác", 2024, "NTM"),
    }
    keys = ["ma_xa", "ten_xa", "huyen", "nam", "hang_dang_ky"]
    at = {k: list(COLUMNS.of("Xa").index).index(k) + 1 for k in keys}
    for name, values in expected.items():
        wb = openpyxl.load_workbook(folder / name)
        ws = wb["Xa"]
        assert tuple(ws.cell(FIRST, at[k]).value for k in keys) == values
        assert ws.cell(FIRST, at["ma_xa"]).data_type == "s"
        assert ws.cell(FIRST, at["ma_xa"]).protection.locked is False
        assert ws.cell(FIRST + 1, 1).value is None
        assert wb["Thon"].cell(FIRST, 1).value is None
        assert ws.protection.sheet is True

    make(tmp_path, "--communes", str(listing), "--per", "district")
    by_district = {p.name: p for p in folder.iterdir() if not p.name[0].isdigit()}
    assert sorted(by_district) == ["huyen-khac.xlsx", "huyen-thu.xlsx"]
    ws = openpyxl.load_workbook(by_district["huyen-thu.xlsx"])["Xa"]
    assert [ws.cell(r, at["ma_xa"]).value for r in (FIRST, FIRST + 1, FIRST + 2)] == ["01234", "01235", None]


def test_prefill_from_last_years_input_then_fill_and_assess(tmp_path):
    last_year = [passing_commune("00042", nam=2023), passing_commune("00043", nam=2023, huyen="huyện Khác")]
    villages = [passing_village("00042", "thôn A"), passing_village("00042", "thôn B", smart=False)]
    write_workbook(tmp_path / "2023" / "huyen.xlsx", last_year, villages + [passing_village("00043", "thôn C")])
    result = make(tmp_path, "--communes", str(tmp_path / "2023"))
    assert "00042" in result.output
    path = tmp_path / "out" / "mau-nhap-lieu-2024" / "00042-xa-00042.xlsx"
    wb = openpyxl.load_workbook(path)
    assert [(r[0], r[1]) for r in wb["Thon"].iter_rows(min_row=FIRST, max_col=2, values_only=True)] == [
        ("00042", "thôn A"),
        ("00042", "thôn B"),
    ]
    fill(wb["Xa"], [passing_commune("00042")], match=("ma_xa",))
    fill(wb["Thon"], villages, match=("ma_xa", "ten_thon"))
    folder = tmp_path / "input"
    folder.mkdir()
    wb.save(folder / path.name)
    run = Run(folder, tmp_path / "result")
    assert run.exit_code == 0, run.result.output
    assert run.problems() == []
    assert run.communes()["00042"]["ket_qua"] == "dat"


def test_year_outside_the_catalog_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["template", "--year", "2099", "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert "ngoài khoảng" in result.output
    assert not list(tmp_path.iterdir())


def test_year_without_criteria_is_refused_with_what_to_add(tmp_path):
    """A template for 2026 with no 2026–2030 catalog would carry the previous period's tiers: refused."""
    years = COLUMNS.of("Xa").loc[lambda t: (t["type"] == "year") & t["required"]].iloc[0]
    uncovered = next(y for y in range(int(years["min"]), int(years["max"]) + 1) if criteria_for(y) is None)
    result = CliRunner().invoke(main, ["template", "--year", str(uncovered), "--output", str(tmp_path / "out")])
    assert result.exit_code == 4  # the Makefile lets this code through: no "make: *** Error"
    assert result.stderr.startswith(f"Chưa có bộ chỉ tiêu cho năm {uncovered}")
    assert "Error" not in result.output
    assert "criteria-*.toml" in result.output
    assert not (tmp_path / "out" / f"mau-nhap-lieu-{uncovered}.xlsx").exists()


def test_the_printed_form_carries_its_title_and_the_commune_columns_on_every_page(tmp_path):
    ws = openpyxl.load_workbook(blank(tmp_path))["Xa"]
    assert ws.oddHeader.left.text.startswith("BIỂU NHẬP LIỆU CHỈ TIÊU NGÀNH THÔNG TIN VÀ TRUYỀN THÔNG")
    assert ws.oddHeader.left.text.endswith("NĂM 2024")
    assert (ws.print_title_rows, ws.print_title_cols) == ("$3:$3", "$A:$C")
    assert ws.print_area.endswith("$23")  # the header and 20 empty rows to write on, not 200,000
