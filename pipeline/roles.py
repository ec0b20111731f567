"""The columns the code reads by what they hold (a commune's code, its name, its year …), declared in columns.toml.

A column entry of columns.toml may carry a `role`: the code reads that column as
the commune's code, name, district, year, tier, group or a village's name, and
nothing else of the catalog by key. `ROLES` holds the key of each role, read once
from the shipped columns.toml, and every module reads a core column through it:
`frame[ROLES.code]`, never the key spelled out. `NEEDS` says on which sheets and with
which type the code reads each role; `catalog` checks a department's columns.toml
against it, and that each role keeps the key of `ROLES` (the outputs are named by it).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# The shipped catalogs: package data of `pipeline` (pipeline/schemas/ in the source tree, the same folder in an
# installed wheel), found through importlib.resources so that any install finds them. Named here rather than in
# `catalog`, which re-exports it: the roles are read from them first (`catalog` imports modules that read roles).
SCHEMAS = Path(str(resources.files("pipeline") / "schemas"))


@dataclass(frozen=True)
class Need:
    """How the code reads a role: on which sheets, as which column type, and how a message names it."""

    sheets: tuple[str, ...]
    type: str
    words: str
    required: bool = True  # False: the catalog may leave the column out (the code reads it only when it is there)


NEEDS = {
    "code": Need(("Xa", "Thon"), "ma", "mã xã"),
    "name": Need(("Xa",), "text", "tên xã"),
    "area": Need(("Xa",), "text", "huyện"),
    "year": Need(("Xa", "Thon"), "year", "năm đánh giá"),
    "tier": Need(("Xa",), "tier", "hạng đăng ký"),
    # the commune group a period's [commune_groups] and thresholds by group name (2026–2030 set)
    "group": Need(("Xa",), "text", "nhóm xã", required=False),
    "village": Need(("Thon",), "text", "tên thôn"),
}


@dataclass(frozen=True)
class Roles:
    """The key of the column of each role (see `NEEDS`)."""

    code: str  # the commune's code, on both sheets (a village names its commune by it)
    name: str  # the commune's name
    area: str  # its district (empty since the reform of 1 July 2025)
    year: str  # the assessment year, on both sheets
    tier: str  # the registered tier
    group: str  # the commune group of a period that sets thresholds by group
    village: str  # the village's name

    @property
    def places(self) -> tuple[str, ...]:
        """The columns that name a place (commune, district, village): free text, where a number is a slip."""
        return (self.name, self.area, self.village)

    def by_role(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` with its role columns named by their role, so that a row of `itertuples` reads `row.code`,
        `row.name`, `row.tier` … (a named tuple's fields are attributes, which no `ROLES.code` can name)."""
        return frame.rename(columns={key: role for role, key in asdict(self).items()})


def _declared(entries: list[dict]) -> Roles:
    """The roles declared by the [[columns]] of the shipped catalog: one key per role, whatever the sheet (a
    department's catalog is checked against them by `catalog`, with messages for the person who wrote it)."""
    keys: dict[str, set[str]] = {}
    for entry in entries:
        if "role" in entry:
            keys.setdefault(entry["role"], set()).add(entry["key"])
    twice = {role: sorted(k) for role, k in keys.items() if len(k) > 1}
    if twice or set(keys) != set(NEEDS):
        raise ValueError(f"columns.toml: each role once, on one key: {', '.join(NEEDS)} (found {keys})")
    return Roles(**{role: k.pop() for role, k in keys.items()})


ROLES = _declared(tomllib.loads((SCHEMAS / "columns.toml").read_text(encoding="utf-8"))["columns"])
