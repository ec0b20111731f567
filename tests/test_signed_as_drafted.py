"""The report and the per-commune sheets as papers an officer signs as drafted (issue 21, items 2, 3 and 8):
sentences instead of cells, a draft that says so, an appendix per indicator, sheets that name their commune on
every page and carry no doubts of the tool, and one term, one count and one date format everywhere.

The batch is what arrives after July 2025: no districts, a department of another province, and slips — a share
typed in a count, a count typed wrong, village cells left empty, a commune that fails, and a registered commune
that sent nothing."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from conftest import passing_commune, passing_village, write_workbook
from docx import Document
from docx.oxml.ns import qn

from pipeline import catalog, problems, run
from pipeline.assessing.kinds import threshold_text
from pipeline.catalog import LegalBasis
from pipeline.presenting import words
from pipeline.reading.read import read_batch
from pipeline.settings import Settings
from pipeline.writing.report import write_report
from pipeline.writing.sheets import write_sheets

YEAR = 2025
NINH_BINH = Settings(
    co_quan_chu_quan="UBND TỈNH NINH BÌNH", co_quan_ban_hanh="SỞ KHOA HỌC VÀ CÔNG NGHỆ", dia_danh="Ninh Bình"
)
SMART_OFF = {"to_cong_nghe_so": "Không", "kenh_mang_xa_hoi": "Không", "truy_xuat_tmdt": "Không"}


def commune(code: str, name: str, **overrides) -> dict:
    return passing_commune(code, ten_xa=name, huyen=None, nam=YEAR, **overrides)


def villages(code: str, n: int = 3, **overrides) -> list[dict]:
    return [passing_village(code, f"thôn {i}", smart=False, nam=YEAR, **overrides) for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def slips(tmp_path_factory):
    """Seven communes for 2025, none with a district: one registered sent nothing, one sent but is not on the list
    (a warning for the department, nothing the commune must fix)."""
    root = tmp_path_factory.mktemp("ky")
    xa = [
        commune("13456", "Liêm Hà"),
        commune("13474", "Tân Thanh", dan_so_lao_dong_smartphone=0.85),  # 85% typed where a count is asked
        commune("13483", "Thanh Bình", van_ban_ky_so="4.8.70"),
        commune("13489", "Thanh Lâm", dan_so_lao_dong_smartphone=7050),  # 70,5% < 80%: fails 8.2.a
        commune("13495", "Thanh Liêm", tier="kieu_mau"),
        commune("13501", "Bình Mỹ", dan_so_lao_dong=""),
    ]
    boi_cau = villages("13501", 6)
    for i in (0, 1, 4):
        boi_cau[i]["co_loa_hoat_dong"] = ""
    boi_cau[3]["co_vien_thong_internet"] = ""
    model = [passing_village("13495", "thôn 1", nam=YEAR)]
    model += [passing_village("13495", f"thôn {i}", nam=YEAR, **SMART_OFF) for i in (2, 3, 4)]
    thon = [v for code in ("13456", "13474", "13483", "13489") for v in villages(code)] + model + boi_cau
    write_workbook(root / "input" / "xa.xlsx", xa, thon)
    listed = root / "dang-ky.csv"
    listed.write_text(
        "ma_xa,ten_xa,huyen,hang_dang_ky,nam\n"
        + "".join(f"{r['ma_xa']},{r['ten_xa']},,{r['hang_dang_ky']},{YEAR}\n" for r in xa if r["ma_xa"] != "13489")
        + f"13504,Bình Lục,,nang_cao,{YEAR}\n",
        encoding="utf-8",
    )
    outcome = run.run(root / "input", root / "output", workers=1, quiet=True, registered=listed)
    result, criteria = outcome.years[YEAR], outcome.criteria[YEAR]
    letters = read_batch(root / "input", catalog.load_columns(), workers=1).letters
    report = write_report(root / "bao-cao.docx", YEAR, result, criteria, NINH_BINH, outcome.problems)
    sheets = write_sheets(root / "phieu.docx", YEAR, result, criteria, letters, NINH_BINH, outcome.problems)
    return {
        "root": root,
        "outcome": outcome,
        "result": result,
        "criteria": criteria,
        "report": report,
        "sheets": sheets,
        "doc": Document(str(report)),
        "phieu": Document(str(sheets)),
    }


def texts(doc) -> list[str]:
    """Every paragraph of the body, tables included, in order."""
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))]


def section(doc, start: str, end: str) -> list[str]:
    lines = [p.text for p in doc.paragraphs]
    at = next(i for i, line in enumerate(lines) if line.endswith(start))
    stop = next(i for i, line in enumerate(lines[at:], at) if line.startswith(end))
    return lines[at + 1 : stop]


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def tier_table(doc, n: int):
    return [t for t in doc.tables if t.rows[0].cells[0].text == "STT"][n]


def sheet_of(doc, name: str):
    """A commune's indicator table on the sheets (its caption names the commune)."""
    return next(t for t in doc.tables if t.rows[0].cells[0].text.startswith(f"Xã {name} – mã"))


# ---- the report speaks in sentences ------------------------------------------------------------------------------


def test_the_recommendations_say_in_words_what_each_commune_must_supply_or_fix(slips):
    lines = section(slips["doc"], "KIẾN NGHỊ", "Trên đây")
    assert lines == [
        "Đề nghị các xã sau khắc phục các chỉ tiêu chưa đạt, bổ sung, sửa số liệu còn thiếu hoặc sai và gửi lại "
        "hồ sơ để thẩm định:",
        "- Xã Tân Thanh, đăng ký đạt chuẩn NTM nâng cao:",
        "+ Chưa đánh giá được chỉ tiêu 8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông "
        "minh: số người trong độ tuổi lao động dùng điện thoại thông minh ghi 85% — hãy nhập số người, không "
        "nhập tỷ lệ.",
        "- Xã Thanh Bình, đăng ký đạt chuẩn NTM nâng cao:",
        "+ Chưa đánh giá được chỉ tiêu 15.2.f – Tỷ lệ văn bản được xử lý trên hệ thống và ký số (trừ văn bản mật): "
        "số văn bản xử lý trên hệ thống, ký số ghi “4.8.70”, cần số nguyên không âm (ví dụ 1234 hoặc 1.234).",
        "- Xã Thanh Lâm, đăng ký đạt chuẩn NTM nâng cao:",
        "+ Không đạt chỉ tiêu 8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông minh: "
        "70,5% < 80%.",
        "- Xã Bình Mỹ, đăng ký đạt chuẩn NTM nâng cao:",
        "+ Chưa đánh giá được các chỉ tiêu 8.2.a, 15.2.k: chưa có số liệu dân số trong độ tuổi lao động.",
        "+ Chưa đánh giá được các chỉ tiêu 8.3, 8.3.a: 03 thôn (thôn 1, thôn 2, thôn 5) chưa báo hệ thống loa "
        "hoạt động thường xuyên.",
        "+ Chưa đánh giá được chỉ tiêu 8.2 – Có dịch vụ viễn thông, Internet đến tất cả các thôn: thôn 4 chưa "
        "báo có dịch vụ điện thoại và Internet.",
        "- Xã Bình Lục, đăng ký đạt chuẩn NTM nâng cao:",
        "+ Chưa nộp hồ sơ; đề nghị xã gửi hồ sơ.",
        "Vị trí từng ô số liệu cần bổ sung, sửa được ghi tại phiếu thẩm định của từng xã (kèm theo) và trang Lỗi dữ "
        "liệu của bảng tổng hợp kết quả thẩm định.",
    ]


def test_the_report_names_no_file_cell_csv_or_message_code(slips):
    everything = "\n".join(texts(slips["doc"]))
    assert not re.search(r"\.(xlsx|xls|csv|ods)\b", everything, re.I)
    assert not re.search(r"\b(Xa|Thon)!|\b[A-Z]{1,3}\d{1,5}\b", everything), re.findall(
        r"\b[A-Z]{1,3}\d+\b", everything
    )
    assert not [code for code in problems.SEVERITY if code in everything]
    assert "Giá trị không đúng kiểu" not in everything and "Ô để trống" not in everything
    assert "lỗi khác" not in everything and "0.85" not in everything


def test_a_registered_commune_that_sent_nothing_reads_chua_nop_ho_so(slips):
    got = rows(tier_table(slips["doc"], 0))
    gia_hung = next(r for r in got if r[1] == "Xã Bình Lục")
    assert gia_hung[2:] == ["Chưa đánh giá được", "Chưa nộp hồ sơ"]
    assert not any("25 chỉ tiêu" in cell for r in got for cell in r)


def test_a_batch_without_districts_prints_no_district_brackets_or_column(slips):
    doc = slips["doc"]
    assert rows(tier_table(doc, 0))[0] == ["STT", "Tên xã", "Kết quả", "Chỉ tiêu chưa đạt, chưa đánh giá được"]
    assert not any("()" in line for line in texts(doc))
    assert "- Xã Thanh Lâm, đăng ký đạt chuẩn NTM nâng cao:" in [p.text for p in doc.paragraphs]


def test_the_report_is_a_draft_while_a_commune_is_undecided_and_says_why_in_one_line(slips, tmp_path):
    doc = slips["doc"]
    assert doc.paragraphs[0].text == "DỰ THẢO" and doc.paragraphs[0].runs[0].bold
    assert doc.paragraphs[0]._p.xpath("./w:pPr/w:pBdr/w:top")  # boxed, at the top of the first page
    drafts = [p.text for p in doc.paragraphs if p.text.startswith("Báo cáo này là dự thảo")]
    assert drafts == [
        "Báo cáo này là dự thảo: còn 04/07 xã chưa đánh giá được (03 xã có hồ sơ còn thiếu hoặc sai số liệu; "
        "01 xã chưa nộp hồ sơ)."
    ]
    result, criteria = slips["result"], slips["criteria"]
    decided = type(result)(
        result.communes[result.communes["ket_qua"] != "khong_danh_gia_duoc"],
        result.results[result.results["ket_qua"] != "khong_danh_gia_duoc"],
        result.villages,
    )
    final = [p.text for p in Document(str(write_report(tmp_path / "a.docx", YEAR, decided, criteria))).paragraphs]
    assert "DỰ THẢO" not in final and not any(line.startswith("Báo cáo này là dự thảo") for line in final)
    undated = Document(str(write_report(tmp_path / "b.docx", YEAR, decided, criteria, undated=1)))
    assert undated.paragraphs[0].text == "DỰ THẢO"
    assert (
        "Báo cáo này là dự thảo: còn hồ sơ chưa đánh giá được (01 hồ sơ chưa ghi năm đánh giá nên chưa xếp được "
        "vào năm nào)." in [p.text for p in undated.paragraphs]
    )


def test_an_appendix_counts_the_communes_of_each_tier_meeting_each_indicator(slips):
    doc = slips["doc"]
    lines = [p.text for p in doc.paragraphs]
    at = lines.index("PHỤ LỤC")
    assert doc.paragraphs[at].paragraph_format.page_break_before
    assert lines[at + 1 : at + 3] == [
        "KẾT QUẢ THẨM ĐỊNH TỪNG CHỈ TIÊU THEO HẠNG ĐĂNG KÝ",
        "(Kèm theo Báo cáo số ……/…… ngày …… tháng …… năm 2025)",
    ]
    table = rows(doc.tables[-1])
    assert table[0] == ["Mã", "Chỉ tiêu", "NTM nâng cao (06 xã)", "NTM kiểu mẫu (01 xã)"]
    by_id = {r[0]: r[2:] for r in table[1:]}
    assert by_id["8.1"] == ["05/06", "01/01"]  # all but the commune that sent nothing
    assert by_id["8.2.a"] == ["02/06", "01/01"]  # one fails, two are undecided, one sent nothing
    assert by_id["KM.0"] == ["–", "01/01"]  # not an indicator of the advanced tier
    assert len(table) == 1 + 31


def test_the_attachments_are_named(slips, tmp_path):
    assert "(Kèm theo: Phụ lục kết quả thẩm định từng chỉ tiêu; 07 phiếu thẩm định của các xã.)" in [
        p.text for p in slips["doc"].paragraphs
    ]
    result, criteria = slips["result"], slips["criteria"]
    alone = Document(str(write_report(tmp_path / "r.docx", YEAR, result, criteria, sheets=False)))
    lines = [p.text for p in alone.paragraphs]
    assert "(Kèm theo: Phụ lục kết quả thẩm định từng chỉ tiêu.)" in lines
    assert not any("phiếu thẩm định" in line for line in lines)


def test_the_closing_lines_stay_with_the_signature_block(slips):
    """A page holding only the signatures would name nothing: the closing lines keep with the block."""
    paragraphs = slips["doc"].paragraphs
    at = next(i for i, p in enumerate(paragraphs) if p.text.startswith("Trên đây là báo cáo"))
    assert all(p.paragraph_format.keep_with_next for p in paragraphs[at : at + 3])


# ---- the per-commune sheets --------------------------------------------------------------------------------------


def test_every_sheet_names_its_commune_on_each_page_and_keeps_its_end_together(slips):
    doc = slips["phieu"]
    for name in ("Liêm Hà", "Bình Mỹ", "Thanh Liêm"):
        table = sheet_of(doc, name)
        assert [bool(r._tr.xpath("./w:trPr/w:tblHeader")) for r in table.rows[:3]] == [True, True, False]
        # a table touching the one before it would be merged into it, and its header would not repeat
        assert table._tbl.getprevious().tag == qn("w:p")
        last = table.rows[-1].cells[0].paragraphs[0].paragraph_format
        assert last.keep_with_next and not table.rows[2].cells[0].paragraphs[0].paragraph_format.keep_with_next
    boxes = [t for t in doc.tables if t.rows[0].cells[0].text.startswith("Ý kiến của cán bộ thẩm định")]
    assert boxes[0].rows[0].cells[0].text == "Ý kiến của cán bộ thẩm định về hồ sơ Xã Liêm Hà, mã 13456:"


def test_a_sheet_has_a_date_line_and_a_failed_result_stands_out(slips):
    doc = slips["phieu"]
    signs = [t for t in doc.tables if t.rows[-1].cells[0].text.startswith("CÁN BỘ THẨM ĐỊNH")]
    assert len(signs) == 7 and rows(signs[0])[0] == ["", "Ninh Bình, ngày …… tháng …… năm 2025"]
    line = next(r for r in sheet_of(doc, "Thanh Lâm").rows if r.cells[0].text == "8.2.a")
    result = line.cells[6]
    assert result.text == "× Không đạt" and result.paragraphs[0].runs[0].bold
    assert result._tc.xpath("./w:tcPr/w:shd")  # shaded: grey-scale prints it apart as well
    passed = next(r for r in sheet_of(doc, "Thanh Lâm").rows if r.cells[0].text == "8.1").cells[6]
    assert passed.text == "Đạt" and not passed.paragraphs[0].runs[0].bold


def test_an_undecided_indicator_says_why_in_words(slips):
    table = sheet_of(slips["phieu"], "Bình Mỹ")
    why = {r.cells[0].text: r.cells[1].paragraphs[-1].text for r in table.rows[2:] if r.cells[6].text != "Đạt"}
    assert why == {
        "8.2": "? Chưa đánh giá được vì thôn 4 chưa báo có dịch vụ điện thoại và Internet.",
        "8.3": "? Chưa đánh giá được vì 03 thôn (thôn 1, thôn 2, thôn 5) chưa báo hệ thống loa hoạt động thường xuyên.",
        "8.2.a": "? Chưa đánh giá được vì chưa có số liệu dân số trong độ tuổi lao động.",
        "8.3.a": "? Chưa đánh giá được vì 03 thôn (thôn 1, thôn 2, thôn 5) chưa báo hệ thống loa hoạt động "
        "thường xuyên.",
        "15.2.k": "? Chưa đánh giá được vì chưa có số liệu dân số trong độ tuổi lao động.",
    }
    unsent = rows(sheet_of(slips["phieu"], "Bình Lục"))
    assert unsent[2:] == [["Xã chưa nộp hồ sơ: chưa có số liệu để thẩm định."] * 8]


def test_the_sheets_cite_legal_bases_only_not_the_tools_doubts(slips):
    lines = texts(slips["phieu"])
    everything = "\n".join(lines)
    for doubt in ("Nguồn chỉ tiêu", "chưa đối chiếu", "cách hiểu của công cụ", "chưa kiểm chứng", "Hà Nam", "Sở TT&TT"):
        assert doubt not in everything, doubt
    assert not [c for c in catalog.CERTAINTY.values() if c in everything]
    bases = [line for line in lines if line.startswith("Căn cứ: ")]
    assert bases[0] == "Căn cứ: Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ."
    assert "Quyết định số 319/QĐ-TTg ngày 08/3/2022" in bases[4]  # the model tier's sheet
    assert len(bases) == 7


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_as_libreoffice_prints_them_every_page_of_the_sheets_names_its_commune(slips, tmp_path):
    profile = (tmp_path / "lo").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
        + [str(slips["sheets"])],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = str(tmp_path / "phieu.pdf")
    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) > 7  # the model tier and a commune with many reasons run onto a second page
    for page in pages:
        assert re.search(r"Xã [^\n–]+ – mã 13[45]\d\d", page), page[:200]
    assert all("CÁN BỘ THẨM ĐỊNH" not in page or "Kết quả" in page for page in pages)  # never signatures alone


# ---- one term, one count, one date -------------------------------------------------------------------------------


def test_counts_and_dates_are_written_one_way():
    assert [words.count(n) for n in (0, 1, 2, 9, 15, 120)] == ["0", "01", "02", "09", "15", "120"]
    assert words.count(2, "en") == "2"
    assert words.date(dt.date(2022, 3, 8)) == "08/3/2022" and words.date(dt.date(2024, 2, 5)) == "05/02/2024"
    assert words.long_date(dt.date(2024, 12, 1)) == "ngày 01 tháng 12 năm 2024"
    basis = LegalBasis(number="318/QĐ-TTg", date=dt.date(2022, 3, 8), issuer="Thủ tướng Chính phủ", title="ban hành …")
    assert words.citation(basis) == "Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành …"


def test_every_village_reads_100_percent_of_villages_not_at_least_100_percent():
    assert threshold_text("all_villages", 1) == "100% số thôn"
    assert threshold_text("ratio", 1) == "100%" and threshold_text("ratio", 0.8) == "≥ 80%"


def test_one_term_and_vietnamese_quotes_in_the_documents_and_the_summary(slips):
    import openpyxl

    book = openpyxl.load_workbook(slips["root"] / "output" / str(YEAR) / f"tong-hop-{YEAR}.xlsx", read_only=True)
    cells = [str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if c]
    everything = [*texts(slips["doc"]), *texts(slips["phieu"]), *cells]
    for stray in ("Mức đăng ký", "Mức đạt chuẩn", "mức đạt chuẩn", "«", "»", "≥ 100%", "00/"):
        assert not [line for line in everything if stray in line], stray
    assert "Hạng đăng ký" in cells and "Hạng cao nhất đạt" in cells
    assert any(c.startswith("Quyết định số 318/QĐ-TTg ngày 08/3/2022") for c in cells)  # as the report cites it
