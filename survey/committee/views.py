"""Views of the committee pages. Parse, check the role, call one service, render; no commit here."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from analysis.csvio import InputError
from survey.auth import role_required
from survey.committee import ACT_ROLES, READ_ROLES, bp, memo
from survey.committee.evidence import theme_names, unit_evidence
from survey.committee.forms import (
    ActionForm,
    ApplicationForm,
    ImportForm,
    OverrideForm,
    RoundForm,
    SettingsForm,
)
from survey.forms_numbers import show_number
from survey.i18n import current_language, readable, service_text, with_reason
from survey.models_funding import FundingDecision, FundingRound
from survey.services import NotFound, ServiceError
from survey.services import funding as svc


def _round(round_id: int) -> FundingRound:
    try:
        return svc.get_round(round_id)
    except NotFound:
        abort(404)


def _can_act() -> bool:
    return current_user.is_authenticated and current_user.role in ACT_ROLES


def dkk(value: Any, decimals: int = 0) -> str:
    """A DKK amount in the page's language (71.000 / 71,000)."""
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else "")))


@bp.app_template_filter("committee_number")
def _number_filter(value: Any) -> str:
    """A decimal number (beta) in the page's format: 0.5 -> 0,5 on a Danish page."""
    return show_number(value) or "–"


@bp.app_template_filter("committee_dkk")
def _dkk_filter(value: Any, decimals: int = 0) -> str:
    return dkk(value, decimals)


def explanation(grant: dict[str, Any]) -> str:
    """The grant's explanation in the page's language, as people read it: the allocation names units and
    themes by id ("orange tema ledelse ... Bemærk: AEL-HJE, AEL får også tilskud"); the page shows the
    unit's name and the theme's title instead."""
    text = str(grant.get("explanation_da") if current_language() == "da" else grant.get("explanation"))
    return readable(text)


def _round_questionnaires(rnd: FundingRound) -> list[Any]:
    from survey.services import dataset

    label = svc.wave_label(rnd)
    return [dataset.wave_questionnaire(label, qid) for qid in svc.round_questionnaires(rnd)]


def questionnaire_titles(rnd: FundingRound) -> str:
    """The titles of the questionnaires a round's criteria come from, in the page's language."""
    from survey.services import dataset

    lang = current_language()
    label = svc.wave_label(rnd)
    titles = []
    for qid in svc.round_questionnaires(rnd):
        try:
            titles.append(str(dataset.wave_questionnaire(label, qid).title.get(lang)))
        except ServiceError:
            titles.append(qid)
    return ", ".join(titles)


@bp.app_template_global("committee_questionnaires")
def _questionnaires_global(rnd: FundingRound) -> str:
    return questionnaire_titles(rnd)


@bp.app_template_global("committee_explanation")
def _explanation_global(grant: dict[str, Any]) -> str:
    return explanation(grant)


def refusal_text(err: svc.OverrideRefused) -> str:
    """An :class:`~survey.services.funding.OverrideRefused` in the page's language, with its numbers."""
    p = err.params
    if err.code == "duplicate":
        return _(
            "%(unit)s already has an override of %(amount)s DKK Remove it in the list above first if "
            "the committee wants another amount.",
            unit=p["unit_id"],
            amount=dkk(p["amount"]),
        )
    if err.code == "not_candidate":
        if p.get("with_applications"):
            return _(
                "%(unit)s has no application in this round, so there is no grant to fix. Add its "
                "application first, or choose a unit that has applied.",
                unit=p["unit_id"],
            )
        return _(
            "%(unit)s is not a candidate in this round (it meets no criterion, or a unit below it is "
            "funded instead), so there is no grant to fix. Choose a unit from the allocation.",
            unit=p["unit_id"],
        )
    if err.code == "above_budget":
        return _(
            "The overrides would add up to %(total)s DKK, more than the budget of %(budget)s DKK "
            "At most %(room)s DKK is left for this override; lower the amount or raise the budget.",
            total=dkk(p["total"]),
            budget=dkk(p["budget"]),
            room=dkk(p["room"]),
        )
    if err.code == "budget_below_overrides":
        return _(
            "The overrides already add up to %(total)s DKK, more than a budget of %(budget)s DKK "
            "Lower or remove overrides first, or keep a budget of at least %(total)s DKK",
            total=dkk(p["total"]),
            budget=dkk(p["budget"]),
        )
    if err.code == "application_overridden":
        return _(
            "%(unit)s has an override, so its application %(application)s cannot be deleted. Remove "
            "the override first.",
            unit=p["unit_id"],
            application=p["application_id"],
        )
    return str(service_text(err))


def _unit_choices() -> list[tuple[str, str]]:
    """The units by name (with the parent where names repeat), never the internal id, sorted by name."""
    from survey.services.units import unit_labels

    return sorted(unit_labels().items(), key=lambda kv: kv[1])


def _open_wave_choices() -> list[tuple[str, str]]:
    """The closed waves that have no funding round yet (one round per wave), newest first."""
    taken = {svc.wave_label(r) for r in svc.list_rounds()}
    return [(w, w) for w in svc.closed_waves() if w not in taken]


@bp.get("/")
@role_required(*READ_ROLES)
def index() -> str:
    form = RoundForm()
    form.wave.choices = _open_wave_choices()
    return render_template(
        "committee/index.html",
        rounds=svc.list_rounds(),
        form=form,
        can_act=_can_act(),
        wave_label=svc.wave_label,
    )


@bp.post("/")
@role_required(*ACT_ROLES)
def create_round() -> Any:
    form = RoundForm()
    form.wave.choices = _open_wave_choices()
    if not form.validate_on_submit():
        return render_template(
            "committee/index.html",
            rounds=svc.list_rounds(),
            form=form,
            can_act=True,
            wave_label=svc.wave_label,
        ), 400
    try:
        rnd = svc.create_round(
            str(form.wave.data), int(form.budget.data or 0), form.cap.data, float(form.beta.data or 0)
        )
    except ServiceError as err:
        flash(service_text(err), "error")
        return render_template(
            "committee/index.html",
            rounds=svc.list_rounds(),
            form=form,
            can_act=True,
            wave_label=svc.wave_label,
        ), 400
    return redirect(url_for("committee.round_page", round_id=rnd.id))


def _render_round(rnd: FundingRound, status: int = 200, **forms: Any) -> tuple[str, int]:
    units = _unit_choices()
    # the forms that were not submitted start empty (formdata=None: not from this request's POST), the
    # settings form with the round's values
    app_form = forms.get("app_form") or ApplicationForm(formdata=None, prefix="app")
    app_form.unit_id.choices = units
    ov_form = forms.get("ov_form") or OverrideForm(formdata=None, prefix="ov")
    ov_form.unit_id.choices = units
    settings_form = forms.get("settings_form") or SettingsForm(
        formdata=None, prefix="set", budget=rnd.budget, cap=rnd.cap, beta=rnd.beta
    )
    report_error = None
    criteria: list[dict[str, Any]] = []
    evidence: dict[str, list[tuple[str, str]]] = {}
    try:
        report = svc.round_report(rnd)
        criteria = svc.criteria_rows(report)
        evidence = unit_evidence(report, theme_names(_round_questionnaires(rnd), current_language()))
    except ServiceError as err:
        report_error = service_text(err)
    latest = svc.latest_decision(rnd)
    return render_template(
        "committee/round.html",
        rnd=rnd,
        wave=svc.wave_label(rnd),
        criteria=criteria,
        report_error=report_error,
        evidence=evidence,
        decision=latest,
        changed=latest is not None and svc.inputs_changed(rnd, latest),
        leftover=memo.leftover_sentences(latest) if latest is not None else [],
        can_act=_can_act(),
        app_form=app_form,
        import_form=forms.get("import_form") or ImportForm(formdata=None, prefix="imp"),
        ov_form=ov_form,
        settings_form=settings_form,
        action_form=ActionForm(),
        fmt_when=svc.fmt_when,
    ), status


@bp.get("/runde/<int:round_id>")
@role_required(*READ_ROLES)
def round_page(round_id: int) -> Any:
    return _render_round(_round(round_id))


@bp.post("/runde/<int:round_id>/indstillinger")
@role_required(*ACT_ROLES)
def update_settings(round_id: int) -> Any:
    rnd = _round(round_id)
    form = SettingsForm(prefix="set")
    if not form.validate_on_submit():
        return _render_round(rnd, 400, settings_form=form)
    try:
        svc.update_round(rnd.id, int(form.budget.data or 0), form.cap.data, float(form.beta.data or 0))
    except svc.OverrideRefused as err:
        form.budget.errors = [*form.budget.errors, refusal_text(err)]
        return _render_round(rnd, 400, settings_form=form)
    except ServiceError as err:
        flash(service_text(err), "error")
        return _render_round(rnd, 400, settings_form=form)
    flash(_("Budget, cap and beta saved."), "info")
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/ansoegninger")
@role_required(*ACT_ROLES)
def add_application(round_id: int) -> Any:
    rnd = _round(round_id)
    form = ApplicationForm(prefix="app")
    form.unit_id.choices = _unit_choices()
    if not form.validate_on_submit():
        return _render_round(rnd, 400, app_form=form)
    try:
        svc.add_application(
            rnd.id,
            form.application_id.data or "",
            form.unit_id.data or "",
            int(form.requested.data or 0),
            form.themes.data or "",
            form.description.data or "",
            form.med_area.data or "",
        )
    except ServiceError as err:
        flash(service_text(err), "error")
        return _render_round(rnd, 400, app_form=form)
    flash(_("Application saved."), "info")
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/ansoegninger/import")
@role_required(*ACT_ROLES)
def import_applications(round_id: int) -> Any:
    rnd = _round(round_id)
    form = ImportForm(prefix="imp")
    if not form.validate_on_submit():
        return _render_round(rnd, 400, import_form=form)
    upload = form.file.data
    name = upload.filename or "applications.csv"
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("%(name)s is not UTF-8 text; save it as CSV (UTF-8) and try again.", name=name), "error")
        return _render_round(rnd, 400, import_form=form)
    try:
        count = svc.import_applications(rnd.id, name, text)
    except (InputError, ServiceError) as err:
        flash(with_reason(_("Nothing was imported: %(error)s"), err, "error"), "error")
        return _render_round(rnd, 400, import_form=form)
    flash(_("%(count)d applications imported.", count=count), "info")
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/ansoegninger/<application_id>/slet")
@role_required(*ACT_ROLES)
def delete_application(round_id: int, application_id: str) -> Any:
    rnd = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.delete_application(rnd.id, application_id)
    except NotFound:
        abort(404)
    except svc.OverrideRefused as err:
        flash(refusal_text(err), "error")
        return _render_round(rnd, 400)
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/overstyringer")
@role_required(*ACT_ROLES)
def set_override(round_id: int) -> Any:
    rnd = _round(round_id)
    form = OverrideForm(prefix="ov")
    form.unit_id.choices = _unit_choices()
    if not form.validate_on_submit():
        return _render_round(rnd, 400, ov_form=form)
    try:
        svc.set_override(rnd.id, form.unit_id.data or "", int(form.amount.data or 0), form.reason.data or "")
    except svc.OverrideRefused as err:
        target = form.amount if err.field == "amount" else form.unit_id
        target.errors = [*target.errors, refusal_text(err)]
        return _render_round(rnd, 400, ov_form=form)
    except ServiceError as err:
        flash(service_text(err), "error")
        return _render_round(rnd, 400, ov_form=form)
    flash(_("Override saved. Run the allocation to use it."), "info")
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/overstyringer/<unit_id>/slet")
@role_required(*ACT_ROLES)
def remove_override(round_id: int, unit_id: str) -> Any:
    rnd = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.remove_override(rnd.id, unit_id)
    except NotFound:
        abort(404)
    return redirect(url_for("committee.round_page", round_id=rnd.id))


@bp.post("/runde/<int:round_id>/koer")
@role_required(*ACT_ROLES)
def run(round_id: int) -> Any:
    rnd = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        decision = svc.run_allocation(rnd.id, current_user.email)
    except ServiceError as err:
        flash(with_reason(_("The allocation was not run: %(error)s"), err, "error"), "error")
        return _render_round(rnd, 400)
    return redirect(url_for("committee.version_page", round_id=rnd.id, version=decision.version))


def _safe_svg(svg: str | None) -> Markup | None:
    """vl-convert's SVG for inline use: the chart's text comes from applications (escaped by Vega as XML
    text); the XML prolog is dropped and the picture is hidden from screen readers (the table says it)."""
    if svg is None:
        return None
    start = svg.find("<svg")
    return Markup(svg[start:].replace("<svg", '<svg aria-hidden="true" focusable="false"', 1))


def _decision(rnd: FundingRound, version: int) -> FundingDecision:
    try:
        return svc.get_decision(rnd, version)
    except NotFound:
        abort(404)


@bp.get("/runde/<int:round_id>/version/<int:version>")
@role_required(*READ_ROLES)
def version_page(round_id: int, version: int) -> Any:
    rnd = _round(round_id)
    decision = _decision(rnd, version)
    return render_template(
        "committee/version.html",
        rnd=rnd,
        wave=svc.wave_label(rnd),
        decision=decision,
        memo_rows=memo.grant_rows(decision),
        leftover=memo.leftover_sentences(decision),
        areas=memo.area_rows(decision),
        area_sentence=memo.area_sentence,
        themes=memo.theme_counts(decision),
        theme_chart=_safe_svg(memo.theme_chart_svg(decision)),
        can_act=_can_act(),
        action_form=ActionForm(),
        fmt_when=svc.fmt_when,
    )


@bp.post("/runde/<int:round_id>/version/<int:version>/laas")
@role_required(*ACT_ROLES)
def lock(round_id: int, version: int) -> Any:
    rnd = _round(round_id)
    _decision(rnd, version)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.lock_decision(rnd.id, version, current_user.email)
    except ServiceError as err:
        flash(service_text(err), "error")
    else:
        flash(_("Version %(version)d is locked.", version=version), "info")
    return redirect(url_for("committee.version_page", round_id=rnd.id, version=version))


@bp.get("/runde/<int:round_id>/version/<int:version>/notat.xlsx")
@role_required(*READ_ROLES)
def memo_xlsx(round_id: int, version: int) -> Response:
    rnd = _round(round_id)
    decision = _decision(rnd, version)
    data = memo.build_xlsx(rnd, svc.wave_label(rnd), decision)
    return _download(
        data,
        f"udvalg-{svc.wave_label(rnd)}-v{version}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.get("/runde/<int:round_id>/version/<int:version>/notat.pdf")
@role_required(*READ_ROLES)
def memo_pdf(round_id: int, version: int) -> Response:
    rnd = _round(round_id)
    decision = _decision(rnd, version)
    data = memo.build_pdf(rnd, svc.wave_label(rnd), decision)
    return _download(data, f"udvalg-{svc.wave_label(rnd)}-v{version}.pdf", "application/pdf")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
