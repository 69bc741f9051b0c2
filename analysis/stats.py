"""Vectorised statistics of the report (statistics.md parts A–C; contract.md 2.2).

Every function works on NumPy arrays of summaries (one element per unit × row), never on raw answers,
so that 100,000 cells cost a handful of array operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import combinations

import numpy as np
from scipy import special

__all__ = [
    "TOL",
    "Welch",
    "above",
    "agreement",
    "at_least",
    "at_most",
    "below",
    "bh_adjust",
    "bh_adjust_families",
    "exact_delta",
    "mean_sd",
    "min_valid_answers",
    "one_sample_ci",
    "pattern_agreement",
    "round_half_up",
    "t_ppf",
    "t_sf",
    "welch",
]


#: tolerance of every threshold comparison (contract 5.5): a computed value within TOL of a threshold
#: counts as equal to it, so floating-point noise (0.1999999999999993 for an exact 0.2) never moves a
#: value across the line
TOL = 1e-9


def at_least(x: np.ndarray | float, threshold: float | np.ndarray) -> np.ndarray:
    """``x ≥ threshold`` with the tolerance toward the threshold: ``x ≥ threshold − TOL``. NaN gives False.

    >>> bool(at_least(3.4 - 3.2, 0.2)), bool(at_least(0.19, 0.2))
    (True, False)
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(x, dtype=np.float64) >= np.asarray(threshold) - TOL)


def below(x: np.ndarray | float, threshold: float | np.ndarray) -> np.ndarray:
    """``x < threshold`` with the tolerance: ``x < threshold − TOL`` (the complement of :func:`at_least`
    for numbers). NaN gives False.

    >>> bool(below(4.6 - 1e-12, 4.6)), bool(below(4.59, 4.6))
    (False, True)
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(x, dtype=np.float64) < np.asarray(threshold) - TOL)


def at_most(x: np.ndarray | float, threshold: float | np.ndarray) -> np.ndarray:
    """``x ≤ threshold`` with the tolerance: ``x ≤ threshold + TOL``. NaN gives False."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(x, dtype=np.float64) <= np.asarray(threshold) + TOL)


def above(x: np.ndarray | float, threshold: float | np.ndarray) -> np.ndarray:
    """``x > threshold`` with the tolerance: ``x > threshold + TOL``. NaN gives False."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(x, dtype=np.float64) > np.asarray(threshold) + TOL)


def t_ppf(q: float, df: np.ndarray) -> np.ndarray:
    """Quantile of Student's t (what ``scipy.stats.t.ppf`` computes, via ``scipy.special.stdtrit``;
    importing scipy.special alone is about a second faster than scipy.stats)."""
    return np.asarray(special.stdtrit(df, q), dtype=np.float64)


def t_sf(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Survival function of Student's t (``scipy.stats.t.sf``) via ``scipy.special.stdtr``."""
    return np.asarray(special.stdtr(df, -np.asarray(x, dtype=np.float64)), dtype=np.float64)


def min_valid_answers(share: float, items: int) -> int:
    """Answers a respondent needs for a theme score: ``max(1, ceil(share × J))``, computed exactly.

    The share is taken by its decimal representation, so 0.7 × 10 is 7, not 7.000000000000001
    (contract 4).

    >>> min_valid_answers(0.7, 10), min_valid_answers(0.5, 3), min_valid_answers(0.0001, 3)
    (7, 2, 1)
    """
    need = math.ceil(Decimal(repr(float(share))) * items)
    return max(1, int(need))


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Round half up (2.5 → 3, 3.5 → 4), not to even as ``numpy.round`` does (statistics.md C)."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5)


def mean_sd(n: np.ndarray, s: np.ndarray, ss: np.ndarray, constant: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample SD (ddof = 1) from ``n``, ``Σx`` and ``Σx²``.

    ``sd = sqrt((Σx² − (Σx)²/n) / (n − 1))``, clamped at 0 against rounding; NaN when n < 2 (mean NaN when
    n = 0). ``constant`` (optional, boolean) marks rows known to hold one value only; their SD is exactly 0.
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 1, (ss - s * mean) / (n - 1), np.nan)
    var = np.where(var < 0, 0.0, var)
    if constant is not None:
        var = np.where(constant & (n > 1), 0.0, var)
    return mean, np.sqrt(var)


def one_sample_ci(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One-sample t interval ``m ± t_{(1+level)/2, n−1} · s/√n``; NaN where n < 2."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n > 1, n - 1, np.nan)
        # n takes few distinct values: evaluate the quantile once per distinct df
        uniq, inverse = np.unique(df, return_inverse=True)
        quantile = t_ppf(0.5 + level / 2, uniq)[inverse.reshape(df.shape)]
        half = quantile * sd / np.sqrt(n)
    return mean - half, mean + half


@dataclass(frozen=True)
class Welch:
    """Welch's two-sample t-test, element-wise (statistics.md A2, A5).

    Attributes: ``delta`` = m₂ − m₁, ``se`` = sqrt(s₁²/n₁ + s₂²/n₂), ``df`` (Welch–Satterthwaite),
    ``t``, ``p`` (two-sided), ``ci_low``/``ci_high`` (95 %), ``ci90_low``/``ci90_high`` (90 %) and
    ``critical_difference`` = t_{1−α/2, ν} · SE.
    """

    delta: np.ndarray
    se: np.ndarray
    df: np.ndarray
    t: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci90_low: np.ndarray
    ci90_high: np.ndarray
    critical_difference: np.ndarray


def welch(m1: np.ndarray, s1: np.ndarray, n1: np.ndarray, m2: np.ndarray, s2: np.ndarray, n2: np.ndarray,
          alpha: float = 0.05, delta: np.ndarray | None = None) -> Welch:
    """Welch's t-test of wave 2 against wave 1 from summaries (SDs with ddof = 1).

    ``Δ = m₂ − m₁``; ``SE = sqrt(s₁²/n₁ + s₂²/n₂)``; ``t = Δ/SE``;
    ``ν = SE⁴ / [(s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)]``; ``p = 2·(1 − F_t(|t|; ν))``;
    95 % CI ``Δ ± t_{0.975,ν}·SE``. Same numbers as ``scipy.stats.ttest_ind_from_stats(...,
    equal_var=False)``. Reference: Welch (1947), Biometrika 34:28–35.

    ``delta`` (optional) is Δ computed more exactly by the caller (:func:`exact_delta`, contract 5.5);
    without it Δ = m₂ − m₁.
    """
    m1, s1, n1, m2, s2, n2 = (np.asarray(a, dtype=np.float64) for a in (m1, s1, n1, m2, s2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        v1 = s1 * s1 / n1
        v2 = s2 * s2 / n2
        se2 = v1 + v2
        se = np.sqrt(se2)
        df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
        delta = m2 - m1 if delta is None else np.asarray(delta, dtype=np.float64)
        t = delta / se
        p = 2.0 * t_sf(np.abs(t), df)
        t95 = t_ppf(0.975, df)
        t90 = t_ppf(0.95, df)
        tcrit = t95 if alpha == 0.05 else t_ppf(1.0 - alpha / 2.0, df)
    return Welch(
        delta=delta, se=se, df=df, t=t, p=p,
        ci_low=delta - t95 * se, ci_high=delta + t95 * se,
        ci90_low=delta - t90 * se, ci90_high=delta + t90 * se,
        critical_difference=tcrit * se,
    )


def exact_delta(num1: np.ndarray, n1: np.ndarray, num2: np.ndarray, n2: np.ndarray, den1: np.ndarray,
                den2: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Δ = Σ₂/n₂ − Σ₁/n₁ from the sums, not from two rounded means (contract 5.5).

    The sums are given as numerators over a denominator (Σx = num / den; den = 1 for items, whose sums
    are whole numbers, and the lcm of the possible answer counts for themes); where both waves have the
    same denominator and whole-number numerators, ``Δ = (num₂·n₁ − num₁·n₂) / (den·n₁·n₂)``: whole
    numbers, one division, correctly rounded (3.2 → 3.4 gives the float 0.2, where 3.4 − 3.2 gives
    0.19999999999999973). Where a product could exceed 2⁵³ (so would no longer be exact), ``fallback``
    (m₂ − m₁) is used; the 1e-9 tolerance of the threshold comparisons covers that case.

    >>> float(exact_delta(np.array(16.0), np.array(5), np.array(17.0), np.array(5), np.array(1.0),
    ...                   np.array(1.0), np.array(np.nan)))
    0.2
    """
    num1, n1, num2, n2, den1, den2 = (
        np.asarray(a, dtype=np.float64) for a in (num1, n1, num2, n2, den1, den2)
    )
    den = den1
    limit = 2.0**53
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = num2 * n1
        b = num1 * n2
        d = den * n1 * n2
        safe = (np.abs(a) < limit) & (np.abs(b) < limit) & (d < limit) & (d > 0)
        safe &= (den1 == den2) & (num1 == np.rint(num1)) & (num2 == np.rint(num2))
        out = np.where(safe, (a - b) / np.where(d > 0, d, 1.0), fallback)
    return np.asarray(out, dtype=np.float64)


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q) over one family; NaN entries are left out and stay NaN.

    ``q_(i) = min_{j ≥ i} (m · p_(j) / j)`` over the sorted p-values, capped at 1 — the same numbers as
    ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]`` (the tests compare them; the
    formula is written out here to keep statsmodels' import, about a second, off the command's path).
    Reference: Benjamini & Hochberg (1995), JRSS-B 57:289–300.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m:
        order = np.argsort(p[ok], kind="stable")
        scaled = p[ok][order] * m / np.arange(1, m + 1)
        adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        out = np.empty(m)
        out[order] = adjusted
        q[ok] = out
    return q


def bh_adjust_families(p: np.ndarray, family: np.ndarray) -> np.ndarray:
    """:func:`bh_adjust` run separately within each family (contract 5.6: one unit's theme changes are
    one family, its item changes another). ``family`` holds one integer key per p-value; NaN p-values
    are left out and stay NaN."""
    p = np.asarray(p, dtype=np.float64)
    family = np.asarray(family)
    q = np.full(p.shape, np.nan)
    if p.size == 0:
        return q
    order = np.argsort(family, kind="stable")
    keys = family[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for idx in np.split(order, starts[1:]):
        q[idx] = bh_adjust(p[idx])
    return q


@cache
def _pattern_table(k: int) -> np.ndarray:
    """Agreement A of every binary pattern of length k, indexed by the pattern's bits (bit i = category i)."""
    table = np.empty(1 << k, dtype=np.float64)
    for code in range(1 << k):
        table[code] = pattern_agreement(tuple((code >> i) & 1 for i in range(k)))
    return table


def pattern_agreement(pattern: tuple[int, ...]) -> float:
    """Van der Eijk's agreement of one binary pattern (statistics.md C; agrmt ``patternAgreement``).

    ``TU`` = triples i<j<k with pattern 110 or 011, ``TDU`` = triples with 101;
    ``U = ((K−2)·TU − (K−1)·TDU) / ((K−2)·(TU+TDU))``; ``A = U·(1 − (S−1)/(K−1))`` with S = ΣP;
    A = 1 when S = 1 and A = 0 when TU + TDU = 0.
    """
    k = len(pattern)
    s = sum(pattern)
    if s == 1:
        return 1.0
    tu = tdu = 0
    for i, j, m in combinations(range(k), 3):
        triple = (pattern[i], pattern[j], pattern[m])
        if triple in ((1, 1, 0), (0, 1, 1)):
            tu += 1
        elif triple == (1, 0, 1):
            tdu += 1
    if tu + tdu == 0:
        return 0.0
    u = ((k - 2) * tu - (k - 1) * tdu) / ((k - 2) * (tu + tdu))
    return u * (1 - (s - 1) / (k - 1))


def agreement(counts: np.ndarray) -> np.ndarray:
    """Van der Eijk's agreement A for each row of a (rows × K) count matrix; NaN for an all-zero row.

    Layering: repeatedly take the binary pattern P of the non-zero categories of the remainder and
    the smallest non-zero count m; the layer weighs ``m·ΣP/N`` and contributes A(P); subtract ``m·P``.
    Reference: van der Eijk (2001), Quality & Quantity 35:325–341; R package agrmt.

    >>> round(float(agreement(np.array([[30, 40, 210, 130, 530, 50, 10]]))[0]), 7)
    0.6113333
    """
    rem = np.array(counts, dtype=np.float64, copy=True)
    if rem.ndim == 1:
        rem = rem[None, :]
    rows, k = rem.shape
    total = rem.sum(axis=1)
    table = _pattern_table(k)
    bits = (1 << np.arange(k)).astype(np.int64)
    out = np.zeros(rows, dtype=np.float64)
    for _ in range(k):
        positive = rem > 0
        active = positive.any(axis=1)
        if not active.any():
            break
        m = np.where(positive, rem, np.inf).min(axis=1)
        m = np.where(active, m, 0.0)
        code = positive.astype(np.int64) @ bits
        size = positive.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out += np.where(active, m * size / total * table[code], 0.0)
        rem -= m[:, None] * positive
    return np.where(total > 0, out, np.nan)
