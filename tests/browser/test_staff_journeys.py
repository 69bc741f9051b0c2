"""Staff journeys in Chromium: HR runs a wave from creation to reports, a manager sees only their subtree,
the committee allocates a budget with an override and exports the memo, HR uses the follow-up tracker.

They run on the staff server (``conftest.staff_server``): the demo municipality with closed waves 2024
and 2025, so the reports have real numbers and suppressed cells. Every page a journey reaches is checked
by :class:`Tour` in Danish (the default); afterwards the language is switched once through the page's own
link and every page reached by GET is visited again in English (the choice is kept for the session)
and checked again. The checks: ``<html lang>``, one language link to the other language that comes back
to the same address, axe-core (no serious/critical WCAG 2.0/2.1 A/AA violation), no request leaving the
origin, no text of the other language in the page, and a screenshot.
"""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from survey.demo import UNITS, subtree, units_csv

from .conftest import (
    DESKTOP,
    STAFF,
    STAFF_PASSWORD,
    LiveServer,
    Session,
    assert_same_origin,
    check_axe,
)
from .flow import FOCUS_INFO_JS

if TYPE_CHECKING:
    from playwright.sync_api import Page

OTHER = {"da": "en", "en": "da"}
UNIT_NAMES = sorted((u.name for u in UNITS), key=len, reverse=True)

#: words of the other language that must not appear in a page's own text (data such as unit names and
#: e-mail addresses removed first). Danish has none of these English words and vice versa.
FOREIGN_WORDS = {
    "da": re.compile(r"\b(the|and|must|is|not|was|with|of|has|this|choose|no such)\b", re.I),
    "en": re.compile(r"\b(og|ikke|der|til|på|af|med|fra|eller|enhed|enheder|måling|svar|gem|vælg)\b", re.I),
}

#: the page's text as a reader meets it: title + body, without elements marked as another language
TEXT_JS = """() => {
  const lang = document.documentElement.lang;
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[lang]').forEach(el => { if (el.lang !== lang) el.remove(); });
  body.querySelectorAll('script, style, option').forEach(el => el.remove());
  return document.title + '\\n' + body.innerText;
}"""


#: what the journeys type in (Danish data that an English page shows as it was written)
TYPED = (
    "Borgerservice har allerede fået midler fra en anden pulje",
    "Møde om arbejdsmængden i hvert team",
    "Områdeleder",
)


def strip_data(text: str) -> str:
    """The page text without data that keeps its own language (unit names, addresses, ids, file names,
    what the journeys typed)."""
    for typed in TYPED:
        text = text.replace(typed, " ")
    for name in UNIT_NAMES:
        text = text.replace(name, " ")
    text = re.sub(r"\S+@\S+", " ", text)
    text = re.sub(r"\b[\w-]+\.(csv|xlsx|pdf|json)\b", " ", text)
    return re.sub(r"\b(trivsel|emotional_demands|offensive_behaviour)\b", " ", text)


@dataclass
class Tour:
    """Checks every page of a journey and remembers the GET addresses for the English pass."""

    s: Session
    server: LiveServer
    shoot: Callable[[Page, str], Path]
    lang: str = "da"
    visited: list[tuple[str, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.s.page

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def check(self, name: str, *, revisit: bool = True) -> None:
        page, lang = self.page, self.lang
        assert page.locator("html").get_attribute("lang") == lang, f"{name}: <html lang> is not {lang}"
        switch = page.locator("header nav.language a")
        assert switch.count() == 1, f"{name}: expected one language link in the header"
        href = switch.get_attribute("href") or ""
        target = urlsplit(href)
        assert target.path == f"/sprog/{OTHER[lang]}", f"{name}: language link {href}"
        expected = [self.path()] if self._gettable(urlsplit(self.page.url).path) else None
        assert parse_qs(target.query).get("next") == expected, (
            f"{name}: the language link must come back to {expected}, not {href}"
        )
        assert switch.get_attribute("lang") == OTHER[lang]
        check_axe(page, f"{name} ({lang})", self.log)
        text = strip_data(page.evaluate(TEXT_JS))
        foreign = sorted({m.group(0) for m in FOREIGN_WORDS[lang].finditer(text)})
        assert not foreign, f"{name} ({lang}): words of the other language {foreign} in:\n{text}"
        assert page.title().endswith("· Trivsel"), page.title()
        assert_same_origin(self.s.recorder, self.server.origin)
        self.shoot(page, f"staff_{name}_{lang}")
        self.checked.append(f"{name} ({lang})")
        if revisit and self.lang == "da":
            self.visited.append((name, self.path()))

    def _gettable(self, path: str) -> bool:
        """A page shown after a POST to an address without a GET route cannot be come back to: its
        language link goes to the landing page instead."""
        from werkzeug.exceptions import HTTPException

        try:
            self.server.app.url_map.bind("localhost").match(path, method="GET")
        except HTTPException:
            return False
        return True

    def switch_language(self) -> None:
        """Click the header's language link; the same page comes back in the other language."""
        before = self.path()
        self.page.locator("header nav.language a").click()
        self.page.wait_for_load_state()
        self.lang = OTHER[self.lang]
        assert self.path() == before, f"the language link went to {self.path()}, not back to {before}"
        assert self.page.locator("html").get_attribute("lang") == self.lang

    def english_pass(self) -> None:
        """Switch to English once, then every page visited so far again (the choice kept in the session)."""
        self.switch_language()
        for name, path in self.visited:
            response = self.page.goto(path)
            assert response is not None and response.status == 200, f"{name} {path}: {response}"
            self.check(name)

    def download(self, link_name: str, magic: bytes) -> tuple[str, bytes]:
        """Click the link named ``link_name``; the file must arrive and start with ``magic``."""
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=link_name, exact=True).click()
        dl = info.value
        path = dl.path()
        assert path is not None, f"{link_name}: no file ({dl.failure()})"
        data = Path(path).read_bytes()
        assert data.startswith(magic), f"{link_name}: starts with {data[:16]!r}, expected {magic!r}"
        return dl.suggested_filename, data


def focus_info(page: Page) -> dict[str, Any]:
    info = page.evaluate(FOCUS_INFO_JS)
    assert info is not None, "nothing has the keyboard focus"
    assert info["inViewport"] and info["indicator"], f"focus not visible: {info}"
    return info  # type: ignore[no-any-return]


def sign_in_with_keyboard(page: Page, email_address: str) -> None:
    """Tab to the e-mail field, type, Tab to the password, type, Enter; every stop shows its focus."""
    page.goto("/login")
    for _ in range(8):
        page.keyboard.press("Tab")
        if focus_info(page)["id"] == "email":
            break
    else:
        pytest.fail("Tab never reached the e-mail field")
    page.keyboard.type(email_address)
    page.keyboard.press("Tab")
    assert focus_info(page)["id"] == "password"
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Tab")
    assert focus_info(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/", f"sign-in ended at {page.url}"


def submit(page: Page, form: str, button: str | None = None) -> int:
    """Press the (named) submit button of ``form`` (a CSS selector); the response status."""
    target = page.locator(form).locator("button[type=submit]")
    if button is not None:
        target = page.locator(form).get_by_role("button", name=button, exact=True)
    with page.expect_navigation() as nav:
        target.click()
    response = nav.value
    assert response is not None
    return response.status


def outbox_links(server: LiveServer) -> list[str]:
    """The personal links of the e-mails in the dev outbox."""
    assert server.outbox is not None
    links = []
    for path in sorted(server.outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        body = (
            msg.get_payload(decode=True)
            if not msg.is_multipart()
            else msg.get_payload(0).get_payload(decode=True)
        )
        links += re.findall(r"https?://\S+/r/[\w-]+", body.decode("utf-8"))
    return list(dict.fromkeys(links))  # a message may show its link more than once


def answer_quickly(page: Page, link: str) -> None:
    """A respondent: the link, Start, one answer per scale question, Next to the review, Send."""
    page.goto(link)
    page.locator("button[name=action][value=start]").click()
    for _ in range(40):
        page.wait_for_load_state()
        if page.locator("button[name=action][value=submit]").count():
            break
        page.evaluate(
            "() => document.querySelectorAll('fieldset.scale').forEach(fs => {"
            " const r = fs.querySelectorAll('input[type=radio]');"
            " if (r.length) r[Math.min(4, r.length - 1)].checked = true; })"
        )
        page.locator("button[name=action][value=next]").click()
    with page.expect_navigation():
        page.locator("button[name=action][value=submit]").click()
    assert page.locator("form#answers").count() == 0


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def assert_danish_numbers(text: str, where: str) -> None:
    """Decimals on a Danish page use a comma: "5,4", never "5.4"."""
    decimals_comma = re.findall(r"(?<![\d.,])\d+,\d+(?![\d.,])", text)
    decimals_point = re.findall(r"(?<![\d.,])\d+\.\d+(?![\d.,])", text)
    assert decimals_comma, f"{where}: no decimal number with a comma found"
    assert not decimals_point, f"{where}: decimal point(s) on a Danish page: {decimals_point[:10]}"


def assert_english_numbers(text: str, where: str) -> None:
    assert re.search(r"(?<![\d.,])\d+\.\d+(?![\d.,])", text), f"{where}: no decimal point in English"


# ---------------------------------------------------------------------------------------------
# HR: a wave from creation to reports
# ---------------------------------------------------------------------------------------------


def test_hr_runs_a_wave_and_reads_the_reports_in_both_languages(
    staff_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
    tmp_path: Path,
    capsys: Any,
) -> None:
    server = staff_server
    s = new_session(server, **DESKTOP, accept_downloads=True)
    t = Tour(s, server, shoot)
    page = s.page

    page.goto("/login")
    t.check("login")
    sign_in_with_keyboard(page, STAFF["hr"][0])
    t.check("home")

    page.locator("nav.staff-nav").get_by_role("link", name="Målinger").click()
    t.check("waves")

    # units: the same tree again, uploaded through the form
    page.get_by_role("link", name="Enheder").click()
    units_file = tmp_path / "units.csv"
    units_file.write_text(units_csv(), encoding="utf-8")
    page.set_input_files("#file", str(units_file))
    assert submit(page, "form[enctype]") == 200
    assert page.locator(".flash-success").count() == 1, main_text(page)
    t.check("units")

    # a wave without a label: refused, the error announced and linked to the field
    page.goto("/hr/waves")
    page.check("#q-trivsel")
    assert submit(page, "form[action='/hr/waves']") == 422
    t.check("waves_error", revisit=False)
    check_error_summary(page, "label")
    assert page.title() == "Fejl: Målinger · Trivsel", page.title()  # announced before the page

    page.fill("#label", "2027")
    page.select_option("#baseline", "2025")
    assert submit(page, "form[action='/hr/waves']") == 200
    wave_path = urlsplit(page.url).path
    t.check("wave_draft", revisit=False)

    # the invitation list, uploaded; then open and send (dev outbox)
    invited = [f"ansat{n}@browser.test" for n in range(1, 6)]
    inv_file = tmp_path / "invitations.csv"
    inv_file.write_text(
        "email,unit_id\n"
        + "".join(f"{a},{'TEK-VEJ' if i < 3 else 'DAG-N-SOL'}\n" for i, a in enumerate(invited)),
        encoding="utf-8",
    )
    page.set_input_files("#inv-file", str(inv_file))
    # units of 3 and 2 invitations are below k_min: refused (nothing stored) until HR confirms they are hidden
    assert submit(page, "form[enctype]") == 422
    assert "DAG-N-SOL" in main_text(page) or "Solsikken" in main_text(page), main_text(page)
    assert page.locator(".flash-success").count() == 0
    page.set_input_files("#inv-file", str(inv_file))
    page.check("#inv-small")
    assert submit(page, "form[enctype]") == 200
    assert "5" in page.locator(".flash-success").inner_text()
    assert submit(page, f"form[action='{wave_path}/open']") == 200
    assert submit(page, f"form[action='{wave_path}/send'] >> nth=0") == 200
    assert "5" in page.locator(".flash-success").inner_text()
    t.check("wave_open")
    links = outbox_links(server)
    assert len(links) == 5, links

    # three employees answer through the links from their e-mails (a context of their own)
    respondent = new_session(server)
    for link in links[:3]:
        answer_quickly(respondent.page, link)

    page.get_by_role("link", name="Følg deltagelsen løbende").click()
    text = main_text(page)
    assert re.search(r"\b3\b", text) and "60 %" in text, text
    t.check("participation")

    # code slips for a unit without e-mail: a PDF arrives
    page.goto(wave_path)
    page.select_option("#slip-unit", "TEK-GIS")
    page.fill("#slip-count", "2")
    page.check("#slip-small")  # 2 slips: below k_min, HR confirms the unit will be hidden
    with page.expect_download() as info:
        page.get_by_role("button", name="Lav kodesedler (PDF)").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")

    # closing needs the confirmation box
    page.goto(wave_path)
    assert submit(page, f"form[action='{wave_path}/close']") == 422
    t.check("wave_close_error", revisit=False)
    page.check("#confirm")
    assert submit(page, f"form[action='{wave_path}/close']") == 200
    t.check("wave_closed")

    # reports: the new wave (three answers: every unit suppressed), then 2025 with real numbers
    page.locator("nav.staff-nav").get_by_role("link", name="Rapporter").click()
    page.select_option("#sel-wave", "2027")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state()
    t.check("report_overview_suppressed")
    page.select_option("#sel-wave", "2025")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state()
    t.check("report_overview")
    overview = main_text(page)
    assert_danish_numbers(overview, "report overview")
    tiny = next(u for u in UNITS if u.unit_id == "TEK-GIS")
    assert tiny.name in overview

    _, xlsx = t.download("Rapport som Excel (XLSX)", b"PK")
    _, pdf = t.download("Rapport som PDF", b"%PDF")
    _, js = t.download("Rapport som JSON", b"{")
    # no answer rows on the web (issue 10): the responses CSV link is gone
    assert page.get_by_role("link", name="Besvarelser som CSV").count() == 0

    page.get_by_role("link", name=next(u.name for u in UNITS if u.unit_id == "AEL-HJE"), exact=True).click()
    t.check("report_unit")
    assert_danish_numbers(main_text(page), "unit report")
    t.download("Denne enhed som Excel (XLSX)", b"PK")
    t.download("Denne enhed som PDF", b"%PDF")

    page.locator("nav.report-nav").get_by_role("link", name="Ændringer").click()
    t.check("report_changes")
    page.locator("nav.report-nav").get_by_role("link", name="Krænkende adfærd").click()
    t.check("report_exposures")

    # follow-up tracker: a plan for the declining unit
    page.locator("nav.staff-nav").get_by_role("link", name="Opfølgning").click()
    t.check("followup")  # the newest closed wave: 2027, where every unit is hidden
    page.select_option("#f-wave", "2025|trivsel")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state()
    t.check("followup_2025")
    page.get_by_role("link", name="Hjemmeplejen", exact=True).click()  # by name, never the id
    t.check("followup_unit")
    page.fill("#what", TYPED[1])
    page.fill("#owner", TYPED[2])
    page.fill("#due_on", "2027-03-01")
    assert submit(page, "main form[method=post]") == 200
    t.check("followup_unit_with_plan", revisit=False)
    plan_unit_path = t.path()
    assert "1. mar. 2027" in main_text(page)  # the due date, written the Danish way
    page.get_by_role("link", name="Redigér").first.click()
    t.check("followup_plan")

    # English: one click on the current page, then every page again
    t.english_pass()
    page.goto("/hr/waves")
    page.check("#q-trivsel")
    assert submit(page, "form[action='/hr/waves']") == 422
    t.check("waves_error", revisit=False)
    check_error_summary(page, "label")
    assert page.title() == "Error: Waves · Trivsel", page.title()
    page.goto("/rapporter/?wave=2025&q=trivsel")
    assert_english_numbers(main_text(page), "report overview (en)")
    page.goto(plan_unit_path)
    assert "Mar 1, 2027" in main_text(page)

    with capsys.disabled():
        print(f"\nstaff pages checked: {len(t.checked)}: " + ", ".join(t.checked))
        if t.log:
            print("minor/moderate axe findings:\n" + "\n".join(t.log))


def check_error_summary(page: Page, field_id: str) -> None:
    """The error summary is announced (role=alert), links to the field, and the field points back."""
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    assert summary.locator(f"a[href='#{field_id}']").count() == 1, summary.inner_html()
    described = page.locator(f"#{field_id}").get_attribute("aria-describedby") or ""
    assert any(page.locator(f"#{i}").count() for i in described.split()), described
    assert page.locator(f"#{field_id}").get_attribute("aria-invalid") == "true"


# ---------------------------------------------------------------------------------------------
# a manager: only their subtree
# ---------------------------------------------------------------------------------------------


def test_manager_sees_only_their_subtree(
    staff_server: LiveServer, new_session: Callable[..., Session], shoot: Callable[..., Path]
) -> None:
    server = staff_server
    s = new_session(server, **DESKTOP)
    t = Tour(s, server, shoot)
    page = s.page
    manager_unit = STAFF["manager"][1]
    assert manager_unit is not None
    mine = subtree(manager_unit)
    names = {u.unit_id: u.name for u in UNITS}
    sign_in_with_keyboard(page, STAFF["manager"][0])
    t.check("manager_home")
    page.goto("/rapporter/?wave=2025&q=trivsel")
    t.check("manager_overview")
    text = main_text(page)
    for uid, name in names.items():
        if uid in mine:
            assert name in text, f"{uid} {name} missing from the manager's overview"
        elif not any(name in names[m] for m in mine):
            assert name not in text, f"{uid} {name} (outside the subtree) shown to the manager"
    page.get_by_role("link", name=names[manager_unit], exact=True).click()
    t.check("manager_unit")
    outside = "TEK-VEJ"
    response = page.goto(f"/rapporter/enhed/{outside}?wave=2025&q=trivsel")
    assert response is not None and response.status == 404
    t.check("manager_outside_404", revisit=False)
    assert page.title() == "Siden findes ikke · Trivsel", page.title()
    for path in (f"/rapporter/eksport/enhed/{outside}.xlsx?wave=2025&q=trivsel", "/hr/waves", "/udvalg/"):
        response = page.goto(path)
        assert response is not None and response.status in (403, 404), f"{path}: {response}"
    t.english_pass()
    response = page.goto(f"/rapporter/enhed/{outside}?wave=2025&q=trivsel")
    assert response is not None and response.status == 404
    t.check("manager_outside_404", revisit=False)
    assert page.title() == "Page not found · Trivsel", page.title()


# ---------------------------------------------------------------------------------------------
# the committee: applications, allocation with budget and cap, an override, lock, memo
# ---------------------------------------------------------------------------------------------


def test_committee_allocates_with_an_override_and_exports_the_memo(
    staff_server: LiveServer,
    new_session: Callable[..., Session],
    shoot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    server = staff_server
    s = new_session(server, **DESKTOP, accept_downloads=True)
    t = Tour(s, server, shoot)
    page = s.page
    sign_in_with_keyboard(page, STAFF["committee"][0])
    page.locator("nav.staff-nav").get_by_role("link", name="Puljemidler").click()
    t.check("committee_rounds")

    page.select_option("#wave", "2024")
    page.fill("#budget", "200000")
    page.fill("#cap", "60000")
    assert submit(page, "form[action='/udvalg/']") == 200
    round_path = urlsplit(page.url).path
    assert "200.000" in page.locator("#round-budget, dd").first.inner_text()
    t.check("committee_round")

    # one application typed in, two imported from a file
    form = page.locator(f"form[action='{round_path}/ansoegninger']")
    form.get_by_label("Ansøgnings-id").fill("SAG-1")
    form.get_by_label("Enhed").select_option("AEL-HJE")
    form.get_by_label("Ansøgt (kr.)").fill("80000")
    assert submit(page, f"form[action='{round_path}/ansoegninger']") == 200
    apps = tmp_path / "applications.csv"
    apps.write_text(
        "application_id,unit_id,requested\nSAG-2,AEL-LIN,50000\nSAG-3,KUB-BOR,40000\n", encoding="utf-8"
    )
    page.locator(f"form[action='{round_path}/ansoegninger/import'] input[type=file]").set_input_files(
        str(apps)
    )
    assert submit(page, f"form[action='{round_path}/ansoegninger/import']") == 200
    text = main_text(page)
    assert all(a in text for a in ("SAG-1", "SAG-2", "SAG-3")), text

    # an override without a reason is refused at the field; with a reason it is kept
    ov = f"form[action='{round_path}/overstyringer']"
    page.locator(ov).get_by_label("Enhed").select_option("KUB-BOR")
    page.locator(ov).get_by_label("Beløb (kr.)").fill("25000")
    status = submit(page, ov)
    assert status in (400, 422), status
    t.check("committee_override_error", revisit=False)
    reason = page.locator(ov).get_by_label("Begrundelse")
    assert reason.get_attribute("aria-invalid") == "true"
    error_id = reason.get_attribute("aria-describedby")
    assert error_id and page.locator(f"#{error_id}").inner_text().strip()
    page.locator(ov).get_by_label("Enhed").select_option("KUB-BOR")
    page.locator(ov).get_by_label("Beløb (kr.)").fill("25000")
    reason.fill(TYPED[0])
    assert submit(page, ov) == 200
    assert "Borgerservice har allerede" in main_text(page)

    assert submit(page, f"form[action='{round_path}/koer']") == 200
    t.check("committee_version")
    text = main_text(page)
    assert "25.000" in text, text
    assert submit(page, "form[action$='/laas']") == 200
    t.check("committee_version_locked")
    _, memo_pdf = t.download("Beslutningsnotat (PDF)", b"%PDF")
    _, memo_xlsx = t.download("Beslutningsnotat (Excel)", b"PK")
    page.goto(round_path)
    t.check("committee_round_after_lock")
    t.english_pass()
