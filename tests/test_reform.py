"""The province after the 2025 reform: commune codes checked against the national list of 1 July 2025."""

from __future__ import annotations

import pandas as pd
from conftest import passing_commune, passing_village

from pipeline.checking import units


def villages(ma_xa: str, n: int = 3) -> list[dict]:
    return [passing_village(ma_xa, f"thôn {i}", smart=False) for i in range(1, n + 1)]


def commune(ma_xa: str, name: str, **overrides) -> dict:
    return passing_commune(ma_xa, ten_xa=name, huyen=None, nam=2025, **overrides)


def test_the_national_list_is_the_one_of_1_july_2025():
    units_ = units.national_list()
    assert len(units_) == 3321
    assert units_["loai"].value_counts().to_dict() == {"xã": 2621, "phường": 687, "đặc khu": 13}
    assert units_["ma_tinh"].nunique() == 34
    assert units_.loc["13456", ["ten", "loai", "ten_tinh"]].tolist() == ["Xã Liêm Hà", "xã", "Ninh Bình"]
    assert units_.loc["00640", "ten"] == "Xã Thanh Trì"
    assert units_.loc["13402", "ten"] == "Phường Kim Thanh"
    assert len(units.communes_of(37)) == 97


def test_a_2025_batch_is_checked_against_the_list_and_every_commune_stays_in_the_ledger(assess_rows):
    xa = [
        commune("13456", "Xã Liêm Hà"),
        commune("13474", "Xã Liêm Cần"),  # a code of the list under another commune's old name
        commune("13402", "Xã Hoàng Tây"),  # a ward since 1 July 2025
        commune("99999", "Xã Không Có"),
    ]
    run = assess_rows(xa, [v for c in xa for v in villages(c["ma_xa"])])
    communes = run.communes(2025)
    assert {c: r["ket_qua"] for c, r in communes.items()} == {
        "13456": "dat",
        "13474": "dat",
        "13402": "khong_danh_gia_duoc",
        "99999": "khong_danh_gia_duoc",
    }
    got = {(p["o"], p["ma_xa"], p["muc_do"]): p["mo_ta"] for p in run.problems(2025)}
    name = units.national_list().loc["13474", "ten"]
    assert got[("B5", "13474", "canh_bao")].endswith(f"Tên xã — mã 13474 là {name}")
    assert got[("A6", "13402", "loi")].endswith("Mã xã — Phường Kim Thanh")
    assert "không thuộc đối tượng xét xã nông thôn mới" in got[("A6", "13402", "loi")]
    assert got[("A7", "99999", "loi")].startswith("Mã xã không có trong danh mục đơn vị hành chính từ ngày 01/7/2025")
    assert len(got) == 3


def _prefilled(path) -> list[tuple]:
    import openpyxl

    from pipeline.writing.template import FIRST_ROW

    ws = openpyxl.load_workbook(path, read_only=True)["Xa"]
    rows = ws.iter_rows(min_row=FIRST_ROW + 1, max_col=2, values_only=True)
    return [r for r in rows if r[0] is not None]


def test_the_template_of_a_province_lists_its_communes_and_no_ward(tmp_path):
    from pipeline.writing.template import generate

    made = generate(2025, tmp_path, province=37, per="district")
    rows = _prefilled(made.written[0])
    assert len(rows) == 97
    assert ("13456", "Xã Liêm Hà") in rows
    assert not {"13402", "13444"} & {code for code, _ in rows}  # Phường Kim Thanh, Phường Liêm Tuyền
    hanoi = _prefilled(generate(2025, tmp_path / "hn", province=1, per="district").written[0])
    assert ("00640", "Xã Thanh Trì") in hanoi  # the code as text: its zeros kept


def test_a_province_template_before_the_reform_or_of_no_province_is_refused_with_a_reason(tmp_path):
    import pytest

    from pipeline.writing.template import TemplateError, generate

    with pytest.raises(TemplateError, match="áp dụng từ năm 2025"):
        generate(2024, tmp_path, province=37)
    with pytest.raises(TemplateError, match="Không có tỉnh mã 99"):
        generate(2025, tmp_path, province=99)


def test_the_department_s_province_is_a_setting_and_a_commune_of_another_is_a_warning(tmp_path):
    from conftest import Run, write_workbook

    settings = tmp_path / "cau-hinh.toml"
    settings.write_text('ma_tinh = 37\nco_quan_ban_hanh = "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"\n', encoding="utf-8")
    xa = [commune("13456", "Xã Liêm Hà"), commune("00640", "Xã Thanh Trì")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [v for c in xa for v in villages(c["ma_xa"])])
    run = Run(tmp_path / "input", tmp_path / "output", "--settings", str(settings))
    assert {c: r["ket_qua"] for c, r in run.communes(2025).items()} == {"13456": "dat", "00640": "dat"}
    assert [(p["o"], p["ma_xa"], p["muc_do"], p["mo_ta"]) for p in run.problems(2025)] == [
        (
            "A5",
            "00640",
            "canh_bao",
            "Xã thuộc tỉnh khác tỉnh của Sở (ma_tinh trong cấu hình): Mã xã — Xã Thanh Trì thuộc Thành phố Hà Nội",
        )
    ]
    assert run.exit_code == 0
    assert "Lưu ý: cơ quan ban hành trong" in run.result.stderr
    assert "hãy sửa co_quan_ban_hanh trước khi ký văn bản năm 2025" in run.result.stderr


def test_a_province_not_in_the_list_is_refused_in_one_line(tmp_path):
    import pytest

    from pipeline.settings import SettingsError, load_settings

    path = tmp_path / "cau-hinh.toml"
    path.write_text("ma_tinh = 99\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="ma_tinh = 99: cần mã một tỉnh trong danh mục ngày 01/7/2025"):
        load_settings(path)
    path.write_text("ma_tinh = 37\n", encoding="utf-8")
    assert (load_settings(path).ma_tinh, load_settings(path).ten_tinh) == (37, "Ninh Bình")


def test_across_the_reform_the_report_compares_no_codes_and_says_why(tmp_path):
    from conftest import Run, write_workbook
    from docx import Document

    # 13456 was Xã Liêm Cần in 2024 and is Xã Liêm Hà in 2025: the same code, two communes
    old = passing_commune("13456", ten_xa="Xã Liêm Cần")
    new = commune("13456", "Xã Liêm Hà", dan_so_lao_dong_smartphone=7000)
    write_workbook(tmp_path / "input" / "2024.xlsx", [old], villages("13456"))
    write_workbook(tmp_path / "input" / "2025.xlsx", [new], villages("13456"))
    run = Run(tmp_path / "input", tmp_path / "output")
    assert (run.communes(2024)["13456"]["ket_qua"], run.communes(2025)["13456"]["ket_qua"]) == ("dat", "khong_dat")
    text = [p.text for p in Document(str(tmp_path / "output" / "2025" / "bao-cao-tham-dinh-2025.docx")).paragraphs]
    assert f"Chưa so sánh được với kết quả năm 2024: {units.REORGANISED}." in text
    assert not any("đã đạt chuẩn năm 2024 nhưng năm 2025" in line for line in text)


def test_the_report_names_the_department_s_province():
    from pipeline.writing.report import _subject, province_phrase

    labels = pd.Series({"nang_cao": "NTM nâng cao"})
    subject = _subject(["nang_cao"], labels, 2025, "các chỉ tiêu ngành TT&TT", "Ninh Bình")
    assert subject.endswith("đạt chuẩn nông thôn mới nâng cao trên địa bàn tỉnh Ninh Bình năm 2025")
    assert province_phrase("Thành phố Hà Nội") == "thành phố Hà Nội"
    assert "trên địa bàn" not in _subject(["nang_cao"], labels, 2025, "các chỉ tiêu", None)


def test_a_batch_of_several_provinces_without_districts_is_grouped_by_province(tmp_path):
    import openpyxl
    from conftest import Run, write_workbook
    from docx import Document

    xa = [commune("13456", "Xã Liêm Hà"), commune("00640", "Xã Thanh Trì"), commune("13474", "Xã Tân Thanh")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [v for c in xa for v in villages(c["ma_xa"])])
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 0, run.result.output
    year = tmp_path / "output" / "2025"
    assert {r["huyen"] for r in run.communes(2025).values()} == {""}  # the CSV says what was sent: no district
    assert sorted(p.name for p in (year / "tinh").iterdir()) == ["thanh-pho-ha-noi.xlsx", "tinh-ninh-binh.xlsx"]
    assert not (year / "huyen").exists()
    book = openpyxl.load_workbook(year / "tinh" / "tinh-ninh-binh.xlsx")
    cells = {c for ws in book for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert "Xã Tân Thanh" in cells and "Xã Thanh Trì" not in cells
    overview = openpyxl.load_workbook(year / "tong-hop-2025.xlsx")["Tổng hợp"]
    words = {c for row in overview.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert {"Tỉnh", "Tỉnh Ninh Bình", "Thành phố Hà Nội"} <= words
    assert not any("huyện" in w.lower() for w in words)
    table = Document(str(year / "bao-cao-tham-dinh-2025.docx")).tables[1]
    assert [c.text for c in table.rows[0].cells][:3] == ["STT", "Tên xã", "Tỉnh"]
    assert [c.text for c in table.rows[1].cells][1:3] == ["Xã Thanh Trì", "Thành phố Hà Nội"]
