"""The three shipped questionnaires load, pass the content checks and have the shape the brief asks for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from questionnaires import (
    FREQUENCY_CODES,
    Questionnaire,
    QuestionnaireError,
    from_dict,
    load,
    shipped_ids,
)
from questionnaires.check import check_all
from questionnaires.schema import STANDARD_EXPOSURE_KINDS

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example" / "questionnaire.yaml"

SHIPPED = ("emotional_demands", "offensive_behaviour", "trivsel")
AGREE_DA = ["Helt uenig", "Uenig", "Lidt uenig", "Hverken enig eller uenig", "Lidt enig", "Enig", "Helt enig"]
AGREE_EN = [
    "Strongly disagree",
    "Disagree",
    "Somewhat disagree",
    "Neither agree nor disagree",
    "Somewhat agree",
    "Agree",
    "Strongly agree",
]


def test_shipped_ids() -> None:
    assert tuple(shipped_ids()) == SHIPPED


def test_every_shipped_definition_passes_schema_and_content_checks() -> None:
    results = check_all()
    assert [name for name, _ in results] == list(SHIPPED)
    problems = [str(r) for _, r in results if isinstance(r, QuestionnaireError)]
    assert problems == []


@pytest.mark.parametrize("qid", SHIPPED)
def test_id_version_and_both_languages(qid: str) -> None:
    q = load(qid)
    assert q.id == qid
    assert q.version >= 1
    assert q.languages == ("da", "en")


@pytest.mark.parametrize("qid", SHIPPED)
def test_agreement_scale_with_dont_know(qid: str) -> None:
    q = load(qid)
    assert list(q.scales) == ["enig7"]
    scale = q.scales["enig7"]
    assert (scale.min, scale.max, scale.dont_know) == (1, 7, 9)
    assert list(scale.labels["da"]) == AGREE_DA
    assert list(scale.labels["en"]) == AGREE_EN
    assert scale.dont_know_label is not None
    assert scale.dont_know_label.get("da") == "Ved ikke / ikke relevant"
    assert scale.dont_know_label.get("en") == "Don't know / not relevant"


@pytest.mark.parametrize("qid", SHIPPED)
def test_ids_are_upper_case_codes_and_unique(qid: str) -> None:
    q = load(qid)
    ids = list(q.response_columns) + [f.id for f in q.free_text]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", i) for i in ids), ids


@pytest.mark.parametrize("qid", SHIPPED)
def test_privacy_text_says_what_is_and_is_not_stored(qid: str) -> None:
    q = load(qid)
    assert q.privacy is not None
    en = q.privacy.get("en")
    for stored in ("answers", "unit", "language"):
        assert stored in en
    for not_stored in ("name", "e-mail", "IP address", "time you answered"):
        assert not_stored in en
    assert "at least 5" in en
    da = q.privacy.get("da")
    for word in ("svar", "enhed", "sprog", "navn", "e-mailadresse", "IP-adresse", "tidspunktet", "mindst 5"):
        assert word in da


@pytest.mark.parametrize("qid", SHIPPED)
def test_not_claimed_to_be_copsoq(qid: str) -> None:
    """Themes say what they are modelled on and that the wording is the project's own."""
    q = load(qid)
    assert "COPSOQ" not in q.title.get("da") + q.title.get("en")
    for theme in q.themes:
        assert theme.modelled_on is not None
        assert "own wording" in theme.modelled_on.get("en"), theme.id
        assert "egen formulering" in theme.modelled_on.get("da"), theme.id


def test_trivsel_shape() -> None:
    q = load("trivsel")
    assert 30 <= len(q.items) <= 40
    assert len(q.themes) == 12
    assert {t.id for t in q.themes} >= {"mening", "tempo", "ledelse", "stress", "trivsel"}
    assert 5 <= len(q.reverse_items) <= 8
    assert q.exposures == ()
    assert sum(1 for i in q.items if i.help is not None) >= 3


def test_trivsel_negatively_worded_items_are_reverse() -> None:
    q = load("trivsel")
    assert q.item("STR1").text.get("en") == "I often feel stressed"
    assert q.item("STR1").reverse
    assert q.item("TEMPO1").text.get("en") == "I have too much to do"
    assert q.item("TEMPO1").reverse
    assert not q.item("TRI1").reverse
    # every item whose English text speaks of strain is reversed; a sample of positive items is not
    negative = re.compile(
        r"too much|stressed|worn out|hard to switch off|contradict|quality suffers|elsewhere"
    )
    assert {i.id for i in q.items if negative.search(i.text.get("en"))} == {i.id for i in q.reverse_items}


def test_emotional_demands_shape() -> None:
    q = load("emotional_demands")
    assert 12 <= len(q.items) <= 16
    assert [t.id for t in q.themes] == ["krav", "foelelser", "stoette", "restitution"]
    assert {i.id for i in q.reverse_items} == {"EMO1", "EMO2", "EMO3", "FOL1", "FOL2", "RES1", "RES3"}
    for theme in q.themes:
        assert theme.modelled_on is not None
    modelled_on = q.theme("krav").modelled_on
    assert modelled_on is not None and "BEK 1406/2020" in modelled_on.get("en")


def test_offensive_behaviour_exposures() -> None:
    q = load("offensive_behaviour")
    assert tuple(e.kind for e in q.exposures) == STANDARD_EXPOSURE_KINDS
    prefixes = {"bullying": "MOB", "sexual_harassment": "SEX", "threats": "TRU", "violence": "VOL"}
    for e in q.exposures:
        p = prefixes[e.kind]
        assert [(part, question.id) for part, question in e.parts()] == [
            ("question", f"{p}_Q"),
            ("source", f"{p}_SRC"),
            ("handled", f"{p}_HANDLED"),
            ("told", f"{p}_TOLD"),
        ]
        assert "12" in e.question.text.get("da") and "12 months" in e.question.text.get("en")
        assert e.title is not None and e.definition is not None
        assert len(e.definition.get("da")) > 150 and len(e.definition.get("en")) > 150
    # the 16 exposure columns follow the 5 items of the handling theme, in definition order
    assert q.response_columns[:5] == ("HAN1", "HAN2", "HAN3", "HAN4", "HAN5")
    assert len(q.response_columns) == 5 + 4 * 4
    assert len(FREQUENCY_CODES) == 5


@pytest.mark.parametrize("qid", ["trivsel", "offensive_behaviour"])
def test_free_text_warns_against_names(qid: str) -> None:
    q = load(qid)
    assert len(q.free_text) == 1
    free = q.free_text[0]
    assert "ikke navne" in free.text.get("da")
    assert "do not write names" in free.text.get("en")
    assert free.id not in q.response_columns


@pytest.mark.parametrize("qid", SHIPPED)
def test_snapshot_round_trip(qid: str) -> None:
    """A wave stores ``q.data`` (as JSON) and rebuilds the questionnaire from it years later."""
    q = load(qid)
    stored = json.dumps(q.data, ensure_ascii=False)
    again = from_dict(json.loads(stored), f"{qid} snapshot")
    assert isinstance(again, Questionnaire)
    assert again == q


def test_example_with_minimum_keys_loads() -> None:
    q = load(str(EXAMPLE))
    assert (q.id, q.version) == ("trivsel-eksempel", 3)
    assert [t.id for t in q.themes] == ["klarhed", "faellesskab", "tempo"]
    assert [i.id for i in q.reverse_items] == ["TEMP2"]
    assert q.response_columns[:10] == tuple(
        ["KLAR1", "KLAR2", "KLAR3", "FAEL1", "FAEL2", "FAEL3", "FAEL4", "TEMP1", "TEMP2", "TEMP3"]
    )
    assert q.exposure_columns[0] == ("BUL_Q", "bullying", "question")
    assert q.intro is None and q.free_text == ()
