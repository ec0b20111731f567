"""Property tests for the value parsers of pipeline.parse: what people type reads back as meant,
nothing raises."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import parse
from pipeline.catalog import criteria_files, load_columns
from pipeline.checking.column_types import TYPES, Reading
from pipeline.reading.hidden_cells import CellError, Formula

COLUMNS = load_columns()
TIERS = pd.concat([c.tiers for c in criteria_files()])
ALIASES = {parse.fold(str(t)): k for k, row in TIERS.iterrows() for t in (k, row["label"])}

settings.register_profile("parsers", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("parsers")


def column(values) -> pd.Series:
    """A raw column as the reader hands it over: Python objects of any kind."""
    return pd.Series(list(values), dtype=object)


# --- counts ----------------------------------------------------------------------------------------------------------


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


SPELLINGS = {
    "int": lambda n: n,
    "float": lambda n: float(n),
    "text": str,
    "dots": lambda n: grouped(n, "."),  # 1.234.567
    "commas": lambda n: grouped(n, ","),  # 1,234,567
    "spaces": lambda n: grouped(n, " "),  # 1 234 567
    "nbsp": lambda n: grouped(n, "\u00a0"),  # as Excel's number formats and web pages space them
    "padded": lambda n: f"  {n}\t",
    "padded-dots": lambda n: f" {grouped(n, '.')} ",
}
counts = st.integers(min_value=0, max_value=10**9)


@given(st.lists(st.tuples(counts, st.sampled_from(sorted(SPELLINGS))), min_size=1, max_size=20))
def test_count_in_any_accepted_spelling_parses_back(cells):
    """A whole column of counts, each in its own spelling, parses back cell by cell."""
    value, bad = parse.parse_count(column(SPELLINGS[s](n) for n, s in cells))
    assert value.tolist() == [n for n, _ in cells]
    assert not bad.any()


@given(counts, st.sampled_from(sorted(SPELLINGS)))
def test_count_alone_parses_back(n, spelling):
    value, bad = parse.parse_count(column([SPELLINGS[spelling](n)]))
    assert (value.iloc[0], bool(bad.iloc[0])) == (n, False)


@given(st.integers(min_value=2**63, max_value=10**30), st.sampled_from(["int", "float", "text", "dots"]))
def test_count_too_large_to_hold_is_reported_not_wrapped(n, spelling):
    """A count beyond what a column can hold is an error, never wrapped round to another number."""
    raw = {"int": n, "float": float(n), "text": str(n), "dots": grouped(n, ".")}[spelling]
    value, bad = parse.parse_count(column([raw]))
    assert value.iloc[0] == n if value.notna().iloc[0] else bool(bad.iloc[0]), (raw, value.iloc[0])


FRACTIONS = {
    "percent": lambda n, d: f"{n}%",
    "decimal-comma": lambda n, d: f"{grouped(n, '.')},{d}",  # 1.234,5
    "decimal-point": lambda n, d: f"{grouped(n, ',')}.{d}",  # 1,234.5
    "float": lambda n, d: n + int(d) / 10 ** len(d),
    "slash": lambda n, d: f"{n}/{d}",
}


@given(
    st.integers(min_value=0, max_value=10**6),
    st.from_regex(r"\A[1-9]{1,2}\Z"),
    st.sampled_from(sorted(FRACTIONS)),
)
def test_fraction_or_percentage_is_not_a_count(n, digits, spelling):
    """A percentage or a fraction where a count belongs is an error, never a rounded count."""
    raw = FRACTIONS[spelling](n, digits)
    value, bad = parse.parse_count(column([raw]))
    assert value.isna().iloc[0] and bool(bad.iloc[0]), raw


# --- yes/no ----------------------------------------------------------------------------------------------------------


def any_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))


@st.composite
def spelled(draw, answer: bool) -> str:
    """A spelling of the catalog's [values], in random case, maybe decomposed and padded with spaces."""
    word = any_case(draw, draw(st.sampled_from(COLUMNS.yes if answer else COLUMNS.no)))
    if draw(st.booleans()):
        word = unicodedata.normalize("NFD", word)
    return draw(st.sampled_from(["", " "])) + word + draw(st.sampled_from(["", " ", "\u00a0"]))


def test_the_catalog_has_the_spellings_of_the_spec():
    spec_yes = ["Có", "x", "1", "TRUE", "Đạt", "yes"]
    spec_no = ["Không", "0", "FALSE", "Không đạt", "no"]
    folded = {parse.fold(s) for s in COLUMNS.yes}, {parse.fold(s) for s in COLUMNS.no}
    assert {parse.fold(s) for s in spec_yes} <= folded[0]
    assert {parse.fold(s) for s in spec_no} <= folded[1]


@given(st.lists(st.booleans().flatmap(lambda b: st.tuples(st.just(b), spelled(b))), min_size=1, max_size=20))
def test_every_yes_no_spelling_in_any_case(cells):
    value, bad = parse.parse_yesno(column(s for _, s in cells), COLUMNS.yes, COLUMNS.no)
    assert value.tolist() == [b for b, _ in cells]
    assert not bad.any()


@pytest.mark.parametrize(
    ("raw", "answer"), [(True, True), (False, False), (1, True), (0, False), (1.0, True), (0.0, False)]
)
def test_yes_no_as_boolean_or_number_cells(raw, answer):
    value, bad = parse.parse_yesno(column([raw]), COLUMNS.yes, COLUMNS.no)
    assert (value.iloc[0], bool(bad.iloc[0])) == (answer, False)


def test_yes_no_read_once_per_value_keeps_booleans_numbers_and_markers_apart():
    """True, 1 and 1.0 hash alike and read alike; a marker whose text is a spelling is still no answer."""
    raw = column([True, 1, 1.0, False, 0, 0.0, "Có", CellError("Có"), Formula("Không"), "Không"])
    value, bad = parse.parse_yesno(raw, COLUMNS.yes, COLUMNS.no)
    assert value.tolist() == [True, True, True, False, False, False, True, pd.NA, pd.NA, False]
    assert bad.tolist() == [False] * 7 + [True, True, False]


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_yes_no_is_not_provided_and_not_an_error(raw):
    value, bad = parse.parse_yesno(column([raw]), COLUMNS.yes, COLUMNS.no)
    assert value.isna().iloc[0] and not bad.iloc[0]


# --- codes and text --------------------------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=99999), st.sampled_from(["int", "float", "text", "padded"]))
def test_commune_code_keeps_its_leading_zeros(n, spelling):
    raw = {"int": n, "float": float(n), "text": f"{n:05d}", "padded": f" {n:05d} "}[spelling]
    value, bad = parse.parse_code(column([raw]))
    assert (value.iloc[0], bool(bad.iloc[0])) == (f"{n:05d}", False)


@given(st.lists(st.text(), min_size=1, max_size=10))
def test_text_is_nfc_and_trimmed(texts):
    value, _ = parse.parse_text(column(texts))
    for v in value.dropna():
        assert v == unicodedata.normalize("NFC", v) == v.strip()
        assert v != ""


# --- nothing raises --------------------------------------------------------------------------------------------------

ANYTHING = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.sampled_from(["", " ", "\u00a0", "1.234,5", "80%", "-0", "1e9", "١٢٣", "²", "0x1F", "nan", "inf", "="]),
)
PARSERS = {
    "count": parse.parse_count,
    "yesno": lambda raw: parse.parse_yesno(raw, COLUMNS.yes, COLUMNS.no),
    "text": parse.parse_text,
    "code": parse.parse_code,
    "tier": lambda raw: parse.parse_tier(raw, ALIASES),
}


@pytest.mark.parametrize("kind", sorted(PARSERS))
@given(values=st.lists(ANYTHING, max_size=12))
def test_no_input_makes_a_parser_raise(kind, values):
    raw = column(values)
    value, bad = PARSERS[kind](raw)
    assert len(value) == len(bad) == len(raw)
    assert value.index.equals(raw.index) and bad.index.equals(raw.index)
    assert not bad.isna().any()
    # an empty cell is never an error
    empty = parse.is_empty(raw)
    assert not (bad & empty).any()
    if kind in ("count", "yesno", "tier"):  # a value is read or reported, never silently lost
        assert (value.notna() | bad | empty).all()


READING = Reading(TIERS, COLUMNS.yes, COLUMNS.no)
READ = st.sampled_from([*TIERS["label"], *COLUMNS.yes, *COLUMNS.no, "01234", 2024, 1234.0, "Xã Một"])  # read, not NA


@pytest.mark.parametrize("name", sorted(TYPES))
@given(values=st.lists(ANYTHING | READ, max_size=12))
def test_every_column_type_reads_any_cell_into_its_dtype(name, values):
    """What validation does with each type of the registry: parse the cells, hold them in the type's dtype."""
    raw = column(values)
    value, bad = TYPES[name].parse(raw, READING)
    typed = value.astype(TYPES[name].dtype)
    assert typed.index.equals(raw.index) and not (bad & parse.is_empty(raw)).any()


MARKERS = st.builds(Formula, st.text()) | st.builds(CellError, st.text())


@given(values=st.lists(ANYTHING | MARKERS))
def test_the_reader_drops_the_rows_is_empty_would_drop(values):
    """Workers leave out a row with nothing in it by `parse.is_blank`, cell by cell: it must agree with `is_empty`."""
    assert [parse.is_blank(v) for v in values] == parse.is_empty(column(values)).tolist()


def test_cells_of_every_kind_side_by_side():
    """The kinds a reader returns, in one column (parsing is column-wise over the whole batch)."""
    raw = column([1234, 1234.0, "1.234", True, None, "", dt.datetime(2024, 1, 1), math.nan, "80%"])
    value, bad = parse.parse_count(raw)
    assert value.tolist()[:3] == [1234, 1234, 1234]
    assert bad.tolist() == [False, False, False, True, False, False, True, False, True]
