"""The follow-up tracker on the worked example: exactly the units that need follow-up, missing and overdue
plans marked, the area filter, and managers editing only their own subtree's plans.

Which units need follow-up comes from tests/data/example/expected_report.json (an independent
implementation): every published unit with a low_score flag (C1), internal (C2) or external_unresolved (C3)
- KUF, BIB, HOVB, MUS, KUM, HIM, IDR, SVH, ANL; not FNO and HAL (no flag, no exposure criterion, no
grant), not FIL (since contract 5.1 its threats row is hidden, so C2 is not judged), not FSY and FVE (not
published).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from survey.models_funding import FollowUpPlan
from survey.services import ServiceError
from survey.services import followup as fsvc
from survey.services import funding as svc
from tests.survey.test_funding_support import EXAMPLE, QID, csrf, load_example, make_user, sign_in

EXPECTED_REPORT = json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))
NEED = {
    f["unit_id"]
    for f in EXPECTED_REPORT["funding"]
    if f["low_score"] is not None or f["internal"] or f["external_unresolved"]
}
TODAY = dt.date.today()


@pytest.fixture()
def example(app: Any, db: Any) -> None:
    load_example()


def _rows(page: str) -> dict[str, str]:
    """unit id -> the row's follow-up state text."""
    return {
        uid: re.sub(r"<[^>]+>", "", state).strip()
        for uid, state in re.findall(r'<tr id="unit-([A-Z]+)".*?<td class="state">(.*?)</td>', page, re.S)
    }


def test_need_set_from_the_independent_report() -> None:
    # guard on the data the other tests rely on (expected_report.json, README of the example)
    assert NEED == {"KUF", "BIB", "HOVB", "MUS", "KUM", "HIM", "IDR", "SVH", "ANL"}


def test_tracker_lists_exactly_the_units_needing_follow_up_and_marks_missing_and_overdue(
    app: Any, example: None, client: Any
) -> None:
    fsvc.add_plan(
        "2025",
        QID,
        "HOVB",
        what="Klarhed: møderække",
        owner="Leder HOVB",
        due_on=TODAY + dt.timedelta(days=30),
        actor="hr@example.org",
    )
    fsvc.add_plan(
        "2025",
        QID,
        "SVH",
        what="Konfliktkursus",
        owner="Leder SVH",
        due_on=TODAY - dt.timedelta(days=1),
        status="in_progress",
        actor="hr@example.org",
    )
    # a done plan past its date is not overdue
    fsvc.add_plan(
        "2025",
        QID,
        "KUM",
        what="Teamdag",
        owner="Leder KUM",
        due_on=TODAY - dt.timedelta(days=10),
        status="done",
        evaluation="Gennemført",
        actor="hr@example.org",
    )
    # a plan for a unit that does not need one does not put it on the list
    fsvc.add_plan("2025", QID, "HAL", what="Ekstra", owner="x", due_on=TODAY, actor="hr@example.org")
    sign_in(app, client, make_user("hr@example.org", "hr"))
    page = client.get(f"/opfoelgning/?wave=2025&q={QID}").get_data(as_text=True)
    rows = _rows(page)
    assert set(rows) == NEED
    assert rows["HOVB"] == "Planlagt" and rows["KUM"] == "Planlagt"
    assert rows["SVH"] == "Overskredet"
    assert {u for u, s in rows.items() if s == "Ingen handleplan"} == NEED - {"HOVB", "SVH", "KUM"}
    # 9 units; 6 without a plan; 1 overdue
    assert "9 enheder skal følges op: 6 uden handleplan, 1 med overskredet frist." in page


def test_area_filter_and_grant_reason(app: Any, example: None, client: Any) -> None:
    sign_in(app, client, make_user("hr@example.org", "hr"))
    page = client.get(f"/opfoelgning/?wave=2025&q={QID}&area=IDR").get_data(as_text=True)
    # the top-level subtree IDR: IDR, SVH, HAL, ANL; HAL needs nothing
    assert set(_rows(page)) == {"IDR", "SVH", "ANL"}
    assert client.get(f"/opfoelgning/?wave=2025&q={QID}&area=HOVB").status_code == 404  # not a top-level area
    # a locked grant is named as a reason (SVH: 60,000 by override)
    rnd = svc.create_round("2025", 200000)
    svc.set_override(rnd.id, "SVH", 60000, "Kursus")
    svc.run_allocation(rnd.id, "u@example.org")
    page = client.get(f"/opfoelgning/?wave=2025&q={QID}&area=IDR").get_data(as_text=True)
    assert "bevilling på" not in page  # a draft decision grants nothing yet
    svc.lock_decision(rnd.id, 1, "u@example.org")
    page = client.get(f"/opfoelgning/?wave=2025&q={QID}&area=IDR").get_data(as_text=True)
    assert "bevilling på 60.000 kr." in page


def test_needs_counts_a_grant_alone_and_ignores_polarisation_alone() -> None:
    report = {
        "units": [
            {"unit_id": "R", "parent_id": None, "name": "R", "published": True},
            {"unit_id": "P", "parent_id": "R", "name": "P", "published": True},
            {"unit_id": "Q", "parent_id": "R", "name": "Q", "published": True},
            {"unit_id": "S", "parent_id": "R", "name": "S", "published": False},
        ],
        "funding": [
            {
                "unit_id": "R",
                "low_score": None,
                "internal": False,
                "external_unresolved": False,
                "polarised": False,
            },
            {
                "unit_id": "P",
                "low_score": None,
                "internal": False,
                "external_unresolved": False,
                "polarised": True,
            },
            {
                "unit_id": "Q",
                "low_score": None,
                "internal": False,
                "external_unresolved": False,
                "polarised": True,
            },
        ],
    }
    # P has a grant (C4 only), Q has none, S is unpublished (a grant there is impossible; ignored)
    assert fsvc.needs(report, {"P": 5000, "Q": 0, "S": 1000}) == {"P": ["grant:5000"]}


def test_manager_edits_own_units_plan_but_not_another(app: Any, example: None, client: Any, db: Any) -> None:
    own = fsvc.add_plan("2025", QID, "HOVB", what="Møderække", owner="Leder", due_on=TODAY, actor="hr@x.org")
    other = fsvc.add_plan("2025", QID, "SVH", what="Kursus", owner="Leder", due_on=TODAY, actor="hr@x.org")
    sign_in(app, client, make_user("bib@example.org", "manager", "BIB"))
    # the manager's tracker shows only the BIB subtree's units
    page = client.get(f"/opfoelgning/?wave=2025&q={QID}").get_data(as_text=True)
    assert set(_rows(page)) == NEED & {"BIB", "HOVB", "FIL", "FNO", "FSY", "FVE"}
    token = csrf(client.get(f"/opfoelgning/plan/{own.id}").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "what": "Møderække hver måned",
        "owner": "Leder",
        "due_on": TODAY.isoformat(),
        "status": "done",
        "evaluation": "Bedre overblik",
    }
    r = client.post(f"/opfoelgning/plan/{own.id}", data=form)
    assert r.status_code == 302
    db.session.expire_all()
    plan = db.session.get(FollowUpPlan, own.id)
    assert (plan.what, plan.status, plan.evaluation, plan.updated_by) == (
        "Møderække hver måned",
        "done",
        "Bedre overblik",
        "bib@example.org",
    )
    # another subtree's plan: 403 and unchanged
    assert client.get(f"/opfoelgning/plan/{other.id}").status_code == 403
    assert client.post(f"/opfoelgning/plan/{other.id}", data=form).status_code == 403
    r = client.post(f"/opfoelgning/2025/{QID}/enhed/SVH", data=form)
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(FollowUpPlan, other.id).what == "Kursus"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpPlan)) == 2
    # a new plan for the manager's own unit through the form
    r = client.post(f"/opfoelgning/2025/{QID}/enhed/FIL", data={**form, "what": "Trivselsmøde"})
    assert r.status_code == 302
    assert (
        db.session.scalar(sa.select(FollowUpPlan.unit_id).where(FollowUpPlan.what == "Trivselsmøde")) == "FIL"
    )


def test_plan_form_refusals(app: Any, example: None, client: Any, db: Any) -> None:
    sign_in(app, client, make_user("hr@example.org", "hr"))
    url = f"/opfoelgning/2025/{QID}/enhed/HOVB"
    token = csrf(client.get(url).get_data(as_text=True))
    base = {"csrf_token": token, "what": "x", "owner": "y", "due_on": "2030-01-01", "status": "planned"}
    for field, value, message in [
        ("what", " ", "Skriv hvad der skal gøres."),
        ("owner", "", "Angiv hvem der er ansvarlig."),
        ("due_on", "", "Angiv en frist"),
    ]:
        r = client.post(url, data={**base, field: value})
        assert r.status_code == 400, field
        assert message in r.get_data(as_text=True), field
    r = client.post(url, data={**base, "status": "finished"})
    assert r.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpPlan)) == 0
    with pytest.raises(ServiceError, match="status must be one of"):
        fsvc.add_plan("2025", QID, "HOVB", what="x", owner="y", due_on=TODAY, status="finished", actor="a")
    with pytest.raises(ServiceError, match="no closed wave"):
        fsvc.add_plan("1999", QID, "HOVB", what="x", owner="y", due_on=TODAY, actor="a")


def test_selector_and_default_wave(app: Any, example: None, client: Any) -> None:
    sign_in(app, client, make_user("hr@example.org", "hr"))
    # without arguments: the newest closed wave (2025, imported after 2023)
    default = _rows(client.get("/opfoelgning/").get_data(as_text=True))
    assert set(default) == NEED
    assert set(_rows(client.get(f"/opfoelgning/?wq=2025|{QID}").get_data(as_text=True))) == NEED
    assert client.get("/opfoelgning/?wq=1999|nope").status_code == 404
