"""The files a run writes for each year: one writer per output, listed once.

Every writer has one signature, `write(view, folder, pool, done) -> [paths written]`:
it reads the year's view (`view.YearView`) and nothing else, so the figures of every
paper are the same. A new output is a writer in a module of its own and one line here;
the run loops over this list and its progress bar counts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.presenting.view import YearView
from pipeline.roles import ROLES
from pipeline.writing import csv_out, report, sheets, workbook


@dataclass(frozen=True)
class Output:
    """One output of a year.

    write:   (view, year folder, pool or None, done) -> the paths written; `done()` once per file
             for a writer that writes several and counts them itself (`steps` > 1; one in the pool is
             counted all at once when it ends)
    wanted:  whether the year gets it (the per-commune sheets only for a province-sized year, …)
    steps:   how many files it writes, for the progress bar (the files sent back to the communes: one)
    in_pool: written in a worker process while this process writes the others (the documents)
    sends:   what of the view is sent to that process (the view pickled, there unpickled): what its writer reads
    """

    write: Callable[..., list[Path]]
    wanted: Callable[[YearView], bool] = lambda view: True
    steps: Callable[[YearView], int] = lambda view: 1
    in_pool: bool = False
    sends: Callable[[YearView], YearView] = lambda view: view


OUTPUTS: list[Output] = [
    Output(report.write_year, in_pool=True, sends=report.read),
    Output(
        sheets.write_year,
        wanted=lambda view: view.sheets or view.commune_files,
        steps=lambda view: int(view.sheets) + int(view.commune_files),
        in_pool=True,
    ),
    Output(csv_out.write_results),
    Output(csv_out.write_communes),
    Output(csv_out.write_year_problems),
    Output(workbook.write_year, steps=lambda view: 1 + int(view.communes[ROLES.area].nunique())),
]
