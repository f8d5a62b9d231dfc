"""Small statistical building blocks: intervals for shares, differences and alpha.

Every function here is pure and accepts plain numbers; the interval functions also
accept NumPy arrays or pandas Series (elementwise, broadcasting), so that a group-by
table can get its intervals in one call::

    table["low"], table["high"] = wilson_interval(table["proficient"], table["n"])

Scalar inputs give a tuple of Python floats; array-like inputs give a tuple of NumPy
arrays.  A count of zero students gives ``nan`` bounds, never an error.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. *JASA* 22, 209-212.

Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890.

Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
reliability coefficient twenty. *Psychometrika* 30, 357-370.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as _sp  # not scipy.stats: its import costs ~0.5 s in every report kernel

__all__ = [
    "wilson_interval",
    "proportion_difference_interval",
    "cronbach_alpha_interval",
    "signal_from_interval",
    "SIGNAL_STRONGER",
    "SIGNAL_WEAKER",
    "SIGNAL_NO_DIFFERENCE",
    "SIGNAL_TOO_FEW",
]

#: Labels returned by :func:`signal_from_interval`.
SIGNAL_STRONGER = "stronger than team"
SIGNAL_WEAKER = "weaker than team"
SIGNAL_NO_DIFFERENCE = "no clear difference"
SIGNAL_TOO_FEW = "too few students"

#: One number (a count, a share, a bound): the functions answer with floats (or a str) for these.
_Number = float | np.number[Any]
_Bounds = tuple[float, float] | tuple[np.ndarray, np.ndarray]


def _is_scalar(*values: Any) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def _as_float_array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return float(_sp.ndtri(0.5 + confidence / 2))


def _check_counts(x: np.ndarray, n: np.ndarray, xname: str, nname: str) -> None:
    with np.errstate(invalid="ignore"):
        if np.any(n < 0):
            raise ValueError(f"{nname} must be >= 0")
        if np.any(x < 0) or np.any(x > n):
            raise ValueError(f"{xname} must lie between 0 and {nname}")


def _wilson_arrays(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds for float arrays (already validated); nan where n == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # the bounds are exactly 0 / 1 at the edges; remove floating-point fuzz there
    low = np.where(x == 0, 0.0, low)
    high = np.where(x == n, 1.0, high)
    empty = ~(n > 0)  # n == 0 or nan
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return low, high


def _pack(scalar: bool, low: np.ndarray, high: np.ndarray) -> _Bounds:
    if scalar:
        return float(low), float(high)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


@overload
def wilson_interval(successes: _Number, n: _Number, confidence: float = 0.95) -> tuple[float, float]: ...
@overload
def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]: ...
def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> _Bounds:
    """Wilson score interval for a proportion (e.g. share of students proficient).

    Parameters
    ----------
    successes : int, float or array-like
        Number of successes (0 <= successes <= n).
    n : int, float or array-like
        Number of trials (students).  Broadcast against `successes`.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    tuple
        ``(low, high)``: two floats for scalar input, two float NumPy arrays for
        array-like input.  Bounds lie in [0, 1]; ``n == 0`` (or a missing value)
        gives ``(nan, nan)``.

    Raises
    ------
    ValueError
        If ``n < 0``, ``successes`` is outside ``[0, n]`` or `confidence` is not in (0, 1).
    """
    scalar = _is_scalar(successes, n)
    x = _as_float_array(successes, "successes")
    nn = _as_float_array(n, "n")
    _check_counts(x, nn, "successes", "n")
    low, high = _wilson_arrays(x, nn, _z(confidence))
    return _pack(scalar, low, high)


@overload
def proportion_difference_interval(
    x1: _Number, n1: _Number, x2: _Number, n2: _Number, confidence: float = 0.95
) -> tuple[float, float]: ...
@overload
def proportion_difference_interval(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]: ...
def proportion_difference_interval(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, confidence: float = 0.95
) -> _Bounds:
    """Newcombe's hybrid score interval for a difference of two proportions, p1 - p2.

    This is method 10 of Newcombe (1998): it combines the Wilson intervals
    ``(l1, u1)`` and ``(l2, u2)`` of the two proportions as

    ``low  = d - z * sqrt(l1 (1 - l1) / n1 + u2 (1 - u2) / n2)``
    ``high = d + z * sqrt(u1 (1 - u1) / n1 + l2 (1 - l2) / n2)``

    with ``d = x1/n1 - x2/n2``.  Typical use: a teacher's share proficient (1)
    against the rest of the team (2).

    Parameters
    ----------
    x1, n1 : int, float or array-like
        Successes and trials in the first group.
    x2, n2 : int, float or array-like
        Successes and trials in the second (comparison) group.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    tuple
        ``(low, high)`` bounds for ``p1 - p2`` within [-1, 1]: floats for scalar
        input, float NumPy arrays for array-like input.  ``nan`` where either
        ``n`` is 0.

    Raises
    ------
    ValueError
        For negative counts, successes outside ``[0, n]`` or a bad `confidence`.
    """
    scalar = _is_scalar(x1, n1, x2, n2)
    a1, m1 = _as_float_array(x1, "x1"), _as_float_array(n1, "n1")
    a2, m2 = _as_float_array(x2, "x2"), _as_float_array(n2, "n2")
    _check_counts(a1, m1, "x1", "n1")
    _check_counts(a2, m2, "x2", "n2")
    z = _z(confidence)
    l1, u1 = _wilson_arrays(a1, m1, z)
    l2, u2 = _wilson_arrays(a2, m2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = a1 / m1 - a2 / m2
        low = d - z * np.sqrt(l1 * (1 - l1) / m1 + u2 * (1 - u2) / m2)
        high = d + z * np.sqrt(u1 * (1 - u1) / m1 + l2 * (1 - l2) / m2)
    low = np.clip(low, -1.0, 1.0)
    high = np.clip(high, -1.0, 1.0)
    return _pack(scalar, low, high)


@overload
def cronbach_alpha_interval(
    alpha: _Number, n_persons: _Number, k_items: _Number, confidence: float = 0.95
) -> tuple[float, float]: ...
@overload
def cronbach_alpha_interval(
    alpha: ArrayLike, n_persons: ArrayLike, k_items: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]: ...
def cronbach_alpha_interval(
    alpha: ArrayLike, n_persons: ArrayLike, k_items: ArrayLike, confidence: float = 0.95
) -> _Bounds:
    """Feldt (1965) confidence interval for Cronbach's alpha (or KR-20).

    Uses ``(1 - alpha) / (1 - alpha_hat) ~ F(n - 1, (n - 1)(k - 1))``, giving

    ``low  = 1 - (1 - alpha_hat) * F.ppf(1 - g/2, n - 1, (n - 1)(k - 1))``
    ``high = 1 - (1 - alpha_hat) * F.ppf(g/2,     n - 1, (n - 1)(k - 1))``

    with ``g = 1 - confidence``.

    Parameters
    ----------
    alpha : float or array-like
        Sample alpha (may be negative; ``nan`` gives ``nan`` bounds).
    n_persons : int or array-like
        Number of students (complete cases) used for alpha; at least 2.
    k_items : int or array-like
        Number of items; at least 2.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    tuple
        ``(low, high)``: floats for scalar input, float arrays otherwise.

    Raises
    ------
    ValueError
        If ``n_persons < 2``, ``k_items < 2``, ``alpha > 1`` or a bad `confidence`.
    """
    scalar = _is_scalar(alpha, n_persons, k_items)
    a = _as_float_array(alpha, "alpha")
    n = _as_float_array(n_persons, "n_persons")
    k = _as_float_array(k_items, "k_items")
    _z(confidence)  # validates the level
    if np.any(n < 2):
        raise ValueError("cronbach_alpha_interval needs at least 2 persons")
    if np.any(k < 2):
        raise ValueError("cronbach_alpha_interval needs at least 2 items")
    with np.errstate(invalid="ignore"):
        if np.any(a > 1):
            raise ValueError("alpha cannot exceed 1")
    g = 1.0 - confidence
    df1 = n - 1
    df2 = (n - 1) * (k - 1)
    low = 1 - (1 - a) * _sp.fdtri(df1, df2, 1 - g / 2)
    high = 1 - (1 - a) * _sp.fdtri(df1, df2, g / 2)
    return _pack(scalar, low, high)


@overload
def signal_from_interval(low: _Number, high: _Number, n1: _Number, n2: _Number, min_n: int = 10) -> str: ...
@overload
def signal_from_interval(
    low: ArrayLike, high: ArrayLike, n1: ArrayLike, n2: ArrayLike, min_n: int = 10
) -> np.ndarray: ...
def signal_from_interval(
    low: ArrayLike, high: ArrayLike, n1: ArrayLike, n2: ArrayLike, min_n: int = 10
) -> str | np.ndarray:
    """Turn an interval for a difference (group 1 minus group 2) into words.

    Intended for "this teacher vs the rest of the team": group 1 is the teacher's
    students, group 2 the comparison group, and ``(low, high)`` an interval for
    ``p1 - p2`` (e.g. from :func:`proportion_difference_interval`).

    Parameters
    ----------
    low, high : float or array-like
        Interval bounds for the difference.
    n1, n2 : int or array-like
        Number of students in each group.
    min_n : int, default 10
        Minimum number of students required in *each* group to compare at all.

    Returns
    -------
    str or numpy.ndarray of str
        ``"too few students"`` when ``n1 < min_n`` or ``n2 < min_n`` (or the
        interval is missing); otherwise ``"stronger than team"`` when
        ``low > 0``, ``"weaker than team"`` when ``high < 0`` and
        ``"no clear difference"`` when the interval contains 0.  A string for
        scalar input, an object array of strings for array-like input.
    """
    scalar = _is_scalar(low, high, n1, n2)
    lo = _as_float_array(low, "low")
    hi = _as_float_array(high, "high")
    a = _as_float_array(n1, "n1")
    b = _as_float_array(n2, "n2")
    lo, hi, a, b = np.broadcast_arrays(lo, hi, a, b)
    with np.errstate(invalid="ignore"):
        too_few = ~((a >= min_n) & (b >= min_n)) | np.isnan(lo) | np.isnan(hi)
        out = np.select(
            [too_few, lo > 0, hi < 0],
            [SIGNAL_TOO_FEW, SIGNAL_STRONGER, SIGNAL_WEAKER],
            default=SIGNAL_NO_DIFFERENCE,
        ).astype(object)
    if scalar:
        return str(out.item())
    return out
