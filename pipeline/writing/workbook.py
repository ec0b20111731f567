"""The workbooks officers open, print and send on: the summary and one per district.

Layout only: every figure comes from `assess` and `summary`. Cells are written
column by column; strings are never read as formulas (`strings_to_formulas` is
off), and each file is written under a temporary name, then renamed.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.worksheet
import xlsxwriter.xmlwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline import __version__
from pipeline.assessing.assess import Assessment
from pipeline.assessing.kinds import KINDS, threshold_text
from pipeline.catalog import CERTAINTY, Columns, Criteria
from pipeline.checking.identity import shown_code
from pipeline.parse import file_names, stacked
from pipeline.presenting import summary
from pipeline.presenting.words import DISTRICTS, abbreviations, citation, count, date, indicators_of, words_for
from pipeline.roles import ROLES
from pipeline.writing import parallel, style
from pipeline.writing.files import replace_atomically

_T = TypeVar("_T")
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
    area: str = DISTRICTS,
    counts: pd.DataFrame | None = None,
) -> list[Path]:
    """The summary workbook and one workbook per district (per province with `area=words.PROVINCES`: the
    communes' area column then holds their province); `done()` as each is written (in any thread).

    The tier and village tables are laid out once for the whole batch and cut
    by district in one pass. Given a `pool` of processes, the district
    workbooks are written there, each sent only its district,
    while this process writes the summary (xlsxwriter is pure Python, and at
    national scale writing is most of the run).
    """
    now = dt.datetime.now().replace(microsecond=0)
    communes = _ordered(result.communes)
    tiers = {t: TierTable.of(communes, result.results, criteria, t, lang, area) for t in criteria.tiers.index}
    villages = VillageTable.of(result.villages, communes, criteria, columns, lang, area)
    labels = dict(zip(columns.table["key"], columns.table["label" if lang == "vi" else "label_en"], strict=True))
    shared = _Shared(criteria, year, lang, now, labels, previous, area, counts)
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
    area: str = DISTRICTS  # communes grouped by district, or by province (`words.AREAS`)
    counts: pd.DataFrame | None = None  # the counts per tier of the year's view, for the overview


def _uncollected(write: Callable[..., _T]) -> Callable[..., _T]:
    """`write` a workbook with the garbage collector paused.

    xlsxwriter keeps an object per cell, and each collection those objects
    triggered walked every cell made so far, none of which it could free while
    the workbook was open: at 2,621 communes five full collections during the
    summary and as many during the provinces' workbooks, 0.9 s of CPU in all.
    `Book.close` leaves nothing behind for the collector to find.
    """

    @functools.wraps(write)
    def paused(*args, **kwargs) -> _T:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return write(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


@_uncollected
def _write_summary(path, communes, result, tiers, villages, problems, sources, shared: _Shared, note: str) -> None:
    with replace_atomically(path) as tmp:
        book = Book(tmp, shared.lang, shared.now, area=shared.area)
        book.overview(communes, result.results, shared.criteria, shared.year, note, shared.previous, shared.counts)
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
    placed = communes.dropna(subset=[ROLES.area])  # no file for "no district"
    problem_parts = _problems_by_district(problems, placed)
    out = []
    names = placed[ROLES.area].drop_duplicates().sort_values()
    for name, stem in file_names(names).items():
        out.append(
            _District(
                path=folder / shared.area / f"{stem}.xlsx",
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
    own = problems[ROLES.code].isin(communes[ROLES.code]).to_numpy(dtype=bool)
    coded = pd.DataFrame({"at": at[own], ROLES.code: problems[ROLES.code][own]})
    by_code = coded.merge(communes[[ROLES.code, ROLES.area]])
    files = communes[["_tep", ROLES.area]].drop_duplicates()
    by_file = pd.DataFrame({"at": at[~own], "_tep": problems["tep"][~own]}).merge(files)
    pairs = pd.concat([by_code[["at", ROLES.area]], by_file[["at", ROLES.area]]])
    return {name: problems.iloc[np.sort(rows.to_numpy())] for name, rows in pairs.groupby(ROLES.area)["at"]}


@_uncollected
def _write_district(d: _District) -> Path:
    shared = d.shared
    with replace_atomically(d.path) as tmp:
        book = Book(tmp, shared.lang, shared.now, small=True, area=shared.area)
        book.tier_sheets(d.tiers, shared.criteria, shared.year, place=d.name)
        book.villages(d.villages, shared.year, place=d.name)
        book.problems(d.problems, shared.labels, shared.year, place=d.name)
        book.close()
    return d.path


@dataclass
class TierTable:
    """One tier's rows, display-ready: per indicator its value and result symbol, under district headings."""

    indicators: dict[str, dict]  # per indicator id, its catalog entry: plain dicts, looked up per column
    laid: pd.DataFrame  # one row per commune or district heading (`_heading`), `_huyen`, `_stt`

    @classmethod
    def of(cls, communes, results, criteria: Criteria, tier: str, lang: str, area: str = DISTRICTS) -> TierTable:
        t, label = words_for(lang, area), "label" if lang == "vi" else "label_en"
        indicators = criteria.indicators_of(tier)
        mine = communes[communes[ROLES.tier] == tier]
        results = results[results[ROLES.code].isin(mine[ROLES.code])]
        parts = ["gia_tri", "tu_so", "ket_qua"]
        wide = results.pivot(index=ROLES.code, columns="chi_tieu", values=parts)
        table = mine.set_index(ROLES.code, drop=False)
        wide = wide.reindex(index=table.index, columns=pd.MultiIndex.from_product([parts, indicators.index]))
        shown = {
            ROLES.code: _display(shown_code(table[ROLES.code]), "text", t),
            ROLES.name: _display(table[ROLES.name], "text", t),
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
        display["_huyen"] = table[ROLES.area].fillna(summary.NO_DISTRICT[lang]).to_numpy()
        laid = _grouped(display, headings=communes[ROLES.area].notna().any())
        return cls(indicators.to_dict("index"), laid)

    @functools.cached_property
    def cells(self) -> dict[str, np.ndarray]:
        """Each column of `laid` (all objects) as an array, taken once: a tier sheet in bands took them once a band,
        as pandas Series (a tenth of a small district's workbook)."""
        return dict(zip(self.laid.columns, self.laid.to_numpy().T, strict=True))

    def heights(self, tail: list[float] | None = None) -> np.ndarray:
        """Each row's height for its wrapped cells: the commune's name, its overall result, and the highest
        tier met and the shortfalls where they are printed, `tail` characters wide (a band without them: None)."""
        cells = self.cells
        columns = [(cells[ROLES.name], FIXED[2][2]), (cells["ket_qua"], FIXED[3][2])]
        if tail:
            columns += [(cells[key], width) for (key, *_), width in zip(TAIL_WIDE, tail, strict=True)]
        return style.row_heights(columns)

    def wording_height(self, items: list[str], label: str) -> float:
        """The header row that holds the wording of these indicators, in small type under each id."""
        texts = [([self.indicators[key][label]], sum(PAIR) + 5 / 7) for key in items if key != TAIL]
        return float(style.row_heights(texts, HEAD_SMALL)[0]) if texts else float(style.text_height(1))


# The columns of a tier sheet, in characters (a width unit). The identifying columns are repeated on every
# printed page; each indicator has a value and a result symbol; the tail says the highest tier met and what
# falls short. On A4 landscape at full size (10 pt) the identifying columns leave room for nine indicators.
FIXED = [
    ("_stt", "no", 3.5, "center"),
    (ROLES.code, "code", 6, "center"),
    (ROLES.name, "commune", 13, "wrap"),
    ("ket_qua", "overall", 10, "wrap_center"),
    ("so_dat", "met_count", 5.5, "center"),
]
PAIR = (6, 3)  # an indicator's value and its result symbol
TAIL = "_tail"  # the item after the indicators
TAIL_WIDE = [("hang_cao", "highest", 12, "wrap"), ("thieu", "shortfalls", 17, "wrap")]
TAIL_PAIRS = 2, 2  # stacked in bands: the highest tier and the shortfalls each across two pairs' columns
HEAD_SMALL = 9  # points: an indicator's wording under its id
BAND_GAP = 12  # points between two bands
OVERVIEW_WIDTHS = [27, 13, 9, 9, 9, 9, 9, 9]  # A:H, A4 portrait at full size
CHART_ROW = 15  # points: the rows a chart covers
VILLAGE_WIDTHS = {"no": 4, "text": 16, "center": 6, "flag": 6, "int": 6.5, "result": 5.5}
PROBLEM_NO_WIDTH = 4
PROBLEM_COLUMNS = [  # key, heading, format, width: A4 landscape at full size
    ("tep", "file", "wrap", 8),
    ("trang", "sheet", "center", 6),
    ("o", "cell", "center", 5),
    (ROLES.name, "commune_name", "wrap", 14),
    (ROLES.village, "village_name", "wrap", 8),
    ("cot", "column", "wrap", 20),
    ("gia_tri", "found", "wrap", 8),
    ("mo_ta", "description", "wrap", 35),
    ("muc_do", "severity", "wrap_center", 7),
    (ROLES.code, "code", "center", 6),
    ("chi_tieu", "affects", "wrap", 8),
    ("ma_loi", "problem_code", "wrap", 10),
]
SOURCE_WIDTHS = [16, 10, 36, 12, 12, 12, 12, 12, 18]  # A4 landscape at full size: facts, files, sources


@dataclass
class _Band:
    """Where a band of a tier sheet went: its commune rows, its last column, each indicator's value column."""

    first: int
    last: int
    last_col: int
    values: dict[str, int]


@dataclass
class _TierLayout:
    """How a tier sheet prints: its indicators (and the tail) cut into pages of the paper's width, side by side
    (one row per commune, the identifying columns repeated on each page), or stacked down the sheet in bands
    (each with its header) when that takes fewer pages: a tier of a few communes fills a page or two."""

    pages: list[list[str]]
    bands: bool


def _tier_layout(table: TierTable, label: str, height: float) -> _TierLayout:
    """The layout of the fewer printed pages (on a tie, one row per commune); `height`: a page's body."""
    room = style.Page().width - style.width_points(w for *_, w, _ in FIXED)
    pair = style.width_points(PAIR)
    ids = list(table.indicators)
    groups = [key.split(".")[0] for key in ids] + [TAIL]  # a criterion: the id up to its first dot
    wide = _split([pair] * len(ids) + [style.width_points(w for *_, w, _ in TAIL_WIDE)], groups, room)
    stacked = _split([pair] * len(ids) + [pair * sum(TAIL_PAIRS)], groups, room)
    items = ids + [TAIL]
    wide_pages, stacked_pages = ([items[a:b] for a, b in cuts] for cuts in (wide, stacked))
    total = float(style.text_height(1))
    head = _head_height(table, items, label)
    rows = [*table.heights([w for *_, w, _ in TAIL_WIDE]), total]
    across = len(wide_pages) * _row_pages(rows, head, height)
    bands = [_band_height(table, page, label) for page in stacked_pages]
    if max(bands) <= height and _stack(bands, height)[0] < across:
        return _TierLayout(stacked_pages, bands=True)
    return _TierLayout(wide_pages, bands=False)


def _split(widths: list[float], groups: list[str], room: float) -> list[tuple[int, int]]:
    """Consecutive items cut into pages `room` wide: the fewest pages, then the fewest cuts inside a group,
    then pages as even as can be. Returns (first, end) of each page."""
    best: dict[int, tuple] = {0: (0, 0, 0.0, 0)}  # end -> (pages, cuts inside a group, sum of squares, start)
    for end in range(1, len(widths) + 1):
        options, width = [], 0.0
        for start in range(end - 1, -1, -1):
            width += widths[start]
            if width > room and start < end - 1:
                break
            pages, inside, squares, _ = best[start]
            cut_inside = start > 0 and groups[start - 1] == groups[start]
            options.append((pages + 1, inside + cut_inside, squares + width**2, start))
        best[end] = min(options)
    cuts, end = [], len(widths)
    while end:
        start = best[end][3]
        cuts.append((start, end))
        end = start
    return cuts[::-1]


def _merged_width(*widths: float) -> float:
    """Characters across adjacent columns merged into one cell (the padding between them holds text too)."""
    return sum(widths) + 5 / 7 * (len(widths) - 1)


def _head_height(table: TierTable, items: list[str], label: str) -> float:
    """The two header rows of a page of these items: the ids with thresholds, then the wording."""
    return float(style.text_height(2)) + table.wording_height(items, label)


def _band_height(table: TierTable, items: list[str], label: str) -> float:
    """A band's height: its header, its rows (the shortfalls wrapped across their columns if it has them),
    the total row."""
    tail = [_merged_width(*PAIR * pairs) for pairs in TAIL_PAIRS] if TAIL in items else None
    return _head_height(table, items, label) + table.heights(tail).sum() + float(style.text_height(1))


def _row_pages(rows: list[float], head: float, height: float) -> int:
    """Pages that rows of these heights take under a header repeated on each page."""
    pages, used = 1, head
    for row in rows:
        if used + row > height:
            pages, used = pages + 1, head
        used += row
    return pages


def _stack(bands: list[float], height: float) -> tuple[int, list[int]]:
    """Pages that bands of these heights take, none cut by a page; and the bands that start a page."""
    pages, used, starts = 1, 0.0, []
    for i, band in enumerate(bands):
        if used and used + band > height:
            pages, used = pages + 1, 0.0
            starts.append(i)
        used += band + BAND_GAP
    return pages, starts


@dataclass
class VillageTable:
    """Every village, display-ready, in district order."""

    heads: list[str]
    formats: list[str]
    laid: pd.DataFrame  # display columns in sheet order, then `_huyen`

    @classmethod
    def of(
        cls, villages, communes, criteria: Criteria, columns: Columns, lang: str, area: str = DISTRICTS
    ) -> VillageTable:
        t = words_for(lang, area)
        labels = columns.of("Thon")["label" if lang == "vi" else "label_en"]
        ident = communes.set_index(ROLES.code)
        code = villages[ROLES.code]
        order = pd.Series(summary.district_order(communes).to_numpy(), index=communes[ROLES.code])
        table = villages.assign(
            **{ROLES.area: code.map(ident[ROLES.area]), ROLES.name: code.map(ident[ROLES.name])},
            _rank=code.map(ident[ROLES.tier].map(criteria.tiers["rank"])),
            _d=code.map(order),
        ).sort_values(["_d", ROLES.code], kind="stable")  # villages in the order the commune gave them
        conditions = criteria.indicators[criteria.indicators["kind"] == "village_condition"]
        flags = [
            c
            for c in villages.columns
            if not c.startswith("_") and c not in (ROLES.code, ROLES.village, ROLES.year, "thon_thong_minh")
        ]
        cols = [
            (ROLES.area, t["district"], "text"),
            (ROLES.code, t["code"], "center"),
            (ROLES.name, t["commune"], "text"),
            (ROLES.village, t["village"], "text"),
        ]
        cols += [(c, labels.get(c, c), "flag" if villages[c].dtype == "boolean" else "int") for c in flags]
        cols += [(f"_{k}", f"{k}", "result") for k in conditions.index]
        cols += [("thon_thong_minh", t["smart"], "flag")]
        for key in conditions.index:  # smart-village conditions only where the commune's tier has them
            table[f"_{key}"] = table[f"_{key}"].where(table["_rank"] >= conditions.at[key, "tier_rank"])
        table["thon_thong_minh"] = table["thon_thong_minh"].where(table["_rank"] >= conditions["tier_rank"].min())
        laid = pd.DataFrame({i: _display(table[key], fmt, t) for i, (key, _, fmt) in enumerate(cols)}, dtype=object)
        laid["_huyen"] = table[ROLES.area].fillna(summary.NO_DISTRICT[lang]).to_numpy()
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


class _Sheet(xlsxwriter.worksheet.Worksheet):
    """xlsxwriter's sheet, with two of its steps made cheaper and their results unchanged."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        """Each formula prepared once a run: a colour rule's formula goes through some four hundred regular
        expressions (Excel's newer functions get a prefix), and a workbook repeats a few formulas in dozens of
        rules (a sixth of a small district's workbook)."""
        return _prepared(formula, bool(expand_future_functions or self.use_future_functions))

    def _escape_attributes(self, attribute):
        """Only a text can need escaping: xlsxwriter tells a number by the TypeError its regular expression raises,
        half a microsecond for the style index of every formatted cell."""
        if isinstance(attribute, str) and _ESCAPED.search(attribute):
            return super()._escape_attributes(attribute)
        return attribute


_ESCAPED = xlsxwriter.xmlwriter.xml_escapes  # what xlsxwriter escapes in an attribute


@functools.lru_cache(maxsize=1024)
def _prepared(formula: str, expand: bool) -> str:
    """xlsxwriter's own preparation of `formula` (`Worksheet._prepare_formula`)."""
    return xlsxwriter.worksheet.Worksheet._prepare_formula(_PLAIN, formula, expand)


_PLAIN = xlsxwriter.worksheet.Worksheet()  # a sheet with xlsxwriter's defaults, for `_prepared`


class Book:
    """An xlsxwriter workbook with this project's formats and page set-up."""

    def __init__(self, path: Path, lang: str, now: dt.datetime, small: bool = False, area: str = DISTRICTS):
        """`small`: a district's share, assembled in memory; otherwise each sheet's XML is assembled in a
        temporary file beside the workbook (the summary took 50 MB less at 3,000 communes, but a dozen
        temporary files cost a small workbook about a tenth of its time)."""
        self.t = words_for(lang, area)
        self.lang = lang
        self.now = now
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_format_properties": style.default_font(),
                **({"in_memory": True} if small else {"tmpdir": str(path.parent)}),
            },
        )
        self.wb.set_properties({"comments": f"ntm-ict {__version__}"})
        base = style.base(style.SIZE)
        border = base | {"border": 1}
        self.props = {
            "title": base | {"bold": True, "font_size": 14},
            "subtitle": base | {"italic": True},
            "section": base | {"bold": True, "font_size": 12},
            "head": border | {"bold": True, "text_wrap": True, "align": "center", "bg_color": style.HEAD_FILL},
            "head_small": border
            | {"text_wrap": True, "align": "center", "valign": "top", "font_size": 9, "bg_color": style.HEAD_FILL},
            "wrap_center": border | {"text_wrap": True, "align": "center"},
            "text": border,
            "wrap": border | {"text_wrap": True},
            "center": border | {"align": "center"},
            "int": border | {"num_format": "#,##0"},
            "year": border | {"num_format": "0", "align": "center"},
            "pct": border | {"num_format": "0.0%"},
            "group": border | {"bold": True, "bg_color": style.GROUP_FILL},
            "paragraph": base | {"text_wrap": True, "valign": "top", "font_size": 12},
            "note": base | {"text_wrap": True, "valign": "top", "italic": True, "font_size": 9},
        }
        self.f = {name: self.wb.add_format(props) for name, props in self.props.items()}
        self.colours = {k: self.wb.add_format({"bg_color": c}) for k, c in style.RESULT_FILLS.items()}
        self.border = self.wb.add_format({"border": 1})
        self._chart_data: pd.DataFrame | None = None

    def _wrapped(self, name: str):
        """Format `name`, wrapping its text at the top of the cell (for a text across merged cells)."""
        key = f"{name}_across"
        if key not in self.f:
            self.f[key] = self.wb.add_format(self.props[name] | {"text_wrap": True, "valign": "top"})
        return self.f[key]

    def close(self):
        if self._chart_data is not None:
            self._chart_sheet(self._chart_data)
        try:
            self.wb.close()
        except xlsxwriter.exceptions.FileCreateError as e:  # surfaces as OutputError with the path
            raise OSError(str(e)) from e
        # xlsxwriter's sheets refer back to their workbook: closed, it would stay a cycle of every cell until the
        # collector walked them all; emptied, its cells are freed at once by their reference counts
        vars(self.wb).clear()

    # -- sheets ---------------------------------------------------------------

    def overview(self, communes, results, criteria: Criteria, year: int, note: str = "", previous=None, counts=None):
        """Paragraph, counts per tier (`counts`, the year's view's, else worked out here) and per district, a chart,
        and province-wide ratios.

        A4 portrait at full size (10 pt, nothing under 9 pt): the columns fit the page's width, and each
        block is placed on the printed pages so that no table is cut from its header (`_Pages`).
        """
        ws = self._sheet(self.t["overview"], landscape=False, fit=False)
        pages = _Pages(ws, style.Page(landscape=False).height)
        for c, width in enumerate(OVERVIEW_WIDTHS):
            ws.set_column(c, c, width)
        counts = counts if counts is not None else summary.per_tier(communes, criteria)
        self._overview_head(pages, communes, results, criteria, year, note, counts)
        sections = itertools.count(1)
        self._overview_counts(pages, sections, communes, criteria, counts)
        self._overview_ratios(pages, sections, results, criteria)
        if previous is not None:  # the programme asks communes to keep the criteria they met
            self._overview_lost(pages, sections, communes, previous, criteria, year)
        t = self.t
        last = self._across(pages, f"{t['abbreviations']}: {abbreviations(criteria, self.lang)}", "note", 9)
        pages.close()
        ws.print_area(0, 0, last, len(OVERVIEW_WIDTHS) - 1)

    def _overview_head(self, pages, communes, results, criteria: Criteria, year: int, note: str, counts) -> None:
        """The title, the year, the run's note if any, and the paragraph in the register of an appraisal (`counts`:
        per tier)."""
        t = self.t
        title = t["title"].format(indicators=indicators_of(criteria, self.lang))
        self.wb.set_properties({"title": title, "comments": f"ntm-ict {__version__}"})
        self._across(pages, title, "title", 14, bold=True)
        self._across(pages, t["subtitle"].format(year=year), "subtitle")
        if note:  # commune rows of the run that no year's summary can hold
            self._across(pages, note, "section", 12, bold=True)
        else:
            pages.place([6])  # the paragraph stays in A4
        self._across(pages, summary.paragraph(communes, results, criteria, year, self.lang, counts), "paragraph", 12)
        pages.place([8])

    def _overview_counts(self, pages, sections, communes, criteria: Criteria, counts) -> None:
        """The counts per tier, then per district with its chart (no district table without districts)."""
        t = self.t
        tiers = counts.assign(**{ROLES.tier: summary.tier_label(counts[ROLES.tier], criteria, self.lang)})
        tiers = summary.with_total(tiers, ROLES.tier, t["total"])
        title = f"{next(sections)}. {t['by_tier']}"
        self._overview_table(pages, title, tiers, [ROLES.tier, *_COUNTS], ["tier", *_COUNT_HEADS])
        if communes[ROLES.area].notna().any():
            districts = summary.per_district(communes, criteria, self.lang)
            districts[ROLES.tier] = summary.tier_label(districts[ROLES.tier], criteria, self.lang)
            districts = summary.with_total(districts, ROLES.area, t["total"]).fillna({ROLES.tier: ""})
            keys, heads = [ROLES.area, ROLES.tier, *_COUNTS], ["district", "tier", *_COUNT_HEADS]
            self._overview_table(pages, f"{next(sections)}. {t['by_district']}", districts, keys, heads)
            self._chart(pages, communes)

    def _overview_ratios(self, pages, sections, results, criteria: Criteria) -> None:
        """The province-wide ratios, from the summed numerators and denominators."""
        label = "label" if self.lang == "vi" else "label_en"
        ratios = summary.ratio_totals(results, criteria)
        ratios["nguong"] = [
            threshold_text(criteria.indicators.at[i, "kind"], criteria.indicators.at[i, "threshold"])
            for i in ratios["chi_tieu"]
        ]
        ratios["chi_tieu"] = ratios["chi_tieu"] + ". " + ratios["chi_tieu"].map(criteria.indicators[label])
        formats = {"chi_tieu": "wrap", "tu_so": "int", "mau_so": "int", "ti_le": "pct", "nguong": "center"}
        formats["bo_qua"] = "int"
        keys = ["chi_tieu", "tu_so", "mau_so", "ti_le", "nguong", "bo_qua"]
        heads = ["indicator", "numerator", "denominator", "share", "threshold", "left_out"]
        self._overview_table(pages, f"{next(sections)}. {self.t['ratios']}", ratios, keys, heads, formats)

    def _overview_lost(self, pages, sections, communes, previous, criteria: Criteria, year: int) -> None:
        """The communes that met a tier last year and meet no tier as high now, or one line saying none did."""
        t = self.t
        lost, both = summary.lost_since(communes, previous, criteria)
        title = f"{next(sections)}. {t['year_over_year'].format(last=year - 1, year=year)}"
        if lost.empty:
            text = t["none_lost"].format(n=count(both, self.lang), last=year - 1, year=year)
            pages.keep(style.text_height(1, 12) + style.text_height(1))
            self._across(pages, title, "section", 12, bold=True)
            self._across(pages, text, "subtitle")
            pages.place([8])
            return
        lost = lost.assign(
            truoc=summary.tier_label(lost["hang_cao_nhat_dat_truoc"], criteria, self.lang),
            nay=lost["ket_qua"].map({k: t[k] for k in summary.OUTCOMES}),
            **{ROLES.code: shown_code(lost[ROLES.code])},
        )
        keys = [ROLES.name, ROLES.area, ROLES.code, "truoc", "nay"]
        heads = ["commune", "district", "code", "met_last_year", "result_now"]
        self._overview_table(pages, title, lost, keys, heads, dict.fromkeys(keys, "wrap"))

    def tier_sheets(self, tables: dict[str, TierTable], criteria: Criteria, year: int, place: str = ""):
        """One sheet per tier that has communes (a tier nobody registered for has none)."""
        label = "label" if self.lang == "vi" else "label_en"
        for tier, info in criteria.tiers.iterrows():
            table = tables[tier]
            if table.laid.empty:
                continue
            ws = self._sheet(info["sheet"] if self.lang == "vi" else info["label_en"], fit=False)
            heading = self.t["tier_title"].format(
                indicators=indicators_of(criteria, self.lang), tier=info[label].upper(), year=year
            )
            title = heading + (f" — {place.upper()}" if place else "")
            ws.write_string(0, 0, title, self.f["title"])
            ws.write_string(1, 0, "; ".join([criteria.title, *criteria.overlays]), self.f["subtitle"])
            ws.write_string(2, 0, self.t["legend"], self.f["subtitle"])
            # printed, the sheet splits into pages: each page carries the title and the legend in its header
            style.page_title(ws, title, self.t["legend_short"])
            self._tier_table(ws, table, style.Page(top=style.title_margin(self.t["legend_short"])).height)

    def villages(self, table: VillageTable, year: int, place: str = ""):
        """Every village, printed at full size: on one page's width if the columns fit, otherwise the village's
        own figures on one page and its smart-village results on the next, the identifying columns (district,
        commune, village) repeated on both. Names wrap, in rows as tall as they need."""
        ws, laid = self._sheet(self.t["villages"], fit=False), table.laid
        title = self.t["village_title"].format(year=year) + (f" — {place.upper()}" if place else "")
        ws.write_string(0, 0, title, self.f["title"])
        style.page_title(ws, title)
        formats = ["wrap" if fmt == "text" else fmt for fmt in table.formats]
        widths = [VILLAGE_WIDTHS.get(fmt, 7) for fmt in ["no", *table.formats]]
        for i, width in enumerate(widths):  # fixed widths: autofit reads every cell
            ws.set_column(i, i, width)
        self._write_header_row(ws, HEADER_ROW, [self.t["no"], *table.heads], widths, small=True)
        for i, fmt in enumerate(formats, start=1):
            _column(ws, HEADER_ROW + 1, i, laid[i - 1].to_numpy(), self._format(fmt))
        _column(ws, HEADER_ROW + 1, 0, range(1, len(laid) + 1), self.f["center"])
        names = [(laid[i - 1].to_numpy(), widths[i]) for i, fmt in enumerate(formats, start=1) if fmt == "wrap"]
        _heights(ws, HEADER_ROW + 1, style.row_heights(names))
        identity = 5  # STT, district, code, commune, village
        results = next((i for i, fmt in enumerate(table.formats, start=1) if fmt == "result"), None)
        if results and style.width_points(widths) > style.Page().width:  # the smart-village results on a page
            ws.set_v_pagebreaks([results])
        ws.repeat_columns(0, identity - 1)
        ws.print_area(HEADER_ROW, 0, HEADER_ROW + max(len(laid), 1), len(table.heads))
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(laid), len(table.heads))
        shown = [laid[i - 1] for i, fmt in enumerate(table.formats, start=1) if fmt == "result"]
        self._colour_results(ws, HEADER_ROW + 1, HEADER_ROW + len(laid), 1, len(table.heads), *shown)

    def problems(self, problems, labels: dict[str, str], year: int, place: str = ""):
        """Every problem, naming the commune and the village and the column as the template labels it.

        A4 landscape at full size: the columns fit the page's width, long texts wrap in rows as tall as
        they need, the header is repeated on every page.
        """
        ws = self._sheet(self.t["problems"])
        t = self.t
        if problems.empty:
            ws.write_string(0, 0, t["none"], self.f["section"])
            return
        table = problems.assign(
            muc_do=problems["muc_do"].map({"loi": t["loi"], "canh_bao": t["canh_bao"]}),
            cot=problems["cot"].map(lambda key: labels.get(key, key)),
        )
        title = f"{t['problems'].upper()} — {t['year'].format(year=year)}" + (f" — {place.upper()}" if place else "")
        ws.write_string(0, 0, title, self.f["title"])
        widths = [PROBLEM_NO_WIDTH, *(w for *_, w in PROBLEM_COLUMNS)]
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        self._write_header_row(ws, HEADER_ROW, [t["no"], *[t[h] for _, h, _, _ in PROBLEM_COLUMNS]], widths)
        self._columns(ws, HEADER_ROW + 1, table, [(k, h, fmt) for k, h, fmt, _ in PROBLEM_COLUMNS], start_col=1)
        _column(ws, HEADER_ROW + 1, 0, range(1, len(table) + 1), self.f["center"])
        texts = [(table[key].to_numpy(), w) for key, _, fmt, w in PROBLEM_COLUMNS if "wrap" in fmt]
        _heights(ws, HEADER_ROW + 1, style.row_heights(texts))
        self._finish_table(ws, HEADER_ROW, HEADER_ROW, len(table), len(PROBLEM_COLUMNS))
        severity = 1 + next(i for i, c in enumerate(PROBLEM_COLUMNS) if c[0] == "muc_do")
        last = HEADER_ROW + len(table)
        for word, colour in (("loi", "khong_dat"), ("canh_bao", "khong_danh_gia_duoc")):
            rule = {"type": "cell", "criteria": "==", "value": f'"{t[word]}"', "format": self.colours[colour]}
            ws.conditional_format(HEADER_ROW + 1, severity, last, severity, rule)

    def sources(self, sources, criteria: Criteria, now: dt.datetime):
        """What was read and with which catalog, so that a result can be traced: the run's facts, each
        indicator's source and how sure it is, every file with its SHA-256.

        A4 landscape at full size: long texts (legal bases, paths, the 64 characters of a SHA-256) wrap in
        rows as tall as they need; no table is cut from its header (`_Pages`).
        """
        ws = self._sheet(self.t["sources"])
        pages = _Pages(ws, style.Page().height)
        t = self.t
        for c, width in enumerate(SOURCE_WIDTHS):
            ws.set_column(c, c, width)
        ws.write_string(pages.place([style.text_height(1, 14)]), 0, t["sources"].upper(), self.f["title"])
        pages.place([8])
        facts = [
            (t["catalog"], criteria.title),
            (t["period"], criteria.period),
            (t["catalog_file"], criteria.source.name),
            *((t["basis"], citation(b)) for b in criteria.legal_bases),
            *((t["province_rules"], text) for text in criteria.overlays),
            (t["tool"], f"ntm-ict {__version__}"),
            (t["run_at"], now.isoformat(sep=" ")),
        ]
        value = _merged_width(*SOURCE_WIDTHS[1:])
        heights = style.row_heights([([k for k, _ in facts], SOURCE_WIDTHS[0]), ([v for _, v in facts], value)])
        for (k, v), height in zip(facts, heights, strict=True):
            row = pages.place([height])
            ws.write_string(row, 0, k, self.f["wrap"])
            ws.merge_range(row, 1, row, len(SOURCE_WIDTHS) - 1, v, self.f["wrap"])
        pages.place([8])
        sources = sources.assign(
            loai=sources["dong_xa"] + sources["dong_thon"] - sources["nhan_xa"] - sources["nhan_thon"]
        )
        cols = [("tep", "wrap", 1), ("kich_thuoc", "int", 1), ("sha256", "wrap", 1)]
        cols += [(key, "int", 1) for key in ("dong_xa", "nhan_xa", "dong_thon", "nhan_thon", "loai")]
        heads = ["file", "size", "sha256", "rows_xa", "kept_xa", "rows_thon", "kept_thon", "rejected"]
        self._table(pages, None, sources, cols, [t.get(h, "SHA-256") for h in heads], SOURCE_WIDTHS)
        ind = criteria.indicators
        if len(ind):  # where each indicator comes from, and how sure that is (the catalog's provenance)
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
            cols = [("id", "text", 1), ("wording", "wrap", 2), ("source", "wrap", 5), ("certainty", "wrap", 1)]
            heads = [t["indicator"], t["wording"], t["source_of"], t["certainty"]]
            self._table(pages, t["provenance"], provenance, cols, heads, SOURCE_WIDTHS)
        pages.close()

    # -- pieces ---------------------------------------------------------------

    def _sheet(self, name: str, landscape: bool = True, fit: bool = True):
        """A4 with the footer; `fit`: shrink to one page wide (a wide table splits into pages instead)."""
        ws = self.wb.add_worksheet(_sheet_name(name), _Sheet)
        style.a4(ws, landscape, fit)
        ws.center_horizontally()
        ws.set_margins(
            left=style.SIDE_MARGIN, right=style.SIDE_MARGIN, top=style.TOP_MARGIN, bottom=style.BOTTOM_MARGIN
        )
        ws.set_footer(self.t["footer"].format(date=date(self.now)))
        return ws

    def _tier_table(self, ws, table: TierTable, height: float):
        """One row per commune, grouped by district, ending with a total row, printed at full size.

        Each indicator has two columns: its value and a result symbol (Đ, KĐ, ?, –) that reads the same in
        grey-scale as in colour. The indicators are cut into pages of the paper's width (`_tier_layout`): side
        by side, each page repeats the commune columns and the header rows; stacked in bands (a tier of a few
        communes), each band has its header and its rows. `height`: a printed page's body.
        """
        label = "label" if self.lang == "vi" else "label_en"
        layout = _tier_layout(table, label, height)
        for c, (*_, width, _) in enumerate(FIXED):
            ws.set_column(c, c, width)
        if layout.bands:
            bands = self._tier_bands(ws, table, layout.pages, label, height)
        else:
            bands = [self._tier_wide(ws, table, layout.pages, label)]
        self._colour_symbols(ws, table, bands)

    def _tier_wide(self, ws, table: TierTable, pages: list[list[str]], label: str) -> _Band:
        """The pages side by side: one row per commune, filtered and frozen like any table."""
        col, starts = len(FIXED), []
        for page in pages:
            starts.append(col)
            for key in page:
                widths = [w for *_, w, _ in TAIL_WIDE] if key == TAIL else PAIR
                for width in widths:
                    ws.set_column(col, col, width)
                    col += 1
        top = HEADER_ROW
        band = self._tier_band(ws, top, table, [key for page in pages for key in page], label, wide=True)
        ws.print_area(top, 0, band.last + 1, band.last_col)
        ws.set_v_pagebreaks(starts[1:])
        ws.repeat_columns(0, len(FIXED) - 1)
        ws.repeat_rows(top, top + 1)
        ws.freeze_panes(top + 2, len(FIXED))
        ws.autofilter(top + 1, 0, max(band.last, top + 2), band.last_col)
        return band

    def _tier_bands(self, ws, table: TierTable, pages: list[list[str]], label: str, height: float) -> list[_Band]:
        """The pages stacked down the sheet, a band each, none cut by a page break."""
        widest = max(sum(2 * sum(TAIL_PAIRS) if key == TAIL else 2 for key in page) for page in pages)
        for c in range(len(FIXED), len(FIXED) + widest):
            ws.set_column(c, c, PAIR[(c - len(FIXED)) % 2])
        _, starts = _stack([_band_height(table, page, label) for page in pages], height)
        bands, top, breaks = [], HEADER_ROW, []
        for i, page in enumerate(pages):
            if i in starts:
                breaks.append(top)
            bands.append(self._tier_band(ws, top, table, page, label, wide=False))
            ws.set_row(bands[-1].last + 2, BAND_GAP)
            top = bands[-1].last + 3
        ws.set_h_pagebreaks(breaks)
        ws.print_area(HEADER_ROW, 0, bands[-1].last + 1, max(band.last_col for band in bands))
        return bands

    def _tier_band(self, ws, top: int, table: TierTable, items: list[str], label: str, wide: bool) -> _Band:
        """The header rows at `top`, then a row per commune or district heading, then the total row, for these
        indicators (and the tail: the highest tier met and the shortfalls, `wide` in columns of their own,
        otherwise each across columns of indicators)."""
        values, tail, last_col = self._tier_head(ws, top, table, items, label, wide)
        first, last = top + 2, top + 1 + len(table.laid)
        cells = table.cells
        headings = cells["_heading"].astype(bool)
        for c, (key, _, _, fmt) in enumerate(FIXED):
            _column(ws, first, c, cells[key], self.f[fmt])
        for key, c in values.items():
            kind = KINDS[table.indicators[key]["kind"]].shown
            _column(ws, first, c, cells[f"v_{key}"], self._format(kind))
            _column(ws, first, c + 1, cells[f"s_{key}"], self.f["center"])
        for at in map(int, np.flatnonzero(headings)):
            ws.merge_range(first + at, 0, first + at, len(FIXED) - 1, cells["_huyen"][at], self.f["group"])
            ws.write_row(first + at, len(FIXED), [None] * 2 * len(values), self.f["group"])
        for name, fmt, left, right, _ in tail:
            for i, value in enumerate(cells[name]):
                _cell(ws, first + i, left, right, value, self.f["group" if headings[i] else fmt])
        _heights(ws, first, table.heights([width for *_, width in tail] or None))
        self._grid(ws, first, 0, last, last_col)
        self._tier_total(ws, last + 1, cells, values, tail)
        self._colour_results(ws, first, last, 3, 3, cells["ket_qua"])
        return _Band(first, last, last_col, values)

    def _tier_head(self, ws, top: int, table: TierTable, items: list[str], label: str, wide: bool):
        """The two header rows of a band: the identifying columns, per indicator its id and threshold over its
        wording, the tail's columns. Returns each indicator's value column, the tail's (key, format, first
        and last column, width in characters) and the last column."""
        t, ind = self.t, table.indicators
        for c, (_, head, _, _) in enumerate(FIXED):
            ws.merge_range(top, c, top + 1, c, t[head], self.f["head"])
        col, values, tail = len(FIXED), {}, []
        for key in items:
            if key == TAIL:
                for (name, head, width, fmt), pairs in zip(TAIL_WIDE, TAIL_PAIRS, strict=True):
                    widths = [width] if wide else list(PAIR * pairs)
                    right = col + len(widths) - 1
                    ws.merge_range(top, col, top + 1, right, t[head], self.f["head"])
                    tail.append((name, fmt, col, right, _merged_width(*widths)))
                    col = right + 1
                continue
            head = "\n".join(filter(None, [key, threshold_text(ind[key]["kind"], ind[key]["threshold"])]))
            ws.merge_range(top, col, top, col + 1, head, self.f["head"])
            ws.merge_range(top + 1, col, top + 1, col + 1, ind[key][label], self.f["head_small"])
            values[key] = col
            col += 2
        # the identifying and tail headers span both header rows: the wording row grows if they need it
        spans = [(t[head], width) for _, head, width, _ in FIXED]
        spans += [(t[head], width) for (_, head, *_), (*_, width) in zip(TAIL_WIDE, tail, strict=False)]
        ids = float(style.text_height(2))
        needs = max(float(style.text_height(style.lines(head, width, bold=True))) for head, width in spans)
        ws.set_row(top, ids)
        ws.set_row(top + 1, max(table.wording_height(items, label), needs - ids))
        return values, tail, col - 1

    def _tier_total(self, ws, row: int, cells: dict, values: dict[str, int], tail: list) -> None:
        """The total row: communes meeting every indicator, and each indicator."""
        t, communes = self.t, ~cells["_heading"].astype(bool)
        met = np.count_nonzero(cells["ket_qua"][communes] == t["dat"])
        ws.merge_range(row, 0, row, 2, t["total_met"], self.f["head"])
        ws.write_string(row, 3, f"{met:02d}/{np.count_nonzero(communes):02d}", self.f["head"])
        ws.write_blank(row, 4, None, self.f["head"])
        for key, c in values.items():
            symbols = cells[f"s_{key}"][communes]
            ws.write_number(row, c, np.count_nonzero(symbols == t["symbols"]["dat"]), self.f["head"])
            ws.write_blank(row, c + 1, None, self.f["head"])
        for _, _, left, right, _ in tail:
            _cell(ws, row, left, right, None, self.f["head"])
        ws.set_row(row, float(style.text_height(1)))

    def _colour_symbols(self, ws, table: TierTable, bands: list[_Band]) -> None:
        """Each result symbol coloured by its text, each value by the symbol to its right: one rule a result
        for every band (a rule for each result the table shows)."""
        t, laid = self.t, table.laid
        if laid.empty or not any(band.values for band in bands):
            return

        def ranges(offset: int) -> str:
            return " ".join(
                xl_rowcol_to_cell(b.first, c + offset) + ":" + xl_rowcol_to_cell(b.last, c + offset)
                for b in bands
                for c in b.values.values()
            )

        symbols, values = ranges(1), ranges(0)
        first = bands[0]
        right = xl_rowcol_to_cell(first.first, next(iter(first.values.values())) + 1, row_abs=False, col_abs=False)
        shown = set(itertools.chain.from_iterable(table.cells[f"s_{key}"] for key in table.indicators))
        for key, fmt in self.colours.items():
            symbol = t["symbols"][key]
            if symbol not in shown:
                continue
            rule = {"type": "cell", "criteria": "==", "value": f'"{symbol}"', "format": fmt}
            ws.conditional_format(first.first, 0, first.first, 0, rule | {"multi_range": symbols})
            formula = {"type": "formula", "criteria": f'={right}="{symbol}"', "format": fmt}
            ws.conditional_format(first.first, 0, first.first, 0, formula | {"multi_range": values})

    def _format(self, kind: str):
        return self.f.get({"flag": "center", "result": "center"}.get(kind, kind), self.f["text"])

    def _columns(self, ws, row: int, table: pd.DataFrame, cols, start_col: int = 0):
        """Write each column of `table` downwards with its format (one call per column)."""
        for i, (key, _, kind) in enumerate(cols):
            _column(ws, row, start_col + i, _display(table[key], kind, self.t), self._format(kind))

    def _write_header_row(self, ws, row: int, heads: list[str], widths: Sequence[float], small: bool = False):
        """A table's header, in a row as tall as its longest wrapped heading; `small`: in the small type of an
        indicator's wording (long headings over narrow columns)."""
        ws.write_row(row, 0, heads, self.f["head_small" if small else "head"])
        texts = [([h], w) for h, w in zip(heads, widths, strict=True)]
        size = HEAD_SMALL if small else style.SIZE
        ws.set_row(row, float(style.row_heights(texts, size, bold=not small)[0]))

    def _grid(self, ws, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Borders on the empty cells of a table, which `_column` leaves unwritten."""
        if last_row >= first_row:
            ws.conditional_format(first_row, first_col, last_row, last_col, {"type": "blanks", "format": self.border})

    def _finish_table(self, ws, first_head: int, last_head: int, rows: int, last_col: int):
        self._grid(ws, last_head + 1, 0, last_head + rows, last_col)
        ws.freeze_panes(last_head + 1, 0)
        ws.autofilter(last_head, 0, last_head + max(rows, 1), last_col)
        ws.repeat_rows(first_head, last_head)

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

    def _across(self, pages: _Pages, text: str, fmt: str, size: float = style.SIZE, bold: bool = False) -> int:
        """A text across the overview's columns, wrapped, in a row as tall as its lines, kept on one page."""
        width = sum(OVERVIEW_WIDTHS) + 5 / 7 * (len(OVERVIEW_WIDTHS) - 1)  # the padding between columns holds text
        height = style.text_height(style.lines(text, width, size, bold), size)
        pages.keep(height)
        row = pages.place([height])
        pages.ws.merge_range(row, 0, row, len(OVERVIEW_WIDTHS) - 1, text, self._wrapped(fmt))
        return row

    def _overview_table(self, pages: _Pages, title: str, table: pd.DataFrame, keys, heads, formats=None) -> None:
        """A titled table on the overview: counts as numbers, texts wrapped and centred unless `formats` say."""
        formats = formats or {}
        cols = [(k, formats.get(k, "int" if table[k].dtype.kind in "iu" else "wrap_center"), 1) for k in keys]
        self._table(pages, title, table, cols, [self.t.get(h, h) for h in heads], OVERVIEW_WIDTHS)

    def _table(self, pages: _Pages, title: str | None, table: pd.DataFrame, cols, heads, widths) -> None:
        """A table on a sheet of several blocks, never cut from its header; `cols`: (key, format, columns it
        spans) on a grid of `widths`.

        It starts on a new page unless it fits on the rest of this one (a table longer than a page: unless its
        title, header and first rows do), and each page it continues on begins with its header again: a sheet
        has one set of rows printed on every page, and such a sheet holds several tables.
        """
        ws, spans, at = pages.ws, [], 0
        for key, fmt, span in cols:
            spans.append((key, fmt, at, at + span - 1, _merged_width(*widths[at : at + span])))
            at += span
        texts = [(table[key].to_numpy(), width) for key, fmt, *_, width in spans if "wrap" in fmt]
        heights = style.row_heights(texts) if texts else np.full(len(table), style.text_height(1))
        head = style.row_heights([([h], s[-1]) for h, s in zip(heads, spans, strict=True)], bold=True)[0]
        shown = [_display(table[key], fmt, self.t) for key, fmt, *_ in spans]  # once, not once a page
        section = style.text_height(1, 12) if title else 0
        whole = section + head + heights.sum()
        pages.keep(whole if whole <= pages.height else section + head + heights[:3].sum())
        if title:
            ws.write_string(pages.place([section]), 0, title, self.f["section"])
        start = 0
        while True:
            row = pages.place([head])
            for (_, _, first, last, _), text in zip(spans, heads, strict=True):
                _cell(ws, row, first, last, text, self.f["head"])
            fits = int(np.searchsorted(np.cumsum(heights[start:]), pages.room(), side="right"))
            end = min(start + max(fits, 1), len(table))
            row = pages.place(heights[start:end])
            for (_, fmt, first, last, _), column in zip(spans, shown, strict=True):
                values = column[start:end]
                if first == last:
                    _column(ws, row, first, values, self._format(fmt))
                    continue
                for i, value in enumerate(values):
                    _cell(ws, row + i, first, last, value, self._format(fmt))
            start = end
            if start >= len(table):
                break
            pages.new_page()
        pages.place([8])

    def _chart(self, pages: _Pages, communes) -> None:
        """Met / not met / not assessable per district, as a live chart across the page, kept on one page.

        Its figures are on a hidden sheet that `close` writes: not in the open, and Excel plots the data of
        a hidden sheet (it would leave out hidden rows and columns).
        """
        data = summary.count_by(summary.named_districts(communes, self.lang), ["_d", ROLES.area])
        self._chart_data = data
        name = _sheet_name(self.t["chart"])
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        for i, outcome in enumerate(summary.OUTCOMES, start=1):
            chart.add_series(
                {
                    "name": [name, 0, i],
                    "categories": [name, 1, 0, len(data), 0],
                    "values": [name, 1, i, len(data), i],
                    "fill": {"color": style.CHART_FILLS[outcome]},
                    "gap": 60,
                }
            )
        chart.set_title({"name": self.t["chart"], "name_font": {"name": style.FONT, "size": 12}})
        chart.set_legend({"position": "bottom", "font": {"name": style.FONT}})
        # in a bar chart xlsxwriter's x axis is the horizontal (value) axis, y the districts
        chart.set_x_axis({"num_font": {"name": style.FONT}, "major_unit": 1, "min": 0})
        chart.set_y_axis({"num_font": {"name": style.FONT}, "reverse": True})
        # 216 points (xlsxwriter's default) for four districts, taller for more, never taller than a page
        height = min(216 * (1 + 0.12 * max(len(data) - 4, 0)), pages.height - 40)
        rows = math.ceil(height / CHART_ROW)
        pages.keep(rows * CHART_ROW)
        first = pages.place([CHART_ROW] * rows)
        pixels = sum(7 * w + 5 for w in OVERVIEW_WIDTHS) - 8, rows * CHART_ROW / 0.75 - 4  # Excel: 96 dpi
        options = {"x_scale": pixels[0] / 480, "y_scale": pixels[1] / 288, "object_position": 1}
        pages.ws.insert_chart(first, 0, chart, options)
        pages.place([8])

    def _chart_sheet(self, data: pd.DataFrame) -> None:
        """The chart's figures, on a hidden sheet after the others."""
        ws = self.wb.add_worksheet(_sheet_name(self.t["chart"]), _Sheet)
        ws.hide()
        ws.write_row(0, 0, [self.t["district"], *(self.t[o] for o in summary.OUTCOMES)], self.f["head"])
        ws.write_column(1, 0, data[ROLES.area].tolist(), self.f["text"])
        for i, outcome in enumerate(summary.OUTCOMES, start=1):
            ws.write_column(1, i, data[outcome].tolist(), self.f["int"])
        ws.set_column(0, 0, 30)


class _Pages:
    """Rows counted onto the printed pages of a sheet as they are placed, for a sheet of several blocks.

    A block (a paragraph, a chart, a table's title with its header) that does not fit on the rest of a page
    starts the next one: manual page breaks and explicit row heights print alike in Excel and LibreOffice.
    """

    def __init__(self, ws, height: float):
        self.ws, self.height = ws, height
        self.row, self.used, self.breaks = 0, 0.0, list[int]()

    def place(self, heights) -> int:
        """Give the next rows these heights, each on the page it fits on; returns the first of them."""
        first = self.row
        for height in heights:
            if self.used and height > self.room():
                self.new_page()
            self.ws.set_row(self.row, height)
            self.row += 1
            self.used += height
        return first

    def room(self) -> float:
        return self.height - self.used

    def keep(self, height: float) -> None:
        """What follows, `height` high, starts on a new page unless it fits on the rest of this one."""
        if self.used and height > self.room():
            self.new_page()

    def new_page(self) -> None:
        self.breaks.append(self.row)
        self.used = 0.0

    def close(self) -> None:
        self.ws.set_h_pagebreaks(self.breaks)


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
    ordered = communes.assign(_d=summary.district_order(communes)).sort_values(["_d", ROLES.code], kind="stable")
    return ordered.drop(columns="_d").reset_index(drop=True)


def _column(ws, row: int, col: int, values, fmt) -> None:
    """Write a column downwards, one typed call per cell; an empty value writes nothing.

    Half the cells of a national batch are empty (a village's smart-village
    conditions below the model tier, a value not given): the table's borders
    reach them through one conditional format (`Book._grid`), not a cell each.
    The calls are xlsxwriter's undecorated `write_string` and `write_number`:
    their decorator, which looks for an "A1" reference in each call, cost 0.4 µs
    of the 1.3 µs a cell took to write. A version of xlsxwriter without them is
    written through the public calls.
    """
    text = getattr(ws, "_write_string", ws.write_string)
    number = getattr(ws, "_write_number", ws.write_number)
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):
            text(row + i, col, value, fmt)
        else:
            number(row + i, col, value, fmt)


def _cell(ws, row: int, first: int, last: int, value, fmt) -> None:
    """A value in one cell, or across cells `first` to `last` of a row merged into one (empty: a blank)."""
    if first < last:
        ws.merge_range(row, first, row, last, "" if value is None else value, fmt)
    elif value is None:
        ws.write_blank(row, first, None, fmt)
    else:
        ws.write(row, first, value, fmt)


def _heights(ws, row: int, heights) -> None:
    """Give rows from `row` down these heights (one call per row that is taller than one line)."""
    single = float(style.text_height(1))
    for i in np.flatnonzero(np.asarray(heights) > single):
        ws.set_row(row + int(i), float(heights[i]))


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31]


def write_year(
    view, folder: Path, pool: Executor | None = None, done: Callable[[], object] | None = None
) -> list[Path]:
    """The run's writer of `tong-hop-<year>.xlsx` and of one workbook per district (`outputs.OUTPUTS`)."""
    run = view.run
    return write(
        view.presented,
        run.listed,
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
        area=view.area,
        counts=view.tiers,
    )
