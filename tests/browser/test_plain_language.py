"""No English word or internal id on a Danish page, and no Danish word on an English page (issue 11, item
8): a crawl of every staff page of the demo as each role (HR, manager, committee, administrator), in both
languages, and of the respondent's pages from the invitation link to the review page.

The visible text of a page is ``document.body.innerText`` plus every ``title``, ``aria-label``,
``placeholder`` and ``alt``. Data stays data: unit names, e-mail addresses and what the demo's users typed
(applications, help contacts) are removed before the words are checked. One browser, one context per role
and language, every page visited once (pages that differ only by a unit or a number count as one).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from survey.demo import APPLICATION_THEMES, DEMO_HELP_CONTACTS, OVERRIDE_REASON, UNITS
from survey.demo_workenv import REACTIONS

from .conftest import DESKTOP, LiveServer, Session
from .conftest import sign_in_staff as sign_in

#: English words that are not Danish words too (no "under", "for", "by", "have", "man", "land" ...)
ENGLISH_WORDS = (
    "the", "and", "with", "without", "must", "please", "choose", "report", "reports", "wave", "waves",
    "unit", "units", "hidden", "significant", "submit", "save", "saved", "cancel", "delete", "error",
    "required", "answers", "answered", "questions", "changes", "change", "which", "this", "that", "your",
    "you", "not", "only", "there", "were", "been", "field", "invalid", "choice", "valid",
    "applications", "planned", "done", "overview", "themes", "theme", "questionnaire",
    "survey", "password", "sign", "email", "users", "results", "harassment", "bullying", "threats",
    "violence", "next", "back", "previous", "page", "show", "shows", "shown", "hide", "real", "large",
    "looks", "certain", "indicative", "role", "committee", "manager",
)
#: Danish words that are not English words too
DANISH_WORDS = (
    "og", "ikke", "skjult", "enhed", "enheder", "måling", "målinger", "ændring", "ændringer", "signifikant",
    "besvarelser", "svar", "vælg", "gem", "gemt", "udvalg", "leder", "fejl", "side", "spørgsmål", "rapport",
    "rapporten", "vis", "næste", "forrige", "tilbage", "adgangskode", "brugere", "rolle", "runde",
    "ansøgninger", "tema", "temaer", "mobning", "chikane", "trusler", "vold", "reel", "usikker", "sikker",
    "skal", "eller", "ved", "der", "det", "til", "fra", "med", "af", "på", "en", "et", "er", "som",
)
IDS = [u.unit_id for u in UNITS if "-" in u.unit_id] + ["DAG", "AEL", "TEK", "KUB", "OEK"]
#: snake_case ids (offensive_behaviour, sexual_harassment, in_progress), the demo's unit ids, role keys
#: (case matters: "DAG" is a unit, "dag" a Danish word; the role name "HR" is upper case)
INTERNAL = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b(?:" + "|".join(map(re.escape, IDS)) + r")\b")
WORDS = {
    "da": re.compile(r"\b(?:" + "|".join(ENGLISH_WORDS) + r")\b", re.I),
    "en": re.compile(r"\b(?:" + "|".join(DANISH_WORDS) + r")\b", re.I),
}
ROLE_KEYS = {"da": re.compile(r"\b(?:hr|admin|committee|manager)\b"), "en": re.compile(r"\b(?:hr|admin)\b")}
#: a file's format is literal: "applications.csv (application_id, unit_id, ...)", "Columns email, unit_id"
FILE_FORMAT = re.compile(
    r"\b[\w-]+\.csv\b(?:\s*\([^)]*\))?|\b(?:Columns|Kolonnerne|columns|kolonnerne)\b[\w ,]*"
)
#: the page's text; parts in the other language (the language switch, marked ``lang``) and literal code
#: (``<code>``: a file's column names and ids on the units page) are left out
TEXT_JS = """(lang) => {
  const hide = Array.from(document.querySelectorAll(`[lang]:not([lang="${lang}"]):not(html), code`));
  const before = hide.map(el => el.style.display);
  hide.forEach(el => { el.style.display = 'none'; });
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (hide.some(h => h.contains(el))) continue;
    for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
      const v = el.getAttribute(a); if (v) parts.push(v);
    }
  }
  hide.forEach((el, i) => { el.style.display = before[i]; });
  return parts.join('\\n');
}"""
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"
SKIP = re.compile(r"/(sprog|logout|static)/|/logout$|\.(pdf|xlsx|csv|json|zip|png|svg)(\?|$)|"
                  r"/(export|eksport)|"
                  r"/download|/pdf|/xlsx|/memo")
PAGES_PER_ROLE = 45


def _data_strings() -> list[str]:
    # the demo's applications name their themes in Danish (data the committee typed)
    out = [u.name for u in UNITS] + [r[3] for r in REACTIONS] + list(APPLICATION_THEMES)
    out.append(OVERRIDE_REASON)
    for c in DEMO_HELP_CONTACTS.values():
        out += [c["name"], c["text_da"], c["text_en"]]
    return sorted(out, key=len, reverse=True)


DATA = _data_strings()
EMAIL = re.compile(r"\S+@\S+")


def clean(text: str) -> str:
    for s in DATA:
        text = text.replace(s, " ")
    return EMAIL.sub(" ", text)


def key(url: str) -> str:
    """Pages that differ only by a unit, a number or a query value are one page for the crawl."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+", "/N", parts.path)
    for uid in sorted(IDS, key=len, reverse=True):
        path = path.replace(f"/{uid}", "/U")
    names = {q.split("=")[0] for q in parts.query.split("&") if q and not q.startswith("wave=")}
    query = "&".join(sorted(names))
    return f"{path}?{query}"


def findings(page: Any, lang: str) -> list[str]:
    assert page.evaluate("() => document.documentElement.lang") == lang, page.url
    text = FILE_FORMAT.sub(" ", clean(page.evaluate(TEXT_JS, lang)))
    found = set()
    for pattern in (WORDS[lang], INTERNAL, ROLE_KEYS[lang]):
        found |= {m.group(0) for m in pattern.finditer(text)}
    return sorted(found)


def crawl(s: Session, server: LiveServer, lang: str, limit: int) -> tuple[dict[str, list[str]], int]:
    page = s.page
    queue = [server.url + "/"]
    seen: set[str] = set()
    problems: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < limit:
        url = queue.pop(0)
        if key(url) in seen:
            continue
        seen.add(key(url))
        response = page.goto(url, wait_until="domcontentloaded")
        kind = (response.headers.get("content-type") or "") if response is not None else ""
        if response is None or response.status >= 400 or "html" not in kind:
            continue
        visited += 1
        found = findings(page, lang)
        if found:
            here = urlsplit(page.url)
            problems[here.path + (f"?{here.query}" if here.query else "")] = found
        for href in page.evaluate(LINKS_JS):
            if href.startswith(server.url) and not SKIP.search(href) and key(href) not in seen:
                queue.append(href.split("#")[0])
    return problems, visited


@pytest.mark.parametrize("lang", ["da", "en"])
def test_staff_pages_speak_one_language(
    staff_server: LiveServer, new_session: Callable[..., Session], lang: str, capsys: Any
) -> None:
    started = time.monotonic()
    problems: dict[str, dict[str, list[str]]] = {}
    counts = {}
    for role in ("hr", "manager", "committee", "admin"):
        s = new_session(staff_server, **DESKTOP)
        s.page.set_default_timeout(30_000)
        sign_in(s, role, lang)
        found, counts[role] = crawl(s, staff_server, lang, PAGES_PER_ROLE)
        if found:
            problems[role] = found
        s.context.close()
    with capsys.disabled():
        print(f"\nplain language ({lang}): pages per role {counts}, {time.monotonic() - started:.0f} s")
    assert all(n >= 3 for n in counts.values()), counts
    assert not problems, "\n".join(
        f"{role} {url}: {words}" for role, f in problems.items() for url, words in f.items()
    )


@pytest.mark.parametrize("lang", ["da", "en"])
def test_respondent_pages_speak_one_language(
    staff_server: LiveServer, new_session: Callable[..., Session], lang: str
) -> None:
    s = new_session(staff_server, **DESKTOP)
    page = s.page
    problems: dict[str, list[str]] = {}
    page.goto(f"/sprog/{lang}")
    page.goto("/kode")
    problems["/kode"] = findings(page, lang)
    page.fill("input[name=code]", "ABCD")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    problems["/kode (error)"] = findings(page, lang)
    # a link that is not valid: the refusal, a .notice styled by the base stylesheet (not only in reports)
    page.goto("/r/this-is-not-a-valid-invitation-token")
    problems["refused"] = findings(page, lang)
    notice = page.locator("p.notice").first
    assert notice.evaluate("el => getComputedStyle(el).borderLeftWidth") == "4px"
    assert notice.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 248, 225)"
    page.goto(staff_server.link("AEL-HJE"))
    if lang == "en" and page.evaluate("() => document.documentElement.lang") != "en":
        page.locator("nav a[hreflang='en']").click()
        page.wait_for_load_state()
    problems["start"] = findings(page, lang)
    n = 0
    with page.expect_navigation():
        page.locator("button[name=action][value='start']").click()
    while page.locator("button[name=action][value='next']").count() and n < 40:
        n += 1
        problems[f"page {n}"] = findings(page, lang)
        with page.expect_navigation():
            page.locator("button[name=action][value='next']").click()
    problems["review"] = findings(page, lang)
    assert n >= 20, n
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
