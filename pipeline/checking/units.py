"""The national list of administrative units, against which commune codes are checked from 2025 on.

Since 1 July 2025 (Decision 19/2025/QĐ-TTg) a commune's code is its code in
the list of 3,321 units of the 34 provinces, and codes are reused: 13456 was
Xã Liêm Cần (Hà Nam) and is Xã Liêm Hà (Ninh Bình). The list is data someone
maintains, so it comes from the package `vietnam-provinces` (pinned in
requirements.lock), never retyped here. It is read only when a batch holds a
year from `LIST_FROM` on.
"""

from __future__ import annotations

import functools
import json
import unicodedata

import pandas as pd

from pipeline.problems import details
from pipeline.roles import ROLES

LIST_FROM = 2025  # the first assessment year whose codes are those of the list of 1 July 2025
COMMUNE = "xã"  # the unit type the new-rural sets apply to; wards (phường) and special zones (đặc khu) are not
UNITS = [ROLES.code, "ten", "loai", "ma_tinh", "ten_tinh"]
REORGANISED = (
    "từ ngày 01/7/2025 các đơn vị hành chính cấp xã đã được sắp xếp lại và mã xã theo danh mục mới"
    " (Quyết định 19/2025/QĐ-TTg), một mã có thể là xã khác năm trước, nên không đối chiếu kết quả hai năm theo mã xã"
)


def same_list(a: int, b: int) -> bool:
    """Whether codes of years a and b come from one code list: a code identifies a commune only within its list."""
    return (a >= LIST_FROM) == (b >= LIST_FROM)


@functools.cache
def national_list() -> pd.DataFrame:
    """Every unit of the list, indexed by its 5-digit code (text): name, type, province code and name."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH  # imported here: most runs never need it

    provinces = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    rows = [
        (f"{w['code']:05d}", w["name"], w["division_type"], p["code"], p["name"]) for p in provinces for w in p["wards"]
    ]
    return pd.DataFrame(rows, columns=UNITS).set_index(ROLES.code)


def communes_of(province: int) -> pd.DataFrame:
    """The communes (xã only) of one province, in code order: ma_xa, ten_xa."""
    units = national_list()
    mine = units[(units["ma_tinh"] == province) & (units["loai"] == COMMUNE)].sort_index()
    return pd.DataFrame({ROLES.code: mine.index, ROLES.name: mine["ten"].to_numpy()})


def province_name(province: int) -> str | None:
    units = national_list()
    names = units.loc[units["ma_tinh"] == province, "ten_tinh"]
    return names.iat[0] if len(names) else None


def same_name(a: str, b: str) -> bool:
    """Two names of one unit, whatever the case, the composition of diacritics or a leading "Xã"."""
    return _bare(a) == _bare(b)


def _bare(name: str) -> str:
    words = unicodedata.normalize("NFC", name).casefold().split()
    return " ".join(words[1:] if words[:1] == ["xã"] else words)


def questions(xa: pd.DataFrame, province: int | None) -> list[tuple[pd.Index, str, str, pd.Series]]:
    """What the list says of the commune rows of a year from `LIST_FROM` on: (rows, column, problem code,
    detail) for each kind of question.

    Not in the list: an error on the code. A ward or special zone: an error, outside the commune set.
    Another name than the list's: a warning naming both (the trap of a reused code). Another province
    than the department's (`province`, the settings' `ma_tinh`): a warning.
    """
    shaped = xa[ROLES.code].str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    dated = xa[xa[ROLES.year].ge(LIST_FROM).fillna(False).astype(bool) & shaped]
    if dated.empty:
        return []
    units = national_list().reindex(dated[ROLES.code]).set_axis(dated.index)
    listed = units["ten"].notna()
    given = dated[ROLES.name].where(listed)
    ward = listed & units["loai"].ne(COMMUNE)
    renamed = ~ward & pd.Series(
        [isinstance(a, str) and not same_name(a, b) for a, b in zip(given, units["ten"], strict=True)],
        index=dated.index,
    )
    elsewhere = listed & units["ma_tinh"].ne(province) if province is not None else listed & False
    return [
        (dated.index[~listed], ROLES.code, "ma-khong-co-trong-danh-muc", pd.Series("", index=dated.index)),
        (dated.index[ward], ROLES.code, "khong-phai-xa", details("name", dated.index[ward], name=units["ten"][ward])),
        (
            dated.index[renamed],
            ROLES.name,
            "ten-khac-danh-muc",
            details("code-is", dated.index[renamed], code=dated[ROLES.code][renamed], name=units["ten"][renamed]),
        ),
        (
            dated.index[elsewhere],
            ROLES.code,
            "xa-tinh-khac",
            details("in-province", dated.index[elsewhere], name=units["ten"], province=units["ten_tinh"]),
        ),
    ]


def province_of(codes: pd.Series) -> pd.Series:
    """The province of each code as a heading names it ("Tỉnh Ninh Bình", "Thành phố Hà Nội"); NA where the
    code is not in the list."""
    names = national_list()["ten_tinh"]
    titled = names.where(names.str.startswith("Thành phố"), "Tỉnh " + names)
    return pd.Series(titled.reindex(codes.astype("string")).to_numpy(), index=codes.index, dtype="string")
