"""The answering pages' fast path: questionnaires parsed once per snapshot, fields checked strictly.

``services.answering.wave_snapshots`` caches parsed questionnaires by (wave id, digest of each stored
snapshot), so a cached parse is never used for other content - not after a snapshot changes, not for
another database that reuses the wave id. ``respond.forms.bind_post`` replaced WTForms' validation:
a posted value must be one of the choices shown.
"""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa
from respond_flow import Respondent
from werkzeug.datastructures import MultiDict

from survey.models import Response, WaveQuestionnaire
from survey.respond.forms import Page, bind_post, build_page_fields, build_pages, page_answers
from survey.services.answering import wave_snapshots


def _retitle_snapshot(db: Any, wave_id: int) -> None:
    """Change the stored snapshot's title in place (same wave, questionnaire id and version)."""
    wq = db.session.scalars(sa.select(WaveQuestionnaire).where(WaveQuestionnaire.wave_id == wave_id)).one()
    changed = copy.deepcopy(wq.definition)
    changed["title"] = {"da": "Ændret titel", "en": "Changed title"}
    db.session.execute(
        sa.update(WaveQuestionnaire).where(WaveQuestionnaire.id == wq.id).values(definition=changed)
    )
    db.session.commit()


def test_snapshots_are_parsed_once_and_follow_the_stored_content(
    db: Any, make_units: Any, make_wave: Any, example_questionnaire: Any
) -> None:
    make_units()
    wave = make_wave("2025", "open")
    first = wave_snapshots(wave.id)
    assert [q.id for q in first.questionnaires] == [example_questionnaire.id]
    assert first.questionnaires[0] == example_questionnaire  # same definition as the YAML
    assert wave_snapshots(wave.id) is first  # the second request parses nothing

    # another definition under the same wave id, questionnaire id and version (as after a restore, or
    # in another database): the digest differs, so the cached parse is not used
    _retitle_snapshot(db, wave.id)
    second = wave_snapshots(wave.id)
    assert second is not first and second.key != first.key
    assert second.questionnaires[0].title.get("en") == "Changed title"
    assert first.questionnaires[0].title.get("en") == "Well-being survey, example"


def test_start_page_shows_the_changed_snapshot(
    db: Any, client: Any, make_units: Any, make_wave: Any, make_invitation: Any
) -> None:
    make_units()
    wave = make_wave("2025", "open")
    token = make_invitation("2025", "A")
    r = Respondent(client)
    r.open_link(token)
    assert "Trivselsmåling, eksempel" in r.html
    _retitle_snapshot(db, wave.id)
    page = client.get("/start").get_data(as_text=True)
    assert "Ændret titel" in page and "Trivselsmåling, eksempel" not in page


def _theme_page(q: Any) -> tuple[Page, Any]:
    page = build_pages([q])[0]
    return page, build_page_fields(q, page, "da")


def test_posted_values_must_be_choices_shown(app: Any, example_questionnaire: Any) -> None:
    page, specs = _theme_page(example_questionnaire)  # klarhed: KLAR1-3 on the enig7 scale (1-7, 9)
    with app.test_request_context():
        ok = bind_post(specs, MultiDict({"q0-KLAR1": "7", "q0-KLAR2": "9", "q0-KLAR3": ""}))
        assert [f.errors for f in ok] == [[], [], []]
        assert page_answers(ok, page) == ({"KLAR1": 7, "KLAR2": 9}, {})

        for bad in ("8", "0", "-1", "1.0", " 1", "x", "<b>"):
            fields = bind_post(specs, MultiDict({"q0-KLAR1": bad, "q0-KLAR2": "3"}))
            assert fields[0].errors == ["Vælg et af de viste svar, eller lad spørgsmålet stå ubesvaret."], bad
            assert fields[0].selected == frozenset() and fields[1].errors == []

        # whitespace only = unanswered (WTForms' Optional(); it used to reach int() and fail)
        fields = bind_post(specs, MultiDict({"q0-KLAR1": "  "}))
        assert fields[0].errors == [] and page_answers(fields, page) == ({}, {})
        # a second value for a radio group is ignored, as a browser never sends one
        fields = bind_post(specs, MultiDict([("q0-KLAR1", "2"), ("q0-KLAR1", "99")]))
        assert fields[0].errors == [] and page_answers(fields, page)[0] == {"KLAR1": 2}


def test_checkbox_groups_accept_only_known_codes(app: Any, example_questionnaire: Any) -> None:
    pages = build_pages([example_questionnaire])
    page = next(p for p in pages if p.kind == "exposure")  # bullying: BUL_Q, BUL_SRC, BUL_HANDLED, BUL_TOLD
    specs = build_page_fields(example_questionnaire, page, "en")
    with app.test_request_context():
        data = MultiDict([("q0-BUL_Q", "2"), ("q0-BUL_SRC", "manager"), ("q0-BUL_SRC", "colleague")])
        fields = bind_post(specs, data)
        assert all(not f.errors for f in fields)
        # stored in the order of the choices, not of the post
        assert page_answers(fields, page)[0] == {"BUL_Q": 2, "BUL_SRC": ["manager", "colleague"]}
        fields = bind_post(specs, MultiDict([("q0-BUL_SRC", "manager"), ("q0-BUL_SRC", "boss")]))
        src = next(f for f in fields if f.id == "q0-BUL_SRC")
        assert src.errors and src.selected == frozenset({"manager"})
        fields = bind_post(specs, MultiDict({"q0-BUL_HANDLED": "maybe"}))
        assert next(f for f in fields if f.id == "q0-BUL_HANDLED").errors


def test_invalid_post_is_422_with_error_summary_and_stores_nothing(
    db: Any, client: Any, make_units: Any, make_wave: Any, make_invitation: Any
) -> None:
    make_units()
    make_wave("2025", "open")
    r = Respondent(client)
    r.open_link(make_invitation("2025", "A"))
    r.post("start")
    r.post("next", {"q0-KLAR1": "8", "q0-KLAR2": "3"})
    assert r.status == 422
    page = r.html
    assert 'href="#q0-KLAR1"' in page  # the error summary links to the fieldset
    assert 'aria-describedby="q0-KLAR1-error"' in page
    assert '<input checked id="q0-KLAR2-2" name="q0-KLAR2" type="radio" value="3">' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
