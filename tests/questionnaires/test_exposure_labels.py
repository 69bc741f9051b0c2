"""Labels for the exposure codes of contract 1.2 and the internal/external grouping of sources."""

from __future__ import annotations

import pytest

from questionnaires import (
    EXTERNAL_SOURCES,
    FREQUENCY_CODES,
    HANDLED_CODES,
    INTERNAL_SOURCES,
    SOURCE_CODES,
    TOLD_CODES,
    Exposure,
    Question,
    Text,
    load,
)
from questionnaires.labels import LABEL_KINDS, exposure_title, label, options, source_group
from questionnaires.schema import STANDARD_EXPOSURE_KINDS

CODES = {
    "frequency": FREQUENCY_CODES,
    "source": SOURCE_CODES,
    "handled": HANDLED_CODES,
    "told": TOLD_CODES,
    "kind": STANDARD_EXPOSURE_KINDS,
    "source_group": ("internal", "external"),
}


def test_label_kinds() -> None:
    assert set(LABEL_KINDS) == set(CODES)


@pytest.mark.parametrize("kind", sorted(CODES))
@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_contract_code_has_a_distinct_label(kind: str, lang: str) -> None:
    labels = [label(kind, code, lang) for code in CODES[kind]]
    assert all(text.strip() for text in labels)
    assert len(set(labels)) == len(labels), labels


@pytest.mark.parametrize("kind", sorted(CODES))
def test_danish_and_english_differ_somewhere(kind: str) -> None:
    """Guards against a copy-paste of one language into the other ("HR" is the same in both, fine)."""
    da = [label(kind, code, "da") for code in CODES[kind]]
    en = [label(kind, code, "en") for code in CODES[kind]]
    assert sum(a != b for a, b in zip(da, en, strict=True)) >= len(da) - 1


def test_known_labels() -> None:
    assert label("frequency", 0, "da") == "Nej"
    assert label("frequency", 4, "en") == "Yes, daily"
    assert label("kind", "bullying", "da") == "Mobning"
    assert label("kind", "sexual_harassment", "en") == "Sexual harassment"
    assert label("handled", "dont_know", "da") == "Ved ikke"
    assert label("told", "no_one", "en") == "No one"


def test_frequency_code_as_text_from_a_csv() -> None:
    assert label("frequency", "3", "da") == label("frequency", 3, "da") == "Ja, ugentligt"


def test_options_in_contract_order() -> None:
    assert [code for code, _ in options("handled", "en")] == ["yes", "partly", "no", "dont_know"]
    assert options("frequency", "da")[1] == (1, "Ja, enkelte gange")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: label("colour", "red", "da"), "unknown label kind 'colour'; known kinds: frequency, source"),
        (lambda: label("frequency", 5, "da"), "unknown frequency code 5; known codes: 0, 1, 2, 3, 4"),
        (lambda: label("frequency", True, "da"), "unknown frequency code True"),
        (
            lambda: label("source", "boss", "en"),
            "unknown source code 'boss'; known codes: manager, colleague",
        ),
        (lambda: label("told", "manager", "de"), "unknown language 'de'; known languages: da, en"),
        (lambda: options("nope", "da"), "unknown label kind 'nope'"),
        (lambda: source_group("self"), "unknown source code 'self'; known codes: manager"),
    ],
)
def test_unknown_input_is_a_clear_error(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_source_group_follows_contract() -> None:
    # contract 1.2: internal = manager, colleague, subordinate; external = citizen, partner
    assert [source_group(c) for c in ("manager", "colleague", "subordinate")] == ["internal"] * 3
    assert [source_group(c) for c in ("citizen", "partner")] == ["external"] * 2
    assert {source_group(c) for c in INTERNAL_SOURCES} == {"internal"}
    assert {source_group(c) for c in EXTERNAL_SOURCES} == {"external"}


def test_exposure_title() -> None:
    q = load("offensive_behaviour")
    assert exposure_title(q.exposure("violence"), "da") == "Fysisk vold"  # the definition's own title
    untitled = Exposure("threats", Question("T_Q", Text({"da": "?"})), None, None, None)
    assert exposure_title(untitled, "en") == "Threats"  # the standard label
    other = Exposure("verbal_abuse", Question("V_Q", Text({"da": "?"})), None, None, None)
    assert exposure_title(other, "en") == "Verbal abuse"  # contract 1.2 allows other kinds
