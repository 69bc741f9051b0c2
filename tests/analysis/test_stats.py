"""Statistics against the worked numbers of statistics.md and independent library calls."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from analysis.stats import (
    agreement,
    bh_adjust,
    mean_sd,
    min_valid_answers,
    one_sample_ci,
    pattern_agreement,
    round_half_up,
    t_ppf,
    t_sf,
    welch,
)

# statistics.md A2: the raw answers behind the worked example
WAVE1 = np.array([2, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6], dtype=float)
WAVE2 = np.array([2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5], dtype=float)


def _welch_example():
    n1, n2 = len(WAVE1), len(WAVE2)
    m1, s1 = mean_sd(np.array(n1), WAVE1.sum(), (WAVE1**2).sum())
    m2, s2 = mean_sd(np.array(n2), WAVE2.sum(), (WAVE2**2).sum())
    return welch(m1, s1, n1, m2, s2, n2)


def test_welch_worked_example_statistics_md():
    # statistics.md A2: Δ = −0.96, t = −2.44, ν = 23.9, p = 0.023, 95 % CI [−1.78, −0.15]
    w = _welch_example()
    assert float(w.delta) == pytest.approx(4.25 - 5.2142857142857, abs=1e-9)  # 51/12 − 73/14
    assert round(float(w.delta), 2) == -0.96
    assert round(float(w.t), 2) == -2.44
    assert round(float(w.df), 1) == 23.9
    assert round(float(w.p), 3) == 0.023
    assert round(float(w.ci_low), 2) == -1.78
    assert round(float(w.ci_high), 2) == -0.15


def test_welch_matches_scipy_and_statsmodels():
    w = _welch_example()
    ref = sps.ttest_ind(WAVE2, WAVE1, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert float(w.t) == pytest.approx(ref.statistic, rel=1e-12)
    assert float(w.p) == pytest.approx(ref.pvalue, rel=1e-10)
    assert float(w.df) == pytest.approx(ref.df, rel=1e-12)
    assert float(w.ci_low) == pytest.approx(ci.low, rel=1e-10)
    assert float(w.ci_high) == pytest.approx(ci.high, rel=1e-10)
    cm = CompareMeans(DescrStatsW(WAVE2), DescrStatsW(WAVE1))
    t, p, df = cm.ttest_ind(usevar="unequal")
    lo, hi = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    assert (float(w.t), float(w.p), float(w.df)) == pytest.approx((t, p, df), rel=1e-10)
    assert (float(w.ci_low), float(w.ci_high)) == pytest.approx((lo, hi), rel=1e-10)
    # the 90 % interval used for "stable" is the TOST-equivalent interval (statsmodels tconfint 0.10)
    lo90, hi90 = cm.tconfint_diff(alpha=0.10, usevar="unequal")
    assert (float(w.ci90_low), float(w.ci90_high)) == pytest.approx((lo90, hi90), rel=1e-10)


@pytest.mark.parametrize(
    ("n", "sd", "expected"),
    [  # statistics.md A5 table (equal n per wave, two-sided alpha 0.05), rounded as printed there
        (10, 1.0, 0.94), (10, 1.5, 1.41), (14, 1.2, 0.93), (30, 1.0, 0.52), (100, 1.2, 0.33),
        (500, 1.5, 0.19), (2000, 1.0, 0.062), (3500, 1.2, 0.056), (5000, 1.5, 0.059),
    ],
)
def test_critical_difference_table(n, sd, expected):
    w = welch(5.0, sd, n, 5.0, sd, n)
    digits = 3 if expected < 0.1 else 2
    assert round(float(w.critical_difference), digits) == expected
    # with equal n and SD: t_{0.975, 2n−2} · s · sqrt(2/n)
    assert float(w.critical_difference) == pytest.approx(sps.t.ppf(0.975, 2 * n - 2) * sd * np.sqrt(2 / n))


@pytest.mark.parametrize(("sd", "expected"), [(1.0, 0.81), (1.2, 0.98), (1.5, 1.22)])
def test_critical_difference_unequal_n(sd, expected):
    # statistics.md A5: n1 = 14, n2 = 12 with Welch degrees of freedom
    assert round(float(welch(5.0, sd, 14, 5.0, sd, 12).critical_difference), 2) == expected


def test_critical_difference_follows_alpha():
    w = welch(5.0, 1.0, 30, 5.0, 1.0, 30, alpha=0.10)
    assert float(w.critical_difference) == pytest.approx(sps.t.ppf(0.95, 58) * np.sqrt(2 / 30))


def test_benjamini_hochberg_example():
    # statistics.md A4
    p = np.array([0.001, 0.008, 0.012, 0.03, 0.04, 0.2, 0.5, 0.9])
    q = bh_adjust(p)
    assert np.round(q, 3).tolist() == [0.008, 0.032, 0.032, 0.06, 0.064, 0.267, 0.571, 0.9]
    assert int((q < 0.05).sum()) == 3
    assert q == pytest.approx(multipletests(p, method="fdr_bh")[1])


def test_benjamini_hochberg_leaves_nan_out_of_the_family():
    q = bh_adjust(np.array([0.01, np.nan, 0.04]))
    # family of 2: q = (min(0.01·2/1, 0.04), 0.04·2/2) = (0.02, 0.04)
    assert q[0] == pytest.approx(0.02) and np.isnan(q[1]) and q[2] == pytest.approx(0.04)


def test_agreement_agrmt_example():
    # statistics.md C: agrmt's own example gives A = 0.6113333
    value = float(agreement(np.array([30, 40, 210, 130, 530, 50, 10]))[0])
    assert value == pytest.approx(0.6113333, abs=1e-7)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [  # statistics.md C, worked examples (N = 12), column A
        ((0, 6, 0, 0, 0, 6, 0), -0.27),
        ((0, 0, 2, 8, 2, 0, 0), 0.83),
        ((0, 0, 0, 12, 0, 0, 0), 1.00),
        ((0, 3, 3, 0, 3, 3, 0), 0.26),
        ((2, 2, 2, 1, 2, 2, 1), 0.05),
        ((0, 0, 0, 1, 5, 5, 1), 0.72),
        ((0, 3, 0, 0, 4, 5, 0), 0.36),
    ],
)
def test_agreement_table_rows(counts, expected):
    assert round(float(agreement(np.array([counts]))[0]), 2) == expected


def test_agreement_vectorised_equals_row_by_row():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 6, size=(200, 7))
    counts[0] = 0
    together = agreement(counts)
    assert np.isnan(together[0])
    for row, value in zip(counts[1:], together[1:], strict=True):
        assert float(agreement(row[None, :])[0]) == pytest.approx(value)


def test_pattern_agreement_hand_cases():
    # one category: A = 1; uniform (all seven): no 0 in any triple, so TU + TDU = 0 and A = 0
    assert pattern_agreement((0, 0, 0, 1, 0, 0, 0)) == 1.0
    assert pattern_agreement((1,) * 7) == 0.0
    # (1,0,0,0,0,0,1): TU = 0, TDU = 5 triples (1, j, 7); U = (0 − 6·5)/(5·5) = −1.2;
    # A = −1.2 · (1 − 1/6) = −1.0 (perfect bimodality)
    assert pattern_agreement((1, 0, 0, 0, 0, 0, 1)) == pytest.approx(-1.0)


def test_min_valid_answers_exact():
    # contract 4: ceil(0.7 × 10) = 7 exactly (floating point gives 7.000000000000001 → 8)
    assert min_valid_answers(0.7, 10) == 7
    assert min_valid_answers(0.5, 3) == 2
    assert min_valid_answers(0.5, 4) == 2
    assert min_valid_answers(1.0, 6) == 6
    assert min_valid_answers(0.01, 3) == 1  # at least one valid answer is always needed


def test_round_half_up_not_to_even():
    assert round_half_up(np.array([2.5, 3.5, 4.49, 4.5, 5.5, 6.5])).tolist() == [3, 4, 4, 5, 6, 7]
    assert np.round(np.array([2.5, 4.5])).tolist() == [2, 4]  # what banker's rounding would give


def test_mean_sd_and_ci():
    x = np.array([3.0, 4.0, 4.0, 5.0, 7.0])
    mean, sd = mean_sd(np.array(5), x.sum(), (x**2).sum())
    assert float(mean) == pytest.approx(x.mean())
    assert float(sd) == pytest.approx(x.std(ddof=1))
    lo, hi = one_sample_ci(mean, sd, np.array(5))
    ref = sps.t.interval(0.95, 4, loc=x.mean(), scale=sps.sem(x))
    assert (float(lo), float(hi)) == pytest.approx(ref)
    # n < 2: sd and ci are missing; a constant row has sd exactly 0
    m1, s1 = mean_sd(np.array([1, 3]), np.array([4.0, 3 * 4.1]), np.array([16.0, 3 * 4.1**2]),
                     np.array([True, True]))
    assert np.isnan(s1[0]) and s1[1] == 0.0


@pytest.mark.parametrize(("n", "low", "high"), [(10, 2.84, 4.56), (40, 3.32, 4.08), (60, 3.39, 4.01)])
def test_flag_certainty_ci_examples(n, low, high):
    # statistics.md B: m = 3.7, s = 1.2
    lo, hi = one_sample_ci(np.array([3.7]), np.array([1.2]), np.array([n]))
    assert (round(float(lo[0]), 2), round(float(hi[0]), 2)) == (low, high)


def test_t_distribution_helpers_equal_scipy_stats():
    df = np.array([1.0, 2.5, 9.0, 23.86, 400.0])
    x = np.array([0.3, -1.2, 2.0, 2.44, 5.0])
    assert t_sf(x, df) == pytest.approx(sps.t.sf(x, df), rel=1e-12)
    for q in (0.95, 0.975, 0.995):
        assert t_ppf(q, df) == pytest.approx(sps.t.ppf(q, df), rel=1e-12)


def test_bh_on_random_family_equals_statsmodels():
    p = np.random.default_rng(5).random(500) ** 3
    assert bh_adjust(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], rel=1e-12)
