"""An employee answers every shipped questionnaire in Chromium, from the invitation to the thank-you page.

Each journey runs on a unit of its own, so the responses of that unit are exactly what the journey
stored; they must equal, answer by answer, what the browser entered (``Respondent.answers``).
Every page on the way gets the checks of ``Respondent.check_page`` (lang, origin, fieldset/legend,
progress, axe-core WCAG 2.0/2.1 A/AA with no serious or critical violation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import DESKTOP, PHONE, QUESTIONNAIRES, LiveServer, Session
from .flow import TOTAL_PAGES, KeyboardRespondent, PageLoad, Respondent

#: budget per page load (response bodies of the document, stylesheet and anything else it fetched)
PAGE_BUDGET = 100 * 1024

THANKS_TITLE = {"da": "Tak", "en": "Thank you"}


def assert_stored(server: LiveServer, unit: str, r: Respondent, lang: str) -> None:
    """Exactly one response per questionnaire for the unit, equal to what the browser entered."""
    stored = server.responses(unit)
    assert sorted(stored) == sorted(QUESTIONNAIRES), f"responses stored for {sorted(stored)}"
    for qid in QUESTIONNAIRES:
        assert len(stored[qid]) == 1, f"{len(stored[qid])} responses stored for {qid}"
        language, answers = stored[qid][0]
        assert language == lang
        assert answers == r.answers.get(qid, {}), f"{qid}: stored {answers}, entered {r.answers.get(qid)}"
    entered = sorted((q, i, t) for q, d in r.comments.items() for i, t in d.items())
    assert sorted(server.comments(unit)) == entered


def finish(r: Respondent, link: str | Callable[[], Any], shoot: Callable[..., Path] | None, tag: str) -> None:
    """Review page -> Send -> thank-you page -> the same link (or code: ``link`` is then a callable
    that enters it again) is refused exactly as an unknown link (or code) is."""
    review = r.page.locator("main").inner_text()
    # the review counts what this respondent answered (its own tally) out of the questions meant for
    # them (an exposure's follow-ups only after a "yes")
    assert f" {r.answered_count()} " in review and f" {r.meant_count()} " in review, review
    response = r.press("submit")
    assert response is not None and response.status == 200
    assert r.page.locator("h1").inner_text().strip() == THANKS_TITLE[r.lang]
    assert r.page.locator("form#answers").count() == 0
    r.check_page("thank-you")
    if shoot:
        shoot(r.page, f"thanks_{tag}")
    # a used link or code is refused as an unknown one is (docs/anonymity.md, threat 17)
    if isinstance(link, str):
        response = r.goto(link)
        assert response is not None and response.status == 404
        assert r.page.locator(".notice-unknown").count() == 1, "expected the 'cannot be used' notice"
        assert r.page.locator("form").count() == 0, "the used link must not offer the questionnaire again"
    else:
        response = link()
        assert response is not None and response.status == 422
        assert r.page.locator("#code-error").count() == 1, "expected the code page's error"
        assert r.page.locator("form#answers").count() == 0, "the used code must not open the questionnaire"
    r.check_page("already used")
    if shoot:
        shoot(r.page, f"already_used_{tag}")


def disable_cache(s: Session) -> None:
    """Every page load fetches all it needs (so the measured bytes are a first visit's)."""
    cdp = s.context.new_cdp_session(s.page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})


def size_table(loads: list[PageLoad]) -> str:
    lines = [f"{'page':<28} {'requests':>8} {'bytes':>9}"]
    lines += [f"{ld.label:<28} {ld.requests:>8} {ld.body_bytes:>9,}" for ld in loads]
    return "\n".join(lines)


def test_phone_journey_in_danish_with_touch(
    live_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
    capsys: Any,
) -> None:
    unit = live_server.new_unit()
    link = live_server.link(unit)
    s = new_session(**PHONE)
    disable_cache(s)
    r = Respondent(s, live_server, lang="da", seed=1, touch=True)

    response = r.goto(link)
    assert response is not None and response.status == 200
    assert r.page.url == f"{live_server.url}/start", "the token must leave the address bar"
    r.check_page("start")
    shoot(r.page, "start_da_phone")
    r.press("start")

    shots: set[str] = set()

    def on_page(r: Respondent, label: str) -> None:
        kind = r.kind()
        if kind not in shots:  # the first page of each kind
            shots.add(kind)
            shoot(r.page, f"{kind}_phone_da")

    r.run_pages(on_page=on_page, back_at=(1,))
    finish(r, link, shoot, "da_phone")
    assert_stored(live_server, unit, r, "da")

    with capsys.disabled():
        print(f"\nTransferred per page load (phone, cache disabled, response bodies):\n{size_table(r.loads)}")
        print("axe (minor/moderate, not failing):\n" + ("\n".join(r.axe_log) or "  none"))
    by_label = {ld.label: ld for ld in r.loads}
    for label in ("start", "page 1 (theme)"):
        assert by_label[label].body_bytes < PAGE_BUDGET, size_table(r.loads)
    # 24 flow pages + start + (page 2 and page 1 again around Back) + thank-you + already used = 29
    assert r.checked_pages == TOTAL_PAGES + 1 + 2 + 2


def test_desktop_journey_in_english_chosen_on_the_start_page(
    live_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
    capsys: Any,
) -> None:
    unit = live_server.new_unit()
    link = live_server.link(unit)
    s = new_session(**DESKTOP)
    # seed 2: the exposures are answered 2, 3, 4 and 0 ("no", with follow-ups ticked that must be dropped)
    r = Respondent(s, live_server, lang="da", seed=2)
    r.goto(link)
    r.check_page("start (before choosing)")
    r.choose_language_on_start_page("en")
    assert r.page.url == f"{live_server.url}/start"
    r.check_page("start")
    shoot(r.page, "start_en_desktop")
    r.press("start")

    def on_page(r: Respondent, label: str) -> None:
        if r.page_no == 1:
            shoot(r.page, "theme_desktop_en")
        if r.page_no == 3:
            # the in-form language switch keeps what was entered on the page
            entered = r.expected_on_page()
            r.press("lang-da")
            r.lang = "da"
            r.check_page("page 3 switched to Danish")
            assert r.shown_answers() == entered
            r.press("lang-en")
            r.lang = "en"
            r.check_page("page 3 switched back to English")
            assert r.shown_answers() == entered

    r.run_pages(on_page=on_page, back_at=(19,))
    finish(r, link, shoot, "en_desktop")
    with capsys.disabled():
        print("\naxe, English desktop (minor/moderate, not failing):\n" + ("\n".join(r.axe_log) or "  none"))
    assert_stored(live_server, unit, r, "en")
    # the scenario happened: violence answered "no", so its ticked follow-ups were not kept
    assert r.answers["offensive_behaviour"]["VOL_Q"] == 0
    assert not {"VOL_SRC", "VOL_HANDLED", "VOL_TOLD"} & set(r.answers["offensive_behaviour"])


def test_keyboard_only_journey(live_server: LiveServer, new_session: Callable[..., Session]) -> None:
    unit = live_server.new_unit()
    link = live_server.link(unit)
    s = new_session(**DESKTOP)
    r = KeyboardRespondent(s, live_server, lang="da", seed=3, run_axe=False)  # axe: the other journeys
    r.goto(link)
    r.check_page("start")
    r.press("start")
    # answered: two trivsel themes, the trivsel comment, an emotional-demands theme, two exposures and
    # the last comment; every other page is passed with Tab + Enter on Next, its questions skipped
    r.run_pages(back_at=(1,), answer_only={1, 2, 13, 14, 19, 20, 23})
    finish(r, link, None, "keyboard")
    assert_stored(live_server, unit, r, "da")
    # the first group of page 1 was walked with the arrow keys over all 8 options and back (7 + 7)
    assert r.arrow_checks == 14
    assert r.tab_presses > 100, "every question passed needs at least one Tab"
