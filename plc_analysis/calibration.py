"""Rubric calibration: how well do the team's raters agree when scoring the same work?

Input is a long ratings table, one row per rater × piece of student work::

    work_id, rater_id, score[, item_id]

``score`` is a number (rubric points) or a label.  Labels are *nominal*
("Meets", "Approaching", "4. Neurosis"...: a number in a label does not make it a
level) unless an order is known: given as ``order=["Beginning", "Approaching", "Meets",
"Exceeds"]``, or carried by the data as an ordered pandas Categorical
(``pd.Categorical(scores, categories=levels, ordered=True)``, e.g. a rubric scale).
Unweighted Cohen's kappa, Fleiss' kappa and exact agreement work on any labels;
weighted kappa, adjacent agreement and ICC need ordered scores (numbers, or labels with
an order) and say so otherwise.  Rows with a missing score are ignored (not rated).
When an ``item_id`` column is present, the unit that raters agree on is the pair
(work_id, item_id) — one rubric row of one piece of work.  A rater scoring the same
unit twice is an error.

References
----------
Cohen, J. (1960, 1968) kappa and weighted kappa.  Fleiss, J. L. (1971). Measuring
nominal scale agreement among many raters. *Psychological Bulletin* 76, 378-382.
Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
rater reliability. *Psychological Bulletin* 86, 420-428.  McGraw, K. O. & Wong,
S. P. (1996) — ICC(A,1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "icc",
    "calibration_table",
]

_WEIGHTS = (None, "linear", "quadratic")


@dataclass(frozen=True)
class _Scale:
    """How the scores were read: ordered or not, and every category of the scale."""

    ordered: bool
    #: the scale's categories as numbers (None: the categories observed)
    categories: np.ndarray | None = None
    #: what the numbers stand for, when the scores were labels
    labels: tuple[str, ...] = ()

    def require_order(self, what: str) -> None:
        if not self.ordered:
            shown = ", ".join(repr(x) for x in self.labels[:6]) + (", ..." if len(self.labels) > 6 else "")
            raise ValueError(
                f"{what} needs ordered scores, but ratings.score holds labels with no order ({shown}); "
                "pass order=[...] from the lowest level to the highest (e.g. order=['Beginning', 'Approaching', "
                "'Meets', 'Exceeds']), or use an unweighted measure (cohen_kappa with weights=None, fleiss_kappa)"
            )


def _scale(scores: pd.Series, order: list | tuple | None) -> tuple[pd.Series, _Scale]:
    """Scores as numbers, and the scale they are on (see the module docstring)."""
    if order is None and isinstance(scores.dtype, pd.CategoricalDtype) and scores.dtype.ordered:
        order = list(scores.dtype.categories)
        scores = scores.astype(object)
    numbers = pd.to_numeric(scores.dropna(), errors="coerce")
    if order is None and numbers.notna().all():
        return pd.to_numeric(scores).astype(float), _Scale(True)
    if order is not None and numbers.notna().all() and pd.to_numeric(pd.Series(order), errors="coerce").notna().all():
        # numeric scores with a numeric order (e.g. order=[1, 2, 3, 4]): compared as numbers
        scores = pd.to_numeric(scores).map(lambda v: v if pd.isna(v) else f"{float(v):g}")
        order = [f"{float(v):g}" for v in order]
    text = scores.map(lambda v: v if pd.isna(v) else " ".join(str(v).split()))
    labels = sorted(set(text.dropna()))
    if order is not None:
        order = [" ".join(str(v).split()) for v in order]
        if len(set(order)) != len(order):
            raise ValueError(f"order has repeated levels: {order}")
        unknown = [v for v in labels if v not in order]
        if unknown:
            raise ValueError(f"ratings.score has value(s) not in order: {unknown}; order is {order}")
        position = {v: float(i + 1) for i, v in enumerate(order)}
        return text.map(position).astype(float), _Scale(True, np.arange(1.0, len(order) + 1), tuple(order))
    code = {v: float(i) for i, v in enumerate(labels)}
    return text.map(code).astype(float), _Scale(False, None, tuple(labels))


# --------------------------------------------------------------------------- input


def _prepare(ratings: pd.DataFrame, order: list | tuple | None = None) -> tuple[pd.DataFrame, list[str], _Scale]:
    """Validate; return (clean ratings with numeric scores, unit columns, the scale)."""
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError(f"ratings must be a pandas DataFrame, got {type(ratings).__name__}")
    missing = [c for c in ("work_id", "rater_id", "score") if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings is missing required column(s) {missing}; it has {list(ratings.columns)}")
    unit = ["work_id", "item_id"] if "item_id" in ratings.columns else ["work_id"]
    r = ratings[unit + ["rater_id", "score"]].copy()
    for c in unit + ["rater_id"]:
        if r[c].isna().any():
            raise ValueError(f"ratings.{c} has {int(r[c].isna().sum())} missing value(s)")
        r[c] = r[c].astype("str")
    r["score"], scale = _scale(r["score"], order)
    r = r[r["score"].notna()].reset_index(drop=True)
    dup = r.duplicated(unit + ["rater_id"])
    if dup.any():
        first = r.loc[dup, unit + ["rater_id"]].iloc[0].to_dict()
        raise ValueError(
            f"ratings has {int(dup.sum())} duplicate rating(s) of the same work by the same rater, e.g. {first}"
        )
    if r["rater_id"].nunique() < 2:
        raise ValueError(f"rater agreement needs at least 2 raters, got {r['rater_id'].nunique()}")
    return r, unit, scale


def _pairs(r: pd.DataFrame, unit: list[str]) -> pd.DataFrame:
    """Every pair of distinct raters on a shared unit (rater_a < rater_b)."""
    p = r.merge(r, on=unit, suffixes=("_a", "_b"))
    p = p[p["rater_id_a"] < p["rater_id_b"]]
    return p.rename(columns={"rater_id_a": "rater_a", "rater_id_b": "rater_b"}).reset_index(drop=True)


def _wide(r: pd.DataFrame, unit: list[str]) -> pd.DataFrame:
    """Units × raters matrix of scores (NaN where a rater did not score the unit)."""
    return r.pivot(index=unit, columns="rater_id", values="score")


# --------------------------------------------------------------------------- core maths


def _kappa(a: np.ndarray, b: np.ndarray, weights: str | None, categories: np.ndarray | None = None) -> float:
    """Cohen's kappa of two aligned score vectors; categories = observed values.

    Weights use the category *positions* in the sorted list of observed scores
    (as scikit-learn and R ``irr::kappa2`` do): linear ``|i - j|``, quadratic
    ``(i - j)**2``.  NaN when chance disagreement is zero (one category only).
    ``categories``: the whole scale (e.g. every level of a rubric given by an order),
    as scikit-learn's ``labels=``; default the values observed.
    """
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    if len(a) == 0:
        return float("nan")
    observed_values = np.concatenate([a, b])
    if categories is not None:
        cats = np.asarray(categories, dtype=float)
        codes = np.searchsorted(cats, observed_values)
    else:
        cats, codes = np.unique(observed_values, return_inverse=True)
    k = len(cats)
    ia, ib = codes[: len(a)], codes[len(a) :]
    observed = np.zeros((k, k))
    np.add.at(observed, (ia, ib), 1.0)
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((k, k))
    if weights is None:
        w = (i != j).astype(float)
    elif weights == "linear":
        w = np.abs(i - j).astype(float)
    else:
        w = ((i - j) ** 2).astype(float)
    chance = (w * expected).sum()
    if not chance > 0:
        return float("nan")
    return float(1.0 - (w * observed).sum() / chance)


def _icc_a1(x: np.ndarray) -> float:
    """ICC(A,1) (Shrout-Fleiss ICC(2,1)) of a complete n targets × k raters matrix."""
    n, k = x.shape
    if n < 2 or k < 2:
        return float("nan")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    if not denom > 0:
        return float("nan")
    return float((msr - mse) / denom)


# --------------------------------------------------------------------------- public


def agreement(ratings: pd.DataFrame, *, order: list | tuple | None = None) -> dict[str, float | int]:
    """Exact and adjacent agreement over every pair of raters on shared work.

    Each unit rated by m >= 2 raters contributes m(m-1)/2 rater pairs.

    Parameters
    ----------
    ratings : DataFrame
        ``work_id, rater_id, score`` (optional ``item_id``).
    order : list, optional
        The levels of label scores, lowest first (see the module docstring).

    Returns
    -------
    dict
        ``exact``: share of pairs giving the same score; ``adjacent``: share
        within one point or one level (``|a - b| <= 1``, includes exact; NaN for
        labels with no order); ``n_pairs``: number
        of rater pairs compared; ``n_works``: units rated by two or more raters.

    Raises
    ------
    ValueError
        Missing columns, fewer than 2 raters, or no unit rated by two raters.
    """
    r, unit, scale = _prepare(ratings, order)
    p = _pairs(r, unit)
    if len(p) == 0:
        raise ValueError("no work was rated by two or more raters; nothing to compare")
    diff = (p["score_a"] - p["score_b"]).abs()
    return {
        "exact": float((diff == 0).mean()),
        "adjacent": float((diff <= 1).mean()) if scale.ordered else float("nan"),
        "n_pairs": int(len(p)),
        "n_works": int(p[unit].drop_duplicates().shape[0]),
    }


def cohen_kappa(ratings: pd.DataFrame, weights: str | None = None, *, order: list | tuple | None = None) -> float:
    """Cohen's kappa for exactly two raters (optionally weighted).

    Uses the units both raters scored.  Categories are the scores observed
    (union of both raters, sorted numerically); weights are based on category
    positions in that list, as in scikit-learn's ``cohen_kappa_score`` and R
    ``irr::kappa2``.

    Parameters
    ----------
    ratings : DataFrame
        ``work_id, rater_id, score`` (optional ``item_id``) with exactly two
        distinct ``rater_id`` values.
    weights : {None, "linear", "quadratic"}, default None
        Disagreement weights: none (nominal), ``|i - j|`` or ``(i - j)**2``;
        weights need ordered scores (numbers, or labels with an order).
    order : list, optional
        The levels of label scores, lowest first; weights then use positions
        on this whole scale (scikit-learn's ``labels=order``), unused levels
        included.

    Returns
    -------
    float
        Kappa (1 = perfect agreement, 0 = chance level); NaN when only one
        score level was used by both raters (kappa undefined).

    Raises
    ------
    ValueError
        Not exactly two raters, no shared unit, bad `weights`, bad columns,
        weights asked of labels with no order.
    """
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    r, unit, scale = _prepare(ratings, order)
    if weights is not None:
        scale.require_order(f"{weights}-weighted kappa")
    raters = sorted(r["rater_id"].unique())
    if len(raters) != 2:
        raise ValueError(
            f"cohen_kappa needs exactly 2 raters, got {len(raters)}; use fleiss_kappa or calibration_table for more"
        )
    w = _wide(r, unit).dropna()
    if len(w) == 0:
        raise ValueError("the two raters share no scored work")
    return _kappa(w[raters[0]].to_numpy(), w[raters[1]].to_numpy(), weights, scale.categories)


def fleiss_kappa(ratings: pd.DataFrame, *, order: list | tuple | None = None) -> float:
    """Fleiss' kappa for many raters (nominal categories = observed scores).

    Each unit must be rated by the same number m >= 2 of raters (not
    necessarily the same raters).

    Parameters
    ----------
    ratings : DataFrame
        ``work_id, rater_id, score`` (optional ``item_id``); scores may be labels.
    order : list, optional
        The levels of label scores (only checked: every label must be one of them).

    Returns
    -------
    float
        Fleiss' kappa; NaN when every rating falls in one category.

    Raises
    ------
    ValueError
        Units rated by different numbers of raters, fewer than 2 raters per
        unit, or bad columns.
    """
    r, unit, _ = _prepare(ratings, order)
    per_unit = r.groupby(unit).size()
    m_values = np.unique(per_unit.to_numpy())
    if len(m_values) != 1:
        raise ValueError(
            "fleiss_kappa needs every work rated by the same number of raters; found "
            f"{', '.join(str(int(v)) for v in m_values)} raters per work"
        )
    m = int(m_values[0])
    if m < 2:
        raise ValueError("fleiss_kappa needs every work rated by at least 2 raters")
    counts = pd.crosstab([r[c] for c in unit], r["score"]).to_numpy(dtype=float)
    n_units = counts.shape[0]
    p_j = counts.sum(axis=0) / (n_units * m)
    p_i = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar = p_i.mean()
    p_e = (p_j**2).sum()
    if not p_e < 1:
        return float("nan")
    return float((p_bar - p_e) / (1 - p_e))


def icc(ratings: pd.DataFrame, *, order: list | tuple | None = None) -> float:
    """Intraclass correlation ICC(A,1): two-way random, absolute agreement, single rater.

    This is Shrout & Fleiss's ICC(2,1), computed from the two-way ANOVA mean
    squares of the complete units × raters table:

        (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)

    Only units scored by *every* rater in `ratings` are used (complete cases);
    filter `ratings` to the raters of interest first, or use
    :func:`calibration_table` for pairwise values.

    Parameters
    ----------
    ratings : DataFrame
        ``work_id, rater_id, score`` (optional ``item_id``).
    order : list, optional
        The levels of label scores, lowest first: level i counts as i (1-based).

    Returns
    -------
    float
        ICC(A,1); NaN when all scores are identical.

    Raises
    ------
    ValueError
        Fewer than 2 raters or fewer than 2 units scored by all raters; labels
        with no order.
    """
    r, unit, scale = _prepare(ratings, order)
    scale.require_order("icc")
    w = _wide(r, unit).dropna()
    if len(w) < 2:
        raise ValueError(f"icc needs at least 2 works scored by all {r['rater_id'].nunique()} raters, got {len(w)}")
    return _icc_a1(w.to_numpy(dtype=float))


def calibration_table(
    ratings: pd.DataFrame,
    threshold: float = 0.6,
    *,
    exact_threshold: float = 0.5,
    min_works: int = 5,
    order: list | tuple | None = None,
) -> pd.DataFrame:
    """Pairwise rater agreement, with a plain-words calibration verdict.

    Parameters
    ----------
    ratings : DataFrame
        ``work_id, rater_id, score`` (optional ``item_id``).
    threshold : float, default 0.6
        Quadratic-weighted kappa below which a pair needs calibration.
    exact_threshold : float, default 0.5
        Exact-agreement share below which a pair needs calibration.
    min_works : int, default 5
        Fewer shared works than this is "too few" (and needs calibration).
    order : list, optional
        The levels of label scores, lowest first (the table's weighted kappa
        and ICC need ordered scores).

    Returns
    -------
    DataFrame
        One row per pair of raters that share at least one work (and per
        ``item_id`` when present), sorted by item_id, rater_a, rater_b, with
        columns:

        - ``item_id``: missing when `ratings` has no item_id column
        - ``rater_a``, ``rater_b``: the two raters (``rater_a < rater_b``)
        - ``n_works``: works both scored
        - ``exact``, ``adjacent``: shares of those works with the same score /
          scores within one point
        - ``kappa_quadratic``: quadratic-weighted Cohen's kappa (NaN if undefined)
        - ``icc``: ICC(A,1) of the pair (NaN with fewer than 2 works)
        - ``needs_calibration`` (bool): ``kappa_quadratic < threshold`` or
          ``exact < exact_threshold`` or ``n_works < min_works``
        - ``note``: e.g. ``"another calibration round recommended: quadratic
          kappa 0.42 on 18 shared works"``, ``"too few shared works (n=3)"``
          or ``"calibrated: quadratic kappa 0.85, exact agreement 72% on 18
          shared works"``.

    Raises
    ------
    ValueError
        Fewer than 2 raters or bad columns.
    """
    r, unit, scale = _prepare(ratings, order)
    scale.require_order("calibration_table (quadratic kappa, ICC)")
    has_item = "item_id" in unit
    p = _pairs(r, unit)
    keys = (["item_id"] if has_item else []) + ["rater_a", "rater_b"]
    cols = [
        "item_id",
        "rater_a",
        "rater_b",
        "n_works",
        "exact",
        "adjacent",
        "kappa_quadratic",
        "icc",
        "needs_calibration",
        "note",
    ]
    if len(p) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        return empty.astype(
            {
                "n_works": "int64",
                "exact": float,
                "adjacent": float,
                "kappa_quadratic": float,
                "icc": float,
                "needs_calibration": bool,
            }
        )

    diff = (p["score_a"] - p["score_b"]).abs()
    p["is_exact"] = diff == 0
    p["is_adjacent"] = diff <= 1
    g = p.groupby(keys, sort=True)
    out = g.agg(
        n_works=("score_a", "size"),
        exact=("is_exact", "mean"),
        adjacent=("is_adjacent", "mean"),
    )
    kappas, iccs = [], []
    for _, grp in g:  # one loop per rater pair (and item), not per row
        a = grp["score_a"].to_numpy(dtype=float)
        b = grp["score_b"].to_numpy(dtype=float)
        kappas.append(_kappa(a, b, "quadratic", scale.categories))
        iccs.append(_icc_a1(np.column_stack([a, b])))
    out["kappa_quadratic"] = kappas
    out["icc"] = iccs
    out = out.reset_index()
    if not has_item:
        out.insert(0, "item_id", pd.Series(pd.NA, index=out.index, dtype="str"))

    too_few = out["n_works"] < min_works
    low_kappa = out["kappa_quadratic"] < threshold
    low_exact = out["exact"] < exact_threshold
    out["needs_calibration"] = (too_few | low_kappa | low_exact).astype(bool)
    out["note"] = [
        _note(n, e, k, few, lk, le)
        for n, e, k, few, lk, le in zip(
            out["n_works"], out["exact"], out["kappa_quadratic"], too_few, low_kappa, low_exact
        )
    ]
    out["note"] = out["note"].astype("str")
    out["n_works"] = out["n_works"].astype("int64")
    return out[cols]


def _note(n: int, exact: float, kappa: float, few: bool, low_kappa: bool, low_exact: bool) -> str:
    kappa_txt = "n/a (one score level)" if np.isnan(kappa) else f"{kappa:.2f}"
    if few:
        return f"too few shared works (n={n})"
    reasons = []
    if low_kappa:
        reasons.append(f"quadratic kappa {kappa_txt}")
    if low_exact:
        reasons.append(f"exact agreement {exact:.0%}")
    if reasons:
        return f"another calibration round recommended: {', '.join(reasons)} on {n} shared works"
    return f"calibrated: quadratic kappa {kappa_txt}, exact agreement {exact:.0%} on {n} shared works"
