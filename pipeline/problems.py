"""The catalog of data problems and the frame every report is built from.

Each problem has a stable code (tests assert codes and cells, not prose), a
severity, and its detail as data (`detail`): what it says is said when it is
written, in the run's language (`presenting/messages.py`). `loi` (error) means
some value could not be used; `canh_bao` (warning) means the run noticed
something but lost nothing.
"""

from __future__ import annotations

import json

import pandas as pd

from pipeline.roles import ROLES

ERROR = "loi"
WARNING = "canh_bao"
# code: severity. What each says is in `presenting/messages.py`, per language.
SEVERITY = {
    "khong-doc-duoc": ERROR,
    "bo-qua-tep": WARNING,
    "thieu-trang": ERROR,
    "thieu-trang-thon": WARNING,
    "khong-thay-tieu-de": ERROR,
    "chua-co-so-lieu": ERROR,
    "thieu-cot": ERROR,
    "thieu-cot-chi-tieu": ERROR,
    "cot-la": WARNING,
    "cot-trung": WARNING,
    "sai-kieu": ERROR,
    "thieu-gia-tri": ERROR,
    "ngoai-khoang": ERROR,
    "vuot-mau-so": ERROR,
    "khong-co-xa": ERROR,
    "trung-ma-xa": ERROR,
    "trung-ten-thon": ERROR,
    "thon-khai-khac-nhau": ERROR,
    "khong-co-bo-chi-tieu": ERROR,
    "qua-lon": ERROR,
    "tcvn3": WARNING,
    "cong-thuc": ERROR,
    "hang-khac-giai-doan": ERROR,
    "thon-chua-ro-nam": ERROR,
    "chua-nop-ho-so": ERROR,
    "ma-khong-co-trong-danh-muc": ERROR,
    "khong-phai-xa": ERROR,
    "ten-khac-danh-muc": WARNING,
    "xa-tinh-khac": WARNING,
    "khong-co-trong-danh-sach": WARNING,
    "hang-khac-danh-sach": WARNING,
    "thon-chua-du": WARNING,
    "tep-lam-hong-trinh-doc": ERROR,
    "qua-thoi-gian": ERROR,
    "thu-muc-khong-doc-duoc": ERROR,
    "lien-ket-hong": ERROR,
    "ten-tep-khong-hop-le": WARNING,
    "trang-trung": ERROR,
    "dong-tieu-de-lap": WARNING,
    "tieu-de-lap-khac-cot": WARNING,
    "o-loi": ERROR,
    "ket-qua-nam-truoc": WARNING,
    "ma-xa-thieu-so-0": WARNING,
    "ma-xa-ky-tu-an": WARNING,
    "ten-la-so": WARNING,
    "huyen-nhieu-cach-viet": WARNING,
    "khong-co-thon": ERROR,
}
COLUMNS = [
    "tep",
    "trang",
    "o",
    "cot",
    "gia_tri",
    "chi_tiet",
    "muc_do",
    ROLES.code,
    "ma_loi",
    "chi_tieu",
    ROLES.name,
    ROLES.village,
]


def problem(code: str, tep: str, chi_tiet: str = "", **fields) -> dict:
    """One problem row (for the few problems found outside the vectorized checks); `chi_tiet` from `detail`."""
    return {"tep": tep, "chi_tiet": chi_tiet, "muc_do": SEVERITY[code], "ma_loi": code} | fields


def detail(variant: str, **fields) -> str:
    """What a check found beyond its code, as data: the variant of the detail's template (`messages.DETAILS`)
    and its fields, said in the run's language when the problem is written."""
    return json.dumps({"mau": variant, **fields}, ensure_ascii=False, default=_plain)


def details(variant: str, index: pd.Index, **fields) -> pd.Series:
    """`detail` for many problems at once: each field a Series on `index`, or one value for all."""
    rows = pd.DataFrame(fields, index=index).to_dict("records")
    return pd.Series([detail(variant, **row) for row in rows], index=index, dtype=object)


def _plain(value):
    """numpy's and pandas' scalars as JSON has them."""
    return None if value is pd.NA else value.item() if hasattr(value, "item") else str(value)


def frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Problems as a frame with every report column, as text."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    return df.reindex(columns=COLUMNS).astype("string").fillna("")


def cell_hits(rows: pd.DataFrame, key: str, code: str, chi_tiet="") -> pd.DataFrame:
    """Hits of the checks, before they are located: (row index, column key, problem code, detail) per row;
    `chi_tiet` one `detail` for all, or `details` on the rows' index."""
    return pd.DataFrame({"idx": rows.index, "cot": key, "ma_loi": code, "chi_tiet": chi_tiet})


RUNS = ("thieu-gia-tri",)  # problems that come in runs down a column: one blank column is one row of the lists


def listed(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems as the lists people read them (`loi-du-lieu.csv`, the problems sheets): a run of empty cells
    down one column of one commune's rows is one row with its range ("F31:F45") and its villages ("thôn 1 …
    thôn 15, 15 thôn"). What each commune lacks is still worked out from every cell (`findings`)."""
    cell = problems["o"].str.extract(r"^([A-Z]+)(\d+)$")
    runs = problems["ma_loi"].isin(RUNS) & cell[1].notna()
    if not runs.any():
        return problems
    mine = problems[runs].assign(_chu=cell[0], _dong=cell[1].astype("float").astype("Int64"))
    key = ["tep", "trang", "cot", "ma_loi", ROLES.code, "chi_tiet", "_chu"]
    mine = mine.sort_values([*key, "_dong"], kind="stable")
    step = mine.groupby(key, sort=False)["_dong"].diff().ne(1).fillna(True).astype(bool)  # a run starts
    mine = mine.assign(_run=step.cumsum())
    first = mine.groupby("_run", sort=False).agg(
        first=("_dong", "min"), last=("_dong", "max"), size=("_dong", "size"), at=("_dong", lambda s: s.index[0])
    )
    rows = mine.loc[first["at"]].drop(columns=["_chu", "_dong", "_run"]).set_axis(first.index)
    span = first["size"] > 1
    chu = mine.groupby("_run", sort=False)["_chu"].first()
    rows["o"] = rows["o"].where(~span, chu + first["first"].astype(str) + ":" + chu + first["last"].astype(str))
    names = mine.groupby("_run", sort=False)[ROLES.village].agg(lambda s: s.iloc[0] + " … " + s.iloc[-1])
    counted = names + ", " + first["size"].astype(str) + " thôn"
    rows[ROLES.village] = rows[ROLES.village].where(~span | rows[ROLES.village].eq(""), counted)
    out = pd.concat([problems[~runs], rows.set_axis(first["at"].to_numpy())]).sort_index()
    return out.reset_index(drop=True)
