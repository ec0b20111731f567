"""What each commune lacks, as data: per commune and indicator, what is missing or wrong, in words.

Computed once per year (`view.year_view`) from the results and the problem rows; the report says
it in sentences, the per-commune sheets say why each undecided indicator is undecided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import pandas as pd

from pipeline.assessing.kinds import KINDS, Kind, threshold_text
from pipeline.catalog import Criteria
from pipeline.checking.identity import UNKNOWN_CODE
from pipeline.presenting import messages
from pipeline.presenting.papers import (
    MET,
    NOT_MET,
    UNDECIDED,
)
from pipeline.presenting.summary import percent
from pipeline.presenting.words import count
from pipeline.problems import ERROR
from pipeline.roles import ROLES

NOT_SENT = "chua-nop-ho-so"  # the problem of a registered commune that sent nothing

# Problems that concern every commune of their file, though they are reported once (on its first row).
_FILE_WIDE = ("thieu-cot-chi-tieu", "thieu-trang-thon")
_MANY = 5  # more undecided indicators than this, with no problem to name, are named in one line
_SAID = 8  # sentences on one commune's data at most; the rest are counted, pointing to its sheet
_NAMED = 10  # villages named in one sentence at most
_EXPECTED = ("sai-kieu", "ngoai-khoang", "vuot-mau-so")  # problems whose detail says what the cell should hold
_COMMUNE = attrgetter(ROLES.code, ROLES.year)  # a row's commune of a year (rows of `itertuples`)


# ---- what each commune lacks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """What the documents need of one indicator, read once from the catalog (pandas lookups are slow)."""

    kind_name: str
    kind: Kind
    label: str
    threshold: Any  # a Fraction, or None
    cells: tuple[tuple[str, str], ...]  # (sheet, column key) of every column it reads, its parts' included


def indicator_meta(ind: pd.DataFrame) -> dict[str, Meta]:
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


@dataclass
class Finding:
    """What one commune lacks, said three ways: `short` lines for the tier table, `long` sentences for the
    recommendations, and `why` each undecided indicator is undecided (for its sheet); `cause`: why the
    commune is undecided, in the words of the report's draft line; `sent`: False for a registered commune
    that sent nothing."""

    short: list[str] = field(default_factory=list)
    long: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)
    cause: str = "có hồ sơ còn thiếu hoặc sai số liệu"
    sent: bool = True


def findings(
    communes: pd.DataFrame, results: pd.DataFrame, criteria: Criteria, problems: pd.DataFrame, say: messages.Sayer
) -> dict[Any, Finding]:
    """Per commune (its row label), what it lacks (`Finding`); `say`: the run's problems in words."""
    ind = indicator_meta(criteria.indicators)
    rows = results[results["ket_qua"].isin([NOT_MET, UNDECIDED])]
    by_commune: dict[tuple, list] = {}
    for r in rows.itertuples(index=False):  # plain tuples: thousands of communes, no frame per commune
        by_commune.setdefault(_COMMUNE(r), []).append(r)
    blamer = _Blame(problems)
    said = _Said(say.to("vi"))
    out = {}
    used = [ROLES.code, ROLES.year, "ket_qua", ROLES.tier, "tep_xa", "dong_xa"]  # only these: see `_tier_table`
    for row in communes[used].itertuples():
        out[row.Index] = found = Finding()
        if row.ket_qua == MET:  # only a commune with a tier of the catalog can meet it
            continue
        blame = blamer.of(row)
        if any(p["ma_loi"] == NOT_SENT for p in blame):
            found.short, found.long = ["Chưa nộp hồ sơ"], ["Chưa nộp hồ sơ; đề nghị xã gửi hồ sơ."]
            found.cause, found.sent = "chưa nộp hồ sơ", False
            continue
        mine = by_commune.get(_COMMUNE(row), [])
        for r in (r for r in mine if r.ket_qua == NOT_MET):
            text = f"{r.chi_tieu} – {label_of(ind, r.chi_tieu)}: {_shortfall(ind, r)}"
            found.short.append(text)
            found.long.append(f"Không đạt chỉ tiêu {text}.")
        undecided = [r for r in mine if r.ket_qua == UNDECIDED]
        sentences, found.why = said.of(blame, [r.chi_tieu for r in undecided], ind)
        unexplained = [r for r in undecided if r.chi_tieu not in found.why]
        if len(unexplained) > _MANY:
            ids = ", ".join(r.chi_tieu for r in unexplained)
            sentences.append(f"Chưa đánh giá được {count(len(unexplained))} chỉ tiêu ({ids}) do thiếu số liệu.")
        else:
            sentences += [
                f"Chưa đánh giá được chỉ tiêu {r.chi_tieu} – {label_of(ind, r.chi_tieu)}: {missing_reason(r)}."
                for r in unexplained
            ]
        found.why |= {r.chi_tieu: missing_reason(r) for r in unexplained}
        if len(sentences) > _SAID:
            rest = len(sentences) - _SAID + 1
            sentences[_SAID - 1 :] = [f"Và {count(rest)} vấn đề khác về số liệu."]
        found.long += sentences
        if len(undecided) > 3:
            ids = ", ".join(r.chi_tieu for r in undecided)
            found.short.append(f"Chưa đánh giá được {count(len(undecided))} chỉ tiêu: {ids}")
        else:
            found.short += [f"{r.chi_tieu} – {label_of(ind, r.chi_tieu)}: chưa đánh giá được" for r in undecided]
        if getattr(row, ROLES.tier) not in criteria.tiers.index:
            found.cause = "chưa ghi đúng hạng đăng ký"
            found.short.append("Chưa ghi đúng hạng đăng ký")
            if not found.long:
                found.long.append("Hồ sơ chưa ghi đúng hạng đăng ký.")
        if not found.long:
            found.long.append("Hồ sơ chưa đủ số liệu để đánh giá.")
        if not found.short:
            found.short.append(found.long[0].rstrip("."))
    return out


class _Blame:
    """The problems that concern a commune: its cells on the Xa sheet (file and row), its villages and its
    code elsewhere, and the file-wide problems of its file. Errors; warnings only when there is no error."""

    def __init__(self, problems: pd.DataFrame) -> None:
        p = problems.reset_index(drop=True)
        for column in ("tep", "trang", "o", "cot", ROLES.code, "ma_loi", "chi_tieu", "muc_do", "chi_tiet", "gia_tri"):
            p[column] = p[column].astype("string").fillna("") if column in p else ""
        p[ROLES.village] = p[ROLES.village].astype("string").fillna("") if ROLES.village in p else ""
        self.p = p
        line = p["o"].str.extract(r"(\d+)$")[0].fillna("")
        xa = p["trang"].eq("Xa")
        self.on_row = p[xa].groupby([p["tep"][xa], line[xa]]).groups
        self.by_code = p[p[ROLES.code].ne("")].groupby(ROLES.code).groups
        wide = p["ma_loi"].isin(_FILE_WIDE)
        self.wide = p[wide].groupby("tep").groups
        self.records = p.to_dict("records")

    def of(self, row) -> list[dict]:
        """The commune's problems as records, errors first-class: only warnings when there is no error."""
        p = self.records
        tep = row.tep_xa if isinstance(row.tep_xa, str) else None
        line = whole(row.dong_xa).replace(".", "")
        found = set(self.on_row.get((tep, line), ())) | set(self.wide.get(tep, ())) if tep else set()
        code = str(getattr(row, ROLES.code))
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


class _Said:
    """A commune's problems said as an officer writes them: what is missing or wrong, by the column's label and
    the villages concerned, one sentence per kind of problem and column (villages grouped: "03 thôn (thôn 1,
    thôn 2, thôn 5) chưa báo hệ thống loa …"), and the undecided indicators it blocks. Never a file, a cell or
    a code: those are on the commune's sheet and in the summary's problems sheet."""

    def __init__(self, say: messages.Sayer) -> None:
        self.say = say  # the report is in Vietnamese, whatever the run's language
        self.labels = say.labels

    def of(self, blame: list[dict], undecided: list[str], ind: dict[str, Meta]) -> tuple[list[str], dict[str, str]]:
        """(sentences, why): the sentences, and for each undecided indicator what blocks it."""
        groups: dict[tuple[str, str, str, str], list[dict]] = {}
        for p in blame:
            groups.setdefault((p["ma_loi"], p["trang"], p["cot"], self._detail(p)), []).append(p)
        sentences: list[str] = []
        why: dict[str, list[str]] = {}
        for (code, sheet, key, detail), group in groups.items():
            what = self.what(code, sheet, key, detail, group)
            touched = set().union(*(_ids(p["chi_tieu"]) for p in group))
            blocked = [i for i in undecided if i in touched]
            if not blocked and not undecided and group[0]["muc_do"] != ERROR:
                continue  # a warning explains nothing of a commune whose every indicator is decided
            for i in blocked:
                why.setdefault(i, []).append(what)
            if not blocked and not key and not any(p[ROLES.village] for p in group):
                what = f"hồ sơ: {what}"
            sentences.append(
                f"Chưa đánh giá được {_indicators(blocked, ind)}: {what}." if blocked else f"{_capital(what)}."
            )
        return sentences, {i: "; ".join(w) for i, w in why.items()}

    def what(self, code: str, sheet: str, key: str, detail: str, group: list[dict]) -> str:
        """What is missing or wrong, in words: "chưa có số liệu dân số trong độ tuổi lao động"."""
        label = _lower(self.labels.get((sheet, key), "")) if key else ""
        where = _villages([p[ROLES.village] for p in group if p[ROLES.village]]) if sheet == "Thon" else ""
        typed = {p["gia_tri"] for p in group}
        value = f"“{typed.pop()}”" if len(typed) == 1 and "" not in typed else ""
        text = _lower(self.say.head(code))
        if code == "thieu-gia-tri" and label:
            return f"{where} chưa báo {label}" if where else f"chưa có số liệu {label}"
        if code == "thieu-cot-chi-tieu" and label:
            return f"bảng tính thiếu cột {label}"
        if code not in _EXPECTED:
            detail = ""  # the message says it; its detail may name what the sentence already names
        if not label:
            said = text
        elif code == "sai-kieu" and detail and not detail.startswith("cần"):
            said = f"{label} ghi {detail}"  # the detail says what was typed: "85% — hãy nhập số người, …"
        elif value:
            said = f"{label} ghi {value}" + (f", {detail}" if detail else f": {text}")
        else:
            said = f"{label}: {detail or text}"
        return f"{where}: {said}" if where else said

    def _detail(self, p: dict) -> str:
        """What the check expected ("cần số nguyên không âm …") of a cell of a column; "" for any other problem
        (its detail may name a file)."""
        labelled = (p["trang"], p["cot"]) in self.labels
        return self.say.detail(p["chi_tiet"], p["trang"], p["cot"]) if labelled else ""


def _villages(names: list[str]) -> str:
    """ "thôn 11", "03 thôn (thôn 1, thôn 2, thôn 5)"."""
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return names[0] if names else ""
    shown = ", ".join(names[:_NAMED]) + (", …" if len(names) > _NAMED else "")
    return f"{count(len(names))} thôn ({shown})"


def _indicators(ids: list[str], ind: dict[str, Meta]) -> str:
    return f"chỉ tiêu {ids[0]} – {label_of(ind, ids[0])}" if len(ids) == 1 else f"các chỉ tiêu {', '.join(ids)}"


def _lower(text: str) -> str:
    """A label inside a sentence: "Dân số …" -> "dân số …", but "TTHC …" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shortfall(ind: dict[str, Meta], r) -> str:
    """How far a failing indicator is from its threshold: "70,5% < 80%", "Không", "0 thôn (cần ≥ 1 thôn)"."""
    kind = ind[r.chi_tieu].kind
    if kind.shown == "pct" and pd.notna(r.gia_tri):
        need = threshold_shown(ind, r).removeprefix("≥ ").removesuffix(f" {kind.share_of}").strip()
        return f"{percent(r.gia_tri)} < {need}" if need else percent(r.gia_tri)
    if kind.shown == "flag":
        return "Không"
    if kind.shown == "year":
        return f"năm {int(r.tu_so)}, cần trước năm {getattr(r, ROLES.year)}" if pd.notna(r.tu_so) else "chưa ghi năm"
    need = threshold_shown(ind, r)
    have = f"{whole(r.tu_so)} thôn" if pd.notna(r.tu_so) else "không có thôn"
    return f"{have} (cần {need})" if need else have


def missing_reason(r) -> str:
    if pd.notna(r.mau_so) and r.mau_so == 0:
        return "mẫu số bằng 0"
    return "thiếu số liệu"


def threshold_shown(ind: dict[str, Meta], r) -> str:
    """ "≥ 80%", "≥ 1 thôn", "Có", "trước 2024"; a threshold set per commune group is the commune's."""
    meta = ind[r.chi_tieu]
    kind_name, kind = meta.kind_name, meta.kind
    if kind.shown == "flag":
        return "Có"
    if kind.shown == "year":
        return f"trước {getattr(r, ROLES.year)}"
    t = r.nguong if pd.notna(r.nguong) else meta.threshold
    if t is None or pd.isna(t):
        return ""
    if kind.threshold == "count":
        return threshold_text(kind_name, int(t))
    if kind.per_village:  # met at commune level when one village meets it
        base = threshold_text(kind_name, meta.threshold)
        return f"≥ 1 thôn đạt {base}" if base else "≥ 1 thôn"
    return threshold_text(kind_name, t)


def label_of(ind: dict[str, Meta], key: str) -> str:
    return ind[key].label if key in ind else key


def _ids(text: str) -> set[str]:
    return {t.strip() for t in text.split(",") if t.strip()}


def whole(value) -> str:
    """10.000 as Vietnamese write it; empty when there is no figure."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value):,}".replace(",", ".")
