"""The blank template communes fill in, built from the catalogs that validate it.

Every column, label, bound, unit, help text and indicator comes from
`pipeline/schemas/columns.toml` and `pipeline/schemas/criteria-*.toml`; how each type of column
(ma, text, year, count, yesno, tier) is offered comes from `column_types.TYPES`.

Layout of the sheets `Xa` and `Thon`: a title in row 1, a note in row 2, the
Vietnamese labels in row 3 (the only header row, so `read` picks it) with each
column key in the label cell's comment, and input from row 4. Header cells are
locked and the sheet protected without a password; input columns are unlocked
and carry the catalog's data validation. A third sheet, `Hướng dẫn`, documents
every column and every indicator.

Pre-filled copies (one per commune or per district) take the communes from a
CSV or from the previous year's input. A commune's code, name, district and tier
are the columns of those roles (`roles.ROLES`); the year column, where it must be
given, gets the template's year.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter

from pipeline import __version__, parse
from pipeline.assessing.kinds import threshold_text
from pipeline.catalog import SHEETS, CatalogError, Columns, Criteria, load_catalogs
from pipeline.checking import units
from pipeline.checking.column_types import CODE_DIGITS, TYPES, Reading
from pipeline.presenting.messages import sayer
from pipeline.problems import ERROR, frame
from pipeline.reading import text_files
from pipeline.reading.read import MAX_ROWS, WORKBOOK_SUFFIXES, combine, read_batch, read_file
from pipeline.roles import ROLES
from pipeline.writing import style
from pipeline.writing.files import replace_atomically

TITLE_ROW, NOTE_ROW, HEADER_ROW = 0, 1, 2  # 0-based; labels on Excel row 3
FIRST_ROW = HEADER_ROW + 1  # first input row (Excel row 4)
LAST_ROW = MAX_ROWS  # validations and unlocked cells reach as far as `read` reads
PRINTED_BLANK_ROWS = 20  # rows a printed blank form offers for handwriting
INSTRUCTIONS = "Hướng dẫn"
PER = ("commune", "district")

SHEET_TEXT = {
    "Xa": "Trang Xa — mỗi xã một dòng",
    "Thon": "Trang Thon — mỗi thôn một dòng, ghi mã xã của thôn",
}
USED_AS = {"column": "", "numerator": "tử số", "denominator": "mẫu số", "requires": "điều kiện"}
MAX_WIDTH = 30


class TemplateError(Exception):
    """The template cannot be made as asked (bad year, unreadable commune list)."""


class NoCatalog(TemplateError):
    """No criteria catalog covers the year yet: nothing is wrong with the request, something is still to add."""


@dataclass
class Made:
    """The files written and what the user should know about them."""

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- entry point --------------------------------------------------------------------------


def generate(
    year: int,
    output_dir: Path,
    communes: Path | None = None,
    per: str = "commune",
    schemas: Path | None = None,
    province: int | None = None,
) -> Made:
    """The blank template, or one pre-filled copy per commune (or district) of `communes`, or of the
    communes (xã only) of `province` in the national list of 1 July 2025. `schemas`: the department's
    catalog folder, read over the shipped catalogs."""
    made = Made()
    columns, periods = load_catalogs(schemas, unfinished=made.notes)
    _check_year(year, columns)
    criteria = _criteria(year, periods, made.notes)
    spec = Spec(year, columns, criteria)
    if communes is None and province is None:
        path = output_dir / f"mau-nhap-lieu-{year}.xlsx"
        _write(path, spec)
        made.written.append(path)
        return made
    if per not in PER:
        raise TemplateError(f"--per phải là một trong {', '.join(PER)}")
    if province is not None:
        xa, thon = _province(year, province), pd.DataFrame(columns=list(columns.of("Thon").index))
    else:
        xa, thon, notes = load_communes(communes, columns, periods)  # type: ignore[arg-type]
        made.notes += notes
        if xa.empty:
            raise TemplateError("\n".join([f"Không có xã nào đọc được từ {communes}", *notes]))
    folder = output_dir / f"mau-nhap-lieu-{year}"
    group = ROLES.code if per == "commune" else ROLES.area
    groups = xa.assign(_group=xa[group].fillna("")).groupby("_group", sort=True)
    labels = {value: _file_label(value, part, per == "commune") for value, part in groups}
    names = parse.file_names(labels.values())
    for value, part in groups:
        path = folder / f"{names[labels[value]]}.xlsx"
        villages = thon[thon[ROLES.code].isin(part[ROLES.code])]
        _write(path, spec, part.drop(columns="_group"), villages)
        made.written.append(path)
    return made


def _file_label(value: str, part: pd.DataFrame, per_commune: bool) -> str:
    """What a pre-filled copy's file is named after (`parse.file_names` makes it a file name): its commune's code
    and name ("01234 Xã Một"), else its district, or "không có huyện"."""
    if not per_commune:
        return value or "không có huyện"
    name = part[ROLES.name].iloc[0]
    return f"{value} {name if isinstance(name, str) else 'không tên'}"


def _province(year: int, province: int) -> pd.DataFrame:
    """The communes of a province in the national list, code and name filled in (wards are not communes)."""
    if year < units.LIST_FROM:
        raise TemplateError(
            f"Danh mục đơn vị hành chính ngày 01/7/2025 áp dụng từ năm {units.LIST_FROM}; năm {year} dùng mã cũ, "
            "hãy tạo biểu với --communes (danh sách xã của năm đó)"
        )
    found = units.communes_of(province)
    if found.empty:
        raise TemplateError(f"Không có tỉnh mã {province} trong danh mục đơn vị hành chính ngày 01/7/2025 (34 tỉnh)")
    return found.assign(**{ROLES.area: pd.NA})  # no districts since 2025


def _criteria(year: int, periods: list[Criteria], unfinished: list[str]) -> Criteria:
    """The period covering the year; a template for a year no catalog covers is refused, never guessed
    (with the catalogs left out as unfinished, which may be the one the user meant)."""
    found = next((c for c in periods if c.covers(year)), None)
    if found is None:
        known = ", ".join(f"{c.period} ({c.years[0]}–{c.years[1]})" for c in periods) or "không có"
        raise NoCatalog(
            "\n".join(
                [
                    f"Chưa có bộ chỉ tiêu cho năm {year} (các giai đoạn đã có: {known}); hãy thêm tệp "
                    "criteria-*.toml của giai đoạn đó vào thư mục danh mục của Sở, schemas/ (xem README, mục "
                    "Danh mục) rồi tạo lại biểu",
                    *unfinished,
                ]
            )
        )
    return found


def _check_year(year: int, columns: Columns) -> None:
    row = columns.of("Xa").loc[ROLES.year]
    if not int(row["min"]) <= year <= int(row["max"]):
        raise TemplateError(
            f"Năm {year} ngoài khoảng {int(row['min'])}–{int(row['max'])} của cột “{row['label']}” "
            "(danh mục cột columns.toml)"
        )


# -- what the catalogs say about each column ---------------------------------------------------


class Spec:
    """Everything the layout needs, derived once from the catalogs."""

    def __init__(self, year: int, columns: Columns, criteria: Criteria):
        self.year = year
        self.columns = columns
        self.criteria = criteria
        self.tiers = criteria.tiers
        self.reading = Reading(criteria.tiers, columns.yes, columns.no)
        self.yes, self.no = self.reading.yes_word, self.reading.no_word
        self.uses = _uses(criteria)
        for items in ([self.yes, self.no], self.reading.labels):
            if any("," in i for i in items) or len(",".join(items)) > 255:
                raise CatalogError(f"Danh sách chọn {items} có dấu phẩy hoặc dài quá 255 ký tự; Excel không nhận")

    def kind_text(self, row: pd.Series) -> str:
        """How a column's values are typed, in Vietnamese."""
        return TYPES[row["type"]].hint(row, self.reading)

    def meaning(self, key: str, row: pd.Series) -> str:
        """The catalog's help, or else the wording of the indicators the column feeds."""
        if row["help"]:
            return row["help"]
        parts = []
        for use in self.uses[self.uses["key"] == key].itertuples():
            what = f"{use.role.capitalize()} của chỉ tiêu" if use.role else "Chỉ tiêu"
            parts.append(f"{what} {use.id}: {use.label}")
        return "; ".join(parts) or row["label"]

    def indicators(self, key: str) -> str:
        """ "8.2.a (tử số), 15.2.k (mẫu số)" """
        uses = self.uses[self.uses["key"] == key]
        return ", ".join(f"{u.id} ({u.role})" if u.role else u.id for u in uses.itertuples())

    def needed_for(self, key: str) -> str:
        """The lowest tier whose indicators use the column ("NTM nâng cao trở lên")."""
        ranks = self.uses.loc[self.uses["key"] == key, "rank"]
        if ranks.empty:
            return ""
        rank = int(ranks.min())
        text = self.tiers.loc[self.tiers["rank"] == rank, "label"].iloc[0]
        return text if rank == int(self.tiers["rank"].max()) else f"{text} trở lên"

    def validation(self, key: str, row: pd.Series) -> dict:
        """The xlsxwriter data validation of an input column, with Vietnamese messages."""
        label = row["label"]
        message = [self.meaning(key, row), self.kind_text(row)]
        if row["unit"]:
            message.append(f"Đơn vị: {row['unit']}")
        if self.indicators(key):
            message.append(f"Chỉ tiêu: {self.indicators(key)}")
        out: dict[str, object] = {
            "validate": "any",
            "input_title": _clip(label, 32),
            "input_message": _clip("\n".join(dict.fromkeys(message)), 255),
        }
        entry = TYPES[row["type"]].entry(row, self.reading)
        if entry is None:
            return out
        rule, error = entry
        out |= rule | {"error_title": "Giá trị không hợp lệ", "error_message": _clip(f"{label}: {error}", 255)}
        return out


def _uses(criteria: Criteria) -> pd.DataFrame:
    """One row per (column key, indicator, role): which indicators each column feeds."""
    ind = criteria.indicators
    rows = [
        {"key": ind.at[i, f], "id": i, "role": role, "rank": ind.at[i, "tier_rank"], "label": ind.at[i, "label"]}
        for i in ind.index
        for f, role in USED_AS.items()
        if isinstance(ind.at[i, f], str)
    ]
    return pd.DataFrame(rows, columns=["key", "id", "role", "rank", "label"])


# -- the commune list ----------------------------------------------------------------------------


def load_communes(
    source: Path, columns: Columns, periods: list[Criteria]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Communes (and their villages) to pre-fill, typed; from a CSV or last year's workbooks.

    Returns the Xa rows (the columns of a type `prefilled`, tiers as keys),
    the Thon rows (only from workbooks) and notes about rows left out.
    """
    notes: list[str] = []
    xa_cat, thon_cat = columns.of("Xa"), columns.of("Thon")
    if source.is_dir() or source.suffix.lower() in WORKBOOK_SUFFIXES:
        raw_xa, raw_thon, notes = _from_workbooks(source, columns)
    elif source.suffix.lower() in (".csv", ".txt"):
        raw_xa, raw_thon = _from_csv(source, xa_cat), pd.DataFrame(columns=list(thon_cat.index), dtype=object)
    else:
        raise TemplateError(f"{source}: cần tệp CSV, bảng tính hoặc thư mục bảng tính của năm trước")
    reading = Reading(pd.concat([c.tiers for c in periods]), columns.yes, columns.no)
    xa, notes_xa = _typed(raw_xa, xa_cat, reading, "Xa")
    thon, notes_thon = _typed(raw_thon, thon_cat, reading, "Thon")
    if "_nam" in xa:  # several years of input: each commune as it was last declared
        xa = xa.sort_values("_nam", na_position="first", kind="stable").drop(columns="_nam")
        xa = xa.drop_duplicates(ROLES.code, keep="last")
    twice = xa[ROLES.code].duplicated()
    notes_xa += [f"mã xã {c} xuất hiện nhiều lần, chỉ dùng dòng đầu" for c in xa.loc[twice, ROLES.code].unique()]
    xa = xa[~twice]
    xa = xa.sort_values([ROLES.area, ROLES.code], na_position="first", kind="stable").reset_index(drop=True)
    thon = thon.drop_duplicates().reset_index(drop=True)
    return xa, thon, notes + notes_xa + notes_thon


def _from_csv(path: Path, catalog: pd.DataFrame) -> pd.DataFrame:
    """A commune list: header of column keys or labels, as Excel or Notepad saved it (`text_files`)."""
    try:
        rows = text_files.csv_rows(text_files.decode(path.read_bytes(), text_files.SAVE_CSV))
    except text_files.UnreadableText as e:
        raise TemplateError(f"{path}: {e}") from e
    except OSError as e:
        raise TemplateError(f"Không đọc được {path}: {e}") from e
    if not rows:
        raise TemplateError(f"{path}: tệp trống")
    names = {parse.fold(k): k for k in catalog.index} | {parse.fold(v): k for k, v in catalog["label"].items()}
    keys = [names.get(parse.fold(h)) for h in rows[0]]
    if not any(keys):
        raise TemplateError(f"{path}: dòng đầu không có tên cột nào của trang Xa (ví dụ {', '.join(catalog.index)})")
    body = [r for r in rows[1:] if any(v.strip() for v in r)]
    records = [{k: v for k, v in zip(keys, r, strict=False) if k} for r in body]
    return pd.DataFrame(records, columns=list(dict.fromkeys(k for k in keys if k)), dtype=object).assign(
        _dong=range(2, len(records) + 2)
    )


def _from_workbooks(source: Path, columns: Columns) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The raw Xa and Thon rows of last year's workbooks, read as `assess` reads them."""
    if source.is_dir():
        batch = read_batch(source, columns)
    else:
        batch = combine([read_file(source.parent, source, columns)], columns, [])
    errors = frame([p for p in batch.problems if p["muc_do"] == ERROR])
    notes = [f"{tep}: {said}" for tep, said in zip(errors["tep"], sayer("vi", columns).describe(errors), strict=True)]
    return batch.xa, batch.thon, notes


def _typed(raw: pd.DataFrame, catalog: pd.DataFrame, reading: Reading, sheet: str):
    """Parse the pre-filled columns as validation does; drop rows without a valid code."""
    keys = [k for k in catalog.index if TYPES[catalog.at[k, "type"]].prefilled]
    out, notes = pd.DataFrame(index=raw.index), []
    for key in keys:
        col = raw[key] if key in raw else pd.Series(pd.NA, index=raw.index, dtype=object)
        value, bad = TYPES[catalog.at[key, "type"]].parse(col, reading)
        if key == ROLES.tier:
            notes += [f"{_where(raw, i, sheet)}: hạng “{col[i]}” không rõ, để trống" for i in raw.index[bad]]
        out[key] = value.astype("string")
    if catalog.at[ROLES.year, "required"] and ROLES.year in raw:  # the year the commune's row was declared for
        out["_nam"] = parse.parse_count(raw[ROLES.year])[0]
    code = out[ROLES.code]
    ok = code.str.fullmatch(rf"\d{{{CODE_DIGITS}}}").fillna(False).astype(bool)
    notes += [
        f"{_where(raw, i, sheet)}: mã xã “{'' if pd.isna(code[i]) else code[i]}” không hợp lệ, bỏ qua"
        for i in raw.index[~ok]
    ]
    return out[ok], notes


def _where(raw: pd.DataFrame, i, sheet: str) -> str:
    """ "xa.xlsx, trang Xa, dòng 7" for a workbook row; "dòng 7" for a CSV line."""
    line = f"dòng {raw.at[i, '_dong']}" if "_dong" in raw else f"dòng {i}"
    return f"{raw.at[i, '_tep']}, trang {sheet}, {line}" if "_tep" in raw else line


# -- the workbook ------------------------------------------------------------------------


def _write(path: Path, spec: Spec, xa: pd.DataFrame | None = None, thon: pd.DataFrame | None = None) -> None:
    with replace_atomically(path) as tmp:
        book = Book(tmp, spec)
        for sheet in SHEETS:
            book.data_sheet(sheet, xa if sheet == "Xa" else thon)
        book.instructions()
        book.close()


GUIDE_WIDTHS = (5, 7, 24, 30, 44, 28, 9, 8, 16, 18)  # the instructions sheet's columns
GUIDE_HEAD = [
    "STT",
    "Trang",
    "Mã cột",
    "Tên cột (tiêu đề trong biểu)",
    "Ý nghĩa",
    "Kiểu dữ liệu, cách nhập",
    "Đơn vị",
    "Bắt buộc",
    "Cần cho hạng",
    "Chỉ tiêu sử dụng",
]


class Book:
    """An xlsxwriter template workbook: formats, the data sheets and the instructions."""

    def __init__(self, path: Path, spec: Spec):
        self.spec = spec
        self.wb = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        self.wb.set_properties({"title": self._title(), "comments": f"ntm-ict {__version__}"})
        base = style.base(11)
        head = base | {"bold": True, "text_wrap": True, "align": "center", "border": 1}
        self.f = {
            "title": self.wb.add_format(base | {"bold": True, "font_size": 14}),
            "note": self.wb.add_format(base | {"italic": True}),
            "head": self.wb.add_format(head | {"bg_color": style.HEAD_FILL}),
            "required": self.wb.add_format(head | {"bg_color": style.REQUIRED_FILL}),
            "cell": self.wb.add_format(base | {"border": 1, "text_wrap": True, "valign": "top"}),
            "para": self.wb.add_format(base | {"text_wrap": True, "valign": "top"}),
            "section": self.wb.add_format(base | {"bold": True, "font_size": 12}),
        }
        self.grid = self.wb.add_format({"border": 1})  # the printed form's empty cells
        unlocked = base | {"locked": False}
        self.input = {name: self.wb.add_format(unlocked | t.cell_format) for name, t in TYPES.items()}

    def close(self):
        self.wb.close()

    def _title(self) -> str:
        indicators = f"CHỈ TIÊU {self.spec.criteria.sector_words().upper()}".strip()
        return f"BIỂU NHẬP LIỆU {indicators} — XÃ NÔNG THÔN MỚI — NĂM {self.spec.year}"

    def data_sheet(self, sheet: str, rows: pd.DataFrame | None) -> None:
        spec, catalog = self.spec, self.spec.columns.of(sheet)
        ws = self.wb.add_worksheet(sheet)
        ws.set_row(TITLE_ROW, 22, self.f["title"])
        ws.set_row(NOTE_ROW, None, self.f["note"])
        ws.write_string(TITLE_ROW, 0, self._title(), self.f["title"])
        note = f"{SHEET_TEXT.get(sheet, sheet)}. Nhập từ dòng {FIRST_ROW + 1}; không sửa dòng tên cột. "
        note += f"Cột tô màu cam là bắt buộc. Xem trang “{INSTRUCTIONS}”."
        ws.write_string(NOTE_ROW, 0, note, self.f["note"])
        lines = 1
        for col, (key, row) in enumerate(catalog.iterrows()):
            width = _width(row)
            lines = max(lines, len(textwrap.wrap(row["label"], max(width - 2, 4))))
            ws.set_column(col, col, width, self.input[row["type"]])
            head = self.f["required"] if row["required"] else self.f["head"]
            ws.write_string(HEADER_ROW, col, row["label"], head)
            comment = f"Mã cột: {key}\n{spec.meaning(key, row)}"
            ws.write_comment(HEADER_ROW, col, _clip(comment, 500), {"author": "ntm-ict", "x_scale": 2, "y_scale": 2})
            ws.data_validation(FIRST_ROW, col, LAST_ROW, col, spec.validation(key, row))
        ws.set_row(HEADER_ROW, style.row_height(15 * lines + 6))
        if rows is not None:
            self._prefill(ws, catalog, rows)
        whose = (ROLES.code, *ROLES.places)  # the leading columns that say whose row it is
        leading = next((i for i, key in enumerate(catalog.index) if key not in whose), len(catalog))
        ws.freeze_panes(FIRST_ROW, leading)
        ws.autofilter(HEADER_ROW, 0, LAST_ROW, len(catalog) - 1)
        ws.protect(
            "",
            {
                "format_columns": True,
                "format_rows": True,
                "autofilter": True,
                "sort": True,
                "insert_rows": True,
                "delete_rows": True,
            },
        )
        style.a4(ws, fit_width=False)
        ws.repeat_rows(HEADER_ROW)
        # printed, the wide sheet runs over several pages: each carries the title in its header (never cut
        # mid-word by a page edge) and repeats the commune's code and name
        ws.repeat_columns(0, max(leading - 1, 0))
        style.page_title(ws, self._title())
        filled = len(rows) if rows is not None else 0
        last = FIRST_ROW + max(filled, PRINTED_BLANK_ROWS) - 1
        ws.print_area(HEADER_ROW, 0, last, len(catalog) - 1)
        ws.conditional_format(FIRST_ROW, 0, last, len(catalog) - 1, {"type": "blanks", "format": self.grid})

    def _prefill(self, ws, catalog: pd.DataFrame, rows: pd.DataFrame) -> None:
        spec = self.spec
        for r, (_, values) in enumerate(rows.reset_index(drop=True).iterrows(), start=FIRST_ROW):
            for col, (key, row) in enumerate(catalog.iterrows()):
                fmt = self.input[row["type"]]
                if key == ROLES.year and row["required"]:  # the template's year, where the sheet needs one
                    ws.write_number(r, col, spec.year, fmt)
                elif key in values.index and not pd.isna(values[key]):
                    value = values[key]
                    if key == ROLES.tier and value in spec.tiers.index:
                        value = spec.tiers.at[value, "label"]
                    ws.write_string(r, col, str(value), fmt)

    def instructions(self) -> None:
        """The `Hướng dẫn` sheet: how to fill the template, every column, every indicator with its threshold."""
        spec, f = self.spec, self.f
        ws = self.wb.add_worksheet(INSTRUCTIONS)
        for col, width in enumerate(GUIDE_WIDTHS):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, f"HƯỚNG DẪN NHẬP LIỆU — NĂM {spec.year}", f["title"])
        ws.write_string(1, 0, spec.criteria.title, f["note"])
        row = self._steps(ws, 3)
        row = self._column_list(ws, row + 1)
        self._indicator_list(ws, row + 2)
        ws.protect("", {"format_columns": True, "format_rows": True})
        style.a4(ws)

    def _steps(self, ws, row: int) -> int:
        """The numbered steps of filling the template, from `row`; the row after them."""
        spec, widths = self.spec, GUIDE_WIDTHS
        steps = [f"{SHEET_TEXT[s]}." for s in SHEETS if s in SHEET_TEXT] + [
            f"Nhập số liệu từ dòng {FIRST_ROW + 1}, ngay dưới dòng tên cột. Không sửa, xóa hay đổi thứ tự các "
            "ô tên cột; mã của từng cột ghi trong chú thích của ô tên cột. Giữ nguyên tên các trang.",
            f"Ô {spec.yes}/{spec.no}: chọn trong danh sách. Ô để trống là chưa có số liệu, không phải "
            f"“{spec.no}”: các chỉ tiêu dùng ô đó sẽ không đánh giá được.",
            "Ô số: nhập số nguyên không âm (số người, số hộ, số văn bản…), không nhập tỷ lệ phần trăm; "
            "tỷ lệ do công cụ tính từ tử số và mẫu số.",
            f"Mã xã gồm {CODE_DIGITS} chữ số; ô đã định dạng kiểu văn bản nên giữ được số 0 ở đầu.",
            "Cột tô màu cam là bắt buộc. Cột chỉ cần cho hạng cao hơn hạng xã đăng ký (cột “Cần cho hạng”) "
            "có thể để trống.",
            "Một tệp có thể gồm một xã hoặc nhiều xã (cả huyện); mỗi mã xã chỉ khai một lần trong một năm.",
        ]
        for i, text in enumerate(steps, start=1):
            ws.merge_range(row, 0, row, 5, f"{i}. {text}", self.f["para"])
            ws.set_row(row, _height([f"{i}. {text}"], [sum(widths[:6])]))
            row += 1
        return row

    def _column_list(self, ws, row: int) -> int:
        """One row per column of the catalog, from `row`: what it means, how to type it, what it feeds."""
        spec, f = self.spec, self.f
        ws.write_string(row, 0, "DANH MỤC CỘT", f["section"])
        row += 1
        ws.write_row(row, 0, GUIDE_HEAD, f["head"])
        ws.set_row(row, _height(GUIDE_HEAD, GUIDE_WIDTHS))
        n = 0
        for sheet in SHEETS:
            for key, c in spec.columns.of(sheet).iterrows():
                row, n = row + 1, n + 1
                values = [
                    n,
                    sheet,
                    key,
                    c["label"],
                    spec.meaning(key, c),
                    spec.kind_text(c),
                    c["unit"],
                    spec.yes if c["required"] else "",
                    spec.needed_for(key),
                    spec.indicators(key),
                ]
                ws.write_row(row, 0, values, f["cell"])
                ws.set_row(row, _height(values, GUIDE_WIDTHS))
        return row

    def _indicator_list(self, ws, row: int) -> None:
        """One row per indicator of the period, from `row`: its tier, wording, columns and threshold."""
        spec, f = self.spec, self.f
        ws.write_string(row, 0, f"DANH MỤC CHỈ TIÊU — {spec.criteria.title}", f["section"])
        row += 1
        ws.write_row(row, 0, ["STT", "Chỉ tiêu", "Hạng", "Nội dung", "Cột sử dụng", "Ngưỡng"], f["head"])
        labels = spec.columns.table.drop_duplicates("key").set_index("key")["label"]
        ind = spec.criteria.indicators
        for n, (ind_id, row_) in enumerate(ind.iterrows(), start=1):
            row += 1
            used = [labels.get(k, k) for k in row_["columns"]]
            if not used:
                parts = ind[ind["part_of"] == ind_id].index
                used = [f"đủ các điều kiện {', '.join(parts)}"] if len(parts) else []
            values = [
                n,
                ind_id,
                spec.tiers.at[row_["tier"], "label"],
                row_["label"],
                "; ".join(used),
                threshold_text(row_["kind"], row_["threshold"]),
            ]
            ws.write_row(row, 0, values, f["cell"])
            ws.set_row(row, _height(values, GUIDE_WIDTHS))


# -- small helpers -------------------------------------------------------------------------


def _width(row: pd.Series) -> int:
    """Wide enough that the wrapped label stays within about four lines."""
    base = TYPES[row["type"]].width
    longest = max((len(w) for w in str(row["label"]).split()), default=0)
    return min(MAX_WIDTH, max(base, math.ceil(len(row["label"]) / 4) + 2, longest + 3))


def _height(values, widths) -> float:
    """Row height (points) for wrapped cells: xlsxwriter cannot autofit rows."""
    lines = [len(textwrap.wrap(str(v), max(int(w) - 2, 4))) for v, w in zip(values, widths, strict=False)]
    return style.row_height(15 * max([1, *lines]) + 3)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["generate", "load_communes", "Made", "TemplateError"]
