"""The annual work-environment report in Chromium on the demo municipality (three years of absence,
accidents and incidents imported by ``build_demo``): HR opens the report for the organisation and for a MED
area, downloads its PDF and Excel, opens the import page and a unit's dialogue sheet, on a desktop and on a
phone, in Danish and then in English. Every page passes the staff journeys' checks (:class:`Tour`: language,
axe-core, no foreign words, same origin, screenshot)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from survey import demo_workenv

from . import test_staff_journeys as journeys
from .conftest import DESKTOP, PHONE, STAFF, LiveServer, Session
from .test_staff_journeys import Tour, assert_danish_numbers, main_text, sign_in_with_keyboard


@pytest.fixture()
def topics(monkeypatch: pytest.MonkeyPatch) -> None:
    """The authority reactions' topics are data in Danish, shown as written on an English page too."""
    monkeypatch.setattr(journeys, "TYPED", journeys.TYPED + tuple(r[3] for r in demo_workenv.REACTIONS))


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_hr_reads_the_annual_report_in_both_languages(
    staff_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
    topics: None,
    device: str,
) -> None:
    import openpyxl

    options: dict[str, Any] = dict(DESKTOP if device == "desktop" else PHONE)
    s = new_session(staff_server, **options, accept_downloads=True)
    t = Tour(s, staff_server, lambda page, name: shoot(page, f"{name}_{device}"))
    page = s.page
    sign_in_with_keyboard(page, STAFF["hr"][0])
    page.get_by_role("navigation", name="Personale").get_by_role("link", name="Årsrapport").click()
    page.wait_for_load_state()
    page.select_option("#a-year", "2025")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state()
    t.check("annual_report")
    text = main_text(page)
    assert "Årlig arbejdsmiljørapport 2025: hele organisationen" in text
    assert "skjult: færre end 5 ansatte" in text  # the demo's tiny teams
    # whole numbers with Danish thousands points ("1.924 timer", "57.000 kr.") would look like decimal points
    # to the check; our decimals have one or two digits, so a wrong "5.4" is still caught
    assert "1.924 timer" in text
    assert_danish_numbers(re.sub(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,])", " ", text), "annual report")
    _name, pdf = t.download("Hent årsrapporten som PDF", b"%PDF")
    _name, xlsx = t.download("Hent årsrapporten som Excel", b"PK")
    sheets = openpyxl.load_workbook(io.BytesIO(xlsx)).sheetnames
    assert sheets[:2] == ["Nøgletal", "Sygefravær pr. enhed"]
    page.select_option("#a-area", "AEL")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state()
    t.check("annual_area")
    assert "Årlig arbejdsmiljørapport 2025: Ældre og Sundhed" in main_text(page)
    assert "Vej og Park" not in main_text(page)
    page.get_by_role("link", name="Hjemmeplejen", exact=True).click()
    page.wait_for_load_state()
    t.check("annual_dialogue")
    assert "Tre spørgsmål til drøftelse" in main_text(page)
    page.goto("/aarsrapport/hjaelp")
    t.check("annual_help")
    assert "Hjælpekontakter" in main_text(page)
    page.goto("/rapporter/udvikling")
    t.check("report_trends")
    assert "Udvikling over målingerne" in main_text(page)
    page.goto("/aarsrapport/import")
    t.check("annual_import")
    t.english_pass()
    assert t.checked[-1] == "annual_import (en)"
    assert not t.log or all("serious" not in entry for entry in t.log)
