"""The trend page ``/rapporter/udvikling?unit=U&q=Q`` (issue 13, item 3): per theme, a unit's published
mean in every closed wave of a questionnaire, oldest first, with the class of each consecutive change.

Every number is read from the waves' **published** reports (:func:`survey.services.reporting.report_for`,
which for a closed wave is its stored publication); nothing is computed here. A change is the one the
later wave's report published against its baseline, shown only when that baseline is the wave before it in
the series; otherwise the step says "no comparison". Contract 5.4: when the unit's leaf set (the unit and
its descendants) differs between the two waves' published trees, the step is "not comparable", whatever the
change row says. Roles as the unit page: HR and admin every unit, a manager their own subtree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from analysis import texts
from survey.auth import role_required
from survey.i18n import current_language
from survey.services import NotFound, ServiceError, reporting

from . import bp

ROLES = ("admin", "hr", "manager")


def _series(qid: str | None, lang: str) -> tuple[dict[str, str], str | None, list[reporting.WaveReport]]:
    """(titles of the closed waves' questionnaires by id, the chosen id, its published reports oldest
    first). A title is the newest closed wave's snapshot's, in ``lang`` (the selector shows no ids)."""
    from survey.services import dataset

    waves = [w for w in reversed(reporting.reportable_waves()) if w.status == "closed"]
    qids: dict[str, str] = {}
    for w in reversed(waves):  # newest wave's questionnaires first
        for wq in w.questionnaires:
            if wq.questionnaire_id not in qids:
                title = dataset.wave_questionnaire(w.label, wq.questionnaire_id).title.get(lang)
                qids[wq.questionnaire_id] = str(title)
    if qid is None and qids:
        qid = next(iter(qids))
    if qid is not None and qid not in qids:
        abort(404)
    out = []
    for w in waves:
        if not any(wq.questionnaire_id == qid for wq in w.questionnaires):
            continue
        try:
            out.append(reporting.report_for(w.label, str(qid)))
        except (NotFound, ServiceError):  # no answers for this questionnaire in that wave
            continue
    return qids, qid, out


def _step(
    before: reporting.WaveReport, after: reporting.WaveReport, unit_id: str, theme: str, lang: str
) -> dict[str, str]:
    """The change from ``before`` to ``after`` of the unit's theme, as published by ``after``."""
    if after.report.get("baseline") != before.wave.label:
        return {"class": "", "text": _("no comparison with the wave before")}
    if reporting.report_subtree(before.report, unit_id) != reporting.report_subtree(after.report, unit_id):
        return {"class": "not_comparable", "text": texts.class_label("not_comparable", lang)}
    row = _score(after.report, unit_id, theme)
    change = row.get("change") if row else None
    if not change:
        return {"class": "", "text": _("no change published")}
    return {
        "class": str(change.get("class") or ""),
        "text": texts.change_label(change, lang),
        "arrow": texts.change_arrow(change),
        "delta": texts.fmt_num(change.get("delta"), lang, 2, signed=True),
    }


def _score(report: Mapping[str, Any], unit_id: str, theme: str) -> Mapping[str, Any] | None:
    return next(
        (
            s
            for s in report["scores"]
            if s["unit_id"] == unit_id and s["kind"] == "theme" and s["id"] == theme
        ),
        None,
    )


@bp.route("/udvikling")
@role_required(*ROLES)
def trends() -> Any:
    lang = current_language()
    qids, qid, series = _series(request.args.get("q"), lang)
    if not series:
        return render_template(
            "reports/trends.html", series=[], rows=[], units=[], qids=qids, qid=qid, unit_id=None, unit=None
        )
    latest = series[-1]
    manager = getattr(current_user, "role", None) == "manager"
    visible = reporting.report_subtree(latest.report, current_user.manager_unit_id) if manager else None
    units = [
        u
        for u in texts.tree_order(list(latest.report["units"]))
        if visible is None or u["unit_id"] in visible
    ]
    if not units:
        abort(404)
    unit_id = request.args.get("unit") or str(units[0]["unit_id"])
    if not any(u["unit_id"] == unit_id for u in units):
        abort(404)  # unknown, or outside a manager's subtree
    cells: list[dict[str, Any]] = []
    for wr in series:
        u = reporting.unit_row(wr.report, unit_id)
        in_scope = u is not None and (
            not manager or unit_id in reporting.report_subtree(wr.report, current_user.manager_unit_id)
        )
        status = texts.unit_status(u, wr.report["settings"], lang) if in_scope and u else ""
        cells.append({"wr": wr, "unit": u if in_scope else None, "status": status})
    q = latest.questionnaire
    rows = []
    for theme in q.themes:
        waves = []
        for i, cell in enumerate(cells):
            wr = cell["wr"]
            s = _score(wr.report, unit_id, theme.id) if cell["unit"] is not None else None
            if cell["unit"] is None:
                value = _("the unit was not in this wave")
            elif cell["status"]:
                value = cell["status"]
            elif s is None or s.get("mean") is None:
                value = _("hidden")
            else:
                value = ""
            step = None
            if i > 0:
                prev = cells[i - 1]
                if cell["unit"] is None or prev["unit"] is None:
                    step = {"class": "", "text": _("no comparison with the wave before")}
                elif value or waves[i - 1]["missing"]:
                    step = {"class": "", "text": "–"}  # a hidden value has no published change
                else:
                    step = _step(prev["wr"], wr, unit_id, theme.id, lang)
            waves.append(
                {
                    "label": wr.wave.label,
                    "mean": texts.fmt_num(s["mean"], lang, 2) if s and not value and cell["unit"] else "",
                    "n": texts.fmt_count(s["n"], lang) if s and not value and cell["unit"] else "",
                    "missing": value,
                    "step": step,
                }
            )
        rows.append({"id": theme.id, "title": theme.title.get(lang), "waves": waves})
    reporting.log_access("report.trends", target=f"{qid}/{unit_id}")
    return render_template(
        "reports/trends.html",
        series=series,
        rows=rows,
        units=units,
        qids=qids,
        qid=qid,
        unit_id=unit_id,
        unit=next(u for u in units if u["unit_id"] == unit_id),
    )
