"""How every workbook this tool writes looks: font, fills, paper and row heights, in one place.

The summary and district workbooks (`workbook.py`) and the input template
(`template.py`) take their fonts, colours and page set-up from here.
"""

from __future__ import annotations

FONT = "Times New Roman"  # the font of Vietnamese administrative documents; has every Vietnamese glyph
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
MAX_ROW_HEIGHT = 409  # points: the tallest row Excel allows


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
    ws.set_margins(left=0.4, right=0.4, top=0.95 if note else 0.8, bottom=0.6)


def row_height(points: float) -> float:
    """A row's height for its wrapped text, within the tallest row Excel allows (a catalog may hold a long text)."""
    return min(points, MAX_ROW_HEIGHT)
