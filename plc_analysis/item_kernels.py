"""The array kernels of item analysis, shared by one assessment's tidy scores and a whole district.

:func:`prepare` validates one assessment's long scores into a :class:`Prepared` (numpy arrays
of integer codes); :func:`item_stats_arrays`, :func:`reliability_of` and :func:`distractor_items`
compute on it.  :mod:`plc_analysis.item_stats` wraps them for a tidy score table;
:mod:`plc_analysis.dataset_items` builds :class:`Prepared` for every assessment of a
:class:`~plc_analysis.Dataset` in one pass and calls the same kernels.  Internal API:
not re-exported from :mod:`plc_analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .stats import cronbach_alpha_interval

__all__ = [
    "Prepared",
    "ItemOptions",
    "prepare",
    "require_columns",
    "exact_values",
    "option_codes",
    "mc_columns",
    "item_stats_arrays",
    "reliability_of",
    "distractor_items",
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
#
# Every public function of :mod:`plc_analysis.item_stats` validates its inputs in :func:`prepare`, which returns a
# :class:`Prepared`: the (de-duplicated) long scores as plain numpy arrays of
# integer codes, ready for the array kernels below.  :mod:`plc_analysis.dataset_items`
# builds the same structure for a whole district in one pass and calls the kernels
# directly, so the per-assessment work is a handful of numpy operations.
#
# Floating-point sums are computed so that they equal pandas' groupby results bit
# for bit: pandas sums groups with Kahan compensation, which gives the same result
# as a plain sum whenever every partial sum is exact (see :func:`_exact_sums`);
# otherwise the sums are delegated to pandas itself.


class Prepared(NamedTuple):
    """Validated long scores of one assessment, as arrays.

    Rows are in the order of the input (after collapsing duplicate student × item
    rows).  Students are coded in ``student_id`` sort order, items in item order.
    """

    order: list  # item ids (str) in item order
    max_points: np.ndarray  # float per item
    student: np.ndarray  # int code per row, 0..n_students-1, in student_id order
    n_students: int
    item: np.ndarray  # int code per row into `order`
    points: np.ndarray  # float per row, NaN = not attempted
    points0: np.ndarray  # float per row, not attempted = 0
    exact: bool  # sums of points0 are exact whatever the order (see _exact_sums)
    option: np.ndarray | None = None  # int code per row into `vocab`; -1 = blank
    vocab: np.ndarray | None = None  # normalised option labels (object array)
    key: np.ndarray | None = None  # normalised key per item ("" = none)
    is_mc: np.ndarray | None = None  # bool per item


def require_columns(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(df.columns)}")


def _ids(series: pd.Series, column: str, name: str) -> pd.Series:
    if series.isna().any():
        raise ValueError(f"{name}.{column} has {int(series.isna().sum())} missing value(s)")
    return series.astype("str")


def exact_values(values: np.ndarray) -> bool:
    """True when every value is a multiple of 2**-12 no larger than 2**20 in magnitude."""
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * 4096.0
        return bool(np.all(np.abs(values) <= 2.0**20) and np.all(scaled == np.floor(scaled)))


def _exact_sums(values: np.ndarray) -> bool:
    """True when any sum of `values` is exact in floating point, whatever the order.

    Holds for up to 2**20 values passing :func:`exact_values`: all partial sums
    are then multiples of 2**-12 below 2**40, which a double represents exactly.
    A plain sum (np.bincount) then equals pandas' compensated groupby sum bit for
    bit.
    """
    return len(values) <= 2**20 and exact_values(values)


def _group_sums(values: np.ndarray, codes: np.ndarray, n: int, exact: bool) -> np.ndarray:
    """Per-code sums of `values`, equal to ``Series.groupby(codes).sum()``."""
    if exact:
        return np.bincount(codes, weights=values, minlength=n)
    sums = pd.Series(values).groupby(codes).sum()
    return sums.reindex(range(n), fill_value=0.0).to_numpy(dtype=float)


def _group_means(values: np.ndarray, codes: np.ndarray, n: int, exact: bool) -> np.ndarray:
    """Per-code means of `values` (every code present), equal to ``groupby(codes).mean()``."""
    if exact:
        return np.bincount(codes, weights=values, minlength=n) / np.bincount(codes, minlength=n)
    return pd.Series(values).groupby(codes).mean().reindex(range(n)).to_numpy(dtype=float)


def option_codes(responses: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Normalised option of each response as (codes, vocab); code -1 is the blank option."""
    if isinstance(responses.dtype, (pd.StringDtype, pd.CategoricalDtype)):
        # normalise each distinct value once (distinct values stay distinct as strings)
        raw_codes, uniques = pd.factorize(responses)
        labels = np.append(_norm_labels(pd.Series(uniques)), BLANK_OPTION)  # raw code -1 (missing) → blank
        labels = labels[raw_codes]
    else:  # object or other: values like 1 and 1.0 differ as strings, so go row by row
        labels = _norm_labels(responses)
    codes, vocab = pd.factorize(labels)
    vocab = np.asarray(vocab, dtype=object)
    blank = np.flatnonzero(vocab == BLANK_OPTION)
    if len(blank):  # recode the blank option to -1 and drop it from the vocabulary
        b = blank[0]
        codes = np.where(codes == b, -1, np.where(codes > b, codes - 1, codes))
        vocab = np.delete(vocab, b)
    return codes.astype(np.intp), vocab


def mc_columns(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Normalised key ("" = none) and MC flag of each row of an items table."""
    if "key" in table.columns:
        key = _norm_labels(table["key"])
        key = np.where(key != BLANK_OPTION, key, "")  # no key given
    else:
        key = np.full(len(table), "", dtype=object)
    is_mc = key != ""
    if "kind" in table.columns:
        kind = table["kind"].astype("str").str.strip().str.lower().to_numpy(dtype=object)
        is_mc |= (kind == "mc") & table["kind"].notna().to_numpy(dtype=bool)
    return key, np.asarray(is_mc, dtype=bool)


def prepare(scores: pd.DataFrame, items: pd.DataFrame | None, *, options: bool = False) -> Prepared:
    """Validate inputs; return the long scores of one assessment as a :class:`Prepared`.

    Points are float (NaN kept; ``points0`` has NaN → 0).  Items are the items
    table's items that were scored, in its order (first appearance without a
    table).  With ``options=True`` the responses are coded and the items' keys
    and MC flags are filled in (for :func:`distractor_analysis`).
    """
    require_columns(scores, ["student_id", "item_id", "points"], "scores")
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

    has_response = "response" in scores.columns
    student_s = _ids(scores["student_id"], "student_id", "scores")
    item_s = _ids(scores["item_id"], "item_id", "scores")
    try:
        points_s = pd.to_numeric(scores["points"], errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores.points must be numeric: {exc}") from exc
    points = points_s.to_numpy(dtype=float)
    negative = points < 0
    if negative.any():
        bad = item_s[negative].unique()
        raise ValueError(f"scores.points has negative values (items {list(bad)})")
    response_s = scores["response"] if has_response else None

    student_code, _ = pd.factorize(student_s, sort=True)
    item_code, item_first = pd.factorize(item_s)  # items in order of first appearance
    pair = student_code.astype(np.int64) * len(item_first) + item_code
    if len(np.unique(pair)) < len(pair):
        # double-scored work: one row per student and item, points averaged
        long = pd.DataFrame({"student_id": student_s, "item_id": item_s, "points": points_s})
        agg = {"points": ("points", "mean")}
        if has_response:
            long["response"] = response_s
            agg["response"] = ("response", "first")
        long = long.groupby(["student_id", "item_id"], sort=False, as_index=False).agg(**agg)
        student_s, item_s = long["student_id"], long["item_id"]
        points = long["points"].to_numpy(dtype=float)
        response_s = long["response"] if has_response else None
        student_code, _ = pd.factorize(student_s, sort=True)
        item_code, item_first = pd.factorize(item_s)
    first = list(item_first)

    kind_key = None
    if items is None:
        order = first
        max_points = np.ones(len(order))
        item = item_code
    else:
        require_columns(items, ["item_id", "max_points"], "items")
        it = items
        if assessment is not None and "assessment_id" in it.columns:
            it = it[(it["assessment_id"].astype("str") == assessment).to_numpy()]
        it_ids = _ids(it["item_id"], "item_id", "items")
        if it_ids.duplicated().any():
            dup = it_ids[it_ids.duplicated()].unique()
            raise ValueError(f"items lists item_id more than once: {list(dup)}")
        try:
            it_max = pd.to_numeric(it["max_points"], errors="raise").astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"items.max_points must be numeric: {exc}") from exc
        it_ids = it_ids.to_numpy(dtype=object)
        unknown = sorted(set(first) - set(it_ids))
        if unknown:
            raise ValueError(f"scores has item(s) not in the items table: {unknown}")
        # keep the items table's order (the test's order); drop items nobody was scored on
        position = pd.Index(it_ids).get_indexer(first)  # table row of each scored item
        rows = np.sort(position)
        order = list(it_ids[rows])
        max_points = it_max.to_numpy(dtype=float)[rows]
        bad = ~(max_points > 0)
        if bad.any():
            raise ValueError(f"items.max_points must be > 0 (items {list(np.asarray(order, dtype=object)[bad])})")
        rank = np.empty(len(it_ids), dtype=np.intp)
        rank[rows] = np.arange(len(rows))
        item = rank[position][item_code]
        if options:
            kind_key = it.iloc[rows]
    item = np.asarray(item, dtype=np.intp)
    over = points > max_points[item]
    if over.any():
        bad = item_s[over].unique()
        hint = "" if items is not None else " (no items table given, so every item is worth 1 point)"
        raise ValueError(f"scores.points exceed the item's max_points{hint} (items {list(bad)})")

    points0 = np.where(np.isnan(points), 0.0, points)
    student = np.asarray(student_code, dtype=np.intp)
    prepared = Prepared(
        order=order,
        max_points=max_points,
        student=student,
        n_students=int(student.max()) + 1,
        item=item,
        points=points,
        points0=points0,
        exact=_exact_sums(points0),
    )
    if options:
        option, vocab = option_codes(response_s)
        if kind_key is None:
            key, is_mc = np.full(len(order), "", dtype=object), np.zeros(len(order), dtype=bool)
        else:
            key, is_mc = mc_columns(kind_key)
        prepared = prepared._replace(option=option, vocab=vocab, key=key, is_mc=is_mc)
    return prepared


def _complete_matrix(p: Prepared) -> np.ndarray:
    """Complete-case student × item matrix of points (not attempted → 0), students in id order."""
    k = len(p.order)
    complete = np.bincount(p.student, minlength=p.n_students) == k  # one row per student × item
    row = np.cumsum(complete) - 1  # row of each complete student in the matrix
    keep = complete[p.student]
    x = np.zeros((int(complete.sum()), k))
    x[row[p.student[keep]], p.item[keep]] = p.points0[keep]
    # numpy's sums (variances, covariances) add in an order that depends on memory
    # layout; keep the layout the pivoted frame used to give, so results stay the same
    # to the last bit.  Items in exactly reverse id order were a reversed-column view
    # of the pivot, which became column-major once incomplete students were dropped.
    if k > 1 and p.order == sorted(p.order, reverse=True):
        x = np.ascontiguousarray(x[:, ::-1])[:, ::-1] if complete.all() else np.asfortranarray(x)
    return x


# --------------------------------------------------------------------------- item statistics


def item_stats_arrays(p: Prepared, easy_threshold: float, hard_threshold: float, low_discrimination: float) -> dict:
    """The columns of :func:`item_statistics` as arrays (``flags`` a list of str)."""
    k = len(p.order)
    n = np.bincount(p.item, minlength=k).astype("int64")
    n_na = np.bincount(p.item, weights=np.isnan(p.points), minlength=k).astype("int64")
    x = _complete_matrix(p)
    mean_points = _group_means(p.points0, p.item, k, p.exact)
    difficulty = mean_points / p.max_points

    if len(x) >= 2:
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
            item_total = np.where(const_item | const_total, np.nan, row / np.sqrt(var * total_var))
            item_rest = np.where(const_item | const_rest, np.nan, (row - var) / np.sqrt(var * rest_var))
            if k >= 3:
                alpha_del = (k - 1) / (k - 2) * (1.0 - (np.trace(cov) - var) / rest_var)
                alpha_del = np.where(const_rest, np.nan, alpha_del)
            else:
                alpha_del = np.full(k, np.nan)
    else:
        item_total = item_rest = alpha_del = np.full(k, np.nan)

    easy = difficulty > easy_threshold
    hard = difficulty < hard_threshold
    low = (item_rest >= 0) & (item_rest < low_discrimination)
    neg = item_rest < 0
    flags = [
        ", ".join(
            w
            for w, on in (
                (FLAG_VERY_EASY, a),
                (FLAG_VERY_HARD, b),
                (FLAG_LOW_DISCRIMINATION, c),
                (FLAG_NEGATIVE_DISCRIMINATION, d),
            )
            if on
        )
        for a, b, c, d in zip(easy.tolist(), hard.tolist(), low.tolist(), neg.tolist())
    ]
    return {
        "n": n,
        "n_not_attempted": n_na,
        "n_complete": np.full(k, len(x), dtype="int64"),
        "max_points": p.max_points,
        "mean_points": mean_points,
        "difficulty": difficulty,
        "discrimination": np.asarray(item_rest, dtype=float),
        "item_total_r": np.asarray(item_total, dtype=float),
        "alpha_if_deleted": np.asarray(alpha_del, dtype=float),
        "flags": flags,
    }


def reliability_of(p: Prepared, confidence: float) -> dict[str, float | int]:
    """:func:`reliability_summary` on prepared scores."""
    k_order = len(p.order)
    if k_order < 2:
        raise ValueError(f"reliability needs at least 2 items, got {k_order}")
    x = _complete_matrix(p)
    if len(x) < 2:
        raise ValueError(f"reliability needs at least 2 students with a row for every item, got {len(x)}")
    k = x.shape[1]
    total = x.sum(axis=1)
    if np.ptp(total) == 0:  # everyone has the same total: alpha undefined
        alpha = float("nan")
    else:
        item_var = x.var(axis=0, ddof=1).sum()
        alpha = float(k / (k - 1) * (1.0 - item_var / total.var(ddof=1)))
    low, high = cronbach_alpha_interval(alpha, len(x), k, confidence)
    sd_total = float(total.std(ddof=1))
    sem = sd_total * np.sqrt(1 - alpha)
    return {
        "alpha": alpha,
        "ci_low": low,
        "ci_high": high,
        "n_students": int(len(x)),
        "n_items": int(k_order),
        "sem": float(sem),
        "sd_total": sd_total,
    }


# --------------------------------------------------------------------------- distractors


def _norm_labels(values: pd.Series) -> np.ndarray:
    """Option labels as compared with keys: stripped, upper-cased; missing or empty → blank."""
    s = values.astype("str").str.strip().str.upper().to_numpy(dtype=object)
    return np.where(values.notna().to_numpy(dtype=bool) & (s != ""), s, BLANK_OPTION)


def _corr_with(indicator: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of `indicator` with `other` (NaN if constant)."""
    a = indicator - indicator.mean(axis=0)
    b = other - other.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a * b[:, None]).sum(axis=0) / np.sqrt((a**2).sum(axis=0) * (b**2).sum())
    return np.where(np.isfinite(r), r, np.nan)


class ItemOptions(NamedTuple):
    """Distractor analysis of one MC item: one entry per option."""

    item: int  # code into the prepared `order`
    key: str
    options: list
    is_key: np.ndarray
    n: np.ndarray
    share: np.ndarray
    share_upper: np.ndarray
    share_lower: np.ndarray
    discrimination_index: np.ndarray
    point_biserial: np.ndarray
    likely_miskey: np.ndarray
    flag: str


def distractor_items(p: Prepared, group_fraction: float) -> list[ItemOptions]:
    """Option-level analysis of every MC item of prepared scores (see :func:`distractor_analysis`).

    ``p`` must be prepared with ``options=True`` (its option, vocabulary, key and MC arrays set).
    """
    if p.option is None or p.vocab is None or p.key is None or p.is_mc is None:
        raise ValueError("distractor_items needs scores prepared with options=True")
    mc_items = np.flatnonzero(p.is_mc)
    if not len(mc_items):
        raise ValueError("no multiple-choice items (kind == 'mc' or a key) in items")

    # ranking by total score, deterministic tie-break by student_id (= student code order)
    totals = _group_sums(p.points0, p.student, p.n_students, p.exact)
    n_students = p.n_students
    size = min(max(1, int(round(group_fraction * n_students))), n_students // 2)
    codes = np.arange(n_students)
    upper = np.zeros(n_students, dtype=bool)
    upper[np.lexsort((codes, -totals))[:size]] = True
    lower = np.zeros(n_students, dtype=bool)
    lower[np.lexsort((codes, totals))[:size]] = True

    by_item = np.argsort(p.item, kind="stable")  # rows of each item, in input order
    ends = np.cumsum(np.bincount(p.item, minlength=len(p.order)))
    starts = ends - np.bincount(p.item, minlength=len(p.order))
    vocab = p.vocab.tolist()
    vocab_code = {label: c for c, label in enumerate(vocab)}
    results = []
    for j in mc_items.tolist():
        rows = by_item[starts[j] : ends[j]]
        opt = p.option[rows]
        students = p.student[rows]
        rest = totals[students] - p.points0[rows]
        k = p.key[j]
        present = np.unique(opt)
        options = sorted({vocab[c] for c in present.tolist() if c >= 0} | ({k} if k else set()))
        option_codes = [vocab_code.get(o, -2) for o in options]
        if len(present) and present[0] < 0:
            options.append(BLANK_OPTION)
            option_codes.append(-1)
        chosen = (opt[:, None] == np.array(option_codes)[None, :]).astype(float)
        in_up = upper[students]
        in_lo = lower[students]
        with np.errstate(invalid="ignore", divide="ignore"):
            share_upper = chosen[in_up].sum(axis=0) / in_up.sum() if in_up.any() else np.full(len(options), np.nan)
            share_lower = chosen[in_lo].sum(axis=0) / in_lo.sum() if in_lo.any() else np.full(len(options), np.nan)
        n = chosen.sum(axis=0).astype("int64")
        point_biserial = _corr_with(chosen, rest)
        discrimination_index = share_upper - share_lower
        is_key = np.array([o == k for o in options], dtype=bool)
        key_at = np.flatnonzero(is_key)
        key_upper = float(share_upper[key_at[0]]) if len(key_at) else np.nan
        likely = (
            bool(k)
            & ~is_key
            & (np.array(options, dtype=object) != BLANK_OPTION)
            & (share_upper > key_upper)
            & (point_biserial > 0)
        )
        results.append(
            ItemOptions(
                item=j,
                key=k,
                options=options,
                is_key=is_key,
                n=n,
                share=chosen.mean(axis=0),
                share_upper=share_upper,
                share_lower=share_lower,
                discrimination_index=discrimination_index,
                point_biserial=point_biserial,
                likely_miskey=likely,
                flag=_distractor_flag(k, options, likely, key_at, n, discrimination_index),
            )
        )
    return results


def _distractor_flag(
    key: str, options: list, likely: np.ndarray, key_at: np.ndarray, n: np.ndarray, discrimination_index: np.ndarray
) -> str:
    """Item-level text for one item's options."""
    if not key:
        return "no key given — cannot check the key"
    suspects = [o for o, m in zip(options, likely.tolist()) if m]
    if suspects:
        which = "option " + suspects[0] if len(suspects) == 1 else "options " + ", ".join(suspects)
        return f"{which} chosen more by high scorers than the key {key} — check the key"
    if len(key_at) and n[key_at[0]] == 0:
        return f"no student chose the key {key} — check the key"
    if len(key_at) and discrimination_index[key_at[0]] < 0:
        return f"the key {key} was chosen more by low scorers than high scorers — check the key and the wording"
    return ""
