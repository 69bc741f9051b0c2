"""Access control of every committee and follow-up route: anonymous -> sign-in, wrong role -> 403,
a manager outside their subtree -> 403; the allowed roles get the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from survey.services import followup as fsvc
from survey.services import funding as svc
from tests.survey.test_funding_support import QID, csrf, load_example, make_user, sign_in

ROLES = ("anonymous", "admin", "hr", "committee", "manager_bib", "manager_idr")
COMMITTEE_READ = {"admin", "hr", "committee"}
COMMITTEE_ACT = {"admin", "committee"}
FOLLOWUP = {"admin", "hr", "manager_bib", "manager_idr"}


@pytest.fixture()
def world(app: Any, db: Any) -> dict[str, Any]:
    load_example()
    rnd = svc.create_round("2025", 200000)
    svc.add_application(rnd.id, "SAG-101", "HOVB", 120000)
    svc.set_override(rnd.id, "HOVB", 1000, "reason")
    svc.run_allocation(rnd.id, "setup@example.org")
    plan = fsvc.add_plan(
        "2025",
        QID,
        "HOVB",
        what="Workshop",
        owner="Leder",
        due_on=dt.date(2030, 1, 1),
        actor="setup@example.org",
    )
    users = {
        "admin": make_user("admin@example.org", "admin"),
        "hr": make_user("hr@example.org", "hr"),
        "committee": make_user("udvalg@example.org", "committee"),
        "manager_bib": make_user("bib@example.org", "manager", "BIB"),
        "manager_idr": make_user("idr@example.org", "manager", "IDR"),
    }
    return {"round": rnd.id, "plan": plan.id, "users": users}


def _client(app: Any, world: dict[str, Any], role: str) -> Any:
    client = app.test_client()
    if role != "anonymous":
        sign_in(app, client, world["users"][role])
    return client


def _routes(world: dict[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(method, path, roles allowed)."""
    r, p = world["round"], world["plan"]
    base = f"/udvalg/runde/{r}"
    return [
        ("GET", "/udvalg/", COMMITTEE_READ),
        ("POST", "/udvalg/", COMMITTEE_ACT),
        ("GET", base, COMMITTEE_READ),
        ("POST", f"{base}/indstillinger", COMMITTEE_ACT),
        ("POST", f"{base}/ansoegninger", COMMITTEE_ACT),
        ("POST", f"{base}/ansoegninger/import", COMMITTEE_ACT),
        ("POST", f"{base}/ansoegninger/SAG-101/slet", COMMITTEE_ACT),
        ("POST", f"{base}/overstyringer", COMMITTEE_ACT),
        ("POST", f"{base}/overstyringer/HOVB/slet", COMMITTEE_ACT),
        ("POST", f"{base}/koer", COMMITTEE_ACT),
        ("GET", f"{base}/version/1", COMMITTEE_READ),
        ("POST", f"{base}/version/1/laas", COMMITTEE_ACT),
        ("GET", f"{base}/version/1/notat.xlsx", COMMITTEE_READ),
        ("GET", f"{base}/version/1/notat.pdf", COMMITTEE_READ),
        ("GET", "/opfoelgning/", FOLLOWUP),
        ("GET", f"/opfoelgning/2025/{QID}/enhed/HOVB", FOLLOWUP - {"manager_idr"}),
        ("POST", f"/opfoelgning/2025/{QID}/enhed/HOVB", FOLLOWUP - {"manager_idr"}),
        ("GET", f"/opfoelgning/2025/{QID}/enhed/SVH", FOLLOWUP - {"manager_bib"}),
        ("POST", f"/opfoelgning/2025/{QID}/enhed/SVH", FOLLOWUP - {"manager_bib"}),
        ("GET", f"/opfoelgning/plan/{p}", FOLLOWUP - {"manager_idr"}),
        ("POST", f"/opfoelgning/plan/{p}", FOLLOWUP - {"manager_idr"}),
    ]


def test_every_route_checks_the_role(app: Any, world: dict[str, Any]) -> None:
    checked = 0
    for role in ROLES:
        client = _client(app, world, role)
        token = csrf(client.get("/kode").get_data(as_text=True))  # any page with a form gives the token
        for method, path, allowed in _routes(world):
            if method == "GET":
                resp = client.get(path)
            else:
                resp = client.post(path, data={"csrf_token": token})
            where = f"{role} {method} {path}"
            if role == "anonymous":
                assert resp.status_code == 302, where
                assert "/login" in resp.headers["Location"], where
            elif role not in allowed:
                assert resp.status_code == 403, where
            elif method == "GET":
                assert resp.status_code == 200, where
            else:
                # allowed: the view ran (an empty form is refused with 400, an action redirects to the
                # page, a delete already done by an earlier role finds nothing: 404)
                assert resp.status_code in (302, 400, 404), where
                assert "/login" not in resp.headers.get("Location", ""), where
            checked += 1
    assert checked == len(ROLES) * len(_routes(world))


def test_forms_without_csrf_token_are_refused(app: Any, world: dict[str, Any]) -> None:
    client = _client(app, world, "committee")
    assert client.post(f"/udvalg/runde/{world['round']}/koer").status_code == 400
    client = _client(app, world, "manager_bib")
    assert client.post(f"/opfoelgning/plan/{world['plan']}", data={"what": "x"}).status_code == 400


def test_hr_reads_but_sees_no_action_forms(app: Any, world: dict[str, Any]) -> None:
    page = _client(app, world, "hr").get(f"/udvalg/runde/{world['round']}").get_data(as_text=True)
    assert "/koer" not in page and "/overstyringer" not in page and "/ansoegninger" not in page
    page = _client(app, world, "committee").get(f"/udvalg/runde/{world['round']}").get_data(as_text=True)
    assert "/koer" in page and "/overstyringer" in page
