"""How every workbook this tool writes looks: font, fills, paper and row heights, in one place.

The summary and district workbooks (`workbook.py`) and the input template
(`template.py`) take their fonts, colours and page set-up from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

FONT = "Times New Roman"  # the font of Vietnamese administrative documents; has every Vietnamese glyph
SIZE = 10  # points: the workbooks' text, printed at full size
HEAD_FILL = "#DDEBF7"  # header cells
REQUIRED_FILL = "#FCE4D6"  # the template's required columns
GROUP_FILL = "#F2F2F2"  # district headings
RESULT_FILLS = {  # a result's colour (a symbol or word always says the same in grey-scale)
    "dat": "#C6EFCE",
    "khong_dat": "#FFC7CE",
    "khong_danh_gia_duoc": "#FFEB9C",
    "khong_ap_dung": "#E7E6E6",
}
CHART_FILLS = {"dat": "#70AD47", "khong_dat": "#C00000", "khong_danh_gia_duoc": "#FFC000"}
A4 = 9  # xlsxwriter's paper code
A4_POINTS = (595.3, 841.9)  # its short and long sides
MAX_ROW_HEIGHT = 409  # points: the tallest row Excel allows
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.4, 0.5, 0.6  # inches; the footer sits in the bottom margin
LINE = 1.17  # a line of Times New Roman is this many times its size high (LibreOffice's Liberation Serif too)
CELL_PADDING = 3  # points a cell keeps free around its text, across and down
SPACE = 0.25  # ems: a space of Times New Roman


def default_font() -> dict:
    """The workbook's default font (its "Normal" style), which sets the width unit of every column.

    Calibri, xlsxwriter's default, is missing where LibreOffice prints and is replaced by a font a third
    wider, so that every column printed a third wider than in Excel. Times New Roman, or Liberation Serif
    of the same measures, is everywhere: a page laid out here prints alike in both.
    """
    return {"font_name": FONT, "font_size": SIZE}


def base(size: int) -> dict:
    """The format every cell starts from."""
    return {"font_name": FONT, "font_size": size, "valign": "vcenter"}


def a4(ws, landscape: bool = True, fit_width: bool = True) -> None:
    """A4 paper; `fit_width`: shrink to one page wide (a wide table splits into pages instead)."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    if fit_width:
        ws.fit_to_pages(1, 0)


def page_title(ws, title: str, note: str = "") -> None:
    """A sheet that prints over several pages carries its title (and a short note, such as a legend) in the
    page header, so that every page says what it is and no page edge cuts the title."""
    text = f'&L&"{FONT},Bold"&11{title.replace("&", "&&")}'  # "&" starts a control code in a header
    if note:
        text += f'\n&"{FONT},Italic"&9{note.replace("&", "&&")}'
    ws.set_header(text, {"margin": 0.3})
    ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=title_margin(note), bottom=BOTTOM_MARGIN)


def title_margin(note: str = "") -> float:
    """The top margin (inches) that holds `page_title`'s title, and its note if there is one."""
    return 0.95 if note else 0.8


def row_height(points: float) -> float:
    """A row's height for its wrapped text, within the tallest row Excel allows (a catalog may hold a long text)."""
    return min(points, MAX_ROW_HEIGHT)


def column_points(width: float, narrow: bool = False) -> float:
    """Printed width in points of a column `width` characters wide (xlsxwriter stores `width + 5/7`).

    Excel prints 7 pixels a character at 96 dpi (5.25 points), LibreOffice the digit of the default font,
    5 points: a page is budgeted with the wider, a wrapped text's lines counted with the `narrow`er.
    """
    return (5.0 if narrow else 5.25) * (width + 5 / 7)


def width_points(widths) -> float:
    """Printed width of columns side by side."""
    return sum(column_points(w) for w in widths)


@dataclass(frozen=True)
class Page:
    """The printable body of an A4 sheet, in points: the paper less its margins (the header and footer sit in
    the margins in Excel; LibreOffice gives the body a little more, so what fits here fits there)."""

    landscape: bool = True
    top: float = TOP_MARGIN  # inches

    @property
    def width(self) -> float:
        return A4_POINTS[self.landscape] - 2 * 72 * SIDE_MARGIN

    @property
    def height(self) -> float:
        return A4_POINTS[not self.landscape] - 72 * (self.top + BOTTOM_MARGIN)


@functools.lru_cache(maxsize=1 << 16)  # a batch repeats its names, messages and wordings
def lines(text: str, width: float, size: float = SIZE, bold: bool = False) -> int:
    """Lines a wrapped text takes in a cell `width` characters wide, broken at spaces as Excel and LibreOffice
    break it (a word longer than a line is cut), its words measured as Times New Roman sets them."""
    room = (column_points(width, narrow=True) - CELL_PADDING) / size  # in ems
    count = 0
    for paragraph in str(text).split("\n"):
        count += 1
        used = 0.0
        for word in paragraph.split(" "):
            ems = _ems(word, bold)
            if used and used + SPACE + ems > room:
                count += 1
                used = 0.0
            used += (SPACE if used else 0) + ems
            while used > room:  # a word wider than the cell: cut where the line ends
                count += 1
                used -= room
    return count


def _ems(word: str, bold: bool) -> float:
    """A word's width in ems of Times New Roman: a capital about 0.7, another character under 0.5 (counted a
    little over the average, so that a row is rather too tall than too short for its text)."""
    capitals = sum(c.isupper() for c in word)
    return capitals * (0.72 if bold else 0.7) + (len(word) - capitals) * (0.52 if bold else 0.48)


def text_height(count, size: float = SIZE):
    """A row's height for `count` lines of text (or an array of counts), in whole pixels of Excel's 96 dpi
    (Excel rounds a row to them: pages counted here stay true), within the tallest row Excel allows."""
    return np.minimum(np.ceil((count * size * LINE + CELL_PADDING) / 0.75) * 0.75, MAX_ROW_HEIGHT)


def row_heights(columns: list[tuple], size: float = SIZE, bold: bool = False) -> np.ndarray:
    """Each row's height for its tallest wrapped cell: `columns` pairs a column's texts with its width.

    Neither Excel nor LibreOffice fits a row to a wrapped text when it opens a file written by a program:
    without a height, a long text prints over the row below.
    """
    tallest = np.ones(len(columns[0][0]) if columns else 0, dtype=int)
    for texts, width in columns:
        counts = [1 if text is None else lines(str(text), width, size, bold) for text in texts]
        tallest = np.maximum(tallest, counts)
    return text_height(tallest, size)
