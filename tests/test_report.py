"""The documents the department signs: the appraisal report, the per-commune sheets, their settings,
and the catalog's provenance they cite (issue 10 item 1-2, issue 9 item 1)."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import REPO, passing_commune, passing_village, read_csv, said, windows_ansi, write_workbook
from docx import Document
from docx.shared import Mm, Pt

from pipeline import catalog, run
from pipeline.catalog import DOCUMENT_NUMBER, CatalogError, LegalBasis, criteria_files, load_criteria
from pipeline.cli import main
from pipeline.presenting import last_year, summary
from pipeline.reading.read import read_batch
from pipeline.settings import PLACEHOLDER, Settings, SettingsError, load_settings
from pipeline.writing import report
from pipeline.writing import sheets as sheets_
from pipeline.writing.csv_out import COMMUNE_COLUMNS

YEAR = 2024
EXAMPLE = REPO / "docs" / "vi-du" / "cau-hinh-ha-nam-2024.toml"  # the seed case's settings, Hà Nam 2024
SHIPPED = catalog.SCHEMAS / "criteria-2021-2025.toml"


def villages(code: str, n: int = 3, smart: bool = False) -> list[dict]:
    return [passing_village(code, f"thôn {i}", smart=smart and i == 1) for i in range(1, n + 1)]


def build_input(folder: Path) -> Path:
    """Five communes: one meets the advanced tier, one fails 8.2.a (70,5% < 80%), one has an empty cell
    (15.2.k not assessable), one meets the model tier, and one has no commune code."""
    xa = [
        passing_commune("00001", ten_xa="An Bình", huyen="huyện Thử"),
        passing_commune("00002", ten_xa="Bình Minh", huyen="huyện Thử", dan_so_lao_dong_smartphone=7050),
        passing_commune("00003", ten_xa="Cát Tiên", huyen="huyện Khác", dan_so_lao_dong_ky_nang_so=""),
        passing_commune("00004", tier="kieu_mau", ten_xa="Đông Sơn", huyen="huyện Khác"),
        passing_commune("", ten_xa="Không Mã", huyen="huyện Khác"),
    ]
    thon = villages("00001") + villages("00002") + villages("00003") + villages("00004", smart=True)
    write_workbook(folder / "xa.xlsx", xa, thon)
    return folder


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """The run of the five communes, and its report and sheets written with the shipped settings."""
    root = tmp_path_factory.mktemp("bao-cao")
    inp = build_input(root / "input")
    outcome = run.run(inp, root / "output", workers=1, quiet=True)
    letters = read_batch(inp, catalog.load_columns(), workers=1).letters
    result, criteria = outcome.years[YEAR], outcome.criteria[YEAR]
    previous = pd.DataFrame(
        {
            "nam": ["2023", "2023"],
            "ma_xa": ["00001", "00002"],
            "ten_xa": ["An Bình", "Bình Minh"],
            "huyen": ["huyện Thử", "huyện Thử"],
            "hang_dang_ky": ["nang_cao", "nang_cao"],
            "ket_qua": ["dat", "dat"],
            "hang_cao_nhat_dat": ["nang_cao", "nang_cao"],
        }
    )
    settings = load_settings(EXAMPLE)
    path = report.write_report(
        root / "bao-cao-tham-dinh-2024.docx", YEAR, result, criteria, settings, outcome.problems, previous
    )
    sheets = sheets_.write_sheets(root / "phieu-tham-dinh-2024.docx", YEAR, result, criteria, letters, settings)
    return {
        "root": root,
        "outcome": outcome,
        "result": result,
        "criteria": criteria,
        "letters": letters,
        "report": path,
        "doc": Document(str(path)),
        "sheets": Document(str(sheets)),
    }


def texts(doc) -> list[str]:
    """Every paragraph of the body, tables included, in order."""
    out = []
    for block in doc.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for p in block.iter():
                if p.tag.endswith("}p"):
                    out.append("".join(t.text or "" for t in p.iter() if t.tag.endswith("}t")))
    return out


def body(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def signature(doc):
    """The report's closing table: recipients and the signature block."""
    return next(t for t in doc.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))


# ---- the report --------------------------------------------------------------------------------------------------


def test_page_setup_is_a4_portrait_with_the_decree_margins_in_times_new_roman(case):
    section = case["doc"].sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    near = Mm(0.1)  # lengths are stored in twentieths of a point
    assert Mm(20) - near <= section.top_margin <= Mm(25) and Mm(20) - near <= section.bottom_margin <= Mm(25)
    assert Mm(30) - near <= section.left_margin <= Mm(35) and Mm(15) - near <= section.right_margin <= Mm(20)
    normal = case["doc"].styles["Normal"].font
    assert normal.name == "Times New Roman" and Pt(13) <= normal.size <= Pt(14)


def test_the_header_has_the_bodies_the_number_the_national_title_and_the_date(case):
    header = case["doc"].tables[0]
    left = [p for c in header.columns[0].cells for p in c.paragraphs if p.text]
    right = [p for c in header.columns[1].cells for p in c.paragraphs if p.text]
    assert [p.text for p in left] == ["UBND TỈNH HÀ NAM", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "Số: ……/……"]
    assert left[1].runs[0].bold and not left[0].runs[0].bold
    assert [p.text for p in right] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hà Nam, ngày …… tháng …… năm 2024",
    ]
    assert right[0].runs[0].bold and right[1].runs[0].bold and right[2].runs[0].italic
    borders = header._tbl.xpath(".//w:tblBorders | .//w:tcBorders")
    assert not borders and header.style.name != "Table Grid"


def test_the_subject_names_the_tiers_present_spelled_out(case):
    lines = body(case["doc"])
    at = lines.index("BÁO CÁO")
    assert lines[at + 1] == (
        "Kết quả thẩm định các chỉ tiêu ngành thông tin và truyền thông đối với các xã đăng ký đạt chuẩn "
        "nông thôn mới nâng cao, nông thôn mới kiểu mẫu năm 2024"
    )


def test_the_legal_bases_are_the_catalogs_and_no_other_number_is_cited(case):
    doc, criteria = case["doc"], case["criteria"]
    bases = [line for line in body(doc) if line.startswith("Căn cứ")]
    assert bases == [
        "Căn cứ Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành Bộ tiêu chí quốc gia "
        "về xã nông thôn mới và Bộ tiêu chí quốc gia về xã nông thôn mới nâng cao giai đoạn 2021 - 2025;",
        "Căn cứ Quyết định số 319/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ quy định xã nông thôn mới "
        "kiểu mẫu giai đoạn 2021 - 2025;",
    ]
    held = {b.number for b in criteria.legal_bases}
    cited = {n for line in texts(doc) for n in DOCUMENT_NUMBER.findall(line)}
    assert cited == held == {"318/QĐ-TTg", "319/QĐ-TTg"}
    assert not any("1127" in line or "320/" in line for line in texts(doc))


def test_a_basic_tier_batch_cites_only_decision_318_and_settings_add_the_provinces_bases(case, tmp_path):
    result, criteria = case["result"], case["criteria"]
    own = LegalBasis(number="12/2023/QĐ-UBND", date=dt.date(2023, 5, 2), issuer="UBND tỉnh", title="ban hành …")
    only_advanced = type(result)(
        result.communes[result.communes["hang_dang_ky"] == "nang_cao"],
        result.results[result.results["hang"] == "nang_cao"],
        result.villages,
    )
    path = report.write_report(tmp_path / "r.docx", YEAR, only_advanced, criteria, Settings(can_cu=(own,)))
    bases = [line for line in body(Document(str(path))) if line.startswith("Căn cứ")]
    assert [DOCUMENT_NUMBER.findall(b) for b in bases] == [["318/QĐ-TTg"], ["12/2023/QĐ-UBND"]]
    assert bases[1] == "Căn cứ Quyết định số 12/2023/QĐ-UBND ngày 02/5/2023 của UBND tỉnh ban hành …;"


def test_the_counts_include_every_commune_and_terms_are_spelled_out_once(case):
    lines = body(case["doc"])
    assert "- Xã đăng ký đạt chuẩn NTM nâng cao: 01/04 xã đạt, 01 xã không đạt, 02 xã chưa đánh giá được." in lines
    assert "- Xã đăng ký đạt chuẩn NTM kiểu mẫu: 01/01 xã đạt." in lines
    assert "- Hồ sơ chưa ghi đúng hạng đăng ký: 0/01 xã đạt, 01 xã chưa đánh giá được." not in lines
    everything = " ".join(texts(case["doc"]))
    for full in ("nông thôn mới (NTM)", "thông tin và truyền thông (TT&TT)"):
        assert everything.count(full) == 1, full
    first_ntm = everything.index("(NTM)")
    assert " NTM " not in everything[:first_ntm] and "TT&TT" in everything[first_ntm:]


def test_the_overview_sentence_counts_every_commune_and_those_with_no_valid_tier_apart():
    tiers = ["nang_cao", "nang_cao", "nang_cao", "nang_cao", "kieu_mau", None, "nang_kao"]
    communes = pd.DataFrame({"hang_dang_ky": tiers, "ket_qua": ["dat"] * 5 + ["khong_danh_gia_duoc"] * 2})
    labels = pd.Series({"nang_cao": "NTM nâng cao", "kieu_mau": "NTM kiểu mẫu"})
    said = report._overview(summary.count_by(communes, ["hang_dang_ky"]), list(labels.index), labels, 2024, "ICT")
    assert said == (
        "Năm 2024, tổng số 07 xã được thẩm định ICT trong Bộ tiêu chí NTM: 04 xã đăng ký đạt chuẩn NTM nâng cao, "
        "01 xã đăng ký đạt chuẩn NTM kiểu mẫu, 02 hồ sơ chưa ghi đúng hạng đăng ký. Kết quả:"
    )


def test_a_table_per_tier_lists_every_commune_with_what_it_lacks(case):
    tables = case["doc"].tables
    advanced = next(t for t in tables if t.rows[0].cells[0].text == "STT" and len(t.rows) == 6)
    got = rows(advanced)
    assert got[0] == ["STT", "Tên xã", "Huyện", "Kết quả", "Chỉ tiêu chưa đạt, chưa đánh giá được"]
    assert [r[:4] for r in got[1:5]] == [
        ["1", "Xã An Bình", "huyện Thử", "Đạt"],
        ["2", "Xã Bình Minh", "huyện Thử", "Không đạt"],
        ["3", "Xã Cát Tiên", "huyện Khác", "Chưa đánh giá được"],
        ["4", "Xã Không Mã", "huyện Khác", "Chưa đánh giá được"],  # no code: counted, listed last
    ]
    assert got[1][4] == ""
    assert "8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông minh: 70,5% < 80%" in got[2][4]
    assert "15.2.k" in got[3][4] and "chưa đánh giá được" in got[3][4]
    assert got[4][4].startswith("Chưa đánh giá được 25 chỉ tiêu: 8.1, 8.2")
    assert got[5][0] == "Cộng: 04 xã; 01/04 xã đạt, 01 xã không đạt, 02 xã chưa đánh giá được."
    titles = [line for line in body(case["doc"]) if re.match(r"\d\. (Xã|Hồ sơ)", line)]
    assert titles == [
        "1. Xã đăng ký đạt chuẩn NTM nâng cao (04 xã)",
        "2. Xã đăng ký đạt chuẩn NTM kiểu mẫu (01 xã)",
    ]


def test_recommendations_say_what_each_failing_or_blocked_commune_must_fix(case):
    lines = body(case["doc"])
    at = lines.index(next(line for line in lines if line.endswith("KIẾN NGHỊ")))
    section = lines[at:]
    failing = section.index("- Xã Bình Minh (huyện Thử), đăng ký đạt chuẩn NTM nâng cao:")
    assert section[failing + 1] == (
        "+ Không đạt chỉ tiêu 8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông minh: "
        "70,5% < 80%."
    )
    blocked = section.index("- Xã Cát Tiên (huyện Khác), đăng ký đạt chuẩn NTM nâng cao:")
    assert section[blocked + 1] == (
        "+ Chưa đánh giá được chỉ tiêu 15.2.k – Tỷ lệ người trong độ tuổi lao động được phổ biến kỹ năng số cơ "
        "bản: chưa có số liệu số người trong độ tuổi lao động được phổ biến kỹ năng số."
    )
    assert not any("Xã An Bình" in line or "Đông Sơn" in line for line in section if line.startswith("- "))


def test_year_over_year_lists_the_communes_that_no_longer_meet_last_years_tier(case):
    lines = body(case["doc"])
    at = lines.index("II. SO VỚI NĂM 2023")
    assert lines[at + 1].startswith("Có 01 xã đã đạt chuẩn năm 2023 nhưng năm 2024 không còn đạt chuẩn ở hạng đó")
    assert "duy trì" in lines[at + 1]
    assert lines[at + 2].startswith("- Xã Bình Minh (huyện Thử): năm 2023 đạt chuẩn NTM nâng cao, năm 2024 ")
    assert not any("An Bình" in line for line in lines[at : at + 4])


def test_previous_results_reads_last_years_csv_as_written(tmp_path):
    folder = tmp_path / "output" / "2023"
    folder.mkdir(parents=True)
    (folder / "xa-2023.csv").write_text(
        "\ufeffnam,ma_xa,ten_xa,huyen,hang_dang_ky,ket_qua,so_chi_tieu_dat,so_chi_tieu,hang_cao_nhat_dat\n"
        "2023,00002,'=Bình Minh,huyện Thử,nang_cao,dat,25,25,nang_cao\n"
        "2023,,'Quote,huyện Thử,,khong_danh_gia_duoc,,,\n",
        encoding="utf-8",
    )
    got = last_year.previous_results(tmp_path / "output", 2024).communes
    assert got["ma_xa"].tolist()[0] == "00002" and pd.isna(got["ma_xa"].tolist()[1])
    assert got["ten_xa"].tolist() == ["=Bình Minh", "'Quote"]
    assert got["hang_cao_nhat_dat"].tolist()[0] == "nang_cao"
    assert last_year.previous_results(tmp_path / "output", 2023) == last_year.LastYear()


LAST_YEAR = [  # xa-2023.csv as written, then opened in Excel: the code 00002 became the number 2
    COMMUNE_COLUMNS,
    ["2023", "2", "Bình Minh", "huyện Thử", "nang_cao", "dat", "25", "25", "nang_cao"],
    ["2023.0", "1.0", "An Bình", "huyện Thử", "nang_cao", "dat", "25.0", "25.0", "nang_cao"],
    [""] * 9,  # rows Excel keeps after the table was edited
]
EXCEL_SAVED = {  # Excel's "Save as" types in a Vietnamese Windows
    "CSV (Comma delimited)": lambda rows: windows_ansi("".join(";".join(r) + "\r\n" for r in rows)),
    "CSV UTF-8 (Comma delimited)": lambda rows: codecs.BOM_UTF8 + "".join(";".join(r) + "\r\n" for r in rows).encode(),
    "Unicode Text": lambda rows: codecs.BOM_UTF16_LE + "".join("\t".join(r) + "\r\n" for r in rows).encode("utf-16-le"),
}


@pytest.mark.parametrize("saved_as", EXCEL_SAVED)
def test_last_years_csv_saved_again_by_excel_is_read_and_no_commune_is_dropped(case, tmp_path, saved_as):
    folder = tmp_path / "output" / "2023"
    folder.mkdir(parents=True)
    (folder / "xa-2023.csv").write_bytes(EXCEL_SAVED[saved_as](LAST_YEAR))
    last = last_year.previous_results(tmp_path / "output", 2024)
    assert (last.unread, last.problems) == ("", ())
    got = last.communes[["nam", "ma_xa", "ten_xa", "so_chi_tieu", "hang_cao_nhat_dat"]].values.tolist()
    assert got == [
        ["2023", "00002", "Bình Minh", "25", "nang_cao"],
        ["2023", "00001", "An Bình", "25", "nang_cao"],
    ]
    path = report.write_report(tmp_path / "r.docx", YEAR, case["result"], case["criteria"], previous=last.communes)
    lines = body(Document(str(path)))
    at = lines.index("II. SO VỚI NĂM 2023")
    assert lines[at + 1].startswith("Có 01 xã đã đạt chuẩn năm 2023 nhưng năm 2024 không còn đạt chuẩn ở hạng đó")
    assert lines[at + 2].startswith("- Xã Bình Minh (huyện Thử): năm 2023 đạt chuẩn NTM nâng cao, năm 2024 ")


@pytest.mark.parametrize(
    ("data", "why", "advice"),
    [
        (
            "nam\tma_xa\r\n2023\t00001\r\n".encode("utf-16-le"),  # saved as "Unicode Text", its mark lost
            "không nhận ra bảng mã chữ",
            "không đọc được chữ trong tệp (không phải UTF-8, UTF-16 hay Windows-1258); hãy mở bằng Excel và lưu lại "
            "dạng «CSV UTF-8 (Comma delimited)», hoặc hãy chạy lại đánh giá năm 2023 để ghi lại tệp",
        ),
        (
            "Mã xã;Tên xã\r\n00001;An Bình\r\n".encode(),  # a table of someone's own, saved under the name
            "không có cột mã xã hoặc hạng cao nhất đạt",
            "thiếu cột ma_xa, hang_cao_nhat_dat; hãy chạy lại đánh giá năm 2023 để ghi lại tệp",
        ),
    ],
)
def test_last_years_csv_that_cannot_be_read_costs_only_the_comparison(case, tmp_path, data, why, advice):
    folder = tmp_path / "output" / "2023"
    folder.mkdir(parents=True)
    (folder / "xa-2023.csv").write_bytes(data)
    last = last_year.previous_results(tmp_path / "output", 2024)
    assert (last.communes, last.unread) == (None, f"tệp kết quả năm 2023 không đọc được ({why})")
    ((row),) = last.problems
    assert (row["tep"], row["muc_do"], row["ma_loi"]) == (str(folder / "xa-2023.csv"), "canh_bao", "ket-qua-nam-truoc")
    assert said([row])[0] == (
        f"Không đọc được kết quả năm trước; báo cáo không so sánh được với năm trước: {why}; {advice}"
    )
    path = report.write_report(tmp_path / "r.docx", YEAR, case["result"], case["criteria"], unread=last.unread)
    lines = body(Document(str(path)))
    at = lines.index("II. SO VỚI NĂM 2023")
    assert lines[at + 1] == f"Chưa so sánh được với kết quả năm 2023: tệp kết quả năm 2023 không đọc được ({why})."
    assert lines[at + 2] == "III. KIẾN NGHỊ"


def test_a_run_goes_on_when_last_years_csv_cannot_be_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], villages("00001"))
    (tmp_path / "output" / "2023").mkdir(parents=True)
    (tmp_path / "output" / "2023" / "xa-2023.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
    result = CliRunner().invoke(main, ["assess", "--input", "input", "--output", "output"])
    assert result.exit_code == 0, result.output
    assert "1 cảnh báo: Không đọc được kết quả năm trước; báo cáo không so sánh được với năm trước" in result.output
    lines = body(Document("output/2024/bao-cao-tham-dinh-2024.docx"))
    assert lines[lines.index("II. SO VỚI NĂM 2023") + 1] == (
        "Chưa so sánh được với kết quả năm 2023: tệp kết quả năm 2023 không đọc được (không nhận ra bảng mã chữ)."
    )
    problems = read_csv(tmp_path / "output" / "2024" / "loi-du-lieu.csv")
    assert [(p["tep"], p["muc_do"]) for p in problems] == [(str(Path("output/2023/xa-2023.csv")), "canh_bao")]


def test_without_a_previous_year_there_is_no_comparison(case, tmp_path):
    path = report.write_report(tmp_path / "r.docx", YEAR, case["result"], case["criteria"])
    lines = body(Document(str(path)))
    assert not any("SO VỚI NĂM" in line for line in lines)
    assert "II. KIẾN NGHỊ" in lines


def test_absent_settings_print_as_dotted_placeholders_never_invented(case, tmp_path):
    path = report.write_report(tmp_path / "r.docx", YEAR, case["result"], case["criteria"], Settings())
    doc = Document(str(path))
    header = rows(doc.tables[0])
    assert header[0][0].startswith(PLACEHOLDER) and "SỞ" not in header[0][0]
    assert header[1] == ["Số: ……/……", f"{PLACEHOLDER}, ngày …… tháng …… năm 2024"]
    closing = rows(signature(doc))[0]
    assert closing[1].split("\n")[0] == PLACEHOLDER and closing[1].split("\n")[-1] == PLACEHOLDER
    assert f"- {PLACEHOLDER};" in closing[0] and "- Lưu: VT." in closing[0]
    assert "None" not in " ".join(texts(doc))


def test_the_signature_block_and_the_recipients_close_the_report(case, tmp_path):
    settings = Settings(
        quyen_han="KT. Giám đốc", chuc_vu="Phó Giám đốc", nguoi_ky="Nguyễn Văn A", ngay=dt.date(2024, 2, 5)
    )
    path = report.write_report(tmp_path / "r.docx", YEAR, case["result"], case["criteria"], settings)
    doc = Document(str(path))
    left, right = signature(doc).rows[0].cells
    head, *items = [p for p in left.paragraphs if p.text]
    assert head.text == "Nơi nhận:" and head.runs[0].bold and head.runs[0].italic
    assert [p.text for p in items] == [f"- {PLACEHOLDER};", "- Lưu: VT."]
    assert all(p.runs[0].font.size == Pt(11) for p in items)
    signed = [p for p in right.paragraphs if p.text]
    assert [p.text for p in signed] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A"]
    assert all(p.runs[0].bold for p in signed)
    assert len(right.paragraphs) - len(signed) >= 3  # room to sign
    assert rows(doc.tables[0])[1][1] == f"{PLACEHOLDER}, ngày 05 tháng 02 năm 2024"
    shipped = load_settings(EXAMPLE)
    left = signature(Document(str(case["report"]))).rows[0].cells[0]
    assert [p.text for p in left.paragraphs if p.text][1:] == [f"- {r};" for r in shipped.noi_nhan[:-1]] + [
        f"- {shipped.noi_nhan[-1]}."
    ]


def test_the_report_is_written_whole_with_no_temporary_file_left(case):
    assert sorted(p.name for p in case["root"].iterdir() if p.name.startswith(".")) == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_report_with_its_header_and_counts(case, tmp_path):
    """Printed as LibreOffice prints it, with today's department name on one line of the header."""
    profile = (tmp_path / "lo").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
        + [str(case["report"])],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "bao-cao-tham-dinh-2024.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "BÁO CÁO",
        "01/04 xã đạt, 01 xã không đạt, 02 xã chưa đánh giá được",
        "Căn cứ Quyết định số 318/QĐ-TTg",
        "70,5% < 80%",
        "Nơi nhận:",
    ):
        assert expected in flat, expected


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_today_s_department_prints_on_one_line_of_the_header(case, tmp_path):
    today = Settings(co_quan_chu_quan="UBND TỈNH NINH BÌNH", co_quan_ban_hanh="SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    path = report.write_report(tmp_path / "bao-cao.docx", 2025, case["result"], case["criteria"], today)
    profile = (tmp_path / "lo").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
        + [str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(["pdftotext", str(tmp_path / "bao-cao.pdf"), "-"], check=True, capture_output=True, text=True)
    lines = [line.strip() for line in text.stdout.splitlines()]
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in lines
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines


# ---- the per-commune sheets ----------------------------------------------------------------------------------------


def test_each_commune_has_a_sheet_starting_on_a_new_page(case):
    doc = case["sheets"]
    breaks = [p for p in doc.paragraphs if p.paragraph_format.page_break_before]
    assert len(breaks) == len(case["result"].communes) - 1
    titles = [p.text for p in doc.paragraphs if p.text.startswith("PHIẾU THẨM ĐỊNH")]
    assert len(titles) == len(case["result"].communes)


def test_a_sheet_shows_each_indicator_with_figures_threshold_result_and_cell(case):
    doc, letters = case["sheets"], case["letters"]
    tables = [t for t in doc.tables if t.rows[0].cells[0].text.startswith("Xã ")]
    failing = next(t for t in tables if "Bình Minh" in t.rows[0].cells[0].text)
    got = rows(failing)
    assert got[0][0].startswith("Xã Bình Minh – mã 00002 – năm 2024 – tệp số liệu: xa.xlsx, trang Xa, dòng 5")
    assert got[1] == ["Mã", "Chỉ tiêu", "Tử số", "Mẫu số", "Giá trị", "Ngưỡng", "Kết quả", "Ô số liệu"]
    assert len(got) == 2 + 25
    line = next(r for r in got if r[0] == "8.2.a")
    chu = letters.set_index(["trang", "cot"])["chu"]
    numerator, denominator = chu["Xa", "dan_so_lao_dong_smartphone"], chu["Xa", "dan_so_lao_dong"]
    assert line[2:] == ["7.050", "10.000", "70,5%", "≥ 80%", "× Không đạt", f"Xa!{numerator}5, Xa!{denominator}5"]
    village = next(r for r in got if r[0] == "8.3.a")
    assert village[5:] == [
        "100% số thôn",
        "Đạt",
        f"Thon!{chu['Thon', 'co_loa_hoat_dong']}7:{chu['Thon', 'co_loa_hoat_dong']}9",
    ]
    flag = next(r for r in got if r[0] == "8.1")
    assert flag[2:7] == ["", "", "Có", "Có", "Đạt"]
    model = next(t for t in tables if "Đông Sơn" in t.rows[0].cells[0].text)
    km0 = next(r for r in rows(model) if r[0] == "KM.0")
    assert km0[4:7] == ["2022", "trước 2024", "Đạt"]
    assert len(rows(model)) == 2 + 31


def test_a_sheet_has_the_identity_a_remarks_box_and_signature_lines(case):
    doc = case["sheets"]
    identities = [t for t in doc.tables if t.rows[0].cells[0].text == "Mã xã:"]
    first = rows(identities[0])
    assert first[0] == ["Mã xã:", "00001", "Năm đánh giá:", "2024"]
    assert first[1] == ["Tên xã:", "An Bình", "Hạng đăng ký:", "NTM nâng cao"]
    assert first[2][:3] == ["Huyện:", "huyện Thử", "Kết quả chung:"] and first[2][3].startswith("Đạt (25/25")
    unknown = rows(identities[-1])
    assert unknown[0][1] == "" and unknown[1][1] == "Không Mã"
    boxes = [t for t in doc.tables if t.rows[0].cells[0].text.startswith("Ý kiến của cán bộ thẩm định về hồ sơ")]
    assert boxes[0].rows[0].cells[0].text == "Ý kiến của cán bộ thẩm định về hồ sơ Xã An Bình, mã 00001:"
    assert len(boxes) == len(identities) == len(case["result"].communes)
    assert len(boxes[0].rows) >= 4 and boxes[0]._tbl.xpath(".//w:insideH[@w:val='dotted']")
    signs = [t for t in doc.tables if t.rows[-1].cells[0].text.startswith("CÁN BỘ THẨM ĐỊNH")]
    assert len(signs) == len(boxes)
    assert rows(signs[0])[0] == ["", "Hà Nam, ngày …… tháng …… năm 2024"]  # the date line the officer fills in


# ---- settings ------------------------------------------------------------------------------------------------------


def test_the_shipped_settings_are_neutral_and_the_ha_nam_2024_example_invents_no_name_or_number():
    shipped = load_settings(REPO / "cau-hinh.toml")
    assert shipped == Settings(source=REPO / "cau-hinh.toml")  # every setting a dotted placeholder
    assert all(shipped.shown(key) == PLACEHOLDER for key in ("co_quan_chu_quan", "co_quan_ban_hanh", "nguoi_ky"))
    s = load_settings(EXAMPLE)
    assert (s.co_quan_chu_quan, s.co_quan_ban_hanh, s.dia_danh) == (
        "UBND TỈNH HÀ NAM",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "Hà Nam",
    )
    assert s.so is None and s.ky_hieu is None and s.nguoi_ky is None and s.ngay is None and s.can_cu == ()
    assert s.shown("nguoi_ky") == PLACEHOLDER and s.noi_nhan[-1] == "Lưu: VT"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('co_quan = "Sở"\n', 'cau-hinh.toml: khóa "co_quan" không có; các khóa dùng được: co_quan_chu_quan'),
        ("nguoi_ky = 5\n", "cau-hinh.toml: nguoi_ky = 5: cần chữ trong ngoặc kép"),
        ('ngay = "10/12/2024"\n', 'cau-hinh.toml: ngay = "10/12/2024": cần một ngày dạng năm-tháng-ngày'),
        ('noi_nhan = "UBND tỉnh"\n', 'cau-hinh.toml: noi_nhan = "UBND tỉnh": cần danh sách'),
        ('[[can_cu]]\ntrich_yeu = "x"\n', "cau-hinh.toml: [[can_cu]] thứ 1: so: mỗi căn cứ cần số văn bản"),
        ('[[can_cu]]\nso = "1/QĐ-UBND"\nnguoi = "x"\n', 'cau-hinh.toml: [[can_cu]] thứ 1: khóa "nguoi" không có'),
        ("so = \n", "cau-hinh.toml: lỗi cú pháp TOML"),
    ],
)
def test_a_faulty_settings_file_is_refused_in_one_line_naming_file_and_key(tmp_path, monkeypatch, text, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cau-hinh.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(Path("cau-hinh.toml"))
    assert str(caught.value).startswith(where) and "\n" not in str(caught.value), str(caught.value)


def test_a_settings_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="không đọc được tệp cấu hình"):
        load_settings(tmp_path / "khong-co.toml")


def test_settings_read_dates_recipients_and_the_provinces_legal_bases(tmp_path):
    path = tmp_path / "cau-hinh.toml"
    path.write_text(
        'so = "125"\nky_hieu = "BC-STTTT"\nngay = 2024-12-10\nnoi_nhan = ["UBND tỉnh;", " ", "Lưu: VT."]\n'
        '[[can_cu]]\nso = "12/KH-UBND"\nloai = "Kế hoạch"\nco_quan = "UBND tỉnh"\n',
        encoding="utf-8",
    )
    s = load_settings(path)
    assert (s.so, s.ky_hieu, s.ngay) == ("125", "BC-STTTT", dt.date(2024, 12, 10))
    assert s.noi_nhan == ("UBND tỉnh;", "Lưu: VT.")
    assert s.can_cu == (LegalBasis(number="12/KH-UBND", kind="Kế hoạch", issuer="UBND tỉnh"),)
    assert report.basis_line(s.can_cu[0]) == "Căn cứ Kế hoạch số 12/KH-UBND của UBND tỉnh;"


# ---- provenance in the catalog -------------------------------------------------------------------------------------


def test_every_tier_and_indicator_of_the_shipped_catalog_states_its_source_and_certainty():
    raw = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    for entry in raw["tiers"] + raw["indicators"]:
        assert entry.get("source") and entry.get("certainty"), entry.get("key", entry.get("id"))
    (criteria,) = criteria_files()
    assert [(b.number, b.date, b.issuer) for b in criteria.legal_bases] == [
        ("318/QĐ-TTg", dt.date(2022, 3, 8), "Thủ tướng Chính phủ"),
        ("319/QĐ-TTg", dt.date(2022, 3, 8), "Thủ tướng Chính phủ"),
    ]
    tiers = criteria.tiers
    assert tiers["basis"].to_dict() == {
        "ntm": ("318/QĐ-TTg",),
        "nang_cao": ("318/QĐ-TTg",),
        "kieu_mau": ("319/QĐ-TTg",),
    }
    assert set(tiers["certainty"]) == {"van-ban-quoc-gia"}
    assert "Phụ lục I," in tiers.at["ntm", "source"] and "Phụ lục II" in tiers.at["nang_cao", "source"]
    assert "15.2" in tiers.at["nang_cao", "source"]
    certainty = criteria.indicators["certainty"]
    assert certainty[["8.1", "8.2", "8.3", "8.4"]].eq("van-ban-quoc-gia").all()
    advanced = criteria.indicators[criteria.indicators["tier"] == "nang_cao"]
    assert advanced["certainty"].eq("thuc-tien-tinh").all() and len(advanced) == 21
    assert advanced["source"].str.contains("Hà Nam").all()
    assert certainty[["KM.1.a", "KM.1.b", "KM.1.c", "KM.1.d"]].eq("thuc-tien-tinh").all()
    cited = {n for s in [*criteria.indicators["source"], *tiers["source"]] for n in DOCUMENT_NUMBER.findall(s)}
    assert cited <= {b.number for b in criteria.legal_bases}


def test_bases_of_a_tier_include_the_tiers_below_it():
    (criteria,) = criteria_files()
    assert [b.number for b in criteria.bases_of(["ntm"])] == ["318/QĐ-TTg"]
    assert [b.number for b in criteria.bases_of(["nang_cao"])] == ["318/QĐ-TTg"]
    assert [b.number for b in criteria.bases_of(["kieu_mau"])] == ["318/QĐ-TTg", "319/QĐ-TTg"]


FAULTS = {
    "certainty": (
        ('certainty = "van-ban-quoc-gia"', 'certainty = "chắc chắn"', 1),
        'hạng "ntm" ([[tiers]] thứ 1): certainty "chắc chắn" không có; các mức hợp lệ: van-ban-quoc-gia',
    ),
    "number": (
        ('number = "319/QĐ-TTg"', "", 1),
        "[[legal_bases]] thứ 2: thiếu number",
    ),
    "basis": (
        ('basis = ["319/QĐ-TTg"]', 'basis = ["320/QĐ-TTg"]', 1),
        'hạng "kieu_mau" ([[tiers]] thứ 3): basis "320/QĐ-TTg" không có trong [[legal_bases]]',
    ),
    "source": (
        ('source = "QĐ 318/QĐ-TTg, Phụ lục I, tiêu chí 8 (tên', 'source = "QĐ 1127/QĐ-BTTTT (tên', 1),
        'chỉ tiêu "8.1" ([[indicators]] thứ 1): source nêu "1127/QĐ-BTTTT"',
    ),
    "date": (
        ("date = 2022-03-08", 'date = "8/3/2022"', 1),
        '[[legal_bases]] thứ 1): date = "8/3/2022": cần ngày ban hành',
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_provenance_is_refused_naming_the_entry_and_key(tmp_path, monkeypatch, fault):
    (old, new, count), message = FAULTS[fault]
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "schemas"
    folder.mkdir()
    shutil.copy(catalog.SCHEMAS / "columns.toml", folder)
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    (folder / "criteria-2021-2025.toml").write_text(text.replace(old, new, count), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_criteria(folder / "criteria-2021-2025.toml")
    assert str(caught.value).startswith("schemas/criteria-2021-2025.toml: ")
    assert message in str(caught.value) and "\n" not in str(caught.value), str(caught.value)


def test_a_catalog_without_provenance_loads_as_unverified(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    text = re.sub(r"^(source|certainty|basis) = .*\n", "", text, flags=re.M)
    text = re.sub(r"^\[\[legal_bases\]\]\n(?:.+\n)+\n", "", text, flags=re.M)
    shutil.copy(catalog.SCHEMAS / "columns.toml", tmp_path)
    (tmp_path / "criteria-2021-2025.toml").write_text(text, encoding="utf-8")
    criteria = load_criteria(tmp_path / "criteria-2021-2025.toml")
    assert criteria.legal_bases == () and criteria.bases_of(["kieu_mau"]) == ()
    assert set(criteria.indicators["certainty"]) == {"chua-kiem-chung"} and set(criteria.indicators["source"]) == {""}


def test_a_year_without_a_catalog_cites_nothing_and_says_why_in_the_table(tmp_path):
    xa = [passing_commune("13456", nam=2026, ten_xa="Tân\x0bLập")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [passing_village("13456")])
    outcome = run.run(tmp_path / "input", tmp_path / "output", workers=1, quiet=True)
    path = report.write_report(
        tmp_path / "r.docx", 2026, outcome.years[2026], outcome.criteria[2026], None, outcome.problems
    )
    doc = Document(str(path))
    assert not [line for line in body(doc) if line.startswith("Căn cứ")]
    assert not {n for line in texts(doc) for n in DOCUMENT_NUMBER.findall(line)}
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "STT")
    assert rows(table)[1][1:] == ["Xã Tân Lập", "huyện Thử", "Chưa đánh giá được", rows(table)[1][4]]
    assert rows(table)[1][4] == "Năm đánh giá ghi “2026”: không có bộ chỉ tiêu cho năm đánh giá này"


def test_names_with_markup_characters_print_as_typed_in_both_documents(tmp_path):
    """The documents' text is written as XML: a name holding <, >, & or quotes must come out as typed."""
    name, district = 'Xã <An> & "Bình"', "huyện A&B <mới>"
    xa = [passing_commune("00001", ten_xa=name, huyen=district, dan_so_lao_dong_smartphone=7050)]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [passing_village("00001")])
    outcome = run.run(tmp_path / "input", tmp_path / "output", workers=1, quiet=True)
    folder = tmp_path / "output" / "2024"
    for path in (folder / "bao-cao-tham-dinh-2024.docx", folder / "phieu-tham-dinh-2024.docx"):
        lines = texts(Document(str(path)))
        assert any(name in line for line in lines), path.name
        assert any(district in line for line in lines), path.name
    assert outcome.years[2024].communes["ten_xa"].tolist() == [name]
