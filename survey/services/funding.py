"""The committee's funding rounds: applications, overrides, versioned allocation decisions.

One round per wave + questionnaire (a closed wave). The committee records applications (form or a
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
from typing import Any

import sqlalchemy as sa

from analysis import csvio
from survey.extensions import db
from survey.models import Unit, Wave
from survey.models_funding import FundingApplication, FundingDecision, FundingOverride, FundingRound, utcnow
from survey.services import Conflict, NotFound, ServiceError, audit

APPLICATION_COLUMNS = ("application_id", "unit_id", "requested")
MAX_DKK = 2_000_000_000  # fits the integer columns


# ---------------------------------------------------------------------------------------------------
# rounds


def list_rounds() -> list[FundingRound]:
    return list(db.session.scalars(sa.select(FundingRound).order_by(FundingRound.id.desc())))


def get_round(round_id: int) -> FundingRound:
    rnd = db.session.get(FundingRound, round_id)
    if rnd is None:
        raise NotFound(f"no funding round {round_id}")
    return rnd


def wave_label(rnd: FundingRound) -> str:
    wave = db.session.get(Wave, rnd.wave_id)
    assert wave is not None  # foreign key
    return wave.label


def closed_wave_questionnaires() -> list[tuple[str, str]]:
    """(wave label, questionnaire id) of every closed wave, newest wave first."""
    waves = db.session.scalars(sa.select(Wave).where(Wave.status == "closed").order_by(Wave.id.desc()))
    return [(w.label, wq.questionnaire_id) for w in waves for wq in w.questionnaires]


def _check_money(budget: int, cap: int | None, beta: float) -> None:
    if not 0 <= budget <= MAX_DKK:
        raise ServiceError(f"the budget must be a whole number of DKK from 0 to {MAX_DKK:,}, got {budget}")
    if cap is not None and not 0 <= cap <= MAX_DKK:
        raise ServiceError(f"the cap must be a whole number of DKK from 0 to {MAX_DKK:,} or empty, got {cap}")
    if not math.isfinite(beta) or not 0 <= beta <= 10:
        raise ServiceError(f"beta must be a number from 0 to 10 (1 = per capita, 0.5 dampens), got {beta}")


def create_round(
    wave: str, questionnaire_id: str, budget: int, cap: int | None = None, beta: float = 1.0
) -> FundingRound:
    """A funding round for a closed wave's questionnaire (one per wave + questionnaire)."""
    _check_money(budget, cap, beta)
    session = db.session
    try:
        w = session.scalar(sa.select(Wave).where(Wave.label == wave))
        if w is None:
            raise NotFound(f"no wave '{wave}'")
        if w.status != "closed":
            raise Conflict(f"wave '{wave}' is {w.status}; funds are allocated once the wave is closed")
        if questionnaire_id not in {wq.questionnaire_id for wq in w.questionnaires}:
            raise NotFound(f"wave '{wave}' does not run questionnaire '{questionnaire_id}'")
        exists = session.scalar(
            sa.select(FundingRound.id).where(
                FundingRound.wave_id == w.id, FundingRound.questionnaire_id == questionnaire_id
            )
        )
        if exists is not None:
            raise Conflict(
                f"wave '{wave}' already has a funding round for '{questionnaire_id}'; open it instead"
            )
        rnd = FundingRound(wave_id=w.id, questionnaire_id=questionnaire_id, budget=budget, cap=cap, beta=beta)
        session.add(rnd)
        session.flush()
        audit.record(
            "funding.round.create",
            target=f"round {rnd.id}",
            detail=f"wave={wave} questionnaire={questionnaire_id} budget={budget} cap={cap} beta={beta}",
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
    """The wave's analysis report (contract 2.3), as the HR pages show it."""
    from survey.services import reporting

    return reporting.report_for(wave_label(rnd), rnd.questionnaire_id).report


def allocation_input(report: dict[str, Any]) -> dict[str, Any]:
    """The web report made acceptable to ``analysis.allocate``.

    The web report hides an unpublished unit's respondent count (``reporting.redact``: ``None``). The
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
    round_id: int, application_id: str, unit_id: str, requested: int, themes: str = "", description: str = ""
) -> FundingApplication:
    """Record one application (one per unit; ``application_id`` unique in the round)."""
    application_id, unit_id = application_id.strip(), unit_id.strip()
    if not application_id:
        raise ServiceError("the application id is empty; give the case number, e.g. SAG-101")
    if not 1 <= requested <= MAX_DKK:
        raise ServiceError(f"the requested amount must be a whole number of DKK from 1 to {MAX_DKK:,}")
    session = db.session
    try:
        rnd = get_round(round_id)
        if unit_id not in _unit_ids():
            raise NotFound(f"no unit '{unit_id}'; choose a unit of the organisation")
        for app in rnd.applications:
            if app.application_id == application_id:
                raise Conflict(f"application '{application_id}' is already recorded in this round")
            if app.unit_id == unit_id:
                raise Conflict(
                    f"unit '{unit_id}' already has application '{app.application_id}'; "
                    "a unit applies once per round (delete the other first)"
                )
        app = FundingApplication(
            application_id=application_id,
            unit_id=unit_id,
            requested=requested,
            themes=themes.strip(),
            description=description.strip(),
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
            raise NotFound(f"no application '{application_id}' in this round")
        rnd.applications.remove(app)
        audit.record("funding.application.delete", target=f"round {rnd.id}", detail=application_id)
        session.commit()
    except Exception:
        session.rollback()
        raise


def import_applications(round_id: int, name: str, text: str) -> int:
    """Add the applications of a contract-3 ``applications.csv`` (``application_id, unit_id, requested``).

    All rows or none: every row is checked first (empty ids, whole DKK > 0, known unit, no duplicate id or
    unit in the file or in the round); the first problem raises ``InputError`` naming the file, line,
    column and value. Returns the number of applications added.
    """
    table = csvio.parse_table(name, text, required=APPLICATION_COLUMNS)
    if not table.rows:
        raise csvio.InputError(
            name, "the file has no applications; add one row per application below the header", line=2
        )
    rnd = get_round(round_id)
    units = _unit_ids()
    ids = {a.application_id: "this round" for a in rnd.applications}
    by_unit = {a.unit_id: "this round" for a in rnd.applications}
    rows: list[tuple[str, str, int]] = []
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
        ids[app_id] = f"line {line}"
        by_unit[unit_id] = f"line {line}"
        rows.append((app_id, unit_id, requested))
    session = db.session
    try:
        for app_id, unit_id, requested in rows:
            rnd.applications.append(
                FundingApplication(
                    application_id=app_id, unit_id=unit_id, requested=requested, themes="", description=""
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


def set_override(round_id: int, unit_id: str, amount: int, reason: str) -> FundingOverride:
    """Fix a unit's amount (0 allowed) with a written reason; replaces the unit's earlier override."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("the reason is blank; every override needs a written reason")
    if not 0 <= amount <= MAX_DKK:
        raise ServiceError(f"the amount must be a whole number of DKK from 0 to {MAX_DKK:,}")
    session = db.session
    try:
        rnd = get_round(round_id)
        if unit_id not in _unit_ids():
            raise NotFound(f"no unit '{unit_id}'")
        ov = next((o for o in rnd.overrides if o.unit_id == unit_id), None)
        if ov is None:
            ov = FundingOverride(unit_id=unit_id, amount=amount, reason=reason)
            rnd.overrides.append(ov)
        else:
            ov.amount, ov.reason = amount, reason
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
            raise NotFound(f"no override for unit '{unit_id}' in this round")
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
    raise NotFound(f"round {rnd.id} has no version {version}")


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
                f"version {version} is already locked (by {decision.locked_by}); "
                "run the allocation again to make a new version"
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
    """unit_id -> granted DKK in the latest *locked* version of the wave's round ({} when none is locked)."""
    rnd = db.session.scalar(
        sa.select(FundingRound).where(
            FundingRound.wave_id == wave_id, FundingRound.questionnaire_id == questionnaire_id
        )
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
