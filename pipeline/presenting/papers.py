"""What the two signed papers share: the result words, the abbreviations spelled out at first use,
the commune's name as a document writes it, the date line, the legal bases line.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.catalog import Criteria, LegalBasis
from pipeline.checking.identity import UNKNOWN_CODE
from pipeline.presenting.words import citation, long_date
from pipeline.settings import Settings

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


def basis_line(basis: LegalBasis) -> str:
    """ "Căn cứ Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành …;" """
    return f"Căn cứ {citation(basis)};"


def sector_indicators(criteria: Criteria, short: bool = False) -> str:
    """ "các chỉ tiêu ngành thông tin và truyền thông" (or "… ngành TT&TT"): the sector's words are the period's."""
    return f"các chỉ tiêu {criteria.sector_words(short)}".strip()


def place_date(settings: Settings, year: int) -> str:
    """ "Hà Nam, ngày 05 tháng 02 năm 2024", or with dots for the officer to fill in: the documents' one date line."""
    when = long_date(settings.ngay) if settings.ngay else f"ngày {DOTS} tháng {DOTS} năm {year}"
    return f"{settings.shown('dia_danh')}, {when}"


def shown_code(code) -> str:
    return "" if pd.isna(code) or str(code).startswith(UNKNOWN_CODE) else str(code)


def formal_name(name) -> str:
    """ "Xã Ngọc Lũ" unless the name already says what kind of unit it is."""
    name = plain(name)
    if not name:
        return "(chưa ghi tên xã)"
    return name[0].upper() + name[1:] if name.lower().startswith(("xã ", "phường ", "thị trấn ")) else f"Xã {name}"


def commune_with_area(name, district) -> str:
    """ "Xã Ngọc Lũ (huyện Bình Lục)"; no brackets for a commune without a district."""
    district = plain(district)
    return f"{formal_name(name)} ({district})" if district else formal_name(name)


def plain(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
