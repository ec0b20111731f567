"""The department's settings for the documents it signs: `cau-hinh.toml` at the project root (`load_settings`
says which file is read: never one in the input folder).

What a department fills in once (its parent body, its name, the place, the signer,
the recipients, its own legal bases) and never the input folder's business. A
setting left out or blank prints as a dotted placeholder (`PLACEHOLDER`) for the
officer to fill in by hand: the tool never invents a name or a number.

A fault stops the run with one line naming the file and the key, e.g.
`cau-hinh.toml: nguoi_ky = 5: cần chữ trong ngoặc kép`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pipeline.catalog import LegalBasis
from pipeline.checking import units
from pipeline.parse import clean
from pipeline.reading import text_files

SETTINGS = Path(__file__).resolve().parent.parent / "cau-hinh.toml"
PLACEHOLDER = "……………"

# key: what it holds (for messages and the shipped file's comments)
TEXT_KEYS = {
    "co_quan_chu_quan": 'cơ quan chủ quản, ví dụ "UBND TỈNH HÀ NAM"',
    "co_quan_ban_hanh": 'cơ quan ban hành văn bản, ví dụ "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"',
    "dia_danh": 'địa danh ghi trước ngày tháng, ví dụ "Hà Nam"',
    "so": 'số văn bản, ví dụ "125"',
    "ky_hieu": 'ký hiệu văn bản, ví dụ "BC-STTTT"',
    "quyen_han": 'quyền hạn ký, ví dụ "KT. GIÁM ĐỐC" (để trống khi người đứng đầu ký)',
    "chuc_vu": 'chức vụ người ký, ví dụ "GIÁM ĐỐC"',
    "nguoi_ky": "họ và tên người ký",
    "ten_tinh": 'tên tỉnh in trong văn bản, ví dụ "Ninh Bình" (bỏ đi thì lấy theo ma_tinh)',
}
BASIS_KEYS = {
    "so": 'số văn bản, ví dụ "12/QĐ-UBND"',
    "loai": 'loại văn bản, ví dụ "Quyết định", "Kế hoạch" (mặc định Quyết định)',
    "ngay": "ngày ban hành, ví dụ 2024-03-15",
    "co_quan": 'cơ quan ban hành, ví dụ "UBND tỉnh"',
    "trich_yeu": "trích yếu nội dung",
}
KEYS = (*TEXT_KEYS, "ma_tinh", "ngay", "noi_nhan", "can_cu")
# Since 2025 the Department of Information and Communications is part of the Department of Science and Technology.
MERGED_FROM, OLD_NAME = 2025, "thông tin và truyền thông"


Fail = Callable[[str, str], NoReturn]  # (key, message): raises SettingsError naming the file


class SettingsError(Exception):
    """The settings file is missing or holds a key or a value the tool cannot use."""


@dataclass(frozen=True)
class Settings:
    """The department's settings; None (or an empty tuple) where the file says nothing."""

    co_quan_chu_quan: str | None = None
    co_quan_ban_hanh: str | None = None
    dia_danh: str | None = None
    so: str | None = None
    ky_hieu: str | None = None
    ngay: dt.date | None = None
    quyen_han: str | None = None
    chuc_vu: str | None = None
    nguoi_ky: str | None = None
    ten_tinh: str | None = None
    ma_tinh: int | None = None  # the department's province, its code in the national list of 1 July 2025
    noi_nhan: tuple[str, ...] = ()
    can_cu: tuple[LegalBasis, ...] = ()
    source: Path | None = None

    def shown(self, key: str) -> str:
        """A text setting as it prints: its value, or the dotted placeholder."""
        value = getattr(self, key)
        return value if value else PLACEHOLDER

    def old_department(self, years) -> dict | None:
        """What the officer should know before signing for these years: the department still named as before
        the merger of 2025, as the fields of the terminal's line (`messages.TERMINAL`'s "old_department")."""
        late = [y for y in years if y >= MERGED_FROM]
        if late and OLD_NAME in (self.co_quan_ban_hanh or "").casefold():
            return {"file": _path(self.source or SETTINGS), "merged": MERGED_FROM, "year": max(late)}
        return None


def load_settings(path: Path | None = None, input_dir: Path | None = None) -> Settings:
    """The settings of `path`; with None, the first `cau-hinh.toml` found in the working folder, then beside
    the package (the project's), else no settings (every setting prints as a placeholder). A file given that
    does not exist is an error.

    Never a file inside `input_dir`: that folder holds what communes sent, and whoever put a settings file
    there would sign the report. By default such a file is passed over; given by name, it is refused.
    """
    if path is None:  # the working folder's settings (an installed copy run from the department's folder), else ours
        found = [p for p in (Path.cwd() / SETTINGS.name, SETTINGS) if p.is_file() and not _inside(p, input_dir)]
        if not found:
            return Settings()
        path = found[0]
    path = Path(path)
    if _inside(path, input_dir):
        raise SettingsError(
            f"{_path(path)}: tệp cấu hình nằm trong thư mục hồ sơ đầu vào {input_dir}, nơi chứa tệp các xã gửi; "
            "hãy để tệp cấu hình của Sở ngoài thư mục này (ví dụ cau-hinh.toml của thư mục dự án)"
        )
    try:
        data = tomllib.loads(text_files.decode(path.read_bytes()))
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{_path(path)}: {text_files.toml_syntax(e)}") from e
    except text_files.UnreadableText as e:
        raise SettingsError(f"{_path(path)}: {e}") from e
    except OSError as e:
        raise SettingsError(f"{_path(path)}: không đọc được tệp cấu hình ({e.strerror or e})") from e
    return _parse(path, data)


def _inside(path: Path, folder: Path | None) -> bool:
    """Whether `path` lies in `folder` or below it, links resolved."""
    return folder is not None and Path(path).resolve().is_relative_to(Path(folder).resolve())


def _parse(path: Path, data: dict) -> Settings:
    def fail(key: str, message: str) -> NoReturn:
        raise SettingsError(f"{_path(path)}: {key}{message}")

    for key in data:
        if key not in KEYS:
            fail(f'khóa "{key}"', f" không có; các khóa dùng được: {', '.join(KEYS)}")
    values: dict = {key: _text(fail, key, data.get(key)) for key in TEXT_KEYS}
    values["ngay"] = _date(fail, "ngay", data.get("ngay"))
    values["ma_tinh"] = _province(fail, data.get("ma_tinh"))
    if values["ma_tinh"] is not None and values["ten_tinh"] is None:
        values["ten_tinh"] = units.province_name(values["ma_tinh"])
    recipients = data.get("noi_nhan", [])
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        fail(
            "noi_nhan", f' = {_show(recipients)}: cần danh sách các dòng chữ, ví dụ noi_nhan = ["UBND tỉnh", "Lưu: VT"]'
        )
    values["noi_nhan"] = tuple(line for line in map(clean, recipients) if line)
    bases = data.get("can_cu", [])
    if not isinstance(bases, list) or not all(isinstance(b, dict) for b in bases):
        fail("can_cu", ": cần viết mỗi căn cứ thành một mục [[can_cu]] với so, loai, ngay, co_quan, trich_yeu")
    values["can_cu"] = tuple(_basis(fail, n, entry) for n, entry in enumerate(bases, 1))
    return Settings(**values, source=path)


def _basis(fail: Fail, n: int, entry: dict) -> LegalBasis:
    where = f"[[can_cu]] thứ {n}: "
    for key in entry:
        if key not in BASIS_KEYS:
            fail(f'{where}khóa "{key}"', f" không có; các khóa dùng được: {', '.join(BASIS_KEYS)}")
    number = _text(fail, f"{where}so", entry.get("so"))
    if not number:
        fail(f"{where}so", ': mỗi căn cứ cần số văn bản, ví dụ so = "12/QĐ-UBND"')
    return LegalBasis(
        number=number,
        kind=_text(fail, f"{where}loai", entry.get("loai")) or "Quyết định",
        date=_date(fail, f"{where}ngay", entry.get("ngay")),
        issuer=_text(fail, f"{where}co_quan", entry.get("co_quan")) or "",
        title=_text(fail, f"{where}trich_yeu", entry.get("trich_yeu")) or "",
    )


def _text(fail: Fail, key: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        fail(key, f' = {_show(value)}: cần chữ trong ngoặc kép (để "" nếu muốn điền tay)')
    return clean(value) or None


def _province(fail: Fail, value) -> int | None:
    """The settings' `ma_tinh`: a province of the national list of 1 July 2025, by its code."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or units.province_name(value) is None:
        fail(
            "ma_tinh",
            f" = {_show(value)}: cần mã một tỉnh trong danh mục ngày 01/7/2025, ví dụ ma_tinh = 37 (Ninh Bình)",
        )
    return value


def _date(fail: Fail, key: str, value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        fail(key, f" = {_show(value)}: cần một ngày dạng năm-tháng-ngày, không ngoặc kép, ví dụ 2024-12-10")
    return value


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
