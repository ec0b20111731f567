"""The workbooks officers open, print and send on: the summary and one per district.

Layout only: every figure comes from `assess` and `summary`. Cells are written
column by column; strings are never read as formulas (`strings_to_formulas` is
off), and each file is written under a temporary name, then renamed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline import __version__, parallel, style, summary
from pipeline.assess import Assessment
from pipeline.catalog import CERTAINTY, Columns, Criteria
from pipeline.files import replace_atomically
from pipeline.identity import shown_code
from pipeline.kinds import KINDS, threshold_text
from pipeline.parse import file_names, stacked
from pipeline.words import ABBREVIATIONS, TEXT, citation, count, date

HEADER_ROW = 3  # first of the two header rows on table sheets (0-based)


def write(
    result: Assessment,
    problems,
    sources,
    criteria: Criteria,
    columns: Columns,
    year: int,
    folder: Path,
    lang="vi",
    pool: Executor | None = None,
    note: str = "",
    previous: pd.DataFrame | None = None,
    done: Callable[[], object] = lambda: None,
) -> list[Path]:
    """The summary workbook and one workbook per district; `done()` as each is written (in any thread).

    The tier and village tables are laid out once for the whole batch and cut
    by district in one pass. Given a `pool` of processes, the district
    workbooks are written there, each sent only its district,
    while this process writes the summary (xlsxwriter is pure Python, and at
    national scale writing is most of the run).
    """
    now = dt.datetime.now().replace(microsecond=0)
    communes = _ordered(result.communes)
    tiers = {t: TierTable.of(communes, result.results, criteria, t, lang) for t in criteria.tiers.index}
    villages = VillageTable.of(result.villages, communes, criteria, columns, lang)
    labels = dict(zip(columns.table["key"], columns.table["label" if lang == "vi" else "label_en"], strict=True))
    shared = _Shared(criteria, year, lang, now, labels, previous)
    parts = _districts(communes, tiers, villages, problems, folder, shared)
    summary_path = folder / f"tong-hop-{year}.xlsx"
    pending = [parallel.start(pool, _write_district, part) for part in parts]
    for district in pending:
        district.add_done_callback(lambda _: done())
    _write_summary(summary_path, communes, result, tiers, villages, problems, sources, shared, note)
    done()
    return [summary_path, *(district.result() for district in pending)]


@dataclass
class _Shared:
    """What every workbook of a year shares: its catalog, year, language, time and column labels."""

    criteria: Criteria
    year: int
    lang: str
    now: dt.datetime
    labels: dict[str, str]
    previous: pd.DataFrame | None = None  # last year's communes, for the overview's year-over-year table


def _write_summary(path, communes, result, tiers, villages, problems, sources, shared: _Shared, note: str) -> None:
    with replace_atomically(path) as tmp:
        book = Book(tmp, shared.lang, shared.now)
        book.overview(communes, result.results, shared.criteria, shared.year, note, shared.previous)
        book.tier_sheets(tiers, shared.criteria, shared.year)
        book.villages(villages, shared.year)
        book.problems(problems, shared.labels, shared.year)
        book.sources(sources, shared.criteria, shared.now)
        book.close()


@dataclass
class _District:
    """One district's share of the tables: what its workbook needs, and no more."""

    path: Path
    name: str
    tiers: dict
    villages: VillageTable
    problems: pd.DataFrame
    shared: _Shared


def _districts(communes, tiers, villages, problems, folder: Path, shared: _Shared) -> list[_District]:
    """Cut every table by district in one pass each."""
    tier_parts = {t: dict(tuple(table.laid.groupby("_huyen", sort=False))) for t, table in tiers.items()}
    village_parts = dict(tuple(villages.laid.groupby("_huyen", sort=False)))
    empty = {t: table.laid.iloc[:0] for t, table in tiers.items()}
    placed = communes.dropna(subset=["huyen"])  # no file for "no district"
    problem_parts = _problems_by_district(problems, placed)
    out = []
    names = placed["huyen"].drop_duplicates().sort_values()
    for name, stem in file_names(names).items():
        out.append(
            _District(
                path=folder / "huyen" / f"{stem}.xlsx",
                name=name,
                tiers={t: replace(tiers[t], laid=tier_parts[t].get(name, empty[t])) for t in tiers},
                villages=replace(villages, laid=village_parts.get(name, villages.laid.iloc[:0])),
                problems=problem_parts.get(name, problems.iloc[:0]),
                shared=shared,
            )
        )
    return out


def _problems_by_district(problems: pd.DataFrame, communes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each district's problems, in their order: those of its communes, and those of the files its communes came
    from that name no commune of the batch (a file-wide problem, a village of an unknown commune). A file may
    hold several districts' communes: a commune's problem goes only to its own district."""
    at = pd.Series(np.arange(len(problems)), index=problems.index)
    own = problems["ma_xa"].isin(communes["ma_xa"]).to_numpy(dtype=bool)
    by_code = pd.DataFrame({"at": at[own], "ma_xa": problems["ma_xa"][own]}).merge(communes[["ma_xa", "huyen"]])
    files = communes[["_tep", "huyen"]].drop_duplicates()
    by_file = pd.DataFrame({"at": at[~own], "_tep": problems["tep"][~own]}).merge(files)
    pairs = pd.concat([by_code[["at", "huyen"]], by_file[["at", "huyen"]]])
    return {name: problems.iloc[np.sort(rows.to_numpy())] for name, rows in pairs.groupby("huyen")["at"]}


def _write_district(d: _District) -> Path:
    shared = d.shared
    with replace_atomically(d.path) as tmp:
        book = Book(tmp, shared.lang, shared.now, small=True)
        book.tier_sheets(d.tiers, shared.criteria, shared.year, place=d.name)
        book.villages(d.villages, shared.year, place=d.name)
        book.problems(d.problems, shared.labels, shared.year, place=d.name)
        book.close()
    return d.path


@dataclass
class TierTable:
    """One tier's rows, display-ready: per indicator its value and result symbol, under district headings.

    `pages` splits the indicators into printed pages by criterion (8, 15, KM …),
    at most PAGE_INDICATORS a page, so that a sheet prints at full size with
    the commune columns repeated on each page rather than shrunk to fit.
    """

    indicators: dict[str, dict]  # per indicator id, its catalog entry: plain dicts, looked up per column
    pages: list[list[str]]
    laid: pd.DataFrame  # one row per commune or district heading (`_heading`), `_huyen`, `_stt`

    @classmethod
    def of(cls, communes, results, criteria: Criteria, tier: str, lang: str) -> TierTable:
        t, label = TEXT[lang], "label" if lang == "vi" else "label_en"
        indicators = criteria.indicators_of(tier)
        mine = communes[communes["hang_dang_ky"] == tier]
        results = results[results["ma_xa"].isin(mine["ma_xa"])]
        parts = ["gia_tri", "tu_so", "ket_qua"]
        wide = results.pivot(index="ma_xa", columns="chi_tieu", values=parts)
        table = mine.set_index("ma_xa", drop=False)
        wide = wide.reindex(index=table.index, columns=pd.MultiIndex.from_product([parts, indicators.index]))
        shown = {
            "ma_xa": _display(shown_code(table["ma_xa"]), "text", t),
            "ten_xa": _display(table["ten_xa"], "text", t),
            "ket_qua": _display(table["ket_qua"], "result", t),
            "so_dat": _display(
                table["so_chi_tieu_dat"].astype("string") + "/" + table["so_chi_tieu"].astype("string"), "text", t
            ),
        }
        # the indicators' columns, displayed a block at a time: the indicators shown alike, their values and symbols
        kinds = indicators["kind"].map(KINDS)
        values: dict[str, np.ndarray] = {}
        symbols: dict[str, np.ndarray] = {}
        for (figure, how), keys in kinds.groupby([kinds.map(lambda k: k.figure), kinds.map(lambda k: k.shown)]):
            values |= _display_block(wide[figure][keys.index], how, t)
            symbols |= _display_block(wide["ket_qua"][keys.index], "symbol", t)
        for key in indicators.index:
            shown[f"v_{key}"], shown[f"s_{key}"] = values[key], symbols[key]
        shown["hang_cao"] = _display(table["hang_cao_nhat_dat"].map(criteria.tiers[label]), "text", t)
        shown["thieu"] = _display(summary.shortfalls(results, lang).reindex(table.index), "wrap", t)
        display = pd.DataFrame(shown, index=table.index, dtype=object)
        display["_huyen"] = table["huyen"].fillna(summary.NO_DISTRICT[lang]).to_numpy()
        laid = _grouped(display, headings=communes["huyen"].notna().any())
        return cls(indicators.to_dict("index"), _pages(list(indicators.index)), laid)


# Indicators on one A4 landscape page at full size beside the repeated commune columns, and the widths of an
# indicator's value and symbol columns. LibreOffice prints a width unit wider than Excel (about 0.11 in): the
# page is budgeted for it (about 99 units across A4 landscape).
PAGE_INDICATORS = 6
INDICATOR_WIDTH = (6, 3.5)
PAGE_WIDTH = 60  # width units beyond the repeated identifying columns that an A4 landscape page still holds
VILLAGE_WIDTHS = {"no": 4, "text": 11, "center": 6, "flag": 6.5, "int": 7.5, "result": 7}


def _pages(ids: list[str]) -> list[list[str]]:
    """Indicators grouped by criterion (the id up to its first dot), each group cut into nearly equal pages."""
    groups: dict[str, list[str]] = {}
    for key in ids:
        groups.setdefault(key.split(".")[0], []).append(key)
    pages = []
    for group in groups.values():
        count = -(-len(group) // PAGE_INDICATORS)
        size = -(-len(group) // count)
        pages += [group[i : i + size] for i in range(0, len(group), size)]
    return pages


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
            _d=villages["ma_xa"].map(pd.Series(summary.district_order(communes).to_numpy(), index=communes["ma_xa"])),
        ).sort_values(["_d", "ma_xa"], kind="stable")  # villages in the order the commune gave them
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
        values = values.map({r: t[r] for r in style.RESULT_FILLS})
    elif kind == "symbol":
        values = values.map(t["symbols"])
    return values.astype(object).where(values.notna(), None).to_numpy()


def _display_block(block: pd.DataFrame, kind: str, t: dict) -> dict[str, np.ndarray]:
    """`_display` of every column of a block in one pass: per column, what its cells show."""
    cells = _display(stacked(block), kind, t).reshape(block.shape, order="F")
    return {key: cells[:, i] for i, key in enumerate(block.columns)}


class Book:
    """An xlsxwriter workbook with this project's formats and page set-up."""

    def __init__(self, path: Path, lang: str, now: dt.datetime, small: bool = False):
        """`small`: a district's share, assembled in memory; otherwise each sheet's XML is assembled in a
        temporary file beside the workbook (the summary took 50 MB less at 3,000 communes, but a dozen
        temporary files cost a small workbook about a tenth of its time)."""
        self.t = TEXT[lang]
        self.lang = lang
        self.now = now
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                **({"in_memory": True} if small else {"tmpdir": str(path.parent)}),
            },
        )
        self.wb.set_properties({"title": self.t["title"], "comments": f"ntm-ict {__version__}"})
        base = style.base(10)
        border = base | {"border": 1}
        self.f = {
            "title": self.wb.add_format(base | {"bold": True, "font_size": 14}),
            "subtitle": self.wb.add_format(base | {"italic": True}),
            "section": self.wb.add_format(base | {"bold": True, "font_size": 12}),
            "head": self.wb.add_format(
                border | {"bold": True, "text_wrap": True, "align": "center", "bg_color": style.HEAD_FILL}
            ),
            "head_small": self.wb.add_format(
                border
                | {"text_wrap": True, "align": "center", "valign": "top", "font_size": 9, "bg_color": style.HEAD_FILL}
            ),
            "wrap_center": self.wb.add_format(border | {"text_wrap": True, "align": "center"}),
            "text": self.wb.add_format(border),
            "wrap": self.wb.add_format(border | {"text_wrap": True}),
            "center": self.wb.add_format(border | {"align": "center"}),
            "int": self.wb.add_format(border | {"num_format": "#,##0"}),
            "year": self.wb.add_format(border | {"num_format": "0", "align": "center"}),
            "pct": self.wb.add_format(border | {"num_format": "0.0%"}),
            "group": self.wb.add_format(border | {"bold": True, "bg_color": style.GROUP_FILL}),
            "paragraph": self.wb.add_format(base | {"text_wrap": True, "valign": "top", "font_size": 12}),
            "note": self.wb.add_format(base | {"text_wrap": True, "valign": "top", "italic": True, "font_size": 9}),
        }
        self.colours = {k: self.wb.add_format({"bg_color": c}) for k, c in style.RESULT_FILLS.items()}
        self.border = self.wb.add_format({"border": 1})

    def close(self):
        try:
            self.wb.close()
        except xlsxwriter.exceptions.FileCreateError as e:  # surfaces as OutputError with the path
            raise OSError(str(e)) from e

    # -- sheets ---------------------------------------------------------------

    def overview(self, communes, results, criteria: Criteria, year: int, note: str = "", previous=None):
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
        ws.set_row(3, style.row_height(17 * (len(text) // 95 + 2)))
        tiers = summary.per_tier(communes, criteria)
        tiers["hang_dang_ky"] = summary.tier_label(tiers["hang_dang_ky"], criteria, self.lang)
        sections = itertools.count(1)
        title = f"{next(sections)}. {t['by_tier']}"
        tiers = summary.with_total(tiers, "hang_dang_ky", t["total"])
        row = self._table(ws, 5, title, tiers, ["hang_dang_ky", *_COUNTS], ["tier", *_COUNT_HEADS])
        if communes["huyen"].notna().any():  # no district table for a batch with no district level
            districts = summary.per_district(communes, criteria, self.lang)
            districts["hang_dang_ky"] = summary.tier_label(districts["hang_dang_ky"], criteria, self.lang)
            districts = summary.with_total(districts, "huyen", t["total"]).fillna({"hang_dang_ky": ""})
            keys, heads = ["huyen", "hang_dang_ky", *_COUNTS], ["district", "tier", *_COUNT_HEADS]
            row = self._table(ws, row, f"{next(sections)}. {t['by_district']}", districts, keys, heads)
            row = self._chart(ws, communes, row)
        ratios = summary.ratio_totals(results, criteria)
        ratios["nguong"] = [
            threshold_text(criteria.indicators.at[i, "kind"], criteria.indicators.at[i, "threshold"])
            for i in ratios["chi_tieu"]
        ]
        ratios["chi_tieu"] = ratios["chi_tieu"] + ". " + ratios["chi_tieu"].map(criteria.indicators[label])
        formats = {
            "chi_tieu": "wrap",
            "tu_so": "int",
            "mau_so": "int",
            "ti_le": "pct",
            "nguong": "center",
            "bo_qua": "int",
        }
        keys = ["chi_tieu", "tu_so", "mau_so", "ti_le", "nguong", "bo_qua"]
        heads = ["indicator", "numerator", "denominator", "share", "threshold", "left_out"]
        row = self._table(ws, row, f"{next(sections)}. {t['ratios']}", ratios, keys, heads, formats)
        if previous is not None:  # the programme asks communes to keep the criteria they met
            lost, both = summary.lost_since(communes, previous, criteria)
            title = f"{next(sections)}. {t['year_over_year'].format(last=year - 1, year=year)}"
            if lost.empty:
                ws.write_string(row, 0, title, self.f["section"])
                none_lost = t["none_lost"].format(n=count(both, self.lang), last=year - 1, year=year)
                ws.write_string(row + 1, 0, none_lost, self.f["subtitle"])
                row += 3
            else:
                lost = lost.assign(
                    truoc=summary.tier_label(lost["hang_cao_nhat_dat_truoc"], criteria, self.lang),
                    nay=lost["ket_qua"].map({k: t[k] for k in summary.OUTCOMES}),
                    ma_xa=shown_code(lost["ma_xa"]),
                )
                keys = ["ten_xa", "huyen", "ma_xa", "truoc", "nay"]
                heads = ["commune", "district", "code", "met_last_year", "result_now"]
                row = self._table(ws, row, title, lost, keys, heads, dict.fromkeys(keys, "text"))
        ws.merge_range(row, 0, row, 7, f"{t['abbreviations']}: {ABBREVIATIONS[self.lang]}", self.f["note"])
        ws.set_row(row, 30)
        ws.print_area(0, 0, row, 7)

    def tier_sheets(self, tables: dict[str, TierTable], criteria: Criteria, year: int, place: str = ""):
        """One sheet per tier that has communes (a tier nobody registered for has none)."""
        label = "label" if self.lang == "vi" else "label_en"
        for tier, info in criteria.tiers.iterrows():
            table = tables[tier]
            if table.laid.empty:
                continue
            ws = self._sheet(info["sheet"] if self.lang == "vi" else info["label_en"], fit=False)
            title = self.t["tier_title"].format(tier=info[label].upper(), year=year) + (
                f" — {place.upper()}" if place else ""
            )
            ws.write_string(0, 0, title, self.f["title"])
            ws.write_string(1, 0, "; ".join([criteria.title, *criteria.overlays]), self.f["subtitle"])
            ws.write_string(2, 0, self.t["legend"], self.f["subtitle"])
            # printed, the sheet splits into pages: each page carries the title and the legend in its header
            style.page_title(ws, title, self.t["legend_short"])
            self._tier_table(ws, table)

    def villages(self, table: VillageTable, year: int, place: str = ""):
        """Every village. Printed at full size: the village's own figures on one page, its smart-village
        results on the next, the identifying columns (district, commune, village) repeated on both."""
        ws, laid = self._sheet(self.t["villages"], fit=False), table.laid
        title = self.t["village_title"].format(year=year) + (f" — {place.upper()}" if place else "")
        ws.write_string(0, 0, title, self.f["title"])
        style.page_title(ws, title)
        self._write_header_row(ws, HEADER_ROW, [self.t["no"], *table.heads])
        for i, fmt in enumerate(table.formats, start=1):
            _column(ws, HEADER_ROW + 1, i, laid[i - 1].to_numpy(), self._format(fmt))
        ws.write_column(HEADER_ROW + 1, 0, range(1, len(laid) + 1), self.f["center"])
        widths = [VILLAGE_WIDTHS.get(fmt, 7) for fmt in ["no", *table.formats]]
        for i, width in enumerate(widths):  # fixed widths: autofit reads every cell
            ws.set_column(i, i, width)
        longest = max(len(h) / max(w - 1, 1) for h, w in zip(table.heads, widths[1:], strict=True))
        ws.set_row(HEADER_ROW, style.row_height(12 * (int(longest) + 1) + 6))
        identity = 5  # STT, district, code, commune, village
        results = next((i for i, fmt in enumerate(table.formats, start=1) if fmt == "result"), None)
        if results and sum(widths[:results]) > PAGE_WIDTH:  # the smart-village results on a page of their own
            ws.set_v_pagebreaks([results])
        ws.repeat_columns(0, identity - 1)
        ws.print_area(HEADER_ROW, 0, HEADER_ROW + max(len(laid), 1), len(table.heads))
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(laid), len(table.heads), widths=False)
        shown = [laid[i - 1] for i, fmt in enumerate(table.formats, start=1) if fmt == "result"]
        self._colour_results(ws, HEADER_ROW + 1, HEADER_ROW + len(laid), 1, len(table.heads), *shown)

    def problems(self, problems, labels: dict[str, str], year: int, place: str = ""):
        """Every problem, naming the commune and the village and the column as the template labels it."""
        ws = self._sheet(self.t["problems"])
        t = self.t
        if problems.empty:
            ws.write_string(0, 0, t["none"], self.f["section"])
            return
        table = problems.assign(
            muc_do=problems["muc_do"].map({"loi": t["loi"], "canh_bao": t["canh_bao"]}),
            cot=problems["cot"].map(lambda key: labels.get(key, key)),
        )
        cols = [
            ("tep", "file", "text"),
            ("trang", "sheet", "center"),
            ("o", "cell", "center"),
            ("ten_xa", "commune_name", "text"),
            ("ten_thon", "village_name", "text"),
            ("cot", "column", "wrap"),
            ("gia_tri", "found", "text"),
            ("mo_ta", "description", "wrap"),
            ("muc_do", "severity", "center"),
            ("ma_xa", "code", "center"),
            ("chi_tieu", "affects", "text"),
            ("ma_loi", "problem_code", "text"),
        ]
        title = f"{t['problems'].upper()} — {t['year'].format(year=year)}" + (f" — {place.upper()}" if place else "")
        ws.write_string(0, 0, title, self.f["title"])
        self._write_header_row(ws, HEADER_ROW, [t["no"], *[t[h] for _, h, _ in cols]])
        self._columns(ws, HEADER_ROW + 1, table, cols, start_col=1)
        ws.write_column(HEADER_ROW + 1, 0, range(1, len(table) + 1), self.f["center"])
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(table), len(cols))
        ws.set_column(6, 6, 22)
        ws.set_column(8, 8, 60)
        severity = 1 + next(i for i, c in enumerate(cols) if c[0] == "muc_do")
        last = HEADER_ROW + len(table)
        for word, colour in (("loi", "khong_dat"), ("canh_bao", "khong_danh_gia_duoc")):
            rule = {"type": "cell", "criteria": "==", "value": f'"{t[word]}"', "format": self.colours[colour]}
            ws.conditional_format(HEADER_ROW + 1, severity, last, severity, rule)

    def sources(self, sources, criteria: Criteria, now: dt.datetime):
        ws = self._sheet(self.t["sources"])
        t = self.t
        ws.write_string(0, 0, t["sources"].upper(), self.f["title"])
        facts = [
            (t["catalog"], criteria.title),
            (t["period"], criteria.period),
            (t["catalog_file"], criteria.source.name),
            *((t["basis"], citation(b)) for b in criteria.legal_bases),
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
        # where each indicator comes from, and how sure that is (the catalog's provenance)
        ind = criteria.indicators
        if len(ind):
            label = "label" if self.lang == "vi" else "label_en"
            provenance = pd.DataFrame(
                {
                    "id": ind.index,
                    "wording": ind[label].to_numpy(),
                    "source": ind.get("source", pd.Series("", index=ind.index)).fillna("").to_numpy(),
                    "certainty": ind.get("certainty", pd.Series("", index=ind.index))
                    .map(CERTAINTY)
                    .fillna("")
                    .to_numpy(),
                }
            )
            at = top + len(sources) + 3
            ws.write_string(at - 1, 0, t["provenance"], self.f["section"])
            heads = [t["indicator"], t["wording"], t["source_of"], t["certainty"]]
            ws.write_row(at, 0, heads, self.f["head"])
            table = [
                ("id", None, "text"),
                ("wording", None, "wrap"),
                ("source", None, "wrap"),
                ("certainty", None, "wrap"),
            ]
            self._columns(ws, at + 1, provenance, table)

    # -- pieces ---------------------------------------------------------------

    def _sheet(self, name: str, landscape: bool = True, fit: bool = True):
        """A4 with the footer; `fit`: shrink to one page wide (a wide table splits into pages instead)."""
        ws = self.wb.add_worksheet(_sheet_name(name))
        style.a4(ws, landscape, fit)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.set_footer(self.t["footer"].format(date=date(self.now)))
        return ws

    def _tier_table(self, ws, table: TierTable):
        """One row per commune, grouped by district, ending with a total row.

        Each indicator has two columns: its value and a result symbol (Đ, KĐ, ?, –)
        that reads the same in grey-scale as in colour. The sheet prints at
        full size, one page per group of indicators (`TierTable.pages`), with
        the commune columns and the header rows repeated on every page.
        """
        t, laid = self.t, table.laid
        label = "label" if self.lang == "vi" else "label_en"
        ind = table.indicators
        cells, at = laid.to_numpy(), {key: i for i, key in enumerate(laid.columns)}

        def column(key: str) -> np.ndarray:
            return cells[:, at[key]]

        top = HEADER_ROW
        fixed = [("_stt", "no", 3.5, "center"), ("ma_xa", "code", 6, "center"), ("ten_xa", "commune", 12, "text")]
        fixed += [("ket_qua", "overall", 8.5, "wrap_center"), ("so_dat", "met_count", 5.5, "center")]
        tail = [("hang_cao", "highest", 9, "wrap"), ("thieu", "shortfalls", 26, "wrap")]
        for c, (_, head, width, _) in enumerate(fixed):
            ws.merge_range(top, c, top + 1, c, t[head], self.f["head"])
            ws.set_column(c, c, width)
        col, breaks, value_cols = len(fixed), [], {}
        for page in table.pages:
            if col > len(fixed):
                breaks.append(col)
            for key in page:
                head = "\n".join(filter(None, [key, threshold_text(ind[key]["kind"], ind[key]["threshold"])]))
                ws.merge_range(top, col, top, col + 1, head, self.f["head"])
                ws.merge_range(top + 1, col, top + 1, col + 1, ind[key][label], self.f["head_small"])
                ws.set_column(col, col, INDICATOR_WIDTH[0])
                ws.set_column(col + 1, col + 1, INDICATOR_WIDTH[1])
                value_cols[key] = col
                col += 2
        last_page = table.pages[-1] if table.pages else []
        if table.pages and sum(w for *_, w, _ in tail) + sum(INDICATOR_WIDTH) * (len(last_page) - PAGE_INDICATORS) > 0:
            breaks.append(col)  # the shortfalls take a page of their own unless the last page has room
        first_tail = col
        for c, (_, head, width, _) in enumerate(tail, start=col):
            ws.merge_range(top, c, top + 1, c, t[head], self.f["head"])
            ws.set_column(c, c, width)
        last_col = first_tail + len(tail) - 1
        ws.set_row(top, 27)  # the indicator id and its threshold, on two lines
        longest = max((len(str(i[label])) for i in ind.values()), default=10)
        ws.set_row(top + 1, style.row_height(12 * -(-longest // 10) + 4))
        row = top + 2
        for c, (key, _, _, fmt) in enumerate(fixed):
            _column(ws, row, c, column(key), self.f[fmt])
        for key, c in value_cols.items():
            _column(ws, row, c, column(f"v_{key}"), self._format(KINDS[ind[key]["kind"]].shown))
            _column(ws, row, c + 1, column(f"s_{key}"), self.f["center"])
        for c, (key, _, _, fmt) in enumerate(tail, start=first_tail):
            _column(ws, row, c, column(key), self.f[fmt])
        headings = column("_heading").astype(bool)
        for i in np.flatnonzero(headings):
            ws.merge_range(row + i, 0, row + i, len(fixed) - 1, column("_huyen")[i], self.f["group"])
            ws.write_row(row + i, len(fixed), [None] * (last_col - len(fixed) + 1), self.f["group"])
        last = row + len(laid) - 1
        self._grid(ws, row, 0, last, last_col)
        communes = ~headings
        total = last + 1
        met = np.count_nonzero(column("ket_qua")[communes] == t["dat"])
        ws.merge_range(total, 0, total, 2, t["total_met"], self.f["head"])
        ws.write_string(total, 3, f"{count(int(met))}/{count(int(np.count_nonzero(communes)))}", self.f["head"])
        ws.write_blank(total, 4, None, self.f["head"])
        for key, c in value_cols.items():
            symbols = column(f"s_{key}")[communes]
            ws.write_number(total, c, np.count_nonzero(symbols == t["symbols"]["dat"]), self.f["head"])
            ws.write_blank(total, c + 1, None, self.f["head"])
        for c in range(first_tail, last_col + 1):
            ws.write_blank(total, c, None, self.f["head"])
        ws.print_area(top, 0, total, last_col)
        ws.set_v_pagebreaks(breaks)
        ws.repeat_columns(0, len(fixed) - 1)
        ws.repeat_rows(top, top + 1)
        ws.freeze_panes(top + 2, len(fixed))
        ws.autofilter(top + 1, 0, max(last, top + 2), last_col)
        if last < row:
            return
        symbols = [xl_rowcol_to_cell(row, c + 1) + ":" + xl_rowcol_to_cell(last, c + 1) for c in value_cols.values()]
        values = [xl_rowcol_to_cell(row, c) + ":" + xl_rowcol_to_cell(last, c) for c in value_cols.values()]
        right = xl_rowcol_to_cell(row, next(iter(value_cols.values()), 0) + 1, row_abs=False, col_abs=False)
        shown = set(itertools.chain.from_iterable(column(f"s_{key}") for key in value_cols))
        for key, fmt in self.colours.items():
            symbol = t["symbols"][key]
            rule = {"type": "cell", "criteria": "==", "value": f'"{symbol}"', "format": fmt}
            if symbol in shown:
                ws.conditional_format(row, 0, row, 0, rule | {"multi_range": " ".join(symbols)})
                formula = {"type": "formula", "criteria": f'={right}="{symbol}"', "format": fmt}
                ws.conditional_format(row, 0, row, 0, formula | {"multi_range": " ".join(values)})
        self._colour_results(ws, row, last, 3, 3, column("ket_qua"))

    def _format(self, kind: str):
        return self.f.get({"flag": "center", "result": "center"}.get(kind, kind), self.f["text"])

    def _columns(self, ws, row: int, table: pd.DataFrame, cols, start_col: int = 0):
        """Write each column of `table` downwards with its format (one call per column)."""
        for i, (key, _, kind) in enumerate(cols):
            _column(ws, row, start_col + i, _display(table[key], kind, self.t), self._format(kind))

    def _write_header_row(self, ws, row: int, heads: list[str]):
        ws.write_row(row, 0, heads, self.f["head"])
        ws.set_row(row, 45)

    def _grid(self, ws, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Borders on the empty cells of a table, which `_column` leaves unwritten."""
        if last_row >= first_row:
            ws.conditional_format(first_row, first_col, last_row, last_col, {"type": "blanks", "format": self.border})

    def _finish_table(self, ws, first_head: int, last_head: int, rows: int, last_col: int, widths: bool = True):
        self._grid(ws, last_head + 1, 0, last_head + rows, last_col)
        ws.freeze_panes(last_head + 1, 0)
        ws.autofilter(last_head, 0, last_head + max(rows, 1), last_col)
        ws.repeat_rows(first_head, last_head)
        if widths:
            ws.autofit()

    def _colour_results(self, ws, first: int, last: int, first_col: int, last_col: int, *shown):
        """A colour for each result the `shown` columns hold (each rule costs xlsxwriter a few hundred regular
        expressions: a small district's workbook spent a quarter of its time on rules for results it did not have)."""
        if last < first:
            return
        present = set(itertools.chain.from_iterable(shown))
        for key, fmt in self.colours.items():
            if self.t[key] not in present:
                continue
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
                ws.set_row(row + 2 + i, style.row_height(14 * (len(text) // 42 + 1)))
        cols = [(k, None, formats.get(k, "int" if table[k].dtype.kind in "iu" else "center")) for k in keys]
        self._columns(ws, row + 2, table, cols)
        return row + 3 + len(table)

    def _chart(self, ws, communes, row: int) -> int:
        """Met / not met / not assessable per district, as a live Excel chart; returns the next free row.

        The chart's figures sit in hidden columns K:N of the overview, outside the print area.
        """
        no_district = summary.NO_DISTRICT[self.lang]
        named = communes.assign(huyen=communes["huyen"].fillna(no_district), _d=summary.district_order(communes))
        data = summary.count_by(named, ["_d", "huyen"])
        hidden = 10
        ws.write_row(row, hidden, [self.t["district"], *(self.t[o] for o in summary.OUTCOMES)], self.f["head"])
        ws.write_column(row + 1, hidden, data["huyen"].tolist(), self.f["text"])
        for i, outcome in enumerate(summary.OUTCOMES, start=1):
            ws.write_column(row + 1, hidden + i, data[outcome].tolist(), self.f["int"])
        ws.set_column(hidden, hidden + len(summary.OUTCOMES), None, None, {"hidden": True})
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        colours = style.CHART_FILLS
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
        chart.set_title({"name": self.t["chart"], "name_font": {"name": style.FONT, "size": 12}})
        chart.set_legend({"position": "bottom", "font": {"name": style.FONT}})
        # in a bar chart xlsxwriter's x axis is the horizontal (value) axis, y the districts
        chart.set_x_axis({"num_font": {"name": style.FONT}, "major_unit": 1, "min": 0})
        chart.set_y_axis({"num_font": {"name": style.FONT}, "reverse": True})
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
    """Districts, and communes within them, in the order of their codes."""
    ordered = communes.assign(_d=summary.district_order(communes)).sort_values(["_d", "ma_xa"], kind="stable")
    return ordered.drop(columns="_d").reset_index(drop=True)


def _column(ws, row: int, col: int, values, fmt) -> None:
    """Write a column downwards, one typed call per cell; an empty value writes nothing.

    Half the cells of a national batch are empty (a village's smart-village
    conditions below the model tier, a value not given): the table's borders
    reach them through one conditional format (`Book._grid`), not a cell each.
    """
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):
            ws.write_string(row + i, col, value, fmt)
        else:
            ws.write_number(row + i, col, value, fmt)


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31]


def write_year(
    view, folder: Path, pool: Executor | None = None, done: Callable[[], object] | None = None
) -> list[Path]:
    """The run's writer of `tong-hop-<year>.xlsx` and of one workbook per district (`outputs.OUTPUTS`)."""
    run = view.run
    return write(
        view.result,
        run.problems,
        run.sources,
        view.criteria,
        run.columns,
        view.year,
        folder,
        run.lang,
        pool=pool,
        note=run.note,
        previous=view.previous.communes,
        done=done or (lambda: None),
    )
