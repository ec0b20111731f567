"""The documents a department signs: the appraisal report and the per-commune sheets (Word, python-docx).

- `write_report`: `bao-cao-tham-dinh-<year>.docx`, an administrative document in the
  layout of Nghị định 30/2020/NĐ-CP (header in two columns, subject, legal bases,
  results, a table per tier, recommendations, year over year, recipients, signature).
- `write_sheets`: `phieu-tham-dinh-<year>.docx`, one sheet per commune (each starts on
  a new page): every indicator of its tier with its figures, threshold, result and the
  cell it came from, and room for the officer's remarks.
- `previous_results`: last year's `xa-<year>.csv` from the output folder (even as Excel
  saved it again), for the year-over-year section, or why it could not be read.

Everything cited comes from the catalog (`Criteria.legal_bases`) or the department's
settings (`Settings.can_cu`); an absent setting prints as a dotted placeholder. Pure
functions of the frames a run already has; each file is written completely or not at all.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
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
from pipeline.catalog import CERTAINTY, Criteria, LegalBasis
from pipeline.csv_out import FORMULA_START
from pipeline.files import replace_atomically
from pipeline.kinds import KINDS, Kind, threshold_text
from pipeline.parse import parse_code
from pipeline.problems import ERROR, problem
from pipeline.settings import PLACEHOLDER, Settings
from pipeline.summary import percent
from pipeline.validate import UNKNOWN_CODE, is_stand_in

FONT = "Times New Roman"
BODY, SMALL, TABLE, RECIPIENTS = 14, 13, 12, 11  # point sizes (Nghị định 30/2020/NĐ-CP, Phụ lục I)
DOTS = "……"  # a short blank for the officer (day, month, number)

# Result codes of the CSV contract, as the documents print them.
WORDS = {
    "dat": "Đạt",
    "khong_dat": "Không đạt",
    "khong_danh_gia_duoc": "Chưa đánh giá được",
    "khong_ap_dung": "Không áp dụng",
}
MET, NOT_MET, UNDECIDED = "dat", "khong_dat", "khong_danh_gia_duoc"

# Abbreviations spelled out at their first use in a document: "nông thôn mới (NTM)".
TERMS = {
    "NTM": "nông thôn mới",
    "TT&TT": "thông tin và truyền thông",
    "DVCTT": "dịch vụ công trực tuyến",
    "TTHC": "thủ tục hành chính",
    "CBCC": "cán bộ, công chức",
    "CNTT": "công nghệ thông tin",
    "TMĐT": "thương mại điện tử",
    "SXKD": "sản xuất, kinh doanh",
    "ATTT": "an toàn thông tin",
}
_TERM = {k: re.compile(rf"(?<![\w&]){re.escape(k)}(?![\w&])") for k in TERMS}
_ANY_TERM = re.compile(rf"(?<![\w&])(?:{'|'.join(map(re.escape, TERMS))})(?![\w&])")

# Problems that concern every commune of their file, though they are reported once (on its first row).
_FILE_WIDE = ("thieu-cot-chi-tieu", "thieu-trang-thon")
RULED = 3  # lines for the officer's remarks
_MANY = 5  # more undecided indicators than this, with no cell to blame, are named in one line


class Terms:
    """Spells out each abbreviation at its first use in one document, then keeps it short."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, text: str) -> str:
        new = set(_ANY_TERM.findall(text)) - self.used  # one search for all: a report has thousands of lines
        for short, pattern in _TERM.items():
            if short in new:
                text = pattern.sub(f"{TERMS[short]} ({short})", text, count=1)
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
    note: str = "",
    unread: str = "",
) -> Path:
    """Write the appraisal report of one year's `result` (an `Assessment`) to `path`.

    `settings`: the department's settings (None: every setting a dotted placeholder);
    `problems`: the run's problem rows (for what blocked a commune); `previous`: last
    year's commune rows (`previous_results`, or the same run's frame) for the year-over-year
    section; `note`: a line the run adds (for example the communes whose year is unknown);
    `unread`: why last year's results, which exist, could not be read (`LastYear.unread`):
    the year-over-year section then says that the comparison could not be made.
    """
    settings = settings or Settings()
    problems = problems if problems is not None else pd.DataFrame(columns=["tep", "trang", "o", "ma_xa", "ma_loi"])
    communes = _ordered(result.communes)
    results = result.results
    terms = Terms()
    doc = _document(margins=(20, 20, 30, 15), size=BODY)
    _page_numbers(doc)
    body: list[str] = []  # the blocks, written into the document at the end (`_save`)
    width = 165  # mm between the margins
    tiers = [t for t in criteria.tiers.index if (communes["hang_dang_ky"] == t).any()]
    labels = criteria.tiers["label"]

    _header(body, settings, year, width)
    subject = _subject(tiers, labels, year)
    doc.core_properties.title = subject
    doc.core_properties.author = settings.co_quan_ban_hanh or ""
    _para(body, "BÁO CÁO", bold=True, align="center", before=18)
    _para(body, subject, bold=True, align="center")
    _rule(body, 40, width)

    for basis in (*criteria.bases_of(tiers), *settings.can_cu):
        _para(body, terms(basis_line(basis)), indent=True, italic=True, after=3)
    _para(
        body,
        terms(
            f"Trên cơ sở hồ sơ, số liệu các xã gửi đến, kết quả thẩm định các chỉ tiêu ngành TT&TT năm {year} như sau:"
        ),
        indent=True,
        after=6,
    )

    numerals = iter(("I", "II", "III", "IV"))
    _heading(body, f"{next(numerals)}. KẾT QUẢ THẨM ĐỊNH")
    _para(body, terms(_overview(communes, tiers, labels, year)), indent=True, after=3)
    for line in _count_lines(communes, tiers, labels):
        _para(body, terms(line), indent=True, after=3)
    if note:
        _para(body, terms(note), indent=True, italic=True, after=3)
    found = _findings(communes, results, criteria, problems)
    groups = [(t, f"Xã đăng ký đạt chuẩn {labels[t]}") for t in tiers]
    if (~communes["hang_dang_ky"].isin(criteria.tiers.index)).any():
        groups.append((None, "Hồ sơ chưa ghi đúng mức đạt chuẩn đăng ký"))
    for n, (tier, title) in enumerate(groups, 1):
        mine = communes[communes["hang_dang_ky"] == tier] if tier else communes[~communes["hang_dang_ky"].isin(tiers)]
        _para(body, terms(f"{n}. {title} ({len(mine):02d} xã)"), bold=True, indent=True, before=6, after=3, keep=True)
        _tier_table(body, mine, found, terms)

    if previous is not None or unread:
        _heading(body, f"{next(numerals)}. SO VỚI NĂM {year - 1}")
        for line in _year_over_year(communes, previous, criteria, year, found, unread):
            _para(body, terms(line), indent=True, after=3)

    _heading(body, f"{next(numerals)}. KIẾN NGHỊ")
    for line, level in _recommendations(communes, found, labels):
        _para(body, terms(line), indent=level == 0, left=10 * level, after=3)

    _para(
        body,
        terms(f"Trên đây là báo cáo kết quả thẩm định các chỉ tiêu ngành TT&TT năm {year}./."),
        indent=True,
        before=6,
    )
    _closing(body, settings, width)
    _save(doc, body, path)
    return Path(path)


def basis_line(basis: LegalBasis) -> str:
    """ "Căn cứ Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ ban hành …;" """
    parts = [f"Căn cứ {basis.kind} số {basis.number}"]
    if basis.date:
        parts.append(f"ngày {_short_date(basis.date)}")
    if basis.issuer:
        parts.append(f"của {basis.issuer}")
    if basis.title:
        parts.append(basis.title)
    return " ".join(parts) + ";"


def _subject(tiers: list[str], labels: pd.Series, year: int) -> str:
    named = ", ".join(Terms.spelled(labels[t]) for t in tiers)
    registered = f"các xã đăng ký đạt chuẩn {named}" if named else "các xã đăng ký"
    return f"Kết quả thẩm định các chỉ tiêu ngành thông tin và truyền thông đối với {registered} năm {year}"


def _overview(communes: pd.DataFrame, tiers: list[str], labels: pd.Series, year: int) -> str:
    per = [f"{(communes['hang_dang_ky'] == t).sum():02d} xã đăng ký đạt chuẩn {labels[t]}" for t in tiers]
    unknown = int((~communes["hang_dang_ky"].isin(tiers)).sum())
    if unknown:
        per.append(f"{unknown:02d} hồ sơ chưa ghi đúng mức đạt chuẩn đăng ký")
    total = f"Năm {year}, tổng số {len(communes):02d} xã được thẩm định các chỉ tiêu ngành TT&TT trong Bộ tiêu chí NTM"
    return total + (": " + ", ".join(per) if per else "") + ". Kết quả:"


def _count_lines(communes: pd.DataFrame, tiers: list[str], labels: pd.Series) -> list[str]:
    """ "- NTM nâng cao: 14/15 xã đạt, 01 xã chưa đánh giá được." for each tier; every commune counts."""
    lines = []
    for tier in [*tiers, None]:
        mine = communes[communes["hang_dang_ky"] == tier] if tier else communes[~communes["hang_dang_ky"].isin(tiers)]
        if mine.empty:
            continue
        head = f"Xã đăng ký đạt chuẩn {labels[tier]}" if tier else "Hồ sơ chưa ghi đúng mức đạt chuẩn đăng ký"
        lines.append(f"- {head}: {_counts(mine)}.")
    return lines


def _counts(mine: pd.DataFrame) -> str:
    """ "14/15 xã đạt, 01 xã chưa đánh giá được" """
    n = mine["ket_qua"].value_counts()
    text = f"{n.get(MET, 0):02d}/{len(mine):02d} xã đạt"
    for code, word in ((NOT_MET, "không đạt"), (UNDECIDED, "chưa đánh giá được")):
        if n.get(code, 0):
            text += f", {n[code]:02d} xã {word}"
    return text


def _tier_table(body: list[str], mine: pd.DataFrame, found: dict, terms: Terms) -> None:
    widths = (13, 35, 37, 24, 56)
    head = ("STT", "Tên xã", "Huyện", "Kết quả", "Chỉ tiêu chưa đạt, chưa đánh giá được")
    rows = [Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in head], header=True)]
    # only the columns used: pandas hands out text cells one at a time, slow over all the communes' columns
    for n, row in enumerate(mine[["ten_xa", "huyen", "ket_qua"]].itertuples(), 1):
        lines = [terms(line) for line in found[row.Index]["short"]]
        values: tuple[str | list, ...] = (
            f"{n}",
            _name(row.ten_xa),
            _text(row.huyen),
            WORDS.get(row.ket_qua, ""),
            lines,
        )
        rows.append(Row([Cell(v, align="center" if i == 0 else None) for i, v in enumerate(values)]))
    rows.append(Row([Cell(f"Cộng: {len(mine):02d} xã; {_counts(mine)}.", bold=True, span=len(widths))]))
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
            f"Trong {both:02d} xã có kết quả cả năm {year - 1} và năm {year}, không có xã nào đã đạt chuẩn "
            f"năm {year - 1} mà năm {year} không còn đạt."
        ]
    lines = [
        f"Có {len(lost):02d} xã đã đạt chuẩn năm {year - 1} nhưng năm {year} không còn đạt chuẩn ở mức đó; "
        "Chương trình yêu cầu các xã đã đạt chuẩn duy trì, nâng cao chất lượng các tiêu chí đã đạt:"
    ]
    for row in lost.itertuples(index=False):
        now_text = (
            f"năm {year} đạt chuẩn {labels[row.hang_cao_nhat_dat]}"
            if row.hang_cao_nhat_dat in labels.index
            else f"năm {year} {WORDS.get(row.ket_qua, '').lower()}"
        )
        shortfalls = found[row.row_label]["short"]
        why = f" ({'; '.join(shortfalls)})" if shortfalls and len(shortfalls) <= 3 else ""
        lines.append(
            f"- {_name(row.ten_xa)} ({_text(row.huyen)}): năm {year - 1} đạt chuẩn "
            f"{labels[row.hang_cao_nhat_dat_truoc]}, {now_text}{why}."
        )
    return lines


def _recommendations(communes: pd.DataFrame, found: dict, labels: pd.Series) -> list[tuple[str, int]]:
    """(line, level): what each commune that did not meet its tier must fix, one line per indicator or problem."""
    lacking = communes[communes["ket_qua"] != MET]
    if lacking.empty:
        return [
            (
                "Các xã đăng ký đều đạt các chỉ tiêu ngành TT&TT của mức đạt chuẩn đăng ký. Đề nghị các xã tiếp tục "
                "duy trì và nâng cao chất lượng các chỉ tiêu đã đạt.",
                0,
            )
        ]
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
        out.append((f"- {_name(row.ten_xa)} ({_text(row.huyen)}){registered}:", 1))
        out += [(f"+ {line}", 2) for line in found[row.Index]["long"]]
    return out


def _closing(body: list[str], settings: Settings, width: int) -> None:
    """Recipients bottom left (11 pt), signature block bottom right."""
    left, right = 80, width - 80
    _para(body, "", after=6)
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
    """Nghị định 30/2020: issuing bodies and number left, national title, motto, place and date right."""
    left, right = 62, width - 62
    bodies = [
        P(settings.shown("co_quan_chu_quan").upper(), size=SMALL, align="center"),
        P(settings.shown("co_quan_ban_hanh").upper(), bold=True, size=SMALL, align="center"),
        P(rule=(22, left)),
    ]
    nation = [
        P("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=SMALL, align="center"),
        P("Độc lập - Tự do - Hạnh phúc", bold=True, size=BODY, align="center"),
        P(rule=(62, right)),
    ]
    number = P(f"Số: {settings.so or DOTS}/{settings.ky_hieu or DOTS}", size=SMALL, align="center")
    when = settings.ngay
    date = (
        f"ngày {when.day:02d} tháng {_month(when.month)} năm {when.year}"
        if when
        else f"ngày {DOTS} tháng {DOTS} năm {year}"
    )
    place = P(f"{settings.shown('dia_danh')}, {date}", italic=True, size=BODY, align="center")
    rows = [Row([Cell(bodies), Cell(nation)]), Row([Cell([number]), Cell([place])])]
    _grid(body, (left, right), rows, size=BODY, borders="none")


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


def _findings(communes: pd.DataFrame, results: pd.DataFrame, criteria: Criteria, problems: pd.DataFrame) -> dict:
    """Per commune (its row label): `short` lines for the tier table, `long` lines for the recommendations."""
    ind = _meta(criteria.indicators)
    rows = results[results["ket_qua"].isin([NOT_MET, UNDECIDED])]
    by_commune: dict[tuple, list] = {}
    for r in rows.itertuples(index=False):  # plain tuples: thousands of communes, no frame per commune
        by_commune.setdefault((r.ma_xa, r.nam), []).append(r)
    blamer = _Blame(problems)
    out = {}
    used = ["ma_xa", "nam", "ket_qua", "hang_dang_ky", "tep_xa", "dong_xa"]  # only these: see `_tier_table`
    for row in communes[used].itertuples():
        short: list[str] = []
        long: list[str] = []
        out[row.Index] = {"short": short, "long": long}
        if row.ket_qua == MET and row.hang_dang_ky in criteria.tiers.index:
            continue
        mine = by_commune.get((row.ma_xa, row.nam), [])
        blame = blamer.of(row)
        for r in (r for r in mine if r.ket_qua == NOT_MET):
            text = f"{r.chi_tieu} – {_label(ind, r.chi_tieu)}: {_shortfall(ind, r)}"
            short.append(text)
            long.append(f"Không đạt chỉ tiêu {text}.")
        undecided = [r for r in mine if r.ket_qua == UNDECIDED]
        unexplained = []
        for r in undecided:
            cells = [p for p in blame if r.chi_tieu in _ids(p["chi_tieu"])]
            if cells:
                long.append(f"Chưa đánh giá được chỉ tiêu {r.chi_tieu} – {_label(ind, r.chi_tieu)}: {_blamed(cells)}.")
            else:
                unexplained.append(r)
        general = [p for p in blame if not p["chi_tieu"]]
        if len(undecided) > _MANY and len(unexplained) > _MANY:
            ids = ", ".join(r.chi_tieu for r in unexplained)
            why = _blamed(general) if general else "thiếu số liệu"
            long.append(f"Chưa đánh giá được {len(unexplained):02d} chỉ tiêu ({ids}): {why}.")
            general = []
        else:
            for r in unexplained:
                long.append(f"Chưa đánh giá được chỉ tiêu {r.chi_tieu} – {_label(ind, r.chi_tieu)}: {_missing(r)}.")
        if general:
            long.append(f"Hồ sơ: {_blamed(general)}.")
        if len(undecided) > 3:
            short.append(
                f"Chưa đánh giá được {len(undecided):02d} chỉ tiêu: {', '.join(r.chi_tieu for r in undecided)}"
            )
        else:
            short += [f"{r.chi_tieu} – {_label(ind, r.chi_tieu)}: chưa đánh giá được" for r in undecided]
        if row.hang_dang_ky not in criteria.tiers.index:
            short.append("Chưa ghi đúng mức đạt chuẩn đăng ký")
            if not any(line.startswith("Hồ sơ") for line in long):
                long.append("Hồ sơ chưa ghi đúng mức đạt chuẩn đăng ký.")
        if row.ket_qua != MET and not long:
            long.append(f"Hồ sơ: {_blamed(blame)}." if blame else "Hồ sơ chưa đủ số liệu để đánh giá.")
        if row.ket_qua != MET and not short:
            short.append(str(blame[0]["mo_ta"]) if blame else "Chưa đủ số liệu để đánh giá")
    return out


class _Blame:
    """The problems that concern a commune: its cells on the Xa sheet (file and row), its villages and its
    code elsewhere, and the file-wide problems of its file. Errors; warnings only when there is no error."""

    def __init__(self, problems: pd.DataFrame) -> None:
        p = problems.reset_index(drop=True)
        for column in ("tep", "trang", "o", "ma_xa", "ma_loi", "chi_tieu", "muc_do", "mo_ta", "gia_tri"):
            p[column] = p[column].astype("string").fillna("") if column in p else ""
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


def _blamed(problems: list[dict], most: int = 6) -> str:
    """ "Ô để trống: Dân số … (tệp x.xlsx, ô Xa!N5); …" """
    parts = []
    for p in problems[:most]:
        tep, trang, o, typed = (_text(p.get(k, "")) for k in ("tep", "trang", "o", "gia_tri"))
        where = [f"tệp {tep}"] if tep else []
        if o:
            where.append(f"ô {trang}!{o}" if trang else f"ô {o}")
        seen = f" (đã ghi “{typed}”)" if typed else ""
        parts.append(f"{_text(p['mo_ta'])}{seen}" + (f" ({', '.join(where)})" if where else ""))
    if len(problems) > most:
        parts.append(f"và {len(problems) - most:02d} lỗi khác (xem loi-du-lieu.csv)")
    return "; ".join(parts)


def _shortfall(ind: dict[str, Meta], r) -> str:
    """How far a failing indicator is from its threshold: "70,5% < 80%", "Không", "0 thôn (cần ≥ 1 thôn)"."""
    kind = ind[r.chi_tieu].kind
    if kind.shown == "pct" and pd.notna(r.gia_tri):
        need = _threshold(ind, r).removeprefix("≥ ")
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
SHEET_WIDTHS = (12, 60, 12, 12, 13, 15, 15, 31)  # mm, 170 in all
SHEET_SIZE = 9


def write_sheets(
    path: Path,
    year: int,
    result,
    criteria: Criteria,
    letters: pd.DataFrame,
    settings: Settings | None = None,
) -> Path:
    """Write one sheet per commune (phiếu thẩm định) to `path`; each commune starts on a new page.

    `letters`: the column letter of each column key per file and sheet (`tep, trang, cot, chu`,
    `Batch.letters`), to name the cell each figure came from.
    """
    settings = settings or Settings()
    communes = _ordered(result.communes)
    ind = criteria.indicators
    meta = _meta(ind)
    doc = _document(margins=(12, 12, 25, 15), size=12)
    columns = (letters[k].tolist() for k in ("tep", "trang", "cot", "chu"))  # lists: iterating a frame is slow
    letter = {(t, s, c): ch for t, s, c, ch in zip(*columns, strict=True)}
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
    remarks: list[str] = []
    _remarks(remarks)  # the same on every sheet: written once
    notes: dict[tuple[str, ...], list[str]] = {}  # the sources note of each set of indicators; most sheets share one
    body: list[str] = []
    for n, row in enumerate(communes.itertuples(index=False)):
        page: list[str] = []
        _para(page, settings.shown("co_quan_ban_hanh").upper(), bold=True, size=11, align="left", page_break=n > 0)
        _para(page, "PHIẾU THẨM ĐỊNH CÁC CHỈ TIÊU NGÀNH THÔNG TIN VÀ TRUYỀN THÔNG", bold=True, align="center", before=4)
        tier = labels.get(row.hang_dang_ky, "")
        _para(page, Terms.spelled(f"Xã đăng ký đạt chuẩn {tier} năm {year}" if tier else f"Năm {year}"), align="center")
        _identity(page, row, year, tier)
        mine = by_commune.get((row.ma_xa, row.nam), [])
        _indicator_table(page, row, mine, meta, letter, homes.get((row.ma_xa, row.nam), {}))
        present = {r.chi_tieu for r in mine}
        keys = tuple(k for k in ind.index if k in present)
        if keys not in notes:
            notes[keys] = []
            _sources_note(notes[keys], ind.loc[list(keys)])
        body += page + notes[keys] + remarks
    if communes.empty:
        _para(body, f"Không có xã nào được thẩm định năm {year}.")
    _save(doc, body, path)
    return Path(path)


def _identity(page: list[str], row, year: int, tier: str) -> None:
    widths = (32, 53, 35, 50)
    counted = ""
    if pd.notna(row.so_chi_tieu) and pd.notna(row.so_chi_tieu_dat):
        counted = f" ({int(row.so_chi_tieu_dat)}/{int(row.so_chi_tieu)} chỉ tiêu đạt)"
    pairs = (
        ("Mã xã:", _shown_code(row.ma_xa), "Năm đánh giá:", str(year)),
        ("Tên xã:", _text(row.ten_xa), "Mức đăng ký:", tier or "(chưa ghi đúng)"),
        ("Huyện:", _text(row.huyen), "Kết quả chung:", WORDS.get(row.ket_qua, "") + counted),
    )
    rows = [Row([Cell(v, bold=i % 2 == 0) for i, v in enumerate(values)]) for values in pairs]
    _grid(page, widths, rows, size=11, borders="none")


def _indicator_table(page: list[str], row, mine: list, ind: dict[str, Meta], letter: dict, home: dict) -> None:
    """`mine`: the commune's result rows (tuples)."""
    source = row.tep_xa if isinstance(row.tep_xa, str) else "(không có tệp)"
    if isinstance(row.tep_xa, str) and pd.notna(row.dong_xa):
        source += f", trang Xa, dòng {int(row.dong_xa)}"
    code = _shown_code(row.ma_xa) or "(trống)"
    title = f"{_name(row.ten_xa)} – mã {code} – năm {row.nam} – tệp số liệu: {source}"
    rows = [
        Row([Cell(title, bold=True, span=len(SHEET_WIDTHS))], header=True),
        Row([Cell(h, bold=True, align="center", shade=HEAD_SHADE) for h in SHEET_COLUMNS], header=True),
    ]
    for r in mine:
        kind = ind[r.chi_tieu].kind
        numerator = "" if kind.shown in ("flag", "year") else _int(r.tu_so)
        denominator = "" if kind.shown in ("flag", "year") else _int(r.mau_so)
        cells = _cells_of(ind[r.chi_tieu], row, letter, home)
        values = (
            r.chi_tieu,
            _label(ind, r.chi_tieu),
            numerator,
            denominator,
            _value(kind.shown, r),
            _threshold(ind, r),
            WORDS.get(r.ket_qua, ""),
            cells,
        )
        rows.append(Row([Cell(v, align="center" if i in (0, 2, 3, 4, 5, 6) else None) for i, v in enumerate(values)]))
    if not mine:
        note = "Không có chỉ tiêu nào được đánh giá (xem Kết quả chung và Lỗi dữ liệu)."
        rows.append(Row([Cell(note, span=len(SHEET_WIDTHS))]))
    _grid(page, SHEET_WIDTHS, rows, size=SHEET_SIZE, margin=1)


def _sources_note(page: list[str], ind: pd.DataFrame) -> None:
    """Where the indicators come from and how sure that is, one line per source."""
    if ind.empty or "source" not in ind:
        return
    groups: dict[tuple[str, str], list[int]] = {}
    for n, (source, certainty) in enumerate(zip(ind["source"], ind["certainty"], strict=True)):
        groups.setdefault((source, certainty), []).append(n)
    texts = []
    for (source, certainty), rows in groups.items():
        ids = list(ind.index[rows])
        contiguous = rows == list(range(rows[0], rows[-1] + 1)) and len(rows) > 2
        span = f"{ids[0]}–{ids[-1]}" if contiguous else ", ".join(ids)
        texts.append(f"{span}: {source or '(chưa ghi nguồn)'} ({CERTAINTY.get(certainty, certainty)})")
    head = _run_xml("Nguồn chỉ tiêu: ", italic=True, bold=True, size=9)
    _para(page, runs=head + _run_xml("; ".join(texts) + ".", italic=True, size=9), before=3)


def _remarks(page: list[str]) -> None:
    """A box for the officer's remarks, with dotted lines to write on, then the signature lines."""
    width = sum(SHEET_WIDTHS)
    _para(page, "", size=6)
    rows = [Row([Cell("Ý kiến của cán bộ thẩm định:", bold=True)])]
    rows += [Row([Cell("")], height=7) for _ in range(RULED)]
    _grid(page, (width,), rows, size=11, borders="ruled", keep=True)
    signs = [
        Cell([P(title, bold=True, align="center", before=6), P("(Ký, ghi rõ họ tên)", italic=True, align="center")])
        for title in ("CÁN BỘ THẨM ĐỊNH", "LÃNH ĐẠO ĐƠN VỊ")
    ]
    _grid(page, (width / 2, width / 2), [Row(signs)], size=11, borders="none", keep=True)


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


def _month(month: int) -> str:
    """Nghị định 30/2020: months 1 and 2 take a leading zero ("01", "02"), others do not."""
    return f"{month:02d}" if month < 3 else str(month)


def _short_date(when: dt.date) -> str:
    """ "08/3/2022" as legal texts cite dates."""
    return f"{when.day:02d}/{_month(when.month)}/{when.year}"


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
) -> None:
    """Append a table of fixed column widths (mm). `borders`: "grid", "none" (a layout: cells align to the
    top) or "ruled" (a box whose rows are separated by dotted lines, to write on); `margin`: the cells'
    left and right padding in mm; `keep`: keep the table on one page. Rows never split across pages."""
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
                parts.append(_p_xml(p, half, keep and not final))
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
