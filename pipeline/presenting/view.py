"""One view of each year, computed once after assessment: what the terminal and every writer read.

Before, each writer worked the same figures out again (the counts per tier for
the terminal, the overview and the report; what each commune lacks for the
report and again for its sheets; three orders of communes). Now `year_view`
works them out once, and a writer only lays them out: the figures of every
paper are equal because they are the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from pipeline.assessing.assess import Assessment
from pipeline.catalog import Columns, Criteria
from pipeline.checking import units
from pipeline.presenting import messages, summary
from pipeline.presenting.findings import Finding, findings
from pipeline.presenting.last_year import LastYear
from pipeline.presenting.words import DISTRICTS, PROVINCES
from pipeline.roles import ROLES
from pipeline.settings import Settings


@dataclass
class Run:
    """What every year of a run shares: the files read, the catalogs, the settings and the options asked for."""

    sources: pd.DataFrame  # per file: size, SHA-256, rows read and accepted (the Nguồn sheet)
    letters: pd.DataFrame  # the column letter of each column key per file (`Batch.letters`): cells on the sheets
    columns: Columns
    settings: Settings
    problems: pd.DataFrame  # every problem of the run, cell by cell
    say: messages.Sayer  # the problems said in the run's language
    undated: int = 0  # commune rows of the run whose year is unknown
    sheets: bool | None = None  # the per-commune sheets: as asked, else for a province-sized year
    commune_files: bool | None = None  # one file per commune to send back: as asked, else without districts

    @property
    def lang(self) -> str:
        return self.say.lang

    @cached_property
    def listed(self) -> pd.DataFrame:
        """The problems as the lists show them, said in the run's language (`messages.listed`)."""
        return messages.listed(self.problems, self.say)

    @property
    def note(self) -> str:
        """The line every summary of the run carries when some commune rows have no year."""
        return undated_note(self.undated, self.lang)


def undated_note(count: int, lang: str = "vi") -> str:
    """ "01 hồ sơ chưa ghi năm đánh giá, …", or "" when every commune row has its year."""
    return messages.TERMINAL[lang]["undated"].format(n=f"{count:02d}") if count else ""


PROVINCE_SIZE = 1000  # communes of a year above which the per-commune sheets and files are written only on request


@dataclass
class YearView:
    """One year as it is presented: its communes in one order, its counts, what each commune lacks."""

    year: int
    criteria: Criteria
    result: Assessment
    run: Run
    previous: LastYear = field(default_factory=LastYear)
    communes: pd.DataFrame = field(default_factory=pd.DataFrame)  # areas, then communes, in the order of their codes
    tiers: pd.DataFrame = field(default_factory=pd.DataFrame)  # per tier: registered, met, not met, undecided, "15/15"
    findings: dict[Any, Finding] = field(default_factory=dict)  # per commune (row label): what it lacks
    area: str = DISTRICTS  # how the papers group the communes: by district, or by province (`words.AREAS`)
    presented: Assessment | None = None  # the result as the papers group it: `ROLES.area` holds the area

    def __post_init__(self) -> None:
        self.presented = self.presented or self.result

    @property
    def districts(self) -> bool:
        """Whether the year's communes have districts at all (none since the reform of 1 July 2025)."""
        return bool(self.communes[ROLES.area].notna().any())

    @property
    def sheets(self) -> bool:
        """Whether the per-commune sheets are written: as asked, else when the year is province-sized."""
        asked = self.run.sheets
        return asked if asked is not None else len(self.communes) <= PROVINCE_SIZE

    @property
    def commune_files(self) -> bool:
        """Whether each commune gets a file of its own to send back: as asked, else when there is no district to
        send a workbook to and the year is province-sized."""
        asked = self.run.commune_files
        return asked if asked is not None else not self.districts and len(self.communes) <= PROVINCE_SIZE


def year_view(year: int, criteria: Criteria, result: Assessment, run: Run, previous: LastYear) -> YearView:
    """The year's view: computed once, read by the terminal and by every writer."""
    area, presented = _areas(year, result)
    communes = ordered(presented.communes)
    return YearView(
        year=year,
        criteria=criteria,
        result=result,
        run=run,
        previous=previous,
        communes=communes,
        tiers=summary.per_tier(communes, criteria),
        findings=findings(communes, result.results, criteria, run.problems, run.say),
        area=area,
        presented=presented,
    )


def _areas(year: int, result: Assessment) -> tuple[str, Assessment]:
    """How the papers group a year's communes: by district when they have any; without districts (since
    1 July 2025) by province when they come from several, the province read from each code in the national
    list; else not at all. The CSVs keep the district column as it was sent."""
    communes = result.communes
    if year < units.LIST_FROM or communes[ROLES.area].notna().any():
        return DISTRICTS, result
    provinces = units.province_of(communes[ROLES.code])
    if provinces.dropna().nunique() < 2:
        return DISTRICTS, result
    area = {code: name for code, name in zip(communes[ROLES.code], provinces, strict=True)}
    return PROVINCES, Assessment(
        communes.assign(**{ROLES.area: provinces}),
        result.results.assign(**{ROLES.area: result.results[ROLES.code].map(area).astype("string")}),
        result.villages,
    )


def ordered(communes: pd.DataFrame) -> pd.DataFrame:
    """Areas, and communes within them, in the order of their codes (a stand-in for a row with no valid code
    sorts after the codes of its area). Row labels are kept (the findings are keyed by them); `tep_xa`,
    `dong_xa` name the file and row, since itertuples cannot name a field that starts with "_"."""
    ordered = communes.assign(_d=summary.district_order(communes)).sort_values(["_d", ROLES.code], kind="stable")
    return ordered.drop(columns="_d").assign(tep_xa=ordered.get("_tep"), dong_xa=ordered.get("_dong"))
