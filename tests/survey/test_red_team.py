"""Red-team attacks (session of 3 December 2026) A1, A3 and A5, now defended.

Every test here reproduces one attack by a determined HR user, manager or committee member, doing only
the arithmetic the attacker can do on what Trivsel publishes, and asserts the *defended* outcome (it
failed while the attack worked). The other findings of the red team are residuals documented by the lead.
"""

from __future__ import annotations

from typing import Any

import pytest

from analysis.publish import PublishError, PublishPolicy, publish
from analysis.report import analyse
from analysis.settings import Settings
from tests.analysis.test_disclosure_attacks import _person
from tests.analysis.test_report import Q, build

#: the settings the web application analyses with (survey.services.reporting.analysis_settings): exposure
#: counts protected across the tree and within a row; the CLI's contract report keeps contract 2.3's counts
WEB = Settings(protect_exposure_cells=True)


def test_the_web_analyses_with_protected_exposure_cells(app: Any) -> None:
    from survey.services.reporting import analysis_settings

    with app.app_context():
        assert analysis_settings().protect_exposure_cells is True
    assert Settings().protect_exposure_cells is False  # the contract report
    assert "protect_exposure_cells" not in Settings().to_dict()


def _published(units: list[tuple[str, str, str]], rows: list[dict[str, Any]], audience: str = "hr"
               ) -> dict[str, Any]:
    uf, rf = build(units, rows)
    return publish(analyse(uf, rf, Q, "2025", settings=WEB), PublishPolicy(audience=audience))


def _small(value: Any) -> bool:
    """What the "<3" convention promises an attacker can never learn: a count of exactly 1 or 2."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2


# ------------------------------------------------------------------ attack 1: "<3" undone by subtraction


def test_defence_exposure_count_below_3_is_not_derived_by_parent_minus_child() -> None:
    """Parent P (13 own respondents) and child C (12): both exposure rows are published (n >= 10, residual
    13 >= 10). C shows "exposed 3", P shows "exposed 4": P minus C = exactly 1 person exposed to bullying
    among P's own 13 staff — the count the "<3" convention exists to hide. Defence: the residual rule
    with 3 runs per count field over the tree (analysis.report._exposure_cells)."""
    units = [("P", "", "30"), ("C", "P", "15")]
    rows = [_person("C", bullying=0) for _ in range(9)]
    rows += [_person("C", bullying=2, source="colleague", handled="no", told="no_one") for _ in range(3)]
    rows += [_person("P", bullying=0) for _ in range(12)]
    rows.append(_person("P", bullying=3, source="manager", handled="no", told="no_one"))  # the victim
    pub = _published(units, rows)
    expo = {e["unit_id"]: e for e in pub["exposures"] if e["kind"] == "bullying"}
    assert set(expo) == {"P", "C"}, "both rows are published: the attack needs nothing hidden"
    derived = {}
    for field in ("exposed", "internal", "told_no_one"):
        p, c = expo["P"][field], expo["C"][field]
        if isinstance(p, int) and isinstance(c, int):
            derived[field] = p - c
    # defended outcome: no count of 1-2 can be obtained from published counts
    assert not any(_small(v) for v in derived.values()), (
        f"P minus C gives P's own staff: {derived} (1 person exposed, internal, told no one)")


# ------------------------------------------------------------------ attack 3: "<3" undone inside one row


def test_defence_internal_below_3_is_not_exposed_minus_external_in_the_same_row() -> None:
    """One unit of 12, bullying: 3 persons exposed by citizens, 1 by a colleague. The row shows
    exposed 4, external 3, internal "<3". Every exposed person names one source, internal or external,
    so internal = exposed - external = 1: one named-by-colleagues victim in a team of 12. Defence: when one
    of internal / external is "<3" or hidden, the other is hidden too."""
    units = [("R", "", "15")]
    rows = [_person("R", bullying=0) for _ in range(8)]
    rows += [_person("R", bullying=2, source="citizen", handled="yes", told="hr") for _ in range(3)]
    rows.append(_person("R", bullying=3, source="colleague", handled="no", told="no_one"))  # the victim
    row = next(e for e in _published(units, rows)["exposures"] if e["kind"] == "bullying")
    assert row["internal"] == "<3"
    assert row["exposed"] == 4, row  # the row itself is shown
    # defended outcome: the hidden cell cannot be recomputed from its row
    if isinstance(row["external"], int):
        assert not _small(row["exposed"] - row["external"]), (
            f"exposed {row['exposed']} - external {row['external']} = internal "
            f"{row['exposed'] - row['external']}")
    assert row["external"] is None and row["external_share"] is None, row


# ------------------------------------------------------------------ attack 5: pooled evidence vs kind rows


def test_defence_pooled_funding_evidence_minus_kind_rows_isolates_nobody() -> None:
    """Unit R, 12 respondents, all answer bullying and threats. Bullying by colleagues: persons 0, 1, 2;
    threats by colleagues: persons 2, 3, 4. The exposure rows show internal 3 and 3 (no "<3" anywhere);
    the funding evidence pools the kinds per person: "internal exposure: 5 of 12 respondents".
    Inclusion-exclusion: 3 + 3 - 5 = 1 person in R was both bullied and threatened by colleagues — a count
    of 1 on the committee's page (/udvalg, decision memo) and the follow-up reasons. Defence: the evidence
    states the criterion met ("at least 2 of 12"), never the pooled count."""
    units = [("R", "", "15")]

    def evidence(threatened_ids: tuple[int, ...]) -> tuple[dict[str, Any], list[str]]:
        rows = []
        for i in range(12):
            bullied, threatened = i in (0, 1, 2), i in threatened_ids
            rows.append(_person("R", bullying=2 if bullied else 0, source="colleague" if bullied else "",
                                handled="no" if bullied else "", told="hr" if bullied else "",
                                threats=2 if threatened else 0,
                                threats_source="colleague" if threatened else ""))
        pub = _published(units, rows, audience="committee")
        internal = {e["kind"]: e["internal"] for e in pub["exposures"] if e["unit_id"] == "R"}
        funding = next(f for f in pub["funding"] if f["unit_id"] == "R")
        return internal, funding["evidence"]

    internal, overlap_one = evidence((2, 3, 4))  # person 2 both bullied and threatened: union 5
    assert internal == {"bullying": 3, "threats": 3}, internal
    pooled = [e for e in overlap_one if e.startswith("internal exposure: ")]
    assert pooled, overlap_one
    # the criterion: at least exposure_count (2) and 10 % of 12 respondents (1.2) -> at least 2
    assert pooled == ["internal exposure: at least 2 of 12 respondents"], pooled
    # defended outcome: the published numbers do not differ between 1 and 0 persons exposed to both kinds
    internal_0, overlap_none = evidence((3, 4, 5))  # disjoint: union 6
    assert internal_0 == internal
    assert overlap_none == overlap_one, (overlap_none, overlap_one)
    assert not any("5 of" in e or "6 of" in e for e in overlap_one + overlap_none)


# ------------------------------------------------------------------ the publication step's re-check


def _report(units: list[tuple[str, str, str]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    uf, rf = build(units, rows)
    return analyse(uf, rf, Q, "2025", settings=WEB).to_dict()


def test_publish_refuses_an_exposure_count_whose_tree_residual_is_below_3() -> None:
    """A1 re-checked from the rows alone: an engine that wrote P's and C's counts 4 and 3 is refused."""
    units = [("P", "", "30"), ("C", "P", "15")]
    rows = [_person("C", bullying=0) for _ in range(9)]
    rows += [_person("C", bullying=2, source="colleague", handled="no", told="no_one") for _ in range(3)]
    rows += [_person("P", bullying=0) for _ in range(13)]
    data = _report(units, rows)
    publish(data)  # the engine's own rows pass
    expo = {e["unit_id"]: e for e in data["exposures"] if e["kind"] == "bullying"}
    assert expo["P"]["exposed"] == 3 and expo["C"]["exposed"] == 3
    expo["P"]["exposed"] = 4  # what the engine published before the fix (P's own victim)
    with pytest.raises(PublishError, match=r"'bullying' exposed: unit 'P' minus its descendants .* leaves 1"):
        publish(data)


def test_publish_refuses_a_row_that_shows_external_next_to_a_hidden_internal() -> None:
    """A3 re-checked from the rows alone: internal "<3" next to external 3 is refused."""
    units = [("R", "", "15")]
    rows = [_person("R", bullying=0) for _ in range(8)]
    rows += [_person("R", bullying=2, source="citizen", handled="yes", told="hr") for _ in range(4)]
    data = _report(units, rows)
    row = next(e for e in data["exposures"] if e["kind"] == "bullying")
    assert row["internal"] == 0 and row["external"] == 4
    publish(data)
    row["internal"] = "<3"
    with pytest.raises(PublishError, match=r"shows external = 4 next to a hidden internal"):
        publish(data)
