"""What a clerk reads about a problem: the commune and village by name, the column by its label, the likely slip."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import docx
import openpyxl
import xlsxwriter
from conftest import REPO, Run, passing_commune, passing_village, read_csv, said, windows_ansi, write_workbook

from pipeline.catalog import load_columns
from pipeline.reading import read
from pipeline.writing import template


def problem_rows(run: Run) -> list[dict]:
    ws = openpyxl.load_workbook(run.output / "2024" / "tong-hop-2024.xlsx", read_only=True)["Lỗi dữ liệu"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] is not None]


def test_a_percentage_typed_where_a_count_is_asked_is_explained(tmp_path):
    """The clerk typed 85% (Excel keeps 0.85) and "80%" as text in people counts."""
    path = tmp_path / "input" / "a.xlsx"
    xa = [passing_commune("00001", ten_xa="Xã An Phú"), passing_commune("00002", dan_so_lao_dong_smartphone="80%")]
    write_workbook(path, xa, [passing_village("00001", smart=False), passing_village("00002", smart=False)])
    wb = openpyxl.load_workbook(path)
    column = [c.value for c in wb["Xa"][3]].index("dan_so_lao_dong_smartphone") + 1
    wb["Xa"].cell(4, column).value = 0.85
    wb["Xa"].cell(4, column).number_format = "0%"
    wb.save(path)
    run = Run(tmp_path / "input", tmp_path / "output")
    rows = {r["ma_xa"]: r for r in read_csv(run.output / "2024" / "loi-du-lieu.csv")}
    assert rows["00001"]["mo_ta"].endswith("85% — hãy nhập số người, không nhập tỷ lệ")
    assert rows["00002"]["mo_ta"].endswith("80% — hãy nhập số người, không nhập tỷ lệ")
    sheet = {r["Mã xã"]: r for r in problem_rows(run)}
    label = "Số người trong độ tuổi lao động dùng điện thoại thông minh"
    assert (sheet["00001"]["Tên xã"], sheet["00001"]["Cột"]) == ("Xã An Phú", label)


def test_a_wrong_cell_is_told_in_plain_words(tmp_path):
    """No "kiểu", "tử số", "danh mục": what was written, what is wanted, in the officer's words."""
    xa = passing_commune("00001", mc_camera="Chưa có", tong_so_ho=-5, ghi_chu_rieng="x")
    write_workbook(tmp_path / "input" / "a.xlsx", [xa], [passing_village("00001", smart=False)])
    run = Run(tmp_path / "input", tmp_path / "output")
    assert [(r["o"], r["mo_ta"]) for r in read_csv(run.output / "2024" / "loi-du-lieu.csv")] == [
        ("AK3", "Cột không có trong biểu mẫu, không dùng để đánh giá: ghi_chu_rieng"),
        ("AH4", "Ô ghi không đúng dạng: Một cửa: camera — cần Có hoặc Không"),
        ("J4", "Số ghi lớn hơn số tổng tương ứng: Số hộ thu xem được truyền hình — lớn hơn cột Tổng số hộ"),
        ("I4", "Số ghi ngoài khoảng cho phép: Tổng số hộ — cần số không âm"),
    ]


def test_a_village_problem_names_the_village_and_its_commune(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001", ten_xa="Xã An Phú")],
        [passing_village("00001", "thôn Đông", smart=False, co_loa_hoat_dong="hỏng")],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    (row,) = problem_rows(run)
    assert (row["Trang"], row["Tên xã"], row["Tên thôn"], row["Cột"]) == (
        "Thon",
        "Xã An Phú",
        "thôn Đông",
        "Hệ thống loa hoạt động thường xuyên",
    )


def test_an_error_cell_is_reported_as_what_it_is(tmp_path):
    """#DIV/0! in a count is 'ô lỗi #DIV/0!', not an empty cell."""
    path = tmp_path / "input" / "a.xlsx"
    keys = list(passing_commune())
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Xa")
    ws.write_row(0, 0, keys)
    for j, key in enumerate(keys):
        value = passing_commune()[key]
        if key == "tong_so_ho":
            ws.write_formula(1, j, "=1/0", None, "#DIV/0!")
        elif value is not None:
            ws.write(1, j, value)
    thon = wb.add_worksheet("Thon")
    village = passing_village(smart=False)
    thon.write_row(0, 0, list(village))
    thon.write_row(1, 0, list(village.values()))
    wb.close()
    run = Run(tmp_path / "input", tmp_path / "output")
    (row,) = [r for r in read_csv(run.output / "2024" / "loi-du-lieu.csv") if r["cot"] == "tong_so_ho"]
    assert (row["o"], row["muc_do"]) == (f"{chr(65 + keys.index('tong_so_ho'))}2", "loi")
    assert "ô lỗi #DIV/0!" in row["mo_ta"]
    assert not row["mo_ta"].startswith("Ô để trống")


def test_the_paragraph_shows_a_share_only_where_it_fell_short(tmp_path):
    """8.3 fails on the commune's radio-station flag while every village has loudspeakers: no "100,0%"."""
    xa = [passing_commune("00001", ten_xa="An Phú", co_dai_truyen_thanh="Không")]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village("00001", smart=False)])
    run = Run(tmp_path / "input", tmp_path / "output")
    text = openpyxl.load_workbook(run.output / "2024" / "tong-hop-2024.xlsx")["Tổng hợp"]["A4"].value
    assert "xã An Phú (8.3 – " in text
    assert "100,0%" not in text


# -- a file that is no workbook: what it really is ------------------------------------------------------------------

RESEND = "đề nghị xã gửi lại bảng tính theo biểu mẫu"


def png() -> bytes:
    """A 1 x 1 screenshot, as an image editor saves it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def word_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Biểu số liệu xã Nam Lý")
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


def word_doc() -> bytes:
    """A Word 97-2003 document: a compound file whose main stream is WordDocument (here the workbook fixture's
    stream renamed, with its name length)."""
    data = bytearray((REPO / "tests" / "fixtures" / "hai-xa.xls").read_bytes())
    at = data.index("Workbook".encode("utf-16-le"))
    data[at : at + 64] = "WordDocument".encode("utf-16-le").ljust(64, b"\0")
    data[at + 64 : at + 66] = struct.pack("<H", 2 * len("WordDocument") + 2)
    return bytes(data)


def zipped_workbooks() -> bytes:
    saved = io.BytesIO()
    with zipfile.ZipFile(saved, "w") as z:
        z.writestr("xa-nam-ly.xlsx", b"PK\x03\x04")
    return saved.getvalue()


NOT_WORKBOOKS = {
    "bao-cao.xlsx": (word_docx(), f"tệp Word (.docx) đổi tên thành .xlsx — {RESEND}"),
    "bao-cao-cu.xls": (word_doc(), f"tệp Word (.doc) đổi tên thành .xls — {RESEND}"),
    "quet.xlsx": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        f"tệp PDF đổi tên thành .xlsx — {RESEND}",
    ),
    "chup-man-hinh.xlsx": (png(), f"ảnh PNG đổi tên thành .xlsx — {RESEND}"),
    "anh.ods": (b"\xff\xd8\xff\xe1\x00\x16Exif\x00\x00" + bytes(64), f"ảnh JPEG đổi tên thành .ods — {RESEND}"),
    "so-lieu.xlsx": (
        windows_ansi("ma_xa;ten_xa\r\n00001;Xã Nam Lý\r\n"),
        f"tệp văn bản (.csv, .txt) đổi tên thành .xlsx — {RESEND}",
    ),
    "xuat-tu-web.xls": (
        b"<html><body><table><tr><td>ma_xa</td></tr></table></body></html>",
        f"trang web (HTML) đổi tên thành .xls — {RESEND}",
    ),
    "nen.xlsx": (zipped_workbooks(), f"tệp nén (.zip) đổi tên thành .xlsx — {RESEND}"),
    "rong.xlsx": (b"", f"tệp rỗng (0 byte) — {RESEND}"),
    "mat-khau.xlsx": (
        (REPO / "tests" / "fixtures" / "mat-khau.xlsx").read_bytes(),
        "tệp có mật khẩu; hãy gỡ mật khẩu rồi gửi lại",
    ),
    "hong.xlsx": (
        b"\x07\x13binary" + bytes(range(256)),
        "tệp bị hỏng hoặc không phải bảng tính; hãy mở tệp bằng Excel, lưu lại rồi gửi, hoặc đề nghị xã gửi lại",
    ),
}


def test_a_file_that_is_no_workbook_is_named_for_what_it_is(tmp_path):
    paths = []
    for name, (data, _) in NOT_WORKBOOKS.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    reads = read.read_paths(tmp_path, paths, load_columns(), workers=1, timeout=60)
    said_ = {r.tep: [(p["ma_loi"], m) for p, m in zip(r.problems, said(r.problems), strict=False)] for r in reads}
    assert said_ == {
        name: [("khong-doc-duoc", f"Không đọc được tệp: {text}")] for name, (_, text) in NOT_WORKBOOKS.items()
    }


# -- a workbook with nothing in it: the template is the way ---------------------------------------------------------


def test_a_workbook_with_no_data_points_to_the_template(tmp_path):
    book1 = xlsxwriter.Workbook(str(tmp_path / "Book1.xlsx"))  # Excel's new workbook, saved as is
    book1.add_worksheet("Sheet1")
    book1.close()
    empty = xlsxwriter.Workbook(str(tmp_path / "trang-trong.xlsx"))
    empty.add_worksheet("Xa")
    empty.add_worksheet("Thon")
    empty.close()
    blank = template.generate(2024, tmp_path / "mau").written[0].rename(tmp_path / "chua-dien.xlsx")  # sent unfilled
    reads = read.read_paths(
        tmp_path, [tmp_path / "Book1.xlsx", tmp_path / "trang-trong.xlsx", blank], load_columns(), 1, 60
    )
    hint = "đề nghị xã điền biểu nhập liệu rồi gửi lại (biểu tạo bằng lệnh make template)"
    assert {
        r.tep: [(p.get("trang", ""), p["ma_loi"], m) for p, m in zip(r.problems, said(r.problems), strict=False)]
        for r in reads
    } == {
        "Book1.xlsx": [("Xa", "thieu-trang", f"Không có trang bắt buộc: Xa — {hint}")],
        "trang-trong.xlsx": [
            (sheet, "khong-thay-tieu-de", f"Không tìm thấy dòng tiêu đề cột: trang trống — {hint}")
            for sheet in ("Xa", "Thon")
        ],
        "chua-dien.xlsx": [("", "chua-co-so-lieu", f"Tệp chưa có dòng số liệu nào, chỉ có tiêu đề cột: {hint}")],
    }


def test_a_blank_column_of_villages_is_one_row_with_its_range(assess_rows):
    """Six villages of one commune leave their loudspeaker cell empty: one row in the lists, every village still
    named in the report's sentence."""
    from xlsxwriter.utility import xl_col_to_name

    villages = [passing_village("00001", f"thôn {i}", smart=False, co_loa_hoat_dong=None) for i in range(1, 7)]
    villages[0]["co_loa_hoat_dong"] = ""  # the column is there, its cells are empty
    run = assess_rows([passing_commune()], villages)
    letter = xl_col_to_name(list(villages[0]).index("co_loa_hoat_dong"))
    rows = [r for r in run.problems() if r["cot"] == "co_loa_hoat_dong"]
    assert [(r["trang"], r["o"], r["muc_do"], r["ma_xa"]) for r in rows] == [
        ("Thon", f"{letter}4:{letter}9", "loi", "00001")
    ]
    assert "Lỗi dữ liệu: 1, cảnh báo: 0" in run.result.output
    report = [p.text for p in docx.Document(str(run.output / "2024" / "bao-cao-tham-dinh-2024.docx")).paragraphs]
    assert any("06 thôn (thôn 1, thôn 2, thôn 3, thôn 4, thôn 5, thôn 6)" in line for line in report)
