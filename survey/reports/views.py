"""Report pages and exports. Roles: ``hr``/``admin`` everything; ``manager`` their subtree (through the
same suppression); ``committee`` the overview only. Every number comes from the report dict."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analysis import charts, texts
from survey.auth import role_required, visible_unit_ids
from survey.i18n import current_language
from survey.services import NotFound, ServiceError, reporting

from . import bp

ALL_ROLES = ("admin", "hr", "manager", "committee")
READ_ROLES = ("admin", "hr", "manager")
#: roles that see open waves as a live preview: none. Two views of an open wave taken before and after
#: one new answer differ by exactly that person's answers (docs/anonymity.md, differencing across
#: time), so reports are for closed waves only; HR follows an open wave through participation counts.
PREVIEW_ROLES: tuple[str, ...] = ()
SORTS = ("q", "delta", "unit")
KINDS = ("theme", "item")


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


def _audit(action: str, target: str | None = None) -> None:
    """Record a report view / export in the audit log."""
    reporting.log_access(action, target)


def _json_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``."""
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


class _Selection:
    """The chosen wave and questionnaire, the (scoped) report, or why there is none."""

    def __init__(self) -> None:
        self.waves = reporting.reportable_waves()
        if getattr(current_user, "role", None) not in PREVIEW_ROLES:
            # a live preview can be differenced over time (one new answer between two views); only the
            # people who run the survey get it, managers and the committee see closed waves
            self.waves = [w for w in self.waves if w.status == "closed"]
        self.wave_label = request.args.get("wave") or (self.waves[0].label if self.waves else None)
        self.qid = request.args.get("q")
        self.error: str | None = None
        self.wr: reporting.WaveReport | None = None
        self.report: dict[str, Any] | None = None
        self.visible = visible_unit_ids(current_user)
        if self.wave_label is None:
            self.error = _("There is no open or closed wave yet.")
            return
        wave = next((w for w in self.waves if w.label == self.wave_label), None)
        if wave is None:
            abort(404)
        self.wave = wave
        self.questionnaire_ids = [wq.questionnaire_id for wq in wave.questionnaires]
        if self.qid is None and self.questionnaire_ids:
            self.qid = self.questionnaire_ids[0]
        if self.qid not in self.questionnaire_ids:
            abort(404)
        try:
            self.wr = reporting.report_for(self.wave_label, str(self.qid))
        except NotFound:
            abort(404)
        except reporting.NotPublishable:
            self.error = _(
                "This report cannot be published: the anonymity settings are below the minimum of 5 or a "
                "check of the small-group rules failed. Nothing is shown. Ask the administrator to check "
                "the settings."
            )
            return
        except ServiceError:
            self.error = _("This wave has no answers for this questionnaire yet.")
            return
        if self.visible is not None and getattr(current_user, "role", None) == "manager":
            # a manager's subtree in the tree the report was published with (a later move of a unit
            # into or out of the subtree changes nothing in a published report)
            self.visible = reporting.report_subtree(self.wr.report, current_user.manager_unit_id)
        self.report = reporting.scope_report(self.wr.report, self.visible)

    @property
    def args(self) -> dict[str, str]:
        return {"wave": str(self.wave_label), "q": str(self.qid)}

    def require(self) -> tuple[reporting.WaveReport, dict[str, Any]]:
        if self.wr is None or self.report is None:
            abort(404)
        return self.wr, self.report


def _ctx(sel: _Selection, **extra: Any) -> dict[str, Any]:
    lang = current_language()
    q = sel.wr.questionnaire if sel.wr else None
    return {
        "sel": sel,
        "q": q,
        "report": sel.report,
        "L": lang,
        "num": lambda v, d=2, signed=False: texts.fmt_num(v, lang, d, signed),
        "share": lambda v: texts.fmt_share(v, lang),
        "count": lambda v: texts.fmt_count(v, lang),
        "role": getattr(current_user, "role", None),
        "can_read_units": getattr(current_user, "role", None) in READ_ROLES,
        **extra,
    }


def _theme_title(q: Any, theme_id: str, lang: str) -> str:
    return str(q.theme(theme_id).title.get(lang))


def _item_text(q: Any, item_id: str, lang: str) -> str:
    return str(q.item(item_id).text.get(lang))


def _hidden_units(report: Mapping[str, Any], lang: str) -> list[tuple[Mapping[str, Any], str]]:
    return [
        (u, texts.suppression_reason(u, report["settings"], lang))
        for u in texts.tree_order(list(report["units"]))
        if not u.get("published")
    ]


def _score_view(s: Mapping[str, Any], label: str, lang: str, settings: Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
    ch = s.get("change")
    pol = s.get("polarisation")
    return {
        "row": s,
        "label": label,
        "flag": texts.flag_label(s.get("flag"), s.get("flag_certain"), lang),
        "arrow": texts.change_arrow(ch),
        "class": texts.change_label(ch, lang) if ch else "",
        "sentence": texts.settings_sentence(ch, int(s["n"]), lang, settings or {}) if ch else "",
        "level": texts.level_label(pol["level"], lang) if pol else "",
    }


# ---------------------------------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------------------------------


@bp.route("/")
@role_required(*ALL_ROLES)
def overview() -> Any:
    sel = _Selection()
    lang = current_language()
    if sel.report is None or sel.wr is None:
        return render_template("reports/overview.html", **_ctx(sel, rows=[], hidden=[], spec=None))
    q = sel.wr.questionnaire
    report = sel.report
    cells = charts.heatmap_rows(report, q, lang)
    by_unit: dict[str, dict[str, Any]] = {}
    for c in cells:
        entry = by_unit.setdefault(c["unit_id"], {"unit_id": c["unit_id"], "label": c["unit"], "cells": []})
        entry["cells"].append(c)
    units = {u["unit_id"]: u for u in report["units"]}
    for entry in by_unit.values():
        entry["unit"] = units[entry["unit_id"]]
    spec = _json_script(charts.spec(charts.heatmap(report, q, lang), lang)) if cells else None
    _audit("report.overview", target=f"{sel.wave_label}/{sel.qid}")
    return render_template(
        "reports/overview.html",
        **_ctx(sel, rows=list(by_unit.values()), hidden=_hidden_units(report, lang), spec=spec),
    )


@bp.route("/enhed/<unit_id>")
@role_required(*READ_ROLES)
def unit(unit_id: str) -> Any:
    sel = _Selection()
    wr, report = sel.require()
    lang = current_language()
    u = reporting.unit_row(report, unit_id)
    if u is None:  # unknown, or outside a manager's subtree
        abort(404)
    q = wr.questionnaire
    settings = report["settings"]
    status = texts.unit_status(u, settings, lang)
    themes: list[dict[str, Any]] = []
    exposures: list[dict[str, Any]] = []
    exposure_reason = ""
    comments: list[str] | None = None
    spec = None
    if not status:
        scores = {(s["kind"], s["id"]): s for s in report["scores"] if s["unit_id"] == unit_id}
        row_hidden = texts.hidden(texts.row_hidden_reason(settings, lang), lang)
        for t in q.themes:
            ts = scores.get(("theme", t.id))
            items: list[dict[str, Any]] = []
            for item in t.items:
                s = scores.get(("item", item.id))
                label = _item_text(q, item.id, lang)
                items.append(_score_view(s, label, lang, settings) if s else {"row": None, "label": label,
                                                                     "hidden": row_hidden})
            entry: dict[str, Any] = _score_view(ts, str(t.title.get(lang)), lang, settings) if ts else {
                "row": None, "label": str(t.title.get(lang)), "hidden": row_hidden}
            entry["items"] = items
            themes.append(entry)
        exposures = [
            {**e, "title": _exposure_title(q, e["kind"], lang)}
            for e in report.get("exposures") or []
            if e["unit_id"] == unit_id
        ]
        if not exposures and q.exposures:
            exposure_reason = texts.exposure_hidden_reason(u, settings, lang)
        comments = reporting.comments_for(wr.wave, wr.questionnaire.id, wr.report, unit_id)
        if any(t["row"] is not None for t in themes):
            spec = _json_script(charts.spec(charts.themes_for_unit(report, q, unit_id, lang), lang))
    _audit("report.unit", target=f"{sel.wave_label}/{sel.qid}/{unit_id}")
    from survey.services import invitations

    return render_template(
        "reports/unit.html",
        **_ctx(
            sel,
            unit=u,
            slips=invitations.slip_printers(str(sel.wave_label)).get(unit_id),
            status=status,
            themes=themes,
            exposures=exposures,
            exposure_reason=exposure_reason,
            comments=comments,
            comment_min=reporting.COMMENT_MIN_RESPONDENTS,
            spec=spec,
            points=_scale_points(q),
        ),
    )


def _scale_points(q: Any) -> list[int]:
    length = max(q.scale_of(i).length for i in q.items)
    return list(range(1, length + 1))


def _exposure_title(q: Any, kind: str, lang: str) -> str:
    try:
        e = q.exposure(kind)
    except (KeyError, ValueError):
        return kind
    return str(e.title.get(lang)) if e.title else kind


@bp.route("/aendringer")
@role_required(*READ_ROLES)
def changes() -> Any:
    sel = _Selection()
    lang = current_language()
    cls = request.args.get("class", "")
    kind = request.args.get("kind", "")
    sort = request.args.get("sort", "q")
    problems = []
    if cls and cls not in texts.CHANGE_CLASSES:
        problems.append(_("Unknown change class '%(value)s'. Choose one from the list.", value=cls))
    if kind and kind not in KINDS:
        problems.append(_("Unknown row kind '%(value)s'. Choose themes or items.", value=kind))
    if sort not in SORTS:
        problems.append(_("Unknown sort order '%(value)s'. Choose one from the list.", value=sort))
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    if sel.report is not None and sel.wr is not None and not problems:
        q = sel.wr.questionnaire
        names = {u["unit_id"]: u["name"] for u in sel.report["units"]}
        for s in sel.report["scores"]:
            ch = s.get("change")
            if not ch:
                continue
            counts[ch["class"]] = counts.get(ch["class"], 0) + 1
            if (cls and ch["class"] != cls) or (kind and s["kind"] != kind):
                continue
            label = _theme_title(q, s["id"], lang) if s["kind"] == "theme" else _item_text(q, s["id"], lang)
            view = _score_view(s, label, lang, sel.report["settings"])
            view["unit_name"] = names.get(s["unit_id"], s["unit_id"])
            rows.append(view)
        if sort == "q":
            rows.sort(key=lambda v: (v["row"]["change"].get("q") is None, v["row"]["change"].get("q") or 0.0))
        elif sort == "delta":
            rows.sort(key=lambda v: -abs(v["row"]["change"].get("delta") or 0.0))
        else:
            rows.sort(key=lambda v: (str(v["unit_name"]), v["row"]["kind"] != "theme", v["row"]["id"]))
        _audit("report.changes", target=f"{sel.wave_label}/{sel.qid}")
    classes = [(c, texts.class_label(c, lang), counts.get(c, 0)) for c in texts.CHANGE_CLASSES]
    return render_template(
        "reports/changes.html",
        **_ctx(sel, rows=rows, classes=classes, cls=cls, kind=kind, sort=sort, problems=problems,
               chance=texts.chance_sentence((sel.report or {}).get("significance"), lang)),
    ), (400 if problems else 200)


@bp.route("/kraenkelser")
@role_required(*READ_ROLES)
def exposures() -> Any:
    sel = _Selection()
    lang = current_language()
    units: list[dict[str, Any]] = []
    if sel.report is not None and sel.wr is not None:
        q = sel.wr.questionnaire
        settings = sel.report["settings"]
        rows: dict[str, list[dict[str, Any]]] = {}
        for e in sel.report.get("exposures") or []:
            rows.setdefault(e["unit_id"], []).append({**e, "title": _exposure_title(q, e["kind"], lang)})
        for u in texts.tree_order(list(sel.report["units"])):
            reason = texts.suppression_reason(u, settings, lang)
            if reason:
                reason = texts.hidden(reason, lang)
            elif u["unit_id"] not in rows:
                reason = texts.hidden(texts.exposure_hidden_reason(u, settings, lang), lang)
            units.append({"unit": u, "rows": rows.get(u["unit_id"], []), "reason": reason})
        _audit("report.exposures", target=f"{sel.wave_label}/{sel.qid}")
    return render_template("reports/exposures.html", **_ctx(sel, units=units))


# ---------------------------------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------------------------------


def _filename(sel: _Selection, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"trivsel_{sel.wave_label}_{sel.qid}")
    return f"{safe}{suffix}"


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _xlsx_bytes(report: Mapping[str, Any], q: Any) -> bytes:
    from analysis.xlsx import write_xlsx

    with tempfile.TemporaryDirectory(prefix="trivsel-xlsx-") as tmp:
        path = Path(tmp) / "report.xlsx"
        write_xlsx(report, q, path)
        return path.read_bytes()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/eksport/rapport.xlsx")
@role_required(*READ_ROLES)
def export_xlsx() -> Any:
    sel = _Selection()
    wr, report = sel.require()
    _audit("export.xlsx", target=f"{sel.wave_label}/{sel.qid}")
    return _download(_xlsx_bytes(report, wr.questionnaire), XLSX, _filename(sel, ".xlsx"))


@bp.route("/eksport/rapport.json")
@role_required(*READ_ROLES)
def export_json() -> Any:
    sel = _Selection()
    _wr, report = sel.require()
    _audit("export.json", target=f"{sel.wave_label}/{sel.qid}")
    body = json.dumps(report, ensure_ascii=False, allow_nan=False, indent=1)
    return _download(body, "application/json", _filename(sel, ".json"))


@bp.route("/eksport/enhed/<unit_id>.xlsx")
@role_required(*READ_ROLES)
def export_unit_xlsx(unit_id: str) -> Any:
    sel = _Selection()
    wr, report = sel.require()
    if reporting.unit_row(report, unit_id) is None:
        abort(404)
    _audit("export.unit_xlsx", target=f"{sel.wave_label}/{sel.qid}/{unit_id}")
    one = reporting.scope_report(report, {unit_id})
    return _download(_xlsx_bytes(one, wr.questionnaire), XLSX, _filename(sel, f"_{unit_id}.xlsx"))


@bp.route("/eksport/rapport.pdf")
@role_required(*READ_ROLES)
def export_pdf() -> Any:
    from .pdf import overview_pdf

    sel = _Selection()
    wr, report = sel.require()
    _audit("export.pdf", target=f"{sel.wave_label}/{sel.qid}")
    body = overview_pdf(report, wr.questionnaire, current_language())
    return _download(body, "application/pdf", _filename(sel, ".pdf"))


@bp.route("/eksport/enhed/<unit_id>.pdf")
@role_required(*READ_ROLES)
def export_unit_pdf(unit_id: str) -> Any:
    from .pdf import unit_pdf

    sel = _Selection()
    wr, report = sel.require()
    if reporting.unit_row(report, unit_id) is None:
        abort(404)
    _audit("export.unit_pdf", target=f"{sel.wave_label}/{sel.qid}/{unit_id}")
    body = unit_pdf(report, wr.questionnaire, unit_id, current_language())
    return _download(body, "application/pdf", _filename(sel, f"_{unit_id}.pdf"))


# ---------------------------------------------------------------------------------------------------
# the chart library, served locally (no CDN)
# ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _vega_bundle() -> str:
    import vl_convert as vlc

    return str(vlc.javascript_bundle(vl_version=charts.VL_VERSION))  # type: ignore[call-arg]


@bp.route(f"/vega-embed-{charts.VL_VERSION}.js")
@role_required(*ALL_ROLES)
def vega_bundle() -> Any:
    resp = Response(_vega_bundle(), mimetype="text/javascript")
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return resp


@bp.app_context_processor
def _links() -> dict[str, Any]:
    return {"vega_bundle_url": lambda: url_for("reports.vega_bundle")}
