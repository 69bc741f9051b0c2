"""The committee types Danish numbers in Chromium: "0,5" into Beta is stored as 0.5 and shown back as "0,5".

Runs on the staff server (the demo municipality) on the demo's own funding round over wave 2025 (31
applications, 900.000 kr., one override); the staff journey makes its round for 2024. Everything is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import DESKTOP, PHONE, STAFF, LiveServer, Session, check_axe
from .test_staff_journeys import sign_in_with_keyboard, submit

SHOTS = Path("/tmp/shots/committee")


def _make_round(server: LiveServer) -> tuple[int, str]:
    """The demo's round over wave 2025."""
    from survey.extensions import db
    from survey.services import funding as svc

    with server.app.app_context():
        rid = next(r.id for r in svc.list_rounds() if svc.wave_label(r) == "2025")
        db.session.remove()
    return rid, f"/udvalg/runde/{rid}"


def _stored(server: LiveServer, rid: int) -> tuple[int, int | None, float]:
    from survey.extensions import db
    from survey.services import funding as svc

    with server.app.app_context():
        rnd = svc.get_round(rid)
        out = (rnd.budget, rnd.cap, rnd.beta)
        db.session.remove()
    return out


def test_danish_beta_typed_in_chromium_is_stored_as_meant_and_shown_back(
    staff_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    server = staff_server
    rid, path = _make_round(server)
    s = new_session(server, **DESKTOP)
    page = s.page
    sign_in_with_keyboard(page, STAFF["committee"][0])
    page.goto(path)
    form = f"form[action='{path}/indstillinger']"

    # an English decimal point on the Danish page is refused at the field, and nothing changes
    page.locator(form).get_by_label("Beta", exact=False).fill("0.5")
    assert submit(page, form) == 400
    beta = page.locator("#set-beta")
    assert beta.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{beta.get_attribute('aria-describedby')}").inner_text()
    assert "komma" in error, error
    assert beta.input_value() == "0.5"  # what was typed is kept for correcting
    assert _stored(server, rid) == (900000, None, 1.0)

    # the Danish "0,5" and "150.000" are stored as meant
    beta.fill("")
    beta.type("0,5")
    page.locator("#set-budget").fill("950.000")
    assert submit(page, form) == 200
    assert _stored(server, rid) == (950000, None, 0.5)
    # and shown back in Danish: on the page and in the form that would save them again
    assert page.locator("#beta").inner_text() == "0,5"
    assert page.locator("#budget").inner_text() == "950.000"
    assert page.locator("#set-beta").input_value() == "0,5"
    assert page.locator("#set-budget").input_value() == "950.000"
    assert page.locator("#set-beta").get_attribute("inputmode") == "decimal"
    check_axe(page, "committee round after saving Danish numbers")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "round_numbers_desktop.png"), full_page=True)


def test_beta_field_on_a_phone(staff_server: LiveServer, new_session: Callable[..., Session]) -> None:
    server = staff_server
    rid, path = _make_round(server)
    s = new_session(server, **PHONE)
    page: Any = s.page
    sign_in_with_keyboard(page, STAFF["committee"][0])
    page.goto(path)
    page.locator("#set-beta").fill("0,75")
    assert submit(page, f"form[action='{path}/indstillinger']") == 200
    assert _stored(server, rid)[2] == 0.75
    assert page.locator("#set-beta").input_value() == "0,75"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "round_numbers_phone.png"), full_page=True)


def test_override_mistakes_are_refused_at_their_field_in_chromium(
    staff_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    from survey.extensions import db
    from survey.services import funding as svc

    server = staff_server
    rid, path = _make_round(server)
    with server.app.app_context():
        (existing,) = [(o.unit_id, o.amount) for o in svc.get_round(rid).overrides]
        other = next(a.unit_id for a in svc.get_round(rid).applications if a.unit_id != existing[0])
        db.session.remove()
    s = new_session(server, **DESKTOP)
    page = s.page
    sign_in_with_keyboard(page, STAFF["committee"][0])
    page.goto(path)
    ov = f"form[action='{path}/overstyringer']"

    # a second override for the unit the demo already overrode: refused at the unit field, once
    page.locator(ov).get_by_label("Enhed").select_option(existing[0])
    page.locator(ov).get_by_label("Beløb (kr.)").fill("30.000")
    page.locator(ov).get_by_label("Begrundelse").fill("Besluttet i MED-udvalget")
    assert submit(page, ov) == 400
    unit = page.locator("#ov-unit_id")
    assert unit.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{unit.get_attribute('aria-describedby')}").inner_text()
    assert f"{existing[0]} har allerede et fastsat beløb" in error, error
    assert page.locator("main").inner_text().count("har allerede et fastsat beløb") == 1
    check_axe(page, "override refused at the unit field")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "override_refused_desktop.png"), full_page=True)

    # above the budget: refused at the amount field, what was typed kept
    page.locator(ov).get_by_label("Enhed").select_option(other)
    page.locator(ov).get_by_label("Beløb (kr.)").fill("5.000.000")
    page.locator(ov).get_by_label("Begrundelse").fill("Besluttet i MED-udvalget")
    assert submit(page, ov) == 400
    amount = page.locator("#ov-amount")
    error = page.locator(f"#{amount.get_attribute('aria-describedby')}").inner_text()
    assert "mere end budgettet" in error, error
    assert amount.input_value() == "5.000.000"
    # a blank reason: refused at the reason field
    page.locator(ov).get_by_label("Enhed").select_option(other)
    page.locator(ov).get_by_label("Beløb (kr.)").fill("10.000")
    page.locator(ov).get_by_label("Begrundelse").fill("   ")
    assert submit(page, ov) == 400
    reason = page.locator("#ov-reason")
    assert reason.get_attribute("aria-invalid") == "true"
    with server.app.app_context():
        assert [(o.unit_id, o.amount) for o in svc.get_round(rid).overrides] == [existing]
        db.session.remove()
