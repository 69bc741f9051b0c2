"""Language choice: Danish by default, English on request, kept in the session."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask import current_app, g, request, session
from flask_babel import get_translations, gettext, pgettext
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

LANGUAGES = ("da", "en")
DEFAULT = "da"
SESSION_KEY = "lang"


def current_language() -> str:
    """The respondent's or user's language: the session's choice, else Danish."""
    lang = session.get(SESSION_KEY)
    return lang if lang in LANGUAGES else DEFAULT


def set_language(lang: str) -> bool:
    """Remember ``lang`` in the session; False (and nothing changed) for an unknown language."""
    if lang not in LANGUAGES:
        return False
    session[SESSION_KEY] = lang
    return True


def other_language() -> str:
    return "en" if current_language() == "da" else "da"


def return_path() -> str | None:
    """Where the language link should come back to: this page's address with its query when it was a
    GET, else the same path when it can be fetched by GET (a form page shown again after a POST), else
    nothing (the link then goes to the start page). Respondent links (``/r/<token>``) never: the token
    must not travel in another URL."""
    path = request.path
    if path.startswith("/r/"):
        return None
    if request.method == "GET":
        query = request.query_string.decode("utf-8", "replace")
        return f"{path}?{query}" if query else path
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # no GET route there (405), or a redirect
        return None
    return path


def service_text(exc: BaseException | str) -> Markup | str:
    """A service's message for a page. A :class:`~survey.services.ServiceError` carries its English
    msgid and parameters: on a Danish page the msgid's translation is filled in (a wave status as a
    parameter translated too). A message without a translation (another exception's text, e.g. a file
    error of ``analysis``) stays English, marked ``lang="en"`` so a screen reader pronounces it as
    English and the page says honestly which part is not translated."""
    text = str(exc)
    if current_language() == "en":
        return text
    from survey.services import ServiceError

    if isinstance(exc, ServiceError):
        translated = get_translations().ugettext(exc.msgid)
        if translated != exc.msgid:
            return Markup(escape(translated)) % _translated_params(exc.params)
    return Markup('<span lang="en">%s</span>') % text


def _translated_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the values the page can say in its language translated (a wave status, the kind
    of rows that keep a unit); another exception's text stays English, marked ``lang="en"``."""
    from survey.models import WAVE_STATUSES

    words = {
        "status": {"draft": gettext("draft"), "open": gettext("open"), "closed": gettext("closed")},
        "what": {"invitations": gettext("invitations"), "manager accounts": gettext("manager accounts")},
    }
    out = dict(params)
    for key, value in params.items():
        if key == "status" and value not in WAVE_STATUSES:
            continue
        if isinstance(value, str) and value in words.get(key, {}):
            out[key] = words[key][value]
        elif isinstance(value, BaseException):
            out[key] = Markup('<span lang="en">%s</span>') % str(value)
    return out


def with_reason(template: str, exc: BaseException | str, name: str = "reason") -> Markup:
    """``template`` (already translated, with a ``%(reason)s`` placeholder, or ``%(<name>)s``) filled
    with the service's message, escaped, the message marked as English on a Danish page."""
    return Markup(escape(template)) % {name: service_text(exc)}


def role_name(role: str | None) -> str:
    """A staff role in the page's language ("udvalg" for ``committee``), never the internal key; an
    unknown key is shown as it is (a programming error would otherwise hide a user's role)."""
    names = {
        "admin": pgettext("role", "administrator"),
        "hr": pgettext("role", "HR"),
        "committee": pgettext("role", "committee"),
        "manager": pgettext("role", "manager"),
    }
    return str(names.get(role or "", role or ""))


def questionnaire_title(qid: str) -> str:
    """A shipped questionnaire's title in the page's language ("Krænkende handlinger" for
    ``offensive_behaviour``); an id that is not shipped is shown as it is."""
    title = _shipped_titles().get(qid)
    if title is None:
        return qid
    return str(title.get(current_language()))


def theme_title(theme_id: str) -> str | None:
    """A shipped questionnaire's theme title in the page's language; None for an unknown id."""
    title = _shipped_themes().get(theme_id)
    return None if title is None else str(title.get(current_language()))


@lru_cache(maxsize=1)
def _shipped_themes() -> dict[str, Any]:
    import questionnaires

    out: dict[str, Any] = {}
    for qid in questionnaires.shipped_ids():
        try:
            out.update({t.id: t.title for t in questionnaires.load(qid).themes})
        except Exception:  # a broken shipped file is reported where it is used, not on every page
            continue
    return out


@lru_cache(maxsize=1)
def _shipped_titles() -> dict[str, Any]:
    import questionnaires

    out: dict[str, Any] = {}
    for qid in questionnaires.shipped_ids():
        try:
            out[qid] = questionnaires.load(qid).title
        except Exception:  # a broken shipped file is reported where it is used, not on every page
            continue
    return out


def unit_label(unit_id: str | None) -> str:
    """A unit's name as people tell it apart (:func:`survey.services.units.unit_labels`), once per
    request; an unknown id is shown as it is."""
    if not unit_id:
        return ""
    return str(_request_unit_labels().get(unit_id, unit_id))


def _request_unit_labels() -> dict[str, str]:
    labels = getattr(g, "_unit_labels", None)
    if labels is None:
        from survey.services.units import unit_labels

        labels = g._unit_labels = unit_labels()
    return dict(labels)


_THEME_WORD = re.compile(r"\b(tema|theme) ([a-z][a-z0-9_]*)\b")


def readable(text: str) -> str:
    """A computed text (a grant's explanation) as people read it: every unit id replaced by the unit's
    name (:func:`unit_label`) and every "tema <id>" / "theme <id>" by the theme's title."""
    labels = _request_unit_labels()
    if labels:
        ids = sorted(labels, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])")
        text = pattern.sub(lambda m: labels[m.group(1)], text)
    return _THEME_WORD.sub(lambda m: f"{m.group(1)} {theme_title(m.group(2)) or m.group(2)}", text)
