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

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from docx.shared import Mm, Pt

from pipeline.catalog import Columns, Criteria, load_columns
from pipeline.presenting import summary
from pipeline.presenting.findings import (
    findings,
)
from pipeline.presenting.messages import sayer
from pipeline.presenting.papers import (
    DOTS,
    MET,
    UNDECIDED,
    WORDS,
    Terms,
    basis_line,
    commune_with_area,
    formal_name,
    place_date,
    plain,
    sector_indicators,
)
from pipeline.presenting.view import ordered
from pipeline.presenting.words import DISTRICTS, count, long_date, words_for
from pipeline.roles import ROLES
from pipeline.settings import PLACEHOLDER, Settings
from pipeline.writing.docx_xml import (
    HEAD_SHADE,
    Cell,
    P,
    Row,
    document,
    grid,
    heading,
    packed,
    page_numbers,
    para,
    rule,
    run_xml,
    save,
)

if TYPE_CHECKING:  # the view imports the writers' helpers: named for the annotations only
    from pipeline.presenting.view import YearView

BODY, SMALL, TABLE, RECIPIENTS = 14, 13, 12, 11  # point sizes (Nghị định 30/2020/NĐ-CP, Phụ lục I)
HEADER, HEADER_LEFT = 12, 70  # the header's bodies and national title (12-13 pt), and its left column in mm


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
    found: dict | None = None,
    counts: pd.DataFrame | None = None,
    area: str = DISTRICTS,
) -> Path:
    """Write the appraisal report of one year's `result` (an `Assessment`) to `path`.

    `settings`: the department's settings (None: every setting a dotted placeholder);
    `problems`: the run's problem rows (for what blocked a commune); `previous`: last
    year's commune rows (`previous_results`, or the same run's frame) for the year-over-year
    section; `undated`: how many commune rows of the run have no year (the report is a draft
    while there are any); `columns`: the column catalog, whose labels name what a commune
    must fix (default: the shipped one); `sheets`: whether the per-commune sheets go with it;
    `unread`: why last year's results could not be compared (`LastYear.unread`): the
    year-over-year section then says that the comparison could not be made; `found`: what each
    commune lacks (`findings`), and `counts` the counts per tier (`summary.per_tier`), when the caller
    has them already (the year's view); `area`: the communes' area column (`ROLES.area`) holds their district, or
    with `words.PROVINCES` their province (`words.AREAS`).
    """
    settings = settings or Settings()
    problems = problems if problems is not None else pd.DataFrame(columns=["tep", "trang", "o", ROLES.code, "ma_loi"])
    communes = ordered(result.communes)
    found = found or findings(
        communes, result.results, criteria, problems, sayer("vi", columns or load_columns(), criteria.tiers)
    )
    counts = counts if counts is not None else summary.per_tier(communes, criteria)
    doc = document(margins=(20, 20, 30, 15), size=BODY)
    page_numbers(doc)
    draft = _Draft(year, communes, criteria, settings, found, undated)
    draft.area = area
    doc.core_properties.title = draft.subject
    doc.core_properties.author = settings.co_quan_ban_hanh or ""
    draft.opening()
    draft.results(counts)
    if previous is not None or unread:
        draft.heading(f"SO VỚI NĂM {year - 1}")
        for line in _year_over_year(communes, previous, criteria, year, found, unread):
            draft.line(line)
    draft.heading("KIẾN NGHỊ")
    for line, level in _recommendations(communes, found, draft.labels, sheets, draft.sector):
        para(draft.body, draft.terms(line), indent=level == 0, left=10 * level, after=3)
    draft.ending(sheets)
    _appendix(draft.body, communes, result.results, criteria, draft.tiers, settings, year, draft.terms)
    save(packed(doc), draft.body, path)
    return Path(path)


class _Draft:
    """The report as it is written, section by section: what the sections share, and the blocks written."""

    WIDTH = 165  # mm between the margins

    def __init__(self, year, communes: pd.DataFrame, criteria: Criteria, settings: Settings, found, undated: int):
        self.year, self.communes, self.criteria, self.settings, self.found = year, communes, criteria, settings, found
        self.body: list[str] = []  # the blocks, written into the document at the end (`save`)
        self.terms = Terms(criteria)
        self.sector = sector_indicators(criteria, short=True)  # "các chỉ tiêu ngành TT&TT"
        self.tiers = [t for t in criteria.tiers.index if (communes[ROLES.tier] == t).any()]
        self.labels = criteria.tiers["label"]
        self.subject = _subject(self.tiers, self.labels, year, sector_indicators(criteria), settings.ten_tinh)
        self.undecided = Counter(found[i].cause for i in communes.index[communes["ket_qua"] == UNDECIDED])
        self.undated = undated
        self.numerals = iter(("I", "II", "III", "IV"))
        self.area = DISTRICTS  # or PROVINCES: what the communes' area column (`ROLES.area`) holds

    @property
    def is_draft(self) -> bool:
        return bool(self.undecided or self.undated)

    def heading(self, text: str) -> None:
        heading(self.body, f"{next(self.numerals)}. {text}")

    def line(self, text: str) -> None:
        para(self.body, self.terms(text), indent=True, after=3)

    def opening(self) -> None:
        """The draft mark, the header of Nghị định 30, the subject and the legal bases."""
        body, year = self.body, self.year
        if self.is_draft:
            _draft_mark(body, self.WIDTH)
        _header(body, self.settings, year, self.WIDTH)
        para(body, "BÁO CÁO", bold=True, align="center", before=18)
        para(body, self.subject, bold=True, align="center")
        rule(body, 40, self.WIDTH)
        for basis in (*self.criteria.bases_of(self.tiers), *self.settings.can_cu):
            para(body, self.terms(basis_line(basis)), indent=True, italic=True, after=3)
        opening = f"Trên cơ sở hồ sơ, số liệu các xã gửi đến, kết quả thẩm định {self.sector} năm {year} như sau:"
        para(body, self.terms(opening), indent=True, after=6)

    def results(self, counts: pd.DataFrame) -> None:
        """The counts per tier (`counts`, the view's), whether it is a draft, and a table per tier."""
        communes, labels, tiers = self.communes, self.labels, self.tiers
        self.heading("KẾT QUẢ THẨM ĐỊNH")
        self.line(_overview(counts, tiers, labels, self.year, self.sector))
        for line in _count_lines(counts, labels):
            self.line(line)
        if self.is_draft:
            draft = _draft_line(self.undecided, len(communes), self.undated)
            para(self.body, draft, indent=True, italic=True, after=3)
        groups = [(t, f"Xã đăng ký đạt chuẩn {labels[t]}") for t in tiers]
        if (~communes[ROLES.tier].isin(self.criteria.tiers.index)).any():
            groups.append((None, "Hồ sơ chưa ghi đúng hạng đăng ký"))
        # the area's column ("Huyện", "Tỉnh"), where the communes have areas
        area = words_for("vi", self.area)["district"] if communes[ROLES.area].map(plain).ne("").any() else ""
        tally = {row.tier: row for row in ROLES.by_role(counts).itertuples()}
        for n, (tier, title) in enumerate(groups, 1):
            mine = communes[communes[ROLES.tier] == tier] if tier else communes[~communes[ROLES.tier].isin(tiers)]
            title = self.terms(f"{n}. {title} ({count(len(mine))} xã)")
            para(self.body, title, bold=True, indent=True, before=6, after=3, keep=True)
            _tier_table(self.body, mine, tally[tier or summary.NO_TIER], self.found, self.terms, area)

    def ending(self, sheets: bool) -> None:
        """The closing lines, the attachments, the recipients and the signature, kept together: a page of
        signatures alone would name nothing."""
        closing = f"Trên đây là báo cáo kết quả thẩm định {self.sector} năm {self.year}./."
        para(self.body, self.terms(closing), indent=True, before=6, keep=True)
        communes = len(self.communes)
        attached = "Phụ lục kết quả thẩm định từng chỉ tiêu" + (
            f"; {count(communes)} phiếu thẩm định của các xã" if sheets and communes else ""
        )
        para(self.body, f"(Kèm theo: {attached}.)", indent=True, italic=True, keep=True)
        _closing(self.body, self.settings, self.WIDTH)


def _subject(tiers: list[str], labels: pd.Series, year: int, indicators: str, province: str | None) -> str:
    """The subject line; "… trên địa bàn tỉnh Ninh Bình" when the settings name the department's province."""
    named = ", ".join(Terms.spelled(labels[t]) for t in tiers)
    registered = f"các xã đăng ký đạt chuẩn {named}" if named else "các xã đăng ký"
    where = f" trên địa bàn {province_phrase(province)}" if province else ""
    return f"Kết quả thẩm định {indicators} đối với {registered}{where} năm {year}"


def province_phrase(name: str) -> str:
    """ "tỉnh Ninh Bình", "thành phố Hà Nội": a province's name inside a sentence."""
    for kind in ("Thành phố ", "Tỉnh "):
        if name.startswith(kind):
            return kind.lower() + name[len(kind) :]
    return f"tỉnh {name}"


def _overview(counts: pd.DataFrame, tiers: list[str], labels: pd.Series, year: int, indicators: str) -> str:
    """ "Năm 2024, tổng số 17 xã …: 15 xã đăng ký đạt chuẩn NTM nâng cao, …", from the counts per tier (the view's)."""
    registered = counts.set_index(ROLES.tier)["dang_ky"]
    per = [f"{count(registered[t])} xã đăng ký đạt chuẩn {labels[t]}" for t in tiers]
    unknown = int(registered.drop(tiers, errors="ignore").sum())
    if unknown:
        per.append(f"{count(unknown)} hồ sơ chưa ghi đúng hạng đăng ký")
    total = f"Năm {year}, tổng số {count(registered.sum())} xã được thẩm định {indicators} trong Bộ tiêu chí NTM"
    return total + (": " + ", ".join(per) if per else "") + ". Kết quả:"


def _count_lines(table: pd.DataFrame, labels: pd.Series) -> list[str]:
    """ "- NTM nâng cao: 14/15 xã đạt, 01 xã chưa đánh giá được." for each tier of the counts (`summary.per_tier`,
    the view's); every commune counts, one with no valid tier on a line of its own."""
    lines = []
    for row in ROLES.by_role(table).itertuples():
        head = f"Xã đăng ký đạt chuẩn {labels[row.tier]}" if row.tier in labels.index else ""
        lines.append(f"- {head or 'Hồ sơ chưa ghi đúng hạng đăng ký'}: {_counts(row)}.")
    return lines


def _counts(row) -> str:
    """ "14/15 xã đạt, 01 xã chưa đánh giá được", from a row of the counts."""
    pairs = ((row.khong_dat, "không đạt"), (row.khong_danh_gia_duoc, "chưa đánh giá được"))
    return f"{row.ti_so} xã đạt" + "".join(f", {count(n)} xã {word}" for n, word in pairs if n)


def _draft_mark(body: list[str], width: float) -> None:
    """ "DỰ THẢO" in a box at the top right, as a draft is marked until it is signed."""
    box = "".join(
        f'<w:{side} w:val="single" w:sz="8" w:space="2" w:color="auto"/>' for side in ("top", "left", "bottom", "right")
    )
    ppr = f'<w:pBdr>{box}</w:pBdr><w:spacing w:before="0" w:after="{Pt(6).twips}"/>'
    ppr += f'<w:ind w:left="{Mm(width - 32).twips}"/><w:jc w:val="center"/>'
    body.append(f"<w:p><w:pPr>{ppr}</w:pPr>{run_xml('DỰ THẢO', bold=True, size=SMALL)}</w:p>")


def _draft_line(undecided: Counter, total: int, undated: int) -> str:
    """Why the report is still a draft, in one line: how many communes are undecided, and why."""
    parts = [f"{count(n)} xã {cause}" for cause, n in undecided.most_common()]
    if undated:
        parts.append(f"{count(undated)} hồ sơ chưa ghi năm đánh giá nên chưa xếp được vào năm nào")
    n = sum(undecided.values())
    head = f"còn {count(n)}/{count(total)} xã chưa đánh giá được" if n else "còn hồ sơ chưa đánh giá được"
    return f"Báo cáo này là dự thảo: {head} ({'; '.join(parts)})."


def _tier_table(body: list[str], mine: pd.DataFrame, tally, found: dict, terms: Terms, area: str) -> None:
    """STT, commune, its area (`area`: the column's heading, "" where the communes have none), result,
    indicators not met or not assessable."""
    widths: tuple[float, ...] = (13, 35, 37, 24, 56) if area else (13, 50, 24, 78)
    head = ("STT", "Tên xã", *((area,) if area else ()), "Kết quả", "Chỉ tiêu chưa đạt, chưa đánh giá được")
    rows = [Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in head], header=True)]
    # only the columns used: pandas hands out text cells one at a time, slow over all the communes' columns
    for n, row in enumerate(ROLES.by_role(mine[[ROLES.name, ROLES.area, "ket_qua"]]).itertuples(), 1):
        lines = [terms(line) for line in found[row.Index].short]
        where = (plain(row.area),) if area else ()
        values: tuple[str | list, ...] = (f"{n}", formal_name(row.name), *where, WORDS.get(row.ket_qua, ""), lines)
        rows.append(Row([Cell(v, align="center" if i == 0 else None) for i, v in enumerate(values)]))
    rows.append(Row([Cell(f"Cộng: {count(len(mine))} xã; {_counts(tally)}.", bold=True, span=len(widths))]))
    grid(body, widths, rows, size=TABLE)
    para(body, "", after=3)


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
    for row in ROLES.by_role(lost).itertuples(index=False):
        now_text = (
            f"năm {year} đạt chuẩn {labels[row.hang_cao_nhat_dat]}"
            if row.hang_cao_nhat_dat in labels.index
            else f"năm {year} {WORDS.get(row.ket_qua, '').lower()}"
        )
        shortfalls = found[row.row_label].short
        why = f" ({'; '.join(shortfalls)})" if shortfalls and len(shortfalls) <= 3 else ""
        lines.append(
            f"- {commune_with_area(row.name, row.area)}: năm {year - 1} đạt chuẩn "
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
    for row in ROLES.by_role(lacking[[ROLES.name, ROLES.area, ROLES.tier]]).itertuples():  # only these: `_tier_table`
        registered = f", đăng ký đạt chuẩn {labels[row.tier]}" if row.tier in labels.index else ""
        out.append((f"- {commune_with_area(row.name, row.area)}{registered}:", 1))
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
    para(body, "", after=6, keep=True)
    recipients = list(settings.noi_nhan) or [PLACEHOLDER, "Lưu: VT"]
    lines = [P("Nơi nhận:", bold=True, italic=True, size=12)]
    for n, line in enumerate(recipients):
        end = "." if n == len(recipients) - 1 else ";"
        lines.append(P(f"- {line.rstrip(' ;.')}{end}", size=RECIPIENTS))
    titles = [settings.quyen_han, settings.chuc_vu or PLACEHOLDER]
    sign = [P(t.upper(), bold=True, align="center") for t in titles if t]
    sign += [P(align="center")] * 4 + [P(settings.shown("nguoi_ky"), bold=True, align="center")]
    grid(body, (left, right), [Row([Cell(lines), Cell(sign)])], size=BODY, borders="none", keep=True)


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
    place = P(place_date(settings, year), italic=True, size=BODY, align="center")
    rows = [Row([Cell(bodies), Cell(nation)]), Row([Cell([number]), Cell([place])])]
    grid(body, (left, right), rows, size=BODY, borders="none")


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
    para(body, "PHỤ LỤC", bold=True, align="center", page_break=True)
    para(body, "KẾT QUẢ THẨM ĐỊNH TỪNG CHỈ TIÊU THEO HẠNG ĐĂNG KÝ", bold=True, align="center")
    when = long_date(settings.ngay) if settings.ngay else f"ngày {DOTS} tháng {DOTS} năm {year}"
    number = f"{settings.so or DOTS}/{settings.ky_hieu or DOTS}"
    para(body, f"(Kèm theo Báo cáo số {number} {when})", italic=True, align="center", after=6)
    labels = criteria.tiers["label"]
    registered = communes[ROLES.tier].value_counts()
    met = results[results["ket_qua"] == MET].groupby(["hang", "chi_tieu"]).size()
    indicators = criteria.indicators_of(max(tiers, key=lambda t: criteria.tiers.at[t, "rank"]))
    share = min(30, 75 / len(tiers))  # mm per tier, out of 165
    widths = (19, 146 - share * len(tiers), *(share,) * len(tiers))  # "KM.1.a" on one line
    head = ["Mã", "Chỉ tiêu", *(f"{labels[t]} ({count(registered[t])} xã)" for t in tiers)]
    rows = [Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in head], header=True)]
    assessed = {t: set(criteria.indicators_of(t).index) for t in tiers}  # once a tier, not once an indicator
    for key, label in indicators["label"].items():
        cells = [f"{count(met.get((t, key), 0))}/{count(registered[t])}" if key in assessed[t] else "–" for t in tiers]
        rows.append(
            Row([Cell(key, align="center"), Cell(terms(str(label))), *(Cell(c, align="center") for c in cells)])
        )
    grid(body, widths, rows, size=TABLE)
    para(
        body,
        "Ghi chú: mỗi ô ghi số xã đạt chỉ tiêu/số xã đăng ký hạng đó; xã chưa đánh giá được chỉ tiêu, kể cả xã "
        "chưa nộp hồ sơ, không tính là đạt; “–”: chỉ tiêu không thuộc hạng.",
        italic=True,
        size=TABLE,
        before=3,
    )


def read(view: YearView) -> YearView:
    """The view as `write_year` reads it, sent to a worker (`outputs.Output.sends`): not the letters of the cells,
    the files read, the villages, nor the result as the CSVs read it (at the nation, 18.9 MB to pickle in the main
    process and unpickle in the worker; 6 MB without)."""
    run, presented = view.run, view.presented
    assert presented is not None  # `YearView.__post_init__`
    bare = replace(presented, villages=presented.villages.iloc[:0])
    papers = replace(run, letters=run.letters.iloc[:0], sources=run.sources.iloc[:0])
    return replace(view, run=papers, result=bare, presented=bare)


def write_year(view: YearView, folder: Path, pool=None, done=None) -> list[Path]:
    """The run's writer of `bao-cao-tham-dinh-<year>.docx` (`outputs.OUTPUTS`)."""
    path = folder / f"bao-cao-tham-dinh-{view.year}.docx"
    run, last = view.run, view.previous
    write_report(
        path,
        view.year,
        view.presented,
        view.criteria,
        run.settings,
        run.problems,
        last.communes,
        undated=run.undated,
        columns=run.columns,
        sheets=view.sheets,
        unread=last.unread,
        found=view.findings,
        counts=view.tiers,
        area=view.area,
    )
    return [path]
