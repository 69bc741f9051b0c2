"""The anonymous answering flow, page by page, in both languages, and every way it can be refused."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
import sqlalchemy as sa
from respond_flow import Respondent

import questionnaires
from survey.models import Comment, Response
from survey.models_audit import UsedMark
from survey.services import waves

# The worked example questionnaire: themes klarhed (KLAR1-3), faellesskab (FAEL1-4), tempo (TEMP1-3),
# then one page per exposure kind (bullying, sexual_harassment, threats, violence): 3 + 4 = 7 pages,
# plus the final "send" page = 8 pages.
TOTAL_PAGES = 8


def _count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture()
def open_wave(make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave("2025", "open")


def _walk_to_review(r: Respondent) -> None:
    """Answer a few questions on every page of the example questionnaire and reach the send page."""
    r.post("start")
    r.post("next", {"q0-KLAR1": "5", "q0-KLAR2": "9"})  # 9 = the scale's don't-know code
    r.post("next", {"q0-FAEL1": "7"})
    r.post("next", {"q0-TEMP2": "2"})
    r.post(
        "next",
        {
            "q0-BUL_Q": "2",
            "q0-BUL_SRC": ["colleague", "manager"],
            "q0-BUL_HANDLED": "no",
            "q0-BUL_TOLD": ["no_one"],
        },
    )
    # "no" to sexual harassment: the ticked source must not be kept
    r.post("next", {"q0-SXH_Q": "0", "q0-SXH_SRC": ["citizen"]})
    r.post("next")  # threats: skipped
    r.post("next")  # violence: skipped


EXPECTED_ANSWERS = {
    "KLAR1": 5,
    "KLAR2": 9,
    "FAEL1": 7,
    "TEMP2": 2,
    "BUL_Q": 2,
    "BUL_SRC": ["manager", "colleague"],  # contract order: manager colleague subordinate citizen partner
    "BUL_HANDLED": "no",
    "BUL_TOLD": ["no_one"],
    "SXH_Q": 0,
}


def test_happy_path_danish(app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any) -> None:
    token = make_invitation("2025", "A")
    r = Respondent(client)
    r.open_link(token)
    assert r.status == 200
    assert "Hvad gemmes, og hvad gemmes ikke" in r.html
    assert "Dine svar gemmes uden dit navn" in r.html  # default privacy text (the example has none)
    page = r.post("start")
    assert r.status == 200 and f"Side 1 af {TOTAL_PAGES}" in r.html
    assert page.headers["Cache-Control"] == "no-store"  # answers in hidden fields: never cached
    assert r.h1() == "Klarhed i opgaverne"
    assert '<fieldset class="question scale" id="q0-KLAR1">' in r.html
    assert "<legend>Jeg ved, hvilke opgaver jeg har ansvaret for</legend>" in r.html
    assert "Ved ikke / ikke relevant" in r.html

    _walk_to_review(r)
    assert f"Side {TOTAL_PAGES} af {TOTAL_PAGES}" in r.html
    # only the questions meant for this respondent are counted: 10 items, bullying answered "yes" (2)
    # with its 3 follow-ups, sexual harassment "no" (follow-ups not asked), threats and violence
    # skipped (their follow-ups neither): 10 + 4 + 1 + 1 + 1 = 17
    assert f"Du har besvaret {len(EXPECTED_ANSWERS)} af 17 spørgsmål" in r.html
    # a summary per part, one line per page with its count and a link to change it
    assert "Klarhed i opgaverne" in r.html and "2 af 3 besvaret" in r.html  # KLAR1, KLAR2
    assert "Mobning" in r.html and "4 af 4 besvaret" in r.html
    assert r.html.count("1 af 1 besvaret") == 1 and r.html.count("0 af 1 besvaret") == 2
    link = '<a href="/svar/1"><span class="visually-hidden">Ret svar: </span>Klarhed i opgaverne</a>'
    assert link in r.html
    assert "9 af 17 besvaret" in r.html  # the part's own count (one part here)
    # nothing stored before the final submit
    assert _count(db, Response) == 0
    assert _count(db, UsedMark) == 0

    r.post("submit")
    assert r.status == 200 and r.h1() == "Tak"
    rows = db.session.scalars(sa.select(Response)).all()
    assert len(rows) == 1
    assert rows[0].answers == EXPECTED_ANSWERS
    assert (rows[0].unit_id, rows[0].language, rows[0].questionnaire_id) == ("A", "da", "trivsel-eksempel")
    assert _count(db, UsedMark) == 1


def test_happy_path_english_and_switching_language_keeps_answers(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    token = make_invitation("2025", "B")
    r = Respondent(client)
    r.open_link(token)
    switch = client.get("/sprog/en?next=/start")
    assert switch.status_code == 303 and switch.headers["Location"].endswith("/start")
    r._keep(client.get("/start"))
    assert "What is stored, and what is not" in r.html and '<html lang="en">' in r.html
    r.post("start")
    assert f"Page 1 of {TOTAL_PAGES}" in r.html and r.h1() == "Clarity of tasks"
    assert "Don&#39;t know / not relevant" in r.html
    # switch to Danish in the middle of page 2: the answer on this page and on page 1 are kept
    r.post("next", {"q0-KLAR1": "3"})
    r.post("lang-da", {"q0-FAEL2": "4"})
    assert f"Side 2 af {TOTAL_PAGES}" in r.html and r.h1() == "Fællesskab og ledelse"
    assert r.checked("q0-FAEL2") == ["4"]
    r.post("lang-en")
    assert r.h1() == "Community and leadership"
    for _ in range(6):
        r.post("next")
    assert "Send your answers" in r.html
    r.post("submit")
    assert r.h1() == "Thank you"
    row = db.session.scalars(sa.select(Response)).one()
    assert row.answers == {"KLAR1": 3, "FAEL2": 4}
    assert (row.language, row.unit_id) == ("en", "B")


def test_back_keeps_all_answers(client: Any, open_wave: None, make_invitation: Any) -> None:
    r = Respondent(client)
    r.open_link(make_invitation())
    r.post("start")
    r.post("next", {"q0-KLAR1": "5", "q0-KLAR3": "1"})
    r.post("next", {"q0-FAEL4": "6"})
    r.post("next")
    r.post("next", {"q0-BUL_Q": "1", "q0-BUL_SRC": ["citizen", "partner"], "q0-BUL_HANDLED": "partly"})
    r.post("back")  # from threats page 5 back to bullying page 4
    assert r.checked("q0-BUL_Q") == ["1"]
    assert sorted(r.checked("q0-BUL_SRC")) == ["citizen", "partner"]
    assert r.checked("q0-BUL_HANDLED") == ["partly"]
    r.post("back")
    r.post("back")
    assert r.checked("q0-FAEL4") == ["6"]
    r.post("back")
    assert r.checked("q0-KLAR1") == ["5"] and r.checked("q0-KLAR3") == ["1"]
    assert r.checked("q0-KLAR2") == []
    # un-answering a question on the way forward removes it
    r.post("next", {"q0-KLAR3": None})
    state = r.state()
    assert state["trivsel-eksempel"]["a"] == {
        "KLAR1": 5,
        "FAEL4": 6,
        "BUL_Q": 1,
        "BUL_SRC": ["citizen", "partner"],
        "BUL_HANDLED": "partly",
    }
    # back from the first page returns to the start page
    r.post("back")
    r.post("back")
    assert "Hvad gemmes" in r.html


def test_invalid_value_shows_error_and_stores_nothing(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    r = Respondent(client)
    r.open_link(make_invitation())
    r.post("start")
    r.post("next", {"q0-KLAR1": "8", "q0-KLAR2": "abc", "q0-KLAR3": "4"})
    assert r.status == 422
    assert f"Side 1 af {TOTAL_PAGES}" in r.html  # stays on the page
    assert "Tjek venligst dine svar" in r.html  # summary at the top ...
    assert '<a href="#q0-KLAR1">' in r.html and '<a href="#q0-KLAR2">' in r.html
    assert 'id="q0-KLAR1-error"' in r.html  # ... and the message next to the field
    assert "Vælg et af de viste svar" in r.html
    assert '<a href="#q0-KLAR3">' not in r.html
    assert _count(db, Response) == 0
    # a page of free text over its limit, and a don't-know on an item that has one, work the same way


def _set_state_cookie(client: Any, value: str) -> None:
    from survey.respond import state as answer_state

    client.set_cookie(answer_state.COOKIE, value, path=answer_state.COOKIE_PATH)


def test_tampered_or_foreign_state_is_refused(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    """The answers so far live in an encrypted cookie: a posted ``state`` field is ignored, and a
    changed, foreign, expired or ill-fitting cookie is refused with a way to start again."""
    from survey.respond import state as answer_state

    token = make_invitation()
    r = Respondent(client)
    r.open_link(token)
    r.post("start")
    r.post("next", {"q0-KLAR1": "4"})
    assert r.state() == {"trivsel-eksempel": {"a": {"KLAR1": 4}, "c": {}}}
    # the old hidden field is no way in any more
    forged = json.dumps({"trivsel-eksempel": {"a": {"KLAR2": 3}}})
    resp = client.post(
        "/svar", data={"csrf_token": r.hidden("csrf_token"), "state": forged, "page": "1", "action": "next"}
    )
    assert resp.status_code == 303
    assert r.state() == {"trivsel-eksempel": {"a": {"KLAR1": 4}, "c": {}}}
    good = client.get_cookie(answer_state.COOKIE, path=answer_state.COOKIE_PATH).value

    def refused_with(value: str, status: int, text: str) -> None:
        post = {"csrf_token": r.hidden("csrf_token"), "page": "1", "action": "next"}
        for send in (lambda: client.get("/svar/2"), lambda: client.post("/svar", data=post)):
            _set_state_cookie(client, value)
            resp = send()
            body = resp.get_data(as_text=True)
            assert resp.status_code == status and text in body, (status, body[:300])
            assert 'href="/start"' in body  # the way on: start again
            assert "trivsel_svar=;" in resp.headers.get("Set-Cookie", "")  # the cookie is deleted

    # one changed character
    flipped = good[:20] + ("A" if good[20] != "A" else "B") + good[21:]
    refused_with(flipped, 400, "Dine svar indtil nu kunne ikke læses")
    refused_with("not-base64-!!", 400, "Dine svar indtil nu kunne ikke læses")
    other = make_invitation()
    with app.test_request_context():
        # made for another invitation: the token is the cipher's associated data
        foreign = answer_state.encode(
            answer_state.AnswerState({"trivsel-eksempel": {"a": {"KLAR1": 1}}}), other
        )
        # made by this site, but answers that do not fit the questionnaire (e.g. a changed snapshot)
        unfit = answer_state.encode(
            answer_state.AnswerState({"trivsel-eksempel": {"a": {"KLAR1": 42}}}), token
        )
        unknown_part = answer_state.encode(answer_state.AnswerState({"other": {}}), token)
        # last written eight days ago
        old = answer_state.encode(
            answer_state.AnswerState({}), token, now=time.time() - answer_state.MAX_AGE_SECONDS - 60
        )
    refused_with(foreign, 400, "Dine svar indtil nu kunne ikke læses")
    refused_with(unfit, 400, "Dine svar indtil nu kunne ikke læses")
    refused_with(unknown_part, 400, "Dine svar indtil nu kunne ikke læses")
    refused_with(old, 410, "Dine svar indtil nu er udløbet")
    # "Start" on the start page begins afresh over an unreadable cookie
    _set_state_cookie(client, flipped)
    r._keep(client.get("/start"))
    r.post("start")
    assert r.status == 200 and r.h1() == "Klarhed i opgaverne" and r.state() == {}
    resp = client.post("/svar", data={"csrf_token": r.hidden("csrf_token"), "page": "99", "action": "next"})
    assert resp.status_code == 400
    assert _count(db, Response) == 0


def test_unknown_token(client: Any) -> None:
    r = Respondent(client)
    r.open_link("this-is-not-a-token")
    assert r.status == 404 and "Linket eller koden kan ikke bruges" in r.html
    # nothing was put in the session
    resp = client.get("/start")
    assert resp.status_code == 400 and "Ingen invitation fundet" in resp.get_data(as_text=True)


def test_used_token_and_second_submit(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    token = make_invitation()
    first, other_tab = Respondent(client), Respondent(app.test_client())
    first.open_link(token)
    other_tab.open_link(token)
    _walk_to_review(first)
    other_tab.post("start")
    for _ in range(7):
        other_tab.post("next")
    final_form = {"csrf_token": first.hidden("csrf_token"), "state": first.hidden("state"), "page": "7"}
    first.post("submit")
    assert first.h1() == "Tak"
    # the same browser sends the final form again (double click, or Back and Send)
    again = first.client.post("/svar", data={**final_form, "action": "submit"})
    assert again.status_code == 409 and "Dine svar var allerede sendt" in again.get_data(as_text=True)
    # another browser that had the same link open
    other_tab.post("submit")
    assert other_tab.status == 409 and "Svarene er allerede sendt" in other_tab.html
    # and the link opened anew: refused as an unknown link is (it does not tell whether anyone answered)
    fresh = Respondent(app.test_client())
    fresh.open_link(token)
    assert fresh.status == 404 and "Linket eller koden kan ikke bruges" in fresh.html
    assert _count(db, Response) == 1
    assert db.session.scalars(sa.select(Response)).one().answers == EXPECTED_ANSWERS


def test_server_side_refusal_keeps_the_answers_on_the_send_page(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any, caplog: Any
) -> None:
    """The wave was opened under another mark key (SECRET_KEY changed without TRIVSEL_MARK_KEY): the
    submit is refused by the server, not by the respondent. They get the send page back with the
    answers still in the form and an explanation (503, not a 500), nothing is stored, and the same
    page sent again once the key is back stores the answers."""
    token = make_invitation()
    r = Respondent(client)
    r.open_link(token)
    _walk_to_review(r)
    app.config["TRIVSEL_MARK_KEY"] = "a-different-mark-key-of-at-least-32-chars"
    with caplog.at_level(logging.ERROR):
        r.post("submit")
    assert r.status == 503
    assert "Dine svar kunne ikke sendes lige nu" in r.html
    assert 'role="alert"' in r.html
    assert _count(db, Response) == 0 and _count(db, UsedMark) == 0
    assert "another SECRET_KEY" in caplog.text and "KLAR1" not in caplog.text
    app.config["TRIVSEL_MARK_KEY"] = None
    r.post("submit")
    assert r.h1() == "Tak"
    assert db.session.scalars(sa.select(Response)).one().answers == EXPECTED_ANSWERS


def test_closed_wave(app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any) -> None:
    token = make_invitation()
    r = Respondent(client)
    r.open_link(token)
    _walk_to_review(r)
    waves.close_wave("2025")  # closed while the respondent was answering
    r.post("submit")
    assert r.status == 410 and "Undersøgelsen er lukket" in r.html
    assert _count(db, Response) == 0
    assert _count(db, UsedMark) == 0
    later = Respondent(app.test_client())
    later.open_link(token)
    assert later.status == 410


def test_draft_wave(client: Any, db: Any, make_units: Any, make_wave: Any, make_invitation: Any) -> None:
    make_units()
    make_wave("2026", "draft")
    r = Respondent(client)
    r.open_link(make_invitation("2026", "A"))
    assert r.status == 403 and "ikke åbnet endnu" in r.html
    r._keep(client.get("/kode"))  # any page with a form gives a valid CSRF token
    resp = client.post("/svar", data={"csrf_token": r.hidden("csrf_token"), "state": "{}", "action": "start"})
    assert resp.status_code == 403
    assert _count(db, Response) == 0


def test_missing_csrf_is_400_and_stores_nothing(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    r = Respondent(client)
    r.open_link(make_invitation())
    _walk_to_review(r)
    r.post("submit", csrf=False)
    assert r.status == 400 and "Formularen var udløbet" in r.html
    assert _count(db, Response) == 0
    assert _count(db, UsedMark) == 0


def test_one_time_code_entry(client: Any, db: Any, open_wave: None, make_invitation: Any) -> None:
    code = make_invitation("2025", "B", kind="code")
    assert len(code) == 14 and code[4] == code[9] == "-"
    r = Respondent(client)
    r.enter_code("abc")
    assert r.status == 422 and "En kode har 12 bogstaver og tal" in r.html
    r.enter_code("ZZZZ-ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY")
    assert r.status == 422 and "Vi kunne ikke finde koden" in r.html
    r.enter_code(code.replace("-", " ").lower())  # case and separators do not matter
    assert r.status == 200 and "Hvad gemmes" in r.html
    _walk_to_review(r)
    r.post("submit")
    assert r.h1() == "Tak"
    assert db.session.scalars(sa.select(Response.unit_id)).one() == "B"


def _two_questionnaires() -> list[questionnaires.Questionnaire]:
    scale = {"min": 1, "max": 5, "labels": {"da": ["1", "2", "3", "4", "5"], "en": ["1", "2", "3", "4", "5"]}}
    a = questionnaires.from_dict(
        {
            "id": "mini-a",
            "version": 2,
            "title": {"da": "Del A", "en": "Part A"},
            "intro": {"da": "Velkommen til del A.", "en": "Welcome to part A."},
            "privacy": {"da": "Vi gemmer kun dine svar.", "en": "We store only your answers."},
            "scales": {"s5": scale},
            "themes": [
                {
                    "id": "t",
                    "title": {"da": "Tema", "en": "Theme"},
                    "items": [{"id": "A1", "text": {"da": "A1?", "en": "A1?"}, "scale": "s5"}],
                }
            ],
            "free_text": [{"id": "KOM", "text": {"da": "Kommentar?", "en": "Comment?"}, "max_length": 20}],
        }
    )
    b = questionnaires.from_dict(
        {
            "id": "mini-b",
            "version": 1,
            "title": {"da": "Del B", "en": "Part B"},
            "scales": {"s5": scale},
            "themes": [
                {
                    "id": "u",
                    "title": {"da": "Andet tema", "en": "Other theme"},
                    "items": [{"id": "A1", "text": {"da": "Samme id?", "en": "Same id?"}, "scale": "s5"}],
                }
            ],
        }
    )
    return [a, b]


def test_several_questionnaires_one_submit_and_comments_apart(
    client: Any, db: Any, make_units: Any, make_wave: Any, make_invitation: Any
) -> None:
    make_units()
    make_wave("2025", "open", questionnaires=_two_questionnaires())
    r = Respondent(client)
    r.open_link(make_invitation())
    assert "Velkommen til del A." in r.html and "Vi gemmer kun dine svar." in r.html
    assert "Undersøgelsen har 2 dele" in r.html and '<li><span class="part-title">Del B</span></li>' in r.html
    assert "Den tager cirka 5 minutter: 4 korte sider." in r.html  # 3 questions: the 5-minute minimum
    assert "Dine svar gemmes uden dit navn" not in r.html  # the questionnaire's own privacy text replaces it
    r.post("start")
    # pages: A theme, A free text, B theme, send = 4
    assert "Side 1 af 4" in r.html and "Del 1 af 2: Del A" in r.html
    r.post("next", {"q0-A1": "4"})
    r.post("next", {"q0-KOM": "x" * 21})  # over max_length 20
    assert r.status == 422 and "Skriv højst 20 tegn" in r.html
    r.post("next", {"q0-KOM": "kaffe\x00"})  # a NUL: PostgreSQL cannot store it (was a 500)
    assert r.status == 422 and "Teksten indeholder et nul-tegn, som ikke kan gemmes" in r.html
    r.post("next", {"q0-KOM": "  Mere kaffe  "})
    assert "Del 2 af 2: Del B" in r.html
    r.post("next", {"q1-A1": "2"})  # the same item id in the second questionnaire is its own answer
    r.post("submit")
    assert r.h1() == "Tak"
    rows = {row.questionnaire_id: row.answers for row in db.session.scalars(sa.select(Response))}
    assert rows == {"mini-a": {"A1": 4}, "mini-b": {"A1": 2}}
    comment = db.session.scalars(sa.select(Comment)).one()
    assert (comment.questionnaire_id, comment.item_id, comment.text, comment.unit_id) == (
        "mini-a",
        "KOM",
        "Mere kaffe",
        "A",
    )


# --- anonymity invariants ----------------------------------------------------------------------------


def test_anonymity_of_stored_rows_and_logs(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = make_invitation()
    caplog.set_level(logging.DEBUG)
    r = Respondent(client)
    r.open_link(token)
    _walk_to_review(r)
    r.post("submit")
    assert r.h1() == "Tak"

    inspector = sa.inspect(db.engine)
    response_cols = {c["name"] for c in inspector.get_columns("responses")}
    assert response_cols == {"id", "wave_id", "unit_id", "questionnaire_id", "language", "answers"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("responses")} == {"waves", "units"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("comments")} == {"waves", "units"}
    for table in ("responses", "comments", "invitations"):
        for col in inspector.get_columns(table):
            assert not isinstance(col["type"], sa.Date | sa.DateTime | sa.Time), (table, col["name"])
            assert not any(w in col["name"] for w in ("time", "date", "_at", "ip", "agent", "user")), col[
                "name"
            ]
    assert {c["name"] for c in inspector.get_columns("invitations")} == {
        "id",
        "wave_id",
        "unit_id",
        "token_hash",
        "kind",
        "email",
    }

    # the token appears in no stored row (only its hash does)
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                assert token not in json.dumps([str(v) for v in row]), table.name

    # and not in the log, although the request log saw the link
    assert token not in caplog.text
    assert "/r/<redacted>" in caplog.text
    assert "KLAR1" not in caplog.text  # no answers in the log either


def test_redact_filter_covers_args_and_exceptions() -> None:
    from survey.logging import RedactFilter

    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"GET /r/%s HTTP/1.1" 303', ("SeCrEt",), None
    )
    RedactFilter().filter(record)
    assert record.getMessage() == '"GET /r/<redacted> HTTP/1.1" 303'
    try:
        raise RuntimeError("failed on /r/SeCrEt2?x=1")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "survey", logging.ERROR, __file__, 1, "Exception on %s", ("/r/SeCrEt2",), sys.exc_info()
        )
    RedactFilter().filter(record)
    assert "SeCrEt2" not in record.getMessage() and "SeCrEt2" not in (record.exc_text or "")


def test_language_link_rejects_foreign_targets(client: Any) -> None:
    resp = client.get("/sprog/en?next=//evil.example/x")
    assert resp.status_code == 303 and resp.headers["Location"] == "/start"
    assert client.get("/sprog/fr").status_code == 404


def test_database_errors_do_not_log_answers(
    app: Any, db: Any, make_units: Any, make_wave: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing statement's message leaves the bound values out, and the log drops the database's
    own row details (PostgreSQL: 'DETAIL: Failing row contains (..., {"SECRET1": 7})')."""
    make_units()
    wave = make_wave()
    db.session.add(
        Response(wave_id=wave.id, unit_id="A", questionnaire_id="x", language=None, answers={"SECRET1": 7})
    )
    with pytest.raises(sa.exc.IntegrityError) as err:
        db.session.commit()
    db.session.rollback()
    assert "hidden due to hide_parameters" in str(err.value)
    try:
        raise err.value
    except sa.exc.IntegrityError:
        app.logger.exception("commit failed")
    assert "commit failed" in caplog.text and "IntegrityError" in caplog.text
    assert "SECRET1" not in caplog.text


# --- exclusive choices ---------------------------------------------------------------------------------


def test_no_one_cannot_be_combined_with_someone(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    """ "Whom have you told": "no one" together with "a colleague" is refused at the field (the page's
    script unticks one of them where scripts run; this is the server's check for where they do not)."""
    r = Respondent(client)
    r.open_link(make_invitation())
    r.post("start")
    for _ in range(3):
        r.post("next")
    bullying = {"q0-BUL_Q": "1", "q0-BUL_SRC": ["colleague"], "q0-BUL_TOLD": ["colleague", "no_one"]}
    r.post("next", bullying)
    assert r.status == 422 and r.h1() == "Mobning"
    message = (
        "“Ingen” kan ikke kombineres med andre svar. Fjern fluebenet ved “Ingen” eller ved de andre svar."
    )
    assert (
        f'<p class="field-error" id="q0-BUL_TOLD-error"><span class="visually-hidden">Fejl: </span>{message}'
        in (r.html)
    )
    assert '<a href="#q0-BUL_TOLD">' in r.html  # the error summary links to the question
    assert r.checked("q0-BUL_TOLD") == ["colleague", "no_one"]  # what was ticked is shown to correct it
    assert r.state() == {"trivsel-eksempel": {"a": {}, "c": {}}}  # nothing of the page was kept
    r.post("lang-en", bullying)
    assert r.status == 422 and "“No one” cannot be combined with other answers." in r.html
    # "no one" alone, and someone without "no one", are fine
    r.post("next", {**bullying, "q0-BUL_TOLD": ["no_one"]})
    assert r.status == 200 and r.state()["trivsel-eksempel"]["a"]["BUL_TOLD"] == ["no_one"]
    r.post("back")
    r.post("next", {"q0-BUL_TOLD": ["hr", "manager"]})
    assert r.state()["trivsel-eksempel"]["a"]["BUL_TOLD"] == ["manager", "hr"]
    assert '<input id="q0-BUL_TOLD-5" name="q0-BUL_TOLD" type="checkbox" value="no_one"' not in r.html
    r.post("back")
    assert (
        '<input data-exclusive id="q0-BUL_TOLD-5" name="q0-BUL_TOLD" type="checkbox" value="no_one">'
        in r.html
    )
    assert 'src="/static/respond.js"' in r.html and 'id="exclusive-status" aria-live="polite"' in r.html
    assert _count(db, Response) == 0


def test_the_service_refuses_no_one_with_someone(example_questionnaire: Any) -> None:
    """The same rule where answers are stored (``services.answering``), whatever sends them."""
    from survey.services.answering import AnswerError, validate_answers

    with pytest.raises(AnswerError, match="BUL_TOLD: 'no_one' cannot be combined with other answers"):
        validate_answers(example_questionnaire, {"BUL_Q": 2, "BUL_TOLD": ["no_one", "hr"]})
    assert validate_answers(example_questionnaire, {"BUL_Q": 2, "BUL_TOLD": ["no_one"]}) == {
        "BUL_Q": 2,
        "BUL_TOLD": ["no_one"],
    }


# --- the start page --------------------------------------------------------------------------------------


def test_start_page_states_the_time_and_says_each_privacy_promise_once(
    client: Any, make_units: Any, make_wave: Any, make_invitation: Any
) -> None:
    from survey.respond.views import estimated_minutes, merge_sentences

    # 79 questions x 15 s = 19.75 min -> 20; 26 x 15 s = 6.5 -> 5; never less than 5
    assert (estimated_minutes(79), estimated_minutes(26), estimated_minutes(1)) == (20, 5, 5)
    assert merge_sentences(
        [
            "Anonymous. Results for groups of 5, so no one sees you.",
            "Anonymous. Results for groups of 5; harassment 10.",
        ]
    ) == ["Anonymous.", "Results for groups of 5, so no one sees you."]
    make_units()
    qs = [questionnaires.load(name) for name in ("trivsel", "emotional_demands", "offensive_behaviour")]
    make_wave("2025", "open", questionnaires=qs)
    r = Respondent(client)
    r.open_link(make_invitation())
    # the shipped definitions' intros say 10 + 5 + 5 minutes; the estimate agrees
    assert "Den tager cirka 20 minutter: 24 korte sider." in r.html
    # the privacy promises one tap away (a disclosure widget), before the Start button
    assert r.html.index('<details class="privacy"') < r.html.index('value="start"')
    assert "<summary>Hvad gemmes, og hvad gemmes ikke</summary>" in r.html
    # "Results are shown only for groups of at least 5 ..." was said twice by the shipped texts
    assert r.html.count("<li>Resultater vises kun for grupper med mindst 5 besvarelser") == 1
    # the parts' introductions come after the button
    assert r.html.index('value="start"') < r.html.index("Tak, fordi du vil svare.")


def test_a_carried_comment_with_a_nul_is_refused_by_the_service() -> None:
    from survey.services.answering import AnswerError, validate_comments

    q = _two_questionnaires()[0]
    with pytest.raises(AnswerError):
        validate_comments(q, {"KOM": "kaffe\x00"})
    assert validate_comments(q, {"KOM": " kaffe "}) == {"KOM": "kaffe"}
