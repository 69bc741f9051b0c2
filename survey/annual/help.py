"""The help-contacts page (``/aarsrapport/hjaelp``, HR and admin) and the ``help_box`` template function.

HR sets the organisation's own contacts (:mod:`survey.services.help_contacts`); the respondent's last
offensive-behaviour page and every dialogue sheet show them through ``templates/annual/_help_contacts.html``.
Without any contact set, both places show the general advice (``render.t("help")``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from survey.annual import ROLES, bp, render
from survey.auth import role_required
from survey.i18n import current_language
from survey.services import help_contacts as svc

#: a phone number: digits, spaces, "+", "-", "(", ")" and at least six digits
_PHONE = re.compile(r"^[0-9+()\- ]+$")
#: an e-mail address: something@something.tld, no spaces
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def kind_labels() -> dict[str, str]:
    return {
        "hr": _("HR partner"),
        "representative": _("Work-environment representative"),
        "counselling": _("Counselling"),
    }


def _validate(form: Any) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """``(values, errors)`` of the posted form; errors map a field's id (``<kind>-<field>``) to a message
    in the page's language saying what is wrong and how to fix it."""
    values: dict[str, dict[str, str]] = {}
    errors: dict[str, str] = {}
    labels = kind_labels()
    for kind in svc.KINDS:
        fields = {f: " ".join((form.get(f"{kind}-{f}") or "").split()) for f in svc.FIELDS}
        values[kind] = fields
        label = labels[kind]
        for field, limit in svc.FIELDS.items():
            if len(fields[field]) > limit:
                errors[f"{kind}-{field}"] = _(
                    "%(contact)s: at most %(limit)d characters here; shorten the text.",
                    contact=label,
                    limit=limit,
                )
        if fields["phone"] and (
            not _PHONE.match(fields["phone"]) or sum(c.isdigit() for c in fields["phone"]) < 6
        ):
            errors.setdefault(
                f"{kind}-phone",
                _(
                    "%(contact)s: the phone number may hold digits, spaces and + only, e.g. +45 12 34 56 78.",
                    contact=label,
                ),
            )
        if fields["email"] and not _EMAIL.match(fields["email"]):
            errors.setdefault(
                f"{kind}-email",
                _("%(contact)s: the e-mail address must look like name@example.dk.", contact=label),
            )
        rest = any(fields[f] for f in svc.FIELDS if f != "name")
        if rest and not fields["name"]:
            errors.setdefault(
                f"{kind}-name",
                _(
                    "%(contact)s: give a name (or a name and role), or empty all fields of this contact.",
                    contact=label,
                ),
            )
        if fields["name"] and not (fields["phone"] or fields["email"]):
            errors.setdefault(
                f"{kind}-phone",
                _(
                    "%(contact)s: give a phone number or an e-mail address, so employees can reach them.",
                    contact=label,
                ),
            )
    return values, errors


@bp.route("/hjaelp", methods=["GET", "POST"])
@role_required(*ROLES)
def help_contacts() -> Any:
    if request.method == "POST":
        values, errors = _validate(request.form)
        if not errors:
            svc.save(values)
            flash(_("The help contacts are saved."), "info")
            return redirect(url_for("annual.help_contacts"))
        status = 400
    else:
        values = {c.kind: {f: getattr(c, f) for f in svc.FIELDS} for c in svc.contacts()}
        errors, status = {}, 200
    return (
        render_template(
            "annual/help.html",
            kinds=svc.KINDS,
            labels=kind_labels(),
            values=values,
            field_errors=errors,
        ),
        status,
    )


def help_box() -> dict[str, Any]:
    """The help contacts for the current page's language: ``{"contacts": [...], "fallback": str}``, each
    contact a dict of ``label``, ``name``, ``phone``, ``email`` and ``text``."""
    lang = current_language()
    labels = kind_labels()
    return {
        "contacts": [
            {
                "label": labels[c.kind],
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "text": c.text(lang),
            }
            for c in svc.contacts()
        ],
        "fallback": render.t("help", lang),
    }


@bp.app_context_processor
def _inject_help_box() -> dict[str, Any]:
    return {"help_box": help_box}
