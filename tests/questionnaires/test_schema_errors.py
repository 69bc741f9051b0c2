"""Invalid definition files are rejected with a message naming the file, the path inside it and the problem.

Each case starts from the worked example (tests/data/example/questionnaire.yaml), breaks one thing,
writes the result to a file and loads it with ``load_file`` as a user would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from questionnaires import QuestionnaireError, from_dict, load, load_file, load_text

Data = dict[str, Any]


def _item(data: Data, theme: int = 0, item: int = 0) -> Data:
    result: Data = data["themes"][theme]["items"][item]
    return result


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple[Any, ...]) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _rename_reverse(data: Data) -> None:
    item = _item(data, 0, 1)
    item["revers"] = item.pop("reverse")


def _duplicate_item_across_themes(data: Data) -> None:
    _item(data, 1, 0)["id"] = "KLAR1"


def _duplicate_item_and_exposure(data: Data) -> None:
    data["exposures"][2]["told"]["id"] = "TEMP2"


def _duplicate_exposure_kind(data: Data) -> None:
    data["exposures"][3]["kind"] = "bullying"


def _add_free_text(max_length: int) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["free_text"] = [{"id": "KOMMENTAR", "text": {"da": "Andet?", "en": "Anything else?"}}]
        data["free_text"][0]["max_length"] = max_length

    return change


def _labels_without_dont_know(data: Data) -> None:
    del data["scales"]["enig7"]["dont_know"]
    data["scales"]["enig7"]["dont_know_label"] = {"da": "Ved ikke", "en": "Don't know"}


# (case id, change to the example data, expected path in the message, expected words in the message)
CASES: list[tuple[str, Callable[[Data], None], str, str]] = [
    ("missing top-level key", _delete(("themes",)), "questionnaire.yaml: missing required key 'themes'", ""),
    (
        "missing item key",
        _delete(("themes", 0, "items", 2, "scale")),
        "themes[0].items[2]",
        "missing required key 'scale'",
    ),
    (
        "unknown key names the typo",
        _rename_reverse,
        "themes[0].items[1].revers",
        "unknown key 'revers' (did you mean 'reverse'?)",
    ),
    (
        "unknown language",
        _set(("title", "dk"), "Titel"),
        "title.dk",
        "unknown key 'dk'; allowed keys here: da, en",
    ),
    ("version not a number", _set(("version",), "3"), "version", "expected a whole number, got '3' (str)"),
    ("version zero", _set(("version",), 0), "version", "must be 1 or more, got 0"),
    ("themes not a list", _set(("themes",), {"id": "x"}), "themes", "expected a list, got a mapping"),
    ("empty themes", _set(("themes",), []), "themes", "expected at least one entry"),
    ("empty items", _set(("themes", 1, "items"), []), "themes[1].items", "expected at least one entry"),
    ("no scales", _set(("scales",), {}), "scales", "expected at least one scale"),
    (
        "duplicate item id across themes",
        _duplicate_item_across_themes,
        "themes[1].items[0].id",
        "duplicate id 'KLAR1' (already used at themes[0].items[0].id)",
    ),
    (
        "duplicate id between item and exposure",
        _duplicate_item_and_exposure,
        "exposures[2].told.id",
        "duplicate id 'TEMP2' (already used at themes[2].items[1].id)",
    ),
    (
        "duplicate theme id",
        _set(("themes", 2, "id"), "klarhed"),
        "themes[2].id",
        "duplicate theme id 'klarhed'",
    ),
    (
        "unknown scale",
        _set(("themes", 2, "items", 0, "scale"), "enig5"),
        "themes[2].items[0].scale",
        "unknown scale 'enig5'; known scales: enig7",
    ),
    (
        "min equal to max",
        _set(("scales", "enig7", "max"), 1),
        "scales.enig7",
        "max (1) must be greater than min (1)",
    ),
    (
        "min above max",
        _set(("scales", "enig7", "min"), 8),
        "scales.enig7",
        "max (7) must be greater than min (8)",
    ),
    (
        "too few labels",
        _set(("scales", "enig7", "labels", "en"), ["No", "Yes"]),
        "scales.enig7.labels.en",
        "expected 7 labels for 1..7, got 2",
    ),
    (
        "dont_know inside the scale",
        _set(("scales", "enig7", "dont_know"), 4),
        "scales.enig7.dont_know",
        "code 4 lies inside the scale 1..7",
    ),
    (
        "dont_know_label without dont_know",
        _labels_without_dont_know,
        "scales.enig7.dont_know_label",
        "needs a dont_know code",
    ),
    (
        "reverse not a boolean",
        _set(("themes", 0, "items", 0, "reverse"), "yes please"),
        "themes[0].items[0].reverse",
        "expected true or false, got 'yes please' (str)",
    ),
    (
        "reverse as a number",
        _set(("themes", 0, "items", 0, "reverse"), 1),
        "themes[0].items[0].reverse",
        "expected true or false, got 1 (int)",
    ),
    (
        "text as a plain string",
        _set(("themes", 0, "items", 0, "text"), "Jeg ved det"),
        "themes[0].items[0].text",
        'expected texts per language, e.g. {da: "...", en: "..."}, got a plain string',
    ),
    (
        "empty text",
        _set(("themes", 0, "items", 0, "text", "da"), "  "),
        "themes[0].items[0].text.da",
        "expected a non-empty string",
    ),
    (
        "reserved id wave",
        _set(("themes", 0, "items", 0, "id"), "wave"),
        "themes[0].items[0].id",
        "'wave' is reserved for the responses.csv column of the same name",
    ),
    (
        "reserved id unit_id",
        _set(("exposures", 0, "question", "id"), "unit_id"),
        "exposures[0].question.id",
        "'unit_id' is reserved",
    ),
    (
        "id with a space",
        _set(("themes", 0, "items", 0, "id"), "KLAR 1"),
        "themes[0].items[0].id",
        "'KLAR 1' is not a valid id",
    ),
    (
        "duplicate exposure kind",
        _duplicate_exposure_kind,
        "exposures[3].kind",
        "duplicate exposure kind 'bullying'",
    ),
    (
        "exposure without handled",
        _delete(("exposures", 1, "handled")),
        "exposures[1]",
        "missing required key 'handled'",
    ),
    (
        "free_text max_length zero",
        _add_free_text(0),
        "free_text[0].max_length",
        "must be between 1 and 10000, got 0",
    ),
    (
        "free_text max_length too large",
        _add_free_text(10001),
        "free_text[0].max_length",
        "must be between 1 and 10000, got 10001",
    ),
    (
        "theme flags: unknown colour",
        _set(("themes", 0, "flags"), {"mean": {"red": 3.0, "orange": 3.5, "amber": 3.9}}),
        "themes[0].flags.mean.amber",
        "unknown key 'amber'",
    ),
    (
        "theme flags: a colour missing",
        _set(("themes", 0, "flags"), {"mean": {"red": 3.0, "orange": 3.5}}),
        "themes[0].flags.mean",
        "missing required key 'yellow'",
    ),
    (
        "theme flags: mean outside the scale",
        _set(("themes", 0, "flags"), {"mean": {"red": 0.5, "orange": 3.5, "yellow": 4.0}}),
        "themes[0].flags.mean.red",
        "0.5 lies outside 1..7",
    ),
    (
        "theme flags: means out of order",
        _set(("themes", 0, "flags"), {"mean": {"red": 4.0, "orange": 3.5, "yellow": 4.5}}),
        "themes[0].flags.mean",
        "red (4) ≤ orange (3.5) ≤ yellow (4.5) is required",
    ),
    (
        "theme flags: shares out of order",
        _set(("themes", 0, "flags"), {"unfavourable": {"red": 0.3, "orange": 0.4, "yellow": 0.2}}),
        "themes[0].flags.unfavourable",
        "red (0.3) ≥ orange (0.4) ≥ yellow (0.2) is required",
    ),
    (
        "theme flags: share above 1",
        _set(("themes", 0, "flags"), {"unfavourable": {"red": 1.4, "orange": 0.4, "yellow": 0.2}}),
        "themes[0].flags.unfavourable.red",
        "1.4 lies outside 0..1",
    ),
    (
        "theme flags: not a number",
        _set(("themes", 0, "flags"), {"unfavourable": {"red": "high", "orange": 0.4, "yellow": 0.2}}),
        "themes[0].flags.unfavourable.red",
        "expected a number",
    ),
    (
        "theme flags: empty",
        _set(("themes", 0, "flags"), {}),
        "themes[0].flags",
        "expected 'mean' and/or 'unfavourable'",
    ),
    (
        "theme flags: unknown part",
        _set(("themes", 0, "flags"), {"means": {"red": 3.0, "orange": 3.5, "yellow": 3.9}}),
        "themes[0].flags.means",
        "unknown key 'means' (did you mean 'mean'?)",
    ),
]


@pytest.mark.parametrize(("change", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_variant_is_rejected_naming_file_and_path(
    example_data: Data, tmp_path: Path, change: Callable[[Data], None], path: str, words: str
) -> None:
    original = copy.deepcopy(example_data)
    change(example_data)
    assert example_data != original, "the case must actually change the example"
    target = tmp_path / "questionnaire.yaml"
    target.write_text(yaml.safe_dump(example_data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(QuestionnaireError) as info:
        load_file(target)

    message = str(info.value)
    assert message.startswith("questionnaire.yaml: "), message
    assert path in message, message
    assert words in message, message
    assert info.value.source == "questionnaire.yaml"


def test_unchanged_example_loads(example_data: Data, tmp_path: Path) -> None:
    """Control for the table above: the same round trip without a change loads."""
    target = tmp_path / "questionnaire.yaml"
    target.write_text(yaml.safe_dump(example_data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_file(target).id == "trivsel-eksempel"


# --- problems that are not a change of valid data -------------------------------------------------------


def test_not_yaml_names_line_and_column(tmp_path: Path) -> None:
    target = tmp_path / "broken.yaml"
    target.write_text('id: x\nversion: 1\ntitle: {da: "Titel"\n', encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"^broken\.yaml: line \d+, column \d+: not valid YAML"):
        load_file(target)


def test_duplicate_yaml_key_is_rejected(tmp_path: Path) -> None:
    """PyYAML would silently keep the second 'reverse'; a definition must not change meaning that way."""
    target = tmp_path / "dup.yaml"
    target.write_text(
        "id: x\nversion: 1\ntitle: {da: T}\nscales: {s: {min: 1, max: 7}}\n"
        "themes:\n  - id: t\n    title: {da: T}\n    items:\n"
        "      - {id: A1, text: {da: A}, scale: s, reverse: true, reverse: false}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as info:
        load_file(target)
    assert str(info.value).startswith("dup.yaml: line 9, column ")
    assert "key 'reverse' is given twice in the same mapping" in str(info.value)


def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(QuestionnaireError) as info:
        load_file(missing)
    assert str(info.value).startswith(str(missing))
    assert "cannot read file: No such file or directory" in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    target = tmp_path / "latin1.yaml"
    target.write_bytes('id: x\ntitle: {da: "Trivselsmåling"}\n'.encode("latin-1"))
    with pytest.raises(QuestionnaireError, match=r"latin1\.yaml: the file is not UTF-8 text"):
        load_file(target)


def test_top_level_not_a_mapping() -> None:
    with pytest.raises(
        QuestionnaireError, match=r"^list\.yaml: expected a mapping \(keys: .*themes.*\), got a list"
    ):
        load_text("- a\n- b\n", "list.yaml")


def test_empty_file() -> None:
    with pytest.raises(QuestionnaireError, match=r"^empty\.yaml: expected a mapping .*got nothing"):
        load_text("", "empty.yaml")


def test_unknown_id_lists_shipped_ids() -> None:
    with pytest.raises(QuestionnaireError) as info:
        load("trivsle")
    assert "no shipped questionnaire with this id and no such file" in str(info.value)
    assert "trivsel" in str(info.value).split("shipped ids:")[1]


def test_from_dict_names_the_source() -> None:
    with pytest.raises(QuestionnaireError, match=r"^wave 2024 snapshot: missing required key 'id'"):
        from_dict({"version": 1}, "wave 2024 snapshot")


def test_bom_is_accepted(example_data: Data, tmp_path: Path) -> None:
    """Files saved by Windows editors start with a BOM; contract 1 accepts it for CSV, we do for YAML too."""
    target = tmp_path / "bom.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(example_data, allow_unicode=True).encode("utf-8"))
    assert load_file(target).version == 3


def test_shipped_file_whose_id_differs_from_its_name(
    example_data: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load("x") of a shipped file must give the questionnaire with id x, or say why not."""
    import questionnaires

    (tmp_path / "renamed.yaml").write_text(yaml.safe_dump(example_data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(questionnaires, "_definitions", lambda: tmp_path)
    assert questionnaires.shipped_ids() == ["renamed"]
    with pytest.raises(QuestionnaireError) as info:
        load("renamed")
    assert str(info.value) == "renamed.yaml: id: id 'trivsel-eksempel' differs from the file name 'renamed'"


def test_load_by_path_of_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.yml"
    with pytest.raises(QuestionnaireError, match="cannot read file"):
        load(missing)


def test_load_a_directory(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="cannot read file"):
        load(tmp_path)


def test_theme_flags_load(example_data: Data) -> None:
    example_data["themes"][0]["flags"] = {"mean": {"red": 3, "orange": 3.5, "yellow": 3.9}}
    q = from_dict(example_data, "questionnaire.yaml")
    flags = q.themes[0].flags
    assert flags is not None and flags.mean == {"red": 3.0, "orange": 3.5, "yellow": 3.9}
    assert flags.unfavourable is None and q.themes[1].flags is None
