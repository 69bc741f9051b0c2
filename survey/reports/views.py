"""Report pages and exports. Roles: ``hr``/``admin`` everything; ``manager`` their subtree (through the
same suppression); ``committee`` the overview only. Every number comes from the report dict."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from analysis import charts, texts
from survey.auth import role_required, visible_unit_ids
from survey.i18n import current_language
from survey.services import NotFound, ServiceError, reporting

from . import bp, change_words

ALL_ROLES = ("admin", "hr", "manager", "committee")
READ_ROLES = ("admin", "hr", "manager")
#: roles that see open waves as a live preview: none. Two views of an open wave taken before and after
#: one new answer differ by exactly that person's answers (docs/anonymity.md, differencing across
#: time), so reports are for closed waves only; HR follows an open wave through participation counts.
PREVIEW_ROLES: tuple[str, ...] = ()
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
    """The chosen wave, its whole-wave report (every questionnaire, scoped), or why there is none.

    No page asks for a questionnaire: a wave is one report. An old ``q=`` parameter is ignored.
    """

    def __init__(self) -> None:
        self.waves = reporting.reportable_waves()
        if getattr(current_user, "role", None) not in PREVIEW_ROLES:
            # a live preview can be differenced over time (one new answer between two views); only the
            # people who run the survey get it, managers and the committee see closed waves
            self.waves = [w for w in self.waves if w.status == "closed"]
        self.wave_label = request.args.get("wave") or (self.waves[0].label if self.waves else None)
        self.error: str | None = None
        self.wr: reporting.WholeWaveReport | None = None
        self.report: dict[str, Any] | None = None
        self.visible = visible_unit_ids(current_user)
        self.questionnaire_ids: list[str] = []
        if self.wave_label is None:
            self.error = _("There is no open or closed wave yet.")
            return
        wave = next((w for w in self.waves if w.label == self.wave_label), None)
        if wave is None:
            abort(404)
        self.wave = wave
        self.questionnaire_ids = [wq.questionnaire_id for wq in wave.questionnaires]
        try:
            self.wr = reporting.wave_report(self.wave_label)
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
            self.error = _("This wave has no answers yet.")
            return
        if self.visible is not None and getattr(current_user, "role", None) == "manager":
            # a manager's subtree in the tree the report was published with (a later move of a unit
            # into or out of the subtree changes nothing in a published report)
            self.visible = reporting.report_subtree(self.wr.report, current_user.manager_unit_id)
        self.report = reporting.scope_report(self.wr.report, self.visible)

    @property
    def args(self) -> dict[str, str]:
        return {"wave": str(self.wave_label)}

    def require(self) -> tuple[reporting.WholeWaveReport, dict[str, Any]]:
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


def short_label(title: str, limit: int = 20) -> str:
    """A theme's column label: the title when short, else its first words up to ``limit`` characters
    (never a broken word), ending in "…"; the page shows the full title on hover and focus."""
    if len(title) <= limit:
        return title
    out = ""
    for w in title.split():
        nxt = f"{out} {w}".strip()
        if len(nxt) > limit and out:
            break
        out = nxt
    return out + "…" if out != title else out


def overview_grid(report: Mapping[str, Any], q: Any, lang: str) -> dict[str, Any]:
    """The units x themes overview as cells for the HTML heatmap (also its phone list): per unit its
    depth, parent, response rate and per theme flag, mean, change arrow and polarisation, or why hidden.
    Every value comes from the report's rows; nothing is computed but the words (looked up once per
    page: at 1,500 units x 10 themes the per-cell calls were a large part of the page's time)."""
    settings = report["settings"]
    scores = {(s["unit_id"], s["id"]): s for s in report["scores"] if s["kind"] == "theme"}
    ordered = texts.tree_order(list(report["units"]))
    has_children = {u.get("parent_id") for u in ordered}
    row_hidden = texts.hidden(texts.row_hidden_reason(settings, lang), lang)
    themes_q = [(t.id, str(t.title.get(lang))) for t in q.themes]
    no_flag = charts.word("no_flag", lang)
    flag_words: dict[tuple[Any, Any], str] = {}
    class_words: dict[str, str] = {}
    level_words: dict[str, str] = {}
    units: list[dict[str, Any]] = []
    counts = {"red": 0, "orange": 0, "yellow": 0, "polarised": 0}
    paths: dict[str, str] = {}
    for pos, u in enumerate(ordered):
        uid = u["unit_id"]
        parent_path = paths.get(str(u.get("parent_id")), "")
        paths[uid] = f"{parent_path}/{pos}"
        status = texts.unit_status(u, settings, lang)
        cells: list[dict[str, Any]] = []
        flags = {"red": 0, "orange": 0, "yellow": 0}
        split = 0
        for tid, title in themes_q:
            sc = scores.get((uid, tid))
            if sc is None:
                cells.append({"theme": title, "hidden": status or row_hidden})
                continue
            flag = sc.get("flag")
            ch = sc.get("change")
            pol = (sc.get("polarisation") or {}).get("level")
            polarised = pol in ("polarised", "strong")
            if flag:
                flags[flag] += 1
                counts[flag] += 1
            if polarised:
                split += 1
                counts["polarised"] += 1
            fkey = (flag, sc.get("flag_certain"))
            fw = flag_words.get(fkey)
            if fw is None:
                fw = flag_words[fkey] = texts.flag_label(flag, fkey[1], lang) or no_flag
            words = [fw]
            cls = ch.get("class") if ch else None
            if ch and cls not in ("stable",):
                cw = class_words.get(cls)
                if cw is None:
                    cw = class_words[cls] = texts.class_label(cls, lang)
                words.append(cw)
            if polarised:
                lw = level_words.get(pol)
                if lw is None:
                    lw = level_words[pol] = texts.level_label(pol, lang)
                words.append(lw)
            cells.append({
                "theme": title, "hidden": None, "flag": flag or "none", "symbol": texts.flag_symbol(flag),
                "mean": texts.fmt_num(sc["mean"], lang),
                "arrow": texts.change_arrow(ch) if ch and cls != "stable" else "",
                "polarised": polarised, "words": "; ".join(w for w in words if w),
            })
        units.append({
            "unit": u, "status": status, "cells": cells, "flags": flags, "split": split,
            "has_children": uid in has_children, "path": paths[uid],
            "rate": texts.fmt_share(u.get("response_rate"), lang) if u.get("published") else "",
        })
    themes = [(title, short_label(title)) for _tid, title in themes_q]
    return {"units": units, "themes": themes, "counts": counts}


_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+")
_BADGES = (("red", "●"), ("orange", "◆"), ("yellow", "▲"))


def overview_html(grid: Mapping[str, Any], unit_url: Any, lang: str) -> tuple[Markup, Markup]:
    """The overview's table rows and phone-list items as HTML, built in one flat loop (the same markup
    the template's loops made: at 1,500 units x 10 themes, Jinja's per-cell attribute lookups and
    escapes took most of the page's time). ``unit_url(unit_id)`` is a unit page's address, or None when
    the reader may not open unit pages. Every text is escaped here."""
    n_themes = len(grid["themes"])
    memo: dict[str, str] = {}  # a page has few distinct theme titles, words, flags and arrows

    def esc(text: str) -> str:
        out = memo.get(text)
        if out is None:
            out = memo[text] = str(escape(text))
        return out

    # as Jinja's i18n does: the translation is markup, only the inserted values are escaped
    toggle_label = Markup(_("Show or hide the units under %(name)s"))
    rate_words = Markup(_("response rate %(rate)s"))
    open_unit = Markup(_("Open the unit's report"))
    rows: list[str] = []
    items: list[str] = []
    add_row, add_item = rows.append, items.append
    for r in grid["units"]:
        u = r["unit"]
        name = escape(u["name"])
        href = unit_url(u["unit_id"]) if unit_url else None
        depth = u["depth"]
        link = f'<a href="{escape(href)}">{name}</a>' if href else str(name)
        toggle = (f'<button type="button" class="toggle" aria-expanded="true" aria-label="'
                  f'{toggle_label % {"name": u["name"]}}" hidden></button>'
                  if r["has_children"] else "")
        status = r["status"]
        if status:
            body = f'<td class="hm cell-hidden" colspan="{n_themes}">{escape(status)}</td>'
            lis = ""
        else:
            tds: list[str] = []
            li: list[str] = []
            for c in r["cells"]:
                theme = esc(c["theme"])
                if c["hidden"]:
                    hid = esc(c["hidden"])
                    tds.append(f'<td class="hm cell-hidden" title="{theme}: {hid}"><span aria-hidden="true">–'
                               f'</span><span class="sr-only">{hid}</span></td>')
                    li.append(f'<li class="cell-hidden">{theme}: {hid}</li>')
                    continue
                flag, sym, mean = esc(c["flag"]), esc(c["symbol"]), escape(c["mean"])
                arrow, words = esc(c["arrow"]), esc(c["words"])
                split = '<span class="split" aria-hidden="true">‖</span>' if c["polarised"] else ""
                tds.append(f'<td class="hm flag-{flag}" title="{theme}: {mean}; {words}"><span class="sym" '
                           f'aria-hidden="true">{sym}</span><span class="mean">{mean}</span><span '
                           f'class="arrow" aria-hidden="true">{arrow}</span>{split}<span class="sr-only">'
                           f'{words}</span></td>')
                li.append(f'<li class="flag-{flag}"><span aria-hidden="true">{sym}</span> {theme}: '
                          f'<strong>{mean}</strong> <span aria-hidden="true">{arrow}'
                          f'{" ‖" if c["polarised"] else ""}</span> <span class="muted">{words}</span></li>')
            body = "\n".join(tds)
            lis = "\n".join(li)
        add_row(f'<tr data-path="{escape(r["path"])}" data-depth="{escape(depth)}">\n'
                f'<th scope="row" class="unit-col" style="padding-left: {escape(0.3 + 0.9 * depth)}rem">\n'
                f'{toggle}\n{link}\n</th>\n<td class="num rate">{escape(r["rate"])}</td>\n{body}\n</tr>')
        if status:
            summary = f'<span class="cell-hidden">{escape(status)}</span>'
        else:
            badges = "".join(f'<span class="badge flag-{f}">{s} {r["flags"][f]}</span>'
                             for f, s in _BADGES if r["flags"][f])
            if r["split"]:
                badges += f'<span class="badge">‖ {r["split"]}</span>'
            summary = f'<span class="badges">{badges}</span>'
            if r["rate"]:
                summary += f'\n<span class="muted">{rate_words % {"rate": r["rate"]}}</span>'
        detail = ""
        if not status:
            detail = f'\n<ul class="theme-list">\n{lis}\n</ul>'
            if href:
                detail += f'\n<a href="{escape(href)}">{open_unit}</a>'
        add_item(f'<li style="margin-left: {escape(0.6 * depth)}rem">\n<details>\n<summary><span '
                 f'class="unit-name">{name}</span>\n{summary}\n</summary>{detail}\n</details>\n</li>')
    return Markup("\n".join(rows)), Markup("\n".join(items))


def _unit_url_maker(sel: _Selection) -> Any:
    """``unit_id -> its unit page's address`` with the selection's arguments, ``url_for`` built once:
    a plain id is put into a template address, any other id goes through ``url_for`` itself."""
    args = sel.args
    marker = "UNITIDMARKER0"
    template = url_for("reports.unit", unit_id=marker, **args)
    if template.count(marker) != 1:
        return lambda unit_id: url_for("reports.unit", unit_id=unit_id, **args)

    def make(unit_id: str) -> str:
        if _PLAIN_ID.fullmatch(unit_id):
            return template.replace(marker, unit_id)
        return url_for("reports.unit", unit_id=unit_id, **args)

    return make


@bp.route("/")
@role_required(*ALL_ROLES)
def overview() -> Any:
    sel = _Selection()
    lang = current_language()
    if sel.report is None or sel.wr is None:
        return render_template("reports/overview.html", **_ctx(sel, grid=None, hidden=[]))
    q = sel.wr.questionnaire
    report = sel.report
    grid = overview_grid(report, q, lang)
    can_read = getattr(current_user, "role", None) in READ_ROLES
    rows_html, list_html = overview_html(grid, _unit_url_maker(sel) if can_read else None, lang)
    _audit("report.overview", target=f"{sel.wave_label}")
    return render_template(
        "reports/overview.html",
        **_ctx(sel, grid=grid, hidden=_hidden_units(report, lang), rows_html=rows_html, list_html=list_html),
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
                view = _score_view(s, label, lang, settings) if s else {
                    "row": None, "label": label, "hidden": row_hidden}
                view["reverse"] = bool(item.reverse)
                dist = (s or {}).get("distribution")
                # the report's distribution is of the analysed scores; a reversed item was analysed as
                # (min + max) - x, so what people answered is the same shares in the opposite order
                view["answered"] = list(reversed(dist)) if dist and item.reverse else dist
                items.append(view)
            entry: dict[str, Any] = _score_view(ts, str(t.title.get(lang)), lang, settings) if ts else {
                "row": None, "label": str(t.title.get(lang)), "hidden": row_hidden}
            entry["reverse"] = False
            entry["answered"] = (ts or {}).get("distribution")
            entry["has_reverse"] = any(i.reverse for i in t.items)
            entry["items"] = items
            themes.append(entry)
        exposures = [
            {**e, "title": _exposure_title(q, e["kind"], lang)}
            for e in report.get("exposures") or []
            if e["unit_id"] == unit_id
        ]
        if not exposures and q.exposures:
            exposure_reason = texts.exposure_hidden_reason(u, settings, lang)
        comments = reporting.comments_for(wr.wave, wr.questionnaire_ids, wr.report, unit_id)
        if any(t["row"] is not None for t in themes):
            spec = _json_script(charts.spec(charts.themes_for_unit(report, q, unit_id, lang), lang))
    _audit("report.unit", target=f"{sel.wave_label}/{unit_id}")
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
            comment_min=reporting.publication_policy().comment_threshold,
            spec=spec,
            points=_scale_points(q),
        ),
    )


def _scale_points(q: Any) -> list[int]:
    length = max(q.scale_of(i).length for i in q.items)
    return list(range(1, length + 1))


#: the four kinds of contract 1.2 in plain words, for questionnaires without exposure titles
KIND_WORDS: dict[str, dict[str, str]] = {
    "bullying": {"da": "Mobning", "en": "Bullying"},
    "sexual_harassment": {"da": "Seksuel chikane", "en": "Sexual harassment"},
    "threats": {"da": "Trusler", "en": "Threats"},
    "violence": {"da": "Fysisk vold", "en": "Physical violence"},
}


def _exposure_title(q: Any, kind: str, lang: str) -> str:
    """The kind's title from the questionnaire; else the plain word of a contract kind; else the id
    with underscores as spaces (never a bare internal id like ``sexual_harassment``)."""
    try:
        e = q.exposure(kind)
    except (KeyError, ValueError):
        e = None
    if e is not None and e.title:
        return str(e.title.get(lang))
    if kind in KIND_WORDS:
        return KIND_WORDS[kind][lang]
    return kind.replace("_", " ").capitalize()


#: the default view of the changes page: what needs attention (real changes, and large ones that may be
#: chance); "all" shows every tested change
VIEWS = ("attention", "significant", "inconclusive_change", "all")
PAGE_SIZE = 40


def fmt_q(q: float | None, lang: str) -> str:
    """See :func:`analysis.texts.fmt_q`."""
    return texts.fmt_q(q, lang)


@bp.route("/aendringer")
@role_required(*READ_ROLES)
def changes() -> Any:
    """What really changed: by default only significant changes and changes of at least
    ``practical_delta`` that are not significant, grouped by unit (tree order), filtered by subtree, theme,
    kind and class, paged."""
    sel = _Selection()
    lang = current_language()
    view = request.args.get("view", "attention") or "attention"
    kind = request.args.get("kind", "")
    unit_root = request.args.get("unit", "")
    theme = request.args.get("theme", "")
    page_arg = request.args.get("page", "1") or "1"
    problems = []
    if view not in VIEWS:
        problems.append(_("Unknown choice of changes '%(value)s'. Choose one from the list.", value=view))
    if kind and kind not in KINDS:
        problems.append(_("Unknown row kind '%(value)s'. Choose themes or items.", value=kind))
    page = int(page_arg) if page_arg.isdigit() and 0 < len(page_arg) < 6 else 0
    if page < 1:
        problems.append(_("Unknown page '%(value)s'. Choose a page number from the list.", value=page_arg))
        page = 1
    q = sel.wr.questionnaire if sel.wr else None
    report = sel.report
    if report is not None and unit_root and reporting.unit_row(report, unit_root) is None:
        problems.append(_("Unknown unit '%(value)s'. Choose a unit from the list.", value=unit_root))
    if q is not None and theme and theme not in {t.id for t in q.themes}:
        problems.append(_("Unknown theme '%(value)s'. Choose a theme from the list.", value=theme))
    groups: list[dict[str, Any]] = []
    counts = {"tested": 0, "significant": 0, "inconclusive_change": 0}
    total = 0
    pages = 1
    expected_false = 0.0
    if report is not None and q is not None and not problems:
        names = {u["unit_id"]: u["name"] for u in report["units"]}
        theme_of = {i.id: i.theme for i in q.items}
        keep_units = reporting.report_subtree(report, unit_root) if unit_root else None
        alpha = float(report["settings"]["alpha"])
        together = change_words.families(report["scores"])
        by_unit: dict[str, list[tuple[Mapping[str, Any], bool]]] = {}
        for s in report["scores"]:
            ch = s.get("change")
            if not ch or ch.get("q") is None:
                continue
            # a "sign of change" (95 % ci excludes 0, not significant after the correction) is shown
            # with the changes that look large: both are worth a look, neither is certain
            cls = "inconclusive_change" if texts.is_sign_of_change(ch) else ch["class"]
            sig = cls in ("significant_improvement", "significant_decline")
            counts["tested"] += 1
            if sig:
                counts["significant"] += 1
                expected_false += alpha
            elif cls == "inconclusive_change":
                counts["inconclusive_change"] += 1
            if view == "attention" and not (sig or cls == "inconclusive_change"):
                continue
            if view == "significant" and not sig:
                continue
            if view == "inconclusive_change" and cls != "inconclusive_change":
                continue
            if kind and s["kind"] != kind:
                continue
            if keep_units is not None and s["unit_id"] not in keep_units:
                continue
            row_theme = s["id"] if s["kind"] == "theme" else theme_of.get(s["id"])
            if theme and row_theme != theme:
                continue
            by_unit.setdefault(s["unit_id"], []).append((s, sig))
        rows: list[tuple[str, Mapping[str, Any], bool]] = []
        for u in texts.tree_order(list(report["units"])):
            found = by_unit.get(u["unit_id"])
            if not found:
                continue
            found.sort(key=lambda r: (not r[1], r[0]["kind"] != "theme",
                                      -abs(r[0]["change"].get("delta") or 0.0)))
            rows.extend((u["unit_id"], r, sig) for r, sig in found)
        total = len(rows)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        # the words of a row (sentences, labels) only for the rows of this page: at 1,500 units the
        # default view holds ~38,000 rows, and making every row's sentences took most of the page's time
        for uid, s, sig in rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
            label = _theme_title(q, s["id"], lang) if s["kind"] == "theme" else _item_text(q, s["id"], lang)
            v = _score_view(s, label, lang, report["settings"])
            v["significant"] = sig
            v["q_text"] = fmt_q(s["change"].get("q"), lang)
            # one sentence that never contradicts itself; who answered, apart (docs/methods.md 3)
            v["sentence"] = change_words.row_sentence(
                s["change"], int(s["n"]), report["settings"],
                together.get((s["unit_id"], s["kind"]), 0), lang)
            v["note"] = texts.composition_sentence(s["change"], int(s["n"]), lang,
                                                   float(report["settings"].get("practical_delta", 0.2)))
            if not groups or groups[-1]["unit_id"] != uid:
                groups.append({"unit_id": uid, "name": names.get(uid, uid), "rows": []})
            groups[-1]["rows"].append(v)
        _audit("report.changes", target=f"{sel.wave_label}")
    units = [(u["unit_id"], u["name"], u.get("depth") or 0)
             for u in texts.tree_order(list(report["units"]))] if report else []
    themes = [(t.id, str(t.title.get(lang))) for t in q.themes] if q else []
    args = {"view": view, "kind": kind, "unit": unit_root, "theme": theme}
    return render_template(
        "reports/changes.html",
        **_ctx(sel, groups=groups, counts=counts, total=total, page=page, pages=pages, view=view, kind=kind,
               unit_root=unit_root, theme=theme, units=units, themes=themes, problems=problems,
               link_args={**sel.args, **{k: v for k, v in args.items() if v}}, page_size=PAGE_SIZE,
               expected_false=texts.fmt_num(expected_false, lang, 1),
               chance=texts.chance_sentence((report or {}).get("significance"), lang)),
    ), (400 if problems else 200)


@bp.route("/kraenkelser")
@role_required(*READ_ROLES)
def exposures() -> Any:
    """Offensive behaviour of the whole wave: one row per unit, per kind the share exposed, from inside,
    from outside and unresolved, told no one; a unit or kind not published says why."""
    sel = _Selection()
    lang = current_language()
    units: list[dict[str, Any]] = []
    kinds: list[tuple[str, str]] = []
    if sel.report is not None and sel.wr is not None:
        q = sel.wr.questionnaire
        kinds = [(e.kind, _exposure_title(q, e.kind, lang)) for e in q.exposures]
        settings = sel.report["settings"]
        rows: dict[str, dict[str, dict[str, Any]]] = {}
        for e in sel.report.get("exposures") or []:
            rows.setdefault(e["unit_id"], {})[e["kind"]] = e
        for u in texts.tree_order(list(sel.report["units"])):
            reason = texts.suppression_reason(u, settings, lang)
            if reason:
                reason = texts.hidden(reason, lang)
            elif u["unit_id"] not in rows:
                reason = texts.hidden(texts.exposure_hidden_reason(u, settings, lang), lang)
            units.append({"unit": u, "by_kind": rows.get(u["unit_id"], {}), "reason": reason,
                          "kind_reason": texts.hidden(texts.exposure_hidden_reason(u, settings, lang), lang)})
        _audit("report.exposures", target=f"{sel.wave_label}")
    return render_template("reports/exposures.html", **_ctx(sel, units=units, kinds=kinds))


# ---------------------------------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------------------------------


def _filename(sel: _Selection, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"trivsel_{sel.wave_label}")
    return f"{safe}{suffix}"


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _xlsx_bytes(report: Mapping[str, Any], q: Any) -> bytes:
    """The workbook in the reader's language (sheet names, headers, statuses, labels)."""
    from analysis.xlsx import write_xlsx

    with tempfile.TemporaryDirectory(prefix="trivsel-xlsx-") as tmp:
        path = Path(tmp) / "report.xlsx"
        write_xlsx(report, q, path, current_language())
        return path.read_bytes()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/eksport/rapport.xlsx")
@role_required(*READ_ROLES)
def export_xlsx() -> Any:
    sel = _Selection()
    wr, report = sel.require()
    _audit("export.xlsx", target=f"{sel.wave_label}")
    return _download(_xlsx_bytes(report, wr.questionnaire), XLSX, _filename(sel, ".xlsx"))


@bp.route("/eksport/rapport.json")
@role_required(*READ_ROLES)
def export_json() -> Any:
    sel = _Selection()
    _wr, report = sel.require()
    _audit("export.json", target=f"{sel.wave_label}")
    body = json.dumps(report, ensure_ascii=False, allow_nan=False, indent=1)
    return _download(body, "application/json", _filename(sel, ".json"))


@bp.route("/eksport/enhed/<unit_id>.xlsx")
@role_required(*READ_ROLES)
def export_unit_xlsx(unit_id: str) -> Any:
    sel = _Selection()
    wr, report = sel.require()
    if reporting.unit_row(report, unit_id) is None:
        abort(404)
    _audit("export.unit_xlsx", target=f"{sel.wave_label}/{unit_id}")
    one = reporting.scope_report(report, {unit_id})
    return _download(_xlsx_bytes(one, wr.questionnaire), XLSX, _filename(sel, f"_{unit_id}.xlsx"))


@bp.route("/eksport/rapport.pdf")
@role_required(*READ_ROLES)
def export_pdf() -> Any:
    from .pdf import overview_pdf

    sel = _Selection()
    wr, report = sel.require()
    _audit("export.pdf", target=f"{sel.wave_label}")
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
    _audit("export.unit_pdf", target=f"{sel.wave_label}/{unit_id}")
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


# ---------------------------------------------------------------------------------------------------
# how to read the report
# ---------------------------------------------------------------------------------------------------

#: (baseline n, current n) pairs of the guide's critical-difference table
GUIDE_SIZES: tuple[tuple[int, int], ...] = (
    (5, 5), (8, 8), (14, 12), (25, 25), (50, 50), (100, 100), (400, 400))


def critical_differences(alpha: float, sd: float = 1.2) -> list[tuple[int, int, float]]:
    """How large a change must be to be significant on its own (Welch's t-test at ``alpha``), for the
    group sizes of :data:`GUIDE_SIZES` and a typical spread ``sd`` of theme scores in both waves.
    The critical difference is t(1 − alpha/2, ν) · sd · √(1/n₁ + 1/n₂) (docs/methods.md)."""
    from scipy import stats

    out = []
    for n1, n2 in GUIDE_SIZES:
        se = sd * (1 / n1 + 1 / n2) ** 0.5
        v1, v2 = sd**2 / n1, sd**2 / n2
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        out.append((n1, n2, float(stats.t.ppf(1 - alpha / 2, df) * se)))
    return out


@bp.route("/laesevejledning")
@role_required(*ALL_ROLES)
def guide() -> Any:
    """"How to read the report" in the reader's language: flags, changes, spread, hidden numbers."""
    sel = _Selection()
    settings = (sel.report or {}).get("settings") or reporting.analysis_settings().to_dict()
    sd = 1.2
    table = [
        (n1, n2, texts.fmt_num(d, current_language()))
        for n1, n2, d in critical_differences(float(settings["alpha"]), sd)
    ]
    return render_template("reports/guide.html", **_ctx(sel, settings=settings, crit=table,
                                                        sd=texts.fmt_num(sd, current_language(), 1)))
