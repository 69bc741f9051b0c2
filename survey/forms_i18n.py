"""WTForms' own messages in the page's language.

WTForms ships no Danish translation of its built-in messages ("This field is required.", "Not a valid
choice.", "Field cannot be longer than 200 characters." ...), and Flask-WTF's ``WTF_I18N_ENABLED`` only
loads WTForms' own catalogues. Every form of the app therefore takes its translations from the app's one
Babel catalogue (``survey/translations``), which carries the WTForms messages the app's fields and
validators can produce (:data:`WTFORMS_MESSAGES`). English pages get the msgids, which are WTForms' own
English texts.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm
from wtforms import Form

__all__ = ["BabelTranslations", "TrivselFlaskForm", "TrivselForm", "WTFORMS_MESSAGES"]

#: the built-in WTForms / Flask-WTF messages the app's fields and validators can show; each has a Danish
#: entry in the catalogue (tests/survey/test_i18n.py checks that)
WTFORMS_MESSAGES = (
    "This field is required.",
    "Not a valid choice.",
    "Invalid Choice: could not coerce.",
    "Not a valid date value.",
    "Field must be at least %(min)d character long.",
    "Field cannot be longer than %(max)d character.",
    "Field must be exactly %(max)d character long.",
    "Field must be between %(min)d and %(max)d characters long.",
)


class BabelTranslations:
    """WTForms' translations object (``gettext``/``ngettext``) backed by Flask-Babel's catalogue of the
    current request's language. WTForms formats the ``%(min)d`` placeholders itself afterwards, so the
    strings are looked up only, never formatted here."""

    def gettext(self, string: str) -> str:
        return str(get_translations().gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ngettext(singular, plural, n))


TRANSLATIONS = BabelTranslations()


class _Meta:
    def get_translations(self, form: Any) -> BabelTranslations:
        return TRANSLATIONS


class TrivselFlaskForm(FlaskForm):
    """A Flask-WTF form (CSRF token) whose built-in messages follow the page's language."""

    class Meta(_Meta):
        pass


class TrivselForm(Form):
    """A plain WTForms form whose built-in messages follow the page's language."""

    class Meta(_Meta):
        pass
