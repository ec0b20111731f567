"""Type and check the whole batch at once, and say where every bad value is.

`parse` types each column; a pandera schema built from the column catalog then
checks the typed frames lazily (bounds, codes, required values, numerator not
above its denominator, villages pointing at known communes). Every failure is
mapped back to file, sheet and cell, and the failing cell is blanked so that
only the indicators using it become not assessable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline import parse
from pipeline.catalog import Columns, Criteria
from pipeline.checking import identity
from pipeline.checking.column_types import TYPES, Reading
from pipeline.problems import ERROR, SEVERITY, cell_hits, detail, details, frame
from pipeline.reading.hidden_cells import CellError, Formula
from pipeline.reading.read import META, Batch
from pipeline.roles import ROLES


@dataclass
class Checked:
    """Typed, checked frames ready to assess, and every problem found so far.

    `xa` holds every non-empty row of every `Xa` sheet: a commune is never
    dropped here, whatever is wrong with it. A row whose code is missing or
    malformed gets a stand-in key (`UNKNOWN_CODE` + file and row) so that it
    can still be listed; `_chan` marks a row that cannot be assessed at all
    (its code is unknown, or another row claims the same code and year);
    `_thon_thieu` a commune of a year whose village list may be incomplete.
    """

    xa: pd.DataFrame
    thon: pd.DataFrame  # one row per village tied to a commune of a year (`nam`)
    problems: pd.DataFrame


def validate(
    batch: Batch,
    columns: Columns,
    criteria: list[Criteria],
    registered: pd.DataFrame | None = None,
    province: int | None = None,
) -> Checked:
    """`registered`: the department's registration list (`registration.load`), which decides each listed
    commune's tier; `province`: the department's province in the national list (settings' `ma_tinh`)."""
    tiers = pd.concat([c.tiers for c in criteria])
    xa, xa_hits = _check(batch.xa, "Xa", columns, criteria, tiers)
    xa = _one_spelling(xa, xa_hits)
    if registered is not None:
        xa = _registered_tiers(xa, registered, tiers["label"], xa_hits)
    xa_hits += _period_tiers(xa, criteria)
    xa = _blank(xa, xa_hits)
    real = xa[ROLES.code].notna()
    thon, thon_hits = _check(batch.thon, "Thon", columns, criteria, tiers, known=xa.loc[real, ROLES.code].unique())
    xa_hits += _missing(batch.xa, xa, xa, criteria, "Xa")
    thon_hits += _missing(batch.thon, thon, xa, criteria, "Thon")
    years = xa[ROLES.year]
    covered = np.logical_or.reduce([years.between(*c.years).fillna(False).to_numpy(dtype=bool) for c in criteria])
    uncovered = xa[years.notna() & ~covered]  # listed in the results, assessed once a catalog covers the year
    said = details("year", uncovered.index, year=uncovered[ROLES.year])
    xa_hits.append(cell_hits(uncovered, ROLES.year, "khong-co-bo-chi-tieu", said))

    xa = identity.identify(xa, real, province, xa_hits)

    xa, thon = identity.tie_villages(batch, xa, thon, columns, criteria, xa_hits, thon_hits)

    uses = _indicators_by_column(criteria)
    problems = pd.concat(
        [
            _locate(pd.concat(xa_hits, ignore_index=True), batch.xa, batch, uses, columns.of("Xa")["label"], "Xa"),
            _locate(
                pd.concat(thon_hits, ignore_index=True), batch.thon, batch, uses, columns.of("Thon")["label"], "Thon"
            ),
        ],
        ignore_index=True,
    )
    return Checked(xa.reset_index(drop=True), thon.reset_index(drop=True), problems)


def _one_spelling(xa: pd.DataFrame, hits: list) -> pd.DataFrame:
    """Two spellings of one district ("huyện Hòa An", "Huyện Hoà an") are one district: every writer groups
    by the district's name, so each commune takes the one spelling (`one_spelling`), and a cell written
    otherwise gets a warning naming the spellings, so that two groups never share one district's file."""
    chosen, ways = one_spelling(xa[ROLES.area])
    differs = xa[ROLES.area].ne(chosen).fillna(False).astype(bool)
    said = details("spellings", xa.index[differs], chosen=chosen[differs], ways=ways[differs])
    hits.append(cell_hits(xa[differs], ROLES.area, "huyen-nhieu-cach-viet", said))
    return xa.assign(**{ROLES.area: chosen})


def one_spelling(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per name, the spelling of its place (`parse.name_key`): the one most often written, then the first met;
    and every spelling of the place with how often ([["huyện Hòa An", 2], ["Huyện Hoà an", 1]])."""
    key = parse.per_unique(names, parse.name_key)
    seen = pd.DataFrame({"key": key, "name": names, "at": np.arange(len(names))}).dropna()
    ways = seen.groupby(["key", "name"], sort=False)["at"].agg(["size", "min"]).reset_index()
    ways = ways.sort_values(["key", "size", "min"], ascending=[True, False, True])
    best = ways.drop_duplicates("key").set_index("key")["name"]
    listed = pd.Series(list(zip(ways["name"], ways["size"].astype(int), strict=True)), index=ways.index)
    listed = listed.groupby(ways["key"]).agg(list)
    return key.map(best).astype("string"), key.map(listed)


def _registered_tiers(xa: pd.DataFrame, listed: pd.DataFrame, labels: pd.Series, hits: list) -> pd.DataFrame:
    """The list is the department's record: where it gives a commune's tier for a year, the commune is
    checked, assessed and counted at that tier, and a workbook cell that says otherwise (or nothing, or
    something unreadable) gets a warning naming both."""
    tiers = listed.dropna(subset=[ROLES.tier]).set_index([ROLES.code, ROLES.year])[ROLES.tier]
    keys = pd.MultiIndex.from_frame(xa[[ROLES.code, ROLES.year]].astype(object))
    wanted = pd.Series(tiers.reindex(keys).to_numpy(), index=xa.index, dtype="string")
    differs = wanted.notna() & wanted.ne(xa[ROLES.tier]).fillna(True)
    labels = labels[~labels.index.duplicated()]
    said, listed_as = xa.loc[differs, ROLES.tier], wanted[differs]
    known = said.isin(labels.index)
    chi_tiet = details("tier-listed", said.index, said=said.astype(object), listed=listed_as).where(
        known, details("tier-unlisted", said.index, listed=listed_as)
    )
    # the list supersedes the cell: its error (blank, misspelt) becomes this warning
    hits[:] = [h[~(h["cot"].eq(ROLES.tier) & h["idx"].isin(xa.index[differs]))] for h in hits]
    hits.append(cell_hits(xa[differs], ROLES.tier, "hang-khac-danh-sach", chi_tiet))
    return xa.assign(**{ROLES.tier: wanted.fillna(xa[ROLES.tier])})


def _period_tiers(xa: pd.DataFrame, criteria: list[Criteria]) -> list[pd.DataFrame]:
    """A tier that exists, but not in the period of the commune's year (a 2024 commune registering a 2026 tier)."""
    hits = []
    for c in criteria:
        inside = xa[ROLES.year].between(*c.years).fillna(False).astype(bool) & xa[ROLES.tier].notna()
        wrong = inside & ~xa[ROLES.tier].isin(c.tiers.index)
        only = detail("period-tiers", period=c.period, tiers=list(c.tiers.index))
        hits.append(cell_hits(xa[wrong], ROLES.tier, "hang-khac-giai-doan", only))
    return hits


def _check(raw: pd.DataFrame, sheet: str, columns: Columns, criteria, tiers, known=None):
    """Type one sheet's raw frame and check it against its schema; bad cells come back blank."""
    catalog = columns.of(sheet)
    typed, hits = parse_sheet(raw, catalog, columns, tiers)
    hits += _schema_hits(typed, _schema(catalog, criteria, sheet, tiers, known), catalog["label"])
    return _blank(typed, hits), hits


def parse_sheet(raw: pd.DataFrame, catalog: pd.DataFrame, columns: Columns, tiers: pd.DataFrame):
    """Parse every catalog column of a raw sheet frame; unreadable cells become hits.

    The columns of one type are parsed together, as one long column, so each
    parser runs once per type rather than once per column.
    """
    reading = Reading(tiers, columns.yes, columns.no)
    typed, hits, n = raw[META].copy(), [], len(raw)
    for kind, keys in catalog.groupby("type", sort=False).groups.items():
        keys, column_type = list(keys), TYPES[kind]
        flat = parse.stacked(raw[keys])
        value, bad = column_type.parse(flat, reading)
        for j, key in enumerate(keys):
            typed[key] = value.iloc[j * n : (j + 1) * n].set_axis(raw.index).astype(column_type.dtype)
        where = _cells(raw.index, keys)
        types = flat.map(type, na_action="ignore")
        formula, error = types.eq(Formula).to_numpy(), types.eq(CellError).to_numpy()
        hits.append(where[formula].assign(ma_loi="cong-thuc", chi_tiet=""))
        shown = details("error-cell", flat.index[error], value=flat[error].astype(str))
        hits.append(where[error].assign(ma_loi="o-loi", chi_tiet=shown.to_numpy()))
        wrong = bad.to_numpy(dtype=bool) & ~formula & ~error
        said = pd.Series(detail("expected", type=kind), index=flat.index[wrong])
        if kind == "count":  # a share typed where a count is asked: say so, in the column's unit
            share = _typed_share(flat[wrong])
            said = said.where(share.isna(), details("share", said.index, share=share))
        hits.append(where[wrong].assign(ma_loi="sai-kieu", chi_tiet=said.to_numpy()))
        if kind == "text":
            legacy = parse.is_tcvn3(parse.strings(flat)).to_numpy()
            read_as = details("read-as-quoted", flat.index[legacy], value=value[legacy])
            hits.append(where[legacy].assign(ma_loi="tcvn3", chi_tiet=read_as.to_numpy()))
            hits.append(_numbered_names(flat, value, where))
        if kind == "ma":
            hits += _mended_codes(flat, value, where)
    return typed, hits


def _numbered_names(flat: pd.Series, value: pd.Series, where: pd.DataFrame) -> pd.DataFrame:
    """A whole number typed where a place's name belongs (12 as a district) is kept as its digits, with a
    warning naming the cell; other text columns (the commune's group: 1, 2 or 3) take numbers."""
    named = where["cot"].isin(ROLES.places).to_numpy()
    number = flat.map(type, na_action="ignore").isin([int, float]).to_numpy() & value.notna().to_numpy() & named
    typed = details("typed-as", flat.index[number], value=value[number])
    return where[number].assign(ma_loi="ten-la-so", chi_tiet=typed.to_numpy())


def _mended_codes(flat: pd.Series, value: pd.Series, where: pd.DataFrame) -> list[pd.DataFrame]:
    """Codes read after a mend (`parse.mended_codes`): each cell is named, so the officer can fix it at the source."""
    shown, padded = parse.mended_codes(flat)
    hidden = (shown.notna() & value.str.fullmatch(r"\d{5}")).fillna(False).to_numpy(dtype=bool)  # else: sai-kieu
    padded = padded.to_numpy()
    cleaned = details("code-cleaned", flat.index[hidden], typed=shown[hidden], value=value[hidden])
    read_as = details("read-as", flat.index[padded], value=value[padded])
    return [
        where[hidden].assign(ma_loi="ma-xa-ky-tu-an", chi_tiet=cleaned.to_numpy()),
        where[padded].assign(ma_loi="ma-xa-thieu-so-0", chi_tiet=read_as.to_numpy()),
    ]


def _typed_share(raw: pd.Series) -> pd.Series:
    """How a percentage or a fraction typed in a count cell reads ("85%"); NA for anything else.

    Excel stores 85% as 0.85: a number strictly between 0 and 1 in a count is that slip.
    """
    numbers = pd.to_numeric(raw.where(raw.map(type, na_action="ignore").isin([int, float])), errors="coerce")
    fraction = numbers.where((numbers > 0) & (numbers < 1))
    as_percent = (fraction * 100).round(1).map(lambda v: f"{v:g}%".replace(".", ","), na_action="ignore")
    typed = parse.strings(raw).str.strip()
    return typed.where(typed.str.endswith("%").fillna(False)).fillna(as_percent.astype("string"))


def _cells(index: pd.Index, keys: list[str]) -> pd.DataFrame:
    """(row index, column key) of every cell of a column-major flattened block."""
    return pd.DataFrame({"idx": np.tile(index.to_numpy(), len(keys)), "cot": np.repeat(keys, len(index))})


def _schema(catalog: pd.DataFrame, criteria: list[Criteria], sheet: str, tiers, known=None) -> pa.DataFrameSchema:
    """The pandera schema of one sheet, declared from the column catalog.

    Each check is named "code|detail" (`problems.detail`), which `_schema_hits` splits into the problem code and
    its detail.
    """
    cols, reading = {}, Reading(tiers)
    for key, row in catalog.iterrows():
        column_type = TYPES[row["type"]]
        checks = [pa.Check(r.holds, name=f"{r.code}|{r.detail}") for r in column_type.rules(row, reading)]
        if sheet == "Thon" and key == ROLES.code and known is not None:
            checks.append(pa.Check(lambda s: s.isin(known), name="khong-co-xa|"))
        cols[key] = pa.Column(column_type.dtype, checks=checks, nullable=not row["required"])
    pairs = {
        (n, d)
        for c in criteria
        for n, d in c.indicators[["numerator", "denominator"]].dropna().itertuples(index=False)
        if n in catalog.index and d in catalog.index
    }
    frame_checks = [
        pa.Check(
            lambda df, n=n, d=d: ~(df[n] > df[d]).fillna(False), name=f"vuot-mau-so|{n}|" + detail("more-than", other=d)
        )
        for n, d in sorted(pairs)
    ]
    return pa.DataFrameSchema(cols, checks=frame_checks, strict=False)


def _schema_hits(typed: pd.DataFrame, schema: pa.DataFrameSchema, labels: pd.Series) -> list[pd.DataFrame]:
    """Run the schema lazily and turn its failure cases into hits."""
    try:
        schema.validate(typed, lazy=True)
        return []
    except pa.errors.SchemaErrors as e:
        cases = e.failure_cases.dropna(subset=["index", "column"])
    parts = cases["check"].astype(str).replace("not_nullable", "thieu-gia-tri|").str.split("|", n=2, expand=True)
    code, said = parts[0], parts[1].fillna("")
    # a frame-wide check reports every column of a failing row: keep its numerator only
    pair = code.eq("vuot-mau-so")
    keep = ~pair | cases["column"].eq(parts[1])
    if pair.any():
        said = said.where(~pair, parts[2])
    hits = pd.DataFrame({"idx": cases["index"].astype(int), "cot": cases["column"], "ma_loi": code, "chi_tiet": said})
    return [hits[keep].drop_duplicates(["idx", "cot"])]


def _blank(typed: pd.DataFrame, hits: list[pd.DataFrame]) -> pd.DataFrame:
    """A bad cell counts as not provided: NA, so only its indicators are affected."""
    out = typed.copy()
    found = pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(columns=["idx", "cot", "ma_loi"])
    found = found[found["ma_loi"].map(SEVERITY).eq(ERROR)]
    for key, rows in found.groupby("cot")["idx"]:
        out.loc[rows.unique(), key] = pd.NA
    return out


def _missing(raw: pd.DataFrame, typed: pd.DataFrame, xa: pd.DataFrame, criteria: list[Criteria], sheet: str):
    """Empty cells and absent columns the commune's registered tier needs.

    An empty cell is "not provided", never "no": it makes its indicators not
    assessable, so it is reported. An absent column is reported once per file.
    """
    hits = []
    files = typed[["_tep"]]  # a hit keeps only its row and file: select from this column, not from them all
    needs = [
        c.indicators[["tier_rank", "columns"]].explode("columns").groupby("columns")["tier_rank"].min()
        for c in criteria
    ]
    keys = set().union(*(need.index for need in needs)).intersection(typed.columns) - {ROLES.code}
    blank = _blank_cells(raw, sorted(keys))
    for c, need in zip(criteria, needs, strict=True):
        # a commune whose year is unknown is checked against every period that has its tier; one whose tier is
        # unknown against the lowest tier, so that its empty cells are reported with its tier cell, in one round
        # (a cell only a higher tier needs may be left empty: it is not called missing)
        in_period = xa[ROLES.year].between(*c.years).fillna(True).astype(bool)
        ranks = xa[ROLES.tier].map(c.tiers["rank"]).fillna(c.tiers["rank"].min()).where(in_period)
        rank = ranks if sheet == "Xa" else typed[ROLES.code].map(ranks.groupby(xa[ROLES.code]).max())
        for key in need.index.intersection(typed.columns).drop(ROLES.code, errors="ignore"):
            needed = rank >= need[key]
            hits.append(cell_hits(files[blank[key] & needed], key, "thieu-gia-tri"))
            absent = files[raw[key].isna() & needed].drop_duplicates("_tep")  # one line per file
            hits.append(cell_hits(absent, key, "thieu-cot-chi-tieu"))
    return hits


def _blank_cells(raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Which cells of these columns are there but hold nothing (`parse.is_empty`), every column in one pass."""
    flat = parse.stacked(raw[keys])
    blank = (flat.notna() & parse.is_empty(flat)).to_numpy(dtype=bool)
    return pd.DataFrame(blank.reshape(len(keys), len(raw)).T, index=raw.index, columns=keys)


def _indicators_by_column(criteria: list[Criteria]) -> pd.Series:
    """Which indicators each column feeds ("8.2.a, 15.2.k"), for the problems report."""
    pairs = pd.concat([c.indicators["columns"].explode().dropna() for c in criteria])
    pairs = pairs.reset_index().drop_duplicates()
    return pairs.groupby("columns")["id"].agg(", ".join)


def _locate(hits: pd.DataFrame, raw: pd.DataFrame, batch: Batch, uses: pd.Series, labels: pd.Series, sheet: str):
    """Hits (row index, column key, code) -> problem rows naming file, sheet and cell.

    One row per cell: its first error, else its first warning (a code read with its zeros put back may
    still name no commune)."""
    warning = hits["ma_loi"].map(SEVERITY).ne(ERROR)
    first = hits.assign(_w=warning).sort_values("_w", kind="stable").drop_duplicates(["idx", "cot"]).index
    hits = hits.loc[first.sort_values()].reset_index(drop=True)
    cells = raw.to_numpy()[raw.index.get_indexer(hits["idx"]), raw.columns.get_indexer(hits["cot"])]
    found = pd.Series(cells, dtype=object)
    # a required column missing from the file is one `thieu-cot` line for the file, not one per row
    keep = ~(found.isna() & hits["ma_loi"].eq("thieu-gia-tri")).to_numpy(dtype=bool)
    hits, found = hits[keep].reset_index(drop=True), found[keep].reset_index(drop=True)
    if hits.empty:
        return frame([])
    name = ROLES.name if sheet == "Xa" else ROLES.village
    meta = raw.loc[hits["idx"], ["_tep", "_dong", ROLES.code, name]].reset_index(drop=True)
    code = parse.parse_code(meta[ROLES.code])[0]
    if sheet == "Xa":
        communes, villages = parse.parse_text(meta[name])[0], pd.Series(pd.NA, index=meta.index, dtype="string")
    else:  # the commune's name, from any Xa row of the batch with the village's code
        names = pd.Series(
            parse.parse_text(batch.xa[ROLES.name])[0].to_numpy(), index=parse.parse_code(batch.xa[ROLES.code])[0]
        )
        names = names[~names.index.duplicated() & names.index.notna()]
        communes, villages = code.map(names).astype("string"), parse.parse_text(meta[name])[0]
    out = pd.DataFrame(
        {
            "tep": meta["_tep"],
            "trang": sheet,
            "o": cell_names(batch.letters, sheet, meta["_tep"], hits["cot"], meta["_dong"]),
            "cot": hits["cot"],
            "gia_tri": _shown(found),
            ROLES.code: code,
            "ma_loi": hits["ma_loi"],
            "chi_tieu": hits["cot"].map(uses),
            ROLES.name: communes,
            ROLES.village: villages,
        }
    )
    return frame(out.assign(muc_do=hits["ma_loi"].map(SEVERITY), chi_tiet=hits["chi_tiet"].fillna("")))


def cell_names(letters: pd.DataFrame, sheet: str, files: pd.Series, keys: pd.Series, rows: pd.Series) -> pd.Series:
    """The cell ("K7") of each (file, column key, Excel row) of a sheet, from `Batch.letters`.

    A column's letter is taken from the header above the row: a sheet may paste blocks in other orders.
    """
    letters = letters[letters["trang"] == sheet][["tep", "cot", "chu", "tu_dong"]].astype({"tu_dong": int})
    wanted = pd.DataFrame({"tep": files.to_numpy(), "cot": keys.to_numpy(), "dong": rows.astype(int).to_numpy()})
    located = pd.merge_asof(
        wanted.reset_index().sort_values("dong"),
        letters.sort_values("tu_dong"),
        left_on="dong",
        right_on="tu_dong",
        by=["tep", "cot"],
    )
    chu = located.set_index("index")["chu"].sort_index().astype("string")
    return pd.Series((chu + wanted["dong"].astype("string")).to_numpy(), index=files.index, dtype="string")


def _shown(values: pd.Series) -> pd.Series:
    """Raw values as the officer sees them in Excel: 12.0 as 12, TRUE, a date as 05/01/2024, and a character
    one cannot see as <U+200B> (`parse.visible`), so that a value refused is never shown as if it were fine."""
    return values.map(_shown_one, na_action="ignore").fillna("").astype(str)


def _shown_one(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M" if value.time() != dt.time() else "%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return parse.visible(str(value))
