"""Funding decisions: override reasons, locking and versions, the applications import (all or nothing)."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa

from analysis.csvio import InputError
from survey.models_funding import FundingApplication, FundingDecision, FundingOverride
from survey.services import ServiceError
from survey.services import funding as svc
from tests.survey.test_funding_support import EXAMPLE, csrf, load_example, make_user, sign_in

APPLICATIONS = (EXAMPLE / "applications.csv").read_text(encoding="utf-8")


@pytest.fixture()
def rnd(app: Any, db: Any, client: Any) -> Any:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    return svc.create_round("2025", 200000)


def _token(client: Any, rid: int) -> str:
    return csrf(client.get(f"/udvalg/runde/{rid}").get_data(as_text=True))


def _errors(page: str) -> list[str]:
    """The text of the page's error messages (a message passed on in English is inside a lang="en" span)."""
    found = re.findall(r'class="(?:flash flash-error|error)"[^>]*>(.*?)</(?:p|span)>\s*(?:</p>)?', page, re.S)
    return [re.sub(r"<[^>]+>", "", text) for text in found]


def test_blank_override_reason_is_refused_with_a_message_and_nothing_is_stored(
    client: Any, rnd: Any, db: Any
) -> None:
    for reason in ("", "   "):
        r = client.post(
            f"/udvalg/runde/{rnd.id}/overstyringer",
            data={
                "csrf_token": _token(client, rnd.id),
                "ov-unit_id": "SVH",
                "ov-amount": "60000",
                "ov-reason": reason,
            },
        )
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        # the Danish message of the form (the page's default language is Danish)
        assert "Skriv begrundelsen for det fastsatte beløb" in " ".join(_errors(page))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingOverride)) == 0
    # the service refuses too, whoever calls it
    with pytest.raises(ServiceError, match="reason is blank"):
        svc.set_override(rnd.id, "SVH", 60000, " \t ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingOverride)) == 0


def test_locking_then_running_again_creates_version_2_and_keeps_version_1(
    client: Any, rnd: Any, db: Any
) -> None:
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    svc.set_override(rnd.id, "SVH", 60000, "Kursus i konfliktnedtrapning")
    r = client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": _token(client, rnd.id)})
    assert r.status_code == 302
    v1 = db.session.scalar(sa.select(FundingDecision).where(FundingDecision.version == 1))
    assert v1.status == "draft"
    # running a draft again rewrites it: still one version
    client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": _token(client, rnd.id)})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingDecision)) == 1

    r = client.post(f"/udvalg/runde/{rnd.id}/version/1/laas", data={"csrf_token": _token(client, rnd.id)})
    assert r.status_code == 302
    db.session.expire_all()
    v1 = db.session.scalar(sa.select(FundingDecision).where(FundingDecision.version == 1))
    assert (v1.status, v1.locked_by) == ("locked", "udvalg@example.org") and v1.locked_at is not None
    before = (copy.deepcopy(v1.result), copy.deepcopy(v1.inputs), v1.locked_at, v1.run_at)
    page = client.get(f"/udvalg/runde/{rnd.id}/version/1").get_data(as_text=True)
    assert "låst af udvalg@example.org" in page
    # the memo says who locked it and when
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get(f"/udvalg/runde/{rnd.id}/version/1/notat.xlsx").data))
    summary = {row[0].value: row[1].value for row in wb.worksheets[0].iter_rows(min_row=2, max_row=12)}
    assert summary["Status"] == f"låst af udvalg@example.org {v1.locked_at:%Y-%m-%d %H:%M} UTC"

    # change the inputs (no override any more) and run again: version 2, version 1 unchanged
    svc.remove_override(rnd.id, "SVH")
    r = client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": _token(client, rnd.id)})
    assert r.headers["Location"].endswith(f"/udvalg/runde/{rnd.id}/version/2")
    db.session.expire_all()
    versions = db.session.scalars(sa.select(FundingDecision).order_by(FundingDecision.version)).all()
    assert [(d.version, d.status) for d in versions] == [(1, "locked"), (2, "draft")]
    assert (versions[0].result, versions[0].inputs, versions[0].locked_at, versions[0].run_at) == before
    assert versions[1].inputs["overrides"] == [] and versions[0].inputs["overrides"] != []
    # SVH gets 60,000 in version 1 (override) and a calculated amount in version 2
    v1_svh = next(g["amount"] for g in versions[0].result["grants"] if g["unit_id"] == "SVH")
    v2_svh = next(g["amount"] for g in versions[1].result["grants"] if g["unit_id"] == "SVH")
    assert v1_svh == 60000 and v2_svh != 60000
    # both versions are listed on the round page
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    assert f"/udvalg/runde/{rnd.id}/version/1" in page and f"/udvalg/runde/{rnd.id}/version/2" in page
    # a locked version cannot be locked again (nothing changes)
    with pytest.raises(ServiceError, match="already locked"):
        svc.lock_decision(rnd.id, 1, "someone@example.org")
    db.session.expire_all()
    assert db.session.get(FundingDecision, versions[0].id).locked_by == "udvalg@example.org"


@pytest.mark.parametrize(
    ("text", "line", "column", "value"),
    [
        ("application_id,unit_id,requested\nSAG-1,HOVB,12x\n", 2, "requested", "12x"),
        ("application_id,unit_id,requested\nSAG-1,HOVB,1000\nSAG-2,NOPE,1000\n", 3, "unit_id", "NOPE"),
        ("application_id,unit_id,requested\nSAG-1,HOVB,1000\nSAG-1,SVH,1000\n", 3, "application_id", "SAG-1"),
        ("application_id,unit_id,requested\nSAG-1,HOVB,1000\nSAG-2,HOVB,1000\n", 3, "unit_id", "HOVB"),
        ("application_id,unit_id,requested\nSAG-1,HOVB,0\n", 2, "requested", "0"),
        ("application_id,unit_id,requested\n,HOVB,1000\n", 2, "application_id", ""),
    ],
)
def test_import_errors_name_file_line_column_and_store_nothing(
    client: Any, rnd: Any, db: Any, text: str, line: int, column: str, value: str
) -> None:
    with pytest.raises(InputError) as info:
        svc.import_applications(rnd.id, "ans.csv", text)
    err = info.value
    assert (err.file, err.line, err.column, err.value) == ("ans.csv", line, column, value)
    # through the page: 400, the message names the file, line and column; nothing stored
    r = client.post(
        f"/udvalg/runde/{rnd.id}/ansoegninger/import",
        data={"csrf_token": _token(client, rnd.id), "imp-file": (io.BytesIO(text.encode()), "ans.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    message = " ".join(_errors(r.get_data(as_text=True)))
    assert (
        "Intet blev importeret" in message and f"ans.csv, line {line}, column &#39;{column}&#39;" in message
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 0


def test_import_missing_column_and_clash_with_recorded_application(rnd: Any, db: Any) -> None:
    with pytest.raises(InputError, match="requested"):
        svc.import_applications(rnd.id, "a.csv", "application_id,unit_id\nSAG-1,HOVB\n")
    svc.add_application(rnd.id, "SAG-101", "HOVB", 120000, "klarhed", "Workshop")
    with pytest.raises(InputError) as info:
        svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    assert (info.value.line, info.value.column, info.value.value) == (2, "application_id", "SAG-101")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 1


def test_application_form_and_refusals(client: Any, rnd: Any, db: Any) -> None:
    r = client.post(
        f"/udvalg/runde/{rnd.id}/ansoegninger",
        data={
            "csrf_token": _token(client, rnd.id),
            "app-application_id": "SAG-9",
            "app-unit_id": "KUM",
            "app-requested": "55000",
            "app-themes": "faellesskab",
            "app-description": "Teamdag",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    assert "SAG-9" in page and "Teamdag" in page and "55.000" in page
    # the same unit again is refused with a message, nothing added
    r = client.post(
        f"/udvalg/runde/{rnd.id}/ansoegninger",
        data={
            "csrf_token": _token(client, rnd.id),
            "app-application_id": "SAG-10",
            "app-unit_id": "KUM",
            "app-requested": "1000",
        },
    )
    assert r.status_code == 400 and "har allerede ansøgningen" in " ".join(_errors(r.get_data(as_text=True)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 1


def test_override_above_budget_is_refused_when_running(client: Any, rnd: Any, db: Any) -> None:
    # the override form refuses this (test_funding_overrides); an override stored before that check
    # (or written around the service) is still refused by the allocation run, once, and nothing is stored
    rnd.overrides.append(FundingOverride(unit_id="SVH", amount=250000, reason="more than the budget"))
    db.session.commit()
    r = client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": _token(client, rnd.id)})
    assert r.status_code == 400
    assert "more than the budget of 200,000" in " ".join(_errors(r.get_data(as_text=True)))
    assert r.get_data(as_text=True).count("more than the budget of 200,000") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingDecision)) == 0


def test_round_needs_a_closed_wave_and_only_one_per_wave(rnd: Any, make_wave: Any) -> None:
    with pytest.raises(ServiceError, match="already has a funding round"):
        svc.create_round("2025", 1000)
    make_wave("2026", status="open")
    with pytest.raises(ServiceError, match="is open"):
        svc.create_round("2026", 1000)
    with pytest.raises(ServiceError, match="budget"):
        svc.create_round("2023", -1)


def test_criteria_page_shows_report_funding_rows(client: Any, rnd: Any) -> None:
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    # KUM in the example: orange + internal + polarised = 7 points (README of the example)
    row = re.search(r'<tr id="criteria-KUM">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert [c.strip() for c in cells[:5]] == ["orange", "ja", "nej", "ja", "7"]
    # unpublished units have no criteria row
    assert 'id="criteria-FVE"' not in page and 'id="criteria-FSY"' not in page


def test_new_round_form_offers_only_waves_without_a_round(client: Any, rnd: Any) -> None:
    page = client.get("/udvalg/").get_data(as_text=True)
    # the example's closed waves are 2025 (has the round) and 2023
    options = re.findall(r'<option[^>]*value="([^"]+)"', page)
    assert options == ["2023"]
    r = client.post(
        "/udvalg/", data={"csrf_token": csrf(page), "wave": "2025", "budget": "1000", "cap": "", "beta": "1"}
    )
    assert r.status_code == 400
