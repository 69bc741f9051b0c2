"""Mistakes in overrides are refused on the override form, at the field, in Danish; nothing is stored.

The worked example (tests/data/example): budget 200,000; applications.csv has HOVB, SVH, KUM, HIM, HAL
and FVE, so ANL (no application) is not a candidate when applications are recorded.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from survey.models_funding import FundingApplication, FundingOverride
from survey.services import funding as svc
from tests.survey.test_funding_support import EXAMPLE, csrf, load_example, make_user, sign_in

APPLICATIONS = (EXAMPLE / "applications.csv").read_text(encoding="utf-8")


@pytest.fixture()
def rnd(app: Any, db: Any, client: Any) -> Any:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    return svc.create_round("2025", 200000)


def _override(client: Any, rid: int, unit: str, amount: str, reason: str = "Besluttet i MED-udvalget") -> Any:
    page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    return client.post(
        f"/udvalg/runde/{rid}/overstyringer",
        data={"csrf_token": csrf(page), "ov-unit_id": unit, "ov-amount": amount, "ov-reason": reason},
    )


def _field_error(page: str, field_id: str) -> str:
    m = re.search(rf'<span class="error" id="{re.escape(field_id)}-error">(.*?)</span>', page, re.S)
    assert m, f"no error at field {field_id}"
    return m.group(1)


def _overrides(db: Any) -> list[tuple[str, int]]:
    return [(o.unit_id, o.amount) for o in db.session.scalars(sa.select(FundingOverride))]


def test_override_for_a_unit_without_application_is_refused_at_the_unit_field(
    client: Any, rnd: Any, db: Any
) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    r = _override(client, rnd.id, "ANL", "10.000")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "ANL har ingen ansøgning i denne runde" in _field_error(page, "ov-unit_id")
    assert 'aria-describedby="ov-unit_id-error"' in page
    # once, and not as an English notice
    assert page.count("ANL har ingen ansøgning") == 1 and "not a candidate" not in page
    assert _overrides(db) == []


def test_override_for_a_non_candidate_without_applications_is_refused(client: Any, rnd: Any, db: Any) -> None:
    # without applications the candidates are what the allocation makes candidates (contract 3, 5.8)
    from analysis import allocate

    candidates = {g.unit_id for g in allocate(svc.allocation_input(svc.round_report(rnd)), 200000).grants}
    units = [row["unit_id"] for row in svc.criteria_rows(svc.round_report(rnd))]
    outsider = next(u for u in units if u not in candidates)
    r = _override(client, rnd.id, outsider, "10.000")
    assert r.status_code == 400
    assert "ikke kandidat i denne runde" in _field_error(r.get_data(as_text=True), "ov-unit_id")
    assert _overrides(db) == []
    inside = sorted(candidates)[0]
    assert _override(client, rnd.id, inside, "10.000").status_code == 302
    assert _overrides(db) == [(inside, 10000)]


def test_second_override_for_the_same_unit_is_refused(client: Any, rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    assert _override(client, rnd.id, "SVH", "60.000").status_code == 302
    r = _override(client, rnd.id, "SVH", "70.000")
    assert r.status_code == 400
    assert "SVH har allerede et fastsat beløb på 60.000 kr." in _field_error(
        r.get_data(as_text=True), "ov-unit_id"
    )
    assert _overrides(db) == [("SVH", 60000)]


def test_blank_reason_is_refused_at_the_reason_field(client: Any, rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    r = _override(client, rnd.id, "SVH", "60.000", reason=" \n ")
    assert r.status_code == 400
    assert "Skriv begrundelsen" in _field_error(r.get_data(as_text=True), "ov-reason")
    assert _overrides(db) == []


def test_overrides_above_the_budget_are_refused_at_the_amount_field(client: Any, rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    assert _override(client, rnd.id, "SVH", "150.000").status_code == 302
    r = _override(client, rnd.id, "KUM", "60.000")
    assert r.status_code == 400
    error = _field_error(r.get_data(as_text=True), "ov-amount")
    # 150,000 + 60,000 = 210,000 > 200,000; 50,000 is left
    assert "210.000 kr., mere end budgettet på 200.000 kr." in error and "50.000 kr." in error
    assert _overrides(db) == [("SVH", 150000)]
    # exactly the rest of the budget is fine
    assert _override(client, rnd.id, "KUM", "50.000").status_code == 302


def test_budget_below_the_overrides_is_refused_at_the_budget_field(client: Any, rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    svc.set_override(rnd.id, "SVH", 150000, "Besluttet")
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = client.post(
        f"/udvalg/runde/{rnd.id}/indstillinger",
        data={"csrf_token": csrf(page), "set-budget": "100.000", "set-cap": "", "set-beta": "1"},
    )
    assert r.status_code == 400
    assert "150.000 kr." in _field_error(r.get_data(as_text=True), "set-budget")
    db.session.refresh(rnd)
    assert rnd.budget == 200000


def test_application_with_an_override_cannot_be_deleted(client: Any, rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    svc.set_override(rnd.id, "SVH", 60000, "Besluttet")
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = client.post(f"/udvalg/runde/{rnd.id}/ansoegninger/SAG-102/slet", data={"csrf_token": csrf(page)})
    assert r.status_code == 400
    assert "Fjern det fastsatte beløb først" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 6


def test_the_service_refuses_the_same_mistakes(rnd: Any, db: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    with pytest.raises(svc.OverrideRefused, match="not a candidate"):
        svc.set_override(rnd.id, "ANL", 1000, "x")
    svc.set_override(rnd.id, "SVH", 150000, "x")
    with pytest.raises(svc.OverrideRefused, match="already has an override"):
        svc.set_override(rnd.id, "SVH", 1000, "x")
    with pytest.raises(svc.OverrideRefused, match="more than the budget"):
        svc.set_override(rnd.id, "KUM", 50001, "x")
    assert _overrides(db) == [("SVH", 150000)]


def test_a_refused_override_keeps_the_settings_form_filled(client: Any, rnd: Any) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    page = _override(client, rnd.id, "ANL", "10.000").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="set-budget"[^>]*value="200.000"', page)
    assert re.search(r'<input[^>]*id="set-beta"[^>]*value="1"', page)
