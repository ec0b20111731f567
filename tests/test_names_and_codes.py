"""Names and codes as clerks type them, and the village rows a commune has or lacks.

A district spelled two ways or with a note pasted into it, a date, a number or TRUE where a name or a code
belongs, an invisible character inside a code, a code typed as a number; a commune with no village row, a
village whose code names no commune, the villages of a commune whose year or tier is bad. Checked and
assessed on frames, as `run` does after reading (no workbook, no writers), except where the file itself is
the subject: the district workbooks, the registration list.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import xlsxwriter
from conftest import Run, passing_commune, passing_village, said, write_workbook
from xlsxwriter.utility import xl_col_to_name

from pipeline import catalog
from pipeline.assessing.assess import assess
from pipeline.checking import registration
from pipeline.checking.validate import validate
from pipeline.parse import MAX_STEM, file_names, name_key, visible
from pipeline.presenting.messages import PROBLEMS
from pipeline.reading.read import FileRead, combine

COLUMNS, PERIODS = catalog.load_catalogs(catalog.SCHEMAS)
CRITERIA = PERIODS[0]
KEYS = {sheet: list(COLUMNS.of(sheet).index) for sheet in ("Xa", "Thon")}
VILLAGE_INDICATORS = ("8.2", "8.3.a", "8.3.b")


def cell(sheet: str, key: str, row: int = 4) -> str:
    """The cell of `key` in Excel row `row` of a sheet laid out in catalog order (as `sent` lays it)."""
    return f"{xl_col_to_name(KEYS[sheet].index(key))}{row}"


def villages(ma_xa="00001", n=3, **overrides) -> list[dict]:
    return [passing_village(ma_xa, f"thôn {i}", smart=False, **overrides) for i in range(1, n + 1)]


def sent(tep: str, xa: list[dict] | None, thon: list[dict] | None) -> FileRead:
    """One file as the reader gives it: its sheets (None: the file has no such sheet), data from row 4, every
    column of the catalog (a value None is an empty cell)."""
    sheets = {s: rows for s, rows in (("Xa", xa), ("Thon", thon)) if rows is not None}
    return FileRead(
        tep=tep,
        cells={s: [["" if r.get(k) is None else r[k] for k in KEYS[s]] for r in rows] for s, rows in sheets.items()},
        rows={s: list(range(4, 4 + len(rows))) for s, rows in sheets.items()},
        layouts=[(s, 0, {k: i for i, k in enumerate(KEYS[s])}) for s in sheets],
    )


def checked_and_assessed(*files: FileRead, registered=None):
    checked = validate(combine(list(files), COLUMNS, []), COLUMNS, PERIODS, registered)
    return checked, assess(checked.xa, checked.thon, CRITERIA)


def found(checked, *fields: str) -> list[tuple]:
    """Fields of every problem row, in order."""
    return [tuple(r) for r in checked.problems[list(fields)].itertuples(index=False)]


def results(assessed, ma_xa: str) -> dict[str, str]:
    rows = assessed.results[assessed.results["ma_xa"] == ma_xa]
    return dict(zip(rows["chi_tieu"], rows["ket_qua"], strict=True))


def outcome(assessed) -> dict[str, str]:
    return dict(zip(assessed.communes["ma_xa"], assessed.communes["ket_qua"], strict=True))


# -- file names of areas -----------------------------------------------------------------------------------------------


def test_a_district_name_is_its_slug_when_that_is_short_and_its_own():
    assert file_names(["huyện Kim Bảng", "thị xã Duy Tiên"]) == {
        "huyện Kim Bảng": "huyen-kim-bang",
        "thị xã Duy Tiên": "thi-xa-duy-tien",
    }


def test_file_names_are_short_different_and_the_same_in_every_run():
    note = "huyện Kim Bảng (đã sáp nhập, xem công văn số 123/UBND ngày 5/1/2024 " + "ghi chú " * 400 + ")"
    names = [note, note + " nữa", "Hòa", "Hóa", "CON", "???", "!!!", "huyện Kim Bảng"]
    stems = file_names(names)
    assert len(set(stems.values())) == len(names)
    assert all(len(s) <= MAX_STEM + 7 and s.isascii() and s == s.lower() for s in stems.values())
    assert stems["huyện Kim Bảng"] == "huyen-kim-bang"
    assert stems[note].startswith("huyen-kim-bang-da-sap-nhap-xem-cong-van-so-123ubnd-ngay-")
    assert stems["Hòa"].startswith("hoa-") and stems["Hóa"].startswith("hoa-")  # two places, two files
    assert stems["CON"].startswith("con-")  # "con.xlsx" cannot be made on Windows
    assert file_names(reversed(names)) == stems


@pytest.mark.parametrize(
    "other", ["huyện Hoà An", "Huyện Hòa an", "HUYỆN  HÒA AN ", "huye\u0302\u0323n Ho\u0300a An", "huyện Hòa\u00a0An"]
)
def test_spellings_of_one_name_have_one_key(other):
    assert name_key(other) == name_key("huyện Hòa An")


@pytest.mark.parametrize("other", ["huyện Hóa An", "huyện Hoa An", "huyện Hòa Ấn", "huyện Hòa An Bắc"])
def test_another_name_has_another_key(other):
    assert name_key(other) != name_key("huyện Hòa An")


def test_two_spellings_of_a_district_are_one_district_with_a_warning_on_the_cell_spelt_otherwise():
    xa = [
        passing_commune("00001", huyen="Huyện Hoà an"),
        passing_commune("00002", huyen="huyện Hòa An"),
        passing_commune("00003", huyen="huyện Hòa An"),
        passing_commune("00004", huyen="huyện Hóa An"),  # another district
    ]
    thon = [v for c in ("00001", "00002", "00003", "00004") for v in villages(c)]
    checked, result = checked_and_assessed(sent("a.xlsx", xa, thon))
    assert dict(zip(checked.xa["ma_xa"], checked.xa["huyen"], strict=True)) == {
        "00001": "huyện Hòa An",  # the most frequent spelling
        "00002": "huyện Hòa An",
        "00003": "huyện Hòa An",
        "00004": "huyện Hóa An",
    }
    assert found(checked, "tep", "trang", "o", "gia_tri", "muc_do", "ma_xa", "ma_loi") == [
        ("a.xlsx", "Xa", cell("Xa", "huyen"), "Huyện Hoà an", "canh_bao", "00001", "huyen-nhieu-cach-viet")
    ]
    assert said(checked.problems)[0] == (
        f"{PROBLEMS['huyen-nhieu-cach-viet']['vi']}: Huyện / thị xã / thành phố — xếp vào “huyện Hòa An”; "
        "các cách viết: “huyện Hòa An” (2 xã), “Huyện Hoà an” (1 xã)"
    )
    assert set(outcome(result).values()) == {"dat"}


def test_with_as_many_of_each_spelling_the_first_met_is_shown():
    xa = [passing_commune("00001", huyen="Huyện Kim bảng"), passing_commune("00002", huyen="huyện Kim Bảng")]
    checked, _ = checked_and_assessed(sent("a.xlsx", xa, villages("00001") + villages("00002")))
    assert checked.xa["huyen"].tolist() == ["Huyện Kim bảng", "Huyện Kim bảng"]
    assert found(checked, "o", "ma_loi") == [(cell("Xa", "huyen", 5), "huyen-nhieu-cach-viet")]


def test_a_run_with_a_note_in_a_district_cell_and_two_spellings_writes_every_commune_in_its_district_file(tmp_path):
    """Before: "File name too long" and no results; and the second spelling's file written over the first."""
    note = "huyện Kim Bảng - đã rà soát, số liệu đến 30/11, liên hệ anh Nam 0912345678 " * 10
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [
            passing_commune("00001", huyen="huyện Kim Bảng"),
            passing_commune("00002", huyen="Huyện Kim bảng"),
            passing_commune("00003", huyen="huyện Kim Bảng"),
            passing_commune("00004", huyen=note),
        ],
        [v for c in ("00001", "00002", "00003", "00004") for v in villages(c)],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 0, run.result.output
    assert {c: r["huyen"] for c, r in run.communes().items()} == {
        "00001": "huyện Kim Bảng",
        "00002": "huyện Kim Bảng",
        "00003": "huyện Kim Bảng",
        "00004": note.strip(),
    }
    ((row),) = run.problems()
    assert (row["o"], row["gia_tri"], row["muc_do"]) == (cell("Xa", "huyen", 5), "Huyện Kim bảng", "canh_bao")
    files = sorted(p.name for p in (tmp_path / "output" / "2024" / "huyen").iterdir())
    assert files[1] == "huyen-kim-bang.xlsx" and len(files) == 2
    assert files[0].startswith("huyen-kim-bang-da-ra-soat-") and len(files[0]) <= MAX_STEM + 7 + len(".xlsx")
    ws = openpyxl.load_workbook(tmp_path / "output" / "2024" / "huyen" / files[1], read_only=True)["NTM nâng cao"]
    codes = {c for row in ws.iter_rows(values_only=True) for c in row if c in ("00001", "00002", "00003", "00004")}
    assert codes == {"00001", "00002", "00003"}


def test_a_commune_that_sent_nothing_is_listed_under_the_district_as_the_workbooks_spell_it(tmp_path):
    listed = tmp_path / "dang-ky.csv"
    listed.write_text(
        "ma_xa,ten_xa,huyen,hang_dang_ky,nam\n00001,Xã 1,huyện Hòa An,nang_cao,2024\n"
        "00002,Xã 2,Huyện Hoà an,nang_cao,2024\n00003,Xã 3,huyện khác,nang_cao,2024\n",
        encoding="utf-8",
    )
    listed = registration.load(listed, COLUMNS, PERIODS)
    checked, _ = checked_and_assessed(sent("a.xlsx", [passing_commune("00001", huyen="huyện Hòa An")], villages()))
    reconciled, _ = registration.reconcile(checked, listed)
    assert dict(zip(reconciled.xa["ma_xa"], reconciled.xa["huyen"], strict=True)) == {
        "00001": "huyện Hòa An",
        "00002": "huyện Hòa An",
        "00003": "huyện khác",
    }


# -- a date, a number or TRUE where a name or a code belongs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2024, 1, 5), "05/01/2024"),
        (dt.datetime(2024, 1, 5, 7, 30), "05/01/2024 07:30"),
        (True, "TRUE"),
        (3.5, "3.5"),
    ],
)
def test_a_district_cell_that_is_no_name_is_reported_and_the_commune_kept(value, shown):
    checked, result = checked_and_assessed(sent("a.xlsx", [passing_commune("00001", huyen=value)], villages()))
    assert found(checked, "o", "gia_tri", "muc_do", "ma_xa", "ma_loi") == [
        (cell("Xa", "huyen"), shown, "loi", "00001", "sai-kieu")
    ]
    assert said(checked.problems)[0] == (
        "Ô ghi không đúng dạng: Huyện / thị xã / thành phố — "
        "cần chữ, không phải ngày tháng, số thập phân hay TRUE/FALSE"
    )
    assert outcome(result) == {"00001": "dat"}
    assert checked.xa["huyen"].isna().all()  # listed with no district


@pytest.mark.parametrize(("key", "sheet"), [("huyen", "Xa"), ("ten_xa", "Xa"), ("ten_thon", "Thon")])
def test_a_number_where_a_name_belongs_is_kept_as_its_digits_with_a_warning(key, sheet):
    xa = [passing_commune("00001", **({key: 12.0} if sheet == "Xa" else {}))]
    thon = villages() if sheet == "Xa" else villages()[:2] + [passing_village("00001", 12.0, smart=False)]
    checked, result = checked_and_assessed(sent("a.xlsx", xa, thon))
    row = 4 if sheet == "Xa" else 6
    assert found(checked, "trang", "o", "gia_tri", "muc_do", "ma_xa", "ma_loi") == [
        (sheet, cell(sheet, key, row), "12", "canh_bao", "00001", "ten-la-so")
    ]
    assert said(checked.problems)[0].endswith("— đã ghi là “12”")
    assert (checked.xa if sheet == "Xa" else checked.thon)[key].iat[-1] == "12"
    assert outcome(result) == {"00001": "dat"}


def test_a_group_typed_as_a_number_is_no_slip():
    checked, _ = checked_and_assessed(sent("a.xlsx", [passing_commune("00001", nhom_xa=2.0)], villages()))
    assert checked.problems.empty
    assert checked.xa["nhom_xa"].tolist() == ["2"]


@pytest.mark.parametrize(
    ("value", "shown"), [(True, "TRUE"), (dt.date(2024, 1, 5), "05/01/2024"), (640.5, "640.5"), (False, "FALSE")]
)
def test_a_code_cell_that_is_no_code_is_a_wrong_type_with_its_value_never_an_empty_cell(value, shown):
    xa = [passing_commune(value), passing_commune("00002")]
    checked, result = checked_and_assessed(sent("a.xlsx", xa, villages("00002")))
    assert found(checked, "o", "cot", "gia_tri", "muc_do", "ma_loi") == [("A4", "ma_xa", shown, "loi", "sai-kieu")]
    assert said(checked.problems)[0] == "Ô ghi không đúng dạng: Mã xã — cần mã gồm 5 chữ số"
    assert outcome(result)["00002"] == "dat"
    assert len(result.communes) == 2  # listed, not assessable


# -- invisible characters and lost zeros in codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("00\u200b001", "00<U+200B>001"),
        ("\ufeff00001", "<U+FEFF>00001"),
        ("00\u00a0001", "00<U+00A0>001"),
        ("00 001", "00 001"),
        ("0000\u200d1\u2060", "0000<U+200D>1<U+2060>"),
    ],
)
def test_an_invisible_character_inside_a_code_is_taken_out_with_a_warning_showing_it(typed, seen):
    thon = villages()[:2] + [passing_village(typed, "thôn 3", smart=False)]
    checked, result = checked_and_assessed(sent("a.xlsx", [passing_commune(typed)], thon))
    assert found(checked, "trang", "o", "cot", "muc_do", "ma_xa", "ma_loi") == [
        ("Xa", "A4", "ma_xa", "canh_bao", "00001", "ma-xa-ky-tu-an"),
        ("Thon", "A6", "ma_xa", "canh_bao", "00001", "ma-xa-ky-tu-an"),
    ]
    assert said(checked.problems)[0] == f"{PROBLEMS['ma-xa-ky-tu-an']['vi']}: Mã xã — ô ghi {seen}, đã đọc thành 00001"
    assert checked.problems["gia_tri"].iat[0] == seen
    assert outcome(result) == {"00001": "dat"}
    assert results(result, "00001")["8.3.a"] == "dat" and len(checked.thon) == 3


def test_a_code_that_stays_wrong_without_its_invisible_character_is_refused_showing_the_character():
    checked, _ = checked_and_assessed(sent("a.xlsx", [passing_commune("0001\u200bA")], None))
    assert found(checked, "o", "gia_tri", "muc_do", "ma_loi") == [("A4", "0001<U+200B>A", "loi", "sai-kieu")]


@pytest.mark.parametrize("typed", [1.0, 1, "1", "0001"])
def test_a_code_that_lost_its_zeros_is_restored_with_a_warning_naming_its_cell(typed):
    checked, result = checked_and_assessed(sent("a.xlsx", [passing_commune(typed)], villages()))
    assert found(checked, "trang", "o", "cot", "gia_tri", "muc_do", "ma_xa", "ma_loi") == [
        ("Xa", "A4", "ma_xa", str(typed).removesuffix(".0"), "canh_bao", "00001", "ma-xa-thieu-so-0")
    ]
    assert said(checked.problems)[0] == f"{PROBLEMS['ma-xa-thieu-so-0']['vi']}: Mã xã — đã đọc thành 00001"
    assert outcome(result) == {"00001": "dat"}


def test_visible_leaves_ordinary_text_alone():
    assert visible("Xã Hòa Bình 2") == "Xã Hòa Bình 2"
    assert visible("a\tb\u200bc\nd") == "a<U+0009>b<U+200B>c\nd"


# -- the villages a commune has or lacks -------------------------------------------------------------------------------


def test_a_commune_with_no_village_row_is_undecided_and_a_line_on_it_says_why():
    checked, result = checked_and_assessed(sent("a.xlsx", [passing_commune("00001")], None))
    assert found(checked, "tep", "trang", "o", "cot", "muc_do", "ma_xa", "ma_loi") == [
        ("a.xlsx", "Xa", "A4", "ma_xa", "loi", "00001", "khong-co-thon")
    ]
    assert said(checked.problems)[0] == (
        f"{PROBLEMS['khong-co-thon']['vi']}: Mã xã — năm 2024; chưa đánh giá được các chỉ tiêu 8.2, 8.3, 8.3.a, 8.3.b"
    )
    assert outcome(result) == {"00001": "khong_danh_gia_duoc"}
    assert {results(result, "00001")[i] for i in VILLAGE_INDICATORS} == {"khong_danh_gia_duoc"}
    assert results(result, "00001")["8.1"] == "dat"


def test_villages_in_another_file_are_the_communes_villages():
    checked, result = checked_and_assessed(
        sent("xa.xlsx", [passing_commune("00001")], None), sent("thon.xlsx", None, villages())
    )
    assert checked.problems.empty
    assert outcome(result) == {"00001": "dat"}


def test_a_village_whose_well_formed_code_names_no_commune_is_reported_and_leaves_the_others_alone():
    """Typed as a number too: its error is shown, not the warning that its zeros were put back."""
    thon = villages("00001") + [passing_village(9999.0, "thôn 9", smart=False, co_loa_hoat_dong="Không")]
    checked, result = checked_and_assessed(
        sent("a.xlsx", [passing_commune("00001"), passing_commune("00002")], thon + villages("00002"))
    )
    assert found(checked, "trang", "o", "gia_tri", "muc_do", "ma_xa", "ma_loi") == [
        ("Thon", "A7", "9999", "loi", "09999", "khong-co-xa")
    ]
    assert outcome(result) == {"00001": "dat", "00002": "dat"}


def test_a_village_whose_code_cannot_be_told_may_be_any_commune_of_its_file():
    thon = villages("00001") + [passing_village("0000x", "thôn 9", smart=False, co_loa_hoat_dong="Không")]
    checked, result = checked_and_assessed(
        sent("a.xlsx", [passing_commune("00001")], thon), sent("b.xlsx", [passing_commune("00002")], villages("00002"))
    )
    assert found(checked, "tep", "trang", "o", "muc_do", "ma_loi") == [
        ("a.xlsx", "Xa", "A4", "canh_bao", "thon-chua-du"),
        ("a.xlsx", "Thon", "A7", "loi", "sai-kieu"),
    ]
    assert outcome(result) == {"00001": "khong_danh_gia_duoc", "00002": "dat"}
    assert results(result, "00001")["8.3.a"] == "khong_danh_gia_duoc"


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"nam": "năm nay"}, ("Xa", cell("Xa", "nam"), "sai-kieu")),
        ({"hang_dang_ky": "NTM nâng cấp"}, ("Xa", cell("Xa", "hang_dang_ky"), "sai-kieu")),
        ({"hang_dang_ky": None}, ("Xa", cell("Xa", "hang_dang_ky"), "thieu-gia-tri")),
    ],
)
def test_the_village_cells_of_a_commune_whose_year_or_tier_is_bad_are_checked_in_the_same_run(bad, where):
    """One round of corrections fixes everything: the empty and the misspelt cells are reported now. A commune
    whose tier is unknown is checked against the lowest tier: no cell its tier may leave empty is called missing."""
    thon = villages()[:2] + [
        passing_village("00001", "thôn 3", smart=False, co_loa_hoat_dong=None, co_ho_xem_truyen_hinh="hỏng")
    ]
    checked, _ = checked_and_assessed(sent("a.xlsx", [passing_commune("00001", co_diem_buu_chinh=None) | bad], thon))
    assert set(found(checked, "trang", "o", "ma_loi")) == {
        where,
        ("Xa", cell("Xa", "co_diem_buu_chinh"), "thieu-gia-tri"),
        ("Thon", cell("Thon", "co_loa_hoat_dong", 6), "thieu-gia-tri"),
        ("Thon", cell("Thon", "co_ho_xem_truyen_hinh", 6), "sai-kieu"),
    }


# -- the registration list names the row Excel shows -----------------------------------------------------------------


def _list_workbook(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["DANH SÁCH XÃ ĐĂNG KÝ"])
    ws.write_row(2, 0, ["Mã xã", "Tên xã", "Năm đánh giá"])
    ws.write_row(3, 0, ["00001", "Xã Một", 2024])
    ws.write_row(5, 0, ["00002", "Xã Hai", 2024])  # row 5 left empty
    ws.write_row(7, 0, ["", "Xã Tám", 2024])  # Excel row 8, after two empty rows
    wb.close()


def _list_csv(path):
    path.write_text(
        "Mã xã;Tên xã;Năm đánh giá\n00001;Xã Một;2024\n\n00002;Xã Hai;2024\n;;\n\n0000x;Xã Bảy;2024\n", encoding="utf-8"
    )


@pytest.mark.parametrize(("make", "name", "row"), [(_list_workbook, "dang-ky.xlsx", 8), (_list_csv, "dang-ky.csv", 7)])
def test_a_message_about_the_registration_list_names_the_row_as_excel_shows_it(tmp_path, make, name, row):
    make(tmp_path / name)
    with pytest.raises(registration.RegistrationError) as refused:
        registration.load(tmp_path / name, COLUMNS, PERIODS)
    assert (
        str(refused.value)
        == f"{tmp_path / name}: dòng {row} thiếu hoặc sai mã xã (5 chữ số) hay năm; hãy sửa danh sách"
    )


def test_a_commune_that_sent_nothing_is_named_at_its_row_in_the_list(tmp_path):
    path = tmp_path / "dang-ky.csv"
    path.write_text("ma_xa,ten_xa,nam\n\n00001,Xã Một,2024\n\n\n00002,Xã Hai,2024\n", encoding="utf-8")
    checked, _ = checked_and_assessed(sent("a.xlsx", [passing_commune("00001")], villages()))
    _, lines = registration.reconcile(checked, registration.load(path, COLUMNS, PERIODS))
    assert [(p["tep"], p["o"], p["ma_xa"], p["ma_loi"]) for p in lines] == [
        ("dang-ky.csv", "A6", "00002", "chua-nop-ho-so")
    ]
