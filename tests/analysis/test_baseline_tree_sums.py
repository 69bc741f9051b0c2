"""With ``baseline_units`` (contract 5.4) the baseline keeps its sums, so the worked example gives the same
report whether the unchanged tree is passed as the baseline tree or not (composition and the exact change
of contract 5.5 read those sums; without them ``analyse`` failed)."""

from __future__ import annotations

from pathlib import Path

import questionnaires
from analysis import analyse, inputs

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example"


def test_same_tree_as_baseline_tree_gives_the_same_report() -> None:
    q = questionnaires.load_file(EXAMPLE / "questionnaire.yaml")
    units = inputs.read_units(EXAMPLE / "units.csv")
    responses = inputs.read_responses(EXAMPLE / "responses.csv", q, set(units["unit_id"]))
    plain = analyse(units, responses, q, "2025", "2023").to_dict()
    framed = analyse(units, responses, q, "2025", "2023", baseline_units=units).to_dict()
    changes = {(s["unit_id"], s["kind"], s["id"]): s["change"] for s in plain["scores"]}
    framed_changes = {(s["unit_id"], s["kind"], s["id"]): s["change"] for s in framed["scores"]}
    assert framed_changes == changes
    assert any(c and c.get("composition") is not None for c in changes.values())
