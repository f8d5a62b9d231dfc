"""Item analysis for one common formative assessment.

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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .stats import cronbach_alpha_interval

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

FLAG_VERY_EASY = "very easy"
FLAG_VERY_HARD = "very hard"
FLAG_LOW_DISCRIMINATION = "low discrimination"
FLAG_NEGATIVE_DISCRIMINATION = "negative discrimination — check the key"
#: Option label used for a missing multiple-choice response.
BLANK_OPTION = "(blank)"


# --------------------------------------------------------------------------- input


def _require(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} is missing required column(s) {missing}; it has {list(df.columns)}"
        )


def _ids(series: pd.Series, column: str, name: str) -> pd.Series:
    if series.isna().any():
        raise ValueError(f"{name}.{column} has {int(series.isna().sum())} missing value(s)")
    return series.astype("str")


def _prepare(
    scores: pd.DataFrame, items: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate inputs; return (long scores, item table indexed by item_id in item order).

    The long frame has ``student_id, item_id`` (str), ``points`` (float, NaN kept),
    ``points0`` (NaN → 0) and ``response`` if present.  The item table has
    ``max_points`` plus ``kind``/``key`` when given, for the items that were scored.
    """
    _require(scores, ["student_id", "item_id", "points"], "scores")
    if len(scores) == 0:
        raise ValueError("scores is empty")
    assessment = None
    if "assessment_id" in scores.columns:
        found = scores["assessment_id"].dropna().astype("str").unique()
        if len(found) > 1:
            raise ValueError(
                "item statistics are computed per assessment, but scores holds "
                f"{len(found)} assessments ({', '.join(sorted(found)[:5])}...); "
                "filter scores to one assessment_id first"
            )
        assessment = found[0] if len(found) else None

    keep = ["student_id", "item_id", "points"] + (
        ["response"] if "response" in scores.columns else []
    )
    long = scores[keep].copy()
    long["student_id"] = _ids(long["student_id"], "student_id", "scores")
    long["item_id"] = _ids(long["item_id"], "item_id", "scores")
    try:
        long["points"] = pd.to_numeric(long["points"], errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores.points must be numeric: {exc}") from exc
    if (long["points"] < 0).any():
        bad = long.loc[long["points"] < 0, "item_id"].unique()
        raise ValueError(f"scores.points has negative values (items {list(bad)})")
    if long.duplicated(["student_id", "item_id"]).any():
        # double-scored work: one row per student and item, points averaged
        agg = {"points": ("points", "mean")}
        if "response" in long.columns:
            agg["response"] = ("response", "first")
        long = long.groupby(["student_id", "item_id"], sort=False, as_index=False).agg(**agg)
    long["points0"] = long["points"].fillna(0.0)

    order = pd.unique(long["item_id"])
    if items is None:
        table = pd.DataFrame({"max_points": 1.0}, index=pd.Index(order, name="item_id", dtype="str"))
    else:
        _require(items, ["item_id", "max_points"], "items")
        it = items.copy()
        if assessment is not None and "assessment_id" in it.columns:
            it = it[it["assessment_id"].astype("str") == assessment]
        it["item_id"] = _ids(it["item_id"], "item_id", "items")
        if it["item_id"].duplicated().any():
            dup = it.loc[it["item_id"].duplicated(), "item_id"].unique()
            raise ValueError(f"items lists item_id more than once: {list(dup)}")
        try:
            it["max_points"] = pd.to_numeric(it["max_points"], errors="raise").astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"items.max_points must be numeric: {exc}") from exc
        unknown = sorted(set(order) - set(it["item_id"]))
        if unknown:
            raise ValueError(f"scores has item(s) not in the items table: {unknown}")
        it = it.set_index("item_id")
        # keep the items table's order (the test's order); drop items nobody was scored on
        scored = set(order)
        order = [i for i in it.index if i in scored]
        cols = ["max_points"] + [c for c in ("kind", "key") if c in it.columns]
        table = it.loc[order, cols]
        bad = table.index[~(table["max_points"] > 0)]
        if len(bad):
            raise ValueError(f"items.max_points must be > 0 (items {list(bad)})")
    over = long["points"] > long["item_id"].map(table["max_points"])
    if over.any():
        bad = long.loc[over, "item_id"].unique()
        hint = "" if items is not None else " (no items table given, so every item is worth 1 point)"
        raise ValueError(f"scores.points exceed the item's max_points{hint} (items {list(bad)})")
    return long, table


def _matrix(long: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Complete-case student × item matrix of points (not attempted → 0)."""
    wide = long.pivot(index="student_id", columns="item_id", values="points0")
    return wide.reindex(columns=list(order)).dropna(how="any")


# --------------------------------------------------------------------------- item statistics


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
    long, table = _prepare(scores, items)
    order = list(table.index)
    g = long.groupby("item_id", sort=False)
    out = pd.DataFrame(index=pd.Index(order, name="item_id", dtype="str"))
    out["n"] = g.size().reindex(order).astype("int64")
    out["n_not_attempted"] = (
        long["points"].isna().groupby(long["item_id"]).sum().reindex(order).astype("int64")
    )

    X = _matrix(long, order)
    out["n_complete"] = int(len(X))
    out["max_points"] = table["max_points"].astype(float)
    out["mean_points"] = g["points0"].mean().reindex(order)
    out["difficulty"] = out["mean_points"] / out["max_points"]

    k = len(order)
    if len(X) >= 2:
        x = X.to_numpy(dtype=float)
        cov = np.cov(x, rowvar=False, ddof=1).reshape(k, k)
        var = np.diag(cov)
        row = cov.sum(axis=1)  # cov(item, total)
        total_var = cov.sum()
        rest_var = total_var - 2 * row + var  # var(total - item)
        # zero variance decided exactly on the data (np.ptp), not on rounded sums
        total = x.sum(axis=1)
        const_item = np.ptp(x, axis=0) == 0
        const_total = np.ptp(total) == 0
        const_rest = np.ptp(total[:, None] - x, axis=0) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            item_total = np.where(
                const_item | const_total, np.nan, row / np.sqrt(var * total_var)
            )
            item_rest = np.where(
                const_item | const_rest, np.nan, (row - var) / np.sqrt(var * rest_var)
            )
            if k >= 3:
                alpha_del = (k - 1) / (k - 2) * (1.0 - (np.trace(cov) - var) / rest_var)
                alpha_del = np.where(const_rest, np.nan, alpha_del)
            else:
                alpha_del = np.full(k, np.nan)
    else:
        item_total = item_rest = alpha_del = np.full(k, np.nan)
    out["discrimination"] = item_rest
    out["item_total_r"] = item_total
    out["alpha_if_deleted"] = alpha_del

    d = out["difficulty"]
    r = out["discrimination"]
    parts = pd.DataFrame(
        {
            "easy": np.where(d > easy_threshold, FLAG_VERY_EASY, ""),
            "hard": np.where(d < hard_threshold, FLAG_VERY_HARD, ""),
            "low": np.where((r >= 0) & (r < low_discrimination), FLAG_LOW_DISCRIMINATION, ""),
            "neg": np.where(r < 0, FLAG_NEGATIVE_DISCRIMINATION, ""),
        },
        index=out.index,
    )
    out["flags"] = parts.apply(lambda row: ", ".join(w for w in row if w), axis=1).astype("str")
    return out


# --------------------------------------------------------------------------- reliability


def reliability(
    scores: pd.DataFrame, items: pd.DataFrame | None = None, confidence: float = 0.95
) -> float:
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
    long, table = _prepare(scores, items)
    order = list(table.index)
    if len(order) < 2:
        raise ValueError(f"reliability needs at least 2 items, got {len(order)}")
    X = _matrix(long, order)
    if len(X) < 2:
        raise ValueError(
            f"reliability needs at least 2 students with a row for every item, got {len(X)}"
        )
    x = X.to_numpy(dtype=float)
    k = x.shape[1]
    total = x.sum(axis=1)
    if np.ptp(total) == 0:  # everyone has the same total: alpha undefined
        alpha = float("nan")
    else:
        item_var = x.var(axis=0, ddof=1).sum()
        alpha = float(k / (k - 1) * (1.0 - item_var / total.var(ddof=1)))
    low, high = cronbach_alpha_interval(alpha, len(X), k, confidence)
    sd_total = float(total.std(ddof=1))
    sem = sd_total * np.sqrt(1 - alpha)
    return {
        "alpha": alpha,
        "ci_low": low,
        "ci_high": high,
        "n_students": int(len(X)),
        "n_items": int(len(order)),
        "sem": float(sem),
        "sd_total": sd_total,
    }


# --------------------------------------------------------------------------- distractors


def _norm_option(values: pd.Series) -> pd.Series:
    s = values.astype("str").str.strip().str.upper()
    return s.where(values.notna() & (s != ""), BLANK_OPTION)


def _corr_with(indicator: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of `indicator` with `other` (NaN if constant)."""
    a = indicator - indicator.mean(axis=0)
    b = other - other.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a * b[:, None]).sum(axis=0) / np.sqrt((a**2).sum(axis=0) * (b**2).sum())
    return np.where(np.isfinite(r), r, np.nan)


def distractor_analysis(
    scores: pd.DataFrame, items: pd.DataFrame, *, group_fraction: float = 0.27
) -> pd.DataFrame:
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
    _require(scores, ["student_id", "item_id", "points", "response"], "scores")
    if items is None:
        raise ValueError("distractor_analysis needs an items table with kind and/or key")
    _require(items, ["item_id", "max_points"], "items")
    if "kind" not in items.columns and "key" not in items.columns:
        raise ValueError("items needs a 'kind' or a 'key' column to find the MC items")
    long, table = _prepare(scores, items)

    if "key" in table.columns:
        key = _norm_option(table["key"])
        key = key.where(key != BLANK_OPTION, "")  # no key given
    else:
        key = pd.Series("", index=table.index, dtype="str")
    is_mc = key != ""
    if "kind" in table.columns:
        is_mc |= table["kind"].astype("str").str.strip().str.lower().eq("mc") & table["kind"].notna()
    mc_items = [i for i in table.index if is_mc[i]]
    if not mc_items:
        raise ValueError("no multiple-choice items (kind == 'mc' or a key) in items")

    # ranking by total score, deterministic tie-break by student_id
    totals = long.groupby("student_id")["points0"].sum()
    ranked = totals.reset_index(name="total").sort_values(
        ["total", "student_id"], ascending=[False, True], kind="mergesort"
    )
    n_students = len(ranked)
    size = min(max(1, int(round(group_fraction * n_students))), n_students // 2)
    upper = set(ranked["student_id"].iloc[:size])
    lower_ranked = ranked.sort_values(["total", "student_id"], ascending=[True, True], kind="mergesort")
    lower = set(lower_ranked["student_id"].iloc[:size])

    frames = []
    for item in mc_items:
        rows = long[long["item_id"] == item]
        opt = _norm_option(rows["response"])
        students = rows["student_id"].to_numpy()
        rest = totals.reindex(students).to_numpy() - rows["points0"].to_numpy()
        k = key[item]
        options = sorted(set(opt) - {BLANK_OPTION} | ({k} if k else set()))
        if (opt == BLANK_OPTION).any():
            options.append(BLANK_OPTION)
        chosen = (opt.to_numpy()[:, None] == np.array(options, dtype=object)[None, :]).astype(float)
        in_up = np.isin(students, list(upper))
        in_lo = np.isin(students, list(lower))
        with np.errstate(invalid="ignore", divide="ignore"):
            share_upper = chosen[in_up].sum(axis=0) / in_up.sum() if in_up.any() else np.full(len(options), np.nan)
            share_lower = chosen[in_lo].sum(axis=0) / in_lo.sum() if in_lo.any() else np.full(len(options), np.nan)
        frame = pd.DataFrame(
            {
                "item_id": item,
                "key": k,
                "option": options,
                "is_key": [o == k for o in options],
                "n": chosen.sum(axis=0).astype("int64"),
                "share": chosen.mean(axis=0),
                "share_upper": share_upper,
                "share_lower": share_lower,
                "point_biserial": _corr_with(chosen, rest),
            }
        )
        frame["discrimination_index"] = frame["share_upper"] - frame["share_lower"]
        key_upper = frame.loc[frame["is_key"], "share_upper"]
        key_upper = float(key_upper.iloc[0]) if len(key_upper) else np.nan
        frame["likely_miskey"] = (
            bool(k)
            & ~frame["is_key"]
            & (frame["option"] != BLANK_OPTION)
            & (frame["share_upper"] > key_upper)
            & (frame["point_biserial"] > 0)
        )
        frame["flag"] = _distractor_flag(frame, k)
        frames.append(frame)

    out = pd.concat(frames, ignore_index=True)
    cols = [
        "item_id", "key", "option", "is_key", "n", "share", "share_upper", "share_lower",
        "discrimination_index", "point_biserial", "likely_miskey", "flag",
    ]
    out = out[cols]
    for c in ("item_id", "key", "option", "flag"):
        out[c] = out[c].astype("str")
    out["is_key"] = out["is_key"].astype(bool)
    out["likely_miskey"] = out["likely_miskey"].astype(bool)
    return out


def _distractor_flag(frame: pd.DataFrame, key: str) -> str:
    """Item-level text for one item's option rows."""
    if not key:
        return "no key given — cannot check the key"
    suspects = frame.loc[frame["likely_miskey"], "option"].tolist()
    if suspects:
        which = "option " + suspects[0] if len(suspects) == 1 else "options " + ", ".join(suspects)
        return f"{which} chosen more by high scorers than the key {key} — check the key"
    key_row = frame[frame["is_key"]]
    if len(key_row) and key_row["n"].iloc[0] == 0:
        return f"no student chose the key {key} — check the key"
    if len(key_row) and key_row["discrimination_index"].iloc[0] < 0:
        return f"the key {key} was chosen more by low scorers than high scorers — check the key and the wording"
    return ""
