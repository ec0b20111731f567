"""WordprocessingML written as text: the paragraphs and tables of the two signed papers.

Why it exists: python-docx builds each paragraph as lxml objects, and a province's sheets took
seconds that way; these functions write the same XML as strings (`para`, `grid`), and `save`
splices them into the document python-docx made for the page set-up and styles.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.writing.files import replace_atomically

FONT = "Times New Roman"


# ---- python-docx plumbing ------------------------------------------------------------------------------------------


def document(margins: tuple[int, int, int, int], size: int):
    """A4 portrait, Times New Roman, margins (top, bottom, left, right) in mm, Vietnamese proofing language."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = margins
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = section.footer_distance = Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(size)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    rpr.append(lang)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), 1.0
    doc.core_properties.author = ""
    doc.core_properties.comments = ""
    return doc


def page_numbers(doc) -> None:
    """Page numbers centred at the top from the second page (Nghị định 30/2020)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    p._p.append(field)


# ---- paragraphs, written as XML ------------------------------------------------------------------------------
# A report says what thousands of communes lack, a line each; python-docx's calls cost about 0.5 ms a
# paragraph. So every block (paragraph or table) is written as WordprocessingML text, the very elements
# python-docx would make, into a list (a document's `body`) that `save` writes into the document.

_JC = {"center": "center", "justify": "both", "left": "left"}  # our alignments, as <w:jc> spells them
_BREAKS = re.compile(r"([\t\n\r])")  # what python-docx writes as elements in a run, not as text


def packed(doc) -> bytes:
    """The empty document as python-docx saves it (page set-up, styles): the frame `save` fills, made once."""
    blank = io.BytesIO()
    doc.save(blank)
    return blank.getvalue()


def save(blank: bytes, body: list[str], path: Path) -> None:
    """Write the document `blank` (`packed`) to `path` with `body` as its content.

    The blocks are spliced as text into the document part python-docx saved,
    before the body's closing section properties: parsing a province's sheets
    into lxml and serialising them back took about half their time. The other
    parts (styles, settings, fonts…) are compressed once per frame (`_frame`) and
    the document part is appended to a copy of them: compressing them again for
    each of a province's files to send back was half the time of writing them.
    """
    rest, part, head, tail = _frame(blank)
    buffer = io.BytesIO(rest)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as out:
        out.writestr(copy.copy(part), b"".join([head, "".join(body).encode(), tail]))  # writestr fills in its entry
    with replace_atomically(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


@lru_cache(maxsize=4)
def _frame(blank: bytes) -> tuple[bytes, zipfile.ZipInfo, bytes, bytes]:
    """The document `blank` as a zip of every part but the document part, already compressed; that part's entry;
    and its text before and after the place of the body (the body's own section properties close it)."""
    rest = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blank)) as saved, zipfile.ZipFile(rest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in saved.infolist():
            if info.filename == "word/document.xml":
                part, document = info, saved.read(info)
            else:
                out.writestr(info, saved.read(info))
    end = document.rindex(b"<w:sectPr")
    return rest.getvalue(), part, document[:end], document[end:]


def para(
    body: list[str],
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    align: str | None = None,
    indent: bool = False,
    left: float = 0,
    before: float = 0,
    after: float = 0,
    keep: bool = False,
    page_break: bool = False,
    runs: str = "",
) -> None:
    """A paragraph: body paragraphs (`indent`) are justified with a 1 cm first-line indent.
    `runs`: runs written by `run_xml`, in place of `text`."""
    ppr = ("<w:keepNext/>" if keep else "") + ("<w:pageBreakBefore/>" if page_break else "")
    ppr += f'<w:spacing w:before="{Pt(before).twips}" w:after="{Pt(after).twips}"/>'
    first = f' w:firstLine="{Mm(10).twips}"' if indent else ""
    ppr += f'<w:ind{first} w:left="{Mm(left).twips}"/>' if left else f"<w:ind{first}/>" if indent else ""
    jc = align or ("justify" if indent or left else None)
    ppr += f'<w:jc w:val="{_JC[jc]}"/>' if jc else ""
    if text:
        runs = run_xml(text, bold=bold, italic=italic, size=size)
    body.append(f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")


def run_xml(text: str, *, bold: bool = False, italic: bool = False, size: float | None = None) -> str:
    """A run as python-docx writes one: a tab is <w:tab/>, a line break <w:br/>; spaces at either end kept."""
    rpr = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    rpr += f'<w:sz w:val="{int(Pt(size).pt * 2)}"/>' if size else ""
    content = []
    for piece in _BREAKS.split(_clean(text)):
        if piece in ("\t", "\n", "\r"):
            content.append("<w:tab/>" if piece == "\t" else "<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if piece.strip() != piece else ""
            content.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return f"<w:r>{f'<w:rPr>{rpr}</w:rPr>' if rpr else '<w:rPr/>'}{''.join(content)}</w:r>"


def heading(body: list[str], text: str) -> None:
    para(body, text, bold=True, before=6, after=3, keep=True)


def gap(body: list[str], points: float, keep: bool = False) -> None:
    """An empty paragraph `points` high: room between blocks, and what keeps two tables apart."""
    spacing = f'<w:spacing w:before="0" w:after="0" w:line="{Pt(points).twips}" w:lineRule="exact"/>'
    body.append(f"<w:p><w:pPr>{'<w:keepNext/>' if keep else ''}{spacing}</w:pPr></w:p>")


def rule(body: list[str], length: float, across: float) -> None:
    """A short centred line under a heading: the top border of an indented, nearly empty paragraph."""
    side = Mm(max(across - length, 0) / 2).twips
    border = '<w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>'
    spacing = f'<w:spacing w:before="{Pt(1).twips}" w:after="0" w:line="{Pt(4).twips}" w:lineRule="exact"/>'
    body.append(f'<w:p><w:pPr>{border}{spacing}<w:ind w:left="{side}" w:right="{side}"/></w:pPr></w:p>')


# ---- tables, written as XML ------------------------------------------------------------------------------------
# A province's sheets hold thousands of rows; python-docx's cell-by-cell calls cost about 10 ms a row,
# so each table too is written as one piece of WordprocessingML (the same elements Word writes).

HEAD_SHADE = "D9D9D9"
_TWIPS = 56.7  # per mm
_BAD_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class P(NamedTuple):
    """A paragraph in a table cell; `rule` = (length, across) in mm draws a short centred line instead.
    (A named tuple: a province's tables make tens of thousands, and a frozen dataclass is slow to make.)"""

    text: str = ""
    bold: bool = False
    italic: bool = False
    size: float | None = None
    align: str | None = None
    before: float = 0
    rule: tuple[float, float] | None = None


@dataclass
class Cell:
    """A table cell: text (a list prints one paragraph per item) or paragraphs (`P`)."""

    content: str | list
    bold: bool = False
    align: str | None = None
    shade: str | None = None
    span: int = 1


@dataclass
class Row:
    cells: list[Cell]
    header: bool = False  # repeated at the top of each page
    height: float | None = None  # mm, at least


def grid(
    body: list[str],
    widths: tuple[float, ...],
    rows: list[Row],
    *,
    size: float,
    borders: str = "grid",
    margin: float | None = None,
    keep: bool = False,
    keep_last: int = 0,
) -> None:
    """Append a table of fixed column widths (mm). `borders`: "grid", "none" (a layout: cells align to the
    top) or "ruled" (a box whose rows are separated by dotted lines, to write on); `margin`: the cells'
    left and right padding in mm; `keep`: keep the table on one page; `keep_last`: keep its last rows on
    the page of what follows. Rows never split across pages."""
    twips = [round(w * _TWIPS) for w in widths]
    props = ['<w:tblStyle w:val="TableGrid"/>' if borders == "grid" else "", '<w:tblW w:w="0" w:type="auto"/>']
    props.append('<w:jc w:val="center"/>')
    if borders == "ruled":
        line = 'w:sz="6" w:space="0" w:color="auto"'
        sides = "".join(f'<w:{side} w:val="single" {line}/>' for side in ("top", "left", "bottom", "right"))
        props.append(f'<w:tblBorders>{sides}<w:insideH w:val="dotted" {line}/></w:tblBorders>')
    props.append('<w:tblLayout w:type="fixed"/>')
    if margin is not None:
        m = round(margin * _TWIPS)
        props.append(f'<w:tblCellMar><w:left w:w="{m}" w:type="dxa"/><w:right w:w="{m}" w:type="dxa"/></w:tblCellMar>')
    props.append('<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0"/>')
    valign = "top" if borders == "none" else "center"
    half = round(size * 2)
    parts = [f"<w:tbl><w:tblPr>{''.join(props)}</w:tblPr><w:tblGrid>"]
    parts += [f'<w:gridCol w:w="{w}"/>' for w in twips]
    parts.append("</w:tblGrid>")
    last_row = len(rows) - 1
    tail = len(rows) - keep_last
    for n, row in enumerate(rows):
        height = f'<w:trHeight w:val="{round(row.height * _TWIPS)}" w:hRule="atLeast"/>' if row.height else ""
        parts.append(f"<w:tr><w:trPr><w:cantSplit/>{height}{'<w:tblHeader/>' if row.header else ''}</w:trPr>")
        column = 0
        for i, cell in enumerate(row.cells):
            width = sum(twips[column : column + cell.span])
            column += cell.span
            span = f'<w:gridSpan w:val="{cell.span}"/>' if cell.span > 1 else ""
            shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.shade}"/>' if cell.shade else ""
            parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}{shade}')
            parts.append(f'<w:vAlign w:val="{valign}"/></w:tcPr>')
            paras = _paras(cell)
            for k, p in enumerate(paras):
                final = n == last_row and i == len(row.cells) - 1 and k == len(paras) - 1
                parts.append(_p_xml(p, half, (keep and not final) or n >= tail))
            parts.append("</w:tc>")
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    body.append("".join(parts))


def _paras(cell: Cell) -> list[P]:
    items = cell.content if isinstance(cell.content, list) else [cell.content]
    out = [i if isinstance(i, P) else P(str(i), bold=cell.bold, align=cell.align) for i in items]
    return out or [P()]


def _p_xml(p: P, half: int, keep: bool) -> str:
    if p.rule:
        length, across = p.rule
        side = round(max(across - length, 0) / 2 * _TWIPS)
        ppr = "<w:keepNext/>" if keep else ""
        ppr += '<w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>'
        ppr += '<w:spacing w:before="50" w:after="0" w:line="80" w:lineRule="exact"/>'
        ppr += f'<w:ind w:left="{side}" w:right="{side}"/>'
        return f"<w:p><w:pPr>{ppr}</w:pPr></w:p>"
    head, run = _p_format(keep, p.before, p.align, p.bold, p.italic, round(p.size * 2) if p.size else half)
    if not p.text:
        return f"{head}</w:p>"
    return f"{head}{run}{escape(_clean(p.text))}</w:t></w:r></w:p>"


@cache
def _p_format(keep: bool, before: float, align: str | None, bold: bool, italic: bool, size: int) -> tuple[str, str]:
    """A cell paragraph's markup up to its run, and its run's up to the text: made once per format (a
    document has a handful, and tens of thousands of cells)."""
    ppr = "<w:keepNext/>" if keep else ""
    ppr += f'<w:spacing w:before="{round(before * 20)}" w:after="0"/>'
    if align:
        ppr += f'<w:jc w:val="{align}"/>'
    rpr = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
    return f"<w:p><w:pPr>{ppr}</w:pPr>", f'<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">'


def _clean(text: str) -> str:
    """Text as XML may hold it: control characters a workbook cell may carry are dropped."""
    return _BAD_XML.sub("", text)
