"""Item analysis, reliability and rater calibration of a :class:`Dataset`, one assessment at a time.

Thin glue: :mod:`plc_analysis.item_stats` (one assessment's tidy scores, on the
kernels of :mod:`plc_analysis.item_kernels`) and :mod:`plc_analysis.calibration`
do the statistics; this module feeds them each assessment's scores of record and
labels the results with assessment, skill and teacher.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .calibration import calibration_table
from .comparison import teacher_names
from .dataset import Dataset
from .item_kernels import (
    Prepared,
    distractor_items,
    exact_values,
    item_stats_arrays,
    mc_columns,
    option_codes,
    reliability_of,
)
from .item_stats import distractor_analysis, item_statistics, reliability_summary
from .metric_cache import cached_metric

log = logging.getLogger(__name__)

__all__ = ["item_analysis", "assessment_reliability", "option_analysis", "rater_calibration"]


def _per_assessment(dataset: Dataset) -> Iterator[tuple[Any, pd.DataFrame, pd.DataFrame]]:
    """Each assessment sat by two students or more: its row of dataset.assessments, its scores of record, its items."""
    scores = dataset.scores_of_record()
    by_assessment = dict(tuple(scores.groupby("assessment_id", observed=True, sort=False)))
    for assessment in dataset.assessments.itertuples(index=False):
        taken = by_assessment.get(assessment.assessment_id)
        if taken is None or taken["student_id"].nunique() < 2:
            continue
        items = dataset.items[dataset.items["assessment_id"] == assessment.assessment_id]
        yield assessment, taken, items


class _Part(NamedTuple):
    """One assessment's scores of record, prepared for the kernels of :mod:`plc_analysis.item_stats`."""

    assessment: tuple  # the row of dataset.assessments (itertuples)
    position: int  # its position in dataset.assessments
    prepared: Prepared
    item_rows: np.ndarray  # position in dataset.items of each prepared item
    n_listed: int  # items the items table lists for the assessment (scored or not)
    mc_listed: bool  # some listed item has a key or kind == "mc"
    any_response: bool  # some score row has a response


def _str_dtype(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype)


def _prepared_parts(dataset: Dataset) -> list[_Part] | None:
    """Every assessment of :func:`_per_assessment`, prepared in one vectorised pass.

    Gives the same assessments, scores and items as :func:`_per_assessment` feeding
    the public functions of :mod:`plc_analysis.item_stats`, without re-validating and
    re-splitting each one.  Returns None when the tables are not in the canonical
    form this relies on (string ids without gaps, float points within
    ``0..max_points``, one row per student × item, every score's item listed,
    unique items, assessments' labels present); the caller then goes through the
    public functions, which report any problem exactly as they always have.
    """
    scores = dataset.scores_of_record()
    items = dataset.items
    assessments = dataset.assessments
    if not (
        {"student_id", "item_id", "points", "response", "assessment_id"} <= set(scores.columns)
        and {"assessment_id", "item_id", "max_points", "kind", "key", "skill_id"} <= set(items.columns)
        and {"assessment_id", "team_id", "title", "date"} <= set(assessments.columns)
    ):
        return None
    if not (
        all(
            _str_dtype(c)
            for c in (
                scores["student_id"],
                scores["item_id"],
                scores["assessment_id"],
                items["item_id"],
                items["assessment_id"],
                assessments["assessment_id"],
            )
        )
        and scores["item_id"].dtype == items["item_id"].dtype
        and scores["points"].dtype == np.float64
        and items["max_points"].dtype == np.float64
    ):
        return None

    listed = pd.Index(assessments["assessment_id"].dropna().unique())
    n_a = len(listed)
    # the scores and items of the listed assessments
    s_rows = np.flatnonzero(listed.get_indexer(scores["assessment_id"]) >= 0)
    s = scores.iloc[s_rows]
    i_rows = np.flatnonzero(listed.get_indexer(items["assessment_id"]) >= 0)
    it = items.iloc[i_rows]
    if s["student_id"].isna().any() or s["item_id"].isna().any() or it["item_id"].isna().any():
        return None
    s_a = listed.get_indexer(s["assessment_id"])
    i_a = listed.get_indexer(it["assessment_id"])

    # each score row's item: its row in dataset.items
    ids, _ = pd.factorize(pd.concat([it["item_id"], s["item_id"]], ignore_index=True))
    n_ids = int(ids.max()) + 1 if len(ids) else 1
    i_key = i_a.astype(np.int64) * n_ids + ids[: len(it)]
    s_key = s_a.astype(np.int64) * n_ids + ids[len(it) :]
    if len(np.unique(i_key)) < len(i_key):  # an item listed twice in an assessment
        return None
    sorter = np.argsort(i_key)
    at = np.minimum(np.searchsorted(i_key, s_key, sorter=sorter), max(len(i_key) - 1, 0))
    if len(s_key) and (not len(i_key) or not np.array_equal(i_key[sorter[at]], s_key)):
        return None  # a score for an item the assessment does not list
    s_item = i_rows[sorter[at]] if len(s_key) else np.zeros(0, dtype=np.intp)

    max_points = items["max_points"].to_numpy(dtype=float)
    if not (max_points[i_rows] > 0).all():
        return None
    points = s["points"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        if (points < 0).any() or (points > max_points[s_item]).any():
            return None
    student, _ = pd.factorize(s["student_id"], sort=True)  # codes in student_id order
    pair = s_item.astype(np.int64) * (int(student.max()) + 1 if len(student) else 1) + student
    if len(np.unique(pair)) < len(pair):  # several rows for one student and item
        return None
    points0 = np.where(np.isnan(points), 0.0, points)
    exact = exact_values(points0)
    option, vocab = option_codes(s["response"])
    has_response = s["response"].notna().to_numpy()
    key, is_mc = mc_columns(items)
    item_ids = items["item_id"].to_numpy(dtype=object)
    mc_listed = (items["key"].notna() | (items["kind"] == "mc")).to_numpy(dtype=bool)[i_rows]
    n_listed = np.bincount(i_a, minlength=n_a)
    mc_any = np.bincount(i_a, weights=mc_listed, minlength=n_a) > 0

    by_assessment = np.argsort(s_a, kind="stable")  # each assessment's rows in input order
    ends = np.cumsum(np.bincount(s_a, minlength=n_a))
    starts = ends - np.bincount(s_a, minlength=n_a)
    label_missing = assessments[["team_id", "title", "date"]].isna().any(axis=1).to_numpy()
    where = listed.get_indexer(assessments["assessment_id"])
    parts: list[_Part] = []
    cache: dict[int, tuple[Prepared, np.ndarray, int, bool, bool] | None] = {}
    for position, assessment in enumerate(assessments.itertuples(index=False)):
        a = where[position]
        if a < 0:
            continue
        if a not in cache:
            rows = by_assessment[starts[a] : ends[a]]
            students, student_code = np.unique(student[rows], return_inverse=True)
            if len(students) < 2:
                cache[a] = None
                continue
            item_rows, item_code = np.unique(s_item[rows], return_inverse=True)
            p0 = points0[rows]
            cache[a] = (
                Prepared(
                    order=item_ids[item_rows].tolist(),
                    max_points=max_points[item_rows],
                    student=student_code,
                    n_students=len(students),
                    item=item_code,
                    points=points[rows],
                    points0=p0,
                    exact=exact and len(p0) <= 2**20,
                    option=option[rows],
                    vocab=vocab,
                    key=key[item_rows],
                    is_mc=is_mc[item_rows],
                ),
                item_rows,
                int(n_listed[a]),
                bool(mc_any[a]),
                bool(has_response[rows].any()),
            )
        prepared = cache[a]
        if prepared is None:
            continue
        if label_missing[position]:
            return None  # labels would be broadcast as NaN scalars: leave it to the general path
        parts.append(_Part(assessment, position, *prepared))
    return parts


@cached_metric
def item_analysis(
    dataset: Dataset, *, easy: float = 0.9, hard: float = 0.2, low_discrimination: float = 0.2, **filters: Any
) -> pd.DataFrame:
    """Classical item statistics for every item of every assessment, with flags in words.

    Parameters
    ----------
    dataset : Dataset
    easy, hard, low_discrimination : float
        Flag thresholds (see :func:`plc_analysis.item_statistics`).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        One row per assessment × item, columns ``team_id, assessment_id,
        title, date, item_id, skill_id, item_kind, key, n, n_not_attempted,
        max_points, mean_points, difficulty, discrimination, item_total_r,
        alpha_if_deleted, likely_miskey`` (bool), ``flags`` (words: ``very
        easy``, ``very hard``, ``low discrimination``, ``negative
        discrimination — check the key``, and the distractor finding for a
        likely miskey).
    """
    if filters:
        dataset = dataset.filter(**filters)
    parts = _prepared_parts(dataset)
    if parts is None:
        log.debug("item analysis: general path (one assessment at a time), %d score rows", len(dataset.scores))
        return general_item_analysis(dataset, easy, hard, low_discrimination)
    log.debug("item analysis: prepared fast path, %d assessments", len(parts))
    columns = [
        "team_id",
        "assessment_id",
        "title",
        "date",
        "item_id",
        "skill_id",
        "item_kind",
        "key",
        "n",
        "n_not_attempted",
        "max_points",
        "mean_points",
        "difficulty",
        "discrimination",
        "item_total_r",
        "alpha_if_deleted",
        "likely_miskey",
        "flags",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    stats, miskeys, flags = [], [], []
    for part in parts:
        cols = item_stats_arrays(part.prepared, easy, hard, low_discrimination)
        miskey = np.zeros(len(part.prepared.order), dtype=bool)
        item_flags = cols["flags"]
        if part.mc_listed and part.any_response:
            for found in distractor_items(part.prepared, 0.27):
                miskey[found.item] = bool(found.likely_miskey.any())
                item_flags[found.item] = ", ".join(w for w in (item_flags[found.item], found.flag) if w)
        stats.append(cols)
        miskeys.append(miskey)
        flags.extend(item_flags)
    sizes = [len(part.item_rows) for part in parts]
    labels = (
        dataset.assessments[["team_id", "assessment_id", "title", "date"]]
        .iloc[np.repeat([part.position for part in parts], sizes)]
        .reset_index(drop=True)
    )
    meta = (
        dataset.items[["item_id", "skill_id", "kind", "key"]]
        .iloc[np.concatenate([part.item_rows for part in parts])]
        .reset_index(drop=True)
    )
    values = {
        c: np.concatenate([cols[c] for cols in stats])
        for c in (
            "n",
            "n_not_attempted",
            "max_points",
            "mean_points",
            "difficulty",
            "discrimination",
            "item_total_r",
            "alpha_if_deleted",
        )
    }
    values["likely_miskey"] = np.concatenate(miskeys)
    values["flags"] = pd.array(flags, dtype="str")
    frame = pd.concat([labels, meta.rename(columns={"kind": "item_kind"}), pd.DataFrame(values)], axis=1)
    return frame[columns]


def general_item_analysis(dataset: Dataset, easy: float, hard: float, low_discrimination: float) -> pd.DataFrame:
    """:func:`item_analysis` through the public functions, one assessment at a time.

    The general path, for any data; the prepared fast path of :func:`item_analysis`
    is tested against it on random datasets.

    Returns
    -------
    DataFrame
        The columns of :func:`item_analysis`.
    """
    frames = []
    for assessment, taken, items in _per_assessment(dataset):
        stats = item_statistics(
            taken, items, easy_threshold=easy, hard_threshold=hard, low_discrimination=low_discrimination
        ).reset_index()
        stats["likely_miskey"] = False
        mc = items["key"].notna() | (items["kind"] == "mc")
        if mc.any() and taken["response"].notna().any():
            options = distractor_analysis(taken, items)
            miskey = options.groupby("item_id")["likely_miskey"].any()
            note = options.groupby("item_id")["flag"].first()
            stats["likely_miskey"] = stats["item_id"].map(miskey).fillna(False).astype(bool)
            extra = stats["item_id"].map(note).fillna("")
            stats["flags"] = [", ".join(p for p in (a, b) if p) for a, b in zip(stats["flags"], extra)]
        meta = items[["item_id", "skill_id", "kind", "key"]].rename(columns={"kind": "item_kind"})
        stats = stats.merge(meta, on="item_id", how="left").assign(
            team_id=assessment.team_id,
            assessment_id=assessment.assessment_id,
            title=assessment.title,
            date=assessment.date,
        )
        frames.append(stats)
    columns = [
        "team_id",
        "assessment_id",
        "title",
        "date",
        "item_id",
        "skill_id",
        "item_kind",
        "key",
        "n",
        "n_not_attempted",
        "max_points",
        "mean_points",
        "difficulty",
        "discrimination",
        "item_total_r",
        "alpha_if_deleted",
        "likely_miskey",
        "flags",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def option_analysis(dataset: Dataset, assessment_id: str) -> pd.DataFrame:
    """Distractor analysis of one assessment's multiple-choice items.

    Returns
    -------
    DataFrame
        The columns of :func:`plc_analysis.distractor_analysis` (``item_id,
        key, option, is_key, n, share, share_upper, share_lower,
        discrimination_index, point_biserial, likely_miskey, flag``).
    """
    scores = dataset.scores_of_record()
    scores = scores[scores["assessment_id"] == assessment_id]
    items = dataset.items[dataset.items["assessment_id"] == assessment_id]
    return distractor_analysis(scores, items)


def assessment_reliability(dataset: Dataset, *, confidence: float = 0.95, **filters: Any) -> pd.DataFrame:
    """Cronbach's alpha (KR-20 for 0/1 items) per assessment, complete cases.

    Returns
    -------
    DataFrame
        One row per assessment with ≥ 2 items and ≥ 2 students, columns
        ``team_id, assessment_id, title, date, alpha, ci_low, ci_high,
        n_students, n_items, sem``.
    """
    if filters:
        dataset = dataset.filter(**filters)
    parts = _prepared_parts(dataset)
    if parts is None:
        found = (
            (assessment, reliability_summary(taken, items, confidence=confidence))
            for assessment, taken, items in _per_assessment(dataset)
            if len(items) >= 2
        )
    else:
        found = ((part.assessment, reliability_of(part.prepared, confidence)) for part in parts if part.n_listed >= 2)
    rows = []
    for assessment, summary in found:
        rows.append(
            {
                "team_id": assessment.team_id,
                "assessment_id": assessment.assessment_id,
                "title": assessment.title,
                "date": assessment.date,
                **{k: summary[k] for k in ("alpha", "ci_low", "ci_high", "n_students", "n_items", "sem")},
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "team_id",
            "assessment_id",
            "title",
            "date",
            "alpha",
            "ci_low",
            "ci_high",
            "n_students",
            "n_items",
            "sem",
        ],
    )


@cached_metric
def rater_calibration(
    dataset: Dataset, *, threshold: float = 0.6, by_item: bool = False, **filters: Any
) -> pd.DataFrame:
    """Agreement of each pair of raters on double-scored rubric work.

    Parameters
    ----------
    dataset : Dataset
    threshold : float
        Quadratic-weighted kappa below which a pair needs another calibration round.
    by_item : bool
        One row per rater pair and rubric item (default: pooled over items).
    **filters
        Passed to :meth:`Dataset.filter`.

    Returns
    -------
    DataFrame
        Columns of :func:`plc_analysis.calibration_table` (``item_id,
        rater_a, rater_b, n_works, exact, adjacent, kappa_quadratic, icc,
        needs_calibration, note``) plus ``team_id, rater_a_name,
        rater_b_name``.  Empty when nothing was double-scored.
    """
    if filters:
        dataset = dataset.filter(**filters)
    ratings = dataset.ratings()
    columns = [
        "team_id",
        "item_id",
        "rater_a",
        "rater_a_name",
        "rater_b",
        "rater_b_name",
        "n_works",
        "exact",
        "adjacent",
        "kappa_quadratic",
        "icc",
        "needs_calibration",
        "note",
    ]
    if ratings.empty:
        return pd.DataFrame(columns=columns)
    team_of = dataset.assessments.set_index("assessment_id")["team_id"]
    ratings = ratings.assign(team_id=ratings["assessment_id"].map(team_of))
    names = teacher_names(dataset)
    frames = []
    for team, part in ratings.groupby("team_id", sort=True):
        if by_item:
            part = part.assign(item_id=part["assessment_id"] + "/" + part["item_id"])
        table = calibration_table(part[["work_id", "rater_id", "score", *(["item_id"] if by_item else [])]], threshold)
        table["team_id"] = team
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    if "item_id" not in out:
        out["item_id"] = pd.NA
    out["rater_a_name"] = out["rater_a"].map(names)
    out["rater_b_name"] = out["rater_b"].map(names)
    return out[columns]
