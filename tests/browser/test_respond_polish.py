"""The start page on a phone, exclusive choices unticked by the page's script, and the send page's
summary with links to change each page (issue 15), with axe on each page and keyboard only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import DESKTOP, PHONE, LiveServer, Session, check_axe
from .flow import TOTAL_PAGES, Respondent


def test_start_on_the_first_phone_screen_with_privacy_one_tap_away(
    live_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        s = new_session(**options)
        r = Respondent(s, live_server, lang="da", touch=name == "phone")
        r.goto(live_server.link(live_server.new_unit()))
        page = r.page
        start = page.locator("button[name=action][value=start]").bounding_box()
        height = options["viewport"]["height"]
        assert start is not None and start["y"] + start["height"] <= height, (name, start)
        lead = page.locator("main p.lead").inner_text()
        assert "cirka 20 minutter" in lead and "24 korte sider" in lead, lead
        privacy = page.locator("details.privacy")
        assert privacy.get_attribute("open") is None
        first_promise = privacy.locator("li").first
        assert not first_promise.is_visible()
        shoot(page, f"start_first_screen_{name}")
        check_axe(page, f"start page ({name})")
        # one tap (or Enter on the summary) shows the promises
        summary = privacy.locator("summary")
        if name == "phone":
            summary.tap()
        else:
            summary.focus()
            page.keyboard.press("Enter")
        assert first_promise.is_visible()
        check_axe(page, f"start page, privacy open ({name})")
        shoot(page, f"start_privacy_open_{name}")


def test_no_one_is_unticked_by_the_script_and_the_summary_links_to_each_page(
    live_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    unit = live_server.new_unit()
    s = new_session(**DESKTOP)
    r = Respondent(s, live_server, lang="da", seed=7)
    r.goto(live_server.link(unit))
    r.press("start")
    # page 19: bullying (offensive_behaviour's first exposure); pages are addresses now
    r.goto(f"{live_server.url}/svar/19")
    page = r.page
    assert page.locator("h1").inner_text().strip() == "Mobning"
    page.locator("fieldset.frequency input[type=radio]").nth(1).check()
    told = page.locator("fieldset:has(input[value=no_one])")
    colleague, no_one, hr = (told.locator(f"input[value={v}]") for v in ("colleague", "no_one", "hr"))
    # keyboard only: Tab to "a colleague", Space; then to "no one", Space
    colleague.focus()
    page.keyboard.press("Space")
    assert colleague.is_checked()
    no_one.focus()
    page.keyboard.press("Space")
    assert no_one.is_checked() and not colleague.is_checked()
    status = page.locator("#exclusive-status")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text() == "Fluebenet er fjernet ved: En kollega"
    # and the other way round: ticking someone unticks "no one"
    hr.click()
    assert hr.is_checked() and not no_one.is_checked()
    assert status.inner_text() == "Fluebenet er fjernet ved: Ingen"
    check_axe(page, "exposure page after the script unticked")
    r.page_no = 19
    r.press("next")
    # the send page: counts only what was meant (bullying answered yes: its follow-ups count)
    r.goto(f"{live_server.url}/svar/{TOTAL_PAGES}")
    main = page.locator("main")
    assert "Du har besvaret 2 af 70 spørgsmål." in main.inner_text()
    # 79 questions; sexual harassment, threats and violence unanswered: their 3 x 3 follow-ups not meant
    bullying = main.locator("li", has_text="Mobning")
    assert "2 af 4 besvaret" in bullying.inner_text()
    check_axe(page, "send page with summary")
    shoot(page, "send_summary_desktop")
    r.activate(bullying.locator("a"))
    assert page.url.endswith("/svar/19")
    assert page.locator("fieldset:has(input[value=no_one]) input[value=hr]").is_checked()
