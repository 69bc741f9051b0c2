"""The committee types Danish numbers in Chromium: "0,5" into Beta is stored as 0.5 and shown back as "0,5".

Runs on the staff server (the demo municipality). The round is made through the service for the demo's
earlier closed wave (2024), so it does not meet the demo's own round; everything after that is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import DESKTOP, PHONE, STAFF, LiveServer, Session, check_axe
from .test_staff_journeys import sign_in_with_keyboard, submit

SHOTS = Path("/tmp/shots/committee")


def _make_round(server: LiveServer) -> tuple[int, str]:
    from survey.extensions import db
    from survey.services import funding as svc

    with server.app.app_context():
        existing = [r for r in svc.list_rounds() if svc.wave_label(r) == "2024"]
        rnd = existing[0] if existing else svc.create_round("2024", 100000, None, 1.0)
        rid = rnd.id
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
    assert _stored(server, rid)[2] == 1.0

    # the Danish "0,5" and "150.000" are stored as meant
    beta.fill("")
    beta.type("0,5")
    page.locator("#set-budget").fill("150.000")
    assert submit(page, form) == 200
    assert _stored(server, rid) == (150000, None, 0.5)
    # and shown back in Danish: on the page and in the form that would save them again
    assert page.locator("#beta").inner_text() == "0,5"
    assert page.locator("#budget").inner_text() == "150.000"
    assert page.locator("#set-beta").input_value() == "0,5"
    assert page.locator("#set-budget").input_value() == "150.000"
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
        rnd = svc.get_round(rid)
        if not rnd.applications:
            svc.add_application(rid, "SAG-900", "AEL-HJE", 50000)
        db.session.remove()
    s = new_session(server, **DESKTOP)
    page = s.page
    sign_in_with_keyboard(page, STAFF["committee"][0])
    page.goto(path)
    ov = f"form[action='{path}/overstyringer']"

    # a unit without an application: refused at the unit field, in Danish, once
    page.locator(ov).get_by_label("Enhed").select_option("KUB-BOR")
    page.locator(ov).get_by_label("Beløb (kr.)").fill("25.000")
    page.locator(ov).get_by_label("Begrundelse").fill("Besluttet i MED-udvalget")
    assert submit(page, ov) == 400
    unit = page.locator("#ov-unit_id")
    assert unit.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{unit.get_attribute('aria-describedby')}").inner_text()
    assert "KUB-BOR har ingen ansøgning i denne runde" in error, error
    assert page.locator("main").inner_text().count("har ingen ansøgning") == 1
    check_axe(page, "override refused at the unit field")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "override_refused_desktop.png"), full_page=True)

    # above the budget (100.000 or what the Beta test left): refused at the amount field
    page.locator(ov).get_by_label("Enhed").select_option("AEL-HJE")
    page.locator(ov).get_by_label("Beløb (kr.)").fill("5.000.000")
    page.locator(ov).get_by_label("Begrundelse").fill("Besluttet i MED-udvalget")
    assert submit(page, ov) == 400
    amount = page.locator("#ov-amount")
    error = page.locator(f"#{amount.get_attribute('aria-describedby')}").inner_text()
    assert "mere end budgettet" in error, error
    assert amount.input_value() == "5.000.000"
    with server.app.app_context():
        assert svc.get_round(rid).overrides == []
        db.session.remove()
