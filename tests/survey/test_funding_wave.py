"""A round belongs to a wave: on the demo (three questionnaires per wave) the criteria K1–K4 of one round
come from all of them, and the demo's first committee screen is a real allocation.

Independent check: the round's funding row of each unit is recomputed here from the per-questionnaire
reports (``reporting.report_for``, the one publication step): K1 = the worst colour over the
questionnaires, K2/K3/K4 = any questionnaire's, points from the settings' points (contract 2.1 defaults:
red 3, orange 2, yellow 1, internal 3, external_unresolved 2, polarised 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.survey.test_funding_support import PASSWORD, sign_in

RANK = {None: 0, "yellow": 1, "orange": 2, "red": 3}


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from survey.demo import build_demo

    app, _setup = build_demo(Path(tmp_path_factory.mktemp("demo")) / "demo.sqlite", progress=False)
    from tests.conftest import FreshContextClient

    app.config.update(TESTING=True)
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app


def _round(demo_app: Any) -> Any:
    from survey.services import funding as svc

    (rnd,) = svc.list_rounds()
    return rnd


def test_the_wave_round_joins_criteria_of_every_questionnaire(demo_app: Any) -> None:
    from survey.services import funding as svc
    from survey.services import reporting

    rnd = _round(demo_app)
    assert svc.wave_label(rnd) == "2025" and rnd.questionnaire_id is None
    assert svc.round_questionnaires(rnd) == ["trivsel", "emotional_demands", "offensive_behaviour"]
    joined = {r["unit_id"]: r for r in svc.criteria_rows(svc.round_report(rnd))}
    parts = [reporting.report_for("2025", q).report for q in svc.round_questionnaires(rnd)]
    points = {"red": 3, "orange": 2, "yellow": 1, "internal": 3, "external_unresolved": 2, "polarised": 2}
    expected: dict[str, dict[str, Any]] = {}
    for part in parts:
        for f in part["funding"]:
            e = expected.setdefault(
                f["unit_id"],
                {"low_score": None, "internal": False, "external_unresolved": False, "polarised": False},
            )
            if RANK[f["low_score"]] > RANK[e["low_score"]]:
                e["low_score"] = f["low_score"]
            for k in ("internal", "external_unresolved", "polarised"):
                e[k] = e[k] or f[k]
    assert set(joined) == set(expected)
    for uid, e in expected.items():
        row = joined[uid]
        assert {k: row[k] for k in e} == e, uid
        want = (points[e["low_score"]] if e["low_score"] else 0) + sum(
            points[k] for k in ("internal", "external_unresolved", "polarised") if e[k]
        )
        assert row["points"] == want, uid
    # the criteria meet: some unit has a low score (well-being) and internal harassment (offensive behaviour)
    both = [u for u, r in joined.items() if r["low_score"] and r["internal"]]
    assert both, "no unit with K1 and K2 together"
    trivsel = {f["unit_id"]: f for f in parts[0]["funding"]}
    assert any(not trivsel[u]["internal"] for u in both)  # K2 did not come from the well-being report


def test_demo_round_is_a_real_allocation(demo_app: Any) -> None:
    rnd = _round(demo_app)
    assert rnd.budget == 900_000 and len(rnd.applications) == 31
    assert [(d.version, d.status) for d in rnd.decisions] == [(1, "locked"), (2, "draft")]
    v1, v2 = rnd.decisions
    assert v1.inputs["overrides"] == [] and len(v2.inputs["overrides"]) == 1
    override = v2.inputs["overrides"][0]
    grant = next(g for g in v2.result["grants"] if g["unit_id"] == override["unit_id"])
    assert grant["amount"] == override["amount"] and grant["override"]["reason"] == override["reason"]
    for d in rnd.decisions:
        assert d.result["allocated"] + d.result["unallocated"] == 900_000
        assert d.result["allocated"] == sum(g["amount"] for g in d.result["grants"])
    assert all(a.med_area and a.themes for a in rnd.applications)


def test_round_page_evidence_is_in_the_readers_language_with_its_numbers(demo_app: Any) -> None:
    from survey.services.users import create_user

    user = create_user("udvalg-test@example.org", "committee", PASSWORD)
    client = demo_app.test_client()
    sign_in(demo_app, client, user)
    rnd = _round(demo_app)
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    assert "Kriterierne bygger på:" in page
    evidence = " ".join(re.findall(r'<ul class="evidence">(.*?)</ul>', page, re.S))
    assert "gennemsnit" in evidence and "K1" in evidence and "K2" in evidence
    # Danish decimals (4,39), never the analysis' English text or a decimal point
    assert re.search(r"gennemsnit \d,\d\d \(95 %-interval \d,\d\d–\d,\d\d\)", evidence)
    assert not re.search(r"\d\.\d\d", evidence) and "mean" not in evidence and "respondents" not in evidence
    client.get("/sprog/en")
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    evidence = " ".join(re.findall(r'<ul class="evidence">(.*?)</ul>', page, re.S))
    assert re.search(r"mean \d\.\d\d \(95 % interval \d\.\d\d–\d\.\d\d\)", evidence) and "C2" in evidence
    # the first committee screen lists the round with its versions
    index = client.get("/udvalg/").get_data(as_text=True)
    assert "2025" in index and "900,000" in index


def test_the_demo_has_the_organisations_help_contacts(demo_app: Any) -> None:
    """(Not funding: this module builds the demo once.) The demo sets the three help contacts that the
    offensive-behaviour part and the dialogue sheets show."""
    from survey.demo import DEMO_HELP_CONTACTS
    from survey.services import help_contacts

    got = help_contacts.contacts()
    assert [c.kind for c in got] == ["hr", "representative", "counselling"]
    assert all(c.name and c.phone and c.email and c.text("da") and c.text("en") for c in got)
    assert got[0].name == DEMO_HELP_CONTACTS["hr"]["name"]

