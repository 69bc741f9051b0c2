"""The report engine: unit tree + responses + questionnaire → one :class:`Report` (contract.md 2 and 4).

Pipeline per wave (all vectorised; see statistics.md A–D for the methods):

1. reverse items ``(min + max) − x``; per-respondent theme scores (mean of valid answers when at least
   ``max(1, ceil(share × J))`` were given);
2. sufficient statistics per unit of attachment — n, Σx, Σx² and the counts per scale point — with
   ``numpy.bincount``, then the roll-up over every subtree, level by level from the deepest;
3. suppression: the unit pattern on respondents, one row pattern per theme / item on that row's n, and the
   exposure pattern (``k_min = k_diff = n_min_exposure``), each starting from the unit pattern;
4. rows: mean, sd, 95 % ci, unfavourable share, distribution, flags, polarisation (van der Eijk's A),
   the Welch change against the baseline (Δ from whole-number sums, contract 5.5) with Benjamini–Hochberg
   q per unit family (a unit's themes; its items: contract 5.6) and the composition flags;
   exposure counts with the "<3" rule; funding criteria C1–C4.

Every output (JSON, XLSX, HTML, web pages) is rendered from :meth:`Report.to_dict`.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from questionnaires import EXTERNAL_SOURCES, INTERNAL_SOURCES, Questionnaire

from .settings import FLAG_COLOURS, Settings, effective_settings
from .stats import (
    agreement,
    at_least,
    below,
    bh_adjust_families,
    exact_delta,
    mean_sd,
    min_valid_answers,
    one_sample_ci,
    round_half_up,
    welch,
)
from .suppression import REASON_NAMES, Pattern, Tree, describe, joint_pattern, suppress

SCHEMA = "trivsel-report/1"
UNRESOLVED = frozenset({"partly", "no"})
EXPOSURE_COUNTS: tuple[str, ...] = (
    "n", "exposed", "internal", "external", "external_unresolved", "told_no_one"
)
_SEVERITY = {"red": 3, "orange": 2, "yellow": 1}
_COLOUR_OF = {3: "red", 2: "orange", 1: "yellow"}

__all__ = ["SCHEMA", "Report", "analyse"]


@dataclass(frozen=True)
class Report:
    """The one result object every output is rendered from (contract.md 2.3, schema ``trivsel-report/1``).

    ``units``, ``scores``, ``exposures`` and ``funding`` hold the JSON rows (plain dicts, unrounded numbers);
    treat them as read-only. Extra keys beyond the contract: ``units[].suppressed_reason``,
    ``units[].exposure_published``, ``units[].baseline`` (respondents / published / suppressed in the
    baseline wave), ``scores[].scale`` ([min, max]), ``scores[].theme`` (an item's theme),
    ``scores[].change.composition`` and the top-level ``significance`` (issue 16; docs/methods.md 3).
    """

    questionnaire_id: str
    questionnaire_version: int
    wave: str
    baseline: str | None
    settings: Settings
    units: tuple[dict[str, Any], ...]
    scores: tuple[dict[str, Any], ...]
    exposures: tuple[dict[str, Any], ...]
    funding: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())
    #: every questionnaire of the report (contract 5.3): ``{"id", "version", "title"}``
    questionnaires: tuple[dict[str, Any], ...] = field(default=())
    #: contract 5.6: BH families and the significant changes chance alone would give (None without baseline)
    significance: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The contract JSON (schema ``trivsel-report/1``)."""
        return {
            "schema": SCHEMA,
            "questionnaire": {"id": self.questionnaire_id, "version": self.questionnaire_version},
            "questionnaires": list(self.questionnaires),
            "wave": self.wave,
            "baseline": self.baseline,
            "settings": self.settings.to_dict(),
            "units": list(self.units),
            "scores": list(self.scores),
            "exposures": list(self.exposures),
            "funding": list(self.funding),
            "notes": list(self.notes),
            "significance": self.significance,
        }

    def to_json(self) -> bytes:
        """:meth:`to_dict` as UTF-8 JSON. Uses ``orjson`` when it is installed (about 10× faster on a
        report of 100,000 rows), else the standard library with ``allow_nan=False``. The rows never hold
        NaN (missing values are ``None``), so both give the same document."""
        data = self.to_dict()
        try:
            import orjson
        except ImportError:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-8")
        return orjson.dumps(data)


# ---------------------------------------------------------------------------------------------
# rows of the analysis: themes first, then items
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    kinds: tuple[str, ...]  # "theme" / "item"
    ids: tuple[str, ...]
    lo: np.ndarray  # scale min per row
    hi: np.ndarray  # scale max per row
    theme_of: tuple[str | None, ...]
    length: int  # max scale length over rows (the count arrays' last axis)

    @property
    def size(self) -> int:
        return len(self.ids)


def _rows(q: Questionnaire) -> _Rows:
    kinds: list[str] = []
    ids: list[str] = []
    lo: list[int] = []
    hi: list[int] = []
    theme_of: list[str | None] = []
    for theme in q.themes:
        scale = q.scale_of(theme.items[0])
        kinds.append("theme")
        ids.append(theme.id)
        lo.append(scale.min)
        hi.append(scale.max)
        theme_of.append(None)
    for item in q.items:
        scale = q.scale_of(item)
        kinds.append("item")
        ids.append(item.id)
        lo.append(scale.min)
        hi.append(scale.max)
        theme_of.append(item.theme)
    lo_a = np.asarray(lo, dtype=np.float64)
    hi_a = np.asarray(hi, dtype=np.float64)
    return _Rows(tuple(kinds), tuple(ids), lo_a, hi_a, tuple(theme_of), int((hi_a - lo_a).max()) + 1)


# ---------------------------------------------------------------------------------------------
# one wave
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Wave:
    respondents: np.ndarray  # (U,) subtree respondents
    n: np.ndarray  # (U, K) valid values
    mean: np.ndarray
    sd: np.ndarray
    counts: np.ndarray  # (U, K, L) counts per scale point (theme scores rounded half up)
    exposure: dict[str, dict[str, np.ndarray]]  # kind -> count name -> (U,)
    pooled: dict[str, np.ndarray]  # "internal", "external_unresolved", "answered" -> (U,)
    unit: Pattern
    row_published: np.ndarray  # (U, K): row shown (unit published, row pattern, n >= k_min)
    row_pattern_published: np.ndarray  # (U, K): row pattern alone
    exposure_pattern: dict[str, Pattern]  # kind -> the pattern on that kind's n (contract 5.1)
    exposure_shown: dict[str, np.ndarray]  # kind -> (U,): the kind's row is published
    #: Σx of every row as a numerator over ``sum_den`` (per row: 1 for items, the lcm for exact themes),
    #: so that a change is computed from whole-number sums (contract 5.5; :func:`analysis.stats.exact_delta`)
    sum_num: np.ndarray | None = None
    sum_den: np.ndarray | None = None


def _theme_sums(tree: Tree, uidx: np.ndarray, cnt: np.ndarray, total: np.ndarray, need: int, items: int,
                top: float, respondents: np.ndarray, n: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Σ T and Σ T² per unit (subtree) of theme scores T = total / cnt, independent of row order.

    A theme score is a fraction with denominator c = cnt (need ≤ c ≤ J), so the sums are kept per c as
    whole numbers — S_c = Σ total, Q_c = Σ total² — which float64 adds exactly in any order. Then
    Σ T = Σ_c S_c·(L/c) / L with L = lcm(need..J), and the mean = Σ_c S_c·(L/c) / (L·n): an exact
    integer divided once, so a mean that is exactly 4.0 or 4.6 is the float 4.0 or 4.6 (flag thresholds);
    Σ T² = Σ_c Q_c / c² in a fixed order. When L·top·n could exceed 2⁵³ the numerator is summed as
    Σ_c S_c / c instead (still in a fixed order). Returns (Σ T, Σ T², mean, numerator, denominator) with
    Σ T = numerator / denominator (denominator L when exact, else 1); n = valid scores per unit.
    """
    n_units = tree.size
    denominators = list(range(need, items + 1))
    lcm = math.lcm(*denominators)
    exact = lcm * top * float(max(int(respondents.max(initial=0)), 1)) < 2.0**53
    s = np.zeros(n_units)
    ss = np.zeros(n_units)
    for c in denominators:
        mask = cnt == c
        u = uidx[mask]
        part = total[mask]
        s_c = tree.rollup(np.bincount(u, weights=part, minlength=n_units))
        q_c = tree.rollup(np.bincount(u, weights=part * part, minlength=n_units))
        s += s_c * (lcm // c) if exact else s_c / c
        ss += q_c / (c * c)
    with np.errstate(invalid="ignore", divide="ignore"):
        if exact:
            return s / lcm, ss, np.where(n > 0, s / (lcm * n.astype(np.float64)), np.nan), s, lcm
        return s, ss, np.where(n > 0, s / n, np.nan), s, 1


def _flag_lookup(values: np.ndarray, wanted: frozenset[str]) -> np.ndarray:
    """Per respondent: does the object cell (frozenset / str / None) hold one of ``wanted``?"""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = np.zeros(len(uniques) + 1, dtype=bool)
    for k, u in enumerate(uniques):
        if isinstance(u, (frozenset, set)):
            table[k] = bool(wanted & u)
        else:
            table[k] = u in wanted
    return table[codes]  # code −1 → the last entry, False


def _wave(tree: Tree, frame: pd.DataFrame, q: Questionnaire, rows: _Rows, settings: Settings) -> _Wave:
    n_units = tree.size
    uidx = pd.Index(tree.ids).get_indexer(frame["unit_id"].astype(object))
    if (uidx < 0).any():
        bad = frame["unit_id"].to_numpy()[uidx < 0][0]
        raise ValueError(f"responses: unit_id {bad!r} is not a unit of the tree")
    n_resp = len(frame)

    def by_unit(matrix: np.ndarray) -> np.ndarray:
        """Column sums per unit of attachment (units × columns)."""
        out = np.empty((n_units, matrix.shape[1]), dtype=np.float64)
        for j in range(matrix.shape[1]):
            out[:, j] = np.bincount(uidx, weights=matrix[:, j].astype(np.float64), minlength=n_units)
        return out
    respondents = np.rint(tree.rollup(np.bincount(uidx, minlength=n_units))).astype(np.int64)

    # values per row: theme scores first, then items (reversed where asked); one column at a time
    items = q.items
    n_themes = len(q.themes)
    item_cols: dict[str, np.ndarray] = {}
    for item in items:
        col = frame[item.id].to_numpy(dtype=np.float64)
        if item.reverse:
            scale = q.scale_of(item)
            col = (scale.min + scale.max) - col
        item_cols[item.id] = col
    theme_cols: list[np.ndarray] = []
    theme_parts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (answers given, their sum, need)
    for theme in q.themes:
        cnt = np.zeros(n_resp, dtype=np.int64)
        total = np.zeros(n_resp, dtype=np.float64)
        for it in theme.items:
            col = item_cols[it.id]
            ok = ~np.isnan(col)
            cnt += ok
            total += np.where(ok, col, 0.0)
        need = min_valid_answers(settings.theme_min_item_share, len(theme.items))
        with np.errstate(invalid="ignore", divide="ignore"):
            theme_cols.append(np.where(cnt >= need, total / cnt, np.nan))
        theme_parts.append((cnt, total, need))
    columns = theme_cols + [item_cols[item.id] for item in items]

    # sufficient statistics per unit of attachment, then the roll-up over every subtree:
    # counts per scale point (theme scores rounded half up) for every row; n, Σx, Σx² directly for themes
    # (their scores are not whole numbers) and from the counts for items (exact)
    length = rows.length
    counts_direct = np.zeros((n_units, rows.size, length), dtype=np.float64)
    for k, col in enumerate(columns):
        ok = ~np.isnan(col)
        u = uidx[ok]
        v = col[ok]
        lo = rows.lo[k]
        if k < n_themes:
            b = np.clip(round_half_up(v), lo, rows.hi[k]) - lo
        else:
            b = v - lo
        counts_direct[:, k, :] = np.bincount(u * length + b.astype(np.int64),
                                             minlength=n_units * length).reshape(n_units, length)
    counts = np.rint(tree.rollup(counts_direct)).astype(np.int64)
    point = rows.lo[:, None] + np.arange(length)[None, :]  # the value of each scale point, per row
    n = counts.sum(axis=2)
    s = (counts * point[None, :, :]).sum(axis=2).astype(np.float64)
    ss = (counts * (point * point)[None, :, :]).sum(axis=2).astype(np.float64)
    constant = (counts > 0).sum(axis=2) == 1
    theme_mean = np.empty((n_units, n_themes))
    sum_num = s.copy()
    sum_den = np.ones(rows.size)
    if n_themes:
        for t, (cnt, total, need) in enumerate(theme_parts):
            s[:, t], ss[:, t], theme_mean[:, t], sum_num[:, t], sum_den[t] = _theme_sums(
                tree, uidx, cnt, total, need, len(q.themes[t].items),
                float(max(abs(rows.lo[t]), abs(rows.hi[t]))), respondents, n[:, t])
        # a theme row is constant (sd exactly 0) when its subtree max equals its min
        grouped = pd.DataFrame(np.column_stack(theme_cols)).groupby(uidx)
        mx = np.full((n_units, n_themes), np.nan)
        mn = np.full((n_units, n_themes), np.nan)
        gmax, gmin = grouped.max(), grouped.min()
        mx[gmax.index.to_numpy()] = gmax.to_numpy()
        mn[gmin.index.to_numpy()] = gmin.to_numpy()
        constant[:, :n_themes] = tree.rollup_max(mx) == -tree.rollup_max(-mn)
    mean, sd = mean_sd(n, s, ss, constant)
    mean[:, :n_themes] = theme_mean  # one rounding (see _theme_sums)

    # exposures: per kind, plus pooled C2/C3 indicators
    cols: list[np.ndarray] = []
    names: list[tuple[str, str]] = []
    pooled_int = np.zeros(n_resp, dtype=bool)
    pooled_ext = np.zeros(n_resp, dtype=bool)
    answered_any = np.zeros(n_resp, dtype=bool)
    internal_set, external_set = frozenset(INTERNAL_SOURCES), frozenset(EXTERNAL_SOURCES)
    for e in q.exposures:
        qv = frame[e.question.id].to_numpy(dtype=np.float64)
        answered = ~np.isnan(qv)
        exposed = answered & (qv >= 1)
        if e.source is not None:
            src = frame[e.source.id].to_numpy(dtype=object)
            has_int, has_ext = _flag_lookup(src, internal_set), _flag_lookup(src, external_set)
        else:
            has_int = has_ext = np.zeros(n_resp, dtype=bool)
        if e.handled is not None:
            unres = _flag_lookup(frame[e.handled.id].to_numpy(dtype=object), UNRESOLVED)
        else:
            unres = np.zeros(n_resp, dtype=bool)
        if e.told is not None:
            no_one = _flag_lookup(frame[e.told.id].to_numpy(dtype=object), frozenset({"no_one"}))
        else:
            no_one = np.zeros(n_resp, dtype=bool)
        internal = exposed & has_int
        external = exposed & has_ext
        parts = (answered, exposed, internal, external, external & unres, exposed & no_one)
        for name, arr in zip(EXPOSURE_COUNTS, parts, strict=True):
            cols.append(arr)
            names.append((e.kind, name))
        pooled_int |= internal
        pooled_ext |= external & unres
        answered_any |= answered
    cols.extend([pooled_int, pooled_ext, answered_any])
    mat = np.column_stack(cols).astype(np.float64) if cols else np.zeros((n_resp, 0))
    rolled = np.rint(tree.rollup(by_unit(mat))).astype(np.int64)
    exposure: dict[str, dict[str, np.ndarray]] = {}
    for j, (kind, name) in enumerate(names):
        exposure.setdefault(kind, {})[name] = rolled[:, j]
    pooled = {
        "internal": rolled[:, len(names)],
        "external_unresolved": rolled[:, len(names) + 1],
        "answered": rolled[:, len(names) + 2],
    }

    # suppression
    unit = suppress(tree, respondents, settings.k_min, settings.k_diff)
    # one pattern per theme, shared by the theme row and its item rows (contract 5.2; docs/methods.md 1):
    # an item hidden in a unit hides that unit's theme and sibling items; the fixed point over all their
    # counts is what every one of these rows is published by
    row_pattern = np.zeros((n_units, rows.size), dtype=bool)
    first_item = {item.id: n_themes + j for j, item in enumerate(items)}
    for t, theme in enumerate(q.themes):
        members = [t] + [first_item[it.id] for it in theme.items]
        mask = joint_pattern(tree, [n[:, k] for k in members], settings.k_min, settings.k_diff,
                             unit.published)
        row_pattern[:, members] = mask[:, None]
    row_published = row_pattern & unit.published[:, None] & (n >= settings.k_min)
    # exposure rows (contract 5.1): per kind, on the respondents who answered that kind's question
    exposure_pattern: dict[str, Pattern] = {}
    exposure_shown: dict[str, np.ndarray] = {}
    n_expo = settings.n_min_exposure
    for kind, kind_counts in exposure.items():
        answered_n = kind_counts["n"]
        pattern = suppress(tree, answered_n, n_expo, n_expo, unit.published)
        exposure_pattern[kind] = pattern
        exposure_shown[kind] = unit.published & pattern.published & (answered_n >= n_expo)
    return _Wave(respondents, n, mean, sd, counts, exposure, pooled, unit, row_published,
                 row_pattern, exposure_pattern, exposure_shown, sum_num, sum_den)


# ---------------------------------------------------------------------------------------------
# helpers for rows
# ---------------------------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while ~100,000 row dicts are built (they hold no cycles);
    otherwise its repeated full passes over the growing heap cost more than building the rows."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _nullable(arr: np.ndarray) -> list[Any]:
    return [None if v != v else v for v in np.asarray(arr, dtype=np.float64).tolist()]


def _count(value: int) -> int | str:
    return "<3" if 1 <= value <= 2 else value


def _share(num: int, den: int, den_is_count: bool = False) -> float | None:
    """num / den; null when either is written "<3" (a denominator only when it is itself a count,
    as ``exposed`` is for ``told_no_one_share``; ``n`` is always written) or the denominator is 0."""
    if den == 0 or 1 <= num <= 2 or (den_is_count and 1 <= den <= 2):
        return None
    return num / den


def _significance(unit: np.ndarray, is_theme: np.ndarray, significant: np.ndarray, settings: Settings
                  ) -> dict[str, Any]:
    """The report's ``significance`` object (contract 5.6): per kind, the BH families (one per unit), the
    tested and significant changes, and how many of the significant ones chance alone would be expected to
    give: Σ over families of alpha × the family's significant count (BH keeps the expected share of false
    discoveries among a family's discoveries at or below alpha)."""
    out: dict[str, Any] = {"method": "benjamini-hochberg per unit and kind", "alpha": settings.alpha}
    for kind, mask in (("theme", is_theme), ("item", ~is_theme)):
        fam_units = unit[mask]
        sig = significant[mask]
        per_family = np.bincount(fam_units[sig], minlength=int(unit.max(initial=-1)) + 1)
        out[kind] = {
            "families": int(np.unique(fam_units).size),
            "tested": int(mask.sum()),
            "significant": int(sig.sum()),
            "expected_by_chance": float(sum(settings.alpha * int(r) for r in per_family if r)),
        }
    return out


def _composition(tree: Tree, cur: _Wave, base: _Wave, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per (unit, row): could a change of who answered alone move the mean by ``practical_delta``?

    ``mix`` (units with sub-units): the unit's parts are its direct staff and each child's subtree. The mean
    the unit would have now if every part kept its baseline mean, but with today's share of respondents
    per part, is Σ_j w_now,j · m_base,j (a part without baseline answers counts with the unit's baseline
    mean). ``mix`` is true when that differs from the baseline mean by at least ``practical_delta``.
    ``participation``: f = 1 − min(n_before, n_now) / max(n_before, n_now) is the share of respondents of
    the larger wave that the other wave may lack; if they differ from the rest by one standard deviation
    (baseline sd), they move the mean by f · sd. ``participation`` is true when f · sd ≥ ``practical_delta``.
    Only booleans are published: the shift itself is made of hidden parts' means.
    """
    thr = settings.practical_delta
    if cur.sum_num is None or base.sum_num is None:  # no sums to judge by: nothing is claimed
        none = np.zeros(cur.n.shape, dtype=bool)
        return none, none.copy()
    nonroot = np.flatnonzero(tree.parent >= 0)
    par = tree.parent[nonroot]

    def parts(w: _Wave) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        assert w.sum_num is not None and w.sum_den is not None
        n = w.n.astype(np.float64)
        total = w.sum_num / w.sum_den[None, :]
        child_n = np.zeros_like(n)
        child_s = np.zeros_like(total)
        np.add.at(child_n, par, n[nonroot])
        np.add.at(child_s, par, total[nonroot])
        return n, total, n - child_n, total - child_s

    n_b, s_b, nd_b, sd_b = parts(base)
    n_c, _, nd_c, _ = parts(cur)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_b = np.where(n_b > 0, s_b / n_b, np.nan)
        m_dir = np.where(nd_b > 0.5, sd_b / np.where(nd_b > 0.5, nd_b, 1.0), m_b)
        m_child = np.where(n_b[nonroot] > 0, m_b[nonroot], m_b[par])
        weighted = np.zeros_like(n_c)
        np.add.at(weighted, par, n_c[nonroot] * m_child)
        weighted += nd_c * m_dir
        mix_mean = np.where(n_c > 0, weighted / n_c, np.nan)
        has_children = np.zeros(tree.size, dtype=bool)
        has_children[par] = True
        mix = has_children[:, None] & at_least(np.abs(mix_mean - m_b), thr)
        big = np.maximum(n_b, n_c)
        f = np.where(big > 0, 1.0 - np.minimum(n_b, n_c) / np.where(big > 0, big, 1.0), 0.0)
        spread = np.where(np.isnan(base.sd), cur.sd, base.sd)
        participation = at_least(f * spread, thr)
    return mix, participation


_CLASS_NAMES = ("significant_improvement", "significant_decline", "stable", "inconclusive_change",
                "no_significant_change")


def _change_class(delta: np.ndarray, q: np.ndarray, ci90_low: np.ndarray, ci90_high: np.ndarray,
                  settings: Settings) -> np.ndarray:
    """Class code (index into ``_CLASS_NAMES``) of tested changes, the first rule that applies.

    Every threshold comparison has the 1e-9 tolerance of contract 5.5: a value within 1e-9 of the threshold
    counts as on it, so q on ``alpha`` is not significant, a 90 % interval ending on ±``practical_delta`` is
    not inside (not stable), and |Δ| on ``practical_delta`` is meaningful.
    """
    thr = settings.practical_delta
    meaningful = at_least(np.abs(delta), thr)
    return np.where(
        below(q, settings.alpha),
        np.where(delta > 0, 0, 1),
        np.where(below(-thr, ci90_low) & below(ci90_high, thr), 2, np.where(meaningful, 3, 4)),
    )


def _polarisation_level(bp: np.ndarray, agree: np.ndarray, settings: Settings) -> np.ndarray:
    """0 none, 1 polarised (bp ≥ bp_polarised), 2 strong (bp ≥ bp_strong or A < 0); with the tolerance."""
    return np.where(at_least(bp, settings.bp_strong) | below(agree, 0.0), 2,
                    np.where(at_least(bp, settings.bp_polarised), 1, 0))


_Thresholds = tuple[dict[str, Any], dict[str, Any]]  # (flag_mean, flag_unfavourable): colour -> value(s)


def _row_thresholds(rows: _Rows, settings: Settings, ik: np.ndarray) -> _Thresholds:
    """Per published cell, the flag thresholds of its row's theme (contract 5.7; items use their theme's)."""
    theme_ids = [rows.ids[k] if rows.kinds[k] == "theme" else rows.theme_of[k] for k in range(rows.size)]
    per_row = [settings.theme_flags(t) for t in theme_ids]
    mean = {c: np.asarray([m[c] for m, _ in per_row], dtype=np.float64)[ik] for c in FLAG_COLOURS}
    unf = {c: np.asarray([u[c] for _, u in per_row], dtype=np.float64)[ik] for c in FLAG_COLOURS}
    return mean, unf


def _flags(mean: np.ndarray, ci_high: np.ndarray, unfav: np.ndarray, settings: Settings,
           thresholds: _Thresholds | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Severity (0 none .. 3 red) = worse of the mean rule and the unfavourable rule; certainty.

    ``thresholds`` (per-cell arrays from :func:`_row_thresholds`) default to the global settings."""
    flag_mean, flag_unf = thresholds if thresholds is not None else (settings.flag_mean,
                                                                     settings.flag_unfavourable)
    sev_mean = np.zeros(mean.shape, dtype=np.int8)
    sev_unf = np.zeros(mean.shape, dtype=np.int8)
    for colour in reversed(FLAG_COLOURS):  # yellow, orange, red: later (worse) overwrite
        sev = _SEVERITY[colour]
        sev_mean = np.where(below(mean, flag_mean[colour]), sev, sev_mean)
        sev_unf = np.where(at_least(unfav, flag_unf[colour]), sev, sev_unf)
    severity = np.maximum(sev_mean, sev_unf)
    threshold = np.full(mean.shape, np.nan)
    for colour in FLAG_COLOURS:
        threshold = np.where(severity == _SEVERITY[colour], flag_mean[colour], threshold)
    certain = below(ci_high, threshold)  # NaN (no ci, or no flag) gives False
    return severity, certain


# ---------------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------------


def analyse(
    units: pd.DataFrame,
    responses: pd.DataFrame,
    questionnaire: Questionnaire | Sequence[Questionnaire],
    wave: str,
    baseline: str | None = None,
    settings: Settings | None = None,
    *,
    baseline_units: pd.DataFrame | None = None,
) -> Report:
    """Analyse ``wave`` (optionally against ``baseline``) into a :class:`Report`.

    Parameters
    ----------
    units : DataFrame from :func:`analysis.inputs.units_frame` (the validated tree).
    responses : DataFrame from :func:`analysis.inputs.responses_frame` (any waves; others are ignored).
    questionnaire : the questionnaire the responses were collected with, or a sequence of them (one
        report over all: contract 5.3; see :func:`analysis.inputs.combine_questionnaires`). ``scores[]``
        and ``exposures[]`` rows name their questionnaire; the report lists them all.
    wave, baseline : wave labels; ``baseline`` None means no change columns.
    baseline_units : the tree the baseline wave was published with (contract 5.4; validated like
        ``units``). The baseline is then computed and suppressed on that tree, and a unit's change is
        written only when its leaf set — the units under it that hold respondents of either wave — is the
        same in both trees; otherwise ``class`` is ``"not_comparable"`` with every other field null.
        None: both waves share ``units`` (every unit comparable).
    settings : contract 2.1 settings (defaults when None).

    Raises
    ------
    ValueError
        When ``wave`` or ``baseline`` has no responses, they are equal, or a response names an unknown unit.
    """
    from .inputs import combine_questionnaires, questionnaire_of_ids


    parts = [questionnaire] if isinstance(questionnaire, Questionnaire) else list(questionnaire)
    questionnaire = combine_questionnaires(parts)
    origin = questionnaire_of_ids(parts)
    settings = effective_settings(settings or Settings(), questionnaire)  # per-theme flags (contract 5.7)
    wave = str(wave)
    baseline = None if baseline is None else str(baseline)
    if baseline is not None and baseline == wave:
        raise ValueError(f"the baseline must be another wave than {wave!r}")
    tree = Tree.from_units(units)
    rows = _rows(questionnaire)
    labels = responses["wave"].astype(object)
    cur_frame = responses[(labels == wave).to_numpy()]
    if cur_frame.empty:
        raise ValueError(f"no responses for wave {wave!r}")
    cur = _wave(tree, cur_frame, questionnaire, rows, settings)
    base: _Wave | None = None
    if baseline is not None:
        base_frame = responses[(labels == baseline).to_numpy()]
        if base_frame.empty:
            raise ValueError(f"no responses for the baseline wave {baseline!r}")
        if baseline_units is None:
            base = _wave(tree, base_frame, questionnaire, rows, settings)
            comparable = np.ones(tree.size, dtype=bool)
        else:
            base_tree = Tree.from_units(baseline_units)
            try:
                base_own = _wave(base_tree, base_frame, questionnaire, rows, settings)
            except ValueError as err:
                raise ValueError(f"baseline wave {baseline!r} against the baseline tree: {err}") from None
            base, comparable = _aligned(base_own, base_tree, tree, cur_frame, base_frame)
    else:
        comparable = np.ones(tree.size, dtype=bool)

    with _gc_paused():
        unit_rows = _unit_rows(tree, units, cur, base, settings, comparable)
        scores, theme_info = _score_rows(tree, rows, cur, base, settings, comparable)
        exposures = _exposure_rows(tree, questionnaire, cur, settings)
        for row in scores:
            row["questionnaire"] = origin[(row["kind"], row["id"])]
        for row in exposures:
            row["questionnaire"] = origin[("exposure", row["kind"])]
        funding = _funding_rows(tree, cur, theme_info, settings)
    notes: list[str] = []
    if any(hi - lo != 6 for lo, hi in zip(rows.lo.tolist(), rows.hi.tolist(), strict=True)):
        notes.append("flag and polarisation thresholds are defined for 7-point scales; other scales use the "
                     "lowest three points as unfavourable and the two lowest / two highest for bp")
    return Report(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        wave=wave,
        baseline=baseline,
        settings=settings,
        units=tuple(unit_rows),
        scores=tuple(scores),
        exposures=tuple(exposures),
        funding=tuple(funding),
        notes=tuple(notes),
        questionnaires=tuple({"id": q.id, "version": q.version, "title": q.title.to_data()} for q in parts),
        significance=theme_info.get("significance"),
    )


def _aligned(base: _Wave, base_tree: Tree, tree: Tree, cur_frame: pd.DataFrame, base_frame: pd.DataFrame
             ) -> tuple[_Wave, np.ndarray]:
    """The baseline wave (computed and suppressed on its own tree) in the order of today's tree, and per
    unit of today's tree whether its leaf set is the same in both trees (contract 5.4). A unit missing from
    the baseline tree has 0 respondents there, is not published there and is not comparable."""
    where = pd.Index(base_tree.ids).get_indexer(pd.Index(tree.ids))
    found = where >= 0
    take = np.where(found, where, 0)

    def pick(arr: np.ndarray, fill: Any) -> np.ndarray:
        out = arr[take].copy()
        out[~found] = fill
        return out

    with_respondents = set(cur_frame["unit_id"].astype(str)) | set(base_frame["unit_id"].astype(str))

    def leaf_sets(t: Tree) -> list[frozenset[str]]:
        sets: list[set[str]] = [({t.ids[i]} & with_respondents) for i in range(t.size)]
        for idx in reversed(t.levels[1:]):
            for i in idx.tolist():
                sets[int(t.parent[i])] |= sets[i]
        return [frozenset(x) for x in sets]

    now, then = leaf_sets(tree), leaf_sets(base_tree)
    comparable = np.array([bool(found[i]) and now[i] == then[int(where[i])] for i in range(tree.size)],
                          dtype=bool)
    unit = Pattern(pick(base.unit.published, False), pick(base.unit.reason, 0), pick(base.unit.protects, -1))
    aligned = _Wave(
        respondents=pick(base.respondents, 0), n=pick(base.n, 0), mean=pick(base.mean, np.nan),
        sd=pick(base.sd, np.nan), counts=pick(base.counts, 0), exposure=base.exposure, pooled=base.pooled,
        unit=unit, row_published=pick(base.row_published, False),
        row_pattern_published=pick(base.row_pattern_published, False), exposure_pattern=base.exposure_pattern,
        exposure_shown=base.exposure_shown,
        # the sums travel with the rest (composition and the exact change need them, contract 5.5)
        sum_num=None if base.sum_num is None else pick(base.sum_num, 0.0), sum_den=base.sum_den,
    )
    return aligned, comparable


def _unit_rows(tree: Tree, units: pd.DataFrame, cur: _Wave, base: _Wave | None, settings: Settings,
               comparable: np.ndarray | None = None) -> list[dict[str, Any]]:
    if "headcount" in units.columns:
        head = units["headcount"].astype("Float64")
    else:  # a tree without headcounts: every headcount unknown
        head = pd.Series([None] * len(units), dtype="Float64")
    known = (~head.isna()).to_numpy()
    direct = head.fillna(0).to_numpy(dtype=np.float64)
    sub_head = np.rint(tree.rollup(direct)).astype(np.int64).tolist()
    unknown = (tree.rollup((~known).astype(np.float64)) > 0).tolist()
    reasons = describe(cur.unit, tree, cur.respondents, settings.k_min)
    names = units["name"].tolist()
    out: list[dict[str, Any]] = []
    resp = cur.respondents.tolist()
    for i, uid in enumerate(tree.ids):
        p = int(tree.parent[i])
        h = None if unknown[i] else sub_head[i]
        row: dict[str, Any] = {
            "unit_id": uid,
            "parent_id": tree.ids[p] if p >= 0 else None,
            "name": names[i],
            "depth": int(tree.depth[i]),
            "headcount": h,
            "respondents": resp[i],
            "response_rate": resp[i] / h if h else None,
            "published": bool(cur.unit.published[i]),
            "suppressed": REASON_NAMES[int(cur.unit.reason[i])],
            "suppressed_reason": reasons[i],
            "exposure_published": any(bool(shown[i]) for shown in cur.exposure_shown.values()),
        }
        if base is not None:
            row["baseline"] = {
                "respondents": int(base.respondents[i]),
                "published": bool(base.unit.published[i]),
                "suppressed": REASON_NAMES[int(base.unit.reason[i])],
                "comparable": True if comparable is None else bool(comparable[i]),
            }
        out.append(row)
    return out


def _score_rows(tree: Tree, rows: _Rows, cur: _Wave, base: _Wave | None, settings: Settings,
                comparable: np.ndarray | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ``scores`` rows of published (unit, theme/item) cells, unit-major (themes, then items).

    Everything is computed on the m published cells as 1-D arrays; the Python loop at the end only
    assembles dicts.
    """
    include = cur.row_published
    iu, ik = np.nonzero(include)
    m = iu.size
    n = cur.n[iu, ik]
    nf = n.astype(np.float64)
    lengths_row = (rows.hi - rows.lo).astype(np.int64) + 1
    length = lengths_row[ik]
    counts = cur.counts[iu, ik]  # (m, L)
    mean = cur.mean[iu, ik]
    sd = cur.sd[iu, ik]
    ci_low, ci_high = one_sample_ci(mean, sd, n)
    ar = np.arange(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        unfav = counts[:, :3].sum(axis=1) / nf
        low2 = counts[:, 0] + counts[:, 1]
        top2 = counts[ar, length - 1] + counts[ar, length - 2]
        bp = np.minimum(low2, top2) / nf
    bands = n >= settings.n_min_bands
    unfav = np.where(bands, unfav, np.nan)
    bp = np.where(bands, bp, np.nan)
    agree = np.full(m, np.nan)
    for ln in np.unique(length).tolist():
        mask = bands & (length == ln)
        if mask.any():
            agree[mask] = agreement(counts[mask][:, :ln])
    level = _polarisation_level(bp, agree, settings)
    severity, certain = _flags(mean, ci_high, unfav, settings, _row_thresholds(rows, settings, ik))

    # distribution (n >= n_min_distribution), shares of each scale point
    distribution: list[Any] = [None] * m
    dist_rows = np.flatnonzero(n >= settings.n_min_distribution)
    if dist_rows.size:
        shares = (counts[dist_rows] / nf[dist_rows, None]).tolist()
        uniform = bool((length == rows.length).all())
        for i, share in zip(dist_rows.tolist(), shares, strict=True):
            distribution[i] = share if uniform else share[: int(length[i])]

    # change against the baseline
    changes: list[Any] = [None] * m
    significance: dict[str, Any] | None = None
    if base is not None:
        same_tree = np.ones(tree.size, dtype=bool) if comparable is None else comparable
        both = (cur.unit.published & base.unit.published & same_tree)[iu]
        base_ok = base.row_published[iu, ik]
        base_n = base.n[iu, ik]
        base_mean = base.mean[iu, ik]
        base_sd = base.sd[iu, ik]
        mix, participation = _composition(tree, cur, base, settings)
        composition = [
            [name for name, flag in (("mix", a), ("participation", b)) if flag]
            for a, b in zip(mix[iu, ik].tolist(), participation[iu, ik].tolist(), strict=True)
        ]
        too_few = both & ~base_ok
        not_testable = both & base_ok & (((sd == 0) & (base_sd == 0)) | (n == 1) | (base_n == 1))
        tested = np.flatnonzero(both & base_ok & ~not_testable)
        delta_all = mean - base_mean
        if cur.sum_num is not None and base.sum_num is not None and cur.sum_den is not None \
                and base.sum_den is not None:
            # from the sums, not from two rounded means (contract 5.5)
            delta_all = exact_delta(base.sum_num[iu, ik], base_n, cur.sum_num[iu, ik], n, base.sum_den[ik],
                                    cur.sum_den[ik], delta_all)
        w = welch(base_mean[tested], base_sd[tested], base_n[tested], mean[tested], sd[tested], n[tested],
                  settings.alpha, delta=delta_all[tested])
        is_theme = np.asarray([k == "theme" for k in rows.kinds])[ik[tested]]
        # contract 5.6: one BH family per unit and kind (a unit's theme changes; its item changes)
        q = bh_adjust_families(w.p, iu[tested] * 2 + is_theme)
        significance = _significance(iu[tested], is_theme, below(q, settings.alpha), settings)
        thr = settings.practical_delta
        meaningful = at_least(np.abs(w.delta), thr)
        cls = _change_class(w.delta, q, w.ci90_low, w.ci90_high, settings)
        names = _CLASS_NAMES
        base_n_l = base_n.tolist()
        for i in np.flatnonzero(too_few).tolist():
            changes[i] = {"baseline_n": base_n_l[i], "baseline_mean": None, "delta": None, "ci": None,
                          "p": None, "q": None, "class": "too_few", "meaningful": None,
                          "critical_difference": None}
        nt = np.flatnonzero(not_testable)
        for i, bm, d in zip(nt.tolist(), base_mean[nt].tolist(), delta_all[nt].tolist(), strict=True):
            changes[i] = {"baseline_n": base_n_l[i], "baseline_mean": bm, "delta": d, "ci": None, "p": None,
                          "q": None, "class": "not_testable", "meaningful": bool(at_least(abs(d), thr)),
                          "critical_difference": None, "composition": composition[i]}
        for i, bm, d, lo, hi, p, qq, c, mf, cd in zip(
            tested.tolist(), base_mean[tested].tolist(), w.delta.tolist(), w.ci_low.tolist(),
            w.ci_high.tolist(), w.p.tolist(), q.tolist(), cls.tolist(), meaningful.tolist(),
            w.critical_difference.tolist(), strict=True,
        ):
            changes[i] = {"baseline_n": base_n_l[i], "baseline_mean": bm, "delta": d, "ci": [lo, hi], "p": p,
                          "q": qq, "class": names[c], "meaningful": mf, "critical_difference": cd,
                          "composition": composition[i]}

        # contract 5.4: a unit whose leaf set changed between the trees gets no baseline number at all
        for i in np.flatnonzero(~same_tree[iu]).tolist():
            changes[i] = dict.fromkeys(("baseline_n", "baseline_mean", "delta", "ci", "p", "q", "meaningful",
                                        "critical_difference", "composition"))
            changes[i]["class"] = "not_comparable"

    # polarisation objects
    level_names = ("none", "polarised", "strong")
    polarisation: list[Any] = [None] * m
    pol_rows = np.flatnonzero(bands)
    for i, b, a, lv in zip(pol_rows.tolist(), bp[pol_rows].tolist(), agree[pol_rows].tolist(),
                           level[pol_rows].tolist(), strict=True):
        polarisation[i] = {"bp": b, "agreement": a, "level": level_names[lv]}

    flags = [_COLOUR_OF.get(s) for s in severity.tolist()]
    certain_l = [None if f is None else c for f, c in zip(flags, certain.tolist(), strict=True)]
    lo_l, hi_l = _nullable(ci_low), _nullable(ci_high)
    cis = [None if lo is None else [lo, hi] for lo, hi in zip(lo_l, hi_l, strict=True)]
    scales = [[int(a), int(b)] for a, b in zip(rows.lo.tolist(), rows.hi.tolist(), strict=True)]
    unit_ids = [tree.ids[u] for u in iu.tolist()]
    ik_l = ik.tolist()
    out: list[dict[str, Any]] = []
    for uid, k, nn, mu, s, ci, uf, dist, fl, fc, pol, ch in zip(
        unit_ids, ik_l, n.tolist(), mean.tolist(), _nullable(sd), cis, _nullable(unfav), distribution,
        flags, certain_l, polarisation, changes, strict=True,
    ):
        row = {"unit_id": uid, "kind": rows.kinds[k], "id": rows.ids[k], "n": nn, "mean": mu, "sd": s,
               "ci": ci, "unfavourable_share": uf, "distribution": dist, "flag": fl, "flag_certain": fc,
               "polarisation": pol, "change": ch, "scale": scales[k]}
        if rows.theme_of[k] is not None:
            row["theme"] = rows.theme_of[k]
        out.append(row)

    # per unit: worst theme flag (C1), polarised theme (C4), evidence texts
    theme_info: dict[str, Any] = {"worst": {}, "polarised": {}, "evidence": {}, "significance": significance}
    is_theme_row = np.asarray([k == "theme" for k in rows.kinds])[ik]
    for j in np.flatnonzero(is_theme_row & ((severity > 0) | (level > 0))).tolist():
        row = out[j]
        uid = row["unit_id"]
        ev = theme_info["evidence"].setdefault(uid, [])
        sev = int(severity[j])
        if sev > 0:
            theme_info["worst"][uid] = max(sev, theme_info["worst"].get(uid, 0))
            why = f"theme {row['id']} mean {row['mean']:.2f}"
            if row["ci"] is not None:
                why += f" (95 % ci {row['ci'][0]:.2f}-{row['ci'][1]:.2f})"
            if row["unfavourable_share"] is not None:
                why += f", {row['unfavourable_share']:.0%} at 1-3"
            ev.append(f"{why}: {row['flag']}")
        if level[j] > 0:
            theme_info["polarised"][uid] = True
            pol = row["polarisation"]
            ev.append(f"theme {row['id']} polarised (bp {pol['bp']:.2f}, A {pol['agreement']:.2f}): "
                      f"{pol['level']}")
    return out, theme_info


_CELL_COUNTS = ("exposed", "internal", "external", "external_unresolved", "told_no_one")
_COMPLEMENT = (("internal", "external"), ("external", "internal"))


def _exposure_cells(tree: Tree, counts: dict[str, np.ndarray], shown: np.ndarray
                    ) -> dict[str, list[int | str | None]]:
    """Per count field: the cell of every unit — the count, ``"<3"`` (1 or 2) or None (hidden).

    Across the tree (red team A1): per field, :func:`~analysis.suppression.suppress` with 3 and 3 on the
    counts, starting from the units whose row is shown (as :func:`analysis.workenv._count_cells`), so
    "unit minus its nearest descendants with a count" never leaves 1 or 2. Within a row (A3): every exposed
    person names one source, internal or external, so when ``exposed`` is a number and one of the two is
    not, the other is hidden too (``exposed`` minus it would give the hidden cell back)."""
    cells: dict[str, list[int | str | None]] = {}
    for name in _CELL_COUNTS:
        values = counts[name]
        pattern = suppress(tree, values, 3, 3, start=shown)
        col: list[int | str | None] = []
        for u in range(tree.size):
            if pattern.published[u]:
                col.append(int(values[u]))
            elif pattern.reason[u] == 1:
                col.append("<3")
            else:
                col.append(None)
        cells[name] = col
    for u in np.flatnonzero(shown).tolist():
        if not isinstance(cells["exposed"][u], int):
            continue  # nothing to subtract from
        for name, other in _COMPLEMENT:
            if not isinstance(cells[name][u], int) and isinstance(cells[other][u], int):
                cells[other][u] = None
    return cells


def _cell_share(num: int | str | None, den: int | str | None) -> float | None:
    """num / den for cells; null when either is not a number ("<3" or hidden) or the denominator is 0."""
    if not isinstance(num, int) or not isinstance(den, int) or den == 0:
        return None
    return num / den


def _exposure_rows(tree: Tree, q: Questionnaire, cur: _Wave, settings: Settings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not q.exposures:
        return out
    shown = np.column_stack([cur.exposure_shown[e.kind] for e in q.exposures])
    if settings.protect_exposure_cells:
        cells = {e.kind: _exposure_cells(tree, cur.exposure[e.kind], cur.exposure_shown[e.kind])
                 for e in q.exposures}
    else:  # contract 2.3 exactly: every count of a published row, 1 and 2 written "<3"
        cells = {e.kind: {name: [_count(int(v)) for v in cur.exposure[e.kind][name]] for name in _CELL_COUNTS}
                 for e in q.exposures}
    for u in np.flatnonzero(shown.any(axis=1)).tolist():
        for j, e in enumerate(q.exposures):
            if not shown[u, j]:
                continue
            c = {name: cells[e.kind][name][u] for name in _CELL_COUNTS}
            n = int(cur.exposure[e.kind]["n"][u])
            row: dict[str, Any] = {"unit_id": tree.ids[u], "kind": e.kind, "n": n}
            row["exposed"] = c["exposed"]
            row["share"] = _cell_share(c["exposed"], n)
            for name in ("internal", "external", "external_unresolved"):
                row[name] = c[name]
                row[f"{name}_share"] = _cell_share(c[name], n)
            row["told_no_one"] = c["told_no_one"]
            row["told_no_one_share"] = _cell_share(c["told_no_one"], c["exposed"])
            out.append(row)
    return out


def _threshold(den: int, settings: Settings) -> int:
    """The smallest count of ``den`` respondents that meets C2/C3 (``exposure_count``, ``exposure_share``)."""
    c = settings.exposure_count
    while c < den and not bool(at_least(c / den, settings.exposure_share)):
        c += 1
    return c


def _funding_rows(tree: Tree, cur: _Wave, theme_info: dict[str, Any], settings: Settings
                  ) -> list[dict[str, Any]]:
    pts = settings.points
    # C2/C3 only from published exposure rows (contract 5.1): judged only where every kind that someone
    # in the unit answered has its row published (otherwise the pooled counts would use a hidden row)
    expo_ok = np.ones(tree.size, dtype=bool)
    for kind, shown in cur.exposure_shown.items():
        expo_ok &= shown | (cur.exposure[kind]["n"] == 0)
    out: list[dict[str, Any]] = []
    for u in np.flatnonzero(cur.unit.published).tolist():
        uid = tree.ids[u]
        sev = theme_info["worst"].get(uid, 0)
        low = _COLOUR_OF.get(sev)
        evidence = list(theme_info["evidence"].get(uid, []))
        den = int(cur.pooled["answered"][u])
        internal = external = False
        if expo_ok[u] and den > 0:
            ni = int(cur.pooled["internal"][u])
            ne = int(cur.pooled["external_unresolved"][u])
            internal = ni >= settings.exposure_count and bool(at_least(ni / den, settings.exposure_share))
            external = ne >= settings.exposure_count and bool(at_least(ne / den, settings.exposure_share))
            # the evidence states the criterion met, never the pooled count (red team A5): pooled over
            # the kinds per person, it minus the kind rows' counts would give how many were exposed to
            # several kinds (inclusion-exclusion), a group of 1-2 people
            least = _threshold(den, settings)
            if internal:
                evidence.append(f"internal exposure: at least {least} of {den} respondents")
            if external:
                evidence.append(f"unresolved external exposure: at least {least} of {den} respondents")
        polarised = bool(theme_info["polarised"].get(uid, False))
        points = (pts[low] if low else 0) + (pts["internal"] if internal else 0) \
            + (pts["external_unresolved"] if external else 0) + (pts["polarised"] if polarised else 0)
        out.append({
            "unit_id": uid, "low_score": low, "internal": internal, "external_unresolved": external,
            "polarised": polarised, "points": points, "eligible": points > 0, "evidence": evidence,
        })
    return out
