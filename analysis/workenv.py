"""The year around the survey: absence, accidents, incidents and the authority's reactions (issue 13).

Two halves, both pure (no Flask, no database):

**Imports** (``read_*`` / ``*_frame``): the CSV files of docs/formats.md ("Work environment"), validated in
the house style of :mod:`analysis.csvio` (file, line, column, value and how to fix it; nothing is returned
on error):

- :func:`read_absence` – absence per unit and month (FTE, headcount, days by kind and by spell length);
- :func:`read_spells` + :func:`spells_to_unit_months` – absence spells per person, aggregated on import into
  the same unit-month rows plus the distribution of Bradford factors per unit and year; the person column
  is used in memory only and never leaves this module;
- :func:`read_incidents` – accidents and incidents per unit, month and kind;
- :func:`read_reactions` – reactions of the Working Environment Authority (Arbejdstilsynet).

**Figures** (:func:`unit_figures`, :func:`publish`): per unit (rolled up over its subtree, like survey
results) and period (calendar year or rolling twelve months), with the year before beside it:

- sick days = days of own illness + work injury (the Danish public employers' "sygefravær"); the other kinds
  (child's sick day, senior, care, maternity, §56) are reported in their own rows and are not sick days;
- sick days per FTE = sick days / FTE-years, FTE-years = Σ monthly FTE / 12;
- absence % = sick days / (FTE-years × work days per FTE-year) × 100, work days per FTE-year = hours norm /
  7.4 h per day (1,924 / 7.4 = 260 days);
- long-term share = sick days in spells of more than 20 days (``long_term`` column) / sick days; when the
  file has no ``long_term`` column, the 30+ band is used and the report says so;
- LTIF (lost-time injury frequency) = accidents with absence / hours worked × 1,000,000; the frequency of any
  other incident kind is computed the same way. Hours are the file's ``hours_worked`` where given, else
  FTE-years × 1,924 h (the Danish state's norm: 37 h × 52 weeks = 1,924 h per FTE-year);
- Bradford factor of a person = S² × D (S spells of own illness in the year, D their days; Bradford
  University, 1980s), reported only as the number of persons per band of :data:`BRADFORD_BANDS`.

Small groups (:func:`publish`, the one publication step): health data is special-category personal data, so
the suppression of :mod:`analysis.suppression` is applied to the units' headcounts (mean monthly headcount,
rolled up): a unit with fewer than ``k_min`` employees is hidden, and so is any unit whose figures would let
parent − published children reveal a group of fewer than ``k_diff`` employees (complementary suppression).
Every count of people or events (accidents, incidents, Bradford persons) of 1 or 2 is written ``"<3"``.
A change against last year is written only when the unit is published in both periods.

Worked example (DTU's annual report 2025, CONTEXT.md): 11 accidents with absence over 6,466 FTE at 1,924 h
gives LTIF = 11 / (6,466 × 1,924) × 10⁶ = 0.884; 46,326 sick days / 6,466 FTE = 7.16 sick days per FTE
(tests/analysis/test_workenv.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import csvio
from .csvio import InputError
from .suppression import REASON_NAMES, Tree, suppress

#: hours per full-time equivalent and year (37 h × 52 weeks; the Danish state's norm, used by DTU)
HOURS_PER_FTE = 1924.0
#: hours per work day (37 h / 5 days)
HOURS_PER_DAY = 7.4
#: kinds of absence days (column names of absence.csv and codes of spells.csv)
ABSENCE_KINDS: tuple[str, ...] = (
    "own_illness",
    "work_injury",
    "child_sick",
    "senior",
    "care",
    "maternity",
    "section56",
)
#: kinds that make up "sick days"
SICK_KINDS: tuple[str, ...] = ("own_illness", "work_injury")
#: spell length bands of sick days (days of spells of 0–9, 10–29, 30 or more days)
BANDS: tuple[str, ...] = ("band_0_9", "band_10_29", "band_30_plus")
#: long-term absence: days of spells of more than 20 days (DTU's definition)
LONG_TERM_DAYS = 20
ABSENCE_REQUIRED: tuple[str, ...] = ("unit_id", "month", "fte", "headcount")
ABSENCE_OPTIONAL: tuple[str, ...] = ("hours_worked", *ABSENCE_KINDS, *BANDS, "long_term")
SPELL_COLUMNS: tuple[str, ...] = ("person_id", "unit_id", "kind", "first_day", "last_day", "days")
INCIDENT_KINDS: tuple[str, ...] = (
    "accident_absence",
    "accident_no_absence",
    "near_miss",
    "violence",
    "threats",
    "offensive_act",
    "emotional_demands",
)
INCIDENT_REQUIRED: tuple[str, ...] = ("unit_id", "month", "kind", "count")
INCIDENT_OPTIONAL: tuple[str, ...] = ("absence_days",)
REACTION_KINDS: tuple[str, ...] = ("strakspaabud", "paabud", "paatale", "aftaleforloeb", "vejledning")
#: spellings accepted in reactions.csv for each kind (Danish with æøå, or the ASCII code)
REACTION_ALIASES: Mapping[str, str] = {
    "strakspåbud": "strakspaabud",
    "påbud": "paabud",
    "påtale": "paatale",
    "aftaleforløb": "aftaleforloeb",
    **{k: k for k in REACTION_KINDS},
}
REACTION_COLUMNS: tuple[str, ...] = ("date", "unit_id", "kind", "topic")
#: lower edges of the Bradford bands (persons with S² × D in [edge, next edge))
BRADFORD_BANDS: tuple[int, ...] = (0, 50, 125, 400, 650)
MAX_TOPIC = 200
SMALL_COUNT = "<3"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def bradford_band_labels() -> tuple[str, ...]:
    edges = BRADFORD_BANDS
    return tuple(f"{lo}–{edges[i + 1] - 1}" if i + 1 < len(edges) else f"{lo}+" for i, lo in enumerate(edges))


# ---------------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------------


def parse_month(name: str, line: int, column: str, value: str) -> str:
    """A month written ``YYYY-MM`` (e.g. ``2025-03``), between 1990 and 2100."""
    m = _MONTH.match(value)
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1990 <= int(m.group(1)) <= 2100:
        raise InputError(
            name, "expected a month written YYYY-MM, e.g. 2025-03", line=line, column=column, value=value
        )
    return value


def parse_date(name: str, line: int, column: str, value: str) -> dt.date:
    """A date written ``YYYY-MM-DD``."""
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            name, "expected a date written YYYY-MM-DD, e.g. 2025-03-31", line=line, column=column, value=value
        ) from None


def parse_amount(name: str, line: int, column: str, value: str, *, empty: float | None = None) -> float:
    """A number ≥ 0 with a decimal point (``12.5``); ``empty`` is returned for an empty cell when given."""
    if value == "" and empty is not None:
        return empty
    if not _NUMBER.match(value):
        hint = " (use a decimal point, not a comma)" if re.match(r"^\d+,\d+$", value) else ""
        raise InputError(
            name, f"expected a number of at least 0, e.g. 12.5{hint}", line=line, column=column, value=value
        )
    return float(value)


def _unit(name: str, line: int, value: str, unit_ids: Collection[str]) -> str:
    if value not in unit_ids:
        raise InputError(
            name,
            "unknown unit; use a unit_id of the organisation (import units.csv first)",
            line=line,
            column="unit_id",
            value=value,
        )
    return value


# ---------------------------------------------------------------------------------------------
# absence.csv
# ---------------------------------------------------------------------------------------------


def read_absence(path: str | Path, unit_ids: Collection[str]) -> pd.DataFrame:
    """Read and validate ``absence.csv`` (see :func:`absence_frame`)."""
    table = csvio.read_table(path, required=ABSENCE_REQUIRED, optional=ABSENCE_OPTIONAL)
    return absence_frame(table, unit_ids)


def absence_frame(table: csvio.Table, unit_ids: Collection[str], *, staff_only: bool = False) -> pd.DataFrame:
    """Validate an absence table: one row per unit and month.

    Returns
    -------
    DataFrame with ``unit_id``, ``month`` (``YYYY-MM``), ``fte`` and ``headcount`` (float), ``hours_worked``
    (float, NaN = derive from FTE), one float column per kind of :data:`ABSENCE_KINDS` and per band of
    :data:`BANDS` (days; empty = 0), and ``long_term`` (days in spells of more than 20 days; NaN when the
    file has no such column). ``staff_only``: the file is the staffing file of a spells import and may not
    hold any days.
    """
    name = table.name
    seen: dict[tuple[str, str], int] = {}
    rows: list[dict[str, Any]] = []
    has_long = "long_term" in table.columns
    for line, rec in table.records():
        unit = _unit(name, line, rec["unit_id"], unit_ids)
        month = parse_month(name, line, "month", rec["month"])
        key = (unit, month)
        if key in seen:
            raise InputError(
                name,
                f"unit {unit} and month {month} appear twice (first on line {seen[key]}); "
                "give one row per unit and month",
                line=line,
                column="month",
                value=month,
            )
        seen[key] = line
        fte = parse_amount(name, line, "fte", rec["fte"])
        headcount = csvio.parse_int(name, line, "headcount", rec["headcount"], minimum=0)
        if fte > 0 and headcount == 0:
            raise InputError(
                name,
                "headcount is 0 but fte is above 0; give the number of employees",
                line=line,
                column="headcount",
                value=rec["headcount"],
            )
        row: dict[str, Any] = {"unit_id": unit, "month": month, "fte": fte, "headcount": float(headcount)}
        hours = rec.get("hours_worked", "")
        row["hours_worked"] = parse_amount(name, line, "hours_worked", hours) if hours != "" else math.nan
        for col in (*ABSENCE_KINDS, *BANDS, "long_term"):
            cell = rec.get(col, "")
            if staff_only and cell not in ("", "0"):
                raise InputError(
                    name,
                    "a staffing file for a spells import holds no absence days; leave the "
                    "day columns out (the days come from the spells file)",
                    line=line,
                    column=col,
                    value=cell,
                )
            row[col] = parse_amount(name, line, col, cell, empty=0.0)
        if not has_long:
            row["long_term"] = math.nan
        sick = sum(row[k] for k in SICK_KINDS)
        banded = sum(row[b] for b in BANDS)
        if any(rec.get(b, "") != "" for b in BANDS) and abs(banded - sick) > 0.01:
            raise InputError(
                name,
                f"the band days add up to {banded:g} but own_illness + work_injury is "
                f"{sick:g}; the bands split the sick days by spell length and must add "
                "up to them",
                line=line,
                column=BANDS[0],
                value=rec.get(BANDS[0], ""),
            )
        if has_long and row["long_term"] > sick + 0.01:
            raise InputError(
                name,
                f"long_term ({row['long_term']:g}) is more than the sick days ({sick:g}); "
                "long-term days are part of own_illness + work_injury",
                line=line,
                column="long_term",
                value=rec["long_term"],
            )
        if fte == 0 and sick + sum(row[k] for k in ABSENCE_KINDS if k not in SICK_KINDS) > 0:
            raise InputError(
                name,
                "absence days in a month with fte 0; give the unit's FTE for the month",
                line=line,
                column="fte",
                value=rec["fte"],
            )
        rows.append(row)
    if not rows:
        raise InputError(name, "the file has no data rows; add one row per unit and month", line=2)
    columns = ["unit_id", "month", "fte", "headcount", "hours_worked", *ABSENCE_KINDS, *BANDS, "long_term"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# spells.csv (person level, aggregated on import)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpellAggregate:
    """What a spells file leaves behind: unit-month days and Bradford distributions. No person."""

    absence: pd.DataFrame
    #: ``unit_id``, ``year``, ``band`` (index into :data:`BRADFORD_BANDS`), ``persons``
    bradford: pd.DataFrame
    spells: int


def read_spells(path: str | Path, staff_path: str | Path, unit_ids: Collection[str]) -> SpellAggregate:
    """Read ``spells.csv`` and its staffing file and aggregate them (:func:`spells_to_unit_months`)."""
    staff_table = csvio.read_table(staff_path, required=ABSENCE_REQUIRED, optional=ABSENCE_OPTIONAL)
    staff = absence_frame(staff_table, unit_ids, staff_only=True)
    table = csvio.read_table(path, required=SPELL_COLUMNS)
    return spells_to_unit_months(table, staff, unit_ids, staff_name=staff_table.name)


def _months_between(first: dt.date, last: dt.date) -> list[tuple[str, int]]:
    """(``YYYY-MM``, calendar days of the spell in that month) for every month the spell touches."""
    out: list[tuple[str, int]] = []
    cur = first
    while cur <= last:
        nxt = dt.date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        end = min(last, nxt - dt.timedelta(days=1))
        out.append((f"{cur.year:04d}-{cur.month:02d}", (end - cur).days + 1))
        cur = nxt
    return out


def band_of(days: float) -> str:
    """The spell length band of a spell of ``days`` days (0–9, 10–29, 30+)."""
    return BANDS[0] if days < 10 else BANDS[1] if days < 30 else BANDS[2]


def bradford_band(score: float) -> int:
    """Index of the band of :data:`BRADFORD_BANDS` that a Bradford factor falls in."""
    return int(np.searchsorted(np.asarray(BRADFORD_BANDS), score, side="right")) - 1


def spells_to_unit_months(
    table: csvio.Table, staff: pd.DataFrame, unit_ids: Collection[str], *, staff_name: str = "staff.csv"
) -> SpellAggregate:
    """Aggregate absence spells per person into unit-month rows and Bradford distributions.

    A spell's ``days`` (work days absent) are spread over the months it touches in proportion to its
    calendar days there; its band and whether it is long-term (more than 20 days) follow its whole length.
    Bradford factor per person, unit and year (of the spell's first day) = S² × D over own-illness spells:
    S the number of spells, D their days. The result holds counts per band only; the person ids are dropped
    here and are in no returned object.
    """
    name = table.name
    kinds = set(ABSENCE_KINDS)
    staffed = {(u, m) for u, m in zip(staff["unit_id"], staff["month"], strict=True)}
    days: dict[tuple[str, str], dict[str, float]] = {}
    persons: dict[tuple[str, str, int], list[float]] = {}  # (person, unit, year) -> [spells, days]
    n = 0
    for line, rec in table.records():
        person = rec["person_id"]
        if person == "":
            raise InputError(
                name,
                "person_id is empty; give each person a code (an employee number is fine: it is not stored)",
                line=line,
                column="person_id",
                value="",
            )
        unit = _unit(name, line, rec["unit_id"], unit_ids)
        kind = rec["kind"]
        if kind not in kinds:
            raise InputError(
                name,
                f"unknown kind; use one of {', '.join(ABSENCE_KINDS)}",
                line=line,
                column="kind",
                value=kind,
            )
        first = parse_date(name, line, "first_day", rec["first_day"])
        last = parse_date(name, line, "last_day", rec["last_day"])
        if last < first:
            raise InputError(
                name,
                f"last_day is before first_day ({first.isoformat()}); swap or fix the dates",
                line=line,
                column="last_day",
                value=rec["last_day"],
            )
        d = parse_amount(name, line, "days", rec["days"])
        calendar = (last - first).days + 1
        if d > calendar:
            raise InputError(
                name,
                f"more absence days than the spell's {calendar} calendar days; check the dates or the days",
                line=line,
                column="days",
                value=rec["days"],
            )
        parts = _months_between(first, last)
        for month, _cdays in parts:
            if (unit, month) not in staffed:
                raise InputError(
                    name,
                    f"no row for unit {unit} and month {month} in {staff_name}; add the "
                    "unit's FTE and headcount for that month",
                    line=line,
                    column="first_day",
                    value=rec["first_day"],
                )
        for month, cdays in parts:
            share = d * cdays / calendar
            cell = days.setdefault((unit, month), {c: 0.0 for c in (*ABSENCE_KINDS, *BANDS, "long_term")})
            cell[kind] += share
            if kind in SICK_KINDS:
                cell[band_of(d)] += share
                if d > LONG_TERM_DAYS:
                    cell["long_term"] += share
        if kind == "own_illness":
            acc = persons.setdefault((person, unit, first.year), [0.0, 0.0])
            acc[0] += 1
            acc[1] += d
        n += 1
    if n == 0:
        raise InputError(name, "the file has no spells; add one row per absence spell", line=2)
    out = staff.copy()
    for col in (*ABSENCE_KINDS, *BANDS, "long_term"):
        out[col] = [
            days.get((u, m), {}).get(col, 0.0) for u, m in zip(out["unit_id"], out["month"], strict=True)
        ]
    counts: dict[tuple[str, int, int], int] = {}
    for (_person, unit, year), (s, d) in persons.items():
        key = (unit, year, bradford_band(s * s * d))
        counts[key] = counts.get(key, 0) + 1
    bradford = pd.DataFrame(
        [{"unit_id": u, "year": y, "band": b, "persons": c} for (u, y, b), c in sorted(counts.items())],
        columns=["unit_id", "year", "band", "persons"],
    )
    del persons
    return SpellAggregate(absence=out, bradford=bradford, spells=n)


# ---------------------------------------------------------------------------------------------
# incidents.csv and reactions.csv
# ---------------------------------------------------------------------------------------------


def read_incidents(path: str | Path, unit_ids: Collection[str]) -> pd.DataFrame:
    """Read and validate ``incidents.csv`` (see :func:`incidents_frame`)."""
    return incidents_frame(
        csvio.read_table(path, required=INCIDENT_REQUIRED, optional=INCIDENT_OPTIONAL), unit_ids
    )


def incidents_frame(table: csvio.Table, unit_ids: Collection[str]) -> pd.DataFrame:
    """One row per unit, month and kind: ``count`` (int) and ``absence_days`` (float; accidents with
    absence only)."""
    name = table.name
    seen: dict[tuple[str, str, str], int] = {}
    rows: list[dict[str, Any]] = []
    for line, rec in table.records():
        unit = _unit(name, line, rec["unit_id"], unit_ids)
        month = parse_month(name, line, "month", rec["month"])
        kind = rec["kind"]
        if kind not in INCIDENT_KINDS:
            raise InputError(
                name,
                f"unknown kind; use one of {', '.join(INCIDENT_KINDS)}",
                line=line,
                column="kind",
                value=kind,
            )
        key = (unit, month, kind)
        if key in seen:
            raise InputError(
                name,
                f"unit {unit}, month {month} and kind {kind} appear twice (first on line "
                f"{seen[key]}); give one row per unit, month and kind",
                line=line,
                column="kind",
                value=kind,
            )
        seen[key] = line
        count = csvio.parse_int(name, line, "count", rec["count"], minimum=0)
        cell = rec.get("absence_days", "")
        absence = parse_amount(name, line, "absence_days", cell, empty=0.0)
        if absence > 0 and kind != "accident_absence":
            raise InputError(
                name,
                "absence days belong to accidents with absence only (kind "
                "accident_absence); leave the cell empty",
                line=line,
                column="absence_days",
                value=cell,
            )
        if kind == "accident_absence" and count == 0 and absence > 0:
            raise InputError(
                name,
                "absence days without an accident; give the number of accidents",
                line=line,
                column="count",
                value=rec["count"],
            )
        rows.append({"unit_id": unit, "month": month, "kind": kind, "count": count, "absence_days": absence})
    if not rows:
        raise InputError(name, "the file has no data rows; add one row per unit, month and kind", line=2)
    return pd.DataFrame(rows, columns=["unit_id", "month", "kind", "count", "absence_days"])


def read_reactions(path: str | Path, unit_ids: Collection[str]) -> pd.DataFrame:
    """Read and validate ``reactions.csv`` (see :func:`reactions_frame`)."""
    return reactions_frame(csvio.read_table(path, required=REACTION_COLUMNS), unit_ids)


def reactions_frame(table: csvio.Table, unit_ids: Collection[str]) -> pd.DataFrame:
    """One row per reaction: ``date`` (date), ``unit_id``, ``kind`` (a code of :data:`REACTION_KINDS`;
    Danish spellings such as ``påbud`` are accepted) and ``topic`` (free text, at most 200 characters)."""
    name = table.name
    rows: list[dict[str, Any]] = []
    for line, rec in table.records():
        date = parse_date(name, line, "date", rec["date"])
        unit = _unit(name, line, rec["unit_id"], unit_ids)
        kind = REACTION_ALIASES.get(rec["kind"].lower())
        if kind is None:
            raise InputError(
                name,
                "unknown kind; use one of strakspåbud, påbud, påtale, aftaleforløb, vejledning",
                line=line,
                column="kind",
                value=rec["kind"],
            )
        topic = rec["topic"]
        if topic == "":
            raise InputError(
                name,
                "topic is empty; say what the reaction was about (e.g. 'vold og trusler')",
                line=line,
                column="topic",
                value="",
            )
        if len(topic) > MAX_TOPIC:
            raise InputError(
                name,
                f"topic is longer than {MAX_TOPIC} characters; shorten it",
                line=line,
                column="topic",
                value=topic[:40] + "…",
            )
        rows.append({"date": date, "unit_id": unit, "kind": kind, "topic": topic})
    if not rows:
        raise InputError(name, "the file has no data rows; add one row per reaction", line=2)
    return pd.DataFrame(rows, columns=["date", "unit_id", "kind", "topic"])


# ---------------------------------------------------------------------------------------------
# periods
# ---------------------------------------------------------------------------------------------


def _month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _month_str(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """Twelve (or any number of) months from ``start`` to ``end`` inclusive, both ``YYYY-MM``."""

    start: str
    end: str

    @property
    def label(self) -> str:
        if self.start.endswith("-01") and self.end == f"{self.start[:4]}-12":
            return self.start[:4]
        return f"{self.start}–{self.end}"

    @property
    def is_calendar_year(self) -> bool:
        return self.start.endswith("-01") and self.end == f"{self.start[:4]}-12"

    def months(self) -> list[str]:
        return [_month_str(i) for i in range(_month_index(self.start), _month_index(self.end) + 1)]

    def previous(self) -> Period:
        """The same months one year earlier."""
        return Period(_month_str(_month_index(self.start) - 12), _month_str(_month_index(self.end) - 12))

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end, "label": self.label}


def calendar_year(year: int) -> Period:
    return Period(f"{year:04d}-01", f"{year:04d}-12")


def rolling_twelve(end_month: str) -> Period:
    """The twelve months ending with ``end_month`` (rolling twelve months)."""
    parse_month("period", 1, "end", end_month)
    return Period(_month_str(_month_index(end_month) - 11), end_month)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------


def _areas(tree: Tree) -> list[str | None]:
    """For every unit the top-level unit (child of the root) it belongs to; None for the root."""
    out: list[str | None] = []
    for i in range(tree.size):
        if tree.parent[i] < 0:
            out.append(None)
            continue
        cur = i
        while tree.parent[tree.parent[cur]] >= 0:
            cur = int(tree.parent[cur])
        out.append(tree.ids[cur])
    return out


def unit_figures(
    units: pd.DataFrame,
    absence: pd.DataFrame,
    incidents: pd.DataFrame,
    period: Period,
    *,
    bradford: pd.DataFrame | None = None,
    hours_per_fte: float = HOURS_PER_FTE,
) -> pd.DataFrame:
    """Raw (not yet suppressed) figures per unit, summed over each unit's subtree, for one period.

    Parameters
    ----------
    units : the unit tree (:func:`analysis.inputs.units_frame` shape: ``unit_id``, ``parent_id``, ``name``).
    absence : :func:`absence_frame` rows (any months; those of ``period`` are used).
    incidents : :func:`incidents_frame` rows.
    period : the months to count.
    bradford : ``unit_id, year, band, persons`` (from :func:`spells_to_unit_months`); the rows of the
        period's last year are used.
    hours_per_fte : hours of one FTE-year, for months without ``hours_worked``.

    Returns
    -------
    DataFrame in ``units`` order: ``unit_id``, ``parent_id``, ``name``, ``depth``, ``area``;
    ``headcount`` (Σ over the subtree of each unit's mean monthly headcount, rounded half up: the count the
    suppression uses); ``fte_years`` (Σ monthly FTE / 12); ``hours`` and ``hours_derived`` (True when some
    month's hours came from FTE × ``hours_per_fte`` / 12); ``days_<kind>`` per kind; ``sick_days``
    (own illness + work injury); ``band_0_9``, ``band_10_29``, ``band_30_plus`` (sick days by spell length);
    ``long_term`` (days of spells over 20 days, NaN when not known for the whole subtree);
    ``sick_days_per_fte`` = sick_days / fte_years; ``absence_pct`` = 100 × sick_days / (fte_years ×
    hours_per_fte / 7.4); ``long_term_share`` = long_term / sick_days (30+ band when long_term is NaN;
    ``long_term_rule`` says which: ``"over_20"`` or ``"band_30_plus"``); ``count_<kind>`` per incident kind;
    ``accident_days``; ``ltif`` = count_accident_absence / hours × 10⁶ and ``freq_<kind>`` likewise per kind
    (NaN when hours is 0); ``bradford_<i>`` persons per Bradford band.

    Examples
    --------
    DTU 2025: one unit, 12 months of 6,466 FTE, 46,326 sick days and 11 accidents with absence:
    sick_days_per_fte = 46,326 / 6,466 = 7.16 and ltif = 11 / (6,466 × 1,924) × 10⁶ = 0.884.
    """
    tree = Tree.from_units(units)
    index = {u: i for i, u in enumerate(tree.ids)}
    months = set(period.months())
    size = tree.size
    a = absence[absence["month"].isin(months)]
    a_idx = np.asarray([index[u] for u in a["unit_id"]], dtype=np.int64)

    def direct(values: Any) -> np.ndarray:
        return np.bincount(a_idx, weights=np.asarray(values, dtype=np.float64), minlength=size)

    n_months = np.bincount(a_idx, minlength=size).astype(np.float64)
    head_mean = np.divide(direct(a["headcount"]), n_months, out=np.zeros(size), where=n_months > 0)
    head_direct = np.floor(head_mean + 0.5)
    fte_month = np.asarray(a["fte"], dtype=np.float64)
    hours_given = np.asarray(a["hours_worked"], dtype=np.float64)
    derived = np.isnan(hours_given)
    hours_month = np.where(derived, fte_month * hours_per_fte / 12.0, hours_given)
    cols: dict[str, np.ndarray] = {
        "headcount": head_direct,
        "fte_years": direct(fte_month) / 12.0,
        "hours": direct(hours_month),
        "_derived": direct(derived.astype(np.float64)),
    }
    for kind in ABSENCE_KINDS:
        cols[f"days_{kind}"] = direct(a[kind])
    for band in BANDS:
        cols[band] = direct(a[band])
    long_term = np.asarray(a["long_term"], dtype=np.float64)
    cols["long_term"] = direct(np.nan_to_num(long_term))
    cols["_long_unknown"] = direct(np.isnan(long_term).astype(np.float64))
    inc = incidents[incidents["month"].isin(months)]
    i_idx = np.asarray([index[u] for u in inc["unit_id"]], dtype=np.int64)
    for kind in INCIDENT_KINDS:
        mask = np.asarray(inc["kind"] == kind)
        weights = np.asarray(inc["count"], dtype=np.float64)[mask]
        cols[f"count_{kind}"] = np.bincount(i_idx[mask], weights=weights, minlength=size)
    cols["accident_days"] = np.bincount(
        i_idx, weights=np.asarray(inc["absence_days"], dtype=np.float64), minlength=size
    )
    year = int(period.end[:4])
    for b in range(len(BRADFORD_BANDS)):
        if bradford is not None and len(bradford):
            rows = bradford[(bradford["year"] == year) & (bradford["band"] == b)]
            b_idx = np.asarray([index[u] for u in rows["unit_id"]], dtype=np.int64)
            cols[f"bradford_{b}"] = np.bincount(
                b_idx, weights=np.asarray(rows["persons"], dtype=np.float64), minlength=size
            )
        else:
            cols[f"bradford_{b}"] = np.zeros(size)
    stacked = np.column_stack(list(cols.values()))
    rolled = tree.rollup(stacked)
    out = pd.DataFrame(rolled, columns=list(cols))
    out.insert(0, "area", _areas(tree))
    out.insert(0, "depth", tree.depth)
    out.insert(0, "name", list(units["name"]))
    out.insert(0, "parent_id", [None if p < 0 else tree.ids[p] for p in tree.parent])
    out.insert(0, "unit_id", list(tree.ids))
    out["headcount"] = out["headcount"].round().astype(np.int64)
    out["hours_derived"] = out.pop("_derived") > 0
    unknown = out.pop("_long_unknown") > 0
    kinds_sick = [f"days_{k}" for k in SICK_KINDS]
    out["sick_days"] = out[kinds_sick].sum(axis=1)
    fte = out["fte_years"].to_numpy()
    sick = out["sick_days"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sick_days_per_fte"] = np.where(fte > 0, sick / fte, np.nan)
        workdays = fte * hours_per_fte / HOURS_PER_DAY
        out["absence_pct"] = np.where(workdays > 0, 100.0 * sick / workdays, np.nan)
        out["long_term"] = np.where(unknown, np.nan, out["long_term"])
        out["long_term_rule"] = np.where(unknown, "band_30_plus", "over_20")
        long_days = np.where(unknown, out["band_30_plus"], out["long_term"])
        out["long_term_share"] = np.where(sick > 0, long_days / sick, np.nan)
        hours = out["hours"].to_numpy()
        for kind in INCIDENT_KINDS:
            out[f"count_{kind}"] = out[f"count_{kind}"].round().astype(np.int64)
            out[f"freq_{kind}"] = np.where(hours > 0, out[f"count_{kind}"] / hours * 1e6, np.nan)
    out["ltif"] = out["freq_accident_absence"]
    for b in range(len(BRADFORD_BANDS)):
        out[f"bradford_{b}"] = out[f"bradford_{b}"].round().astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------
# the publication step
# ---------------------------------------------------------------------------------------------

#: amounts of a published unit (a float, or None when unknown)
AMOUNT_FIELDS: tuple[str, ...] = (
    "fte_years",
    "hours",
    "sick_days",
    "sick_days_per_fte",
    "absence_pct",
    "long_term_share",
    *(f"days_{k}" for k in ABSENCE_KINDS),
    *BANDS,
)
#: counts of events or persons: each runs its own small-count pattern (see :func:`publish`)
COUNT_FIELDS: tuple[str, ...] = (
    *(f"count_{k}" for k in INCIDENT_KINDS),
    *(f"bradford_{b}" for b in range(len(BRADFORD_BANDS))),
)
#: figures compared with the year before
CHANGE_FIELDS: tuple[str, ...] = ("sick_days_per_fte", "absence_pct", "long_term_share", "ltif")
#: the smallest count written as a number (1 and 2 are written "<3")
COUNT_MIN = 3


def _num(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def _published_figures(row: pd.Series, counts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {f: _num(row[f]) for f in AMOUNT_FIELDS}
    out["long_term_rule"] = str(row["long_term_rule"])
    out["hours_derived"] = bool(row["hours_derived"])
    out.update(counts)
    for kind in INCIDENT_KINDS:
        # a frequency gives its count away (count = frequency × hours / 10⁶): only beside a published count
        out[f"freq_{kind}"] = _num(row[f"freq_{kind}"]) if isinstance(counts[f"count_{kind}"], int) else None
    out["ltif"] = out["freq_accident_absence"]
    accident_count = counts["count_accident_absence"]
    out["accident_days"] = _num(row["accident_days"]) if isinstance(accident_count, int) else None
    return out


def _count_cells(
    tree: Tree, frame: pd.DataFrame, published: np.ndarray, *, counts: bool = True
) -> list[dict[str, Any]]:
    """Per unit and count field: the count, ``"<3"`` (1 or 2) or None (hidden by the residual rule, or
    every count when ``counts`` is false: a period whose counts are not published, see :func:`publish`)."""
    cells: list[dict[str, Any]] = [{} for _ in range(tree.size)]
    for field in COUNT_FIELDS:
        n = frame[field].to_numpy(dtype=np.int64)
        pattern = suppress(tree, n, COUNT_MIN, COUNT_MIN, start=published)
        for i in range(tree.size):
            if not published[i]:
                continue
            if not counts:
                cells[i][field] = None
            elif pattern.published[i]:
                cells[i][field] = int(n[i])
            elif pattern.reason[i] == 1:
                cells[i][field] = SMALL_COUNT
            else:
                cells[i][field] = None
    return cells


@dataclass(frozen=True)
class WorkEnvFigures:
    """The published work-environment figures of one period (the result of :func:`publish`)."""

    period: Period
    previous: Period
    settings: dict[str, Any]
    units: list[dict[str, Any]]
    reactions: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "trivsel-workenv/1",
            "period": self.period.to_dict(),
            "previous": self.previous.to_dict(),
            "settings": dict(self.settings),
            "units": self.units,
            "reactions": self.reactions,
        }

    def unit(self, unit_id: str) -> dict[str, Any]:
        return next(u for u in self.units if u["unit_id"] == unit_id)


def publish(
    units: pd.DataFrame,
    absence: pd.DataFrame,
    incidents: pd.DataFrame,
    period: Period,
    *,
    k_min: int = 5,
    k_diff: int | None = None,
    bradford: pd.DataFrame | None = None,
    reactions: pd.DataFrame | None = None,
    hours_per_fte: float = HOURS_PER_FTE,
    counts: bool | None = None,
) -> WorkEnvFigures:
    """The one publication step of the work-environment figures: raw figures of ``period`` and of the
    year before (:func:`unit_figures`), then suppression.

    - **Units**: :func:`analysis.suppression.suppress` on the headcounts with ``k_min`` and ``k_diff``
      (default ``k_min``): a hidden unit has ``published`` false, ``suppressed`` ``"primary"`` or
      ``"secondary"`` and no figures. A unit with headcount 0 (no staff rows) is published with its counts.
    - **Counts** (accidents, incidents per kind, Bradford persons per band): per field, the same algorithm
      with ``k_min = k_diff = 3`` on the counts, starting from the unit pattern: a count of 1 or 2 is written
      ``"<3"``, a count that parent − children would give away is written None. A frequency (LTIF, incidents
      per million hours) and the accident days are written only beside a published count, since they give
      the count away.
    - **Counts only for calendar years** (``counts``, default: ``period.is_calendar_year``): two
      overlapping periods of the same unit (rolling twelve months ending in November, calendar year) differ
      by the months in one and not the other, so their counts would give away a month's "<3" count by
      subtraction. Counts (and the frequencies and accident days that give them away) are therefore
      published for calendar years only, which never overlap; for any other period every count is None
      and only amounts (absence days, percentages, per-FTE figures) are shown. The caller passes
      ``counts=False`` also for a calendar year whose data are not complete yet (the same subtraction,
      before and after the last month's import).
    - **Change**: ``previous`` holds last year's published figures when the unit is published in both
      periods (last year's pattern is computed on last year's headcounts); ``change`` = this year − last
      year for :data:`CHANGE_FIELDS` (None where either is None) and ``near_miss`` (both counts, and their
      difference when both are numbers).
    - **Reactions** of the period are listed as they are (they concern workplaces, not persons).
    """
    k_diff = k_min if k_diff is None else k_diff
    tree = Tree.from_units(units)
    now = unit_figures(units, absence, incidents, period, bradford=bradford, hours_per_fte=hours_per_fte)
    before = unit_figures(
        units, absence, incidents, period.previous(), bradford=bradford, hours_per_fte=hours_per_fte
    )
    pattern = suppress(tree, now["headcount"].to_numpy(), k_min, k_diff)
    pattern_before = suppress(tree, before["headcount"].to_numpy(), k_min, k_diff)
    counts = period.is_calendar_year if counts is None else counts
    counts_now = _count_cells(tree, now, pattern.published, counts=counts)
    counts_before = _count_cells(tree, before, pattern_before.published & pattern.published, counts=counts)
    has_before = before["headcount"].to_numpy() > 0
    area_list = _areas(tree)
    rows: list[dict[str, Any]] = []
    for i in range(tree.size):
        r = now.iloc[i]
        published = bool(pattern.published[i])
        row: dict[str, Any] = {
            "unit_id": tree.ids[i],
            "parent_id": None if tree.parent[i] < 0 else tree.ids[int(tree.parent[i])],
            "name": str(r["name"]),
            "depth": int(r["depth"]),
            "area": area_list[i],
            "headcount": int(r["headcount"]),
            "published": published,
            "suppressed": REASON_NAMES[int(pattern.reason[i])] if not published else None,
            "figures": None,
            "previous": None,
            "change": None,
        }
        if published:
            fig = _published_figures(r, counts_now[i])
            row["figures"] = fig
            if pattern_before.published[i] and has_before[i]:
                prev = _published_figures(before.iloc[i], counts_before[i])
                row["previous"] = prev
                change: dict[str, Any] = {}
                for f in CHANGE_FIELDS:
                    a_, b_ = fig[f], prev[f]
                    change[f] = None if a_ is None or b_ is None else a_ - b_
                nm, pm = fig["count_near_miss"], prev["count_near_miss"]
                change["near_miss"] = nm - pm if isinstance(nm, int) and isinstance(pm, int) else None
                row["change"] = change
        rows.append(row)
    area_of = dict(zip(tree.ids, area_list, strict=True))
    listed: list[dict[str, Any]] = []
    if reactions is not None and len(reactions):
        months = set(period.months())
        for rec in reactions.sort_values(["date", "unit_id"]).to_dict("records"):
            date = rec["date"]
            if f"{date.year:04d}-{date.month:02d}" in months:
                listed.append(
                    {
                        "date": date.isoformat(),
                        "unit_id": rec["unit_id"],
                        "area": area_of.get(rec["unit_id"]),
                        "kind": rec["kind"],
                        "topic": rec["topic"],
                    }
                )
    settings = {
        "k_min": k_min,
        "k_diff": k_diff,
        "count_min": COUNT_MIN,
        "counts_published": counts,
        "hours_per_fte": hours_per_fte,
        "hours_per_day": HOURS_PER_DAY,
        "long_term_days": LONG_TERM_DAYS,
        "bradford_bands": list(BRADFORD_BANDS),
    }
    return WorkEnvFigures(period, period.previous(), settings, rows, listed)


def reactions_summary(reactions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts of reactions by kind (every kind, 0 included) and by topic (most frequent first)."""
    by_kind = {k: 0 for k in REACTION_KINDS}
    topics: dict[str, int] = {}
    for r in reactions:
        by_kind[r["kind"]] += 1
        topics[r["topic"]] = topics.get(r["topic"], 0) + 1
    return {"by_kind": by_kind, "by_topic": sorted(topics.items(), key=lambda t: (-t[1], t[0]))}
