"""The version rule of the publication step (analysis/publish.py ``version_rule``; issue 10 item 2):
re-publishing a wave withholds every cell whose difference from an earlier version would reveal fewer
than ``k_diff`` people, also through "parent minus children". Hand-made report dicts, small numbers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from analysis.publish import PublishError, cell_keys, publish, version_rule

SETTINGS = {"k_min": 5, "k_diff": 5, "n_min_exposure": 10, "points": {"red": 3, "orange": 2, "yellow": 1,
                                                                      "internal": 2, "external_unresolved": 1,
                                                                      "polarised": 1}}
TREE = {"R": None, "A": "R", "B": "R"}


def report(n: dict[str, int], item_n: dict[str, int] | None = None,
           exposure: dict[str, tuple[int, int]] | None = None, tree: dict[str, str | None] | None = None
           ) -> dict[str, Any]:
    """A report dict: unit respondents ``n``, theme T (n = respondents) with item T1 (``item_n``, default
    the same), exposure kind "bully" per unit (n, exposed), a funding row per unit."""
    tree = tree or TREE
    item_n = item_n or n
    units = [{"unit_id": u, "parent_id": p, "name": u, "headcount": 40, "published": True,
              "respondents": n[u],
              "response_rate": None, "suppressed": None} for u, p in tree.items()]
    scores: list[dict[str, Any]] = []
    for u in tree:
        scores.append({"unit_id": u, "kind": "theme", "id": "T", "n": n[u], "mean": 5.0, "change": None})
        scores.append({"unit_id": u, "kind": "item", "id": "T1", "theme": "T", "n": item_n[u], "mean": 5.0,
                       "change": None})
    exposures = [{"unit_id": u, "kind": "bully", "n": en, "exposed": ex, "share": ex / en, "internal": None,
                  "external": None, "external_unresolved": None, "told_no_one": None}
                 for u, (en, ex) in (exposure or {}).items()]
    funding = [{"unit_id": u, "low_score": None, "internal": False, "external_unresolved": False,
                "polarised": False, "points": 0, "eligible": False, "evidence": [f"v{n[u]}"]} for u in tree]
    return {"settings": dict(SETTINGS), "units": units, "scores": scores, "exposures": exposures,
            "funding": funding}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Every "new minus old" an attacker can form from two versions: per row key, a cell published in
    both, and a unit minus its nearest descendants published in both (unit, key, difference)."""
    def rows(rep: dict[str, Any]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for u in rep["units"]:
            if u["published"]:
                out.setdefault("respondents", {})[u["unit_id"]] = u["respondents"]
        for s in rep["scores"]:
            out.setdefault(f"{s['kind']}:{s['id']}", {})[s["unit_id"]] = s["n"]
        for e in rep["exposures"]:
            out.setdefault(f"exposure:{e['kind']}", {})[e["unit_id"]] = e["n"]
            if isinstance(e.get("exposed"), int):
                out.setdefault(f"exposed:{e['kind']}", {})[e["unit_id"]] = e["exposed"]
        return out

    parent = {u["unit_id"]: u["parent_id"] for u in new["units"]}
    a, b = rows(old), rows(new)
    found: list[tuple[str, str, int]] = []
    for key in a.keys() & b.keys():
        both = a[key].keys() & b[key].keys()
        d = {u: b[key][u] - a[key][u] for u in both}
        for v in both:
            below = [u for u in both if u != v and _under(parent, u, v)
                     and not any(w != u and _under(parent, u, w) and _under(parent, w, v) for w in both)]
            found.append((v, key, d[v] - sum(d[u] for u in below)))
    return found


def _under(parent: dict[str, Any], u: str, v: str) -> bool:
    while parent.get(u) is not None:
        u = parent[u]
        if u == v:
            return True
    return False


def smallest_group(old: dict[str, Any], new: dict[str, Any]) -> int | None:
    """The smallest non-zero |difference| (None when every difference is 0)."""
    small = [abs(d) for _v, key, d in differences(old, new) if d != 0]
    return min(small) if small else None


def test_a_late_import_of_three_into_one_unit_withholds_that_unit_and_its_ancestors():
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = report({"R": 23, "A": 13, "B": 10})
    assert smallest_group(v1, v2) == 3  # the attack without the rule: v2 − v1 is 3 people
    out = publish(v2, earlier=[v1])
    assert {c for c in cell_keys(out) if c[1] in ("R", "A")} == set()
    assert ("unit", "B") in cell_keys(out) and ("score", "B", "theme", "T") in cell_keys(out)
    assert smallest_group(v1, out) is None
    assert out["publication"]["version_rule"] == {"against": 1, "withheld": 6}
    a = next(u for u in out["units"] if u["unit_id"] == "A")
    assert a["respondents"] is None and a["suppressed"] == "secondary"
    assert "re-publication" in a["suppressed_reason"]["en"]


def test_a_difference_hidden_in_one_unit_is_not_recovered_from_parent_minus_the_other_child():
    # 3 into A, 5 into B: A's 3 is withheld, and R's +8 minus B's +5 would give it back, so B goes too
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = report({"R": 28, "A": 13, "B": 15})
    out = copy.deepcopy(v2)
    version_rule(out, [v1], 5, 10)
    published = {u["unit_id"] for u in out["units"] if u["published"]}
    assert published == {"R"}
    assert smallest_group(v1, out) == 8


def test_an_import_of_k_diff_or_more_publishes_normally():
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = report({"R": 25, "A": 15, "B": 10})
    out = publish(v2, earlier=[v1])
    assert cell_keys(out) == cell_keys(v2)
    assert out["publication"]["version_rule"]["withheld"] == 0
    assert smallest_group(v1, out) == 5


def test_every_earlier_version_counts():
    # v2 added 5 to A (published); v3 adds 2 more: against v1 that is 7, against v2 only 2
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = report({"R": 25, "A": 15, "B": 10})
    v3 = report({"R": 27, "A": 17, "B": 10})
    out = publish(v3, earlier=[v1, v2])
    assert {u["unit_id"] for u in out["units"] if u["published"]} == {"B"}
    assert smallest_group(v2, out) is None and smallest_group(v1, out) is None
    only_first = publish(v3, earlier=[v1])
    assert {u["unit_id"] for u in only_first["units"] if u["published"]} == {"R", "A", "B"}


def test_a_cell_withheld_in_the_latest_version_is_still_checked_against_the_first():
    # v2 withheld A (+3) and R; v3 adds 5 to B: against v2 only B changed (by 5), but v3 − v1 on A is 3
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = publish(report({"R": 23, "A": 13, "B": 10}), earlier=[v1])
    v3 = publish(report({"R": 28, "A": 13, "B": 15}), earlier=[v1, v2])
    assert "A" not in {u["unit_id"] for u in v3["units"] if u["published"]}
    assert smallest_group(v1, v3) in (None, 5, 8) and smallest_group(v2, v3) in (None, 5)


def test_a_theme_and_its_items_are_withheld_together():
    # the new respondents skipped T1: T1's n is unchanged in A, but T's changed by 3, so T1 goes with T
    v1 = report({"R": 40, "A": 20, "B": 20}, item_n={"R": 38, "A": 19, "B": 19})
    v2 = report({"R": 40, "A": 20, "B": 20}, item_n={"R": 38, "A": 19, "B": 19})
    for s in v2["scores"]:
        if s["unit_id"] in ("A", "R") and s["kind"] == "theme":
            s["n"] += 3
    out = publish(v2, earlier=[v1])
    assert {(s["unit_id"], s["id"]) for s in out["scores"]} == {("B", "T"), ("B", "T1")}


def test_exposure_rows_use_n_min_exposure_and_a_count_change_of_one_or_two():
    v1 = report({"R": 40, "A": 20, "B": 20}, exposure={"R": (40, 6), "A": (20, 3), "B": (20, 3)})
    # 10 more answers in A (passes n_min_exposure), one of them exposed: A's and R's exposed +1
    v2 = report({"R": 50, "A": 30, "B": 20}, exposure={"R": (50, 7), "A": (30, 4), "B": (20, 3)})
    out = publish(v2, earlier=[v1])
    assert {e["unit_id"] for e in out["exposures"]} == {"B"}
    assert {u["unit_id"] for u in out["units"] if u["published"]} == {"R", "A", "B"}
    # 7 more answers (below n_min_exposure 10): the row is withheld whatever the counts
    v3 = report({"R": 47, "A": 27, "B": 20}, exposure={"R": (47, 6), "A": (27, 3), "B": (20, 3)})
    assert {e["unit_id"] for e in publish(v3, earlier=[v1])["exposures"]} == {"B"}


def test_a_unit_with_withheld_cells_keeps_the_earlier_funding_row():
    v1 = report({"R": 20, "A": 10, "B": 10})
    v2 = report({"R": 23, "A": 13, "B": 10})
    v2["units"][1]["respondents"] = 13
    out = copy.deepcopy(v2)
    version_rule(out, [v1], 5, 10)
    assert {f["unit_id"]: f["evidence"] for f in out["funding"]} == {"B": ["v10"]}
    # R and A are hidden: no funding row; a unit that keeps its count but loses a row keeps v1's row
    v2b = report({"R": 20, "A": 10, "B": 10})
    for s in v2b["scores"]:
        if s["unit_id"] == "A":
            s["n"] += 2
        if s["unit_id"] == "R":
            s["n"] += 2
    v2b["funding"][1]["evidence"] = ["new"]
    out = copy.deepcopy(v2b)
    version_rule(out, [v1], 5, 10)
    assert {f["unit_id"]: f["evidence"] for f in out["funding"]} == {"R": ["v20"], "A": ["v10"], "B": ["v10"]}


def test_an_earlier_version_on_another_tree_is_refused():
    v1 = report({"R": 20, "A": 10, "B": 10})
    moved = report({"R": 20, "A": 10, "B": 10}, tree={"R": None, "A": "R", "B": "A"})
    with pytest.raises(PublishError, match="earlier version 1 was published with another unit tree"):
        publish(moved, earlier=[v1])


def test_without_earlier_versions_nothing_is_withheld():
    v2 = report({"R": 23, "A": 13, "B": 10})
    out = publish(v2)
    assert "version_rule" not in out["publication"] and cell_keys(out) == cell_keys(v2)


def test_the_web_policy_empties_the_counts_of_hidden_groups():
    """``hidden_counts=False`` (the web's policy; was ``reporting.redact``): a hidden unit keeps no
    respondent count, a too_few change no baseline_n, no technical reason quoting a count."""
    from analysis.publish import PublishPolicy

    data = report({"R": 20, "A": 10, "B": 10})
    data["units"].append({"unit_id": "C", "parent_id": "R", "published": False, "respondents": 0,
                          "response_rate": 0.0, "suppressed": "primary",
                          "suppressed_reason": "primary: 0 respondents < 5",
                          "baseline": {"published": False, "respondents": 3}})
    data["scores"][0]["change"] = {"class": "too_few", "baseline_n": 3}
    contract = publish(data)
    assert contract["units"][-1]["respondents"] == 0 and contract["scores"][0]["change"]["baseline_n"] == 3
    web = publish(data, PublishPolicy(hidden_counts=False))
    c = web["units"][-1]
    assert c["respondents"] is None and c["response_rate"] is None and "suppressed_reason" not in c
    assert c["baseline"]["respondents"] is None and web["scores"][0]["change"]["baseline_n"] is None
