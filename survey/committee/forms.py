"""Forms of the committee pages (Flask-WTF, so every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from survey.forms_i18n import TrivselFlaskForm
from survey.forms_numbers import Between, LocaleDecimalField, MoneyField
from survey.services.funding import MAX_DKK


class RoundForm(TrivselFlaskForm):
    """A new funding round for a closed wave (over all of its questionnaires)."""

    wave = SelectField(_("Wave"), validators=[DataRequired()])
    budget = MoneyField(
        _("Budget (DKK)"), validators=[InputRequired(_("Write a number.")), Between(0, MAX_DKK, whole=True)]
    )
    cap = MoneyField(
        _("Largest grant per unit (DKK, optional)"), validators=[Optional(), Between(0, MAX_DKK, whole=True)]
    )
    beta = LocaleDecimalField(
        _("Beta (1 = per employee, 0.5 dampens large units)"),
        default=1,
        validators=[InputRequired(_("Write a number.")), Between(0, 10)],
    )


class SettingsForm(TrivselFlaskForm):
    budget = MoneyField(
        _("Budget (DKK)"), validators=[InputRequired(_("Write a number.")), Between(0, MAX_DKK, whole=True)]
    )
    cap = MoneyField(
        _("Largest grant per unit (DKK, optional)"), validators=[Optional(), Between(0, MAX_DKK, whole=True)]
    )
    beta = LocaleDecimalField(
        _("Beta (1 = per employee, 0.5 dampens large units)"),
        validators=[InputRequired(_("Write a number.")), Between(0, 10)],
    )


class ApplicationForm(TrivselFlaskForm):
    application_id = StringField(_("Application id"), validators=[DataRequired(), Length(max=64)])
    unit_id = SelectField(_("Unit"), validators=[DataRequired()])
    requested = MoneyField(
        _("Requested (DKK)"),
        validators=[InputRequired(_("Write a number.")), Between(1, MAX_DKK, whole=True)],
    )
    themes = StringField(
        _("Themes the follow-up addresses (separated by ;)"), validators=[Optional(), Length(max=500)]
    )
    med_area = StringField(_("Co-determination area"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_("Description"), validators=[Optional(), Length(max=5000)])


class ImportForm(TrivselFlaskForm):
    file = FileField(
        _("applications.csv (application_id, unit_id, requested; optional: themes, med_area, description)"),
        validators=[FileRequired(_("Choose a CSV file to import."))],
    )


class OverrideForm(TrivselFlaskForm):
    unit_id = SelectField(_("Unit"), validators=[DataRequired()])
    amount = MoneyField(
        _("Amount (DKK)"), validators=[InputRequired(_("Write a number.")), Between(0, MAX_DKK, whole=True)]
    )
    reason = TextAreaField(
        _("Reason"),
        validators=[
            DataRequired(_("Write the reason for the override; an override without a reason is not saved.")),
            Length(max=2000),
        ],
    )


class ActionForm(TrivselFlaskForm):
    """A button-only form (run, lock, delete): just the CSRF token."""
