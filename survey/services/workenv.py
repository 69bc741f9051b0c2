"""Work-environment figures in the database: the imports and the annual work-environment report's data.

Imports (one transaction each; an invalid file raises :class:`analysis.csvio.InputError` and writes nothing):

- :func:`import_absence` – ``absence.csv``; replaces the stored absence of every month in the file;
- :func:`import_spells` – ``spells.csv`` + ``staff.csv``; aggregated in memory by
  ``analysis.workenv.spells_to_unit_months`` into unit-month rows and Bradford counts, which replace the
  stored absence of the staffing file's months and the Bradford counts of its years. No person-level row,
  person id or name is written anywhere;
- :func:`import_incidents` – ``incidents.csv``; replaces every month in the file;
- :func:`import_reactions` – ``reactions.csv``; replaces every year in the file.

:func:`figures` loads everything into the frames of :mod:`analysis.workenv` and runs its one publication step
(``analysis.workenv.publish``) with the application's ``k_min``. :func:`annual_report` adds the year's survey
(the published, redacted wave reports of ``survey.services.reporting``) and the follow-up status of every unit
(``survey.services.followup``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analysis import csvio
from analysis import workenv as we
from analysis.csvio import InputError
from survey.extensions import db
from survey.models import Unit, Wave
from survey.models_workenv import WorkenvAbsence, WorkenvBradford, WorkenvIncident, WorkenvReaction
from survey.services import NotFound, ServiceError, audit

#: a file given as a path, or as (file name, raw bytes) from an upload
Source = Path | str | tuple[str, bytes]
MAX_UPLOAD = 20 * 1024 * 1024
ABSENCE_VALUE_COLUMNS = ("fte", "headcount", "hours_worked", *we.ABSENCE_KINDS, *we.BANDS, "long_term")


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored: rows written and the months (or years) they replaced."""

    kind: str
    rows: int
    periods: tuple[str, ...]
    extra: int = 0


def _table(source: Source, required: Iterable[str], optional: Iterable[str] = ()) -> csvio.Table:
    if isinstance(source, tuple):
        name, raw = source
        if len(raw) > MAX_UPLOAD:
            size = MAX_UPLOAD // (1024 * 1024)
            raise InputError(name, f"the file is larger than {size} MB; split it by year")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(
                name, "the file is not UTF-8 text; save it as 'CSV UTF-8' and try again", line=line
            ) from None
        return csvio.parse_table(name, text, required=tuple(required), optional=tuple(optional))
    return csvio.read_table(source, required=tuple(required), optional=tuple(optional))


def unit_ids() -> set[str]:
    return set(db.session.scalars(sa.select(Unit.unit_id)))


def _need_units() -> set[str]:
    ids = unit_ids()
    if not ids:
        raise ServiceError("there is no organisation yet; import units.csv first")
    return ids


def _absence_rows(frame: pd.DataFrame, source: str) -> list[WorkenvAbsence]:
    out = []
    for rec in frame.to_dict("records"):
        values = {c: rec[c] for c in ABSENCE_VALUE_COLUMNS}
        values["headcount"] = int(values["headcount"])
        for c in ("hours_worked", "long_term"):
            if pd.isna(values[c]):
                values[c] = None
        out.append(WorkenvAbsence(unit_id=rec["unit_id"], month=rec["month"], source=source, **values))
    return out


def _commit(action: str, detail: str) -> None:
    audit.record(action, detail=detail)
    db.session.commit()


def import_absence(source: Source) -> ImportSummary:
    """Store ``absence.csv`` (docs/formats.md); the months in the file replace what was stored for them."""
    frame = we.absence_frame(_table(source, we.ABSENCE_REQUIRED, we.ABSENCE_OPTIONAL), _need_units())
    months = tuple(sorted(set(frame["month"])))
    session = db.session
    try:
        session.execute(sa.delete(WorkenvAbsence).where(WorkenvAbsence.month.in_(months)))
        session.add_all(_absence_rows(frame, "absence"))
        _commit("workenv.absence.import", f"{len(frame)} rows, {months[0]}..{months[-1]}")
    except Exception:
        session.rollback()
        raise
    return ImportSummary("absence", len(frame), months)


def import_spells(spells: Source, staff: Source) -> ImportSummary:
    """Aggregate ``spells.csv`` with ``staff.csv`` and store the unit figures only (see module docstring)."""
    ids = _need_units()
    staff_table = _table(staff, we.ABSENCE_REQUIRED, we.ABSENCE_OPTIONAL)
    staff_frame = we.absence_frame(staff_table, ids, staff_only=True)
    aggregate = we.spells_to_unit_months(
        _table(spells, we.SPELL_COLUMNS), staff_frame, ids, staff_name=staff_table.name
    )
    months = tuple(sorted(set(aggregate.absence["month"])))
    years = sorted({int(m[:4]) for m in months})
    session = db.session
    try:
        session.execute(sa.delete(WorkenvAbsence).where(WorkenvAbsence.month.in_(months)))
        session.execute(sa.delete(WorkenvBradford).where(WorkenvBradford.year.in_(years)))
        session.add_all(_absence_rows(aggregate.absence, "spells"))
        session.add_all(
            WorkenvBradford(
                unit_id=r["unit_id"], year=int(r["year"]), band=int(r["band"]), persons=int(r["persons"])
            )
            for r in aggregate.bradford.to_dict("records")
        )
        _commit("workenv.spells.import", f"{aggregate.spells} spells aggregated, {months[0]}..{months[-1]}")
    except Exception:
        session.rollback()
        raise
    return ImportSummary("spells", len(aggregate.absence), months, extra=aggregate.spells)


def import_incidents(source: Source) -> ImportSummary:
    """Store ``incidents.csv``; the months in the file replace what was stored for them."""
    frame = we.incidents_frame(_table(source, we.INCIDENT_REQUIRED, we.INCIDENT_OPTIONAL), _need_units())
    months = tuple(sorted(set(frame["month"])))
    session = db.session
    try:
        session.execute(sa.delete(WorkenvIncident).where(WorkenvIncident.month.in_(months)))
        session.add_all(
            WorkenvIncident(
                unit_id=r["unit_id"],
                month=r["month"],
                kind=r["kind"],
                count=int(r["count"]),
                absence_days=float(r["absence_days"]),
            )
            for r in frame.to_dict("records")
        )
        _commit("workenv.incidents.import", f"{len(frame)} rows, {months[0]}..{months[-1]}")
    except Exception:
        session.rollback()
        raise
    return ImportSummary("incidents", len(frame), months)


def import_reactions(source: Source) -> ImportSummary:
    """Store ``reactions.csv``; the years in the file replace what was stored for them."""
    frame = we.reactions_frame(_table(source, we.REACTION_COLUMNS), _need_units())
    years = sorted({d.year for d in frame["date"]})
    session = db.session
    try:
        for y in years:
            session.execute(
                sa.delete(WorkenvReaction).where(
                    WorkenvReaction.date >= dt.date(y, 1, 1), WorkenvReaction.date <= dt.date(y, 12, 31)
                )
            )
        session.add_all(
            WorkenvReaction(date=r["date"], unit_id=r["unit_id"], kind=r["kind"], topic=r["topic"])
            for r in frame.to_dict("records")
        )
        _commit("workenv.reactions.import", f"{len(frame)} rows, years {', '.join(map(str, years))}")
    except Exception:
        session.rollback()
        raise
    return ImportSummary("reactions", len(frame), tuple(str(y) for y in years))


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


def units_frame() -> pd.DataFrame:
    """The unit tree in the shape of ``analysis.inputs.units_frame`` (parents before children)."""
    units = list(db.session.scalars(sa.select(Unit).order_by(Unit.unit_id)))
    if not units:
        raise ServiceError("there is no organisation yet; import units.csv first")
    children: dict[str | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    ordered: list[Unit] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        u = stack.pop()
        ordered.append(u)
        stack.extend(reversed(children.get(u.unit_id, [])))
    return pd.DataFrame(
        {
            "unit_id": [u.unit_id for u in ordered],
            "parent_id": [u.parent_id for u in ordered],
            "name": [u.name for u in ordered],
            "headcount": pd.array([u.headcount for u in ordered], dtype="Int64"),
        }
    )


@dataclass(frozen=True)
class Frames:
    units: pd.DataFrame
    absence: pd.DataFrame
    incidents: pd.DataFrame
    bradford: pd.DataFrame
    reactions: pd.DataFrame


def load_frames() -> Frames:
    """Everything stored, as the frames of :mod:`analysis.workenv` (rows of removed units left out)."""
    units = units_frame()
    known = set(units["unit_id"])
    cols = ["unit_id", "month", *ABSENCE_VALUE_COLUMNS]
    absence = pd.DataFrame(
        [
            [getattr(r, c) for c in cols]
            for r in db.session.scalars(sa.select(WorkenvAbsence))
            if r.unit_id in known
        ],
        columns=cols,
    )
    for c in ("hours_worked", "long_term"):
        absence[c] = pd.to_numeric(absence[c], errors="coerce").astype(float)
    absence["headcount"] = absence["headcount"].astype(float)
    inc_cols = ["unit_id", "month", "kind", "count", "absence_days"]
    incidents = pd.DataFrame(
        [
            [getattr(r, c) for c in inc_cols]
            for r in db.session.scalars(sa.select(WorkenvIncident))
            if r.unit_id in known
        ],
        columns=inc_cols,
    )
    b_cols = ["unit_id", "year", "band", "persons"]
    bradford = pd.DataFrame(
        [
            [getattr(r, c) for c in b_cols]
            for r in db.session.scalars(sa.select(WorkenvBradford))
            if r.unit_id in known
        ],
        columns=b_cols,
    )
    r_cols = ["date", "unit_id", "kind", "topic"]
    reactions = pd.DataFrame(
        [
            [getattr(r, c) for c in r_cols]
            for r in db.session.scalars(sa.select(WorkenvReaction))
            if r.unit_id in known
        ],
        columns=r_cols,
    )
    return Frames(units, absence, incidents, bradford, reactions)


def years_with_data() -> list[int]:
    """Years with any absence or incident month stored, newest first."""
    months = set(db.session.scalars(sa.select(WorkenvAbsence.month).distinct()))
    months |= set(db.session.scalars(sa.select(WorkenvIncident.month).distinct()))
    return sorted({int(m[:4]) for m in months}, reverse=True)


def latest_month() -> str | None:
    return db.session.scalar(sa.select(sa.func.max(WorkenvAbsence.month)))


def k_min() -> int:
    from survey.services.reporting import analysis_settings

    return int(analysis_settings().k_min)


def figures(period: we.Period, frames: Frames | None = None) -> we.WorkEnvFigures:
    """The published figures of ``period`` (and the year before) for the whole organisation.

    Counts are published for a calendar year only, and only once its data are complete (absence data up to
    its December): otherwise the count read before the last month's import minus the count read after it
    would give that month's small count away (see :func:`analysis.workenv.publish`)."""
    f = frames or load_frames()
    latest = latest_month()
    counts = period.is_calendar_year and latest is not None and latest >= period.end
    return we.publish(
        f.units,
        f.absence,
        f.incidents,
        period,
        k_min=k_min(),
        bradford=f.bradford,
        reactions=f.reactions,
        counts=counts,
    )


# ---------------------------------------------------------------------------------------------
# the annual report's data
# ---------------------------------------------------------------------------------------------


def _in_scope(units: list[dict[str, Any]], area: str | None) -> set[str]:
    if area is None:
        return {u["unit_id"] for u in units}
    return {u["unit_id"] for u in units if u["unit_id"] == area or u["area"] == area}


def _plan_status(row: Any) -> str:
    if row.missing:
        return "none"
    if row.overdue:
        return "overdue"
    if all(p.status == "done" for p in row.plans):
        return "done"
    return "planned"


def survey_part(year: int, area: str | None, today: dt.date | None = None) -> dict[str, Any] | None:
    """The year's wave (the closed wave labelled with the year): per questionnaire the flagged units,
    significant changes and offensive-behaviour rows of the scope unit, and the follow-up status of every
    unit that needs an action plan. None when there is no closed wave of that year."""
    from survey.services import followup, reporting

    wave = db.session.scalar(sa.select(Wave).where(Wave.label == str(year), Wave.status == "closed"))
    if wave is None:
        return None
    out: dict[str, Any] = {"wave": wave.label, "questionnaires": []}
    for wq in wave.questionnaires:
        try:
            wr = reporting.report_for(wave.label, wq.questionnaire_id)
        except ServiceError:
            continue
        rep = wr.report
        scope = (
            {u["unit_id"] for u in rep["units"]}
            if area is None
            else {u for u, top in followup.area_of(rep).items() if u == area or top == area}
        )
        root = area or next(u["unit_id"] for u in rep["units"] if not u.get("parent_id"))
        names = {u["unit_id"]: u["name"] for u in rep["units"]}
        flagged: dict[str, list[str]] = {}
        worst: dict[str, str] = {}
        order = {"red": 0, "orange": 1, "yellow": 2}
        declines: list[tuple[str, str]] = []
        improvements: list[tuple[str, str]] = []
        for s in rep["scores"]:
            if s["kind"] != "theme" or s["unit_id"] not in scope:
                continue
            if s.get("flag"):
                flagged.setdefault(s["unit_id"], []).append(s["id"])
                if s["unit_id"] not in worst or order[s["flag"]] < order[worst[s["unit_id"]]]:
                    worst[s["unit_id"]] = s["flag"]
            cls = (s.get("change") or {}).get("class")
            if cls == "significant_decline":
                declines.append((s["unit_id"], s["id"]))
            elif cls == "significant_improvement":
                improvements.append((s["unit_id"], s["id"]))
        titles = {t.id: t.title for t in wr.questionnaire.themes}
        exposures = [e for e in rep.get("exposures", []) if e["unit_id"] == root]
        try:
            tracker = followup.tracker(wave.label, wq.questionnaire_id, area=area, today=today)
        except ServiceError:
            tracker = []
        out["questionnaires"].append(
            {
                "id": wq.questionnaire_id,
                "title": wr.questionnaire.title,
                "baseline": rep.get("baseline"),
                "theme_titles": titles,
                "flag_counts": {c: sum(1 for w in worst.values() if w == c) for c in order},
                "flagged": [
                    {"unit_id": u, "name": names.get(u, u), "flag": worst[u], "themes": flagged[u]}
                    for u in flagged
                ],
                "declines": [{"unit_id": u, "name": names.get(u, u), "theme": t} for u, t in declines],
                "improvements": [
                    {"unit_id": u, "name": names.get(u, u), "theme": t} for u, t in improvements
                ],
                "exposures": exposures,
                "followup": [
                    {
                        "unit_id": r.unit_id,
                        "name": r.name,
                        "reasons": r.reasons,
                        "status": _plan_status(r),
                        "plans": len(r.plans),
                    }
                    for r in tracker
                ],
            }
        )
    return out


def areas() -> dict[str, str]:
    """MED areas: the children of the root (unit id -> name)."""
    root = db.session.scalar(sa.select(Unit.unit_id).where(Unit.parent_id.is_(None)))
    return (
        {
            u.unit_id: u.name
            for u in db.session.scalars(sa.select(Unit).where(Unit.parent_id == root).order_by(Unit.unit_id))
        }
        if root
        else {}
    )


def annual_report(
    year: int, area: str | None = None, *, rolling: str | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Everything the annual work-environment report shows, for the organisation or one MED area.

    ``year``: the calendar year (and the survey wave labelled with it); ``rolling``: a month ``YYYY-MM``
    to show the twelve months ending there instead of the calendar year. Raises :class:`NotFound` for an
    unknown area and :class:`ServiceError` when there is nothing to report.
    """
    if not 1990 <= year <= 2100:
        raise ServiceError("the year must be between 1990 and 2100, got %(year)s", year=year)
    named = areas()
    if area is not None and area not in named:
        raise NotFound(
            "no MED area '%(area)s'; choose one of %(choices)s",
            area=area,
            choices=", ".join(sorted(named)) or 'none',
        )
    period = we.rolling_twelve(rolling) if rolling else we.calendar_year(year)
    frames = load_frames()
    fig = figures(period, frames).to_dict()
    scope = _in_scope(fig["units"], area)
    units = [u for u in fig["units"] if u["unit_id"] in scope]
    root = area or next(u["unit_id"] for u in fig["units"] if u["parent_id"] is None)
    reactions = [r for r in fig["reactions"] if r["unit_id"] in scope]
    before = set(period.previous().months())
    reactions_before = sum(
        1
        for d, u in zip(frames.reactions["date"], frames.reactions["unit_id"], strict=True)
        if f"{d.year:04d}-{d.month:02d}" in before and u in scope
    )
    return {
        "schema": "trivsel-annual/1",
        "year": year,
        "area": area,
        "area_name": named.get(area) if area else None,
        "scope_unit": root,
        "period": fig["period"],
        "previous": fig["previous"],
        "settings": fig["settings"],
        "units": units,
        "reactions": reactions,
        "reactions_summary": we.reactions_summary(reactions),
        "reactions_previous": reactions_before,
        "has_data": any(u["figures"] and (u["figures"]["fte_years"] or 0) > 0 for u in units),
        "survey": survey_part(year, area, today),
    }
