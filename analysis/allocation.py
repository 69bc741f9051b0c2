"""Follow-up fund allocation (contract.md sections 3 and 4 "Allocation"; statistics.md part E).

Pure functions: a report dict (``trivsel-report/1``) and the committee's inputs go in, a frozen
:class:`Allocation` comes out; nothing here reads or writes files.

The method, in words:

1. The candidates are the applications (one per unit), or, without applications, every eligible
   published unit that has no eligible published descendant (contract 5.8: no employee is funded twice,
   so the money goes to the lowest level where the need shows). An application for an unpublished unit is
   a candidate with 0 points. A grant whose unit has an ancestor or a descendant with a grant too is
   marked in its explanation and lists those units in ``overlaps``.
2. Overrides fix a candidate's amount; their sum is taken off the budget ("remaining budget").
3. Every other eligible candidate has a weight ``w = points * h**beta`` (h = the report's subtree
   headcount, or respondents when that is unknown) and a limit ``min(cap, requested)`` (either may be
   absent). One rate λ (DKK per point-employee) is found so that ``Σ min(limit, λ·w)`` equals the
   remaining budget, exactly, by water-filling on ``limit / w``. When the limits cannot use the budget up,
   λ is the smallest rate at which every weighted candidate reaches its limit.
4. The raw amounts are rounded to whole 1,000 DKK by largest remainder (Hamilton's method).

Arithmetic is done with :class:`fractions.Fraction`, so with an integer ``beta`` (the default 1) every
amount is exact and a raw amount that is a whole thousand never loses 1 DKK to floating point. With a
fractional ``beta`` the weights ``h**beta`` are irrational; the floors then allow a tolerance of
``FLOOR_TOLERANCE`` DKK.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "FLOOR_TOLERANCE",
    "REPORT_SCHEMA",
    "SCHEMA",
    "STEP",
    "Allocation",
    "AllocationError",
    "Application",
    "Grant",
    "Override",
    "allocate",
]

SCHEMA = "trivsel-allocation/1"
REPORT_SCHEMA = "trivsel-report/1"
STEP = 1000  # grants are whole 1,000 DKK
FLOOR_TOLERANCE = Fraction(1, 10**6)  # DKK; guards floors against floating-point weights

_COLOURS_EN = {"red": "red", "orange": "orange", "yellow": "yellow"}
_COLOURS_DA = {"red": "rødt", "orange": "orange", "yellow": "gult"}
_COLOURS_DA_PLURAL = {"red": "røde", "orange": "orange", "yellow": "gule"}


class AllocationError(ValueError):
    """Invalid allocation input.

    ``source`` says which input is wrong (``"report"``, ``"applications"``, ``"overrides"``, ``"budget"``,
    ``"cap"`` or ``"beta"``); ``index`` is the 0-based position in the applications or overrides
    sequence when one row is to blame, ``field`` and ``value`` name the offending field. The command
    line uses them to point at the file, line and column.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        index: int | None = None,
        field: str | None = None,
        value: str | None = None,
        other_index: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.index = index
        self.field = field
        self.value = value
        self.other_index = other_index  # the earlier row a duplicate collides with
        where = source if index is None else f"{source} row {index + 1}"
        if field is not None:
            where += f", {field}"
        if value is not None:
            where += f" '{value}'"
        also = "" if other_index is None else f" (the first is row {other_index + 1})"
        super().__init__(f"{where}: {message}{also}")


@dataclass(frozen=True)
class Application:
    """One application for funds: ``requested`` DKK (an integer > 0) or None for "no stated limit"."""

    application_id: str | None
    unit_id: str
    requested: int | None


@dataclass(frozen=True)
class Override:
    """A committee decision fixing a candidate's amount (0 allowed) with a written reason."""

    unit_id: str
    amount: int
    reason: str


@dataclass(frozen=True)
class Grant:
    """The result for one candidate (one row of ``grants`` in the allocation JSON)."""

    application_id: str | None
    unit_id: str
    requested: int | None
    eligible: bool
    points: int
    headcount: int
    headcount_is_respondents: bool
    weight: float
    limit: int | None
    raw_amount: float | None
    limited: bool | None
    amount: int
    extra_thousand: bool
    override: Override | None
    explanation: str
    explanation_da: str
    calculated_amount: int | None = None  # overridden grants: the amount without any override (stat. E)
    #: contract 5.8: other granted units above or below this one (the same employees funded twice)
    overlaps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "unit_id": self.unit_id,
            "requested": self.requested,
            "eligible": self.eligible,
            "points": self.points,
            "headcount": self.headcount,
            "weight": self.weight,
            "raw_amount": self.raw_amount,
            "limited": self.limited,
            "amount": self.amount,
            "override": None
            if self.override is None
            else {"amount": self.override.amount, "reason": self.override.reason},
            "explanation": self.explanation,
            "explanation_da": self.explanation_da,
            "limit": self.limit,
            "rounding_extra": STEP if self.extra_thousand else 0,
            "calculated_amount": self.calculated_amount,
            "overlaps": list(self.overlaps),
        }


@dataclass(frozen=True)
class Allocation:
    """The whole allocation; :meth:`to_dict` gives the contract's ``trivsel-allocation/1`` JSON object."""

    budget: int
    cap: int | None
    beta: float
    rate: float | None
    remaining: int
    allocated: int
    unallocated: int
    grants: tuple[Grant, ...]

    def to_dict(self) -> dict[str, Any]:
        beta: float | int = int(self.beta) if float(self.beta).is_integer() else self.beta
        return {
            "schema": SCHEMA,
            "budget": self.budget,
            "cap": self.cap,
            "beta": beta,
            "rate": self.rate,
            "allocated": self.allocated,
            "unallocated": self.unallocated,
            "remaining_after_overrides": self.remaining,
            "grants": [g.to_dict() for g in self.grants],
        }


# --------------------------------------------------------------------------------------------------
# reading the report


@dataclass(frozen=True)
class _Unit:
    unit_id: str
    parent_id: str | None
    published: bool
    suppressed: str | None
    h: int
    h_is_respondents: bool
    points: int
    eligible: bool
    low_score: str | None
    internal: bool
    external_unresolved: bool
    polarised: bool
    worst_mean: float  # +inf when the unit has no theme rows
    flagged_themes: tuple[str, ...]  # themes whose flag equals low_score
    polarised_themes: tuple[str, ...]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _report_error(message: str) -> AllocationError:
    return AllocationError(message + "; give the JSON written by 'trivsel analyse'", source="report")


def _read_report(report: Mapping[str, Any]) -> dict[str, _Unit]:
    if not isinstance(report, Mapping):
        raise _report_error("the report is not a JSON object")
    if report.get("schema") != REPORT_SCHEMA:
        raise _report_error(f"'schema' is {report.get('schema')!r}, expected '{REPORT_SCHEMA}'")
    for key in ("units", "scores", "funding"):
        if not isinstance(report.get(key), list):
            raise _report_error(f"'{key}' is missing or not a list")

    themes_of: dict[str, list[Mapping[str, Any]]] = {}
    for i, row in enumerate(report["scores"]):
        if not isinstance(row, Mapping) or not isinstance(row.get("unit_id"), str):
            raise _report_error(f"scores[{i}] has no string 'unit_id'")
        if row.get("kind") == "theme":
            themes_of.setdefault(row["unit_id"], []).append(row)

    funding: dict[str, Mapping[str, Any]] = {}
    for i, row in enumerate(report["funding"]):
        if not isinstance(row, Mapping) or not isinstance(row.get("unit_id"), str):
            raise _report_error(f"funding[{i}] has no string 'unit_id'")
        points: Any = row.get("points")
        if not _is_int(points) or points < 0:
            raise _report_error(f"funding[{i}] ('{row['unit_id']}') has 'points' {points!r}, "
                                "not an integer >= 0")
        if row["unit_id"] in funding:
            raise _report_error(f"funding lists unit '{row['unit_id']}' twice")
        funding[row["unit_id"]] = row

    units: dict[str, _Unit] = {}
    for i, row in enumerate(report["units"]):
        if not isinstance(row, Mapping) or not isinstance(row.get("unit_id"), str):
            raise _report_error(f"units[{i}] has no string 'unit_id'")
        uid = row["unit_id"]
        if uid in units:
            raise _report_error(f"units lists '{uid}' twice")
        published = row.get("published")
        respondents: Any = row.get("respondents")
        headcount: Any = row.get("headcount")
        if not isinstance(published, bool):
            raise _report_error(f"unit '{uid}' has 'published' {published!r}, not true/false")
        if not _is_int(respondents) or respondents < 0:
            raise _report_error(f"unit '{uid}' has 'respondents' {respondents!r}, not an integer >= 0")
        if headcount is not None and (not _is_int(headcount) or headcount < 0):
            raise _report_error(f"unit '{uid}' has 'headcount' {headcount!r}, not an integer >= 0 or null")
        fund = funding.get(uid) if published else None
        points = int(fund["points"]) if fund is not None else 0
        low = fund.get("low_score") if fund is not None else None
        low_score = low if low in _COLOURS_EN else None
        theme_rows = themes_of.get(uid, [])
        means = [float(r["mean"]) for r in theme_rows if isinstance(r.get("mean"), (int, float))]
        flagged = tuple(
            str(r.get("id")) for r in theme_rows if low_score is not None and r.get("flag") == low_score
        )
        polarised_themes = tuple(
            str(r.get("id"))
            for r in theme_rows
            if isinstance(r.get("polarisation"), Mapping)
            and r["polarisation"].get("level") in ("polarised", "strong")
        )
        parent = row.get("parent_id")
        units[uid] = _Unit(
            unit_id=uid,
            parent_id=parent if isinstance(parent, str) else None,
            published=published,
            suppressed=row.get("suppressed") if isinstance(row.get("suppressed"), str) else None,
            h=headcount if headcount is not None else respondents,
            h_is_respondents=headcount is None,
            points=points,
            eligible=points > 0,
            low_score=low_score,
            internal=bool(fund.get("internal")) if fund is not None else False,
            external_unresolved=bool(fund.get("external_unresolved")) if fund is not None else False,
            polarised=bool(fund.get("polarised")) if fund is not None else False,
            worst_mean=min(means) if means else math.inf,
            flagged_themes=flagged,
            polarised_themes=polarised_themes,
        )
    return units


# --------------------------------------------------------------------------------------------------
# the algorithm


@dataclass
class _Candidate:
    application: Application
    unit: _Unit
    eligible: bool
    weight: Fraction
    limit: int | None
    override: Override | None = None
    raw: Fraction = Fraction(0)
    floor: int = 0
    extra: bool = False


def _weight(points: int, h: int, beta: float) -> Fraction:
    if points == 0:
        return Fraction(0)
    if float(beta).is_integer():
        return Fraction(points) * Fraction(h) ** int(beta)
    return Fraction(points * float(h) ** float(beta))


def water_fill(items: Sequence[tuple[Fraction, int | None]], remaining: Fraction) -> Fraction | None:
    """The rate λ with ``Σ min(limit, λ·w) = remaining`` over ``(w, limit)`` pairs with w > 0.

    ``limit`` None means no limit. When the limits sum to less than ``remaining``, λ is the smallest rate
    at which every item reaches its limit, ``max(limit / w)``. None when there are no items.
    """
    if not items:
        return None
    order = sorted(items, key=lambda it: (it[1] is None, Fraction(it[1]) / it[0] if it[1] is not None else 0))
    rest = Fraction(remaining)
    total_w = sum((w for w, _ in order), Fraction(0))
    last_ratio = Fraction(0)
    for w, limit in order:
        if limit is None:
            return rest / total_w
        ratio = Fraction(limit) / w
        if rest <= ratio * total_w:  # λ = rest / total_w does not push this item over its limit
            return rest / total_w
        rest -= limit
        total_w -= w
        last_ratio = ratio
    return last_ratio


def _floor_step(value: Fraction) -> int:
    return STEP * math.floor((value + FLOOR_TOLERANCE) / STEP)


def _check_arguments(budget: int, cap: int | None, beta: float) -> None:
    if not _is_int(budget) or budget < 0:
        raise AllocationError("the budget must be a whole number of DKK >= 0",
                              source="budget", value=str(budget))
    if cap is not None and (not _is_int(cap) or cap < 0):
        raise AllocationError("the cap must be a whole number of DKK >= 0", source="cap", value=str(cap))
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta < 0:
        raise AllocationError("beta must be a number >= 0 (1 = per capita, 0.5 dampens large units)",
                              source="beta", value=str(beta))


def _candidates(
    units: Mapping[str, _Unit],
    applications: Sequence[Application] | None,
    cap: int | None,
    beta: float,
) -> list[_Candidate]:
    if applications is None:
        fundable = {u.unit_id for u in units.values() if u.published and u.eligible}
        covered = _with_eligible_descendant(units, fundable)
        apps = [Application(None, uid, None) for uid in units if uid in fundable and uid not in covered]
    else:
        apps = list(applications)
    out: list[_Candidate] = []
    seen_units: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for i, app in enumerate(apps):
        if app.unit_id not in units:
            raise AllocationError(
                "unknown unit: the report has no unit with this id; check the spelling against units.csv",
                source="applications", index=i, field="unit_id", value=app.unit_id,
            )
        if app.unit_id in seen_units:
            raise AllocationError(
                "a second application for this unit; a unit may apply only once, so merge the applications",
                source="applications", index=i, field="unit_id", value=app.unit_id,
                other_index=seen_units[app.unit_id],
            )
        seen_units[app.unit_id] = i
        if app.application_id is not None:
            if app.application_id.strip() == "":
                raise AllocationError("the application id is blank; give every application an id",
                                      source="applications", index=i, field="application_id", value="")
            if app.application_id in seen_ids:
                raise AllocationError(
                    "this application id is used twice; give every application its own id",
                    source="applications", index=i, field="application_id", value=app.application_id,
                    other_index=seen_ids[app.application_id],
                )
            seen_ids[app.application_id] = i
        if app.requested is not None and (not _is_int(app.requested) or app.requested <= 0):
            raise AllocationError("the requested amount must be a whole number of DKK > 0",
                                  source="applications", index=i, field="requested", value=str(app.requested))
        unit = units[app.unit_id]
        eligible = unit.published and unit.eligible
        limits = [x for x in (cap, app.requested) if x is not None]
        out.append(
            _Candidate(
                application=app,
                unit=unit,
                eligible=eligible,
                weight=_weight(unit.points, unit.h, beta) if eligible else Fraction(0),
                limit=min(limits) if limits else None,
            )
        )
    return out


def _ancestors(units: Mapping[str, _Unit], unit_id: str) -> list[str]:
    """The ancestors of ``unit_id``, nearest first (a parent missing from the report ends the chain)."""
    out: list[str] = []
    seen = {unit_id}
    parent = units[unit_id].parent_id
    while parent is not None and parent in units and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = units[parent].parent_id
    return out


def _with_eligible_descendant(units: Mapping[str, _Unit], eligible: set[str]) -> set[str]:
    """Units that have an eligible published unit somewhere below them."""
    covered: set[str] = set()
    for uid in eligible:
        covered.update(_ancestors(units, uid))
    return covered


def _overlaps(units: Mapping[str, _Unit], granted: set[str]) -> dict[str, tuple[str, ...]]:
    """Per granted unit, the other granted units above it (nearest first) and below it (by id)."""
    below: dict[str, list[str]] = {uid: [] for uid in granted}
    above: dict[str, list[str]] = {}
    for uid in granted:
        above[uid] = [a for a in _ancestors(units, uid) if a in granted]
        for a in above[uid]:
            below[a].append(uid)
    return {uid: tuple(above[uid]) + tuple(sorted(below[uid])) for uid in granted}


def _apply_overrides(
    cands: Sequence[_Candidate], overrides: Sequence[Override], budget: int, has_applications: bool
) -> int:
    by_unit = {c.unit.unit_id: c for c in cands}
    seen: dict[str, int] = {}
    total = 0
    for i, ov in enumerate(overrides):
        if ov.unit_id not in by_unit:
            what = "has no application" if has_applications else (
                "is not an eligible published unit, or has an eligible published unit below it (without "
                "applications the money goes to the lowest eligible level)")
            raise AllocationError(
                f"this unit {what}, so it is not a candidate; only candidates "
                f"({', '.join(sorted(by_unit)) or 'none'}) can be overridden",
                source="overrides", index=i, field="unit_id", value=ov.unit_id,
            )
        if ov.unit_id in seen:
            raise AllocationError(
                "a second override for this unit; keep one",
                source="overrides", index=i, field="unit_id", value=ov.unit_id, other_index=seen[ov.unit_id],
            )
        seen[ov.unit_id] = i
        if not _is_int(ov.amount) or ov.amount < 0:
            raise AllocationError("the amount must be a whole number of DKK >= 0",
                                  source="overrides", index=i, field="amount", value=str(ov.amount))
        if not isinstance(ov.reason, str) or ov.reason.strip() == "":
            raise AllocationError("the reason is blank; every override needs a written reason",
                                  source="overrides", index=i, field="reason", value=str(ov.reason))
        total += ov.amount
        by_unit[ov.unit_id].override = Override(ov.unit_id, ov.amount, ov.reason.strip())
    if total > budget:
        raise AllocationError(
            f"the overrides add up to {total:,} DKK, more than the budget of {budget:,} DKK; "
            "lower them or raise the budget",
            source="overrides",
        )
    return budget - total


def _tie_key(c: _Candidate) -> tuple[Any, ...]:
    return (
        -(c.raw - c.floor),
        -c.unit.points,
        c.unit.worst_mean,
        -c.unit.h,
        c.unit.unit_id,
        c.application.application_id or "",
    )


def allocate(
    report: Mapping[str, Any],
    budget: int,
    *,
    cap: int | None = None,
    beta: float = 1.0,
    applications: Sequence[Application] | None = None,
    overrides: Sequence[Override] = (),
) -> Allocation:
    """Allocate ``budget`` DKK over the report's candidates (contract 3 and 4). See the module docstring.

    Raises :class:`AllocationError` on invalid input.
    """
    _check_arguments(budget, cap, beta)
    units = _read_report(report)
    cands = _candidates(units, applications, cap, beta)
    remaining = _apply_overrides(cands, overrides, budget, applications is not None)

    pool = [c for c in cands if c.override is None and c.eligible and c.weight > 0]
    rate = water_fill([(c.weight, c.limit) for c in pool], Fraction(remaining))
    if rate is not None:
        for c in pool:
            share = rate * c.weight
            c.raw = share if c.limit is None else min(Fraction(c.limit), share)
            c.floor = _floor_step(c.raw)
    leftover = max(0, math.floor((remaining - sum(c.floor for c in pool) + FLOOR_TOLERANCE) / STEP))
    # Contract 4: every eligible candidate may take one leftover thousand (ineligible ones never do);
    # a weight-0 candidate has raw amount 0 and so comes after every positive remainder.
    receivers = [c for c in cands if c.override is None and c.eligible]
    for c in sorted(receivers, key=_tie_key):
        if leftover == 0:
            break
        if c.limit is not None and c.floor + STEP > c.limit:
            continue
        c.extra = True
        leftover -= 1

    calculated: dict[str, int] = {}
    if any(c.override is not None for c in cands):
        # statistics.md E: "Both the algorithmic and the final amount are kept".
        plain = allocate(report, budget, cap=cap, beta=beta, applications=applications)
        calculated = {g.unit_id: g.amount for g in plain.grants}
    grants = tuple(_grant(c, rate, beta, calculated.get(c.unit.unit_id)) for c in cands)
    grants = _mark_overlaps(units, grants)
    allocated = sum(g.amount for g in grants)
    return Allocation(
        budget=budget,
        cap=cap,
        beta=float(beta),
        rate=None if rate is None else float(rate),
        remaining=remaining,
        allocated=allocated,
        unallocated=budget - allocated,
        grants=grants,
    )


# --------------------------------------------------------------------------------------------------
# explanations


def _mark_overlaps(units: Mapping[str, _Unit], grants: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """Contract 5.8: a grant whose unit has an ancestor or a descendant that also has a grant is marked."""
    from dataclasses import replace

    overlaps = _overlaps(units, {g.unit_id for g in grants if g.amount > 0})
    out: list[Grant] = []
    for g in grants:
        other = overlaps.get(g.unit_id, ())
        if not other:
            out.append(g)
            continue
        names = ", ".join(other)
        out.append(replace(
            g,
            overlaps=other,
            explanation=f"{g.explanation}. Note: {names} also "
                        f"{'receives a grant and lies' if len(other) == 1 else 'receive a grant and lie'} "
                        "above or below this unit, so some employees are funded twice",
            explanation_da=f"{g.explanation_da}. Bemærk: {names} får også tilskud og ligger over eller under "
                           "denne enhed, så nogle medarbejdere får tilskud to gange",
        ))
    return tuple(out)


def _dkk_en(x: float, decimals: int = 0) -> str:
    return f"{x:,.{decimals}f}"


def _dkk_da(x: float, decimals: int = 0) -> str:
    return f"{x:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _criteria(u: _Unit) -> tuple[list[str], list[str]]:
    en: list[str] = []
    da: list[str] = []
    if u.low_score is not None:
        themes = ", ".join(u.flagged_themes)
        plural = len(u.flagged_themes) > 1
        if themes:
            en.append(f"{_COLOURS_EN[u.low_score]} theme{'s' if plural else ''} {themes}")
            colour = _COLOURS_DA_PLURAL if plural else _COLOURS_DA
            da.append(f"{colour[u.low_score]} tema{'er' if plural else ''} {themes}")
        else:
            en.append(f"{_COLOURS_EN[u.low_score]} low score")
            da.append(f"{_COLOURS_DA[u.low_score]} lav score")
    if u.internal:
        en.append("internal harassment")
        da.append("intern chikane")
    if u.external_unresolved:
        en.append("unresolved external harassment")
        da.append("uafklaret ekstern chikane")
    if u.polarised:
        themes = ", ".join(u.polarised_themes)
        en.append(f"polarised {'theme ' + themes if themes else 'views'}")
        da.append(f"polariseret {'tema ' + themes if themes else 'svarmønster'}")
    return en, da


def _grant(c: _Candidate, rate: Fraction | None, beta: float, calculated: int | None = None) -> Grant:
    u = c.unit

    def make(raw: float | None, limited: bool | None, amount: int, en: str, da: str) -> Grant:
        return Grant(
            application_id=c.application.application_id,
            unit_id=u.unit_id,
            requested=c.application.requested,
            eligible=c.eligible,
            points=u.points if c.eligible else 0,
            headcount=u.h,
            headcount_is_respondents=u.h_is_respondents,
            weight=float(c.weight),
            limit=c.limit,
            raw_amount=raw,
            limited=limited,
            amount=amount,
            extra_thousand=c.extra,
            override=c.override,
            explanation=en,
            explanation_da=da,
            calculated_amount=calculated if c.override is not None else None,
        )

    if c.override is not None:
        amount = c.override.amount
        return make(None, None, amount,
                    f"override {_dkk_en(amount)} DKK (calculated {_dkk_en(calculated or 0)} DKK): "
                    f"{c.override.reason}",
                    f"fastsat af udvalget til {_dkk_da(amount)} kr. "
                    f"(beregnet {_dkk_da(calculated or 0)} kr.): {c.override.reason}")
    if not c.eligible:
        if not u.published:
            # the true reason (issue 16): too few answers, or hidden to protect a smaller group
            if u.suppressed == "secondary":
                return make(0.0, False, 0,
                            "not eligible: the unit's results are hidden so that a smaller group cannot be "
                            "worked out",
                            "ikke berettiget: enhedens resultater er skjult, så en mindre gruppe ikke kan "
                            "regnes ud")
            return make(0.0, False, 0,
                        "not eligible: the unit's results are not published (too few respondents)",
                        "ikke berettiget: enhedens resultater vises ikke (for få besvarelser)")
        return make(0.0, False, 0, "not eligible: 0 points", "ikke berettiget: 0 point")
    amount = c.floor + (STEP if c.extra else 0)
    limited = c.limit is not None and c.raw == c.limit
    crit_en, crit_da = _criteria(u)
    who_en = "respondents" if u.h_is_respondents else "employees"
    who_da = "besvarelser" if u.h_is_respondents else "ansatte"
    h_text = str(u.h) if float(beta) == 1 else f"{u.h}^{beta:g}"
    head_en = f"{'; '.join(crit_en)}: {u.points} point{'' if u.points == 1 else 's'} x {h_text} {who_en}"
    head_da = f"{'; '.join(crit_da)}: {u.points} point x {h_text.replace('.', ',')} {who_da}"
    if rate is None or c.weight == 0:
        en, da = head_en + ": weight 0, no share of the pool", head_da + ": vægt 0, ingen andel af puljen"
        if c.extra:
            en += ", but one leftover 1,000 DKK by the rounding rule"
            da += ", men én overskydende 1.000 kr. efter afrundingsreglen"
        return make(0.0, limited, amount, en, da)
    en = f"{head_en} x {_dkk_en(float(rate), 2)} DKK"
    da = f"{head_da} x {_dkk_da(float(rate), 2)} kr."
    if limited:
        by_en = "the cap" if c.application.requested is None or c.limit != c.application.requested \
            else "the amount applied for"
        by_da = "loftet" if by_en == "the cap" else "det ansøgte beløb"
        en += f", limited by {by_en} to {_dkk_en(c.limit or 0)} DKK"
        da += f", begrænset af {by_da} til {_dkk_da(c.limit or 0)} kr."
    else:
        en += f" = {_dkk_en(float(c.raw), 2)} DKK"
        da += f" = {_dkk_da(float(c.raw), 2)} kr."
    if amount != c.raw:
        en += f", rounded {'up' if c.extra else 'down'} to {_dkk_en(amount)} DKK"
        da += f", afrundet {'op' if c.extra else 'ned'} til {_dkk_da(amount)} kr."
    return make(float(c.raw), limited, amount, en, da)
