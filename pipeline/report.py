"""The documents a department signs: the appraisal report and the per-commune sheets (Word, python-docx).

- `write_report`: `bao-cao-tham-dinh-<year>.docx`, an administrative document in the
  layout of Nghị định 30/2020/NĐ-CP (header in two columns, subject, legal bases,
  results, a table per tier, recommendations, year over year, recipients, signature,
  an appendix per indicator). While a commune is undecided it is marked "DỰ THẢO".
- `write_sheets`: `phieu-tham-dinh-<year>.docx`, one sheet per commune (each starts on
  a new page): every indicator of its tier with its figures, threshold, result and the
  cell it came from, why an undecided one is undecided, the legal bases, room for the
  officer's remarks, a date line and the signatures.
- `previous_results`: last year's `xa-<year>.csv` from the output folder (even as Excel
  saved it again), for the year-over-year section, or why it could not be read.

Both are papers an officer signs as drafted: the report says in words what each commune
must supply or fix (never a file, a cell or a message code: the cells are on the sheets
and in the summary's problems sheet); the sheets cite legal bases only (how sure each
indicator's source is stays in the summary's Nguồn sheet). Everything cited comes from the
catalog (`Criteria.legal_bases`) or the department's settings (`Settings.can_cu`); an absent
setting prints as a dotted placeholder. Pure functions of the frames a run already has;
each file is written completely or not at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline import summary, text_files
from pipeline.catalog import Columns, Criteria, LegalBasis, load_columns
from pipeline.csv_out import FORMULA_START
from pipeline.files import replace_atomically
from pipeline.kinds import KINDS, Kind, threshold_text
from pipeline.parse import parse_code
from pipeline.problems import CODES, ERROR, problem
from pipeline.settings import PLACEHOLDER, Settings
from pipeline.summary import percent
from pipeline.validate import UNKNOWN_CODE, is_stand_in
from pipeline.words import citation, count, long_date

FONT = "Times New Roman"
BODY, SMALL, TABLE, RECIPIENTS = 14, 13, 12, 11  # point sizes (Nghị định 30/2020/NĐ-CP, Phụ lục I)
HEADER, HEADER_LEFT = 12, 70  # the header's bodies and national title (12-13 pt), and its left column in mm
DOTS = "……"  # a short blank for the officer (day, month, number)

# Result codes of the CSV contract, as the documents print them.
WORDS = {
    "dat": "Đạt",
    "khong_dat": "Không đạt",
    "khong_danh_gia_duoc": "Chưa đánh giá được",
    "khong_ap_dung": "Không áp dụng",
}
MET, NOT_MET, UNDECIDED = "dat", "khong_dat", "khong_danh_gia_duoc"
FAILED = "× Không đạt"  # a result not met, on a sheet: bold and shaded too, so a grey-scale print tells it apart
NOT_SENT = "chua-nop-ho-so"  # the problem of a registered commune that sent nothing

# Abbreviations spelled out at their first use in a document: "nông thôn mới (NTM)".
TERMS = {
    "NTM": "nông thôn mới",
    "DVCTT": "dịch vụ công trực tuyến",
    "TTHC": "thủ tục hành chính",
    "CBCC": "cán bộ, công chức",
    "CNTT": "công nghệ thông tin",
    "TMĐT": "thương mại điện tử",
    "SXKD": "sản xuất, kinh doanh",
    "ATTT": "an toàn thông tin",
}


def _patterns(terms: dict[str, str]) -> tuple[dict[str, re.Pattern], re.Pattern]:
    """Each abbreviation as a whole word, and all of them at once."""
    each = {k: re.compile(rf"(?<![\w&]){re.escape(k)}(?![\w&])") for k in terms}
    return each, re.compile(rf"(?<![\w&])(?:{'|'.join(map(re.escape, terms))})(?![\w&])")


_TERM, _ANY_TERM = _patterns(TERMS)

# Problems that concern every commune of their file, though they are reported once (on its first row).
_FILE_WIDE = ("thieu-cot-chi-tieu", "thieu-trang-thon")
RULED = 3  # lines for the officer's remarks
_MANY = 5  # more undecided indicators than this, with no problem to name, are named in one line
_SAID = 8  # sentences on one commune's data at most; the rest are counted, pointing to its sheet
_NAMED = 10  # villages named in one sentence at most
_EXPECTED = ("sai-kieu", "ngoai-khoang", "vuot-mau-so")  # problems whose detail says what the cell should hold


class Terms:
    """Spells out each abbreviation at its first use in one document, then keeps it short; the period's
    sector abbreviation ("TT&TT", `Criteria.sector_short`) is one of them."""

    def __init__(self, criteria: Criteria | None = None) -> None:
        self.used: set[str] = set()
        self.terms, self.patterns, self.any = TERMS, _TERM, _ANY_TERM
        if criteria is not None and criteria.sector_short:
            self.terms = TERMS | {criteria.sector_short: criteria.sector}
            self.patterns, self.any = _patterns(self.terms)

    def __call__(self, text: str) -> str:
        new = set(self.any.findall(text)) - self.used  # one search for all: a report has thousands of lines
        for short, pattern in self.patterns.items():
            if short in new:
                text = pattern.sub(f"{self.terms[short]} ({short})", text, count=1)
                self.used.add(short)
        return text

    @staticmethod
    def spelled(text: str) -> str:
        """Every abbreviation written out (a subject line)."""
        for short, pattern in _TERM.items():
            text = pattern.sub(TERMS[short], text)
        return text


# ---- the report ----------------------------------------------------------------------------------------------------


def write_report(
    path: Path,
    year: int,
    result,
    criteria: Criteria,
    settings: Settings | None = None,
    problems: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    undated: int = 0,
    columns: Columns | None = None,
    sheets: bool = True,
    unread: str = "",
) -> Path:
    """Write the appraisal report of one year's `result` (an `Assessment`) to `path`.

    `settings`: the department's settings (None: every setting a dotted placeholder);
    `problems`: the run's problem rows (for what blocked a commune); `previous`: last
    year's commune rows (`previous_results`, or the same run's frame) for the year-over-year
    section; `undated`: how many commune rows of the run have no year (the report is a draft
    while there are any); `columns`: the column catalog, whose labels name what a commune
    must fix (default: the shipped one); `sheets`: whether the per-commune sheets go with it;
    `unread`: why last year's results could not be compared (`LastYear.unread`): the
    year-over-year section then says that the comparison could not be made.
    """
    settings = settings or Settings()
    problems = problems if problems is not None else pd.DataFrame(columns=["tep", "trang", "o", "ma_xa", "ma_loi"])
    communes = _ordered(result.communes)
    results = result.results
    terms = Terms(criteria)
    sector = _sector_indicators(criteria, short=True)  # "các chỉ tiêu ngành TT&TT"
    doc = _document(margins=(20, 20, 30, 15), size=BODY)
    _page_numbers(doc)
    body: list[str] = []  # the blocks, written into the document at the end (`_save`)
    width = 165  # mm between the margins
    tiers = [t for t in criteria.tiers.index if (communes["hang_dang_ky"] == t).any()]
    labels = criteria.tiers["label"]
    found = _findings(communes, results, criteria, problems, columns or load_columns())
    undecided = Counter(found[i].cause for i in communes.index[communes["ket_qua"] == UNDECIDED])

    if undecided or undated:
        _draft_mark(body, width)
    _header(body, settings, year, width)
    subject = _subject(tiers, labels, year, _sector_indicators(criteria))
    doc.core_properties.title = subject
    doc.core_properties.author = settings.co_quan_ban_hanh or ""
    _para(body, "BÁO CÁO", bold=True, align="center", before=18)
    _para(body, subject, bold=True, align="center")
    _rule(body, 40, width)

    for basis in (*criteria.bases_of(tiers), *settings.can_cu):
        _para(body, terms(basis_line(basis)), indent=True, italic=True, after=3)
    _para(
        body,
        terms(f"Trên cơ sở hồ sơ, số liệu các xã gửi đến, kết quả thẩm định {sector} năm {year} như sau:"),
        indent=True,
        after=6,
    )

    numerals = iter(("I", "II", "III", "IV"))
    _heading(body, f"{next(numerals)}. KẾT QUẢ THẨM ĐỊNH")
    _para(body, terms(_overview(communes, tiers, labels, year, sector)), indent=True, after=3)
    for line in _count_lines(communes, tiers, labels):
        _para(body, terms(line), indent=True, after=3)
    if undecided or undated:
        _para(body, _draft_line(undecided, len(communes), undated), indent=True, italic=True, after=3)
    groups = [(t, f"Xã đăng ký đạt chuẩn {labels[t]}") for t in tiers]
    if (~communes["hang_dang_ky"].isin(criteria.tiers.index)).any():
        groups.append((None, "Hồ sơ chưa ghi đúng hạng đăng ký"))
    districts = communes["huyen"].map(_text).ne("").any()
    for n, (tier, title) in enumerate(groups, 1):
        mine = communes[communes["hang_dang_ky"] == tier] if tier else communes[~communes["hang_dang_ky"].isin(tiers)]
        _para(
            body, terms(f"{n}. {title} ({count(len(mine))} xã)"), bold=True, indent=True, before=6, after=3, keep=True
        )
        _tier_table(body, mine, found, terms, districts)

    if previous is not None or unread:
        _heading(body, f"{next(numerals)}. SO VỚI NĂM {year - 1}")
        for line in _year_over_year(communes, previous, criteria, year, found, unread):
            _para(body, terms(line), indent=True, after=3)

    _heading(body, f"{next(numerals)}. KIẾN NGHỊ")
    for line, level in _recommendations(communes, found, labels, sheets, sector):
        _para(body, terms(line), indent=level == 0, left=10 * level, after=3)

    # the closing lines go with the signature block: a page of signatures alone would name nothing
    _para(
        body,
        terms(f"Trên đây là báo cáo kết quả thẩm định {sector} năm {year}./."),
        indent=True,
        before=6,
        keep=True,
    )
    attached = "Phụ lục kết quả thẩm định từng chỉ tiêu" + (
        f"; {count(len(communes))} phiếu thẩm định của các xã" if sheets and len(communes) else ""
    )
    _para(body, f"(Kèm theo: {attached}.)", indent=True, italic=True, keep=True)
    _closing(body, settings, width)
    _appendix(body, communes, results, criteria, tiers, settings, year, terms)
    _save(doc, body, path)
    return Path(path)


def basis_line(basis: LegalBasis) -> str:
    """ "Căn cứ Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành …;" """
    return f"Căn cứ {citation(basis)};"


def _sector_indicators(criteria: Criteria, short: bool = False) -> str:
    """ "các chỉ tiêu ngành thông tin và truyền thông" (or "… ngành TT&TT"): the sector's words are the period's."""
    return f"các chỉ tiêu {criteria.sector_words(short)}".strip()


def _subject(tiers: list[str], labels: pd.Series, year: int, indicators: str) -> str:
    named = ", ".join(Terms.spelled(labels[t]) for t in tiers)
    registered = f"các xã đăng ký đạt chuẩn {named}" if named else "các xã đăng ký"
    return f"Kết quả thẩm định {indicators} đối với {registered} năm {year}"


def _overview(communes: pd.DataFrame, tiers: list[str], labels: pd.Series, year: int, indicators: str) -> str:
    per = [f"{count((communes['hang_dang_ky'] == t).sum())} xã đăng ký đạt chuẩn {labels[t]}" for t in tiers]
    unknown = int((~communes["hang_dang_ky"].isin(tiers)).sum())
    if unknown:
        per.append(f"{count(unknown)} hồ sơ chưa ghi đúng hạng đăng ký")
    total = f"Năm {year}, tổng số {count(len(communes))} xã được thẩm định {indicators} trong Bộ tiêu chí NTM"
    return total + (": " + ", ".join(per) if per else "") + ". Kết quả:"


def _count_lines(communes: pd.DataFrame, tiers: list[str], labels: pd.Series) -> list[str]:
    """ "- NTM nâng cao: 14/15 xã đạt, 01 xã chưa đánh giá được." for each tier; every commune counts."""
    lines = []
    for tier in [*tiers, None]:
        mine = communes[communes["hang_dang_ky"] == tier] if tier else communes[~communes["hang_dang_ky"].isin(tiers)]
        if mine.empty:
            continue
        head = f"Xã đăng ký đạt chuẩn {labels[tier]}" if tier else "Hồ sơ chưa ghi đúng hạng đăng ký"
        lines.append(f"- {head}: {_counts(mine)}.")
    return lines


def _counts(mine: pd.DataFrame) -> str:
    """ "14/15 xã đạt, 01 xã chưa đánh giá được" """
    n = mine["ket_qua"].value_counts()
    text = f"{count(n.get(MET, 0))}/{count(len(mine))} xã đạt"
    for code, word in ((NOT_MET, "không đạt"), (UNDECIDED, "chưa đánh giá được")):
        if n.get(code, 0):
            text += f", {count(n[code])} xã {word}"
    return text


def _draft_mark(body: list[str], width: float) -> None:
    """ "DỰ THẢO" in a box at the top right, as a draft is marked until it is signed."""
    box = "".join(
        f'<w:{side} w:val="single" w:sz="8" w:space="2" w:color="auto"/>' for side in ("top", "left", "bottom", "right")
    )
    ppr = f'<w:pBdr>{box}</w:pBdr><w:spacing w:before="0" w:after="{Pt(6).twips}"/>'
    ppr += f'<w:ind w:left="{Mm(width - 32).twips}"/><w:jc w:val="center"/>'
    body.append(f"<w:p><w:pPr>{ppr}</w:pPr>{_run_xml('DỰ THẢO', bold=True, size=SMALL)}</w:p>")


def _draft_line(undecided: Counter, total: int, undated: int) -> str:
    """Why the report is still a draft, in one line: how many communes are undecided, and why."""
    parts = [f"{count(n)} xã {cause}" for cause, n in undecided.most_common()]
    if undated:
        parts.append(f"{count(undated)} hồ sơ chưa ghi năm đánh giá nên chưa xếp được vào năm nào")
    n = sum(undecided.values())
    head = f"còn {count(n)}/{count(total)} xã chưa đánh giá được" if n else "còn hồ sơ chưa đánh giá được"
    return f"Báo cáo này là dự thảo: {head} ({'; '.join(parts)})."


def _tier_table(body: list[str], mine: pd.DataFrame, found: dict, terms: Terms, districts: bool) -> None:
    """STT, commune, district (where the batch has districts), result, indicators not met or not assessable."""
    widths: tuple[float, ...] = (13, 35, 37, 24, 56) if districts else (13, 50, 24, 78)
    head = ("STT", "Tên xã", *(("Huyện",) if districts else ()), "Kết quả", "Chỉ tiêu chưa đạt, chưa đánh giá được")
    rows = [Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in head], header=True)]
    # only the columns used: pandas hands out text cells one at a time, slow over all the communes' columns
    for n, row in enumerate(mine[["ten_xa", "huyen", "ket_qua"]].itertuples(), 1):
        lines = [terms(line) for line in found[row.Index].short]
        where = (_text(row.huyen),) if districts else ()
        values: tuple[str | list, ...] = (f"{n}", _name(row.ten_xa), *where, WORDS.get(row.ket_qua, ""), lines)
        rows.append(Row([Cell(v, align="center" if i == 0 else None) for i, v in enumerate(values)]))
    rows.append(Row([Cell(f"Cộng: {count(len(mine))} xã; {_counts(mine)}.", bold=True, span=len(widths))]))
    _grid(body, widths, rows, size=TABLE)
    _para(body, "", after=3)


def _year_over_year(
    communes: pd.DataFrame, previous: pd.DataFrame | None, criteria: Criteria, year: int, found: dict, unread: str
) -> list[str]:
    """The communes that met a tier last year and meet no tier as high now (`summary.lost_since`); without
    last year's rows, why the comparison could not be made."""
    if previous is None:
        return [f"Chưa so sánh được với kết quả năm {year - 1}: {unread}."]
    lost, both = summary.lost_since(communes, previous, criteria)
    labels = criteria.tiers["label"]
    if lost.empty:
        return [
            f"Trong {count(both)} xã có kết quả cả năm {year - 1} và năm {year}, không có xã nào đã đạt chuẩn "
            f"năm {year - 1} mà năm {year} không còn đạt."
        ]
    lines = [
        f"Có {count(len(lost))} xã đã đạt chuẩn năm {year - 1} nhưng năm {year} không còn đạt chuẩn ở hạng đó; "
        "Chương trình yêu cầu các xã đã đạt chuẩn duy trì, nâng cao chất lượng các tiêu chí đã đạt:"
    ]
    for row in lost.itertuples(index=False):
        now_text = (
            f"năm {year} đạt chuẩn {labels[row.hang_cao_nhat_dat]}"
            if row.hang_cao_nhat_dat in labels.index
            else f"năm {year} {WORDS.get(row.ket_qua, '').lower()}"
        )
        shortfalls = found[row.row_label].short
        why = f" ({'; '.join(shortfalls)})" if shortfalls and len(shortfalls) <= 3 else ""
        lines.append(
            f"- {_commune(row.ten_xa, row.huyen)}: năm {year - 1} đạt chuẩn "
            f"{labels[row.hang_cao_nhat_dat_truoc]}, {now_text}{why}."
        )
    return lines


def _recommendations(
    communes: pd.DataFrame, found: dict, labels: pd.Series, sheets: bool, indicators: str
) -> list[tuple[str, int]]:
    """(line, level): what each commune that did not meet its tier must supply or fix, in sentences."""
    lacking = communes[communes["ket_qua"] != MET]
    if lacking.empty:
        return [
            (
                f"Các xã đăng ký đều đạt {indicators} của hạng đăng ký. Đề nghị các xã tiếp tục "
                "duy trì và nâng cao chất lượng các chỉ tiêu đã đạt.",
                0,
            )
        ]
    cells = "phiếu thẩm định của từng xã (kèm theo) và " if sheets else ""
    out = [
        (
            "Đề nghị các xã sau khắc phục các chỉ tiêu chưa đạt, bổ sung, sửa số liệu còn thiếu hoặc sai và gửi lại "
            "hồ sơ để thẩm định:",
            0,
        )
    ]
    for row in lacking[["ten_xa", "huyen", "hang_dang_ky"]].itertuples():  # only these: see `_tier_table`
        tier = row.hang_dang_ky
        registered = f", đăng ký đạt chuẩn {labels[tier]}" if tier in labels.index else ""
        out.append((f"- {_commune(row.ten_xa, row.huyen)}{registered}:", 1))
        out += [(f"+ {line}", 2) for line in found[row.Index].long]
    out.append(
        (
            f"Vị trí từng ô số liệu cần bổ sung, sửa được ghi tại {cells}trang Lỗi dữ liệu của bảng tổng hợp "
            "kết quả thẩm định.",
            0,
        )
    )
    return out


def _closing(body: list[str], settings: Settings, width: int) -> None:
    """Recipients bottom left (11 pt), signature block bottom right."""
    left, right = 80, width - 80
    _para(body, "", after=6, keep=True)
    recipients = list(settings.noi_nhan) or [PLACEHOLDER, "Lưu: VT"]
    lines = [P("Nơi nhận:", bold=True, italic=True, size=12)]
    for n, line in enumerate(recipients):
        end = "." if n == len(recipients) - 1 else ";"
        lines.append(P(f"- {line.rstrip(' ;.')}{end}", size=RECIPIENTS))
    titles = [settings.quyen_han, settings.chuc_vu or PLACEHOLDER]
    sign = [P(t.upper(), bold=True, align="center") for t in titles if t]
    sign += [P(align="center")] * 4 + [P(settings.shown("nguoi_ky"), bold=True, align="center")]
    _grid(body, (left, right), [Row([Cell(lines), Cell(sign)])], size=BODY, borders="none", keep=True)


def _header(body: list[str], settings: Settings, year: int, width: int) -> None:
    """Nghị định 30/2020: issuing bodies and number left, national title, motto, place and date right.

    At 12 pt (the decree allows 12-13) "SỞ KHOA HỌC VÀ CÔNG NGHỆ" (65 mm in Times New Roman bold) fits the
    left column on one line and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (88 mm) the right one.
    """
    left, right = HEADER_LEFT, width - HEADER_LEFT
    bodies = [
        P(settings.shown("co_quan_chu_quan").upper(), size=HEADER, align="center"),
        P(settings.shown("co_quan_ban_hanh").upper(), bold=True, size=HEADER, align="center"),
        P(rule=(22, left)),
    ]
    nation = [
        P("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=HEADER, align="center"),
        P("Độc lập - Tự do - Hạnh phúc", bold=True, size=BODY, align="center"),
        P(rule=(62, right)),
    ]
    number = P(f"Số: {settings.so or DOTS}/{settings.ky_hieu or DOTS}", size=SMALL, align="center")
    place = P(_place_date(settings, year), italic=True, size=BODY, align="center")
    rows = [Row([Cell(bodies), Cell(nation)]), Row([Cell([number]), Cell([place])])]
    _grid(body, (left, right), rows, size=BODY, borders="none")


def _place_date(settings: Settings, year: int) -> str:
    """ "Hà Nam, ngày 05 tháng 02 năm 2024", or with dots for the officer to fill in: the documents' one date line."""
    when = long_date(settings.ngay) if settings.ngay else f"ngày {DOTS} tháng {DOTS} năm {year}"
    return f"{settings.shown('dia_danh')}, {when}"


def _appendix(
    body: list[str],
    communes: pd.DataFrame,
    results: pd.DataFrame,
    criteria: Criteria,
    tiers: list[str],
    settings: Settings,
    year: int,
    terms: Terms,
) -> None:
    """On a page of its own: how many communes of each tier met each indicator ("14/15")."""
    if not tiers:
        return
    _para(body, "PHỤ LỤC", bold=True, align="center", page_break=True)
    _para(body, "KẾT QUẢ THẨM ĐỊNH TỪNG CHỈ TIÊU THEO HẠNG ĐĂNG KÝ", bold=True, align="center")
    when = long_date(settings.ngay) if settings.ngay else f"ngày {DOTS} tháng {DOTS} năm {year}"
    number = f"{settings.so or DOTS}/{settings.ky_hieu or DOTS}"
    _para(body, f"(Kèm theo Báo cáo số {number} {when})", italic=True, align="center", after=6)
    labels = criteria.tiers["label"]
    registered = communes["hang_dang_ky"].value_counts()
    met = results[results["ket_qua"] == MET].groupby(["hang", "chi_tieu"]).size()
    indicators = criteria.indicators_of(max(tiers, key=lambda t: criteria.tiers.at[t, "rank"]))
    share = min(30, 75 / len(tiers))  # mm per tier, out of 165
    widths = (15, 150 - share * len(tiers), *(share,) * len(tiers))
    head = ["Mã", "Chỉ tiêu", *(f"{labels[t]} ({count(registered[t])} xã)" for t in tiers)]
    rows = [Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in head], header=True)]
    for key, label in indicators["label"].items():
        cells = [
            f"{count(met.get((t, key), 0))}/{count(registered[t])}" if key in criteria.indicators_of(t).index else "–"
            for t in tiers
        ]
        rows.append(
            Row([Cell(key, align="center"), Cell(terms(str(label))), *(Cell(c, align="center") for c in cells)])
        )
    _grid(body, widths, rows, size=TABLE)
    _para(
        body,
        "Ghi chú: mỗi ô ghi số xã đạt chỉ tiêu/số xã đăng ký hạng đó; xã chưa đánh giá được chỉ tiêu, kể cả xã "
        "chưa nộp hồ sơ, không tính là đạt; “–”: chỉ tiêu không thuộc hạng.",
        italic=True,
        size=TABLE,
        before=3,
    )


# ---- what each commune lacks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """What the documents need of one indicator, read once from the catalog (pandas lookups are slow)."""

    kind_name: str
    kind: Kind
    label: str
    threshold: Any  # a Fraction, or None
    cells: tuple[tuple[str, str], ...]  # (sheet, column key) of every column it reads, its parts' included


def _meta(ind: pd.DataFrame) -> dict[str, Meta]:
    own: dict[str, list[tuple[str, str]]] = {}
    for key, row in ind.iterrows():
        fields = KINDS[row["kind"]].columns.items()
        own[key] = [(sheet, row[f]) for f, (sheet, _) in fields if f in row and isinstance(row[f], str)]
    parts: dict[str, list[str]] = {}
    for key, whole in ind["part_of"].items() if "part_of" in ind else ():
        if isinstance(whole, str):
            parts.setdefault(whole, []).append(key)
    return {
        key: Meta(
            kind_name=row["kind"],
            kind=KINDS[row["kind"]],
            label=str(row["label"]),
            threshold=row["threshold"],
            cells=tuple(dict.fromkeys(c for i in (key, *parts.get(key, ())) for c in own[i])),
        )
        for key, row in ind.iterrows()
    }


@dataclass
class Finding:
    """What one commune lacks, said three ways: `short` lines for the tier table, `long` sentences for the
    recommendations, and `why` each undecided indicator is undecided (for its sheet); `cause`: why the
    commune is undecided, in the words of the report's draft line; `sent`: False for a registered commune
    that sent nothing."""

    short: list[str] = field(default_factory=list)
    long: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)
    cause: str = "có hồ sơ còn thiếu hoặc sai số liệu"
    sent: bool = True


def _findings(
    communes: pd.DataFrame, results: pd.DataFrame, criteria: Criteria, problems: pd.DataFrame, columns: Columns
) -> dict[Any, Finding]:
    """Per commune (its row label), what it lacks (`Finding`)."""
    ind = _meta(criteria.indicators)
    rows = results[results["ket_qua"].isin([NOT_MET, UNDECIDED])]
    by_commune: dict[tuple, list] = {}
    for r in rows.itertuples(index=False):  # plain tuples: thousands of communes, no frame per commune
        by_commune.setdefault((r.ma_xa, r.nam), []).append(r)
    blamer = _Blame(problems)
    said = _Said(columns)
    out = {}
    used = ["ma_xa", "nam", "ket_qua", "hang_dang_ky", "tep_xa", "dong_xa"]  # only these: see `_tier_table`
    for row in communes[used].itertuples():
        out[row.Index] = found = Finding()
        tier_known = row.hang_dang_ky in criteria.tiers.index
        if row.ket_qua == MET and tier_known:
            continue
        blame = blamer.of(row)
        if any(p["ma_loi"] == NOT_SENT for p in blame):
            found.short, found.long = ["Chưa nộp hồ sơ"], ["Chưa nộp hồ sơ; đề nghị xã gửi hồ sơ."]
            found.cause, found.sent = "chưa nộp hồ sơ", False
            continue
        mine = by_commune.get((row.ma_xa, row.nam), [])
        for r in (r for r in mine if r.ket_qua == NOT_MET):
            text = f"{r.chi_tieu} – {_label(ind, r.chi_tieu)}: {_shortfall(ind, r)}"
            found.short.append(text)
            found.long.append(f"Không đạt chỉ tiêu {text}.")
        undecided = [r for r in mine if r.ket_qua == UNDECIDED]
        sentences, found.why = said.of(blame, [r.chi_tieu for r in undecided], ind)
        unexplained = [r for r in undecided if r.chi_tieu not in found.why]
        if len(unexplained) > _MANY:
            ids = ", ".join(r.chi_tieu for r in unexplained)
            sentences.append(f"Chưa đánh giá được {count(len(unexplained))} chỉ tiêu ({ids}) do thiếu số liệu.")
        else:
            sentences += [
                f"Chưa đánh giá được chỉ tiêu {r.chi_tieu} – {_label(ind, r.chi_tieu)}: {_missing(r)}."
                for r in unexplained
            ]
        found.why |= {r.chi_tieu: _missing(r) for r in unexplained}
        if len(sentences) > _SAID:
            rest = len(sentences) - _SAID + 1
            sentences[_SAID - 1 :] = [f"Và {count(rest)} vấn đề khác về số liệu."]
        found.long += sentences
        if len(undecided) > 3:
            ids = ", ".join(r.chi_tieu for r in undecided)
            found.short.append(f"Chưa đánh giá được {count(len(undecided))} chỉ tiêu: {ids}")
        else:
            found.short += [f"{r.chi_tieu} – {_label(ind, r.chi_tieu)}: chưa đánh giá được" for r in undecided]
        if not tier_known:
            found.cause = "chưa ghi đúng hạng đăng ký"
            found.short.append("Chưa ghi đúng hạng đăng ký")
            if not found.long:
                found.long.append("Hồ sơ chưa ghi đúng hạng đăng ký.")
        if row.ket_qua != MET and not found.long:
            found.long.append("Hồ sơ chưa đủ số liệu để đánh giá.")
        if row.ket_qua != MET and not found.short:
            found.short.append(found.long[0].rstrip("."))
    return out


class _Blame:
    """The problems that concern a commune: its cells on the Xa sheet (file and row), its villages and its
    code elsewhere, and the file-wide problems of its file. Errors; warnings only when there is no error."""

    def __init__(self, problems: pd.DataFrame) -> None:
        p = problems.reset_index(drop=True)
        for column in ("tep", "trang", "o", "cot", "ma_xa", "ma_loi", "chi_tieu", "muc_do", "mo_ta", "gia_tri"):
            p[column] = p[column].astype("string").fillna("") if column in p else ""
        p["ten_thon"] = p["ten_thon"].astype("string").fillna("") if "ten_thon" in p else ""
        self.p = p
        line = p["o"].str.extract(r"(\d+)$")[0].fillna("")
        xa = p["trang"].eq("Xa")
        self.on_row = p[xa].groupby([p["tep"][xa], line[xa]]).groups
        self.by_code = p[p["ma_xa"].ne("")].groupby("ma_xa").groups
        wide = p["ma_loi"].isin(_FILE_WIDE)
        self.wide = p[wide].groupby("tep").groups
        self.records = p.to_dict("records")

    def of(self, row) -> list[dict]:
        """The commune's problems as records, errors first-class: only warnings when there is no error."""
        p = self.records
        tep = row.tep_xa if isinstance(row.tep_xa, str) else None
        line = _int(row.dong_xa).replace(".", "")
        found = set(self.on_row.get((tep, line), ())) | set(self.wide.get(tep, ())) if tep else set()
        code = str(row.ma_xa)
        if not code.startswith(UNKNOWN_CODE):  # its own Xa row is matched by file and row: a file may hold two years
            found |= {i for i in self.by_code.get(code, ()) if not (p[i]["trang"] == "Xa" and p[i]["tep"] == tep)}
        mine, seen = [], set()
        for i in sorted(found):
            key = tuple(p[i].values())
            if key not in seen:
                seen.add(key)
                mine.append(p[i])
        errors = [r for r in mine if r["muc_do"] == ERROR]
        return errors or mine


class _Said:
    """A commune's problems said as an officer writes them: what is missing or wrong, by the column's label and
    the villages concerned, one sentence per kind of problem and column (villages grouped: "03 thôn (thôn 1,
    thôn 2, thôn 5) chưa báo hệ thống loa …"), and the undecided indicators it blocks. Never a file, a cell or
    a code: those are on the commune's sheet and in the summary's problems sheet."""

    def __init__(self, columns: Columns) -> None:
        t = columns.table
        self.labels = {(s, k): str(label) for s, k, label in zip(t["sheet"], t["key"], t["label"], strict=True)}

    def of(self, blame: list[dict], undecided: list[str], ind: dict[str, Meta]) -> tuple[list[str], dict[str, str]]:
        """(sentences, why): the sentences, and for each undecided indicator what blocks it."""
        groups: dict[tuple[str, str, str, str], list[dict]] = {}
        for p in blame:
            groups.setdefault((p["ma_loi"], p["trang"], p["cot"], self._detail(p)), []).append(p)
        sentences: list[str] = []
        why: dict[str, list[str]] = {}
        for (code, sheet, key, detail), group in groups.items():
            what = self.what(code, sheet, key, detail, group)
            touched = set().union(*(_ids(p["chi_tieu"]) for p in group))
            blocked = [i for i in undecided if i in touched]
            if not blocked and not undecided and group[0]["muc_do"] != ERROR:
                continue  # a warning explains nothing of a commune whose every indicator is decided
            for i in blocked:
                why.setdefault(i, []).append(what)
            if not blocked and not key and not any(p["ten_thon"] for p in group):
                what = f"hồ sơ: {what}"
            sentences.append(
                f"Chưa đánh giá được {_indicators(blocked, ind)}: {what}." if blocked else f"{_capital(what)}."
            )
        return sentences, {i: "; ".join(w) for i, w in why.items()}

    def what(self, code: str, sheet: str, key: str, detail: str, group: list[dict]) -> str:
        """What is missing or wrong, in words: "chưa có số liệu dân số trong độ tuổi lao động"."""
        label = _lower(self.labels.get((sheet, key), "")) if key else ""
        where = _villages([p["ten_thon"] for p in group if p["ten_thon"]]) if sheet == "Thon" else ""
        typed = {p["gia_tri"] for p in group}
        value = f"“{typed.pop()}”" if len(typed) == 1 and "" not in typed else ""
        text = _lower(CODES[code][1]) if code in CODES else ""
        if code == "thieu-gia-tri" and label:
            return f"{where} chưa báo {label}" if where else f"chưa có số liệu {label}"
        if code == "thieu-cot-chi-tieu" and label:
            return f"bảng tính thiếu cột {label}"
        if code not in _EXPECTED:
            detail = ""  # the message says it; its detail may name what the sentence already names
        if not label:
            said = text
        elif code == "sai-kieu" and detail and not detail.startswith("cần"):
            said = f"{label} ghi {detail}"  # the detail says what was typed: "85% — hãy nhập số người, …"
        elif value:
            said = f"{label} ghi {value}" + (f", {detail}" if detail else f": {text}")
        else:
            said = f"{label}: {detail or text}"
        return f"{where}: {said}" if where else said

    def _detail(self, p: dict) -> str:
        """What the check expected ("cần số nguyên không âm …"), from the message `problems.describe` wrote as
        "<text>: <label> — <detail>"; "" for any other message (it may name a file)."""
        label = self.labels.get((p["trang"], p["cot"]))
        text = CODES.get(p["ma_loi"], ("", ""))[1]
        head = f"{text}: {label} — "
        return p["mo_ta"][len(head) :] if label and p["mo_ta"].startswith(head) else ""


def _villages(names: list[str]) -> str:
    """ "thôn 11", "03 thôn (thôn 1, thôn 2, thôn 5)"."""
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return names[0] if names else ""
    shown = ", ".join(names[:_NAMED]) + (", …" if len(names) > _NAMED else "")
    return f"{count(len(names))} thôn ({shown})"


def _indicators(ids: list[str], ind: dict[str, Meta]) -> str:
    return f"chỉ tiêu {ids[0]} – {_label(ind, ids[0])}" if len(ids) == 1 else f"các chỉ tiêu {', '.join(ids)}"


def _lower(text: str) -> str:
    """A label inside a sentence: "Dân số …" -> "dân số …", but "TTHC …" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shortfall(ind: dict[str, Meta], r) -> str:
    """How far a failing indicator is from its threshold: "70,5% < 80%", "Không", "0 thôn (cần ≥ 1 thôn)"."""
    kind = ind[r.chi_tieu].kind
    if kind.shown == "pct" and pd.notna(r.gia_tri):
        need = _threshold(ind, r).removeprefix("≥ ").removesuffix(f" {kind.share_of}").strip()
        return f"{percent(r.gia_tri)} < {need}" if need else percent(r.gia_tri)
    if kind.shown == "flag":
        return "Không"
    if kind.shown == "year":
        return f"năm {int(r.tu_so)}, cần trước năm {r.nam}" if pd.notna(r.tu_so) else "chưa ghi năm"
    need = _threshold(ind, r)
    have = f"{_int(r.tu_so)} thôn" if pd.notna(r.tu_so) else "không có thôn"
    return f"{have} (cần {need})" if need else have


def _missing(r) -> str:
    if pd.notna(r.mau_so) and r.mau_so == 0:
        return "mẫu số bằng 0"
    return "thiếu số liệu"


# ---- the per-commune sheets ----------------------------------------------------------------------------------------


SHEET_COLUMNS = ("Mã", "Chỉ tiêu", "Tử số", "Mẫu số", "Giá trị", "Ngưỡng", "Kết quả", "Ô số liệu")
SHEET_WIDTHS = (11, 68, 12, 12, 12, 19, 16, 28)  # mm, 178 in all
SHEET_SIZE = 9


def write_sheets(
    path: Path,
    year: int,
    result,
    criteria: Criteria,
    letters: pd.DataFrame,
    settings: Settings | None = None,
    problems: pd.DataFrame | None = None,
    columns: Columns | None = None,
) -> Path:
    """Write one sheet per commune (phiếu thẩm định) to `path`; each commune starts on a new page.

    `letters`: the column letter of each column key per file and sheet (`tep, trang, cot, chu`,
    `Batch.letters`), to name the cell each figure came from; `problems`, `columns`: to say why
    an indicator is not assessable (as the report does).
    """
    settings = settings or Settings()
    problems = problems if problems is not None else pd.DataFrame(columns=["tep", "trang", "o", "ma_xa", "ma_loi"])
    communes = _ordered(result.communes)
    ind = criteria.indicators
    meta = _meta(ind)
    found = _findings(communes, result.results, criteria, problems, columns or load_columns())
    doc = _document(margins=(12, 12, 20, 12), size=12)
    columns_ = (letters[k].tolist() for k in ("tep", "trang", "cot", "chu"))  # lists: iterating a frame is slow
    letter = {(t, s, c): ch for t, s, c, ch in zip(*columns_, strict=True)}
    villages = result.villages
    by_commune: dict[tuple, list] = {}
    for r in result.results.itertuples(index=False):  # plain tuples: no frame per commune
        by_commune.setdefault((r.ma_xa, r.nam), []).append(r)
    homes: dict[tuple, dict[str, list[int]]] = {}
    for (code, nam, tep), lines in (
        villages.groupby(["ma_xa", "nam", "_tep"], sort=False)["_dong"] if len(villages) else ()
    ):
        homes.setdefault((code, nam), {})[tep] = sorted(int(x) for x in lines)
    labels = criteria.tiers["label"].to_dict()
    bases: dict[str, list[str]] = {}  # the legal bases line of each tier: most sheets share one
    place = _place_date(settings, year)
    body: list[str] = []
    for n, (label, row) in enumerate(zip(communes.index, communes.itertuples(index=False), strict=True)):
        page: list[str] = []
        _para(page, settings.shown("co_quan_ban_hanh").upper(), bold=True, size=11, align="left", page_break=n > 0)
        _para(page, f"PHIẾU THẨM ĐỊNH {_sector_indicators(criteria).upper()}", bold=True, align="center", before=4)
        tier = labels.get(row.hang_dang_ky, "")
        _para(page, Terms.spelled(f"Xã đăng ký đạt chuẩn {tier} năm {year}" if tier else f"Năm {year}"), align="center")
        _identity(page, row, year, tier)
        mine = by_commune.get((row.ma_xa, row.nam), [])
        _indicator_table(page, row, mine, meta, letter, homes.get((row.ma_xa, row.nam), {}), found[label])
        if row.hang_dang_ky not in bases:
            bases[row.hang_dang_ky] = []
            _bases_note(bases[row.hang_dang_ky], (*criteria.bases_of([row.hang_dang_ky]), *settings.can_cu))
        body += page + bases[row.hang_dang_ky]
        _remarks(body, row, place)
    if communes.empty:
        _para(body, f"Không có xã nào được thẩm định năm {year}.")
    _save(doc, body, path)
    return Path(path)


def _identity(page: list[str], row, year: int, tier: str) -> None:
    widths = (30, 59, 32, 57)
    counted = ""
    if pd.notna(row.so_chi_tieu) and pd.notna(row.so_chi_tieu_dat):
        counted = f" ({int(row.so_chi_tieu_dat)}/{int(row.so_chi_tieu)} chỉ tiêu đạt)"
    district = _text(row.huyen)
    pairs = (
        ("Mã xã:", _shown_code(row.ma_xa), "Năm đánh giá:", str(year)),
        ("Tên xã:", _text(row.ten_xa), "Hạng đăng ký:", tier or "(chưa ghi đúng)"),
        ("Huyện:" if district else "", district, "Kết quả chung:", WORDS.get(row.ket_qua, "") + counted),
    )
    rows = [Row([Cell(v, bold=i % 2 == 0) for i, v in enumerate(values)]) for values in pairs]
    _grid(page, widths, rows, size=11, borders="none")
    _gap(page, 4)  # two tables that touch are one table to Word and LibreOffice: the sheet's header would not repeat


def _indicator_table(
    page: list[str], row, mine: list, ind: dict[str, Meta], letter: dict, home: dict, found: Finding
) -> None:
    """`mine`: the commune's result rows (tuples); `found`: what it lacks (why an indicator is undecided).
    The caption naming the commune and its code repeats at the top of every page the table runs onto, and
    the last rows stay with the closing block, so no page of the sheet is without the commune's name."""
    source = row.tep_xa if isinstance(row.tep_xa, str) and row.tep_xa else "(không có tệp)"
    if isinstance(row.tep_xa, str) and pd.notna(row.dong_xa):
        source += f", trang Xa, dòng {int(row.dong_xa)}"
    code = _shown_code(row.ma_xa) or "(trống)"
    title = f"{_name(row.ten_xa)} – mã {code} – năm {row.nam} – tệp số liệu: {source}"
    rows = [
        Row([Cell(title, bold=True, span=len(SHEET_WIDTHS))], header=True),
        Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in SHEET_COLUMNS], header=True),
    ]
    for r in mine if found.sent else ():  # a commune that sent nothing has no figure to show
        kind = ind[r.chi_tieu].kind
        numerator = "" if kind.shown in ("flag", "year") else _int(r.tu_so)
        denominator = "" if kind.shown in ("flag", "year") else _int(r.mau_so)
        wording: str | list = _label(ind, r.chi_tieu)
        if r.ket_qua == UNDECIDED:
            reason = found.why.get(r.chi_tieu) or _missing(r)
            wording = [P(_label(ind, r.chi_tieu)), P(f"? Chưa đánh giá được vì {reason}.", italic=True)]
        values = (
            r.chi_tieu,
            wording,
            numerator,
            denominator,
            _value(kind.shown, r),
            _threshold(ind, r),
        )
        cells = [Cell(v, align="center" if i != 1 else None) for i, v in enumerate(values)]
        if r.ket_qua == NOT_MET:
            cells.append(Cell(FAILED, bold=True, align="center", shade=HEAD_SHADE))
        else:
            cells.append(Cell(WORDS.get(r.ket_qua, ""), align="center"))
        cells.append(Cell(_cells_of(ind[r.chi_tieu], row, letter, home)))
        rows.append(Row(cells))
    if not found.sent:
        rows.append(Row([Cell("Xã chưa nộp hồ sơ: chưa có số liệu để thẩm định.", bold=True, span=len(SHEET_WIDTHS))]))
    elif not mine:
        note = f"Không có chỉ tiêu nào được đánh giá. {' '.join(found.long)}".strip()
        rows.append(Row([Cell(note, span=len(SHEET_WIDTHS))]))
    _grid(page, SHEET_WIDTHS, rows, size=SHEET_SIZE, margin=1, keep_last=2)


def _bases_note(page: list[str], bases: tuple[LegalBasis, ...]) -> None:
    """The legal bases of the commune's tier, in one line: what the sheet appraises against."""
    if not bases:
        return
    head = _run_xml("Căn cứ: ", italic=True, bold=True, size=9)
    text = "; ".join(citation(b, title=False) for b in bases)
    _para(page, runs=head + _run_xml(text + ".", italic=True, size=9), before=3, keep=True)


def _remarks(page: list[str], row, place: str) -> None:
    """A box for the officer's remarks naming the commune, with dotted lines to write on, then the date line and
    the signatures: kept together, and with the table's last rows (a page of signatures alone names no one)."""
    width = sum(SHEET_WIDTHS)
    _gap(page, 6, keep=True)
    code = _shown_code(row.ma_xa)
    whose = _name(row.ten_xa) + (f", mã {code}" if code else "")
    rows = [Row([Cell(f"Ý kiến của cán bộ thẩm định về hồ sơ {whose}:", bold=True)])]
    rows += [Row([Cell("")], height=7) for _ in range(RULED)]
    _grid(page, (width,), rows, size=11, borders="ruled", keep=True, keep_last=1)
    _gap(page, 2, keep=True)
    signs = [
        Cell([P(title, bold=True, align="center"), P("(Ký, ghi rõ họ tên)", italic=True, align="center")])
        for title in ("CÁN BỘ THẨM ĐỊNH", "LÃNH ĐẠO ĐƠN VỊ")
    ]
    date = Row([Cell(""), Cell([P(place, italic=True, align="center", before=6)])])
    _grid(page, (width / 2, width / 2), [date, Row(signs)], size=11, borders="none", keep=True)


def _cells_of(meta: Meta, row, letter: dict, home: dict[str, list[int]]) -> list[str]:
    """The cells an indicator read, a line per file: "Xa!N5, Xa!M5, Thon!E4:E13" in the commune's own file
    (which the table's caption names), "thon.xlsx Thon!E4:E13" in another. `home`: village rows per file."""
    refs: dict[str, list[str]] = {}
    own = row.tep_xa if isinstance(row.tep_xa, str) and pd.notna(row.dong_xa) else None
    for sheet, column in meta.cells:
        if sheet == "Xa" and own:
            ch = letter.get((own, "Xa", column))
            if ch:
                refs.setdefault(own, []).append(f"Xa!{ch}{int(row.dong_xa)}")
        elif sheet == "Thon":
            for tep, lines in home.items():
                ch = letter.get((tep, "Thon", column))
                if ch:
                    refs.setdefault(tep, []).append(f"Thon!{_span(ch, lines)}")
    return [("" if tep == row.tep_xa else f"{tep} ") + ", ".join(dict.fromkeys(cells)) for tep, cells in refs.items()]


def _span(letter: str, lines: list[int]) -> str:
    if lines == list(range(lines[0], lines[-1] + 1)):
        return f"{letter}{lines[0]}" if len(lines) == 1 else f"{letter}{lines[0]}:{letter}{lines[-1]}"
    return ",".join(f"{letter}{n}" for n in lines)


def _value(shown: str, r) -> str:
    if shown == "pct":
        return percent(r.gia_tri) if pd.notna(r.gia_tri) else ""
    if shown == "flag":
        return {1.0: "Có", 0.0: "Không"}.get(r.gia_tri, "") if pd.notna(r.gia_tri) else ""
    if shown == "year":
        return str(int(r.tu_so)) if pd.notna(r.tu_so) else ""
    return f"{_int(r.tu_so)} thôn" if pd.notna(r.tu_so) else ""


def _threshold(ind: dict[str, Meta], r) -> str:
    """ "≥ 80%", "≥ 1 thôn", "Có", "trước 2024"; a threshold set per commune group is the commune's."""
    meta = ind[r.chi_tieu]
    kind_name, kind = meta.kind_name, meta.kind
    if kind.shown == "flag":
        return "Có"
    if kind.shown == "year":
        return f"trước {r.nam}"
    t = r.nguong if pd.notna(r.nguong) else meta.threshold
    if t is None or pd.isna(t):
        return ""
    if kind.threshold == "count":
        return threshold_text(kind_name, int(t))
    if kind.per_village:  # met at commune level when one village meets it
        base = threshold_text(kind_name, meta.threshold)
        return f"≥ 1 thôn đạt {base}" if base else "≥ 1 thôn"
    return threshold_text(kind_name, t)


# ---- last year -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastYear:
    """Last year's results for the year-over-year section: its communes, or why they could not be read.

    `unread` is the few words the report prints in place of the comparison (never a
    file name: the report is signed and sent on); `problems` the warning naming the file
    and what to do, for the run's problem list.
    """

    communes: pd.DataFrame | None = None
    unread: str = ""
    problems: tuple[dict, ...] = ()


NEEDED = ("ma_xa", "hang_cao_nhat_dat")  # what the comparison reads of last year's rows (`summary.lost_since`)
NUMBERS = ("nam", "so_chi_tieu_dat", "so_chi_tieu")  # whole numbers Excel may save back as 2024.0
_WHOLE = re.compile(r"^(\d+)\.0+$")  # 2024.0, as a whole number saved by Excel


def previous_results(output_dir: Path, year: int) -> LastYear:
    """Last year's commune rows (`<output_dir>/<year-1>/xa-<year-1>.csv`); none when there is no such file.

    The file may have been opened and saved again with Excel or Notepad: any encoding and
    delimiter `text_files` reads, empty rows, whole numbers as `2024.0`, codes that lost
    their leading zeros (`640` for `00640`, restored as `parse.parse_code` restores a
    workbook's). A file that still cannot be read costs only the comparison, never the run.
    Text the CSV writer neutralised (a leading `'` before `=`, `+`, `-`, `@`) is read back as written.
    """
    path = Path(output_dir) / str(year - 1) / f"xa-{year - 1}.csv"
    if not path.is_file():
        return LastYear()
    redo = f"hãy chạy lại đánh giá năm {year - 1} để ghi lại tệp"
    try:
        rows = text_files.csv_rows(text_files.decode(path.read_bytes(), text_files.SAVE_CSV))
    except text_files.UnreadableText as e:
        return _unread(path, "không nhận ra bảng mã chữ", f"{e}, hoặc {redo}")
    except OSError as e:
        return _unread(path, "không mở được tệp", f"{e.strerror or e}")
    rows = [[cell.strip() for cell in row] for row in rows if any(cell.strip() for cell in row)]
    header = rows[0] if rows else []
    missing = [k for k in NEEDED if k not in header]
    if missing:
        return _unread(path, "không có cột mã xã hoặc hạng cao nhất đạt", f"thiếu cột {', '.join(missing)}; {redo}")
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in rows[1:]], columns=header, dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    starts = tuple(FORMULA_START)
    for column in frame.columns:
        values = frame[column]
        quoted = values.str.startswith("'") & values.str[1:2].isin(starts)
        frame[column] = values.where(~quoted, values.str[1:])
    for column in (c for c in ("ma_xa", *NUMBERS) if c in frame):
        frame[column] = frame[column].str.replace(_WHOLE, r"\1", regex=True)
    frame["ma_xa"] = parse_code(frame["ma_xa"])[0]
    return LastYear(frame.replace("", pd.NA))


def _unread(path: Path, why: str, advice: str) -> LastYear:
    """Last year's file is there but cannot be read: the report says so in few words, the problem list in full."""
    said = f"tệp kết quả năm {path.parent.name} không đọc được ({why})"
    return LastYear(unread=said, problems=(problem("ket-qua-nam-truoc", str(path), f"{why}; {advice}"),))


# ---- helpers -------------------------------------------------------------------------------------------------------


def _ordered(communes: pd.DataFrame) -> pd.DataFrame:
    """Communes in the order of their codes (districts follow their codes); rows with no valid code last."""
    key = communes["ma_xa"].astype("string")
    ordered = communes.assign(_o=is_stand_in(key)).sort_values(["_o", "ma_xa"], kind="stable")
    # itertuples cannot name a field that starts with "_": the file and row go by names of their own
    ordered["tep_xa"] = ordered.get("_tep", None)
    ordered["dong_xa"] = ordered.get("_dong", None)
    return ordered.drop(columns="_o")


def _shown_code(code) -> str:
    return "" if pd.isna(code) or str(code).startswith(UNKNOWN_CODE) else str(code)


def _name(name) -> str:
    """ "Xã Ngọc Lũ" unless the name already says what kind of unit it is."""
    name = _text(name)
    if not name:
        return "(chưa ghi tên xã)"
    return name[0].upper() + name[1:] if name.lower().startswith(("xã ", "phường ", "thị trấn ")) else f"Xã {name}"


def _commune(name, district) -> str:
    """ "Xã Ngọc Lũ (huyện Bình Lục)"; no brackets for a commune without a district."""
    district = _text(district)
    return f"{_name(name)} ({district})" if district else _name(name)


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _label(ind: dict[str, Meta], key: str) -> str:
    return ind[key].label if key in ind else key


def _ids(text: str) -> set[str]:
    return {t.strip() for t in text.split(",") if t.strip()}


def _int(value) -> str:
    """10.000 as Vietnamese write it; empty when there is no figure."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value):,}".replace(",", ".")


# ---- python-docx plumbing ------------------------------------------------------------------------------------------


def _document(margins: tuple[int, int, int, int], size: int):
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


def _page_numbers(doc) -> None:
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
# python-docx would make, into a list (a document's `body`) that `_save` writes into the document.

_JC = {"center": "center", "justify": "both", "left": "left"}  # our alignments, as <w:jc> spells them
_BREAKS = re.compile(r"([\t\n\r])")  # what python-docx writes as elements in a run, not as text


def _save(doc, body: list[str], path: Path) -> None:
    """Write the document to `path` with `body` as its content.

    The blocks are spliced as text into the document part python-docx saves,
    before the body's closing section properties: parsing a province's sheets
    into lxml and serialising them back took about half their time.
    """
    blank = io.BytesIO()
    doc.save(blank)
    with (
        zipfile.ZipFile(blank) as saved,
        replace_atomically(path) as tmp,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in saved.infolist():
            data = saved.read(info)
            if info.filename == "word/document.xml":
                end = data.rindex(b"<w:sectPr")  # the body's own section properties close it
                data = b"".join([data[:end], "".join(body).encode(), data[end:]])
            out.writestr(info, data)


def _para(
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
    `runs`: runs written by `_run_xml`, in place of `text`."""
    ppr = ("<w:keepNext/>" if keep else "") + ("<w:pageBreakBefore/>" if page_break else "")
    ppr += f'<w:spacing w:before="{Pt(before).twips}" w:after="{Pt(after).twips}"/>'
    first = f' w:firstLine="{Mm(10).twips}"' if indent else ""
    ppr += f'<w:ind{first} w:left="{Mm(left).twips}"/>' if left else f"<w:ind{first}/>" if indent else ""
    jc = align or ("justify" if indent or left else None)
    ppr += f'<w:jc w:val="{_JC[jc]}"/>' if jc else ""
    if text:
        runs = _run_xml(text, bold=bold, italic=italic, size=size)
    body.append(f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")


def _run_xml(text: str, *, bold: bool = False, italic: bool = False, size: float | None = None) -> str:
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


def _heading(body: list[str], text: str) -> None:
    _para(body, text, bold=True, before=6, after=3, keep=True)


def _gap(body: list[str], points: float, keep: bool = False) -> None:
    """An empty paragraph `points` high: room between blocks, and what keeps two tables apart."""
    spacing = f'<w:spacing w:before="0" w:after="0" w:line="{Pt(points).twips}" w:lineRule="exact"/>'
    body.append(f"<w:p><w:pPr>{'<w:keepNext/>' if keep else ''}{spacing}</w:pPr></w:p>")


def _rule(body: list[str], length: float, across: float) -> None:
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


def _grid(
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
