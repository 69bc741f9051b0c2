"""The report engine on small hand-made inputs, checked against direct per-respondent computations,
scipy/statsmodels, and hand calculations (contract.md 2.2 and 4)."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis import csvio
from analysis.inputs import response_columns, responses_frame, units_frame
from analysis.report import analyse
from analysis.settings import Settings
from questionnaires import from_dict


def _item(i: str, reverse: bool = False) -> dict[str, Any]:
    return {"id": i, "text": {"en": i}, "scale": "s7", "reverse": reverse}


def _part(i: str) -> dict[str, Any]:
    return {"id": i, "text": {"en": i}}


QDEF: dict[str, Any] = {
    "id": "t", "version": 2, "title": {"en": "Test"},
    "scales": {"s7": {"min": 1, "max": 7, "dont_know": 9}},
    "themes": [
        {"id": "A", "title": {"en": "A"}, "items": [_item("A1"), _item("A2", reverse=True), _item("A3")]},
        {"id": "B", "title": {"en": "B"}, "items": [_item("B1"), _item("B2")]},
    ],
    "exposures": [
        {"kind": "bullying", "question": _part("BQ"), "source": _part("BS"), "handled": _part("BH"),
         "told": _part("BT")},
        {"kind": "threats", "question": _part("TQ"), "source": _part("TS"), "handled": _part("TH")},
    ],
}
Q = from_dict(QDEF, "t.yaml")
ITEMS = ["A1", "A2", "A3", "B1", "B2"]


def build(units: list[tuple[str, str, str]], rows: list[dict[str, Any]], q=Q):
    ut = csvio.Table("units.csv", ("unit_id", "parent_id", "name", "headcount"),
                     tuple((i + 2, (u, p, u, h)) for i, (u, p, h) in enumerate(units)))
    uf = units_frame("units.csv", ut)
    cols = response_columns(q)
    rt = csvio.Table("responses.csv", cols,
                     tuple((i + 2, tuple(str(r.get(c, "")) for c in cols)) for i, r in enumerate(rows)))
    return uf, responses_frame("responses.csv", rt, q, {u for u, _, _ in units})


def by_key(report) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["unit_id"], s["id"]): s for s in report.scores}


# ------------------------------------------------------------------ independent per-respondent computation


def theme_score(row: dict[str, Any], items: list[str], reverse: set[str], need: int) -> float | None:
    vals = []
    for i in items:
        v = row.get(i, "")
        if v in ("", "NA", 9):
            continue
        vals.append(8 - v if i in reverse else v)
    return sum(vals) / len(vals) if len(vals) >= need else None


def values_of(rows, units_in, key: str) -> list[float]:
    out = []
    for r in rows:
        if r["unit_id"] not in units_in:
            continue
        if key == "A":
            v = theme_score(r, ["A1", "A2", "A3"], {"A2"}, 2)
        elif key == "B":
            v = theme_score(r, ["B1", "B2"], set(), 1)
        else:
            raw = r.get(key, "")
            v = None if raw in ("", "NA", 9) else (8 - raw if key == "A2" else raw)
        if v is not None:
            out.append(float(v))
    return out


UNITS = [("R", "", "10"), ("D1", "R", "5"), ("T1", "D1", "12"), ("T2", "D1", ""), ("D2", "R", "0"),
         ("T3", "D2", "20")]
SUBTREE = {"R": {"R", "D1", "T1", "T2", "D2", "T3"}, "D1": {"D1", "T1", "T2"}, "T1": {"T1"}, "T2": {"T2"},
           "D2": {"D2", "T3"}, "T3": {"T3"}}


def random_rows(rng, wave: str, sizes: dict[str, int], shift: int = 0) -> list[dict[str, Any]]:
    rows = []
    for unit, size in sizes.items():
        for _ in range(size):
            r: dict[str, Any] = {"wave": wave, "unit_id": unit}
            for i in ITEMS:
                u = rng.random()
                r[i] = "" if u < 0.08 else 9 if u < 0.12 else int(np.clip(rng.integers(1, 8) + shift, 1, 7))
            rows.append(r)
    return rows


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    rows = random_rows(rng, "2025", {"R": 3, "D1": 4, "T1": 11, "T2": 9, "D2": 2, "T3": 16}, shift=1)
    rows.append({"wave": "2025", "unit_id": "T3"})  # a respondent without any answer
    base = random_rows(rng, "2023", {"R": 2, "D1": 3, "T1": 12, "T2": 8, "D2": 3, "T3": 15})
    units, responses = build(UNITS, rows + base)
    return rows, base, analyse(units, responses, Q, "2025", "2023")


def test_rows_match_direct_computation_on_subtree_respondents(data):
    rows, _, report = data
    scores = by_key(report)
    assert ("R", "A") in scores and ("R", "B1") in scores
    checked = 0
    for (unit, key), s in scores.items():
        vals = np.array(values_of(rows, SUBTREE[unit], key))
        assert s["n"] == len(vals)
        assert s["mean"] == pytest.approx(vals.mean(), rel=1e-12)
        assert s["sd"] == pytest.approx(vals.std(ddof=1), rel=1e-9)
        lo, hi = sps.t.interval(0.95, len(vals) - 1, loc=vals.mean(), scale=sps.sem(vals))
        assert s["ci"] == pytest.approx([lo, hi], rel=1e-9)
        rounded = np.floor(vals + 0.5)  # round half up
        if len(vals) >= 10:
            assert s["unfavourable_share"] == pytest.approx((rounded <= 3).mean())
            low, high = (rounded <= 2).mean(), (rounded >= 6).mean()
            assert s["polarisation"]["bp"] == pytest.approx(min(low, high))
        else:
            assert s["unfavourable_share"] is None and s["polarisation"] is None
        if len(vals) >= 20:
            assert s["distribution"] == pytest.approx([(rounded == k).mean() for k in range(1, 8)])
        else:
            assert s["distribution"] is None
        checked += 1
    assert checked >= 20


def test_units_rollup_headcount_and_response_rate(data):
    _, _, report = data
    units = {u["unit_id"]: u for u in report.units}
    assert units["R"]["respondents"] == 3 + 4 + 11 + 9 + 2 + 17  # the empty row counts as a respondent
    assert units["D1"]["respondents"] == 24 and units["T3"]["respondents"] == 17
    assert units["R"]["headcount"] is None  # T2's headcount is unknown
    assert units["D1"]["headcount"] is None and units["T2"]["response_rate"] is None
    assert units["D2"]["headcount"] == 20 and units["D2"]["response_rate"] == pytest.approx(19 / 20)
    assert units["T1"]["depth"] == 2 and units["T1"]["parent_id"] == "D1"
    # deepest first: D1 (4 direct over T1 11, T2 9): R = 4, T2 goes; D2 (2 direct over T3 17): R = 2,
    # T3 goes; then R (3 direct over D1 24, D2 19): R = 3, the smaller D2 goes.
    assert {u: x["suppressed"] for u, x in units.items()} == {
        "R": None, "D1": None, "T1": None, "T2": "secondary", "D2": "secondary", "T3": "secondary"}
    assert units["T3"]["suppressed_reason"] == "secondary: protects the residual of D2"
    assert units["D2"]["suppressed_reason"] == "secondary: protects the residual of R"
    assert {s["unit_id"] for s in report.scores} == {"R", "D1", "T1"}


def test_change_is_welch_on_theme_scores_with_bh_families(data):
    rows, base, report = data
    families: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for (unit, key), s in by_key(report).items():
        ch = s["change"]
        assert ch is not None
        if ch["class"] in ("too_few", "not_testable"):
            continue
        x2 = np.array(values_of(rows, SUBTREE[unit], key))
        x1 = np.array(values_of(base, SUBTREE[unit], key))
        ref = sps.ttest_ind(x2, x1, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert ch["baseline_n"] == len(x1) and ch["baseline_mean"] == pytest.approx(x1.mean())
        assert ch["delta"] == pytest.approx(x2.mean() - x1.mean())
        assert ch["p"] == pytest.approx(ref.pvalue, rel=1e-8)
        assert ch["ci"] == pytest.approx([ci.low, ci.high], rel=1e-8)
        se = math.sqrt(x1.var(ddof=1) / len(x1) + x2.var(ddof=1) / len(x2))
        assert ch["critical_difference"] == pytest.approx(sps.t.ppf(0.975, ref.df) * se, rel=1e-8)
        assert ch["meaningful"] == (abs(ch["delta"]) >= 0.2)
        families.setdefault((unit, s["kind"]), []).append((ch["p"], ch["q"]))
        lo90, hi90 = ref.confidence_interval(0.90)
        if ch["q"] < 0.05:
            expected = "significant_improvement" if ch["delta"] > 0 else "significant_decline"
        elif lo90 > -0.2 and hi90 < 0.2:
            expected = "stable"
        elif abs(ch["delta"]) >= 0.2:
            expected = "inconclusive_change"
        else:
            expected = "no_significant_change"
        assert ch["class"] == expected
    # contract 5.6: one BH family per unit and kind (a unit's theme changes; its item changes)
    for family in families.values():
        p = np.array([x[0] for x in family])
        assert [x[1] for x in family] == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert sum(len(f) for (_, kind), f in families.items() if kind == "theme") >= 4
    assert sum(len(f) for (_, kind), f in families.items() if kind == "item") >= 10
    assert any(len(f) >= 2 for f in families.values())


def test_change_too_few_zero_baseline_and_unpublished_baseline():
    units = [("R", "", ""), ("X", "R", ""), ("Y", "R", ""), ("Z", "R", "")]
    cur = [{"wave": "2", "unit_id": u, "A1": 5, "A2": 3, "A3": 4, "B1": 4, "B2": 6}
           for u in ["X"] * 6 + ["Y"] * 6 + ["Z"] * 6]
    # baseline: X has 6 but only 4 answered B1 (2 don't know); Y has none; Z has 3 (primary)
    old = [{"wave": "1", "unit_id": "X", "A1": 4, "A2": 4, "A3": 4, "B1": 9 if k < 2 else 3, "B2": 5}
           for k in range(6)] + [{"wave": "1", "unit_id": "Z", "A1": 3, "B1": 2} for _ in range(3)] \
        + [{"wave": "1", "unit_id": "R", "A1": 2} for _ in range(5)]
    uf, rf = build(units, cur + old)
    rep = by_key(analyse(uf, rf, Q, "2", "1"))
    # X B1: baseline row n 4 < 5 -> too_few, baseline_n written, everything else null
    assert rep[("X", "B1")]["change"] == {"baseline_n": 4, "baseline_mean": None, "delta": None, "ci": None,
                                          "p": None, "q": None, "class": "too_few", "meaningful": None,
                                          "critical_difference": None}
    # Y has 0 respondents in the baseline only: published there, too_few with baseline_n 0
    assert rep[("Y", "A")]["change"]["class"] == "too_few" and rep[("Y", "A")]["change"]["baseline_n"] == 0
    # Z is suppressed (primary, 3) in the baseline: no change at all
    assert rep[("Z", "A")]["change"] is None
    # X A2: all answer 3 now (reversed 5) and 4 before (reversed 4): both sd 0 -> not_testable with delta +1
    ch = rep[("X", "A2")]["change"]
    assert ch["class"] == "not_testable" and ch["delta"] == 1.0 and ch["meaningful"] is True
    assert ch["ci"] is None and ch["p"] is None and ch["q"] is None and ch["critical_difference"] is None
    assert rep[("X", "A2")]["sd"] == 0.0 and rep[("X", "A2")]["mean"] == 5.0


def test_n_equal_one_with_k_min_one():
    units = [("R", "", ""), ("S", "R", "")]
    rows = [{"wave": "2", "unit_id": "S", "A1": 6}, {"wave": "1", "unit_id": "S", "A1": 2},
            {"wave": "1", "unit_id": "S", "A1": 3}]
    uf, rf = build(units, rows)
    rep = by_key(analyse(uf, rf, Q, "2", "1", Settings(k_min=1, k_diff=1)))
    row = rep[("S", "A1")]
    assert row["n"] == 1 and row["sd"] is None and row["ci"] is None
    assert row["change"]["class"] == "not_testable" and row["change"]["delta"] == pytest.approx(6 - 2.5)
    # theme A with one valid item of three is below ceil(0.5 × 3) = 2 answers: no theme score
    assert ("S", "A") not in rep


def test_theme_min_item_share_is_exact():
    q = from_dict({**QDEF, "themes": [{"id": "W", "title": {"en": "W"},
                                       "items": [_item(f"W{i}") for i in range(10)]}], "exposures": []})
    rows = [{"wave": "1", "unit_id": "R", **{f"W{i}": 5 for i in range(7)}} for _ in range(5)]
    rows.append({"wave": "1", "unit_id": "R", **{f"W{i}": 1 for i in range(6)}})
    uf, rf = build([("R", "", "")], rows, q)
    rep = by_key(analyse(uf, rf, q, "1", settings=Settings(theme_min_item_share=0.7)))
    # ceil(0.7 × 10) = 7: the five with 7 answers get a score, the one with 6 does not
    assert rep[("R", "W")]["n"] == 5 and rep[("R", "W")]["mean"] == 5.0


def test_flags_mean_rule_unfavourable_rule_and_certainty():
    units = [("R", "", ""), ("P", "R", ""), ("Q", "R", ""), ("S", "R", "")]
    rows = []
    # P: A1 all 3 or 4 -> mean 3.5, sd 0.51, ci upper < 4.0 -> red, certain
    rows += [{"wave": "1", "unit_id": "P", "A1": 3 + k % 2} for k in range(20)]
    # Q: A1 = 4 answers of 1 and 9 of 6 (n 13): mean (4 + 54)/13 = 4.46 -> orange by the mean rule;
    # unfavourable 4/13 = 0.31 -> orange; ci upper ≥ 4.6 -> not certain
    rows += [{"wave": "1", "unit_id": "Q", "A1": 1} for _ in range(4)]
    rows += [{"wave": "1", "unit_id": "Q", "A1": 6} for _ in range(9)]
    # S: A1 = 3 answers of 2, 7 of 6 (n 10): mean 4.8 -> yellow by the mean rule, but 3/10 = 0.30
    # at 1-3 -> orange by the unfavourable rule; the worse wins
    rows += [{"wave": "1", "unit_id": "S", "A1": 2} for _ in range(3)]
    rows += [{"wave": "1", "unit_id": "S", "A1": 6} for _ in range(7)]
    uf, rf = build(units, rows)
    rep = by_key(analyse(uf, rf, Q, "1"))
    p, q, s = rep[("P", "A1")], rep[("Q", "A1")], rep[("S", "A1")]
    assert p["flag"] == "red" and p["flag_certain"] is True and p["change"] is None
    assert q["mean"] == pytest.approx(58 / 13) and q["flag"] == "orange" and q["flag_certain"] is False
    assert s["mean"] == pytest.approx(4.8) and s["unfavourable_share"] == pytest.approx(0.3)
    assert s["flag"] == "orange" and s["flag_certain"] is False  # ci upper vs 4.6, the orange threshold
    # S: bp = min(3/10, 7/10) = 0.3 -> strong
    assert s["polarisation"]["bp"] == pytest.approx(0.3) and s["polarisation"]["level"] == "strong"
    # R pools all 43: mean (70 + 58 + 48)/43 = 4.09 -> orange; 17/43 = 0.395 at 1-3 -> orange
    r = rep[("R", "A1")]
    assert r["mean"] == pytest.approx(176 / 43) and r["unfavourable_share"] == pytest.approx(17 / 43)
    assert r["flag"] == "orange"
    funding = {f["unit_id"]: f for f in analyse(uf, rf, Q, "1").funding}
    # items never drive C1 or C4 (theme rows only); theme A has too few answers (1 of 3 items) here
    assert funding["S"]["low_score"] is None and funding["S"]["polarised"] is False
    assert funding["S"]["points"] == 0 and funding["S"]["eligible"] is False


def test_exposures_small_counts_and_pooled_funding():
    units = [("R", "", ""), ("U", "R", "")]
    base = {"wave": "1", "unit_id": "U", "A1": 5, "A2": 3, "A3": 5, "B1": 5, "B2": 5, "BQ": 0, "TQ": 0}
    rows = [dict(base) for _ in range(20)]
    # bullying: two exposed from a colleague (one told no one); one from a citizen, handled "no"
    rows[0].update(BQ=1, BS="colleague", BH="yes", BT="no_one")
    rows[1].update(BQ=3, BS="colleague;manager", BH="partly", BT="hr")
    rows[2].update(BQ=2, BS="citizen", BH="no")
    # threats: one from a manager (another person), one from a citizen handled partly (same person as row 2)
    rows[3].update(TQ=1, TS="manager", TH="yes")
    rows[2].update(TQ=4, TS="citizen", TH="partly")
    rows[4].update(BQ="", TQ="")  # answered no exposure question
    uf, rf = build(units, rows)
    rep = analyse(uf, rf, Q, "1")
    ex = {(e["unit_id"], e["kind"]): e for e in rep.exposures}
    b = ex[("U", "bullying")]
    # n 19 answered; exposed 3; internal 2 -> "<3"; external 1 -> "<3"; unresolved external 1 -> "<3";
    # told_no_one 1 -> "<3" with a null share
    assert b["n"] == 19 and b["exposed"] == 3 and b["share"] == pytest.approx(3 / 19)
    assert b["internal"] == "<3" and b["internal_share"] is None
    assert b["external"] == "<3" and b["external_unresolved"] == "<3"
    assert b["told_no_one"] == "<3" and b["told_no_one_share"] is None
    t = ex[("U", "threats")]
    assert t["exposed"] == "<3" and t["share"] is None and t["told_no_one"] == 0
    assert t["told_no_one_share"] is None  # its denominator (exposed) is written "<3"
    f = {x["unit_id"]: x for x in rep.funding}["U"]
    # C2 pooled over kinds: rows 0, 1 (bullying) and 3 (threats) = 3 of 19 ≥ 2 and ≥ 0.10 -> true
    # C3 pooled: row 2 only (bullying citizen/no and threats citizen/partly) = 1 -> false
    assert f["internal"] is True and f["external_unresolved"] is False
    assert f["points"] == 3 and f["eligible"] is True
    # unit R has the same 20 respondents: published, and its exposure rows exist too
    assert ("R", "bullying") in ex


def test_zero_respondent_unit_has_funding_row_but_no_scores():
    units = [("R", "", "3"), ("E", "R", "4"), ("F", "R", "")]
    rows = [{"wave": "1", "unit_id": "F", "A1": 5} for _ in range(6)]
    uf, rf = build(units, rows)
    rep = analyse(uf, rf, Q, "1")
    u = {x["unit_id"]: x for x in rep.units}["E"]
    assert u["published"] is True and u["suppressed"] is None and u["respondents"] == 0
    assert u["response_rate"] == 0.0
    assert not [s for s in rep.scores if s["unit_id"] == "E"]
    assert {x["unit_id"]: x for x in rep.funding}["E"] == {
        "unit_id": "E", "low_score": None, "internal": False, "external_unresolved": False,
        "polarised": False, "points": 0, "eligible": False, "evidence": []}


def test_row_rule_hides_item_of_a_sibling():
    # P has 9 with some "don't know" on B1 in its siblings: R − P on B1 would show 4 people
    units = [("R", "", ""), ("P", "R", ""), ("S1", "R", ""), ("S2", "R", "")]
    rows = [{"wave": "1", "unit_id": "P", "B1": 5, "B2": 5} for _ in range(9)]
    rows += [{"wave": "1", "unit_id": "S1", "B1": 9 if k < 3 else 4, "B2": 5} for k in range(6)]
    rows += [{"wave": "1", "unit_id": "S2", "B1": 9 if k < 3 else 4, "B2": 5} for k in range(6)]
    uf, rf = build(units, rows)
    rep = by_key(analyse(uf, rf, Q, "1"))
    # S1 and S2 have B1 n = 3 (primary); since contract 5.2 their theme B and its other item B2 go with it
    # (one pattern per theme). R's B1 n = 15, frontier {P} gives R − P = 6 ≥ 5: fine.
    assert not {("S1", "B1"), ("S1", "B2"), ("S1", "B"), ("S2", "B1"), ("S2", "B2"), ("S2", "B")} & set(rep)
    assert rep[("R", "B1")]["n"] == 15 and ("P", "B1") in rep and ("P", "B") in rep
    # now with only S1: R = 15 respondents; B1: R 12, P 9, S1 3 -> R − P = 3 < 5 -> P's B1 row goes, and
    # with it P's theme B and B2 (else 2 × theme − B2 of P would give P's B1 sum back)
    uf2, rf2 = build(units[:3], rows[:15])
    rep2 = by_key(analyse(uf2, rf2, Q, "1"))
    assert not {("P", "B1"), ("P", "B2"), ("P", "B")} & set(rep2) and rep2[("R", "B1")]["n"] == 12


def test_analyse_rejects_unknown_or_equal_waves(data):
    units, responses = build(UNITS, [{"wave": "1", "unit_id": "R"}])
    with pytest.raises(ValueError, match="no responses for wave '2'"):
        analyse(units, responses, Q, "2")
    with pytest.raises(ValueError, match="no responses for the baseline"):
        analyse(units, responses, Q, "1", "0")
    with pytest.raises(ValueError, match="another wave"):
        analyse(units, responses, Q, "1", "1")


def test_report_dict_shape_and_json(data):
    _, _, report = data
    d = report.to_dict()
    assert d["schema"] == "trivsel-report/1" and d["questionnaire"] == {"id": "t", "version": 2}
    assert d["wave"] == "2025" and d["baseline"] == "2023" and d["settings"] == Settings().to_dict()
    import json
    assert json.loads(report.to_json()) == json.loads(json.dumps(d, allow_nan=False))


def test_analysis_does_not_import_flask():
    code = "import sys, analysis, analysis.report, analysis.analyse_cmd; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_questionnaire_without_exposures_and_units_without_headcount():
    q = from_dict({k: v for k, v in QDEF.items() if k != "exposures"})
    units, responses = build([("R", "", ""), ("S", "R", "")],
                             [{"wave": "1", "unit_id": "S", "A1": 4, "A2": 4, "A3": 4} for _ in range(12)], q)
    rep = analyse(units.drop(columns=["headcount"]), responses, q, "1")
    assert rep.exposures == ()
    assert {f["unit_id"]: f["internal"] for f in rep.funding} == {"R": False, "S": False}
    assert all(u["headcount"] is None and u["response_rate"] is None for u in rep.units)
    # every answer 4 (A2 reversed: 8 − 4 = 4): theme A mean 4, sd exactly 0 -> orange by the mean rule
    # (4.0 is not < 4.0); ci [4, 4] lies below orange's 4.6 -> certain
    a = by_key(rep)[("S", "A")]
    assert a["mean"] == 4.0 and a["sd"] == 0.0 and a["ci"] == [4.0, 4.0]
    assert a["flag"] == "orange" and a["flag_certain"] is True
    assert a["polarisation"] == {"bp": 0.0, "agreement": 1.0, "level": "none"}


def test_theme_mean_on_a_threshold_is_exact_and_order_free():
    # theme A scores (3 items) with totals 9, 16, 3, 19, 10, 17, 18, 4: mean exactly 96/24 = 4.0.
    # Adding the floats 9/3, 16/3, ... in this order gives 31.999999999999996 (mean 3.9999999999999996,
    # which would flag red); the engine keeps whole-number sums per denominator and divides once.
    triples = [(3, 3, 3), (6, 5, 5), (1, 1, 1), (7, 6, 6), (4, 3, 3), (6, 6, 5), (6, 6, 6), (2, 1, 1)]
    naive = 0.0
    for t in triples:
        naive += sum(t) / 3
    assert naive / 8 != 4.0  # the hazard is real
    # A2 is reversed: write 8 − b so that its analysed value is b
    rows = [{"wave": "1", "unit_id": "S", "A1": a, "A2": 8 - b, "A3": c} for a, b, c in triples]
    for order in (rows, rows[::-1]):
        uf, rf = build([("R", "", ""), ("S", "R", "")], order)
        a = by_key(analyse(uf, rf, Q, "1"))[("S", "A")]
        assert a["mean"] == 4.0 and a["flag"] == "orange"


def test_theme_mean_equal_to_the_orange_threshold_is_not_orange():
    # a 5-item theme with totals 6, 35, 13, 35, 16, 33: mean 138/30 = 4.6 exactly (the orange threshold;
    # orange is "below") -> yellow. Adding the floats 6/5, 35/5, ... gives 4.599999999999999 (orange);
    # one division of the exact numerator gives 4.6.
    q = from_dict({**QDEF, "themes": [{"id": "F", "title": {"en": "F"},
                                       "items": [_item(f"F{i}") for i in range(5)]}], "exposures": []})
    answers = [(2, 1, 1, 1, 1), (7, 7, 7, 7, 7), (3, 3, 3, 2, 2), (7, 7, 7, 7, 7), (4, 3, 3, 3, 3),
               (7, 7, 7, 6, 6)]
    naive = 0.0
    for a in answers:
        naive += sum(a) / 5
    assert naive / 6 < 4.6  # the hazard is real
    rows = [{"wave": "1", "unit_id": "S", **{f"F{i}": a[i] for i in range(5)}} for a in answers]
    uf, rf = build([("R", "", ""), ("S", "R", "")], rows, q)
    f = by_key(analyse(uf, rf, q, "1"))[("S", "F")]
    assert f["mean"] == 4.6 and f["flag"] == "yellow"
