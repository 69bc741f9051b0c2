"""Attacks on the published numbers, performed as a determined HR user or manager would (contract 5.1,
5.2, 5.4; issue 10). Each test does the arithmetic the attacker would do on the report JSON alone and
fails when its rule is removed."""

from __future__ import annotations

from typing import Any

from analysis.report import analyse
from analysis.settings import Settings
from tests.analysis.test_report import Q, build


def _person(unit: str, *, bullying: Any = "", source: str = "", handled: str = "", told: str = "",
            wave: str = "2025", threats: Any = "", threats_source: str = "", **items: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"wave": wave, "unit_id": unit, "BQ": bullying, "BS": source, "BH": handled,
                           "BT": told, "TQ": threats, "TS": threats_source}
    if threats_source:
        row["TH"] = "no"
    row.update(items)
    return row


def _frontier_residuals(report: dict[str, Any], rows: list[dict[str, Any]], key: tuple[str, str]
                        ) -> list[tuple[str, int]]:
    """For every published row (one per unit for this ``key`` of the rows, e.g. an exposure kind), the
    attacker's "unit minus its nearest published descendants" on ``n``: (unit, residual)."""
    parent = {u["unit_id"]: u["parent_id"] for u in report["units"]}
    children: dict[str, list[str]] = {}
    for u, p in parent.items():
        if p is not None:
            children.setdefault(p, []).append(u)
    n = {r["unit_id"]: r["n"] for r in rows if r[key[0]] == key[1]}
    out = []
    for v, nv in n.items():
        frontier, stack = [], list(children.get(v, []))
        while stack:
            c = stack.pop()
            if c in n:
                frontier.append(c)
            else:
                stack.extend(children.get(c, []))
        out.append((v, nv - sum(n[c] for c in frontier)))
    return out


# ------------------------------------------------------------------ 5.1 exposure rows count who answered


def test_issue10_unit_of_20_with_11_answering_minus_child_of_10_leaves_no_one():
    """Issue 10, attack 3: a unit of 20 respondents of whom 11 answered the bullying question, minus its
    child with 10 (all answered), left one person's "exposed, internal, told no one"."""
    units = [("P", "", "25"), ("C", "P", "12")]
    rows = [_person("C", bullying=0) for _ in range(8)] + [
        _person("C", bullying=1, source="citizen", handled="yes", told="hr") for _ in range(2)]
    rows += [_person("P") for _ in range(9)]  # skipped the exposure section
    rows.append(_person("P", bullying=3, source="colleague", handled="no", told="no_one"))  # the victim
    uf, rf = build(units, rows)
    report = analyse(uf, rf, Q, "2025").to_dict()
    assert all(u["published"] for u in report["units"])  # 20 and 10 respondents: both units are shown
    bullying = [e for e in report["exposures"] if e["kind"] == "bullying"]
    assert bullying, "the unit of 11 answers must still get its row"
    # the attack: P's row minus C's row
    residuals = _frontier_residuals(report, report["exposures"], ("kind", "bullying"))
    assert all(r == 0 or r >= 10 for _, r in residuals), residuals
    rows_by_unit = {e["unit_id"]: e for e in bullying}
    assert not ("P" in rows_by_unit and "C" in rows_by_unit)
    assert rows_by_unit["P"]["n"] == 11  # n counts who answered the question, not the unit's respondents


def test_exposure_row_needs_its_own_n_of_answers():
    # 12 respondents, 9 answered threats: the threats row is hidden, the bullying row (12) shown
    units = [("R", "", "")]
    rows = [_person("R", bullying=0, threats=0 if i < 9 else "") for i in range(12)]
    uf, rf = build(units, rows)
    report = analyse(uf, rf, Q, "2025").to_dict()
    assert {(e["kind"], e["n"]) for e in report["exposures"]} == {("bullying", 12)}
    assert report["units"][0]["exposure_published"] is True


def test_funding_c2_is_false_when_a_kind_someone_answered_is_hidden():
    """C2/C3 pool over kinds; a pooled count that includes a hidden kind's answers would publish what the
    hidden row protects. 12 respondents: bullying answered by all (2 internal: 17 %), threats by 9 only
    (its row hidden) — C2 may not be judged. With threats answered by all 12 it is true."""
    def report_for(threats_answers: int) -> dict[str, Any]:
        rows = [_person("R", bullying=2 if i < 2 else 0, source="colleague" if i < 2 else "",
                        threats=0 if i < threats_answers else "") for i in range(12)]
        uf, rf = build([("R", "", "")], rows)
        return analyse(uf, rf, Q, "2025").to_dict()

    shown = report_for(12)["funding"][0]
    assert shown["internal"] is True and shown["points"] == Settings().points["internal"]
    hidden = report_for(9)
    assert {e["kind"] for e in hidden["exposures"]} == {"bullying"}
    assert hidden["funding"][0]["internal"] is False
    assert hidden["funding"][0]["points"] == 0
