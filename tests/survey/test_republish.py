"""Re-publication of a closed wave as an explicit, checked HR action (issue 10, item 2; contract 5.4).

The worked example (tests/data/example, via the fixtures of test_reports): wave 2025 is closed and
published (version 1). A late vendor import adds 1-4 answers to Hovedbiblioteket (HOVB, 26 respondents):
publishing again must withhold HOVB's cells and every cell that would give them back (its ancestors
BIB and KUF, through "parent minus children"), so that nothing in version 2 minus version 1 isolates
fewer than k_diff = 5 people. Runs on SQLite and (with TRIVSEL_TEST_DATABASE_URL) on PostgreSQL.
"""

from __future__ import annotations

import html as htmllib
import json
import random
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.analysis.test_publish_versions import differences
from tests.survey import test_reports as reports_tests
from tests.survey.staff_helpers import csrf
from tests.survey.test_reports import QID, WAVE, _move_unit, as_user

rapp = reports_tests.rapp  # the worked example's fixtures (tests/survey/test_reports.py)
example = reports_tests.example

K_DIFF = 5


def late_import(db: Any, unit: str, count: int) -> None:
    """What a late vendor import stores: ``count`` more answers of wave 2025 in ``unit`` (copies of the
    unit's own answers that answer the most questions, so every value is valid and every row's n moves
    by ``count``)."""
    from survey.models import Response, Wave

    wave = db.session.scalar(sa.select(Wave).where(Wave.label == WAVE))
    answers = db.session.scalars(sa.select(Response.answers).where(
        Response.wave_id == wave.id, Response.unit_id == unit, Response.questionnaire_id == QID)).all()
    most = max(len([v for v in a.values() if v not in (None, "")]) for a in answers)
    answers = [a for a in answers if len([v for v in a.values() if v not in (None, "")]) == most]
    rng = random.Random(count)
    for _ in range(count):
        db.session.add(Response(wave_id=wave.id, unit_id=unit, questionnaire_id=QID, language="da",
                                answers=dict(rng.choice(answers))))
    db.session.commit()


def published_v1(db: Any) -> dict[str, Any]:
    from survey.services import reporting

    reporting.publish_wave(WAVE)
    return json.loads(json.dumps(reporting.report_for(WAVE, QID).report))


def stored_versions(db: Any) -> list[tuple[int, str | None]]:
    from survey.models import Publication

    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        sa.select(Publication.version, Publication.created_by)
        .where(Publication.questionnaire_id == QID, Publication.report["wave"].as_string() == WAVE)
        .order_by(Publication.version)).all()]


def page(rapp: Flask, example: dict[str, int], who: str = "hr") -> Any:
    from survey.extensions import db
    from survey.models import Wave

    wave_id = db.session.scalar(sa.select(Wave.id).where(Wave.label == WAVE))
    return as_user(rapp, example, who, lang="en"), f"/hr/waves/{wave_id}/republish"


def expected(confirm_page: str) -> str:
    """The confirmed plan (hidden field ``expect``) of the confirm page."""
    m = re.search(r'name="expect" value="([^"]*)"', confirm_page)
    assert m, "no expect field on the confirm page"
    return htmllib.unescape(m.group(1))


def publish_again(rapp: Flask, example: dict[str, int], who: str = "hr") -> Any:
    c, path = page(rapp, example, who)
    r = c.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r, c.post(path, data={"csrf_token": csrf(c, path), "confirm": "yes",
                                 "expect": expected(r.get_data(as_text=True))})


@pytest.mark.parametrize("count", [1, 2, 4])
def test_a_late_import_of_fewer_than_k_diff_withholds_the_unit_and_what_would_give_it_back(
    rapp: Flask, example: dict[str, int], db: Any, count: int
) -> None:
    from survey.services import reporting

    v1 = published_v1(db)
    late_import(db, "HOVB", count)
    confirm, r = publish_again(rapp, example)
    text = confirm.get_data(as_text=True)
    assert "Withheld by the version rule" in text and "Publish again" in text
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored_versions(db)[-1][0] == 2
    reporting.clear_cache()
    v2 = reporting.report_for(WAVE, QID).report  # pages and exports read the newest version
    shown = {u["unit_id"] for u in v2["units"] if u["published"]}
    assert not {"HOVB", "BIB", "KUF"} & shown
    assert {"FNO", "KUM", "HIM"} <= shown  # untouched units stay published
    assert not {s["unit_id"] for s in v2["scores"]} & {"HOVB", "BIB", "KUF"}
    small = [(u, key, d) for u, key, d in differences(v1, v2) if 0 < abs(d) < K_DIFF]
    assert small == []
    assert v2["publication"]["version_rule"]["withheld"] > 0
    # the JSON export is version 2 as well
    hr, _path = page(rapp, example)
    exported = json.loads(hr.get(f"/rapporter/eksport/rapport.json?wave={WAVE}&q={QID}").data)
    assert {u["unit_id"] for u in exported["units"] if u["published"]} == shown


def test_without_the_version_rule_the_late_import_is_isolated(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    """The attack is real: the same re-computation without earlier versions publishes HOVB with 26 + 3,
    and v2 − v1 then isolates the 3 late answers."""
    from survey.models import Wave
    from survey.services import reporting

    v1 = published_v1(db)
    late_import(db, "HOVB", 3)
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == WAVE))
    naive, _units = reporting._compute(wave, QID)
    assert any(abs(d) == 3 for _u, _k, d in differences(v1, naive))


def test_a_late_import_of_k_diff_or_more_publishes_normally(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    """k_diff = 5 complete answers: HOVB and its ancestors publish their new counts and scores; the
    exposure rows (n_min_exposure = 10) stay withheld, also in a third version with 10 since the first
    (a cell one version withheld is never published again)."""
    from survey.services import reporting

    v1 = published_v1(db)
    before = next(u for u in v1["units"] if u["unit_id"] == "HOVB")["respondents"]
    late_import(db, "HOVB", K_DIFF)
    parts = reporting.republish(WAVE)
    v2 = reporting.report_for(WAVE, QID).report
    hovb = next(u for u in v2["units"] if u["unit_id"] == "HOVB")
    assert hovb["published"] and hovb["respondents"] == before + K_DIFF
    assert {s["id"] for s in v2["scores"] if s["unit_id"] == "HOVB" and s["kind"] == "theme"} == {
        s["id"] for s in v1["scores"] if s["unit_id"] == "HOVB" and s["kind"] == "theme"}
    assert not [e for e in v2["exposures"] if e["unit_id"] in ("HOVB", "BIB", "KUF")]
    assert parts[0].withheld == len([e for e in v1["exposures"] if e["unit_id"] in ("HOVB", "BIB", "KUF")])
    assert [d for _u, _k, d in differences(v1, v2) if 0 < abs(d) < K_DIFF] == []
    late_import(db, "HOVB", 2 * K_DIFF - K_DIFF)  # 10 since version 1, 5 since version 2
    withheld_in_v2 = parts[0].withheld
    parts = reporting.republish(WAVE)
    # the exposure rows withheld in version 2 stay withheld: published now, "v3 − v1" of them together
    # with what v2 published would split the late answerers into groups below n_min_exposure
    assert [(p.version, p.withheld) for p in parts] == [(3, withheld_in_v2)]
    v3 = reporting.report_for(WAVE, QID).report
    assert not [e for e in v3["exposures"] if e["unit_id"] in ("HOVB", "BIB", "KUF")]
    assert [d for _u, _k, d in differences(v2, v3) if 0 < abs(d) < K_DIFF] == []


def test_a_changed_tree_is_never_published_again(rapp: Flask, example: dict[str, int], db: Any) -> None:
    from survey.models_audit import AuditEvent
    from survey.services import reporting

    published_v1(db)
    late_import(db, "HOVB", K_DIFF)
    _move_unit("FVE", "MUS")
    with pytest.raises(reporting.TreeChanged, match="was published with another unit tree .*FVE"):
        reporting.republish(WAVE)
    c, path = page(rapp, example)
    r = c.get(path)  # the confirm page says why, and has no form
    assert r.status_code == 200 and "was published with another unit tree" in r.get_data(as_text=True)
    assert 'name="expect"' not in r.get_data(as_text=True)
    r = c.post(path, data={"csrf_token": csrf(c, f"/hr/waves/{path.split('/')[3]}"), "confirm": "yes"})
    assert r.status_code == 422 and "The report was not published again" in r.get_data(as_text=True)
    assert stored_versions(db) == [(1, "cli")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "report.republish")) == 0


def test_nothing_new_is_refused_and_the_confirm_box_is_required(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    published_v1(db)
    c, path = page(rapp, example)
    r = c.get(path)
    assert "Nothing would change" in r.get_data(as_text=True)
    r = c.post(path, data={"csrf_token": csrf(c, path), "confirm": "yes"})
    assert r.status_code == 422 and "nothing would change" in r.get_data(as_text=True)
    late_import(db, "HOVB", 2)
    r = c.post(path, data={"csrf_token": csrf(c, path)})
    assert r.status_code == 422 and "Tick the box" in r.get_data(as_text=True)
    assert stored_versions(db) == [(1, "cli")]


@pytest.mark.parametrize("who", ["manager_fil", "committee"])
def test_only_hr_and_admin_may_publish_again(
    rapp: Flask, example: dict[str, int], db: Any, who: str
) -> None:
    published_v1(db)
    late_import(db, "HOVB", 2)
    c, path = page(rapp, example, who)
    assert c.get(path).status_code == 403
    # with the user's own valid CSRF token (from the sign-out form of any page): still 403
    assert c.post(path, data={"csrf_token": csrf(c, "/"), "confirm": "yes"}).status_code == 403
    assert stored_versions(db) == [(1, "cli")]
    _confirm, r = publish_again(rapp, example, "admin")
    assert r.status_code == 303 and stored_versions(db)[-1] == (2, str(example["admin"]))


def test_a_post_without_csrf_token_is_refused(rapp: Flask, example: dict[str, int], db: Any) -> None:
    published_v1(db)
    late_import(db, "HOVB", 2)
    c, path = page(rapp, example)
    r = c.post(path, data={"confirm": "yes"})
    assert r.status_code == 400
    assert stored_versions(db) == [(1, "cli")]


def test_publishing_again_is_audited_with_counts_and_no_numbers(
    rapp: Flask, example: dict[str, int], db: Any
) -> None:
    from survey.models_audit import AuditEvent

    published_v1(db)
    late_import(db, "HOVB", 3)
    _confirm, r = publish_again(rapp, example)
    assert r.status_code == 303
    ev = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report.republish")).one()
    assert ev.target == WAVE and ev.actor == str(example["hr"])
    assert ev.detail is not None and f"{QID} v2:" in ev.detail and "withheld by the version rule" in ev.detail
    assert stored_versions(db) == [(1, "cli"), (2, str(example["hr"]))]


def test_cli_republish_calls_the_same_service(rapp: Flask, example: dict[str, int], db: Any) -> None:
    published_v1(db)
    late_import(db, "HOVB", 2)
    runner = rapp.test_cli_runner()
    dry = runner.invoke(args=["wave", "republish", WAVE, "--dry-run"])
    assert dry.exit_code == 0 and "withheld by the version rule" in dry.output and "dry run" in dry.output
    assert stored_versions(db) == [(1, "cli")]
    done = runner.invoke(args=["wave", "republish", WAVE])
    assert done.exit_code == 0, done.output
    assert stored_versions(db) == [(1, "cli"), (2, "cli")]
    again = runner.invoke(args=["wave", "republish", WAVE])
    assert again.exit_code == 1 and "nothing would change" in again.output


def test_the_wave_page_offers_it_in_danish(rapp: Flask, example: dict[str, int], db: Any) -> None:
    from survey.models import Wave

    published_v1(db)
    wave_id = db.session.scalar(sa.select(Wave.id).where(Wave.label == WAVE))
    c = as_user(rapp, example, "hr", lang="da")
    text = c.get(f"/hr/waves/{wave_id}").get_data(as_text=True)
    assert "Udgiv rapporten igen" in text and "Vis, hvad der ændres" in text
    text = c.get(f"/hr/waves/{wave_id}/republish").get_data(as_text=True)
    assert "Holdt tilbage af versionsreglen" in text and "Intet ville ændre sig" in text


def test_a_version_published_meanwhile_is_refused_not_overwritten(
    rapp: Flask, example: dict[str, int], db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two HR users confirm at the same time: the second finds version 2 taken and gets a clear
    refusal (nothing written), not an error page."""
    from survey.services import Conflict, reporting

    published_v1(db)
    late_import(db, "HOVB", 3)
    stale = reporting.republish_plan(WAVE)
    reporting.republish(WAVE)
    monkeypatch.setattr(reporting, "republish_plan", lambda label: stale)
    with pytest.raises(Conflict, match="published again by someone else meanwhile"):
        reporting.republish(WAVE)
    assert [v for v, _by in stored_versions(db)] == [1, 2]


def test_new_numbers_in_the_same_cells_are_a_change(rapp: Flask, example: dict[str, int], db: Any) -> None:
    """Answers that move only numbers (every cell stays published) still make a new version."""
    from survey.services import reporting

    published_v1(db)
    late_import(db, "HOVB", 2 * K_DIFF)
    parts = reporting.republish_plan(WAVE)
    assert parts[0].changes and parts[0].withheld == 0


def test_the_confirmed_plan_must_still_hold(rapp: Flask, example: dict[str, int], db: Any) -> None:
    """HR confirms what the confirm page showed; when more answers arrived meanwhile, the counts are no
    longer what was confirmed: refused, nothing written."""
    published_v1(db)
    late_import(db, "HOVB", 2)
    c, path = page(rapp, example)
    shown = expected(c.get(path).get_data(as_text=True))
    late_import(db, "HOVB", 5)
    r = c.post(path, data={"csrf_token": csrf(c, path), "confirm": "yes", "expect": shown})
    assert r.status_code == 422 and "changed since the confirm page was shown" in r.get_data(as_text=True)
    assert stored_versions(db) == [(1, "cli")]
