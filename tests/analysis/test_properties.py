"""Hypothesis properties of the report: independent of row order, nothing small is published, and no
residual derivable by subtraction along the tree (per unit, per score row, per exposure pattern) lies in
1..k_diff−1."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis import csvio
from analysis.inputs import response_columns, responses_frame, units_frame
from analysis.report import Report, analyse
from analysis.settings import Settings
from questionnaires import from_dict


def _text(i: str) -> dict[str, str]:
    return {"en": i}


Q = from_dict({
    "id": "p", "version": 1, "title": _text("P"),
    "scales": {"s7": {"min": 1, "max": 7, "dont_know": 9}},
    "themes": [
        {"id": "A", "title": _text("A"), "items": [
            {"id": "A1", "text": _text("a"), "scale": "s7"},
            {"id": "A2", "text": _text("a"), "scale": "s7", "reverse": True},
            {"id": "A3", "text": _text("a"), "scale": "s7"}]},
        {"id": "B", "title": _text("B"), "items": [{"id": "B1", "text": _text("b"), "scale": "s7"}]},
    ],
    "exposures": [{"kind": "bullying", "question": {"id": "BQ", "text": _text("q")},
                   "source": {"id": "BS", "text": _text("s")}, "handled": {"id": "BH", "text": _text("h")},
                   "told": {"id": "BT", "text": _text("t")}}],
}, "p.yaml")
ITEMS = ("A1", "A2", "A3", "B1")
SOURCES = ("", "colleague", "citizen", "manager;partner")


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    size = draw(st.integers(1, 9))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    names = draw(st.permutations([f"u{j}" for j in range(size)]))
    direct = [draw(st.integers(0, 9)) for _ in range(size)]
    direct_base = [draw(st.integers(0, 9)) for _ in range(size)]
    k_min = draw(st.integers(2, 6))
    k_diff = draw(st.integers(2, 7))
    return {"names": names, "parents": parents, "direct": direct, "direct_base": direct_base,
            "seed": draw(st.integers(0, 2**31)), "k_min": k_min, "k_diff": k_diff,
            "n_min_exposure": draw(st.integers(max(k_min, 3), 10))}


def make_rows(sc: dict[str, Any]) -> list[dict[str, str]]:
    rng = np.random.default_rng(sc["seed"])
    rows = []
    for wave, counts in (("2", sc["direct"]), ("1", sc["direct_base"])):
        for unit, count in zip(sc["names"], counts, strict=True):
            for _ in range(count):
                r = {"wave": wave, "unit_id": unit}
                for i in ITEMS:
                    u = rng.random()
                    r[i] = "" if u < 0.15 else "9" if u < 0.25 else str(rng.integers(1, 8))
                q = rng.integers(0, 5) if rng.random() < 0.9 else None
                r["BQ"] = "" if q is None else str(min(q, 1) * rng.integers(0, 5))
                if q:
                    r["BS"] = SOURCES[rng.integers(0, 4)]
                    r["BH"] = ("", "yes", "partly", "no")[rng.integers(0, 4)]
                    r["BT"] = ("", "no_one", "hr")[rng.integers(0, 3)]
                rows.append(r)
    return rows


def run(sc: dict[str, Any], rows: list[dict[str, str]]) -> Report:
    names, parents = sc["names"], sc["parents"]
    ut = csvio.Table("units.csv", ("unit_id", "parent_id", "name", "headcount"), tuple(
        (i + 2, (names[i], "" if p is None else names[p], names[i], "")) for i, p in enumerate(parents)))
    cols = response_columns(Q)
    rt = csvio.Table("responses.csv", cols,
                     tuple((i + 2, tuple(r.get(c, "") for c in cols)) for i, r in enumerate(rows)))
    s = Settings(k_min=sc["k_min"], k_diff=sc["k_diff"], n_min_exposure=sc["n_min_exposure"])
    return analyse(units_frame("units.csv", ut), responses_frame("responses.csv", rt, Q, set(names)), Q,
                   "2", "1" if sum(sc["direct_base"]) else None, s)


def residuals(sc: dict[str, Any], published: dict[str, int]) -> list[int]:
    """R(v) = n(v) − Σ n over v's nearest published descendants, for every published v, computed from
    the published numbers only (what an attacker can do)."""
    names, parents = sc["names"], sc["parents"]
    children: dict[str, list[str]] = {u: [] for u in names}
    for i, p in enumerate(parents):
        if p is not None:
            children[names[p]].append(names[i])
    out = []
    for v, n in published.items():
        stack, covered = list(children[v]), 0
        while stack:
            c = stack.pop()
            if c in published:
                covered += published[c]
            else:
                stack.extend(children[c])
        out.append(n - covered)
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b and type(a) is type(b)


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios())
# found once: a theme mean of exactly 4.0 summed in another order gave 3.9999999999999996 (red)
@example({"names": ["u0", "u1", "u2", "u3"], "parents": [None, 0, 0, 0], "direct": [0, 2, 8, 9],
          "direct_base": [0, 0, 0, 0], "seed": 0, "k_min": 2, "k_diff": 2, "n_min_exposure": 3})
def test_result_does_not_depend_on_row_order(sc):
    rows = make_rows(sc)
    if not any(r["wave"] == "2" for r in rows):
        return
    first = run(sc, rows).to_dict()
    shuffled = list(rows)
    np.random.default_rng(sc["seed"] + 1).shuffle(shuffled)
    second = run(sc, shuffled).to_dict()
    key = {"units": "unit_id", "funding": "unit_id"}
    for part in ("units", "funding"):
        assert same(sorted(first[part], key=lambda r: r[key[part]]),
                    sorted(second[part], key=lambda r: r[key[part]]))
    for part, k in (("scores", ("unit_id", "id")), ("exposures", ("unit_id", "kind"))):
        assert same(sorted(first[part], key=lambda r: tuple(r[x] for x in k)),
                    sorted(second[part], key=lambda r: tuple(r[x] for x in k)))


@PROPS
@given(scenarios())
def test_nothing_small_is_published_and_no_small_residual(sc):
    rows = make_rows(sc)
    if not any(r["wave"] == "2" for r in rows):
        return
    rep = run(sc, rows)
    k_min, k_diff = sc["k_min"], sc["k_diff"]
    # units
    pub_units = {u["unit_id"]: u["respondents"] for u in rep.units if u["published"]}
    assert all(n == 0 or n >= k_min for n in pub_units.values())
    assert all(r == 0 or r >= k_diff for r in residuals(sc, pub_units))
    # score rows: n >= k_min, only for published units, and per row no residual in 1..k_diff-1
    assert all(s["n"] >= k_min and s["unit_id"] in pub_units for s in rep.scores)
    for row_id in ("A", "B", *ITEMS):
        pub = {s["unit_id"]: s["n"] for s in rep.scores if s["id"] == row_id}
        assert all(r == 0 or r >= k_diff for r in residuals(sc, pub)), row_id
    # exposure rows (contract 5.1): per kind, their own pattern with k_min = k_diff = n_min_exposure on the
    # respondents who answered that kind's question (the row's n), only for published units
    k_exp = sc["n_min_exposure"]
    for kind in {e["kind"] for e in rep.exposures}:
        pub_exp = {e["unit_id"]: e["n"] for e in rep.exposures if e["kind"] == kind}
        assert all(u in pub_units for u in pub_exp)
        assert all(n >= k_exp for n in pub_exp.values())
        assert all(r == 0 or r >= k_exp for r in residuals(sc, pub_exp)), kind
    for e in rep.exposures:
        for k in ("exposed", "internal", "external", "external_unresolved", "told_no_one"):
            assert e[k] == "<3" or e[k] == 0 or e[k] >= 3
    # funding rows for every published unit, none for suppressed ones
    assert {f["unit_id"] for f in rep.funding} == set(pub_units)
    # a change only where the unit is published in both waves, and too_few shows nothing else
    for s in rep.scores:
        ch = s["change"]
        if ch is not None and ch["class"] == "too_few":
            assert all(v is None for k, v in ch.items() if k not in ("class", "baseline_n"))
