"""Attacks on the published numbers, performed as a determined HR user or manager would (contract 5.1,
5.2, 5.4; issue 10). Each test does the arithmetic the attacker would do on the report JSON alone and
fails when its rule is removed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ------------------------------------------------------------------ 5.2 no hidden score is derivable


def _b(unit: str, b1: Any, b2: Any) -> dict[str, Any]:
    return {"wave": "2025", "unit_id": unit, "B1": b1, "B2": b2, "BQ": "", "TQ": ""}


# R has three teams; in C only 3 of 6 answered B2 ("don't know"), so C's B2 row is hidden (3 < 5) and, to
# protect it, A's B2 row too (R − A − B on B2 would be C's 3). Everyone in A and B answered B1 and B2.
THEME_UNITS = [("R", "", ""), ("A", "R", ""), ("B", "R", ""), ("C", "R", "")]
THEME_ROWS = (
    [_b("A", 3 + k % 4, 1 + k % 7) for k in range(6)]
    + [_b("B", 2 + k % 5, 4 + k % 3) for k in range(7)]
    + [_b("C", 5, [7, 1, 6][k]) for k in range(3)] + [_b("C", 4 + k % 2, 9) for k in range(3)]
)
C_B2_TRUTH = 7 + 1 + 6  # what the attacker is after: the B2 answers of C's three


def _sum(rows: dict[tuple[str, str], dict[str, Any]], unit: str, key: str) -> float | None:
    row = rows.get((unit, key))
    return None if row is None else row["mean"] * row["n"]


def _attack_theme_minus_items(rows: dict[tuple[str, str], dict[str, Any]]) -> float | None:
    """B2 of A from A's theme (J = 2 items, everyone answered both): 2 × ΣT − ΣB1; then C = R − A − B."""
    parts = [_sum(rows, "A", "B"), _sum(rows, "A", "B1"), _sum(rows, "R", "B2"), _sum(rows, "B", "B2")]
    if any(p is None for p in parts):
        return None
    theme_a, b1_a, b2_r, b2_b = parts
    return b2_r - b2_b - (2 * theme_a - b1_a)  # type: ignore[operator]


def _attack_theme_from_parent_and_siblings(rows: dict[tuple[str, str], dict[str, Any]]) -> float | None:
    """A's theme from R − B − C (when A's own theme row is hidden), then as above."""
    parts = [_sum(rows, "R", "B"), _sum(rows, "B", "B"), _sum(rows, "C", "B"), _sum(rows, "A", "B1"),
             _sum(rows, "R", "B2"), _sum(rows, "B", "B2")]
    if any(p is None for p in parts):
        return None
    theme_r, theme_b, theme_c, b1_a, b2_r, b2_b = parts
    theme_a = theme_r - theme_b - theme_c  # type: ignore[operator]
    return b2_r - b2_b - (2 * theme_a - b1_a)  # type: ignore[operator]


def test_hidden_item_is_not_recomputed_from_theme_and_other_items():
    """Issue 10, attack 4: an item hidden only to protect a neighbour (A's B2, protecting C's 3) was
    recomputed from A's theme mean and its other item, then subtracted from the parent."""
    uf, rf = build(THEME_UNITS, THEME_ROWS)
    report = analyse(uf, rf, Q, "2025").to_dict()
    rows = {(s["unit_id"], s["id"]): s for s in report["scores"]}
    assert ("C", "B2") not in rows and ("A", "B2") not in rows  # the row rule hides both
    assert ("R", "B2") in rows and ("B", "B2") in rows and rows[("R", "B2")]["n"] == 16
    assert _attack_theme_minus_items(rows) is None
    assert _attack_theme_from_parent_and_siblings(rows) is None
    # the rule: A's theme row and its other items go with the hidden item (one pattern per theme)
    assert not {("A", "B"), ("A", "B1"), ("C", "B"), ("C", "B1")} & set(rows)
    assert {("R", "B"), ("R", "B1"), ("B", "B"), ("B", "B1")} <= set(rows)


def test_the_attacks_are_real_on_the_full_rows():
    """The same arithmetic on every row (nothing hidden) gives C's three B2 answers exactly: the attack
    functions above do compute the hidden value when the rows are there."""
    uf, rf = build(THEME_UNITS, THEME_ROWS)
    report = analyse(uf, rf, Q, "2025", settings=Settings(k_min=1, k_diff=1)).to_dict()
    rows = {(s["unit_id"], s["id"]): s for s in report["scores"]}
    assert _attack_theme_minus_items(rows) == pytest.approx(C_B2_TRUTH)
    assert _attack_theme_from_parent_and_siblings(rows) == pytest.approx(C_B2_TRUTH)


# ------------------------------------------------------------------ property: every linear combination


def _classes(report_units: list[dict[str, Any]], rows: list[dict[str, Any]], key) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for r in rows:
        k = (r["unit_id"], *key(r))
        out[k] = out.get(k, 0) + 1
    return out


def _smallest_isolated_group(functionals: list[dict[tuple, float]], sizes: dict[tuple, int], limit: int
                             ) -> int | None:
    """The smallest group of respondents (fewer than ``limit``) whose answers some linear combination of
    the published sums gives on its own, or None. Variables are (class, column): respondents of one
    class (same unit, same answered columns) are alike to every published number, so a combination
    isolates whole classes. For every set S of classes with fewer than ``limit`` people:
    dim(row space ∩ span(variables of S)) = rank(A) + |V_S| − rank([A; E_S]) > 0 means S is isolated."""
    variables = sorted({v for f in functionals for v in f})
    if not variables or not functionals:
        return None
    index = {v: j for j, v in enumerate(variables)}
    a = np.zeros((len(functionals), len(variables)))
    for i, f in enumerate(functionals):
        for v, c in f.items():
            a[i, index[v]] = c
    rank_a = np.linalg.matrix_rank(a)
    classes = sorted({v[0] for v in variables})
    by_class = {c: [index[v] for v in variables if v[0] == c] for c in classes}
    best: int | None = None

    def visit(start: int, chosen: list[tuple], total: int) -> None:
        nonlocal best
        if chosen:
            cols = [j for c in chosen for j in by_class[c]]
            e = np.zeros((len(cols), len(variables)))
            e[np.arange(len(cols)), cols] = 1.0
            if rank_a + len(cols) - np.linalg.matrix_rank(np.vstack([a, e])) > 0:
                best = total if best is None else min(best, total)
                return
        for j in range(start, len(classes)):
            c = classes[j]
            if total + sizes[c] < limit:
                visit(j + 1, [*chosen, c], total + sizes[c])

    visit(0, [], 0)
    return best


def _members(units: list[tuple[str, str, str]]):
    """``under(v)``: the unit ``v`` and every unit below it in the tree of ``units``."""
    parent = {u: p or None for u, p, _ in units}

    def under(v: str) -> set[str]:
        out = {v}
        changed = True
        while changed:
            changed = False
            for u, p in parent.items():
                if p in out and u not in out:
                    out.add(u)
                    changed = True
        return out

    return under


@st.composite
def _surveys(draw):
    n_units = draw(st.integers(2, 6))
    units = [("U0", "", "")] + [(f"U{i}", f"U{draw(st.integers(0, i - 1))}", "") for i in range(1, n_units)]
    rows: list[dict[str, Any]] = []
    for u, _, _ in units:
        for _ in range(draw(st.integers(0, 12))):
            r: dict[str, Any] = {"wave": "2025", "unit_id": u}
            if draw(st.booleans()) or draw(st.booleans()):  # theme A answered in full, or not at all
                r.update({i: draw(st.integers(1, 7)) for i in ("A1", "A2", "A3")})
            if draw(st.booleans()):
                r.update({i: draw(st.integers(1, 7)) for i in ("B1", "B2")})
            if draw(st.integers(0, 3)) > 0:
                r["BQ"] = draw(st.integers(0, 2))
            rows.append(r)
    if not rows:
        rows.append({"wave": "2025", "unit_id": "U0"})
    return units, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_surveys())
def test_no_published_combination_isolates_a_small_group(survey):
    """Random trees and answer patterns (each theme answered in full or not at all, so that theme sums
    are linear in item sums; the exposure question by three in four): no linear combination of the
    published sums (n × mean of every theme and item row; the exposure counts of every row) gives the
    answers of fewer than ``k_min`` people (scores) or ``n_min_exposure`` people (exposure rows)."""
    units, rows = survey
    uf, rf = build(units, rows)
    report = analyse(uf, rf, Q, "2025").to_dict()
    under = _members(units)

    themes = {"A": ("A1", "A2", "A3"), "B": ("B1", "B2")}
    score_classes = _classes(report["units"], rows, lambda r: tuple(t for t in themes if themes[t][0] in r))
    functionals: list[dict[tuple, float]] = []
    for s in report["scores"]:
        members = under(s["unit_id"])
        f: dict[tuple, float] = {}
        for c in score_classes:
            if c[0] not in members:
                continue
            if s["kind"] == "item" and s["theme"] in c[1:]:
                f[(c, s["id"])] = 1.0
            elif s["kind"] == "theme" and s["id"] in c[1:]:
                for i in themes[s["id"]]:
                    f[(c, i)] = 1.0 / len(themes[s["id"]])
        functionals.append(f)
    assert _smallest_isolated_group(functionals, score_classes, 5) is None

    expo_classes = _classes(report["units"], rows, lambda r: ("BQ" in r,))
    expo = [{(c, "exposed"): 1.0 for c in expo_classes if c[1] and c[0] in under(e["unit_id"])}
            for e in report["exposures"] if e["kind"] == "bullying"]
    assert _smallest_isolated_group(expo, expo_classes, 10) is None


# ------------------------------------------------------------------ 5.4 a changed tree never re-publishes


TREE_2025 = [("R", "", ""),
             ("P1", "R", ""), ("H", "P1", ""), ("X", "P1", ""), ("P2", "R", ""), ("Y", "P2", "")]
TREE_2026 = [("R", "", ""),
             ("P1", "R", ""), ("X", "P1", ""), ("P2", "R", ""), ("H", "P2", ""), ("Y", "P2", "")]


def _moved_rows() -> list[dict[str, Any]]:
    rows = []
    for wave in ("2025", "2026"):
        rows += [_b("X", 4 + k % 3, 5) | {"wave": wave} for k in range(8)]
        rows += [_b("Y", 3 + k % 4, 4) | {"wave": wave} for k in range(9)]
    rows += [_b("H", b1, 2) | {"wave": "2025"} for b1 in (1, 1, 2)]  # the three people to protect
    rows += [_b("H", 6, 6) | {"wave": "2026"} for _ in range(3)]
    return rows


H_B1_2025 = 1 + 1 + 2


def _frames(tree):
    uf, rf = build(tree, _moved_rows())
    return uf, rf


def _attack_old_report_minus_new_baseline(report_2025: dict[str, Any], report_2026: dict[str, Any]
                                          ) -> float | None:
    """P1's B1 sum as published in 2025 (H and X under it) minus P1's baseline in the 2026 report (today's
    tree: X only) = the B1 answers of H's three."""
    old = {(s["unit_id"], s["id"]): s for s in report_2025["scores"]}.get(("P1", "B1"))
    new = {(s["unit_id"], s["id"]): s for s in report_2026["scores"]}.get(("P1", "B1"))
    if old is None or new is None or new["change"] is None or new["change"]["baseline_mean"] is None:
        return None
    return old["n"] * old["mean"] - new["change"]["baseline_n"] * new["change"]["baseline_mean"]


def test_moving_a_hidden_unit_does_not_publish_it_through_the_change_rows():
    """Issue 10, attack 2: H (3 people) was hidden under P1 in 2025; in 2026 H belongs to P2. The 2025
    report plus the 2026 change rows gave H's 2025 answers."""
    uf25, rf = _frames(TREE_2025)
    report_2025 = analyse(uf25, rf, Q, "2025").to_dict()
    published = {u["unit_id"]: u["published"] for u in report_2025["units"]}
    assert published["H"] is False and published["P1"] is True
    uf26, rf26 = _frames(TREE_2026)
    report_2026 = analyse(uf26, rf26, Q, "2026", "2025", baseline_units=uf25).to_dict()
    assert _attack_old_report_minus_new_baseline(report_2025, report_2026) is None
    rows = {(s["unit_id"], s["id"]): s for s in report_2026["scores"]}
    for unit in ("P1", "P2"):  # both lost or gained H: their leaf sets changed
        change = rows[(unit, "B1")]["change"]
        assert change["class"] == "not_comparable"
        assert all(v is None for k, v in change.items() if k != "class")
    units = {u["unit_id"]: u for u in report_2026["units"]}
    assert units["P1"]["baseline"]["comparable"] is False and units["P2"]["baseline"]["comparable"] is False
    # units whose set of units with respondents is unchanged keep their change rows
    assert units["R"]["baseline"]["comparable"] is True and units["Y"]["baseline"]["comparable"] is True
    assert rows[("R", "B1")]["change"]["class"] not in (None, "not_comparable")
    assert rows[("X", "B1")]["change"] is None  # X was hidden in 2025 (it protected H)
    assert rows[("R", "B1")]["change"]["baseline_n"] == 20  # the whole organisation, 2025, as published
    assert rows[("R", "B1")]["change"]["baseline_mean"] == pytest.approx(
        {(s["unit_id"], s["id"]): s for s in report_2025["scores"]}[("R", "B1")]["mean"])


def test_the_tree_change_attack_is_real_without_the_baseline_tree():
    """Without --baseline-units (both waves on today's tree) the same subtraction gives H's answers."""
    uf25, rf = _frames(TREE_2025)
    report_2025 = analyse(uf25, rf, Q, "2025").to_dict()
    uf26, rf26 = _frames(TREE_2026)
    report_2026 = analyse(uf26, rf26, Q, "2026", "2025").to_dict()
    assert _attack_old_report_minus_new_baseline(report_2025, report_2026) == pytest.approx(H_B1_2025)
    assert all(u["baseline"]["comparable"] for u in report_2026["units"])


def test_baseline_responses_must_name_units_of_the_baseline_tree():
    uf26, rf26 = _frames(TREE_2026)
    small = [u for u in TREE_2025 if u[0] != "H"]
    uf_small, _ = build(small, [])
    with pytest.raises(ValueError, match="baseline wave '2025' against the baseline tree.*'H'"):
        analyse(uf26, rf26, Q, "2026", "2025", baseline_units=uf_small)


@st.composite
def _moves(draw):
    n_units = draw(st.integers(3, 7))
    parents = [""] + [f"U{draw(st.integers(0, i - 1))}" for i in range(1, n_units)]
    moved = draw(st.integers(1, n_units - 1))
    # the new parent: any unit that is not the moved unit or below it
    below = {moved}
    for i in range(1, n_units):
        if int(parents[i][1:]) in below:
            below.add(i)
    new_parent = draw(st.sampled_from([i for i in range(n_units) if i not in below]))
    old = [(f"U{i}", parents[i], "") for i in range(n_units)]
    new = [(u, f"U{new_parent}" if i == moved else p, h) for i, (u, p, h) in enumerate(old)]
    rows = []
    for wave in ("2025", "2026"):
        for u, _, _ in old:
            for _ in range(draw(st.integers(0, 9))):
                rows.append({"wave": wave, "unit_id": u, "B1": draw(st.integers(1, 7)),
                             "B2": draw(st.integers(1, 7))})
    if not any(r["wave"] == "2025" for r in rows):
        rows.append({"wave": "2025", "unit_id": "U0", "B1": 4, "B2": 4})
    if not any(r["wave"] == "2026" for r in rows):
        rows.append({"wave": "2026", "unit_id": "U0", "B1": 4, "B2": 4})
    return old, new, rows


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_moves())
def test_change_rows_after_a_move_only_repeat_what_the_baseline_published(case):
    """Random trees with one unit moved between the waves: every baseline number in the new report's
    change rows is a number of the baseline's own report (same unit, same row, same n and mean), and the
    baseline respondents behind it are the same in both trees — so "old report − new baseline" is 0."""
    old, new, rows = case
    uf_old, rf = build(old, rows)
    uf_new, _ = build(new, rows)
    baseline_report = analyse(uf_old, rf, Q, "2025").to_dict()
    report = analyse(uf_new, rf, Q, "2026", "2025", baseline_units=uf_old).to_dict()
    published = {(s["unit_id"], s["id"]): s for s in baseline_report["scores"]}

    def subtree(tree, v):
        out = {v}
        for _ in tree:
            out |= {u for u, p, _ in tree if p in out}
        return out

    base_units = {r["unit_id"] for r in rows if r["wave"] == "2025"}
    for s in report["scores"]:
        ch = s["change"]
        if ch is None or ch["baseline_mean"] is None:
            continue
        old_row = published[(s["unit_id"], s["id"])]
        assert (ch["baseline_n"], ch["baseline_mean"]) == (old_row["n"], pytest.approx(old_row["mean"]))
        assert subtree(old, s["unit_id"]) & base_units == subtree(new, s["unit_id"]) & base_units


# ------------------------------------------------------------------ version minus version (re-publication)


@st.composite
def _late_answers(draw):
    units, rows = draw(_surveys())
    late: list[dict[str, Any]] = []
    for u, _, _ in units:
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4, 6]))):
            r: dict[str, Any] = {"wave": "2025", "unit_id": u, "late": True}
            if draw(st.booleans()):
                r.update({i: draw(st.integers(1, 7)) for i in ("A1", "A2", "A3")})
            if draw(st.booleans()):
                r.update({i: draw(st.integers(1, 7)) for i in ("B1", "B2")})
            if draw(st.booleans()):
                r["BQ"] = draw(st.integers(0, 2))
            late.append(r)
    return units, rows, late


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_late_answers())
def test_no_combination_of_two_published_versions_isolates_a_small_group(case):
    """Issue 10 item 5, "report version − version": a wave is published (version 1), late answers reach
    some units, and it is published again through the version rule (``publish(..., earlier=[v1])``).
    Every linear combination of the published sums of *both* versions together (n × mean of every theme
    and item row, the exposure counts) is tried: none gives the answers of fewer than ``k_min`` people
    (scores) or ``n_min_exposure`` people (exposure rows). Late and first answerers are told apart."""
    from analysis.publish import publish

    units, rows, late = case
    under = _members(units)

    def strip(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "late"} for r in rs]

    v1 = publish(analyse(*build(units, strip(rows)), Q, "2025").to_dict())
    v2 = publish(analyse(*build(units, strip(rows + late)), Q, "2025").to_dict(), earlier=[v1])
    themes = {"A": ("A1", "A2", "A3"), "B": ("B1", "B2")}
    everyone = rows + late
    score_classes = _classes([], everyone, lambda r: (bool(r.get("late")),
                                                      *(t for t in themes if themes[t][0] in r)))
    functionals: list[dict[tuple, float]] = []
    for version, with_late in ((v1, False), (v2, True)):
        for s in version["scores"]:
            members = under(s["unit_id"])
            f: dict[tuple, float] = {}
            for c in score_classes:
                if c[0] not in members or (c[1] and not with_late):
                    continue
                if s["kind"] == "item" and s["theme"] in c[2:]:
                    f[(c, s["id"])] = 1.0
                elif s["kind"] == "theme" and s["id"] in c[2:]:
                    for i in themes[s["id"]]:
                        f[(c, i)] = 1.0 / len(themes[s["id"]])
            if f:
                functionals.append(f)
    assert _smallest_isolated_group(functionals, score_classes, 5) is None

    expo_classes = _classes([], everyone, lambda r: (bool(r.get("late")), "BQ" in r))
    expo: list[dict[tuple, float]] = []
    for version, with_late in ((v1, False), (v2, True)):
        for e in version["exposures"]:
            if e["kind"] != "bullying":
                continue
            f = {(c, "exposed"): 1.0 for c in expo_classes
                 if c[2] and c[0] in under(e["unit_id"]) and (with_late or not c[1])}
            if f:
                expo.append(f)
    assert _smallest_isolated_group(expo, expo_classes, 10) is None
