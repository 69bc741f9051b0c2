"""Content checks beyond the schema (questionnaires.check): each rule is broken once and reported."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from questionnaires import Questionnaire, QuestionnaireError, from_dict, load
from questionnaires.check import ContentError, check_all, check_paths, content_problems

Data = dict[str, Any]


@pytest.fixture
def trivsel_data() -> Data:
    """A mutable copy of the shipped trivsel definition's data (which passes every rule)."""
    return copy.deepcopy(dict(load("trivsel").data))


def _problems(data: Data) -> list[str]:
    return [str(p) for p in content_problems(from_dict(data, "t.yaml"), "t.yaml")]


def test_shipped_trivsel_data_has_no_problems(trivsel_data: Data) -> None:
    assert _problems(trivsel_data) == []


def test_text_in_one_language_only(trivsel_data: Data) -> None:
    del trivsel_data["themes"][3]["items"][1]["text"]["en"]
    assert _problems(trivsel_data) == [
        "t.yaml: themes[3].items[1].text: missing the en text; every text needs da and en"
    ]


def test_help_in_one_language_only(trivsel_data: Data) -> None:
    del trivsel_data["themes"][1]["items"][1]["help"]["da"]
    assert _problems(trivsel_data) == [
        "t.yaml: themes[1].items[1].help: missing the da text; every text needs da and en"
    ]


def test_scale_labels_in_one_language(trivsel_data: Data) -> None:
    del trivsel_data["scales"]["enig7"]["labels"]["en"]
    assert _problems(trivsel_data) == ["t.yaml: scales.enig7.labels: missing labels in en"]


def test_scale_without_labels_and_dont_know_label(trivsel_data: Data) -> None:
    del trivsel_data["scales"]["enig7"]["labels"]
    del trivsel_data["scales"]["enig7"]["dont_know_label"]
    assert _problems(trivsel_data) == [
        "t.yaml: scales.enig7.labels: missing labels in da, en",
        "t.yaml: scales.enig7: missing 'dont_know_label' for the don't-know code 9",
    ]


def test_theme_without_modelled_on(trivsel_data: Data) -> None:
    del trivsel_data["themes"][7]["modelled_on"]
    assert _problems(trivsel_data) == [
        "t.yaml: themes[7]: theme 'ledelse' has no 'modelled_on' (say what the theme is based on)"
    ]


def test_missing_intro_and_privacy(trivsel_data: Data) -> None:
    del trivsel_data["intro"]
    del trivsel_data["privacy"]
    assert [p.split(": ")[1] for p in _problems(trivsel_data)] == ["intro", "privacy"]


def test_duplicate_item_text_within_a_language(trivsel_data: Data) -> None:
    # same Danish text up to case, spacing and the final full stop; the English texts still differ
    trivsel_data["themes"][11]["items"][0]["text"]["da"] = "mit  arbejde giver mening for mig."
    assert _problems(trivsel_data) == [
        "t.yaml: themes[11].items[0].text.da: TRI1 has the same da text as MEN1 (themes[0].items[0].text); "
        "word each once"
    ]


def test_lower_case_item_id(trivsel_data: Data) -> None:
    trivsel_data["themes"][0]["items"][2]["id"] = "men3"
    assert _problems(trivsel_data) == [
        "t.yaml: themes[0].items[2].id: 'men3' is not a short upper-case code such as LED3 or MOB_Q"
    ]


def test_exposure_without_title_and_definition() -> None:
    data = copy.deepcopy(dict(load("offensive_behaviour").data))
    del data["exposures"][2]["title"]
    del data["exposures"][2]["definition"]
    assert _problems(data) == [
        "t.yaml: exposures[2]: exposure 'threats' has no 'title'",
        "t.yaml: exposures[2]: exposure 'threats' has no 'definition'",
    ]


def test_repeated_follow_up_questions_are_allowed() -> None:
    """Exposure follow-ups are shown under their exposure's heading, so the same wording may repeat."""
    data = copy.deepcopy(dict(load("offensive_behaviour").data))
    for exposure in data["exposures"]:
        exposure["told"]["text"] = {"da": "Hvem har du fortalt det til?", "en": "Whom have you told?"}
    assert _problems(data) == []


def test_check_paths_reports_every_problem_of_a_file(tmp_path: Path, trivsel_data: Data) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(trivsel_data, allow_unicode=True), encoding="utf-8")
    del trivsel_data["intro"]
    del trivsel_data["themes"][0]["modelled_on"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(trivsel_data, allow_unicode=True), encoding="utf-8")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("id: [\n", encoding="utf-8")

    results = check_paths([good, bad, invalid, tmp_path / "missing.yaml"])

    assert [name for name, _ in results] == [
        str(good),
        str(bad),
        str(invalid),
        str(tmp_path / "missing.yaml"),
    ]
    assert isinstance(results[0][1], Questionnaire)
    err = results[1][1]
    assert isinstance(err, ContentError)
    assert [p.path for p in err.problems] == ["intro", "themes[0]"]
    assert str(err).splitlines() == [
        "bad.yaml: intro: missing 'intro' (a text shown to respondents before the questions)",
        "  bad.yaml: themes[0]: theme 'mening' has no 'modelled_on' (say what the theme is based on)",
    ]
    assert isinstance(results[2][1], QuestionnaireError)
    assert "invalid.yaml: line 2, column 1: not valid YAML" in str(results[2][1])
    assert "cannot read file" in str(results[3][1])


def test_minimum_example_passes_schema_but_not_content_rules() -> None:
    """Imported definitions need only the contract's minimum; shipping one needs the content rules too."""
    example = Path(__file__).resolve().parents[1] / "data" / "example" / "questionnaire.yaml"
    [(_, result)] = check_paths([example])
    assert isinstance(result, ContentError)
    assert "themes[0]: theme 'klarhed' has no 'modelled_on'" in str(result)


def test_check_all_returns_questionnaires() -> None:
    results = check_all()
    assert all(isinstance(r, Questionnaire) for _, r in results)
    assert {name: r.id for name, r in results if isinstance(r, Questionnaire)} == {
        "emotional_demands": "emotional_demands",
        "offensive_behaviour": "offensive_behaviour",
        "trivsel": "trivsel",
    }


def test_check_paths_schema_only(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / "data" / "example" / "questionnaire.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\n", encoding="utf-8")
    [(_, ok), (_, err)] = check_paths([example, broken], content=False)
    assert isinstance(ok, Questionnaire) and ok.id == "trivsel-eksempel"
    assert isinstance(err, QuestionnaireError) and "broken.yaml: missing required key" in str(err)


def test_theme_flags_with_one_part_only(trivsel_data: Data) -> None:
    # the shipped tempo theme (themes[1]) carries both parts; drop one
    assert trivsel_data["themes"][1]["id"] == "tempo" and set(trivsel_data["themes"][1]["flags"]) == {
        "mean", "unfavourable"}
    del trivsel_data["themes"][1]["flags"]["unfavourable"]
    assert _problems(trivsel_data) == [
        "t.yaml: themes[1].flags: theme 'tempo' gives its own 'mean' thresholds but not 'unfavourable'; "
        "give both (or leave 'flags' out to use the global values)"
    ]


def test_shipped_demand_themes_carry_their_own_flags() -> None:
    # contract 5.7: the shipped questionnaires set per-theme thresholds for their demand themes
    # (docs/methods.md section 4 says where the values come from)
    expected = {"trivsel": {"tempo", "stress"}, "emotional_demands": {"krav", "foelelser", "restitution"}}
    for qid, themes in expected.items():
        q = load(qid)
        assert {t.id for t in q.themes if t.flags is not None} == themes
        for t in q.themes:
            if t.flags is not None:
                assert t.flags.mean == {"red": 3.4, "orange": 4.0, "yellow": 4.4}
                assert t.flags.unfavourable == {"red": 0.55, "orange": 0.45, "yellow": 0.35}
