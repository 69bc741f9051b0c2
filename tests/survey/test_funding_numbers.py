"""Numbers on the committee's forms are read as the page's language writes them (survey.forms_numbers).

A Dane's "200.000" is two hundred thousand, "1.234,50" is 1234.5 and "0,5" is a half; on an English page
"0.5" is a half. Nothing changes magnitude silently: a value that cannot be read, or that reads differently
in the two conventions, is refused at its field in the page's language and nothing is stored.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from survey.forms_numbers import NumberError, parse_number, show_number
from survey.services import funding as svc
from tests.survey.test_funding_support import csrf, load_example, make_user, sign_in


def _in(app: Any, lang: str) -> Any:
    """A request context whose page language is ``lang``."""
    ctx = app.test_request_context("/")
    ctx.push()
    from flask import session

    session["lang"] = lang
    return ctx


@pytest.mark.parametrize(
    ("lang", "text", "whole", "expected"),
    [
        ("da", "0,5", False, Decimal("0.5")),
        ("da", "200.000", True, Decimal(200000)),
        ("da", "1.234,50", False, Decimal("1234.50")),
        ("da", "1.234,00", True, Decimal(1234)),
        ("da", "200 000", True, Decimal(200000)),
        ("da", "200\u00a0000 kr.", True, Decimal(200000)),
        ("da", "900000", True, Decimal(900000)),
        ("da", "0,500", False, Decimal("0.5")),
        ("da", "1", False, Decimal(1)),
        ("en", "0.5", False, Decimal("0.5")),
        ("en", "200,000", True, Decimal(200000)),
        ("en", "1,234.50", False, Decimal("1234.50")),
        ("en", "200000 DKK", True, Decimal(200000)),
    ],
)
def test_numbers_are_read_as_the_page_language_writes_them(
    app: Any, lang: str, text: str, whole: bool, expected: Decimal
) -> None:
    ctx = _in(app, lang)
    try:
        assert parse_number(text, whole=whole, money=whole) == expected
    finally:
        ctx.pop()


@pytest.mark.parametrize(
    ("lang", "text", "whole", "says"),
    [
        # an English decimal point on a Danish page would be 5 by grouping: refused, not read as 5
        ("da", "0.5", False, "komma"),
        ("da", "1,234.50", False, "komma"),
        ("da", "1.23", False, "komma"),
        # 200 in Danish, 200,000 in English: refused as ambiguous, both readings written out
        ("da", "200,000", True, "200.000"),
        ("da", "1,500", False, "1,5"),
        ("da", "1.234,50", True, "øre"),
        ("da", "abc", False, "komma"),
        ("da", "1e5", True, "komma"),
        ("da", "NaN", False, "komma"),
        ("da", "Infinity", False, "komma"),
        ("da", "\u0661\u0662", True, "komma"),
        ("da", "20 00", True, "mellemrum"),
        ("en", "0,5", False, "point for decimals"),
        ("en", "1.234,50", False, "point for decimals"),
        ("en", "200.000", True, "two ways"),
    ],
)
def test_unreadable_or_ambiguous_numbers_are_refused_in_the_page_language(
    app: Any, lang: str, text: str, whole: bool, says: str
) -> None:
    ctx = _in(app, lang)
    try:
        with pytest.raises(NumberError) as err:
            parse_number(text, whole=whole, money=whole)
        assert says in str(err.value)
    finally:
        ctx.pop()


def test_numbers_are_shown_back_in_the_page_format(app: Any) -> None:
    ctx = _in(app, "da")
    try:
        assert show_number(0.5) == "0,5"
        assert show_number(200000, whole=True) == "200.000"
        assert show_number(1.25) == "1,25"
    finally:
        ctx.pop()
    ctx = _in(app, "en")
    try:
        assert show_number(0.5) == "0.5"
        assert show_number(200000, whole=True) == "200,000"
    finally:
        ctx.pop()


# --- through the committee's pages ---------------------------------------------------------------


@pytest.fixture()
def committee(app: Any, db: Any, client: Any) -> Any:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    return client


def _field_error(page: str, field_id: str) -> str:
    m = re.search(rf'<span class="error" id="{re.escape(field_id)}-error">(.*?)</span>', page, re.S)
    assert m, f"no error at field {field_id}"
    return m.group(1)


def _new_round(client: Any, budget: str, beta: str, cap: str = "") -> Any:
    page = client.get("/udvalg/").get_data(as_text=True)
    return client.post(
        "/udvalg/",
        data={"csrf_token": csrf(page), "wave": "2025", "budget": budget, "cap": cap, "beta": beta},
    )


def test_danish_budget_and_beta_are_stored_as_meant_and_shown_back(committee: Any, db: Any) -> None:
    r = _new_round(committee, "200.000", "0,5", cap="60.000")
    assert r.status_code == 302, r.get_data(as_text=True)
    rnd = svc.list_rounds()[0]
    assert (rnd.budget, rnd.cap, rnd.beta) == (200000, 60000, 0.5)
    page = committee.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    assert '<dd id="beta">0,5</dd>' in page and '<dd id="budget">200.000</dd>' in page
    # the settings form shows the stored values in Danish, so saving it unchanged keeps them
    assert re.search(r'id="set-beta"[^>]*value="0,5"', page) or re.search(
        r'value="0,5"[^>]*id="set-beta"', page
    )
    assert 'value="200.000"' in page
    r = committee.post(
        f"/udvalg/runde/{rnd.id}/indstillinger",
        data={"csrf_token": csrf(page), "set-budget": "200.000", "set-cap": "60.000", "set-beta": "0,5"},
    )
    assert r.status_code == 302
    db.session.refresh(rnd)
    assert (rnd.budget, rnd.cap, rnd.beta) == (200000, 60000, 0.5)


def test_english_page_reads_english_numbers(committee: Any) -> None:
    committee.get("/sprog/en")
    r = _new_round(committee, "200,000", "0.5")
    assert r.status_code == 302, r.get_data(as_text=True)
    rnd = svc.list_rounds()[0]
    assert (rnd.budget, rnd.beta) == (200000, 0.5)


@pytest.mark.parametrize(
    ("field", "budget", "beta", "says"),
    [
        ("beta", "200.000", "0.5", "Brug komma som decimaltegn"),
        ("budget", "200,000", "1", "kan læses på to måder"),
        ("budget", "1.234,50", "1", "uden øre"),
        ("beta", "200.000", "11", "fra 0 til 10"),
        ("budget", "-1", "1", "fra 0 til 2.000.000.000"),
        ("budget", "", "1", "Skriv et tal"),
    ],
)
def test_bad_numbers_are_refused_at_the_field_in_danish_and_nothing_is_stored(
    committee: Any, field: str, budget: str, beta: str, says: str
) -> None:
    r = _new_round(committee, budget, beta)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert says in _field_error(page, field)
    # what was typed stays in the field
    typed = budget if field == "budget" else beta
    assert f'value="{typed}"' in page
    assert svc.list_rounds() == []


def test_bad_setting_changes_nothing(committee: Any, db: Any) -> None:
    rnd = svc.create_round("2025", 200000, None, 1.0)
    page = committee.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = committee.post(
        f"/udvalg/runde/{rnd.id}/indstillinger",
        data={"csrf_token": csrf(page), "set-budget": "300.000", "set-cap": "", "set-beta": "0.5"},
    )
    assert r.status_code == 400
    assert "komma" in _field_error(r.get_data(as_text=True), "set-beta")
    db.session.refresh(rnd)
    assert (rnd.budget, rnd.beta) == (200000, 1.0)
