"""The follow-up tracker: which units need an action plan after a wave, and the plans themselves.

A published unit *needs follow-up* when the wave's report (``survey.services.reporting.report_for``) gives it
a flag (funding C1 ``low_score``), an exposure criterion (C2 ``internal`` or C3 ``external_unresolved``),
or the latest locked funding decision of the wave's round grants it more than 0 DKK. Every reason comes
from the analysis result or the stored decision; nothing is recomputed here.

A unit that needs follow-up is *missing* when it has no plan, and *overdue* when one of its plans is
past its due date and not done. HR and admin see every unit; a manager sees (and edits) the plans of their
subtree only — in the tree the wave's report was published with (``reporting.report_subtree``, chosen by the
views in ``survey.followup.views``), as on the report pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Wave
from survey.models_funding import FOLLOWUP_STATUSES, FollowUpPlan, utcnow
from survey.services import NotFound, ServiceError, audit

MAX_TEXT = 5000


@dataclass
class TrackerRow:
    """One unit that needs follow-up."""

    unit_id: str
    name: str
    area: str | None
    #: reason codes: ``flag:<colour>``, ``internal``, ``external_unresolved``, ``grant:<DKK>``
    reasons: list[str]
    plans: list[FollowUpPlan] = field(default_factory=list)
    missing: bool = False
    overdue: bool = False


def get_closed_wave(label: str) -> Wave:
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == label))
    if wave is None or wave.status != "closed":
        raise NotFound("no closed wave '%(label)s'", label=label)
    return wave


def wave_report(wave_label: str, questionnaire_id: str) -> dict[str, Any]:
    from survey.services import reporting

    return reporting.report_for(wave_label, questionnaire_id).report


def areas(report: dict[str, Any]) -> dict[str, str]:
    """The top-level subtrees: unit id of each child of the root -> its name."""
    roots = {u["unit_id"] for u in report["units"] if not u.get("parent_id")}
    return {u["unit_id"]: u["name"] for u in report["units"] if u.get("parent_id") in roots}


def area_of(report: dict[str, Any]) -> dict[str, str | None]:
    """unit id -> the top-level subtree it belongs to (None for the root)."""
    parent = {u["unit_id"]: u.get("parent_id") for u in report["units"]}
    tops = set(areas(report))
    out: dict[str, str | None] = {}
    for uid in parent:
        cur: str | None = uid
        while cur is not None and cur not in tops:
            cur = parent.get(cur)
        out[uid] = cur
    return out


def needs(report: dict[str, Any], grants: dict[str, int]) -> dict[str, list[str]]:
    """unit id -> why it needs follow-up, for every published unit that does (report order)."""
    published = {u["unit_id"] for u in report["units"] if u.get("published")}
    out: dict[str, list[str]] = {}
    for row in report["funding"]:
        reasons: list[str] = []
        if row.get("low_score"):
            reasons.append(f"flag:{row['low_score']}")
        if row.get("internal"):
            reasons.append("internal")
        if row.get("external_unresolved"):
            reasons.append("external_unresolved")
        if grants.get(row["unit_id"], 0) > 0:
            reasons.append(f"grant:{grants[row['unit_id']]}")
        if reasons:
            out[row["unit_id"]] = reasons
    for uid, amount in grants.items():
        if amount > 0 and uid in published and uid not in out:
            out[uid] = [f"grant:{amount}"]
    return out


def plans_for(
    wave: Wave, questionnaire_id: str, unit_ids: Collection[str] | None = None
) -> list[FollowUpPlan]:
    query = sa.select(FollowUpPlan).where(
        FollowUpPlan.wave_id == wave.id, FollowUpPlan.questionnaire_id == questionnaire_id
    )
    if unit_ids is not None:
        query = query.where(FollowUpPlan.unit_id.in_(sorted(unit_ids)))
    return list(db.session.scalars(query.order_by(FollowUpPlan.due_on, FollowUpPlan.id)))


def is_overdue(plan: FollowUpPlan, today: dt.date) -> bool:
    return plan.status != "done" and plan.due_on < today


def tracker(
    wave_label: str,
    questionnaire_id: str,
    *,
    visible: Collection[str] | None = None,
    area: str | None = None,
    today: dt.date | None = None,
) -> list[TrackerRow]:
    """The units that need follow-up (within ``visible``, None = all; within ``area`` when given)."""
    from survey.services.funding import locked_grants

    wave = get_closed_wave(wave_label)
    report = wave_report(wave_label, questionnaire_id)
    today = today or dt.date.today()
    names = {u["unit_id"]: u["name"] for u in report["units"]}
    top = area_of(report)
    if area is not None and area not in areas(report):
        raise NotFound(
            "no area '%(area)s'; choose one of %(choices)s",
            area=area,
            choices=", ".join(sorted(areas(report))),
        )
    need = needs(report, locked_grants(wave.id, questionnaire_id))
    plans: dict[str, list[FollowUpPlan]] = {}
    for plan in plans_for(wave, questionnaire_id, visible):
        plans.setdefault(plan.unit_id, []).append(plan)
    rows: list[TrackerRow] = []
    for uid, reasons in need.items():
        if visible is not None and uid not in visible:
            continue
        if area is not None and top.get(uid) != area:
            continue
        own = plans.get(uid, [])
        rows.append(
            TrackerRow(
                unit_id=uid,
                name=names.get(uid, uid),
                area=top.get(uid),
                reasons=reasons,
                plans=own,
                missing=not own,
                overdue=any(is_overdue(p, today) for p in own),
            )
        )
    return rows


def _clean(what: str, owner: str, status: str, evaluation: str) -> tuple[str, str, str, str]:
    what, owner, evaluation = what.strip(), owner.strip(), (evaluation or "").strip()
    if not what:
        raise ServiceError("say what will be done (the action is empty)")
    if not owner:
        raise ServiceError("name who is responsible (the owner is empty)")
    if status not in FOLLOWUP_STATUSES:
        raise ServiceError(
            "status must be one of %(choices)s, got '%(given)s'",
            choices=", ".join(FOLLOWUP_STATUSES),
            given=status,
        )
    if len(what) > MAX_TEXT or len(evaluation) > MAX_TEXT or len(owner) > 200:
        raise ServiceError(
            "a text is too long (at most %(max)s characters; the owner at most 200)",
            max=MAX_TEXT,
        )
    return what, owner, status, evaluation


def add_plan(
    wave_label: str,
    questionnaire_id: str,
    unit_id: str,
    *,
    what: str,
    owner: str,
    due_on: dt.date,
    status: str = "planned",
    evaluation: str = "",
    actor: str,
) -> FollowUpPlan:
    """Record an action plan for a unit after a wave."""
    what, owner, status, evaluation = _clean(what, owner, status, evaluation)
    session = db.session
    try:
        wave = get_closed_wave(wave_label)
        if questionnaire_id not in {wq.questionnaire_id for wq in wave.questionnaires}:
            raise NotFound(
                "wave '%(wave_label)s' does not run questionnaire '%(questionnaire_id)s'",
                wave_label=wave_label,
                questionnaire_id=questionnaire_id,
            )
        from survey.models import Unit

        if session.get(Unit, unit_id) is None:
            raise NotFound("no unit '%(unit_id)s'", unit_id=unit_id)
        plan = FollowUpPlan(
            wave_id=wave.id,
            questionnaire_id=questionnaire_id,
            unit_id=unit_id,
            what=what,
            owner=owner,
            due_on=due_on,
            status=status,
            evaluation=evaluation,
            updated_at=utcnow(),
            updated_by=actor,
        )
        session.add(plan)
        session.flush()
        audit.record(
            "followup.plan.add", target=f"plan {plan.id}", detail=f"wave={wave_label} unit={unit_id}"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return plan


def get_plan(plan_id: int) -> FollowUpPlan:
    plan = db.session.get(FollowUpPlan, plan_id)
    if plan is None:
        raise NotFound("no follow-up plan %(plan_id)s", plan_id=plan_id)
    return plan


def update_plan(
    plan_id: int, *, what: str, owner: str, due_on: dt.date, status: str, evaluation: str, actor: str
) -> FollowUpPlan:
    """Change a plan (its unit and wave stay)."""
    what, owner, status, evaluation = _clean(what, owner, status, evaluation)
    session = db.session
    try:
        plan = get_plan(plan_id)
        plan.what, plan.owner, plan.due_on, plan.status, plan.evaluation = (
            what,
            owner,
            due_on,
            status,
            evaluation,
        )
        plan.updated_at, plan.updated_by = utcnow(), actor
        audit.record(
            "followup.plan.update", target=f"plan {plan.id}", detail=f"unit={plan.unit_id} status={status}"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return plan
