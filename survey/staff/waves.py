"""Running a wave (roles ``hr`` and ``admin``): create, import units and invitation lists, open, send links
and reminders, print code slips, follow participation, close, and import an earlier vendor's wave.

Every write goes through a service, which owns the transaction and the audit event; a view parses the form,
calls the service and renders. An error shows its message on the page and changes nothing.
Uploaded files are written to a private temporary folder under their own (sanitised) name, so error
messages name the file, line and column the way the command-line tools do, and are deleted at once.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

import questionnaires
from analysis.csvio import InputError
from questionnaires import QuestionnaireError
from survey.auth import role_required
from survey.extensions import db
from survey.i18n import questionnaire_title, with_reason
from survey.models import Unit, Wave
from survey.services import (
    ServiceError,
    codes_pdf,
    dataset,
    invitations,
    mail,
    reporting,
    units,
    waves,
)

from . import HR_ROLES, bp

#: errors a service reports about the request (shown on the page; nothing changed)
USER_ERRORS = (ServiceError, InputError, QuestionnaireError)
MAX_SLIPS = 1000


class UploadMissing(ServiceError):
    pass


@contextmanager
def uploaded(field: str, default_name: str) -> Iterator[Path]:
    """The uploaded file ``field`` saved in a temporary folder (deleted afterwards)."""
    file = request.files.get(field)
    if file is None or not file.filename:
        raise UploadMissing("choose a file to upload (%(name)s)", name=default_name)
    name = secure_filename(file.filename) or default_name
    with tempfile.TemporaryDirectory(prefix="trivsel-upload-") as tmp:
        path = Path(tmp) / name
        file.save(path)
        yield path


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        abort(404)
    return wave


def _unit_names() -> dict[str, str]:
    """Each unit's name as people tell it apart (with its parent where names repeat), never its id."""
    return units.unit_labels()


# --- the waves list and creating a wave -------------------------------------------------------------


def _waves_page(
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
    field_errors: dict[str, str] | None = None,
) -> Any:
    all_waves = list(db.session.scalars(sa.select(Wave).order_by(Wave.id.desc())))
    return (
        render_template(
            "staff/waves.html",
            waves=all_waves,
            rates=invitations.wave_participation(),
            imported=invitations.imported_wave_responses(),
            shipped=questionnaires.shipped_ids(),
            unit_count=db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) or 0,
            error=error,
            field_errors=field_errors or {},
            form=form or {},
        ),
        status,
    )


@bp.get("/hr/waves", endpoint="waves")
@role_required(*HR_ROLES)
def waves_page() -> Any:
    return _waves_page()


def _date(value: str, what: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ServiceError(
            "%(what)s '%(value)s' is not a date; use YYYY-MM-DD", what=what, value=value
        ) from None


@bp.post("/hr/waves")
@role_required(*HR_ROLES)
def create_wave() -> Any:
    form: dict[str, Any] = {
        k: (request.form.get(k) or "").strip() for k in ("label", "baseline", "opens_on", "closes_on")
    }
    form["questionnaires"] = request.form.getlist("questionnaires")
    # the two mistakes a person makes on this form get a message at their field (the service checks again)
    field_errors: dict[str, str] = {}
    if not form["label"]:
        field_errors["label"] = _("Write a label for the wave, for example 2025.")
    if not form["questionnaires"]:
        field_errors[f"q-{questionnaires.shipped_ids()[0]}"] = _("Choose at least one questionnaire.")
    if field_errors:
        return _waves_page(None, form, 422, field_errors)
    try:
        shipped = set(questionnaires.shipped_ids())
        chosen = [q for q in form["questionnaires"] if q in shipped]
        if len(chosen) != len(form["questionnaires"]):
            raise ServiceError("choose questionnaires from the list")
        wave = waves.create_wave(
            form["label"],
            chosen,
            opens_on=_date(form["opens_on"], _("Opens on")),
            closes_on=_date(form["closes_on"], _("Closes on")),
            baseline=form["baseline"] or None,
        )
    except USER_ERRORS as exc:
        return _waves_page(with_reason(_("The wave was not created: %(reason)s"), exc), form, 422)
    flash(_("Wave %(label)s created as a draft.", label=wave.label), "success")
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


# --- units ------------------------------------------------------------------------------------------------


@bp.route("/hr/units", methods=["GET", "POST"])
@role_required(*HR_ROLES)
def units_page() -> Any:
    error = None
    if request.method == "POST":
        try:
            with uploaded("file", "units.csv") as path:
                result = units.import_units(path)
        except USER_ERRORS as exc:
            error = with_reason(_("The unit tree was not changed: %(reason)s"), exc)
        else:
            flash(_("Units imported: %(summary)s.", summary=str(result)), "success")
            return redirect(url_for("staff.units_page"), code=303)
    rows = db.session.execute(
        sa.select(Unit.unit_id, Unit.parent_id, Unit.name, Unit.headcount).order_by(Unit.unit_id)
    ).all()
    return render_template("staff/units.html", units=rows, error=error), (200 if error is None else 422)


# --- one wave -----------------------------------------------------------------------------------------------


def _wave_page(wave: Wave, error: str | None = None, status: int = 200) -> Any:
    rates = invitations.participation(wave.label)
    total = invitations.wave_participation().get(wave.id)
    return (
        render_template(
            "staff/wave.html",
            wave=wave,
            rates=rates,
            total=total,
            names=_unit_names(),
            pending=invitations.pending_link_count(wave.label),
            shipped=questionnaires.shipped_ids(),
            error=error,
            max_slips=MAX_SLIPS,
            k_min=reporting.analysis_settings().k_min,
            slips=invitations.slip_printers(wave.label),
            publications=_publications(wave),
        ),
        status,
    )


def _publications(wave: Wave) -> list[Any]:
    """The stored versions of a closed wave's publications (every questionnaire), oldest first."""
    if wave.status != "closed":
        return []
    return [p for wq in wave.questionnaires for p in reporting.versions(wave, wq.questionnaire_id)]


@bp.get("/hr/waves/<int:wave_id>", endpoint="wave")
@role_required(*HR_ROLES)
def wave_page(wave_id: int) -> Any:
    return _wave_page(_wave(wave_id))


@bp.get("/hr/waves/<int:wave_id>/participation")
@role_required(*HR_ROLES)
def participation(wave_id: int) -> Any:
    """The live participation table alone (the page refreshes itself every 60 seconds)."""
    wave = _wave(wave_id)
    page = render_template(
        "staff/participation.html",
        wave=wave,
        rates=invitations.participation(wave.label),
        total=invitations.wave_participation().get(wave.id),
        names=_unit_names(),
    )
    return page, 200, {"Refresh": "60"}


def _small_units_message(what: str, exc: invitations.SmallUnits) -> str:
    """The refusal of a unit below k_min invitations, in the page's language (names, not ids)."""
    names = _unit_names()
    units = ", ".join(f"{names.get(u, u)} ({n})" for u, n in exc.units[:10])
    reason = _(
        "These units would have fewer than %(k)d invitations: %(units)s. A unit that small is hidden in "
        "every report and never shown apart. Move the people to a larger unit, or tick the box to confirm "
        "that you know the unit will be hidden.",
        k=exc.k_min,
        units=units,
    )
    if what == "codes":
        return _("No codes were made: %(reason)s", reason=reason)
    return _("No invitations were added: %(reason)s", reason=reason)


@bp.post("/hr/waves/<int:wave_id>/invitations")
@role_required(*HR_ROLES)
def import_invitations(wave_id: int) -> Any:
    wave = _wave(wave_id)
    try:
        with uploaded("file", "invitations.csv") as path:
            n = invitations.import_invitation_list(
                wave.label, path, confirm_small=request.form.get("confirm_small") == "yes"
            )
    except invitations.SmallUnits as exc:
        return _wave_page(wave, _small_units_message("invitations", exc), 422)
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("No invitations were added: %(reason)s"), exc), 422)
    flash(_("%(n)d invitations added.", n=n), "success")
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


@bp.post("/hr/waves/<int:wave_id>/open")
@role_required(*HR_ROLES)
def open_wave(wave_id: int) -> Any:
    wave = _wave(wave_id)
    try:
        waves.open_wave(wave.label)
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("The wave was not opened: %(reason)s"), exc), 422)
    flash(_("Wave %(label)s is open for answers.", label=wave.label), "success")
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


@bp.post("/hr/waves/<int:wave_id>/close")
@role_required(*HR_ROLES)
def close_wave(wave_id: int) -> Any:
    wave = _wave(wave_id)
    if request.form.get("confirm") != "yes":
        return _wave_page(wave, _("Tick the box to confirm that the wave should close."), 422)
    try:
        waves.close_wave(wave.label)
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("The wave was not closed: %(reason)s"), exc), 422)
    flash(
        _("Wave %(label)s is closed; the invitations' e-mail addresses are deleted.", label=wave.label),
        "success",
    )
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


@bp.get("/hr/waves/<int:wave_id>/republish")
@role_required(*HR_ROLES)
def republish_confirm(wave_id: int) -> Any:
    """The confirm step of publishing a closed wave's report again: what will change (nothing written)."""
    wave = _wave(wave_id)
    try:
        parts = reporting.republish_plan(wave.label)
    except USER_ERRORS as exc:  # shown on the confirm page, without the form
        error = with_reason(_("The report cannot be published again: %(reason)s"), exc)
        return render_template("staff/republish.html", wave=wave, parts=[], digest="", error=error)
    return render_template("staff/republish.html", wave=wave, parts=parts,
                           digest=reporting.plan_digest(parts))


@bp.post("/hr/waves/<int:wave_id>/republish")
@role_required(*HR_ROLES)
def republish(wave_id: int) -> Any:
    """Publish the closed wave's report again (``reporting.republish``: version rule, audit event)."""
    wave = _wave(wave_id)
    if request.form.get("confirm") != "yes":
        return _wave_page(wave, _("Tick the box to confirm that the report should be published again."), 422)
    try:
        done = reporting.republish(wave.label, expect=request.form.get("expect", ""))
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("The report was not published again: %(reason)s"), exc), 422)
    versions = ", ".join(f"{questionnaire_title(p.questionnaire_id)} {p.version}" for p in done)
    flash(_("The report of wave %(label)s is published again (version %(version)s).", label=wave.label,
            version=versions), "success")
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


def invitation_message(address: str, token: str, *, wave_label: str, reminder: bool) -> EmailMessage:
    """The invitation (or reminder) e-mail, in Danish and English, with the personal link."""
    link = url_for("respond.link", token=token, _external=True)
    code_page = url_for("respond.code_entry", _external=True)
    if reminder:
        subject = f"Påmindelse: trivselsundersøgelse {wave_label} / Reminder: well-being survey"
        intro_da = "Du har endnu ikke svaret på trivselsundersøgelsen. Vi vil gerne høre fra dig."
        intro_en = "You have not answered the well-being survey yet. We would like to hear from you."
    else:
        subject = f"Trivselsundersøgelse {wave_label} / Well-being survey {wave_label}"
        intro_da = "Du er inviteret til at svare på trivselsundersøgelsen."
        intro_en = "You are invited to answer the well-being survey."
    body = (
        f"{intro_da}\n\n"
        f"Dit personlige link:\n{link}\n\n"
        "Linket virker én gang og erstatter et link, du evt. har fået før. Dine svar er anonyme: "
        "de gemmes uden dit navn, din e-mail og dette link, og ingen kan se, hvad du har svaret.\n"
        f"(Har du fået en kode i stedet, så skriv den på {code_page}.)\n\n"
        "----\n\n"
        f"{intro_en}\n\n"
        f"Your personal link:\n{link}\n\n"
        "The link works once and replaces any link you received earlier. Your answers are anonymous: "
        "they are stored without your name, your e-mail address and this link, and no one can see "
        "what you answered.\n"
    )
    return mail.build_message(address, subject, body)


@bp.post("/hr/waves/<int:wave_id>/send")
@role_required(*HR_ROLES)
def send(wave_id: int) -> Any:
    wave = _wave(wave_id)
    reminder = request.form.get("kind") == "reminder"
    label = wave.label
    try:
        n = invitations.send_links(
            label, lambda a, t: invitation_message(a, t, wave_label=label, reminder=reminder)
        )
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("Sending stopped: %(reason)s"), exc), 422)
    if reminder:
        flash(_("%(n)d reminders sent (only to invitations not used yet).", n=n), "success")
    else:
        flash(_("%(n)d invitations sent.", n=n), "success")
    return redirect(url_for("staff.wave", wave_id=wave.id), code=303)


@bp.post("/hr/waves/<int:wave_id>/codes")
@role_required(*HR_ROLES)
def code_slips(wave_id: int) -> Any:
    wave = _wave(wave_id)
    unit_id = (request.form.get("unit_id") or "").strip()
    raw = (request.form.get("count") or "").strip()
    try:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_SLIPS:
            raise ServiceError(
                "the number of slips must be a whole number from 1 to %(max)d", max=MAX_SLIPS
            )
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise ServiceError("choose a unit from the list")
        pdf = codes_pdf.code_slips_pdf(
            wave.label,
            unit_id,
            int(raw),
            unit_name=unit.name,
            code_url=url_for("respond.code_entry", _external=True),
            link_base=url_for("respond.link", token="", _external=True),
            confirm_small=request.form.get("confirm_small") == "yes",
        )
    except invitations.SmallUnits as exc:
        return _wave_page(wave, _small_units_message("codes", exc), 422)
    except USER_ERRORS as exc:
        return _wave_page(wave, with_reason(_("No codes were made: %(reason)s"), exc), 422)
    filename = secure_filename(f"codes-{wave.label}-{unit_id}.pdf") or "codes.pdf"
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- an earlier wave from another vendor ------------------------------------------------------------


@bp.route("/hr/import", methods=["GET", "POST"])
@role_required(*HR_ROLES)
def vendor_import() -> Any:
    error = None
    questionnaire = (request.form.get("questionnaire") or "").strip()
    if request.method == "POST":
        try:
            if questionnaire not in questionnaires.shipped_ids():
                raise ServiceError("choose a questionnaire from the list")
            with uploaded("file", "responses.csv") as path:
                summary = dataset.import_responses(path, questionnaire)
        except USER_ERRORS as exc:
            error = with_reason(_("Nothing was imported: %(reason)s"), exc)
        else:
            flash(
                _(
                    "%(n)d responses imported into wave(s) %(waves)s.",
                    n=summary.total,
                    waves=", ".join(summary.rows_per_wave),
                ),
                "success",
            )
            return redirect(url_for("staff.waves"), code=303)
    return (
        render_template(
            "staff/import.html",
            shipped=questionnaires.shipped_ids(),
            questionnaire=questionnaire,
            error=error,
        ),
        200 if error is None else 422,
    )
