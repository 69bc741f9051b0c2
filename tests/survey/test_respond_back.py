"""Back, reload and restored tabs: post/redirect/get with the answers so far in an encrypted cookie.

Every questionnaire page is a ``GET /svar/<n>`` reached by a 303 after ``POST /svar``, so the
browser's Back and reload fetch a page again instead of resending a form; the answers so far come
from the state cookie (``survey.respond.state``), never from the server's database.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
import sqlalchemy as sa
from respond_flow import Respondent

import questionnaires
from survey.models import Response
from survey.models_audit import UsedMark
from survey.respond import state as answer_state

TOTAL_PAGES = 8  # the worked example: 3 themes + 4 exposure pages + the send page


@pytest.fixture()
def open_wave(make_units: Any, make_wave: Any) -> None:
    make_units()
    make_wave("2025", "open")


def _count(db: Any, model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _started(client: Any, make_invitation: Any) -> Respondent:
    r = Respondent(client)
    r.open_link(make_invitation())
    return r


def test_every_post_redirects_to_a_get_of_the_next_page(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    r = _started(client, make_invitation)
    csrf = r.hidden("csrf_token")
    first = client.post("/svar", data={"csrf_token": csrf, "action": "start"})
    assert first.status_code == 303 and first.headers["Location"] == "/svar/1"
    page1 = client.get("/svar/1")
    assert page1.status_code == 200 and "Side 1 af 8" in page1.get_data(as_text=True)
    # the page is never cached (a shared computer), but it is a GET: Back and reload just fetch it
    assert page1.headers["Cache-Control"] == "no-store"
    r._keep(page1)
    nxt = client.post("/svar", data={"csrf_token": csrf, "page": "0", "action": "next", "q0-KLAR1": "6"})
    assert nxt.status_code == 303 and nxt.headers["Location"] == "/svar/2"
    back = client.post("/svar", data={"csrf_token": csrf, "page": "1", "action": "back", "q0-FAEL1": "2"})
    assert back.status_code == 303 and back.headers["Location"] == "/svar/1"
    lang = client.post("/svar", data={"csrf_token": csrf, "page": "0", "action": "lang-en", "q0-KLAR2": "3"})
    assert lang.status_code == 303 and lang.headers["Location"] == "/svar/1"
    # and back from the first page to the start page keeps what was answered
    to_start = client.post("/svar", data={"csrf_token": csrf, "page": "0", "action": "back"})
    assert to_start.status_code == 303 and to_start.headers["Location"] == "/start"
    assert r.state() == {"trivsel-eksempel": {"a": {"FAEL1": 2}, "c": {}}}  # KLAR1/2 unticked above
    assert _count(db, Response) == 0 and _count(db, UsedMark) == 0


def test_back_reload_and_a_restored_tab_show_the_answers(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    r = _started(client, make_invitation)
    r.post("start")
    r.post("next", {"q0-KLAR1": "5", "q0-KLAR3": "2"})
    r.post("next", {"q0-FAEL4": "7"})
    assert "Side 3 af 8" in r.html
    # reload: the same GET again, same page, nothing lost, nothing resent
    again = client.get("/svar/3")
    assert again.status_code == 200 and "Side 3 af 8" in again.get_data(as_text=True)
    # the browser's Back: the previous page's address, fetched again, with its answers
    r._keep(client.get("/svar/2"))
    assert r.status == 200 and r.checked("q0-FAEL4") == ["7"]
    r._keep(client.get("/svar/1"))
    assert r.checked("q0-KLAR1") == ["5"] and r.checked("q0-KLAR3") == ["2"]
    # going on from a page reached by Back keeps the later pages' answers
    r.post("next", {"q0-KLAR2": "9"})
    assert r.checked("q0-FAEL4") == ["7"]
    # a restored tab or a bookmark of /svar: back to the page reached
    resumed = client.get("/svar")
    assert resumed.status_code == 303 and resumed.headers["Location"] == "/svar/2"
    # a tab restored after the browser was closed: a new client with the same cookies
    restored = app.test_client()
    for cookie in ("session", answer_state.COOKIE):
        c = client.get_cookie(cookie, path=answer_state.COOKIE_PATH if cookie != "session" else "/")
        restored.set_cookie(c.key, c.value, path=c.path)
    tab = Respondent(restored)
    tab._keep(restored.get("/svar/1"))
    assert tab.checked("q0-KLAR1") == ["5"] and tab.checked("q0-KLAR2") == ["9"]
    # and all of it is sent at the end
    for _ in range(6):
        r.post("next")
    assert "Side 8 af 8" in r.html
    r.post("submit")
    assert r.h1() == "Tak"
    assert db.session.scalars(sa.select(Response.answers)).one() == {
        "KLAR1": 5,
        "KLAR2": 9,
        "KLAR3": 2,
        "FAEL4": 7,
    }


def test_after_send_the_state_is_deleted_and_back_or_reload_send_nothing(
    client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    r = _started(client, make_invitation)
    r.post("start")
    r.post("next", {"q0-KLAR1": "4"})
    csrf = r.hidden("csrf_token")
    for _ in range(6):
        r.post("next")
    sent = client.post("/svar", data={"csrf_token": csrf, "page": "7", "action": "submit"})
    assert sent.status_code == 303 and sent.headers["Location"] == "/tak"
    assert "trivsel_svar=;" in sent.headers["Set-Cookie"]  # the answers leave the browser
    assert client.get_cookie(answer_state.COOKIE, path=answer_state.COOKIE_PATH) is None
    thanks = client.get("/tak")
    assert thanks.status_code == 200 and "Tak" in thanks.get_data(as_text=True)
    assert client.get("/tak").status_code == 200  # reloading the thank-you page sends nothing
    # Back to a question page: the answers were sent, and nothing of them is shown
    back = client.get("/svar/2")
    body = back.get_data(as_text=True)
    assert back.status_code == 409 and "Dine svar var allerede sendt" in body and "KLAR" not in body
    assert _count(db, Response) == 1 and _count(db, UsedMark) == 1
    # the thank-you address without having sent anything leads to the start page
    assert Respondent(client.application.test_client()).client.get("/tak").headers["Location"] == "/start"


def test_state_cookie_is_encrypted_bound_and_not_persistent(
    app: Any, client: Any, open_wave: None, make_invitation: Any
) -> None:
    r = _started(client, make_invitation)
    r.post("start")
    r.post("next", {"q0-KLAR1": "5"})
    csrf = r.hidden("csrf_token")
    resp = client.post("/svar", data={"csrf_token": csrf, "page": "1", "action": "next", "q0-FAEL1": "3"})
    header = resp.headers["Set-Cookie"]
    assert header.startswith(answer_state.COOKIE + "=")
    attributes = {a.strip().split("=")[0].lower() for a in header.split(";")[1:]}
    assert attributes == {"httponly", "path", "samesite"}  # no Expires/Max-Age: gone with the browser
    assert "Path=/svar" in header and "SameSite=Lax" in header
    value = header.split(";")[0].split("=", 1)[1]
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert b"KLAR1" not in raw and b"FAEL1" not in raw  # not readable from the browser's profile
    # production: HTTPS only, like the session cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    resp = client.post("/svar", data={"csrf_token": csrf, "page": "2", "action": "next"})
    assert "Secure" in resp.headers["Set-Cookie"]


def test_dead_ends_say_what_happened_and_where_to_go_on(
    app: Any, client: Any, open_wave: None, make_invitation: Any
) -> None:
    # no invitation in this browser (a bookmark, another browser): the code page
    for address in ("/svar", "/svar/3", "/start"):
        resp = client.get(address)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 400 and "Ingen invitation fundet" in body, address
        assert 'href="/kode"' in body
    r = _started(client, make_invitation)
    # an invitation but nothing answered yet: /svar goes to the start page
    resp = client.get("/svar")
    assert resp.status_code == 303 and resp.headers["Location"] == "/start"
    r.post("start")
    # a page number that does not exist: said so, with the way back to the survey
    for address in ("/svar/0", "/svar/9", "/svar/999"):
        resp = client.get(address)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 404 and "Denne side af undersøgelsen findes ikke" in body, address
        assert 'href="/svar"' in body
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    body = client.get("/svar/9").get_data(as_text=True)
    assert "This page of the survey does not exist" in body and "Go on with the survey" in body


def test_too_long_comments_are_refused_at_the_field_and_kept(
    client: Any, make_units: Any, make_wave: Any, make_invitation: Any
) -> None:
    """The cookie holds about 5 kB: ordinary comments fit with every question answered; comments of
    thousands of emoji do not, and the page says so at the field instead of losing them."""
    make_units()
    qs = [questionnaires.load(name) for name in ("trivsel", "emotional_demands", "offensive_behaviour")]
    make_wave("2025", "open", questionnaires=qs)
    r = _started(client, make_invitation)
    r.post("start")
    rng = random.Random(15)
    n_pages = 0
    while "Send dine svar" not in r.h1():
        n_pages += 1
        answers: dict[str, Any] = {}
        for name in dict.fromkeys(re_names(r.html)):
            radios = re_values(r.html, name, "radio")
            if radios:
                answers[name] = radios[1]  # the second choice: 2 on a scale, a "yes" on an exposure
            else:  # a checkbox group: every choice but the exclusive "no one"
                answers[name] = [v for v in re_values(r.html, name) if v != "no_one"]
        for name, limit in re_textareas(r.html):
            answers[name] = danish_text(rng, int(limit))  # as long as the field allows
        r.post("next", answers)
        assert r.status == 200, (n_pages, r.html[:2000])
    assert n_pages == 23
    state = r.state()
    assert sum(len(p["a"]) for p in state.values()) > 70 and sum(len(p["c"]) for p in state.values()) == 2
    cookies = [client.get_cookie(n, path=answer_state.COOKIE_PATH) for n in answer_state._names()]
    size = sum(len(c.value) for c in cookies if c)
    print(f"state cookie with every question answered and both comments full: {size} characters")
    assert size <= answer_state.CHUNK_SIZE * answer_state.MAX_CHUNKS
    # now the long comment (page 13, 2,000 characters) in random CJK characters: 3 bytes each in
    # UTF-8 and ~14 bits of entropy, so ~3.6 kB even compressed; with the rest it no longer fits
    r._keep(client.get("/svar/13"))
    ((name, limit),) = re_textareas(r.html)
    text = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(int(limit)))
    r.post("next", {name: text})
    assert r.status == 422
    assert "Dine kommentarer er for lange til at kunne gemmes" in r.html
    assert f'<a href="#{name}">' in r.html
    assert text in r.html  # what was typed is still in the field
    assert r.state() == state  # and the earlier answers are untouched


def danish_text(rng: random.Random, n: int) -> str:
    """``n`` characters of random Danish letters, digits and punctuation in words (compresses far worse
    than real text, which repeats words)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPRSTUVWÆØÅ0123456789,.-!?"
    out: list[str] = []
    while len(out) < n:
        out.extend(rng.choice(alphabet) for _ in range(rng.randrange(2, 10)))
        out.append(" ")
    return "".join(out[:n]).strip()


def re_names(page: str) -> list[str]:
    import re

    return re.findall(r'<input[^>]*name="(q\d+-[A-Z0-9_]+)"', page)


def re_values(page: str, name: str, kind: str = "checkbox") -> list[str]:
    import re

    return re.findall(rf'name="{re.escape(name)}" type="{kind}" value="([^"]*)"', page)


def re_textareas(page: str) -> list[tuple[str, str]]:
    import re

    return [
        (m.group(2), m.group(1)) for m in re.finditer(r'<textarea[^>]*maxlength="(\d+)" name="([^"]+)"', page)
    ]


def test_error_pages_say_where_to_go_on(
    app: Any, client: Any, db: Any, open_wave: None, make_invitation: Any
) -> None:
    """404 and 405 (and the expired-form 400) are no dead ends: a respondent is sent back to their
    survey, staff to their landing page, anyone else to the code page; in Danish and in English."""
    from staff_helpers import signed_in

    for send in (lambda: client.get("/ingen-side"), lambda: client.post("/start")):
        resp = send()
        body = resp.get_data(as_text=True)
        assert resp.status_code in (404, 405)
        assert '<a href="/kode">Besvar en undersøgelse: indtast din kode</a>' in body
    r = _started(client, make_invitation)
    r.post("start")
    for send in (lambda: client.get("/r/"), lambda: client.post("/start"), lambda: client.get("/sprog/xx")):
        body = send().get_data(as_text=True)
        assert '<a href="/svar">Fortsæt med undersøgelsen</a>' in body
    # the form sent without its CSRF token (e.g. after the session cookie was lost): back to the survey,
    # where the answers so far are still in their own cookie
    resp = client.post("/svar", data={"page": "0", "action": "next", "q0-KLAR1": "3"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and '<a href="/svar">Fortsæt med undersøgelsen</a>' in body
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    assert '<a href="/svar">Go on with the survey</a>' in client.get("/ingen-side").get_data(as_text=True)
    staff = signed_in(app.test_client(), "hr", lang="da")
    body = staff.get("/ingen-side").get_data(as_text=True)
    assert '<a href="/">Gå til forsiden</a>' in body


@pytest.mark.parametrize(
    "typed",
    [
        "{a}\u2013{b}\u2013{c}",  # en dashes (a PDF or Word copy)
        "{a}\u2014{b}\u2014{c}",  # em dashes
        "{a}\u2212{b}\u2212{c}",  # minus signs
        "{a}\u2011{b}\u2010{c}",  # non-breaking hyphen, hyphen
        "{a}\u00a0{b}\u202f{c}",  # no-break and narrow no-break spaces
        " {a} - {b} \u2013 {c}\n",  # spaces around dashes, a trailing newline
        "{a}\u00ad{b}\u200b{c}",  # soft hyphen, zero-width space
        "\uff21\uff22\uff23\uff24-{b}-{c}",  # full-width letters (the code's first group is replaced)
    ],
)
def test_codes_accept_any_dash_or_space(
    client: Any, db: Any, open_wave: None, make_invitation: Any, typed: str
) -> None:
    from survey.services.invitations import normalise_code

    code = make_invitation("2025", "B", kind="code")
    a, b, c = code.split("-")
    if typed.startswith("\uff21"):
        assert normalise_code(typed.format(b=b, c=c)) == "ABCD" + b + c
        return
    entered = typed.format(a=a.lower(), b=b, c=c)
    assert normalise_code(entered) == a + b + c
    r = Respondent(client)
    r.enter_code(entered)
    assert r.status == 200 and "Hvad gemmes" in r.html


def test_codes_still_refuse_other_characters() -> None:
    from survey.services.invitations import normalise_code

    for typed in ("ABCD_2345_WXYZ", "ABCD.2345.WXYZ", "ABCD/2345/WXYZ", "ABCD-2345-WXY", "ABCD-2345-WXYZ-2"):
        assert normalise_code(typed) is None, typed
