"""Hierarchical complementary suppression (statistics.md D; contract.md 2.2 and 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.suppression import PRIMARY, SECONDARY, Tree, describe, residuals, suppress


def tree_of(edges: list[tuple[str, str | None]]) -> Tree:
    return Tree.from_units(pd.DataFrame({
        "unit_id": [u for u, _ in edges],
        "parent_id": [p for _, p in edges],
        "name": [u for u, _ in edges],
        "headcount": pd.array([None] * len(edges), dtype="Int64"),
    }))


def subtree_counts(tree: Tree, direct: dict[str, int]) -> np.ndarray:
    d = np.array([direct.get(u, 0) for u in tree.ids], dtype=float)
    return np.rint(tree.rollup(d)).astype(np.int64)


def by_id(tree: Tree, values: np.ndarray) -> dict[str, object]:
    return {u: v.item() if hasattr(v, "item") else v for u, v in zip(tree.ids, values, strict=True)}


def test_statistics_md_example_department_with_two_direct_and_teams_6_7_8():
    # statistics.md D: d = 2, teams of 6, 7 and 8 (n = 23). R = 2, so the 6-team is suppressed;
    # then R = 8 ≥ 5 and the department, the 7-team and the 8-team are published.
    t = tree_of([("D", None), ("T6", "D"), ("T7", "D"), ("T8", "D")])
    n = subtree_counts(t, {"D": 2, "T6": 6, "T7": 7, "T8": 8})
    assert n.tolist() == [23, 6, 7, 8]
    p = suppress(t, n, 5, 5)
    assert by_id(t, p.published) == {"D": True, "T6": False, "T7": True, "T8": True}
    assert by_id(t, p.reason)["T6"] == SECONDARY
    assert describe(p, t, n, 5)[1] == "secondary: protects the residual of D"


def test_primary_suppression_and_reason_text():
    t = tree_of([("R", None), ("A", "R"), ("B", "R")])
    n = subtree_counts(t, {"A": 3, "B": 20})
    p = suppress(t, n, 5, 5)
    # A primary (3 < 5); R − B = 3 would reveal A, so B (the only frontier unit) goes too
    assert by_id(t, p.reason) == {"R": 0, "A": PRIMARY, "B": SECONDARY}
    assert describe(p, t, n, 5)[1] == "primary: 3 respondents < 5"
    assert bool(p.published[0])


def test_frontier_recurses_through_suppressed_units():
    # G published, v suppressed (by the starting pattern), w published, v's child a published, b hidden:
    # F(G) = {w, a}, so R(G) = 30 − 15 − 12 = 3 and a must go (b = G − w − a otherwise).
    t = tree_of([("G", None), ("v", "G"), ("w", "G"), ("a", "v"), ("b", "v")])
    n = subtree_counts(t, {"w": 15, "a": 12, "b": 3})
    start = np.array([True, False, True, True, True])
    assert by_id(t, residuals(t, n, start & (n != 3)))["G"] == 3
    p = suppress(t, n, 5, 5, start)
    assert by_id(t, p.published) == {"G": True, "v": False, "w": True, "a": False, "b": False}
    assert by_id(t, p.reason) == {"G": 0, "v": 0, "w": 0, "a": SECONDARY, "b": PRIMARY}


def test_units_with_zero_respondents_are_published_and_never_chosen():
    # x has 0 respondents: published, and not chosen although it is the "smallest" frontier unit
    t = tree_of([("G", None), ("x", "G"), ("y", "G")])
    n = subtree_counts(t, {"G": 2, "y": 6})
    p = suppress(t, n, 5, 5)
    assert by_id(t, p.published) == {"G": True, "x": True, "y": False}


def test_ties_by_code_point_unit_id():
    # two frontier units of 6: code-point order puts "B" (66) before "a" (97) and "1100" before "1101"
    t = tree_of([("G", None), ("a", "G"), ("B", "G")])
    p = suppress(t, subtree_counts(t, {"G": 1, "a": 6, "B": 6}), 5, 5)
    assert by_id(t, p.published) == {"G": True, "a": True, "B": False}
    t2 = tree_of([("G", None), ("1101", "G"), ("1100", "G")])
    p2 = suppress(t2, subtree_counts(t2, {"G": 1, "1100": 6, "1101": 6}), 5, 5)
    assert by_id(t2, p2.published) == {"G": True, "1101": True, "1100": False}


def test_unit_suppresses_itself_when_no_frontier_is_left_then_parent_rechecked():
    # k_min 3, k_diff 5: leaf v (4) has R = 4 and no frontier, so v itself goes; then R(r) = 14 − 10 = 4,
    # so w goes too; r keeps its 14.
    t = tree_of([("r", None), ("v", "r"), ("w", "r")])
    n = subtree_counts(t, {"v": 4, "w": 10})
    p = suppress(t, n, 3, 5)
    assert by_id(t, p.published) == {"r": True, "v": False, "w": False}
    assert by_id(t, p.reason) == {"r": 0, "v": SECONDARY, "w": SECONDARY}
    assert describe(p, t, n, 3)[1].startswith("secondary: its own residual")


def test_deepest_first_multi_level():
    # two levels: D1 (direct 1) over teams 5 and 9; root over D1 (15) and D2 (5).
    # Deepest first: D1's residual 1 → T5 suppressed; then root: R = 20 − 15 − 5 = 0, fine.
    t = tree_of([("root", None), ("D1", "root"), ("D2", "root"), ("T5", "D1"), ("T9", "D1")])
    n = subtree_counts(t, {"D1": 1, "T5": 5, "T9": 9, "D2": 5})
    p = suppress(t, n, 5, 5)
    assert by_id(t, p.published) == {"root": True, "D1": True, "D2": True, "T5": False, "T9": True}
    resid = residuals(t, n, p.published)
    assert all(r == 0 or r >= 5 for r, pub in zip(resid, p.published, strict=True) if pub)


def test_example_tree_unit_and_exposure_patterns():
    # tests/data/example README: FVE (3) primary, FSY (6) secondary; exposure pattern (10/10) suppresses
    # FNO (9) and ANL (8) as primary and HAL (12) to protect IDR.
    edges = [("KUF", None), ("BIB", "KUF"), ("HOVB", "BIB"), ("FIL", "BIB"), ("FNO", "FIL"), ("FSY", "FIL"),
             ("FVE", "FIL"), ("MUS", "KUF"), ("KUM", "MUS"), ("HIM", "MUS"), ("IDR", "KUF"), ("SVH", "IDR"),
             ("HAL", "IDR"), ("ANL", "IDR")]
    t = tree_of(edges)
    n = subtree_counts(t, {"BIB": 11, "HOVB": 26, "FNO": 9, "FSY": 6, "FVE": 3, "KUM": 16, "HIM": 13,
                           "SVH": 25, "HAL": 12, "ANL": 8})
    unit = suppress(t, n, 5, 5)
    assert [u for u, pub in zip(t.ids, unit.published, strict=True) if not pub] == ["FSY", "FVE"]
    expo = suppress(t, n, 10, 10, unit.published)
    assert [u for u, pub in zip(t.ids, expo.published, strict=True) if not pub] == [
        "FNO", "FSY", "FVE", "HAL", "ANL"]


def test_joint_pattern_is_a_fixed_point_of_every_row_and_hides_a_unit_for_all_rows():
    from analysis.suppression import joint_pattern

    # root R over A (6) and B (7) and C; C's second count is 3 (primary), which then forces A out too
    t = tree_of([("R", None), ("A", "R"), ("B", "R"), ("C", "R")])
    first = subtree_counts(t, {"A": 6, "B": 7, "C": 6})
    second = subtree_counts(t, {"A": 6, "B": 7, "C": 3})
    start = np.ones(t.size, dtype=bool)
    alone = suppress(t, first, 5, 5, start).published
    assert all(alone)  # the first count alone hides nothing
    joint = joint_pattern(t, [first, second], 5, 5, start)
    assert by_id(t, joint) == {"R": True, "A": False, "B": True, "C": False}
    for counts in (first, second):  # a fixed point: no count's residual is left in 1 .. k_diff - 1
        resid = residuals(t, counts, joint)
        assert all(r == 0 or r >= 5 for r, pub in zip(resid, joint, strict=True) if pub)
        assert np.array_equal(suppress(t, counts, 5, 5, joint).published, joint)
    # units the start pattern hides stay hidden
    start[t.ids.index("B")] = False
    assert not by_id(t, joint_pattern(t, [first], 5, 5, start))["B"]
