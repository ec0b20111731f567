"""The per-commune sheets (phiếu thẩm định): `phieu-tham-dinh-<year>.docx`, one page or two per commune.

Every indicator of the commune's tier with its figures, threshold, result and the cell it came
from, why an undecided one is undecided, the legal bases, room for the officer's remarks, a date
line and the signatures; every page names its commune.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.catalog import Columns, Criteria, LegalBasis, load_columns
from pipeline.parse import file_names
from pipeline.presenting.findings import (
    Finding,
    Meta,
    findings,
    indicator_meta,
    label_of,
    missing_reason,
    threshold_shown,
    whole,
)
from pipeline.presenting.messages import sayer
from pipeline.presenting.papers import (
    FAILED,
    NOT_MET,
    UNDECIDED,
    WORDS,
    Terms,
    formal_name,
    place_date,
    plain,
    sector_indicators,
    shown_code,
)
from pipeline.presenting.summary import percent
from pipeline.presenting.view import YearView, ordered
from pipeline.presenting.words import DISTRICTS, citation, words_for
from pipeline.roles import ROLES
from pipeline.settings import Settings
from pipeline.writing.docx_xml import (
    HEAD_SHADE,
    Cell,
    P,
    Row,
    document,
    gap,
    grid,
    packed,
    para,
    run_xml,
    save,
)

RULED = 3  # lines for the officer's remarks


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
    found: dict[Any, Finding] | None = None,
    area: str = DISTRICTS,
) -> Path:
    """Write one sheet per commune (phiếu thẩm định) to `path`; each commune starts on a new page.

    `letters`: the column letter of each column key per file and sheet (`tep, trang, cot, chu`,
    `Batch.letters`), to name the cell each figure came from; `problems`, `columns`: to say why
    an indicator is not assessable (as the report does), unless `found` (`findings`) says it already.
    """
    sheets = Sheets(year, result, criteria, letters, settings, problems, columns, found, area)
    return _one_file(sheets, path, sheets.pages())


def _one_file(sheets: Sheets, path: Path, pages: list[list[str]]) -> Path:
    """Every commune's sheet (`Sheets.pages`) in one document, each from a new page."""
    body = [block for n, page in enumerate(pages) for block in (page if n == 0 else sheets.turned(page))]
    if not body:
        para(body, f"Không có xã nào được thẩm định năm {sheets.year}.")
    save(sheets.blank, body, path)
    return Path(path)


def _file_each(sheets: Sheets, folder: Path, pages: list[list[str]]) -> list[Path]:
    """Each commune's sheet (`Sheets.pages`) in a file of its own, to send back to it:
    `<folder>/<ma_xa>-<name>.docx` (a name made safe and unique by `parse.file_names`; a commune with no valid
    code is named after its file's row)."""
    rows = list(sheets.communes())
    labels = [f"{shown_code(row.code) or 'khong-ma'} {plain(row.name) or row.tep_xa}" for _, row in rows]
    names = file_names(labels)
    written = []
    for page, name in zip(pages, labels, strict=True):
        path = folder / f"{names[name]}.docx"
        save(sheets.blank, page, path)
        written.append(path)
    return written


class Sheets:
    """What every commune's sheet of a year shares, worked out once: the document's frame, the figures by
    commune, the cells they came from, what each commune lacks, the legal bases of each tier."""

    def __init__(self, year, result, criteria: Criteria, letters, settings, problems, columns, found, area) -> None:
        self.year, self.criteria, self.area = year, criteria, area  # area: what the communes' `ROLES.area` holds
        self.settings = settings or Settings()
        if problems is None:
            problems = pd.DataFrame(columns=["tep", "trang", "o", ROLES.code, "ma_loi"])
        self.rows = ordered(result.communes)
        self.meta = indicator_meta(criteria.indicators)
        self.found = found or findings(
            self.rows, result.results, criteria, problems, sayer("vi", columns or load_columns(), criteria.tiers)
        )
        self.blank = packed(document(margins=(12, 12, 20, 12), size=12))
        columns_ = (letters[k].tolist() for k in ("tep", "trang", "cot", "chu"))  # lists: iterating a frame is slow
        self.letter = {(t, s, c): ch for t, s, c, ch in zip(*columns_, strict=True)}
        self.by_commune: dict[tuple, list] = {}
        commune = attrgetter(ROLES.code, ROLES.year)
        for r in result.results.itertuples(index=False):  # plain tuples: no frame per commune
            self.by_commune.setdefault(commune(r), []).append(r)
        self.homes: dict[tuple, dict[str, list[int]]] = {}
        villages = result.villages
        for (code, nam, tep), lines in (
            villages.groupby([ROLES.code, ROLES.year, "_tep"], sort=False)["_dong"] if len(villages) else ()
        ):
            self.homes.setdefault((code, nam), {})[tep] = sorted(int(x) for x in lines)
        self.labels = criteria.tiers["label"].to_dict()
        self.bases: dict[str, list[str]] = {}  # the legal bases line of each tier: most sheets share one
        self.place = place_date(self.settings, year)

    def communes(self):
        """(row label, row) of each commune, in the view's order; the row names its roles (`row.code` …)."""
        return zip(self.rows.index, ROLES.by_role(self.rows).itertuples(index=False), strict=True)

    def pages(self) -> list[list[str]]:
        """Each commune's sheet (`page`), in the view's order."""
        return [self.page(label, row) for label, row in self.communes()]

    def page(self, label, row) -> list[str]:
        """One commune's sheet, as the document's blocks (`turned`: the same, starting on a page of its own)."""
        page = [self.opening(new_page=False)]
        settings, year = self.settings, self.year
        para(page, f"PHIẾU THẨM ĐỊNH {sector_indicators(self.criteria).upper()}", bold=True, align="center", before=4)
        tier = self.labels.get(row.tier, "")
        para(page, Terms.spelled(f"Xã đăng ký đạt chuẩn {tier} năm {year}" if tier else f"Năm {year}"), align="center")
        _identity(page, row, year, tier, words_for("vi", self.area)["district"])
        key = (row.code, row.year)
        mine = self.by_commune.get(key, [])
        _indicator_table(page, row, mine, self.meta, self.letter, self.homes.get(key, {}), self.found[label])
        if row.tier not in self.bases:
            self.bases[row.tier] = []
            bases = (*self.criteria.bases_of([row.tier]), *settings.can_cu)
            _bases_note(self.bases[row.tier], bases)
        page += self.bases[row.tier]
        _remarks(page, row, self.place)
        return page

    def turned(self, page: list[str]) -> list[str]:
        """A sheet (`page`) that starts on a new page: after another commune's, in one document."""
        return [self.opening(new_page=True), *page[1:]]

    def opening(self, new_page: bool) -> str:
        """The sheet's first block, the department's name: the same on every commune's sheet."""
        block: list[str] = []
        agency = self.settings.shown("co_quan_ban_hanh").upper()
        para(block, agency, bold=True, size=11, align="left", page_break=new_page)
        return block[0]


def _identity(page: list[str], row, year: int, tier: str, area: str) -> None:
    widths = (30, 59, 32, 57)
    counted = ""
    if pd.notna(row.so_chi_tieu) and pd.notna(row.so_chi_tieu_dat):
        counted = f" ({int(row.so_chi_tieu_dat)}/{int(row.so_chi_tieu)} chỉ tiêu đạt)"
    district = plain(row.area)
    pairs = (
        ("Mã xã:", shown_code(row.code), "Năm đánh giá:", str(year)),
        ("Tên xã:", plain(row.name), "Hạng đăng ký:", tier or "(chưa ghi đúng)"),
        (f"{area}:" if district else "", district, "Kết quả chung:", WORDS.get(row.ket_qua, "") + counted),
    )
    rows = [Row([Cell(v, bold=i % 2 == 0) for i, v in enumerate(values)]) for values in pairs]
    grid(page, widths, rows, size=11, borders="none")
    gap(page, 4)  # two tables that touch are one table to Word and LibreOffice: the sheet's header would not repeat


def _indicator_table(
    page: list[str], row, mine: list, ind: dict[str, Meta], letter: dict, home: dict, found: Finding
) -> None:
    """`mine`: the commune's result rows (tuples); `found`: what it lacks (why an indicator is undecided).
    The caption naming the commune and its code repeats at the top of every page the table runs onto, and
    the last rows stay with the closing block, so no page of the sheet is without the commune's name."""
    source = row.tep_xa if isinstance(row.tep_xa, str) and row.tep_xa else "(không có tệp)"
    if isinstance(row.tep_xa, str) and pd.notna(row.dong_xa):
        source += f", trang Xa, dòng {int(row.dong_xa)}"
    code = shown_code(row.code) or "(trống)"
    title = f"{formal_name(row.name)} – mã {code} – năm {row.year} – tệp số liệu: {source}"
    rows = [
        Row([Cell(title, bold=True, span=len(SHEET_WIDTHS))], header=True),
        Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in SHEET_COLUMNS], header=True),
    ]
    for r in mine if found.sent else ():  # a commune that sent nothing has no figure to show
        kind = ind[r.chi_tieu].kind
        numerator = "" if kind.shown in ("flag", "year") else whole(r.tu_so)
        denominator = "" if kind.shown in ("flag", "year") else whole(r.mau_so)
        wording: str | list = label_of(ind, r.chi_tieu)
        if r.ket_qua == UNDECIDED:
            reason = found.why.get(r.chi_tieu) or missing_reason(r)
            wording = [P(label_of(ind, r.chi_tieu)), P(f"? Chưa đánh giá được vì {reason}.", italic=True)]
        values = (
            r.chi_tieu,
            wording,
            numerator,
            denominator,
            _value(kind.shown, r),
            threshold_shown(ind, r),
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
    grid(page, SHEET_WIDTHS, rows, size=SHEET_SIZE, margin=1, keep_last=2)


def _bases_note(page: list[str], bases: tuple[LegalBasis, ...]) -> None:
    """The legal bases of the commune's tier, in one line: what the sheet appraises against."""
    if not bases:
        return
    head = run_xml("Căn cứ: ", italic=True, bold=True, size=9)
    text = "; ".join(citation(b, title=False) for b in bases)
    para(page, runs=head + run_xml(text + ".", italic=True, size=9), before=3, keep=True)


def _remarks(page: list[str], row, place: str) -> None:
    """A box for the officer's remarks naming the commune, with dotted lines to write on, then the date line and
    the signatures: kept together, and with the table's last rows (a page of signatures alone names no one)."""
    width = sum(SHEET_WIDTHS)
    gap(page, 6, keep=True)
    code = shown_code(row.code)
    whose = formal_name(row.name) + (f", mã {code}" if code else "")
    rows = [Row([Cell(f"Ý kiến của cán bộ thẩm định về hồ sơ {whose}:", bold=True)])]
    rows += [Row([Cell("")], height=7) for _ in range(RULED)]
    grid(page, (width,), rows, size=11, borders="ruled", keep=True, keep_last=1)
    gap(page, 2, keep=True)
    signs = [
        Cell([P(title, bold=True, align="center"), P("(Ký, ghi rõ họ tên)", italic=True, align="center")])
        for title in ("CÁN BỘ THẨM ĐỊNH", "LÃNH ĐẠO ĐƠN VỊ")
    ]
    date = Row([Cell(""), Cell([P(place, italic=True, align="center", before=6)])])
    grid(page, (width / 2, width / 2), [date, Row(signs)], size=11, borders="none", keep=True)


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
    return f"{whole(r.tu_so)} thôn" if pd.notna(r.tu_so) else ""


def _of_view(view: YearView) -> Sheets:
    run = view.run
    return Sheets(
        view.year,
        view.presented,
        view.criteria,
        run.letters,
        run.settings,
        run.problems,
        run.columns,
        view.findings,
        view.area,
    )


def write_year(view: YearView, folder: Path, pool=None, done=None) -> list[Path]:
    """The run's writer of the per-commune sheets (`outputs.OUTPUTS`): all the year's in one file,
    `phieu-tham-dinh-<year>.docx` (`view.sheets`), and each commune's in a file of its own to send back,
    `xa/<ma_xa>-<name>.docx` (`view.commune_files`). One writer makes each sheet once for both files: two
    writers made each twice, and the view was sent to two workers (a fifth of a province's write stage)."""
    sheets = _of_view(view)
    pages = sheets.pages()
    written = [_one_file(sheets, folder / f"phieu-tham-dinh-{view.year}.docx", pages)] if view.sheets else []
    return written + (_file_each(sheets, folder / "xa", pages) if view.commune_files else [])
