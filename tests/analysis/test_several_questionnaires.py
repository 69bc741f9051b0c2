"""Contract 5.3: one report over several questionnaires (themes, items and exposures of every file).

The reference is the engine on one questionnaire that holds the same themes, items and exposures (itself
checked against direct computations in test_report.py): the combined report must give the very same rows,
each naming the questionnaire it comes from."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from analysis.cli import analyse as analyse_cli
from analysis.csvio import InputError
from analysis.inputs import combine_questionnaires
from analysis.report import analyse
from questionnaires import from_dict
from tests.analysis.test_report import QDEF, UNITS, build

Q = from_dict(QDEF, "t.yaml")


def _part_of(qid: str, version: int, title: dict[str, str], index: int) -> dict[str, Any]:
    d = copy.deepcopy(QDEF)
    d.update(id=qid, version=version, title=title, themes=[d["themes"][index]],
             exposures=[d["exposures"][index]])
    return d


Q1DEF = _part_of("q1", 4, {"en": "First", "da": "Første"}, 0)
Q2DEF = _part_of("q2", 1, {"en": "Second", "da": "Anden"}, 1)
Q1 = from_dict(Q1DEF, "q1.yaml")
Q2 = from_dict(Q2DEF, "q2.yaml")
COLUMNS = ["A1", "A2", "A3", "B1", "B2"]


def _rows(rng: np.random.Generator, wave: str, sizes: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for unit, size in sizes.items():
        for _ in range(size):
            r: dict[str, Any] = {"wave": wave, "unit_id": unit}
            for c in COLUMNS:
                u = rng.random()
                r[c] = "" if u < 0.1 else 9 if u < 0.14 else int(rng.integers(1, 8))
            for kind in ("B", "T"):
                code = int(rng.integers(0, 5)) if rng.random() < 0.9 else ""
                r[f"{kind}Q"] = code
                if code not in ("", 0):
                    r[f"{kind}S"] = str(rng.choice(["colleague", "citizen", "manager;citizen"]))
                    r[f"{kind}H"] = str(rng.choice(["yes", "partly", "no"]))
                    if kind == "B":
                        r["BT"] = str(rng.choice(["no_one", "hr"]))
            out.append(r)
    return out


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(53)
    rows = _rows(rng, "2025", {"R": 4, "D1": 2, "T1": 14, "T2": 12, "D2": 3, "T3": 22})
    rows += _rows(rng, "2023", {"R": 3, "D1": 3, "T1": 12, "T2": 11, "D2": 2, "T3": 20})
    return build(UNITS, rows)


def _strip(rows, key: str = "questionnaire") -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != key} for r in rows]


def test_two_questionnaires_give_the_rows_of_one_holding_both(frames):
    units, responses = frames
    one = analyse(units, responses, Q, "2025", "2023").to_dict()
    two = analyse(units, responses, [Q1, Q2], "2025", "2023").to_dict()
    assert two["questionnaires"] == [
        {"id": "q1", "version": 4, "title": {"en": "First", "da": "Første"}},
        {"id": "q2", "version": 1, "title": {"en": "Second", "da": "Anden"}},
    ]
    assert two["questionnaire"] == {"id": "q1", "version": 4}
    assert len(two["scores"]) == len(one["scores"]) > 10
    assert len(two["exposures"]) == len(one["exposures"]) > 2
    assert _strip(two["scores"]) == _strip(one["scores"])
    assert _strip(two["exposures"]) == _strip(one["exposures"])
    assert two["units"] == one["units"] and two["funding"] == one["funding"]
    origin = {(s["kind"], s["id"]): s["questionnaire"] for s in two["scores"]}
    assert origin == {("theme", "A"): "q1", ("item", "A1"): "q1", ("item", "A2"): "q1", ("item", "A3"): "q1",
                      ("theme", "B"): "q2", ("item", "B1"): "q2", ("item", "B2"): "q2"}
    kinds = {(e["kind"], e["questionnaire"]) for e in two["exposures"]}
    assert kinds == {("bullying", "q1"), ("threats", "q2")}


def test_one_questionnaire_alone_or_in_a_list_is_the_same_report(frames):
    units, responses = frames
    alone = analyse(units, responses, Q, "2025", "2023").to_dict()
    listed = analyse(units, responses, [Q], "2025", "2023").to_dict()
    assert alone == listed
    assert alone["questionnaires"] == [{"id": "t", "version": 2, "title": {"en": "Test"}}]
    assert {s["questionnaire"] for s in alone["scores"]} == {"t"}
    assert combine_questionnaires([Q]) is Q


def test_scales_with_the_same_id_but_another_definition_stay_apart(frames):
    units, responses = frames
    q2def = copy.deepcopy(Q2DEF)
    q2def["scales"] = {"s7": {"min": 1, "max": 7, "dont_know": 8}}  # another don't-know code
    q2 = from_dict(q2def, "q2.yaml")
    combined = combine_questionnaires([Q1, q2])
    assert combined.scale_of(combined.item("A1")).dont_know == 9
    assert combined.scale_of(combined.item("B1")).dont_know == 8
    assert combined.item("B1").scale == "q2.s7"
    assert [t.id for t in combined.themes] == ["A", "B"]
    assert [e.kind for e in combined.exposures] == ["bullying", "threats"]
    assert combined.title.get("da") == "Første + Anden"


@pytest.mark.parametrize("what, second, ident", [
    ("item", lambda d: d["themes"][0]["items"][0].update(id="A1"), "A1"),
    ("theme", lambda d: d["themes"][0].update(id="A"), "A"),
    ("exposure kind", lambda d: d["exposures"][0].update(kind="bullying"), "bullying"),
    ("exposure question column", lambda d: d["exposures"][0]["question"].update(id="BQ"), "BQ"),
    ("item", lambda d: d["themes"][0]["items"][0].update(id="BS"), "BS"),  # an item named like a column
])
def test_an_id_in_both_files_is_an_error_naming_both(what, second, ident):
    d = copy.deepcopy(Q2DEF)
    second(d)
    q2 = from_dict(d, "q2.yaml")
    with pytest.raises(InputError) as err:
        combine_questionnaires([Q1, q2], ["first.yaml", "second.yaml"])
    msg = str(err.value)
    assert msg.startswith("second.yaml")
    assert "first.yaml" in msg and f"'{ident}'" in msg and "unique across" in msg
    assert what.split()[0] in msg


def test_the_same_questionnaire_twice_is_an_error():
    with pytest.raises(InputError, match="q1.*also the id of first.yaml"):
        combine_questionnaires([Q1, Q1], ["first.yaml", "again.yaml"])
    with pytest.raises(InputError, match="no questionnaire given"):
        combine_questionnaires([])


# ------------------------------------------------------------------ the command line


def _write_inputs(tmp: Path) -> None:
    (tmp / "units.csv").write_text("unit_id,parent_id,name,headcount\n" + "".join(
        f"{u},{p},{u},{h}\n" for u, p, h in UNITS), encoding="utf-8")
    (tmp / "q1.yaml").write_text(yaml.safe_dump(Q1DEF, allow_unicode=True), encoding="utf-8")
    (tmp / "q2.yaml").write_text(yaml.safe_dump(Q2DEF, allow_unicode=True), encoding="utf-8")
    rng = np.random.default_rng(5)
    rows = _rows(rng, "2025", {"T1": 12, "T3": 15, "R": 2})
    cols = ["wave", "unit_id", *Q1.response_columns, *Q2.response_columns]
    lines = [",".join(cols)] + [",".join(f'"{r.get(c, "")}"' for c in cols) for r in rows]
    (tmp / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cli(tmp: Path, *questionnaires: str):
    args = ["--units", str(tmp / "units.csv"), "--responses", str(tmp / "responses.csv"), "--wave", "2025",
            "--json", str(tmp / "out.json")]
    for q in questionnaires:
        args += ["--questionnaire", str(tmp / q)]
    return CliRunner().invoke(analyse_cli, args)


def test_cli_takes_the_questionnaire_option_twice(tmp_path):
    _write_inputs(tmp_path)
    result = _cli(tmp_path, "q1.yaml", "q2.yaml")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [q["id"] for q in data["questionnaires"]] == ["q1", "q2"]
    assert {s["questionnaire"] for s in data["scores"] if s["kind"] == "theme" and s["id"] == "B"} == {"q2"}
    assert {e["kind"] for e in data["exposures"]} == {"bullying", "threats"}


def test_cli_with_one_of_two_questionnaires_names_the_missing_columns(tmp_path):
    _write_inputs(tmp_path)
    # the responses hold both files' columns: with only q1 the extra columns are an error (contract 1)
    result = _cli(tmp_path, "q1.yaml")
    assert result.exit_code == 2
    assert "B1" in result.output
    assert not (tmp_path / "out.json").exists()


def test_cli_duplicate_id_across_files_exit_2_naming_both(tmp_path):
    _write_inputs(tmp_path)
    d = copy.deepcopy(Q2DEF)
    d["themes"][0]["items"][1]["id"] = "A2"
    (tmp_path / "q2.yaml").write_text(yaml.safe_dump(d), encoding="utf-8")
    result = _cli(tmp_path, "q1.yaml", "q2.yaml")
    assert result.exit_code == 2, result.output
    assert "q1.yaml" in result.output and "q2.yaml" in result.output and "'A2'" in result.output
    assert not (tmp_path / "out.json").exists()
