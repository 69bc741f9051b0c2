"""The code page, error messages linked to their fields, and the flow without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import DESKTOP, PHONE, LiveServer, Session
from .flow import Respondent
from .test_journeys import assert_stored, finish


def check_error_summary(r: Respondent, field_id: str, where: str) -> str:
    """The error summary links to the field, and the field points (aria-describedby) at its message.

    Returns the message.
    """
    p = r.page
    summary = p.locator(".error-summary")
    assert summary.count() == 1, f"{where}: no error summary"
    assert summary.get_attribute("role") == "alert"
    links = summary.locator("a")
    assert [a.get_attribute("href") for a in links.all()] == [f"#{field_id}"], where
    target = p.locator(f"#{field_id}")
    assert target.count() == 1, f"{where}: the summary links to #{field_id}, which is not on the page"
    described = (target.get_attribute("aria-describedby") or "").split()
    error_ids = [i for i in described if p.locator(f"#{i}.field-error").count() == 1]
    assert len(error_ids) == 1, f"{where}: #{field_id} aria-describedby={described} names no .field-error"
    message = " ".join((p.locator(f"#{error_ids[0]}").text_content() or "").split())
    assert message, f"{where}: empty error message"
    # the summary says the same thing as the message at the field (the hidden "Error:" prefix aside)
    assert message.split(": ", 1)[-1] in links.first.inner_text(), (message, links.first.inner_text())
    return message


def test_code_page_and_its_errors_in_both_languages(
    live_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    s = new_session(**PHONE)
    r = Respondent(s, live_server, lang="da", touch=True)
    r.goto(f"{live_server.url}/kode")
    r.check_page("code page")  # includes axe
    shoot(r.page, "code_da_phone")
    r.choose_language_on_start_page("en")  # the header language link leads back to /kode
    assert r.page.url == f"{live_server.url}/kode"
    r.check_page("code page")
    assert r.page.locator("#code").get_attribute("aria-describedby") == "code-hint"

    # not a code at all, then a well-formed code that does not exist: both refused, linked to the field
    messages = []
    for typed in ("abc", "0000-0000-0000"):
        r.page.locator("#code").fill(typed)
        response = r.activate(r.page.locator("main form button[type=submit]"))
        assert response is not None and response.status == 422, typed
        r.check_page(f"code page, error for {typed!r}")
        messages.append(check_error_summary(r, "code", f"code {typed!r}"))
    assert messages[0] != messages[1], "the two refusals should say what is wrong in each case"
    shoot(r.page, "code_error_en_phone")


def test_one_time_code_in_lower_case_without_dashes_and_without_javascript(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    unit = live_server.new_unit()
    code = live_server.code(unit)  # XXXX-XXXX-XXXX
    s = new_session(java_script_enabled=False, **PHONE)
    # proof that page scripts do not run in this context (Playwright's own evaluate still works)
    s.page.set_content("<title>before</title><script>document.title = 'script ran'</script>")
    assert s.page.title() == "before"
    r = Respondent(s, live_server, lang="da", seed=4, touch=True, run_axe=False)  # axe needs JavaScript

    def enter_code() -> Any:
        r.goto(f"{live_server.url}/kode")
        r.page.locator("#code").fill(code.lower().replace("-", ""))
        return r.activate(r.page.locator("main form button[type=submit]"))

    response = enter_code()
    assert response is not None and response.status == 200
    assert r.page.url == f"{live_server.url}/start"
    r.check_page("start")
    r.press("start")
    # answered: a trivsel theme, the offensive-behaviour theme, two exposures, the last comment
    r.run_pages(back_at=(21,), answer_only={1, 18, 21, 22, 23})
    finish(r, enter_code, None, "code")
    assert_stored(live_server, unit, r, "da")


def test_invalid_answer_is_reported_at_the_question_in_both_languages(
    live_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    unit = live_server.new_unit()
    s = new_session(**DESKTOP)
    r = Respondent(s, live_server, lang="da", seed=5)
    r.goto(live_server.link(unit))
    r.press("start")
    r.check_page("page 1")
    first, second = (fs.get_attribute("id") or "" for fs in r.page.locator("fieldset.scale").all()[:2])
    # a browser sends a value the scale does not have (42) for the first question; the second is valid
    r.page.evaluate(f"document.querySelector('input[name=\"{first}\"]').value = '42'")
    r.page.locator(f"label[for='{first}-0']").click()
    r.page.locator(f"label[for='{second}-4']").click()
    response = r.press("next")
    r.page_no -= 1  # refused: still on page 1
    assert response is not None and response.status == 422
    r.check_page("page 1 with an error")
    check_error_summary(r, first, "invalid answer [da]")
    assert r.page.locator(f"input[name='{second}']:checked").get_attribute("value") == "5", (
        "the valid answer next to the invalid one must still be selected"
    )
    shoot(r.page, "error_summary_da_desktop")

    # the page shown again has no option of the first question selected (42 is none of them);
    # the same bad value is sent once more, this time with the switch to English
    assert r.page.locator(f"input[name='{first}']:checked").count() == 0
    r.page.evaluate(f"document.querySelector('input[name=\"{first}\"]').value = '42'")
    r.page.locator(f"label[for='{first}-0']").click()
    response = r.press("lang-en")
    r.lang = "en"
    assert response is not None and response.status == 422
    r.check_page("page 1 with an error")
    check_error_summary(r, first, "invalid answer [en]")

    r.page.locator(f"label[for='{first}-2']").click()  # a real answer: 3
    response = r.press("next")
    assert response is not None and response.status == 200
    assert r.page.locator(".error-summary").count() == 0
    r.check_page("page 2")
    assert live_server.responses(unit) == {}, "nothing is stored before Send"


HINTS_NOT_DESCRIBED_JS = """() => [...document.querySelectorAll('form#answers .question')].flatMap(q => {
  const control = q.matches('fieldset') ? q : q.querySelector('textarea, input');
  const described = (control.getAttribute('aria-describedby') || '').split(/\\s+/);
  return [...q.querySelectorAll(':scope > p.hint')]
    .filter(h => !h.id || !described.includes(h.id))
    .map(h => (q.id || control.id) + ': ' + h.innerText.slice(0, 50));
})"""


def test_every_question_hint_is_referenced_by_its_field(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    s = new_session(java_script_enabled=False, **DESKTOP)
    r = Respondent(s, live_server, lang="da", run_axe=False)
    r.goto(live_server.link(live_server.new_unit()))
    r.press("start")
    unreferenced: list[str] = []
    hints = 0
    while r.kind() != "review":
        hints += r.page.locator("form#answers .question > p.hint").count()
        unreferenced += [f"page {r.page_no}: {h}" for h in r.page.evaluate(HINTS_NOT_DESCRIBED_JS)]
        r.press("next")
    assert hints > 0, "the shipped questionnaires have help texts; the walk should meet some"
    assert unreferenced == [], "hints a screen reader does not announce with their question:\n" + "\n".join(
        unreferenced
    )
