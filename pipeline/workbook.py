"""The workbooks officers open, print and send on: the summary and one per district.

Layout only: every figure comes from `assess` and `summary`. Cells are written
column by column; strings are never read as formulas (`strings_to_formulas` is
off), and each file is written under a temporary name, then renamed.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline import __version__, summary
from pipeline.assess import Assessment
from pipeline.catalog import Columns, Criteria
from pipeline.files import replace_atomically
from pipeline.kinds import KINDS
from pipeline.parse import slug
from pipeline.validate import shown_code

FONT = "Times New Roman"  # the font of Vietnamese administrative documents; has every Vietnamese glyph
HEADER_ROW = 3  # first of the two header rows on table sheets (0-based)

TEXT = {
    "vi": {
        "overview": "Tổng hợp",
        "villages": "Thôn",
        "problems": "Lỗi dữ liệu",
        "sources": "Nguồn",
        "title": "TỔNG HỢP KẾT QUẢ THẨM ĐỊNH CHỈ TIÊU NGÀNH THÔNG TIN VÀ TRUYỀN THÔNG",
        "subtitle": "Xã đăng ký đạt chuẩn nông thôn mới — năm {year}",
        "tier_title": "KẾT QUẢ ĐÁNH GIÁ CHỈ TIÊU TT&TT — XÃ {tier} — NĂM {year}",
        "by_tier": "Theo hạng đăng ký",
        "by_district": "Theo huyện",
        "ratios": "Các chỉ tiêu tỷ lệ (tính từ tổng tử số và tổng mẫu số của các xã có đủ cả hai)",
        "left_out": "Số xã thiếu số liệu",
        "tier": "Hạng",
        "district": "Huyện",
        "registered": "Đăng ký",
        "received": "Đã nhận hồ sơ",
        "dat": "Đạt",
        "khong_dat": "Không đạt",
        "khong_danh_gia_duoc": "Không đánh giá được",
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
        "tool": "Phiên bản công cụ",
        "run_at": "Thời điểm chạy",
        "chart": "Kết quả theo huyện",
        "none": "Không có lỗi dữ liệu.",
        "footer": "&LNgày chạy: {date}&RTrang &P/&N",
        "no_commune": "Không có xã nào đăng ký hạng này.",
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
        "problem_code": "Code",
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
        "tool": "Tool version",
        "run_at": "Run at",
        "chart": "Results by district",
        "none": "No data problems.",
        "footer": "&LRun date: {date}&RPage &P of &N",
        "no_commune": "No commune registered for this tier.",
    },
}
RESULT_COLOURS = {
    "dat": "#C6EFCE",
    "khong_dat": "#FFC7CE",
    "khong_danh_gia_duoc": "#FFEB9C",
    "khong_ap_dung": "#E7E6E6",
}


def write(
    result: Assessment,
    problems,
    sources,
    criteria: Criteria,
    columns: Columns,
    year: int,
    folder: Path,
    lang="vi",
    workers: int = 1,
    note: str = "",
) -> list[Path]:
    """The summary workbook and one workbook per district.

    The tier and village tables are laid out once for the whole batch and cut
    by district in one pass. With `workers` > 1 and many districts, the district
    workbooks are written in that many processes, each sent only its district,
    while this process writes the summary (xlsxwriter is pure Python, and at
    national scale writing is most of the run).
    """
    now = dt.datetime.now().replace(microsecond=0)
    communes = _ordered(result.communes)
    tiers = {t: TierTable.of(communes, result.results, criteria, t, lang) for t in criteria.tiers.index}
    villages = VillageTable.of(result.villages, communes, criteria, columns, lang)
    parts = _districts(communes, tiers, villages, problems, criteria, year, folder, lang, now)
    summary_path = folder / f"tong-hop-{year}.xlsx"
    if workers <= 1 or len(parts) < 8:
        _write_summary(
            summary_path, communes, result, tiers, villages, problems, sources, criteria, year, lang, now, note
        )
        return [summary_path, *(_write_district(part) for part in parts)]
    with ProcessPoolExecutor(workers) as pool:
        pending = pool.map(_write_district, parts, chunksize=max(1, len(parts) // (workers * 4)))
        _write_summary(
            summary_path, communes, result, tiers, villages, problems, sources, criteria, year, lang, now, note
        )
        return [summary_path, *pending]


def _write_summary(path, communes, result, tiers, villages, problems, sources, criteria, year, lang, now, note) -> None:
    with replace_atomically(path) as tmp:
        book = Book(tmp, lang, now)
        book.overview(communes, result.results, criteria, year, note)
        book.tier_sheets(tiers, criteria, year)
        book.villages(villages)
        book.problems(problems, criteria)
        book.sources(sources, criteria, now)
        book.close()


@dataclass
class _District:
    """One district's share of the tables: what its workbook needs, and no more."""

    path: Path
    tiers: dict
    villages: VillageTable
    problems: pd.DataFrame
    criteria: Criteria
    year: int
    lang: str
    now: dt.datetime


def _districts(communes, tiers, villages, problems, criteria, year, folder, lang, now) -> list[_District]:
    """Cut every table by district in one pass each."""
    tier_parts = {t: dict(tuple(table.laid.groupby("_huyen", sort=False))) for t, table in tiers.items()}
    village_parts = dict(tuple(villages.laid.groupby("_huyen", sort=False)))
    empty = {t: table.laid.iloc[:0] for t, table in tiers.items()}
    out = []
    for name, part in communes.dropna(subset=["huyen"]).groupby("huyen", sort=True):  # no file for "no district"
        mine = problems[problems["ma_xa"].isin(part["ma_xa"]) | problems["tep"].isin(set(part["_tep"]))]
        out.append(
            _District(
                path=folder / "huyen" / f"{slug(name)}.xlsx",
                tiers={t: replace(tiers[t], laid=tier_parts[t].get(name, empty[t])) for t in tiers},
                villages=replace(villages, laid=village_parts.get(name, villages.laid.iloc[:0])),
                problems=mine,
                criteria=criteria,
                year=year,
                lang=lang,
                now=now,
            )
        )
    return out


def _write_district(d: _District) -> Path:
    with replace_atomically(d.path) as tmp:
        book = Book(tmp, d.lang, d.now)
        book.tier_sheets(d.tiers, d.criteria, d.year)
        book.villages(d.villages)
        book.problems(d.problems, d.criteria)
        book.close()
    return d.path


@dataclass
class TierTable:
    """One tier's rows, display-ready: values, results and totals laid out under district headings."""

    indicators: pd.DataFrame
    values: list[tuple[str, str]]  # (column of `laid`, format) for columns B.. of the printed part
    outcomes: list[str]  # columns of `laid` for the result block
    laid: pd.DataFrame  # one row per commune or district heading (`_heading`), `_huyen`, `_stt`

    @classmethod
    def of(cls, communes, results, criteria: Criteria, tier: str, lang: str) -> TierTable:
        t, label = TEXT[lang], "label" if lang == "vi" else "label_en"
        indicators = criteria.indicators_of(tier)
        mine = communes[communes["hang_dang_ky"] == tier]
        results = results[results["ma_xa"].isin(mine["ma_xa"])]
        parts = ["gia_tri", "tu_so", "ket_qua"]
        wide = results.pivot(index="ma_xa", columns="chi_tieu", values=parts)
        wide = wide.reindex(columns=pd.MultiIndex.from_product([parts, indicators.index]))
        table = mine.set_index("ma_xa", drop=False)
        shown = {
            "ma_xa": _display(shown_code(table["ma_xa"]), "text", t),
            "ten_xa": _display(table["ten_xa"], "text", t),
        }
        values, outcomes = [("ma_xa", "center"), ("ten_xa", "text")], []
        for key, ind in indicators.iterrows():
            kind = KINDS[ind["kind"]]
            fmt = kind.shown
            shown[f"v_{key}"] = _display(wide[(kind.figure, key)].reindex(table.index), fmt, t)
            shown[f"r_{key}"] = _display(wide[("ket_qua", key)].reindex(table.index), "result", t)
            values.append((f"v_{key}", fmt))
            outcomes.append(f"r_{key}")
        met = table["so_chi_tieu_dat"].astype(str) + "/" + table["so_chi_tieu"].astype(str)
        totals = {
            "so_dat": (met, "center"),
            "ket_qua": (table["ket_qua"], "result"),
            "hang_cao": (table["hang_cao_nhat_dat"].map(criteria.tiers[label]), "text"),
            "thieu": (summary.shortfalls(results, lang).reindex(table.index), "wrap"),
        }
        for key, (column, fmt) in totals.items():
            shown[key] = _display(column, fmt, t)
            values.append((key, fmt))
        display = pd.DataFrame(shown, index=table.index, dtype=object)
        display["_huyen"] = table["huyen"].fillna(summary.NO_DISTRICT[lang]).to_numpy()
        return cls(indicators, values, outcomes, _grouped(display, headings=communes["huyen"].notna().any()))


@dataclass
class VillageTable:
    """Every village, display-ready, in district order."""

    heads: list[str]
    formats: list[str]
    laid: pd.DataFrame  # display columns in sheet order, then `_huyen`

    @classmethod
    def of(cls, villages, communes, criteria: Criteria, columns: Columns, lang: str) -> VillageTable:
        t = TEXT[lang]
        labels = columns.of("Thon")["label" if lang == "vi" else "label_en"]
        ident = communes.set_index("ma_xa")
        table = villages.assign(
            huyen=villages["ma_xa"].map(ident["huyen"]),
            ten_xa=villages["ma_xa"].map(ident["ten_xa"]),
            _rank=villages["ma_xa"].map(ident["hang_dang_ky"].map(criteria.tiers["rank"])),
        ).sort_values(["huyen", "ten_xa", "ma_xa"], na_position="first")
        conditions = criteria.indicators[criteria.indicators["kind"] == "village_condition"]
        flags = [
            c
            for c in villages.columns
            if not c.startswith("_") and c not in ("ma_xa", "ten_thon", "nam", "thon_thong_minh")
        ]
        cols = [
            ("huyen", t["district"], "text"),
            ("ma_xa", t["code"], "center"),
            ("ten_xa", t["commune"], "text"),
            ("ten_thon", t["village"], "text"),
        ]
        cols += [(c, labels.get(c, c), "flag" if villages[c].dtype == "boolean" else "int") for c in flags]
        cols += [(f"_{k}", f"{k}", "result") for k in conditions.index]
        cols += [("thon_thong_minh", t["smart"], "flag")]
        for key in conditions.index:  # smart-village conditions only where the commune's tier has them
            table[f"_{key}"] = table[f"_{key}"].where(table["_rank"] >= conditions.at[key, "tier_rank"])
        table["thon_thong_minh"] = table["thon_thong_minh"].where(table["_rank"] >= conditions["tier_rank"].min())
        laid = pd.DataFrame({i: _display(table[key], fmt, t) for i, (key, _, fmt) in enumerate(cols)}, dtype=object)
        laid["_huyen"] = table["huyen"].fillna(summary.NO_DISTRICT[lang]).to_numpy()
        return cls([h for _, h, _ in cols], [f for _, _, f in cols], laid)


def _display(values: pd.Series, kind: str, t: dict) -> np.ndarray:
    """What a cell shows: "Có"/"Không" for flags, result texts, None for missing; numbers stay numbers."""
    if kind == "flag":
        values = values.map({True: t["yes"], False: t["no_"]})
    elif kind == "result":
        values = values.map({r: t[r] for r in RESULT_COLOURS})
    return values.astype(object).where(values.notna(), None).to_numpy()


class Book:
    """An xlsxwriter workbook with this project's formats and page set-up."""

    def __init__(self, path: Path, lang: str, now: dt.datetime):
        self.t = TEXT[lang]
        self.lang = lang
        self.now = now
        self.wb = xlsxwriter.Workbook(
            str(path),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
        )
        self.wb.set_properties({"title": self.t["title"], "comments": f"ntm-ict {__version__}"})
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        border = base | {"border": 1}
        self.f = {
            "title": self.wb.add_format(base | {"bold": True, "font_size": 14}),
            "subtitle": self.wb.add_format(base | {"italic": True}),
            "section": self.wb.add_format(base | {"bold": True, "font_size": 12}),
            "vertical": self.wb.add_format(
                border | {"text_wrap": True, "rotation": 90, "align": "center", "font_size": 9, "bg_color": "#DDEBF7"}
            ),
            "head": self.wb.add_format(
                border | {"bold": True, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"}
            ),
            "text": self.wb.add_format(border),
            "wrap": self.wb.add_format(border | {"text_wrap": True}),
            "center": self.wb.add_format(border | {"align": "center"}),
            "int": self.wb.add_format(border | {"num_format": "#,##0"}),
            "year": self.wb.add_format(border | {"num_format": "0", "align": "center"}),
            "pct": self.wb.add_format(border | {"num_format": "0.0%"}),
            "group": self.wb.add_format(border | {"bold": True, "bg_color": "#F2F2F2"}),
            "paragraph": self.wb.add_format(base | {"text_wrap": True, "valign": "top", "font_size": 12}),
        }
        self.colours = {k: self.wb.add_format({"bg_color": c}) for k, c in RESULT_COLOURS.items()}

    def close(self):
        try:
            self.wb.close()
        except xlsxwriter.exceptions.FileCreateError as e:  # surfaces as OutputError with the path
            raise OSError(str(e)) from e

    # -- sheets ---------------------------------------------------------------

    def overview(self, communes, results, criteria: Criteria, year: int, note: str = ""):
        """Paragraph, counts per tier and per district, a chart, and province-wide ratios (A4 portrait, A:G)."""
        ws = self._sheet(self.t["overview"], landscape=False)
        t, label = self.t, "label" if self.lang == "vi" else "label_en"
        ws.set_column(0, 0, 40)
        ws.set_column(1, 7, 10)
        ws.write_string(0, 0, t["title"], self.f["title"])
        ws.write_string(1, 0, t["subtitle"].format(year=year), self.f["subtitle"])
        if note:  # commune rows of the run that no year's summary can hold
            ws.write_string(2, 0, note, self.f["section"])
        text = summary.paragraph(communes, results, criteria, year, self.lang)
        ws.merge_range(3, 0, 3, 7, text, self.f["paragraph"])
        ws.set_row(3, 17 * (len(text) // 95 + 2))
        tiers = summary.per_tier(communes, criteria)
        tiers["hang_dang_ky"] = summary.tier_label(tiers["hang_dang_ky"], criteria, self.lang)
        sections = iter(range(1, 4))
        title = f"{next(sections)}. {t['by_tier']}"
        row = self._table(ws, 5, title, tiers, ["hang_dang_ky", *_COUNTS], ["tier", *_COUNT_HEADS])
        if communes["huyen"].notna().any():  # no district table for a batch with no district level
            districts = summary.per_district(communes, criteria, self.lang)
            districts["hang_dang_ky"] = summary.tier_label(districts["hang_dang_ky"], criteria, self.lang)
            keys, heads = ["huyen", "hang_dang_ky", *_COUNTS], ["district", "tier", *_COUNT_HEADS]
            row = self._table(ws, row, f"{next(sections)}. {t['by_district']}", districts, keys, heads)
            row = self._chart(ws, communes, row)
        ratios = summary.ratio_totals(results, criteria)
        ratios["chi_tieu"] = ratios["chi_tieu"] + ". " + ratios["chi_tieu"].map(criteria.indicators[label])
        formats = {
            "chi_tieu": "wrap",
            "tu_so": "int",
            "mau_so": "int",
            "ti_le": "pct",
            "nguong": "pct",
            "bo_qua": "int",
        }
        keys = ["chi_tieu", "tu_so", "mau_so", "ti_le", "nguong", "bo_qua"]
        heads = ["indicator", "numerator", "denominator", "share", "threshold", "left_out"]
        row = self._table(ws, row, f"{next(sections)}. {t['ratios']}", ratios, keys, heads, formats)
        ws.print_area(0, 0, row, 7)

    def tier_sheets(self, tables: dict[str, TierTable], criteria: Criteria, year: int):
        label = "label" if self.lang == "vi" else "label_en"
        for tier, info in criteria.tiers.iterrows():
            ws = self._sheet(info["sheet"] if self.lang == "vi" else info["label_en"])
            ws.write_string(0, 0, self.t["tier_title"].format(tier=info[label].upper(), year=year), self.f["title"])
            ws.write_string(1, 0, "; ".join([criteria.title, *criteria.overlays]), self.f["subtitle"])
            self._tier_table(ws, tables[tier])

    def villages(self, table: VillageTable):
        ws, laid = self._sheet(self.t["villages"]), table.laid
        self._write_header_row(ws, HEADER_ROW, [self.t["no"], *table.heads])
        for i, fmt in enumerate(table.formats, start=1):
            ws.write_column(HEADER_ROW + 1, i, laid[i - 1].to_numpy(), self._format(fmt))
        ws.write_column(HEADER_ROW + 1, 0, range(1, len(laid) + 1), self.f["center"])
        for i, fmt in enumerate(["no", *table.formats]):  # fixed widths: autofit reads every cell
            ws.set_column(i, i, {"no": 5, "text": 16, "center": 8, "flag": 10, "int": 10}.get(fmt, 9))
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(laid), len(table.heads), widths=False)
        self._colour_results(ws, HEADER_ROW + 1, HEADER_ROW + len(laid), 1, len(table.heads))

    def problems(self, problems, criteria: Criteria):
        ws = self._sheet(self.t["problems"])
        t = self.t
        if problems.empty:
            ws.write_string(0, 0, t["none"], self.f["section"])
            return
        table = problems.assign(muc_do=problems["muc_do"].map({"loi": t["loi"], "canh_bao": t["canh_bao"]}))
        cols = [
            ("tep", "file", "text"),
            ("trang", "sheet", "center"),
            ("o", "cell", "center"),
            ("cot", "column", "text"),
            ("gia_tri", "found", "text"),
            ("mo_ta", "description", "wrap"),
            ("muc_do", "severity", "center"),
            ("ma_xa", "code", "center"),
            ("chi_tieu", "affects", "text"),
            ("ma_loi", "problem_code", "text"),
        ]
        ws.write_string(0, 0, t["problems"].upper(), self.f["title"])
        self._write_header_row(ws, HEADER_ROW, [t["no"], *[t[h] for _, h, _ in cols]])
        self._columns(ws, HEADER_ROW + 1, table, cols, start_col=1)
        ws.write_column(HEADER_ROW + 1, 0, range(1, len(table) + 1), self.f["center"])
        ws.set_column(6, 6, 60)
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(table), len(cols))
        last = HEADER_ROW + len(table)
        ws.conditional_format(
            HEADER_ROW + 1,
            7,
            last,
            7,
            {"type": "cell", "criteria": "==", "value": f'"{t["loi"]}"', "format": self.colours["khong_dat"]},
        )
        ws.conditional_format(
            HEADER_ROW + 1,
            7,
            last,
            7,
            {
                "type": "cell",
                "criteria": "==",
                "value": f'"{t["canh_bao"]}"',
                "format": self.colours["khong_danh_gia_duoc"],
            },
        )

    def sources(self, sources, criteria: Criteria, now: dt.datetime):
        ws = self._sheet(self.t["sources"])
        t = self.t
        ws.write_string(0, 0, t["sources"].upper(), self.f["title"])
        facts = [
            (t["catalog"], criteria.title),
            (t["period"], criteria.period),
            (t["catalog_file"], criteria.source.name),
            *((t["province_rules"], text) for text in criteria.overlays),
            (t["tool"], f"ntm-ict {__version__}"),
            (t["run_at"], now.isoformat(sep=" ")),
        ]
        for i, (k, v) in enumerate(facts):
            ws.write_string(2 + i, 0, k, self.f["text"])
            ws.write_string(2 + i, 1, v, self.f["text"])
        top = 3 + len(facts)
        cols = [
            ("tep", "file", "text"),
            ("kich_thuoc", "size", "int"),
            ("sha256", "sha256", "text"),
            ("dong_xa", "rows_xa", "int"),
            ("nhan_xa", "kept_xa", "int"),
            ("dong_thon", "rows_thon", "int"),
            ("nhan_thon", "kept_thon", "int"),
            ("loai", "rejected", "int"),
        ]
        sources = sources.assign(
            loai=sources["dong_xa"] + sources["dong_thon"] - sources["nhan_xa"] - sources["nhan_thon"]
        )
        self._write_header_row(ws, top, [t.get(h, "SHA-256") for _, h, _ in cols])
        self._columns(ws, top + 1, sources, cols)
        ws.set_column(0, 0, max(30, int(sources["tep"].str.len().max() or 0) + 2))
        ws.set_column(2, 2, 66)
        self._finish_table(ws, top, top, len(sources), len(cols) - 1)

    # -- pieces ---------------------------------------------------------------

    def _sheet(self, name: str, landscape: bool = True):
        ws = self.wb.add_worksheet(_sheet_name(name))
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.set_footer(self.t["footer"].format(date=self.now.strftime("%d/%m/%Y")))
        return ws

    def _tier_table(self, ws, table: TierTable):
        """One row per commune, grouped by district.

        The printed part is narrow enough for A4: one column per indicator with
        its value, coloured by its result. The result texts follow in a block to
        the right (same order, outside the print area) for filtering and for
        the colours' formulas.
        """
        t, laid = self.t, table.laid
        label = "label" if self.lang == "vi" else "label_en"
        top, n = HEADER_ROW, len(table.indicators)
        first_value, tail = 3, ["met_count", "overall", "highest", "shortfalls"]
        first_result = first_value + n + len(tail) + 1  # one empty column between the blocks
        for c, key in enumerate(["no", "code", "commune"]):
            ws.merge_range(top, c, top + 1, c, t[key], self.f["head"])
        for i, (key, ind) in enumerate(table.indicators.iterrows()):
            ws.write_string(top, first_value + i, key, self.f["head"])
            ws.write_string(top + 1, first_value + i, ind[label], self.f["vertical"])
            ws.write_string(top, first_result + i, key, self.f["head"])
            ws.write_string(top + 1, first_result + i, t["result"], self.f["head"])
        for i, head in enumerate(tail):
            ws.merge_range(top, first_value + n + i, top + 1, first_value + n + i, t[head], self.f["head"])
        last_print, last_col = first_value + n + len(tail) - 1, first_result + n - 1
        ws.set_row(top + 1, 190)
        ws.set_column(0, 0, 4)
        ws.set_column(1, 1, 6.5)
        ws.set_column(2, 2, 13)
        ws.set_column(first_value, first_value + n - 1, 6.3)
        ws.set_column(first_value + n, first_value + n + 2, 9)
        ws.set_column(last_print, last_print, 24)
        ws.set_column(first_result, last_col, 11)
        row = top + 2
        if laid.empty:
            ws.write_string(row, 0, t["no_commune"], self.f["subtitle"])
            row += 1
        ws.write_column(row, 0, laid["_stt"].to_numpy(), self.f["center"])
        for j, (key, fmt) in enumerate(table.values, start=1):
            ws.write_column(row, j, laid[key].to_numpy(), self._format(fmt))
        for j, key in enumerate(table.outcomes, start=first_result):
            ws.write_column(row, j, laid[key].to_numpy(), self.f["center"])
        for at in np.flatnonzero(laid["_heading"].to_numpy(dtype=bool)):
            ws.merge_range(row + at, 0, row + at, last_print, laid["_huyen"].iat[at], self.f["group"])
        row += len(laid)
        ws.print_area(0, 0, max(row - 1, top + 1), last_print)
        self._finish_table(ws, top, top + 1, row - top - 2, last_col, widths=False)
        last = row - 1
        self._colour_results(ws, top + 2, last, first_result, last_col)
        self._colour_results(ws, top + 2, last, first_value + n + 1, first_value + n + 1)
        if last >= top + 2:  # each value takes the colour of its result, n columns to the right
            offset = first_result - first_value
            ref = xl_rowcol_to_cell(top + 2, first_value + offset, row_abs=False, col_abs=False)
            for key, fmt in self.colours.items():
                ws.conditional_format(
                    top + 2,
                    first_value,
                    last,
                    first_value + n - 1,
                    {"type": "formula", "criteria": f'={ref}="{t[key]}"', "format": fmt},
                )

    def _format(self, kind: str):
        return self.f.get({"flag": "center", "result": "center"}.get(kind, kind), self.f["text"])

    def _columns(self, ws, row: int, table: pd.DataFrame, cols, start_col: int = 0):
        """Write each column of `table` downwards with its format (one call per column)."""
        for i, (key, _, kind) in enumerate(cols):
            ws.write_column(row, start_col + i, _display(table[key], kind, self.t), self._format(kind))

    def _write_header_row(self, ws, row: int, heads: list[str]):
        ws.write_row(row, 0, heads, self.f["head"])
        ws.set_row(row, 45)

    def _finish_table(self, ws, first_head: int, last_head: int, rows: int, last_col: int, widths: bool = True):
        ws.freeze_panes(last_head + 1, 0)
        ws.autofilter(last_head, 0, last_head + max(rows, 1), last_col)
        ws.repeat_rows(first_head, last_head)
        if widths:
            ws.autofit()

    def _colour_results(self, ws, first: int, last: int, first_col: int, last_col: int):
        if last < first:
            return
        for key, fmt in self.colours.items():
            ws.conditional_format(
                first,
                first_col,
                last,
                last_col,
                {"type": "cell", "criteria": "==", "value": f'"{self.t[key]}"', "format": fmt},
            )

    def _table(self, ws, row: int, title: str, table: pd.DataFrame, keys, heads, formats=None) -> int:
        """A titled table on the overview; returns the next free row."""
        formats = formats or {}
        ws.write_string(row, 0, title, self.f["section"])
        ws.write_row(row + 1, 0, [self.t.get(h, h) for h in heads], self.f["head"])
        ws.set_row(row + 1, 28)
        if formats.get(keys[0]) == "wrap":  # a long first column: make room for its lines
            for i, text in enumerate(table[keys[0]].astype(str)):
                ws.set_row(row + 2 + i, 14 * (len(text) // 42 + 1))
        cols = [(k, None, formats.get(k, "int" if table[k].dtype.kind in "iu" else "center")) for k in keys]
        self._columns(ws, row + 2, table, cols)
        return row + 3 + len(table)

    def _chart(self, ws, communes, row: int) -> int:
        """Met / not met / not assessable per district, as a live Excel chart; returns the next free row.

        The chart's figures sit in hidden columns K:N of the overview, outside the print area.
        """
        no_district = summary.NO_DISTRICT[self.lang]
        data = summary.count_by(communes.assign(huyen=communes["huyen"].fillna(no_district)), ["huyen"])
        hidden = 10
        ws.write_row(row, hidden, [self.t["district"], *(self.t[o] for o in summary.OUTCOMES)], self.f["head"])
        ws.write_column(row + 1, hidden, data["huyen"].tolist(), self.f["text"])
        for i, outcome in enumerate(summary.OUTCOMES, start=1):
            ws.write_column(row + 1, hidden + i, data[outcome].tolist(), self.f["int"])
        ws.set_column(hidden, hidden + len(summary.OUTCOMES), None, None, {"hidden": True})
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        colours = {"dat": "#70AD47", "khong_dat": "#C00000", "khong_danh_gia_duoc": "#FFC000"}
        last = row + len(data)
        for i, outcome in enumerate(summary.OUTCOMES, start=1):
            chart.add_series(
                {
                    "name": [ws.name, row, hidden + i],
                    "categories": [ws.name, row + 1, hidden, last, hidden],
                    "values": [ws.name, row + 1, hidden + i, last, hidden + i],
                    "fill": {"color": colours[outcome]},
                    "gap": 60,
                }
            )
        chart.set_title({"name": self.t["chart"], "name_font": {"name": FONT, "size": 12}})
        chart.set_legend({"position": "bottom", "font": {"name": FONT}})
        # in a bar chart xlsxwriter's x axis is the horizontal (value) axis, y the districts
        chart.set_x_axis({"num_font": {"name": FONT}, "major_unit": 1, "min": 0})
        chart.set_y_axis({"num_font": {"name": FONT}, "reverse": True})
        height = 1 + 0.12 * max(len(data) - 4, 0)
        ws.insert_chart(row, 0, chart, {"x_scale": 1.62, "y_scale": height, "object_position": 1})
        return row + int(15 * height) + 2


_COUNTS = ["dang_ky", "da_nhan", "dat", "khong_dat", "khong_danh_gia_duoc", "ti_so"]
_COUNT_HEADS = ["registered", "received", "dat", "khong_dat", "khong_danh_gia_duoc", "ratio"]


def _grouped(display: pd.DataFrame, headings: bool = True) -> pd.DataFrame:
    """Rows under a heading row per district (`_heading`); `_stt` numbers rows within each district.

    `display` is already in district order, so each district's rows are contiguous.
    A batch with no district at all (communes after the 2025 reform) gets no headings.
    """
    district = display["_huyen"]
    first = ~district.duplicated() & headings
    rows = display.assign(
        _heading=False, _order=np.arange(len(display)), _stt=display.groupby("_huyen", sort=False).cumcount() + 1
    )
    headings = pd.DataFrame(
        {"_huyen": district[first].to_numpy(), "_heading": True, "_order": np.flatnonzero(first) - 0.5}
    )
    laid = pd.concat([rows, headings], ignore_index=True).sort_values("_order", kind="stable")
    laid = laid.drop(columns="_order").reset_index(drop=True).astype(object)
    return laid.where(laid.notna(), None)


def _ordered(communes: pd.DataFrame) -> pd.DataFrame:
    return communes.sort_values(["huyen", "ten_xa", "ma_xa"], na_position="first").reset_index(drop=True)


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31]
