"""One assessment run: read -> validate -> assess -> write, and the exit status."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import catalog, csv_out, progress, workbook
from pipeline.assess import Assessment, assess
from pipeline.problems import ERROR, frame, problem
from pipeline.read import read_batch
from pipeline.validate import validate

EXIT_OK, EXIT_FAILED, EXIT_DATA_PROBLEMS = 0, 1, 3


@dataclass
class Outcome:
    """What a run produced, for the command line to report."""

    years: dict[int, Assessment] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=lambda: frame([]))

    @property
    def exit_code(self) -> int:
        undecided = any(a.communes["ket_qua"].eq("khong_danh_gia_duoc").any() for a in self.years.values())
        return EXIT_DATA_PROBLEMS if undecided or self.problems["muc_do"].eq(ERROR).any() else EXIT_OK


def run(
    input_dir: Path,
    output_dir: Path,
    lang: str = "vi",
    schemas: Path = catalog.SCHEMAS,
    workers: int | None = None,
    quiet: bool = False,
) -> Outcome:
    """`workers`: reading processes (default one per core, 1 = this process only);
    `quiet`: no progress bar (none is drawn anyway unless stderr is a terminal)."""
    processes = workers or os.cpu_count() or 1
    columns = catalog.load_columns(schemas / "columns.toml")
    periods = catalog.criteria_files(schemas)
    batch = read_batch(input_dir, columns, workers=workers, progress=not quiet)
    checked = validate(batch, columns, periods)
    outcome, extra = Outcome(), []
    for year, communes in checked.xa.groupby("nam", sort=True):
        criteria = next((c for c in periods if c.covers(int(year))), None)
        if criteria is None:
            extra += [
                problem("khong-co-bo-chi-tieu", r._tep, str(year), trang="Xa", cot="nam", ma_xa=r.ma_xa)
                for r in communes.itertuples()
            ]
            continue
        outcome.years[int(year)] = (assess(communes, checked.thon, criteria), criteria)
    outcome.problems = pd.concat([frame(batch.problems + extra), checked.problems], ignore_index=True)
    sources = _sources(batch.sources, checked)
    # files to write: per year 3 CSVs, the summary and one workbook per district
    files = sum(4 + a.communes["huyen"].nunique(dropna=False) for a, _ in outcome.years.values())
    with progress.bar(files, "Ghi kết quả", quiet=quiet) as shown:
        for year, (result, criteria) in outcome.years.items():
            folder = output_dir / str(year)
            csvs = csv_out.write(result, outcome.problems, year, folder)
            shown.update(len(csvs))
            books = workbook.write(
                result, outcome.problems, sources, criteria, columns, year, folder, lang, workers=processes
            )
            shown.update(len(books))
            outcome.written += csvs + books
    outcome.years = {y: a for y, (a, _) in outcome.years.items()}
    if not outcome.years:
        outcome.written += csv_out.write_problems(outcome.problems, output_dir / "loi-du-lieu.csv")
    return outcome


def _sources(sources: pd.DataFrame, checked) -> pd.DataFrame:
    """Per file: rows read and rows accepted for assessment, per sheet."""
    kept_xa = checked.xa.groupby("_tep").size()
    kept_thon = checked.thon.groupby("_tep").size()
    return sources.assign(
        nhan_xa=sources["tep"].map(kept_xa).fillna(0).astype(int),
        nhan_thon=sources["tep"].map(kept_thon).fillna(0).astype(int),
    )
