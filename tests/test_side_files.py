"""The department's own files as Windows tools save them (issue 19, items 2 and 3): the settings, a province
file, the registration list, each from Notepad or Excel, and where the settings may come from.

Each file is built as its tool writes it: Notepad's "UTF-8" (no mark) and "UTF-8 with BOM", its "Unicode"
(UTF-16 LE with a mark), Excel's "Unicode Text" (UTF-16, tab-separated), and "ANSI" / Excel's "CSV" in a
Vietnamese Windows (cp1258, tone marks as separate bytes, `;` between cells, CRLF).
"""

from __future__ import annotations

import codecs
import shutil
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import REPO, Run, passing_commune, passing_village, windows_ansi, write_workbook
from docx import Document

from pipeline import catalog, settings
from pipeline.catalog import SCHEMAS, CatalogError
from pipeline.checking import registration
from pipeline.checking.registration import RegistrationError
from pipeline.parse import clean
from pipeline.reading import text_files
from pipeline.settings import load_settings
from pipeline.writing import template

SIGNER = "Nguyễn Thị Ấn"
NOTEPAD = {  # how Notepad (and Excel's "Unicode Text") write text, by the name in their Save dialog
    "UTF-8": lambda text: text.encode("utf-8"),
    "UTF-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "Unicode": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "Unicode big endian": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "ANSI": windows_ansi,
}
UNREADABLE = (
    "không đọc được chữ trong tệp (không phải UTF-8, UTF-16 hay Windows-1258); "
    "hãy mở bằng Notepad và lưu lại với Encoding «UTF-8»"
)
UNREADABLE_CSV = UNREADABLE.replace(
    "hãy mở bằng Notepad và lưu lại với Encoding «UTF-8»",
    "hãy mở bằng Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)»",
)
NOT_TEXT = {
    "a workbook renamed": b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
    "UTF-16 without its mark": "nguoi_ky = 'Ấn'".encode("utf-16-le"),
    "bytes cp1258 does not have": b'nguoi_ky = "\x81\x8d"',
    "text damaged by an earlier conversion": 'nguoi_ky = "Nguy\ufffdn"'.encode(),
}


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


# ---- decoding and delimiters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("saved_as", NOTEPAD)
def test_text_saved_by_notepad_in_any_encoding_reads_as_typed(saved_as):
    typed = crlf("Sở Thông tin và Truyền thông\nNguyễn Thị Ấn, huyện Kim Bảng, Đồng Hới, Phường Ngọc Lũ\n")
    assert text_files.decode(NOTEPAD[saved_as](typed)) == typed


@pytest.mark.parametrize("data", NOT_TEXT.values(), ids=NOT_TEXT)
def test_bytes_that_are_no_windows_text_are_refused_saying_how_to_save_them(data):
    with pytest.raises(text_files.UnreadableText) as caught:
        text_files.decode(data)
    assert str(caught.value) == UNREADABLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ma_xa;ten_xa;nam\r\n00001;Xã An, thôn 1;2024\r\n00002;Xã Bình;2024,0\r\n", ";"),  # commas inside cells
        (
            "ma_xa;ten_xa;nam\r\n1;A; B;2024\r\n2;B, C;2024\r\n3;D, E;2024\r\n",
            ";",
        ),  # the usual width, not the odd row's
        ("ma_xa\tten_xa\tnam\r\n00001\tXã A, B\t2024\r\n", "\t"),
        ("Danh sách năm 2024;;\r\n;;\r\nma_xa;ten_xa;nam\r\n00001;Xã Một;2024\r\n", ";"),  # a title row, padded
        ('ma_xa,ten_xa,nam\n00001,"Xã Một; thôn 2",2024\n', ","),
        ("ma_xa\n00001\n", ","),  # one column: csv.Sniffer cannot tell, this never fails
        ("", ","),
    ],
)
def test_the_delimiter_is_the_one_that_cuts_the_rows_into_a_table(text, expected):
    assert text_files.delimiter(text) == expected


def test_a_break_or_a_control_character_between_words_is_one_space():
    assert clean("Xã\r\nAn Bình") == "Xã An Bình"  # Alt+Enter in Excel
    assert clean(" Nguyễn \n\n Thị\x0bẤn\t") == "Nguyễn Thị Ấn"
    assert clean("Nguy\u00ea\u0303n") == "Nguyễn"  # tone marks apart, as cp1258 writes them


# ---- the settings --------------------------------------------------------------------------------------------------


SETTINGS_TEXT = crlf(f'co_quan_ban_hanh = "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"\nnguoi_ky = "{SIGNER}"\n')


@pytest.mark.parametrize("saved_as", NOTEPAD)
def test_settings_saved_by_notepad_in_any_encoding_are_read(tmp_path, saved_as):
    path = tmp_path / "cau-hinh.toml"
    path.write_bytes(NOTEPAD[saved_as](SETTINGS_TEXT))
    got = load_settings(path)
    assert (got.co_quan_ban_hanh, got.nguoi_ky) == ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", SIGNER)


@pytest.mark.parametrize(
    "value",
    ['"Nguyễn\\nThị Ấn"', '"""\nNguyễn\r\nThị Ấn\n"""', '"Nguyễn\\u000bThị\\tẤn"', '" Nguyễn  \\r\\n  Thị Ấn "'],
)
def test_a_break_or_a_control_character_in_a_setting_is_one_space(tmp_path, value):
    path = tmp_path / "cau-hinh.toml"
    path.write_bytes(f'nguoi_ky = {value}\nnoi_nhan = ["UBND\\ntỉnh", "\\n"]\n'.encode())
    got = load_settings(path)
    assert (got.nguoi_ky, got.noi_nhan) == (SIGNER, ("UBND tỉnh",))


def test_an_unreadable_settings_file_stops_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], [passing_village("00001")])
    (tmp_path / "cau-hinh.toml").write_bytes(NOT_TEXT["UTF-16 without its mark"])
    run = Run(Path("input"), Path("output"), "--settings", "cau-hinh.toml")
    assert run.exit_code == 1
    assert run.result.output == f"Lỗi: cau-hinh.toml: {UNREADABLE}\n"
    assert not (tmp_path / "output" / "2024").exists()


# ---- a province file -----------------------------------------------------------------------------------------------


PROVINCE = crlf(
    'province = "Lào Cai"\nperiod = "2021-2025"\ntitle = "Ngưỡng của tỉnh Lào Cai"\n'
    'source = "Hướng dẫn số 12/HD-SKHCN"\n[[tighten]]\nid = "8.2.a"\nthreshold = 0.85\n'
)


@pytest.mark.parametrize("saved_as", NOTEPAD)
def test_a_province_file_saved_by_notepad_in_any_encoding_is_applied(tmp_path, saved_as):
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "tinh-lao-cai.toml").write_bytes(NOTEPAD[saved_as](PROVINCE))
    _, (period,) = catalog.load_catalogs(schemas)
    assert period.overlays[-1] == "Ngưỡng của tỉnh Lào Cai (Hướng dẫn số 12/HD-SKHCN)"
    assert period.indicators.loc["8.2.a", "threshold"] == Fraction("0.85")


def test_an_unreadable_province_file_is_refused_naming_it(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    (schemas / "tinh-lao-cai.toml").write_bytes(NOT_TEXT["bytes cp1258 does not have"])
    with pytest.raises(CatalogError) as caught:
        catalog.load_catalogs(schemas)
    assert str(caught.value) == f"{schemas / 'tinh-lao-cai.toml'}: {UNREADABLE}"


# ---- the registration list -----------------------------------------------------------------------------------------


LISTED = [
    ["Mã xã", "Tên xã", "Huyện / thị xã / thành phố", "Hạng đăng ký", "Năm đánh giá"],
    ["640", "Xã Ngọc Lũ", "huyện Bình Lục", "NTM nâng cao", "2024"],
    ["00001", "Xã Đồng Hóa", "huyện Kim Bảng", "NTM kiểu mẫu", "2024"],
]
EXCEL = {  # Excel's "Save as" types for a list, as a Vietnamese Windows writes them
    "CSV (Comma delimited)": lambda rows: windows_ansi(crlf("".join(";".join(r) + "\n" for r in rows))),
    "CSV UTF-8 (Comma delimited)": lambda rows: codecs.BOM_UTF8 + "".join(",".join(r) + "\r\n" for r in rows).encode(),
    "Unicode Text": lambda rows: (
        codecs.BOM_UTF16_LE + crlf("".join("\t".join(r) + "\n" for r in rows)).encode("utf-16-le")
    ),
}


@pytest.mark.parametrize("saved_as", EXCEL)
def test_a_registration_list_saved_by_excel_in_any_format_is_read(tmp_path, saved_as):
    path = tmp_path / "dang-ky.csv"
    path.write_bytes(EXCEL[saved_as](LISTED))
    columns, periods = catalog.load_catalogs()
    listed = registration.load(path, columns, periods)
    got = listed[["ma_xa", "ten_xa", "huyen", "hang_dang_ky", "nam"]].astype(str).values.tolist()
    assert got == [
        ["00640", "Xã Ngọc Lũ", "huyện Bình Lục", "nang_cao", "2024"],
        ["00001", "Xã Đồng Hóa", "huyện Kim Bảng", "kieu_mau", "2024"],
    ]


def test_a_name_broken_over_two_lines_in_a_registration_list_is_one_line(tmp_path):
    path = tmp_path / "dang-ky.csv"
    path.write_bytes(windows_ansi('ma_xa;ten_xa;nam\r\n00001;"Xã\nĐồng Hóa";2024\r\n;;\r\n'))
    columns, periods = catalog.load_catalogs()
    assert registration.load(path, columns, periods)["ten_xa"].tolist() == ["Xã Đồng Hóa"]


def test_an_unreadable_registration_list_stops_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], [passing_village("00001")])
    (tmp_path / "dang-ky.csv").write_bytes("ma_xa\tnam\r\n00001\t2024\r\n".encode("utf-16-le"))  # mark lost
    run = Run(Path("input"), Path("output"), "--registered", "dang-ky.csv")
    assert run.exit_code == 1
    assert run.result.output == f"Lỗi: Không đọc được danh sách đăng ký dang-ky.csv: {UNREADABLE_CSV}\n"
    assert not (tmp_path / "output" / "2024").exists()


def test_a_registration_list_unreadable_as_text_is_refused_by_the_loader(tmp_path):
    path = tmp_path / "dang-ky.csv"
    path.write_bytes(NOT_TEXT["bytes cp1258 does not have"])
    columns, periods = catalog.load_catalogs()
    with pytest.raises(RegistrationError) as caught:
        registration.load(path, columns, periods)
    assert str(caught.value) == f"Không đọc được danh sách đăng ký {path}: {UNREADABLE_CSV}"


@pytest.mark.parametrize("saved_as", EXCEL)
def test_a_commune_list_for_the_template_saved_by_excel_in_any_format_is_read(tmp_path, saved_as):
    path = tmp_path / "ds-xa.csv"
    path.write_bytes(EXCEL[saved_as](LISTED))
    got = template._from_csv(path, catalog.load_columns().of("Xa"))
    assert got[["ma_xa", "ten_xa", "hang_dang_ky"]].values.tolist() == [
        ["640", "Xã Ngọc Lũ", "NTM nâng cao"],  # as typed: the template pads codes and reads tiers itself
        ["00001", "Xã Đồng Hóa", "NTM kiểu mẫu"],
    ]


# ---- where the settings come from ----------------------------------------------------------------------------------

HOSTILE = 'co_quan_ban_hanh = "CÔNG TY LỪA ĐẢO"\nnguoi_ky = "Kẻ Mạo Danh"\n'


@pytest.fixture
def input_with_settings(tmp_path) -> Path:
    """An input folder into which a commune's zip brought a settings file of its own."""
    folder = tmp_path / "input"
    write_workbook(folder / "huyen-a" / "a.xlsx", [passing_commune("00001")], [passing_village("00001")])
    (folder / "cau-hinh.toml").write_text(HOSTILE, encoding="utf-8")
    (folder / "huyen-a" / "cau-hinh.toml").write_text(HOSTILE, encoding="utf-8")
    return folder


@pytest.mark.parametrize("cwd", [".", "huyen-a"])
def test_by_default_the_settings_never_come_from_the_input_folder(input_with_settings, monkeypatch, cwd):
    monkeypatch.chdir(input_with_settings / cwd)
    got = load_settings(None, input_with_settings)
    assert got.source == settings.SETTINGS  # the project's
    assert (got.co_quan_ban_hanh, got.nguoi_ky) == (None, None)  # the shipped settings are neutral


def test_by_default_the_working_folders_settings_are_used_when_it_is_not_the_input_folder(
    input_with_settings, monkeypatch
):
    office = input_with_settings.parent
    (office / "cau-hinh.toml").write_text(f'nguoi_ky = "{SIGNER}"\n', encoding="utf-8")
    monkeypatch.chdir(office)
    assert load_settings(None, input_with_settings).nguoi_ky == SIGNER


def test_a_settings_file_named_inside_the_input_folder_is_refused(input_with_settings, monkeypatch):
    monkeypatch.chdir(input_with_settings.parent)
    run = Run(Path("input"), Path("output"), "--settings", str(Path("input") / "huyen-a" / "cau-hinh.toml"))
    assert run.exit_code == 1
    assert run.result.output == (
        f"Lỗi: {Path('input/huyen-a/cau-hinh.toml')}: tệp cấu hình nằm trong thư mục hồ sơ đầu vào input, "
        "nơi chứa tệp các xã gửi; hãy để tệp cấu hình của Sở ngoài thư mục này "
        "(ví dụ cau-hinh.toml của thư mục dự án)\n"
    )
    assert not (input_with_settings.parent / "output" / "2024").exists()


def test_a_run_from_inside_the_input_folder_is_signed_by_the_department(input_with_settings, monkeypatch):
    monkeypatch.chdir(input_with_settings)
    run = Run(Path("."), input_with_settings.parent / "output")
    assert run.exit_code == 0, run.result.output
    report = Document(str(input_with_settings.parent / "output" / "2024" / "bao-cao-tham-dinh-2024.docx"))
    text = "\n".join(p.text for p in report.paragraphs) + "".join(
        c.text for t in report.tables for r in t.rows for c in r.cells
    )
    assert settings.PLACEHOLDER in text and "LỪA ĐẢO" not in text and "Mạo Danh" not in text  # the project's, neutral
    # the settings files among the workbooks are only passed over, as any file that is not a workbook
    skipped = "Tệp không phải bảng tính (.xlsx, .xlsm, .xlsb, .xls, .ods), đã bỏ qua"
    assert [(p["tep"], p["muc_do"], p["mo_ta"]) for p in run.problems()] == [
        ("cau-hinh.toml", "canh_bao", skipped),
        ("huyen-a/cau-hinh.toml", "canh_bao", skipped),
    ]
    assert REPO / "cau-hinh.toml" == settings.SETTINGS


# -- a slip in a TOML file: where, in Vietnamese ----------------------------------------------------------------------

TOML_SLIPS = (
    'hãy kiểm tra: mỗi mục một dòng dạng khóa = "giá trị", chữ đặt trong dấu nháy kép thẳng "…" (không dùng “…”)'
)


def test_a_toml_slip_in_the_settings_is_told_by_line_and_column_in_vietnamese(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    typed = 'so = "125"\nky_hieu = "BC-SKHCN"\nnguoi_ky = “Nguyễn Thị Ấn”\n'  # Word's quotes, pasted into Notepad
    Path("cau-hinh.toml").write_bytes(NOTEPAD["UTF-8"](typed))
    with pytest.raises(settings.SettingsError) as caught:
        load_settings(Path("cau-hinh.toml"))
    assert str(caught.value) == f"cau-hinh.toml: lỗi cú pháp TOML ở dòng 3, cột 12; {TOML_SLIPS}"


def test_a_toml_slip_in_a_catalog_is_told_by_line_and_column_in_vietnamese(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the closing quote forgotten on the last line, which Notepad ends without a line break
    Path("tinh-37.toml").write_bytes(NOTEPAD["Unicode"]('ma_tinh = "37"\nten_tinh = "Ninh Bình'))
    with pytest.raises(CatalogError) as caught:
        catalog._load_toml(Path("tinh-37.toml"))
    assert str(caught.value) == f"tinh-37.toml: lỗi cú pháp TOML ở cuối tệp; {TOML_SLIPS}"


def test_the_place_of_a_toml_slip_comes_from_the_exception_where_python_gives_it():
    error = tomllib.TOMLDecodeError("Invalid value")  # as Python 3.14 raises it: the place in lineno and colno
    error.lineno, error.colno = 4, 7
    assert text_files.toml_syntax(error) == f"lỗi cú pháp TOML ở dòng 4, cột 7; {TOML_SLIPS}"
