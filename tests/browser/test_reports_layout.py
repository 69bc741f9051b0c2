"""Report pages in Chromium on the demo municipality (``conftest.staff_server``: 31 units, closed waves
2024 and 2025 over the three shipped questionnaires): the whole wave without choosing a questionnaire,
the overview fits 1280 px and a phone without sideways scrolling, the changes page's default height,
harassment visible, no English word or internal id on a Danish page (and the reverse), axe clean.

Figures are printed (page heights and widths) so that the closing note can quote them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from survey.demo import UNITS

from .conftest import DESKTOP, PHONE, LiveServer, Session, check_axe
from .conftest import sign_in_staff as sign_in

UNIT_NAMES = sorted((u.name for u in UNITS), key=len, reverse=True)

PAGES = {
    "overview": "/rapporter/?wave=2025",
    "changes": "/rapporter/aendringer?wave=2025",
    "harassment": "/rapporter/kraenkelser?wave=2025",
    "unit": "/rapporter/enhed/AEL-HJE?wave=2025",
    "guide": "/rapporter/laesevejledning?wave=2025",
}
#: internal ids and English words that must not reach a Danish report page's text
DANISH_FORBIDDEN = re.compile(
    r"\b(offensive_behaviour|emotional_demands|sexual_harassment|bullying|committee|trivsel-eksempel|"
    r"inconclusive_change|significant_decline|hidden|the|and|with|must|choose|looks large|indicative|"
    r"certain)\b|\((u?sikker)\)"
)
ENGLISH_FORBIDDEN = re.compile(
    r"\b(offensive_behaviour|emotional_demands|sexual_harassment|og|ikke|skjult|enhed|måling|ændring|"
    r"signifikant|besvarelser|vendt)\b", re.I
)
TEXT_JS = """() => {
  const body = document.querySelector('main').cloneNode(true);
  body.querySelectorAll('script, style, option').forEach(el => el.remove());
  return document.title + '\\n' + body.innerText;
}"""
METRICS_JS = """() => ({
  scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
  height: document.documentElement.scrollHeight,
  table: (document.querySelector('table.heatmap') || {}).scrollWidth || 0,
  tableBox: (document.querySelector('table.heatmap') || {clientWidth: 0}).clientWidth
})"""

FIGURES: list[str] = []


def metrics(page: Any) -> dict[str, int]:
    return dict(page.evaluate(METRICS_JS))


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_report_pages_fit_without_sideways_scroll(
    staff_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path],
    device: str, capsys: Any,
) -> None:
    s = new_session(staff_server, **(DESKTOP if device == "desktop" else PHONE))
    sign_in(s)
    page = s.page
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, response and response.status)
        page.wait_for_load_state("networkidle", timeout=40_000)
        m = metrics(page)
        FIGURES.append(
            f"{device} {name}: width {m['scrollWidth']}/{m['clientWidth']} px, height {m['height']} px")
        assert m["scrollWidth"] <= m["clientWidth"], f"{name} scrolls sideways on {device}: {m}"
        shoot(page, f"reports_{name}_{device}")
        check_axe(page, f"report {name} ({device})")
    # the overview: all 17 themes of the three questionnaires in one table that fits the screen
    page.goto(PAGES["overview"])
    if device == "desktop":
        assert page.locator("table.heatmap thead th.theme-col").count() == 17
        m = metrics(page)
        assert m["table"] <= m["tableBox"] + 1, m  # the table itself does not overflow
        # full theme name on hover/focus: the short label carries it
        label = page.locator("table.heatmap thead th.theme-col .th-label").nth(1)
        assert label.get_attribute("title") == "Arbejdsmængde og tempo"
        # collapse a subtree and bring it back
        rows_before = page.locator("table.heatmap tbody tr:visible").count()
        toggle = page.locator("table.heatmap tbody tr").nth(1).locator("button.toggle")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "false"
        assert page.locator("table.heatmap tbody tr:visible").count() < rows_before
        toggle.click()
        assert page.locator("table.heatmap tbody tr:visible").count() == rows_before
        # the legend stays in view while the table scrolls
        page.mouse.wheel(0, 1200)
        page.wait_for_timeout(200)
        box = page.locator(".heatmap-wrap .legend").bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 900 + 1, box
    else:
        assert page.locator("table.heatmap").is_hidden()
        assert page.locator("ul.unit-list > li").count() == 31  # a list per unit on the phone
        page.locator("ul.unit-list > li summary").first.click()
        assert page.locator("ul.unit-list > li .theme-list li:visible").count() == 17
    with capsys.disabled():
        print("\n" + "\n".join(FIGURES[-len(PAGES):]))


def test_changes_page_is_short_by_default(
    staff_server: LiveServer, new_session: Callable[..., Session], capsys: Any
) -> None:
    s = new_session(staff_server, **DESKTOP)
    sign_in(s)
    page = s.page
    page.goto(PAGES["changes"])
    height = metrics(page)["height"]
    with capsys.disabled():
        print(f"\nchanges page, default view: {height} px = {height / 900:.1f} screens of 900 px")
    assert height <= 15 * 900, height
    items = page.locator("li.change")
    assert 0 < items.count() <= 40
    # only real and large changes by default: every row is a real change or one that looks large
    classes = page.locator("li.change .cls").all_inner_texts()
    assert all(c == "reel ændring" or "ikke sikker" in c or "usikker" in c for c in classes), classes
    text = page.evaluate(TEXT_JS)
    assert "testede ændringer er" in text and "statistisk signifikant" in text
    # a filter (one theme, themes only) narrows it, and paging moves on
    page.select_option("#f-theme", "tempo")
    page.select_option("#f-kind", "theme")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert all("Arbejdsmængde og tempo" in t for t in page.locator("li.change strong").all_inner_texts())


def test_harassment_visible_for_the_wave_without_choosing(
    staff_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    s = new_session(staff_server, **DESKTOP)
    sign_in(s)
    page = s.page
    page.goto("/rapporter/")  # no wave, no questionnaire: the newest closed wave
    page.locator("nav.report-nav").get_by_role("link", name="Krænkende adfærd").click()
    page.wait_for_load_state()
    root = page.locator("table.exposure-matrix tbody tr").first
    assert "Demo Kommune" in root.locator("th").inner_text()
    assert "skjult" not in root.inner_text()  # the whole municipality is never hidden
    assert re.search(r"\d+ %", root.inner_text())
    heads = page.locator("table.exposure-matrix th.kind-head").all_inner_texts()
    assert heads == ["Mobning", "Seksuel chikane", "Trusler", "Fysisk vold"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_foreign_word_or_internal_id(
    staff_server: LiveServer, new_session: Callable[..., Session], lang: str
) -> None:
    s = new_session(staff_server, **DESKTOP)
    sign_in(s, lang=lang)
    page = s.page
    forbidden = DANISH_FORBIDDEN if lang == "da" else ENGLISH_FORBIDDEN
    for name, path in PAGES.items():
        page.goto(path)
        assert page.evaluate("() => document.documentElement.lang") == lang
        text = page.evaluate(TEXT_JS)
        # data is data: unit names are Danish on every page
        for unit_name in UNIT_NAMES:
            text = text.replace(unit_name, " ")
        found = sorted({m.group(0) for m in forbidden.finditer(text)})
        assert not found, f"{name} ({lang}): {found}"


def test_the_users_page_fits_a_phone(
    staff_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    """The admin's users table stacks into one block per account on a 390 px phone (it was 880 px wide),
    each value named by its column, and stays a table on a PC; the waves list scrolls inside its own
    region on a phone, never the page."""
    for device, size in (("phone", PHONE), ("desktop", DESKTOP)):
        for role, path in (("hr", "/hr/waves"), ("admin", "/admin/users")):
            s = new_session(staff_server, **size)
            sign_in(s, role)
            page = s.page
            page.goto(path)
            m = metrics(page)
            assert m["scrollWidth"] <= m["clientWidth"], f"{path} scrolls sideways on {device}: {m}"
            shoot(page, f"{path.strip('/').replace('/', '_')}_{device}")
            check_axe(page, f"{path} ({device})")
    labels = page.locator("table.stack td[data-label]").evaluate_all("els => els.map(e => e.dataset.label)")
    assert {"Rolle", "Enhed", "Status", "Handlinger"} <= set(labels)
