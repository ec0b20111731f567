"""The workbooks on paper: what an officer prints reads at full size, and no page cuts a table from its header.

Asserted from the xlsx as Excel and LibreOffice print it: page set-up, column widths in printed points
(Excel prints a width unit of the default font, Times New Roman 10, as 7 pixels at 96 dpi: 5.25 points;
LibreOffice a little narrower), row heights, page breaks, fonts.
"""

import math

import openpyxl
import pytest
from conftest import REPO, Run, passing_commune, passing_village, rules_on, write_workbook

from pipeline.writing import style, workbook

PORTRAIT = (595.3 - 0.8 * 72, 841.9 - 1.1 * 72)  # A4 less the margins: 0.4 in a side, 0.5 in top, 0.6 in bottom
LANDSCAPE = (841.9 - 0.8 * 72, 595.3 - 1.1 * 72)
HEAD_FILL = "FFDDEBF7"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return Run(REPO / "input", tmp_path_factory.mktemp("sample") / "output")


@pytest.fixture(scope="module")
def slips(tmp_path_factory):
    """30 districts of two communes, NTM and advanced, with slips: a share typed where a count is asked, a village
    cell left empty, six communes short of 15.2.f (a long paragraph), long names."""
    root = tmp_path_factory.mktemp("slips")
    xa, thon = [], []
    for i in range(60):
        code = f"{10001 + i:05d}"
        over = {"dan_so_lao_dong_smartphone": "85%"} if i in (3, 17) else {}
        over |= {"van_ban_ky_so": 500} if i in (5, 9, 21, 31, 33, 45) else {}
        name, district = f"Xã Phước Long Trung {i}", f"huyện Hòa Bình Số {i // 2:02d}"
        xa.append(passing_commune(code, "ntm" if i % 2 else "nang_cao", ten_xa=name, huyen=district, **over))
        thon += [passing_village(code, f"thôn {v}", smart=v == 1) for v in range(1, 3)]
    thon[10]["co_loa_hoat_dong"] = None
    write_workbook(root / "input" / "tinh.xlsx", xa, thon)
    run = Run(root / "input", root / "output")
    assert run.exit_code == 3, run.result.output
    return run


def book(run, name="tong-hop-2024.xlsx"):
    return openpyxl.load_workbook(run.output / "2024" / name)


def printed_width(ws, columns) -> float:
    """Points that these columns (1-based) print across in Excel, the wider of the two programs."""
    widths = {c: d.width for d in ws.column_dimensions.values() for c in range(d.min, d.max + 1)}
    return sum(5.25 * widths[c] for c in columns)


def height(ws, row: int) -> float:
    return ws.row_dimensions[row].height or 15


def pages_down(ws, first: int, last: int) -> list[range]:
    """The rows of each printed page, from the sheet's manual page breaks (a break after row `id`)."""
    starts = [first, *(b.id + 1 for b in ws.row_breaks.brk), last + 1]
    return [range(a, b) for a, b in zip(starts, starts[1:], strict=False) if a < b]


def test_every_printed_text_is_at_least_8_pt_and_the_overview_at_least_9(sample):
    for name in ("tong-hop-2024.xlsx", "huyen/thi-xa-kim-bang.xlsx"):
        wb = book(sample, name)
        assert wb._named_styles["Normal"].font.name == "Times New Roman"  # LibreOffice measures columns by it
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            fit = getattr(ws.sheet_properties.pageSetUpPr, "fitToPage", None)
            assert not fit or ws.title in ("Lỗi dữ liệu", "Nguồn"), ws.title  # their columns fit: 100 %
            sizes = {c.font.sz for row in ws.iter_rows() for c in row if c.value is not None}
            assert min(sizes) >= (9 if ws.title == "Tổng hợp" else 8), (name, ws.title, sorted(sizes))


def test_the_overview_fits_a_portrait_page_at_full_size(sample):
    ws = book(sample)["Tổng hợp"]
    assert ws.page_setup.orientation == "portrait"
    assert not getattr(ws.sheet_properties.pageSetUpPr, "fitToPage", None) and ws.page_setup.scale in (None, 100)
    assert ws.print_area == "'Tổng hợp'!$A$1:$H$" + ws.print_area.rsplit("$", 1)[1]
    assert printed_width(ws, range(1, 9)) <= PORTRAIT[0]


def test_no_overview_table_is_cut_from_its_header(slips):
    """30 districts of two tiers and a long paragraph: the district table runs over a page; each page it continues
    on begins with its header, and the chart and the ratio table start on a page they fit on."""
    ws = book(slips)["Tổng hợp"]
    last = int(ws.print_area.rsplit("$", 1)[1])
    pages = pages_down(ws, 1, last)
    assert len(pages) >= 3
    chart = ws._charts[0].anchor
    assert any(chart._from.row + 1 in page and chart.to.row + 1 in page for page in pages)
    heads = 0
    for page in pages:
        assert sum(height(ws, r) for r in page) <= PORTRAIT[1]
        in_table = False
        for r in page:
            cells = [c for c in ws[r][:8] if c.value is not None]
            if cells and cells[0].fill.fgColor.rgb == HEAD_FILL:
                in_table, heads = True, heads + 1
            elif not cells:
                in_table = False
            elif cells[0].border.left.style:  # a table's row
                assert in_table, f"row {r} begins a page without its header"
    assert heads >= 4  # three tables, the district table's header twice


def test_the_chart_figures_are_on_a_hidden_sheet(sample):
    wb = book(sample)
    data = wb["Kết quả theo huyện"]
    assert data.sheet_state == "hidden" and wb.sheetnames[-1] == data.title
    series = wb["Tổng hợp"]._charts[0].series
    assert [s.val.numRef.f for s in series] == [f"'Kết quả theo huyện'!${c}$2:${c}$7" for c in "BCD"]
    assert series[0].cat.strRef.f == "'Kết quả theo huyện'!$A$2:$A$7"
    assert [r[0].value for r in data.iter_rows(min_row=2)][:2] == ["huyện Bình Lục", "huyện Thanh Liêm"]
    overview = wb["Tổng hợp"]
    assert overview.max_column <= 8  # nothing beside the printed columns


def test_a_large_tier_fills_landscape_pages_side_by_side(sample):
    """15 communes, 25 indicators: nine indicators a page at full size (six before), the commune columns and
    the header rows repeated; as few pages as the indicators and the shortfalls need."""
    ws = book(sample)["NTM nâng cao"]
    assert ws.page_setup.orientation == "landscape"
    assert (ws.print_title_rows, ws.print_title_cols) == ("$4:$5", "$A:$E")
    last = ws.max_column
    starts = [6, *(b.id + 1 for b in ws.col_breaks.brk), last + 1]
    pages = [range(a, b) for a, b in zip(starts, starts[1:], strict=False)]
    fixed = printed_width(ws, range(1, 6))
    assert all(fixed + printed_width(ws, page) <= LANDSCAPE[0] for page in pages)
    assert len(pages) == math.ceil(printed_width(ws, range(6, last + 1)) / (LANDSCAPE[0] - fixed)) == 3
    ids = [str(ws.cell(4, c).value).split("\n")[0] for c in range(6, last + 1, 2)]
    assert [ids[(p.start - 6) // 2] for p in pages] == ["8.1", "8.3.a", "15.2.f"]


def tier_bands(ws) -> list[int]:
    """The header rows of a tier sheet (each band of a stacked sheet has its own)."""
    return [r[0].row for r in ws.iter_rows(min_row=4) if r[1].value == "Mã xã"]


def test_a_small_tier_prints_on_a_page_or_two(sample):
    """Two model communes, 31 indicators: stacked in bands of a page's width, each with its header, no band
    cut by a page (seven pages before)."""
    ws = book(sample)["NTM kiểu mẫu"]
    bands = tier_bands(ws)
    assert len(bands) == 4 and ws.print_title_rows is None and not ws.col_breaks.brk
    last = int(ws.print_area.rsplit("$", 1)[1])
    pages = pages_down(ws, 4, last)
    assert len(pages) == 2
    for page in pages:
        assert sum(height(ws, r) for r in page) <= LANDSCAPE[1] - 0.45 * 72  # the title in the header's margin
        assert page.start in bands
    for row in bands:
        used = [c.column for c in ws[row] if c.value is not None or c.coordinate in ws.merged_cells]
        assert printed_width(ws, range(1, max(used) + 1)) <= LANDSCAPE[0]
    ids = [str(c.value).split("\n")[0] for r in bands for c in ws[r][5:] if c.value]
    assert len(ids) == 31 + 2 and len(set(ids)) == len(ids)  # every indicator once, and the tail
    # a district's workbook: its one model commune on two pages
    district = book(sample, "huyen/thi-xa-kim-bang.xlsx")["NTM kiểu mẫu"]
    assert len(pages_down(district, 4, int(district.print_area.rsplit("$", 1)[1]))) == 2


def test_each_band_colours_its_results_and_repeats_the_commune(sample):
    ws = book(sample)["NTM kiểu mẫu"]
    rows = [r for r in ws.iter_rows(min_row=5) if r[1].value == "99601"]
    assert len(rows) == 4 and all(r[2].value == "Đinh Xá" for r in rows)
    for row in rows:
        assert ("cellIs", '"Đạt"') in rules_on(ws, row[3])
        for value in row[5:-1:2]:
            symbol = ws.cell(value.row, value.column + 1)
            if symbol.value in ("Đ", "KĐ", "?"):
                assert ("cellIs", f'"{symbol.value}"') in rules_on(ws, symbol)
                assert ("expression", f'{symbol.coordinate}="{symbol.value}"') in rules_on(ws, value)


def test_the_problems_sheet_wraps_its_texts_in_rows_that_fit(slips):
    ws = book(slips)["Lỗi dữ liệu"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"
    assert printed_width(ws, range(1, ws.max_column + 1)) <= LANDSCAPE[0]  # fit to width keeps it at 100 %
    heads = {c.value: c.column for c in ws[4]}
    rows = [r for r in ws.iter_rows(min_row=5) if r[0].value]
    assert any("hãy nhập số người" in r[heads["Mô tả"] - 1].value for r in rows)
    for r in rows:
        for head in ("Tệp", "Tên xã", "Cột", "Giá trị", "Mô tả"):
            cell = r[heads[head] - 1]
            assert cell.alignment.wrap_text, (head, cell.coordinate)
            if cell.value:
                # a lower bound: 4 points a character at 10 pt, 5 points a width unit, a line 10 points high
                chars = printed_width(ws, [cell.column]) / 5.25 * 5 / 4
                assert height(ws, cell.row) >= 10 * math.ceil(len(str(cell.value)) / chars), cell.coordinate


def test_the_sources_sheet_reads_on_landscape_paper(sample):
    ws = book(sample)["Nguồn"]
    assert ws.page_setup.orientation == "landscape"
    assert printed_width(ws, range(1, ws.max_column + 1)) <= LANDSCAPE[0]
    sha = next(c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and len(c.value) == 64)
    assert sha.alignment.wrap_text and height(ws, sha.row) >= 2 * 10  # 64 characters on two lines
    basis = next(r for r in ws.iter_rows() if r[0].value == "Căn cứ")
    assert basis[1].alignment.wrap_text and height(ws, basis[0].row) >= 2 * 10
    long = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and len(c.value) > 60]
    assert long and all(c.alignment.wrap_text for c in long)


def test_lines_count_a_wrapped_text_as_it_prints():
    assert style.lines("Đạt", 10) == 1
    assert style.lines("Chưa đánh giá được", 10) == 2  # "Chưa đánh" / "giá được"
    assert style.lines("một\nhai", 30) == 2
    assert style.lines("a" * 64, 36) == 2  # a SHA-256 has no space: cut where the line ends
    assert style.lines("TỔNG HỢP KẾT QUẢ THẨM ĐỊNH", 14) > style.lines("tổng hợp kết quả thẩm định", 14)


def test_pages_are_cut_at_a_criterion_where_the_fewest_pages_allow():
    groups = ["8"] * 4 + ["15"] * 4 + ["_tail"]
    # eight indicators and the tail, four a page: three pages, cut between the criteria
    assert workbook._split([1] * 9, groups, 4) == [(0, 4), (4, 8), (8, 9)]
    # five a page: two pages, cut between the criteria rather than inside one
    assert workbook._split([1] * 9, groups, 5) == [(0, 4), (4, 9)]
    # one criterion wider than a page is cut inside, into as few pages as it takes
    assert len(workbook._split([1] * 7, ["8"] * 6 + ["_tail"], 4)) == 2
