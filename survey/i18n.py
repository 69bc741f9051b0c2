"""Language choice: Danish by default, English on request, kept in the session."""

from __future__ import annotations

from flask import session

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
