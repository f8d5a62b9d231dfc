"""Item statistics of one common formative assessment, from its tidy score table.

Input is the long score table (one row per student × item)::

    student_id, item_id, points[, response][, assessment_id]

and optionally an items table ``item_id, max_points[, kind][, key]``.  Without an
items table every item is worth 1 point.

Conventions used throughout (they matter for small teams, so they are stated once):

* ``points`` missing (NaN) means *not attempted* and counts as 0 points, both for
  the item and for the student's total score.
* A student with **no row** for an item did not take it.  Correlations and
  reliability use the *complete-case* student × item matrix: only students with a
  row for every item are included (``n_complete``).  Counts and difficulty use
  every row for the item (``n``).
* Duplicate rows for one student and item (e.g. double-scored work carrying a
  ``rater_id``) are collapsed into one: points averaged, first non-missing
  response kept.
* Statistics are per assessment: if ``scores`` has an ``assessment_id`` column it
  must hold a single assessment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .item_kernels import (
    BLANK_OPTION,
    FLAG_LOW_DISCRIMINATION,
    FLAG_NEGATIVE_DISCRIMINATION,
    FLAG_VERY_EASY,
    FLAG_VERY_HARD,
    distractor_items,
    item_stats_arrays,
    prepare,
    reliability_of,
    require_columns,
)

__all__ = [
    "item_statistics",
    "reliability",
    "reliability_summary",
    "distractor_analysis",
    "FLAG_VERY_EASY",
    "FLAG_VERY_HARD",
    "FLAG_LOW_DISCRIMINATION",
    "FLAG_NEGATIVE_DISCRIMINATION",
    "BLANK_OPTION",
]


def item_statistics(
    scores: pd.DataFrame,
    items: pd.DataFrame | None = None,
    *,
    easy_threshold: float = 0.9,
    hard_threshold: float = 0.2,
    low_discrimination: float = 0.2,
) -> pd.DataFrame:
    """Classical item statistics: difficulty, discrimination, alpha if deleted, flags.

    Parameters
    ----------
    scores : DataFrame
        Long scores ``student_id, item_id, points`` for one assessment.  Missing
        ``points`` = not attempted = 0 points.
    items : DataFrame, optional
        ``item_id, max_points`` (other columns ignored).  Without it every item
        is worth 1 point.  Items in the table but without scores are omitted.
    easy_threshold : float, default 0.9
        Difficulty above which an item is flagged ``"very easy"``.
    hard_threshold : float, default 0.2
        Difficulty below which an item is flagged ``"very hard"``.
    low_discrimination : float, default 0.2
        Discrimination in ``[0, low_discrimination)`` is flagged
        ``"low discrimination"``; below 0 is flagged
        ``"negative discrimination — check the key"``.

    Returns
    -------
    DataFrame
        Indexed by ``item_id`` (str), in the items table's order (else first
        appearance), with columns:

        - ``n``: students with a score row for the item.
        - ``n_not_attempted``: of those, rows with missing points.
        - ``n_complete``: students in the complete-case matrix (a row for every
          item) — the sample for the three correlation columns.
        - ``max_points``: item maximum.
        - ``mean_points``: mean points over the ``n`` rows (not attempted = 0).
        - ``difficulty``: ``mean_points / max_points`` (0-1, higher = easier).
        - ``discrimination``: corrected item-rest Pearson correlation (item vs
          total score without the item), complete cases.
        - ``item_total_r``: uncorrected item-total Pearson correlation.
        - ``alpha_if_deleted``: Cronbach's alpha of the remaining items.
        - ``flags``: comma-separated words (empty string when none).

        Correlations are NaN for an item on which every complete-case student
        scored the same (or when fewer than 2 complete cases exist);
        ``alpha_if_deleted`` is NaN with fewer than 3 items.

    Raises
    ------
    ValueError
        Missing columns, non-numeric or negative points, points above
        ``max_points``, items absent from the items table, or several assessments.
    """
    p = prepare(scores, items)
    cols = item_stats_arrays(p, easy_threshold, hard_threshold, low_discrimination)
    out = pd.DataFrame(cols, index=pd.Index(p.order, name="item_id", dtype="str"))
    out["flags"] = out["flags"].astype("str")
    return out


# --------------------------------------------------------------------------- reliability


def reliability(scores: pd.DataFrame, items: pd.DataFrame | None = None, confidence: float = 0.95) -> float:
    """Cronbach's alpha of the assessment (KR-20 when every item is scored 0/1).

    ``alpha = k / (k - 1) * (1 - sum(item variances) / variance(total))`` on the
    complete-case student × item matrix (students with a row for every item;
    not attempted = 0 points).

    Parameters
    ----------
    scores : DataFrame
        Long scores ``student_id, item_id, points`` for one assessment.
    items : DataFrame, optional
        ``item_id, max_points``; only used for validation here (alpha does not
        depend on the maximum).
    confidence : float, default 0.95
        Accepted for symmetry with :func:`reliability_summary`; not used.

    Returns
    -------
    float
        Cronbach's alpha; NaN when the total score does not vary.

    Raises
    ------
    ValueError
        Fewer than 2 items or fewer than 2 complete-case students, or any input
        problem listed in :func:`item_statistics`.
    """
    return reliability_summary(scores, items, confidence=confidence)["alpha"]


def reliability_summary(
    scores: pd.DataFrame, items: pd.DataFrame | None = None, confidence: float = 0.95
) -> dict[str, float | int]:
    """Cronbach's alpha with a Feldt confidence interval and the SEM.

    Parameters
    ----------
    scores, items : DataFrame
        As for :func:`reliability`.
    confidence : float, default 0.95
        Level of the Feldt (1965) interval.

    Returns
    -------
    dict
        ``alpha``, ``ci_low``, ``ci_high`` (Feldt interval), ``n_students``
        (complete cases), ``n_items``, ``sem`` (standard error of measurement
        in points: ``sd(total) * sqrt(1 - alpha)``, NaN when alpha is NaN) and
        ``sd_total`` (sample SD of the total score).

    Raises
    ------
    ValueError
        Fewer than 2 items or fewer than 2 complete-case students.
    """
    return reliability_of(prepare(scores, items), confidence)


# --------------------------------------------------------------------------- distractors


def distractor_analysis(scores: pd.DataFrame, items: pd.DataFrame, *, group_fraction: float = 0.27) -> pd.DataFrame:
    """Option-level analysis of multiple-choice items, with likely-miskey detection.

    Students are ranked by total score (sum of points over all items in
    `scores`, not attempted = 0); the top and bottom `group_fraction` (Kelley's
    27 %) form the upper and lower groups.  Ties at a group boundary are broken
    by ``student_id`` (ascending for both groups), so the split is deterministic.
    Group size is ``round(group_fraction * N)``, at least 1 and at most ``N // 2``.

    Parameters
    ----------
    scores : DataFrame
        Long scores with ``student_id, item_id, points, response``.  Responses
        are compared to keys after stripping spaces and upper-casing; a missing
        or empty response is shown as option ``"(blank)"``.
    items : DataFrame
        ``item_id, max_points`` and ``kind`` and/or ``key``.  MC items are
        those with ``kind == "mc"`` or a non-missing ``key``.
    group_fraction : float, default 0.27
        Share of students in each of the upper and lower groups (0 < f <= 0.5).

    Returns
    -------
    DataFrame
        One row per MC item × option (every option chosen by someone, plus the
        key even when nobody chose it), in item order then option order with
        ``"(blank)"`` last, columns:

        - ``item_id``, ``key`` (normalised; "" when the item has no key),
          ``option``, ``is_key`` (bool)
        - ``n``: students choosing the option; ``share``: ``n`` over students
          with a row for the item
        - ``share_upper`` / ``share_lower``: share of the upper / lower group
          (students of the group with a row for the item) choosing it
        - ``discrimination_index``: ``share_upper - share_lower``
        - ``point_biserial``: Pearson correlation between choosing the option
          and the rest score (total minus this item's points); NaN if constant
        - ``likely_miskey`` (bool): a non-key, non-blank option that the upper
          group chose more often than the key, with a positive point-biserial
        - ``flag``: item-level text, repeated on each of the item's rows, e.g.
          ``"option C chosen more by high scorers than the key B — check the key"``;
          "" when nothing is wrong.

    Raises
    ------
    ValueError
        Missing columns (``response`` in scores; ``kind`` or ``key`` in items),
        no MC item, a bad `group_fraction`, or the checks of :func:`item_statistics`.
    """
    if not 0 < group_fraction <= 0.5:
        raise ValueError(f"group_fraction must be in (0, 0.5], got {group_fraction!r}")
    require_columns(scores, ["student_id", "item_id", "points", "response"], "scores")
    if items is None:
        raise ValueError("distractor_analysis needs an items table with kind and/or key")
    require_columns(items, ["item_id", "max_points"], "items")
    if "kind" not in items.columns and "key" not in items.columns:
        raise ValueError("items needs a 'kind' or a 'key' column to find the MC items")
    p = prepare(scores, items, options=True)
    results = distractor_items(p, group_fraction)

    sizes = [len(r.options) for r in results]
    order = np.asarray(p.order, dtype=object)
    out = pd.DataFrame(
        {
            "item_id": np.repeat(order[[r.item for r in results]], sizes),
            "key": np.repeat(np.array([r.key for r in results], dtype=object), sizes),
            "option": np.array([o for r in results for o in r.options], dtype=object),
            "is_key": np.concatenate([r.is_key for r in results]),
            "n": np.concatenate([r.n for r in results]),
            "share": np.concatenate([r.share for r in results]),
            "share_upper": np.concatenate([r.share_upper for r in results]),
            "share_lower": np.concatenate([r.share_lower for r in results]),
            "discrimination_index": np.concatenate([r.discrimination_index for r in results]),
            "point_biserial": np.concatenate([r.point_biserial for r in results]),
            "likely_miskey": np.concatenate([r.likely_miskey for r in results]),
            "flag": np.repeat(np.array([r.flag for r in results], dtype=object), sizes),
        }
    )
    for c in ("item_id", "key", "option", "flag"):
        out[c] = out[c].astype("str")
    out["is_key"] = out["is_key"].astype(bool)
    out["likely_miskey"] = out["likely_miskey"].astype(bool)
    return out
