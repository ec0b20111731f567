"""Load the column and criteria catalogs into frames, and check them.

Everything a department may change from one period to the next (columns,
labels, indicators, thresholds, tiers) is read from catalog files; the code only
knows the *kinds* of column and of indicator (`COLUMN_TYPES`, `kinds.KINDS`), and
reads the few columns it needs by their role (`roles.ROLES`, declared in columns.toml).

Two folders hold them: the department's own (`schemas/` of the working folder, or
`--schemas DIR`), read first, and the defaults shipped in the package
(`pipeline/schemas/`). A department file with the name of a shipped one replaces
it; any other adds to them (a new period, a province file).

A catalog is checked as it is loaded: a fault stops the run before any workbook
is read, with one line naming the file, the entry and the key to fix, e.g.
`schemas/criteria-2026-2030.toml: chỉ tiêu "7.1" ([[indicators]] thứ 4): kind "tile" không có; ...`.
A period file whose declared frame (`[[criteria]]`) still lacks indicators is not
an error of the run: it is left out, with a line saying what to add (`Unfinished`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn, TypeGuard

import pandas as pd

from pipeline.assessing.kinds import KINDS
from pipeline.checking.column_types import TYPES
from pipeline.parse import fold
from pipeline.reading import text_files
from pipeline.roles import NEEDS, ROLES, SCHEMAS

# The department's own folder when no other is given: `schemas/` of the folder the tool is run from, if there is one
# (never a folder found from the input: the catalogs are the department's, not the communes').
DEPARTMENT = Path("schemas")
CATALOG_NAMES = ("columns.toml", "criteria-*.toml", "tinh-*.toml")  # the files a run reads from either folder
# Starter files of a period (`catalog new`): only what is verified of it, and no indicator.
STARTERS = SCHEMAS / "starters"
SHEETS = ("Xa", "Thon")

# Column types of columns.toml (`column_types.TYPES`: how each is read, checked and offered in the template).
COLUMN_TYPES = tuple(TYPES)


# Keys that belong to some kind; a kind that does not use one of them rejects it
# (anything else, such as a source note, is left alone).
KIND_KEYS = (
    "column",
    "numerator",
    "denominator",
    "requires",
    "threshold",
    "threshold_by",
    "thresholds",
    "not_applicable_when_zero",
    "part_of",
)
COLUMN_KEYS = ("column", "numerator", "denominator", "requires", "threshold_by")


class CatalogError(Exception):
    """A catalog file is missing or inconsistent (a fault of the set-up, not of the data)."""


class Unfinished(CatalogError):
    """A period file whose declared criteria or tiers have no indicator yet (a starter being completed).

    A run leaves it out, as if it were not there, and says so (`note`): its years
    are "not covered" until the department completes it; `catalog check` refuses it.
    """

    def __init__(self, path: Path, data: dict, reason: str):
        super().__init__(f"{_path(path)}: [[indicators]]: {reason}")
        self.period = data["period"]
        self.note = (
            f"bỏ qua {_path(path)}: bộ chỉ tiêu {data['period']} chưa hoàn thành, "
            f"các năm {_span(data['years'])} chưa được đánh giá ({reason})"
        )


# How sure a catalog is of a tier or an indicator (`certainty`): verified against a national text,
# as a province practises it (for example the Hà Nam department's 2024 appraisal), or not verified.
CERTAINTY = {
    "van-ban-quoc-gia": "đã đối chiếu văn bản quốc gia",
    "thuc-tien-tinh": "theo thực tiễn thẩm định của tỉnh",
    "chua-kiem-chung": "chưa kiểm chứng",
}
UNVERIFIED = "chua-kiem-chung"  # what an entry that says nothing about its source is

# A document number as texts cite it: 318/QĐ-TTg, 51/2025/QĐ-TTg, 30/2020/NĐ-CP.
DOCUMENT_NUMBER = re.compile(r"\b\d+/(?:\d{4}/)?[A-ZĐ][\wĐđ&]*(?:-[\wĐđ&]+)+")


@dataclass(frozen=True)
class LegalBasis:
    """A legal text the outputs may cite ("Căn cứ Quyết định số 318/QĐ-TTg ngày 08/3/2022 của ...")."""

    number: str  # "318/QĐ-TTg"
    kind: str = "Quyết định"
    date: dt.date | None = None
    issuer: str = ""  # "Thủ tướng Chính phủ"
    title: str = ""  # the abstract: "ban hành Bộ tiêu chí quốc gia về xã nông thôn mới ..."


@dataclass(frozen=True, eq=False)  # hashed by identity: per-sheet lookups are cached on it
class Columns:
    """The column catalog: one row per (sheet, key), plus the yes/no spellings."""

    table: pd.DataFrame
    yes: tuple[str, ...]
    no: tuple[str, ...]
    source: Path | None = None

    def of(self, sheet: str) -> pd.DataFrame:
        """The columns of one sheet, indexed by key."""
        return self.table[self.table["sheet"] == sheet].set_index("key")


@dataclass(frozen=True)
class Criteria:
    """One period's indicators and tiers."""

    period: str
    years: tuple[int, int]
    title: str
    source: Path
    tiers: pd.DataFrame  # index: tier key; columns label, label_en, sheet, rank
    indicators: pd.DataFrame  # index: id; one row per indicator, in catalog order
    legal_bases: tuple[LegalBasis, ...] = ()  # [[legal_bases]]: the only texts the outputs cite
    overlays: tuple[str, ...] = ()  # the province files applied on top of the national set, as cited
    sector: str = ""  # [sector] name: the sector's words in titles ("thông tin và truyền thông"); "" when none
    sector_short: str = ""  # [sector] short: its abbreviation in running text ("TT&TT"); the name when not given

    def sector_words(self, short: bool = False) -> str:
        """ "ngành TT&TT" (short) or "ngành thông tin và truyền thông"; "" for a year no catalog covers."""
        words = (self.sector_short if short else "") or self.sector
        return f"ngành {words}" if words else ""

    def covers(self, year: int) -> bool:
        return self.years[0] <= year <= self.years[1]

    def indicators_of(self, tier: str) -> pd.DataFrame:
        """Indicators assessed at a tier: its own and those of every lower tier."""
        rank = self.tiers.at[tier, "rank"]
        return self.indicators[self.indicators["tier_rank"] <= rank]

    def bases_of(self, tiers) -> tuple[LegalBasis, ...]:
        """The legal bases cited by these tiers and every tier below them (`basis`), in catalog order;
        every legal basis of the period when none of them cites one."""
        known = [t for t in tiers if t in self.tiers.index]
        if "basis" not in self.tiers:  # a Criteria built by hand, not loaded from a file
            return self.legal_bases
        top = max((self.tiers.at[t, "rank"] for t in known), default=-1)
        cited = {n for basis in self.tiers.loc[self.tiers["rank"] <= top, "basis"] for n in basis}
        return tuple(b for b in self.legal_bases if b.number in cited) if cited else self.legal_bases


# ---- columns.toml ------------------------------------------------------------------------------------------------


def load_columns(path: Path = SCHEMAS / "columns.toml") -> Columns:
    path = Path(path)
    data = _load_toml(path)
    _check_columns(path, data)
    return _columns_from(path, data)


def _columns_from(path: Path, data: dict) -> Columns:
    table = pd.DataFrame(data["columns"])
    for field, default in (("required", False), ("help", ""), ("unit", "")):
        table[field] = table.get(field, pd.Series(dtype=object)).fillna(default)
    table["required"] = table["required"].astype(bool)
    values = data.get("values", {})
    return Columns(table, tuple(values.get("yes", ())), tuple(values.get("no", ())), source=path)


def _check_columns(path: Path, data: dict) -> None:
    entries = _entries(path, data, "columns", "cột")
    seen: dict[tuple[Any, Any], int] = {}  # (sheet, key) as written -> entry number
    for n, entry in enumerate(entries, 1):
        key = entry.get("key")
        fail = _failer(path, _entry("cột", key, "columns", n))
        for field in ("key", "label", "label_en"):
            _need_text(fail, entry, field)
        sheet = entry.get("sheet")
        if not _one_of(sheet, SHEETS):
            fail(f"{_given('sheet', sheet)} không có; các trang hợp lệ: {', '.join(SHEETS)}")
        kind = entry.get("type")
        if not _one_of(kind, COLUMN_TYPES):
            fail(f"{_given('type', kind)} không có; các kiểu hợp lệ: {', '.join(COLUMN_TYPES)}")
        if (sheet, key) in seen:
            fail(f"key trùng với [[columns]] thứ {seen[sheet, key]} trên trang {sheet}; mỗi cột một key")
        seen[sheet, key] = n
        if "required" in entry and not isinstance(entry["required"], bool):
            fail(f"required = {_show(entry['required'])}: cần true hoặc false")
        if TYPES[kind].bounded:
            for bound in ("min", "max"):
                if not _is_int(entry.get(bound)):
                    fail(f"kiểu {kind} cần {bound} là một năm (số nguyên), ví dụ min = 2021, max = 2030")
            if entry["min"] > entry["max"]:
                fail(f"min = {entry['min']} lớn hơn max = {entry['max']}")
    _check_roles(path, entries)
    values = data.get("values", {})
    fail = _failer(path, "[values]")
    if not isinstance(values, dict):
        fail("cần một bảng [values] với yes = [...] và no = [...]")
    spelled: dict[str, str] = {}
    for side in ("yes", "no"):
        words = values.get(side)
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and fold(w) for w in words):
            fail(f"{side} cần danh sách các cách viết, ví dụ {side} = {_show(['có'] if side == 'yes' else ['không'])}")
        for word in words:
            other = spelled.get(fold(word))
            if other is not None and other != side:
                fail(f'"{word}" có ở cả yes và no (so sánh bỏ dấu, hoa thường); hãy bỏ ở một bên')
            spelled[fold(word)] = side


def _check_roles(path: Path, entries: list[dict]) -> None:
    """The columns the code reads by role (`roles.NEEDS`): each role once on each of its sheets, on the key of
    `ROLES` (the code and the outputs are named by it) and with the type the code reads it as."""
    at: dict[tuple[str, str], int] = {}  # (sheet, role) -> entry number
    for n, entry in enumerate(entries, 1):
        if "role" not in entry:
            continue
        role, sheet, key = entry["role"], entry["sheet"], entry["key"]
        fail = _failer(path, _entry("cột", key, "columns", n))
        if not _one_of(role, NEEDS):
            fail(f"{_given('role', role)} không có; các vai trò hợp lệ: {', '.join(NEEDS)}")
        need, wanted = NEEDS[role], getattr(ROLES, role)
        if sheet not in need.sheets:
            fail(f'role "{role}" ({need.words}) chỉ dùng ở trang {", ".join(need.sheets)}, không ở trang {sheet}')
        if (sheet, role) in at:
            fail(f'role "{role}" trùng với [[columns]] thứ {at[sheet, role]} trên trang {sheet}; mỗi vai trò một cột')
        at[sheet, role] = n
        if key != wanted:
            fail(f'role "{role}": chương trình và các tệp kết quả đọc {need.words} ở key = "{wanted}"; hãy để key này')
        if entry["type"] != need.type:
            fail(f'type "{entry["type"]}": chương trình đọc cột này như kiểu {need.type}; hãy để type = "{need.type}"')
    for role, need in NEEDS.items():
        for sheet in (s for s in need.sheets if need.required and (s, role) not in at):
            key = getattr(ROLES, role)
            unmarked = next((n for n, e in enumerate(entries, 1) if (e["sheet"], e["key"]) == (sheet, key)), None)
            if unmarked is not None:
                _failer(path, _entry("cột", key, "columns", unmarked))(
                    f'thiếu role = "{role}": chương trình đọc cột này làm {need.words}; hãy thêm dòng role = "{role}"'
                )
            _failer(path, "[[columns]]")(
                f'thiếu cột role = "{role}" ({need.words}: key = "{key}", trang {sheet}, kiểu {need.type}); '
                "chương trình cần nó"
            )


# ---- criteria-*.toml ---------------------------------------------------------------------------------------------


def load_criteria(path: Path, columns: Columns | Path | None = None) -> Criteria:
    """One period's catalog, checked against the column catalog.

    `columns`: the column catalog (or its file); by default the columns.toml next
    to the criteria file, else the shipped one.
    """
    path = Path(path)
    columns = _columns_for(path.parent, columns)
    data = _load_toml(path)
    _check_criteria(path, data, columns)
    return _build_criteria(path, data)


def _build_criteria(path: Path, data: dict, overlays: tuple[str, ...] = ()) -> Criteria:
    tiers = pd.DataFrame(data["tiers"]).set_index("key")
    tiers["rank"] = range(len(tiers))
    tiers = _provenance(tiers)
    tiers["basis"] = [tuple(b) if isinstance(b, list) else () for b in tiers.get("basis", [None] * len(tiers))]
    ind = pd.DataFrame(data["indicators"]).set_index("id")
    for field in ("column", "numerator", "denominator", "requires", "part_of", "threshold_by", "thresholds"):
        if field not in ind:
            ind[field] = None
    ind["threshold"] = [fraction(t) for t in ind.get("threshold", [None] * len(ind))]
    ind["thresholds"] = [
        {k: fraction(v) for k, v in t.items()} if isinstance(t, dict) else None for t in ind["thresholds"]
    ]
    flag = ind.get("not_applicable_when_zero", pd.Series(False, index=ind.index))
    ind["not_applicable_when_zero"] = flag.fillna(False).astype(bool)
    ind = _provenance(ind)
    ind["tier_rank"] = ind["tier"].map(tiers["rank"])
    ind["columns"] = [
        tuple(c for c in row if isinstance(c, str))
        for row in ind[["column", "numerator", "denominator", "requires", "threshold_by"]].itertuples(index=False)
    ]
    lo, hi = data["years"]
    return Criteria(
        period=data["period"],
        years=(lo, hi),
        title=data.get("title", data["period"]),
        source=path,
        tiers=tiers,
        indicators=ind,
        legal_bases=_legal_bases(data),
        overlays=overlays,
        sector=data.get("sector", {}).get("name", ""),
        sector_short=data.get("sector", {}).get("short", ""),
    )


def criteria_files(folder: Path = SCHEMAS, columns: Columns | Path | None = None) -> list[Criteria]:
    """Every period catalog in the folder (files named criteria-*.toml); no two may share a year.

    `columns`: as for `load_criteria`; by default the folder's columns.toml, else the shipped one.
    """
    folder = Path(folder)
    columns = _columns_for(folder, columns)
    periods = [load_criteria(p, columns) for p in sorted(folder.glob("criteria-*.toml"))]
    check_periods(periods)
    return periods


def criteria_for(year: int, folder: Path = SCHEMAS) -> Criteria | None:
    return next((c for c in criteria_files(folder) if c.covers(year)), None)


def check_periods(periods: list[Criteria]) -> None:
    """No year, and no period name, may belong to two criteria files."""
    ordered = sorted(periods, key=lambda c: (c.years, str(c.source)))
    for i, c in enumerate(ordered):
        _check_clash(c, ordered[:i])


def _check_clash(c: Criteria, others: list[Criteria]) -> None:
    for other in others:
        if c.years[0] <= other.years[1] and other.years[0] <= c.years[1]:
            _failer(c.source, "years")(
                f"{_span(c.years)} trùng với {_span(other.years)} của {_path(other.source)}; "
                "mỗi năm chỉ thuộc một bộ chỉ tiêu, hãy sửa years của một trong hai tệp"
            )
        if c.period == other.period:
            _failer(c.source, "period")(f'"{c.period}" trùng với {_path(other.source)}; hãy đặt tên giai đoạn khác')


def _check_sector(path: Path, data: dict) -> None:
    """[sector], when given: the words the documents print for the sector, from the period, never from the code
    (without it they say "các chỉ tiêu" and name no sector)."""
    if "sector" not in data:
        return
    sector, fail = data["sector"], _failer(path, "[sector]")
    example = 'ví dụ name = "thông tin và truyền thông", short = "TT&TT"'
    if not isinstance(sector, dict) or not isinstance(sector.get("name"), str) or not sector["name"].strip():
        fail(f"thiếu tên ngành in trong văn bản; {example}")
    for key in sector:
        if key not in ("name", "short"):
            fail(f'khóa "{key}" không có; các khóa dùng được: name, short')
    if not isinstance(sector.get("short", ""), str):
        fail(f"short = {_show(sector['short'])}: cần chữ trong ngoặc kép; {example}")


def _check_criteria(path: Path, data: dict, columns: Columns) -> None:
    fail = _failer(path, "period")
    if not isinstance(data.get("period"), str) or not data["period"].strip():
        fail('thiếu tên giai đoạn; ví dụ period = "2026-2030"')
    years = data.get("years")
    fail = _failer(path, "years")
    if years is None:
        fail("thiếu years; ví dụ years = [2026, 2030]")
    if not (isinstance(years, list) and len(years) == 2 and all(_is_int(y) for y in years)):
        fail(f"{_show(years)}: cần hai năm (số nguyên) đầu và cuối giai đoạn, ví dụ years = [2026, 2030]")
    if years[0] > years[1]:
        fail(f"{_show(years)}: năm đầu lớn hơn năm cuối")
    if "title" in data and not (isinstance(data["title"], str) and data["title"].strip()):
        _failer(path, "title")("cần một dòng chữ, ví dụ tên và số quyết định của bộ tiêu chí")
    _check_sector(path, data)
    numbers = _check_legal_bases(path, data)
    tiers = _check_tiers(path, data)
    declared = _check_declared(path, data)
    groups = _check_groups(path, data)
    if data.get("indicators") or not declared:  # a declared frame with no indicator yet is `Unfinished`, below
        _check_indicators(path, data, tiers, columns, groups)
    _check_citations(path, data, numbers)
    _check_complete(path, data, declared)


def _check_declared(path: Path, data: dict) -> list[dict]:
    """[[criteria]] (optional): the criteria of the period whose indicators the department appraises, by number
    and name (`id`, `name`); `_check_complete` holds the file back until each has its indicators."""
    if "criteria" not in data:
        return []
    entries = _entries(path, data, "criteria", "tiêu chí")
    ids: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        key = entry.get("id")
        fail = _failer(path, _entry("tiêu chí", key, "criteria", n))
        if not isinstance(key, str) or not key.strip():
            fail(f'id {_show(key)}: cần số tiêu chí trong ngoặc kép, ví dụ id = "7"')
        _need_text(fail, entry, "name")
        if key in ids:
            fail(f"id trùng với [[criteria]] thứ {ids[key]}; mỗi tiêu chí một mục")
        ids[key] = n
    return entries


def _check_groups(path: Path, data: dict) -> dict[str, str]:
    """[commune_groups] (optional): each group of the commune group column (`ROLES.group`) with its definition.
    Returns the groups by folded name: an indicator's thresholds by that column must name them (`_check_values`)."""
    groups = data.get("commune_groups", {})
    if not isinstance(groups, dict) or not all(isinstance(v, str) and v.strip() for v in groups.values()):
        _failer(path, "[commune_groups]")('cần một bảng nhóm = "định nghĩa", ví dụ 2 = "xã không thuộc nhóm 1 và 3"')
    return {fold(group): group for group in groups}


def _check_complete(path: Path, data: dict, declared: list[dict]) -> None:
    """A file that declares its criteria is used only once every declared criterion and every tier has an
    indicator of its own: a tier without one would be "met" by every commune meeting the tier below it."""
    if not declared:
        return
    entries = data.get("indicators") or []
    ids, tiers = [e["id"] for e in entries], {e["tier"] for e in entries}
    missing = [
        (f'tiêu chí {c["id"]} "{c["name"]}"', f"tiêu chí {c['id']}", c.get("source", ""))
        for c in declared
        if not any(i == c["id"] or i.startswith(c["id"] + ".") for i in ids)
    ]
    missing += [
        (f'hạng "{t["label"]}"', f"hạng {t['label']}", t.get("source", ""))
        for t in data["tiers"]
        if t["key"] not in tiers
    ]
    if not missing:
        return
    by_source: dict[str, list[str]] = {}
    for _, short, source in missing:
        by_source.setdefault(source, []).append(short)
    where = ", ".join(f"{source} ({', '.join(names)})" for source, names in by_source.items() if source)
    keys = [t["key"] for t in data["tiers"]]
    raise Unfinished(
        path,
        data,
        f"chưa có chỉ tiêu nào của {', '.join(m[0] for m in missing)}; hãy thêm các mục [[indicators]]"
        + (f" theo {where}" if where else "")
        + f': id bắt đầu bằng số tiêu chí (ví dụ "7.1"), tier là một trong {", ".join(map(_show, keys))}; '
        "mục [[criteria]] hay [[tiers]] nào Sở không thẩm định thì xóa đi",
    )


def _check_tiers(path: Path, data: dict) -> dict[str, int]:
    entries = _entries(path, data, "tiers", "hạng")
    keys: dict[str, int] = {}
    written: dict[str, int] = {}  # every way a tier may be written in a workbook (column_types.tier_aliases), folded
    sheets: dict[tuple[str, str], int] = {}  # sheet names (Vietnamese, English workbooks): Excel ignores case
    for n, entry in enumerate(entries, 1):
        fail = _failer(path, _entry("hạng", entry.get("key"), "tiers", n))
        for field in ("key", "label", "label_en", "sheet"):
            _need_text(fail, entry, field)
        key: str = entry["key"]
        if key in keys:
            fail(f"key trùng với [[tiers]] thứ {keys[key]}; mỗi hạng một key")
        keys[key] = n
        aliases = {"key": [key], "label": [entry["label"], "xã " + entry["label"]], "label_en": [entry["label_en"]]}
        for field, texts in aliases.items():
            for text in map(fold, texts):
                if written.get(text, n) != n:
                    fail(
                        f"{field} {_show(entry[field])} viết giống hạng ở [[tiers]] thứ {written[text]} "
                        "(khi bỏ dấu, hoa thường); mỗi hạng cần tên riêng"
                    )
                written[text] = n
        for field in ("sheet", "label_en"):
            name = (field, entry[field].strip().casefold()[:31])
            if name in sheets:
                fail(f"{field} {_show(entry[field])} trùng tên trang của [[tiers]] thứ {sheets[name]}; cần tên khác")
            sheets[name] = n
    return keys


def _check_indicators(
    path: Path, data: dict, tiers: dict[str, int], columns: Columns, groups: dict[str, str] | None = None
) -> None:
    entries = _entries(path, data, "indicators", "chỉ tiêu")
    ids: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        key = entry.get("id")
        fail = _failer(path, _entry("chỉ tiêu", key, "indicators", n))
        if not isinstance(key, str) or not key.strip():
            fail(f'id {_show(key)}: cần mã chỉ tiêu trong ngoặc kép, ví dụ id = "7.1"')
        if key in ids:
            fail(f"id trùng với [[indicators]] thứ {ids[key]}; mỗi chỉ tiêu một id")
        ids[key] = n
        for field in ("label", "label_en"):
            _need_text(fail, entry, field)
        tier = entry.get("tier")
        if not _one_of(tier, tiers):
            fail(f"{_given('tier', tier)} không có trong [[tiers]]; các hạng: {', '.join(tiers)}")
        kind = entry.get("kind")
        if not _one_of(kind, KINDS):
            fail(f"{_given('kind', kind)} không có; các loại hợp lệ: {', '.join(KINDS)}")
        _check_form(fail, entry, kind)
        _check_values(fail, entry, kind, columns, groups or {})
        _check_source(fail, entry)
    kinds = {e["id"]: e["kind"] for e in entries}
    for n, entry in enumerate(entries, 1):
        if "part_of" not in entry:
            continue
        fail = _failer(path, _entry("chỉ tiêu", entry["id"], "indicators", n))
        target = entry["part_of"]
        if not _one_of(target, kinds):
            fail(f"part_of {_show(target)} không phải id của chỉ tiêu nào trong tệp này")
        if kinds[target] != "smart_village":
            fail(f'part_of "{target}" là chỉ tiêu kind {kinds[target]}; cần một chỉ tiêu kind smart_village')
    parts = {e["part_of"] for e in entries if "part_of" in e}
    for n, entry in enumerate(entries, 1):
        if entry["kind"] == "smart_village" and entry["id"] not in parts:
            _failer(path, _entry("chỉ tiêu", entry["id"], "indicators", n))(
                f'kind smart_village cần ít nhất một chỉ tiêu village_condition có part_of = "{entry["id"]}"'
            )


def _check_form(fail, entry: dict, kind: str) -> None:
    """The entry matches one form of its kind: every key it needs, none the kind does not use there."""
    present = {k for k in KIND_KEYS if k in entry}
    forms = KINDS[kind].forms
    for form in forms:
        if set(form.needs) <= present <= set(form.needs + form.may):
            return
    # the form the author most likely meant: the one covering most of what is written
    best = max(forms, key=lambda f: (len(present & set(f.needs + f.may)), -len(set(f.needs) - present)))
    missing = [k for k in best.needs if k not in present]
    extra = sorted(present - set(best.needs + best.may))
    ways = " hoặc ".join(f"({', '.join(f.needs)})" if len(forms) > 1 else ", ".join(f.needs) for f in forms)
    if missing:
        fail(f"thiếu {', '.join(missing)}; kind {kind} cần: {ways}")
    used = {k for f in forms for k in f.needs + f.may}
    if any(k not in used for k in extra):
        fail(f"kind {kind} không dùng {', '.join(k for k in extra if k not in used)}; hãy bỏ đi hoặc sửa kind")
    fail(f"{', '.join(extra)} không dùng cùng {', '.join(best.needs)}; kind {kind} viết theo một trong: {ways}")


def _check_values(fail, entry: dict, kind: str, columns: Columns, groups: dict[str, str]) -> None:
    """Column references exist on the right sheet with the right type; thresholds are in range, and by commune
    group they name the period's `groups` (each of them, unless a default `threshold` covers the others)."""
    spec = KINDS[kind]
    for field in COLUMN_KEYS:
        if field not in entry:
            continue
        sheet, kind_type = spec.columns[field]
        name = entry[field]
        found = columns.table[columns.table["key"] == name] if isinstance(name, str) else columns.table.iloc[:0]
        where = f"danh mục cột {_path(columns.source)}" if columns.source else "danh mục cột"
        if found.empty:
            fail(f"{field} {_show(name)} không có trong {where}; hãy thêm cột hoặc sửa tên")
        on_sheet = found[found["sheet"] == sheet]
        if on_sheet.empty:
            fail(f'{field} "{name}" là cột trang {found["sheet"].iloc[0]}; kind {kind} cần cột trang {sheet}')
        if kind_type is not None and on_sheet["type"].iloc[0] != kind_type:
            fail(f'{field} "{name}" là cột kiểu {on_sheet["type"].iloc[0]}; kind {kind} cần cột kiểu {kind_type}')
    if "threshold" in entry:
        _check_threshold(fail, "threshold", entry["threshold"], spec.threshold)
    if "thresholds" in entry:
        table = entry["thresholds"]
        if not isinstance(table, dict) or not table:
            fail('thresholds cần một bảng nhóm = ngưỡng, ví dụ thresholds = { "miền núi" = 0.6 }')
        given: dict[str, str] = {}
        for group, value in table.items():
            _check_threshold(fail, f'thresholds."{group}"', value, spec.threshold)
            if fold(group) in given:
                fail(f'thresholds: nhóm "{group}" trùng với "{given[fold(group)]}" (so sánh bỏ dấu, hoa thường)')
            given[fold(group)] = group
        if groups and entry.get("threshold_by") == ROLES.group:
            _check_group_thresholds(fail, given, groups, "threshold" in entry)
    if "not_applicable_when_zero" in entry and not isinstance(entry["not_applicable_when_zero"], bool):
        fail(f"not_applicable_when_zero = {_show(entry['not_applicable_when_zero'])}: cần true hoặc false")


def _check_group_thresholds(fail, given: dict[str, str], groups: dict[str, str], default: bool) -> None:
    """Thresholds by commune group name only the groups of [commune_groups], and every one of them
    (a commune of a group with no threshold could not be assessed), unless `threshold` is the default."""
    named = ", ".join(groups.values())
    for folded, group in given.items():
        if folded not in groups:
            fail(f'thresholds: nhóm "{group}" không có trong [commune_groups] ({named})')
    missing = [group for folded, group in groups.items() if folded not in given]
    if missing and not default:
        fail(f"thresholds thiếu nhóm {', '.join(missing)}; hãy ghi ngưỡng cho mọi nhóm của [commune_groups] ({named})")


def _check_threshold(fail, field: str, value, scale: str | None) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool) and value == value
    if scale == "count" and not (number and value >= 1 and float(value).is_integer()):
        fail(f"{field} = {_show(value)}: cần số thôn tối thiểu, số nguyên từ 1 trở lên")
    if scale == "fraction" and not (number and 0 <= value <= 1):
        fail(f"{field} = {_show(value)}: cần tỷ lệ từ 0 đến 1 (80 % viết 0.8)")


# ---- tinh-*.toml: a province's own indicators ---------------------------------------------------------------------


def department_folder(given: Path | None = None) -> Path | None:
    """The department's catalog folder: the one given (`--schemas DIR`), else `schemas/` of the working folder
    when there is one; None when there is none (the shipped catalogs alone), so an installed tool runs anywhere."""
    if given is not None:
        return Path(given)
    return DEPARTMENT if DEPARTMENT.is_dir() else None


def is_catalog(name: str) -> bool:
    """Whether a run reads a file of this name (`CATALOG_NAMES`); any other file of the folders is left alone."""
    return any(fnmatch(name, pattern) for pattern in CATALOG_NAMES)


def catalog_files(department: Path | None, shipped: Path = SCHEMAS) -> dict[str, Path]:
    """The catalog files a run reads, by name: the shipped ones, each replaced by the department's file of the
    same name, and the department's others (a new period, a province file)."""
    found = {p.name: p for p in shipped.glob("*.toml") if is_catalog(p.name)}
    if department is not None:
        found |= {p.name: p for p in Path(department).glob("*.toml") if is_catalog(p.name)}
    return dict(sorted(found.items()))


def load_catalogs(
    department: Path | None = None, shipped: Path = SCHEMAS, unfinished: list[str] | None = None
) -> tuple[Columns, list[Criteria]]:
    """The column catalog and every period of the department's folder over the shipped one, with the province
    files applied.

    A province file (`tinh-*.toml`) adds indicators to one period, or tightens
    a threshold, without editing the national file; it may add the columns its
    indicators read. Its `title` and `source` are named in the outputs.
    A period file not finished yet (`Unfinished`) is left out with the province files
    of its period, each with a line in `unfinished` saying so.
    """
    files = catalog_files(department, shipped)
    base_path = files.get("columns.toml", SCHEMAS / "columns.toml")
    base = _load_toml(base_path)
    _check_columns(base_path, base)
    provinces = [(p, _load_toml(p)) for name, p in files.items() if fnmatch(name, "tinh-*.toml")]
    entries = list(base.get("columns", []))
    for path, data in provinces:
        added = data.get("columns", [])
        if not isinstance(added, list):
            _failer(path, "[[columns]]")("cần viết mỗi cột thêm thành một mục [[columns]]")
        _check_columns(path, {"columns": entries + added, "values": base.get("values", {})})
        entries += added
    columns = _columns_from(base_path, {"columns": entries, "values": base.get("values", {})})
    notes = unfinished if unfinished is not None else []
    periods, waiting = [], set()
    for name, path in files.items():
        if not fnmatch(name, "criteria-*.toml"):
            continue
        try:
            periods.append(load_criteria(path, columns))
        except Unfinished as e:
            notes.append(e.note)
            waiting.add(e.period)
    check_periods(periods)
    if not periods:
        where = " và ".join(_path(f) for f in (department, shipped) if f is not None)
        raise CatalogError(f"{where}: không có bộ chỉ tiêu nào dùng được (tệp criteria-*.toml); hãy thêm ít nhất một")
    for path, data in provinces:
        if data.get("period") in waiting:
            notes.append(f"bỏ qua {_path(path)}: tệp của giai đoạn {data['period']}, giai đoạn chưa hoàn thành")
    provinces = [(p, d) for p, d in provinces if d.get("period") not in waiting]
    for path, data in provinces:
        _check_province(path, data, periods)
    return columns, [
        _with_provinces(c, [(p, d) for p, d in provinces if d["period"] == c.period], columns) for c in periods
    ]


def _check_province(path: Path, data: dict, periods: list[Criteria]) -> None:
    for field in ("province", "title", "source", "period"):
        _need_text(_failer(path, field), data, field)
    if data["period"] not in {c.period for c in periods}:
        known = ", ".join(c.period for c in periods)
        _failer(path, "period")(f'"{data["period"]}" không phải giai đoạn nào trong thư mục danh mục ({known})')
    if not data.get("indicators") and not data.get("tighten"):
        _failer(path, "[[indicators]]")("tệp của tỉnh cần ít nhất một mục [[indicators]] hoặc [[tighten]]")


def _with_provinces(c: Criteria, provinces: list[tuple[Path, dict]], columns: Columns) -> Criteria:
    """The period's catalog with each province file's indicators added and thresholds tightened, checked."""
    if not provinces:
        return c
    data = _load_toml(c.source)
    entries = list(data["indicators"])
    for path, province in provinces:
        added = province.get("indicators", [])
        if not isinstance(added, list):
            _failer(path, "[[indicators]]")("cần viết mỗi chỉ tiêu thêm thành một mục [[indicators]]")
        tiers = {t["key"]: n for n, t in enumerate(data["tiers"], 1)}
        _check_indicators(path, {"indicators": entries + added}, tiers, columns, _check_groups(c.source, data))
        for entry in added:  # after the last indicator of its tier, so that tables keep tier order
            last = max((i for i, e in enumerate(entries) if e["tier"] == entry["tier"]), default=len(entries) - 1)
            entries.insert(last + 1, entry)
        for n, change in enumerate(province.get("tighten", []), 1):
            fail = _failer(path, _entry("ngưỡng", change.get("id"), "tighten", n))
            target = next((e for e in entries if e["id"] == change.get("id")), None)
            if target is None:
                fail(f"id {_show(change.get('id'))} không phải chỉ tiêu của giai đoạn {c.period}")
            if "threshold" not in target or "threshold" not in change:
                fail("chỉ đổi được threshold của chỉ tiêu có ngưỡng; cần threshold = …")
            _check_threshold(fail, "threshold", change["threshold"], KINDS[target["kind"]].threshold)
            if change["threshold"] < target["threshold"]:
                national = target["threshold"]
                fail(
                    f"threshold = {change['threshold']} thấp hơn ngưỡng quốc gia {national}; tỉnh chỉ được nâng ngưỡng"
                )
            entries[entries.index(target)] = target | {"threshold": change["threshold"]}
    merged = data | {"indicators": entries}
    cited = tuple(f"{p['title']} ({p['source']})" for _, p in provinces)
    return _build_criteria(c.source, merged, overlays=c.overlays + cited)


# ---- provenance: legal bases, source and certainty of each tier and indicator -----------------------------------


def _provenance(table: pd.DataFrame) -> pd.DataFrame:
    """`source` (text, "" when not given) and `certainty` (`UNVERIFIED` when not given) for each row."""
    source = table["source"] if "source" in table else pd.Series(None, index=table.index, dtype=object)
    certainty = table["certainty"] if "certainty" in table else pd.Series(None, index=table.index, dtype=object)
    return table.assign(source=source.fillna("").astype(str), certainty=certainty.fillna(UNVERIFIED).astype(str))


def _legal_bases(data: dict) -> tuple[LegalBasis, ...]:
    return tuple(
        LegalBasis(
            number=e["number"].strip(),
            kind=e.get("kind", "Quyết định"),
            date=e.get("date"),
            issuer=e.get("issuer", ""),
            title=e.get("title", ""),
        )
        for e in data.get("legal_bases", [])
    )


def _check_legal_bases(path: Path, data: dict) -> set[str]:
    """[[legal_bases]]: each has a number, no two the same; kind, issuer and title are text, date a TOML date."""
    entries = data.get("legal_bases", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        _failer(path, "[[legal_bases]]")("cần viết mỗi văn bản thành một mục [[legal_bases]] với number, date, ...")
    numbers: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        number = entry.get("number")
        fail = _failer(path, _entry("văn bản", number, "legal_bases", n))
        if number is None:
            fail('thiếu number; mỗi văn bản cần số của nó, ví dụ number = "318/QĐ-TTg"')
        if not isinstance(number, str) or not DOCUMENT_NUMBER.fullmatch(number.strip()):
            fail(f'number {_show(number)}: cần số văn bản trong ngoặc kép, ví dụ number = "318/QĐ-TTg"')
        if number.strip() in numbers:
            fail(f"number trùng với [[legal_bases]] thứ {numbers[number.strip()]}; mỗi văn bản một mục")
        numbers[number.strip()] = n
        for field in ("kind", "issuer", "title"):
            if field in entry:
                _need_text(fail, entry, field)
        date = entry.get("date")
        if date is not None and (isinstance(date, dt.datetime) or not isinstance(date, dt.date)):
            fail(f"date = {_show(date)}: cần ngày ban hành dạng năm-tháng-ngày, không ngoặc kép, ví dụ 2022-03-08")
    return set(numbers)


def _check_source(fail, entry: dict) -> None:
    """`source` is text and `certainty` one of `CERTAINTY`, when given."""
    if "source" in entry:
        _need_text(fail, entry, "source")
    if "certainty" in entry and not _one_of(entry["certainty"], CERTAINTY):
        fail(f"{_given('certainty', entry['certainty'])} không có; các mức hợp lệ: {', '.join(CERTAINTY)}")


def _check_citations(path: Path, data: dict, numbers: set[str]) -> None:
    """A tier's `basis` names [[legal_bases]] of the file; no `source` cites a number the file does not hold."""
    tables = (("tiers", "hạng", "key"), ("criteria", "tiêu chí", "id"), ("indicators", "chỉ tiêu", "id"))
    for table, what, key in tables:
        for n, entry in enumerate(data.get(table) or [], 1):
            fail = _failer(path, _entry(what, entry.get(key), table, n))
            _check_source(fail, entry)
            if "basis" in entry:
                basis = entry["basis"]
                if table != "tiers" or not isinstance(basis, list) or not all(isinstance(b, str) for b in basis):
                    fail('basis cần danh sách số văn bản của [[legal_bases]], ví dụ basis = ["318/QĐ-TTg"]')
                for number in basis:
                    if number.strip() not in numbers:
                        fail(f'basis "{number}" không có trong [[legal_bases]]; hãy thêm văn bản hoặc sửa số')
            for number in DOCUMENT_NUMBER.findall(entry.get("source", "")):
                if number not in numbers:
                    fail(f'source nêu "{number}" nhưng [[legal_bases]] không có văn bản này; hãy thêm hoặc bỏ số')


# ---- checking files a department writes --------------------------------------------------------------------------


def check_files(paths: list[Path], columns: Path | None = None) -> list[tuple[Path, bool, str]]:
    """Check column, criteria and province files; per file (path, valid, the line to print).

    A file holding [[columns]] is a column catalog; a `tinh-*.toml` a province file,
    checked with the catalogs a run would read beside it; any other is a criteria
    file, checked against `columns` (by default the columns.toml next to it, else the
    shipped one) and against the other criteria files given or a run would read with it.
    """
    out, loaded = [], {}
    for path in map(Path, paths):
        try:
            data = _load_toml(path)
            if fnmatch(path.name, "tinh-*.toml"):
                out.append((path, *_check_province_file(path, data)))
                continue
            if "columns" in data or path.name.startswith("columns"):
                table = load_columns(path).table
                counts = ", ".join(f"trang {s}: {int((table['sheet'] == s).sum())}" for s in SHEETS)
                out.append((path, True, f"{_path(path)}: hợp lệ — {len(table)} cột ({counts})"))
                continue
            c = load_criteria(path, columns)
            loaded[path.resolve()] = c
            out.append((path, True, _summary(c)))
        except CatalogError as e:
            out.append((path, False, str(e)))
    for i, (path, ok, _) in enumerate(out):
        key = path.resolve()
        if not ok or key not in loaded:
            continue
        others = [c for p, c in loaded.items() if p != key] + _siblings(path, columns, exclude=set(loaded))
        try:
            _check_clash(loaded[key], others)
        except CatalogError as e:
            out[i] = (path, False, str(e))
    return out


def check_folders(department: Path | None) -> list[tuple[str, list[tuple[Path, bool, str]]]]:
    """`catalog check` with no file: each folder a run reads under a heading, the department's first.

    Every catalog file of the department's folder is checked, and any other .toml
    file there is named as one a run does not read (a misspelt name); a shipped file
    the department replaces is named with its replacement instead of being checked.
    """
    found = sorted(Path(department).glob("*.toml")) if department is not None else []
    own = {p.name: p for p in found if is_catalog(p.name)}
    mine = check_files(list(own.values())) + [
        (p, True, f"{_path(p)}: không phải tệp danh mục ({', '.join(CATALOG_NAMES)}), chương trình không đọc")
        for p in found
        if p.name not in own
    ]
    heading = (
        f"Thư mục danh mục của Sở: {_path(department)}"
        if department is not None
        else f"Thư mục danh mục của Sở: chưa có (thư mục {DEPARTMENT}/ nơi chạy lệnh, hoặc --schemas DIR)"
    )
    shipped = sorted(SCHEMAS.glob("*.toml"))
    replaced = [
        (p, True, f"{_path(p)}: không dùng, thay bằng {_path(own[p.name])} của Sở") for p in shipped if p.name in own
    ]
    kept = check_files([p for p in shipped if p.name not in own])
    return [(heading, mine), (f"Danh mục kèm chương trình: {_path(SCHEMAS)}", kept + replaced)]


def _check_province_file(path: Path, data: dict) -> tuple[bool, str]:
    """A province file, checked as a run would apply it: with the catalogs of its folder over the shipped ones."""
    try:
        _, periods = load_catalogs(path.parent)
    except CatalogError as e:
        message = str(e)
        own = message.startswith(f"{_path(path)}: ")
        return False, message if own else f"{_path(path)}: chưa kiểm tra được vì lỗi ở tệp khác — {message}"
    if data.get("period") not in {c.period for c in periods}:  # left out with its unfinished period
        return False, f"{_path(path)}: chưa kiểm tra được vì bộ chỉ tiêu {data['period']} chưa hoàn thành"
    added, tightened = len(data.get("indicators", [])), len(data.get("tighten", []))
    return True, (
        f"{_path(path)}: hợp lệ — tỉnh {data['province']}, giai đoạn {data['period']}: "
        f"thêm {added} chỉ tiêu, nâng {tightened} ngưỡng"
    )


def _siblings(path: Path, columns: Path | None, exclude: set[Path]) -> list[Criteria]:
    """The other period files a run would read with a criteria file (its folder over the shipped one) that load
    cleanly; a shipped file of the same name is the one it replaces, not another."""
    found = []
    for name, other in catalog_files(path.parent).items():
        if not fnmatch(name, "criteria-*.toml") or name == path.name or other.resolve() in exclude:
            continue
        try:
            found.append(load_criteria(other, columns))
        except CatalogError:
            continue
    return found


def _summary(c: Criteria) -> str:
    tiers = ", ".join(c.tiers["label"])
    return f"{_path(c.source)}: hợp lệ — {len(c.indicators)} chỉ tiêu, các hạng: {tiers}, năm {_span(c.years)}"


# ---- a new period, started from what is verified of it ----------------------------------------------------------


def starter_periods() -> list[str]:
    """The periods `catalog new` has a starter file for."""
    return sorted(p.stem.removeprefix("criteria-") for p in STARTERS.glob("criteria-*.toml"))


def new_catalog(period: str, department: Path | None = None) -> Path:
    """Write the starter file of a period into the department's folder (`schemas/` when none is given, created
    if need be): only what is verified of the period, no indicator. Never over an existing file."""
    starter = STARTERS / f"criteria-{period}.toml"
    if not starter.is_file():
        known = ", ".join(starter_periods())
        raise CatalogError(
            f'Không có tệp khởi đầu cho giai đoạn "{period}" (có: {known}); giai đoạn khác: chép một tệp '
            "criteria-*.toml vào thư mục danh mục của Sở rồi sửa (xem schemas/README.md)"
        )
    if (SCHEMAS / starter.name).is_file():
        raise CatalogError(
            f"{_path(SCHEMAS / starter.name)}: chương trình đã kèm bộ chỉ tiêu này; muốn sửa thì chép tệp đó "
            "vào thư mục danh mục của Sở và sửa bản chép"
        )
    folder = department if department is not None else DEPARTMENT
    target = folder / starter.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as f:  # "x": a file already there (or written meanwhile) is never replaced
            f.write(starter.read_bytes())
    except FileExistsError:
        raise CatalogError(
            f"{_path(target)}: đã có tệp này, không ghi đè; hãy sửa tiếp tệp đó rồi chạy catalog check "
            "(muốn bắt đầu lại thì đổi tên hoặc xóa nó trước)"
        ) from None
    except OSError as e:
        raise CatalogError(f"{_path(target)}: không ghi được ({e.strerror or e})") from e
    return target


# ---- helpers -----------------------------------------------------------------------------------------------------


def fraction(value) -> Fraction | None:
    """Thresholds are compared as exact fractions: 0.8 means 4/5, not 0.80000000001."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return Fraction(str(value))


def _columns_for(folder: Path, columns: Columns | Path | None) -> Columns:
    if isinstance(columns, Columns):
        return columns
    if columns is None:
        columns = folder / "columns.toml" if (folder / "columns.toml").is_file() else SCHEMAS / "columns.toml"
    return load_columns(Path(columns))


def _load_toml(path: Path) -> dict:
    """A catalog or province file as Notepad may have saved it (`text_files.decode`)."""
    try:
        return tomllib.loads(text_files.decode(path.read_bytes()))
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(f"{_path(path)}: {text_files.toml_syntax(e)}") from e
    except text_files.UnreadableText as e:
        raise CatalogError(f"{_path(path)}: {e}") from e
    except OSError as e:
        raise CatalogError(f"{_path(path)}: không đọc được tệp danh mục ({e.strerror or e})") from e


def _entries(path: Path, data: dict, name: str, what: str) -> list[dict]:
    """The [[name]] tables of a file: at least one, each a table."""
    entries = data.get(name)
    if not isinstance(entries, list) or not entries:
        _failer(path, f"[[{name}]]")(f"không có {what} nào; cần ít nhất một mục [[{name}]]")
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            _failer(path, f"{name}[{n}]")(f"cần viết mỗi {what} thành một mục [[{name}]]")
    return entries


def _entry(what: str, key, table: str, n: int) -> str:
    """How a message names an entry: `chỉ tiêu "7.1" ([[indicators]] thứ 4)`."""
    return f'{what} "{key}" ([[{table}]] thứ {n})' if isinstance(key, str) and key else f"[[{table}]] thứ {n}"


def _failer(path: Path, where: str) -> Callable[[str], NoReturn]:
    def fail(message: str) -> NoReturn:
        raise CatalogError(f"{_path(path)}: {where}: {message}")

    return fail


def _need_text(fail, entry: dict, field: str) -> None:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        fail(f"thiếu {field}" if value is None else f"{field} = {_show(value)}: cần chữ trong ngoặc kép")


def _given(field: str, value) -> str:
    """How a message names a key's value: `kind "tile"`, or `thiếu kind` when it is not written."""
    return f"thiếu {field}:" if value is None else f"{field} {_show(value)}"


def _one_of(value: object, options) -> TypeGuard[str]:
    return isinstance(value, str) and value in options


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value) -> str:
    """A value as it would be written in TOML, for messages."""
    if value is None:
        return "(trống)"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _span(years) -> str:
    return f"{years[0]}–{years[1]}"


def _path(path: Path) -> str:
    """The file as the user would type it: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
