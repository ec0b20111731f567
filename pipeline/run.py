"""One assessment run: read -> validate -> assess -> write, and the exit status.

Every commune row received is in the outcome: per year (assessed, or listed as
not assessable when no catalog covers its year), or among the communes whose
year is unknown, which get a ledger of their own (`xa-chua-ro-nam.csv`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from pipeline import catalog, progress, settings
from pipeline.assessing.assess import Assessment, assess
from pipeline.assessing.kinds import NOT_ASSESSABLE, RESULTS
from pipeline.catalog import Criteria
from pipeline.checking import registration, units
from pipeline.checking.validate import Checked, validate
from pipeline.presenting import last_year, messages, view
from pipeline.problems import ERROR, frame
from pipeline.reading.read import read_batch
from pipeline.roles import ROLES
from pipeline.writing import csv_out, files, outputs, parallel

EXIT_OK, EXIT_FAILED, EXIT_DATA_PROBLEMS = 0, 1, 3
# files of the run as a whole, beside the year folders: a run that does not write them removes the previous run's
UNDATED, PROBLEMS = "xa-chua-ro-nam.csv", "loi-du-lieu.csv"
UNDECIDED = RESULTS[NOT_ASSESSABLE]


@dataclass
class Outcome:
    """What a run produced, for the command line to report."""

    years: dict[int, Assessment] = field(default_factory=dict)
    criteria: dict[int, Criteria] = field(default_factory=dict)
    undated: pd.DataFrame = field(default_factory=pd.DataFrame)  # commune rows whose year is unknown
    written: list[Path] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=lambda: frame([]))  # cell by cell
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: read, validate, assess, write
    notes: list[str] = field(default_factory=list)  # what the officer should know: a catalog left out, a setting
    views: dict[int, view.YearView] = field(default_factory=dict)  # each year as the terminal and the writers read it
    say: messages.Sayer | None = None  # the problems said in the run's language

    @cached_property
    def listed(self) -> pd.DataFrame:
        """The problems as the lists show them, said in the run's language (`messages.listed`)."""
        assert self.say is not None, "the run sets its Sayer before it lists problems"
        return messages.listed(self.problems, self.say)

    @property
    def received(self) -> int:
        """Commune rows that reached the results, whatever became of them."""
        return sum(len(a.communes) for a in self.years.values()) + len(self.undated)

    @property
    def exit_code(self) -> int:
        problems = self.problems["muc_do"].eq(ERROR).any()
        if not self.received and not problems:
            return EXIT_FAILED  # nothing to assess, and no file that failed to say why
        undecided = any(a.communes["ket_qua"].eq(UNDECIDED).any() for a in self.years.values())
        return EXIT_DATA_PROBLEMS if undecided or problems or len(self.undated) else EXIT_OK


def run(
    input_dir: Path,
    output_dir: Path,
    lang: str = "vi",
    schemas: Path | None = None,
    workers: int | None = None,
    quiet: bool = False,
    registered: Path | None = None,
    settings_file: Path | None = None,
    sheets: bool | None = None,
    commune_files: bool | None = None,
) -> Outcome:
    """`workers`: reading processes (default one per core, 1 = this process only);
    `schemas`: the department's catalog folder, read over the shipped catalogs (None: the shipped ones alone);
    `quiet`: no progress bar (none is drawn anyway unless stderr is a terminal);
    `registered`: the list of communes that registered (CSV or workbook);
    `settings_file`: the department's settings for the report (default: `settings.load_settings`'s; never one
    inside the input folder);
    `sheets`: write the per-commune sheets (default: for a province-sized year, `view.PROVINCE_SIZE` communes or
    fewer); `commune_files`: one file per commune, its sheet, to send back (default: a province-sized year
    without districts)."""
    processes = workers or os.cpu_count() or 1
    notes: list[str] = []
    columns, periods = catalog.load_catalogs(schemas, unfinished=notes)
    listed = registration.load(registered, columns, periods) if registered else None
    signing = settings.load_settings(settings_file, input_dir)
    # the lock is taken first, so a second run into the same folder stops before reading anything
    with files.OutputFolder(output_dir) as out, contextlib.ExitStack() as later:
        clock = time.perf_counter()
        say = messages.TERMINAL[lang]
        shown = None if quiet else say["reading"]
        batch = read_batch(input_dir, columns, workers, progress=shown, exclude=(output_dir,))
        timings = {"read": time.perf_counter() - clock}
        progress.say(say["checking"], len(batch.sources), quiet)
        # made now: at national scale the workers' server imports the writers while this process checks the files
        pool = later.enter_context(parallel.pool(processes, len(batch.xa) > view.PROVINCE_SIZE))
        checked = validate(batch, columns, periods, listed, signing.ma_tinh)
        # the raw cells of every file are the largest thing a national run holds; past validation only these are used
        read_problems, read_sources, letters = batch.problems, batch.sources, batch.letters
        del batch
        timings["validate"] = time.perf_counter() - clock - sum(timings.values())
        checked, unlisted = registration.reconcile(checked, listed) if listed is not None else (checked, [])
        outcome = _assess_years(checked, periods)
        outcome.say = messages.sayer(lang, columns, pd.concat([c.tiers for c in periods]))
        outcome.notes = notes + messages.settings_notes(signing, outcome.years, lang)
        outcome.timings = timings | {"assess": time.perf_counter() - clock - sum(timings.values())}
        lasts = {year: _previous(outcome, output_dir, year) for year in outcome.years}
        outcome.problems = _problems(read_problems + unlisted, checked.problems, lasts)
        files_read, undated = _sources(read_sources, checked), len(outcome.undated)
        shared = view.Run(
            files_read, letters, columns, signing, outcome.problems, outcome.say, undated, sheets, commune_files
        )
        outcome.views = {
            year: view.year_view(year, outcome.criteria[year], a, shared, lasts[year])
            for year, a in outcome.years.items()
        }
        written = _write(outcome, out, pool, quiet, say["writing"])
    outcome.written = [out.live(p) for p in written]
    outcome.timings["write"] = time.perf_counter() - clock - sum(outcome.timings.values())
    return outcome


def _problems(found: list[dict], checked: pd.DataFrame, lasts: dict) -> pd.DataFrame:
    """Every problem of the run: what reading and the registration list `found`, what last year's files say,
    what checking found."""
    unread = [row for last in lasts.values() for row in last.problems]
    return pd.concat([frame(found + unread), checked], ignore_index=True)


def _write(outcome: Outcome, out: files.OutputFolder, pool, quiet: bool, label: str) -> list[Path]:
    """Every output of every year (`outputs.OUTPUTS`), then the run's own files.

    The outputs written in the pool are started first, and written while this
    process writes the others (the CSVs in the pool took 130 MiB more at 10,000
    communes, for no time saved).
    """
    wanted = [(v, o) for v in outcome.views.values() for o in outputs.OUTPUTS if o.wanted(v)]
    written: list[Path] = []
    with (
        _settled(),
        progress.bar(sum(o.steps(v) for v, o in wanted), label, quiet=quiet) as shown,
    ):
        tasks = []
        for v, o in sorted(wanted, key=lambda pair: not pair[1].in_pool):
            folder = out.path(str(v.year))
            steps = o.steps(v)
            if o.in_pool:
                tasks.append(parallel.start(pool, o.write, o.sends(v), folder))
                tasks[-1].add_done_callback(functools.partial(_counted, shown, steps))
            else:
                written += o.write(v, folder, pool, shown.update if steps > 1 else None)
                if steps == 1:
                    shown.update(1)
        written += [path for task in tasks for path in task.result()]
    if len(outcome.undated):
        written += csv_out.write_undated(outcome.undated, out.path(UNDATED))
    if not outcome.years:
        written += csv_out.write_problems(outcome.listed, out.path(PROBLEMS))
    return written


def _counted(shown, steps: int, _task) -> None:
    """A writer in the pool has ended: its steps on the writing bar, all at once (it cannot count them there)."""
    shown.update(steps)


@contextlib.contextmanager
def _settled():
    """While the outputs are written, the collector leaves alone everything the run already holds.

    Writing makes hundreds of thousands of small objects (xlsxwriter keeps a
    tuple per cell), and each of the collector's full passes would walk the
    run's frames as well: 0.64-0.76 s of the summary's 4.5 s at 3,000
    communes, 0.38 s with them frozen. (A full collection here would find
    some twenty objects to free, for 0.1 s.) Afterwards they are the
    collector's again: a caller may run many times.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _previous(outcome: Outcome, output_dir: Path, year: int) -> last_year.LastYear:
    """Last year's communes, for the year-over-year sections: from this run, else from the output folder
    (read from the live folder: this run's outputs are swapped in only at the end). Across the 2025 reform
    a code names another commune: no comparison, and the report says why."""
    if not units.same_list(year - 1, year):
        return last_year.LastYear(unread=units.REORGANISED)
    if year - 1 in outcome.years and outcome.criteria[year - 1].period:
        return last_year.LastYear(outcome.years[year - 1].communes)
    return last_year.previous_results(output_dir, year)


def _assess_years(checked: Checked, periods: list[Criteria]) -> Outcome:
    """Assess each year with its period's catalog; a year no catalog covers is listed, not assessed."""
    outcome = Outcome()
    for year, communes in checked.xa.groupby(ROLES.year, sort=True):
        year = int(year)
        villages = checked.thon[checked.thon[ROLES.year] == year]
        criteria = next((c for c in periods if c.covers(year)), None)
        if criteria is None:
            criteria = _stand_in(year, periods)
            outcome.years[year] = _unassessed(communes, villages)
        else:
            outcome.years[year] = assess(communes, villages, criteria)
        outcome.criteria[year] = criteria
    undated = checked.xa[checked.xa[ROLES.year].isna()]
    outcome.undated = _unassessed(undated, checked.thon.iloc[:0]).communes
    return outcome


def _unassessed(communes: pd.DataFrame, villages: pd.DataFrame) -> Assessment:
    """Communes listed with no result: their year is unknown, or no catalog covers it."""
    listed = communes.assign(
        ket_qua=UNDECIDED,
        so_chi_tieu_dat=pd.NA,
        so_chi_tieu=pd.NA,
        hang_cao_nhat_dat=pd.Series(pd.NA, index=communes.index, dtype="string"),
    ).reset_index(drop=True)
    results = pd.DataFrame(columns=csv_out.RESULT_COLUMNS)
    return Assessment(listed, results, villages.assign(thon_thong_minh=False).reset_index(drop=True))


def _stand_in(year: int, periods: list[Criteria]) -> Criteria:
    """What the outputs of a year no catalog covers are written with: every tier known, no indicator."""
    tiers = pd.concat([c.tiers for c in periods])
    tiers = tiers[~tiers.index.duplicated()].assign(rank=lambda t: range(len(t)))
    return Criteria(
        period="",
        years=(year, year),
        title=f"Chưa có bộ chỉ tiêu cho năm {year}: các xã được liệt kê, chưa được đánh giá",
        source=Path(""),
        tiers=tiers,
        indicators=periods[0].indicators.iloc[:0],
    )


def _sources(sources: pd.DataFrame, checked) -> pd.DataFrame:
    """Per file: rows read and rows accepted for assessment, per sheet."""
    kept_xa = checked.xa.groupby("_tep").size()
    kept_thon = checked.thon.groupby("_tep").size()
    return sources.assign(
        nhan_xa=sources["tep"].map(kept_xa).fillna(0).astype(int),
        nhan_thon=sources["tep"].map(kept_thon).fillna(0).astype(int),
    )
