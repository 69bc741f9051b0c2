"""Views of the follow-up tracker. Parse, check access, call one service, render; no commit here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.auth import role_required, visible_unit_ids
from survey.followup import ROLES, bp
from survey.followup.forms import PlanForm, status_choices
from survey.i18n import service_text
from survey.models_funding import FollowUpPlan
from survey.services import NotFound, ServiceError
from survey.services import followup as svc
from survey.services.funding import closed_wave_questionnaires


def _visible(wave: str, qid: str) -> set[str] | None:
    """The units the current user may follow up after ``wave``: None = all (HR, admin, committee).

    A manager's subtree is taken from the tree the wave's report was published with, as on the report
    pages (``reporting.report_subtree``): a later move of a unit in today's tree neither shows a manager
    the reasons of a unit they could never see in the report nor hides one of their own.
    """
    visible = visible_unit_ids(current_user)
    if visible is None or getattr(current_user, "role", None) != "manager":
        return visible
    try:
        report = svc.wave_report(wave, qid)
    except (NotFound, ServiceError):
        return set()  # no published report: nothing to follow up
    from survey.services import reporting

    return reporting.report_subtree(report, current_user.manager_unit_id)


def _may_see(wave: str, qid: str, unit_id: str) -> bool:
    visible = _visible(wave, qid)
    return visible is None or unit_id in visible


def _reason_labels() -> dict[str, str]:
    return {
        "red": _("red theme"),
        "orange": _("orange theme"),
        "yellow": _("yellow theme"),
        "internal": _("internal harassment"),
        "external_unresolved": _("unresolved external harassment"),
    }


def reason_text(code: str) -> str:
    labels = _reason_labels()
    if code.startswith("flag:"):
        return labels.get(code[5:], code[5:])
    if code.startswith("grant:"):
        from survey.committee.views import dkk

        return _("grant of %(amount)s DKK", amount=dkk(int(code[6:])))
    return labels.get(code, code)


def status_text(status: str) -> str:
    return dict(status_choices()).get(status, status)


@bp.get("/")
@role_required(*ROLES)
def index() -> Any:
    choices = closed_wave_questionnaires()
    wave, qid = request.args.get("wave"), request.args.get("q")
    if "|" in request.args.get("wq", ""):  # the page's own selector: "<wave>|<questionnaire>"
        wave, qid = request.args["wq"].split("|", 1)
    wave = wave or (choices[0][0] if choices else None)
    qid = qid or next((q for w, q in choices if w == wave), None)
    area = request.args.get("area") or None
    rows: list[svc.TrackerRow] = []
    area_names: dict[str, str] = {}
    error = None
    if wave and qid:
        if (wave, qid) not in choices:
            abort(404)
        try:
            area_names = svc.areas(svc.wave_report(wave, qid))
            rows = svc.tracker(wave, qid, visible=_visible(wave, qid), area=area)
        except NotFound:
            abort(404)
        except ServiceError as err:
            error = service_text(err)
    return render_template(
        "followup/index.html",
        choices=choices,
        wave=wave,
        qid=qid,
        area=area,
        area_names=area_names,
        rows=rows,
        error=error,
        reason_text=reason_text,
        status_text=status_text,
        today=dt.date.today(),
        missing=sum(1 for r in rows if r.missing),
        overdue=sum(1 for r in rows if r.overdue),
    )


def _unit_page(wave: str, qid: str, unit_id: str, form: PlanForm, status: int = 200) -> tuple[str, int]:
    from survey.extensions import db
    from survey.models import Unit

    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    try:
        w = svc.get_closed_wave(wave)
    except NotFound:
        abort(404)
    plans = svc.plans_for(w, qid, [unit_id])
    return render_template(
        "followup/unit.html",
        wave=wave,
        qid=qid,
        unit=unit,
        plans=plans,
        form=form,
        status_text=status_text,
        today=dt.date.today(),
        is_overdue=svc.is_overdue,
    ), status


@bp.route("/<wave>/<qid>/enhed/<unit_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def unit_page(wave: str, qid: str, unit_id: str) -> Any:
    if not _may_see(wave, qid, unit_id):
        abort(403)
    form = PlanForm()
    form.status.choices = status_choices()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _unit_page(wave, qid, unit_id, form, 400)
        try:
            svc.add_plan(
                wave,
                qid,
                unit_id,
                what=form.what.data or "",
                owner=form.owner.data or "",
                due_on=form.due_on.data or dt.date.today(),
                status=form.status.data or "planned",
                evaluation=form.evaluation.data or "",
                actor=current_user.email,
            )
        except NotFound:
            abort(404)
        except ServiceError as err:
            flash(service_text(err), "error")
            return _unit_page(wave, qid, unit_id, form, 400)
        flash(_("Action plan saved."), "info")
        return redirect(url_for("followup.unit_page", wave=wave, qid=qid, unit_id=unit_id))
    return _unit_page(wave, qid, unit_id, form)


def _plan(plan_id: int) -> FollowUpPlan:
    try:
        plan = svc.get_plan(plan_id)
    except NotFound:
        abort(404)
    from survey.extensions import db
    from survey.models import Wave

    wave = db.session.get(Wave, plan.wave_id)
    if wave is None or not _may_see(wave.label, plan.questionnaire_id, plan.unit_id):
        abort(403)
    return plan


@bp.route("/plan/<int:plan_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def plan_page(plan_id: int) -> Any:
    plan = _plan(plan_id)
    from survey.extensions import db
    from survey.models import Wave

    wave = db.session.get(Wave, plan.wave_id)
    assert wave is not None
    form = PlanForm(obj=plan)
    form.status.choices = status_choices()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                svc.update_plan(
                    plan.id,
                    what=form.what.data or "",
                    owner=form.owner.data or "",
                    due_on=form.due_on.data or plan.due_on,
                    status=form.status.data or "planned",
                    evaluation=form.evaluation.data or "",
                    actor=current_user.email,
                )
            except ServiceError as err:
                flash(service_text(err), "error")
            else:
                flash(_("Action plan saved."), "info")
                return redirect(
                    url_for(
                        "followup.unit_page", wave=wave.label, qid=plan.questionnaire_id, unit_id=plan.unit_id
                    )
                )
        return render_template("followup/plan.html", plan=plan, wave=wave.label, form=form), 400
    return render_template("followup/plan.html", plan=plan, wave=wave.label, form=form)
