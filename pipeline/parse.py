"""Turn raw cell values into typed columns, one whole column at a time.

A raw column holds what the reader found: str, float, int, bool, datetime, ""
for an empty cell, or NA where the file has no such column. Each parser returns
the typed column (NA where empty or unreadable) and a mask of the cells that
were present but could not be read, for the problems report.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

COMBINING = r"[\u0300-\u036f]"
# what a spreadsheet takes for the start of a formula: text written to a CSV gets a ' before it, and loses it read back
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LARGEST = 10**15  # a count beyond this is a typing error, and floats stop being exact integers

# TCVN3 (ABC), the legacy 8-bit encoding of the .VnTime fonts: text typed with
# them arrives as Latin-1 look-alikes ("Hoµng T©y" for "Hoàng Tây").
_TCVN3 = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_UNICODE = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
TCVN3_TABLE = str.maketrans(_TCVN3, _UNICODE)
# characters that only TCVN3 text uses (Unicode Vietnamese never needs them)
_TCVN3_ONLY = "".join(sorted(set(_TCVN3) - set(_UNICODE) - set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")))


_LEGACY = re.compile(f"[{re.escape(_TCVN3_ONLY)}]")
_BEYOND_LATIN1 = re.compile(r"[^\x00-\xff]")


def _legacy(text: str) -> bool:
    """Text typed in TCVN3: it uses TCVN3-only characters and nothing beyond Latin-1."""
    return bool(_LEGACY.search(text)) and not _BEYOND_LATIN1.search(text)


@functools.lru_cache(maxsize=100_000)  # headers repeat in every file of a batch
def fold(text: str) -> str:
    """Compare-form of a label or value: no case, accents, spaces or punctuation."""
    if _legacy(text):
        text = text.translate(TCVN3_TABLE)
    text = re.sub(COMBINING, "", unicodedata.normalize("NFD", text)).replace("đ", "d").replace("Đ", "D")
    return re.sub(r"[^0-9a-z]", "", text.lower())


# a line break or another control character, with the spaces around it (Alt+Enter in a cell, a break in a setting)
_BREAK = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")


def clean(text: str) -> str:
    """Text as stored: TCVN3 converted to Unicode, NFC, trimmed, on one line.

    A line break or a control character between two words becomes one space,
    never nothing: "Xã\\nAn Bình" is "Xã An Bình", as the person read it.
    """
    if _legacy(text):
        text = text.translate(TCVN3_TABLE)
    return _BREAK.sub(" ", unicodedata.normalize("NFC", text)).strip()


def slug(name) -> str:
    """ASCII file name for a place: "thị xã Kim Bảng" -> "thi-xa-kim-bang"."""
    words = [fold(w) for w in name.split()] if isinstance(name, str) else []
    return "-".join(w for w in words if w) or "khong-ten"


MAX_STEM = 60  # characters of a file name made from a place's name, before its code; district names need ~30
# names Windows keeps for devices: "con.xlsx" cannot be created there, whatever the folder
_DEVICES = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10))}


def file_names(names: Iterable[str]) -> dict[str, str]:
    """A file name (without its suffix) per distinct name, every one different: its `slug`, cut between words
    to MAX_STEM characters. A name whose slug was cut, is a device's name, or is shared with another name
    ("Hòa" and "Hóa" are both "hoa"; a note pasted into a district cell) ends in a short code made from
    the name itself, so the same name gets the same file in every run and no file is written over another."""
    names = list(dict.fromkeys(names))
    stems = {n: slug(n) for n in names}
    short = {n: s[:MAX_STEM].rsplit("-", 1)[0] if len(s) > MAX_STEM else s for n, s in stems.items()}
    shared = Counter(short.values())
    out = {n: s for n, s in short.items() if s == stems[n] and shared[s] == 1 and s not in _DEVICES}
    digits = 6
    while len(out) < len(names):  # a longer code only where two codes (or a code and a name) still meet
        coded = {n: f"{short[n]}-{hashlib.sha256(n.encode()).hexdigest()[:digits]}" for n in names if n not in out}
        taken = Counter([*out.values(), *coded.values()])
        out |= {n: s for n, s in coded.items() if taken[s] == 1}
        digits += 4
    return {n: out[n] for n in names}


# the tone marks of Vietnamese (huyền, sắc, ngã, hỏi, nặng): each syllable carries one, written over one of its
# vowels, and which vowel differs between the old and the new spelling rules ("Hòa" / "Hoà", "Thủy" / "Thuỷ")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


@functools.lru_cache(maxsize=100_000)
def name_key(text: str) -> str:
    """Compare-form of a place's name: one for every spelling of it, as people type it (case, spacing,
    the composition of its letters, old or new tone placement), but not for another name ("Hóa" is not "Hòa")."""
    words = []
    for word in unicodedata.normalize("NFD", clean(text)).casefold().split():
        tones = "".join(sorted(c for c in word if c in _TONES))
        words.append(unicodedata.normalize("NFC", "".join(c for c in word if c not in _TONES)) + tones)
    return " ".join(words)


_HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp", "Zs"))  # controls, format characters (U+200B, U+FEFF …), spaces


def visible(text: str) -> str:
    """Text with every character one cannot see (zero-width space, BOM, a non-breaking space) written as
    <U+200B>, so a message shows why a value that looks right was refused; a plain space and a line break stay."""
    if text.isprintable():  # nearly every value: no character to look at one by one
        return text
    return "".join(f"<U+{ord(c):04X}>" if c not in " \n" and unicodedata.category(c) in _HIDDEN else c for c in text)


def _without_hidden(text: str) -> str:
    """A code with its spaces and invisible characters taken out: "00<U+200B>640" -> "00640"."""
    return "".join(c for c in text if unicodedata.category(c) not in _HIDDEN)


def stacked(block: pd.DataFrame) -> pd.Series:
    """Every cell of a block as one column, the block's columns one after another: a parser, or a display,
    then runs once for the whole block rather than once per column (`reshape(…, order="F")` undoes it)."""
    return pd.Series(block.to_numpy(dtype=object).ravel(order="F"), dtype=object)


def per_unique(text: pd.Series, func) -> pd.Series:
    """`func` applied once per distinct value, spread back over the column; NA stays NA.

    Columns repeat themselves ("Có", "Không", the same labels in every file), so
    this is one hash pass over the column plus a call per distinct value.
    """
    codes, uniques = pd.factorize(text)
    done = np.array([func(u) for u in uniques] + [pd.NA], dtype=object)
    return pd.Series(done[codes], index=text.index, dtype=object)


def fold_series(s: pd.Series) -> pd.Series:
    """`fold` over a column; non-text cells become NA."""
    return per_unique(texts(s), fold).astype("string")


def strings(raw: pd.Series) -> pd.Series:
    """The cells that hold text, as a string column; NA wherever the cell is not text."""
    return texts(raw).astype("string")


def texts(raw: pd.Series) -> pd.Series:
    """The cells that hold text (a marker such as `hidden_cells.Formula` is not text), as they are; NaN elsewhere.
    What `per_unique` takes: a string column would first check every cell again."""
    return raw.where(raw.map(type, na_action="ignore").eq(str))


def is_tcvn3(text: pd.Series) -> pd.Series:
    """Which cells of a string column were typed in TCVN3."""
    return per_unique(text, _legacy).fillna(False).astype(bool)


def _text(raw: pd.Series) -> pd.Series:
    """The cells that hold text, NFC-normalised and trimmed, TCVN3 converted; NA elsewhere."""
    return per_unique(texts(raw), clean).astype("string")


def _numbers(raw: pd.Series) -> pd.Series:
    """The cells that hold a number (not a bool, not text), as float; NA elsewhere."""
    is_number = raw.map(type, na_action="ignore").isin([int, float])
    return pd.to_numeric(raw.where(is_number), errors="coerce")


def _whole(num: pd.Series) -> pd.Series:
    """Numbers with no fractional part that a count can hold exactly; NA for the rest."""
    return num.where(np.isfinite(num) & (num == np.floor(num)) & (num.abs() <= LARGEST))


def is_empty(raw: pd.Series) -> pd.Series:
    """Cells with nothing in them (including whitespace-only text and absent columns)."""
    blank = per_unique(texts(raw), lambda text: not text.strip())
    return raw.isna() | blank.fillna(False).astype(bool)


def is_blank(value) -> bool:
    """One cell as `is_empty` sees it, for the readers' plain lists: no value, NaN, or text of nothing but spaces."""
    return not value.strip() if type(value) is str else value is None or value != value


def parse_count(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Integers as people type them: 1234, 1234.0, "1.234", "1,234", " 1 234 "."""
    from_text = per_unique(texts(raw), _count_in).astype("Float64")
    value = _whole(_numbers(raw)).astype("Float64").fillna(from_text)
    value = value.where(value.abs() <= LARGEST)
    out = value.round().astype("Int64")
    return out, out.isna() & ~is_empty(raw)


_SPACES = re.compile(r"[\s\u00a0]")
_COUNT_TEXT = re.compile(r"-?[0-9]+|[0-9]{1,3}([.,])[0-9]{3}(?:\1[0-9]{3})*")  # 1234, -5, 1.234, 1,234,567


def _count_in(text: str):
    """A count typed as text, as a float ("1.234", " 1 234 " -> 1234.0); NA for any other text.
    Called once per distinct text (`per_unique`): most counts arrive as numbers, and the rest repeat."""
    digits = _SPACES.sub("", clean(text))
    if not _COUNT_TEXT.fullmatch(digits):
        return pd.NA
    digits = digits.replace(".", "").replace(",", "")
    return float(digits) if len(digits) <= 16 else pd.NA


def parse_yesno(raw: pd.Series, yes: tuple[str, ...], no: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Có/Không, x, 1/0, TRUE/FALSE, Đạt/Không đạt, yes/no — in any case.

    Decided once per distinct cell value (`per_unique`), which puts True, 1
    and 1.0 together: all three read as yes, as False, 0 and 0.0 read as no.
    Only plain text, booleans and numbers are looked at: a marker such as
    `hidden_cells.CellError` is text that equals its words and is never an answer.
    """
    spelled = {fold(v): True for v in yes} | {fold(v): False for v in no}
    numbers = {1: True, 0: False}

    def answer(value):
        return spelled.get(fold(value), pd.NA) if type(value) is str else numbers.get(value, pd.NA)

    plain = raw.map(type, na_action="ignore").isin([str, bool, int, float])
    out = per_unique(raw.where(plain), answer).astype("boolean")
    return out, out.isna() & ~is_empty(raw)


def parse_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Any text, NFC and trimmed; a whole number typed in a text column is kept as its digits.
    Anything else (TRUE, a date, 3.5) is no text a person typed: bad, never read as an empty cell."""
    as_digits = _whole(_numbers(raw)).astype("Int64").astype("string")
    value = _text(raw).replace("", pd.NA).astype("string").fillna(as_digits)
    return value, value.isna() & ~is_empty(raw)


def parse_code(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Commune codes keep their leading zeros even when the cell was numeric, and lose the spaces and
    invisible characters a copy from a web page or a chat leaves in them (`mended_codes` says where)."""
    _, bare, bad = _typed_code(raw)
    padded = bare.where(~bare.str.fullmatch(r"\d{1,5}").fillna(False), bare.str.zfill(5))
    return padded, bad


def mended_codes(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Where `parse_code` mended a code, for a warning naming the cell: the code as typed, shown `visible`,
    where spaces or invisible characters were taken out (NA elsewhere); and where zeros were put back."""
    text, bare, _ = _typed_code(raw)
    hidden = per_unique(text.where(text.ne(bare)), visible).astype("string")
    return hidden, bare.str.fullmatch(r"\d{1,4}").fillna(False).astype(bool)


def _typed_code(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A code column as typed (`parse_text`), the same without spaces and invisible characters, and its bad cells."""
    text, bad = parse_text(raw)
    return text, per_unique(text, _without_hidden).astype("string"), bad


def parse_tier(raw: pd.Series, aliases: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """A tier written as its key or its label ("nang_cao", "NTM nâng cao")."""
    value = fold_series(raw).map(aliases).astype("string")
    return value, value.isna() & ~is_empty(raw)
