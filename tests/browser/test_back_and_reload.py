"""The browser's own Back, Forward and reload, and a restored tab, on question pages (issue 15).

Every question page is a GET reached by a redirect after the form post, so Chromium never shows
"Confirm Form Resubmission" / ERR_CACHE_MISS: Back lands on the previous question with its answers,
reload shows the same page with the answers, and a tab restored in a new window (same cookies, as
after a browser restart with "continue where you left off") opens where the respondent was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE, LiveServer, Session
from .flow import TOTAL_PAGES, Respondent


def _wait(r: Respondent) -> None:
    r.page.wait_for_load_state("load")


def _page_no(r: Respondent) -> int:
    """The page number the page itself shows (``Side n af 24`` / ``Page n of 24``)."""
    return int(r.page.locator("progress.progress").get_attribute("value") or 0)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_browser_back_forward_reload_and_restored_tab(
    device: str,
    live_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
) -> None:
    options: dict[str, Any] = PHONE if device == "phone" else DESKTOP
    unit = live_server.new_unit()
    s = new_session(**options)
    r = Respondent(s, live_server, lang="da", seed=4, touch=device == "phone")
    r.goto(live_server.link(unit))
    r.press("start")
    entered: dict[int, dict[str, Any]] = {}
    for _ in range(3):  # answer pages 1-3 and go on to page 4
        r.answer_page()
        entered[r.page_no] = r.expected_on_page()
        r.press("next")
    assert _page_no(r) == 4 and r.page.url.endswith("/svar/4")

    # the browser's Back, three times: each previous question, with its answers, and no resubmission
    for expected in (3, 2, 1):
        response = r._navigate(lambda: r.page.go_back())
        assert response is not None and response.status == 200, r.page.url
        assert response.request.method == "GET"
        r.page_no = expected
        r.check_page(f"page {expected} after the browser's Back")
        assert _page_no(r) == expected and r.page.url.endswith(f"/svar/{expected}")
        assert r.shown_answers() == entered[expected] != {}, f"page {expected}: {r.shown_answers()}"
        if expected == 2:
            shoot(r.page, f"back_page2_{device}")

    # Forward returns to page 2, reload keeps it and its answers
    r._navigate(lambda: r.page.go_forward())
    r.page_no = 2
    assert r.shown_answers() == entered[2]
    response = r._navigate(lambda: r.page.reload())
    assert response is not None and response.status == 200 and response.request.method == "GET"
    r.check_page("page 2 reloaded")
    assert r.shown_answers() == entered[2]

    # change an answer on page 2 reached by Back, then Next: page 3 still has its answers
    r.answer_page()  # same seed, same choices: the answers stay equal
    r.press("next")
    assert r.shown_answers() == entered[3]

    # a restored tab in a new window of the same browser profile (cookies kept)
    state = s.context.storage_state()
    restored_context = s.context.browser.new_context(base_url=live_server.url, storage_state=state, **options)
    try:
        tab = restored_context.new_page()
        response = tab.goto(f"{live_server.url}/svar/3")
        assert response is not None and response.status == 200
        shown = {
            inp.get_attribute("name"): inp.get_attribute("value")
            for inp in tab.locator("form#answers input[type=radio]:checked").all()
        }
        assert shown == entered[3]
        # and the bare /svar (a bookmark) goes to the page the respondent went to last (Next on 2)
        response = tab.goto(f"{live_server.url}/svar")
        assert response is not None and tab.url.endswith("/svar/3")
        shoot(tab, f"restored_tab_{device}")
    finally:
        restored_context.close()

    # Back from page 1 with the page's own button: the start page; the browser's Forward: page 1 again
    r.goto(f"{live_server.url}/svar/1")
    r.page_no = 1
    r.press("back")
    assert r.page.url.endswith("/start")
    r._navigate(lambda: r.page.go_back())
    assert r.page.url.endswith("/svar/1") and r.shown_answers() == entered[1]
    assert TOTAL_PAGES == 24


def test_thank_you_page_reload_and_back_send_nothing_again(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    unit = live_server.new_unit()
    s = new_session(**PHONE)
    r = Respondent(s, live_server, lang="da", seed=5, touch=True)
    r.goto(live_server.link(unit))
    r.press("start")
    r.answer_page()
    r.press("next")
    r.goto(f"{live_server.url}/svar/{TOTAL_PAGES}")
    r.page_no = TOTAL_PAGES
    response = r.press("submit")
    assert response is not None and response.status == 200 and r.page.url.endswith("/tak")
    response = r._navigate(lambda: r.page.reload())
    assert response is not None and response.status == 200
    assert r.page.locator("h1").inner_text().strip() == "Tak"
    # Back to the send page: it says the answers were sent, shows none of them, and links on
    response = r._navigate(lambda: r.page.go_back())
    assert response is not None and response.status == 409
    assert r.page.locator("form#answers").count() == 0
    assert r.page.locator(".way-on a").count() == 1
    stored = live_server.responses(unit)
    assert sum(len(v) for v in stored.values()) == 3  # one per questionnaire, sent once
