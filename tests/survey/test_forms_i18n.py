"""WTForms' own messages (required, not a valid choice, too long, not a date) in the page's language:
Danish on a Danish page, English on an English one, on the committee and follow-up forms; role names and
unit names instead of internal keys and ids on the staff pages."""

from __future__ import annotations

import html
from typing import Any

import pytest
import sqlalchemy as sa

from survey.forms_i18n import WTFORMS_MESSAGES, BabelTranslations
from survey.models_funding import FollowUpPlan, FundingApplication
from survey.services import funding as svc
from tests.survey.test_funding_support import QID, csrf, load_example, make_user, sign_in

ENGLISH_WTFORMS = ("This field is required", "Not a valid choice", "Field cannot be longer",
                   "Not a valid date value")


def _text(r: Any) -> str:
    return html.unescape(r.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_plan_form_errors_are_in_the_page_language(app: Any, db: Any, client: Any, lang: str) -> None:
    load_example()
    sign_in(app, client, make_user("hr@example.org", "hr"))
    client.get(f"/sprog/{lang}")
    url = f"/opfoelgning/2025/{QID}/enhed/HOVB"
    token = csrf(client.get(url).get_data(as_text=True))
    base = {"csrf_token": token, "what": "x", "owner": "y", "due_on": "2030-01-01", "status": "planned"}
    expected = {
        "da": ["Vælg en af mulighederne på listen.", "Feltet må højst være 200 tegn langt.",
               "Ikke en gyldig dato. Skriv den som ÅÅÅÅ-MM-DD."],
        "en": ["Not a valid choice.", "Field cannot be longer than 200 characters.",
               "Not a valid date value."],
    }[lang]
    cases = [{"status": "finished"}, {"owner": "y" * 201}, {"due_on": "31-12-2030"}]
    for change, message in zip(cases, expected, strict=True):
        r = client.post(url, data={**base, **change})
        assert r.status_code == 400, change
        page = _text(r)
        assert message in page, change
        if lang == "da":
            assert not [e for e in ENGLISH_WTFORMS if e in page], change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpPlan)) == 0


@pytest.mark.parametrize("lang", ["da", "en"])
def test_committee_form_required_field_in_the_page_language(
    app: Any, db: Any, client: Any, lang: str
) -> None:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    rnd = svc.create_round("2025", 200000)
    client.get(f"/sprog/{lang}")
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = client.post(
        f"/udvalg/runde/{rnd.id}/ansoegninger",
        data={"csrf_token": csrf(page), "app-application_id": "", "app-unit_id": "KUM", "app-requested": "5"},
    )
    assert r.status_code == 400
    text = _text(r)
    if lang == "da":
        assert "Dette felt skal udfyldes." in text and "This field is required" not in text
    else:
        assert "This field is required." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 0


def test_every_wtforms_message_the_app_can_show_has_danish(app: Any) -> None:
    t = BabelTranslations()
    with app.test_request_context():
        from flask import session

        session["lang"] = "da"
        for message in WTFORMS_MESSAGES:
            assert t.gettext(message) != message, message
        assert t.ngettext("Field cannot be longer than %(max)d character.",
                          "Field cannot be longer than %(max)d characters.", 64) == (
            "Feltet må højst være %(max)d tegn langt.")
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        assert t.gettext("This field is required.") == "This field is required."


def test_role_and_unit_names_not_keys_on_staff_pages(app: Any, db: Any, client: Any) -> None:
    load_example()
    admin = make_user("admin@example.org", "admin")
    make_user("leder@example.org", "manager", "HOVB")
    make_user("udvalg@example.org", "committee")
    sign_in(app, client, admin)
    home = _text(client.get("/"))
    assert "Din rolle: administrator" in home
    users_page = _text(client.get("/admin/users"))
    for word in ("udvalg", "leder", "administrator"):
        assert f"<td>{word}</td>" in users_page, word
    assert "<td>committee</td>" not in users_page and "<td>manager</td>" not in users_page
    assert ">udvalg</option>" in users_page and ">HR</option>" in users_page
    # the manager's unit by its name, never its id
    from survey.models import Unit

    name = db.session.get(Unit, "HOVB").name
    assert f"<td>{name}</td>" in users_page and "<td>HOVB</td>" not in users_page
    assert "HOVB ·" not in users_page
    client.get("/sprog/en")
    assert "Your role: administrator" in _text(client.get("/"))
    assert "<td>committee</td>" in _text(client.get("/admin/users"))


def test_unit_labels_tell_repeated_names_apart_without_ids() -> None:
    from survey.services.units import labels_of

    rows = [
        ("ORG", None, "Kommunen"),
        ("V", "ORG", "Vest"), ("O", "ORG", "Øst"),
        ("V1", "V", "Hjemmeplejen"), ("O1", "O", "Hjemmeplejen"),
        ("A", "ORG", "Team"), ("A1", "A", "Nord"), ("B", "ORG", "Team"), ("B1", "B", "Nord"),
        ("X1", "A1", "Køkken"), ("X2", "B1", "Køkken"),
    ]
    labels = labels_of(rows)
    assert labels["ORG"] == "Kommunen" and labels["V"] == "Vest"
    assert (labels["V1"], labels["O1"]) == ("Hjemmeplejen (Vest)", "Hjemmeplejen (Øst)")
    # the parents' names repeat too: the whole path
    # the parents' names repeat too: the whole path; identical paths are numbered
    assert (labels["A"], labels["B"]) == ("Kommunen › Team (1)", "Kommunen › Team (2)")
    assert (labels["X1"], labels["X2"]) == ("Kommunen › Team › Nord › Køkken (1)",
                                            "Kommunen › Team › Nord › Køkken (2)")
    assert len(set(labels.values())) == len(labels)
    assert not any(uid in label for uid, label in labels.items() if len(uid) > 1)


def test_computed_texts_name_units_and_themes_not_ids(app: Any, db: Any) -> None:
    """A grant's explanation from the allocation names units and themes by id; the pages show names."""
    from survey.i18n import questionnaire_title, readable

    load_example()
    with app.test_request_context():
        from flask import session

        session["lang"] = "da"
        text = readable("orange tema tempo: 2 point. Bemærk: HOVB, FIL får også tilskud (BIB-X står)")
        assert text == ("orange tema Arbejdsmængde og tempo: 2 point. Bemærk: Hovedbiblioteket, Filialerne "
                        "får også tilskud (BIB-X står)")
        assert questionnaire_title("offensive_behaviour") == "Krænkende handlinger"
        assert questionnaire_title("unknown_id") == "unknown_id"
