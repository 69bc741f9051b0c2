"""The organisation's own help contacts (issue 13, item 5): HR's page (role check, CSRF, validation at the
field, nothing changed on error), and the two places they show: the end of the offensive-behaviour part of
the questionnaire (the last exposure page only) and the dialogue sheet, each in Danish and English, with the
general advice when no contact is set."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from respond_flow import Respondent

from survey.models_workenv import HelpContact
from survey.services import help_contacts as svc
from tests.survey.staff_helpers import csrf, signed_in

FULL = {
    "hr-name": "Anne Hansen, HR-partner",
    "hr-phone": "+45 12 34 56 78",
    "hr-email": "anne@kommune.dk",
    "hr-text_da": "Ring på hverdage 8-15.",
    "hr-text_en": "Call on weekdays 8-15.",
    "counselling-name": "Falck Healthcare",
    "counselling-phone": "70 10 20 30",
    "counselling-text_da": "Anonym psykologhjælp døgnet rundt.",
}


def _text(page: str) -> str:
    """The page's text; inline tags (links, bold) leave no space, other tags one."""
    page = re.sub(r"</?(a|strong|span)\b[^>]*>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _rows(db: Any) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (r.kind, r.name, r.phone, r.email, r.text_da, r.text_en)
        for r in db.session.scalars(sa.select(HelpContact).order_by(HelpContact.kind))
    ]


def _save(client: Any, data: dict[str, str]) -> Any:
    return client.post(
        "/aarsrapport/hjaelp", data={"csrf_token": csrf(client, "/aarsrapport/hjaelp"), **data}
    )


def test_only_hr_and_admin_open_the_page(app: Any, client: Any, db: Any, make_units: Any) -> None:
    make_units()
    assert client.get("/aarsrapport/hjaelp").status_code in (302, 303)
    assert client.post("/aarsrapport/hjaelp", data=FULL).status_code in (302, 303, 400)
    for role in ("committee", "manager"):
        c = app.test_client()
        signed_in(c, role, unit_id="A" if role == "manager" else None)
        assert c.get("/aarsrapport/hjaelp").status_code == 403
        token = csrf(c, "/")
        assert c.post("/aarsrapport/hjaelp", data={"csrf_token": token, **FULL}).status_code == 403
    assert _rows(db) == []
    for role in ("hr", "admin"):
        c = app.test_client()
        signed_in(c, role)
        assert c.get("/aarsrapport/hjaelp").status_code == 200


def test_hr_sets_changes_and_removes_contacts(client: Any, db: Any) -> None:
    signed_in(client, "hr")
    page = client.get("/aarsrapport/hjaelp").get_data(as_text=True)
    assert "HR partner" in page and "Work-environment representative" in page and "Counselling" in page
    r = _save(client, {**FULL, "hr-name": "  Anne   Hansen, HR-partner "})
    assert r.status_code == 302
    assert _rows(db) == [
        ("counselling", "Falck Healthcare", "70 10 20 30", "", "Anonym psykologhjælp døgnet rundt.", ""),
        (
            "hr",
            "Anne Hansen, HR-partner",
            "+45 12 34 56 78",
            "anne@kommune.dk",
            FULL["hr-text_da"],
            FULL["hr-text_en"],
        ),
    ]
    # the form shows what is stored
    page = client.get("/aarsrapport/hjaelp").get_data(as_text=True)
    assert 'value="anne@kommune.dk"' in page and "The help contacts are saved." in page
    # emptying a contact removes it
    r = _save(client, {k: v for k, v in FULL.items() if not k.startswith("counselling")})
    assert r.status_code == 302 and [row[0] for row in _rows(db)] == ["hr"]
    event = db.session.execute(sa.text("SELECT action, target FROM audit_events ORDER BY id DESC")).first()
    assert tuple(event) == ("help_contacts.save", "hr")


BAD = [
    ({"hr-name": "Anne", "hr-phone": "12 34 abc"}, "hr-phone", "the phone number may hold digits"),
    ({"hr-name": "Anne", "hr-phone": "+45"}, "hr-phone", "the phone number may hold digits"),
    ({"hr-name": "Anne", "hr-email": "anne.kommune.dk"}, "hr-email", "must look like name@example.dk"),
    ({"representative-phone": "12345678"}, "representative-name", "give a name"),
    ({"counselling-name": "Falck"}, "counselling-phone", "give a phone number or an e-mail address"),
    ({"hr-name": "A" * 201, "hr-phone": "12345678"}, "hr-name", "at most 200 characters"),
    ({"hr-name": "Anne", "hr-phone": "12345678", "hr-text_en": "x" * 501}, "hr-text_en", "at most 500"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD)
def test_invalid_input_is_shown_at_the_field_and_changes_nothing(
    client: Any, db: Any, data: dict[str, str], field: str, message: str
) -> None:
    signed_in(client, "hr")
    assert _save(client, FULL).status_code == 302
    before = _rows(db)
    r = _save(client, data)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}', page)
    assert f'id="{field}" name="{field}"' in page and f'aria-describedby="{field}-error"' in page
    assert f'href="#{field}"' in page  # the summary links to the field
    assert _rows(db) == before
    # what was typed is kept in the form
    some = next(k for k, v in data.items() if len(v) < 100)
    assert html.escape(data[some]) in page


def test_errors_are_danish_on_a_danish_page(client: Any, db: Any) -> None:
    signed_in(client, "hr", lang="da")
    page = _text(client.get("/aarsrapport/hjaelp").get_data(as_text=True))
    assert "Hjælpekontakter" in page and "Arbejdsmiljørepræsentant" in page
    r = _save(client, {"hr-name": "Anne", "hr-email": "nope"})
    text = _text(r.get_data(as_text=True))
    assert r.status_code == 400 and "e-mailadressen skal" in text
    for english in ("must look like", "HR partner", "Counselling", "Save"):
        assert english not in text


def test_missing_csrf_changes_nothing(client: Any, db: Any) -> None:
    signed_in(client, "hr")
    r = client.post("/aarsrapport/hjaelp", data=FULL)
    assert r.status_code == 400 and _rows(db) == []


# ---------------------------------------------------------------------------------------------
# where they show: the respondent's last offensive-behaviour page and the dialogue sheet
# ---------------------------------------------------------------------------------------------


@pytest.fixture()
def open_wave(make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave("2025", "open")


def _exposure_pages(client: Any, token: str) -> list[str]:
    """The html of the example questionnaire's pages 4-7 (bullying, sexual harassment, threats, violence)."""
    r = Respondent(client)
    r.open_link(token)
    r.post("start")
    for _ in range(3):
        r.post("next")
    pages = []
    for _ in range(4):
        pages.append(r.html)
        r.post("next")
    assert "Send" in r.html  # the send page follows the last exposure page
    return pages


def test_the_last_offensive_behaviour_page_shows_the_contacts(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    svc.save(
        {
            "hr": {
                "name": "Anne Hansen",
                "phone": "+45 12 34 56 78",
                "email": "anne@kommune.dk",
                "text_da": "Ring på hverdage.",
                "text_en": "Call on weekdays.",
            },
            "counselling": {"name": "Falck Healthcare", "phone": "70 10 20 30", "text_da": "Døgnåben."},
        }
    )
    pages = _exposure_pages(client, make_invitation("2025", "A"))
    assert ["Hvor kan du få hjælp" in p for p in pages] == [False, False, False, True]
    last = _text(re.search(r'<section class="help-contacts".*?</section>', pages[-1], re.S).group(0))  # type: ignore[union-attr]
    assert "HR-partner: Anne Hansen, +45 12 34 56 78, anne@kommune.dk Ring på hverdage." in last
    assert "Rådgivning: Falck Healthcare, 70 10 20 30 Døgnåben." in last
    assert 'href="tel:+4512345678"' in pages[-1] and 'href="mailto:anne@kommune.dk"' in pages[-1]
    assert "Call on weekdays" not in last and "Arbejdsmiljørepræsentant" not in last


def test_the_contacts_in_english_and_the_general_advice_without_contacts(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    client.get("/sprog/en")
    last = _text(_exposure_pages(client, make_invitation("2025", "A"))[-1])
    assert "Where to get help" in last and "You can also use the organisation's counselling service." in last
    svc.save({"counselling": {"name": "Falck Healthcare", "phone": "70 10 20 30", "text_da": "Døgnåben."}})
    last = _text(_exposure_pages(client, make_invitation("2025", "B"))[-1])
    # the Danish text stands in when HR gave no English one
    assert "Counselling: Falck Healthcare, 70 10 20 30 Døgnåben." in last
    assert "You can also use" not in last


def test_the_dialogue_sheet_lists_the_contacts(client: Any, db: Any) -> None:
    from survey.services.units import import_units
    from tests.survey.test_annual import DATA

    import_units(DATA / "units.csv")
    signed_in(client, "hr", lang="da")
    sheet = _text(client.get("/aarsrapport/2025/dialog/OMS-PLE").get_data(as_text=True))
    assert "Hvor kan du få hjælp" in sheet and "rådgivningsordning" in sheet  # the general advice
    svc.save({"representative": {"name": "Bo Jensen, AMR", "email": "bo@kommune.dk", "text_en": "Ask me."}})
    sheet = _text(client.get("/aarsrapport/2025/dialog/OMS-PLE").get_data(as_text=True))
    assert "Arbejdsmiljørepræsentant: Bo Jensen, AMR, bo@kommune.dk Ask me." in sheet
    assert "rådgivningsordning" not in sheet


def test_save_refuses_unknown_kinds_and_fields(db: Any) -> None:
    with pytest.raises(ValueError, match="unknown help contact"):
        svc.save({"boss": {"name": "X"}})
    with pytest.raises(ValueError, match="unknown help contact"):
        svc.save({"hr": {"name": "X", "address": "Y"}})
    assert svc.contacts() == []
