"""What an officer sees in the generated workbooks: sheets, texts, formats, print set-up."""

import os
import re
import shutil
import subprocess

import openpyxl
import pytest
from conftest import REPO, Run, passing_commune, passing_village, rules_on, write_workbook


def villages(ma_xa, n=3):
    return [passing_village(ma_xa, f"thôn {i}", smart=i == 1) for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Three advanced communes in two districts: one met, one failing, one not assessable."""
    root = tmp_path_factory.mktemp("mixed")
    xa = [
        passing_commune("00001", ten_xa="An Phú", huyen="huyện Một"),
        passing_commune(
            "00002", ten_xa="Bình Minh", huyen="huyện Một", dan_so_lao_dong_smartphone=7050, van_ban_ky_so=650
        ),
        passing_commune("00003", ten_xa='=HYPERLINK("x")', huyen="huyện Hai", tong_so_ho=0, so_ho_xem_truyen_hinh=0),
    ]
    write_workbook(root / "input" / "hai.xlsx", xa, villages("00001") + villages("00002") + villages("00003"))
    return Run(root / "input", root / "output")


def book(run, name="tong-hop-2024.xlsx"):
    return openpyxl.load_workbook(run.output / "2024" / name)


def test_paragraph_names_the_communes_that_fell_short(mixed):
    assert mixed.exit_code == 3
    text = book(mixed)["Tổng hợp"]["A4"].value
    assert text == (
        "01/03 xã đăng ký đạt chuẩn NTM nâng cao năm 2024 đạt chuẩn các chỉ tiêu ngành TT&TT, "
        "01 xã không đạt, 01 xã chưa đánh giá được. "
        "Các xã chưa đạt: xã Bình Minh (8.2.a – Tỷ lệ người trong độ tuổi lao động có thuê bao điện thoại thông minh, "
        "70,5%; 15.2.f – Tỷ lệ văn bản được xử lý trên hệ thống và ký số (trừ văn bản mật), 65,0%). "
        'Các xã chưa đủ số liệu để đánh giá: xã =HYPERLINK("x") (8.3.c – Tỷ lệ hộ gia đình thu xem được truyền hình).'
    )


def test_paragraph_names_a_few_communes_and_counts_the_rest(tmp_path):
    """At national scale hundreds fall short: the paragraph names five, counts the others, sends to the sheet."""
    short = {"dan_so_lao_dong_smartphone": 7050}  # 70,5% of 10.000, under the 80% of 8.2.a
    xa = [passing_commune(f"{i:05d}", ten_xa=f"Xã Số {i}", **short) for i in range(1, 9)]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [v for c in xa for v in villages(c["ma_xa"], 1)])
    ws = book(Run(tmp_path / "input", tmp_path / "output"))["Tổng hợp"]
    text = ws["A4"].value
    named = [f"Xã Số {i}" for i in range(1, 9) if f"Xã Số {i} (8.2.a" in text]
    assert named == [f"Xã Số {i}" for i in range(1, 6)]
    assert text.endswith("70,5%); và 03 xã khác (xem trang “NTM nâng cao”).")
    assert ws.row_dimensions[4].height <= 409  # the tallest row Excel allows


def test_overview_counts_per_tier_and_district(mixed):
    ws = book(mixed)["Tổng hợp"]
    rows = [tuple(c.value for c in r[:8]) for r in ws.iter_rows(min_row=6, max_row=14)]
    assert (
        "Hạng đăng ký",
        "Đăng ký",
        "Đã nhận hồ sơ",
        "Đạt",
        "Không đạt",
        "Chưa đánh giá được",
        "Kết quả",
        None,
    ) in rows
    assert ("NTM nâng cao", 3, 3, 1, 1, 1, "01/03", None) in rows
    assert ("huyện Hai", "NTM nâng cao", 1, 1, 0, 0, 1, "0/01") in rows  # no document writes "00"
    assert ("huyện Một", "NTM nâng cao", 2, 2, 1, 1, 0, "01/02") in rows
    assert len(ws._charts) == 1


def tier_columns(ws) -> dict[str, int]:
    """Header texts of row 4 (first line: "8.2.a", "Kết quả chung", …) -> 0-based column."""
    return {str(c.value).split("\n")[0]: i for i, c in enumerate(ws[4]) if c.value}


def tier_cells(ws) -> dict[str, dict]:
    """Each commune's cells of a tier sheet by heading ("8.2.a", "Kết quả chung", …), and the total row's
    ("Số xã đạt"), each read under the header of its band: a tier of a few communes prints stacked in bands,
    each band a row per commune."""
    cells: dict[str, dict] = {}
    heads: dict[str, int] = {}
    for row in ws.iter_rows(min_row=4):
        if row[1].value in ("Mã xã", "Code"):
            heads = {str(c.value).split("\n")[0]: i for i, c in enumerate(row) if c.value}
        elif isinstance(row[0].value, int) or row[0].value in ("Số xã đạt", "Communes met"):
            key = row[1].value if isinstance(row[0].value, int) else row[0].value
            cells.setdefault(key, {}).update({head: row[i] for head, i in heads.items()})
    return cells


def test_tier_sheet_values_symbols_and_colours(mixed):
    ws = book(mixed)["NTM nâng cao"]
    assert "8.2.a\n≥ 80%" in [c.value for r in ws.iter_rows() for c in r]
    rows = tier_cells(ws)
    binh_minh, an_phu, third = rows["00002"], rows["00001"], rows["00003"]

    def symbol(cell):
        return ws.cell(cell.row, cell.column + 1)

    assert (binh_minh["8.2.a"].value, binh_minh["8.2.a"].number_format) == (0.705, "0.0%")
    assert symbol(binh_minh["8.2.a"]).value == "KĐ"  # the result symbol beside each value
    assert symbol(an_phu["8.2.a"]).value == "Đ"
    assert binh_minh["Kết quả chung"].value == "Không đạt"
    assert binh_minh["Chỉ tiêu chưa đạt / chưa đánh giá được"].value == "Không đạt: 8.2.a, 15.2.f."
    assert third["Kết quả chung"].value == "Chưa đánh giá được"
    assert symbol(third["8.3.c"]).value == "?"
    assert symbol(third["15.2.l"]).value == "Đ"
    # the total row counts the communes meeting each indicator
    total = rows["Số xã đạt"]
    assert (total["Kết quả chung"].value, total["8.2.a"].value, total["8.1"].value) == ("01/03", 2, 3)
    # symbols coloured by their text, values by the symbol to their right, the overall result by its word
    # (a rule for each result the table shows: no commune here has an indicator "not applicable", "–")
    indicators = [h for h in binh_minh if re.fullmatch(r"\d+(\.\w+)+|\d+", h)]
    assert len(indicators) == 25
    for commune in (binh_minh, an_phu, third):
        assert ("cellIs", f'"{commune["Kết quả chung"].value}"') in rules_on(ws, commune["Kết quả chung"])
        for key in indicators:
            value, shown = commune[key], symbol(commune[key])
            assert ("cellIs", f'"{shown.value}"') in rules_on(ws, shown)
            assert ("expression", f'{shown.coordinate}="{shown.value}"') in rules_on(ws, value)
    formulas = {rule.formula[0] for cf in ws.conditional_formatting for rule in cf.rules if rule.type == "cellIs"}
    assert formulas == {'"?"', '"KĐ"', '"Đ"', '"Chưa đánh giá được"', '"Không đạt"', '"Đạt"'}


def test_text_from_cells_stays_text(mixed):
    ws = book(mixed)["NTM nâng cao"]
    cell = next(r[2] for r in ws.iter_rows(min_row=6) if r[1].value == "00003")
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


def test_print_settings_on_every_sheet(mixed):
    wb = book(mixed)
    # no sheet for an empty tier; the chart's figures on a hidden sheet, last
    assert wb.sheetnames == ["Tổng hợp", "NTM nâng cao", "Thôn", "Lỗi dữ liệu", "Nguồn", "Kết quả theo huyện"]
    printed = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert len(printed) == 5
    for ws in printed:
        assert ws.page_setup.paperSize == 9, ws.title
        assert "Trang &P/&N" in ws.oddFooter.right.text, ws.title
        assert ws.oddFooter.left.text.startswith("Ngày lập: "), ws.title
        fit = getattr(ws.sheet_properties.pageSetUpPr, "fitToPage", None)
        if ws.title in ("Lỗi dữ liệu", "Nguồn"):  # their columns fit the page: one page wide at 100 %
            assert fit and (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title
        else:  # at full size: the overview fits a page's width, wider tables split into pages
            assert not fit, ws.title
    assert [ws.page_setup.orientation for ws in printed] == ["portrait", *["landscape"] * 4]
    tier = wb["NTM nâng cao"]  # three communes: stacked in bands of a page's width, each with its header
    assert (tier.print_title_rows, tier.print_title_cols, tier.col_breaks.brk) == (None, None, [])
    assert tier.print_area.startswith("'NTM nâng cao'!$A$4:")
    assert "XÃ ĐĂNG KÝ NTM NÂNG CAO — NĂM 2024" in tier.oddHeader.left.text
    assert "Đ đạt · KĐ không đạt" in tier.oddHeader.left.text
    villages = wb["Thôn"]
    assert (villages.print_title_rows, villages.print_title_cols) == ("$4:$4", "$A:$E")
    assert villages.oddHeader.left.text.endswith("DANH SÁCH THÔN VÀ THÔN THÔNG MINH — NĂM 2024")


def test_problems_sheet_and_sources(mixed):
    wb = book(mixed)
    problems = [r for r in wb["Lỗi dữ liệu"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert problems == []  # the failures above are results, not data problems
    sources = list(wb["Nguồn"].iter_rows(values_only=True))
    assert ("Giai đoạn", "2021-2025") in [r[:2] for r in sources]
    files = [r for r in sources if r[0] == "hai.xlsx"]
    assert files[0][3:8] == (3, 3, 9, 9, 0)
    assert re.fullmatch(r"[0-9a-f]{64}", files[0][2])


def test_district_workbook_holds_only_its_district(mixed):
    wb = book(mixed, "huyen/huyen-mot.xlsx")
    assert wb.sheetnames == ["NTM nâng cao", "Thôn", "Lỗi dữ liệu"]
    assert wb["NTM nâng cao"].oddHeader.left.text.split("\n")[0].endswith("— HUYỆN MỘT")
    assert list(tier_cells(wb["NTM nâng cao"])) == ["00001", "00002", "Số xã đạt"]
    villages = {r[2] for r in wb["Thôn"].iter_rows(min_row=5, values_only=True)}
    assert villages == {"00001", "00002"}
    # colours for the results this district's table shows: one commune met every indicator, one did not
    rules = wb["NTM nâng cao"].conditional_formatting
    colours = {rule.formula[0] for r in rules for rule in r.rules if rule.type != "containsBlanks"}
    assert colours == {'"KĐ"', '"Không đạt"', '"Đ"', '"Đạt"', 'G6="KĐ"', 'G6="Đ"'}


def test_a_district_workbook_lists_its_own_communes_problems_and_its_files(tmp_path):
    """One file holding two districts' communes: a commune's problem goes to its district only, the file's to both."""
    xa = [
        passing_commune("00001", huyen="huyện Một", cot_la="?"),  # a column the catalog lacks: the file's problem
        passing_commune("00002", huyen="huyện Hai", dan_so_lao_dong_smartphone="nhiều"),  # the commune's problem
    ]
    write_workbook(tmp_path / "input" / "chung.xlsx", xa, villages("00001") + villages("00002"))
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3, run.result.output

    def listed(district: str) -> list[tuple]:
        ws = book(run, f"huyen/{district}.xlsx")["Lỗi dữ liệu"]
        return [(r[10], r[12]) for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]

    assert listed("huyen-mot") == [("", "cot-la")]
    assert listed("huyen-hai") == [("", "cot-la"), ("00002", "sai-kieu")]


def test_two_runs_give_identical_results(tmp_path):
    first = Run(REPO / "input", tmp_path / "a")
    second = Run(REPO / "input", tmp_path / "b")
    for name in ("ket-qua-2024.csv", "xa-2024.csv", "loi-du-lieu.csv"):
        assert (first.output / "2024" / name).read_bytes() == (second.output / "2024" / name).read_bytes()
    for relative in ("tong-hop-2024.xlsx", "huyen/thi-xa-kim-bang.xlsx"):
        a, b = book(first, relative), book(second, relative)
        for ws_a, ws_b in zip(a.worksheets, b.worksheets, strict=True):
            cells_a = [c.value for row in ws_a.iter_rows() for c in row]
            cells_b = [c.value for row in ws_b.iter_rows() for c in row]
            if ws_a.title == "Nguồn":  # the run's time differs, nothing else
                cells_a = [v for v in cells_a if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(v))]
                cells_b = [v for v in cells_b if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(v))]
            assert cells_a == cells_b, ws_a.title


def test_locked_summary_gives_a_clear_message(tmp_path, monkeypatch):
    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    run = Run(REPO / "input", tmp_path / "out")
    assert run.exit_code == 1
    assert "đang mở trong chương trình khác" in run.result.output
    assert "Traceback" not in run.result.output
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "out").rglob("*"))


def test_english_option(tmp_path):
    run = Run(REPO / "input", tmp_path / "out", "--lang", "en")
    wb = book(run)
    sheets = ["Overview", "Advanced", "Model", "Villages", "Data problems", "Sources", "Results by district"]
    assert wb.sheetnames == sheets
    assert wb["Overview"]["A4"].value.startswith("15/15 communes registered for the Advanced tier in 2024 meet")
    ws = wb["Advanced"]
    heads = tier_columns(ws)
    row = next(r for r in ws.iter_rows(min_row=6) if r[1].value)
    assert (row[heads["Overall"]].value, row[heads["8.2.a"] + 1].value) == ("Met", "M")
    assert wb["Villages"]["F4"].value == "Phone and Internet service"


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler-utils are not installed; CI installs them",
)
def test_summary_converts_to_pdf_in_libreoffice(tmp_path):
    run = Run(REPO / "input", tmp_path / "out")
    summary = run.output / "2024" / "tong-hop-2024.xlsx"
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(summary),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "tong-hop-2024.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    # overview 2 (its tables and chart, then the ratios); advanced tier 3, nine indicators a page; model tier 2,
    # stacked in bands; villages (124) 6; problems 1; sources 4. Before: 25, the overview shrunk to 75 %.
    assert pages == 18

    def words(first: int, last: int) -> list[tuple[float, str]]:
        """(height of its box, text) of each word printed on these pages: a box is 1.3 times the font size."""
        boxes = subprocess.run(
            ["pdftotext", "-f", str(first), "-l", str(last), "-bbox", str(pdf), "-"], capture_output=True, text=True
        )
        found = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', boxes.stdout)
        return [(float(b) - float(a), w) for a, b, w in found]

    assert min(h for h, _ in words(1, 2)) >= 1.3 * 9 - 0.1  # the overview: nothing under 9 pt
    advanced = words(3, 5)
    assert min(h for h, _ in advanced) >= 1.3 * 8 - 0.1  # the advanced tier: nothing under 8 pt
    symbols = sum(w in ("Đ", "KĐ", "?", "–") for _, w in advanced)
    assert symbols == 15 * 25 + 3 * 4  # 15 communes x 25 indicators, and the legend in each of the 3 page headers


def test_a_batch_with_no_district_gets_every_output_without_district_headings_or_files(tmp_path):
    """After July 2025 communes have no district: the summary groups by province alone."""
    xa = [passing_commune(c, huyen=None) for c in ("00001", "00002")]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village(c, smart=False) for c in ("00001", "00002")])
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 0, run.result.output
    assert not (tmp_path / "output" / "2024" / "huyen").exists()
    wb = book(run)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not any("huyện" in str(c).lower() and "không có" in str(c).lower() for c in cells)
    overview = [r[0] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[0]]
    assert (
        "1. Theo hạng đăng ký" in overview
        and "2. Các chỉ tiêu tỷ lệ (tính từ tổng tử số và tổng mẫu số của các xã có đủ cả hai)" in overview
    )
    assert not any(str(c).endswith("Theo huyện") for c in overview)
    rows = [r[:3] for r in wb["NTM nâng cao"].iter_rows(min_row=6, values_only=True)]
    assert rows[:2] == [(1, "00001", "Xã 00001"), (2, "00002", "Xã 00002")]


def test_sources_sheet_cites_the_catalogs_legal_bases_and_each_indicators_provenance(mixed):
    rows = [r for r in book(mixed)["Nguồn"].iter_rows(values_only=True) if r[0]]
    bases = [r[1] for r in rows if r[0] == "Căn cứ"]
    assert [b.split(" ngày")[0] for b in bases] == ["Quyết định số 318/QĐ-TTg", "Quyết định số 319/QĐ-TTg"]
    certainty = next(r for r in rows if r[0] == "Chỉ tiêu").index("Mức độ kiểm chứng")
    provenance = {r[0]: r[certainty] for r in rows if r[0] in ("8.1", "8.2.a", "KM.0")}
    assert provenance == {
        "8.1": "đã đối chiếu văn bản quốc gia",
        "8.2.a": "theo thực tiễn thẩm định của tỉnh",
        "KM.0": "chưa kiểm chứng",
    }
    assert not any("1127" in str(c) for r in rows for c in r)


def test_overview_lists_the_communes_that_met_a_tier_last_year_and_do_not_now(tmp_path):
    """2023 and 2024 in one run: 00002 met the advanced tier in 2023 and fails 8.2.a in 2024."""
    xa = [
        passing_commune("00001", nam=2023),
        passing_commune("00002", nam=2023, ten_xa="Xã Giảm"),
        passing_commune("00001", nam=2024),
        passing_commune("00002", nam=2024, ten_xa="Xã Giảm", dan_so_lao_dong_smartphone=7000),
    ]
    thon = [passing_village(c, smart=False, nam=y) for c in ("00001", "00002") for y in (2023, 2024)]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, thon)
    run = Run(tmp_path / "input", tmp_path / "output")
    rows = [r for r in book(run)["Tổng hợp"].iter_rows(values_only=True) if r[0]]
    titles = [r[0] for r in rows]
    assert "4. So với năm 2023: xã đã đạt chuẩn năm 2023 nhưng năm 2024 chưa đạt hạng đó" in titles
    assert ("Xã Giảm", "huyện Thử", "00002", "NTM nâng cao", "Không đạt") in [r[:5] for r in rows]
    assert not any(r[0] == "Xã 00001" for r in rows)
