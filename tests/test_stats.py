"""Tests for plc_analysis.stats: Wilson, Newcombe hybrid score, Feldt intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

from plc_analysis.stats import (
    SIGNAL_NO_DIFFERENCE,
    SIGNAL_STRONGER,
    SIGNAL_TOO_FEW,
    SIGNAL_WEAKER,
    cronbach_alpha_interval,
    proportion_difference_interval,
    signal_from_interval,
    wilson_interval,
)

Z95 = sps.norm.ppf(0.975)


# ---------------------------------------------------------------- independent references


def wilson_by_root_finding(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson bounds as the roots of |p_hat - p| = z sqrt(p (1 - p) / n) (no closed form)."""
    p_hat = x / n

    def f(p: float) -> float:
        return (p_hat - p) ** 2 - z * z * p * (1 - p) / n

    # f(p_hat) <= 0 and f(0), f(1) >= 0; nudge off p_hat when it is itself a root (0 or 1)
    low = 0.0 if x == 0 else optimize.brentq(f, 0.0, min(p_hat, 1 - 1e-12), xtol=1e-15)
    high = 1.0 if x == n else optimize.brentq(f, max(p_hat, 1e-12), 1.0, xtol=1e-15)
    return low, high


def newcombe_reference(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe (1998) method 10 written directly from the paper's formula."""
    l1, u1 = wilson_by_root_finding(x1, n1)
    l2, u2 = wilson_by_root_finding(x2, n2)
    d = x1 / n1 - x2 / n2
    delta = math.sqrt((x1 / n1 - l1) ** 2 + (u2 - x2 / n2) ** 2)
    eps = math.sqrt((u1 - x1 / n1) ** 2 + (x2 / n2 - l2) ** 2)
    return d - delta, d + eps


# ---------------------------------------------------------------- Wilson


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998a), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_published_values(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert isinstance(lo, float) and isinstance(hi, float)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (3, 7), (50, 100), (999, 1000), (7, 12)])
def test_wilson_matches_root_finding(x, n):
    assert wilson_interval(x, n) == pytest.approx(wilson_by_root_finding(x, n), abs=1e-10)


def test_wilson_matches_statsmodels():
    smp = pytest.importorskip("statsmodels.stats.proportion")
    for x, n in [(0, 10), (4, 10), (81, 263), (10, 10)]:
        for conf in (0.9, 0.95, 0.99):
            ref = smp.proportion_confint(x, n, alpha=1 - conf, method="wilson")
            assert wilson_interval(x, n, conf) == pytest.approx(ref, abs=1e-10)


def test_wilson_confidence_level_changes_width():
    lo90, hi90 = wilson_interval(30, 60, 0.90)
    lo99, hi99 = wilson_interval(30, 60, 0.99)
    assert hi99 - lo99 > hi90 - lo90


def test_wilson_vectorised_and_zero_n():
    x = pd.Series([0, 3, 81, 0])
    n = pd.Series([0, 10, 263, 5])
    low, high = wilson_interval(x, n)
    assert isinstance(low, np.ndarray) and low.shape == (4,)
    assert np.isnan(low[0]) and np.isnan(high[0])
    for i in range(1, 4):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(int(x[i]), int(n[i])))
    assert wilson_interval(0, 0) == pytest.approx((np.nan, np.nan), nan_ok=True)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((5, 3), "between 0 and n"),
        ((-1, 3), "between 0 and n"),
        ((1, -2), "n must be"),
        ((1, 3, 1.5), "confidence"),
        ((1, 3, 0), "confidence"),
    ],
)
def test_wilson_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=5000),
    frac=st.floats(min_value=0, max_value=1),
    conf=st.floats(min_value=0.5, max_value=0.999),
)
def test_wilson_properties(n, frac, conf):
    x = round(frac * n)
    lo, hi = wilson_interval(x, n, conf)
    p = x / n
    assert 0.0 <= lo <= p <= hi <= 1.0


# ---------------------------------------------------------------- Newcombe method 10


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        # Newcombe (1998b), Statistics in Medicine 17:873-890, Table II, method 10
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
    ],
)
def test_newcombe_published_values(x1, n1, x2, n2, low, high):
    lo, hi = proportion_difference_interval(x1, n1, x2, n2)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(
    "counts",
    [(56, 70, 48, 80), (6, 7, 2, 7), (10, 10, 0, 20), (10, 10, 0, 10), (1, 3, 2, 3), (30, 31, 1, 40)],
)
def test_newcombe_matches_reference_formula(counts):
    assert proportion_difference_interval(*counts) == pytest.approx(newcombe_reference(*counts), abs=1e-9)


def test_newcombe_vectorised_and_empty_group():
    low, high = proportion_difference_interval(
        np.array([56, 9, 0]), np.array([70, 10, 0]), np.array([48, 3, 1]), np.array([80, 10, 4])
    )
    assert low[0] == pytest.approx(0.0524, abs=5e-5)
    assert high[1] == pytest.approx(0.8090, abs=5e-5)
    assert np.isnan(low[2]) and np.isnan(high[2])


@settings(max_examples=150, deadline=None)
@given(
    n1=st.integers(1, 400),
    n2=st.integers(1, 400),
    f1=st.floats(0, 1),
    f2=st.floats(0, 1),
)
def test_newcombe_properties(n1, n2, f1, f2):
    x1, x2 = round(f1 * n1), round(f2 * n2)
    lo, hi = proportion_difference_interval(x1, n1, x2, n2)
    d = x1 / n1 - x2 / n2
    assert -1.0 <= lo <= d + 1e-12
    assert d - 1e-12 <= hi <= 1.0
    # swapping the groups mirrors the interval
    lo2, hi2 = proportion_difference_interval(x2, n2, x1, n1)
    assert lo2 == pytest.approx(-hi, abs=1e-12) and hi2 == pytest.approx(-lo, abs=1e-12)


# ---------------------------------------------------------------- Feldt interval for alpha


def test_feldt_matches_swapped_df_identity():
    # F_q(d1, d2) = 1 / F_{1-q}(d2, d1): an independent route to the same bounds
    alpha, n, k = 0.82, 40, 12
    d1, d2 = n - 1, (n - 1) * (k - 1)
    ref_low = 1 - (1 - alpha) / sps.f.ppf(0.025, d2, d1)
    ref_high = 1 - (1 - alpha) / sps.f.ppf(0.975, d2, d1)
    low, high = cronbach_alpha_interval(alpha, n, k)
    assert low == pytest.approx(ref_low, rel=1e-10)
    assert high == pytest.approx(ref_high, rel=1e-10)
    assert low < alpha < high < 1


def test_feldt_coverage_by_simulation():
    # Parallel items with normal true scores: Feldt's interval is exact here.
    rng = np.random.default_rng(20240611)
    reps, n, k = 2000, 30, 6
    true_var, err_var = 1.0, 2.0
    true_alpha = k * true_var / (k * true_var + err_var)
    t = rng.normal(0, math.sqrt(true_var), size=(reps, n, 1))
    x = t + rng.normal(0, math.sqrt(err_var), size=(reps, n, k))
    item_var = x.var(axis=1, ddof=1).sum(axis=1)
    total_var = x.sum(axis=2).var(axis=1, ddof=1)
    alpha_hat = k / (k - 1) * (1 - item_var / total_var)
    low, high = cronbach_alpha_interval(alpha_hat, n, k)
    coverage = np.mean((low <= true_alpha) & (true_alpha <= high))
    assert 0.93 <= coverage <= 0.97


def test_feldt_bad_input():
    with pytest.raises(ValueError, match="2 persons"):
        cronbach_alpha_interval(0.8, 1, 10)
    with pytest.raises(ValueError, match="2 items"):
        cronbach_alpha_interval(0.8, 30, 1)
    assert all(np.isnan(cronbach_alpha_interval(float("nan"), 30, 5)))


# ---------------------------------------------------------------- signal words


def test_signal_from_interval_words():
    assert signal_from_interval(0.05, 0.3, 25, 60) == SIGNAL_STRONGER
    assert signal_from_interval(-0.3, -0.01, 25, 60) == SIGNAL_WEAKER
    assert signal_from_interval(-0.1, 0.2, 25, 60) == SIGNAL_NO_DIFFERENCE
    assert signal_from_interval(0.05, 0.3, 9, 60) == SIGNAL_TOO_FEW
    assert signal_from_interval(0.05, 0.3, 25, 60, min_n=30) == SIGNAL_TOO_FEW
    assert signal_from_interval(float("nan"), float("nan"), 25, 60) == SIGNAL_TOO_FEW
    # the boundary: an interval touching 0 is not a clear difference
    assert signal_from_interval(0.0, 0.3, 25, 60) == SIGNAL_NO_DIFFERENCE


def test_signal_vectorised_with_newcombe():
    x1, n1 = np.array([28, 5, 15, 3]), np.array([30, 30, 30, 5])
    x2, n2 = np.array([40, 60, 45, 40]), np.array([80, 80, 80, 80])
    low, high = proportion_difference_interval(x1, n1, x2, n2)
    words = signal_from_interval(low, high, n1, n2)
    assert list(words) == [SIGNAL_STRONGER, SIGNAL_WEAKER, SIGNAL_NO_DIFFERENCE, SIGNAL_TOO_FEW]
