"""The changes page: one sentence per row, per class, in Danish and English, that never contradicts itself
(the issue's "must exceed 1,22 ... larger than that, but not significant after the correction"). The page
itself: ``tests/survey/test_reports.py::test_changes_page_rows_carry_the_sentence``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from analysis import texts
from survey.reports import change_words
from tests.survey.test_reports import EXAMPLE

SETTINGS = {"practical_delta": 0.2, "k_min": 5}


def change(cls: str, delta: float, crit: float = 0.30, b: int = 14, meaningful: bool | None = None,
           q: float = 0.2) -> dict[str, Any]:
    return {"class": cls, "delta": delta, "critical_difference": crit, "baseline_n": b, "q": q,
            "p": q / 2, "ci": [delta - 0.5, delta + 0.5],
            "meaningful": abs(delta) >= 0.2 if meaningful is None else meaningful, "composition": []}


@pytest.fixture()
def say(app: Flask) -> Iterator[Any]:
    def sentence(ch: dict[str, Any], lang: str, together: int = 12, n_now: int = 12) -> str:
        with app.test_request_context():
            from flask import session

            session["lang"] = lang
            return change_words.row_sentence(ch, n_now, SETTINGS, together, lang)

    yield sentence


CASES = [
    # (change, Danish sentence, English sentence)
    (change("significant_decline", -0.45),
     "Ændringen på −0,45 er en reel forværring: den er statistisk signifikant, også når alle enhedens 12 "
     "ændringer testes på én gang.",
     "The change of −0.45 is a real decline: it is statistically significant even when all 12 of this "
     "unit's changes are tested at once."),
    (change("significant_improvement", 0.45),
     "Ændringen på +0,45 er en reel forbedring: den er statistisk signifikant, også når alle enhedens 12 "
     "ændringer testes på én gang.",
     "The change of +0.45 is a real improvement: it is statistically significant even when all 12 of "
     "this unit's changes are tested at once."),
    (change("significant_improvement", 0.12, crit=0.10),
     "Ændringen på +0,12 er statistisk signifikant, også når alle enhedens 12 ændringer testes på én gang, "
     "men den er lille: under 0,20.",
     "The change of +0.12 is statistically significant even when all 12 of this unit's changes are tested "
     "at once, but it is small: less than 0.20."),
    (change("inconclusive_change", -0.45),
     "Ændringen på −0,45 er større end 0,30, som ville være nok for én enkelt sammenligning med 14 og 12 "
     "besvarelser, men når enhedens 12 ændringer testes på én gang, er den ikke sikker.",
     "The change of −0.45 is larger than 0.30, which would be enough for a single comparison with 14 and "
     "12 answers, but when 12 of this unit's changes are tested at once, it is not certain."),
    (change("inconclusive_change", 0.25, crit=0.98),
     "Ændringen på +0,25 ser stor ud, men med 14 og 12 besvarelser skal en ændring være større end 0,98 for "
     "at være sikker, så den kan skyldes tilfældigheder.",
     "The change of +0.25 looks large, but with 14 and 12 answers a change must exceed 0.98 to be certain, "
     "so it may be chance."),
    (change("no_significant_change", 0.05, crit=0.98),
     "Ændringen på +0,05 er mindre end 0,98, som en ændring skal være større end med 14 og 12 besvarelser "
     "for at være sikker, så den kan skyldes tilfældigheder.",
     "The change of +0.05 is smaller than 0.98, which a change needs with 14 and 12 answers to be certain, "
     "so it may be chance."),
    (change("stable", 0.05, crit=0.10),
     "Uændret: ændringen på +0,05 er med statistisk sikkerhed mindre end ±0,20, så intet vigtigt har ændret "
     "sig.",
     "Stable: the change of +0.05 is statistically shown to be smaller than ±0.20, so nothing important "
     "changed."),
]


@pytest.mark.parametrize(("ch", "da", "en"), CASES, ids=[c[0]["class"] + str(c[0]["delta"]) for c in CASES])
def test_one_sentence_per_class_in_both_languages(say: Any, ch: dict[str, Any], da: str, en: str) -> None:
    assert say(ch, "da") == da
    assert say(ch, "en") == en


def test_no_sentence_says_larger_when_the_shown_numbers_are_equal(say: Any) -> None:
    # |delta| 0.9801 and critical difference 0.9800 are both shown as 0,98: never "0,98 er større end 0,98"
    text = say(change("inconclusive_change", 0.9801, crit=0.9800), "da")
    assert "større end 0,98 for at være sikker" in text and "0,98 er større end" not in text


def test_a_single_test_that_passes_the_bar_is_not_called_larger_but_uncertain_by_the_correction(
    say: Any,
) -> None:
    text = say(change("inconclusive_change", 0.45), "da", together=1)
    assert text == "Ændringen på +0,45 er ikke statistisk sikker med 14 og 12 besvarelser."


def test_untested_rows_keep_their_reason(say: Any) -> None:
    ch = {"class": "too_few", "delta": None, "q": None, "baseline_n": None}
    assert say(ch, "da").startswith("Ingen ændring vises")
    assert say(ch, "en").startswith("No change is shown")


def test_every_row_of_the_example_reads_without_contradiction(say: Any) -> None:
    report = json.loads((EXAMPLE / "expected_report.json").read_text(encoding="utf-8"))
    together = change_words.families(report["scores"])
    seen = set()
    for s in report["scores"]:
        ch = s.get("change")
        if not ch or ch.get("q") is None:
            continue
        text = say(ch, "da", together[(s["unit_id"], s["kind"])], int(s["n"]))
        sig = ch["class"] in change_words.SIGNIFICANT
        assert ("reel" in text) == sig, text
        uncertain = "ikke sikker" in text or "tilfældigheder" in text
        assert uncertain == (not sig and ch["class"] != "stable"), text
        assert "korrektionen" not in text and "men ikke signifikant" not in text, text
        m = re.search(r"er (større|mindre) end (\d+,\d+)", text)
        if m:
            shown = texts.fmt_num(abs(ch["delta"]), "da")
            larger = float(shown.replace(",", ".")) > float(m.group(2).replace(",", "."))
            assert larger == (m.group(1) == "større"), text
        seen |= {k for k in ("reel", "ville være nok", "ser stor ud", "er mindre end") if k in text}
    assert len(seen) >= 3, seen  # the example has several kinds of sentence
