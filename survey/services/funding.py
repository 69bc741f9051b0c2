"""The committee's funding rounds: applications, overrides, versioned allocation decisions.

One round per closed wave, over all of the wave's questionnaires (the wave's one report), so the
criteria K1-K4 (low score, internal and unresolved external harassment, a split group) meet in one
place. The committee records applications (form or a
contract-3 ``applications.csv``), fixes amounts by override (always with a reason), runs the allocation and
locks the result. Every number comes from the analysis package: the report's ``funding`` rows
(``survey.services.reporting.report_for``) and ``analysis.allocate``; nothing is recomputed here.

Versions: running the allocation rewrites the latest version while it is a draft; once that version is
locked, running again creates the next version. A locked version is never changed (its inputs, the funding
rows it used and its result are stored with it).

Every function is one use case in one transaction; on an error it raises
:class:`~survey.services.ServiceError` (or ``analysis.csvio.InputError`` for a bad file) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import sqlalchemy as sa

from analysis import csvio
from survey.extensions import db
from survey.models import Unit, Wave
from survey.models_funding import FundingApplication, FundingDecision, FundingOverride, FundingRound, utcnow
from survey.services import Conflict, NotFound, ServiceError, audit

APPLICATION_COLUMNS = ("application_id", "unit_id", "requested")
#: optional columns of the web import (the CLI's contract-3 file has only the required ones)
APPLICATION_OPTIONAL = ("themes", "med_area", "description")
MAX_THEMES = 500
MAX_AREA = 200


def split_themes(text: str) -> list[str]:
    """The themes of an application: separated by ";" or ",", blanks and repeats dropped, order kept."""
    out: list[str] = []
    for part in re.split(r"[;,]", text or ""):
        theme = " ".join(part.split())
        if theme and theme.casefold() not in {t.casefold() for t in out}:
            out.append(theme)
    return out


def normalise_themes(text: str) -> str:
    return "; ".join(split_themes(text))


MAX_DKK = 2_000_000_000  # fits the integer columns


# ---------------------------------------------------------------------------------------------------
# rounds


def list_rounds() -> list[FundingRound]:
    return list(db.session.scalars(sa.select(FundingRound).order_by(FundingRound.id.desc())))


def get_round(round_id: int) -> FundingRound:
    rnd = db.session.get(FundingRound, round_id)
    if rnd is None:
        raise NotFound("no funding round %(round_id)s", round_id=round_id)
    return rnd


def wave_label(rnd: FundingRound) -> str:
    wave = db.session.get(Wave, rnd.wave_id)
    assert wave is not None  # foreign key
    return wave.label


def closed_wave_questionnaires() -> list[tuple[str, str]]:
    """(wave label, questionnaire id) of every closed wave, newest wave first."""
    waves = db.session.scalars(sa.select(Wave).where(Wave.status == "closed").order_by(Wave.id.desc()))
    return [(w.label, wq.questionnaire_id) for w in waves for wq in w.questionnaires]


def closed_waves() -> list[str]:
    """Labels of the closed waves, newest first."""
    return list(
        db.session.scalars(sa.select(Wave.label).where(Wave.status == "closed").order_by(Wave.id.desc()))
    )


def round_questionnaires(rnd: FundingRound) -> list[str]:
    """The questionnaires a round's criteria come from (the wave's, or the older round's one)."""
    if rnd.questionnaire_id is not None:
        return [rnd.questionnaire_id]
    wave = db.session.get(Wave, rnd.wave_id)
    assert wave is not None
    return [wq.questionnaire_id for wq in wave.questionnaires]


def _check_money(budget: int, cap: int | None, beta: float) -> None:
    if not 0 <= budget <= MAX_DKK:
        raise ServiceError(
            "the budget must be a whole number of DKK from 0 to %(max)s, got %(budget)s",
            max=f"{MAX_DKK:,}",
            budget=budget,
        )
    if cap is not None and not 0 <= cap <= MAX_DKK:
        raise ServiceError(
            "the cap must be a whole number of DKK from 0 to %(max)s or empty, got "
            "%(cap)s",
            max=f"{MAX_DKK:,}",
            cap=cap,
        )
    if not math.isfinite(beta) or not 0 <= beta <= 10:
        raise ServiceError(
            "beta must be a number from 0 to 10 (1 = per capita, 0.5 dampens), got %(beta)s",
            beta=beta,
        )


def create_round(wave: str, budget: int, cap: int | None = None, beta: float = 1.0) -> FundingRound:
    """A funding round for a closed wave, over all of its questionnaires (one round per wave)."""
    _check_money(budget, cap, beta)
    session = db.session
    try:
        w = session.scalar(sa.select(Wave).where(Wave.label == wave))
        if w is None:
            raise NotFound("no wave '%(wave)s'", wave=wave)
        if w.status != "closed":
            raise Conflict(
                "wave '%(wave)s' is %(status)s; funds are allocated once the wave is closed",
                wave=wave,
                status=w.status,
            )
        exists = session.scalar(sa.select(FundingRound.id).where(FundingRound.wave_id == w.id))
        if exists is not None:
            raise Conflict("wave '%(wave)s' already has a funding round; open it instead", wave=wave)
        rnd = FundingRound(wave_id=w.id, questionnaire_id=None, budget=budget, cap=cap, beta=beta)
        session.add(rnd)
        session.flush()
        audit.record(
            "funding.round.create",
            target=f"round {rnd.id}",
            detail=f"wave={wave} budget={budget} cap={cap} beta={beta}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return rnd


def update_round(round_id: int, budget: int, cap: int | None, beta: float) -> FundingRound:
    """Change the budget, cap and beta (locked versions keep the values they were run with)."""
    _check_money(budget, cap, beta)
    session = db.session
    try:
        rnd = get_round(round_id)
        overridden = sum(o.amount for o in rnd.overrides)
        if overridden > budget:
            raise OverrideRefused(
                "budget_below_overrides",
                "budget",
                f"the overrides add up to {overridden:,} DKK, more than a budget of {budget:,} DKK; "
                "lower or remove overrides first",
                total=overridden,
                budget=budget,
            )
        rnd.budget, rnd.cap, rnd.beta = budget, cap, beta
        audit.record(
            "funding.round.update", target=f"round {rnd.id}", detail=f"budget={budget} cap={cap} beta={beta}"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return rnd


def round_report(rnd: FundingRound) -> dict[str, Any]:
    """The report the round's criteria come from: the wave's one report over all its questionnaires
    (``reporting.wave_report``), or, for a round made for one questionnaire, that questionnaire's."""
    from survey.services import reporting

    if rnd.questionnaire_id is not None:
        return reporting.report_for(wave_label(rnd), rnd.questionnaire_id).report
    return whole_wave_report(wave_label(rnd))


def whole_wave_report(label: str) -> dict[str, Any]:
    """The wave's one report (contract 2.3 over every questionnaire of the wave).

    ``reporting.wave_report`` (the reports pages' join of every questionnaire's published report) when the
    application has it; until then the same join here: the unit rows of the questionnaire with the most
    respondents at the root, every questionnaire's published score and exposure rows, and funding rows
    joined over the questionnaires (worst colour, any exposure criterion, any split theme; points from the
    settings). Only published rows of the one publication step (``report_for``) are used.
    """
    from survey.services import reporting

    joined = getattr(reporting, "wave_report", None)
    if joined is not None:
        return dict(joined(label).report)
    wave = reporting.get_wave(label)
    parts = []
    for wq in wave.questionnaires:
        try:
            parts.append(reporting.report_for(label, wq.questionnaire_id).report)
        except ServiceError:
            continue  # nobody answered this questionnaire
    if not parts:
        raise ServiceError("wave '%(label)s' cannot be reported yet: it has no responses", label=label)

    def root_n(r: dict[str, Any]) -> int:
        root = next((u for u in r["units"] if u.get("parent_id") is None), None)
        return int((root or {}).get("respondents") or 0)

    main = max(parts, key=root_n)  # the first on a tie
    published = {u["unit_id"] for u in main["units"] if u.get("published")}
    points = main["settings"].get("points") or {}
    rank = {None: 0, "yellow": 1, "orange": 2, "red": 3}
    merged: dict[str, dict[str, Any]] = {}
    for r in parts:
        for f in r.get("funding") or []:
            if f["unit_id"] not in published:
                continue
            m = merged.setdefault(
                f["unit_id"],
                {
                    "unit_id": f["unit_id"],
                    "low_score": None,
                    "internal": False,
                    "external_unresolved": False,
                    "polarised": False,
                    "evidence": [],
                },
            )
            if rank[f.get("low_score")] > rank[m["low_score"]]:
                m["low_score"] = f.get("low_score")
            for key in ("internal", "external_unresolved", "polarised"):
                m[key] = bool(m[key] or f.get(key))
            m["evidence"].extend(f.get("evidence") or [])
    for m in merged.values():
        m["points"] = (points[m["low_score"]] if m["low_score"] else 0) + sum(
            points[k] for k in ("internal", "external_unresolved", "polarised") if m[k]
        )
        m["eligible"] = m["points"] > 0
    return {
        **main,
        "questionnaire": {"id": "+".join(r["questionnaire"]["id"] for r in parts), "version": 1},
        "questionnaires": [r["questionnaire"] for r in parts],
        "scores": [s for r in parts for s in r["scores"] if s["unit_id"] in published],
        "exposures": [e for r in parts for e in r.get("exposures") or [] if e["unit_id"] in published],
        "funding": list(merged.values()),
    }


def allocation_input(report: dict[str, Any]) -> dict[str, Any]:
    """The web report made acceptable to ``analysis.allocate``.

    The web report hides an unpublished unit's respondent count (``PublishPolicy(hidden_counts=False)``:
    ``None``). The
    allocation uses that count only as the weight base ``h`` of an unpublished unit with an unknown
    headcount, which is never eligible (0 points, 0 DKK); 0 is passed there, so no hidden count can reach a
    page or a memo through a grant's ``headcount``.
    """
    units = []
    for u in report["units"]:
        if not u.get("published") and u.get("respondents") is None:
            u = {**u, "respondents": 0}
        units.append(u)
    return {**report, "units": units}


def criteria_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per published unit: the report's funding row (C1–C4, points, evidence) with the unit's name."""
    names = {u["unit_id"]: u["name"] for u in report["units"]}
    return [{**row, "name": names.get(row["unit_id"], row["unit_id"])} for row in report["funding"]]


# ---------------------------------------------------------------------------------------------------
# applications


def _unit_ids() -> set[str]:
    return set(db.session.scalars(sa.select(Unit.unit_id)))


def add_application(
    round_id: int,
    application_id: str,
    unit_id: str,
    requested: int,
    themes: str = "",
    description: str = "",
    med_area: str = "",
) -> FundingApplication:
    """Record one application (one per unit; ``application_id`` unique in the round)."""
    application_id, unit_id = application_id.strip(), unit_id.strip()
    themes, med_area = normalise_themes(themes), " ".join(med_area.split())
    if len(themes) > MAX_THEMES or len(med_area) > MAX_AREA:
        raise ServiceError(
            "the themes (at most %(max)s characters) or the MED area is too long",
            max=MAX_THEMES,
        )
    if not application_id:
        raise ServiceError("the application id is empty; give the case number, e.g. SAG-101")
    if not 1 <= requested <= MAX_DKK:
        raise ServiceError(
            "the requested amount must be a whole number of DKK from 1 to %(max)s",
            max=f"{MAX_DKK:,}",
        )
    session = db.session
    try:
        rnd = get_round(round_id)
        if unit_id not in _unit_ids():
            raise NotFound("no unit '%(unit_id)s'; choose a unit of the organisation", unit_id=unit_id)
        for app in rnd.applications:
            if app.application_id == application_id:
                raise Conflict(
                    "application '%(application_id)s' is already recorded in this round",
                    application_id=application_id,
                )
            if app.unit_id == unit_id:
                raise Conflict(
                    "unit '%(unit_id)s' already has application '%(application_id)s'; a unit applies "
                    "once per round (delete the other first)",
                    unit_id=unit_id,
                    application_id=app.application_id,
                )
        app = FundingApplication(
            application_id=application_id,
            unit_id=unit_id,
            requested=requested,
            themes=themes,
            description=description.strip(),
            med_area=med_area,
        )
        rnd.applications.append(app)
        audit.record(
            "funding.application.add",
            target=f"round {rnd.id}",
            detail=f"{application_id} unit={unit_id} requested={requested}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return app


def delete_application(round_id: int, application_id: str) -> None:
    session = db.session
    try:
        rnd = get_round(round_id)
        app = next((a for a in rnd.applications if a.application_id == application_id), None)
        if app is None:
            raise NotFound(
                "no application '%(application_id)s' in this round",
                application_id=application_id,
            )
        if any(o.unit_id == app.unit_id for o in rnd.overrides):
            raise OverrideRefused(
                "application_overridden",
                "unit_id",
                f"unit '{app.unit_id}' has an override; remove the override before its application",
                unit_id=app.unit_id,
                application_id=application_id,
            )
        rnd.applications.remove(app)
        audit.record("funding.application.delete", target=f"round {rnd.id}", detail=application_id)
        session.commit()
    except Exception:
        session.rollback()
        raise


def import_applications(round_id: int, name: str, text: str) -> int:
    """Add the applications of a contract-3 ``applications.csv`` (``application_id, unit_id, requested``,
    optionally ``themes`` (separated by ``;`` or ``,``), ``med_area`` and ``description``).

    All rows or none: every row is checked first (empty ids, whole DKK > 0, known unit, no duplicate id or
    unit in the file or in the round); the first problem raises ``InputError`` naming the file, line,
    column and value. Returns the number of applications added.
    """
    table = csvio.parse_table(name, text, required=APPLICATION_COLUMNS, optional=APPLICATION_OPTIONAL)
    if not table.rows:
        raise csvio.InputError(
            name, "the file has no applications; add one row per application below the header", line=2
        )
    rnd = get_round(round_id)
    units = _unit_ids()
    ids = {a.application_id: "this round" for a in rnd.applications}
    by_unit = {a.unit_id: "this round" for a in rnd.applications}
    rows: list[tuple[str, str, int, str, str, str]] = []
    for line, rec in table.records():
        for col in ("application_id", "unit_id"):
            if rec[col] == "":
                raise csvio.InputError(
                    name, f"the {col} is empty; fill it in", line=line, column=col, value=""
                )
        requested = csvio.parse_int(name, line, "requested", rec["requested"], minimum=1)
        if requested > MAX_DKK:
            raise csvio.InputError(
                name, f"must be at most {MAX_DKK:,}", line=line, column="requested", value=rec["requested"]
            )
        app_id, unit_id = rec["application_id"], rec["unit_id"]
        if unit_id not in units:
            raise csvio.InputError(
                name,
                "no unit with this unit_id; use the unit_id of units.csv",
                line=line,
                column="unit_id",
                value=unit_id,
            )
        if app_id in ids:
            raise csvio.InputError(
                name,
                f"this application_id is already used ({ids[app_id]})",
                line=line,
                column="application_id",
                value=app_id,
            )
        if unit_id in by_unit:
            raise csvio.InputError(
                name,
                f"this unit already has an application ({by_unit[unit_id]}); a unit applies once per round",
                line=line,
                column="unit_id",
                value=unit_id,
            )
        themes = normalise_themes(rec.get("themes", ""))
        med_area = " ".join(rec.get("med_area", "").split())
        for col, value, limit in (("themes", themes, MAX_THEMES), ("med_area", med_area, MAX_AREA)):
            if len(value) > limit:
                raise csvio.InputError(
                    name, f"at most {limit} characters", line=line, column=col, value=value[:40] + "…"
                )
        ids[app_id] = f"line {line}"
        by_unit[unit_id] = f"line {line}"
        rows.append((app_id, unit_id, requested, themes, med_area, rec.get("description", "").strip()))
    session = db.session
    try:
        for app_id, unit_id, requested, themes, med_area, description in rows:
            rnd.applications.append(
                FundingApplication(
                    application_id=app_id,
                    unit_id=unit_id,
                    requested=requested,
                    themes=themes,
                    description=description,
                    med_area=med_area,
                )
            )
        audit.record(
            "funding.application.import", target=f"round {rnd.id}", detail=f"{name}: {len(rows)} rows"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(rows)


# ---------------------------------------------------------------------------------------------------
# overrides


class OverrideRefused(Conflict):
    """An override the allocation would refuse, caught when it is entered.

    ``code`` is ``not_candidate``, ``duplicate`` or ``above_budget``; ``field`` the form field the mistake
    belongs to (``unit_id`` or ``amount``); ``params`` the numbers a page needs to say it in its language.
    """

    def __init__(self, code: str, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code, self.field, self.params = code, field, params


def candidate_units(rnd: FundingRound) -> set[str] | None:
    """The units that are candidates of the round's allocation (contract 3, 4 and 5.8).

    With applications: the applying units. Without: the units ``analysis.allocate`` makes candidates from
    the round's report (asked of the analysis itself, so this follows its rule exactly). None when the
    report cannot be made (then the allocation run says why).
    """
    if rnd.applications:
        return {a.unit_id for a in rnd.applications}
    from analysis import AllocationError, allocate

    try:
        result = allocate(allocation_input(round_report(rnd)), rnd.budget, cap=rnd.cap, beta=rnd.beta)
    except (AllocationError, ServiceError):
        return None
    return {g.unit_id for g in result.grants}


def check_override(rnd: FundingRound, unit_id: str, amount: int) -> None:
    """Refuse (:class:`OverrideRefused`) an override the allocation would refuse: a unit that is not a
    candidate, a second override for a unit, or overrides adding up to more than the budget."""
    existing = next((o for o in rnd.overrides if o.unit_id == unit_id), None)
    if existing is not None:
        raise OverrideRefused(
            "duplicate",
            "unit_id",
            f"unit '{unit_id}' already has an override of {existing.amount:,} DKK; remove it first",
            unit_id=unit_id,
            amount=existing.amount,
        )
    candidates = candidate_units(rnd)
    if candidates is not None and unit_id not in candidates:
        raise OverrideRefused(
            "not_candidate",
            "unit_id",
            f"unit '{unit_id}' is not a candidate of this round"
            + (" (it has no application)" if rnd.applications else " (it is not eligible)")
            + "; only candidates can be overridden",
            unit_id=unit_id,
            with_applications=bool(rnd.applications),
        )
    others = sum(o.amount for o in rnd.overrides)
    if others + amount > rnd.budget:
        raise OverrideRefused(
            "above_budget",
            "amount",
            f"the overrides would add up to {others + amount:,} DKK, more than the budget of "
            f"{rnd.budget:,} DKK",
            total=others + amount,
            budget=rnd.budget,
            room=max(rnd.budget - others, 0),
        )


def set_override(round_id: int, unit_id: str, amount: int, reason: str) -> FundingOverride:
    """Fix a candidate's amount (0 allowed) with a written reason.

    Refused (nothing stored) for a blank reason, an amount out of range, an unknown unit, or what
    :func:`check_override` refuses (not a candidate, a duplicate, above the budget).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("the reason is blank; every override needs a written reason")
    if not 0 <= amount <= MAX_DKK:
        raise ServiceError(
            "the amount must be a whole number of DKK from 0 to %(max)s",
            max=f"{MAX_DKK:,}",
        )
    session = db.session
    try:
        rnd = get_round(round_id)
        if unit_id not in _unit_ids():
            raise NotFound("no unit '%(unit_id)s'", unit_id=unit_id)
        check_override(rnd, unit_id, amount)
        ov = FundingOverride(unit_id=unit_id, amount=amount, reason=reason)
        rnd.overrides.append(ov)
        audit.record(
            "funding.override.set", target=f"round {rnd.id}", detail=f"unit={unit_id} amount={amount}"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ov


def remove_override(round_id: int, unit_id: str) -> None:
    session = db.session
    try:
        rnd = get_round(round_id)
        ov = next((o for o in rnd.overrides if o.unit_id == unit_id), None)
        if ov is None:
            raise NotFound("no override for unit '%(unit_id)s' in this round", unit_id=unit_id)
        rnd.overrides.remove(ov)
        audit.record("funding.override.remove", target=f"round {rnd.id}", detail=f"unit={unit_id}")
        session.commit()
    except Exception:
        session.rollback()
        raise


# ---------------------------------------------------------------------------------------------------
# decisions


def current_inputs(rnd: FundingRound) -> dict[str, Any]:
    """The round's inputs as a decision stores them."""
    return {
        "budget": rnd.budget,
        "cap": rnd.cap,
        "beta": rnd.beta,
        "applications": [
            {
                "application_id": a.application_id,
                "unit_id": a.unit_id,
                "requested": a.requested,
                "themes": a.themes,
                "description": a.description,
                "med_area": a.med_area,
            }
            for a in rnd.applications
        ],
        "overrides": [{"unit_id": o.unit_id, "amount": o.amount, "reason": o.reason} for o in rnd.overrides],
    }


def latest_decision(rnd: FundingRound) -> FundingDecision | None:
    return rnd.decisions[-1] if rnd.decisions else None


def get_decision(rnd: FundingRound, version: int) -> FundingDecision:
    for d in rnd.decisions:
        if d.version == version:
            return d
    raise NotFound("round %(id)s has no version %(version)s", id=rnd.id, version=version)


def _allocation_error(err: Any, inputs: dict[str, Any]) -> ServiceError:
    """A readable refusal for an ``AllocationError`` (which names the row of the applications / overrides)."""
    rows = inputs.get(err.source) if err.source in ("applications", "overrides") else None
    if rows is not None and err.index is not None and err.index < len(rows):
        row = rows[err.index]
        who = row.get("application_id") or row.get("unit_id")
        return ServiceError(f"{err.source[:-1]} {who}: {err.message}")
    return ServiceError(f"{err.source}: {err.message}")


def run_allocation(round_id: int, actor: str) -> FundingDecision:
    """Run ``analysis.allocate`` on the round's report and inputs and store the result as a version.

    The latest version is rewritten while it is a draft; after it was locked a new version is created.
    Without applications the candidates are the eligible published units with no eligible published unit
    below them (contract 5.8: no employee funded twice).
    """
    from analysis import AllocationError, Application, Override, allocate

    session = db.session
    rnd = get_round(round_id)
    report = round_report(rnd)
    inputs = current_inputs(rnd)
    applications = [
        Application(a["application_id"], a["unit_id"], a["requested"]) for a in inputs["applications"]
    ]
    overrides = [Override(o["unit_id"], o["amount"], o["reason"]) for o in inputs["overrides"]]
    try:
        result = allocate(
            allocation_input(report),
            rnd.budget,
            cap=rnd.cap,
            beta=rnd.beta,
            applications=applications or None,
            overrides=overrides,
        )
    except AllocationError as err:
        raise _allocation_error(err, inputs) from None
    funding = {
        "wave": report["wave"],
        "baseline": report.get("baseline"),
        "questionnaire": report["questionnaire"],
        "rows": criteria_rows(report),
        "units": {
            u["unit_id"]: {"name": u["name"], "published": bool(u.get("published"))} for u in report["units"]
        },
    }
    try:
        latest = latest_decision(rnd)
        if latest is not None and latest.status == "draft":
            decision = latest
            decision.inputs, decision.funding, decision.result = inputs, funding, result.to_dict()
            decision.run_at, decision.run_by = utcnow(), actor
        else:
            decision = FundingDecision(
                version=(latest.version + 1) if latest else 1,
                status="draft",
                run_at=utcnow(),
                run_by=actor,
                inputs=inputs,
                funding=funding,
                result=result.to_dict(),
            )
            rnd.decisions.append(decision)
        session.flush()
        audit.record(
            "funding.decision.run",
            target=f"round {rnd.id} version {decision.version}",
            detail=f"budget={rnd.budget} allocated={result.allocated} unallocated={result.unallocated}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def lock_decision(round_id: int, version: int, actor: str) -> FundingDecision:
    """Lock a draft version: who and when are recorded; it never changes again."""
    session = db.session
    try:
        rnd = get_round(round_id)
        decision = get_decision(rnd, version)
        if decision.status == "locked":
            raise Conflict(
                "version %(version)s is already locked (by %(locked_by)s); run the allocation "
                "again to make a new version",
                version=version,
                locked_by=decision.locked_by,
            )
        decision.status = "locked"
        decision.locked_at = utcnow()
        decision.locked_by = actor
        audit.record(
            "funding.decision.lock",
            target=f"round {rnd.id} version {version}",
            detail=f"allocated={decision.result.get('allocated')}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def inputs_changed(rnd: FundingRound, decision: FundingDecision) -> bool:
    """True when the round's inputs differ from those the version was run with."""
    return current_inputs(rnd) != decision.inputs


def locked_grants(wave_id: int, questionnaire_id: str) -> dict[str, int]:
    """unit_id -> granted DKK in the latest *locked* version of the wave's round ({} when none is locked).

    The wave's round covers every questionnaire; a round made for one questionnaire counts for that one."""
    rnd = db.session.scalar(
        sa.select(FundingRound)
        .where(
            FundingRound.wave_id == wave_id,
            sa.or_(
                FundingRound.questionnaire_id.is_(None), FundingRound.questionnaire_id == questionnaire_id
            ),
        )
        .order_by(FundingRound.id)
    )
    if rnd is None:
        return {}
    locked = [d for d in rnd.decisions if d.status == "locked"]
    if not locked:
        return {}
    out: dict[str, int] = {}
    for g in locked[-1].result["grants"]:
        out[g["unit_id"]] = out.get(g["unit_id"], 0) + int(g["amount"])
    return out


def fmt_when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")
