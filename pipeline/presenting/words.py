"""Every word a person reads in the workbooks and the overview, in one place per language.

`TEXT[lang]` holds the labels, titles and result words of the workbooks; the
other constants are the overview's sentences. Problem messages and the terminal's
lines are in `messages.py`. Register: the words of an appraisal report
("thẩm định", "hạng đăng ký", "chưa đánh giá được"), abbreviations spelled
out once in `ABBREVIATIONS`. One term for one thing: a tier is a "hạng" everywhere
(the column catalog's "Hạng đăng ký"), as in the template, the sheets and the report.
`count` and `date` write numbers and dates the one way every output prints them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

TEXT: dict[str, dict[str, Any]] = {
    "vi": {
        "overview": "Tổng hợp",
        "villages": "Thôn",
        "problems": "Lỗi dữ liệu",
        "sources": "Nguồn",
        "title": "TỔNG HỢP KẾT QUẢ THẨM ĐỊNH {indicators}",
        "subtitle": "Xã đăng ký đạt chuẩn nông thôn mới — năm {year}",
        "tier_title": "KẾT QUẢ THẨM ĐỊNH {indicators} — XÃ ĐĂNG KÝ {tier} — NĂM {year}",
        "by_tier": "Theo hạng đăng ký",
        "by_district": "Theo huyện",
        "ratios": "Các chỉ tiêu tỷ lệ (tính từ tổng tử số và tổng mẫu số của các xã có đủ cả hai)",
        "left_out": "Số xã thiếu số liệu",
        "tier": "Hạng đăng ký",
        "district": "Huyện",
        "registered": "Đăng ký",
        "total": "Tổng cộng",
        "received": "Đã nhận hồ sơ",
        "dat": "Đạt",
        "khong_dat": "Không đạt",
        "khong_danh_gia_duoc": "Chưa đánh giá được",
        "khong_ap_dung": "Không áp dụng",
        "ratio": "Kết quả",
        "no": "STT",
        "code": "Mã xã",
        "commune": "Tên xã",
        "village": "Tên thôn",
        "value": "Giá trị",
        "result": "Kết quả",
        "met_count": "Số chỉ tiêu đạt",
        "overall": "Kết quả chung",
        "highest": "Hạng cao nhất đạt",
        "shortfalls": "Chỉ tiêu chưa đạt / chưa đánh giá được",
        "indicator": "Chỉ tiêu",
        "wording": "Nội dung",
        "numerator": "Tử số",
        "denominator": "Mẫu số",
        "share": "Tỷ lệ",
        "threshold": "Ngưỡng",
        "yes": "Có",
        "no_": "Không",
        "smart": "Thôn thông minh",
        "file": "Tệp",
        "sheet": "Trang",
        "cell": "Ô",
        "column": "Cột",
        "found": "Giá trị",
        "description": "Mô tả",
        "severity": "Mức độ",
        "affects": "Chỉ tiêu bị ảnh hưởng",
        "problem_code": "Mã lỗi",
        "loi": "Lỗi",
        "canh_bao": "Cảnh báo",
        "size": "Kích thước (byte)",
        "rows_xa": "Dòng Xa đọc",
        "kept_xa": "Dòng Xa nhận",
        "rows_thon": "Dòng Thôn đọc",
        "kept_thon": "Dòng Thôn nhận",
        "rejected": "Dòng bị loại (xem Lỗi dữ liệu)",
        "catalog": "Bộ chỉ tiêu",
        "period": "Giai đoạn",
        "catalog_file": "Tệp danh mục",
        "province_rules": "Chỉ tiêu bổ sung của tỉnh",
        "basis": "Căn cứ",
        "year_over_year": "So với năm {last}: xã đã đạt chuẩn năm {last} nhưng năm {year} chưa đạt hạng đó",
        "none_lost": "Trong {n} xã có kết quả cả năm {last} và năm {year}, không có xã nào giảm hạng.",
        "met_last_year": "Hạng đạt năm trước",
        "result_now": "Kết quả năm nay",
        "provenance": "Nguồn của từng chỉ tiêu và mức độ kiểm chứng",
        "source_of": "Nguồn",
        "certainty": "Mức độ kiểm chứng",
        "tool": "Phiên bản phần mềm thẩm định",
        "run_at": "Thời điểm lập bảng",
        "chart": "Kết quả theo huyện",
        "none": "Không có lỗi dữ liệu.",
        "footer": "&LNgày lập: {date}&RTrang &P/&N",
        "legend": "Ký hiệu kết quả: Đ = đạt; KĐ = không đạt; ? = chưa đánh giá được; – = không áp dụng "
        "(màu nền chỉ để nhìn nhanh, bản in đen trắng đọc theo ký hiệu).",
        "legend_short": "Đ đạt · KĐ không đạt · ? chưa đánh giá được · – không áp dụng",
        "symbols": {"dat": "Đ", "khong_dat": "KĐ", "khong_danh_gia_duoc": "?", "khong_ap_dung": "–"},
        "total_met": "Số xã đạt",
        "abbreviations": "Viết tắt",
        "year": "năm {year}",
        "village_title": "DANH SÁCH THÔN VÀ THÔN THÔNG MINH — NĂM {year}",
        "commune_name": "Tên xã",
        "village_name": "Tên thôn",
    },
    "en": {
        "overview": "Overview",
        "villages": "Villages",
        "problems": "Data problems",
        "sources": "Sources",
        "title": "APPRAISAL OF THE ICT INDICATORS OF NEW-RURAL COMMUNES",
        "subtitle": "Communes registered for recognition — {year}",
        "tier_title": "ICT INDICATORS — {tier} TIER — {year}",
        "by_tier": "By registered tier",
        "by_district": "By district",
        "ratios": "Ratio indicators (summed numerators and denominators of the communes that gave both)",
        "left_out": "Communes without figures",
        "tier": "Tier",
        "district": "District",
        "registered": "Registered",
        "total": "Total",
        "received": "Received",
        "dat": "Met",
        "khong_dat": "Not met",
        "khong_danh_gia_duoc": "Not assessable",
        "khong_ap_dung": "Not applicable",
        "ratio": "Result",
        "no": "No.",
        "code": "Code",
        "commune": "Commune",
        "village": "Village",
        "value": "Value",
        "result": "Result",
        "met_count": "Indicators met",
        "overall": "Overall",
        "highest": "Highest tier met",
        "shortfalls": "Indicators not met / not assessable",
        "indicator": "Indicator",
        "wording": "Wording",
        "numerator": "Numerator",
        "denominator": "Denominator",
        "share": "Share",
        "threshold": "Threshold",
        "yes": "Yes",
        "no_": "No",
        "smart": "Smart village",
        "file": "File",
        "sheet": "Sheet",
        "cell": "Cell",
        "column": "Column",
        "found": "Value found",
        "description": "Description",
        "severity": "Severity",
        "affects": "Indicators affected",
        "problem_code": "Problem code",
        "loi": "Error",
        "canh_bao": "Warning",
        "size": "Size (bytes)",
        "rows_xa": "Xa rows read",
        "kept_xa": "Xa rows accepted",
        "rows_thon": "Thon rows read",
        "kept_thon": "Thon rows accepted",
        "rejected": "Rows rejected (see Data problems)",
        "catalog": "Criteria",
        "period": "Period",
        "catalog_file": "Catalog file",
        "province_rules": "Province additions",
        "basis": "Legal basis",
        "year_over_year": "Compared with {last}: communes that met a tier in {last} and do not meet it in {year}",
        "none_lost": "Of {n} communes with results in both {last} and {year}, none dropped a tier.",
        "met_last_year": "Met last year",
        "result_now": "Result this year",
        "provenance": "Where each indicator comes from, and how sure that is",
        "source_of": "Source",
        "certainty": "Certainty",
        "tool": "Tool version",
        "run_at": "Run at",
        "chart": "Results by district",
        "none": "No data problems.",
        "footer": "&LRun date: {date}&RPage &P of &N",
        "legend": "Result symbols: M = met; NM = not met; ? = not assessable; – = not applicable "
        "(colours are only a visual aid; a grey-scale print reads the symbols).",
        "legend_short": "M met · NM not met · ? not assessable · – not applicable",
        "symbols": {"dat": "M", "khong_dat": "NM", "khong_danh_gia_duoc": "?", "khong_ap_dung": "–"},
        "total_met": "Communes met",
        "abbreviations": "Abbreviations",
        "year": "{year}",
        "village_title": "VILLAGES AND SMART VILLAGES — {year}",
        "commune_name": "Commune",
        "village_name": "Village",
    },
}
NO_DISTRICT = {"vi": "(không có huyện)", "en": "(no district)"}

# How the papers group the communes, which is also the folder of the area workbooks (`output/<year>/huyen/`):
# by district, or by province (no districts since 1 July 2025, a batch of several provinces).
DISTRICTS, PROVINCES = "huyen", "tinh"
# The words of an area when the communes are grouped by province: what the district's words become (`words_for`).
AREAS: dict[str, dict[str, dict[str, str]]] = {
    DISTRICTS: {"vi": {}, "en": {}},
    PROVINCES: {
        "vi": {"district": "Tỉnh", "by_district": "Theo tỉnh", "chart": "Kết quả theo tỉnh"},
        "en": {"district": "Province", "by_district": "By province", "chart": "Results by province"},
    },
}


def words_for(lang: str, area: str = DISTRICTS) -> dict:
    """The workbooks' words in `lang`, for communes grouped by district (`DISTRICTS`) or by province."""
    return TEXT[lang] | AREAS[area][lang]


NO_TIER_LABEL = {"vi": "(chưa rõ hạng đăng ký)", "en": "(tier unknown)"}
NO_TIER_SENTENCE = {
    "vi": "{n} hồ sơ chưa ghi đúng hạng đăng ký nên chưa đánh giá được (xem Lỗi dữ liệu).",
    "en": "{n} communes gave no valid registered tier and could not be assessed (see Data problems).",
}
MORE_NAMED = {  # after the communes the overview's paragraph names
    "vi": "; và {n} xã khác (xem trang “{sheet}”)",
    "en": "; and {n} more (see the sheet “{sheet}”)",
}
INTRO = {
    "vi": ("Các xã chưa đạt", "Các xã chưa đủ số liệu để đánh giá", "Không có xã nào được đánh giá."),
    "en": ("Communes falling short", "Communes that could not be assessed", "No commune was assessed."),
}

# Abbreviations the documents use, spelled out once on the overview.
ABBREVIATIONS = {
    "vi": (
        "NTM: nông thôn mới; DVCTT: dịch vụ công trực tuyến; "
        "TTHC: thủ tục hành chính; CBCC: cán bộ, công chức; CNTT: công nghệ thông tin; "
        "TMĐT: thương mại điện tử; ATTT: an toàn thông tin; OCOP: Chương trình mỗi xã một sản phẩm; "
        "SXKD: sản xuất, kinh doanh; BC: bưu chính."
    ),
    "en": (
        "NTM: new-rural (nông thôn mới); DVCTT: online public services; "
        "TTHC: administrative procedures; CBCC: commune officials; CNTT: information technology; "
        "TMĐT: e-commerce; ATTT: information security; OCOP: One Commune One Product programme; "
        "SXKD: production and business; BC: postal service."
    ),
}


def count(n: int, lang: str = "vi") -> str:
    """A count as Vietnamese administrative documents write it: two digits below ten ("02/02 xã", "01 xã"),
    zero as "0" (no document writes "00"). English writes the plain number."""
    return f"{n:02d}" if n and lang == "vi" else str(n)


def month(m: int) -> str:
    """Nghị định 30/2020/NĐ-CP, Phụ lục I: months 1 and 2 take a leading zero ("01", "02"), others do not."""
    return f"{m:02d}" if m < 3 else str(m)


def date(when: dt.date) -> str:
    """A date in a table or a citation, as legal texts write it: "08/3/2022", "05/02/2024" (day in two digits,
    month by Nghị định 30's rule). Every output writes dates this one way."""
    return f"{when.day:02d}/{month(when.month)}/{when.year}"


def long_date(when: dt.date) -> str:
    """ "ngày 08 tháng 3 năm 2022": a document's own date, as Nghị định 30 writes it under the national title."""
    return f"ngày {when.day:02d} tháng {month(when.month)} năm {when.year}"


def citation(basis, title: bool = True) -> str:
    """A legal text as documents cite it: "Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành …"
    (`basis`: a `catalog.LegalBasis`; `title`: with its abstract)."""
    parts = [f"{basis.kind} số {basis.number}"]
    if basis.date:
        parts.append(f"ngày {date(basis.date)}")
    if basis.issuer:
        parts.append(f"của {basis.issuer}")
    if title and basis.title:
        parts.append(basis.title)
    return " ".join(parts)


def indicators_of(criteria, lang: str = "vi") -> str:
    """ "CHỈ TIÊU NGÀNH THÔNG TIN VÀ TRUYỀN THÔNG": a title's words for the period's sector (`Criteria.sector`)."""
    if lang != "vi":
        return "INDICATORS"
    return f"CHỈ TIÊU {criteria.sector_words().upper()}".strip()


def abbreviations(criteria, lang: str = "vi") -> str:
    """The overview's list of abbreviations, the period's sector first ("TT&TT: thông tin và truyền thông")."""
    if criteria.sector_short and lang == "vi":
        return f"{criteria.sector_short}: {criteria.sector}; {ABBREVIATIONS[lang]}"
    return ABBREVIATIONS[lang]
