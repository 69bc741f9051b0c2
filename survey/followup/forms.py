"""The action plan form (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from survey.forms_i18n import TrivselFlaskForm


def status_choices() -> list[tuple[str, str]]:
    return [("planned", str(_("planned"))), ("in_progress", str(_("in progress"))), ("done", str(_("done")))]


class PlanForm(TrivselFlaskForm):
    what = TextAreaField(
        _("What will be done"), validators=[DataRequired(_("Say what will be done.")), Length(max=5000)]
    )
    owner = StringField(_("Owner"), validators=[DataRequired(_("Name who is responsible.")), Length(max=200)])
    due_on = DateField(_("Due date"), validators=[InputRequired(_("Give a due date (YYYY-MM-DD)."))])
    status = SelectField(_("Status"), default="planned")
    evaluation = TextAreaField(_("Evaluation"), validators=[Optional(), Length(max=5000)])
