"""The organisation's own help contacts (issue 13, item 5): read and replace them.

HR sets up to three contacts - the HR partner, the work-environment representative and counselling -
each with a name (or name and role), a phone number, an e-mail address and a short text in Danish and
English. Respondents see them at the end of the offensive-behaviour part of the questionnaire and every
unit's dialogue sheet lists them, because many employees who are harassed tell no one. Validation of the
form happens in the view (messages in the page's language); this module only stores what it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from survey.extensions import db
from survey.models_workenv import HelpContact

#: the kinds of contact, in the order they are shown
KINDS = ("hr", "representative", "counselling")
#: the editable fields of a contact and their maximum lengths (the columns' lengths)
FIELDS = {"name": 200, "phone": 40, "email": 200, "text_da": 500, "text_en": 500}


@dataclass(frozen=True)
class Contact:
    kind: str
    name: str
    phone: str
    email: str
    text_da: str
    text_en: str

    def text(self, lang: str) -> str:
        """The short text in ``lang``, or in the other language when only that one is given."""
        first, second = (self.text_da, self.text_en) if lang == "da" else (self.text_en, self.text_da)
        return first or second


def contacts() -> list[Contact]:
    """The contacts HR has set, in the order of :data:`KINDS` (empty when none is set)."""
    rows = {r.kind: r for r in db.session.scalars(sa.select(HelpContact))}
    return [
        Contact(k, rows[k].name, rows[k].phone, rows[k].email, rows[k].text_da, rows[k].text_en)
        for k in KINDS
        if k in rows
    ]


def save(values: Mapping[str, Mapping[str, str]]) -> None:
    """Replace the contacts: ``values[kind][field]`` (already validated); a kind whose name is empty is
    removed. Raises ``ValueError`` for an unknown kind or field (a programming error, not user input)."""
    for kind, fields in values.items():
        if kind not in KINDS or set(fields) - set(FIELDS):
            raise ValueError(f"unknown help contact kind or field: {kind} {sorted(fields)}")
    for kind in KINDS:
        fields = values.get(kind, {})
        row = db.session.get(HelpContact, kind)
        if not fields.get("name"):
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = HelpContact(kind=kind)
            db.session.add(row)
        for field in FIELDS:
            setattr(row, field, fields.get(field, ""))
    from survey.services import audit

    audit.record("help_contacts.save", target=",".join(k for k in KINDS if values.get(k, {}).get("name")))
    db.session.commit()
