"""A respondent in a real browser: answers the pages of the wave and remembers what it entered.

The driver reads the page the way a person does (fieldsets, legends, labels, buttons) and chooses
answers deterministically from a seed, so every journey enters different but reproducible answers.
What it entered is kept in storage form (``Response.answers`` / ``Comment.text``) so that a test can
compare it with what the database holds after the submit.

Every page it reaches is checked (:meth:`Respondent.check_page`): ``<html lang>``, no request leaving
the origin, each scale question a ``fieldset`` whose ``legend`` is the item text from the YAML, the
progress indicator, axe-core (when JavaScript runs), and the bytes transferred for the page load.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import questionnaires
from questionnaires import SOURCE_CODES, TOLD_CODES, Questionnaire

from .conftest import QUESTIONNAIRES, LiveServer, Session, assert_same_origin, check_axe

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Response

#: the wave's questionnaires as shipped, in answering order (index = the ``q<i>-`` field prefix)
QS: list[Questionnaire] = [questionnaires.load(q) for q in QUESTIONNAIRES]

#: pages of the flow: per questionnaire one per theme, one per exposure kind, one for its free text
#: (if any), then one review page. trivsel 12 + 0 + 1 = 13, emotional_demands 4 + 0 + 0 = 4,
#: offensive_behaviour 1 + 4 + 1 = 6 -> 23 pages + review = 24 (counted from the definitions here).
TOTAL_PAGES = sum(len(q.themes) + len(q.exposures) + (1 if q.free_text else 0) for q in QS) + 1

#: questions shown in the whole flow: items + every exposure part + free-text questions (40 + 1 +
#: 16 + 5 + 4 * 4 + 1 = 79 for the shipped definitions)
TOTAL_QUESTIONS = sum(
    len(q.items) + sum(len(list(e.parts())) for e in q.exposures) + len(q.free_text) for q in QS
)

COMMENTS = {
    "da": "Mere tid til kerneopgaven, tak – og færre møder.",
    "en": "More time for the core work, please – and fewer meetings.",
}

# what document.activeElement is, and whether a sighted keyboard user can see it
FOCUS_INFO_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const inViewport = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
    && r.top < window.innerHeight && r.left < window.innerWidth;
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', value: el.value || '',
          id: el.id || '', checked: !!el.checked, text: (el.innerText || '').trim().slice(0, 60),
          inViewport, indicator: outline || !!shadow,
          style: cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor};
}"""


KIND_JS = """() => {
  if (document.querySelector('button[name=action][value=submit]')) return 'review';
  if (document.querySelector('fieldset.frequency')) return 'exposure';
  if (document.querySelector('fieldset.scale')) return 'theme';
  if (document.querySelector('form#answers textarea')) return 'free_text';
  return 'other';
}"""

PAGE_FACTS_JS = (
    """() => {
  const q = (s) => document.querySelector(s);
  const progress = q('progress.progress');
  const choices = [...document.querySelectorAll('input[type=radio], input[type=checkbox]')];
  return {
    lang: document.documentElement.getAttribute('lang'),
    kind: ("""
    + KIND_JS
    + """)(),
    progressText: q('.progress-text') ? q('.progress-text').innerText : '',
    progressValue: progress ? progress.getAttribute('value') : null,
    progressMax: progress ? progress.getAttribute('max') : null,
    scales: [...document.querySelectorAll('fieldset.scale')].map(fs => ({
      id: fs.id,
      legends: [...fs.children].filter(c => c.tagName === 'LEGEND').map(l => l.innerText.trim()),
      radios: fs.querySelectorAll('input[type=radio]').length,
    })),
    unlabelledChoices: choices.filter(c => c.labels.length !== 1 || !c.labels[0].innerText.trim())
      .map(c => c.id),
    choicesOutsideFieldset: choices.filter(c => !c.closest('fieldset'))
      .map(c => c.id),
  };
}"""
)


def exclusive_apart(boxes: Locator, chosen: list[int]) -> list[int]:
    """The chosen checkbox indices without an exclusive choice ("No one") when others are chosen too:
    a respondent does not tick "no one" together with "a colleague" (the page refuses it)."""
    if len(chosen) < 2:
        return chosen
    return [i for i in chosen if boxes.nth(i).get_attribute("data-exclusive") is None]


def pick(seed: int, key: str, n: int) -> int:
    """A deterministic index in ``range(n)`` for ``key`` (CRC-32 of seed and key)."""
    return zlib.crc32(f"{seed}:{key}".encode()) % n


def split_name(name: str) -> tuple[Questionnaire, str]:
    """``q1-EMO3`` -> (emotional_demands, ``EMO3``)."""
    prefix, _, qid = name.partition("-")
    return QS[int(prefix[1:])], qid


@dataclass
class PageLoad:
    label: str
    url: str
    requests: int
    body_bytes: int


@dataclass
class Respondent:
    """One respondent's browser tab going through the flow."""

    session: Session
    server: LiveServer
    lang: str = "da"
    seed: int = 1
    run_axe: bool = True
    #: ``tap`` on touch devices, ``click`` otherwise
    touch: bool = False
    axe_log: list[str] = field(default_factory=list)
    loads: list[PageLoad] = field(default_factory=list)
    #: storage form of what was entered, per questionnaire id
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    page_no: int = 0
    _mark: int = 0
    checked_pages: int = 0

    @property
    def page(self) -> Page:
        return self.session.page

    # --- navigation ---------------------------------------------------------------------------

    def _activate(self, target: Locator) -> None:
        if self.touch:
            target.tap()
        else:
            target.click()

    def _navigate(self, action: Callable[[], Any]) -> Response | None:
        self._mark = self.session.recorder.mark()
        with self.page.expect_navigation() as nav:
            action()
        self.page.wait_for_load_state("load")
        return nav.value

    def goto(self, url: str) -> Response | None:
        self._mark = self.session.recorder.mark()
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        return response

    def button(self, value: str) -> Locator:
        return self.page.locator(f"button[name=action][value='{value}']")

    def press(self, value: str) -> Response | None:
        """Press a form button (``start``, ``next``, ``back``, ``submit``, ``lang-en`` ...)."""
        response = self._navigate(lambda: self._activate(self.button(value)))
        if value in ("start", "next"):
            self.page_no += 1
        elif value == "back":
            self.page_no -= 1
        return response

    def activate(self, target: Locator) -> Response | None:
        """Click/tap ``target`` and wait for the page it leads to."""
        return self._navigate(lambda: self._activate(target))

    def choose_language_on_start_page(self, lang: str) -> None:
        """Follow the start page's language link (the header link in the other language)."""
        link = self.page.locator(f"nav a[hreflang='{lang}']")
        assert link.count() == 1, f"no language link for {lang!r} on {self.page.url}"
        self._navigate(lambda: self._activate(link))
        self.lang = lang

    # --- page inspection ------------------------------------------------------------------------

    def facts(self) -> dict[str, Any]:
        """Everything :meth:`check_page` looks at, read in one round trip."""
        return dict(self.page.evaluate(PAGE_FACTS_JS))

    def kind(self) -> str:
        """``theme``, ``exposure``, ``free_text``, ``review`` or ``other``."""
        return str(self.page.evaluate(KIND_JS))

    def record_load(self, label: str) -> PageLoad:
        """Requests and response body bytes of the page load that just happened."""
        reqs = self.session.recorder.requests[self._mark :]
        total = 0
        for r in reqs:
            try:
                total += max(r.sizes()["responseBodySize"], 0)
            except Exception:  # a request that never completed has no sizes
                continue
        load = PageLoad(label, self.page.url, len(reqs), total)
        self.loads.append(load)
        return load

    def check_page(self, label: str) -> None:
        """The checks every respondent page gets (see the module docstring)."""
        f = self.facts()
        assert f["lang"] == self.lang, f"{label}: <html lang> is {f['lang']!r}, chosen {self.lang!r}"
        assert_same_origin(self.session.recorder, self.server.origin, since=self._mark)
        self.record_load(label)
        if f["kind"] in ("theme", "exposure", "free_text", "review"):
            text = f["progressText"]
            assert f"{self.page_no}" in text and f"{TOTAL_PAGES}" in text, (
                f"{label}: progress says {text!r}, expected page {self.page_no} of {TOTAL_PAGES}"
            )
            assert (f["progressValue"], f["progressMax"]) == (str(self.page_no), str(TOTAL_PAGES))
        if f["kind"] == "theme":
            self._check_scale_fieldsets(label, f["scales"])
        # every radio button and checkbox is a fieldset's option with a label of its own
        assert f["unlabelledChoices"] == [], f"{label}: choices without a label: {f['unlabelledChoices']}"
        assert f["choicesOutsideFieldset"] == [], (
            f"{label}: outside a fieldset: {f['choicesOutsideFieldset']}"
        )
        if self.run_axe:
            check_axe(self.page, f"{label} [{self.lang}]", self.axe_log)
        self.checked_pages += 1

    def _check_scale_fieldsets(self, label: str, scales: list[dict[str, Any]]) -> None:
        assert scales, f"{label}: no scale question"
        for fs in scales:
            q, item_id = split_name(fs["id"])
            item = q.item(item_id)
            assert fs["legends"] == [item.text.get(self.lang)], (
                f"{label}: fieldset {item_id} has legends {fs['legends']}, expected the item text"
            )
            scale = q.scale_of(item)
            # 7 points + "don't know" for enig7
            n_options = scale.length + (1 if scale.dont_know is not None else 0)
            assert fs["radios"] == n_options, f"{label}: {item_id} shows {fs['radios']} options"

    # --- answering with pointer (mouse or touch) -------------------------------------------------

    def _set(self, name: str, value: Any) -> None:
        q, qid = split_name(name)
        part = self.answers.setdefault(q.id, {})
        if value is None or value == []:
            part.pop(qid, None)
        else:
            part[qid] = value

    def _pick_radio(self, fs: Locator, key: str, *, index: int | None = None) -> str:
        radios = fs.locator("input[type=radio]")
        n = radios.count()
        i = pick(self.seed, key, n) if index is None else index
        radio = radios.nth(i)
        self._activate(self.page.locator(f"label[for='{radio.get_attribute('id')}']"))
        assert radio.is_checked()
        return radio.get_attribute("value") or ""

    def _pick_checkboxes(self, fs: Locator, key: str) -> list[str]:
        boxes = fs.locator("input[type=checkbox]")
        n = boxes.count()
        chosen = exclusive_apart(boxes, sorted({pick(self.seed, key, n), pick(self.seed, key + "/2", n)}))
        values = []
        for i in chosen:
            box = boxes.nth(i)
            if not box.is_checked():
                self._activate(self.page.locator(f"label[for='{box.get_attribute('id')}']"))
            assert box.is_checked()
            values.append(box.get_attribute("value") or "")
        return values

    def answer_page(self) -> None:
        """Answer every question on the current page with the pointer and remember the answers."""
        kind = self.kind()
        if kind == "theme":
            fieldsets = self.page.locator("fieldset.scale")
            for i in range(fieldsets.count()):
                fs = fieldsets.nth(i)
                name = fs.get_attribute("id") or ""
                self._set(name, int(self._pick_radio(fs, name)))
        elif kind == "exposure":
            self._answer_exposure()
        elif kind == "free_text":
            area = self.page.locator("form#answers textarea").first
            name = area.get_attribute("name") or ""
            q, fid = split_name(name)
            area.fill(COMMENTS[self.lang])
            self.comments.setdefault(q.id, {})[fid] = COMMENTS[self.lang].strip()
        else:
            raise AssertionError(f"not a questionnaire page: {self.page.url} ({kind})")

    def _answer_exposure(self) -> None:
        """Frequency 0-4 by the seed; follow-ups ticked either way (kept only for a "yes")."""
        freq_fs = self.page.locator("fieldset.frequency")
        name = freq_fs.get_attribute("id") or ""
        freq = int(self._pick_radio(freq_fs, name, index=self._exposure_frequency(name)))
        self._set(name, freq)
        for part_fs in self.page.locator(".follow-up fieldset").all():
            part_name = part_fs.get_attribute("id") or ""
            if part_fs.locator("input[type=checkbox]").count():
                values = self._pick_checkboxes(part_fs, part_name)
                order = SOURCE_CODES if "source" in self._part_of(part_name) else TOLD_CODES
                stored: Any = [c for c in order if c in values]
            else:
                stored = self._pick_radio(part_fs, part_name)
            # the storage rule: follow-ups are kept only when the exposure question says yes (1-4)
            self._set(part_name, stored if freq >= 1 else None)

    def _exposure_frequency(self, name: str) -> int:
        """Index of the frequency answer: the four exposures get (seed + k) % 5, so exactly one
        journey-dependent exposure is "no" at most and the others are a "yes" of some frequency."""
        q, qid = split_name(name)
        k = [e.question.id for e in q.exposures].index(qid)
        return (self.seed + k) % 5

    @staticmethod
    def _part_of(name: str) -> str:
        q, qid = split_name(name)
        for col, _, part in q.exposure_columns:
            if col == qid:
                return part
        raise KeyError(qid)

    # --- what the page shows ----------------------------------------------------------------------

    def shown_answers(self) -> dict[str, Any]:
        """``{field name: value}`` of what the current page shows selected/typed (storage-like)."""
        out: dict[str, Any] = {}
        for inp in self.page.locator("form#answers input[type=radio]:checked").all():
            out[inp.get_attribute("name") or ""] = inp.get_attribute("value")
        for inp in self.page.locator("form#answers input[type=checkbox]:checked").all():
            out.setdefault(inp.get_attribute("name") or "", []).append(inp.get_attribute("value"))
        for area in self.page.locator("form#answers textarea").all():
            if area.input_value():
                out[area.get_attribute("name") or ""] = area.input_value()
        return out

    def expected_on_page(self) -> dict[str, Any]:
        """What the current page should show selected, from what this respondent entered."""
        out: dict[str, Any] = {}
        names = [fs.get_attribute("id") or "" for fs in self.page.locator("form#answers fieldset").all()]
        names += [a.get_attribute("name") or "" for a in self.page.locator("form#answers textarea").all()]
        for name in names:
            q, qid = split_name(name)
            if qid in self.answers.get(q.id, {}):
                v = self.answers[q.id][qid]
                out[name] = v if isinstance(v, list) else str(v)
            elif qid in self.comments.get(q.id, {}):
                out[name] = self.comments[q.id][qid]
        return out

    def answered_count(self) -> int:
        return sum(len(a) for a in self.answers.values()) + sum(len(c) for c in self.comments.values())

    def meant_count(self) -> int:
        """Questions meant for this respondent, as the send page counts them: every item and free-text
        question, every exposure question, and an exposure's follow-ups only after a "yes" (1-4)."""
        total = 0
        for q in QS:
            total += len(q.items) + len(q.free_text)
            for exp in q.exposures:
                freq = self.answers.get(q.id, {}).get(exp.question.id)
                total += len(list(exp.parts())) if isinstance(freq, int) and freq >= 1 else 1
        return total

    # --- whole journeys -------------------------------------------------------------------------

    def run_pages(
        self,
        on_page: Callable[[Respondent, str], None] | None = None,
        back_at: tuple[int, ...] = (),
        answer_only: set[int] | None = None,
    ) -> None:
        """From the first questionnaire page to the review page: check, answer, ``on_page``, Next.

        ``back_at``: page numbers after which the respondent answers the next page, presses Back,
        and must see both pages' answers still selected. ``answer_only``: answer just these page
        numbers and skip every question elsewhere (all questions are optional).
        """
        while self.kind() != "review":
            label = f"page {self.page_no} ({self.kind()})"
            self.check_page(label)
            if answer_only is None or self.page_no in answer_only:
                self.answer_page()
            if on_page:
                on_page(self, label)
            self.press("next")
            if self.page_no - 1 in back_at and self.kind() != "review":
                self.check_back_keeps_answers()
        self.check_page("review")

    def check_back_keeps_answers(self) -> None:
        here_label = f"page {self.page_no}"
        self.check_page(here_label)
        self.answer_page()
        entered_here = self.expected_on_page()
        self.press("back")
        self.check_page(f"page {self.page_no} after Back")
        assert self.shown_answers() == self.expected_on_page() != {}, (
            f"after Back, page {self.page_no} shows {self.shown_answers()} "
            f"but the respondent entered {self.expected_on_page()}"
        )
        self.press("next")
        assert self.shown_answers() == entered_here, (
            f"{here_label} after Back and Next shows {self.shown_answers()}, entered {entered_here}"
        )


@dataclass
class KeyboardRespondent(Respondent):
    """Answers with the keyboard only: Tab/Shift+Tab between controls, arrow keys within a radio
    group, Space to tick, Enter/Space on buttons. Every focus stop must be visible on screen and
    show a focus indicator (outline of at least 2 px or a box shadow)."""

    tab_presses: int = 0
    arrow_checks: int = 0

    def focus(self) -> dict[str, Any]:
        info = self.page.evaluate(FOCUS_INFO_JS)
        assert info is not None, f"focus left the page on {self.page.url}"
        assert info["inViewport"], f"focused element is off screen: {info}"
        assert info["indicator"], f"focused element shows no focus indicator: {info}"
        return dict(info)

    def tab_to(
        self, match: Callable[[dict[str, Any]], bool], *, shift: bool = False, limit: int = 80
    ) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if shift else "Tab")
            self.tab_presses += 1
            info = self.focus()
            if match(info):
                return info
        raise AssertionError(f"{limit} x {'Shift+' if shift else ''}Tab never reached the wanted control")

    def checked_value(self, name: str) -> str | None:
        checked = self.page.locator(f"input[type=radio][name='{name}']:checked")
        assert checked.count() <= 1
        return checked.get_attribute("value") if checked.count() else None

    def radio_group(self, name: str, target: int, *, walk_all: bool = False) -> str:
        """Tab into the group, Space selects the focused option, arrows move to option ``target``.

        ``walk_all``: first walk the arrow keys over every option and back, asserting each press
        selects exactly the next (previous) option.
        """
        values = [v.get_attribute("value") or "" for v in self.page.locator(f"input[name='{name}']").all()]
        info = self.tab_to(lambda i: i["name"] == name and i["type"] == "radio")
        if not info["checked"]:
            assert info["value"] == values[0], f"Tab into {name} should land on its first option: {info}"
            self.page.keyboard.press("Space")
            assert self.checked_value(name) == values[0]
        current = values.index(self.checked_value(name) or "")
        if walk_all:
            path = list(range(current + 1, len(values))) + list(range(len(values) - 2, -1, -1))
            for nxt in path:
                self.page.keyboard.press("ArrowDown" if nxt > current else "ArrowUp")
                current = nxt
                assert self.checked_value(name) == values[current], f"arrow key in {name}"
                assert self.focus()["value"] == values[current]
                self.arrow_checks += 1
        while current != target:
            self.page.keyboard.press("ArrowRight" if target > current else "ArrowLeft")
            current += 1 if target > current else -1
            assert self.checked_value(name) == values[current], f"arrow key in {name}"
        return values[current]

    def checkbox(self, name: str, value: str) -> None:
        box = self.page.locator(f"input[name='{name}'][value='{value}']")
        self.tab_to(lambda i: i["name"] == name and i["value"] == value)
        if not box.is_checked():
            self.page.keyboard.press("Space")
        assert box.is_checked()

    def press(self, value: str) -> Response | None:
        """Tab to the button and activate it: Enter for Next/Start/Send, Space for the others."""
        self.tab_to(lambda i: i["tag"] == "button" and i["value"] == value)
        key = "Enter" if value in ("next", "start", "submit") else "Space"
        response = self._navigate(lambda: self.page.keyboard.press(key))
        if value in ("start", "next"):
            self.page_no += 1
        elif value == "back":
            self.page_no -= 1
        return response

    def answer_page(self) -> None:
        kind = self.kind()
        names = [fs.get_attribute("id") or "" for fs in self.page.locator("form#answers fieldset").all()]
        if kind == "theme":
            for i, name in enumerate(names):
                n = self.page.locator(f"input[name='{name}']").count()
                value = self.radio_group(
                    name, pick(self.seed, name, n), walk_all=(i == 0 and self.page_no == 1)
                )
                self._set(name, int(value))
                if i == 1 and self.page_no == 1:
                    self._check_shift_tab(names[0], name)
        elif kind == "exposure":
            freq = int(self.radio_group(names[0], self._exposure_frequency(names[0])))
            self._set(names[0], freq)
            if freq == 0:
                return
            for name in names[1:]:
                boxes = self.page.locator(f"input[type=checkbox][name='{name}']")
                if boxes.count():
                    n = boxes.count()
                    idx = exclusive_apart(
                        boxes, sorted({pick(self.seed, name, n), pick(self.seed, name + "/2", n)})
                    )
                    values = [boxes.nth(i).get_attribute("value") or "" for i in idx]
                    for v in values:
                        self.checkbox(name, v)
                    order = SOURCE_CODES if self._part_of(name) == "source" else TOLD_CODES
                    self._set(name, [c for c in order if c in values])
                else:
                    n = self.page.locator(f"input[name='{name}']").count()
                    self._set(name, self.radio_group(name, pick(self.seed, name, n)))
        elif kind == "free_text":
            area = self.page.locator("form#answers textarea").first
            name = area.get_attribute("name") or ""
            self.tab_to(lambda i: i["tag"] == "textarea")
            self.page.keyboard.type(COMMENTS[self.lang])
            q, fid = split_name(name)
            self.comments.setdefault(q.id, {})[fid] = COMMENTS[self.lang]
        else:
            raise AssertionError(f"not a questionnaire page: {self.page.url} ({kind})")

    def _check_shift_tab(self, previous: str, current: str) -> None:
        """Shift+Tab from a radio group returns to the previous group's selected option; Tab comes back."""
        info = self.tab_to(lambda i: True, shift=True, limit=1)
        assert (info["name"], info["value"]) == (previous, self.checked_value(previous)), info
        info = self.tab_to(lambda i: True, limit=1)
        assert (info["name"], info["value"]) == (current, self.checked_value(current)), info
