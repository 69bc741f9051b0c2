"""The one publication step (analysis/publish.py; issue 10): floors, the independent re-check of the
published rows, structured small counts and the manager's scope."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from analysis.publish import K_FLOOR, PublishError, PublishPolicy, publish
from analysis.report import analyse
from analysis.settings import Settings
from tests.analysis.test_disclosure_attacks import THEME_ROWS, THEME_UNITS, _person
from tests.analysis.test_report import Q, build


def _report(settings: Settings | None = None) -> dict[str, Any]:
    uf, rf = build(THEME_UNITS, THEME_ROWS)
    return analyse(uf, rf, Q, "2025", settings=settings).to_dict()


def test_policy_floor_can_only_be_raised():
    assert PublishPolicy().k_floor == K_FLOOR == 5
    with pytest.raises(PublishError, match="below the shipped minimum 5; the floor can only be raised"):
        PublishPolicy(k_floor=4)
    with pytest.raises(PublishError, match="comment_min=6 is below the floor 7"):
        PublishPolicy(k_floor=7, comment_min=6)
    with pytest.raises(PublishError, match="audience 'public' is unknown"):
        PublishPolicy(audience="public")
    with pytest.raises(PublishError, match="needs scope"):
        PublishPolicy(audience="manager")
    assert PublishPolicy(k_floor=7).comment_threshold == 7


@pytest.mark.parametrize("settings, key", [(Settings(k_min=3), "k_min"), (Settings(k_diff=2), "k_diff"),
                                           (Settings(n_min_exposure=9), "n_min_exposure")])
def test_a_report_made_with_settings_below_the_floor_is_refused(settings, key):
    with pytest.raises(PublishError, match=f"{key} = \\d is below the publication floor"):
        publish(_report(settings))


def test_a_raised_floor_refuses_a_report_of_the_default_settings():
    report = _report()
    with pytest.raises(PublishError, match="k_min = 5 is below the publication floor 7"):
        publish(report, PublishPolicy(k_floor=7))
    assert publish(_report(Settings(k_min=7, k_diff=7)), PublishPolicy(k_floor=7))["settings"]["k_min"] == 7


def test_publication_is_the_report_plus_its_policy_and_leaves_the_input_alone():
    uf, rf = build(THEME_UNITS, THEME_ROWS)
    report = analyse(uf, rf, Q, "2025")
    data = report.to_dict()
    before = copy.deepcopy(data)
    out = publish(data)
    assert data == before
    assert publish(report) == out
    assert out["publication"] == {"audience": "hr", "k_floor": 5, "scope": None, "comment_min": 5}
    assert {k: v for k, v in out.items() if k != "publication"} == data


def _with_rows_of(full: dict[str, Any], into: dict[str, Any], keys: set[tuple[str, str]]) -> dict[str, Any]:
    out = copy.deepcopy(into)
    out["scores"] += [s for s in full["scores"] if (s["unit_id"], s["id"]) in keys]
    return out


def test_gate_refuses_a_row_that_reveals_a_small_group_by_subtraction():
    # A's B2 row (hidden to protect C's 3) slipped into the report: R − A − B on B2 is C's 3 people
    full = _report(Settings(k_min=1, k_diff=1))
    tampered = _with_rows_of(full, _report(), {("A", "B2"), ("A", "B"), ("A", "B1")})
    with pytest.raises(PublishError, match="item 'B2': unit 'R' minus its published descendants leaves 3"):
        publish(tampered)


def test_gate_refuses_rows_of_hidden_units_small_rows_and_items_without_their_theme():
    report = _report()
    small = copy.deepcopy(report)
    small["scores"][0]["n"] = 4
    with pytest.raises(PublishError, match="has n = 4 < k_min 5"):
        publish(small)
    hidden = copy.deepcopy(report)
    hidden["units"] = [dict(u, published=False) if u["unit_id"] == "B" else u for u in hidden["units"]]
    with pytest.raises(PublishError, match="a row for unit 'B', which is not published"):
        publish(hidden)
    no_theme = copy.deepcopy(report)
    no_theme["scores"] = [s for s in no_theme["scores"] if not (s["unit_id"] == "B" and s["id"] == "B")]
    with pytest.raises(PublishError, match="items of theme 'B' are shown in B where the theme is hidden"):
        publish(no_theme)


def test_gate_refuses_exposure_rows_of_fewer_than_n_min_exposure_answers_or_residuals():
    units = [("P", "", ""), ("C", "P", "")]
    rows = [_person("C", bullying=0) for _ in range(10)] + [_person("P") for _ in range(9)]
    rows.append(_person("P", bullying=3, source="colleague", handled="no", told="no_one"))
    uf, rf = build(units, rows)
    report = analyse(uf, rf, Q, "2025").to_dict()
    assert publish(report)  # the engine's own output passes
    c_row = {"unit_id": "C", "kind": "bullying", "n": 10, "exposed": 0, "share": 0.0, "internal": 0,
             "internal_share": 0.0, "external": 0, "external_share": 0.0, "external_unresolved": 0,
             "external_unresolved_share": 0.0, "told_no_one": 0, "told_no_one_share": None}
    tampered = copy.deepcopy(report)
    tampered["exposures"].append(c_row)
    with pytest.raises(PublishError, match="'bullying': unit 'P' minus its published descendants leaves 1"):
        publish(tampered)
    tampered["exposures"] = [dict(c_row, n=9)]
    with pytest.raises(PublishError, match="has n = 9 < n_min_exposure 10"):
        publish(tampered)


def test_small_counts_and_hidden_baselines_are_cleared_on_the_fields():
    units = [("R", "", "")]
    rows = [_person("R", bullying=1 if i < 2 else 0, source="colleague" if i < 2 else "", told="no_one"
                    if i < 2 else "") for i in range(12)]
    uf, rf = build(units, rows)
    report = analyse(uf, rf, Q, "2025").to_dict()
    raw = copy.deepcopy(report)
    raw["exposures"][0].update(exposed=2, share=2 / 12, told_no_one=2, told_no_one_share=1.0)
    out = publish(raw)["exposures"][0]
    assert out["exposed"] == "<3" and out["share"] is None
    assert out["told_no_one"] == "<3" and out["told_no_one_share"] is None
    uf, rf = build(THEME_UNITS, THEME_ROWS + [dict(r, wave="2024") for r in THEME_ROWS])
    changed = analyse(uf, rf, Q, "2025", "2024").to_dict()
    changed["scores"][0]["change"].update({"class": "too_few", "baseline_mean": 4.2, "delta": 0.3})
    changed["scores"][1]["change"].update({"class": "not_comparable", "baseline_mean": 4.2})
    pub = publish(changed)["scores"]
    assert pub[0]["change"]["baseline_mean"] is None and pub[0]["change"]["delta"] is None
    assert pub[0]["change"]["baseline_n"] == changed["scores"][0]["change"]["baseline_n"]
    assert all(v is None for k, v in pub[1]["change"].items() if k != "class")


def test_manager_sees_only_their_subtree():
    report = _report()
    out = publish(report, PublishPolicy(audience="manager", scope="B"))
    assert {u["unit_id"] for u in out["units"]} == {"B"}
    assert {s["unit_id"] for s in out["scores"]} == {"B"} and out["scores"]
    assert {f["unit_id"] for f in out["funding"]} == {"B"}
    assert len(publish(report, PublishPolicy(audience="committee"))["units"]) == 4
    with pytest.raises(PublishError, match="scope 'Z' is not a unit"):
        publish(report, PublishPolicy(audience="manager", scope="Z"))
