"""Views of the annual work-environment report. Parse, check access, call one service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from analysis.csvio import InputError
from survey.annual import ROLES, bp, render
from survey.auth import role_required
from survey.i18n import current_language, service_text
from survey.services import NotFound, ServiceError
from survey.services import workenv as svc

KINDS = ("absence", "spells", "incidents", "reactions")


def _year_choices() -> list[int]:
    from survey.services.funding import closed_wave_questionnaires

    years = set(svc.years_with_data())
    years |= {int(w) for w, _q in closed_wave_questionnaires() if w.isdigit() and 1990 <= int(w) <= 2100}
    return sorted(years, reverse=True)


def _args() -> tuple[int, str | None, str | None]:
    choices = _year_choices()
    raw = request.args.get("year") or (str(choices[0]) if choices else str(dt.date.today().year))
    if not raw.isdigit() or not 1990 <= int(raw) <= 2100:
        abort(404)
    area = request.args.get("area") or None
    rolling = request.args.get("rolling") or None
    if rolling is not None and rolling != "1":
        abort(404)
    return int(raw), area, rolling


def _report(year: int, area: str | None, rolling: str | None) -> dict[str, Any]:
    end = None
    if rolling:
        end = svc.latest_month()
        if end is None:
            abort(404)
    try:
        return svc.annual_report(year, area, rolling=end)
    except NotFound:
        abort(404)


@bp.get("/")
@role_required(*ROLES)
def index() -> Any:
    year, area, rolling = _args()
    lang = current_language()
    error = None
    report = None
    try:
        report = _report(year, area, rolling)
    except ServiceError as err:
        error = service_text(err)
    return render_template(
        "annual/index.html",
        year=year,
        area=area,
        rolling=rolling,
        years=_year_choices(),
        areas=svc.areas(),
        report=report,
        sections=render.sections(report, lang) if report else [],
        title=render.title(report, lang) if report else _("Annual work-environment report"),
        cell=lambda s, i, j: render.cell_text(s, i, j, lang),
        questions=render.dialogue_questions(lang),
        error=error,
    )


def _download(kind: str) -> Any:
    year, area, rolling = _args()
    lang = current_language()
    try:
        report = _report(year, area, rolling)
    except ServiceError as err:
        return render_template("annual/message.html", message=service_text(err)), 400
    name = f"arbejdsmiljoe-{report['period']['label']}{'-' + area if area else ''}"
    if kind == "pdf":
        body, mime = render.pdf(report, lang), "application/pdf"
    else:
        body = render.xlsx(report, lang)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from survey.services.reporting import log_access

    log_access(f"annual.export.{kind}", target=f"{year} {area or 'all'}")
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{secure_filename(name)}.{kind}"'},
    )


@bp.get("/rapport.pdf")
@role_required(*ROLES)
def report_pdf() -> Any:
    return _download("pdf")


@bp.get("/rapport.xlsx")
@role_required(*ROLES)
def report_xlsx() -> Any:
    return _download("xlsx")


def _upload(field: str) -> tuple[str, bytes] | None:
    file = request.files.get(field)
    if file is None or not file.filename:
        return None
    return secure_filename(file.filename) or f"{field}.csv", file.read(svc.MAX_UPLOAD + 1)


@bp.route("/import", methods=["GET", "POST"])
@role_required(*ROLES)
def import_page() -> Any:
    kind = request.form.get("kind", "absence") if request.method == "POST" else "absence"
    error = None
    if request.method == "POST":
        if kind not in KINDS:
            abort(400)
        main = _upload("file")
        staff = _upload("staff")
        try:
            if main is None:
                raise ServiceError("Choose the file to import.")
            if kind == "absence":
                summary = svc.import_absence(main)
            elif kind == "spells":
                if staff is None:
                    raise ServiceError("A spells file needs its staffing file (staff.csv) as well.")
                summary = svc.import_spells(main, staff)
            elif kind == "incidents":
                summary = svc.import_incidents(main)
            else:
                summary = svc.import_reactions(main)
        except (InputError, ServiceError) as err:
            error = service_text(err)
        else:
            flash(
                _(
                    "Imported %(rows)d rows for %(first)s–%(last)s.",
                    rows=summary.rows,
                    first=summary.periods[0],
                    last=summary.periods[-1],
                ),
                "info",
            )
            return redirect(url_for("annual.import_page"))
    return render_template("annual/import.html", kind=kind, kinds=KINDS, error=error), 400 if error else 200


@bp.get("/<int:year>/dialog/<unit_id>")
@role_required(*ROLES)
def dialogue(year: int, unit_id: str) -> Any:
    if not 1990 <= year <= 2100:
        abort(404)
    lang = current_language()
    try:
        report = svc.annual_report(year)
    except ServiceError as err:
        return render_template("annual/message.html", message=service_text(err)), 400
    unit = next((u for u in report["units"] if u["unit_id"] == unit_id), None)
    if unit is None:
        abort(404)
    return render_template(
        "annual/dialogue.html",
        year=year,
        unit=unit,
        lines=render.dialogue_lines(report, unit, lang),
        questions=render.dialogue_questions(lang),
    )
